"""What an exception handler is told: where the failed record came from, and records to produce.

:class:`ErrorHandlerContext` describes the source record (Java: ``ErrorHandlerContext``);
:class:`ProducerRecord` is a record to produce, used both for the record a production handler
is told about and, with bytes, for dead letter records.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

__all__ = ["DeadLetterRecord", "ErrorHandlerContext", "HeaderList", "ProducerRecord"]

K = TypeVar("K")
V = TypeVar("V")

HeaderList = Sequence[tuple[str, bytes | None]]
"""Record headers as confluent-kafka gives them: (name, value) pairs."""


@dataclass(frozen=True)
class ErrorHandlerContext:
    """Where the failed record came from (Java: ``ErrorHandlerContext``).

    Fields a handler cannot know take Java's "not available" values: ``None``
    for the topic, ``-1`` for partition, offset and timestamp.

    Attributes:
        topic: Topic of the source record, or None (e.g. in a punctuation).
        partition: Partition of the source record, or -1.
        offset: Offset of the source record, or -1.
        headers: Headers of the source record, or None.
        processor_node_id: Name of the processor node that was running, if any.
        task_id: The task (a ``TaskId`` or its ``"<subtopology>_<partition>"`` text).
        timestamp: Timestamp of the record being processed (ms), or -1.
        source_raw_key: The undeserialized key of the source record, if known.
        source_raw_value: The undeserialized value of the source record, if known.
    """

    topic: str | None = None
    partition: int = -1
    offset: int = -1
    headers: HeaderList | None = None
    processor_node_id: str | None = None
    task_id: Any = None
    timestamp: int = -1
    source_raw_key: bytes | None = None
    source_raw_value: bytes | None = None


@dataclass(frozen=True)
class ProducerRecord(Generic[K, V]):
    """A record to produce (Java: ``ProducerRecord``).

    Used for the record a :class:`ProductionExceptionHandler` is told about and,
    with ``bytes`` key and value, for dead letter records.

    Attributes:
        topic: Destination topic.
        key: Key (bytes once serialized).
        value: Value (bytes once serialized).
        headers: Headers as (name, value) pairs.
        timestamp: Timestamp in ms, or None to let the producer stamp it.
        partition: Partition, or None to let the partitioner choose.
    """

    topic: str
    key: K | None
    value: V | None
    headers: tuple[tuple[str, bytes | None], ...] = ()
    timestamp: int | None = None
    partition: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.headers, tuple):
            object.__setattr__(self, "headers", tuple(self.headers or ()))


DeadLetterRecord = ProducerRecord
"""A dead letter record: a :class:`ProducerRecord` of bytes."""
