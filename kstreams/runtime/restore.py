"""Restoration: bring a task's logged stores up to date from their changelogs before it processes.

Each store knows the changelog offset its data reached (kept in the store
itself); restoration reads the changelog partition from there to its end and
applies the records in batches (one WriteBatch each). A clean restart restores
nothing; a deleted state directory restores everything. Under exactly-once the
restore consumer reads committed data only (aborted records are skipped).

A store whose changelog is its source topic (a source table under
``topology.optimization=all``) is restored from that topic up to the application's
committed offset of the input partition, not to the log end (Kafka Streams'
``StoreChangelogReader``): what lies beyond has not been processed yet. As in Kafka
Streams the records are copied as they are (no deserialization, no timestamp extractor);
those with a null key, which the table drops, are skipped.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from confluent_kafka import KafkaError, TopicPartition

from kstreams.errors import StreamsError
from kstreams.runtime.changelog_offsets import (
    CommittedOffsets,
    check_checkpoints,
    committed_at,
    log_offsets,
    own_consumer_committed_offsets,
    watermarks,
)
from kstreams.runtime.restore_listener import StateRestoreListener as StateRestoreListener
from kstreams.runtime.restore_listener import _call

log = logging.getLogger("kstreams")

RESTORE_BATCH = 50000
"""Changelog records a restoration round asks ``consume()`` for (then one write per partition).

A round costs a position lookup and, per partition read, a write and a listener call: with
10,000 a word count's 16 partitions (25,000 records) took three rounds, and the partitions
finished apart, each group after the stream thread's work between steps; 50,000 take
about 50 ms to apply (1 µs a record), and a restoration of that size is one round."""
TAIL = 2**63 - 1
"""The end of a job that never ends (a standby task follows its changelogs)."""
RESTORE_WAIT_S = 0.01
"""How long a restoration round waits for more records (then it checks positions: a clean
exactly-once restart finds only a transaction marker after each checkpoint)."""


STALL_REPORT_S = 30.0
"""How long restoration may make no progress before it says so (and again after as long)."""

_gc_guard = threading.Lock()
_gc_pausers = 0
_gc_resume = False


@contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off while a round's messages are alive (back on after,
    if it was on when the first of the process' nested or concurrent pauses began).

    ``consume()`` hands back up to :data:`RESTORE_BATCH` ``Message`` objects, which the
    collector tracks: with it on, a round of 50,000 ran ~70 young collections, a few of
    the middle generation and often a full one over the whole heap (4 partitions,
    110,000 records: 76 ms of a 590 ms restoration in collections). The messages are freed
    by reference counting before the collector is back on. The stream threads' processing
    runs pause it too (``record_path``): user code runs inside those, and what cycles it
    makes wait for the end of the run (a consumer batch).

    Pauses of several threads can overlap without end (every stream thread busy): a pause
    that ends while others go on runs the collection the collector would have run meanwhile
    (:func:`_collect_overdue`), so cyclic garbage never piles up for good.
    """
    global _gc_pausers, _gc_resume
    with _gc_guard:
        if _gc_pausers == 0:
            _gc_resume = gc.isenabled()
            gc.disable()
        _gc_pausers += 1
    try:
        yield
    finally:
        with _gc_guard:
            _gc_pausers -= 1
            if _gc_pausers == 0:
                if _gc_resume:
                    gc.enable()
            elif _gc_resume:
                _collect_overdue()


GC_OVERDUE_FACTOR = 10
"""While other pauses go on, the youngest generation is collected once its count is this many
times its threshold (the collector itself collects at once)."""


def _collect_overdue() -> None:
    """The collection the paused collector owes, if any: the oldest generation whose count
    passed its threshold (the youngest's by :data:`GC_OVERDUE_FACTOR`), as it would choose."""
    counts, thresholds = gc.get_count(), gc.get_threshold()
    if counts[0] < thresholds[0] * GC_OVERDUE_FACTOR:
        return
    generation = 0
    for g in (1, 2):
        if counts[g] >= thresholds[g]:
            generation = g
    gc.collect(generation)


