"""What an exception handler answers: the response enums and the KIP-1034 response objects.

Each hook answers with an enum (continue or fail, and for production also retry). The
``handle_error`` form answers with a :class:`HandlerResponse`, which carries the enum *and*
the dead letter records to produce; :func:`_as_response` turns the simple form into it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Generic, TypeVar

from kstreams.errors import StreamsError
from kstreams.handlers.context import ProducerRecord

__all__ = [
    "DeserializationHandlerResponse",
    "DeserializationResponse",
    "HandlerResponse",
    "ProcessingHandlerResponse",
    "ProcessingResponse",
    "ProductionExceptionHandlerResponse",
    "ProductionHandlerResponse",
    "ProductionResponse",
    "SerializationExceptionOrigin",
]

E = TypeVar("E", bound=Enum)


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
