"""Waiting in a service's main thread for SIGTERM or Ctrl-C, the safe way.

The usual ``signal.signal(signal.SIGTERM, lambda *_: stop.set())`` with the main thread in
``stop.wait(...)`` can hang the process for good: Python runs a signal handler in the main
thread between two bytecodes, also inside ``Event.wait`` while it holds the event's
non-reentrant lock, and ``Event.set()`` in the handler then waits for that lock forever
(CPython's ``signal`` documentation warns against locks in handlers; a busy stream thread
holding the GIL widens the window). Here the handler takes no lock: it only records the
signal, and the main thread sleeps in short steps. :func:`wait_for_shutdown_signal` takes the
signals for one wait; :class:`ShutdownSignals` takes them from the moment it is made (a
process that must stop cleanly even on a SIGTERM that comes while it is still starting).
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterable
from types import FrameType, TracebackType
from typing import Any

__all__ = ["ShutdownSignals", "wait_for_shutdown_signal"]

_STEP_S = 0.1


class ShutdownSignals:
    """Takes ``signals`` (SIGTERM and SIGINT) from now on with a handler that only records them.

    :meth:`wait` blocks the main thread until one came; :meth:`restore` (or leaving the
    ``with`` block) puts back the handlers they had before. Make it in the main thread
    (Python runs signal handlers there only). Example::

        signals = ShutdownSignals()  # first of all: a SIGTERM during start-up is kept
        streams.start()
        signals.wait(until=lambda: streams.state is KafkaStreams.State.ERROR)
        streams.close()
    """

    def __init__(self, signals: Iterable[signal.Signals] = (signal.SIGTERM, signal.SIGINT)) -> None:
        if threading.current_thread() is not threading.main_thread():
            raise RuntimeError(
                "wait_for_shutdown_signal() / ShutdownSignals must be used from the main "
                "thread: Python delivers signals to the main thread only. Wait there, or use "
                "your own threading.Event set from the code that decides to stop."
            )
        wanted = [signal.Signals(s) for s in signals]
        if not wanted:
            raise ValueError("wait_for_shutdown_signal() needs at least one signal to wait for")
        self._received: list[signal.Signals] = []
        self._previous: dict[signal.Signals, Any] = {
            s: signal.signal(s, self._record) for s in wanted
        }

    def _record(self, signum: int, frame: FrameType | None) -> None:
        self._received.append(signal.Signals(signum))  # no lock: list.append is one C call

    @property
    def received(self) -> signal.Signals | None:
        """The first of the signals that came, or None."""
        return self._received[0] if self._received else None

    def wait(
        self, timeout: float | None = None, until: Callable[[], bool] | None = None
    ) -> signal.Signals | None:
        """Block until one of the signals came (also before this call); return it.

        None when ``timeout`` seconds passed first, or as soon as ``until()`` (asked every
        0.1 s) returned true.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._received:
            if until is not None and until():
                return None
            if deadline is None:
                time.sleep(_STEP_S)
                continue
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            time.sleep(min(_STEP_S, left))
        return self._received[0]

    def restore(self) -> None:
        """Put back the handlers the signals had before (once; later calls do nothing)."""
        previous, self._previous = self._previous, {}
        for s, handler in previous.items():
            signal.signal(s, handler)

    def __enter__(self) -> ShutdownSignals:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.restore()


def wait_for_shutdown_signal(
    timeout: float | None = None,
    signals: Iterable[signal.Signals] = (signal.SIGTERM, signal.SIGINT),
    until: Callable[[], bool] | None = None,
) -> signal.Signals | None:
    """Block the main thread until one of ``signals`` arrives; return it (None on timeout).

    While it waits, the signals are taken by a handler that only records them; the handlers
    they had before are put back when it returns. Call it from the main thread (Python runs
    signal handlers there only). To keep a signal that comes before the wait (during start-up),
    make a :class:`ShutdownSignals` first and call its ``wait``.

    Args:
        timeout: Seconds to wait at most; None waits until a signal comes.
        signals: The signals that end the wait (SIGTERM and SIGINT).
        until: Also end the wait (returning None) as soon as this returns true, asked every
            0.1 s: e.g. when the client went into ``ERROR``.

    Example::

        with KafkaStreams(builder.build(), config) as streams:
            streams.start()
            wait_for_shutdown_signal(until=lambda: streams.state is KafkaStreams.State.ERROR)
        # leaving the block closes the client: a clean shutdown on SIGTERM or Ctrl-C
    """
    with ShutdownSignals(signals) as taken:
        return taken.wait(timeout, until)
