"""Standby tasks: a stream thread's shadow copies of other instances' stores (Kafka Streams'
``StandbyTask`` and the standby mode of ``StoreChangelogReader``).

A standby task opens its task's stores exactly as the active task would (same state
directory, ``<state.dir>/<application.id>/<task id>``) and keeps every persistent logged
store up to date by following its changelog partition: a
:class:`~kstreams.runtime.restore.Restoration` whose jobs never end (``tailing``), read
through a consumer of its own (``<thread>-standby-consumer``, ``read_committed`` under
exactly-once, like the restore consumer) a round at a time from the thread's loop, never
waiting for records (:meth:`StandbyTasks.step`). Each batch goes to the store in one
WriteBatch with the changelog offset it reached, so the store's checkpoint moves as it goes.
A standby never processes input, never writes a changelog and never commits offsets.

Life cycle, driven by the thread's :class:`~kstreams.runtime.task_manager.TaskManager`:

* :meth:`StandbyTasks.update` opens the standbys the placement
  (:mod:`kstreams.runtime.standby_placement`) gives this thread and closes the others;
  opening takes the task's lock in the process (:data:`~kstreams.runtime.task_manager.TASK_LOCKS`,
  with the task manager as owner), so a standby never shares its stores with an active task
  of another thread, and waits (retried every update) while one has them;
* :meth:`StandbyTasks.promote`: the task became active on this thread: the standby stops
  following its changelogs and hands its stores over **open** (Kafka Streams' task
  recycling), with the lock; the active task adopts them (their caches, their task context,
  their checkpoints) and restores only the changelog tail after the checkpoint: no store is
  closed and reopened, and an in-memory store keeps what the standby applied;
* the reverse: an active task closed cleanly on this thread (revoked, right after its
  commit) is recycled, not closed: its open stores are :meth:`StandbyTasks.park` ed, and the
  next :meth:`StandbyTasks.update` makes them a standby if the placement puts one here, else
  closes them;
* a standby that is no longer placed here is closed (its stores closed cleanly: the
  checkpoint stays, under exactly-once the task directory is marked closed cleanly, since a
  standby only ever applied committed records), and its directory kept (a later standby or
  active task of it starts from its checkpoint).

Every logged store is shadowed, persistent or in memory (as Kafka Streams' standbys); an
in-memory standby store is lost when its standby closes, so only a promotion (recycling)
hands it over. Unlogged stores have nothing to follow. A store whose changelog is a source
topic (a source table under ``topology.optimization=all``) is not shadowed either: it
restores as without standbys.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from confluent_kafka import KafkaException, TopicPartition

from kstreams.errors import StreamsError
from kstreams.processor.task_id import TaskId
from kstreams.runtime.changelog_offsets import log_offsets, watermarks
from kstreams.runtime.restore import TAIL, Restoration, _Job, plan_restore
from kstreams.runtime.task_stores import TaskStores, open_task_stores

log = logging.getLogger("kstreams")

__all__ = ["RETRY_OPEN_S", "STANDBY_STEP_S", "StandbyTask", "StandbyTasks", "standby_tasks_for"]

STANDBY_STEP_S = 0.05
"""How long one :meth:`StandbyTasks.step` applies changelog records before the loop goes on."""

RETRY_OPEN_S = 10.0
"""How long a standby whose stores could not be opened waits before it is tried again."""


class StandbyTask:
    """One standby task: its stores and the changelog jobs that keep them up to date."""

    def __init__(
        self, task_id: TaskId, partitions: frozenset[tuple[str, int]], stores: TaskStores
    ) -> None:
        self.id = task_id
        self.partitions = partitions
        """The task's input partitions (what its metadata shows; a standby reads none)."""
        self.stores = stores
        self.jobs: list[_Job] = []

    def positions(self) -> dict[str, tuple[str, int]]:
        """Per shadowed store: its changelog topic and the next offset its standby reads
        (past transaction markers: caught up is the changelog's end)."""
        return {j.store.name: (j.topic, j.position) for j in self.jobs}

    def shadowed(self) -> list[Any]:
        """The stores this standby keeps up to date: those with a changelog of their own."""
        return [s for s in self.stores.logged() if not self.stores.is_source_changelog(s)]


