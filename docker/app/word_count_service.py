"""The word-count example (``examples/word_count.py``) as a service: the app of docker-compose.yml.

Configured by the environment, so that ``docker compose up --scale app=3`` starts three
instances of one application (one ``application.id``) that share the input's partitions:

* ``KAFKA_BOOTSTRAP_SERVERS`` (default ``kafka:19092``), ``APPLICATION_ID`` (``word-count``);
* ``INPUT_TOPIC`` (``text-lines``), ``OUTPUT_TOPIC`` (``word-counts``) and
  ``TOPIC_PARTITIONS`` (``4``): the topics are created when missing (by whichever instance
  gets there first), so the composition needs no set-up step;
* ``STATE_DIR`` (``/var/lib/kstreams``), ``COMMIT_INTERVAL_MS`` (``1000``).

Prints ``STATE <new> <old>`` on every state change; runs until SIGTERM (``docker compose
stop``), then closes the client (commits and leaves the group) and exits 0, or 1 if the client
ended in ERROR.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples"))

import word_count  # the example's topology, from examples/
from confluent_kafka import KafkaError, KafkaException

from kstreams import KafkaStreams, wait_for_shutdown_signal
from kstreams.testing.kafka_admin import admin_client, create_topic, wait_for_kafka


def _setting(name: str, default: str) -> str:
    return os.environ.get(name, "").strip() or default


def _ensure_topic(bootstrap: str, topic: str, partitions: int, timeout: float = 60.0) -> None:
    """Create ``topic`` unless it exists; return once every partition of it has a leader.

    Another instance may be creating it right now: then this one waits until the broker's
    metadata shows it ready, as the creator does.
    """
    try:
        create_topic(bootstrap, topic, partitions, timeout=timeout)
        print(f"CREATED {topic} {partitions}", flush=True)
        return
    except KafkaException as exc:
        if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
            raise
    admin = admin_client(bootstrap)
    deadline = time.monotonic() + timeout
    while True:
        found = admin.list_topics(topic=topic, timeout=timeout).topics.get(topic)
        if (
            found is not None
            and found.error is None
            and found.partitions
            and all(p.leader >= 0 and p.error is None for p in found.partitions.values())
        ):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"topic {topic!r} exists but has no leaders after {timeout:.0f}s")
        time.sleep(0.1)


def main() -> int:
    """Wait for Kafka, make sure the topics exist, run the topology until SIGTERM."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("kstreams.client").setLevel(logging.WARNING)
    bootstrap = _setting("KAFKA_BOOTSTRAP_SERVERS", "kafka:19092")
    app_id = _setting("APPLICATION_ID", "word-count")
    input_topic = _setting("INPUT_TOPIC", word_count.INPUT)
    output_topic = _setting("OUTPUT_TOPIC", word_count.OUTPUT)
    partitions = int(_setting("TOPIC_PARTITIONS", "4"))

    if not wait_for_kafka(bootstrap, timeout=180):
        print(f"no Kafka answers at {bootstrap} within 180s", file=sys.stderr, flush=True)
        return 1
    _ensure_topic(bootstrap, input_topic, partitions)
    _ensure_topic(bootstrap, output_topic, partitions)

    config = word_count.config(bootstrap, app_id)
    config["state.dir"] = _setting("STATE_DIR", "/var/lib/kstreams")
    config["commit.interval.ms"] = int(_setting("COMMIT_INTERVAL_MS", "1000"))
    streams = KafkaStreams(word_count.build_topology(input_topic, output_topic), config)

    def on_state(new: KafkaStreams.State, old: KafkaStreams.State) -> None:
        print(f"STATE {new.value} {old.value}", flush=True)

    streams.set_state_listener(on_state)
    streams.start()
    try:
        failed = (KafkaStreams.State.ERROR, KafkaStreams.State.PENDING_ERROR)
        wait_for_shutdown_signal(until=lambda: streams.state in failed)
    finally:
        closed = streams.close(30)
        print(f"CLOSED {closed} {streams.state.value}", flush=True)
    return 0 if closed and streams.state is KafkaStreams.State.NOT_RUNNING else 1


if __name__ == "__main__":
    sys.exit(main())
