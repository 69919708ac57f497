"""The record cache: reads and writes in memory, forwarding on flush, eviction, ranges."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kstreams import Materialized, StreamsBuilder
from kstreams.serde import Serdes
from kstreams.state import StateStoreContext, Stores, ValueAndTimestamp
from kstreams.state.caching import (
    CachingKeyValueStore,
    CachingTimestampedKeyValueStore,
    ThreadCache,
    cached_store,
)
from kstreams.testing import TopologyTestDriver

TOPIC = "app-c-changelog"
S = Serdes.String()
L = Serdes.Long()
JSON = Serdes.JSON()


class FakeCollector:
    def __init__(self) -> None:
        self.records: list[tuple[str, bytes, bytes | None, int, int]] = []

    def send_changelog(
        self, topic: str, key: bytes, value: bytes | None, timestamp: int, partition: int
    ) -> None:
        self.records.append((topic, key, value, timestamp, partition))


class RecordContext:
    """What the task's context offers the cache: the record being processed."""

    def __init__(self) -> None:
        self.timestamp = 5
        self.headers: Any = None
        self.topic: Any = "in"
        self.partition = 0
        self.offset = 0


@pytest.fixture(params=["rocksdb", "memory"])
def kind(request: pytest.FixtureRequest) -> str:
    return request.param


def make(
    kind: str,
    tmp_path: Path,
    collector: FakeCollector,
    cache: ThreadCache,
    record: RecordContext,
    timestamped: bool = True,
    value_serde: Any = L,
) -> Any:
    if timestamped:
        supplier = (
            Stores.persistent_timestamped_key_value_store("c")
            if kind == "rocksdb"
            else Stores.in_memory_key_value_store("c")
        )
        builder: Any = Stores.timestamped_key_value_store_builder(supplier, S, value_serde)
    else:
        supplier = (
            Stores.persistent_key_value_store("c")
            if kind == "rocksdb"
            else Stores.in_memory_key_value_store("c")
        )
        builder = Stores.key_value_store_builder(supplier, S, value_serde)
    store = cached_store(builder.with_caching_enabled().build(), cache)
    store.init(
        StateStoreContext(
            "0_0",
            "app",
            0,
            str(tmp_path / "app" / "0_0"),
            changelog_topic=TOPIC,
            collector=collector,
            record_timestamp=lambda: record.timestamp,
            record_context=record,
        )
    )
    return store


def commit(store: Any, offset: int = 0) -> None:
    store.flush_changelog()
    store.commit(offset)


def test_cached_store_types() -> None:
    cache = ThreadCache(1000)
    ts = Stores.timestamped_key_value_store_builder(Stores.in_memory_key_value_store("a"), S, L)
    kv = Stores.key_value_store_builder(Stores.in_memory_key_value_store("b"), S, L)
    assert isinstance(cached_store(ts.build(), cache), CachingTimestampedKeyValueStore)
    assert isinstance(cached_store(kv.build(), cache), CachingKeyValueStore)
    plain = kv.build()
    assert cached_store(plain, None) is plain
    assert cached_store(plain, ThreadCache(0)) is plain


def test_writes_reach_the_store_and_changelog_once_per_flush(kind: str, tmp_path: Path) -> None:
    collector, cache, record = FakeCollector(), ThreadCache(1 << 20), RecordContext()
    store = make(kind, tmp_path, collector, cache, record)
    for n in range(1, 4):
        record.timestamp = n * 10
        store.put("a", ValueAndTimestamp(n, n * 10))
    assert store.get("a") == ValueAndTimestamp(3, 30)
    assert store.wrapped.get_bytes(b"a") is None  # still only in the cache
    assert store.dirty_entries == 1
    commit(store)
    # one changelog record, with the value's timestamp, as Kafka Streams' cache sends
    assert collector.records == [(TOPIC, b"a", L.serialize(TOPIC, 3), 30, 0)]
    assert store.dirty_entries == 0 and store.cached_entries == 1
    assert store.get("a") == ValueAndTimestamp(3, 30)
    store.close()


