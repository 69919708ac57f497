"""The examples run against the session's broker: the demos (as `make demo` runs them), and the
example test users copy (``examples/test_*.py``), in a pytest session of its own as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from helpers import REPO_ROOT

from kstreams.testing.broker import ENV_BOOTSTRAP_SERVERS

pytestmark = [pytest.mark.integration, pytest.mark.slow]


EXAMPLE_TESTS = sorted((REPO_ROOT / "examples").glob("test_*.py"))


def _run_example(
    script: str, bootstrap: str, timeout: float = 180, *, args: tuple[str, ...] = ()
) -> subprocess.CompletedProcess:
    """Run ``examples/<script>`` (or ``python <args>``) against ``bootstrap``; always reaps it."""
    env = dict(os.environ, **{ENV_BOOTSTRAP_SERVERS: bootstrap}, PYTHONUNBUFFERED="1")
    command = [str(REPO_ROOT / "examples" / script)] if script else list(args)
    proc = subprocess.Popen(
        [sys.executable, *command],
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


def test_the_examples_hold_a_test_to_copy() -> None:
    assert [p.name for p in EXAMPLE_TESTS] == [
        "test_fk_join_orders.py",
        "test_order_enrichment.py",
        "test_page_views_per_minute.py",
        "test_word_count.py",
    ]


@pytest.mark.parametrize("example", EXAMPLE_TESTS, ids=lambda p: p.name)
def test_example_tests_pass_with_the_plugin(example, kafka_bootstrap: str) -> None:
    # As a user runs it: `pytest examples/test_word_count.py`; the plugin comes from the
    # entry point (tests/conftest.py is not on this path), the broker from the environment.
    result = _run_example(
        "", kafka_bootstrap, args=("-m", "pytest", "-p", "no:cacheprovider", "-q", str(example))
    )
    output = result.stdout
    assert result.returncode == 0, output[-4000:]
    assert "2 passed" in output, output[-4000:]
