"""The command line ``python -m kstreams.testing.cluster start|stop|status``.

It runs a detached :class:`~kstreams.testing.cluster.LocalKafkaCluster` and records its nodes
(pid, ports, data directory) in a state file, so that later invocations find it: ``start``
prints only the bootstrap servers on stdout. Ownership is the single broker's
(:mod:`kstreams.testing.broker_cli`): ``$KSTREAMS_BROKER_OWNER``, else the caller's session;
``stop`` stops only a cluster its owner started, or one whose starting session has ended,
unless ``--force``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import shutil
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kstreams.testing.broker_cli import (
    ENV_BROKER_OWNER,
    _caller,
    _owner_gone,
    _read_state,
    _same_owner,
)
from kstreams.testing.broker_env import ENV_BOOTSTRAP_SERVERS, BrokerStartError, cache_dir
from kstreams.testing.cluster import LocalKafkaCluster
from kstreams.testing.kafka_admin import wait_for_kafka
from kstreams.testing.processes import _file_lock, _pid_alive, _pid_cmdline, _terminate

__all__ = ["main"]


def _state_file(arg: str | None) -> Path:
    return Path(arg).expanduser() if arg else cache_dir() / "cluster-state.json"


def _node_running(node: dict[str, Any]) -> bool:
    """True if the recorded node's process is alive and is the one we started."""
    pid = int(node.get("pid") or 0)
    return pid > 0 and _pid_alive(pid) and str(node.get("data_dir", "\0")) in _pid_cmdline(pid)


def _running_nodes(state: dict[str, Any]) -> list[dict[str, Any]]:
    return [n for n in state.get("nodes", []) if _node_running(n)]


def _describe(state: dict[str, Any]) -> str:
    owner = state.get("owner") or {}
    who = (
        f"owner {owner['token']!r} (${ENV_BROKER_OWNER})"
        if "token" in owner
        else f"session {owner.get('session')}"
    )
    pids = [n.get("pid") for n in state.get("nodes", [])]
    return f"pids {pids}, started by process {state.get('started_by')} in {who}"


def _stop_recorded(state: dict[str, Any], timeout: float = 30.0) -> None:
    running = _running_nodes(state)
    for node in running:  # all at once, then wait for each
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(node["pid"]), signal.SIGTERM)
    for node in running:
        _terminate(int(node["pid"]), None, timeout)
    if state.get("owns_data_dir") and state.get("data_dir"):
        shutil.rmtree(state["data_dir"], ignore_errors=True)


def _write_state(path: Path, state: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(state, indent=2) + "\n")
    os.replace(tmp, path)


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
            all_up = len(_running_nodes(state)) == len(state.get("nodes", [])) > 0
            if all_up and wait_for_kafka(state["bootstrap_servers"], timeout=10):
                if not mine:
                    print(
                        f"reusing the Kafka cluster at {state['bootstrap_servers']} that another "
                        f"caller started ({_describe(state)}; state file {state_path})",
                        file=sys.stderr,
                    )
                print(state["bootstrap_servers"])
                return 0
            if _running_nodes(state) and not mine and not _owner_gone(state.get("owner") or {}):
                print(
                    f"the Kafka cluster recorded in {state_path} ({_describe(state)}) does not "
                    "run whole or does not answer; not replacing a cluster another caller "
                    "started. Stop it with 'stop --force' or pass another --state-file.",
                    file=sys.stderr,
                )
                return 1
            _stop_recorded(state)  # stale, ours or orphaned: start anew
            state_path.unlink(missing_ok=True)
        cluster = LocalKafkaCluster(
            args.brokers, detach=True, startup_timeout=args.timeout, heap=args.heap
        )
        try:
            cluster.start()
        except (BrokerStartError, TimeoutError) as exc:
            print(str(exc), file=sys.stderr)
            with contextlib.suppress(Exception):
                cluster.close(timeout=10)
            return 1
        _write_state(
            state_path,
            {
                "bootstrap_servers": cluster.bootstrap_servers,
                "data_dir": str(cluster.data_dir),
                "owns_data_dir": True,
                "nodes": [
                    {
                        "node_id": n.node_id,
                        "pid": n.pid,
                        "port": n.port,
                        "controller_port": n.controller_port,
                        "data_dir": str(n.data_dir),
                        "log_path": str(n.log_path),
                    }
                    for n in cluster.nodes
                ],
                "version": cluster.version,
                "started_at": time.time(),
                "started_by": os.getpid(),
                "owner": caller,
            },
        )
        print(cluster.bootstrap_servers)
        return 0


