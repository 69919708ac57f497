"""Aggregations forward old values only when a downstream operator asks (Java's
``enableSendingOldValues``), and then neither they nor their record caches read them.

A recording processor hung under each aggregation of a built topology sees the ``Change`` s
it forwards: ``Change(new, None)`` when only ``to_stream`` follows, the real old value
once ``filter`` / ``group_by`` / ``suppress`` asked, with the record cache on and off.
Counting the gets of the bytes stores shows what the flag saves: no store read per
flushed key or window.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from kstreams import (
    Materialized,
    Serdes,
    SessionWindows,
    SlidingWindows,
    StreamsBuilder,
    TimeWindows,
)
from kstreams.dsl.ktable import KTable
from kstreams.dsl.suppressed import BufferConfig, Suppressed
from kstreams.processor.change import Change
from kstreams.processor.compiled import CompiledProcessor
from kstreams.processor.context import Forward, ProcessorContext
from kstreams.serde.base import Headers
from kstreams.state.buffered import BufferedBytesStore
from kstreams.state.window_buffered import BufferedSegmentedStore
from kstreams.testing import TopologyTestDriver

S, L, J = Serdes.String(), Serdes.Long(), Serdes.JSON()
CONFIG = {
    "application.id": "app",
    "default.key.serde": Serdes.String,
    "default.value.serde": Serdes.String,
}


class Recorder(CompiledProcessor):
    """Appends ``(key, new, old)`` of every Change it gets to ``seen``."""

    def __init__(self, seen: list[tuple[Any, Any, Any]]) -> None:
        self.seen = seen

    def compile(self, context: ProcessorContext) -> Forward:
        seen = self.seen

        def record(key: Any, change: Change, ts: int, headers: Headers) -> None:
            seen.append((key, change.new_value, change.old_value))

        return record


def run(
    build: Callable[[StreamsBuilder], KTable],
    records: list[tuple[str, Any, int]],
    need_old: Callable[[KTable], Any] | None,
    value_serde: Any = S,
) -> list[tuple[Any, Any, Any]]:
    """Build ``build``'s table (``need_old``: the downstream operator that asks for old
    values), pipe ``records`` and return what the aggregation forwarded."""
    builder = StreamsBuilder()
    table = build(builder)
    if need_old is not None:
        need_old(table)
    topology = builder.build()
    seen: list[tuple[Any, Any, Any]] = []
    topology.add_processor("RECORDER", lambda: Recorder(seen), table.name)
    with TopologyTestDriver(topology, CONFIG) as driver:
        inp = driver.create_input_topic("in", S, value_serde)
        for key, value, ts in records:
            inp.pipe_input(key, value, ts)
    return seen


def materialized(cached: bool) -> Materialized:
    m = Materialized.as_("agg")
    return m if cached else m.with_caching_disabled()


RECORDS = [("a", "1", 0), ("a", "2", 1), ("b", "3", 2), ("a", "4", 3)]

NEEDS = {
    "filter": lambda t: t.filter(lambda k, v: True),
    "suppress": lambda t: t.suppress(
        Suppressed.until_time_limit(0, BufferConfig.unbounded())
    ).to_stream(),
}


@pytest.fixture(params=[True, False], ids=["cached", "uncached"])
def cached(request: Any) -> bool:
    return request.param  # type: ignore[no-any-return]


def test_stream_count_forwards_no_old_values_without_a_downstream_need(cached: bool) -> None:
    seen = run(lambda b: b.stream("in").group_by_key().count(materialized(cached)), RECORDS, None)
    assert seen == [("a", 1, None), ("a", 2, None), ("b", 1, None), ("a", 3, None)]


@pytest.mark.parametrize("need", sorted(NEEDS))
def test_stream_count_forwards_old_values_a_downstream_operator_asks_for(
    cached: bool, need: str
) -> None:
    seen = run(
        lambda b: b.stream("in").group_by_key().count(materialized(cached)), RECORDS, NEEDS[need]
    )
    assert seen == [("a", 1, None), ("a", 2, 1), ("b", 1, None), ("a", 3, 2)]


def test_reduce_and_table_count_follow_the_flag(cached: bool) -> None:
    def reduce(b: StreamsBuilder) -> KTable:
        return b.stream("in").group_by_key().reduce(lambda a, v: a + v, materialized(cached))

    assert run(reduce, RECORDS, None) == [
        ("a", "1", None),
        ("a", "12", None),
        ("b", "3", None),
        ("a", "124", None),
    ]
    assert run(reduce, RECORDS, NEEDS["filter"]) == [
        ("a", "1", None),
        ("a", "12", "1"),
        ("b", "3", None),
        ("a", "124", "12"),
    ]

    def per_value(b: StreamsBuilder) -> KTable:
        # a KGroupedTable aggregation (Java's KTableAggregate has the flag too)
        latest = b.stream("in").to_table()
        return latest.group_by(lambda k, v: (str(int(v) % 2), k)).count(materialized(cached))

    # a "1" is odd, then moves to even ("2"): odd 1 -> 0, even 0 -> 1; b "3" odd 0 -> 1;
    # a "4" stays even: one Change to its group (KIP-904), 1 -> 1
    assert run(per_value, RECORDS, None) == [
        ("1", 1, None),
        ("1", 0, None),
        ("0", 1, None),
        ("1", 1, None),
        ("0", 1, None),
    ]
    assert run(per_value, RECORDS, NEEDS["filter"]) == [
        ("1", 1, None),
        ("1", 0, 1),
        ("0", 1, None),
        ("1", 1, 0),
        ("0", 1, 1),
    ]


def test_windowed_counts_follow_the_flag(cached: bool) -> None:
    def hopping(b: StreamsBuilder) -> KTable:
        return (
            b.stream("in")
            .group_by_key()
            .windowed_by(TimeWindows.of_size_with_no_grace(10).advance_by(5))
            .count(materialized(cached))
        )

    rows = [("a", "x", 6), ("a", "y", 7)]
    without = [(k.window.start, new, old) for k, new, old in run(hopping, rows, None)]
    assert without == [(0, 1, None), (5, 1, None), (0, 2, None), (5, 2, None)]
    with_old = [(k.window.start, new, old) for k, new, old in run(hopping, rows, NEEDS["filter"])]
    assert with_old == [(0, 1, None), (5, 1, None), (0, 2, 1), (5, 2, 1)]

    def sliding(b: StreamsBuilder) -> KTable:
        return (
            b.stream("in")
            .group_by_key()
            .windowed_by(SlidingWindows.of_time_difference_with_no_grace(10))
            .count(materialized(cached))
        )

    rows = [("a", "x", 10), ("a", "y", 15), ("a", "z", 12)]
    without = [(k.window.start, new, old) for k, new, old in run(sliding, rows, None)]
    with_old = [(k.window.start, new, old) for k, new, old in run(sliding, rows, NEEDS["filter"])]
    assert [w[:2] for w in without] == [w[:2] for w in with_old]
    assert all(old is None for _, _, old in without)
    assert (5, 3, 2) in with_old  # the window [5, 15] held 2 before the record at 12 joined


def test_session_merges_forward_no_old_values_without_a_downstream_need(cached: bool) -> None:
    def sessions(b: StreamsBuilder) -> KTable:
        return (
            b.stream("in")
            .group_by_key()
            .windowed_by(SessionWindows.of_inactivity_gap_and_grace(5, 100))
            .count(materialized(cached))
        )

    rows = [("a", "x", 0), ("a", "y", 10), ("a", "z", 5)]  # the third bridges both

    def spans(seen: list[Any]) -> list[Any]:
        return [((k.window.start, k.window.end), new, old) for k, new, old in seen]

    assert spans(run(sessions, rows, None)) == [
        ((0, 0), 1, None),
        ((10, 10), 1, None),
        ((0, 0), None, None),
        ((10, 10), None, None),
        ((0, 10), 3, None),
    ]
    assert spans(run(sessions, rows, NEEDS["filter"])) == [
        ((0, 0), 1, None),
        ((10, 10), 1, None),
        ((0, 0), None, 1),
        ((10, 10), None, 1),
        ((0, 10), 3, None),
    ]


def test_mutated_aggregates_give_true_old_values_with_the_flag(cached: bool) -> None:
    """Aggregators that mutate the dict they get and return it: the old value is the one
    before, windowed or not."""

    def add(key: str, value: str, agg: dict[str, Any]) -> dict[str, Any]:
        agg["n"] += 1
        agg["seen"].append(value)
        return agg

    def m() -> Materialized:
        return materialized(cached).with_value_serde(J)

    def plain(b: StreamsBuilder) -> KTable:
        return b.stream("in").group_by_key().aggregate(lambda: {"n": 0, "seen": []}, add, m())

    def windowed(b: StreamsBuilder) -> KTable:
        return (
            b.stream("in")
            .group_by_key()
            .windowed_by(TimeWindows.of_size_with_no_grace(10))
            .aggregate(lambda: {"n": 0, "seen": []}, add, m())
        )

    rows = [("a", "1", 0), ("a", "2", 1)]
    expected = [
        ({"n": 1, "seen": ["1"]}, None),
        ({"n": 2, "seen": ["1", "2"]}, {"n": 1, "seen": ["1"]}),
    ]
    for build in (plain, windowed):
        assert [(new, old) for _, new, old in run(build, rows, NEEDS["filter"])] == expected
        assert [(new, old) for _, new, old in run(build, rows, None)] == [
            (new, None) for new, _ in expected
        ]


@pytest.fixture
def store_gets(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """How many gets the key-value and window bytes stores (under the caches) served."""
    counts = [0]
    for cls in (BufferedBytesStore, BufferedSegmentedStore):
        original = cls.get

        def counting(self: Any, key: bytes, _original: Any = original) -> Any:
            counts[0] += 1
            return _original(self, key)

        monkeypatch.setattr(cls, "get", counting)
    yield counts


def test_cached_flushes_do_not_read_the_store_without_old_values(store_gets: list[int]) -> None:
    """Ten updates of one key and window, a flush (the driver's commit) after each: the
    first read misses the cache (the window cache skips it: the window starts after the
    store's stream time, so the store cannot hold it), then nothing reads the store unless
    old values are sent. Then the window cache reads each flushed window's old value from the
    store (as Java's); the key-value cache only the first time (later it knows the value it
    flushed)."""
    rows = [("a", str(n), n) for n in range(10)]

    def windowed(b: StreamsBuilder) -> KTable:
        return (
            b.stream("in")
            .group_by_key()
            .windowed_by(TimeWindows.of_size_with_no_grace(100))
            .count(materialized(True))
        )

    def plain(b: StreamsBuilder) -> KTable:
        return b.stream("in").group_by_key().count(materialized(True))

    for build, first_reads, reads_with_old in ((windowed, 0, 0 + 10), (plain, 1, 1 + 1)):
        store_gets[0] = 0
        run(build, rows, None)
        assert store_gets[0] == first_reads, build.__name__
        store_gets[0] = 0
        run(build, rows, NEEDS["filter"])
        assert store_gets[0] == reads_with_old, build.__name__


# -- the caches' side: set_flush_listener(listener, send_old_values=False) ------------------


class _Collector:
    def __init__(self) -> None:
        self.records: list[tuple[bytes, bytes | None]] = []

    def send_changelog(
        self, topic: str, key: bytes, value: bytes | None, timestamp: int, partition: int
    ) -> None:
        self.records.append((key, value))


class _Record:
    timestamp = 0
    headers = None
    topic = "in"
    partition = 0
    offset = 0


def commit(store: Any) -> None:
    store.flush_changelog()  # the cache flushes first
    store.commit(0)


def _open(tmp_path: Any, builder: Any) -> tuple[Any, _Collector, list[tuple[Any, Any, Any]]]:
    from kstreams.state import StateStoreContext
    from kstreams.state.caching import ThreadCache, cached_store

    collector, record = _Collector(), _Record()
    store = cached_store(builder.build(), ThreadCache(1 << 20))
    store.init(
        StateStoreContext(
            "0_0",
            "app",
            0,
            str(tmp_path),
            changelog_topic="app-x-changelog",
            collector=collector,
            record_context=record,
            record_timestamp=lambda: record.timestamp,
        )
    )
    flushed: list[tuple[Any, Any, Any]] = []
    assert store.set_flush_listener(lambda k, new, old, ts, h: flushed.append((k, new, old)), False)
    return store, collector, flushed


def test_key_value_cache_without_old_values(tmp_path: Any) -> None:
    from kstreams.state import Stores, ValueAndTimestamp

    builder = Stores.timestamped_key_value_store_builder(
        Stores.in_memory_key_value_store("c"), S, L
    )
    store, collector, flushed = _open(tmp_path, builder)
    store.put("a", ValueAndTimestamp(1, 1))
    commit(store)
    store.put("a", ValueAndTimestamp(2, 2))
    store.put("ghost", None)  # a delete of what is neither cached nor stored
    commit(store)
    store.put("a", None)  # a delete of a stored key: forwarded, with no old value
    commit(store)
    assert flushed == [
        ("a", ValueAndTimestamp(1, 1), None),
        ("a", ValueAndTimestamp(2, 2), None),
        ("a", None, None),
    ]
    assert [k for k, _ in collector.records] == [b"a", b"a", b"a"]  # no tombstone for ghost
    store.close()


def test_window_cache_without_old_values(tmp_path: Any) -> None:
    from kstreams.state import Stores, ValueAndTimestamp

    builder = Stores.timestamped_window_store_builder(
        Stores.in_memory_window_store("w", 1000, 10, False), S, L
    )
    store, collector, flushed = _open(tmp_path, builder)
    store.put("a", ValueAndTimestamp(1, 1), 0)
    commit(store)
    store.put("a", ValueAndTimestamp(2, 2), 0)
    store.put("ghost", None, 0)
    commit(store)
    store.put("a", None, 0)
    commit(store)
    assert [(k.key, k.window.start, new, old) for k, new, old in flushed] == [
        ("a", 0, ValueAndTimestamp(1, 1), None),
        ("a", 0, ValueAndTimestamp(2, 2), None),
        ("a", 0, None, None),
    ]
    assert len(collector.records) == 3  # no tombstone for ghost
    store.close()
