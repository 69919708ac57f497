"""How a test app subprocess is stopped, and how a stop that hangs reports where it hangs.

Both sides of one protocol (the apps import this module as ``app_signals`` with
``tests/integration`` on their path, first of all):

* the app's side: :func:`stop_event` -- SIGTERM / SIGINT are taken by kstreams' own
  :class:`kstreams.signals.ShutdownSignals` (what :func:`kstreams.wait_for_shutdown_signal`
  uses: a handler that only records the signal, so a signal landing while the main thread
  holds a lock cannot hang it, and one that comes during start-up is kept), and SIGUSR1
  (:data:`STACKS_SIGNAL`) prints every thread's stack; :func:`close_and_report` closes the
  client and prints ``CLOSED <True|False> <state>`` (and every thread's stack when the close
  timed out);
* the harness's side: :func:`stacks_then_kill` asks a process that did not exit in time for
  its threads' stacks, then SIGKILLs it; :func:`overrun_report` puts them, with the tail of
  the log before them, into a failure message (CI keeps no logs: a failure carries its own
  evidence).

Why not ``signal.signal(SIGTERM, lambda *_: stop.set())``: a Python signal handler runs in
the main thread between two bytecodes, also inside ``stop.wait(0.2)`` while that holds the
event's (non-reentrant) lock, and ``Event.set()`` there waits for that lock forever: the
process hangs before it even calls ``close()`` (see :mod:`kstreams.signals`).
"""

from __future__ import annotations

import faulthandler
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
STACKS_SIGNAL = signal.SIGUSR1
"""Sent by the harness to an app that did not exit in time: it prints every thread's stack."""

CLOSE_TIMEOUT_S = 30.0
"""How long an app's ``close()`` may take after SIGTERM."""

EXIT_GRACE_S = 15.0
"""How much longer than :data:`CLOSE_TIMEOUT_S` the harness waits for the process to exit (a
close that timed out still exits, printing ``CLOSED False`` and its threads' stacks)."""

STACKS_HEADER = "most recent call first"
"""What every thread's entry of a faulthandler dump says."""


# --------------------------------------------------------------------------- #
# The app's side
# --------------------------------------------------------------------------- #


class AppStop:
    """When an app stops: SIGTERM / SIGINT came, or the app itself asked (:meth:`set`).

    The main thread waits with :meth:`wait`; :meth:`set` may be called from any other thread
    (a state listener that saw ``ERROR``): it sets a plain flag, never from a signal handler.
    """

    def __init__(self) -> None:
        from kstreams.signals import ShutdownSignals

        self._signals = ShutdownSignals(STOP_SIGNALS)
        self._asked = threading.Event()

    def set(self) -> None:
        """Stop without a signal (from the app's own code, any thread)."""
        self._asked.set()

    def is_set(self) -> bool:
        """Whether a stop signal came or :meth:`set` was called."""
        return self._signals.received is not None or self._asked.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block the main thread until :meth:`is_set` (True) or ``timeout`` s passed (False)."""
        self._signals.wait(timeout, until=self._asked.is_set)
        return self.is_set()


def stop_event() -> AppStop:
    """What stops the app: SIGTERM, SIGINT or :meth:`AppStop.set`; SIGUSR1 prints every
    thread's stack to stderr.

    Call it first, in the main thread, before the app starts its client: from then on a stop
    signal is recorded (:class:`kstreams.signals.ShutdownSignals`), however early it comes. The
    stack dump is faulthandler's, written from C: it works while the main thread is stuck,
    even holding the GIL. A fatal signal (SIGSEGV, SIGABRT, SIGBUS, SIGFPE) prints every
    thread's Python stack to stderr too, before the process dies: where a crash in the
    native clients came from.
    """
    stop = AppStop()
    faulthandler.enable(file=sys.stderr, all_threads=True)
    faulthandler.register(STACKS_SIGNAL, file=sys.stderr, all_threads=True)
    return stop


def close_and_report(streams: Any, timeout: float = CLOSE_TIMEOUT_S, label: str = "CLOSED") -> bool:
    """``streams.close(timeout)``; prints ``<label> <True|False> <state>`` and, when the close
    timed out, every thread's stack (where the shutdown waits, for the test's report)."""
    closed = bool(streams.close(timeout))
    print(f"{label} {closed} {streams.state.value}", flush=True)
    if not closed:
        faulthandler.dump_traceback(file=sys.stdout, all_threads=True)
    return closed


# --------------------------------------------------------------------------- #
# The harness's side
# --------------------------------------------------------------------------- #


def stacks_then_kill(
    proc: subprocess.Popen[Any], output: Callable[[], str], wait_s: float = 5.0
) -> tuple[str, str]:
    """Ask ``proc`` (an app that did not exit in time) for its threads' stacks, then SIGKILL it.

    ``output`` reads what the process printed so far (its log). Returns what it had printed
    before the request and what it printed after it: the stacks, or "" if it printed none
    within ``wait_s`` (or had exited).
    """
    before = output()
    if proc.poll() is not None:
        return before, ""
    proc.send_signal(STACKS_SIGNAL)
    deadline = time.monotonic() + wait_s
    dumped, size, still_since = "", -1, time.monotonic()
    while time.monotonic() < deadline and proc.poll() is None:
        dumped = output()[len(before) :]
        if len(dumped) != size:
            size, still_since = len(dumped), time.monotonic()
        elif STACKS_HEADER in dumped and time.monotonic() - still_since > 0.3:
            break  # written in one go: complete once it stopped growing
        time.sleep(0.05)
    if proc.poll() is None:
        proc.kill()
    proc.wait(10)
    return before, dumped


def overrun_report(
    what: str, seconds: float, before: str, stacks: str, tail_lines: int = 40
) -> str:
    """A failure message: ``what`` did not exit within ``seconds`` of SIGTERM, with its
    threads' ``stacks`` and the last ``tail_lines`` lines it printed ``before`` them."""
    tail = "\n".join(before.splitlines()[-tail_lines:])
    where = (
        f"its threads' stacks (SIGUSR1):\n{stacks.rstrip()}"
        if STACKS_HEADER in stacks
        else "it printed no thread stacks when asked (SIGUSR1)"
    )
    return (
        f"{what} did not exit within {seconds:.0f} s of SIGTERM and was SIGKILLed; {where}\n"
        f"--- the last {tail_lines} lines it printed before ---\n{tail}"
    )
