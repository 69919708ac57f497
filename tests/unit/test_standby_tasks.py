"""Standby tasks in the task manager: opened where placed, following their changelogs,
promoted (their open stores handed over) when their task is assigned here, closed when
placed elsewhere."""

from __future__ import annotations

from typing import Any

import pytest
from test_changelog_reader import Changelogs, Store, Task
from test_interactive_queries import FakeStore, FakeThread, composite

from kstreams import StreamsBuilder
from kstreams.errors import StreamsError
from kstreams.processor.task_id import TaskId
from kstreams.runtime.changelog_reader import ChangelogReader
from kstreams.runtime.standby_tasks import StandbyTasks
from kstreams.runtime.task_manager import TASK_LOCKS, TaskManager, TaskState
from kstreams.runtime.thread_metadata import thread_metadata
from kstreams.state import StateStoreMigratedError

T0, T1 = TaskId(0, 0), TaskId(0, 1)


class DiskStore(Store):
    """A persistent store: what a standby applied is still there when the active task opens it."""

    persistent = True


class StandbyStores:
    def __init__(self, stores: list[Store]) -> None:
        self.stores = {s.name: s for s in stores}
        self.unverified: set[str] = set()
        self.closed: bool | None = None

    def logged(self) -> list[Store]:
        return list(self.stores.values())

    def is_source_changelog(self, store: Store) -> bool:
        return False

    def close(self, clean: bool = False) -> None:
        self.closed = clean


class Setup:
    """A task manager of topic ``in`` (2 partitions, one store each) with standby tasks."""

    def __init__(self, scope: str, ends: dict[int, int]) -> None:
        builder = StreamsBuilder()
        builder.stream("in").to("out")
        self.disk = {p: DiskStore(f"s{p}") for p in ends}
        self.standby_log = Changelogs(
            {(self.disk[p].changelog_topic, p): end for p, end in ends.items()}, per_fetch=10
        )
        self.restore_log = Changelogs(dict(self.standby_log.ends), per_fetch=1000)
        self.opened: list[StandbyStores] = []
        self.manager = TaskManager(
            builder.build(),
            "app",
            self.new_task,
            ChangelogReader(self.restore_log, step_s=0.0),
            "t",
            lock_scope=scope,
        )
        manager = self.manager

        def open_stores(task_id: TaskId) -> StandbyStores:
            stores = StandbyStores([self.disk[task_id.partition]])
            self.opened.append(stores)
            return stores

        manager.standbys = StandbyTasks(
            open_stores,  # type: ignore[arg-type]
            manager.task_partitions,
            self.standby_log,
            self.standby_log,
            lock=lambda i: TASK_LOCKS.try_lock(scope, i, manager),
            unlock=lambda i: TASK_LOCKS.unlock(scope, i, manager),
            client_id="t",
            step_s=60.0,  # a step ends when a round brings nothing (not on a slow machine's clock)
        )

    def new_task(self, task_id: TaskId, _: Any, handed: StandbyStores | None = None) -> Task:
        """The active task; ``handed``: its standby's open stores, which it adopts."""
        task = Task(task_id, [self.disk[task_id.partition]])
        if handed is not None:
            task.stores = handed  # type: ignore[assignment]
        return task

    def grow(self, partition: int, by: int) -> None:
        tp = (self.disk[partition].changelog_topic, partition)
        self.standby_log.ends[tp] += by
        self.restore_log.ends[tp] += by


def test_a_standby_follows_its_changelog_and_checkpoints_as_it_goes(tmp_path: Any) -> None:
    s = Setup(str(tmp_path), {0: 25, 1: 0})
    manager = s.manager
    manager.assigned([("in", 1)])
    manager.handle_assignment()
    assert manager.standby_round({T0, T1}) == 25  # T1 is assigned here: never a standby
    assert set(manager.standby_tasks()) == {T0}
    assert manager.standby_tasks()[T0].partitions == {("in", 0)}
    assert manager.state_of(T0) is TaskState.CLOSED  # a standby is not an active task
    assert T0 not in manager.running() and ("in", 0) not in manager.entries
    assert manager.standby_round({T0}) == 0
    assert s.disk[0].restored == 25 and s.disk[0].checkpoint == 24
    s.grow(0, 5)
    assert manager.standby_round({T0}) == 5 and s.disk[0].checkpoint == 29
    thread = type("Thread", (), {})()
    thread.__dict__.update(
        client_id="t",
        thread_state="RUNNING",
        task_manager=manager,
        wall_offset=0.0,
        last_poll=None,
        last_processed=None,
        last_commit=None,
        metrics=type("M", (), {"processed": 0})(),
        commits=0,
    )
    meta = thread_metadata(thread, "admin")
    assert {t.task_id for t in meta.standby_tasks} == {T0}
    assert {t.task_id for t in meta.active_tasks} == {T1}
    manager.close_all()
    manager.close_standbys()


