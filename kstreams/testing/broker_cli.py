"""The command line ``python -m kstreams.testing.broker start|stop|status``.

It runs a detached :class:`~kstreams.testing.broker.LocalKafkaBroker` and records it in a
state file, so that later invocations (and other shells) find it: ``start`` prints only the
bootstrap address on stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kstreams.testing.broker import LocalKafkaBroker, wait_for_kafka
from kstreams.testing.broker_env import ENV_BOOTSTRAP_SERVERS, BrokerStartError, cache_dir
from kstreams.testing.processes import _file_lock, _pid_alive, _pid_cmdline, _terminate

__all__ = ["main"]


def _state_file(arg: str | None) -> Path:
    if arg:
        return Path(arg).expanduser()
    return cache_dir() / "broker-state.json"


def _read_state(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _state_running(state: dict[str, Any]) -> bool:
    """True if the recorded broker process is alive and is the one we started."""
    pid = int(state.get("pid", 0))
    return pid > 0 and _pid_alive(pid) and str(state.get("data_dir", "\0")) in _pid_cmdline(pid)


def _stop_recorded(state: dict[str, Any], timeout: float = 30.0) -> None:
    if _state_running(state):
        _terminate(int(state["pid"]), None, timeout)
    if state.get("owns_data_dir") and state.get("data_dir"):
        shutil.rmtree(state["data_dir"], ignore_errors=True)


def _cli_start(state_path: Path, args: argparse.Namespace) -> int:
    env = os.environ.get(ENV_BOOTSTRAP_SERVERS, "").strip()
    if env:
        print(env)
        return 0
    with _file_lock(state_path.with_name(state_path.name + ".lock")):
        state = _read_state(state_path)
        if state is not None:
            if _state_running(state) and wait_for_kafka(state["bootstrap_servers"], timeout=10):
                print(state["bootstrap_servers"])
                return 0
            _stop_recorded(state)  # stale or not answering: clean it up and start anew
            state_path.unlink(missing_ok=True)
        broker = LocalKafkaBroker(
            port=args.port, detach=True, startup_timeout=args.timeout, heap=args.heap
        )
        try:
            broker.start()
        except BrokerStartError as exc:
            print(str(exc), file=sys.stderr)
            with contextlib.suppress(Exception):
                broker.close()
            return 1
        state = {
            "pid": broker.pid,
            "bootstrap_servers": broker.bootstrap_servers,
            "port": broker.port,
            "controller_port": broker.controller_port,
            "data_dir": str(broker.data_dir),
            "owns_data_dir": True,
            "log_path": str(broker.log_path),
            "version": broker.version,
            "started_at": time.time(),
        }
        state_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = state_path.with_name(state_path.name + ".tmp")
        tmp.write_text(json.dumps(state, indent=2) + "\n")
        os.replace(tmp, state_path)
        print(broker.bootstrap_servers)
        return 0


def _cli_stop(state_path: Path) -> int:
    with _file_lock(state_path.with_name(state_path.name + ".lock")):
        state = _read_state(state_path)
        if state is None:
            print("no kstreams Kafka broker recorded in " + str(state_path), file=sys.stderr)
            return 0
        _stop_recorded(state)
        state_path.unlink(missing_ok=True)
        print(f"stopped Kafka broker at {state.get('bootstrap_servers')}", file=sys.stderr)
        return 0


def _cli_status(state_path: Path) -> int:
    env = os.environ.get(ENV_BOOTSTRAP_SERVERS, "").strip()
    if env:
        if wait_for_kafka(env, timeout=5):
            print(env)
            return 0
        return 1
    state = _read_state(state_path)
    if state and _state_running(state) and wait_for_kafka(state["bootstrap_servers"], timeout=5):
        print(state["bootstrap_servers"])
        print(f"pid {state['pid']}, log {state.get('log_path')}", file=sys.stderr)
        return 0
    print("no kstreams Kafka broker running", file=sys.stderr)
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m kstreams.testing.broker start|stop|status``: a detached local broker.

    ``start`` prints only the bootstrap address on stdout (idempotent: a running broker's address
    if one answers); ``stop`` stops it and removes its data; ``status`` prints the address and
    exits 0 if it runs, else exits 1. State lives in ``<cache_dir()>/broker-state.json``
    (``--state-file`` to change). With ``$KSTREAMS_BOOTSTRAP_SERVERS`` set, ``start`` just
    prints it.
    """
    parser = argparse.ArgumentParser(prog="python -m kstreams.testing.broker", description=__doc__)
    parser.add_argument("command", choices=["start", "stop", "status"])
    parser.add_argument("--state-file", help="state file (default: <cache>/broker-state.json)")
    parser.add_argument("--port", type=int, default=None, help="client port (default: free)")
    parser.add_argument("--heap", default="512m", help="JVM -Xmx (default 512m)")
    parser.add_argument("--timeout", type=float, default=90.0, help="startup timeout, seconds")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    state_path = _state_file(args.state_file)
    if args.command == "start":
        return _cli_start(state_path, args)
    if args.command == "stop":
        return _cli_stop(state_path)
    return _cli_status(state_path)
