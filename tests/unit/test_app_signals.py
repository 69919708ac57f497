"""How the integration tests' app subprocesses stop (``tests/integration/app_signals.py``).

SIGTERM must stop the app even when it arrives while the main thread holds a lock (the CI
rehearsal's hang: ``Event.set()`` in a signal handler waited for a lock its own thread held,
before ``close()`` was called; the apps now stop on :class:`kstreams.signals.ShutdownSignals`),
and an app that does not exit in time fails its test with its threads' stacks and the tail of
its log.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

INTEGRATION = Path(__file__).resolve().parents[1] / "integration"
sys.path.insert(0, str(INTEGRATION))

from helpers import AppProcess  # noqa: E402

pytestmark = pytest.mark.skipif(
    sys.platform != "linux",
    reason="the test apps' stop protocol uses SIGUSR1 stack dumps (faulthandler.register) and "
    "SIGTERM, which exist on POSIX only; the broker test apps run on Linux",
)

# SIGTERM while the main thread is inside the event's lock, as in ``stop.wait(0.2)`` between
# waking up and returning: the Python-level handler would run there, at the next bytecode
HOLD_LOCK_AND_SIGTERM = """
    with stop._cond:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.05)
    print("STOPPED", stop.wait(5), flush=True)
"""


def _run(tmp_path: Path, *body: str, timeout: float) -> subprocess.CompletedProcess[str] | None:
    """Run ``body``'s parts (after the imports) in a fresh interpreter; None if it did not exit
    in time."""
    script = tmp_path / "app.py"
    script.write_text(
        "import os, signal, sys, threading, time\n"
        f"sys.path.insert(0, {str(INTEGRATION)!r})\n" + "".join(textwrap.dedent(b) for b in body)
    )
    proc = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return None
    return subprocess.CompletedProcess(proc.args, proc.returncode, out)


def test_an_event_set_by_a_signal_handler_can_hang_the_main_thread(tmp_path: Path) -> None:
    # the pattern the apps used: this is why they no longer set the event in a handler
    body = """
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    """
    assert _run(tmp_path, body, HOLD_LOCK_AND_SIGTERM, timeout=3) is None


def test_sigterm_stops_the_app_whatever_the_main_thread_holds(tmp_path: Path) -> None:
    # the apps' stop is kstreams.signals.ShutdownSignals: its handler takes no lock, so a
    # SIGTERM landing while the main thread holds the stop's own event lock still stops it
    body = """
        from app_signals import stop_event
        stop = stop_event()
        with stop._asked._cond:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.05)
        print("STOPPED", stop.wait(5), flush=True)
    """
    result = _run(tmp_path, body, timeout=10)
    assert result is not None, "the app hung on SIGTERM"
    assert result.returncode == 0, result.stdout
    assert "STOPPED True" in result.stdout


def test_sigint_stops_it_too(tmp_path: Path) -> None:
    body = """
        from app_signals import stop_event
        stop = stop_event()
        os.kill(os.getpid(), signal.SIGINT)
        print("STOPPED", stop.wait(5), flush=True)
    """
    result = _run(tmp_path, body, timeout=10)
    assert result is not None and "STOPPED True" in result.stdout


def test_a_sigterm_during_start_up_is_kept_for_the_wait(tmp_path: Path) -> None:
    body = """
        from app_signals import stop_event
        stop = stop_event()
        os.kill(os.getpid(), signal.SIGTERM)  # before the app waits: starting its client
        time.sleep(0.3)
        print("SET", stop.is_set(), flush=True)
        print("STOPPED", stop.wait(0), flush=True)
    """
    result = _run(tmp_path, body, timeout=10)
    assert result is not None and result.returncode == 0, result
    assert "SET True\nSTOPPED True" in result.stdout


def test_the_app_stops_itself_from_another_thread_and_a_wait_times_out(tmp_path: Path) -> None:
    # a state listener that saw ERROR calls stop.set() from a stream thread
    body = """
        from app_signals import stop_event
        stop = stop_event()
        started = time.monotonic()
        print("TIMED OUT", not stop.wait(0.3), time.monotonic() - started >= 0.25, flush=True)
        threading.Timer(0.2, stop.set).start()
        print("STOPPED", stop.wait(5), flush=True)
    """
    result = _run(tmp_path, body, timeout=10)
    assert result is not None and result.returncode == 0, result
    assert "TIMED OUT True True\nSTOPPED True" in result.stdout


def test_an_app_that_does_not_exit_fails_with_its_stacks_and_log(tmp_path: Path) -> None:
    script = tmp_path / "stuck_app.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import sys, threading, time
            sys.path.insert(0, {str(INTEGRATION)!r})
            from app_signals import stop_event

            def stuck_in_close():
                time.sleep(120)

            stop = stop_event()
            threading.Thread(target=lambda: time.sleep(120), name="stuck-worker").start()
            print("STATE RUNNING REBALANCING", flush=True)
            stop.wait()
            print("closing", flush=True)
            stuck_in_close()
            """
        )
    )
    app = AppProcess(str(script), log_path=tmp_path / "stuck.log")
    with app:
        app.wait_for_line("STATE RUNNING", timeout=20)
        started = time.monotonic()
        with pytest.raises(AssertionError) as failure:
            app.stop(timeout=1)
        took = time.monotonic() - started
    message = str(failure.value)
    assert "stuck_app.py did not exit within 1 s of SIGTERM and was SIGKILLed" in message
    assert "in stuck_in_close" in message  # the main thread's stack
    assert "Thread 0x" in message  # and the other threads'
    assert "STATE RUNNING REBALANCING\nclosing" in message  # the log's tail before the stacks
    assert app.returncode == -9
    assert took < 10, took


def test_a_failing_test_keeps_its_own_error_and_gets_the_overrun_as_a_note(
    tmp_path: Path,
) -> None:
    script = tmp_path / "ignores_sigterm.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import sys, time
            sys.path.insert(0, {str(INTEGRATION)!r})
            from app_signals import stop_event

            stop = stop_event()  # and never looked at
            print("READY", flush=True)
            time.sleep(120)
            """
        )
    )
    app = AppProcess(str(script), log_path=tmp_path / "ignores.log", stop_timeout=1)
    with pytest.raises(ValueError) as failure, app:
        app.wait_for_line("READY", timeout=20)
        raise ValueError("the test's own failure")
    notes = "\n".join(getattr(failure.value, "__notes__", []))
    assert "ignores_sigterm.py did not exit" in notes
    assert app.returncode == -9
