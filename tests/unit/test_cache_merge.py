"""The record cache's merge (an aggregation's read-modify-write in one call) and its flush
through the serdes' fast paths: the same results as ``get`` + ``put`` and the metered put
(aggregators that mutate their aggregate: ``test_mutable_aggregates.py``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_state_caching import TOPIC, FakeCollector, RecordContext, commit, make

from kstreams.serde import Serdes
from kstreams.state import ValueAndTimestamp
from kstreams.state.caching import ThreadCache
from kstreams.state.value_and_timestamp import pack_timestamp

L = Serdes.Long()


@pytest.fixture(params=["rocksdb", "memory"])
def kind(request: pytest.FixtureRequest) -> str:
    return request.param


def count(key: Any, value: Any, agg: int) -> int:
    return agg + 1


def test_merge_is_get_then_put(kind: str, tmp_path: Path) -> None:
    collector, record = FakeCollector(), RecordContext()
    merged = make(kind, tmp_path / "m", collector, ThreadCache(1 << 20), record)
    plain = make(kind, tmp_path / "p", FakeCollector(), ThreadCache(1 << 20), record)
    skipped: list[tuple[Any, Any]] = []
    merge = merged.merger(lambda: 0, count, lambda k, v: skipped.append((k, v)))
    for store in (plain, merged):
        store.put("stored", ValueAndTimestamp(41, 50))
        commit(store)
        store.abort()  # the cache emptied, the store keeps what was committed
    assert merged.cached_entries == 0
    flushed: list[tuple[Any, ...]] = []
    merged.set_flush_listener(lambda *a: flushed.append(("merge", *a)))
    plain.set_flush_listener(lambda *a: flushed.append(("put", *a)))
    # "stored" is not cached yet (read from the store), "a" is new, then cached
    for key, ts in [("stored", 40), ("a", 10), ("a", 30), ("a", 20), ("stored", 60)]:
        record.timestamp = ts
        merge(key, "v", ts, None)
        old = plain.get(key)
        agg = count(key, "v", 0 if old is None else old.value)
        plain.put(key, ValueAndTimestamp(agg, ts if old is None else max(ts, old.timestamp)))
        assert merged.get(key) == plain.get(key)
    assert merged.get("a") == ValueAndTimestamp(3, 30)
    assert merged.get("stored") == ValueAndTimestamp(43, 60)
    # a key deleted since the last flush starts from the initializer again
    merged.delete("a")
    plain.delete("a")
    merge("a", "v", 70, None)
    plain.put("a", ValueAndTimestamp(1, 70))
    assert merged.get("a") == ValueAndTimestamp(1, 70)
    merge(None, "v", 1, None)
    merge("a", None, 1, None)
    assert skipped == [(None, "v"), ("a", None)]
    assert merged.dirty_entries == plain.dirty_entries == 2
    commit(merged)
    commit(plain)
    assert [f[1:] for f in flushed if f[0] == "merge"] == [f[1:] for f in flushed if f[0] == "put"]
    assert merged.wrapped.get_bytes(b"stored") == pack_timestamp(60) + L.serialize(TOPIC, 43)
    merged.close()
    plain.close()


def test_flush_writes_what_the_metered_put_writes(kind: str, tmp_path: Path) -> None:
    collector, record = FakeCollector(), RecordContext()
    fast = make(kind, tmp_path / "f", collector, ThreadCache(1 << 20), record)
    slow = make(kind, tmp_path / "s", FakeCollector(), ThreadCache(1 << 20), record)
    slow._kfast = slow._vfast = None  # the metered put for every entry
    for store in (fast, slow):
        store.put("a", ValueAndTimestamp(7, 10))
        store.put("b", ValueAndTimestamp(None, 11))  # a null value: a delete below
        store.put("c", ValueAndTimestamp(-3, 12))
        store.put("d", None)
        commit(store)
    assert fast._kfast is not None
    for key in (b"a", b"b", b"c", b"d"):
        assert fast.wrapped.get_bytes(key) == slow.wrapped.get_bytes(key)
    assert fast.wrapped.get_bytes(b"a") == pack_timestamp(10) + L.serialize(TOPIC, 7)
    fast.close()
    slow.close()
