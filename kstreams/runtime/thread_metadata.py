"""What a stream thread is doing, for health checks: Kafka Streams' ``ThreadMetadata`` plus progress.

:meth:`KafkaStreams.metadata_for_local_threads` returns one :class:`ThreadMetadata` per stream
thread: Java's fields (``thread_name``, ``thread_state``, ``active_tasks``, ``standby_tasks``
and the client ids) and when the thread last polled, processed a record and committed, so a
thread that is stuck (in user code, a blocked call) can be told from one that has no input.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from kstreams.processor.task_id import TaskId

__all__ = ["TaskMetadata", "ThreadMetadata", "thread_metadata"]


@dataclass(frozen=True)
class TaskMetadata:
    """A task a thread runs (Java: ``TaskMetadata``): its id and its input partitions."""

    task_id: TaskId
    topic_partitions: frozenset[tuple[str, int]]


@dataclass(frozen=True)
class ThreadMetadata:
    """A snapshot of one stream thread (Java: ``ThreadMetadata``, with progress fields).

    Times are wall-clock (UTC); None until the thread did that once.

    Attributes:
        thread_name: The thread's name (``<client.id>-StreamThread-<n>``).
        thread_state: Kafka Streams' ``StreamThread.State`` name: ``CREATED``, ``STARTING``,
            ``PARTITIONS_REVOKED``, ``PARTITIONS_ASSIGNED``, ``RUNNING``, ``PENDING_SHUTDOWN``
            or ``DEAD``.
        active_tasks: The thread's active tasks: those running and those restoring (as Java's).
        standby_tasks: The thread's standby tasks (``num.standby.replicas``): their ids and
            input partitions (a standby reads only their changelogs).
        main_consumer_client_id: ``client.id`` of the thread's consumer.
        restore_consumer_client_id: ``client.id`` of its restore consumer.
        producer_client_ids: ``client.id`` of its producer (one per thread, both guarantees).
        admin_client_id: ``client.id`` of the client's admin client (shared by its threads).
        last_poll_at: When the thread's loop last polled its consumer: it comes round at
            least every ``poll.ms`` unless it is blocked (processing, committing, restoring).
        last_processed_at: When the thread last processed a record (to the end of its batch).
        last_commit_at: When the thread last committed successfully.
        records_processed: Records the thread processed (its share of ``process-total``).
        commits: Commits the thread made (its share of ``commit-total``).
        restoring_tasks: The active tasks still restoring their stores (not processing yet).
    """

    thread_name: str
    thread_state: str
    active_tasks: frozenset[TaskMetadata]
    standby_tasks: frozenset[TaskMetadata]
    main_consumer_client_id: str
    restore_consumer_client_id: str
    producer_client_ids: frozenset[str]
    admin_client_id: str
    last_poll_at: datetime | None
    last_processed_at: datetime | None
    last_commit_at: datetime | None
    records_processed: int
    commits: int
    restoring_tasks: frozenset[TaskMetadata] = frozenset()

    def polled_within(self, max_idle: timedelta, now: datetime | None = None) -> bool:
        """Whether the thread is alive and its loop polled within ``max_idle`` of ``now``."""
        if self.thread_state == "DEAD" or self.last_poll_at is None:
            return False
        now = now or datetime.now(timezone.utc)
        return now - self.last_poll_at <= max_idle


def wall_time(monotonic_at: float | None, wall_offset: float) -> datetime | None:
    """The UTC wall time of a ``time.monotonic()`` reading (``wall_offset``: wall - monotonic).

    One offset per thread, taken when it was created, so a reading converts to the same
    time in every snapshot.
    """
    if monotonic_at is None:
        return None
    return datetime.fromtimestamp(monotonic_at + wall_offset, timezone.utc)


def thread_metadata(thread: Any, admin_client_id: str) -> ThreadMetadata:
    """A snapshot of a :class:`~kstreams.runtime.stream_thread.StreamThread` (from any thread).

    Reads only what the thread's loop replaces whole (its running tasks' dict, the progress
    readings), so no lock is needed.
    """
    offset = thread.wall_offset
    name = thread.client_id
    tasks = thread.task_manager.running()  # never modified, only replaced
    restoring = frozenset(
        TaskMetadata(task_id, frozenset(task.partitions))
        for task_id, task in thread.task_manager.restoring().items()  # as running()
    )
    return ThreadMetadata(
        thread_name=name,
        thread_state=thread.thread_state,
        active_tasks=restoring
        | frozenset(
            TaskMetadata(task_id, frozenset(task.partitions)) for task_id, task in tasks.items()
        ),
        standby_tasks=frozenset(
            TaskMetadata(task_id, task.partitions)
            for task_id, task in thread.task_manager.standby_tasks().items()  # as running()
        ),
        main_consumer_client_id=f"{name}-consumer",
        restore_consumer_client_id=f"{name}-restore-consumer",
        producer_client_ids=frozenset({f"{name}-producer"}),
        admin_client_id=admin_client_id,
        last_poll_at=wall_time(thread.last_poll, offset),
        last_processed_at=wall_time(thread.last_processed, offset),
        last_commit_at=wall_time(thread.last_commit, offset),
        records_processed=thread.metrics.processed,
        commits=thread.commits,
        restoring_tasks=restoring,
    )