def test_flush_forwards_latest_value_with_last_forwarded_as_old(kind: str, tmp_path: Path) -> None:
    collector, cache, record = FakeCollector(), ThreadCache(1 << 20), RecordContext()
    store = make(kind, tmp_path, collector, cache, record)
    flushed: list[tuple[Any, ...]] = []
    assert store.set_flush_listener(lambda *a: flushed.append(a)) is True
    store.put("a", ValueAndTimestamp(1, 10))
    record.headers = [("h", b"1")]
    store.put("a", ValueAndTimestamp(2, 20))
    store.put("b", ValueAndTimestamp(7, 5))
    commit(store)
    assert flushed == [
        ("a", ValueAndTimestamp(2, 20), None, 5, [("h", b"1")]),
        ("b", ValueAndTimestamp(7, 5), None, 5, [("h", b"1")]),
    ]
    flushed.clear()
    record.timestamp = 40
    record.headers = None
    store.put("a", ValueAndTimestamp(3, 40))
    store.delete("b")
    store.put("never", None)  # a delete of an absent key forwards nothing
    commit(store, 1)
    assert flushed == [
        ("a", ValueAndTimestamp(3, 40), ValueAndTimestamp(2, 20), 40, None),
        ("b", None, ValueAndTimestamp(7, 5), 40, None),
    ]
    assert store.get("b") is None
    store.close()


def test_the_forwarding_flush_loop_is_the_flush_of_one_entry_after_another(
    kind: str, tmp_path: Path
) -> None:
    # flush_cache's loop for the common case (timestamped, fast serdes, no old values) against
    # _flush_entry for every key: the same forwards (with the record context each key was
    # written under), changelog records, stored values and cache sizes, whatever mix of
    # entries (numbers, strings, tuples, frozen dicts, deletes of known and unknown keys)
    def run(store: Any, record: RecordContext) -> list[Any]:
        seen: list[Any] = []
        store.set_flush_listener(
            lambda *a: seen.append((*a, record.topic, record.partition, record.offset)),
            send_old_values=False,
        )
        rounds = [
            [("a", 1), ("b", "x"), ("c", (1, "y")), ("d", {"n": 1}), ("a", 2), ("gone", None)],
            [("b", None), ("c", (2, "z")), ("e", 3), ("d", {"n": 2}), ("a", 3)],
        ]
        for i, writes in enumerate(rounds):
            for j, (key, value) in enumerate(writes):
                record.timestamp, record.offset, record.topic = 100 * i + j, 10 * i + j, f"t{j}"
                store.put(key, None if value is None else ValueAndTimestamp(value, 100 * i + j))
            commit(store, i)
            seen.append(("sizes", dict(store._sizes), store._thread_cache.size))
        seen.append(("stored", list(store.all())))
        return seen

    results = []
    for forced in (False, True):
        collector, cache, record = FakeCollector(), ThreadCache(1 << 20), RecordContext()
        store = make(kind, tmp_path / str(forced), collector, cache, record, value_serde=JSON)
        one_by_one = store._flush_entry
        entries: list[Any] = []
        store._flush_entry = lambda key, *rest, f=one_by_one, log=entries: (
            log.append(key),
            f(key, *rest),
        )
        if forced:
            store._flush_forwarding = lambda dirty, s=store: [
                s._flush_entry(key, *fields) for key, fields in dirty.items()
            ]
        results.append((run(store, record), collector.records))
        # the loop itself took the numbers, strings and tuples; the rest went one by one
        assert forced or entries == ["d", "gone", "b", "d"]
        store.close()
    assert results[0] == results[1]


def test_dirty_keys_flush_in_the_order_of_their_latest_update(kind: str, tmp_path: Path) -> None:
    # Kafka Streams' NamedCache moves a key written again to the end of its dirty keys
    collector, cache, record = FakeCollector(), ThreadCache(1 << 20), RecordContext()
    store = make(kind, tmp_path, collector, cache, record)
    flushed: list[Any] = []
    store.set_flush_listener(lambda key, new, old, ts, headers: flushed.append((key, new.value)))
    for key, n in (("a", 1), ("b", 1), ("c", 1), ("a", 2), ("b", 2)):
        store.put(key, ValueAndTimestamp(n, 1))
    commit(store)
    assert flushed == [("c", 1), ("a", 2), ("b", 2)]
    store.close()


