"""Offsets restoration needs: changelog watermarks, the log start and end offsets of many
partitions at once, the application's committed offsets, and whether a checkpoint's record
was committed (exactly-once). Each lookup retries what passes (a just-created changelog
without a leader, a coordinator moving) and says what failed otherwise.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

from confluent_kafka import KafkaError, KafkaException, TopicPartition

from kstreams.errors import StreamsError

log = logging.getLogger("kstreams")


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


def consumer_committed_offsets(
    committed: Callable[[list[TopicPartition]], list[TopicPartition]], group_id: str
) -> CommittedOffsets:
    """A :data:`CommittedOffsets` lookup through a consumer's ``committed()``: ``committed``
    reads the offsets of group ``group_id`` (the stream thread's retrying read on its main
    consumer, which is ``read_committed`` under exactly-once, so librdkafka asks for stable
    offsets only, no offset of a transaction still open, as Kafka Streams'
    ``StoreChangelogReader`` does).

    Not through an ``AdminClient``: librdkafka's ``ListConsumerGroupOffsets`` crashes the
    process (SIGSEGV in ``rd_kafka_cgrp_op``: an admin client has no consumer group to tell)
    when the coordinator answers ``NOT_COORDINATOR``, as it does while a group coordinator
    moves to another broker or loads after a restart (confluentinc/librdkafka#5040; seen in
    session 16's reverted prefetch: both instances dead when the coordinator's node was killed).
    """

    def lookup(partitions: list[tuple[str, int]]) -> dict[tuple[str, int], int | None]:
        asked = [TopicPartition(t, p) for t, p in partitions]
        try:
            answer = committed(asked)
        except (KafkaException, StreamsError) as exc:
            cause = exc.args[0] if exc.args else type(exc).__name__
            raise StreamsError(
                f"Could not read the committed offsets of group {group_id} for {partitions} "
                f"(needed to restore stores from their source topics): {cause}"
            ) from exc
        result: dict[tuple[str, int], int | None] = {}
        for tp in answer:
            if tp.error is not None:
                raise StreamsError(
                    f"Could not read the committed offset of group {group_id} for "
                    f"{tp.topic}-{tp.partition}: {tp.error}"
                )
            result[(tp.topic, tp.partition)] = tp.offset if tp.offset >= 0 else None
        return result

    return lookup


def own_consumer_committed_offsets(config: Any, timeout_s: float = 30.0) -> CommittedOffsets:
    """The committed-offset lookup of the application ``config`` names, on a short-lived
    consumer of its own (the restore consumer's settings, ``read_committed``: stable offsets
    only); see :func:`consumer_committed_offsets` for why not an admin client."""
    from confluent_kafka import Consumer

    def committed(tps: list[TopicPartition]) -> list[TopicPartition]:
        settings = config.restore_consumer_config(f"{config.application_id}-restore-offsets")
        settings["isolation.level"] = "read_committed"
        consumer = Consumer(settings)
        try:
            return list(consumer.committed(tps, timeout=timeout_s))
        finally:
            consumer.close()

    return consumer_committed_offsets(committed, config.application_id)


QUIET_FETCH_S = 5.0
"""How long a read_committed consumer may return nothing at an offset below the last stable
offset before that offset counts as not committed (aborted records are filtered out)."""


_OUT_OF_RANGE = {KafkaError._AUTO_OFFSET_RESET, KafkaError.OFFSET_OUT_OF_RANGE}
"""A checkpoint read that starts before the log start (retention moved it after the lookup):
the restore consumer's ``auto.offset.reset`` is ``error``."""


def committed_at(
    consumer: Any,
    topic: str,
    partition: int,
    offset: int,
    timeout_s: float = 300.0,
    low: int = 0,
) -> bool:
    """Whether the checkpoint ``offset`` is committed, read with ``consumer`` (read_committed):
    one partition's :func:`committed_records` (``low``: its log start offset)."""
    return committed_records(consumer, [(topic, partition, offset, low)], timeout_s)[
        (topic, partition)
    ]


