"""A count's merge (``CachingTimestampedKeyValueStore.merger(..., counting=True)``) against
get-then-put on a second store: the same values, sizes, flushes and skipped records through
every kind of entry a key can hold (none, a merged pair, a ``ValueAndTimestamp`` a get
handed out, a key flushed clean), with null values and unhashable keys."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from test_state_caching import FakeCollector, RecordContext, commit, make

from kstreams.processor.aggregate import count_aggregator, count_initializer
from kstreams.serde import Serdes
from kstreams.state import ValueAndTimestamp
from kstreams.state.caching import ThreadCache


def test_a_count_merges_as_get_then_put(tmp_path: Path) -> None:
    record = RecordContext()
    merged_cache, plain_cache = ThreadCache(1 << 20), ThreadCache(1 << 20)
    long = Serdes.Long()
    merged = make("memory", tmp_path / "m", FakeCollector(), merged_cache, record, value_serde=long)
    plain = make("memory", tmp_path / "p", FakeCollector(), plain_cache, record, value_serde=long)
    skipped: dict[str, list[Any]] = {"merge": [], "put": []}
    merge = merged.merger(
        count_initializer, count_aggregator, lambda k, v: skipped["merge"].append((k, v)), True
    )
    flushed: dict[str, list[tuple[Any, ...]]] = {"merge": [], "put": []}
    for name, store in (("merge", merged), ("put", plain)):
        store.set_flush_listener(
            lambda k, new, old, ts, h, name=name: flushed[name].append(
                (k, new[0], new[1], ts, h, record.offset)
            ),
            False,
        )
    # (key, value, ts, read the key afterwards?)
    updates = [
        ("a", "v", 10, False),
        ("a", "v", 5, False),
        ("a", None, 50, False),
        ("b", "v", 7, True),
        ("b", "v", 3, False),
        ("a", "v", 30, True),
        ("a", "v", 40, False),
        (None, "v", 1, False),
    ]
    for round_ in range(2):  # the second round counts on keys flushed clean
        for i, (key, value, ts, read) in enumerate(updates):
            record.timestamp, record.offset, record.headers = ts, 10 * round_ + i, [("h", b"x")]
            merge(key, value, ts, record.headers)
            if key is None or value is None:
                skipped["put"].append((key, value))
            else:
                old = plain.get(key)
                new_ts = ts if old is None else max(ts, old.timestamp)
                plain.put(key, ValueAndTimestamp(1 if old is None else old.value + 1, new_ts))
            if read:
                assert merged.get(key) == plain.get(key)
            assert merged_cache.size == plain_cache.size
        assert list(merged.all()) == list(plain.all())
        commit(merged)
        commit(plain)
        assert flushed["merge"] == flushed["put"]
    assert skipped["merge"] == skipped["put"]
    assert merged.get("a") == ValueAndTimestamp(8, 40)
    merged.close()
    plain.close()
