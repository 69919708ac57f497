"""Behaviour of key-value stores, run against both engines (RocksDB and memory)."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from kstreams.errors import IllegalStateError
from kstreams.serde import Serdes
from kstreams.state import (
    BufferedBytesStore,
    InvalidStateStoreError,
    KeyValueStore,
    ReadOnlyKeyValueStore,
    StateStoreContext,
    Stores,
    find_layer,
)

TOPIC = "app-store-changelog"


class FakeCollector:
    """Records ``send_changelog`` calls."""

    def __init__(self) -> None:
        self.records: list[tuple[str, bytes, bytes | None, int, int]] = []

    def send_changelog(
        self, topic: str, key: bytes, value: bytes | None, timestamp: int, partition: int
    ) -> None:
        self.records.append((topic, key, value, timestamp, partition))


class BatchCollector(FakeCollector):
    """Also takes a flush's records in one call (``send_changelogs``), as the runtime's does."""

    def __init__(self) -> None:
        super().__init__()
        self.batches = 0

    def send_changelogs(
        self, topic: str, partition: int, records: list[tuple[bytes, bytes | None, int]]
    ) -> None:
        self.batches += 1
        self.records.extend((topic, key, value, ts, partition) for key, value, ts in records)


def context(
    tmp_path: Path,
    collector: FakeCollector | None = None,
    *,
    logged: bool = True,
    **kwargs: Any,
) -> StateStoreContext:
    return StateStoreContext(
        "0_1",
        "app",
        1,
        str(tmp_path / "app" / "0_1"),
        changelog_topic=TOPIC if logged else None,
        collector=collector if collector is not None else FakeCollector(),
        **kwargs,
    )


def supplier(kind: str, name: str = "store") -> Any:
    if kind == "rocksdb":
        return Stores.persistent_key_value_store(name)
    return Stores.in_memory_key_value_store(name)


@pytest.fixture(params=["rocksdb", "memory"])
def kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(params=["per-record", "batch"])
def collector(request: pytest.FixtureRequest) -> FakeCollector:
    """Changelog records sent one call each, or a flush's in one call: the same records."""
    return FakeCollector() if request.param == "per-record" else BatchCollector()


@pytest.fixture
def store(kind: str, tmp_path: Path, collector: FakeCollector) -> Any:
    s = Stores.key_value_store_builder(supplier(kind), Serdes.String(), Serdes.Long()).build()
    s.init(context(tmp_path, collector, record_timestamp=lambda: 42))
    yield s
    s.close()


def commit(store: Any, offset: int | None = 7) -> None:
    store.flush_changelog()
    store.commit(offset)


def test_crud_and_none_deletes(store: KeyValueStore) -> None:
    assert store.get("a") is None
    store.put("a", 1)
    assert store.get("a") == 1
    store.put("a", 2)
    assert store.get("a") == 2
    store.put("a", None)
    assert store.get("a") is None
    store.put("b", 3)
    commit(store)
    assert store.get("b") == 3
    store.put("b", None)
    assert store.get("b") is None  # buffered delete hides the committed value
    commit(store)
    assert store.get("b") is None


def test_put_if_absent_and_delete_return_old(store: KeyValueStore) -> None:
    assert store.put_if_absent("a", 1) is None
    assert store.put_if_absent("a", 2) == 1
    assert store.get("a") == 1
    commit(store)
    assert store.put_if_absent("a", 3) == 1
    assert store.delete("a") == 1
    assert store.delete("a") is None
    assert store.get("a") is None


def test_put_all(store: KeyValueStore) -> None:
    store.put_all([("a", 1), ("b", 2), ("a", None)])
    assert list(store.all()) == [("b", 2)]


def test_null_key_rejected(store: KeyValueStore) -> None:
    with pytest.raises(ValueError, match="key cannot be null"):
        store.put(None, 1)
    with pytest.raises(ValueError, match="key cannot be null"):
        store.get(None)


def test_ranges_merge_buffer_over_committed(store: KeyValueStore) -> None:
    for i, k in enumerate(["a", "c", "e", "g", "i"]):
        store.put(k, i)
    commit(store)
    store.put("b", 10)  # new key between committed ones
    store.put("e", 20)  # update of a committed key
    store.delete("g")  # delete of a committed key
    store.put("j", 30)  # after all committed keys
    store.delete("zz")  # delete of an absent key
    expected = [("a", 0), ("b", 10), ("c", 1), ("e", 20), ("i", 4), ("j", 30)]
    assert list(store.all()) == expected
    assert list(store.reverse_all()) == expected[::-1]
    assert list(store.range("b", "i")) == [("b", 10), ("c", 1), ("e", 20), ("i", 4)]
    assert list(store.reverse_range("b", "i")) == [("i", 4), ("e", 20), ("c", 1), ("b", 10)]
    assert list(store.range("c", "c")) == [("c", 1)]
    assert list(store.range("g", "g")) == []
    assert list(store.range(None, "c")) == [("a", 0), ("b", 10), ("c", 1)]
    assert list(store.range("i")) == [("i", 4), ("j", 30)]
    assert list(store.reverse_range("d")) == [("j", 30), ("i", 4), ("e", 20)]
    assert list(store.range("x", "a")) == []  # from > to: empty, as Java


