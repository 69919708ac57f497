"""``python -m kstreams.testing.cluster start|status|stop``: a detached cluster, by state file.

Run with ``--brokers 1`` (one JVM: the three-node cluster itself is the subject of
test_cluster_broker_failures.py): ``start`` prints the bootstrap servers and is idempotent,
``status`` says whether every node runs, ``stop`` leaves another owner's cluster alone unless
``--force``, and stops every recorded process by pid and removes the data.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kstreams.testing.broker import wait_for_kafka
from kstreams.testing.broker_cli import ENV_BROKER_OWNER
from kstreams.testing.broker_env import ENV_BOOTSTRAP_SERVERS
from kstreams.testing.processes import _pid_alive

pytestmark = [pytest.mark.integration, pytest.mark.slow]

_CLEAN_ENV = {
    k: v for k, v in os.environ.items() if k not in (ENV_BOOTSTRAP_SERVERS, ENV_BROKER_OWNER)
}


def _cli(state: Path, *args: str, owner: str = "alice") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kstreams.testing.cluster", *args, "--state-file", str(state)],
        env={**_CLEAN_ENV, ENV_BROKER_OWNER: owner},
        capture_output=True,
        text=True,
        timeout=240,
    )


def test_start_status_stop(tmp_path: Path) -> None:
    state = tmp_path / "cluster.json"
    try:
        started = _cli(state, "start", "--brokers", "1")
        assert started.returncode == 0, started.stderr
        bootstrap = started.stdout.strip()
        recorded = json.loads(state.read_text())
        assert recorded["bootstrap_servers"] == bootstrap
        (node,) = recorded["nodes"]
        assert node["node_id"] == 1 and _pid_alive(node["pid"])
        assert wait_for_kafka(bootstrap, timeout=30)

        again = _cli(state, "start", "--brokers", "1")
        assert (again.returncode, again.stdout.strip()) == (0, bootstrap), again.stderr
        status = _cli(state, "status")
        assert (status.returncode, status.stdout.strip()) == (0, bootstrap), status.stderr
        assert "nodes running [1] of [1]" in status.stderr

        refused = _cli(state, "stop", owner="bob")
        assert refused.returncode == 1 and "another caller started it" in refused.stderr
        assert _pid_alive(node["pid"])

        stopped = _cli(state, "stop")
        assert stopped.returncode == 0, stopped.stderr
        assert not _pid_alive(node["pid"])
        assert not state.exists()
        assert not Path(recorded["data_dir"]).exists()
        assert _cli(state, "status").returncode == 1
    finally:
        if state.exists():
            _cli(state, "stop", "--force")
