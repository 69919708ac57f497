"""The examples' demos run end to end against the session's broker (as `make demo` runs them)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from helpers import REPO_ROOT

from kstreams.testing.broker import ENV_BOOTSTRAP_SERVERS

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _run_example(script: str, bootstrap: str, timeout: float = 180) -> subprocess.CompletedProcess:
    """Run ``examples/<script>`` against ``bootstrap``; always reaps the process."""
    env = dict(os.environ, **{ENV_BOOTSTRAP_SERVERS: bootstrap}, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, str(REPO_ROOT / "examples" / script)],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        output, _ = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=10)
    return subprocess.CompletedProcess(proc.args, proc.returncode, output)


def test_demo_runs_word_count(kafka_bootstrap: str) -> None:
    result = _run_example("demo.py", kafka_bootstrap)
    output = result.stdout
    assert result.returncode == 0, output[-4000:]
    assert f"Kafka at {kafka_bootstrap}" in output
    assert "Counts match the text." in output, output[-4000:]
    assert "MISMATCH" not in output
    # the topology it ran is word count's: a repartition by word into the "counts" store
    assert "counts" in output and "repartition" in output, output[-4000:]


def test_order_router_demo(kafka_bootstrap: str) -> None:
    result = _run_example("order_router_demo.py", kafka_bootstrap)
    output = result.stdout
    assert result.returncode == 0, output[-4000:]
    assert f"Kafka at {kafka_bootstrap}" in output
    assert "All routed orders arrived." in output, output[-4000:]
    assert "MISSING" not in output