class _Job:
    """One store's restoration from one changelog partition (see :func:`restore_stores`)."""

    __slots__ = (
        "high",
        "limited",
        "partition",
        "position",
        "start",
        "store",
        "topic",
        "total",
        "tp",
    )

    def __init__(
        self, store: Any, partition: int, start: int, high: int, limited: bool = False
    ) -> None:
        self.limited = limited
        """Whether records at ``high`` and beyond must be left out (a source topic read up
        to the committed offset goes on past it); otherwise ``high`` is the log end the
        plan saw, and records that arrived since are committed changelog data too."""
        self.store = store
        self.topic: str = store.changelog_topic
        self.partition = partition
        self.tp = TopicPartition(self.topic, partition)
        self.start = start
        self.high = high
        self.position = start
        self.total = 0

    def where(self) -> str:
        return f"{self.store.name} from {self.topic}-{self.partition}"


class _Run:
    """What one round read of one job's partition: its store's writer (or the records for
    ``restore_batch``), how many records, and the last message applied."""

    __slots__ = ("append", "count", "delete", "job", "last", "put", "records", "stamp", "writer")

    def __init__(self, job: _Job) -> None:
        self.job = job
        self.count = 0
        self.last: Any = None
        get_writer = getattr(job.store, "restore_writer", None)
        writer = get_writer() if get_writer is not None else None
        self.writer = writer
        self.records: list[Any] = []
        self.append = self.records.append
        self.put = self.delete = self.stamp = None
        if writer is not None:
            self.put, self.delete, self.stamp = writer.put, writer.delete, writer.stamp

    def write(self, last_offset: int) -> None:
        """Apply what was read, with ``last_offset``, in one write."""
        if self.writer is not None:
            self.writer.write(last_offset)
        else:
            self.job.store.restore_batch(self.records, last_offset)


def plan_restore(
    consumer: Any,
    store: Any,
    partition: int,
    end_consumer: Any = None,
    end_offset: int | None = None,
    verify_checkpoint: bool = False,
    timeout_s: float = 300.0,
    marks: tuple[int, int] | None = None,
    committed: bool | None = None,
) -> _Job | None:
    """Where ``store``'s restoration from its changelog ``partition`` starts and ends; None
    when it is up to date. A store ahead of its changelog, or (``verify_checkpoint``) whose
    checkpoint is not a committed record, is wiped first (see :func:`restore_store`).
    ``marks``: the partition's log start and end offsets, if already known; ``committed``:
    whether the checkpoint is a committed record, if already checked."""
    topic = store.changelog_topic
    tp = TopicPartition(topic, partition)
    # The end is the log end offset (read_uncommitted): under exactly-once a read_committed
    # consumer's high watermark is the last stable offset, which stops short of data committed
    # after a crashed instance's still-open transaction.
    low, high = marks if marks is not None else watermarks(end_consumer or consumer, tp)
    if end_offset is not None:
        high = min(high, end_offset)
    stored = store.restore_offset()
    start = low if stored is None else stored + 1
    if start > high:
        log.warning(
            "Store %s is ahead of its changelog %s-%s (stored offset %s, end %s): wiping and "
            "restoring from the beginning",
            store.name,
            topic,
            partition,
            stored,
            high,
        )
        store.wipe()
        start = low
    elif (
        verify_checkpoint
        and stored is not None
        and not (
            stored >= low
            and (
                committed
                if committed is not None
                else committed_at(consumer, topic, partition, stored, timeout_s, low)
            )
        )
    ):
        log.warning(
            "Store %s: its checkpoint, offset %s of changelog %s-%s, is not a committed "
            "record (a transaction aborted or lost after the store applied it): wiping it "
            "and restoring from the beginning",
            store.name,
            stored,
            topic,
            partition,
        )
        store.wipe()
        start = low
    start = max(start, low)
    if start >= high:
        return None
    return _Job(store, partition, start, high, limited=end_offset is not None)