class StandbyTasks:
    """The standby tasks of one stream thread (see the module notes).

    Args:
        open_stores: Opens a task's stores (as its active task would, writes refused).
        partitions_of: A task's input partitions.
        consumer: The standby consumer (only this object assigns it).
        end_consumer: A ``read_uncommitted`` consumer (the changelogs' log start offsets).
        lock: ``lock(task_id)`` takes the task's process lock (False: another thread has it);
            ``unlock(task_id)`` lets it go.
        client_id: For log lines.
        admin: Looks up every new standby's changelog offsets in one batch (None: one
            lookup per partition).
        timeout_s: ``task.timeout.ms`` (checking an exactly-once checkpoint).
    """

    def __init__(
        self,
        open_stores: Callable[[TaskId], TaskStores],
        partitions_of: Callable[[TaskId], Iterable[tuple[str, int]]],
        consumer: Any,
        end_consumer: Any,
        lock: Callable[[TaskId], bool],
        unlock: Callable[[TaskId], None],
        client_id: str = "",
        admin: Any = None,
        timeout_s: float = 300.0,
        step_s: float = STANDBY_STEP_S,
    ) -> None:
        self._open_stores = open_stores
        self._partitions_of = partitions_of
        self.consumer = consumer
        self._end_consumer = end_consumer
        self._lock = lock
        self._unlock = unlock
        self.client_id = client_id
        self._admin = admin
        self._timeout_s = timeout_s
        self._step_s = step_s
        # tailing: no stall is reported (a quiet changelog is no stall); timeout_s bounds
        # its metadata requests
        self._restoration = Restoration(consumer, None, timeout_s=timeout_s, tailing=True)
        self._tasks: dict[TaskId, StandbyTask] = {}
        self._failed_at: dict[TaskId, float] = {}
        self._parked: dict[TaskId, TaskStores] = {}
        """Open stores of active tasks recycled here (:meth:`park`), with their locks."""
        self.recycled = 0
        """Task changes of role that kept the stores open (promotions and demotions)."""

    # -- reading ------------------------------------------------------------------------------
    def tasks(self) -> dict[TaskId, StandbyTask]:
        """The open standby tasks: a dict replaced when they change, never modified (readers
        on other threads may keep it)."""
        return self._tasks

    def __contains__(self, task_id: object) -> bool:
        return task_id in self._tasks

    @property
    def applied(self) -> int:
        """Changelog records applied to standby stores so far."""
        return self._restoration.restored

    # -- acting (the thread's loop) -------------------------------------------------------------
    def update(self, wanted: Iterable[TaskId]) -> None:
        """Close the standbys not in ``wanted``; open those of ``wanted`` not open yet."""
        wanted = set(wanted)
        gone = [i for i in self._tasks if i not in wanted]
        if gone:
            self.close(gone)
        opened: list[StandbyTask] = []
        if self._parked:  # recycled active tasks: standbys now, or closed
            parked, self._parked = self._parked, {}
            for task_id, stores in parked.items():
                if task_id in wanted and task_id not in self._tasks:
                    self.recycled += 1
                    partitions = frozenset(self._partitions_of(task_id))
                    opened.append(StandbyTask(task_id, partitions, stores))
                else:
                    self._close_one(StandbyTask(task_id, frozenset(), stores), True, True)
            if opened:
                log.info(
                    "%s: recycled active tasks %s into standby tasks (their stores stay open)",
                    self.client_id,
                    sorted(str(t.id) for t in opened),
                )
        now = time.monotonic()
        new = sorted(
            i
            for i in wanted
            if i not in self._tasks
            and i not in {t.id for t in opened}
            and now - self._failed_at.get(i, -RETRY_OPEN_S) >= RETRY_OPEN_S
        )
        for task_id in new:
            if not self._lock(task_id):
                continue  # an active task (or standby) of another thread has it: next time
            try:
                stores = self._open_stores(task_id)
            except StreamsError as exc:
                self._unlock(task_id)
                self._failed_at[task_id] = now
                log.warning(
                    "%s: could not open the stores of standby task %s (retrying in %.0fs): %s",
                    self.client_id,
                    task_id,
                    RETRY_OPEN_S,
                    exc,
                )
                continue
            self._failed_at.pop(task_id, None)
            opened.append(StandbyTask(task_id, frozenset(self._partitions_of(task_id)), stores))
        if opened:
            try:
                self._begin(opened)
            except (StreamsError, KafkaException) as exc:  # closed by _begin: retried later
                self._failed(opened, "could not start following the changelogs of", exc)

    def _begin(self, opened: list[StandbyTask]) -> None:
        """Plan where each new standby's stores start (their checkpoints) and follow them."""
        plans = [(task, store) for task in opened for store in task.shadowed()]
        marks = log_offsets(self._admin, [(s.changelog_topic, t.id.partition) for t, s in plans])
        jobs = []
        try:
            for task, store in plans:
                partition = task.id.partition
                tp_marks = marks.get((store.changelog_topic, partition))
                if tp_marks is None:
                    tp = TopicPartition(store.changelog_topic, partition)
                    tp_marks = watermarks(self._end_consumer or self.consumer, tp)
                # a store ahead of its changelog, or whose exactly-once checkpoint is not a
                # committed record, is wiped here, as for an active task
                verify = store.name in task.stores.unverified
                plan_restore(
                    self.consumer,
                    store,
                    partition,
                    self._end_consumer,
                    None,
                    verify,
                    self._timeout_s,
                    tp_marks,
                )
                stored = store.restore_offset()
                start = max(tp_marks[0], 0 if stored is None else stored + 1)
                job = _Job(store, partition, start, TAIL)
                task.jobs.append(job)
                jobs.append(job)
            for task in opened:
                task.stores.unverified.clear()
        except BaseException:
            for task in opened:  # not clean: a checkpoint check may not have finished
                self._close_one(task, clean=False, unlock=True)
            raise
        self._tasks = {**self._tasks, **{t.id: t for t in opened}}
        self._restoration.add(jobs)
        self._restoration.reassign()  # planning may have used the consumer
        log.info(
            "%s: standby tasks %s (opened %s)",
            self.client_id,
            sorted(str(i) for i in self._tasks),
            sorted(str(t.id) for t in opened),
        )

    def step(self) -> int:
        """Apply what the standby consumer has fetched, for up to ``step_s`` (never waiting
        for more); the records applied."""
        restoration = self._restoration
        if not restoration.active:
            return 0
        before = restoration.restored
        deadline = time.monotonic() + self._step_s
        try:
            while True:
                done = restoration.restored
                restoration.round(0)
                if restoration.restored == done or time.monotonic() >= deadline:
                    break
        except (StreamsError, KafkaException) as exc:
            # a standby's failure never stops the active tasks: close them all, retry later
            tasks = list(self._tasks.values())
            self._close([t.id for t in tasks], unlock=True)
            self._failed(tasks, "failed following the changelogs of", exc)
        return restoration.restored - before

    def _failed(self, tasks: list[StandbyTask], what: str, exc: BaseException) -> None:
        now = time.monotonic()
        for task in tasks:
            self._failed_at[task.id] = now
        log.warning(
            "%s: %s standby tasks %s (closed; retrying in %.0fs): %s",
            self.client_id,
            what,
            sorted(str(t.id) for t in tasks),
            RETRY_OPEN_S,
            exc,
        )

    def promote(self, task_ids: Iterable[TaskId]) -> dict[TaskId, TaskStores]:
        """These tasks become active on this thread: their standbys stop following the
        changelogs and hand over their open stores, with the lock (Kafka Streams' recycling:
        the active task adopts them and restores the tail after their checkpoints)."""
        ids = [i for i in task_ids if i in self._tasks]
        parked = [i for i in task_ids if i in self._parked]
        if not ids and not parked:
            return {}
        log.info(
            "%s: promoting standby tasks %s to active (their stores stay open; restoration "
            "starts at their checkpoints)",
            self.client_id,
            sorted(str(i) for i in ids + parked),
        )
        tasks = [self._tasks[i] for i in ids]
        gone = set(ids)
        self._tasks = {i: t for i, t in self._tasks.items() if i not in gone}
        self._restoration.remove([j for t in tasks for j in t.jobs])
        handed = {t.id: t.stores for t in tasks}
        for task_id in parked:
            handed[task_id] = self._parked.pop(task_id)
        self.recycled += len(handed)
        return handed

    def park(self, task_id: TaskId, stores: TaskStores) -> None:
        """Keep an active task's open stores (recycled right after its commit, its lock
        still held) until the next :meth:`update` makes them a standby or closes them."""
        old = self._parked.pop(task_id, None)
        if old is not None and old is not stores:
            self._close_one(StandbyTask(task_id, frozenset(), old), True, False)
        self._parked[task_id] = stores

    def holds(self, task_id: TaskId) -> bool:
        """Whether this thread keeps the task's stores open (a standby, or parked)."""
        return task_id in self._tasks or task_id in self._parked

    def close(self, task_ids: Iterable[TaskId]) -> None:
        """Close these standbys (their state directories stay, with their checkpoints)."""
        ids = [i for i in task_ids if i in self._tasks]
        if ids:
            log.info("%s: closing standby tasks %s", self.client_id, sorted(str(i) for i in ids))
            self._close(ids, unlock=True)

    def close_all(self) -> None:
        """Close every standby and release the consumer's assignment."""
        self.close(list(self._tasks))
        parked, self._parked = self._parked, {}
        for task_id, stores in parked.items():
            self._close_one(StandbyTask(task_id, frozenset(), stores), True, True)
        self.consumer.unassign()

    def _close(self, ids: list[TaskId], unlock: bool) -> None:
        tasks = [self._tasks[i] for i in ids]
        gone = set(ids)
        self._tasks = {i: t for i, t in self._tasks.items() if i not in gone}
        self._restoration.remove([j for t in tasks for j in t.jobs])
        for task in tasks:
            self._close_one(task, clean=True, unlock=unlock)

    def _close_one(self, task: StandbyTask, clean: bool, unlock: bool) -> None:
        try:
            # clean: a standby applied committed changelog records only, with their offsets
            task.stores.close(clean)
        except StreamsError as exc:
            log.error("%s: standby task %s: %s", self.client_id, task.id, exc)
        finally:
            if unlock:
                self._unlock(task.id)


