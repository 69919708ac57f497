"""What a run of ``eos_app.py`` tells the chaos harness: its status lines and exit codes.

The app prints, one per line, ``CLIENT_ID <id>``, ``STATE <new> <old>``,
``THREAD_DIED <thread> <exception>`` (from its uncaught-exception handler) and
``CLOSED <True|False> <state>``, and exits with one of :data:`EXIT_CODES`;
:func:`run_failures` reads a run's output back into what went wrong. (The app imports this
module as a script's sibling, the harness as ``eos.status``: it imports nothing.)
"""

from __future__ import annotations

import signal

CLOSE_TIMEOUT_S = 30
"""How long the app's ``close()`` may take after SIGTERM."""

EXIT_OK, EXIT_ERROR, EXIT_CLOSE_TIMEOUT = 0, 2, 3
EXIT_CODES = {
    EXIT_OK: "closed cleanly",
    EXIT_ERROR: "the client ended in ERROR (a stream thread died)",
    EXIT_CLOSE_TIMEOUT: f"close() did not finish within {CLOSE_TIMEOUT_S} s",
}

THREAD_DIED = "THREAD_DIED"
STATE = "STATE"
CLOSED = "CLOSED"
THREAD_FAILED_LOG = ": stream thread failed: "
"""What kstreams logs (ERROR) when a stream thread dies, also while shutting down."""


def describe_exit(code: int | None) -> str:
    """An exit code in words."""
    if code is None:
        return "still running"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"killed by {name}"
    return EXIT_CODES.get(code, f"exit code {code}")


def run_failures(run: str, output: str, log_name: str) -> list[str]:
    """What went wrong in one run, read from its output: dead stream threads, ERROR, hung close.

    Each message names the run and its log file.
    """
    failures = []
    lines = output.splitlines()
    deaths = [line.split(" ", 1)[1] for line in lines if line.startswith(THREAD_DIED + " ")]
    for death in deaths:
        failures.append(f"{run}: stream thread {death} (see {log_name})")
    logged = [line for line in lines if THREAD_FAILED_LOG in line]
    if len(logged) > len(deaths):
        # a thread that dies while the client shuts down does not reach the handler
        failures.append(
            f"{run}: {len(logged) - len(deaths)} stream thread failure(s) not reported to the "
            f"uncaught-exception handler (while shutting down?); last: "
            f"{logged[-1].split(THREAD_FAILED_LOG, 1)[1][:300]} (see {log_name})"
        )
    states = [line.split()[1] for line in lines if line.startswith(STATE + " ")]
    errors = [s for s in states if s in ("PENDING_ERROR", "ERROR")]
    if errors:
        failures.append(f"{run}: the client went to {errors[-1]} (see {log_name})")
    hung = [i for i, line in enumerate(lines) if line.startswith(CLOSED + " False")]
    if hung:
        # the faulthandler dump that follows: where each thread was stuck (CI keeps no logs)
        stacks = "".join(f"\n    {line}" for line in lines[hung[-1] + 1 :][:60])
        failures.append(
            f"{run}: {EXIT_CODES[EXIT_CLOSE_TIMEOUT]} (thread stacks in {log_name})"
            + (f":{stacks}" if stacks else "")
        )
    return failures