class Restoration:
    """Jobs restored together through one consumer, one :meth:`round` at a time.

    Every active job's changelog partition is assigned to ``consumer`` at once, so each
    fetch brings records of every partition that has some, and a partition whose
    checkpoint trails its end only by transaction markers (a clean restart under
    exactly-once) is done after the first round: restoring many partitions costs about as
    much as restoring one. A job is done when the consumer's position reaches its end.
    Without progress it warns every ``stall_report_s`` and fails after ``timeout_s``
    (``task.timeout.ms``). :func:`restore_stores` runs rounds until every job is done; a
    stream thread's :class:`~kstreams.runtime.changelog_reader.ChangelogReader` runs a few
    per loop iteration, adding and removing jobs as tasks come and go.
    """

    def __init__(
        self,
        consumer: Any,
        listener: Any = None,
        timeout_s: float = 300.0,
        stall_report_s: float = STALL_REPORT_S,
        tailing: bool = False,
    ) -> None:
        self.consumer = consumer
        self.tailing = tailing
        """Whether the jobs never end (standby tasks follow their changelogs: their ``high``
        is :data:`TAIL`, and no stall is reported)."""
        self.listener = listener
        self.timeout_s = timeout_s
        self.stall_report_s = stall_report_s
        self.active: dict[tuple[str, int], _Job] = {}
        """The jobs not done yet, by changelog partition."""
        self._known_topics: set[str] = set()
        self._began: dict[tuple[str, int], float] = {}
        now = time.monotonic()
        self._progress_at = self._reported_at = now
        self.restored = 0
        """Records applied so far (every job, done or not)."""

    def add(self, jobs: list[_Job]) -> None:
        """Start these jobs (the listener's ``on_restore_start``), beside the active ones."""
        if not jobs:
            return
        by_tp = {(job.topic, job.partition): job for job in jobs}
        if len(by_tp) < len(jobs) or by_tp.keys() & self.active.keys():
            clash = [j.where() for j in jobs] + [j.where() for j in self.active.values()]
            raise StreamsError(f"Two stores restore from the same changelog partition: {clash}")
        now = time.monotonic()
        if not self.active:  # the stall clock starts with the first job
            self._progress_at = self._reported_at = now
        for job in jobs:
            if self.tailing:
                log.info("Standby: following %s from offset %s", job.where(), job.start)
                continue
            log.info("Restoring %s offsets %s..%s", job.where(), job.start, job.high)
            _call(
                self.listener,
                "on_restore_start",
                (job.topic, job.partition),
                job.store.name,
                job.start,
                job.high,
            )
            self._began[(job.topic, job.partition)] = now
        # The restore consumer learns the changelogs' leaders first: assigned partitions it
        # has no metadata for fail their first fetch and wait fetch.error.backoff.ms (500 ms)
        # before the next; a metadata request takes milliseconds (64 partitions' restore:
        # first record after 0.6 s without it, after 6 ms with it).
        for topic in sorted({j.topic for j in jobs} - self._known_topics):
            self.consumer.list_topics(topic, timeout=self.timeout_s)
            self._known_topics.add(topic)
        self.active.update(by_tp)
        self._assign()

    def remove(self, jobs: list[_Job]) -> None:
        """Stop these jobs before they are done (their task was revoked or closed): the
        listener's ``on_restore_suspended``; what they applied stays, with its offset."""
        gone = [j for j in jobs if self.active.get((j.topic, j.partition)) is j]
        if not gone:
            return
        for job in gone:
            key_tp = (job.topic, job.partition)
            del self.active[key_tp]
            self._began.pop(key_tp, None)
            if self.tailing:
                log.info("Standby: stopped following %s at offset %s", job.where(), job.position)
                continue
            log.info(
                "Restoring %s suspended at offset %s of %s (%d records applied)",
                job.where(),
                job.position,
                job.high,
                job.total,
            )
            _call(self.listener, "on_restore_suspended", key_tp, job.store.name, job.total)
        self._assign()

    def reassign(self) -> None:
        """Assign the consumer the active jobs' partitions at their positions again (after
        another use of it, e.g. checking a checkpoint)."""
        self._assign()

    def _assign(self) -> None:
        if self.active:
            tps = [TopicPartition(j.topic, j.partition, j.position) for j in self.active.values()]
            self.consumer.assign(tps)
            # a partition paused when its restoration finished stays paused across
            # unassign/assign in librdkafka: restored again (after a rewind) it would never fetch
            self.consumer.resume(tps)
        else:
            self.consumer.unassign()

    def left(self) -> int:
        """Offsets the active jobs have still to read (records and markers)."""
        return sum(j.high - j.position for j in self.active.values())

    def round(self, wait_s: float = RESTORE_WAIT_S) -> list[_Job]:
        """One fetch over every active partition, applied; returns the jobs it finished.

        Asking for no more than is left lets ``consume`` return as soon as it has it; a
        round that gets fewer waits ``wait_s``, then looks at the positions (past
        transaction markers, which bring no records).
        """
        active = self.active
        if not active:
            return []
        consumer = self.consumer
        with gc_paused():
            msgs = consumer.consume(max(1, min(RESTORE_BATCH, self.left())), wait_s)
            moved = bool(self._apply(msgs)) if msgs else False
            del msgs  # freed while the collector is off (see gc_paused)
        asked = list(active.values())
        now = time.monotonic()
        for job, pos in zip(asked, consumer.position([j.tp for j in asked]), strict=True):
            if pos.offset > job.position:  # past transaction markers and aborted records
                job.position, moved = pos.offset, True
        finished = [j for j in asked if j.position >= j.high]
        for job in finished:
            del active[(job.topic, job.partition)]
            self._done(job, now)
        if finished and active:
            consumer.pause([j.tp for j in finished])
        if moved or finished:
            self._progress_at = now
        elif active and not self.tailing:
            self._check_stall(now)
        return finished

    def _apply(self, msgs: list[Any]) -> dict[tuple[str, int], _Run]:
        """Write ``msgs`` into their jobs' stores, one batch per partition, and move the jobs'
        positions past them; the runs applied, by changelog partition.

        ``consume()`` hands messages back in runs of one partition: the job and its store's
        writer are looked up once per run. A store with a
        :class:`~kstreams.state.restore_writer.RestoreWriter` gets every record put straight
        into its engine's batch (no list of records, no copy per layer); any other gets a
        list of ``(key, value, timestamp)`` through ``restore_batch``.
        """
        active = self.active
        runs: dict[tuple[str, int], _Run] = {}
        run: _Run | None = None
        put: Any = None
        delete: Any = None
        stamp: Any = None
        append: Any = None
        count = 0
        limit = -1  # a limited job's end (records from there on are left out), or -1
        last = None
        cur_topic: str | None = None
        cur_part = -1
        for msg in msgs:
            if msg.error() is not None:
                err = msg.error()
                if err.code() == KafkaError._PARTITION_EOF:
                    continue
                raise StreamsError(f"Restoring from {msg.topic()}-{msg.partition()}: {err}")
            part = msg.partition()
            topic = msg.topic()
            if part != cur_part or topic != cur_topic:
                if run is not None:
                    run.last, run.count = last, count
                cur_part, cur_topic = part, topic
                key_tp = (topic, part)
                job = active.get(key_tp)
                if job is None:
                    run = None
                    continue
                run = runs.get(key_tp)
                if run is None:
                    run = runs[key_tp] = _Run(job)
                last, count = run.last, run.count
                put, delete, stamp, append = run.put, run.delete, run.stamp, run.append
                limit = job.high if job.limited else -1
            elif run is None:
                continue
            if limit >= 0 and msg.offset() >= limit:  # a source topic goes on past the end
                continue
            last = msg
            key = msg.key()
            if key is None:  # a source topic's record the table drops
                continue
            count += 1
            if put is None:
                append((key, msg.value(), msg.timestamp()[1]))
                continue
            value = msg.value()
            if value is None:
                delete(key)
            elif stamp is not None:
                put(key, stamp(msg.timestamp()[1]) + value)
            else:
                put(key, value)
        if run is not None:
            run.last, run.count = last, count
        listener = self.listener
        for key_tp, run in runs.items():
            if run.last is None:
                continue
            job = run.job
            last_offset = run.last.offset()
            if run.count:
                run.write(last_offset)
                job.total += run.count
                self.restored += run.count
                _call(listener, "on_batch_restored", key_tp, job.store.name, last_offset, run.count)
            job.position = max(job.position, last_offset + 1)
        return {k: r for k, r in runs.items() if r.last is not None}

    def _done(self, job: _Job, now: float) -> None:
        took = now - self._began.pop((job.topic, job.partition), now)
        log.info(
            "Restored %d records into %s in %.3fs (%.0f records/s)",
            job.total,
            job.where(),
            took,
            job.total / took if took > 0 else 0.0,
        )
        _call(
            self.listener, "on_restore_end", (job.topic, job.partition), job.store.name, job.total
        )

    def _check_stall(self, now: float) -> None:
        idle = now - self._progress_at
        job = min(self.active.values(), key=lambda j: (j.topic, j.partition))
        if idle >= self.timeout_s:  # task.timeout.ms without progress
            raise StreamsError(
                f"Restoring {job.where()} stalled at offset {job.position} of {job.high}: "
                f"no progress for {self.timeout_s}s (task.timeout.ms)"
            )
        if idle >= self.stall_report_s and now - self._reported_at >= self.stall_report_s:
            self._reported_at = now
            log.warning(
                "Restoring %s: no progress for %.0fs at offset %s of %s. Under "
                "exactly-once this is an open transaction on the changelog: one left by a "
                "crashed producer is aborted after its transaction.timeout.ms; one that "
                "never ends is a hanging transaction (find and abort it with "
                "kafka-transactions.sh find-hanging / abort). Giving up after %.0fs.",
                job.where(),
                idle,
                job.position,
                job.high,
                self.timeout_s,
            )


