"""Interactive queries tell the truth: the InvalidStateStoreError family, with fake threads."""

from __future__ import annotations

import tempfile
from types import SimpleNamespace
from typing import Any

import pytest

from kstreams.processor.task_id import TaskId
from kstreams.runtime.queries import ReadOnlyCompositeStore, StoreQueryParameters
from kstreams.runtime.task_manager import TaskState
from kstreams.state import (
    InvalidStateStoreError,
    InvalidStateStorePartitionError,
    StateStoreMigratedError,
    StreamsNotStartedError,
    StreamsRebalancingError,
    StreamsStoppedError,
)
from kstreams.state.rocksdb import RocksDBStore


class FakeStore:
    def __init__(self, data: dict[str, int]) -> None:
        self.data = data
        self.open = True
        self.changelog_topic = "app-s-changelog"
        self.name = "s"
        self.key_serde = SimpleNamespace(serialize=lambda topic, k: k.encode())

    def _check(self) -> None:
        if not self.open:
            raise InvalidStateStoreError("Store s is currently closed")

    def _get_concurrent(self, key: str) -> Any:
        self._check()
        return self.data.get(key)

    def _range(self, lo: Any, hi: Any, reverse: bool, concurrent: bool) -> Any:
        self._check()
        return iter(sorted(self.data.items(), reverse=reverse))

    def _prefix_scan(self, prefix: str, serde: Any, concurrent: bool) -> Any:
        self._check()
        return iter(sorted((k, v) for k, v in self.data.items() if k.startswith(prefix)))

    def approximate_num_entries(self) -> int:
        self._check()
        return len(self.data)

    def is_open(self) -> bool:
        return self.open


class FakeThread:
    def __init__(self, name: str = "t1", state: str = "RUNNING") -> None:
        self.client_id = name
        self.thread_state = state
        self.tasks: dict[TaskId, tuple[TaskState, FakeStore]] = {}
        self.assignment: set[tuple[str, int]] = set()
        self.standbys: dict[TaskId, FakeStore] = {}
        self.task_manager = self

    def add(
        self, partition: int, state: TaskState, data: dict[str, int], sub: int = 0
    ) -> FakeStore:
        store = FakeStore(data)
        self.tasks[TaskId(sub, partition)] = (state, store)
        self.assignment.add(("in" if sub == 0 else "other", partition))
        return store

    def standby_tasks(self) -> dict[TaskId, Any]:
        return {
            i: SimpleNamespace(stores=SimpleNamespace(stores={"s": st}))
            for i, st in self.standbys.items()
        }

    def snapshot(self) -> Any:
        entries = [
            (i, s, SimpleNamespace(stores=SimpleNamespace(stores={"s": st})))
            for i, (s, st) in self.tasks.items()
        ]
        return entries, set(self.assignment)


def composite(threads: list[FakeThread], state: str = "RUNNING", **params: Any) -> Any:
    holder = {"state": state}
    view = ReadOnlyCompositeStore(
        StoreQueryParameters("s", **params),
        lambda: holder["state"],
        lambda: threads,
        0,
        frozenset({"in"}),
    )
    return view, holder


def test_running_tasks_answer_every_key() -> None:
    t = FakeThread()
    t.add(0, TaskState.RUNNING, {"a": 1, "c": 3})
    t.add(1, TaskState.RUNNING, {"b": 2})
    view, _ = composite([t])
    assert (view.get("a"), view.get("b"), view.get("zz")) == (1, 2, None)
    assert list(view.all()) == [("a", 1), ("b", 2), ("c", 3)]
    assert list(view.reverse_all()) == [("c", 3), ("b", 2), ("a", 1)]
    assert list(view.prefix_scan("b", None)) == [("b", 2)]
    assert view.approximate_num_entries() == 3


@pytest.mark.parametrize(
    "task_state", [TaskState.CREATED, TaskState.RESTORING, TaskState.SUSPENDED]
)
def test_a_task_not_running_makes_every_read_raise(task_state: TaskState) -> None:
    t = FakeThread()
    t.add(0, TaskState.RUNNING, {"a": 1})
    t.add(1, task_state, {"b": 2})
    view, _ = composite([t])
    for read in (
        lambda: view.get("a"),
        lambda: view.get("b"),
        lambda: list(view.all()),
        lambda: list(view.range("a", "b")),
        lambda: list(view.prefix_scan("a", None)),
        view.approximate_num_entries,
    ):
        with pytest.raises(StreamsRebalancingError, match=f"task 0_1 .* is {task_state.value}"):
            read()


def test_an_assigned_partition_without_a_task_raises() -> None:
    t = FakeThread()
    t.add(0, TaskState.RUNNING, {"a": 1})
    t.assignment.add(("in", 1))  # e.g. waiting for another thread of this process to let go
    view, _ = composite([t])
    with pytest.raises(StreamsRebalancingError, match="in-1 are assigned"):
        view.get("b")


