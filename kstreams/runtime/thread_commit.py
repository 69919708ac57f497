"""How a stream thread commits, and how it recovers when a commit cannot be made.

:class:`ThreadCommitting` is mixed into :class:`~kstreams.runtime.stream_thread.StreamThread`:
:meth:`~ThreadCommitting.commit` flushes and commits what every task processed (with each
offset the partition time and processor metadata); :meth:`~ThreadCommitting.commit_or_recover`
turns a migrated group or an aborted or corrupted transaction into closing the tasks and
rewinding to the committed offsets (Kafka Streams: the tasks are corrupted and revived)
instead of stopping the thread. Committed repartition offsets are purged from their topics
every ``repartition.purge.interval.ms``. Where partitions start again is here too: the seeks
of a rewind, of a starting task (:meth:`~ThreadCommitting._seek_start`) and of the
partitions a closed task kept (paused meanwhile, :meth:`~ThreadCommitting._pause_orphans`).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, OFFSET_END, KafkaError, KafkaException, TopicPartition

from kstreams.errors import StreamsError, TaskMigratedError
from kstreams.runtime.committer import (
    MIGRATED_CODES,
    RETRY_BACKOFF_S,
    RETRY_LOG_EVERY_S,
    TransactionAbortedError,
)
from kstreams.runtime.send_errors import TransactionCorruptedError

log = logging.getLogger("kstreams")

_RETRIED_COMMITTED_ERRORS = {
    KafkaError._TIMED_OUT,
    KafkaError.NOT_COORDINATOR,
    KafkaError.COORDINATOR_NOT_AVAILABLE,
    KafkaError.COORDINATOR_LOAD_IN_PROGRESS,
    KafkaError.STALE_MEMBER_EPOCH,
    KafkaError.UNSTABLE_OFFSET_COMMIT,
}
"""Errors of reading the committed offsets that librdkafka does not mark retriable but that
pass: the group coordinator's broker died or its partition moved (a 3-broker cluster losing
one), or the new coordinator is still loading the group; under the consumer protocol a
member epoch that moved (the OffsetFetch carries it) until the next heartbeat brings it; a
partition's offset still in a transaction being completed (``require_stable``, exactly-once)."""


