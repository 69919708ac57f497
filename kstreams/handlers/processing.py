"""Processing exception handlers (KIP-1033): user code in a processor raised.

Config ``processing.exception.handler``; default :class:`LogAndFailProcessingExceptionHandler`.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from kstreams.handlers.configurable import _ConfigurableHandler
from kstreams.handlers.context import ErrorHandlerContext
from kstreams.handlers.dead_letter import exception_class_name, maybe_build_dead_letter_records
from kstreams.handlers.logged import mark_logged
from kstreams.handlers.responses import ProcessingHandlerResponse, ProcessingResponse, _as_response

__all__ = [
    "LogAndContinueProcessingExceptionHandler",
    "LogAndFailProcessingExceptionHandler",
    "ProcessingExceptionHandler",
]

log = logging.getLogger("kstreams")


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
    if level >= logging.ERROR:
        mark_logged(exception)  # the stream thread that fails next does not log it again


class _LoggingProcessingHandler(ProcessingExceptionHandler):
    """The built-in handlers: log at ``_level``, answer ``_result``, dead-letter if configured."""

    _level: ClassVar[int]
    _result: ClassVar[ProcessingHandlerResponse]

    def handle(
        self, context: ErrorHandlerContext, record: Any, exception: Exception
    ) -> ProcessingHandlerResponse:
        """Log and answer this handler's response."""
        _log_processing(self._level, context, exception)
        return self._result

    def handle_error(
        self, context: ErrorHandlerContext, record: Any, exception: Exception
    ) -> ProcessingResponse:
        """Log, answer, and send the source record's bytes to the DLQ if one is configured."""
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


class LogAndFailProcessingExceptionHandler(_LoggingProcessingHandler):
    """Log the processing error (ERROR) and fail. The default processing handler."""

    _level = logging.ERROR
    _result = ProcessingHandlerResponse.FAIL


class LogAndContinueProcessingExceptionHandler(_LoggingProcessingHandler):
    """Log the processing error (WARNING) and skip the record."""

    _level = logging.WARNING
    _result = ProcessingHandlerResponse.CONTINUE
