"""RocksDB specifics: what is on disk after commit, close and reopen; locks; metadata."""

from __future__ import annotations

import gc
import os
from pathlib import Path
from typing import Any

import pytest

from kstreams.errors import StreamsError
from kstreams.serde import Serdes
from kstreams.state import (
    KeyValueStore,
    RocksDBStore,
    StateStoreContext,
    Stores,
)
from kstreams.state.buffered import META_OFFSET

TOPIC = "app-store-changelog"


class FakeCollector:
    def __init__(self) -> None:
        self.records: list[tuple[str, bytes, bytes | None, int, int]] = []

    def send_changelog(
        self, topic: str, key: bytes, value: bytes | None, timestamp: int, partition: int
    ) -> None:
        self.records.append((topic, key, value, timestamp, partition))


def context(tmp_path: Path, topic: str | None = TOPIC) -> StateStoreContext:
    return StateStoreContext(
        "0_1",
        "app",
        1,
        str(tmp_path / "app" / "0_1"),
        changelog_topic=topic,
        collector=FakeCollector(),
    )


def build(name: str = "store", timestamped: bool = False) -> Any:
    if timestamped:
        return Stores.timestamped_key_value_store_builder(
            Stores.persistent_timestamped_key_value_store(name), Serdes.String(), Serdes.Long()
        ).build()
    return Stores.key_value_store_builder(
        Stores.persistent_key_value_store(name), Serdes.String(), Serdes.Long()
    ).build()


def reopen(tmp_path: Path, store: Any | None = None, topic: str | None = TOPIC) -> KeyValueStore:
    if store is not None:
        store.close()
    s = build()
    s.init(context(tmp_path, topic))
    return s


def test_store_lives_under_task_dir(tmp_path: Path) -> None:
    s = build()
    s.init(context(tmp_path))
    path = tmp_path / "app" / "0_1" / "rocksdb" / "store"
    assert path.is_dir()
    assert s.bytes_store.inner.path == str(path)  # type: ignore[attr-defined]
    s.close()


def test_commit_persists_data_and_offset(tmp_path: Path) -> None:
    s = build()
    s.init(context(tmp_path))
    assert s.restore_offset() is None
    s.put("a", 1)
    s.put("b", 2)
    s.flush_changelog()
    s.commit(41)
    s.put("b", None)
    s.flush_changelog()
    s.commit(42)
    assert s.restore_offset() == 42
    s.commit(None)  # nothing changed: the offset stays
    s = reopen(tmp_path, s)
    assert list(s.all()) == [("a", 1)]
    assert s.restore_offset() == 42
    s.close()


def test_uncommitted_writes_are_not_on_disk(tmp_path: Path) -> None:
    s = build()
    s.init(context(tmp_path))
    s.put("a", 1)
    s.flush_changelog()
    s.commit(1)
    s.put("a", 2)
    s.put("b", 3)
    s.flush_changelog()  # sent, but the producer flush never confirmed: no commit()
    s = reopen(tmp_path, s)
    assert list(s.all()) == [("a", 1)]
    assert s.restore_offset() == 1
    s.close()


def test_offset_of_another_changelog_is_ignored(tmp_path: Path) -> None:
    s = build()
    s.init(context(tmp_path))
    s.put("a", 1)
    s.flush_changelog()
    s.commit(9)
    s = reopen(tmp_path, s, topic="other-app-store-changelog")
    assert s.restore_offset() is None
    assert s.get("a") == 1  # the data stays; the runtime restores from the beginning
    s.close()


def test_user_keys_cannot_collide_with_metadata(tmp_path: Path) -> None:
    s = Stores.key_value_store_builder(
        Stores.persistent_key_value_store("store"), Serdes.Bytes(), Serdes.Bytes()
    ).build()
    s.init(context(tmp_path))
    s.put(META_OFFSET, b"user data")
    s.flush_changelog()
    s.commit(5)
    assert s.get(META_OFFSET) == b"user data"
    assert s.restore_offset() == 5
    assert list(s.all()) == [(META_OFFSET, b"user data")]
    s.close()


