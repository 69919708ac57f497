"""The EOS chaos harness reads what went wrong in an app run (``tests/integration/eos/status.py``).

A run's output (its status lines and kstreams' log) becomes failure messages naming the run,
what happened and the log file: a stream thread that died, ERROR, a close that timed out.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_PATH = Path(__file__).resolve().parents[1] / "integration" / "eos" / "status.py"
_spec = importlib.util.spec_from_file_location("eos_status", _PATH)
assert _spec is not None and _spec.loader is not None
status = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = status
_spec.loader.exec_module(status)

CLEAN = """\
CLIENT_ID app-1
STATE REBALANCING CREATED
STATE RUNNING REBALANCING
STATE PENDING_SHUTDOWN RUNNING
STATE NOT_RUNNING PENDING_SHUTDOWN
CLOSED True NOT_RUNNING
"""


def test_a_clean_run_has_no_failures() -> None:
    assert status.run_failures("a#1", CLEAN, "a-run1.log") == []


def test_a_dead_stream_thread_and_error_are_failures() -> None:
    output = (
        "CLIENT_ID app-1\nSTATE REBALANCING CREATED\nSTATE RUNNING REBALANCING\n"
        "12:00:00,000 a#2 app-1-StreamThread-1 kstreams ERROR app-1-StreamThread-1: stream "
        "thread failed: Exception caught in process: boom\n"
        "THREAD_DIED app-1-StreamThread-1 StreamsError: Exception caught in process: boom\n"
        "STATE PENDING_ERROR RUNNING\nSTATE ERROR PENDING_ERROR\nCLOSED True ERROR\n"
    )
    failures = status.run_failures("a#2", output, "a-run2.log")
    assert failures == [
        "a#2: stream thread app-1-StreamThread-1 StreamsError: Exception caught in process: boom "
        "(see a-run2.log)",
        "a#2: the client went to ERROR (see a-run2.log)",
    ]


def test_a_thread_failing_while_shutting_down_is_a_failure() -> None:
    output = CLEAN.replace(
        "STATE NOT_RUNNING",
        "x kstreams ERROR app-1-StreamThread-1: stream thread failed: fenced\nSTATE NOT_RUNNING",
    )
    [failure] = status.run_failures("b#1", output, "b-run1.log")
    assert failure.startswith("b#1: 1 stream thread failure(s) not reported")
    assert "fenced" in failure


def test_a_close_that_timed_out_shows_the_stacks_that_follow() -> None:
    output = CLEAN.replace("CLOSED True NOT_RUNNING", "CLOSED False PENDING_SHUTDOWN")
    output += 'Thread 0x1 (most recent call first):\n  File "x.py", line 3 in commit\n'
    assert status.run_failures("b#3", output, "b-run3.log") == [
        "b#3: close() did not finish within 30 s (thread stacks in b-run3.log):\n"
        "    Thread 0x1 (most recent call first):\n"
        '      File "x.py", line 3 in commit'
    ]


def test_a_close_that_timed_out_is_a_failure() -> None:
    output = CLEAN.replace("CLOSED True NOT_RUNNING", "CLOSED False PENDING_SHUTDOWN")
    assert status.run_failures("b#3", output, "b-run3.log") == [
        "b#3: close() did not finish within 30 s (thread stacks in b-run3.log)"
    ]


def test_exit_codes_in_words() -> None:
    assert status.describe_exit(0) == "closed cleanly"
    assert status.describe_exit(2) == "the client ended in ERROR (a stream thread died)"
    assert status.describe_exit(3) == "close() did not finish within 30 s"
    assert status.describe_exit(-9) == "killed by SIGKILL"
    assert status.describe_exit(1) == "exit code 1"
    assert status.describe_exit(None) == "still running"
