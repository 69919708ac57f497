"""A windowed count run as a separate process by ``test_stream_time_restart.py`` (so it can be SIGKILLed).

    python stream_time_app.py BOOTSTRAP APPLICATION_ID INPUT OUTPUT STATE_DIR GUARANTEE MODE

INPUT's records counted per key in 10-second tumbling windows with 5 seconds of grace, in the
window store ``counts``. MODE ``eager``: every update goes to OUTPUT; MODE ``on-close``:
``EmitStrategy.on_window_close()`` (store retention one hour, emit interval 0 ms), each window
once when it closes. OUTPUT gets ``<key>@<window start>`` -> count (Long).

Prints ``STATE <new> <old>`` on every state change and, after SIGTERM made it close,
``METRICS <json>`` and ``CLOSED <True|False> <state>``.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/integration: app_signals

from app_signals import close_and_report, stop_event

from kstreams import (
    EmitStrategy,
    KafkaStreams,
    Materialized,
    Serdes,
    StreamsBuilder,
    TimeWindows,
    Topology,
)


def topology(src: str, dst: str, mode: str) -> Topology:
    b = StreamsBuilder()
    windowed = (
        b.stream(src)
        .group_by_key()
        .windowed_by(TimeWindows.of_size_and_grace(timedelta(seconds=10), timedelta(seconds=5)))
    )
    materialized = Materialized.as_("counts")
    if mode == "on-close":
        windowed = windowed.emit_strategy(EmitStrategy.on_window_close())
        materialized = materialized.with_retention(timedelta(hours=1))
    (
        windowed.count(materialized)
        .to_stream()
        .map(lambda wk, n: (f"{wk.key}@{wk.window.start}", n))
        .to(dst, key_serde=Serdes.String(), value_serde=Serdes.Long())
    )
    return b.build()


def main() -> int:
    parser = argparse.ArgumentParser()
    for name in ("bootstrap", "application_id", "input", "output", "state_dir"):
        parser.add_argument(name)
    parser.add_argument("guarantee", choices=["at_least_once", "exactly_once_v2"])
    parser.add_argument("mode", choices=["eager", "on-close"])
    args = parser.parse_args()
    logging.basicConfig(
        level=logging.INFO, stream=sys.stdout, format="%(asctime)s %(name)s %(message)s"
    )
    logging.getLogger("kstreams.client").setLevel(logging.WARNING)

    stop = stop_event()  # SIGTERM / SIGINT set it; SIGUSR1 prints every thread's stack
    config = {
        "application.id": args.application_id,
        "bootstrap.servers": args.bootstrap,
        "processing.guarantee": args.guarantee,
        "state.dir": args.state_dir,
        "commit.interval.ms": 100,
        "poll.ms": 50,
        "session.timeout.ms": 6000,
        "heartbeat.interval.ms": 1000,
        "statestore.cache.max.bytes": 0,
        "default.key.serde": Serdes.String,
        "default.value.serde": Serdes.String,
        "__emit.interval.ms.kstreams.windowed.aggregation__": 0,
    }
    streams = KafkaStreams(topology(args.input, args.output, args.mode), config)

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
        metrics = streams.metrics()
        print(f"METRICS {json.dumps(metrics)}", flush=True)
        closed = close_and_report(streams)
    return 0 if closed and streams.state is KafkaStreams.State.NOT_RUNNING else 1


if __name__ == "__main__":
    sys.exit(main())