def test_prefix_scan(store: KeyValueStore) -> None:
    for k in ["user-1", "user-2", "userx", "use", "video-1"]:
        store.put(k, 1)
    commit(store)
    store.put("user-3", 2)
    store.delete("user-1")
    keys = [k for k, _ in store.prefix_scan("user-", Serdes.String())]
    assert keys == ["user-2", "user-3"]
    assert [k for k, _ in store.prefix_scan("", Serdes.String())] == sorted(
        ["user-2", "user-3", "userx", "use", "video-1"]
    )


def test_prefix_scan_with_0xff_bytes(kind: str, tmp_path: Path) -> None:
    s = Stores.key_value_store_builder(supplier(kind), Serdes.Bytes(), Serdes.Long()).build()
    s.init(context(tmp_path))
    for k in [b"\x01\xff", b"\x01\xff\x00", b"\x01\xff\xff", b"\x02", b"\x01"]:
        s.put(k, 1)
    commit(s)
    s.put(b"\x01\xff\x05", 2)
    assert [k for k, _ in s.prefix_scan(b"\x01\xff", Serdes.Bytes())] == [
        b"\x01\xff",
        b"\x01\xff\x00",
        b"\x01\xff\x05",
        b"\x01\xff\xff",
    ]
    assert [k for k, _ in s.prefix_scan(b"\xff", Serdes.Bytes())] == []
    s.close()


def test_order_is_serialized_byte_order(kind: str, tmp_path: Path) -> None:
    # Long serde: big-endian two's complement, so negatives sort after positives (as in Java).
    s = Stores.key_value_store_builder(supplier(kind), Serdes.Long(), Serdes.Long()).build()
    s.init(context(tmp_path))
    for k in [3, -1, 0, 256, 1]:
        s.put(k, k)
    assert [k for k, _ in s.all()] == [0, 1, 3, 256, -1]
    commit(s)
    assert [k for k, _ in s.all()] == [0, 1, 3, 256, -1]
    s.close()


def test_iterator_is_a_snapshot(store: KeyValueStore) -> None:
    store.put("a", 1)
    store.put("b", 2)
    commit(store)
    store.put("c", 3)
    it = store.all()
    store.put("d", 4)
    store.delete("c")
    assert list(it) == [("a", 1), ("b", 2), ("c", 3)]


def test_abort_drops_the_buffer(store: KeyValueStore, collector: FakeCollector) -> None:
    store.put("a", 1)
    commit(store)
    store.put("a", 2)
    store.put("b", 3)
    store.abort()
    assert store.get("a") == 1
    assert store.get("b") is None
    assert list(store.all()) == [("a", 1)]
    assert store.flush_changelog() is False


def test_changelog_dedup_and_tombstones(store: KeyValueStore, collector: FakeCollector) -> None:
    store.put("a", 1)
    store.put("b", 2)
    store.put("a", 3)
    store.delete("b")
    store.put("c", None)
    assert store.flush_changelog() is True
    long = Serdes.Long()
    assert sorted(collector.records) == [
        (TOPIC, b"a", long.serialize(TOPIC, 3), 42, 1),
        (TOPIC, b"b", None, 42, 1),
        (TOPIC, b"c", None, 42, 1),
    ]
    assert store.flush_changelog() is False  # nothing new since
    store.commit(100)
    assert store.flush_changelog() is False


def test_commit_requires_flushed_changelog(store: KeyValueStore) -> None:
    store.put("a", 1)
    with pytest.raises(IllegalStateError, match="flush_changelog"):
        store.commit(1)
    store.flush_changelog()
    store.put("b", 2)  # written after the changelog flush
    with pytest.raises(IllegalStateError):
        store.commit(1)
    store.flush_changelog()
    store.commit(2)
    assert list(store.all()) == [("a", 1), ("b", 2)]


def test_logging_disabled(kind: str, tmp_path: Path, collector: FakeCollector) -> None:
    builder = Stores.key_value_store_builder(supplier(kind), Serdes.String(), Serdes.Long())
    s = builder.with_logging_disabled().build()
    s.init(context(tmp_path, collector))  # the context's topic is ignored: logging is off
    assert not s.logged and s.changelog_topic is None
    s.put("a", 1)
    assert s.flush_changelog() is False
    s.commit(None)
    assert s.get("a") == 1
    assert collector.records == []
    assert s.restore_offset() is None
    s.close()


