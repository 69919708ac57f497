"""Session stores, both engines: Java's ``findSessions`` bounds and order, removal, expiry by
session end, the changelog (key + 8-byte end + 8-byte start), restoration.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kstreams.serde import Serdes
from kstreams.state import SessionStore, StateStoreContext, Stores
from kstreams.state.window_schema import session_key
from kstreams.windows.window import SessionWindow, Windowed

TOPIC = "app-s-changelog"
S, L = Serdes.String(), Serdes.Long()
ENGINES = ["memory", "rocksdb"]


class FakeCollector:
    def __init__(self) -> None:
        self.records: list[tuple[bytes, bytes | None, int]] = []

    def send_changelog(
        self, topic: str, key: bytes, value: bytes | None, timestamp: int, partition: int
    ) -> None:
        self.records.append((key, value, timestamp))


def supplier(engine: str, retention: Any = 1000) -> Any:
    if engine == "memory":
        return Stores.in_memory_session_store("s", retention)
    return Stores.persistent_session_store("s", retention)


def open_store(
    tmp_path: Path, engine: str, retention: Any = 1000, collector: FakeCollector | None = None
) -> Any:
    store = Stores.session_store_builder(supplier(engine, retention), S, L).build()
    store.init(
        StateStoreContext(
            "0_0",
            "app",
            0,
            str(tmp_path),
            changelog_topic=TOPIC,
            collector=collector if collector is not None else FakeCollector(),
            record_timestamp=lambda: 9,
        )
    )
    return store


def commit(store: Any, offset: int) -> None:
    store.flush_changelog()
    store.commit(offset)


def sw(key: str, start: int, end: int) -> Windowed[str]:
    return Windowed(key, SessionWindow(start, end))


@pytest.fixture(params=ENGINES)
def engine(request: Any) -> str:
    return request.param  # type: ignore[no-any-return]


def test_find_sessions_bounds_are_java_s(tmp_path: Path, engine: str) -> None:
    store = open_store(tmp_path, engine)
    assert isinstance(store, SessionStore)
    store.put(sw("a", 0, 10), 1)
    store.put(sw("a", 20, 30), 2)
    store.put(sw("a", 40, 40), 3)
    store.put(sw("b", 0, 50), 4)
    commit(store, 1)
    # ending at or after 10, starting at or before 20
    assert list(store.find_sessions("a", 10, 20)) == [(sw("a", 0, 10), 1), (sw("a", 20, 30), 2)]
    assert list(store.find_sessions("a", 11, 19)) == []
    assert list(store.find_sessions("a", 31, 40)) == [(sw("a", 40, 40), 3)]
    assert list(store.backward_find_sessions("a", 0, 100)) == [
        (sw("a", 40, 40), 3),
        (sw("a", 20, 30), 2),
        (sw("a", 0, 10), 1),
    ]
    assert store.fetch_session("a", 20, 30) == 2
    assert store.fetch_session("a", 20, 31) is None
    assert [w for w, _ in store.fetch("b")] == [sw("b", 0, 50)]
    assert len(list(store.fetch_range(None, None))) == 4
    got = [(w.key, w.window.end) for w, _ in store.find_sessions_range("a", "b", 0, 100)]
    if engine == "memory":  # session end, then key, then start
        assert got == [("a", 10), ("a", 30), ("a", 40), ("b", 50)]
    else:  # one segment: key bytes, end, start
        assert got == [("a", 10), ("a", 30), ("a", 40), ("b", 50)]


def test_remove_and_put_none_delete(tmp_path: Path, engine: str) -> None:
    collector = FakeCollector()
    store = open_store(tmp_path, engine, collector=collector)
    store.put(sw("a", 0, 10), 1)
    store.put(sw("a", 20, 30), 2)
    commit(store, 1)
    store.remove(sw("a", 0, 10))
    store.put(sw("a", 20, 30), None)
    assert list(store.fetch("a")) == []
    commit(store, 2)
    assert list(store.fetch("a")) == []
    assert collector.records[-2:] == [
        (session_key(b"a", 0, 10), None, 9),
        (session_key(b"a", 20, 30), None, 9),
    ]
    assert session_key(b"a", 0, 10) == b"a" + (10).to_bytes(8, "big") + (0).to_bytes(8, "big")


def test_sessions_expire_by_their_end(tmp_path: Path, engine: str) -> None:
    store = open_store(tmp_path, engine, retention=100)
    store.put(sw("a", 0, 10), 1)
    store.put(sw("a", 100, 110), 2)  # stream time 110: a session ending at 10 is expired
    assert list(store.fetch("a")) == [(sw("a", 100, 110), 2)]
    commit(store, 1)
    assert list(store.fetch("a")) == [(sw("a", 100, 110), 2)]
    assert store.fetch_session("a", 0, 10) is None


def test_find_sessions_by_end(tmp_path: Path, engine: str) -> None:
    store = open_store(tmp_path, engine)
    store.put(sw("a", 0, 10), 1)
    store.put(sw("b", 5, 20), 2)
    store.put(sw("c", 25, 30), 3)
    assert [w for w, _ in store.find_sessions_by_end(10, 20)] == [sw("a", 0, 10), sw("b", 5, 20)]


def test_restore_from_the_changelog(tmp_path: Path, engine: str) -> None:
    collector = FakeCollector()
    store = open_store(tmp_path, engine, collector=collector)
    store.put(sw("a", 0, 10), 1)
    store.put(sw("a", 20, 30), 2)
    commit(store, 1)
    store.remove(sw("a", 0, 10))
    commit(store, 2)
    fresh = open_store(tmp_path / "other", engine)
    fresh.restore_batch(collector.records, 2)
    assert list(fresh.fetch("a")) == [(sw("a", 20, 30), 2)]


def test_null_keys_are_refused(tmp_path: Path, engine: str) -> None:
    store = open_store(tmp_path, engine)
    with pytest.raises(ValueError, match="key cannot be null"):
        store.put(sw(None, 0, 1), 1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="key cannot be null"):
        list(store.find_sessions(None, 0, 1))
    with pytest.raises(ValueError, match="retentionPeriod cannot be negative"):
        Stores.in_memory_session_store("s", -1)


def test_find_sessions_by_end_on_rocksdb_expires_whole_segments(tmp_path: Path) -> None:
    # Java's time-ordered session store: no exact retention filter, only dropped segments;
    # by end, then start, then key
    store = open_store(tmp_path, "rocksdb", retention=100)
    store.put(sw("b", 0, 10), 1)
    store.put(sw("a", 5, 10), 2)
    store.put(sw("a", 150, 150), 3)  # stream time 150: ends before 51 are past retention
    assert list(store.fetch("b")) == []
    assert [(w.key, w.window.start) for w, _ in store.find_sessions_by_end(0, 200)] == [
        ("b", 0),
        ("a", 5),
        ("a", 150),
    ]
    memory = open_store(tmp_path / "m", "memory", retention=100)
    memory.put(sw("b", 0, 10), 1)
    memory.put(sw("a", 150, 150), 3)
    assert [w.key for w, _ in memory.find_sessions_by_end(0, 200)] == ["a"]