def test_old_value_of_a_blind_write_is_read_from_the_store(kind: str, tmp_path: Path) -> None:
    collector, cache, record = FakeCollector(), ThreadCache(1 << 20), RecordContext()
    store = make(kind, tmp_path, collector, cache, record)
    store.put("a", ValueAndTimestamp(1, 1))
    commit(store)
    store._clear_cache()  # as if evicted
    flushed: list[tuple[Any, ...]] = []
    store.set_flush_listener(lambda *a: flushed.append(a))
    store.put("a", ValueAndTimestamp(2, 2))  # never read: the old value is unknown until flush
    commit(store, 1)
    assert flushed == [("a", ValueAndTimestamp(2, 2), ValueAndTimestamp(1, 1), 5, None)]
    store.close()


def test_eviction_flushes_dirty_keys_and_keeps_within_budget(kind: str, tmp_path: Path) -> None:
    collector, cache, record = FakeCollector(), ThreadCache(2000), RecordContext()
    store = make(kind, tmp_path, collector, cache, record)
    flushed: list[Any] = []
    store.set_flush_listener(lambda key, new, old, ts, headers: flushed.append((key, new.value)))
    for i in range(50):
        store.put(f"k{i:02d}", ValueAndTimestamp(i, i))
        assert cache.size <= cache.max_bytes or store.cached_entries == 1
    assert flushed, "eviction forwarded the dirty keys it flushed"
    commit(store)
    assert sorted(flushed) == [(f"k{i:02d}", i) for i in range(50)]  # each key exactly once
    assert [(k, v.value) for k, v in store.all()] == [(f"k{i:02d}", i) for i in range(50)]
    assert store.cached_entries < 50
    assert store.get("k00") == ValueAndTimestamp(0, 0)  # read back from the store below
    store.close()
    assert cache.size == 0


def test_ranges_merge_dirty_entries(kind: str, tmp_path: Path) -> None:
    collector, cache, record = FakeCollector(), ThreadCache(1 << 20), RecordContext()
    store = make(kind, tmp_path, collector, cache, record, timestamped=False)
    for k, v in [("a", 1), ("c", 3), ("e", 5)]:
        store.put(k, v)
    commit(store)
    store.put("b", 2)
    store.put("c", 30)
    store.delete("e")
    store.put("f", 6)
    assert list(store.all()) == [("a", 1), ("b", 2), ("c", 30), ("f", 6)]
    assert list(store.reverse_all()) == [("f", 6), ("c", 30), ("b", 2), ("a", 1)]
    assert list(store.range("b", "e")) == [("b", 2), ("c", 30)]
    assert list(store.reverse_range("a", "c")) == [("c", 30), ("b", 2), ("a", 1)]
    assert list(store.prefix_scan("c", S)) == [("c", 30)]
    assert store.dirty_entries == 4  # ranges did not flush
    store.close()


def test_interactive_reads_do_not_change_the_cache(kind: str, tmp_path: Path) -> None:
    from kstreams.state import ReadOnlyKeyValueStore

    collector, cache, record = FakeCollector(), ThreadCache(1 << 20), RecordContext()
    store = make(kind, tmp_path, collector, cache, record, timestamped=False)
    store.put("a", 1)
    commit(store)
    store._clear_cache()
    view = ReadOnlyKeyValueStore(store)
    assert view.get("a") == 1
    assert store.cached_entries == 0
    store.put("b", 2)
    assert view.get("b") == 2  # uncommitted writes are visible, as in Kafka Streams
    assert list(view.all()) == [("a", 1), ("b", 2)]
    store.close()