def _cli_stop(state_path: Path, force: bool = False) -> int:
    with _file_lock(state_path.with_name(state_path.name + ".lock")):
        state = _read_state(state_path)
        if state is None:
            print(f"no kstreams Kafka cluster recorded in {state_path}", file=sys.stderr)
            return 0
        owner = state.get("owner") or {}
        if (
            not force
            and _running_nodes(state)
            and not _same_owner(owner, _caller())
            and not _owner_gone(owner)
        ):
            print(
                f"not stopping the Kafka cluster at {state.get('bootstrap_servers')}: another "
                f"caller started it ({_describe(state)}) and may still use it. 'stop --force' "
                f"stops it anyway (or set ${ENV_BROKER_OWNER} as its starter did).",
                file=sys.stderr,
            )
            return 1
        _stop_recorded(state)
        state_path.unlink(missing_ok=True)
        print(f"stopped Kafka cluster at {state.get('bootstrap_servers')}", file=sys.stderr)
        return 0


def _cli_status(state_path: Path) -> int:
    state = _read_state(state_path)
    if state is None:
        print(f"no kstreams Kafka cluster recorded in {state_path}", file=sys.stderr)
        return 1
    up = [n["node_id"] for n in _running_nodes(state)]
    every = [n["node_id"] for n in state.get("nodes", [])]
    if up and wait_for_kafka(state["bootstrap_servers"], timeout=5):
        print(state["bootstrap_servers"])
        print(f"nodes running {up} of {every}; {_describe(state)}", file=sys.stderr)
        return 0 if up == every else 1
    print(f"the Kafka cluster recorded in {state_path} does not run", file=sys.stderr)
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m kstreams.testing.cluster start|stop|status``: a detached local cluster.

    ``start`` prints only the bootstrap servers on stdout (idempotent: a running cluster's if
    all its nodes answer); ``stop`` stops every node and removes the data if this caller
    started it (or ``--force``); ``status`` prints the bootstrap servers and exits 0 if every
    node runs, else 1. State lives in ``<cache_dir()>/cluster-state.json`` (``--state-file``).
    With ``$KSTREAMS_BOOTSTRAP_SERVERS`` set, ``start`` just prints it.
    """
    parser = argparse.ArgumentParser(prog="python -m kstreams.testing.cluster", description=__doc__)
    parser.add_argument("command", choices=["start", "stop", "status"])
    parser.add_argument("--state-file", help="state file (default: <cache>/cluster-state.json)")
    parser.add_argument("--brokers", type=int, default=3, help="number of nodes (default 3)")
    parser.add_argument("--heap", default="384m", help="each JVM's -Xmx (default 384m)")
    parser.add_argument("--timeout", type=float, default=120.0, help="startup timeout, seconds")
    parser.add_argument(
        "--force", action="store_true", help="stop: also a cluster another caller started"
    )
    args = parser.parse_args(argv)
    if args.brokers < 1:
        parser.error(f"--brokers must be at least 1, not {args.brokers}")
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    state_path = _state_file(args.state_file)
    if args.command == "start":
        return _cli_start(state_path, args)
    if args.command == "stop":
        return _cli_stop(state_path, force=args.force)
    return _cli_status(state_path)
