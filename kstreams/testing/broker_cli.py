"""The command line ``python -m kstreams.testing.broker start|stop|status``.

It runs a detached :class:`~kstreams.testing.broker.LocalKafkaBroker` and records it in a
state file, so that later invocations (and other shells) find it: ``start`` prints only the
bootstrap address on stdout.

Ownership: the state file records who started the broker: ``$KSTREAMS_BROKER_OWNER`` if set,
else the caller's session (``getsid``, the terminal's shell; its start time guards against pid
reuse). ``start`` says on stderr when it reuses a broker someone else started; ``stop`` stops
only a broker its own owner started, or one whose starting session has ended, unless
``--force``; a broker that does not answer is never restarted over another owner's head.
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

__all__ = ["ENV_BROKER_OWNER", "main"]

ENV_BROKER_OWNER = "KSTREAMS_BROKER_OWNER"
"""Names the owner of a broker ``start`` launches, and whom ``stop`` acts for (else: the session)."""


def _start_time(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _caller() -> dict[str, Any]:
    """Who this invocation acts for: the ``$KSTREAMS_BROKER_OWNER`` token, else its session."""
    token = os.environ.get(ENV_BROKER_OWNER, "").strip()
    if token:
        return {"token": token}
    sid = os.getsid(0)
    return {"session": sid, "session_started": _start_time(sid)}


def _same_owner(owner: dict[str, Any], caller: dict[str, Any]) -> bool:
    if "token" in owner or "token" in caller:
        return owner.get("token") == caller.get("token")
    return owner.get("session") == caller.get("session") and owner.get(
        "session_started"
    ) == caller.get("session_started")


def _owner_gone(owner: dict[str, Any]) -> bool:
    """True if the owner is a session that has ended (a token's holder cannot be checked)."""
    sid = owner.get("session")
    if sid is None:
        return "token" not in owner  # a state file from before ownership was recorded
    return not _pid_alive(int(sid)) or _start_time(int(sid)) != owner.get("session_started")


def _describe_owner(state: dict[str, Any]) -> str:
    owner = state.get("owner") or {}
    who = (
        f"owner {owner['token']!r} (${ENV_BROKER_OWNER})"
        if "token" in owner
        else f"session {owner.get('session')}"
    )
    return f"pid {state.get('pid')}, started by process {state.get('started_by')} in {who}"


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
        caller = _caller()
        if state is not None:
            mine = _same_owner(state.get("owner") or {}, caller)
            running = _state_running(state)
            if running and wait_for_kafka(state["bootstrap_servers"], timeout=10):
                if not mine:
                    print(
                        f"reusing the Kafka broker at {state['bootstrap_servers']} that another "
                        f"caller started ({_describe_owner(state)}; state file {state_path}); "
                        "'stop' from here leaves it running (--force stops it)",
                        file=sys.stderr,
                    )
                print(state["bootstrap_servers"])
                return 0
            if running and not mine and not _owner_gone(state.get("owner") or {}):
                print(
                    f"the Kafka broker recorded in {state_path} ({_describe_owner(state)}) runs "
                    f"but does not answer at {state['bootstrap_servers']}; not replacing a broker "
                    "another caller started. Stop it with 'stop --force' or pass another "
                    "--state-file.",
                    file=sys.stderr,
                )
                return 1
            _stop_recorded(state)  # stale, ours or orphaned, not answering: start anew
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
            "started_by": os.getpid(),
            "owner": caller,
        }
        state_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = state_path.with_name(state_path.name + ".tmp")
        tmp.write_text(json.dumps(state, indent=2) + "\n")
        os.replace(tmp, state_path)
        print(broker.bootstrap_servers)
        return 0


def _cli_stop(state_path: Path, force: bool = False) -> int:
    with _file_lock(state_path.with_name(state_path.name + ".lock")):
        state = _read_state(state_path)
        if state is None:
            print("no kstreams Kafka broker recorded in " + str(state_path), file=sys.stderr)
            return 0
        owner = state.get("owner") or {}
        if (
            not force
            and _state_running(state)
            and not _same_owner(owner, _caller())
            and not _owner_gone(owner)
        ):
            print(
                f"not stopping the Kafka broker at {state.get('bootstrap_servers')}: another "
                f"caller started it ({_describe_owner(state)}) and may still use it. "
                f"'stop --force' stops it anyway (or set ${ENV_BROKER_OWNER} as its starter did).",
                file=sys.stderr,
            )
            return 1
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
        print(f"{_describe_owner(state)}, log {state.get('log_path')}", file=sys.stderr)
        return 0
    print("no kstreams Kafka broker running", file=sys.stderr)
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m kstreams.testing.broker start|stop|status``: a detached local broker.

    ``start`` prints only the bootstrap address on stdout (idempotent: a running broker's address
    if one answers; stderr says when another caller started it); ``stop`` stops it and removes
    its data if this caller started it (same ``$KSTREAMS_BROKER_OWNER``, else same session), its
    starter's session ended, or ``--force`` is given (else exits 1 and leaves it running); ``status`` prints the address and
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
    parser.add_argument(
        "--force", action="store_true", help="stop: also a broker another caller started"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    state_path = _state_file(args.state_file)
    if args.command == "start":
        return _cli_start(state_path, args)
    if args.command == "stop":
        return _cli_stop(state_path, force=args.force)
    return _cli_status(state_path)
