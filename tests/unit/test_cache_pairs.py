"""What a merge leaves in the record cache (a plain ``(value, timestamp)`` pair) reads, sizes,
flushes and forwards as the ``ValueAndTimestamp`` a put leaves; and the fast sink serializes
a value that is its key object once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_state_caching import FakeCollector, RecordContext, commit, make

from kstreams.processor.fused import fuse
from kstreams.runtime.sink_step import fast_sink_step
from kstreams.serde import Serdes
from kstreams.state import ValueAndTimestamp
from kstreams.state.caching import ThreadCache

S = Serdes.String()


@pytest.fixture(params=["rocksdb", "memory"])
def kind(request: pytest.FixtureRequest) -> str:
    return request.param


def count(key: Any, value: Any, agg: int) -> int:
    return agg + 1


def concat(key: Any, value: Any, agg: str) -> str:
    return agg + value


@pytest.mark.parametrize(
    ("serde", "initial", "combine"), [(Serdes.Long(), 0, count), (S, "", concat)]
)
def test_merged_pairs_read_size_and_flush_as_value_and_timestamps(
    kind: str, tmp_path: Path, serde: Any, initial: Any, combine: Any
) -> None:
    record = RecordContext()
    merged_cache, plain_cache = ThreadCache(1 << 20), ThreadCache(1 << 20)
    merged = make(kind, tmp_path / "m", FakeCollector(), merged_cache, record, value_serde=serde)
    plain = make(kind, tmp_path / "p", FakeCollector(), plain_cache, record, value_serde=serde)
    merge = merged.merger(lambda: initial, combine, lambda k, v: None, combine is count)
    flushed: dict[str, list[tuple[Any, ...]]] = {"merge": [], "put": []}
    for name, store in (("merge", merged), ("put", plain)):
        store.set_flush_listener(
            lambda k, new, old, ts, h, name=name: flushed[name].append(
                (k, new[0], new[1], old, ts, h, record.topic, record.partition, record.offset)
            ),
            False,
        )
    updates = [("a", 10), ("b", 5), ("a", 30), ("a", 20), ("b", 7)]
    for round_ in range(2):  # the second round merges into keys flushed clean
        for i, (key, ts) in enumerate(updates):
            record.timestamp, record.offset, record.headers = ts, 10 * round_ + i, [("h", b"x")]
            merge(key, "v", ts, record.headers)
            old = plain.get(key)
            agg = combine(key, "v", initial if old is None else old.value)
            plain.put(key, ValueAndTimestamp(agg, ts if old is None else max(ts, old.timestamp)))
        assert merged_cache.size == plain_cache.size
        assert [(k, v) for k, v in merged.all()] == [(k, v) for k, v in plain.all()]
        assert all(type(v) is ValueAndTimestamp for _, v in merged.all())
        commit(merged)
        commit(plain)
        assert merged_cache.size == plain_cache.size
        assert flushed["merge"] == flushed["put"]
    got = merged.get("a")
    assert type(got) is ValueAndTimestamp
    assert got == plain.get("a")
    assert merged_cache.size == plain_cache.size
    assert merged.wrapped.get_bytes(b"a") == plain.wrapped.get_bytes(b"a")
    merged.close()
    plain.close()


class Producer:
    def __init__(self) -> None:
        self.records: list[tuple[Any, ...]] = []

    def __call__(self, topic: str, vb: Any, kb: Any, *rest: Any) -> None:
        self.records.append((kb, vb))


def test_a_value_that_is_the_key_is_serialized_once() -> None:
    calls: list[str] = []

    def encode(s: str) -> bytes:
        calls.append(s)
        return s.encode()

    produce = Producer()
    unused: Any = None  # the slow paths: not reached
    step = fast_sink_step("sink", "t", encode, encode, produce, unused, unused, unused, None)
    sink = fuse(step, None)
    word = "".join(["wo", "rd"])
    sink(word, word, 1, None)
    sink(word, "".join(["wo", "rd"]), 2, None)  # equal, not the same object
    sink(word, None, 3, None)
    assert calls == ["word", "word", "word", "word"]
    assert produce.records == [(b"word", b"word"), (b"word", b"word"), (b"word", None)]
