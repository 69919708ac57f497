"""Production exception handlers: a result record could not be serialized or written to Kafka.

Config ``production.exception.handler``; default :class:`DefaultProductionExceptionHandler`,
which fails.
"""

from __future__ import annotations

from typing import Any, ClassVar

from kstreams.handlers.configurable import _ConfigurableHandler
from kstreams.handlers.context import ErrorHandlerContext, ProducerRecord
from kstreams.handlers.dead_letter import maybe_build_dead_letter_records
from kstreams.handlers.responses import (
    ProductionHandlerResponse,
    ProductionResponse,
    SerializationExceptionOrigin,
    _as_response,
)

__all__ = ["DefaultProductionExceptionHandler", "ProductionExceptionHandler"]


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
        """Fail, with a dead letter record if a DLQ is configured: of the source record's
        bytes, or, when the context has none (a record the broker refused after its source
        record was done with), of the refused record's bytes."""
        key, value = context.source_raw_key, context.source_raw_value
        if key is None and value is None:
            key, value = _bytes_or_none(record.key), _bytes_or_none(record.value)
        return ProductionResponse.fail(
            maybe_build_dead_letter_records(
                self.dead_letter_queue_topic, key, value, context, exception
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
        return ProductionResponse.fail(
            maybe_build_dead_letter_records(
                self.dead_letter_queue_topic,
                context.source_raw_key,
                context.source_raw_value,
                context,
                exception,
            )
        )


def _bytes_or_none(data: Any) -> bytes | None:
    return data if isinstance(data, bytes) else None
