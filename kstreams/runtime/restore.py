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

import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

from confluent_kafka import ConsumerGroupTopicPartitions, KafkaError, KafkaException, TopicPartition

from kstreams.errors import StreamsError

log = logging.getLogger("kstreams")

RESTORE_BATCH = 2000
"""Changelog records applied per WriteBatch."""
RESTORE_WAIT_S = 0.01
"""How long a restoration round waits for more records (then it checks positions: a clean
exactly-once restart finds only a transaction marker after each checkpoint)."""


class StateRestoreListener(Protocol):
    """Told about restoration progress (Java: ``StateRestoreListener``); every method is optional."""

    def on_restore_start(
        self, topic_partition: tuple[str, int], store_name: str, start_offset: int, end_offset: int
    ) -> None:
        """Restoration of ``store_name`` from ``topic_partition`` begins."""

    def on_batch_restored(
        self,
        topic_partition: tuple[str, int],
        store_name: str,
        batch_end_offset: int,
        num_restored: int,
    ) -> None:
        """A batch was written."""

    def on_restore_end(
        self, topic_partition: tuple[str, int], store_name: str, total_restored: int
    ) -> None:
        """The store is up to date."""


def _call(listener: Any, method: str, *args: Any) -> None:
    fn = getattr(listener, method, None) if listener is not None else None
    if fn is not None:
        try:
            fn(*args)
        except Exception:
            log.exception("state restore listener %s failed", method)


_TRANSIENT = {
    KafkaError.NOT_LEADER_FOR_PARTITION,
    KafkaError.LEADER_NOT_AVAILABLE,
    KafkaError.UNKNOWN_TOPIC_OR_PART,
    KafkaError._TIMED_OUT,
    KafkaError.REQUEST_TIMED_OUT,
    KafkaError._UNKNOWN_PARTITION,
    KafkaError._TRANSPORT,
    KafkaError.NOT_COORDINATOR,
}
"""Errors of a watermark lookup that go away (a just-created changelog has no leader yet)."""


def watermarks(consumer: Any, tp: TopicPartition, timeout_s: float = 60.0) -> tuple[int, int]:
    """The changelog partition's low and high watermarks, retrying transient errors."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return consumer.get_watermark_offsets(tp, timeout=10, cached=False)
        except KafkaException as exc:
            err = exc.args[0]
            if err.code() not in _TRANSIENT or time.monotonic() > deadline:
                raise StreamsError(
                    f"Could not read the offsets of changelog {tp.topic}-{tp.partition}: {err}"
                ) from exc
            log.info("changelog %s-%s not ready (%s); retrying", tp.topic, tp.partition, err)
            # librdkafka keeps asking the leader it knew: a partition whose leader died stays
            # _UNKNOWN_PARTITION until that broker is back, unless the metadata is refreshed
            with contextlib.suppress(KafkaException):
                consumer.list_topics(tp.topic, timeout=5)
            time.sleep(0.2)


CommittedOffsets = Callable[[list[tuple[str, int]]], dict[tuple[str, int], int | None]]
"""``lookup([(topic, partition), ...]) -> {(topic, partition): committed offset or None}``:
the application's committed offsets (next offset to read) of input partitions."""


def group_committed_offsets(admin: Any, group_id: str, timeout_s: float = 30.0) -> CommittedOffsets:
    """A :data:`CommittedOffsets` lookup of ``group_id`` through an ``AdminClient``, with
    stable offsets only (``require_stable``: no offset of a transaction still open), as
    Kafka Streams' ``StoreChangelogReader`` asks."""

    def lookup(partitions: list[tuple[str, int]]) -> dict[tuple[str, int], int | None]:
        request = ConsumerGroupTopicPartitions(
            group_id, [TopicPartition(t, p) for t, p in partitions]
        )
        try:
            futures = admin.list_consumer_group_offsets(
                [request], require_stable=True, request_timeout=timeout_s
            )
            answer = futures[group_id].result(timeout_s)
        except (KafkaException, TimeoutError) as exc:
            cause = exc.args[0] if exc.args else type(exc).__name__
            raise StreamsError(
                f"Could not read the committed offsets of group {group_id} for {partitions} "
                f"(needed to restore stores from their source topics): {cause}"
            ) from exc
        result: dict[tuple[str, int], int | None] = {}
        for tp in answer.topic_partitions:
            if tp.error is not None:
                raise StreamsError(
                    f"Could not read the committed offset of group {group_id} for "
                    f"{tp.topic}-{tp.partition}: {tp.error}"
                )
            result[(tp.topic, tp.partition)] = tp.offset if tp.offset >= 0 else None
        return result

    return lookup


def _admin_lookup(config: Any) -> CommittedOffsets:
    """The committed-offset lookup of the application ``config`` names (an admin client of its own)."""
    from confluent_kafka.admin import AdminClient

    admin = AdminClient(config.admin_config(client_id=f"{config.application_id}-restore-admin"))
    return group_committed_offsets(admin, config.application_id)


STALL_REPORT_S = 30.0
"""How long restoration may make no progress before it says so (and again after as long)."""


