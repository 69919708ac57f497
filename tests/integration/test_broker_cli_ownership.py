"""``python -m kstreams.testing.broker``: ``start`` says when it reuses another caller's broker,
``stop`` leaves a broker alone that another caller started (unless ``--force`` or its starter's
session ended)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kstreams.testing.broker import wait_for_kafka
from kstreams.testing.broker_cli import ENV_BROKER_OWNER
from kstreams.testing.broker_env import ENV_BOOTSTRAP_SERVERS
from kstreams.testing.processes import _pid_alive

pytestmark = pytest.mark.integration

_CLEAN_ENV = {
    k: v for k, v in os.environ.items() if k not in (ENV_BOOTSTRAP_SERVERS, ENV_BROKER_OWNER)
}


def _cli(state: Path, *args: str, owner: str | None = None) -> subprocess.CompletedProcess:
    env = dict(_CLEAN_ENV)
    if owner is not None:
        env[ENV_BROKER_OWNER] = owner
    return subprocess.run(
        [sys.executable, "-m", "kstreams.testing.broker", *args, "--state-file", str(state)],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def _force_stop(state: Path) -> None:
    if state.exists():
        _cli(state, "stop", "--force")


def test_stop_leaves_another_owners_broker_running(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    try:
        started = _cli(state, "start", owner="alice")
        assert started.returncode == 0, started.stderr
        bootstrap = started.stdout.strip()
        assert "reusing" not in started.stderr
        pid = json.loads(state.read_text())["pid"]
        assert json.loads(state.read_text())["owner"] == {"token": "alice"}

        reused = _cli(state, "start", owner="bob")
        assert (reused.returncode, reused.stdout.strip()) == (0, bootstrap), reused.stderr
        assert f"reusing the Kafka broker at {bootstrap} that another caller started" in (
            reused.stderr
        )
        assert "'alice'" in reused.stderr

        for owner in ("bob", None):  # another token, or no token (this session)
            refused = _cli(state, "stop", owner=owner)
            assert refused.returncode == 1
            assert f"not stopping the Kafka broker at {bootstrap}" in refused.stderr
            assert "--force" in refused.stderr
            assert _pid_alive(pid) and wait_for_kafka(bootstrap, timeout=10)
            assert state.exists()

        again = _cli(state, "start", owner="alice")  # the owner reuses silently
        assert (again.returncode, again.stdout.strip(), again.stderr) == (0, bootstrap, "")

        forced = _cli(state, "stop", "--force", owner="bob")
        assert forced.returncode == 0, forced.stderr
        assert not state.exists()
        assert not _pid_alive(pid)
    finally:
        _force_stop(state)


def test_session_owner_stops_its_own_and_an_ended_sessions_broker(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    # Start from another session whose leader (a shell) stays alive, as another terminal would.
    shell = subprocess.Popen(
        [
            "sh",
            "-c",
            f'"{sys.executable}" -m kstreams.testing.broker start --state-file "{state}"; '
            "exec sleep 300",
        ],
        env=_CLEAN_ENV,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 180
        while not state.exists():
            assert time.monotonic() < deadline and shell.poll() is None, "broker did not start"
            time.sleep(0.5)
        recorded = json.loads(state.read_text())
        assert recorded["owner"]["session"] == shell.pid
        bootstrap, pid = recorded["bootstrap_servers"], recorded["pid"]

        reused = _cli(state, "start")  # this session is not the starter's
        assert reused.stdout.strip() == bootstrap
        assert "reusing" in reused.stderr and f"session {shell.pid}" in reused.stderr
        refused = _cli(state, "stop")
        assert refused.returncode == 1 and _pid_alive(pid)

        os.killpg(shell.pid, signal.SIGTERM)  # the starting session ends
        shell.wait(30)
        stopped = _cli(state, "stop")
        assert stopped.returncode == 0, stopped.stderr
        assert not _pid_alive(pid) and not state.exists()
    finally:
        if shell.poll() is None:
            os.killpg(shell.pid, signal.SIGTERM)
            shell.wait(30)
        _force_stop(state)


def test_same_session_starts_and_stops(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    try:
        started = _cli(state, "start")
        assert started.returncode == 0, started.stderr
        pid = json.loads(state.read_text())["pid"]
        assert json.loads(state.read_text())["owner"]["session"] == os.getsid(0)
        stopped = _cli(state, "stop")
        assert stopped.returncode == 0, stopped.stderr
        assert not _pid_alive(pid)
    finally:
        _force_stop(state)
