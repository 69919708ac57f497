"""An example's topology as a separate process, for the broker tests' chaos.

    python example_app.py BOOTSTRAP APPLICATION_ID STATE_DIR INPUT INPUT INPUT OUTPUT
        --example MODULE [--run NAME] [--commit-interval-ms N] [--session-timeout-ms N]

MODULE is an example under examples/ (``order_enrichment``: CUSTOMERS ORDERS PAYMENTS;
``fk_join_orders``: ORDERS PRODUCTS CATEGORIES) with ``build_topology(*topics)`` and
``config(bootstrap, application_id)`` (``exactly_once_v2``); its stores under STATE_DIR. It speaks
the EOS chaos harness' protocol (tests/integration/eos/status.py), so that
``eos.chaos.Instances`` can start, SIGKILL, restart and stop it: it prints ``CLIENT_ID``,
``STATE <new> <old>``, ``THREAD_DIED ...`` and ``CLOSED <True|False> <state>`` lines and exits
with one of ``status.EXIT_CODES``.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import signal
import sys
import threading
from pathlib import Path

_TESTS = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(_TESTS), str(_TESTS.parents[1] / "examples")]

from app_signals import close_and_report, stop_event  # noqa: E402

# First of all (importing kstreams takes a second): SIGTERM asks for a clean stop even then.
STOP = stop_event()

from eos.status import (  # noqa: E402
    CLOSE_TIMEOUT_S,
    CLOSED,
    EXIT_CLOSE_TIMEOUT,
    EXIT_ERROR,
    EXIT_OK,
    STATE,
    THREAD_DIED,
)

from kstreams import KafkaStreams, StreamThreadExceptionResponse  # noqa: E402


def die_with_parent() -> None:
    """Linux: get SIGKILLed when the test process goes away (no leftover instances)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def main() -> int:
    die_with_parent()
    parser = argparse.ArgumentParser()
    for name in ("bootstrap", "application_id", "state_dir"):
        parser.add_argument(name)
    parser.add_argument("topics", nargs=4, help="the example's three inputs, then its output")
    parser.add_argument("--example", required=True, help="a module under examples/")
    parser.add_argument("--commit-interval-ms", type=int, default=100)
    parser.add_argument("--session-timeout-ms", type=int, default=6000)
    parser.add_argument("--run", default="example")
    args = parser.parse_args()
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stdout,
        format=f"%(asctime)s {args.run} %(threadName)s %(name)s %(levelname)s %(message)s",
    )
    logging.getLogger("kstreams.client").setLevel(logging.WARNING)

    example = importlib.import_module(args.example)
    settings = example.config(args.bootstrap, args.application_id)
    settings.update(
        {
            "state.dir": args.state_dir,
            "commit.interval.ms": args.commit_interval_ms,
            "poll.ms": 50,
            "session.timeout.ms": args.session_timeout_ms,
            "heartbeat.interval.ms": max(500, args.session_timeout_ms // 4),
        }
    )
    topology = example.build_topology(*args.topics)
    streams = KafkaStreams(topology, settings)
    print(f"CLIENT_ID {streams.client_id}", flush=True)

    def on_state(new: KafkaStreams.State, old: KafkaStreams.State) -> None:
        print(f"{STATE} {new.value} {old.value}", flush=True)
        if new in (KafkaStreams.State.ERROR, KafkaStreams.State.PENDING_ERROR):
            STOP.set()

    def on_thread_death(exc: BaseException) -> StreamThreadExceptionResponse:
        first_line = (str(exc).splitlines() or [""])[0]
        print(
            f"{THREAD_DIED} {threading.current_thread().name} {type(exc).__name__}: {first_line}",
            flush=True,
        )
        return StreamThreadExceptionResponse.SHUTDOWN_CLIENT

    streams.set_state_listener(on_state)
    streams.set_uncaught_exception_handler(on_thread_death)
    streams.start()
    try:
        while not STOP.wait(0.2):
            pass
    finally:
        closed = close_and_report(streams, CLOSE_TIMEOUT_S, CLOSED)
    if not closed:
        return EXIT_CLOSE_TIMEOUT
    return EXIT_OK if streams.state is KafkaStreams.State.NOT_RUNNING else EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
