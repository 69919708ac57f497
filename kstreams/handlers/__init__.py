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

This package also holds :class:`StreamThreadExceptionResponse`, the answer of a
``StreamsUncaughtExceptionHandler``.

Everything is imported from here (``from kstreams.handlers import ...``); the modules are
``context`` (:class:`ErrorHandlerContext`, :class:`ProducerRecord`), ``dead_letter`` (the
KIP-1034 headers and record builders), ``responses`` (the response enums and objects),
``configurable`` (the handlers' base), ``deserialization`` / ``processing`` / ``production``
(each hook with its built-in handlers) and ``uncaught`` (stream thread failures).
"""

from __future__ import annotations

from kstreams.handlers.context import DeadLetterRecord, ErrorHandlerContext, ProducerRecord
from kstreams.handlers.context import HeaderList as HeaderList
from kstreams.handlers.dead_letter import (
    ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG,
    HEADER_ERRORS_EXCEPTION_MESSAGE_NAME,
    HEADER_ERRORS_EXCEPTION_NAME,
    HEADER_ERRORS_OFFSET_NAME,
    HEADER_ERRORS_PARTITION_NAME,
    HEADER_ERRORS_STACKTRACE_NAME,
    HEADER_ERRORS_TOPIC_NAME,
    HEADER_ERRORS_TRUNCATED_NAME,
    build_dead_letter_record,
    dead_letter_headers,
    exception_class_name,
    maybe_build_dead_letter_records,
)
from kstreams.handlers.deserialization import (
    DeserializationExceptionHandler,
    LogAndContinueExceptionHandler,
    LogAndFailExceptionHandler,
)
from kstreams.handlers.processing import (
    LogAndContinueProcessingExceptionHandler,
    LogAndFailProcessingExceptionHandler,
    ProcessingExceptionHandler,
)
from kstreams.handlers.production import (
    DefaultProductionExceptionHandler,
    ProductionExceptionHandler,
)
from kstreams.handlers.responses import (
    DeserializationHandlerResponse,
    DeserializationResponse,
    HandlerResponse,
    ProcessingHandlerResponse,
    ProcessingResponse,
    ProductionExceptionHandlerResponse,
    ProductionHandlerResponse,
    ProductionResponse,
    SerializationExceptionOrigin,
)
from kstreams.handlers.uncaught import (
    StreamsUncaughtExceptionHandler,
    StreamThreadExceptionResponse,
    default_uncaught_exception_handler,
)

__all__ = [
    "ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG",
    "HEADER_ERRORS_EXCEPTION_MESSAGE_NAME",
    "HEADER_ERRORS_EXCEPTION_NAME",
    "HEADER_ERRORS_OFFSET_NAME",
    "HEADER_ERRORS_PARTITION_NAME",
    "HEADER_ERRORS_STACKTRACE_NAME",
    "HEADER_ERRORS_TOPIC_NAME",
    "HEADER_ERRORS_TRUNCATED_NAME",
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
