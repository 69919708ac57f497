"""``TaskManager``: task states over rebalances, and no task without all of its partitions."""

from __future__ import annotations

from typing import Any

import pytest

from kstreams import StreamsBuilder
from kstreams.processor.task_id import TaskId
from kstreams.runtime.task_manager import TaskManager, TaskState


class FakeTask:
    def __init__(self, task_id: TaskId, partitions: list[tuple[str, int]]) -> None:
        self.id = task_id
        self.partitions = partitions
        self.multi_partition = len(partitions) > 1
        self.closed: bool | None = None

    def run_for(self, topic: str) -> Any:
        return ("run", topic)

    def close(self, clean: bool = False) -> None:
        self.closed = clean


def manager(restore_fails: bool = False) -> tuple[TaskManager, list[FakeTask], list[FakeTask]]:
    builder = StreamsBuilder()
    builder.stream("a").merge(builder.stream("b")).to("out")  # sub-topology 0 reads a and b
    builder.stream("c").to("out")  # sub-topology 1 reads c
    created: list[FakeTask] = []
    restored: list[FakeTask] = []

    def create(task_id: TaskId, partitions: list[tuple[str, int]]) -> FakeTask:
        task = FakeTask(task_id, partitions)
        created.append(task)
        return task

    def restore(tasks: list[Any]) -> None:
        if restore_fails:
            raise RuntimeError("restore failed")
        restored.extend(tasks)

    return TaskManager(builder.build(), "app", create, restore, "t"), created, restored


def test_tasks_are_created_by_the_loop_not_by_the_callback() -> None:
    m, created, restored = manager()
    paused = m.assigned([("a", 0), ("b", 0), ("c", 0)])
    assert paused == [("a", 0), ("b", 0), ("c", 0)]  # nothing runs yet: all paused
    assert created == [] and m.pending
    started = m.handle_assignment()
    assert started == [("a", 0), ("b", 0), ("c", 0)]
    assert not m.pending
    assert sorted(str(t) for t in m.running()) == ["0_0", "1_0"]
    assert [t.partitions for t in restored] == [[("a", 0), ("b", 0)], [("c", 0)]]
    assert m.entries[("a", 0)][0] is None  # a two-partition task buffers its records
    assert m.entries[("c", 0)][0] == ("run", "c")
    assert [t.id for t in m.multi] == [TaskId(0, 0)]


def test_a_task_with_only_some_of_its_partitions_is_never_created(
    caplog: pytest.LogCaptureFixture,
) -> None:
    m, created, _ = manager()
    m.assigned([("a", 1), ("c", 1)])  # b-1 went to another member
    assert m.handle_assignment() == [("c", 1)]
    assert [t.id for t in created] == [TaskId(1, 1)]
    assert m.state_of(TaskId(0, 1)) is TaskState.CLOSED
    assert m.incomplete == {TaskId(0, 1): [("b", 1)]}
    assert ("a", 1) not in m.entries  # stays paused: nothing routes to it
    assert "task 0_1 is assigned only some of its partitions (missing b-1)" in caplog.text
    # the next assignment completes it
    m.assigned([("a", 1), ("b", 1), ("c", 1)])
    assert m.handle_assignment() == [("a", 1), ("b", 1)]
    assert m.state_of(TaskId(0, 1)) is TaskState.RUNNING
    assert m.incomplete == {}


def test_revoked_tasks_are_suspended_then_closed_and_created_again_when_they_come_back() -> None:
    # another member may have owned and committed a task between its revocation and its
    # return (a member that rejoined late): its stores restore the tail again
    m, created, restored = manager()
    m.assigned([("a", 0), ("b", 0), ("c", 0)])
    m.handle_assignment()
    losing = m.revoked([("a", 0), ("b", 0), ("c", 0)])  # eager: everything is revoked
    assert losing == {TaskId(0, 0), TaskId(1, 0)}
    m.suspend(losing, clean=True)
    assert m.entries == {} and m.running() == {}
    assert m.state_of(TaskId(0, 0)) is TaskState.SUSPENDED
    # 0_0 comes back, 1_0 went elsewhere
    paused = m.assigned([("a", 0), ("b", 0)])
    assert paused == [("a", 0), ("b", 0)]
    assert m.handle_assignment() == [("a", 0), ("b", 0)]
    assert m.state_of(TaskId(0, 0)) is TaskState.RUNNING
    assert len(created) == 3 and len(restored) == 3  # 0_0 created and restored again
    closed = [(t.id, t.closed) for t in created]
    # both closed clean (they were committed); the new 0_0 runs
    assert closed == [(TaskId(0, 0), True), (TaskId(1, 0), True), (TaskId(0, 0), None)]


