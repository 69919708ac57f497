"""A suppression (or count-window) app run as a separate process by ``test_suppress_eos.py`` (so it can be SIGKILLed).

    python suppress_app.py BOOTSTRAP APPLICATION_ID INPUT OUTPUT STATE_DIR MODE

MODE ``windowed``: INPUT's records counted per key in 1-second tumbling windows (no grace),
suppressed until each window closes; OUTPUT gets ``<key>@<window start>`` -> final count (Long).
MODE ``time-limit``: INPUT read as a table, suppressed for 500 ms of stream time per key;
OUTPUT gets each key's latest value (String).
MODE ``count-windows``: INPUT's records counted per key in tumbling windows of 5 records
(a kstreams extension); OUTPUT gets ``<key>#<first record number>`` -> 5 (Long).

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

from kstreams import KafkaStreams, Serdes, StreamsBuilder, TimeWindows, Topology
from kstreams.dsl.suppressed import BufferConfig, Suppressed
from kstreams.windows.count_windows import CountWindows


def windowed_topology(src: str, dst: str) -> Topology:
    b = StreamsBuilder()
    (
        b.stream(src)
        .group_by_key()
        .windowed_by(TimeWindows.of_size_with_no_grace(timedelta(seconds=1)))
        .count()
        .suppress(Suppressed.until_window_closes(BufferConfig.unbounded()))
        .to_stream()
        .map(lambda wk, n: (f"{wk.key}@{wk.window.start}", n))
        .to(dst, key_serde=Serdes.String(), value_serde=Serdes.Long())
    )
    return b.build()


def time_limit_topology(src: str, dst: str) -> Topology:
    b = StreamsBuilder()
    (
        b.table(src)
        .suppress(
            Suppressed.until_time_limit(timedelta(milliseconds=500), BufferConfig.unbounded())
        )
        .to_stream()
        .to(dst)
    )
    return b.build()


def count_windows_topology(src: str, dst: str) -> Topology:
    b = StreamsBuilder()
    (
        b.stream(src)
        .group_by_key()
        .windowed_by(CountWindows.of(5))
        .count()
        .to_stream()
        .map(lambda wk, n: (f"{wk.key}#{wk.window.first_record}", n))
        .to(dst, key_serde=Serdes.String(), value_serde=Serdes.Long())
    )
    return b.build()


TOPOLOGIES = {
    "windowed": windowed_topology,
    "time-limit": time_limit_topology,
    "count-windows": count_windows_topology,
}


def main() -> int:
    parser = argparse.ArgumentParser()
    for name in ("bootstrap", "application_id", "input", "output", "state_dir"):
        parser.add_argument(name)
    parser.add_argument("mode", choices=sorted(TOPOLOGIES))
    args = parser.parse_args()
    logging.basicConfig(
        level=logging.INFO, stream=sys.stdout, format="%(asctime)s %(name)s %(message)s"
    )
    logging.getLogger("kstreams.client").setLevel(logging.WARNING)

    stop = stop_event()  # SIGTERM / SIGINT set it; SIGUSR1 prints every thread's stack
    build = TOPOLOGIES[args.mode]
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
    streams = KafkaStreams(build(args.input, args.output), config)

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
