"""What every Python contender shares: its command line, the word splitter, the passthrough map.

Standard library only: this module is imported by contenders running in other virtual
environments (Quix Streams', Faust's), which have no kstreams installed.

Every contender is started by ``bench/run.py`` as::

    python <contender>.py --bootstrap HOST:PORT
        --workload passthrough|wordcount|windowed-tumbling|windowed-hopping
                   |stream-table|stream-stream
        --guarantee at_least_once|exactly_once_v2 --input TOPIC --output TOPIC
        --app-id ID --state-dir DIR --commit-interval-ms N [--other-input TOPIC]

runs until SIGTERM/SIGINT, then closes cleanly and exits 0. ``--other-input`` is the join
workloads' second input: the table (stream-table) or the payments (stream-stream).
"""

from __future__ import annotations

import argparse
import re
import signal
import struct
import time
from typing import Any

WORD = re.compile(r"\W+")
"""Words are separated by non-word characters (Java: ``\\W+``); all contenders split alike."""


def words(line: str) -> list[str]:
    """The lower-cased words of ``line`` (as ``examples/word_count.py``)."""
    return [w for w in WORD.split(line.lower()) if w]


WORKLOADS = (
    "passthrough",
    "wordcount",
    "windowed-tumbling",
    "windowed-hopping",
    "stream-table",
    "stream-stream",
)
WINDOW_SIZE_MS = 60_000
WINDOW_ADVANCE_MS = {"windowed-tumbling": 60_000, "windowed-hopping": 10_000}
"""The windowed workloads' windows: 1 minute, tumbling or hopping by 10 s (as bench/data.py)."""
JOIN_WINDOW_MS = 60_000
"""The stream-stream workload's join window: 1 minute either way, no grace (as bench/data.py)."""
_LONG = struct.Struct(">q")


def windowed_key(key: bytes, start_ms: int) -> bytes:
    """A time-windowed key as Kafka Streams' ``TimeWindowedSerializer`` writes it: the key's
    bytes, then the window start as an 8-byte big-endian long."""
    return key + _LONG.pack(start_ms)


def window_starts(ts: int, size_ms: int, advance_ms: int) -> range:
    """The starts of the time windows holding ``ts`` (Kafka Streams' ``TimeWindows.windowsFor``:
    multiples of the advance, never negative), oldest first."""
    last = ts - ts % advance_ms
    return range(max(last - size_ms + advance_ms, 0), last + 1, advance_ms)


def passthrough(value: dict[str, Any]) -> dict[str, Any]:
    """The passthrough workload's ``map_values``: mark the event as seen."""
    value["ok"] = True
    return value


def enrich(event: dict[str, Any], customer: dict[str, Any] | None) -> dict[str, Any]:
    """The stream-table workload's joiner: the event with its customer (None: unknown)."""
    return {**event, "customer": customer}


def paid(order: dict[str, Any], payment: dict[str, Any]) -> dict[str, Any]:
    """The stream-stream workload's joiner: the order with its payment."""
    return {**order, "payment": payment}


def parse_args(description: str, *, repartition: bool = False) -> argparse.Namespace:
    """The command line every contender takes (``repartition``: and the ceiling's
    ``--repartition``)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--workload", choices=WORKLOADS, required=True)
    parser.add_argument(
        "--guarantee", choices=("at_least_once", "exactly_once_v2"), default="at_least_once"
    )
    parser.add_argument("--input", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--other-input", help="join workloads: the table / the payments topic")
    parser.add_argument("--app-id", required=True)
    parser.add_argument("--state-dir", required=True)
    parser.add_argument("--commit-interval-ms", type=int, default=1000)
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument(
        "--exit-when-running",
        action="store_true",
        help="stop as soon as the app is up (after restoration); for the restore measurement",
    )
    if repartition:
        parser.add_argument(
            "--repartition",
            action="store_true",
            help="wordcount: through a repartition topic, with a changelog (the floor of its shape)",
        )
    return parser.parse_args()


class StopFlag:
    """Set by SIGTERM / SIGINT (or :meth:`set`). A plain flag, not a ``threading.Event``: a
    signal handler that calls ``Event.set()`` can deadlock on the event's lock when the signal
    lands inside the main thread's ``Event.wait`` (see ``kstreams/signals.py``)."""

    def __init__(self) -> None:
        self._set = False

    def set(self) -> None:
        self._set = True

    def is_set(self) -> bool:
        return self._set

    def wait(self, timeout: float | None = None) -> bool:
        """Sleep in short steps until set (or ``timeout`` passed); whether it is set."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._set:
            left = 0.05 if deadline is None else min(0.05, deadline - time.monotonic())
            if left <= 0:
                break
            time.sleep(left)
        return self._set


def stop_event() -> StopFlag:
    """A flag set by SIGTERM or SIGINT."""
    stop = StopFlag()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    return stop