def test_lost_tasks_are_closed_without_commit() -> None:
    m, created, _ = manager()
    m.assigned([("c", 0), ("c", 1)])
    m.handle_assignment()
    lost = m.lost([("c", 1)])
    assert lost == {TaskId(1, 1)}
    m.close(lost)
    assert {t.id: t.closed for t in created} == {TaskId(1, 0): None, TaskId(1, 1): False}
    assert m.assignment == {("c", 0)}


def test_a_task_whose_restore_fails_is_closed() -> None:
    m, created, _ = manager(restore_fails=True)
    m.assigned([("c", 0)])
    with pytest.raises(RuntimeError, match="restore failed"):
        m.handle_assignment()
    assert m.tasks == {} and created[0].closed is False


def test_a_task_held_by_another_thread_of_the_process_waits_for_it() -> None:
    first, created_first, _ = manager()
    second, created_second, _ = manager()
    first._lock_scope = second._lock_scope = "/state/app"
    first.assigned([("c", 0)])
    first.handle_assignment()
    first.suspend(first.revoked([("c", 0)]), clean=True)
    # the task moved to the second thread, which sees its assignment first
    first.assigned([])
    second.assigned([("c", 0)])
    assert second.handle_assignment() == []
    assert second.pending  # it retries from its loop
    first.handle_assignment()  # the first thread closes the task it no longer has
    assert created_first[0].closed is True
    assert second.handle_assignment() == [("c", 0)]
    assert second.state_of(TaskId(1, 0)) is TaskState.RUNNING and len(created_second) == 1
    second.close_all()


def test_new_tasks_are_restored_together() -> None:
    """One restoration for every task an assignment creates (one read over all changelogs)."""
    builder = StreamsBuilder()
    builder.stream("a").merge(builder.stream("b")).to("out")
    builder.stream("c").to("out")
    calls: list[list[Any]] = []
    m = TaskManager(builder.build(), "app", FakeTask, calls.append, "t")
    m.assigned([("a", 0), ("b", 0), ("c", 0), ("c", 1)])
    m.handle_assignment()
    assert [sorted(str(t.id) for t in call) for call in calls] == [["0_0", "1_0", "1_1"]]
    m.assigned([("a", 0), ("b", 0), ("c", 0), ("c", 1), ("c", 2)])
    m.handle_assignment()
    assert [str(t.id) for t in calls[1]] == ["1_2"]  # only the new one


def test_task_creation_over_its_budget_is_left_for_the_next_call() -> None:
    builder = StreamsBuilder()
    builder.stream("c").to("out")
    created: list[FakeTask] = []

    def create(task_id: TaskId, partitions: list[tuple[str, int]]) -> FakeTask:
        created.append(FakeTask(task_id, partitions))
        return created[-1]

    m = TaskManager(
        builder.build(), "app", create, lambda tasks: None, "t", "/state", create_budget_s=0.0
    )
    m.assigned([("c", 0), ("c", 1)])
    assert m.handle_assignment() == [("c", 0), ("c", 1)]  # nothing ran yet: all at once
    m.added([("c", 2), ("c", 3), ("c", 4)])
    assert m.handle_assignment() == [("c", 2)]  # at least one per call, then the loop polls
    assert m.pending and m.creating and len(created) == 3
    assert m.handle_assignment() == [("c", 3)]
    assert m.handle_assignment() == [("c", 4)]
    assert not m.pending and not m.creating
    assert sorted(str(t) for t in m.running()) == ["0_0", "0_1", "0_2", "0_3", "0_4"]
    m.close_all()
