"""Window and session stores through the Processor API, both engines: what every query returns
(bounds, Java's order per engine, backward variants), retain-duplicates mode, expiry by the
store's stream time, and the changelog records byte for byte (Java's key layout).

Each processor writes the record into its store, then forwards the answers of a fixed set of
queries as text (``key@start/end=value`` entries joined by ``,``). Java twins: the methods of
``WindowStoreScenarios.java`` named after the scenarios in camelCase.
"""

from __future__ import annotations

from typing import Any

from kstreams import Processor, Record, Serdes, StreamsBuilder
from kstreams.state import Stores
from kstreams.windows.window import SessionWindow, Windowed

from ..harness import pipes
from .common import S, js, scenario

JAVA = "WindowStoreScenarios"
MAX = (1 << 63) - 1
RETENTION = 300_000
"""5 minutes: RocksDB segments of 150 s, so the records below span three segments."""
BYTES = ("ByteArray", "ByteArray")

# keys whose bytes are prefixes of each other ("a", "ab"), three segments, a late record, and
# stream time 300_010 at the end: windows starting at or before 10 have expired by then
RECORDS = [
    ("b", "1", 5),
    ("a", "2", 150_005),
    ("ab", "3", 20),
    ("a", "4", 7),
    ("c", "5", 151_000),
    ("a", "6", 300_010),
    ("b", "7", 30),
    ("ab", "8", 3),
]


def _windows(entries: Any) -> str:
    return ",".join(f"{w.key}@{w.window.start}/{w.window.end}={v}" for w, v in entries)


def _times(entries: Any) -> str:
    return ",".join(f"{t}={v}" for t, v in entries)


class WindowQueries(Processor):
    """Puts ``value`` at the record's 10 ms window in store "w" (and twice in "dups"), then
    forwards the answers of every window-store query."""

    def init(self, context: Any) -> None:
        super().init(context)
        self.w = context.get_state_store("w")
        self.dups = context.get_state_store("dups")

    def process(self, record: Record) -> None:
        key, ts = record.key, record.timestamp
        start = ts - ts % 10
        self.w.put(key, record.value, start)
        self.dups.put(key, record.value, start)
        self.dups.put(key, record.value + "'", start)
        w, fwd = self.w, self.context.forward
        answers = [
            ("get", js(w.fetch(key, start))),
            ("range", _times(w.fetch_range(key, 0, MAX))),
            ("back_range", _times(w.backward_fetch_range(key, 0, MAX))),
            ("keys", _windows(w.fetch_keys("a", "b", 0, MAX))),
            ("back_keys", _windows(w.backward_fetch_keys("a", "b", 0, MAX))),
            ("all", _windows(w.all())),
            ("back_all", _windows(w.backward_all())),
            ("fetch_all", _windows(w.fetch_all(20, 151_000))),
            ("back_fetch_all", _windows(w.backward_fetch_all(20, 151_000))),
            ("dups", _times(self.dups.fetch_range(key, start, start))),
            ("dups_all", _windows(self.dups.all())),
        ]
        for name, answer in answers:
            fwd(Record(f"{key}:{name}", answer, ts))


def _window_topology(b: StreamsBuilder, in_memory: bool) -> None:
    def supplier(name: str, dups: bool) -> Any:
        if in_memory:
            return Stores.in_memory_window_store(name, RETENTION, 10, dups)
        return Stores.persistent_window_store(name, RETENTION, 10, dups)

    for name, dups in (("w", False), ("dups", True)):
        b.add_state_store(
            Stores.window_store_builder(supplier(name, dups), Serdes.String(), Serdes.String())
        )
    b.stream("in").process(WindowQueries, "w", "dups").to("out")


@scenario(
    inputs={"in": S},
    steps=pipes("in", RECORDS),
    outputs={"out": S, "app-w-changelog": BYTES, "app-dups-changelog": BYTES},
    java_class=JAVA,
)
def rocksdb_window_store_queries(b: StreamsBuilder) -> None:
    _window_topology(b, in_memory=False)


@scenario(
    inputs={"in": S},
    steps=pipes("in", RECORDS),
    outputs={"out": S, "app-w-changelog": BYTES, "app-dups-changelog": BYTES},
    java_class=JAVA,
)
def in_memory_window_store_queries(b: StreamsBuilder) -> None:
    _window_topology(b, in_memory=True)


# sessions [ts, ts + 10 * value]: overlapping ones, three segments, a removal (value "0")
SESSIONS = [
    ("b", "1", 5),
    ("a", "2", 150_005),
    ("ab", "3", 20),
    ("a", "1", 7),
    ("c", "5", 151_000),
    ("a", "0", 150_005),
    ("a", "4", 300_010),
    ("b", "2", 30),
]


class SessionQueries(Processor):
    """Puts the session ``[ts, ts + 10 * value]`` (value 0: removes ``[ts, ts + 20]``) in store
    "s", then forwards the answers of every session-store query."""

    def init(self, context: Any) -> None:
        super().init(context)
        self.s = context.get_state_store("s")

    def process(self, record: Record) -> None:
        key, ts, n = record.key, record.timestamp, int(record.value)
        s, fwd = self.s, self.context.forward
        if n == 0:
            s.remove(Windowed(key, SessionWindow(ts, ts + 20)))
        else:
            s.put(Windowed(key, SessionWindow(ts, ts + 10 * n)), n)
        answers = [
            ("get", js(s.fetch_session(key, ts, ts + 10 * n))),
            ("find", _windows(s.find_sessions(key, 20, 150_010))),
            ("back_find", _windows(s.backward_find_sessions(key, 20, 150_010))),
            ("find_keys", _windows(s.find_sessions_range("a", "b", 0, MAX))),
            ("back_find_keys", _windows(s.backward_find_sessions_range("a", "b", 0, MAX))),
            ("fetch", _windows(s.fetch(key))),
            ("back_fetch", _windows(s.backward_fetch(key))),
            ("fetch_keys", _windows(s.fetch_range("a", "c"))),
            ("back_fetch_keys", _windows(s.backward_fetch_range("a", "c"))),
        ]
        for name, answer in answers:
            fwd(Record(f"{key}:{name}", answer, ts))


def _session_topology(b: StreamsBuilder, in_memory: bool) -> None:
    supplier = (
        Stores.in_memory_session_store("s", RETENTION)
        if in_memory
        else Stores.persistent_session_store("s", RETENTION)
    )
    b.add_state_store(Stores.session_store_builder(supplier, Serdes.String(), Serdes.Long()))
    b.stream("in").process(SessionQueries, "s").to("out")


@scenario(
    inputs={"in": S},
    steps=pipes("in", SESSIONS),
    outputs={"out": S, "app-s-changelog": BYTES},
    java_class=JAVA,
)
def rocksdb_session_store_queries(b: StreamsBuilder) -> None:
    _session_topology(b, in_memory=False)


@scenario(
    inputs={"in": S},
    steps=pipes("in", SESSIONS),
    outputs={"out": S, "app-s-changelog": BYTES},
    java_class=JAVA,
)
def in_memory_session_store_queries(b: StreamsBuilder) -> None:
    _session_topology(b, in_memory=True)
