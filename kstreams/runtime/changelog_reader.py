"""``ChangelogReader``: restores a stream thread's restoring tasks in bounded steps from its loop.

Kafka Streams' state updater idea (``DefaultStateUpdater`` over ``StoreChangelogReader``),
run inside the stream thread rather than beside it: a newly assigned task is handed over
with :meth:`ChangelogReader.add` (its restoration is planned: checkpoints read, stores that
could be ahead wiped, the listener told), and every loop iteration calls
:meth:`ChangelogReader.step`, which restores for at most ``step_s`` seconds and hands back
the tasks whose every store has caught up. Between steps the thread polls its main
consumer (so it keeps its place in the group) and processes its running tasks.

All restoring tasks' changelog partitions are read together through one restore consumer
(:class:`~kstreams.runtime.restore.Restoration`). Progress is logged every
``progress_s``: records restored, records/s, and an estimate of the time left.

Example (what the stream thread does)::

    reader = ChangelogReader(restore_consumer, end_consumer, committed_offsets)
    reader.add(new_tasks)
    while reader.restoring:
        for task in reader.step():
            start(task)  # caught up: it may run
        poll_main_consumer_and_process_running_tasks()
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from kstreams.processor.task_id import TaskId
from kstreams.runtime.restore import (
    RESTORE_WAIT_S,
    STALL_REPORT_S,
    CommittedOffsets,
    Restoration,
    _Job,
    plan_tasks,
)

log = logging.getLogger("kstreams")

__all__ = ["RESTORE_PROGRESS_S", "RESTORE_STEP_S", "ChangelogReader"]

RESTORE_STEP_S = 0.1
"""How long one :meth:`ChangelogReader.step` restores before the loop polls again."""

RESTORE_PROGRESS_S = 10.0
"""How often restoration progress is logged."""


class ChangelogReader:
    """The restoring tasks of one stream thread, restored a step at a time (module notes).

    Args:
        consumer: The restore consumer (``read_committed`` under exactly-once); only this
            reader assigns it.
        end_consumer: A ``read_uncommitted`` consumer telling where each changelog ends.
        committed_offsets: The application's committed offsets (stores whose changelog is
            a source topic restore up to them).
        listener: Returns the current state restore listener (or None).
        timeout_s: ``task.timeout.ms``: restoration without progress for this long fails.
        client_id: For log lines.
        step_s: Restoration time per :meth:`step`.
        admin: An admin client: each :meth:`add` looks up every changelog partition's
            offsets in one batch (None: one lookup per partition).
        progress_s: How often progress is logged.
    """

    def __init__(
        self,
        consumer: Any,
        end_consumer: Any = None,
        committed_offsets: CommittedOffsets | None = None,
        listener: Callable[[], Any] = lambda: None,
        timeout_s: float = 300.0,
        client_id: str = "",
        step_s: float = RESTORE_STEP_S,
        progress_s: float = RESTORE_PROGRESS_S,
        stall_report_s: float = STALL_REPORT_S,
        admin: Any = None,
    ) -> None:
        self._admin = admin
        self._consumer = consumer
        self._end_consumer = end_consumer
        self._committed_offsets = committed_offsets
        self._listener = listener
        self._timeout_s = timeout_s
        self.client_id = client_id
        self._step_s = step_s
        self._progress_s = progress_s
        self._restoration = Restoration(consumer, None, timeout_s, stall_report_s)
        self._tasks: dict[TaskId, Any] = {}
        self._jobs: dict[TaskId, list[_Job]] = {}
        self._caught_up: list[Any] = []
        self._begin_window()

    @property
    def restoring(self) -> bool:
        """Whether any task is still handed over (restoring or caught up, not yet taken)."""
        return bool(self._tasks)

    def task_ids(self) -> set[TaskId]:
        """The tasks handed over and not yet taken back."""
        return set(self._tasks)

    def add(self, tasks: list[Any]) -> None:
        """Plan these tasks' restoration and begin it (tasks with nothing to restore are
        caught up at once: the next :meth:`step` hands them back without reading)."""
        if not tasks:
            return
        planned = plan_tasks(
            self._consumer,
            tasks,
            self._end_consumer,
            self._committed_offsets,
            self._timeout_s,
            self._admin,
        )
        restoration = self._restoration
        restoration.listener = self._listener()
        if not restoration.active:
            self._begin_window()
        new_jobs = []
        for task in tasks:
            jobs = planned[task]
            self._tasks[task.id] = task
            if jobs:
                self._jobs[task.id] = jobs
                new_jobs.extend(jobs)
            else:
                self._caught_up.append(task)
        # planning may have used the consumer (checkpoint checks): add() assigns again
        if new_jobs:
            restoration.add(new_jobs)
        else:
            restoration.reassign()
        self._window_total += sum(j.high - j.start for j in new_jobs)

    def remove(self, task_ids: set[TaskId]) -> list[Any]:
        """Take these tasks back before they caught up (revoked, lost, closing); returns them.
        What they restored stays in their stores with its offset."""
        gone = []
        jobs: list[_Job] = []
        for task_id in task_ids:
            task = self._tasks.pop(task_id, None)
            if task is None:
                continue
            gone.append(task)
            jobs.extend(self._jobs.pop(task_id, ()))
        if gone:
            self._caught_up = [t for t in self._caught_up if t.id not in task_ids]
            self._restoration.listener = self._listener()
            self._restoration.remove(jobs)
        return gone

    def step(self) -> list[Any]:
        """Restore for up to ``step_s``; the tasks that caught up (taken back: they may run).

        Stops early when a round brings nothing (the loop polls and comes back). Raises
        :class:`~kstreams.errors.StreamsError` when a restoration fails or stalls past
        ``task.timeout.ms``; the tasks stay handed over (the caller closes them).
        """
        restoration = self._restoration
        if restoration.active:
            restoration.listener = self._listener()
            deadline = time.monotonic() + self._step_s
            while restoration.active:
                before = restoration.restored
                finished = restoration.round(RESTORE_WAIT_S)
                if finished:
                    self._finished(finished)
                if (restoration.restored == before and not finished) or (
                    time.monotonic() >= deadline
                ):
                    break
            self._maybe_report()
        done, self._caught_up = self._caught_up, []
        for task in done:
            del self._tasks[task.id]
        return done

    def _finished(self, jobs: list[_Job]) -> None:
        ended = {id(j) for j in jobs}
        for task_id in [i for i, js in self._jobs.items() if any(id(j) in ended for j in js)]:
            left = [j for j in self._jobs[task_id] if id(j) not in ended]
            if left:
                self._jobs[task_id] = left
            else:
                del self._jobs[task_id]
                self._caught_up.append(self._tasks[task_id])
        if not self._restoration.active:
            self._report(final=True)

    def _begin_window(self) -> None:
        now = time.monotonic()
        self._window_cpu = time.process_time()
        self._window_began = now
        self._reported_at = now
        self._reported_restored = self._restoration.restored
        self._window_restored_at_start = self._restoration.restored
        self._window_total = 0  # offsets to read since the restoration began

    def _maybe_report(self) -> None:
        if self._restoration.active and time.monotonic() - self._reported_at >= self._progress_s:
            self._report(final=False)

    def _report(self, final: bool) -> None:
        restoration = self._restoration
        now = time.monotonic()
        restored = restoration.restored - self._window_restored_at_start
        elapsed = max(now - self._window_began, 1e-9)
        if final:
            if restored:
                # the process' CPU time (every thread's) over the restoration, per record
                cpu = time.process_time() - self._window_cpu
                log.info(
                    "stream-thread [%s] restoration done: %d records in %.3fs (%.0f records/s; "
                    "%.2f µs CPU a record)",
                    self.client_id,
                    restored,
                    elapsed,
                    restored / elapsed,
                    cpu / restored * 1e6,
                )
            return
        recent = (restoration.restored - self._reported_restored) / max(
            now - self._reported_at, 1e-9
        )
        left = restoration.left()
        eta = f"about {left / recent:.0f}s left" if recent > 0 else "time left unknown"
        log.info(
            "stream-thread [%s] restoring %d task(s): %d records restored (%.0f records/s), "
            "%d offsets to go of %d, %s",
            self.client_id,
            len(self._jobs),
            restored,
            recent,
            left,
            self._window_total,
            eta,
        )
        self._reported_at = now
        self._reported_restored = restoration.restored

    def close(self) -> None:
        """Take every task back and release the restore consumer's assignment."""
        self.remove(set(self._tasks))
        self._consumer.unassign()