def test_serdes_see_changelog_topic_or_store_name(kind: str, tmp_path: Path) -> None:
    seen: list[str] = []

    class Spy(Serdes.String):  # type: ignore[misc, name-defined]
        def serialize(self, topic: str, data: Any, headers: Any = None) -> Any:
            seen.append(topic)
            return super().serialize(topic, data, headers)

    for logged, topic in [(True, TOPIC), (False, "store")]:
        seen.clear()
        b = Stores.key_value_store_builder(supplier(kind), Spy(), Spy())
        if not logged:
            b.with_logging_disabled()
        s = b.build()
        s.init(context(tmp_path / str(logged), logged=logged))
        s.put("k", "v")
        assert seen and set(seen) == {topic}
        s.close()


def test_request_commit_when_buffer_full(kind: str, tmp_path: Path) -> None:
    requests: list[int] = []
    s = Stores.key_value_store_builder(supplier(kind), Serdes.String(), Serdes.String()).build()
    s.init(context(tmp_path, cache_max_bytes=10_000, request_commit=lambda: requests.append(1)))
    # Rewriting one key does not fill the buffer, however often.
    for _ in range(1000):
        s.put("hot", "x" * 50)
    assert requests == []
    for i in range(200):
        s.put(f"key-{i}", "x" * 50)
    assert requests == [1]  # asked once, not on every further write
    buffer = find_layer(s, BufferedBytesStore)
    assert buffer is not None and buffer.buffered_bytes() > 7_500
    commit(s)
    for i in range(200):
        s.put(f"key-{i}", "y" * 50)
    assert requests == [1, 1]  # asked again after the commit
    s.close()


def test_restore_batch_and_wipe(store: KeyValueStore) -> None:
    long = Serdes.Long()
    store.restore_batch(
        [
            (b"a", long.serialize(TOPIC, 1), 5),
            (b"b", long.serialize(TOPIC, 2), 6),
            (b"a", None, 7),
        ],
        last_offset=12,
    )
    assert list(store.all()) == [("b", 2)]
    # in memory too, while the store is open (a standby's store handed to its active task)
    assert store.restore_offset() == 12
    store.put("c", 3)
    with pytest.raises(IllegalStateError):
        store.restore_batch([], 13)
    store.wipe()
    assert list(store.all()) == []
    assert store.get("b") is None
    assert store.restore_offset() is None
    assert store.is_open()
    store.put("d", 4)
    commit(store)
    assert list(store.all()) == [("d", 4)]


def test_approximate_num_entries(store: KeyValueStore) -> None:
    for i in range(10):
        store.put(f"k{i}", i)
    assert store.approximate_num_entries() == 10
    commit(store)
    store.delete("k0")
    store.put("k1", 100)
    store.put("new", 1)
    n = store.approximate_num_entries()
    assert 8 <= n <= 12  # RocksDB's count is an estimate


def test_read_only_view(store: KeyValueStore) -> None:
    store.put("a", 1)
    commit(store)
    store.put("b", 2)
    view = ReadOnlyKeyValueStore(store)
    assert view.name == "store"
    assert view.get("b") == 2
    assert list(view.all()) == [("a", 1), ("b", 2)]
    assert list(view.reverse_all()) == [("b", 2), ("a", 1)]
    assert list(view.range("b")) == [("b", 2)]
    assert list(view.reverse_range(None, "a")) == [("a", 1)]
    assert list(view.prefix_scan("a", Serdes.String())) == [("a", 1)]
    assert view.approximate_num_entries() == 2
    assert not hasattr(view, "put")


def test_closed_store_raises(store: KeyValueStore) -> None:
    store.put("a", 1)
    store.close()
    assert not store.is_open()
    with pytest.raises(InvalidStateStoreError):
        store.get("a")
    with pytest.raises(InvalidStateStoreError):
        list(store.all())


def test_random_operations_match_a_model(kind: str, tmp_path: Path) -> None:
    rng = random.Random(7)
    s = Stores.key_value_store_builder(supplier(kind), Serdes.String(), Serdes.Long()).build()
    s.init(context(tmp_path))
    model: dict[str, int] = {}
    for step in range(3000):
        key = f"k{rng.randrange(60):02d}"
        op = rng.random()
        if op < 0.55:
            s.put(key, step)
            model[key] = step
        elif op < 0.8:
            assert s.delete(key) == model.pop(key, None)
        elif op < 0.9:
            lo, hi = sorted([f"k{rng.randrange(60):02d}", f"k{rng.randrange(60):02d}"])
            want = sorted((k, v) for k, v in model.items() if lo <= k <= hi)
            assert list(s.range(lo, hi)) == want
            assert list(s.reverse_range(lo, hi)) == want[::-1]
        elif op < 0.97:
            assert s.get(key) == model.get(key)
        else:
            commit(s, step)
        if step % 500 == 0:
            assert list(s.all()) == sorted(model.items())
    assert list(s.all()) == sorted(model.items())
    s.close()
