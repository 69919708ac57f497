"""Uncaught exceptions: what to do when an exception kills a stream thread.

A ``StreamsUncaughtExceptionHandler`` answers with a :class:`StreamThreadExceptionResponse`.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum

__all__ = [
    "StreamThreadExceptionResponse",
    "StreamsUncaughtExceptionHandler",
    "default_uncaught_exception_handler",
]


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
