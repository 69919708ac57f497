"""A stream-table join with a grace period, run as a separate process by ``test_stream_table_join_broker.py`` (so it can be SIGKILLed).

    python stream_table_join_app.py BOOTSTRAP APPLICATION_ID TRADES PRICES OUTPUT STATE_DIR

TRADES joined with PRICES, a versioned table (one hour of history), with a grace period of
two seconds: each trade waits until stream time passes its timestamp + 2 s, then joins the
price valid at its timestamp; OUTPUT gets ``<trade>@<price>`` under the trade's key.

Runs under exactly_once_v2 and prints ``STATE <new> <old>`` on every state change and
``CLOSED <True|False> <state>`` after SIGTERM made it close.
"""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/integration: app_signals

from app_signals import close_and_report, stop_event

from kstreams import Joined, KafkaStreams, Materialized, Serdes, Stores, StreamsBuilder, Topology
from kstreams.dsl.stream_table_join import join_table

GRACE = timedelta(seconds=2)


def topology(trades: str, prices: str, output: str) -> Topology:
    b = StreamsBuilder()
    stream = b.stream(trades)
    table = b.table(
        prices,
        Materialized.as_(Stores.persistent_versioned_key_value_store("prices", timedelta(hours=1))),
    )
    joined = Joined.with_(Serdes.String(), Serdes.String(), Serdes.String(), "priced", GRACE)
    join_table(stream, table, lambda t, p: f"{t}@{p}", joined, left=False).to(output)
    return b.build()


def main() -> int:
    parser = argparse.ArgumentParser()
    for name in ("bootstrap", "application_id", "trades", "prices", "output", "state_dir"):
        parser.add_argument(name)
    args = parser.parse_args()
    logging.basicConfig(
        level=logging.INFO, stream=sys.stdout, format="%(asctime)s %(name)s %(message)s"
    )
    logging.getLogger("kstreams.client").setLevel(logging.WARNING)

    stop = stop_event()  # SIGTERM / SIGINT set it; SIGUSR1 prints every thread's stack
    config = {
        "application.id": args.application_id,
        "bootstrap.servers": args.bootstrap,
        "processing.guarantee": "exactly_once_v2",
        "state.dir": args.state_dir,
        "commit.interval.ms": 200,
        "poll.ms": 50,
        "session.timeout.ms": 6000,
        "heartbeat.interval.ms": 1000,
        "default.key.serde": Serdes.String,
        "default.value.serde": Serdes.String,
    }
    streams = KafkaStreams(topology(args.trades, args.prices, args.output), config)

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
    return 0 if closed and streams.state is KafkaStreams.State.NOT_RUNNING else 1


if __name__ == "__main__":
    sys.exit(main())
