"""The windowed sink's partitioner remembers each inner key's hash, boundedly, and places
every key as Java's ``WindowedStreamPartitioner`` does (murmur2 of the inner key bytes)."""

from __future__ import annotations

import pytest

from kstreams.serde import Serdes
from kstreams.serde.windowed import TimeWindowedSerde, WindowedPartitioner, murmur2
from kstreams.windows.window import TimeWindow, Windowed


def expected(key: str, n: int) -> int:
    return (murmur2(key.encode()) & 0x7FFFFFFF) % n


def test_memoized_partitions_match_murmur2_for_any_number_of_keys(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(WindowedPartitioner, "MAX_MEMOIZED", 8)
    partitioner = TimeWindowedSerde(Serdes.String(), 10).partitioner()
    keys = [f"user-{i}" for i in range(50)]
    for _ in range(3):  # the memo starts over several times; answers never change
        for i, key in enumerate(keys):
            windowed = Windowed(key, TimeWindow(i * 10, i * 10 + 10))
            for n in (3, 12):
                assert partitioner("out", windowed, None, n) == expected(key, n)
    assert len(partitioner._hashes) <= 8
    assert partitioner("out", None, None, 12) is None
    assert partitioner("out", Windowed("a", TimeWindow(0, 10)), None, 1) == 0


def test_every_window_of_a_key_lands_in_its_partition() -> None:
    partitioner = TimeWindowedSerde(Serdes.String(), 10).partitioner()
    parts = {
        partitioner("out", Windowed("k", TimeWindow(s, s + 10)), None, 7) for s in range(0, 500, 10)
    }
    assert parts == {expected("k", 7)}


def test_text_keys_are_memoized_by_key_only_for_serdes_with_a_fast_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(WindowedPartitioner, "MAX_MEMOIZED", 8)
    partitioner = TimeWindowedSerde(Serdes.String(), 10).partitioner()
    for i in range(30):
        assert partitioner("out", Windowed(f"k{i}", TimeWindow(0, 10)), None, 5) == expected(
            f"k{i}", 5
        )
    assert partitioner._by_text is not None and 0 < len(partitioner._by_text) <= 8

    class Shouting(type(Serdes.String())):  # type: ignore[misc]
        def serialize(self, topic: str, data: object, headers: object = None) -> bytes | None:
            return None if data is None else str(data).upper().encode()

    shouting = TimeWindowedSerde(Shouting(), 10).partitioner()
    assert shouting._by_text is None  # its bytes are its own: placed by them, not by the key
    assert shouting("out", Windowed("k", TimeWindow(0, 10)), None, 7) == (
        (murmur2(b"K") & 0x7FFFFFFF) % 7
    )
