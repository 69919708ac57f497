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
) -> None:
    """Start restored tasks from their committed offsets' metadata (partition times,
    processor metadata): Kafka Streams' ``resetOffsetsIfNeededAndInitializeMetadata``.

    ``committed_offsets`` reads the group's committed offsets, retrying what passes (a
    timeout, ``NOT_COORDINATOR`` while a dead broker's group coordinator moves) for up to
    ``task.timeout.ms``: the stream thread's ``_committed_retrying``.
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
