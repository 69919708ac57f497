"""``ChangelogReader``: restoration in bounded steps from the stream thread's loop."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from changelog_fakes import Msg, Position

from kstreams import StreamsBuilder
from kstreams.processor.task_id import TaskId
from kstreams.runtime.changelog_reader import ChangelogReader
from kstreams.runtime.task_manager import TaskManager, TaskState


class Changelogs:
    """Changelog partitions ``{(topic, partition): end}`` (a record at every offset); each
    fetch brings at most ``per_fetch`` records of each assigned partition."""

    def __init__(self, ends: dict[tuple[str, int], int], per_fetch: int = 10) -> None:
        self.ends = ends
        self.per_fetch = per_fetch
        self.pos: dict[tuple[str, int], int] = {}
        self.paused: set[tuple[str, int]] = set()
        self.consumes = 0

    def get_watermark_offsets(self, tp: Any, timeout: float, cached: bool) -> tuple[int, int]:
        return 0, self.ends[(tp.topic, tp.partition)]

    def list_topics(self, topic: str, timeout: float) -> None:
        pass

    def assign(self, tps: list[Any]) -> None:
        # as librdkafka: a partition's pause outlives unassign/assign
        self.pos = {(tp.topic, tp.partition): tp.offset for tp in tps}

    def unassign(self) -> None:
        self.pos = {}

    def pause(self, tps: list[Any]) -> None:
        self.paused |= {(tp.topic, tp.partition) for tp in tps}

    def resume(self, tps: list[Any]) -> None:
        self.paused -= {(tp.topic, tp.partition) for tp in tps}

    def consume(self, n: int, timeout: float) -> list[Msg]:
        self.consumes += 1
        out = []
        for tp, start in self.pos.items():
            if tp in self.paused:
                continue
            stop = min(start + self.per_fetch, self.ends[tp])
            out.extend(Msg(tp[0], tp[1], o) for o in range(start, stop))
            self.pos[tp] = stop
        return out[:n]

    def position(self, tps: list[Any]) -> list[Position]:
        return [Position(tp.topic, tp.partition, self.pos[(tp.topic, tp.partition)]) for tp in tps]


class Store:
    def __init__(self, name: str, checkpoint: int | None = None) -> None:
        self.name = name
        self.changelog_topic = f"app-{name}-changelog"
        self.checkpoint = checkpoint
        self.restored = 0

    def restore_offset(self) -> int | None:
        return self.checkpoint

    def restore_batch(self, records: list[Any], last: int) -> None:
        self.restored += len(records)
        self.checkpoint = last

    def wipe(self) -> None:
        self.restored, self.checkpoint = 0, None


class Stores:
    def __init__(self, stores: list[Store]) -> None:
        self._stores = stores
        self.unverified: set[str] = set()

    def logged(self) -> list[Store]:
        return self._stores

    def is_source_changelog(self, store: Store) -> bool:
        return False


class Task:
    def __init__(self, task_id: TaskId, stores: list[Store], topic: str = "in") -> None:
        self.id = task_id
        self.stores = Stores(stores)
        self.partitions = [(topic, task_id.partition)]
        self.multi_partition = False
        self.closed: bool | None = None

    def run_for(self, topic: str) -> Any:
        return ("run", topic)

    def close(self, clean: bool = False) -> None:
        self.closed = clean


class Listener:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, Any]] = []

    def on_restore_start(self, tp: Any, store: str, start: int, end: int) -> None:
        self.calls.append(("start", store, (start, end)))

    def on_batch_restored(self, tp: Any, store: str, end: int, n: int) -> None:
        self.calls.append(("batch", store, n))

    def on_restore_end(self, tp: Any, store: str, total: int) -> None:
        self.calls.append(("end", store, total))

    def on_restore_suspended(self, tp: Any, store: str, total: int) -> None:
        self.calls.append(("suspended", store, total))


def test_a_step_is_bounded_and_a_task_runs_only_when_every_store_caught_up() -> None:
    a, b = Store("a"), Store("b")
    logs = Changelogs({(a.changelog_topic, 0): 30, (b.changelog_topic, 0): 60}, per_fetch=10)
    reader = ChangelogReader(logs, step_s=0.0)  # one round per step
    task = Task(TaskId(0, 0), [a, b])
    reader.add([task])
    assert reader.restoring and reader.task_ids() == {TaskId(0, 0)}
    steps = 0
    while reader.restoring:
        done = reader.step()
        steps += 1
        if a.restored < 30 or b.restored < 60:
            assert done == []  # store a caught up first, the task waits for b
    assert done == [task]
    assert (a.restored, b.restored) == (30, 60)
    assert steps == 6  # 10 records of each partition per round: one round per step


def test_a_task_with_nothing_to_restore_is_caught_up_without_reading() -> None:
    store = Store("a", checkpoint=9)
    logs = Changelogs({(store.changelog_topic, 0): 10})
    reader = ChangelogReader(logs)
    task = Task(TaskId(0, 0), [store])
    reader.add([task])
    assert reader.step() == [task]
    assert logs.consumes == 0 and not reader.restoring


def test_tasks_added_later_are_read_together_with_those_restoring() -> None:
    a, b = Store("a"), Store("b")
    logs = Changelogs({(a.changelog_topic, 0): 40, (b.changelog_topic, 1): 20}, per_fetch=10)
    reader = ChangelogReader(logs, step_s=0.0)
    first, second = Task(TaskId(0, 0), [a]), Task(TaskId(0, 1), [b])
    reader.add([first])
    reader.step()
    assert a.restored == 10
    reader.add([second])  # assigned again, from where a got to
    assert set(logs.pos) == {(a.changelog_topic, 0), (b.changelog_topic, 1)}
    assert logs.pos[(a.changelog_topic, 0)] == 10
    assert reader.step() == [] and reader.step() == [second]
    assert reader.step() == [first]
    assert (a.restored, b.restored) == (40, 20)


def test_a_removed_task_keeps_what_it_restored_and_the_listener_is_told() -> None:
    a, b = Store("a"), Store("b")
    logs = Changelogs({(a.changelog_topic, 0): 50, (b.changelog_topic, 1): 50}, per_fetch=10)
    listener = Listener()
    reader = ChangelogReader(logs, listener=lambda: listener, step_s=0.0)
    first, second = Task(TaskId(0, 0), [a]), Task(TaskId(0, 1), [b])
    reader.add([first, second])
    reader.step()
    assert reader.remove({TaskId(0, 0)}) == [first]
    assert ("suspended", "a", 10) in listener.calls
    assert a.checkpoint == 9  # the next owner (or this one, later) goes on from there
    assert set(logs.pos) == {(b.changelog_topic, 1)}
    while reader.restoring:
        reader.step()
    assert ("end", "b", 50) in listener.calls and a.restored == 10


def test_progress_is_logged_with_rate_and_time_left(caplog: pytest.LogCaptureFixture) -> None:
    store = Store("a")
    logs = Changelogs({(store.changelog_topic, 0): 100}, per_fetch=10)
    reader = ChangelogReader(logs, step_s=0.0, progress_s=0.0, client_id="t1")
    reader.add([Task(TaskId(0, 0), [store])])
    with caplog.at_level(logging.INFO, logger="kstreams"):
        while reader.restoring:
            reader.step()
    progress = [r.getMessage() for r in caplog.records if "restoring 1 task(s)" in r.getMessage()]
    assert progress, caplog.text
    assert "records restored (" in progress[0] and "records/s" in progress[0]
    assert "offsets to go of 100" in progress[0] and "s left" in progress[0]
    assert "stream-thread [t1] restoration done: 100 records" in caplog.text


def test_running_tasks_keep_running_while_a_new_task_restores() -> None:
    builder = StreamsBuilder()
    builder.stream("in").to("out")
    store = Store("a")
    logs = Changelogs({(store.changelog_topic, 1): 30}, per_fetch=10)
    reader = ChangelogReader(logs, step_s=0.0)

    def create(task_id: TaskId, partitions: list[tuple[str, int]]) -> Task:
        return Task(task_id, [store] if task_id.partition == 1 else [])

    manager = TaskManager(builder.build(), "app", create, reader, "t")
    manager.assigned([("in", 0)])
    assert manager.handle_assignment() == [("in", 0)]  # nothing to restore: runs at once
    manager.assigned([("in", 0), ("in", 1)])
    assert manager.handle_assignment() == []
    assert manager.state_of(TaskId(0, 1)) is TaskState.RESTORING
    assert set(manager.restoring()) == {TaskId(0, 1)}
    assert ("in", 0) in manager.entries and ("in", 1) not in manager.entries
    assert manager.restore_step() == []
    assert manager.restore_step() == [("in", 1)]
    assert manager.state_of(TaskId(0, 1)) is TaskState.RUNNING and not manager.restoring()
    assert ("in", 1) in manager.entries


def test_a_restoring_task_that_loses_a_partition_is_closed_at_once() -> None:
    builder = StreamsBuilder()
    builder.stream("in").to("out")
    store = Store("a")
    logs = Changelogs({(store.changelog_topic, 0): 30}, per_fetch=10)
    reader = ChangelogReader(logs, step_s=0.0)
    created: list[Task] = []

    def create(task_id: TaskId, partitions: list[tuple[str, int]]) -> Task:
        created.append(Task(task_id, [store]))
        return created[-1]

    manager = TaskManager(builder.build(), "app", create, reader, "t")
    manager.assigned([("in", 0)])
    manager.handle_assignment()
    manager.restore_step()
    assert manager.revoked([("in", 0)]) == set()  # nothing to commit or suspend
    assert created[0].closed is True and manager.tasks == {} and not reader.restoring
    assert store.checkpoint == 19  # what it restored stays


def test_a_failing_restoration_closes_the_restoring_tasks() -> None:
    class Broken(Store):
        def restore_batch(self, records: list[Any], last: int) -> None:
            raise RuntimeError("disk full")

    builder = StreamsBuilder()
    builder.stream("in").to("out")
    store = Broken("a")
    logs = Changelogs({(store.changelog_topic, 0): 30})
    created: list[Task] = []

    def create(task_id: TaskId, partitions: list[tuple[str, int]]) -> Task:
        created.append(Task(task_id, [store]))
        return created[-1]

    manager = TaskManager(builder.build(), "app", create, ChangelogReader(logs), "t")
    manager.assigned([("in", 0)])
    with pytest.raises(RuntimeError, match="disk full"):
        manager.handle_assignment()
    assert created[0].closed is False and manager.tasks == {} and not manager.restoring()


def test_an_admin_looks_up_every_partitions_offsets_in_one_batch() -> None:
    class Offset:
        def __init__(self, offset: int) -> None:
            self.offset = offset

        def result(self, timeout: float) -> Offset:
            return self

    class Admin:
        def __init__(self) -> None:
            self.calls = 0

        def list_offsets(self, specs: dict[Any, Any], **kwargs: Any) -> dict[Any, Any]:
            self.calls += 1
            earliest = self.calls == 1
            return {tp: Offset(0 if earliest else 30) for tp in specs if tp.partition != 9}

    class NoWatermarks(Changelogs):
        asked: list[Any] = []

        def get_watermark_offsets(self, tp: Any, timeout: float, cached: bool) -> Any:
            self.asked.append((tp.topic, tp.partition))
            return super().get_watermark_offsets(tp, timeout, cached)

    stores = [Store(f"s{i}") for i in range(3)]
    missing = Store("m")
    logs = NoWatermarks(
        {**{(s.changelog_topic, 0): 30 for s in stores}, (missing.changelog_topic, 9): 5}
    )
    admin = Admin()
    reader = ChangelogReader(logs, step_s=1.0, admin=admin)
    reader.add([Task(TaskId(0, 0), stores), Task(TaskId(1, 9), [missing])])
    assert admin.calls == 2  # earliest, latest: every partition at once
    assert logs.asked == [(missing.changelog_topic, 9)]  # the one the batch did not answer
    while reader.restoring:
        reader.step()
    assert [s.restored for s in stores] == [30, 30, 30] and missing.restored == 5


def test_a_task_restored_again_fetches_what_its_last_restoration_paused() -> None:
    # A store that caught up is paused while the task's other store restores, and librdkafka
    # keeps a pause across unassign/assign: restored anew (after a rewind wiped the stores),
    # the task must fetch that partition again.
    a, b = Store("a"), Store("b")
    logs = Changelogs({(a.changelog_topic, 0): 20, (b.changelog_topic, 0): 60}, per_fetch=10)
    reader = ChangelogReader(logs, step_s=0.0)
    reader.add([Task(TaskId(0, 0), [a, b])])
    while reader.restoring:
        reader.step()
    assert (a.restored, b.restored) == (20, 60)
    assert (a.changelog_topic, 0) in logs.paused
    a.wipe()
    b.wipe()
    again = Task(TaskId(0, 0), [a, b])
    reader.add([again])
    done: list[Any] = []
    for _ in range(20):
        done += reader.step()
        if not reader.restoring:
            break
    assert done == [again]
    assert (a.restored, b.restored) == (20, 60)
