"""Timestamped key-value stores: byte layout, changelog records and restoration."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import pytest

from kstreams.serde import Serdes
from kstreams.state import StateStoreContext, Stores, TimestampedKeyValueStore, ValueAndTimestamp

TOPIC = "app-ts-changelog"


class FakeCollector:
    def __init__(self) -> None:
        self.records: list[tuple[str, bytes, bytes | None, int, int]] = []

    def send_changelog(
        self, topic: str, key: bytes, value: bytes | None, timestamp: int, partition: int
    ) -> None:
        self.records.append((topic, key, value, timestamp, partition))


class BatchCollector(FakeCollector):
    """Also takes a flush's records in one call (``send_changelogs``), as the runtime's does."""

    def send_changelogs(
        self, topic: str, partition: int, records: list[tuple[bytes, bytes | None, int]]
    ) -> None:
        self.records.extend((topic, key, value, ts, partition) for key, value, ts in records)


@pytest.fixture(params=["rocksdb", "memory"])
def kind(request: pytest.FixtureRequest) -> str:
    return request.param


def make(kind: str, tmp_path: Path, collector: FakeCollector, record_ts: int = 99) -> Any:
    supplier = (
        Stores.persistent_timestamped_key_value_store("ts")
        if kind == "rocksdb"
        else Stores.in_memory_key_value_store("ts")
    )
    s = Stores.timestamped_key_value_store_builder(supplier, Serdes.String(), Serdes.Long()).build()
    s.init(
        StateStoreContext(
            "0_0",
            "app",
            0,
            str(tmp_path / "app" / "0_0"),
            changelog_topic=TOPIC,
            collector=collector,
            record_timestamp=lambda: record_ts,
        )
    )
    return s


def test_value_and_timestamp() -> None:
    assert ValueAndTimestamp.make(None, 5) is None
    vt = ValueAndTimestamp.make(3, 5)
    assert vt == ValueAndTimestamp(3, 5) and vt.value == 3 and vt.timestamp == 5
    assert ValueAndTimestamp.get_value_or_null(vt) == 3
    assert ValueAndTimestamp.get_value_or_null(None) is None


def test_stored_bytes_are_javas_layout(kind: str, tmp_path: Path) -> None:
    s: TimestampedKeyValueStore = make(kind, tmp_path, FakeCollector())
    s.put("a", ValueAndTimestamp(7, 1_700_000_000_000))
    raw = s.bytes_store.get(b"a")
    assert raw == struct.pack(">q", 1_700_000_000_000) + struct.pack(">q", 7)
    s.put("neg", ValueAndTimestamp(1, -1))
    assert s.bytes_store.get(b"neg")[:8] == b"\xff" * 8  # type: ignore[index]
    assert s.get("a") == ValueAndTimestamp(7, 1_700_000_000_000)
    s.close()


def test_api_returns_value_and_timestamp(kind: str, tmp_path: Path) -> None:
    s = make(kind, tmp_path, FakeCollector())
    assert s.put_if_absent("a", ValueAndTimestamp(1, 10)) is None
    assert s.put_if_absent("a", ValueAndTimestamp(2, 20)) == ValueAndTimestamp(1, 10)
    s.put("b", ValueAndTimestamp(2, 20))
    s.flush_changelog()
    s.commit(1)
    s.put("c", ValueAndTimestamp(3, 30))
    assert list(s.all()) == [
        ("a", ValueAndTimestamp(1, 10)),
        ("b", ValueAndTimestamp(2, 20)),
        ("c", ValueAndTimestamp(3, 30)),
    ]
    assert list(s.reverse_range("b")) == [
        ("c", ValueAndTimestamp(3, 30)),
        ("b", ValueAndTimestamp(2, 20)),
    ]
    assert s.delete("b") == ValueAndTimestamp(2, 20)
    s.put("c", None)
    assert list(s.all()) == [("a", ValueAndTimestamp(1, 10))]
    s.close()


@pytest.mark.parametrize("collector_kind", [FakeCollector, BatchCollector])
def test_changelog_carries_bare_value_and_its_timestamp(
    kind: str, tmp_path: Path, collector_kind: type[FakeCollector]
) -> None:
    collector = collector_kind()
    s = make(kind, tmp_path, collector, record_ts=555)
    s.put("a", ValueAndTimestamp(1, 10))
    s.put("a", ValueAndTimestamp(2, 20))
    s.put("b", ValueAndTimestamp(3, 30))
    s.delete("b")
    assert s.flush_changelog()
    long = Serdes.Long()
    assert collector.records == [
        (TOPIC, b"a", long.serialize(TOPIC, 2), 20, 0),
        (TOPIC, b"b", None, 555, 0),  # a delete carries the current record's timestamp
    ]
    s.close()


def test_restore_round_trip(kind: str, tmp_path: Path) -> None:
    collector = FakeCollector()
    s = make(kind, tmp_path, collector)
    s.put("a", ValueAndTimestamp(1, 10))
    s.put("b", ValueAndTimestamp(2, 20))
    s.put("c", ValueAndTimestamp(3, 30))
    s.delete("c")
    s.flush_changelog()
    s.abort()
    restored = make(kind, tmp_path / "other", FakeCollector())
    records = [(key, value, ts) for _, key, value, ts, _ in collector.records]
    restored.restore_batch(records, last_offset=len(records) - 1)
    assert list(restored.all()) == [
        ("a", ValueAndTimestamp(1, 10)),
        ("b", ValueAndTimestamp(2, 20)),
    ]
    assert restored.bytes_store.get(b"a") == struct.pack(">q", 10) + struct.pack(">q", 1)
    s.close()
    restored.close()
