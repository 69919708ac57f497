"""Exception handlers, as Kafka Streams has them (``org.apache.kafka.streams.errors``).

Three hooks decide what happens when one record goes wrong:

* :class:`DeserializationExceptionHandler` -- the bytes read from a source topic
  could not be deserialized (config ``deserialization.exception.handler``;
  default :class:`LogAndFailExceptionHandler`).
* :class:`ProcessingExceptionHandler` -- user code in a processor raised
  (config ``processing.exception.handler``; default
  :class:`LogAndFailProcessingExceptionHandler`).
* :class:`ProductionExceptionHandler` -- a result could not be serialized or
  written to Kafka (config ``production.exception.handler``; default
  :class:`DefaultProductionExceptionHandler`, which fails).

Each handler answers with a response enum (continue or fail, and for production
also retry). KIP-1034 (Kafka Streams 4.x) lets a handler also return *dead letter
queue records*: the runtime calls :meth:`DeserializationExceptionHandler.handle_error`
(and its siblings), which returns a response object carrying the enum *and* the
records to produce. The built-in handlers fill that list when the config
``errors.dead.letter.queue.topic.name`` is set, with the original key/value bytes,
the original headers and the ``__streams.errors.*`` headers Kafka Streams uses
(see :func:`dead_letter_headers`).

Writing your own handler -- override ``handle`` (the simple form)::

    class SkipPoisonPills(DeserializationExceptionHandler):
        def handle(self, context, key, value, exception):
            return DeserializationHandlerResponse.CONTINUE

or ``handle_error`` to send records to a dead letter queue yourself::

    class ToMyDlq(DeserializationExceptionHandler):
        def handle_error(self, context, key, value, exception):
            record = build_dead_letter_record("my-dlq", key, value, context, exception)
            return DeserializationResponse.resume([record])

This module also holds :class:`StreamThreadExceptionResponse`, the answer of a
``StreamsUncaughtExceptionHandler``.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, ClassVar, Generic, TypeVar

from kstreams.errors import StreamsError

__all__ = [
    "ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG",
    "HEADER_ERRORS_EXCEPTION_MESSAGE_NAME",
    "HEADER_ERRORS_EXCEPTION_NAME",
    "HEADER_ERRORS_OFFSET_NAME",
    "HEADER_ERRORS_PARTITION_NAME",
    "HEADER_ERRORS_STACKTRACE_NAME",
    "HEADER_ERRORS_TOPIC_NAME",
    "DeadLetterRecord",
    "DefaultProductionExceptionHandler",
    "DeserializationExceptionHandler",
    "DeserializationHandlerResponse",
    "DeserializationResponse",
    "ErrorHandlerContext",
    "HandlerResponse",
    "LogAndContinueExceptionHandler",
    "LogAndContinueProcessingExceptionHandler",
    "LogAndFailExceptionHandler",
    "LogAndFailProcessingExceptionHandler",
    "ProcessingExceptionHandler",
    "ProcessingHandlerResponse",
    "ProcessingResponse",
    "ProducerRecord",
    "ProductionExceptionHandler",
    "ProductionExceptionHandlerResponse",
    "ProductionHandlerResponse",
    "ProductionResponse",
    "SerializationExceptionOrigin",
    "StreamThreadExceptionResponse",
    "StreamsUncaughtExceptionHandler",
    "build_dead_letter_record",
    "dead_letter_headers",
    "default_uncaught_exception_handler",
    "exception_class_name",
    "maybe_build_dead_letter_records",
]

log = logging.getLogger("kstreams")

K = TypeVar("K")
V = TypeVar("V")
E = TypeVar("E", bound=Enum)

HeaderList = Sequence[tuple[str, bytes | None]]
"""Record headers as confluent-kafka gives them: (name, value) pairs."""

# --------------------------------------------------------------------------- #
# Dead letter queue (KIP-1034)
# --------------------------------------------------------------------------- #

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


# --------------------------------------------------------------------------- #
# Responses
# --------------------------------------------------------------------------- #


class DeserializationHandlerResponse(Enum):
    """What to do after a deserialization error (Java ids as values)."""

    CONTINUE = 0
    """Drop the record and go on with the next one."""
    FAIL = 1
    """Stop processing: the stream thread fails."""


class ProcessingHandlerResponse(Enum):
    """What to do after user code in a processor raised (Java ids as values)."""

    CONTINUE = 0
    """Drop the record and go on with the next one."""
    FAIL = 1
    """Stop processing: the stream thread fails."""


class ProductionHandlerResponse(Enum):
    """What to do after a record could not be serialized or produced (Java ids as values)."""

    CONTINUE = 0
    """Go on; the output record is lost. Use only if you can tolerate data loss."""
    FAIL = 1
    """Stop processing: the stream thread fails and nothing more is committed."""
    RETRY = 2
    """Retry the failed operation. Only valid for retriable errors; otherwise
    treated as :attr:`FAIL`. Retrying may restart from the last committed offset."""


ProductionExceptionHandlerResponse = ProductionHandlerResponse
"""Java's name for :class:`ProductionHandlerResponse`."""


