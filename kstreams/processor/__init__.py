"""The Processor API: ``Processor``, ``ProcessorContext``, ``Record``, punctuation, timestamp extractors."""

from kstreams.processor.api import FixedKeyProcessor, Processor, ProcessorSupplier
from kstreams.processor.context import ProcessorContext, RecordMetadata
from kstreams.processor.punctuation import Cancellable, PunctuationType
from kstreams.processor.record import Record
from kstreams.processor.task_id import TaskId
from kstreams.processor.timestamps import (
    ConsumedRecord,
    FailOnInvalidTimestamp,
    LogAndSkipOnInvalidTimestamp,
    TimestampExtractor,
    UsePartitionTimeOnInvalidTimestamp,
    WallclockTimestampExtractor,
)

__all__ = [
    "Cancellable",
    "ConsumedRecord",
    "FailOnInvalidTimestamp",
    "FixedKeyProcessor",
    "LogAndSkipOnInvalidTimestamp",
    "Processor",
    "ProcessorContext",
    "ProcessorSupplier",
    "PunctuationType",
    "Record",
    "RecordMetadata",
    "TaskId",
    "TimestampExtractor",
    "UsePartitionTimeOnInvalidTimestamp",
    "WallclockTimestampExtractor",
]