class ThreadCommitting:
    """The commit and recovery path of a stream thread (mixed into ``StreamThread``)."""

    client_id: str
    config: Any
    admin: Any
    consumer: Any
    producer: Any
    collector: Any
    committer: Any
    end_consumer: Any
    task_manager: Any
    tasks: Any
    commits: int
    last_commit: float | None
    _streams_producer: Any
    _resets: dict[str, str]
    _default_reset: str
    _internal_sources: set[str]
    _purge_offsets: dict[tuple[str, int], int]
    _last_purge: float
    _rewind_due: bool = False
    """A rewind that could not read the committed offsets: the next commit interval retries."""

    def commit(self, periodic: bool = False) -> int:
        """Flush the producer, then commit what every task has processed. Returns partitions committed.

        The stores then write their buffers with the changelog offsets reached, read from
        the changelog ends: by every commit that closes or hands over tasks, and by a
        ``periodic`` one (the loop's) only once enough changelog records were sent since the
        last read (:data:`~kstreams.runtime.collector.CHECKPOINT_RECORDS`, as Kafka Streams
        checkpoints): a checkpoint behind a store's data costs a longer restoration after a
        crash, never a wrong one.
        """
        tasks = self.tasks
        committer = self.committer
        if committer.exactly_once and not any(t.has_commit_hooks for t in tasks.values()):
            # the input offsets are known before the caches flush (a flush consumes nothing):
            # they go to the transaction while the thread flushes (see
            # ExactlyOnceCommitter.send_offsets); commit() sends them again should the
            # flush have changed them (processor metadata written by a forwarded record).
            # Tasks with commit hooks fill their metadata after the flush: no sending ahead.
            # A commit on revocation runs inside the consumer's poll: the group metadata is
            # read on this thread, where the consumer lets it in (on the helper it would wait
            # for the poll to return, i.e. for this commit); so is a close's, to be simple.
            committer.send_offsets(_committable(tasks)[2], in_poll=not periodic)
        for task in tasks.values():
            task.prepare_commit()
        offsets, per_task, tps = _committable(tasks)
        collector = self.collector
        committer.commit(tps)
        for task, o in per_task:
            task.mark_committed(o)
        if collector.offsets_from_log and (not periodic or collector.changelog_offsets_due()):
            # after the commit: every record is acknowledged (its flush; under exactly-once
            # the transaction's commit, whose markers the ends then include)
            if self.committer.exactly_once:
                collector.read_changelog_offsets_after_transaction(self.end_consumer)
            else:
                collector.read_changelog_offsets(self.end_consumer)
        changelog_offsets = collector.changelog_offsets
        for task in tasks.values():
            task.commit_stores(changelog_offsets)
        for tp, o in offsets.items():
            if tp[0] in self._internal_sources:
                self._purge_offsets[tp] = o
        self.commits += 1
        self.last_commit = time.monotonic()
        return len(tps)

    def commit_or_recover(self) -> None:
        """Commit; if the group moved on or the transaction aborted, recover and carry on."""
        if self._rewind_due:  # a rewind that could not read the committed offsets last time
            self._rewind_when_possible()
            return
        try:
            self.commit(periodic=True)
        except TaskMigratedError as exc:
            # no rebalance callback need follow (under the consumer protocol a stale member
            # epoch moves no partition): the tasks start again from the committed offsets of
            # the partitions still assigned, and a rebalance that does follow moves them
            log.warning(
                "stream-thread [%s] %s; closing the tasks without commit and starting them "
                "again from their committed offsets",
                self.client_id,
                exc,
            )
            self._rewind_when_possible()
        except TransactionAbortedError as exc:
            log.warning(
                "stream-thread [%s] %s; rewinding tasks to their last committed offsets",
                self.client_id,
                exc,
            )
            self._rewind()
        except TransactionCorruptedError as exc:
            self._recover_corrupted(exc)

    def _rewind_when_possible(self) -> None:
        """:meth:`_rewind`; when the group refuses this member even the committed offsets
        (fenced, unknown: a rebalance callback follows), its tasks stay closed and their
        partitions paused (no record fetched and dropped meanwhile), and the next commit
        interval tries again."""
        self._rewind_due = False
        try:
            self._rewind()
        except KafkaException as exc:
            if exc.args[0].code() not in MIGRATED_CODES:
                raise
            self._rewind_due = True
            assignment = [TopicPartition(t, p) for t, p in sorted(self.task_manager.assignment)]
            if assignment:
                self.consumer.pause(assignment)
            log.info(
                "stream-thread [%s] the committed offsets cannot be read yet (%s); the tasks "
                "start again once they can, or the rebalance moves them",
                self.client_id,
                exc.args[0],
            )

    def _recover_corrupted(self, exc: TransactionCorruptedError) -> None:
        """Records of the open transaction timed out: abort it and rewind (Java: the tasks are
        corrupted and revived), rather than stopping the thread."""
        log.warning("stream-thread [%s] %s", self.client_id, exc)
        self._rewind(renew_producer=True)

    def _rewind(self, renew_producer: bool = False) -> None:
        """Close every task without commit and start again from the committed offsets.

        Only the partitions still assigned get tasks again (lost ones were taken out of the
        task manager's assignment). ``renew_producer``: the next transaction begins on a new
        producer (see :meth:`ExactlyOnceCommitter.abort`).
        """
        manager = self.task_manager
        manager.close_all()
        self.committer.abort(renew=renew_producer)
        assignment = [TopicPartition(t, p) for t, p in sorted(manager.assignment)]
        if not assignment:
            return
        self._seek_committed(assignment)
        # the loop creates the tasks again after its next poll; until then nothing is fetched
        paused = manager.assigned(manager.assignment)
        if paused:
            self.consumer.pause([TopicPartition(t, p) for t, p in paused])

    def _seek_committed(self, tps: list[TopicPartition]) -> None:
        """Move these partitions back to their committed offsets (none: to the end their
        source's reset policy names)."""
        for tp in self._committed_retrying(tps):
            if tp.offset < 0:
                tp.offset = self._reset_start(tp.topic)
            self.consumer.seek(tp)

    def _reset_start(self, topic: str) -> int:
        """Where a partition of ``topic`` without a committed offset starts: its source's
        reset policy (``latest``: the end; else the beginning)."""
        policy = self._resets.get(topic) or self._default_reset
        return OFFSET_END if policy == "latest" else OFFSET_BEGINNING

    def _seek_start(self, tp: TopicPartition) -> None:
        """A starting task's partition to ``tp.offset``. librdkafka refuses the seek of a
        partition whose fetch has not started yet (``_STATE``: just assigned, its committed
        offset still being looked up): that one starts at its committed offset by itself, and
        nothing of it was fetched, so there is nothing to undo."""
        try:
            self.consumer.seek(tp)
        except KafkaException as exc:
            if exc.args[0].code() not in (KafkaError._STATE, KafkaError._PREV_IN_PROGRESS):
                raise
            log.debug(
                "stream-thread [%s] %s-%s not fetching yet (%s): it starts at its committed offset",
                self.client_id,
                tp.topic,
                tp.partition,
                exc.args[0],
            )

    def _pause_orphans(self) -> None:
        """Nothing is fetched for the partitions of closed tasks that stay assigned (what
        would be is dropped): paused until their task is created again."""
        orphaned = self.task_manager.orphaned
        if orphaned:
            self.consumer.pause([TopicPartition(t, p) for t, p in sorted(orphaned)])

    def _replace_producer(self, close_old: bool = True) -> Any:
        """A new transactional producer in place of a stuck or failed one (an abort that
        keeps timing out, a call that does not return, a fatal error a new producer cures);
        the committer calls this, and every caller closes and rewinds the tasks right after,
        whose sinks hold the old producer. ``close_old=False``: the committer closes the old
        one itself (a call is still inside it)."""
        self.producer = self._streams_producer.replace(close_old)
        self.collector.producer = self.producer
        self.collector.discard_errors()
        return self.producer

    def _committed_retrying(self, tps: list[TopicPartition]) -> list[TopicPartition]:
        """The group's committed offsets of ``tps``; timeouts (the broker restarting, an open
        transaction on the offsets) and a moving group coordinator are retried, with backoff,
        for up to ``task.timeout.ms``. A partition answered with an error of its own counts as
        the request failing with it (retried as above, else raised): never as no commit.

        ``NOT_COORDINATOR`` and ``COORDINATOR_NOT_AVAILABLE`` come back at once while the
        group coordinator's partition moves (a broker of a cluster died): without a pause
        between tries this would spin, and log a line per try.
        """
        start = time.monotonic()
        deadline = start + self.config.task_timeout_ms / 1000.0
        backoff, longest = RETRY_BACKOFF_S
        tries = 0
        logged_at = -RETRY_LOG_EVERY_S
        while True:
            try:
                committed = list(self.consumer.committed(tps, timeout=30))
                for tp in committed:
                    if tp.error is not None:
                        # a partition's own error (the request itself succeeded): its offset
                        # is unknown, not absent; read as "no commit" it would send a rewind
                        # to the reset policy's end of the partition (earliest: everything
                        # processed again, latest: records skipped)
                        raise KafkaException(tp.error)
                return committed
            except KafkaException as exc:
                err = exc.args[0]
                if not err.retriable() and err.code() not in _RETRIED_COMMITTED_ERRORS:
                    raise
                now = time.monotonic()
                if now >= deadline:
                    raise StreamsError(
                        f"stream-thread [{self.client_id}] could not read the committed offsets "
                        f"of {len(tps)} partition(s) for {now - start:.0f}s "
                        f"(task.timeout.ms): {err}"
                    ) from exc
                tries += 1
                if now - logged_at >= RETRY_LOG_EVERY_S:
                    logged_at = now
                    log.info(
                        "stream-thread [%s] reading committed offsets failed (try %d, retrying "
                        "for up to %.0fs): %s",
                        self.client_id,
                        tries,
                        deadline - now,
                        err,
                    )
                time.sleep(min(backoff, max(0.0, deadline - now)))
                backoff = min(backoff * 2, longest)

    def _maybe_purge(self) -> None:
        interval = self.config.get("repartition.purge.interval.ms")
        interval_s = (30000 if interval is None else int(interval)) / 1000.0
        if not self._purge_offsets or time.monotonic() - self._last_purge < interval_s:
            return
        self._last_purge = time.monotonic()
        tps = [TopicPartition(t, p, o) for (t, p), o in self._purge_offsets.items()]
        self._purge_offsets.clear()
        try:
            futures = self.admin.delete_records(tps)
        except KafkaException as exc:
            log.warning(
                "stream-thread [%s] purging repartition topics failed: %s", self.client_id, exc
            )
            return
        for tp, fut in futures.items():
            fut.add_done_callback(lambda f, tp=tp: _log_purge(f, tp))


def _committable(
    tasks: dict[Any, Any],
) -> tuple[
    dict[tuple[str, int], int],
    list[tuple[Any, dict[tuple[str, int], int]]],
    list[TopicPartition],
]:
    """What ``tasks`` would commit now: every offset, the offsets per task, and the
    ``TopicPartition`` s to commit (each with its partition time and the processor metadata,
    Kafka Streams' TopicPartitionMetadata: a restarted task resumes from them)."""
    offsets: dict[tuple[str, int], int] = {}
    per_task = []
    tps: list[TopicPartition] = []
    for task in tasks.values():
        o = task.committable_offsets()
        if o:
            offsets.update(o)
            per_task.append((task, o))
            meta = task.commit_metadata
            tps.extend(TopicPartition(t, p, off, metadata=meta(t, p)) for (t, p), off in o.items())
    return offsets, per_task, tps


def _log_purge(fut: Any, tp: Any) -> None:
    exc = fut.exception()
    if exc is not None:
        log.warning("purging %s-%s failed: %s", tp.topic, tp.partition, exc)
