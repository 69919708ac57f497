"""Bulk restoration (records put straight into the engine's batch) against ``restore_batch``.

The same changelog (puts, overwrites, tombstones, a null key) restored into the same kind of
store through both paths gives the same data, the same checkpoint and the same listener
calls; a layer that changes restored records (window stores) offers no writer, so it keeps
``restore_batch``.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import pytest
from changelog_fakes import Position
from confluent_kafka import Message

from kstreams.runtime.restore import plan_restore, restore_stores
from kstreams.serde import Serdes
from kstreams.state import StateStoreContext, Stores
from kstreams.state.caching import cached_store
from kstreams.state.thread_cache import ThreadCache

TOPIC = "app-counts-changelog"
_LONG = struct.Struct(">q")


class NullCollector:
    def send_changelog(self, *args: Any) -> None:
        return None


def changelog(partition: int) -> list[Message]:
    """Offsets 0..: 60 keys counted up three times, every seventh key deleted after its first
    count, a null-key record (a source topic's, dropped) at offset 5."""
    msgs: list[Message] = []
    for rnd in range(3):
        for k in range(60):
            offset = len(msgs)
            key: bytes | None = b"k%03d" % k
            value: bytes | None = _LONG.pack(rnd * 100 + k)
            if offset == 5:
                key = None
            elif rnd == 1 and k % 7 == 0:
                value = None
            msgs.append(
                Message(
                    topic=TOPIC,
                    partition=partition,
                    offset=offset,
                    key=key,
                    value=value,
                    timestamp=(1, 1_000 + offset),
                    error=None,
                )
            )
    return msgs


class Changelog:
    """A restore consumer over ``changelog(partition)``: ``per_fetch`` records a fetch."""

    def __init__(self, partition: int, per_fetch: int) -> None:
        self.log = changelog(partition)
        self.partition = partition
        self.per_fetch = per_fetch
        self.pos: dict[int, int] = {}

    def get_watermark_offsets(self, tp: Any, timeout: float, cached: bool) -> tuple[int, int]:
        return 0, len(self.log)

    def list_topics(self, topic: str, timeout: float) -> None:
        return None

    def assign(self, tps: list[Any]) -> None:
        self.pos = {tp.partition: tp.offset for tp in tps}

    def unassign(self) -> None:
        self.pos = {}

    def pause(self, tps: list[Any]) -> None:
        return None

    def resume(self, tps: list[Any]) -> None:
        return None

    def consume(self, n: int, timeout: float) -> list[Message]:
        start = self.pos[self.partition]
        out = self.log[start : start + min(n, self.per_fetch)]
        self.pos[self.partition] = start + len(out)
        return out

    def position(self, tps: list[Any]) -> list[Position]:
        return [Position(tp.topic, tp.partition, self.pos[tp.partition]) for tp in tps]


class BatchOnly:
    """A store seen through ``restore_batch`` only (no writer): the reference path."""

    def __init__(self, store: Any) -> None:
        self._store = store
        self.name = store.name
        self.changelog_topic = store.changelog_topic

    def restore_offset(self) -> int | None:
        return self._store.restore_offset()  # type: ignore[no-any-return]

    def restore_batch(self, records: list[Any], last_offset: int) -> None:
        self._store.restore_batch(records, last_offset)

    def wipe(self) -> None:
        self._store.wipe()


class Listener:
    def __init__(self) -> None:
        self.batches: list[tuple[int, int]] = []

    def on_batch_restored(self, tp: Any, store: str, end: int, n: int) -> None:
        self.batches.append((end, n))


def open_store(tmp_path: Path, engine: str, timestamped: bool, cached: bool) -> Any:
    if engine == "rocksdb":
        supplier = (
            Stores.persistent_timestamped_key_value_store("counts")
            if timestamped
            else Stores.persistent_key_value_store("counts")
        )
    else:
        supplier = Stores.in_memory_key_value_store("counts")
    make = (
        Stores.timestamped_key_value_store_builder
        if timestamped
        else Stores.key_value_store_builder
    )
    builder = make(supplier, Serdes.String(), Serdes.Long())
    cache = ThreadCache(1024 * 1024)
    store = (
        cached_store(builder.with_caching_enabled().build(), cache) if cached else builder.build()
    )
    store.init(
        StateStoreContext(
            "0_2",
            "app",
            2,
            str(tmp_path),
            changelog_topic=TOPIC,
            collector=NullCollector(),
            thread_cache=cache,
        )
    )
    return store


def restore(store: Any, per_fetch: int) -> tuple[int, list[tuple[int, int]]]:
    consumer = Changelog(2, per_fetch)
    listener = Listener()
    job = plan_restore(consumer, store, 2)
    assert job is not None
    return restore_stores(consumer, [job], listener), listener.batches


@pytest.mark.parametrize("engine", ["rocksdb", "memory"])
@pytest.mark.parametrize("timestamped", [True, False])
@pytest.mark.parametrize("cached", [True, False])
def test_the_writer_restores_what_restore_batch_restores(
    tmp_path: Path, engine: str, timestamped: bool, cached: bool
) -> None:
    fast = open_store(tmp_path / "fast", engine, timestamped, cached)
    slow = open_store(tmp_path / "slow", engine, timestamped, cached)
    writer = fast.restore_writer()
    assert writer is not None  # the bulk path is the one under test
    assert (writer.stamp is not None) == timestamped
    got_fast = restore(fast, per_fetch=25)
    got_slow = restore(BatchOnly(slow), per_fetch=25)
    assert got_fast == got_slow
    assert got_fast[0] == 179  # every record but the null key's
    assert list(fast.all()) == list(slow.all())
    assert len(list(fast.all())) == 60
    assert fast.restore_offset() == slow.restore_offset() == 179
    # the same bytes below the serdes too: timestamps (the record's) and deletes
    assert fast.get("k007") == slow.get("k007")
    fast.close()
    slow.close()


def test_a_store_reopened_keeps_what_the_writer_restored(tmp_path: Path) -> None:
    store = open_store(tmp_path, "rocksdb", True, True)
    restore(store, per_fetch=1000)
    expected = list(store.all())
    store.close()
    store = open_store(tmp_path, "rocksdb", True, True)
    assert store.restore_offset() == 179
    assert list(store.all()) == expected
    assert store.get("k001").value == 201 and store.get("k001").timestamp == 1_000 + 121
    store.close()


def test_a_layer_that_changes_restored_records_offers_no_writer(tmp_path: Path) -> None:
    supplier = Stores.persistent_window_store("w", 60_000, 10_000, False)
    store = Stores.window_store_builder(supplier, Serdes.String(), Serdes.Long()).build()
    store.init(
        StateStoreContext(
            "0_0", "app", 0, str(tmp_path), changelog_topic=TOPIC, collector=NullCollector()
        )
    )
    assert store.restore_writer() is None  # restored through restore_batch
    store.close()


def test_a_store_with_uncommitted_writes_refuses_a_writer(tmp_path: Path) -> None:
    store = open_store(tmp_path, "rocksdb", False, False)
    store.put("k", 1)
    with pytest.raises(Exception, match="cannot restore while it has uncommitted writes"):
        store.restore_writer()
    store.close()