def test_restore_batch_persists_offset(tmp_path: Path) -> None:
    s = build()
    s.init(context(tmp_path))
    long = Serdes.Long()
    s.restore_batch([(b"a", long.serialize(TOPIC, 1), 0), (b"b", long.serialize(TOPIC, 2), 0)], 3)
    s = reopen(tmp_path, s)
    assert s.restore_offset() == 3
    assert list(s.all()) == [("a", 1), ("b", 2)]
    s.wipe()
    s = reopen(tmp_path, s)
    assert s.restore_offset() is None
    assert list(s.all()) == []
    s.close()


def test_lock_error_names_the_directory(tmp_path: Path) -> None:
    s = build()
    s.init(context(tmp_path))
    other = build()
    with pytest.raises(StreamsError, match="locked") as info:
        other.init(context(tmp_path))
    assert os.path.join("app", "0_1", "rocksdb", "store") in str(info.value)
    s.close()
    other.init(context(tmp_path))  # free again after close
    other.close()


def test_close_invalidates_open_iterators(tmp_path: Path) -> None:
    s = build()
    s.init(context(tmp_path))
    for k in "abc":
        s.put(k, 1)
    s.flush_changelog()
    s.commit(1)
    started = s.all()
    next(started)
    unstarted = s.range("a", "b")
    s.close()
    assert list(started) == []
    assert list(unstarted) == []
    s = reopen(tmp_path)  # no iterator keeps the database (and its lock) alive
    assert [k for k, _ in s.all()] == ["a", "b", "c"]
    del started, unstarted
    gc.collect()
    s.close()


def test_reinit_after_close(tmp_path: Path) -> None:
    s = build()
    s.init(context(tmp_path))
    s.put("a", 1)
    s.flush_changelog()
    s.commit(1)
    s.close()
    s.init(context(tmp_path))
    assert s.get("a") == 1
    with pytest.raises(StreamsError, match="already open"):
        s.bytes_store.inner.init(context(tmp_path))
    s.close()


def test_changing_value_format_wipes_the_store(tmp_path: Path) -> None:
    s = build()
    s.init(context(tmp_path))
    s.put("a", 1)
    s.flush_changelog()
    s.commit(1)
    s.close()
    t = build(timestamped=True)
    t.init(context(tmp_path))  # plain values would be misread as timestamp + value
    assert list(t.all()) == []
    assert t.restore_offset() is None
    t.close()


def test_engine_directly(tmp_path: Path) -> None:
    engine = RocksDBStore("raw")
    engine.init(context(tmp_path))
    engine.write([(b"b", b"2"), (b"a", b"1"), (b"c", b"3"), (b"c", None)], {b"m": b"x"})
    assert engine.get(b"a") == b"1"
    assert engine.get(b"c") is None
    assert engine.get_meta(b"m") == b"x"
    assert engine.get(b"m") is None
    assert list(engine.range(None, None, False)) == [(b"a", b"1"), (b"b", b"2")]
    assert list(engine.range(b"a", b"b", True)) == [(b"a", b"1")]
    assert list(engine.range(None, b"b", True)) == [(b"a", b"1")]
    assert list(engine.range(b"a\x00", None, True)) == [(b"b", b"2")]
    assert engine.approximate_num_entries() >= 1
    engine.close()
    engine.close()  # idempotent


def test_the_changelog_checkpoint_never_goes_backwards(tmp_path: Path) -> None:
    store = reopen(tmp_path)
    store.restore_batch([], 40)  # a restore reached offset 40
    store.put("k", 1)
    store.flush_changelog()
    store.commit(7)  # an offset remembered from an earlier ownership of the partition
    assert store.restore_offset() == 40
    store.commit(41)
    assert store.restore_offset() == 41
    store.close()