def test_other_subtopologies_do_not_matter() -> None:
    t = FakeThread()
    t.add(0, TaskState.RUNNING, {"a": 1})
    t.add(0, TaskState.RESTORING, {"x": 9}, sub=1)
    view, _ = composite([t])
    assert view.get("a") == 1


def test_thread_not_running_raises_rebalancing_and_dead_threads_are_skipped() -> None:
    t1, t2 = FakeThread("t1"), FakeThread("t2", "PARTITIONS_ASSIGNED")
    t1.add(0, TaskState.RUNNING, {"a": 1})
    view, _ = composite([t1, t2], state="REBALANCING")
    with pytest.raises(StreamsRebalancingError, match="t2 is PARTITIONS_ASSIGNED, not RUNNING"):
        view.get("a")
    t2.thread_state = "DEAD"
    assert view.get("a") == 1


def test_client_states() -> None:
    t = FakeThread()
    t.add(0, TaskState.RUNNING, {"a": 1})
    view, holder = composite([t], state="CREATED")
    with pytest.raises(StreamsNotStartedError, match="after calling start"):
        view.get("a")
    for stopped in ("PENDING_SHUTDOWN", "NOT_RUNNING", "PENDING_ERROR", "ERROR"):
        holder["state"] = stopped
        with pytest.raises(StreamsStoppedError, match=stopped):
            view.get("a")
    holder["state"] = "RUNNING"
    assert view.get("a") == 1


def test_no_local_task_is_migrated_and_missing_partition_is_partition_error() -> None:
    view, _ = composite([FakeThread()])
    with pytest.raises(StateStoreMigratedError, match="may have migrated"):
        view.get("a")
    t = FakeThread()
    t.add(0, TaskState.RUNNING, {"a": 1})
    view, _ = composite([t], partition=3)
    with pytest.raises(InvalidStateStorePartitionError, match="partition 3"):
        view.get("a")


def test_partition_query_looks_only_at_that_partition() -> None:
    t = FakeThread()
    t.add(0, TaskState.RUNNING, {"a": 1})
    t.add(1, TaskState.RESTORING, {"b": 2})
    view, _ = composite([t], partition=0)
    assert view.get("a") == 1
    assert view.get("b") is None


def test_stale_stores_answer_from_restoring_and_suspended_tasks() -> None:
    t = FakeThread(state="PARTITIONS_ASSIGNED")
    t.add(0, TaskState.RESTORING, {"a": 1})
    t.add(1, TaskState.SUSPENDED, {"b": 2})
    view, _ = composite([t], state="REBALANCING", stale_stores=True)
    assert (view.get("a"), view.get("b")) == (1, 2)
    params = StoreQueryParameters.from_name_and_type("s").enable_stale_stores().with_partition(1)
    assert params.stale_stores_enabled() and params.partition == 1


def test_a_store_closed_under_the_read_is_migrated() -> None:
    t = FakeThread()
    store = t.add(0, TaskState.RUNNING, {"a": 1})
    view, _ = composite([t])
    store.open = False
    with pytest.raises(StateStoreMigratedError, match="closed while it was read"):
        view.get("a")


def test_a_task_leaving_during_iteration_is_not_a_silent_short_answer() -> None:
    t = FakeThread()
    t.add(0, TaskState.RUNNING, {"a": 1, "b": 2})
    view, _ = composite([t])
    it = view.all()
    assert next(it) == ("a", 1)
    t.tasks[TaskId(0, 0)] = (TaskState.SUSPENDED, t.tasks[TaskId(0, 0)][1])
    with pytest.raises(InvalidStateStoreError):
        list(it)


def test_none_only_if_the_tasks_stayed_the_same() -> None:
    # the key's task appears between the check and the read: the read is done again
    t = FakeThread()
    t.add(0, TaskState.RUNNING, {"a": 1})
    view, _ = composite([t])
    calls = {"n": 0}
    original = t.snapshot

    def snapshot() -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            t.add(1, TaskState.RUNNING, {"b": 2})
        return original()

    t.snapshot = snapshot  # type: ignore[method-assign]
    assert view.get("b") == 2


def _rocks(tmp: str) -> RocksDBStore:
    store = RocksDBStore("m")
    store.init(SimpleNamespace(state_dir=tmp))  # type: ignore[arg-type]
    return store


def test_rocksdb_approximate_num_entries_after_rewrites_and_deletes() -> None:
    store = _rocks(tempfile.mkdtemp())
    n = 20000
    for round_ in range(4):  # a changelog with every key four times, as a restore writes it
        for start in range(0, n, 1000):
            store.write([(b"k%06d" % i, b"v%d" % round_) for i in range(start, start + 1000)])
    store.write([(b"k%06d" % i, None) for i in range(0, n, 10)])
    true = n - n // 10
    assert store.approximate_num_entries() == true
    store.write([(b"x%06d" % i, b"1") for i in range(500)])
    assert abs(store.approximate_num_entries() - (true + 500)) <= 0.05 * true
    store.write([(b"y%06d" % i, b"1") for i in range(5000)])  # past 5%: counted again
    assert store.approximate_num_entries() == true + 5500
    store.close()
