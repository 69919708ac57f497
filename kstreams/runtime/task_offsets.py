"""A stream thread's start offsets: committed offsets and their metadata for tasks that begin
to run, and the source topics' offset reset policies for partitions without a commit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, OFFSET_END, KafkaException, TopicPartition

from kstreams.errors import StreamsError


def initialize_tasks(
    committed_offsets: Callable[[list[TopicPartition]], list[TopicPartition]],
    tasks: list[Any],
    client_id: str,
    seek: Callable[[TopicPartition], None] | None = None,
    reset_start: Callable[[str], int] | None = None,
) -> None:
    """Start restored tasks from their committed offsets and those offsets' metadata
    (partition times, processor metadata): Kafka Streams'
    ``resetOffsetsIfNeededAndInitializeMetadata``.

    ``committed_offsets`` reads the group's committed offsets, retrying what passes (a
    timeout, ``NOT_COORDINATOR`` while a dead broker's group coordinator moves) for up to
    ``task.timeout.ms``: the stream thread's ``_committed_retrying``. ``seek`` (the main
    consumer's) moves each partition with a committed offset to it: a new task has processed
    nothing, so that is where its records begin, whatever the consumer's position says (a
    partition that stayed assigned may be past it: records fetched before a rewind's seek,
    or while no task ran, were dropped, and librdkafka resumes a paused partition from the
    position it had then; Kafka Streams seeks a revived task's partitions too). A
    partition without a commit goes where ``reset_start(topic)`` says (its source's reset
    policy: ``OFFSET_BEGINNING`` or ``OFFSET_END``, as Kafka Streams resets at a task's
    initialization).
    """
    tps = [TopicPartition(t, p) for task in tasks for t, p in task.partitions]
    if not tps:
        return
    try:
        committed = committed_offsets(tps)
    except (KafkaException, StreamsError) as exc:
        cause = exc.args[0] if isinstance(exc, KafkaException) else exc
        raise StreamsError(
            f"stream-thread [{client_id}] Failed to initialize offsets for tasks "
            f"{sorted(str(t.id) for t in tasks)}: could not read the committed offsets of "
            f"{sorted((tp.topic, tp.partition) for tp in tps)}: {cause}"
        ) from exc
    found = {
        (tp.topic, tp.partition): (tp.offset, tp.metadata)
        for tp in committed
        if tp.error is None and tp.offset >= 0
    }
    if seek is not None:
        for tp in tps:
            key = (tp.topic, tp.partition)
            if key in found:
                seek(TopicPartition(tp.topic, tp.partition, found[key][0]))
            elif reset_start is not None:
                seek(TopicPartition(tp.topic, tp.partition, reset_start(tp.topic)))
    for task in tasks:
        task.initialize_metadata({tp: found[tp] for tp in task.partitions if tp in found})


def apply_offset_resets(consumer: Any, partitions: list[Any], resets: Mapping[str, str]) -> None:
    """Set the start offset of each assigned partition without a committed offset to what
    its source's offset reset policy (``resets``: by topic) says."""
    mine = [TopicPartition(tp.topic, tp.partition) for tp in partitions if tp.topic in resets]
    if not mine:
        return
    committed = consumer.committed(mine, timeout=30)
    for tp in committed:
        if tp.offset < 0:
            policy = resets[tp.topic]
            for orig in partitions:
                if orig.topic == tp.topic and orig.partition == tp.partition:
                    orig.offset = OFFSET_BEGINNING if policy == "earliest" else OFFSET_END
