"""Task recycling (Kafka Streams' ``StandbyTask`` <-> ``StreamTask``): a task changing role on
one thread keeps its stores open, with their checkpoints, in both directions."""

from __future__ import annotations

from typing import Any

from test_changelog_reader import Task
from test_standby_tasks import T0, Setup, StandbyStores

from kstreams.processor.task_id import TaskId
from kstreams.runtime.task_manager import TASK_LOCKS, TaskState


class RecyclableTask(Task):
    """An active task whose stores can be handed over open (as ``StreamTask.recycle``)."""

    def __init__(self, task_id: TaskId, stores: StandbyStores) -> None:
        super().__init__(task_id, [])
        self.stores = stores  # type: ignore[assignment]
        self.recycled = False

    def recycle(self) -> StandbyStores:
        self.recycled = True
        return self.stores  # type: ignore[return-value]


class RecyclingSetup(Setup):
    def __init__(self, scope: str, ends: dict[int, int]) -> None:
        super().__init__(scope, ends)
        self.created: list[StandbyStores] = []

    def new_task(self, task_id: TaskId, _: Any, handed: Any = None) -> Task:
        stores = handed
        if stores is None:
            stores = StandbyStores([self.disk[task_id.partition]])
            self.created.append(stores)
        return RecyclableTask(task_id, stores)


def run(manager: Any, task_id: TaskId) -> None:
    while manager.state_of(task_id) is not TaskState.RUNNING:
        manager.restore_step()


def test_a_revoked_task_still_placed_here_becomes_a_standby_with_its_open_stores(
    tmp_path: Any,
) -> None:
    scope = str(tmp_path)
    s = RecyclingSetup(scope, {0: 40})
    manager = s.manager
    manager.assigned([("in", 0)])
    manager.handle_assignment()
    run(manager, T0)
    stores = manager.tasks[T0].stores
    assert s.disk[0].restored == 40
    # revoked right after its commit (suspended clean), not given back
    assert manager.revoked([("in", 0)]) == {T0}
    manager.suspend({T0}, clean=True)
    manager.handle_assignment()
    assert manager.state_of(T0) is TaskState.CLOSED and stores.closed is None  # not closed
    assert not TASK_LOCKS.try_lock(scope, T0, "other thread")  # still this thread's
    s.grow(0, 7)
    assert manager.standby_round({T0}) == 7  # a standby now: the tail only, no reopening
    assert manager.standby_tasks()[T0].stores is stores and s.opened == []
    assert s.disk[0].restored == 47 and manager.standbys.recycled == 1
    # and back: promoted with the same stores again
    manager.assigned([("in", 0)])
    manager.handle_assignment()
    run(manager, T0)
    assert manager.tasks[T0].stores is stores and stores.closed is None
    assert s.created == [stores] and manager.standbys.recycled == 2
    manager.close_all(clean=True)  # a clean shutdown: parked, then closed with the standbys
    manager.close_standbys()
    assert stores.closed is True and TASK_LOCKS.try_lock(scope, T0, "other thread")
    TASK_LOCKS.unlock(scope, T0, "other thread")


def test_a_revoked_task_placed_elsewhere_is_closed_and_lets_its_task_go(tmp_path: Any) -> None:
    scope = str(tmp_path)
    s = RecyclingSetup(scope, {0: 3})
    manager = s.manager
    manager.assigned([("in", 0)])
    manager.handle_assignment()
    run(manager, T0)
    stores = manager.tasks[T0].stores
    manager.revoked([("in", 0)])
    manager.suspend({T0}, clean=True)
    manager.handle_assignment()
    manager.standby_round(set())  # no standby of it here
    assert stores.closed is True and manager.standby_tasks() == {}
    assert TASK_LOCKS.try_lock(scope, T0, "other thread")
    TASK_LOCKS.unlock(scope, T0, "other thread")


def test_a_task_closed_without_its_commit_is_not_recycled(tmp_path: Any) -> None:
    scope = str(tmp_path)
    s = RecyclingSetup(scope, {0: 3})
    manager = s.manager
    manager.assigned([("in", 0)])
    manager.handle_assignment()
    run(manager, T0)
    task = manager.tasks[T0]
    manager.close(manager.lost([("in", 0)]))  # lost: nothing committed
    assert not task.recycled and task.closed is False
    manager.standby_round({T0})  # a standby of it reopens the stores from the checkpoint
    assert manager.standby_tasks()[T0].stores is s.opened[0]
    manager.close_standbys()


def test_a_standby_of_a_task_assigned_but_not_created_yet_stays_open(tmp_path: Any) -> None:
    scope = str(tmp_path)
    s = RecyclingSetup(scope, {0: 5})
    manager = s.manager
    manager.standby_round({T0})
    standby_stores = manager.standby_tasks()[T0].stores
    manager.assigned([("in", 0)])  # the loop has not created the task yet
    manager.standby_round({T0})
    assert manager.standby_tasks()[T0].stores is standby_stores and standby_stores.closed is None
    manager.handle_assignment()
    run(manager, T0)
    assert manager.tasks[T0].stores is standby_stores and s.created == []
    manager.close_all()
    manager.close_standbys()
