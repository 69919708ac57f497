"""Interactive queries of window and session stores over several local tasks (fake threads,
real stores): single-key reads find the task that has the key, range reads go task by
task, timestamped window stores answer with plain values, a closed store says so.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from kstreams.processor.task_id import TaskId
from kstreams.runtime.task_manager import TaskState
from kstreams.runtime.window_queries import (
    ReadOnlyCompositeSessionStore,
    ReadOnlyCompositeWindowStore,
)
from kstreams.serde import Serdes
from kstreams.state import (
    StateStoreContext,
    StateStoreMigratedError,
    Stores,
    ValueAndTimestamp,
)
from kstreams.state.caching import ThreadCache, cached_store
from kstreams.windows.window import SessionWindow, TimeWindow, Windowed

S, L = Serdes.String(), Serdes.Long()


class FakeThread:
    client_id = "t1"
    thread_state = "RUNNING"

    def __init__(self, stores: dict[int, Any]) -> None:
        self.stores = stores
        self.task_manager = self

    def snapshot(self) -> Any:
        entries = [
            (
                TaskId(0, p),
                TaskState.RUNNING,
                SimpleNamespace(stores=SimpleNamespace(stores={"w": s})),
            )
            for p, s in self.stores.items()
        ]
        return entries, {("in", p) for p in self.stores}


def open_stores(tmp_path: Path, builder_of: Any) -> dict[int, Any]:
    out = {}
    for p in (0, 1):
        store = cached_store(builder_of().build(), ThreadCache(1 << 20))
        store.init(StateStoreContext(f"0_{p}", "app", p, str(tmp_path / str(p))))
        out[p] = store
    return out


def view(kind: Any, stores: dict[int, Any]) -> Any:
    return kind("w", lambda: "RUNNING", lambda: [FakeThread(stores)], 0, frozenset({"in"}))


def test_window_store_queries_across_tasks(tmp_path: Path) -> None:
    stores = open_stores(
        tmp_path,
        lambda: Stores.timestamped_window_store_builder(
            Stores.persistent_timestamped_window_store("w", 1000, 10), S, L
        ).with_caching_enabled(),
    )
    stores[0].put("a", ValueAndTimestamp(1, 3), 0)
    stores[1].put("b", ValueAndTimestamp(2, 4), 0)
    stores[1].put("b", ValueAndTimestamp(3, 14), 10)
    composite = view(ReadOnlyCompositeWindowStore, stores)
    assert composite.fetch("b", 10) == 3  # a cached (unflushed) window answers
    assert composite.fetch("c", 10) is None
    assert list(composite.fetch("b", 0, 100)) == [(0, 2), (10, 3)]
    assert list(composite.backward_fetch("b", 0, 100)) == [(10, 3), (0, 2)]
    assert list(composite.fetch_all(0, 0)) == [
        (Windowed("a", TimeWindow(0, 10)), 1),
        (Windowed("b", TimeWindow(0, 10)), 2),
    ]
    assert len(list(composite.all())) == 3
    assert [w.key for w, _ in composite.fetch_keys("b", "b", 0, 100)] == ["b", "b"]
    assert list(composite.fetch_range("b", 10, 10)) == [(10, 3)]
    stores[0].close()
    with pytest.raises(StateStoreMigratedError):
        list(composite.fetch_all(0, 100))


def test_session_store_queries_across_tasks(tmp_path: Path) -> None:
    stores = open_stores(
        tmp_path,
        lambda: Stores.session_store_builder(Stores.in_memory_session_store("w", 1000), S, L),
    )
    stores[0].put(Windowed("a", SessionWindow(0, 5)), 2)
    stores[1].put(Windowed("b", SessionWindow(3, 3)), 1)
    composite = view(ReadOnlyCompositeSessionStore, stores)
    assert composite.fetch_session("a", 0, 5) == 2
    assert list(composite.fetch("b")) == [(Windowed("b", SessionWindow(3, 3)), 1)]
    assert list(composite.find_sessions("a", 6, 10)) == []
    assert [w.key for w, _ in composite.fetch_range(None, None)] == ["a", "b"]
    assert [w.key for w, _ in composite.find_sessions_range("a", "b", 0, 4)] == ["a", "b"]
