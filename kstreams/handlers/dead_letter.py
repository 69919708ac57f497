"""Dead letter queue records (KIP-1034): the config key, the headers and the record builders.

When ``errors.dead.letter.queue.topic.name`` is set, the built-in handlers return one dead
letter record per failed record: the original key/value bytes, the original headers and the
``__streams.errors.*`` headers Kafka Streams adds (see :func:`dead_letter_headers`).
"""

from __future__ import annotations

import traceback

from kstreams.handlers.context import ErrorHandlerContext, ProducerRecord

__all__ = [
    "ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG",
    "HEADER_ERRORS_EXCEPTION_MESSAGE_NAME",
    "HEADER_ERRORS_EXCEPTION_NAME",
    "HEADER_ERRORS_OFFSET_NAME",
    "HEADER_ERRORS_PARTITION_NAME",
    "HEADER_ERRORS_STACKTRACE_NAME",
    "HEADER_ERRORS_TOPIC_NAME",
    "HEADER_ERRORS_TRUNCATED_NAME",
    "build_dead_letter_record",
    "dead_letter_headers",
    "exception_class_name",
    "maybe_build_dead_letter_records",
]

ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG = "errors.dead.letter.queue.topic.name"
"""Config key of the dead letter queue topic (Java:
``StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG``). When set, the
built-in handlers return a dead letter record for every failed record."""

HEADER_ERRORS_EXCEPTION_NAME = "__streams.errors.exception"
"""DLQ header: the class name of the exception."""
HEADER_ERRORS_STACKTRACE_NAME = "__streams.errors.stacktrace"
"""DLQ header: the formatted stack trace."""
HEADER_ERRORS_EXCEPTION_MESSAGE_NAME = "__streams.errors.message"
"""DLQ header: the exception message."""
HEADER_ERRORS_TOPIC_NAME = "__streams.errors.topic"
"""DLQ header: the topic of the source record."""
HEADER_ERRORS_PARTITION_NAME = "__streams.errors.partition"
"""DLQ header: the partition of the source record, as decimal text."""
HEADER_ERRORS_OFFSET_NAME = "__streams.errors.offset"
"""DLQ header: the offset of the source record, as decimal text."""
HEADER_ERRORS_TRUNCATED_NAME = "__streams.errors.truncated"
"""DLQ header (kstreams only): present when the dead letter record was too large for its
topic and parts of it were cut to fit; its value says which, with their original sizes,
e.g. ``value 20000->1850`` (UTF-8 text, parts separated by ``; ``)."""


def exception_class_name(exception: BaseException) -> str:
    """The qualified class name of ``exception`` (``module.Class``; builtins unqualified)."""
    cls = type(exception)
    module = cls.__module__
    if module in ("builtins", "__main__"):
        return cls.__qualname__
    return f"{module}.{cls.__qualname__}"


def _utf8(text: str | None) -> bytes | None:
    return None if text is None else text.encode("utf-8")


def dead_letter_headers(
    context: ErrorHandlerContext, exception: BaseException
) -> list[tuple[str, bytes | None]]:
    """The six ``__streams.errors.*`` headers Kafka Streams adds to a dead letter record.

    In this order: exception class name, message, stack trace, source topic,
    partition and offset, all UTF-8 text. The topic header's value is None when
    the context has no topic (Java serializes a null string to null).
    """
    stack = "".join(traceback.format_exception(type(exception), exception, exception.__traceback__))
    return [
        (HEADER_ERRORS_EXCEPTION_NAME, _utf8(exception_class_name(exception))),
        (HEADER_ERRORS_EXCEPTION_MESSAGE_NAME, _utf8(str(exception))),
        (HEADER_ERRORS_STACKTRACE_NAME, _utf8(stack)),
        (HEADER_ERRORS_TOPIC_NAME, _utf8(context.topic)),
        (HEADER_ERRORS_PARTITION_NAME, _utf8(str(context.partition))),
        (HEADER_ERRORS_OFFSET_NAME, _utf8(str(context.offset))),
    ]


def build_dead_letter_record(
    dead_letter_queue_topic: str,
    key: bytes | None,
    value: bytes | None,
    context: ErrorHandlerContext,
    exception: BaseException,
) -> ProducerRecord[bytes, bytes]:
    """Build the dead letter record Kafka Streams would send for a failed record.

    The record carries the original key and value bytes, the source record's
    headers followed by :func:`dead_letter_headers`, and the context's timestamp
    (None when the context has none, so the producer stamps it). The partition is
    left to the partitioner.

    Raises:
        ValueError: ``dead_letter_queue_topic`` is empty.
    """
    if not dead_letter_queue_topic:
        raise ValueError(
            f"{ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG} cannot be empty while building "
            "a dead letter queue record"
        )
    headers: list[tuple[str, bytes | None]] = list(context.headers or ())
    headers.extend(dead_letter_headers(context, exception))
    timestamp = context.timestamp if context.timestamp >= 0 else None
    return ProducerRecord(
        topic=dead_letter_queue_topic,
        key=key,
        value=value,
        headers=tuple(headers),
        timestamp=timestamp,
    )


def maybe_build_dead_letter_records(
    dead_letter_queue_topic: str | None,
    key: bytes | None,
    value: bytes | None,
    context: ErrorHandlerContext,
    exception: BaseException,
) -> list[ProducerRecord[bytes, bytes]]:
    """One dead letter record if a DLQ topic is configured, else an empty list."""
    if not dead_letter_queue_topic:
        return []
    return [build_dead_letter_record(dead_letter_queue_topic, key, value, context, exception)]
