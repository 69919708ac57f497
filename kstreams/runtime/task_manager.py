"""``TaskManager``: the tasks of one stream thread and the state each one is in.

Kafka Streams' ``TaskManager`` + ``Tasks``, for the active tasks of one consumer-group
member. The consumer's rebalance callbacks tell it what changed; the thread's loop does the
heavy work (creating tasks, restoring their stores) after the poll that ran them:

* :meth:`assigned` (the ``on_assign`` callback) records the new assignment (the whole
  of it under the eager protocol, the partitions added under an incremental one, see
  :meth:`added`) and returns the partitions to pause: every partition whose task is not
  running yet;
* :meth:`revoked` (``on_revoke``) names the running tasks that lose a partition; the thread
  commits, then :meth:`suspend` s them: they stop processing until the assignment is
  handled, and are then closed cleanly. A restoring task that
  loses a partition is closed at once (it has nothing to commit). The partitions a closed
  task keeps (an incremental rebalance took only some) are :attr:`orphaned`: paused until the
  task is created again, whose start seeks them back to their committed offsets;
* :meth:`lost` (``on_lost``) names the tasks to close at once without a commit;
* :meth:`handle_assignment` (the loop, after the poll) closes the suspended tasks (those
  that come back too: another member may have committed them in between, so they are
  created again and restore the tail of their changelogs), and creates each task whose
  partitions are **all** assigned to this member, handing it to the restorer. A task with
  only some of its partitions is never created (another member may own the others, and two
  owners would write the same changelog partition): its partitions stay paused until an
  assignment completes it;
* :meth:`restore_step` (the loop, every iteration while tasks restore) lets the restorer
  (a :class:`~kstreams.runtime.changelog_reader.ChangelogReader`) restore for a bounded
  time and starts the tasks that caught up: restoration never blocks the loop for long,
  so the consumer keeps polling and the running tasks keep processing.

Task states: ``CREATED → RESTORING → RUNNING → SUSPENDED → CLOSED``. Only running tasks
process records (:attr:`entries` routes their partitions) and commit.

Standby tasks (``num.standby.replicas``, :mod:`kstreams.runtime.standby_tasks`) live beside
them in :attr:`standbys`: :meth:`standby_round` (the loop, every iteration) opens and closes
them as the placement says and, while no active task restores, applies their changelogs; a
new active task that was a standby here is promoted (:meth:`handle_assignment`): its stores
restore only the tail after the standby's checkpoint. A task assigned to this thread never
has a standby here.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from enum import Enum
from typing import Any, Protocol

from kstreams.errors import StreamsError
from kstreams.processor.task_id import TaskId
from kstreams.runtime.task import StreamTask
from kstreams.topology.topology import Topology

log = logging.getLogger("kstreams")

TopicPartition = tuple[str, int]


class TaskLocks:
    """Which task manager of this process owns a task (Kafka Streams' per-task directory lock).

    When a task moves between two stream threads of one process, the new owner may see its
    assignment before the old one has closed the (suspended) task, whose stores it would
    have to open: it waits until the old owner lets go, retrying from its loop.
    """

    def __init__(self) -> None:
        self._owners: dict[tuple[str, TaskId], object] = {}
        self._guard = threading.Lock()

    def try_lock(self, scope: str, task_id: TaskId, owner: object) -> bool:
        """Take the task for ``owner``; False if another owner has it."""
        with self._guard:
            holder = self._owners.setdefault((scope, task_id), owner)
            return holder is owner

    def unlock(self, scope: str, task_id: TaskId, owner: object) -> None:
        """Let the task go (if ``owner`` has it)."""
        with self._guard:
            if self._owners.get((scope, task_id)) is owner:
                del self._owners[(scope, task_id)]


TASK_LOCKS = TaskLocks()
"""The process-wide task locks."""

LOCK_WAIT_WARNING_S = 30.0
"""How long a task may wait for another thread of this process before it is logged."""


class Restorer(Protocol):
    """What restores a task manager's tasks (a
    :class:`~kstreams.runtime.changelog_reader.ChangelogReader`)."""

    def add(self, tasks: list[Any]) -> None:
        """Begin restoring these tasks."""

    def remove(self, task_ids: set[TaskId]) -> list[Any]:
        """Stop restoring these tasks; the ones it had."""

    def step(self) -> list[Any]:
        """Restore for a bounded time; the tasks now caught up (no longer its own)."""


class _RestoreAtOnce:
    """A :class:`Restorer` over a function that restores tasks to the end in one call."""

    def __init__(self, restore: Callable[[list[Any]], None]) -> None:
        self._restore = restore
        self._done: list[Any] = []

    def add(self, tasks: list[Any]) -> None:
        self._restore(tasks)
        self._done.extend(tasks)

    def remove(self, task_ids: set[TaskId]) -> list[Any]:
        gone = [t for t in self._done if t.id in task_ids]
        self._done = [t for t in self._done if t.id not in task_ids]
        return gone

    def step(self) -> list[Any]:
        done, self._done = self._done, []
        return done


class TaskState(Enum):
    """The life of an active task (Kafka Streams' ``Task.State``)."""

    CREATED = "CREATED"
    RESTORING = "RESTORING"
    RUNNING = "RUNNING"
    SUSPENDED = "SUSPENDED"
    CLOSED = "CLOSED"


class TaskManager:
    """Owns the active tasks of one stream thread (see the module notes).

    Args:
        topology: The built topology.
        app_id: The ``application.id`` (internal topic names).
        create_task: Makes the task for an id and its partitions (opens its stores); called
            with a third argument, the open stores of its standby here, when it has one
            (recycling: the task adopts them).
        restore_tasks: Restores created tasks' stores from their changelogs: a
            :class:`Restorer` (bounded steps from the loop), or a function that restores a
            list of tasks to the end in one call.
        client_id: For log lines.
        initialize_tasks: Starts restored tasks from their committed offsets' metadata
            (partition times, processor metadata) before they run; None: nothing to read.
        lock_scope: The application's state directory: tasks are locked in it
            (:class:`TaskLocks`) while this manager has them; None: no locking.
        create_budget_s: While some tasks run, how long one :meth:`handle_assignment` may
            spend creating tasks (opening their stores) before it leaves the rest for the next
            call (``pending`` stays set), so the loop polls and the running tasks process in
            between; None: no limit.
    """

    def __init__(
        self,
        topology: Topology,
        app_id: str,
        create_task: Callable[..., StreamTask],
        restore_tasks: Restorer | Callable[[list[StreamTask]], None],
        client_id: str = "",
        lock_scope: str | None = None,
        initialize_tasks: Callable[[list[StreamTask]], None] | None = None,
        create_budget_s: float | None = None,
    ) -> None:
        self._create_budget_s = create_budget_s
        self._initialize_tasks = initialize_tasks
        self._lock_scope = lock_scope
        self._waiting_since: dict[TaskId, float] = {}
        self._create_task = create_task
        self._restorer: Restorer = (
            restore_tasks if hasattr(restore_tasks, "step") else _RestoreAtOnce(restore_tasks)  # type: ignore[arg-type]
        )
        self.client_id = client_id
        self._subtopology_of: dict[str, int] = {}
        self._topics_of: dict[int, list[str]] = {}
        for sub in topology.subtopologies():
            real = sorted(topology.resolve_topic(t, app_id) for t in sub.source_topics)
            self._topics_of[sub.id] = real
            for topic in real:
                self._subtopology_of[topic] = sub.id
        self.tasks: dict[TaskId, StreamTask] = {}
        """Every open task, whatever its state."""
        self.states: dict[TaskId, TaskState] = {}
        self._running: dict[TaskId, StreamTask] = {}
        self._restoring: dict[TaskId, StreamTask] = {}
        self.entries: dict[TopicPartition, tuple[Any, StreamTask]] = {}
        """Routing of the running tasks' partitions: ``(batch entry point or None, task)``;
        None means the task buffers records and picks the lowest timestamp first."""
        self.multi: list[StreamTask] = []
        """Running tasks with several input partitions (they process from their buffers)."""
        self.assignment: set[TopicPartition] = set()
        """The partitions the consumer group assigned to this member."""
        self.pending = False
        """Whether the assignment changed since :meth:`handle_assignment` last ran."""
        self.creating = False
        """Whether :meth:`handle_assignment` left tasks to create for its next call (its time
        budget ran out): the loop calls it again without waiting for input."""
        self.orphaned: set[TopicPartition] = set()
        """Assigned partitions whose task was closed while they stayed assigned (under an
        incremental rebalance it lost its other partitions): what was fetched from them since
        was dropped, so their position is past what the task processed. The thread pauses
        them; once their task is created again (they are orphans no more), its start seeks
        them to their committed offsets, as every task's start does."""
        self._suspended_clean: dict[TaskId, bool] = {}
        self._incomplete: dict[TaskId, list[TopicPartition]] = {}
        self.standbys: Any = None
        """The thread's :class:`~kstreams.runtime.standby_tasks.StandbyTasks` (None: no
        standby replicas)."""

    @property
    def lock_scope(self) -> str | None:
        """The state directory tasks are locked in (None: no locking)."""
        return self._lock_scope

    # -- reading ------------------------------------------------------------------------------
    def running(self) -> dict[TaskId, StreamTask]:
        """The running tasks: a dict that is replaced when they change, never modified (readers
        on other threads may keep it; callers must not change it)."""
        return self._running

    def restoring(self) -> dict[TaskId, StreamTask]:
        """The tasks being restored (created, not running yet): replaced when they change,
        never modified (as :meth:`running`)."""
        return self._restoring

    def state_of(self, task_id: TaskId) -> TaskState:
        """The state of a task (CLOSED if this thread has no such task)."""
        return self.states.get(task_id, TaskState.CLOSED)

    def snapshot(self) -> tuple[list[tuple[TaskId, TaskState, StreamTask]], set[TopicPartition]]:
        """Every open task with its state, and the assignment: for readers on other threads."""
        states = self.states  # copies of the loop's dicts (list() of a dict is one C call)
        tasks = list(self.tasks.items())
        return [(i, states.get(i, TaskState.CLOSED), t) for i, t in tasks], set(self.assignment)

    def standby_tasks(self) -> dict[TaskId, Any]:
        """The open standby tasks (replaced when they change, never modified, as
        :meth:`running`)."""
        return {} if self.standbys is None else self.standbys.tasks()

    def task_partitions(self, task_id: TaskId) -> list[TopicPartition]:
        """Every input partition of a task: its partition number of each topic it reads."""
        return [(topic, task_id.partition) for topic in self._topics_of[task_id.subtopology]]

    def task_of(self, tp: TopicPartition) -> TaskId:
        """The task a partition belongs to."""
        return TaskId(self._subtopology_of[tp[0]], tp[1])

    @property
    def incomplete(self) -> dict[TaskId, list[TopicPartition]]:
        """Tasks of which only some partitions are assigned here: their missing partitions."""
        return dict(self._incomplete)

    # -- what the consumer group says (called from the rebalance callbacks) --------------------
    def assigned(self, partitions: Iterable[TopicPartition]) -> list[TopicPartition]:
        """Record the new assignment (all of it); return the partitions to pause until their
        task runs."""
        self.assignment = set(partitions)
        self.orphaned.clear()  # assigned anew (or rewound): they start at the committed offsets
        self.pending = True
        running = self.entries
        return sorted(tp for tp in self.assignment if tp not in running)

    def added(self, partitions: Iterable[TopicPartition]) -> list[TopicPartition]:
        """Record partitions added to the assignment (an incremental rebalance: the rest is
        kept); return those to pause until their task runs (all of them)."""
        new = set(partitions)
        self.assignment |= new
        self.pending = True
        running = self.entries
        return sorted(tp for tp in new if tp not in running)

    def revoked(self, partitions: Iterable[TopicPartition]) -> set[TaskId]:
        """Partitions were revoked: the running tasks that lose one (commit, then suspend them)."""
        gone = set(partitions)
        self.assignment -= gone
        self.orphaned -= gone
        losing = {i for i, task in self.tasks.items() if gone.intersection(task.partitions)}
        restoring = {i for i in losing if self.states[i] is not TaskState.RUNNING}
        # restoring (or created) tasks have processed nothing: closed now, cleanly (their
        # stores hold only what restoration applied, with its offset); their partitions are
        # paused, so those they keep are still at the committed offsets
        self.close({i for i in restoring if self.states[i] is not TaskState.SUSPENDED}, True)
        self._orphan(losing - restoring)
        return losing - restoring

    def lost(self, partitions: Iterable[TopicPartition]) -> set[TaskId]:
        """Partitions were lost (the member left the group): the tasks to close without commit."""
        gone = set(partitions)
        self.assignment -= gone
        self.orphaned -= gone
        lost = {
            task_id for task_id, task in self.tasks.items() if gone.intersection(task.partitions)
        }
        self._orphan(lost)
        return lost

    def _orphan(self, task_ids: Iterable[TaskId]) -> None:
        """These running tasks are closing: the partitions they keep are orphaned."""
        for task_id in task_ids:
            self.orphaned.update(
                tp for tp in self.tasks[task_id].partitions if tp in self.assignment
            )

    # -- acting (the thread's loop) -------------------------------------------------------------
    def suspend(self, task_ids: Iterable[TaskId], clean: bool) -> None:
        """Stop routing records to these tasks; ``clean``: they were committed just before."""
        suspended = []
        for task_id in task_ids:
            if self.states.get(task_id) is not TaskState.RUNNING:
                continue
            self._set(task_id, TaskState.SUSPENDED)
            self._suspended_clean[task_id] = clean
            suspended.append(str(task_id))
        if suspended:
            log.info("%s: suspended tasks %s", self.client_id, sorted(suspended))
        self._route()

    def handle_assignment(self) -> list[TopicPartition]:
        """Close the suspended tasks and create tasks for the recorded assignment.

        Returns the partitions whose task now runs (the thread resumes them). Raises what
        creating or restoring a task raised, after closing that task.
        """
        self.pending = self.creating = False
        assignment = self.assignment
        started: list[TopicPartition] = []
        wanted: dict[TaskId, list[TopicPartition]] = {}
        for tp in assignment:
            task_id = self.task_of(tp)
            wanted.setdefault(task_id, []).append(tp)
        # suspended tasks are closed (cleanly: they were committed), also those that come
        # back: another member may have owned and committed them in between (a member that
        # rejoined late misses a generation), so their stores and caches may be behind the
        # changelog; created again below, they restore the tail from their checkpoints
        suspended = [i for i, s in self.states.items() if s is TaskState.SUSPENDED]
        if suspended:
            self.close(suspended)
        # new tasks: only those with all of their partitions
        incomplete: dict[TaskId, list[TopicPartition]] = {}
        new: dict[TaskId, list[TopicPartition]] = {}
        for task_id, tps in sorted(wanted.items()):
            if task_id in self.tasks:
                continue
            missing = [tp for tp in self.task_partitions(task_id) if tp not in assignment]
            if missing:
                incomplete[task_id] = missing
                continue
            if not self._lock(task_id):
                self.pending = True  # another thread of this process still has it: retry
                continue
            new[task_id] = sorted(tps)
        if new:
            self._start(new)
        started.extend(self.restore_step(route=False))
        for task_id, missing in incomplete.items():
            if self._incomplete.get(task_id) != missing:
                log.warning(
                    "%s: task %s is assigned only some of its partitions (missing %s); it "
                    "does not run until one member is assigned all of them. Do all instances "
                    "run the same topology?",
                    self.client_id,
                    task_id,
                    ", ".join(f"{t}-{p}" for t, p in missing),
                )
        self._incomplete = incomplete
        self._route()
        if started:
            log.info(
                "%s: running tasks %s",
                self.client_id,
                sorted(str(t) for t in self.running()),
            )
        return sorted(started)

    def _lock(self, task_id: TaskId) -> bool:
        if self._lock_scope is None:
            return True
        if TASK_LOCKS.try_lock(self._lock_scope, task_id, self):
            self._waiting_since.pop(task_id, None)
            return True
        now = time.monotonic()
        since = self._waiting_since.setdefault(task_id, now)
        if now - since > LOCK_WAIT_WARNING_S:
            log.warning(
                "%s: task %s is still held by another stream thread of this process after "
                "%.0f s; waiting for it to close the task",
                self.client_id,
                task_id,
                now - since,
            )
            self._waiting_since[task_id] = now
        return False

    def _start(self, new: dict[TaskId, list[TopicPartition]]) -> None:
        """Create these tasks and hand them to the restorer (all or none: what creating
        them or planning their restoration raised closes every one of them)."""
        tasks = []
        # only while other tasks run (they keep processing between the rounds); with nothing
        # running, every task is created at once (a start: the changelogs' leaders are
        # elected meanwhile, and restoration plans every store in one batch)
        budget = self._create_budget_s if self._running else None
        deadline = None if budget is None else time.monotonic() + budget
        later = []
        try:
            standbys = self.standbys
            for task_id, partitions in new.items():
                if deadline is not None and tasks and time.monotonic() >= deadline:
                    later.append(task_id)  # created by the next call, after a poll
                    continue
                # a standby of it here hands its open stores over (recycling): restoration
                # starts at their checkpoints
                handed = None if standbys is None else standbys.promote([task_id]).get(task_id)
                if handed is None:
                    task = self._create_task(task_id, partitions)
                else:
                    try:
                        task = self._create_task(task_id, partitions, handed)
                    except BaseException:
                        handed.close()
                        raise
                self.tasks[task_id] = task
                self.orphaned.difference_update(partitions)  # its start seeks them
                self._set(task_id, TaskState.CREATED)
                tasks.append(task)
            if later:
                self.pending = self.creating = True
                if self._lock_scope is not None:
                    for task_id in later:
                        if standbys is None or not standbys.holds(task_id):
                            TASK_LOCKS.unlock(self._lock_scope, task_id, self)
                log.debug(
                    "%s: %d task(s) created, %d left for the next round",
                    self.client_id,
                    len(tasks),
                    len(later),
                )
            for task in tasks:
                self._set(task.id, TaskState.RESTORING)
            self._restoring = {**self._restoring, **{t.id: t for t in tasks}}
            self._restorer.add(tasks)
        except BaseException:
            self.close([i for i in new if i not in later])
            raise

    def restore_step(self, route: bool = True) -> list[TopicPartition]:
        """Restore for a bounded time; start the tasks that caught up. Returns their
        partitions (the thread resumes them). What restoring raised closes every restoring
        task, then propagates."""
        if not self._restoring:
            return []
        try:
            done = self._restorer.step()
            if done and self._initialize_tasks is not None:
                self._initialize_tasks(done)
        except BaseException:
            self.close(list(self._restoring))
            raise
        if not done:
            return []
        for task in done:
            self._set(task.id, TaskState.RUNNING)
        ids = {t.id for t in done}
        self._restoring = {i: t for i, t in self._restoring.items() if i not in ids}
        if route:
            self._route()
            log.info("%s: running tasks %s", self.client_id, sorted(str(t) for t in self.running()))
        return sorted(tp for task in done for tp in task.partitions)

    def standby_round(self, placed: Iterable[TaskId]) -> int:
        """Open and close standby tasks as placed here (never one of a task assigned to this
        thread), then, unless active tasks restore, apply what their changelogs brought;
        the records applied."""
        standbys = self.standbys
        if standbys is None:
            return 0
        assigned = {self.task_of(tp) for tp in self.assignment}
        # a standby of a task assigned here but not created yet stays open (it is promoted
        # when the task is created)
        waiting = {i for i in assigned if i not in self.tasks and standbys.holds(i)}
        standbys.update((set(placed) - set(self.tasks) - assigned) | waiting)
        if self._restoring:
            return 0  # restoring active tasks first (Kafka Streams pauses standbys meanwhile)
        return int(standbys.step())

    def close(self, task_ids: Iterable[TaskId], clean: bool = False) -> None:
        """Close these tasks (``clean``: right after a successful commit), whatever their state."""
        task_ids = list(task_ids)
        if task_ids:
            log.info(
                "%s: closing tasks %s (%s)",
                self.client_id,
                sorted(str(i) for i in task_ids),
                "clean" if clean else "after their last commit, if any",
            )
        restoring = {i for i in task_ids if i in self._restoring}
        if restoring:
            self._restorer.remove(restoring)
            self._restoring = {i: t for i, t in self._restoring.items() if i not in restoring}
        for task_id in task_ids:
            task = self.tasks.pop(task_id, None)
            self.states.pop(task_id, None)
            # a task suspended right after a commit has nothing uncommitted: a clean close
            committed = self._suspended_clean.pop(task_id, False)
            if task is None:  # locked, but creating it failed
                if self._lock_scope is not None:
                    TASK_LOCKS.unlock(self._lock_scope, task_id, self)
                continue
            recycling = (clean or committed) and self._recyclable(task)
            try:
                if recycling:
                    # its stores stay open for a standby here (the next standby round keeps
                    # them if the placement puts one here, else closes them), lock and all
                    self.standbys.park(task_id, task.recycle())
                else:
                    task.close(clean or committed)
            except StreamsError as exc:
                recycling = False
                log.error("%s: %s", self.client_id, exc)
            finally:
                if self._lock_scope is not None and not recycling:
                    TASK_LOCKS.unlock(self._lock_scope, task_id, self)
        self._route()

    def _recyclable(self, task: Any) -> bool:
        """Whether a task closed cleanly keeps its stores open for a standby here."""
        return self.standbys is not None and hasattr(task, "recycle") and bool(task.stores.logged())

    def close_all(self, clean: bool = False) -> None:
        """Close every active task (standby tasks stay: a rewind after an aborted transaction
        does not concern them; :meth:`close_standbys` closes them)."""
        self.close(list(self.tasks), clean)

    def close_standbys(self) -> None:
        """Close every standby task (their stores keep their checkpoints)."""
        if self.standbys is not None:
            self.standbys.close_all()

    def _set(self, task_id: TaskId, state: TaskState) -> None:
        self.states[task_id] = state

    def _route(self) -> None:
        entries: dict[TopicPartition, tuple[Any, StreamTask]] = {}
        multi = []
        running = {}
        for task_id, task in self.tasks.items():
            if self.states[task_id] is not TaskState.RUNNING:
                continue
            running[task_id] = task
            if task.multi_partition:
                multi.append(task)
            for tp in task.partitions:
                entries[tp] = (None if task.multi_partition else task.run_for(tp[0]), task)
        self.entries = entries
        self.multi = multi
        self._running = running
