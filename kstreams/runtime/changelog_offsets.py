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

from confluent_kafka import ConsumerGroupTopicPartitions, KafkaError, KafkaException, TopicPartition

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


def admin_committed_offsets(config: Any) -> CommittedOffsets:
    """The committed-offset lookup of the application ``config`` names (an admin client of its own)."""
    from confluent_kafka.admin import AdminClient

    admin = AdminClient(config.admin_config(client_id=f"{config.application_id}-restore-admin"))
    return group_committed_offsets(admin, config.application_id)


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
    consumer.resume([tp])  # the restore consumer may have paused it (librdkafka keeps pauses)
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