def test_abort_drops_the_cache(kind: str, tmp_path: Path) -> None:
    collector, cache, record = FakeCollector(), ThreadCache(1 << 20), RecordContext()
    store = make(kind, tmp_path, collector, cache, record, timestamped=False)
    store.put("a", 1)
    commit(store)
    store.put("a", 2)
    store.flush_cache()  # in the store's write buffer, not committed
    store.abort()
    assert store.get("a") == 1
    assert store.cached_entries == 1 and cache.size > 0
    store.close()
    assert cache.size == 0


def test_unhashable_keys_bypass_the_cache_and_forward_at_once(tmp_path: Path) -> None:
    cache, record = ThreadCache(1 << 20), RecordContext()
    supplier = Stores.in_memory_key_value_store("j")
    store = cached_store(
        Stores.key_value_store_builder(supplier, Serdes.JSON(), L).with_caching_enabled().build(),
        cache,
    )
    store.init(StateStoreContext("0_0", "app", 0, str(tmp_path), record_context=record))
    flushed: list[Any] = []
    store.set_flush_listener(lambda key, new, old, ts, headers: flushed.append((key, new, old)))
    store.put({"id": 1}, 1)
    store.put({"id": 1}, 2)
    assert flushed == [({"id": 1}, 1, None), ({"id": 1}, 2, 1)]
    assert store.get({"id": 1}) == 2 and store.cached_entries == 0
    store.close()


def test_null_key_is_refused(tmp_path: Path) -> None:
    cache, record = ThreadCache(1 << 20), RecordContext()
    store = make("memory", tmp_path, FakeCollector(), cache, record)
    with pytest.raises(ValueError, match="key cannot be null"):
        store.put(None, ValueAndTimestamp(1, 1))
    store.close()


# -- through the DSL and the test driver -------------------------------------------------------


def _count_per_key(materialized: Materialized) -> Any:
    builder = StreamsBuilder()
    (
        builder.stream("lines", key_serde=S, value_serde=S)
        .flat_map_values(str.split)
        .group_by_key()
        .count(materialized)
        .to_stream()
        .to("counts", key_serde=S, value_serde=L)
    )
    return builder.build()


def test_updates_made_while_processing_one_record_reach_downstream_once() -> None:
    # Kafka Streams' driver commits after every record: the cache merges the three updates
    # the line makes to key "k" into one
    with TopologyTestDriver(_count_per_key(Materialized.as_("n"))) as driver:
        driver.create_input_topic("lines", S, S).pipe_input("k", "a b c", 7)
        out = driver.create_output_topic("counts", S, L)
        assert [(r.key, r.value, r.timestamp) for r in out.read_records_to_list()] == [("k", 3, 7)]


@pytest.mark.parametrize(
    "materialized, config",
    [
        (Materialized.as_("n").with_caching_disabled(), {}),
        (Materialized.as_("n"), {"statestore.cache.max.bytes": 0}),
    ],
)
def test_without_cache_every_update_is_forwarded(materialized: Materialized, config: Any) -> None:
    with TopologyTestDriver(_count_per_key(materialized), config) as driver:
        driver.create_input_topic("lines", S, S).pipe_input("k", "a b c", 7)
        out = driver.create_output_topic("counts", S, L)
        assert out.read_values_to_list() == [1, 2, 3]


def test_named_tables_are_cached_unnamed_ones_only_when_group_by_materializes_them() -> None:
    builder = StreamsBuilder()
    builder.table("t1", key_serde=S, value_serde=S)
    builder.table("t2", Materialized.as_("named"), key_serde=S, value_serde=S)
    builder.table("t3", key_serde=S, value_serde=S).group_by(
        lambda k, v: (v, k), key_serde=S, value_serde=S
    ).count()
    with TopologyTestDriver(builder.build()) as driver:
        stores = driver.get_all_state_stores()
        assert isinstance(stores["named"], CachingTimestampedKeyValueStore)
        # as in Kafka Streams: t1 has no store; t3's, kept for the group_by, is cached
        assert not any(name.startswith("t1-") for name in stores)
        assert isinstance(stores["t3-STATE-STORE-0000000005"], CachingTimestampedKeyValueStore)
