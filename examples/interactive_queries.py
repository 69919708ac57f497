"""Word counts served over HTTP by every instance: interactive queries across instances.

Each instance runs the word count of ``word_count.py`` with ``application.server`` set to its
own ``host:port`` and an :class:`~kstreams.interactive.InteractiveQueryServer` on that port.
Ask any instance for any word: it answers from its own store when it hosts the word's
partition, and forwards to the instance that does otherwise::

    # two instances of one application, each with its own state directory and port
    python examples/interactive_queries.py --port 7070 &
    python examples/interactive_queries.py --port 7071 &

    curl localhost:7070/stores/counts/kafka    # {"store": "counts", "key": "kafka", "value": 3, ...}
    curl localhost:7071/stores/counts/kafka    # the same answer, forwarded if need be
    curl localhost:7070/stores/counts          # every word, gathered from both instances
    curl localhost:7070/metadata               # which instance hosts which partitions
    curl localhost:7070/metadata/counts/kafka  # where "kafka" lives (query_metadata_for_key)

While a rebalance moves a word's partition, a request gets ``503`` with ``Retry-After: 1``.

``--demo`` runs two instances in this process against ``--bootstrap-servers`` (or
``KSTREAMS_BOOTSTRAP_SERVERS``) on fresh topics, counts a few lines, asks both instances for
every word over HTTP, prints the answers and exits (status 1 on a wrong answer).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from word_count import INPUT, OUTPUT, build_topology, config, words

from kstreams import KafkaStreams, wait_for_shutdown_signal
from kstreams.interactive import InteractiveQueryServer

STORE = "counts"


def start_instance(
    bootstrap_servers: str,
    application_id: str,
    host: str,
    port: int,
    state_dir: str,
    input_topic: str = INPUT,
    output_topic: str = OUTPUT,
) -> tuple[KafkaStreams, InteractiveQueryServer]:
    """Start one instance and its HTTP server (``application.server`` = ``host:port``)."""
    settings = config(bootstrap_servers, application_id)
    settings["application.server"] = f"{host}:{port}"
    settings["state.dir"] = state_dir
    streams = KafkaStreams(build_topology(input_topic, output_topic), settings)
    streams.start()
    server = InteractiveQueryServer(streams).start()
    return streams, server


def ask(endpoint: str, word: str, timeout: float = 60.0) -> int:
    """The count of ``word`` from the instance at ``endpoint`` (0 while it has none; retries
    while it says 503)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"http://{endpoint}/stores/{STORE}/{word}") as resp:
                return int(json.loads(resp.read())["value"])
        except urllib.error.HTTPError as exc:
            if exc.code == 404 and json.loads(exc.read()).get("error") == "not_found":
                return 0  # not counted (yet)
            if exc.code != 503 or time.monotonic() > deadline:
                raise
            time.sleep(float(exc.headers.get("Retry-After", "1")) / 4)


def demo(bootstrap_servers: str) -> int:
    """Two instances, a few lines, every word asked of both; 0 if every answer is right."""
    from confluent_kafka import Producer

    from kstreams.testing import create_topic
    from kstreams.testing.kafka_admin import admin_client

    suffix = uuid.uuid4().hex[:8]
    src, dst = f"iq-demo-lines-{suffix}", f"iq-demo-counts-{suffix}"
    for topic in (src, dst):
        create_topic(bootstrap_servers, topic, partitions=4)
    lines = ["the quick brown fox", "jumps over the lazy dog", "the dog sleeps", "kafka streams"]
    expected: dict[str, int] = {}
    for line in lines:
        for w in words(line):
            expected[w] = expected.get(w, 0) + 1
    instances = []
    with tempfile.TemporaryDirectory() as state:
        try:
            for i in range(2):
                with socket.socket() as s:  # a free port for each instance
                    s.bind(("127.0.0.1", 0))
                    port = s.getsockname()[1]
                instances.append(
                    start_instance(
                        bootstrap_servers,
                        f"iq-demo-{suffix}",
                        "127.0.0.1",
                        port,
                        os.path.join(state, str(i)),
                        src,
                        dst,
                    )
                )
            producer = Producer({"bootstrap.servers": bootstrap_servers})
            for i, line in enumerate(lines):
                producer.produce(src, key=str(i), value=line)
            producer.flush(10)
            for streams, _ in instances:
                streams.wait_until_running(60)
            wrong = 0
            for w, count in sorted(expected.items()):
                answers = []
                deadline = time.monotonic() + 60
                for streams, _ in instances:
                    endpoint = streams.host_info.endpoint
                    got = ask(endpoint, w)
                    while got != count and time.monotonic() < deadline:  # still counting
                        time.sleep(0.2)
                        got = ask(endpoint, w)
                    answers.append(f"{endpoint}={got}")
                    wrong += got != count
                owner = instances[0][0].query_metadata_for_key(STORE, w).active_host
                print(f"{w:8} {count}  hosted by {owner}  answers: {', '.join(answers)}")
            print("Every instance answered every word." if not wrong else f"{wrong} WRONG answers")
            return 1 if wrong else 0
        finally:
            for streams, server in instances:
                server.close()
                streams.close(60)
            admin = admin_client(bootstrap_servers)
            app = f"iq-demo-{suffix}-"
            ours = [t for t in admin.list_topics(timeout=10).topics if t.startswith(app)]
            admin.delete_topics([src, dst, *ours])


def main() -> None:
    """Serve until Ctrl-C (or run the demo)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--bootstrap-servers",
        default=os.environ.get("KSTREAMS_BOOTSTRAP_SERVERS", "127.0.0.1:9092"),
    )
    parser.add_argument("--application-id", default="word-count")
    parser.add_argument("--host", default="localhost", help="this instance's host for others")
    parser.add_argument("--port", type=int, default=7070)
    parser.add_argument("--state-dir", default=None, help="default: a directory per port")
    parser.add_argument("--demo", action="store_true", help="two instances, then exit")
    args = parser.parse_args()
    if args.demo:
        sys.exit(demo(args.bootstrap_servers))
    state_dir = args.state_dir or os.path.join(tempfile.gettempdir(), f"kstreams-{args.port}")
    streams, server = start_instance(
        args.bootstrap_servers, args.application_id, args.host, args.port, state_dir
    )
    print(f"serving http://{args.host}:{args.port}/stores/{STORE}/<word>", flush=True)
    try:
        wait_for_shutdown_signal()  # SIGTERM or Ctrl-C; leaving the block closes
    finally:
        server.close()
        streams.close(60)


if __name__ == "__main__":
    main()
