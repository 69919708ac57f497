"""The examples run end to end against the session's broker."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from helpers import REPO_ROOT

from kstreams.testing.broker import ENV_BOOTSTRAP_SERVERS

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_order_router_demo(kafka_bootstrap: str) -> None:
    env = dict(os.environ, **{ENV_BOOTSTRAP_SERVERS: kafka_bootstrap}, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, str(REPO_ROOT / "examples" / "demo.py")],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        output, _ = proc.communicate(timeout=180)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=10)
    assert proc.returncode == 0, output[-4000:]
    assert "All routed orders arrived." in output, output[-4000:]
    assert f"Kafka at {kafka_bootstrap}" in output