def _wall_ms() -> int:
    return int(time.time() * 1000)


def standby_tasks_for(thread: Any, end_consumer: Any) -> StandbyTasks:
    """The standby tasks of a stream thread, with a consumer of their own."""
    from confluent_kafka import Consumer

    from kstreams.runtime.client_diagnostics import ClientDiagnostics
    from kstreams.runtime.task_manager import TASK_LOCKS

    config = thread.config
    consumer_config = config.restore_consumer_config(
        client_id=f"{thread.client_id}-standby-consumer"
    )
    ClientDiagnostics.install(consumer_config, logging.getLogger("kstreams.client"))
    consumer = Consumer(consumer_config)
    manager = thread.task_manager
    scope = manager.lock_scope
    topology = thread.topology

    def open_stores(task_id: TaskId) -> TaskStores:
        # as an active task would open them (the thread's cache, a task context), writes
        # refused: a promotion hands them to the active task as they are
        sub = topology.subtopology(task_id.subtopology)
        return open_task_stores(
            task_id, topology, sub, config, _wall_ms, thread.metrics, thread.cache
        )

    return StandbyTasks(
        open_stores,
        manager.task_partitions,
        consumer,
        end_consumer,
        lock=lambda task_id: TASK_LOCKS.try_lock(scope, task_id, manager),
        unlock=lambda task_id: TASK_LOCKS.unlock(scope, task_id, manager),
        client_id=thread.client_id,
        admin=thread.admin,
        timeout_s=config.task_timeout_ms / 1000.0,
    )