def test_an_assigned_standby_is_promoted_and_restores_only_the_tail(tmp_path: Any) -> None:
    s = Setup(str(tmp_path), {0: 2000})
    manager = s.manager
    s.standby_log.per_fetch = 1000
    while manager.standby_round({T0}):
        pass
    assert s.disk[0].restored == 2000
    s.grow(0, 30)  # the active instance wrote more, then died before the standby read it
    manager.assigned([("in", 0)])
    manager.handle_assignment()
    assert manager.standby_tasks() == {}
    # recycled: the active task adopts the standby's open stores, never closed and reopened
    assert manager.tasks[T0].stores is s.opened[0] and s.opened[0].closed is None
    assert manager.state_of(T0) in (TaskState.RESTORING, TaskState.RUNNING)
    while manager.state_of(T0) is not TaskState.RUNNING:
        manager.restore_step()
    assert s.disk[0].restored == 2030  # the active restoration read the 30-record tail only
    assert not TASK_LOCKS.try_lock(str(tmp_path), T0, object())  # held by the active task
    # while placed here again, a task active here never gets a standby
    assert manager.standby_round({T0}) == 0 and manager.standby_tasks() == {}
    manager.close_all()
    manager.close_standbys()
    assert TASK_LOCKS.try_lock(str(tmp_path), T0, "other")
    TASK_LOCKS.unlock(str(tmp_path), T0, "other")


def test_a_standby_placed_elsewhere_is_closed_and_lets_its_task_go(tmp_path: Any) -> None:
    s = Setup(str(tmp_path), {0: 5})
    manager = s.manager
    manager.standby_round({T0})
    assert T0 in manager.standby_tasks()
    assert not TASK_LOCKS.try_lock(str(tmp_path), T0, "other thread")
    manager.standby_round(set())
    assert manager.standby_tasks() == {} and s.opened[0].closed is True
    assert TASK_LOCKS.try_lock(str(tmp_path), T0, "other thread")
    # another thread has it now: the standby waits, and opens once it is let go
    manager.standby_round({T0})
    assert manager.standby_tasks() == {}
    TASK_LOCKS.unlock(str(tmp_path), T0, "other thread")
    manager.standby_round({T0})
    assert T0 in manager.standby_tasks()
    manager.close_all()
    manager.close_standbys()


def test_standbys_wait_while_active_tasks_restore(tmp_path: Any) -> None:
    s = Setup(str(tmp_path), {0: 50, 1: 5000})
    manager = s.manager
    s.restore_log.per_fetch = 10
    manager.assigned([("in", 1)])
    manager.handle_assignment()
    assert manager.restoring()
    assert manager.standby_round({T0}) == 0  # opened, but not read while T1 restores
    assert T0 in manager.standby_tasks() and s.disk[0].restored == 0
    manager.close_all()  # e.g. a rewind after an aborted transaction: standbys keep going
    assert T0 in manager.standby_tasks() and not manager.restoring()
    assert manager.standby_round({T0}) == 50
    manager.close_standbys()
    assert manager.standby_tasks() == {} and s.opened[0].closed is True


def test_a_standby_store_answers_stale_reads_only() -> None:
    thread = FakeThread()
    thread.add(0, TaskState.RUNNING, {"a": 1})
    thread.standbys[T1] = FakeStore({"b": 2})
    fresh, _ = composite([thread])
    assert (fresh.get("a"), fresh.get("b")) == (1, None)  # the standby's key is not served
    stale, _ = composite([thread], stale_stores=True)
    assert (stale.get("a"), stale.get("b")) == (1, 2)
    only_standby, _ = composite([thread], stale_stores=True, partition=1)
    assert only_standby.get("b") == 2
    with pytest.raises(StateStoreMigratedError):
        composite([FakeThread()], partition=None)[0].get("b")


def test_a_failing_standby_is_closed_and_retried_without_stopping_the_thread(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kstreams.runtime import standby_tasks

    s = Setup(str(tmp_path), {0: 5})
    manager = s.manager
    manager.standby_round({T0})
    assert T0 in manager.standby_tasks()

    def broken(n: int, timeout: float) -> list[Any]:
        raise StreamsError("Restoring from app-s0-changelog-0: Broker: Unknown topic")

    consume, s.standby_log.consume = s.standby_log.consume, broken  # type: ignore[method-assign]
    s.grow(0, 5)
    assert manager.standby_round({T0}) == 0  # no exception: the standby is closed instead
    assert manager.standby_tasks() == {} and s.opened[0].closed is True
    assert TASK_LOCKS.try_lock(str(tmp_path), T0, "other")  # and its task let go
    TASK_LOCKS.unlock(str(tmp_path), T0, "other")
    manager.standby_round({T0})
    assert manager.standby_tasks() == {}  # not before RETRY_OPEN_S
    s.standby_log.consume = consume  # type: ignore[method-assign]
    monkeypatch.setattr(standby_tasks, "RETRY_OPEN_S", 0.0)
    assert manager.standby_round({T0}) == 5 and T0 in manager.standby_tasks()
    manager.close_standbys()
