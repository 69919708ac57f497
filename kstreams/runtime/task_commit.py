"""What a task commits: its offsets, partition times and processor metadata, and the steps.

:class:`TaskCommitting` is mixed into :class:`~kstreams.runtime.task.StreamTask`. A task
starts from the committed offsets and metadata strings of its partitions
(:meth:`~TaskCommitting.initialize_metadata`, Kafka Streams'
``initializeTaskTimeAndProcessorMetadata``); a commit asks it to prepare (processors fill
the processor metadata, stores flush their changelogs), which offsets moved, the metadata
string of each (:mod:`kstreams.runtime.commit_metadata` encodes it), and, once outputs and
changelogs are acknowledged, to write its stores.
"""

from __future__ import annotations

import logging
from typing import Any

from confluent_kafka import TopicPartition

from kstreams.runtime import commit_metadata

log = logging.getLogger("kstreams")


class TaskCommitting:
    """Stream time, commit metadata and the commit steps of a task (mixed into ``StreamTask``)."""

    id: Any
    context: Any
    stores: Any
    _partition_times: dict[str, dict[int, int]]
    _tracks_partition_times: bool
    _start_offsets: dict[tuple[str, int], int]
    _encoded: dict[tuple[str, int], tuple[int, int, str]]
    _serialized: tuple[int, bytes]
    _consumed: dict[tuple[str, int], int]
    _committed: dict[tuple[str, int], int]

    def partition_time(self, topic: str, partition: int) -> int:
        """The largest timestamp the task has processed from ``topic``/``partition``, or the
        committed one it started from (-1: unknown), as Kafka Streams' ``partitionTimestamp``."""
        times = self._partition_times.get(topic)
        known = -1 if times is None else times.get(partition, -1)
        if self._tracks_partition_times:
            return known
        # the only partition: its time is the stream time
        stream_time = self.context.stream_time
        return stream_time if stream_time > known else known

    def initialize_metadata(self, committed: dict[tuple[str, int], tuple[int, str | None]]) -> None:
        """Start from the committed ``(offset, metadata string)`` of the task's partitions
        (those without a committed offset left out), as Kafka Streams'
        ``initializeTaskTimeAndProcessorMetadata``: each partition's time is the committed
        one, stream time the largest of them, and the processor metadata the largest value
        per key over the partitions."""
        ctx = self.context
        for (topic, partition), (offset, text) in committed.items():
            self._start_offsets[(topic, partition)] = offset
            decoded = commit_metadata.decode(text)
            if decoded.partition_time == commit_metadata.UNKNOWN and not text:
                log.debug(
                    "task [%s] no committed timestamp was found in metadata for partition %s-%d",
                    self.id,
                    topic,
                    partition,
                )
                continue
            self._partition_times.setdefault(topic, {})[partition] = decoded.partition_time
            if decoded.partition_time > ctx.stream_time:
                ctx.stream_time = decoded.partition_time
            ctx.processor_metadata.update(decoded.processor_metadata)
            log.debug(
                "task [%s] a committed timestamp was detected: setting the partition time of "
                "partition %s-%d to %d",
                self.id,
                topic,
                partition,
                decoded.partition_time,
            )
        for hook in ctx.on_start:
            hook()

    def commit_metadata(self, topic: str, partition: int) -> str:
        """The metadata string to commit with the offset of ``topic``/``partition``: its
        partition time and the task's processor metadata, as Kafka Streams encodes them."""
        tp = (topic, partition)
        time_ = self.partition_time(topic, partition)
        meta = self.context.processor_metadata
        last = self._encoded.get(tp)
        if last is not None and last[0] == time_ and last[1] == meta.version:
            return last[2]
        version, raw = self._serialized
        if version != meta.version:
            raw = commit_metadata.serialize_processor_metadata(meta)
            self._serialized = (meta.version, raw)
        text = commit_metadata.encode(time_, raw)
        self._encoded[tp] = (time_, meta.version, text)
        return text

    def committable_offsets(self) -> dict[tuple[str, int], int]:
        """Offsets to commit (next offset to read) for partitions that moved since the last
        commit; every partition whose offset is known when processor metadata changed (it goes
        to all of them, as in Java)."""
        out = {}
        for tp, offset in self._consumed.items():
            if self._committed.get(tp) != offset:
                out[tp] = offset + 1
        if self.context.processor_metadata.needs_commit:
            for tp, offset in self._consumed.items():
                out.setdefault(tp, offset + 1)
            for tp, start in self._start_offsets.items():
                out.setdefault(tp, start)
        return out

    def committable_topic_partitions(self) -> list[TopicPartition]:
        """:meth:`committable_offsets` as ``TopicPartition`` s carrying their commit metadata."""
        meta = self.commit_metadata
        return [
            TopicPartition(t, p, offset, metadata=meta(t, p))
            for (t, p), offset in self.committable_offsets().items()
        ]

    def mark_committed(self, offsets: dict[tuple[str, int], int]) -> None:
        """Record that ``offsets`` (as returned by :meth:`committable_offsets`) were committed."""
        for tp, offset in offsets.items():
            self._committed[tp] = offset - 1
        self.context.commit_requested = False
        self.context.processor_metadata.needs_commit = False

    def prepare_commit(self) -> None:
        """First step of a commit: processors put what they keep in the processor metadata, the
        stores send their buffered changes to their changelogs."""
        self.stores.flush_changelog()  # may forward cached records: processors run
        for hook in self.context.on_commit:
            hook()

    def commit_stores(self, changelog_offsets: dict[tuple[str, int], int]) -> None:
        """Last step of a commit (outputs and changelogs acknowledged): stores write to disk.

        Stores whose changelog is their source topic take the committed input offsets.
        """
        self.stores.commit(changelog_offsets, self._committed)

    @property
    def has_commit_hooks(self) -> bool:
        """Whether processors fill the processor metadata when the task commits (after its
        caches flushed): the metadata of its offsets is known only then."""
        return bool(self.context.on_commit)

    @property
    def commit_requested(self) -> bool:
        """Whether a processor asked for a commit."""
        return self.context.commit_requested
