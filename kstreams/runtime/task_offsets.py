"""A stream thread's start offsets: committed offsets and their metadata for tasks that begin
to run, and the source topics' offset reset policies for partitions without a commit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from confluent_kafka import (
    OFFSET_BEGINNING,
    OFFSET_END,
    ConsumerGroupTopicPartitions,
    KafkaException,
    TopicPartition,
)

from kstreams.errors import StreamsError

log = logging.getLogger("kstreams")

PREFETCH_TIMEOUT_S = 30.0
"""How long a prefetched lookup of committed offsets may take (then it is asked again,
blocking, when the tasks start)."""


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


class StartOffsets:
    """The committed offsets' metadata tasks start from, asked for when they are created and
    read when they caught up, so that starting them waits for no lookup.

    :meth:`prefetch` sends one ``ListConsumerGroupOffsets`` request (stable offsets only:
    ``require_stable``, as the consumer's ``committed()`` under read_committed) for the
    input partitions of tasks just created, without waiting; :meth:`initialize` starts
    caught-up tasks from its answer if it has come and is free of errors, and otherwise
    reads the offsets as :func:`initialize_tasks` does (blocking, retrying). The answer
    cannot be stale: only this member commits these partitions while it has the tasks
    (a previous owner's commits are fenced, its open transaction's offsets are not stable
    and fail the prefetch), and restoring tasks commit nothing.

    Before, each restoration step whose tasks caught up waited for a ``committed()`` round
    trip before the next step restored (64 partitions under load: 94 ms, after a first step
    that had finished one partition).
    """

    def __init__(
        self,
        committed_offsets: Callable[[list[TopicPartition]], list[TopicPartition]],
        client_id: str,
        admin: Any = None,
        group_id: str | None = None,
        timeout_s: float = PREFETCH_TIMEOUT_S,
    ) -> None:
        self._committed_offsets = committed_offsets
        self.client_id = client_id
        self._admin = admin
        self._group_id = group_id
        self._timeout_s = timeout_s
        self._asked: dict[Any, Any] = {}
        """The pending or answered lookup of each task created (by task id; a task created
        again replaces it)."""

    def prefetch(self, tasks: list[Any]) -> None:
        """Ask for the committed offsets of these new tasks' partitions (no waiting)."""
        if self._admin is None or self._group_id is None or not tasks:
            return
        tps = [TopicPartition(t, p) for task in tasks for t, p in task.partitions]
        for task in tasks:
            self._asked.pop(task.id, None)
        if not tps:
            return
        try:
            futures = self._admin.list_consumer_group_offsets(
                [ConsumerGroupTopicPartitions(self._group_id, tps)],
                require_stable=True,
                request_timeout=self._timeout_s,
            )
            future = futures[self._group_id]
        except (KafkaException, ValueError) as exc:  # asked again, blocking, at the start
            log.debug("stream-thread [%s] prefetching committed offsets: %s", self.client_id, exc)
            return
        for task in tasks:
            self._asked[task.id] = future

    def initialize(self, tasks: list[Any]) -> None:
        """Start caught-up tasks from their committed offsets' metadata (see the class notes)."""
        unanswered = []
        parsed: dict[int, Any] = {}  # one answer covers every task created with these
        for task in tasks:
            future = self._asked.pop(task.id, None)
            if id(future) not in parsed:
                parsed[id(future)] = self._answer(future)
            found = parsed[id(future)]
            if found is None:
                unanswered.append(task)
            else:
                task.initialize_metadata({tp: found[tp] for tp in task.partitions if tp in found})
        if unanswered:
            initialize_tasks(self._committed_offsets, unanswered, self.client_id)

    @staticmethod
    def _answer(future: Any) -> dict[tuple[str, int], tuple[int, str | None]] | None:
        """The committed ``(offset, metadata)`` by partition of a prefetch that is answered
        without errors; None otherwise."""
        if future is None or not future.done() or future.cancelled():
            return None
        if future.exception() is not None:
            return None
        found = {}
        for tp in future.result().topic_partitions:
            if tp.error is not None:
                return None
            if tp.offset >= 0:
                found[(tp.topic, tp.partition)] = (tp.offset, tp.metadata)
        return found


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
