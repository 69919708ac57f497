"""Timestamp extractors: which time a record carries into the topology (Java: ``TimestampExtractor``).

An extractor is an object with ``extract(record, partition_time) -> int``
(milliseconds) or a plain function of the same shape. ``record`` is a
:class:`ConsumedRecord`; ``partition_time`` is the largest timestamp seen so
far on that partition (-1 before any).

Example -- event time from the value::

    def order_time(record, partition_time):
        return record.value["created_ms"]

    builder.stream("orders", timestamp_extractor=order_time)
"""

from __future__ import annotations

import logging
import time
from typing import Any, NamedTuple

from kstreams.errors import StreamsError
from kstreams.serde.base import Headers

log = logging.getLogger("kstreams")


class ConsumedRecord(NamedTuple):
    """A deserialized record as read from Kafka, before it enters the topology."""

    topic: str
    partition: int
    offset: int
    timestamp: int
    key: Any
    value: Any
    headers: Headers


class TimestampExtractor:
    """Base class of extractors; subclasses override :meth:`extract`."""

    def extract(self, record: ConsumedRecord, partition_time: int) -> int:  # pragma: no cover
        """The timestamp to give ``record``; a negative result is invalid."""
        raise NotImplementedError

    def __call__(self, record: ConsumedRecord, partition_time: int) -> int:
        return self.extract(record, partition_time)


class FailOnInvalidTimestamp(TimestampExtractor):
    """The record's own timestamp; a negative one stops processing with an error (the default)."""

    def extract(self, record: ConsumedRecord, partition_time: int) -> int:
        if record.timestamp < 0:
            raise StreamsError(
                f"Input record {record.topic}-{record.partition}@{record.offset} has invalid "
                f"(negative) timestamp {record.timestamp}. Use a different timestamp extractor "
                "(e.g. LogAndSkipOnInvalidTimestamp) to process such records."
            )
        return record.timestamp


class LogAndSkipOnInvalidTimestamp(TimestampExtractor):
    """The record's own timestamp; records with a negative one are logged and skipped."""

    def extract(self, record: ConsumedRecord, partition_time: int) -> int:
        if record.timestamp < 0:
            log.warning(
                "Input record %s-%s@%s will be dropped because it has an invalid (negative) "
                "timestamp %s.",
                record.topic,
                record.partition,
                record.offset,
                record.timestamp,
            )
        return record.timestamp


class UsePartitionTimeOnInvalidTimestamp(TimestampExtractor):
    """The record's own timestamp; a negative one is replaced by the partition's time."""

    def extract(self, record: ConsumedRecord, partition_time: int) -> int:
        if record.timestamp >= 0:
            return record.timestamp
        if partition_time < 0:
            raise StreamsError(
                f"Could not infer a new timestamp for input record {record.topic}-"
                f"{record.partition}@{record.offset}: the partition has no time yet"
            )
        return partition_time


class WallclockTimestampExtractor(TimestampExtractor):
    """Processing time: the current wall-clock time, whatever the record says."""

    def extract(self, record: ConsumedRecord, partition_time: int) -> int:
        return int(time.time() * 1000)