class _Job:
    """One store's restoration from one changelog partition (see :func:`restore_stores`)."""

    __slots__ = ("high", "partition", "position", "start", "store", "topic", "total", "tp")

    def __init__(self, store: Any, partition: int, start: int, high: int) -> None:
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


def plan_restore(
    consumer: Any,
    store: Any,
    partition: int,
    end_consumer: Any = None,
    end_offset: int | None = None,
    verify_checkpoint: bool = False,
    timeout_s: float = 300.0,
) -> _Job | None:
    """Where ``store``'s restoration from its changelog ``partition`` starts and ends; None
    when it is up to date. A store ahead of its changelog, or (``verify_checkpoint``) whose
    checkpoint is not a committed record, is wiped first (see :func:`restore_store`)."""
    topic = store.changelog_topic
    tp = TopicPartition(topic, partition)
    # The end is the log end offset (read_uncommitted): under exactly-once a read_committed
    # consumer's high watermark is the last stable offset, which stops short of data committed
    # after a crashed instance's still-open transaction.
    low, high = watermarks(end_consumer or consumer, tp)
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
        and not (stored >= low and committed_at(consumer, topic, partition, stored, timeout_s))
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
    return _Job(store, partition, start, high)


def restore_stores(
    consumer: Any,
    jobs: list[_Job],
    listener: Any = None,
    timeout_s: float = 300.0,
    stall_report_s: float = STALL_REPORT_S,
) -> int:
    """Run restorations together: one consumer reads every changelog partition at once.

    Each fetch brings records of every partition that has some, and a partition whose
    checkpoint trails its end only by transaction markers (a clean restart under
    exactly-once) is done after the first fetch: restoring many partitions costs about as
    much as restoring one. A partition is done when the consumer's position reaches its end;
    without progress on a partition it warns every ``stall_report_s`` and fails after
    ``timeout_s``. Returns how many records were applied.
    """
    if not jobs:
        return 0
    for job in jobs:
        log.info("Restoring %s offsets %s..%s", job.where(), job.start, job.high)
        _call(
            listener,
            "on_restore_start",
            (job.topic, job.partition),
            job.store.name,
            job.start,
            job.high,
        )
    by_tp = {(job.topic, job.partition): job for job in jobs}
    if len(by_tp) < len(jobs):
        raise StreamsError(
            f"Two stores restore from the same changelog partition: {[j.where() for j in jobs]}"
        )
    active = dict(by_tp)
    # The restore consumer learns the changelogs' leaders first: assigned partitions it
    # has no metadata for fail their first fetch and wait fetch.error.backoff.ms (500 ms)
    # before the next; a metadata request takes milliseconds (64 partitions' restore:
    # first record after 0.6 s without it, after 6 ms with it).
    for topic in sorted({j.topic for j in jobs}):
        consumer.list_topics(topic, timeout=timeout_s)
    consumer.assign([TopicPartition(j.topic, j.partition, j.start) for j in jobs])
    began = time.monotonic()
    progress_at, reported_at = began, began
    done_at: dict[tuple[str, int], float] = {}
    try:
        while active:
            # asking for no more than is left lets consume() return as soon as it has it; a
            # round that gets fewer waits RESTORE_WAIT_S, then looks at the positions (past
            # transaction markers, which bring no records)
            left = sum(j.high - j.position for j in active.values())
            msgs = consumer.consume(max(1, min(RESTORE_BATCH, left)), RESTORE_WAIT_S)
            batches: dict[tuple[str, int], tuple[list[Any], list[int]]] = {}
            for msg in msgs:
                err = msg.error()
                if err is not None:
                    if err.code() == KafkaError._PARTITION_EOF:
                        continue
                    raise StreamsError(f"Restoring from {msg.topic()}-{msg.partition()}: {err}")
                key_tp = (msg.topic(), msg.partition())
                job = active.get(key_tp)
                offset = msg.offset()
                if job is None or offset >= job.high:  # a source topic goes on past the end
                    continue
                batch, last = batches.setdefault(key_tp, ([], [-1]))
                last[0] = offset
                key = msg.key()
                if key is None:  # a source topic's record the table drops
                    continue
                batch.append((key, msg.value(), msg.timestamp()[1]))
            for key_tp, (batch, last) in batches.items():
                job = by_tp[key_tp]
                if batch:
                    job.store.restore_batch(batch, last[0])
                    job.total += len(batch)
                    _call(
                        listener,
                        "on_batch_restored",
                        key_tp,
                        job.store.name,
                        last[0],
                        len(batch),
                    )
                job.position = max(job.position, last[0] + 1)
            asked = list(active.values())
            now = time.monotonic()
            moved = bool(batches)
            for job, pos in zip(asked, consumer.position([j.tp for j in asked]), strict=True):
                if pos.offset > job.position:  # past transaction markers and aborted records
                    job.position, moved = pos.offset, True
            finished = [k for k, j in active.items() if j.position >= j.high]
            for key_tp in finished:
                done_at[key_tp] = now
                del active[key_tp]
            if finished and active:
                consumer.pause([by_tp[k].tp for k in finished])
            if moved or finished:
                progress_at = now
            elif (
                active
                and now - progress_at >= stall_report_s
                and now - reported_at >= stall_report_s
            ):
                reported_at = now
                job = min(active.values(), key=lambda j: (j.topic, j.partition))
                log.warning(
                    "Restoring %s: no progress for %.0fs at offset %s of %s. Under "
                    "exactly-once this is an open transaction on the changelog: one left by a "
                    "crashed producer is aborted after its transaction.timeout.ms; one that "
                    "never ends is a hanging transaction (find and abort it with "
                    "kafka-transactions.sh find-hanging / abort). Giving up after %.0fs.",
                    job.where(),
                    now - progress_at,
                    job.position,
                    job.high,
                    timeout_s,
                )
            if active and now - progress_at >= timeout_s:  # task.timeout.ms without progress
                job = min(active.values(), key=lambda j: (j.topic, j.partition))
                raise StreamsError(
                    f"Restoring {job.where()} stalled at offset {job.position} of {job.high}: "
                    f"no progress for {timeout_s}s (task.timeout.ms)"
                )
    finally:
        consumer.unassign()
    for job in jobs:
        took = done_at.get((job.topic, job.partition), time.monotonic()) - began
        log.info(
            "Restored %d records into %s in %.2fs (%.0f records/s)",
            job.total,
            job.where(),
            took,
            job.total / took if took > 0 else 0.0,
        )
        _call(listener, "on_restore_end", (job.topic, job.partition), job.store.name, job.total)
    return sum(job.total for job in jobs)


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


