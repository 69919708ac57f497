"""Waiting in a service's main thread for SIGTERM or Ctrl-C, the safe way.

The usual ``signal.signal(signal.SIGTERM, lambda *_: stop.set())`` with the main thread in
``stop.wait(...)`` can hang the process for good: Python runs a signal handler in the main
thread between two bytecodes, also inside ``Event.wait`` while it holds the event's
non-reentrant lock, and ``Event.set()`` in the handler then waits for that lock forever
(CPython's ``signal`` documentation warns against locks in handlers; a busy stream thread
holding the GIL widens the window). :func:`wait_for_shutdown_signal` takes no lock in its
handler: the handler only records the signal, and the main thread sleeps in short steps.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterable
from types import FrameType

__all__ = ["wait_for_shutdown_signal"]

_STEP_S = 0.1


def wait_for_shutdown_signal(
    timeout: float | None = None,
    signals: Iterable[signal.Signals] = (signal.SIGTERM, signal.SIGINT),
    until: Callable[[], bool] | None = None,
) -> signal.Signals | None:
    """Block the main thread until one of ``signals`` arrives; return it (None on timeout).

    While it waits, the signals are taken by a handler that only records them; the handlers
    they had before are put back when it returns. Call it from the main thread (Python runs
    signal handlers there only).

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
    if threading.current_thread() is not threading.main_thread():
        raise RuntimeError(
            "wait_for_shutdown_signal() must be called from the main thread: Python delivers "
            "signals to the main thread only. Wait there, or use your own threading.Event "
            "set from the code that decides to stop."
        )
    wanted = [signal.Signals(s) for s in signals]
    if not wanted:
        raise ValueError("wait_for_shutdown_signal() needs at least one signal to wait for")
    received: list[signal.Signals] = []

    def record(signum: int, frame: FrameType | None) -> None:
        received.append(signal.Signals(signum))  # no lock: list.append is one C call

    previous = {s: signal.signal(s, record) for s in wanted}
    try:
        deadline = None if timeout is None else time.monotonic() + timeout
        while not received:
            if until is not None and until():
                return None
            if deadline is None:
                time.sleep(_STEP_S)
                continue
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            time.sleep(min(_STEP_S, left))
        return received[0]
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
