"""Account balances from two cogrouped topics, run as a separate process by ``test_cogroup_broker.py`` (so it can be SIGKILLed).

    python cogroup_app.py BOOTSTRAP APPLICATION_ID DEPOSITS WITHDRAWALS OUTPUT STATE_DIR

DEPOSITS and WITHDRAWALS (amounts as strings, keyed by account) are cogrouped into one balance
per account, a JSON object ``{"deposits": n, "withdrawals": n, "total": sum}`` kept in one
uncached store (``balances``); OUTPUT gets every update. The aggregators mutate the balance
they are given, as Python code does.

Runs under exactly_once_v2 and prints ``STATE <new> <old>`` on every state change and
``CLOSED <True|False> <state>`` after SIGTERM made it close.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/integration: app_signals

from app_signals import close_and_report, stop_event

from kstreams import KafkaStreams, Materialized, Serdes, StreamsBuilder, Topology
from kstreams.serde import JsonSerde


def topology(deposits: str, withdrawals: str, output: str) -> Topology:
    """The balances topology (the in-process broker test builds it too)."""

    def deposit(account: str, amount: str, balance: dict[str, int]) -> dict[str, int]:
        balance["deposits"] += 1
        balance["total"] += int(amount)
        return balance

    def withdraw(account: str, amount: str, balance: dict[str, int]) -> dict[str, int]:
        balance["withdrawals"] += 1
        balance["total"] -= int(amount)
        return balance

    b = StreamsBuilder()
    (
        b.stream(deposits)
        .group_by_key()
        .cogroup(deposit)
        .cogroup(b.stream(withdrawals).group_by_key(), withdraw)
        .aggregate(
            lambda: {"deposits": 0, "withdrawals": 0, "total": 0},
            Materialized.as_("balances").with_value_serde(JsonSerde()).with_caching_disabled(),
        )
        .to_stream()
        .to(output, value_serde=JsonSerde())
    )
    return b.build()


def main() -> int:
    parser = argparse.ArgumentParser()
    for name in ("bootstrap", "application_id", "deposits", "withdrawals", "output", "state_dir"):
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
    streams = KafkaStreams(topology(args.deposits, args.withdrawals, args.output), config)

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
