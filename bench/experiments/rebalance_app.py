"""The app instance of ``rebalance_pause.py``: a count by key, one process per instance.

    python rebalance_app.py BOOTSTRAP APP_ID STATE_DIR INPUT OUTPUT --name a
        [--guarantee at_least_once|exactly_once_v2] [--group-protocol classic|consumer]
        [--standbys N] [--commit-interval-ms N] [--session-timeout-ms N]

``stream(INPUT, String, String).group_by_key().count()`` (RocksDB store ``counts``, caching
disabled: one output record per input record) ``.to_stream().to(OUTPUT, String, Long)``; every
output record gets the header ``inst: NAME`` (which instance wrote it). Logs (kstreams at
INFO, with millisecond timestamps) go to stderr; on stdout, flushed, one per line:

* ``STATE <new> <unix time>`` on every state change of the client;
* ``RESTORED <store> <partition> <records> <seconds>`` when a store partition's restoration
  ends (the restore listener);
* ``REFUSED <message>`` (exit code 4) when kstreams refuses the configuration (e.g.
  ``num.standby.replicas`` > 0 before standby replicas exist).

SIGTERM closes it cleanly (exit 0).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import time

STOPPED: list[int] = []  # SIGTERM may come during the slow import; a lock-free handler
signal.signal(signal.SIGTERM, lambda signum, _frame: STOPPED.append(signum))
signal.signal(signal.SIGINT, lambda signum, _frame: STOPPED.append(signum))

from kstreams import (  # noqa: E402 -- SIGTERM is handled before the slow import
    FixedKeyProcessor,
    KafkaStreams,
    Materialized,
    Serdes,
    StreamsBuilder,
    Topology,
    wait_for_shutdown_signal,
)
from kstreams.errors import ConfigError  # noqa: E402

EXIT_REFUSED = 4
HEADER = "inst"


class Tag(FixedKeyProcessor):
    """Adds the header ``inst: <name>`` to every record (it reaches the count's output)."""

    def __init__(self, name: str) -> None:
        self.name = name.encode()

    def process(self, record):  # type: ignore[no-untyped-def]
        self.context.forward(record.with_headers([*(record.headers or ()), (HEADER, self.name)]))


def build(input_topic: str, output_topic: str, name: str) -> Topology:
    """The count by key, tagged with the instance's name."""
    string = Serdes.String()
    builder = StreamsBuilder()
    (
        builder.stream(input_topic, key_serde=string, value_serde=string)
        .process_values(lambda: Tag(name))
        .group_by_key(key_serde=string, value_serde=string)
        .count(Materialized.as_("counts").with_caching_disabled())
        .to_stream()
        .to(output_topic, key_serde=string, value_serde=Serdes.Long())
    )
    return builder.build()


class Restores:
    """Restore listener: prints each store partition's restored records and duration."""

    def __init__(self) -> None:
        self.started: dict[tuple[str, int], float] = {}

    def on_restore_start(
        self, topic_partition: tuple[str, int], store_name: str, start: int, end: int
    ) -> None:
        self.started[topic_partition] = time.monotonic()

    def on_batch_restored(
        self, topic_partition: tuple[str, int], store_name: str, end: int, n: int
    ) -> None:
        pass

    def on_restore_end(self, topic_partition: tuple[str, int], store_name: str, total: int) -> None:
        began = self.started.pop(topic_partition, time.monotonic())
        print(
            f"RESTORED {store_name} {topic_partition[1]} {total} {time.monotonic() - began:.3f}",
            flush=True,
        )

    def on_restore_suspended(
        self, topic_partition: tuple[str, int], store_name: str, total: int
    ) -> None:
        self.started.pop(topic_partition, None)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    for positional in ("bootstrap", "app_id", "state_dir", "input", "output"):
        p.add_argument(positional)
    p.add_argument("--name", required=True)
    p.add_argument("--guarantee", default="at_least_once")
    p.add_argument("--group-protocol", default="consumer")
    p.add_argument("--standbys", type=int, default=0)
    p.add_argument("--commit-interval-ms", type=int, default=None)
    p.add_argument("--session-timeout-ms", type=int, default=None, help="classic protocol only")
    args = p.parse_args()
    logging.basicConfig(
        level=logging.WARNING, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s"
    )
    logging.getLogger("kstreams").setLevel(logging.INFO)
    logging.getLogger("kstreams.client").setLevel(logging.WARNING)
    config: dict[str, object] = {
        "application.id": args.app_id,
        "bootstrap.servers": args.bootstrap,
        "processing.guarantee": args.guarantee,
        "state.dir": args.state_dir,
        "group.protocol": args.group_protocol,
        "num.standby.replicas": args.standbys,
    }
    if args.session_timeout_ms is not None:
        config["session.timeout.ms"] = args.session_timeout_ms
    if args.commit_interval_ms is not None:
        config["commit.interval.ms"] = args.commit_interval_ms
    try:
        streams = KafkaStreams(build(args.input, args.output, args.name), config)
    except ConfigError as exc:
        print(f"REFUSED {exc}", flush=True)
        return EXIT_REFUSED
    streams.set_state_listener(
        lambda new, _old: print(f"STATE {new.name} {time.time():.3f}", flush=True)
    )
    streams.set_global_state_restore_listener(Restores())
    streams.start()
    ended = (KafkaStreams.State.ERROR, KafkaStreams.State.NOT_RUNNING)
    wait_for_shutdown_signal(until=lambda: bool(STOPPED) or streams.state in ended)
    streams.close()
    return 1 if streams.state is KafkaStreams.State.ERROR else 0


if __name__ == "__main__":
    sys.exit(main())
