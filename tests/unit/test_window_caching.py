"""The record cache of window and session stores, both engines: coalesced forwarding at
flush with the last forwarded value as old value, eviction within the thread's budget,
range reads that see cached writes, immutability of what it hands back and forwards.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kstreams.processor.aggregate import count_aggregator, count_initializer
from kstreams.serde import Serdes
from kstreams.state import StateStoreContext, Stores, ValueAndTimestamp
from kstreams.state.caching import ThreadCache, cached_store
from kstreams.state.window_caching import (
    CachingSessionStore,
    CachingTimestampedWindowStore,
    CachingWindowStore,
)
from kstreams.windows.window import SessionWindow, TimeWindow, Windowed

S, L, J = Serdes.String(), Serdes.Long(), Serdes.JSON()


class Collector:
    def __init__(self) -> None:
        self.records: list[tuple[bytes, bytes | None, int]] = []

    def send_changelog(
        self, topic: str, key: bytes, value: bytes | None, timestamp: int, partition: int
    ) -> None:
        self.records.append((key, value, timestamp))


class RecordContext:
    timestamp = 0
    headers = None
    topic = "in"
    partition = 0
    offset = 0


@pytest.fixture(params=["memory", "rocksdb"])
def engine(request: Any) -> str:
    return request.param  # type: ignore[no-any-return]


def window_supplier(engine: str, dups: bool = False) -> Any:
    if engine == "memory":
        return Stores.in_memory_window_store("w", 1000, 10, dups)
    return Stores.persistent_window_store("w", 1000, 10, dups)


def session_supplier(engine: str) -> Any:
    if engine == "memory":
        return Stores.in_memory_session_store("s", 1000)
    return Stores.persistent_session_store("s", 1000)


def open_cached(
    tmp_path: Path, builder: Any, budget: int = 1 << 20, collector: Collector | None = None
) -> tuple[Any, list[tuple[Any, Any, Any, int]], RecordContext]:
    record = RecordContext()
    store = cached_store(builder.build(), ThreadCache(budget))
    store.init(
        StateStoreContext(
            "0_0",
            "app",
            0,
            str(tmp_path),
            changelog_topic="app-x-changelog",
            collector=collector or Collector(),
            record_context=record,
            record_timestamp=lambda: record.timestamp,
        )
    )
    forwarded: list[tuple[Any, Any, Any, int]] = []
    assert store.set_flush_listener(lambda k, new, old, ts, h: forwarded.append((k, new, old, ts)))
    return store, forwarded, record


def test_updates_of_a_window_reach_downstream_once_per_flush(tmp_path: Path, engine: str) -> None:
    collector = Collector()
    store, forwarded, record = open_cached(
        tmp_path, Stores.window_store_builder(window_supplier(engine), S, L), collector=collector
    )
    assert isinstance(store, CachingWindowStore)
    for n in (1, 2, 3):
        record.timestamp = n
        store.put("a", n, 0)
    assert store.fetch("a", 0) == 3 and forwarded == []
    store.flush_changelog()
    store.commit(1)
    assert forwarded == [(Windowed("a", TimeWindow(0, 10)), 3, None, 3)]
    assert len(collector.records) == 1  # one changelog record per window and commit
    store.put("a", 4, 0)
    store.put("a", None, 10)  # deleting what does not exist forwards nothing
    store.flush_cache()
    assert forwarded[1:] == [(Windowed("a", TimeWindow(0, 10)), 4, 3, 3)]


def test_range_reads_see_cached_writes_without_forwarding(tmp_path: Path, engine: str) -> None:
    store, forwarded, _ = open_cached(
        tmp_path, Stores.window_store_builder(window_supplier(engine), S, L)
    )
    store.put("b", 1, 0)
    store.put("a", 2, 10)
    store.put("a", 3, 0)
    assert list(store.fetch_range("a", 0, 10)) == [(0, 3), (10, 2)]
    assert sorted((w.key, w.window.start) for w, _ in store.all()) == [
        ("a", 0),
        ("a", 10),
        ("b", 0),
    ]
    assert forwarded == []
    store.put("a", 5, 0)
    assert list(store.fetch_range("a", 0, 0)) == [(0, 5)]
    store.flush_cache()
    assert sorted((w.key, w.window.start, new, old) for w, new, old, _ in forwarded) == [
        ("a", 0, 5, None),
        ("a", 10, 2, None),
        ("b", 0, 1, None),
    ]


def test_eviction_flushes_and_forwards_within_the_thread_budget(
    tmp_path: Path, engine: str
) -> None:
    store, forwarded, _ = open_cached(
        tmp_path, Stores.window_store_builder(window_supplier(engine), S, L), budget=2000
    )
    for i in range(20):
        store.put(f"k{i}", i, 0)
    assert forwarded, "the full cache evicted: dirty windows were flushed and forwarded"
    assert store.cached_entries < 20
    store.flush_cache()
    assert sorted(new for _, new, _, _ in forwarded) == list(range(20))
    assert all(store.fetch(f"k{i}", 0) == i for i in range(20))


def test_mutating_values_does_not_change_cached_forwarded_or_logged_ones(
    tmp_path: Path, engine: str
) -> None:
    collector = Collector()
    store, forwarded, _ = open_cached(
        tmp_path,
        Stores.timestamped_window_store_builder(window_supplier(engine), S, J),
        collector=collector,
    )
    assert isinstance(store, CachingTimestampedWindowStore)
    agg = {"n": 1}
    store.put("a", ValueAndTimestamp(agg, 5), 0)
    agg["n"] = 99  # the aggregator mutates its argument afterwards
    got = store.fetch("a", 0)
    assert got == ValueAndTimestamp({"n": 1}, 5)
    got.value["n"] = 7
    store.flush_changelog()
    store.commit(1)
    assert forwarded[0][1] == ValueAndTimestamp({"n": 1}, 5)
    assert J.deserialize("t", collector.records[0][1]) == {"n": 1}
    old = store.fetch("a", 0)
    old.value["n"] += 1
    store.put("a", old, 0)
    store.flush_cache()
    assert forwarded[1][1:3] == (ValueAndTimestamp({"n": 2}, 5), ValueAndTimestamp({"n": 1}, 5))


def test_session_cache_forwards_merges_and_removals(tmp_path: Path, engine: str) -> None:
    store, forwarded, record = open_cached(
        tmp_path, Stores.session_store_builder(session_supplier(engine), S, L)
    )
    assert isinstance(store, CachingSessionStore)
    first = Windowed("a", SessionWindow(0, 0))
    store.put(first, 1)
    store.flush_cache()
    record.timestamp = 5
    merged = Windowed("a", SessionWindow(0, 5))
    assert [w for w, _ in store.find_sessions("a", 0, 5)] == [first]
    store.remove(first)
    store.put(merged, 2)
    assert list(store.find_sessions("a", 0, 5)) == [(merged, 2)]
    assert store.fetch_session("a", 0, 5) == 2
    store.flush_cache()
    assert forwarded == [(first, 1, None, 0), (first, None, 1, 5), (merged, 2, None, 5)]


def test_retain_duplicates_window_stores_get_no_cache(tmp_path: Path) -> None:
    builder = Stores.window_store_builder(window_supplier("memory", dups=True), S, L)
    store = cached_store(builder.build(), ThreadCache(1 << 20))
    assert not isinstance(store, CachingWindowStore)


def test_abort_drops_the_cache_and_what_it_wrote_down(tmp_path: Path, engine: str) -> None:
    store, forwarded, _ = open_cached(
        tmp_path, Stores.window_store_builder(window_supplier(engine), S, L)
    )
    store.put("a", 1, 0)
    store.flush_changelog()
    store.commit(1)
    store.put("a", 2, 0)
    assert list(store.fetch_range("a", 0, 0)) == [(0, 2)]
    store.abort()
    assert store.fetch("a", 0) == 1
    assert list(store.fetch_range("a", 0, 0)) == [(0, 1)]
    assert [new for _, new, _, _ in forwarded] == [1]  # the aborted update never went out


def test_cached_windows_come_in_the_engine_s_order(tmp_path: Path, engine: str) -> None:
    store, _, _ = open_cached(tmp_path, Stores.window_store_builder(window_supplier(engine), S, L))
    store.put("b", 1, 0)
    store.put("a", 2, 10)
    store.flush_cache()
    store.put("a", 3, 0)  # dirty, laid over the stored windows
    store.put("c", 4, 0)
    store.put("b", None, 0)  # a dirty delete hides the stored window
    got = [(w.key, w.window.start, v) for w, v in store.fetch_all(0, 10)]
    if engine == "memory":  # window start, then key
        assert got == [("a", 0, 3), ("c", 0, 4), ("a", 10, 2)]
    else:  # one segment: key bytes, then start
        assert got == [("a", 0, 3), ("a", 10, 2), ("c", 0, 4)]
    assert [(w.key, w.window.start) for w, _ in store.backward_all()] == [
        (k, t) for k, t, _ in reversed(got)
    ]
    assert list(store.backward_fetch_range("a", 0, 10)) == [(10, 2), (0, 3)]
    assert [(w.key, v) for w, v in store.fetch_keys("b", "c", 0, 10)] == [("c", 4)]


def test_flush_order_is_the_order_of_the_latest_updates(tmp_path: Path, engine: str) -> None:
    # Java's NamedCache moves a rewritten key to the end of its dirty keys
    store, forwarded, _ = open_cached(
        tmp_path, Stores.window_store_builder(window_supplier(engine), S, L)
    )
    store.put("a", 1, 0)
    store.put("b", 1, 0)
    store.put("a", 2, 10)
    store.put("a", 3, 0)
    store.flush_cache()
    assert [(w.key, w.window.start, new) for w, new, _, _ in forwarded] == [
        ("b", 0, 1),
        ("a", 10, 2),
        ("a", 0, 3),
    ]


def _cache_accounting(store: Any) -> int:
    # the thread cache's bytes of ``store``, counted afresh from what it holds
    from kstreams.state.caching import ENTRY_OVERHEAD, estimate_size
    from kstreams.state.window_cache import WINDOW_OVERHEAD

    return sum(
        ENTRY_OVERHEAD
        + estimate_size(key)
        # a count's window is kept as a plain (count, timestamp) tuple: sized as what it is read as
        + sum(
            WINDOW_OVERHEAD + estimate_size(ValueAndTimestamp(*e) if type(e) is tuple else e)
            for e in windows.values()
        )
        for key, windows in store._values.items()
    )


@pytest.mark.parametrize("budget", [1 << 20, 1500])
def test_update_windows_is_a_fetch_and_a_put_per_window(
    tmp_path: Path, engine: str, budget: int
) -> None:
    # one call for all windows of a record: the same reads, writes, forwards, changelog
    # records and cache accounting as a fetch and a put per window, also with evictions
    # between the windows (a small budget) and an aggregator mutating what it gets
    def initializer() -> Any:
        return {"n": 0, "seen": []}

    def aggregator(key: Any, value: int, agg: Any) -> Any:
        if value % 13 == 12:
            return None  # the window is deleted
        agg["n"] += value  # mutated in place and returned, as Python users do
        agg["seen"].append(value)
        return agg

    def add(value: int) -> Any:
        def update(old: Any) -> Any:
            if old is None:
                agg = aggregator(None, value, initializer())
                return None if agg is None else ValueAndTimestamp(agg, value)
            agg = aggregator(None, value, old.value)
            return None if agg is None else ValueAndTimestamp(agg, max(old.timestamp, value))

        return update

    runs = []
    # aggregate_windows: the same update folded into the cache's loop (a window aggregation's)
    for how in ("update_windows", "fetch_put", "aggregate_windows"):
        collector = Collector()
        store, forwarded, record = open_cached(
            tmp_path / how,
            Stores.timestamped_window_store_builder(window_supplier(engine), J, J),
            budget=budget,
            collector=collector,
        )
        for i in range(60):
            key: Any = f"k{i % 7}" if i % 5 else [f"unhashable-{i % 3}"]
            record.timestamp, record.offset = i, i
            starts = range(max(0, i - 20) // 10 * 10, i + 1, 10)
            if how == "update_windows":
                store.update_windows(key, starts, add(i))
            elif how == "aggregate_windows":
                store.aggregate_windows(key, starts, i, i, initializer, aggregator)
            else:
                for start in starts:
                    store.put(key, add(i)(store.fetch(key, start)), start)
            if i % 17 == 16:
                store.flush_changelog()
                store.commit(i)
        store.flush_cache()
        assert store._thread_cache.size == _cache_accounting(store)
        finals = [list(store.fetch_range(f"k{k}", 0, 100)) for k in range(7)]
        runs.append((forwarded, collector.records, finals))
    assert runs[0] == runs[1] == runs[2]
    assert runs[0][0], "windows were forwarded"


@pytest.mark.parametrize("budget", [1 << 20, 1500])
def test_a_count_done_inline_is_the_count_through_its_aggregator(
    tmp_path: Path, engine: str, budget: int
) -> None:
    # counting=True: the cache adds one inline instead of calling count_aggregator; the
    # same windows, forwards, changelog records and cache accounting (evictions included)
    runs = []
    for counting in (False, True):
        collector = Collector()
        store, forwarded, record = open_cached(
            tmp_path / str(counting),
            Stores.timestamped_window_store_builder(window_supplier(engine), J, L),
            budget=budget,
            collector=collector,
        )
        for i in range(80):
            key: Any = f"k{i % 7}" if i % 5 else [f"unhashable-{i % 3}"]
            ts = (i * 37) % 50  # out of order: a window's timestamp is its largest
            record.timestamp, record.offset = ts, i
            starts = range(max(0, ts - 20) // 10 * 10, ts + 1, 10)
            store.aggregate_windows(
                key, starts, "v", ts, count_initializer, count_aggregator, counting
            )
            if i % 17 == 16:
                store.flush_changelog()
                store.commit(i)
        store.flush_cache()
        assert store._thread_cache.size == _cache_accounting(store)
        finals = [list(store.fetch_range(f"k{k}", 0, 100)) for k in range(7)]
        runs.append((forwarded, collector.records, finals))
    assert runs[0] == runs[1]
    assert runs[0][0], "windows were forwarded"
    assert any(vt.value > 1 for final in runs[0][2] for _, vt in final), "windows were counted"


def test_a_count_of_a_deleted_window_is_accounted_at_a_counts_size(
    tmp_path: Path, engine: str
) -> None:
    # a put of None leaves a dirty window accounted at a delete's size; counted next (the
    # general loop, then the count loop, which does not look up what a window is accounted
    # at), it is accounted at a count's: the thread cache's bytes are what the cache holds
    store, forwarded, record = open_cached(
        tmp_path, Stores.timestamped_window_store_builder(window_supplier(engine), S, L)
    )
    store.put("a", None, 0)  # a window the cache does not hold yet
    for ts in (2, 3, 4):
        record.timestamp = ts
        store.aggregate_windows("a", [0], "v", ts, count_initializer, count_aggregator, True)
    assert store.fetch("a", 0) == ValueAndTimestamp(3, 4)
    assert store._thread_cache.size == _cache_accounting(store)
    store.flush_cache()
    assert store._thread_cache.size == _cache_accounting(store)
    assert [(w.key, w.window.start, new) for w, new, _, _ in forwarded][-1] == (
        "a",
        0,
        ValueAndTimestamp(3, 4),
    )
    assert type(forwarded[-1][1]) is ValueAndTimestamp


def test_a_cached_count_reads_as_a_value_and_timestamp(tmp_path: Path, engine: str) -> None:
    # a count's window is kept as a plain tuple: every read hands back a ValueAndTimestamp
    store, forwarded, record = open_cached(
        tmp_path, Stores.timestamped_window_store_builder(window_supplier(engine), S, L)
    )
    for ts in (1, 2, 3):
        record.timestamp = ts
        store.aggregate_windows(
            "a", range(0, ts + 1, 1), "v", ts, count_initializer, count_aggregator, True
        )
    reads = [
        store.fetch("a", 1),
        store._get_concurrent("a", 1),
        *(v for _, v in store.fetch_range("a", 0, 10)),
        *(v for _, v in store.fetch_all(0, 10)),
    ]
    assert reads[:2] == [ValueAndTimestamp(3, 3)] * 2
    assert [v for _, v in store.fetch_range("a", 0, 10)] == [
        ValueAndTimestamp(3, 3),
        ValueAndTimestamp(3, 3),
        ValueAndTimestamp(2, 3),
        ValueAndTimestamp(1, 3),
    ]
    assert all(type(v) is ValueAndTimestamp for v in reads)
    # an update function sees (and a put gives) ValueAndTimestamp s, never the plain tuple
    seen: list[Any] = []
    store.update_windows("a", [0, 1], lambda old: seen.append(old) or (old[0] + 10, old[1]))
    assert [type(v) for v in seen] == [ValueAndTimestamp, ValueAndTimestamp]
    store.put("a", (7, 9), 2)
    store.flush_cache()
    assert [type(new) for _, new, _, _ in forwarded] == [ValueAndTimestamp] * len(forwarded)
    assert list(store.fetch_range("a", 0, 10)) == [
        (0, ValueAndTimestamp(13, 3)),
        (1, ValueAndTimestamp(13, 3)),
        (2, ValueAndTimestamp(7, 9)),
        (3, ValueAndTimestamp(1, 3)),
    ]
    assert store._thread_cache.size == _cache_accounting(store)


def test_update_windows_without_a_cache_is_a_fetch_and_a_put_per_window(tmp_path: Path) -> None:
    store = Stores.timestamped_window_store_builder(window_supplier("memory"), S, L).build()
    store.init(StateStoreContext("0_0", "app", 0, str(tmp_path), changelog_topic=None))
    for i in range(3):
        store.update_windows(
            "a",
            range(0, 30, 10),
            lambda old, i=i: ValueAndTimestamp(1 if old is None else old.value + 1, i),
        )
    assert list(store.fetch_range("a", 0, 100)) == [
        (0, ValueAndTimestamp(3, 2)),
        (10, ValueAndTimestamp(3, 2)),
        (20, ValueAndTimestamp(3, 2)),
    ]
    # and a window aggregation's update, through update_windows
    store.aggregate_windows("a", range(10, 40, 10), 5, 1, lambda: 0, lambda k, v, agg: agg + v)
    assert list(store.fetch_range("a", 0, 100)) == [
        (0, ValueAndTimestamp(3, 2)),
        (10, ValueAndTimestamp(8, 2)),
        (20, ValueAndTimestamp(8, 2)),
        (30, ValueAndTimestamp(5, 1)),
    ]