def restore_stores(
    consumer: Any,
    jobs: list[_Job],
    listener: Any = None,
    timeout_s: float = 300.0,
    stall_report_s: float = STALL_REPORT_S,
) -> int:
    """Run restorations together to their ends (a :class:`Restoration`'s rounds until every
    job is done); returns how many records were applied."""
    if not jobs:
        return 0
    restoration = Restoration(consumer, listener, timeout_s, stall_report_s)
    try:
        restoration.add(jobs)
        while restoration.active:
            restoration.round()
    finally:
        consumer.unassign()
    return restoration.restored


def restore_store(
    consumer: Any,
    store: Any,
    partition: int,
    listener: Any = None,
    timeout_s: float = 300.0,
    end_consumer: Any = None,
    stall_report_s: float = STALL_REPORT_S,
    end_offset: int | None = None,
    verify_checkpoint: bool = False,
) -> int:
    """Restore one store from its changelog partition; returns how many records were applied.

    ``consumer`` reads the changelog (read_committed under exactly-once); ``end_consumer``
    (read_uncommitted) tells where the log ends. Restoration reads until its position
    reaches that end (or ``end_offset`` when it is lower: the committed offset of a
    source-topic changelog), waiting for open transactions to be decided; without progress
    it warns every ``stall_report_s`` and gives up after ``timeout_s`` without progress.

    ``verify_checkpoint`` (an exactly-once task that was not closed cleanly): the store is
    kept only if the changelog record at its checkpoint is committed; otherwise (an aborted
    or lost transaction) it is wiped and restored from the beginning.
    """
    job = plan_restore(
        consumer, store, partition, end_consumer, end_offset, verify_checkpoint, timeout_s
    )
    return restore_stores(consumer, [job] if job else [], listener, timeout_s, stall_report_s)