class SerializationExceptionOrigin(Enum):
    """Whether serializing the key or the value failed."""

    KEY = "KEY"
    VALUE = "VALUE"


@dataclass(frozen=True)
class HandlerResponse(Generic[E]):
    """A handler's answer plus the dead letter records to produce (KIP-1034 ``Response``).

    Attributes:
        result: The response enum (continue, fail, retry).
        dead_letter_queue_records: Records the runtime produces before acting on
            ``result``; empty when there is nothing to send.
    """

    result: E
    dead_letter_queue_records: tuple[ProducerRecord[bytes, bytes], ...] = field(default=())

    def __post_init__(self) -> None:
        if not isinstance(self.dead_letter_queue_records, tuple):
            object.__setattr__(
                self, "dead_letter_queue_records", tuple(self.dead_letter_queue_records or ())
            )


def _records(records: Iterable[ProducerRecord[bytes, bytes]] | None) -> tuple[Any, ...]:
    return tuple(records or ())


@dataclass(frozen=True)
class DeserializationResponse(HandlerResponse[DeserializationHandlerResponse]):
    """Response of :meth:`DeserializationExceptionHandler.handle_error`."""

    @classmethod
    def resume(
        cls, dead_letter_queue_records: Iterable[ProducerRecord[bytes, bytes]] | None = None
    ) -> DeserializationResponse:
        """Continue processing, after producing ``dead_letter_queue_records``."""
        return cls(DeserializationHandlerResponse.CONTINUE, _records(dead_letter_queue_records))

    @classmethod
    def fail(
        cls, dead_letter_queue_records: Iterable[ProducerRecord[bytes, bytes]] | None = None
    ) -> DeserializationResponse:
        """Fail processing, after producing ``dead_letter_queue_records``."""
        return cls(DeserializationHandlerResponse.FAIL, _records(dead_letter_queue_records))


@dataclass(frozen=True)
class ProcessingResponse(HandlerResponse[ProcessingHandlerResponse]):
    """Response of :meth:`ProcessingExceptionHandler.handle_error`."""

    @classmethod
    def resume(
        cls, dead_letter_queue_records: Iterable[ProducerRecord[bytes, bytes]] | None = None
    ) -> ProcessingResponse:
        """Continue processing, after producing ``dead_letter_queue_records``."""
        return cls(ProcessingHandlerResponse.CONTINUE, _records(dead_letter_queue_records))

    @classmethod
    def fail(
        cls, dead_letter_queue_records: Iterable[ProducerRecord[bytes, bytes]] | None = None
    ) -> ProcessingResponse:
        """Fail processing, after producing ``dead_letter_queue_records``."""
        return cls(ProcessingHandlerResponse.FAIL, _records(dead_letter_queue_records))


@dataclass(frozen=True)
class ProductionResponse(HandlerResponse[ProductionHandlerResponse]):
    """Response of :meth:`ProductionExceptionHandler.handle_error` and
    :meth:`ProductionExceptionHandler.handle_serialization_error`."""

    @classmethod
    def resume(
        cls, dead_letter_queue_records: Iterable[ProducerRecord[bytes, bytes]] | None = None
    ) -> ProductionResponse:
        """Continue processing, after producing ``dead_letter_queue_records``."""
        return cls(ProductionHandlerResponse.CONTINUE, _records(dead_letter_queue_records))

    @classmethod
    def fail(
        cls, dead_letter_queue_records: Iterable[ProducerRecord[bytes, bytes]] | None = None
    ) -> ProductionResponse:
        """Fail processing, after producing ``dead_letter_queue_records``."""
        return cls(ProductionHandlerResponse.FAIL, _records(dead_letter_queue_records))

    @classmethod
    def retry(cls) -> ProductionResponse:
        """Retry the failed operation (no dead letter records)."""
        return cls(ProductionHandlerResponse.RETRY, ())