QUIET_FETCH_S = 5.0
"""How long a read_committed consumer may return nothing at an offset below the last stable
offset before that offset counts as not committed (aborted records are filtered out)."""


def committed_at(
    consumer: Any, topic: str, partition: int, offset: int, timeout_s: float = 300.0
) -> bool:
    """Whether the record at ``offset`` is a committed one, read with ``consumer`` (read_committed).

    A committed record is returned at its offset; an aborted one is skipped, so the first
    record returned lies beyond it, or none is returned although the last stable offset is
    past it. While a transaction at or before ``offset`` is open, it waits (up to
    ``timeout_s``) for it to be decided.
    """
    tp = TopicPartition(topic, partition)
    consumer.assign([TopicPartition(topic, partition, offset)])
    try:
        deadline = time.monotonic() + timeout_s
        quiet_since = time.monotonic()
        while True:
            for msg in consumer.consume(1, 0.2):
                err = msg.error()
                if err is None:
                    return msg.offset() == offset
                if err.code() != KafkaError._PARTITION_EOF:
                    raise StreamsError(f"Checking {topic}-{partition}@{offset}: {err}")
            now = time.monotonic()
            stable = watermarks(consumer, tp)[1]  # read_committed: the last stable offset
            if stable <= offset:
                quiet_since = now  # an open transaction: wait for it to be decided
            elif now - quiet_since >= QUIET_FETCH_S:
                return False
            if now > deadline:
                raise StreamsError(
                    f"Checking the checkpoint {topic}-{partition}@{offset}: still undecided "
                    f"(an open transaction) after {timeout_s}s"
                )
    finally:
        consumer.unassign()


def restore_tasks(
    consumer: Any,
    tasks: list[Any],
    listener: Any = None,
    end_consumer: Any = None,
    committed_offsets: CommittedOffsets | None = None,
    timeout_s: float = 300.0,
) -> int:
    """Restore every logged store of ``tasks`` together (one :func:`restore_stores` run);
    returns the records applied.

    A store whose restoration makes no progress for ``timeout_s`` (``task.timeout.ms``)
    fails it.

    Stores whose changelog is a source topic stop at the application's committed offset of
    that input partition (none committed: nothing to restore), which ``committed_offsets``
    looks up (default: an admin client made from the first task's config).
    """
    plans: list[tuple[Any, Any, int | None, bool]] = []
    sourced_tps: list[tuple[str, int]] = []
    for task in tasks:
        partition = task.id.partition
        unverified = task.stores.unverified
        for store in task.stores.logged():
            sourced = task.stores.is_source_changelog(store)
            if sourced:
                sourced_tps.append((store.changelog_topic, partition))
            # a source topic's checkpoint is an input offset, checked against its end instead
            plans.append((task, store, partition, store.name in unverified and not sourced))
    ends: dict[tuple[str, int], int | None] = {}
    if sourced_tps:
        lookup = committed_offsets or _admin_lookup(tasks[0].config)
        ends = lookup(sourced_tps)
    jobs = []
    for task, store, partition, verify in plans:
        end = None
        if task.stores.is_source_changelog(store):
            end = ends.get((store.changelog_topic, partition)) or 0
        job = plan_restore(consumer, store, partition, end_consumer, end, verify, timeout_s)
        if job is not None:
            jobs.append(job)
    total = restore_stores(consumer, jobs, listener, timeout_s)
    for task in tasks:
        task.stores.unverified.clear()
    return total


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