def committed_records(
    consumer: Any, checks: list[tuple[str, int, int, int]], timeout_s: float = 300.0
) -> dict[tuple[str, int], bool]:
    """Whether each checkpoint ``(topic, partition, offset, log start)`` is committed, read
    with ``consumer`` (read_committed), every partition at once: ``{(topic, partition): ...}``.

    A checkpoint is committed if the record at ``offset`` is committed data (the last record
    a store applied: restoration, delivery reports) or the marker of a committed transaction
    (the log end read right after a commit, kstreams' checkpoints under exactly-once): then
    the record before it is committed data of that transaction, since only the task's
    producer writes its changelog partition. So the read starts at ``offset - 1`` (not before
    the log start) and the first committed record must come at ``offset - 1`` or ``offset``.
    Aborted data and markers are skipped: the first record returned lies beyond, or the
    consumer's position passes ``offset`` with none returned (an aborted transaction last in
    the log), or, failing both, none is returned for ``QUIET_FETCH_S`` although the last
    stable offset is past it. While a transaction at or before ``offset`` is open, it waits
    (up to ``timeout_s``) for it to be decided. The consumer is left unassigned.
    """
    pending = {(t, p): o for t, p, o, _ in checks}
    result: dict[tuple[str, int], bool] = {}
    if not pending:
        return result
    tps = [TopicPartition(t, p) for t, p in pending]
    consumer.assign([TopicPartition(t, p, max(low, o - 1)) for t, p, o, low in checks])
    consumer.resume(tps)  # the restore consumer may have paused them (librdkafka keeps pauses)

    def decide(key: tuple[str, int], committed: bool) -> None:
        result[key] = committed
        del pending[key]
        consumer.pause([TopicPartition(*key)])  # nothing more to fetch there

    try:
        deadline = time.monotonic() + timeout_s
        quiet_since = dict.fromkeys(pending, time.monotonic())
        while pending:
            for msg in consumer.consume(len(pending), 0.2):
                key = (msg.topic(), msg.partition())
                err = msg.error()
                if err is not None:
                    if key in pending and err.code() in _OUT_OF_RANGE:
                        decide(key, False)  # the log start moved past it meanwhile: wiped
                    elif err.code() != KafkaError._PARTITION_EOF:
                        raise StreamsError(
                            f"Checking {key[0]}-{key[1]} at offset {pending.get(key)}: {err}"
                        )
                elif key in pending:
                    decide(key, pending[key] - 1 <= msg.offset() <= pending[key])
            if not pending:
                break
            now = time.monotonic()
            waiting = [TopicPartition(t, p) for t, p in pending]
            for tp in consumer.position(waiting):
                key = (tp.topic, tp.partition)
                if tp.offset > pending[key]:
                    decide(key, False)  # skipped: aborted data or a transaction marker
            for key in list(pending):
                stable = watermarks(consumer, TopicPartition(*key))[1]  # the last stable offset
                if stable <= pending[key]:
                    quiet_since[key] = now  # an open transaction: wait for it to be decided
                elif now - quiet_since[key] >= QUIET_FETCH_S:
                    decide(key, False)
            if pending and now > deadline:
                undecided = ", ".join(f"{t}-{p}@{o}" for (t, p), o in sorted(pending.items()))
                raise StreamsError(
                    f"Checking the checkpoint(s) {undecided}: still undecided "
                    f"(an open transaction) after {timeout_s}s"
                )
    finally:
        consumer.resume(tps)
        consumer.unassign()
    return result


def check_checkpoints(
    consumer: Any,
    end_consumer: Any,
    checkpoints: list[tuple[str, int, int | None]],
    marks: dict[tuple[str, int], tuple[int, int]],
    timeout_s: float = 300.0,
) -> dict[tuple[str, int], bool]:
    """Whether each store checkpoint ``(changelog topic, partition, offset or None)`` is
    committed, all checked at once (:func:`committed_records`: the wait for a quiet fetch or
    an open transaction is paid once, not once per store). Checkpoints outside the log (none,
    before its start, at or past its end: wiped without asking) are left out. ``marks``: the
    partitions' log start and end offsets; those missing are looked up (and added)."""
    checks = []
    for topic, partition, stored in checkpoints:
        if stored is None:
            continue
        tp = (topic, partition)
        if tp not in marks:
            marks[tp] = watermarks(end_consumer or consumer, TopicPartition(*tp))
        low, high = marks[tp]
        if low <= stored < high:
            checks.append((topic, partition, stored, low))
    return committed_records(consumer, checks, timeout_s)


def log_offsets(
    admin: Any, partitions: list[tuple[str, int]], timeout_s: float = 30.0
) -> dict[tuple[str, int], tuple[int, int]]:
    """The log start and end offsets (read_uncommitted) of ``partitions``, in two batched
    admin requests (a watermark lookup per partition costs two round trips each); the
    partitions whose lookup failed are left out (the caller asks them one by one)."""
    if admin is None or not partitions:
        return {}
    from confluent_kafka import IsolationLevel
    from confluent_kafka.admin import OffsetSpec

    found: dict[tuple[str, int], list[int]] = {}
    for index, spec in enumerate((OffsetSpec.earliest(), OffsetSpec.latest())):
        try:
            futures = admin.list_offsets(
                {TopicPartition(t, p): spec for t, p in partitions},
                isolation_level=IsolationLevel.READ_UNCOMMITTED,
                request_timeout=timeout_s,
            )
        except Exception as exc:
            log.debug("Batched offset lookup failed (%s); asking per partition", exc)
            return {}
        for tp, future in futures.items():
            try:
                offset = future.result(timeout_s).offset
            except Exception:
                continue
            entry = found.setdefault((tp.topic, tp.partition), [-1, -1])
            entry[index] = offset
    return {tp: (lo, hi) for tp, (lo, hi) in found.items() if lo >= 0 and hi >= 0}
