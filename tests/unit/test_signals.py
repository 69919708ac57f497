"""wait_for_shutdown_signal: returns the signal, restores the handlers, never takes a lock."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from kstreams import wait_for_shutdown_signal
from kstreams.signals import ShutdownSignals


def test_it_returns_the_signal_that_came_and_puts_the_old_handlers_back() -> None:
    def mine(signum: int, frame: object) -> None:
        pass

    old = signal.signal(signal.SIGTERM, mine)
    interrupt = signal.getsignal(signal.SIGINT)  # SIG_IGN in a pytest-xdist worker
    try:
        threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGTERM)).start()
        started = time.monotonic()
        assert wait_for_shutdown_signal(timeout=10) == signal.SIGTERM
        assert time.monotonic() - started < 5
        assert signal.getsignal(signal.SIGTERM) is mine
        assert signal.getsignal(signal.SIGINT) is interrupt
    finally:
        signal.signal(signal.SIGTERM, old)


def test_a_timeout_returns_none() -> None:
    started = time.monotonic()
    assert wait_for_shutdown_signal(timeout=0.15, signals=[signal.SIGUSR2]) is None
    assert 0.1 <= time.monotonic() - started < 2


def test_only_the_main_thread_can_wait_and_it_needs_a_signal() -> None:
    errors: list[BaseException] = []

    def other() -> None:
        try:
            wait_for_shutdown_signal(timeout=0.1)
        except RuntimeError as exc:
            errors.append(exc)

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert errors and "main thread" in str(errors[0])
    with pytest.raises(ValueError, match="at least one signal"):
        wait_for_shutdown_signal(timeout=0.1, signals=[])


def test_a_busy_process_stops_on_sigterm_every_time() -> None:
    # the pattern it replaces (Event.set() in a handler, the main thread in Event.wait) can
    # hang for good when the signal lands inside wait() (tests/unit/test_app_signals.py)
    script = textwrap.dedent(
        """
        import sys, threading
        from kstreams import wait_for_shutdown_signal

        def spin():
            x = 0
            while True:
                x += 1

        threading.Thread(target=spin, daemon=True).start()
        print("waiting", flush=True)
        print(wait_for_shutdown_signal(timeout=30).name, flush=True)
        """
    )
    for _ in range(5):
        proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
        try:
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == "waiting"
            time.sleep(0.05)
            proc.send_signal(signal.SIGTERM)
            out, _ = proc.communicate(timeout=20)
            assert out.strip() == "SIGTERM"
            assert proc.returncode == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def test_shutdown_signals_keep_a_signal_that_came_before_the_wait() -> None:
    before = signal.getsignal(signal.SIGUSR2)
    with ShutdownSignals([signal.SIGUSR2]) as taken:
        assert taken.received is None
        os.kill(os.getpid(), signal.SIGUSR2)
        time.sleep(0.05)  # the handler runs in the main thread, at its next bytecode
        assert taken.received == signal.SIGUSR2
        assert taken.wait(timeout=0) == signal.SIGUSR2
    assert signal.getsignal(signal.SIGUSR2) is before


def test_shutdown_signals_wait_ends_on_until_or_timeout() -> None:
    with ShutdownSignals([signal.SIGUSR2]) as taken:
        started = time.monotonic()
        assert taken.wait(timeout=0.15) is None
        assert 0.1 <= time.monotonic() - started < 2
        assert taken.wait(timeout=10, until=lambda: True) is None
