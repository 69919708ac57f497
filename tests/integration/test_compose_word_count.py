"""docker-compose.yml for real: Kafka plus two replicas of the word-count app sharing the work.

Builds (or reuses) the app image, brings the composition up with ``--scale app=2`` on a free
host port, checks that both replicas got input partitions and that the counts on
``word-counts`` are the counts of the lines produced, then ``down -v``. Runs where a Docker
engine and docker-compose answer; in CI (``KSTREAMS_BROKER_BACKEND=docker``) it never skips.
Images: ``$KSTREAMS_KAFKA_IMAGE`` (or ``apache/kafka``) and ``$KSTREAMS_APP_IMAGE`` (or one
built by ``docker/app-image.sh``).
"""

from __future__ import annotations

import collections
import os
import random
import shutil
import struct
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from confluent_kafka import Consumer, Producer

from kstreams.testing.broker import ENV_BROKER_BACKEND, admin_client, wait_for_kafka
from kstreams.testing.docker_broker import docker_available, kafka_image
from kstreams.testing.processes import _free_ports

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
FORCED = os.environ.get(ENV_BROKER_BACKEND, "").strip().lower() == "docker"
APP_ID, INPUT, OUTPUT, PARTITIONS = "word-count", "text-lines", "word-counts", 4
WORDS = [
    "alpha",
    "beta",
    "gamma",
    "delta",
    "epsilon",
    "zeta",
    "eta",
    "theta",
    "iota",
    "kappa",
    "lambda",
    "mu",
]


def _compose_command() -> list[str] | None:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True)
        if probe.returncode == 0:
            return ["docker", "compose"]
    return None


def _app_image() -> str:
    given = os.environ.get("KSTREAMS_APP_IMAGE", "").strip()
    if given:
        return given
    built = subprocess.run(
        [str(ROOT / "docker" / "app-image.sh")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert built.returncode == 0, built.stderr
    return built.stdout.strip()


def _members(bootstrap: str) -> dict[str, set[tuple[str, int]]]:
    """The group's members and the partitions each holds; {} while the group is not stable."""
    from confluent_kafka import ConsumerGroupState

    admin = admin_client(bootstrap)
    group = admin.describe_consumer_groups([APP_ID], request_timeout=10)[APP_ID].result(15)
    if group.state != ConsumerGroupState.STABLE:
        return {}
    return {
        member.member_id: {(tp.topic, tp.partition) for tp in member.assignment.topic_partitions}
        for member in group.members
    }


def _wait(what: str, check, timeout: float = 120.0, logs=None):
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = check()
        except Exception as exc:  # the group or topic may not exist yet
            value, last = None, exc
        else:
            last = None
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(
                f"{what} not within {timeout:.0f}s (last error: {last})\n{logs() if logs else ''}"
            )
        time.sleep(0.5)


def _latest_counts(bootstrap: str, expected: dict[str, int], logs) -> dict[str, int]:
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"check-{uuid.uuid4().hex[:8]}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
        }
    )
    counts: dict[str, int] = {}
    try:
        consumer.subscribe([OUTPUT])

        def caught_up() -> bool:
            for msg in consumer.consume(500, timeout=0.5):
                assert msg.error() is None, msg.error()
                counts[msg.key().decode()] = struct.unpack(">q", msg.value())[0]
            return counts == expected

        _wait("the expected counts on word-counts", caught_up, logs=logs)
    finally:
        consumer.close()
    return counts


def test_two_app_replicas_share_the_work_and_count_right(tmp_path: Path) -> None:
    compose = _compose_command()
    if not (docker_available() and compose):
        if FORCED:
            pytest.fail(f"{ENV_BROKER_BACKEND}=docker but no Docker engine or docker-compose")
        pytest.skip("needs a Docker engine and docker-compose")
    port = _free_ports(1)[0]
    project = f"kstreams-wc-{uuid.uuid4().hex[:8]}"
    env = dict(
        os.environ,
        KSTREAMS_KAFKA_IMAGE=kafka_image(),
        KSTREAMS_APP_IMAGE=_app_image(),
        KSTREAMS_KAFKA_PORT=str(port),
    )
    base = [*compose, "-p", project, "-f", str(ROOT / "docker-compose.yml")]

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [*base, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
        )
        if check:
            assert done.returncode == 0, f"{' '.join(args)}: {done.stdout}\n{done.stderr}"
        return done

    def logs() -> str:
        return run("logs", "--no-color", "--tail", "40", check=False).stdout

    try:
        run("up", "-d", "--no-build", "--scale", "app=2")
        bootstrap = f"127.0.0.1:{port}"
        assert wait_for_kafka(bootstrap, timeout=120), logs()

        def both_hold_inputs() -> dict[str, set[int]] | None:
            held = {
                member: {p for t, p in tps if t == INPUT}
                for member, tps in _members(bootstrap).items()
            }
            return held if len(held) == 2 and all(held.values()) else None

        inputs = _wait(
            "both replicas in the group, each holding input partitions", both_hold_inputs, logs=logs
        )
        assert set().union(*inputs.values()) == set(range(PARTITIONS)), inputs

        rng = random.Random(12)
        lines = [" ".join(rng.choices(WORDS, k=rng.randint(1, 8))) for _ in range(400)]
        producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
        for i, line in enumerate(lines):
            producer.produce(INPUT, key=str(i).encode(), value=line.encode())
        assert producer.flush(30) == 0
        expected = dict(collections.Counter(w for line in lines for w in line.split()))

        assert _latest_counts(bootstrap, expected, logs) == expected
        app_logs = run("logs", "--no-color", "app").stdout
        assert app_logs.count("STATE RUNNING") >= 2, app_logs[-4000:]
        assert "Traceback" not in app_logs, app_logs[-4000:]
    finally:
        run("down", "-v", "--remove-orphans", "--timeout", "20", check=False)
        _remove_left_over(project)


def _remove_left_over(project: str) -> None:
    """Containers of ``project`` that ``down`` left (it should leave none), removed by id."""
    import docker

    client = docker.from_env(timeout=30)
    try:
        left = client.containers.list(
            all=True, filters={"label": f"com.docker.compose.project={project}"}
        )
        for container in left:
            container.remove(force=True, v=True)
        assert not left, f"docker-compose down left {[c.name for c in left]}"
    finally:
        client.close()
