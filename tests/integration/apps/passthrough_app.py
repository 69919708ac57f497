"""A pass-through kstreams app run as a separate process by the multi-instance tests.

    python passthrough_app.py BOOTSTRAP APPLICATION_ID INPUT OUTPUT [--commit-interval-ms N]

Copies every record of INPUT to OUTPUT (String keys and values), adding a header
``instance`` with this process's client id. Prints, one per line and flushed:

* ``CLIENT_ID <client id>`` at start;
* ``STATE <new> <old>`` on every state change of the client;
* ``CLOSED <True|False> <final state>`` after SIGTERM/SIGINT made it close.

Exit code 0 after a clean close, 1 if the client ended in ERROR or did not close in time.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/integration: app_signals

from app_signals import close_and_report, stop_event

from kstreams import FixedKeyProcessor, KafkaStreams, Serdes, StreamsBuilder


class TagInstance(FixedKeyProcessor):
    """Adds the header ``instance: <client id>`` to every record."""

    def __init__(self, instance: str) -> None:
        self.instance = instance.encode()

    def process(self, record):  # type: ignore[no-untyped-def]
        headers = [*(record.headers or ()), ("instance", self.instance)]
        self.context.forward(record.with_headers(headers))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("bootstrap")
    parser.add_argument("application_id")
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--commit-interval-ms", type=int, default=200)
    args = parser.parse_args()

    logging.basicConfig(
        level=logging.INFO, stream=sys.stdout, format="%(asctime)s %(name)s %(message)s"
    )
    logging.getLogger("kstreams.client").setLevel(logging.WARNING)

    stop = stop_event()  # SIGTERM / SIGINT set it; SIGUSR1 prints every thread's stack

    builder = StreamsBuilder()
    client_id: list[str] = []
    (
        builder.stream(args.input, key_serde=Serdes.String(), value_serde=Serdes.String())
        .process_values(lambda: TagInstance(client_id[0]))
        .to(args.output)
    )
    streams = KafkaStreams(
        builder.build(),
        {
            "application.id": args.application_id,
            "bootstrap.servers": args.bootstrap,
            "default.key.serde": Serdes.String,
            "default.value.serde": Serdes.String,
            "commit.interval.ms": args.commit_interval_ms,
            "poll.ms": 50,
        },
    )
    client_id.append(streams.client_id)
    print(f"CLIENT_ID {streams.client_id}", flush=True)

    def on_state(new: KafkaStreams.State, old: KafkaStreams.State) -> None:
        print(f"STATE {new.value} {old.value}", flush=True)
        if new in (KafkaStreams.State.ERROR, KafkaStreams.State.PENDING_ERROR):
            stop.set()

    streams.set_state_listener(on_state)
    streams.start()
    try:
        while not stop.wait(0.2):
            pass
    finally:
        closed = close_and_report(streams)
    ok = closed and streams.state is KafkaStreams.State.NOT_RUNNING
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