R = TypeVar("R", bound=HandlerResponse[Any])


def _as_response(
    returned: Any, response_cls: type[R], enum_cls: type[Enum], what: str, handler: object
) -> R:
    if isinstance(returned, response_cls):
        return returned
    if isinstance(returned, enum_cls):
        return response_cls(returned)  # type: ignore[arg-type]
    raise StreamsError(
        f"Fatal user code error in {what} error callback: {type(handler).__name__} returned "
        f"{returned!r}, expected a {enum_cls.__name__} or a {response_cls.__name__}"
    )


# --------------------------------------------------------------------------- #
# Handlers
# --------------------------------------------------------------------------- #


class _ConfigurableHandler:
    """Base of all handlers: ``configure`` receives the streams config (Java: ``Configurable``)."""

    dead_letter_queue_topic: str | None = None
    """The ``errors.dead.letter.queue.topic.name`` seen by :meth:`configure`, or None."""

    def configure(self, configs: Mapping[str, Any]) -> None:
        """Receive the application's configuration (the user-given keys and values).

        The base implementation remembers ``errors.dead.letter.queue.topic.name``.
        Subclasses overriding it should call ``super().configure(configs)``.
        """
        topic = configs.get(ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG)
        self.dead_letter_queue_topic = topic or None


class DeserializationExceptionHandler(_ConfigurableHandler):
    """Decides what to do when a source record cannot be deserialized.

    Override :meth:`handle` (returns a :class:`DeserializationHandlerResponse`) or
    :meth:`handle_error` (returns a :class:`DeserializationResponse`, which can
    carry dead letter records). The runtime calls :meth:`handle_error`.
    """

    Response: ClassVar[type[DeserializationResponse]] = DeserializationResponse

    def handle(
        self,
        context: ErrorHandlerContext,
        key: bytes | None,
        value: bytes | None,
        exception: Exception,
    ) -> DeserializationHandlerResponse:
        """Inspect the record that failed (raw ``key``/``value`` bytes) and decide."""
        raise NotImplementedError(f"{type(self).__name__} must override handle() or handle_error()")

    def handle_error(
        self,
        context: ErrorHandlerContext,
        key: bytes | None,
        value: bytes | None,
        exception: Exception,
    ) -> DeserializationResponse:
        """Decide, and list dead letter records to produce. Defaults to :meth:`handle`.

        Raises:
            StreamsError: :meth:`handle` returned something that is not a response.
        """
        return _as_response(
            self.handle(context, key, value, exception),
            DeserializationResponse,
            DeserializationHandlerResponse,
            "deserialization",
            self,
        )


def _log_deserialization(level: int, context: ErrorHandlerContext, exception: Exception) -> None:
    log.log(
        level,
        "Exception caught during Deserialization, taskId: %s, topic: %s, partition: %s, "
        "offset: %s: %s: %s",
        context.task_id,
        context.topic,
        context.partition,
        context.offset,
        exception_class_name(exception),
        exception,
        exc_info=(type(exception), exception, exception.__traceback__),
    )


class LogAndFailExceptionHandler(DeserializationExceptionHandler):
    """Log the deserialization error (ERROR) and fail. The default handler."""

    def handle(
        self,
        context: ErrorHandlerContext,
        key: bytes | None,
        value: bytes | None,
        exception: Exception,
    ) -> DeserializationHandlerResponse:
        """Log at ERROR and answer FAIL."""
        _log_deserialization(logging.ERROR, context, exception)
        return DeserializationHandlerResponse.FAIL

    def handle_error(
        self,
        context: ErrorHandlerContext,
        key: bytes | None,
        value: bytes | None,
        exception: Exception,
    ) -> DeserializationResponse:
        """Log, fail, and send the record to the dead letter queue if one is configured."""
        result = self.handle(context, key, value, exception)
        return DeserializationResponse(
            result,
            tuple(
                maybe_build_dead_letter_records(
                    self.dead_letter_queue_topic, key, value, context, exception
                )
            ),
        )


