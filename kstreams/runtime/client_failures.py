"""What a failed stream thread or global thread leads to: the uncaught-exception handler's answer.

A mixin of :class:`~kstreams.runtime.kafka_streams.KafkaStreams` (Java: the
``handleStreamsUncaughtException`` part of ``KafkaStreams``): the failure is logged once,
the handler decides between ``REPLACE_THREAD`` (a new stream thread once the failed one is
DEAD, never once a shutdown began), ``SHUTDOWN_CLIENT`` and ``SHUTDOWN_APPLICATION`` (this
client shuts down with the error); a failed global thread always shuts the client down.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kstreams.handlers import StreamThreadExceptionResponse
from kstreams.handlers.logged import log_failure_once
from kstreams.runtime.client_state import CONSEQUENCES, State, UncaughtExceptionHandler

if TYPE_CHECKING:
    from kstreams.runtime.global_thread import GlobalStreamThread
    from kstreams.runtime.stream_thread import StreamThread

log = logging.getLogger("kstreams")

__all__ = ["ClientFailures"]


class ClientFailures:
    """The failure half of the client (see the module notes); it uses the client's lock,
    state, threads and shutdown."""

    client_id: str
    _lock: threading.RLock
    _state: State
    _handler: UncaughtExceptionHandler | None
    _replacing: dict[StreamThread, BaseException]
    _threads: list[StreamThread]
    _thread_states: dict[int, str]
    _next_thread_index: int
    _call_back: Callable[..., Any]
    _new_thread: Callable[[int], StreamThread]
    _begin_shutdown: Callable[..., bool]

    def _on_thread_error(self, thread: StreamThread, exc: BaseException) -> None:
        """A stream thread failed (called by it, before it closes): log it, the handler decides.

        This is where a thread's failure is logged, once (see :meth:`_log_thread_failure`).
        SHUTDOWN_CLIENT / SHUTDOWN_APPLICATION move the client to PENDING_ERROR now (ERROR
        once every thread stopped); REPLACE_THREAD starts a new thread when this one is DEAD.
        """
        if self._state.is_shutting_down():
            log_failure_once(
                log,
                f"stream-thread [{thread.client_id}]",
                exc,
                f"the client is {self._state.value} anyway",
            )
            return
        response = StreamThreadExceptionResponse.SHUTDOWN_CLIENT
        handler_error: BaseException | None = None
        if self._handler is not None:
            try:
                response = self._call_back(self._handler, exc)
            except Exception as err:
                handler_error = err
            if not isinstance(response, StreamThreadExceptionResponse):
                handler_error = TypeError(
                    f"it returned {response!r}, not a StreamThreadExceptionResponse"
                )
                response = StreamThreadExceptionResponse.SHUTDOWN_CLIENT
        if handler_error is not None:
            log.error(
                "stream-client [%s] the uncaught exception handler failed (%s): shutting down "
                "the client",
                self.client_id,
                handler_error,
                exc_info=handler_error if isinstance(handler_error, Exception) else None,
            )
        log_failure_once(log, f"stream-thread [{thread.client_id}]", exc, CONSEQUENCES[response])
        if response is StreamThreadExceptionResponse.REPLACE_THREAD:
            self._replacing[thread] = exc  # replaced once it closed its clients and is DEAD
            return
        self._begin_shutdown(error=exc)

    def _on_global_thread_error(self, thread: GlobalStreamThread, exc: BaseException) -> None:
        """The global thread failed: the handler is told, and the client shuts down whatever it
        answers (as Kafka Streams: the global thread cannot be replaced)."""
        if self._state.is_shutting_down():
            log_failure_once(log, f"global-stream-thread [{thread.client_id}]", exc, "stopping")
            return
        if self._handler is not None:
            try:
                response = self._call_back(self._handler, exc)
            except Exception as err:
                log.error(
                    "stream-client [%s] the uncaught exception handler failed (%s)",
                    self.client_id,
                    err,
                )
            else:
                if response is StreamThreadExceptionResponse.REPLACE_THREAD:
                    log.warning(
                        "stream-client [%s] the global thread cannot be replaced: shutting down "
                        "the client instead",
                        self.client_id,
                    )
        log_failure_once(
            log,
            f"global-stream-thread [{thread.client_id}]",
            exc,
            CONSEQUENCES[StreamThreadExceptionResponse.SHUTDOWN_CLIENT],
        )
        self._begin_shutdown(error=exc)

    def _replace_thread(self, thread: StreamThread, exc: BaseException) -> None:
        """Start a replacement of the DEAD ``thread`` unless the client is shutting down.

        Under the lock, so no replacement starts once a shutdown began (the close thread takes
        its list of threads under the lock too). If none can be created, the client shuts
        down with ``exc``.
        """
        with self._lock:
            if self._state.is_shutting_down():
                log.info(
                    "stream-client [%s] not replacing %s: the client is %s",
                    self.client_id,
                    thread.client_id,
                    self._state.value,
                )
                return
            try:
                replacement = self._new_thread(self._next_thread_index)
            except Exception as err:
                log.error(
                    "stream-client [%s] could not create a stream thread to replace %s (%s); "
                    "shutting down the client",
                    self.client_id,
                    thread.client_id,
                    err,
                )
                replacement = None
            else:
                self._next_thread_index += 1
                self._thread_states.pop(thread.index, None)
                self._threads = [t for t in self._threads if t is not thread] + [replacement]
                log.info(
                    "stream-client [%s] %s replaces %s",
                    self.client_id,
                    replacement.client_id,
                    thread.client_id,
                )
                replacement.start()
        if replacement is None:
            self._begin_shutdown(error=exc)
