"""The lifecycle of a ``KafkaStreams`` client: its states and the transitions between them.

As Kafka Streams' ``KafkaStreams.State``: CREATED → REBALANCING ⇄ RUNNING → PENDING_SHUTDOWN →
NOT_RUNNING, and on a stream thread's failure that shuts the client down, PENDING_ERROR → ERROR.
"""

from __future__ import annotations

import enum
from collections.abc import Callable

from kstreams.handlers import StreamThreadExceptionResponse

__all__ = ["CONSEQUENCES", "TRANSITIONS", "State", "StateListener", "UncaughtExceptionHandler"]


class State(enum.Enum):
    """The lifecycle of a ``KafkaStreams`` client, as in Kafka Streams."""

    CREATED = "CREATED"
    REBALANCING = "REBALANCING"
    RUNNING = "RUNNING"
    PENDING_SHUTDOWN = "PENDING_SHUTDOWN"
    NOT_RUNNING = "NOT_RUNNING"
    PENDING_ERROR = "PENDING_ERROR"
    ERROR = "ERROR"

    def is_running_or_rebalancing(self) -> bool:
        """Whether the client is processing (or about to)."""
        return self in (State.RUNNING, State.REBALANCING)

    def is_shutting_down(self) -> bool:
        """Whether the client is stopping or stopped."""
        return self in (State.PENDING_SHUTDOWN, State.NOT_RUNNING, State.PENDING_ERROR, State.ERROR)

    def has_completed_shutdown(self) -> bool:
        """Whether the client stopped (NOT_RUNNING or ERROR)."""
        return self in (State.NOT_RUNNING, State.ERROR)


TRANSITIONS = {
    State.CREATED: {State.REBALANCING, State.PENDING_SHUTDOWN, State.PENDING_ERROR},
    State.REBALANCING: {
        State.RUNNING,
        State.PENDING_SHUTDOWN,
        State.PENDING_ERROR,
        State.REBALANCING,
    },
    State.RUNNING: {State.REBALANCING, State.PENDING_SHUTDOWN, State.PENDING_ERROR},
    State.PENDING_SHUTDOWN: {State.NOT_RUNNING},
    State.NOT_RUNNING: set(),
    State.PENDING_ERROR: {State.ERROR},
    State.ERROR: set(),
}
"""The states each state may move to (Kafka Streams' ``State.isValidTransition``)."""

StateListener = Callable[[State, State], None]
"""``listener(new_state, old_state)``."""

UncaughtExceptionHandler = Callable[[BaseException], StreamThreadExceptionResponse]
"""``handler(exception) -> StreamThreadExceptionResponse``."""

CONSEQUENCES = {
    StreamThreadExceptionResponse.REPLACE_THREAD: (
        "the uncaught exception handler chose REPLACE_THREAD: a new stream thread replaces it"
    ),
    StreamThreadExceptionResponse.SHUTDOWN_CLIENT: (
        "the uncaught exception handler chose SHUTDOWN_CLIENT: the client shuts down"
    ),
    StreamThreadExceptionResponse.SHUTDOWN_APPLICATION: (
        "the uncaught exception handler chose SHUTDOWN_APPLICATION: this client shuts down "
        "(other instances are not signalled, a difference from Kafka Streams)"
    ),
}
"""What each uncaught-exception handler response does, as the failure's log line says it."""