class LogAndContinueExceptionHandler(DeserializationExceptionHandler):
    """Log the deserialization error (WARNING) and skip the record."""

    def handle(
        self,
        context: ErrorHandlerContext,
        key: bytes | None,
        value: bytes | None,
        exception: Exception,
    ) -> DeserializationHandlerResponse:
        """Log at WARNING and answer CONTINUE."""
        _log_deserialization(logging.WARNING, context, exception)
        return DeserializationHandlerResponse.CONTINUE

    def handle_error(
        self,
        context: ErrorHandlerContext,
        key: bytes | None,
        value: bytes | None,
        exception: Exception,
    ) -> DeserializationResponse:
        """Log, continue, and send the record to the dead letter queue if one is configured."""
        result = self.handle(context, key, value, exception)
        return DeserializationResponse(
            result,
            tuple(
                maybe_build_dead_letter_records(
                    self.dead_letter_queue_topic, key, value, context, exception
                )
            ),
        )


class ProcessingExceptionHandler(_ConfigurableHandler):
    """Decides what to do when user code in a processor raises (KIP-1033).

    ``record`` is the record being processed (deserialized). The raw source bytes,
    when known, are in ``context.source_raw_key`` / ``context.source_raw_value``.
    The runtime calls :meth:`handle_error`.
    """

    Response: ClassVar[type[ProcessingResponse]] = ProcessingResponse

    def handle(
        self, context: ErrorHandlerContext, record: Any, exception: Exception
    ) -> ProcessingHandlerResponse:
        """Inspect the record whose processing failed and decide."""
        raise NotImplementedError(f"{type(self).__name__} must override handle() or handle_error()")

    def handle_error(
        self, context: ErrorHandlerContext, record: Any, exception: Exception
    ) -> ProcessingResponse:
        """Decide, and list dead letter records to produce. Defaults to :meth:`handle`.

        Raises:
            StreamsError: :meth:`handle` returned something that is not a response.
        """
        return _as_response(
            self.handle(context, record, exception),
            ProcessingResponse,
            ProcessingHandlerResponse,
            "processing",
            self,
        )


def _log_processing(level: int, context: ErrorHandlerContext, exception: Exception) -> None:
    log.log(
        level,
        "Exception caught during message processing, processor node: %s, taskId: %s, "
        "source topic: %s, source partition: %s, source offset: %s: %s: %s",
        context.processor_node_id,
        context.task_id,
        context.topic,
        context.partition,
        context.offset,
        exception_class_name(exception),
        exception,
        exc_info=(type(exception), exception, exception.__traceback__),
    )


class LogAndFailProcessingExceptionHandler(ProcessingExceptionHandler):
    """Log the processing error (ERROR) and fail. The default processing handler."""

    def handle(
        self, context: ErrorHandlerContext, record: Any, exception: Exception
    ) -> ProcessingHandlerResponse:
        """Log at ERROR and answer FAIL."""
        _log_processing(logging.ERROR, context, exception)
        return ProcessingHandlerResponse.FAIL

    def handle_error(
        self, context: ErrorHandlerContext, record: Any, exception: Exception
    ) -> ProcessingResponse:
        """Log, fail, and send the source record's bytes to the DLQ if one is configured."""
        result = self.handle(context, record, exception)
        return ProcessingResponse(
            result,
            tuple(
                maybe_build_dead_letter_records(
                    self.dead_letter_queue_topic,
                    context.source_raw_key,
                    context.source_raw_value,
                    context,
                    exception,
                )
            ),
        )


class LogAndContinueProcessingExceptionHandler(ProcessingExceptionHandler):
    """Log the processing error (WARNING) and skip the record."""

    def handle(
        self, context: ErrorHandlerContext, record: Any, exception: Exception
    ) -> ProcessingHandlerResponse:
        """Log at WARNING and answer CONTINUE."""
        _log_processing(logging.WARNING, context, exception)
        return ProcessingHandlerResponse.CONTINUE

    def handle_error(
        self, context: ErrorHandlerContext, record: Any, exception: Exception
    ) -> ProcessingResponse:
        """Log, continue, and send the source record's bytes to the DLQ if one is configured."""
        result = self.handle(context, record, exception)
        return ProcessingResponse(
            result,
            tuple(
                maybe_build_dead_letter_records(
                    self.dead_letter_queue_topic,
                    context.source_raw_key,
                    context.source_raw_value,
                    context,
                    exception,
                )
            ),
        )


