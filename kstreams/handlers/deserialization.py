"""Deserialization exception handlers: a source record's bytes could not be deserialized.

Config ``deserialization.exception.handler``; default :class:`LogAndFailExceptionHandler`.
"""

from __future__ import annotations

import logging
from typing import ClassVar

from kstreams.handlers.configurable import _ConfigurableHandler
from kstreams.handlers.context import ErrorHandlerContext
from kstreams.handlers.dead_letter import exception_class_name, maybe_build_dead_letter_records
from kstreams.handlers.logged import mark_logged
from kstreams.handlers.responses import (
    DeserializationHandlerResponse,
    DeserializationResponse,
    _as_response,
)

__all__ = [
    "DeserializationExceptionHandler",
    "LogAndContinueExceptionHandler",
    "LogAndFailExceptionHandler",
]

log = logging.getLogger("kstreams")


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
    if level >= logging.ERROR:
        mark_logged(exception)  # the stream thread that fails next does not log it again


class _LoggingDeserializationHandler(DeserializationExceptionHandler):
    """The built-in handlers: log at ``_level``, answer ``_result``, dead-letter if configured."""

    _level: ClassVar[int]
    _result: ClassVar[DeserializationHandlerResponse]

    def handle(
        self,
        context: ErrorHandlerContext,
        key: bytes | None,
        value: bytes | None,
        exception: Exception,
    ) -> DeserializationHandlerResponse:
        """Log and answer this handler's response."""
        _log_deserialization(self._level, context, exception)
        return self._result

    def handle_error(
        self,
        context: ErrorHandlerContext,
        key: bytes | None,
        value: bytes | None,
        exception: Exception,
    ) -> DeserializationResponse:
        """Log, answer, and send the record to the dead letter queue if one is configured."""
        result = self.handle(context, key, value, exception)
        return DeserializationResponse(
            result,
            tuple(
                maybe_build_dead_letter_records(
                    self.dead_letter_queue_topic, key, value, context, exception
                )
            ),
        )


class LogAndFailExceptionHandler(_LoggingDeserializationHandler):
    """Log the deserialization error (ERROR) and fail. The default handler."""

    _level = logging.ERROR
    _result = DeserializationHandlerResponse.FAIL


class LogAndContinueExceptionHandler(_LoggingDeserializationHandler):
    """Log the deserialization error (WARNING) and skip the record."""

    _level = logging.WARNING
    _result = DeserializationHandlerResponse.CONTINUE