def plan_tasks(
    consumer: Any,
    tasks: list[Any],
    end_consumer: Any = None,
    committed_offsets: CommittedOffsets | None = None,
    timeout_s: float = 300.0,
    admin: Any = None,
) -> dict[Any, list[_Job]]:
    """The restoration jobs of every logged store of ``tasks``, by task (an empty list: the
    task is up to date); stores that are ahead or fail their checkpoint check are wiped
    first (:func:`plan_restore`).

    Stores whose changelog is a source topic stop at the application's committed offset of
    that input partition (none committed: nothing to restore), which ``committed_offsets``
    looks up (default: an admin client made from the first task's config). With ``admin``
    every changelog partition's offsets are looked up in one batch (:func:`log_offsets`).
    """
    plans: list[tuple[Any, Any, int, bool, bool]] = []
    sourced_tps: list[tuple[str, int]] = []
    for task in tasks:
        partition = task.id.partition
        unverified = task.stores.unverified
        for store in task.stores.logged():
            sourced = task.stores.is_source_changelog(store)
            if sourced:
                sourced_tps.append((store.changelog_topic, partition))
            # a source topic's checkpoint is an input offset, checked against its end instead
            verify = store.name in unverified and not sourced
            plans.append((task, store, partition, verify, sourced))
    ends: dict[tuple[str, int], int | None] = {}
    if sourced_tps:
        lookup = committed_offsets or own_consumer_committed_offsets(tasks[0].config)
        ends = lookup(sourced_tps)
    marks = log_offsets(admin, [(s.changelog_topic, p) for _, s, p, _, _ in plans])
    checkpoints = [(s.changelog_topic, p, s.restore_offset()) for _, s, p, v, _ in plans if v]
    checked = check_checkpoints(consumer, end_consumer, checkpoints, marks, timeout_s)
    jobs: dict[Any, list[_Job]] = {task: [] for task in tasks}
    for task, store, partition, verify, sourced in plans:
        tp = (store.changelog_topic, partition)
        end = (ends.get(tp) or 0) if sourced else None
        job = plan_restore(
            consumer,
            store,
            partition,
            end_consumer,
            end,
            verify,
            timeout_s,
            marks.get(tp),
            checked.get(tp),
        )
        if job is not None:
            jobs[task].append(job)
    for task in tasks:
        task.stores.unverified.clear()
    return jobs


def restore_tasks(
    consumer: Any,
    tasks: list[Any],
    listener: Any = None,
    end_consumer: Any = None,
    committed_offsets: CommittedOffsets | None = None,
    timeout_s: float = 300.0,
) -> int:
    """Restore every logged store of ``tasks`` together, to the end (:func:`plan_tasks`,
    then one :func:`restore_stores` run); returns the records applied. A store whose
    restoration makes no progress for ``timeout_s`` (``task.timeout.ms``) fails it."""
    planned = plan_tasks(consumer, tasks, end_consumer, committed_offsets, timeout_s)
    jobs = [job for task_jobs in planned.values() for job in task_jobs]
    return restore_stores(consumer, jobs, listener, timeout_s)


def restore_task(
    consumer: Any,
    task: Any,
    listener: Any = None,
    end_consumer: Any = None,
    committed_offsets: CommittedOffsets | None = None,
    timeout_s: float = 300.0,
) -> int:
    """Restore every logged store of one task (see :func:`restore_tasks`)."""
    return restore_tasks(consumer, [task], listener, end_consumer, committed_offsets, timeout_s)