class ProductionExceptionHandler(_ConfigurableHandler):
    """Decides what to do when a result record cannot be serialized or produced.

    :meth:`handle` is told about a serialized record (bytes) Kafka refused;
    :meth:`handle_serialization_exception` about a record whose key or value could
    not be serialized (default: FAIL). The runtime calls :meth:`handle_error` and
    :meth:`handle_serialization_error`.
    """

    Response: ClassVar[type[ProductionResponse]] = ProductionResponse

    def handle(
        self,
        context: ErrorHandlerContext,
        record: ProducerRecord[bytes, bytes],
        exception: Exception,
    ) -> ProductionHandlerResponse:
        """Inspect the record that could not be produced and decide."""
        raise NotImplementedError(f"{type(self).__name__} must override handle() or handle_error()")

    def handle_serialization_exception(
        self,
        context: ErrorHandlerContext,
        record: ProducerRecord[Any, Any],
        exception: Exception,
        origin: SerializationExceptionOrigin,
    ) -> ProductionHandlerResponse:
        """Inspect a record whose key or value (``origin``) failed to serialize; FAIL by default."""
        return ProductionHandlerResponse.FAIL

    def handle_error(
        self,
        context: ErrorHandlerContext,
        record: ProducerRecord[bytes, bytes],
        exception: Exception,
    ) -> ProductionResponse:
        """Decide about a produce error, with dead letter records. Defaults to :meth:`handle`.

        Raises:
            StreamsError: :meth:`handle` returned something that is not a response.
        """
        return _as_response(
            self.handle(context, record, exception),
            ProductionResponse,
            ProductionHandlerResponse,
            "production",
            self,
        )

    def handle_serialization_error(
        self,
        context: ErrorHandlerContext,
        record: ProducerRecord[Any, Any],
        exception: Exception,
        origin: SerializationExceptionOrigin,
    ) -> ProductionResponse:
        """Decide about a serialization error, with dead letter records.

        Defaults to :meth:`handle_serialization_exception`.

        Raises:
            StreamsError: the handler returned something that is not a response.
        """
        return _as_response(
            self.handle_serialization_exception(context, record, exception, origin),
            ProductionResponse,
            ProductionHandlerResponse,
            "production serialization",
            self,
        )


class DefaultProductionExceptionHandler(ProductionExceptionHandler):
    """Always fail. If a DLQ topic is configured, the source record's bytes go there first."""

    def handle(
        self,
        context: ErrorHandlerContext,
        record: ProducerRecord[bytes, bytes],
        exception: Exception,
    ) -> ProductionHandlerResponse:
        """Answer FAIL."""
        return ProductionHandlerResponse.FAIL

    def handle_error(
        self,
        context: ErrorHandlerContext,
        record: ProducerRecord[bytes, bytes],
        exception: Exception,
    ) -> ProductionResponse:
        """Fail, with a dead letter record of the source record if a DLQ is configured."""
        return ProductionResponse.fail(
            maybe_build_dead_letter_records(
                self.dead_letter_queue_topic,
                context.source_raw_key,
                context.source_raw_value,
                context,
                exception,
            )
        )

    def handle_serialization_error(
        self,
        context: ErrorHandlerContext,
        record: ProducerRecord[Any, Any],
        exception: Exception,
        origin: SerializationExceptionOrigin,
    ) -> ProductionResponse:
        """Fail, with a dead letter record of the source record if a DLQ is configured."""
        return self.handle_error(context, record, exception)


# --------------------------------------------------------------------------- #
# Uncaught exceptions
# --------------------------------------------------------------------------- #


class StreamThreadExceptionResponse(Enum):
    """Answer of a ``StreamsUncaughtExceptionHandler`` (Java ids as values)."""

    REPLACE_THREAD = 0
    """Replace the failed stream thread with a new one."""
    SHUTDOWN_CLIENT = 1
    """Shut down this KafkaStreams instance (the default)."""
    SHUTDOWN_APPLICATION = 2
    """Shut down every instance of the application (all clients in the group)."""


StreamsUncaughtExceptionHandler = Callable[[BaseException], StreamThreadExceptionResponse]
"""A function told about an exception that killed a stream thread; answers what to do."""


def default_uncaught_exception_handler(exception: BaseException) -> StreamThreadExceptionResponse:
    """What Kafka Streams does when no handler is set: shut down the client."""
    return StreamThreadExceptionResponse.SHUTDOWN_CLIENT
