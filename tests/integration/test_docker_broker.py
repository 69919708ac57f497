"""The Docker backend for real: Kafka in testcontainers, with the official image's contract.

Runs where a Docker engine answers (in CI: ``.ci/run`` starts one, and forces the backend with
``KSTREAMS_BROKER_BACKEND=docker``, where a missing engine fails these tests instead of
skipping them). The image is ``$KSTREAMS_KAFKA_IMAGE`` (CI's local build) or ``apache/kafka``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid

import pytest
from confluent_kafka import Consumer

from kstreams.testing.broker import ENV_BROKER_BACKEND, BrokerStartError, KafkaHandle
from kstreams.testing.docker_broker import (
    CONTAINER_LABEL,
    docker_available,
    running_kafka_container,
)

pytestmark = pytest.mark.integration

FORCED = os.environ.get(ENV_BROKER_BACKEND, "").strip().lower() == "docker"
needs_docker = pytest.mark.skipif(
    not FORCED and not docker_available(), reason="no Docker engine answers"
)


def _docker() -> object:
    import docker

    return docker.from_env(timeout=30)


def _containers_of(pid: int) -> list[str]:
    """Ids of the containers (running or not) that process ``pid`` started here."""
    client = _docker()
    try:
        found = client.containers.list(
            all=True, filters={"label": [f"{CONTAINER_LABEL}=kafka", f"org.kstreams.pid={pid}"]}
        )
        return [c.id for c in found]
    finally:
        client.close()


def test_ci_session_broker_is_a_container(kstreams_kafka: KafkaHandle) -> None:
    if not FORCED:
        pytest.skip(f"{ENV_BROKER_BACKEND}=docker is not set: the session broker may be any")
    assert kstreams_kafka.source == "docker"
    assert kstreams_kafka.broker is None
    host, _, port = kstreams_kafka.bootstrap_servers.rpartition(":")
    assert (host, port.isdigit()) == ("127.0.0.1", True)


@needs_docker
@pytest.mark.slow  # a container of its own
def test_kafka_variables_become_server_properties() -> None:
    # The official image's rules: the prefix goes, `_` -> `.`, `___` -> `-`, `__` -> `_`.
    env = {
        "KAFKA_LOG_CLEANER_DELETE_RETENTION_MS": "4321",
        "KAFKA_KSTREAMS___CHECK__ONE_TWO": "x",
    }
    with running_kafka_container(env=env) as container:
        bootstrap = container.get_bootstrap_server()
        code, out = container.get_wrapped_container().exec_run(
            ["cat", "/opt/kafka/config/server.properties"]
        )
        assert code == 0
        props = dict(
            line.split("=", 1) for line in out.decode().splitlines() if "=" in line.strip()
        )
        assert props["log.cleaner.delete.retention.ms"] == "4321"
        assert props["kstreams-check_one.two"] == "x"
        assert props["node.id"] == "1"
        assert props["process.roles"] == "broker,controller"
        assert props["advertised.listeners"].startswith(f"PLAINTEXT://{bootstrap},")

        from confluent_kafka.admin import ConfigResource, ResourceType

        from kstreams.testing.broker import admin_client

        resource = ConfigResource(ResourceType.BROKER, "1")
        admin = admin_client(bootstrap)  # kept: a collected client cancels its requests
        configs = admin.describe_configs([resource])[resource].result(30)
        assert configs["log.cleaner.delete.retention.ms"].value == "4321"


@needs_docker
def test_a_subprocess_reaches_the_container(kafka_bootstrap: str, new_topic) -> None:
    topic = new_topic()
    child = textwrap.dedent(
        f"""
        from confluent_kafka import Producer
        p = Producer({{"bootstrap.servers": {kafka_bootstrap!r}}})
        p.produce({topic!r}, b"from-a-subprocess")
        assert p.flush(30) == 0
        """
    )
    subprocess.run([sys.executable, "-c", child], check=True, timeout=60)
    consumer = Consumer(
        {
            "bootstrap.servers": kafka_bootstrap,
            "group.id": f"check-{uuid.uuid4().hex[:8]}",
            "auto.offset.reset": "earliest",
        }
    )
    try:
        consumer.subscribe([topic])
        deadline = time.monotonic() + 30
        msg = None
        while msg is None and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
        assert msg is not None and msg.error() is None
        assert msg.value() == b"from-a-subprocess"
    finally:
        consumer.close()


@needs_docker
@pytest.mark.slow  # a container of its own
def test_failed_start_names_the_cause_and_removes_the_container() -> None:
    # A controller-only node with an advertised listener: both images' entry points refuse it.
    env = {"KAFKA_PROCESS_ROLES": "controller"}
    before = _containers_of(os.getpid())  # the session's broker may be among them
    with (
        pytest.raises(BrokerStartError, match="not supported on a KRaft controller"),
        running_kafka_container(env=env, startup_timeout=30),
    ):
        pass
    assert _containers_of(os.getpid()) == before


@needs_docker
@pytest.mark.slow  # a container of its own
@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_terminated_session_removes_its_container(how: signal.Signals) -> None:
    child = textwrap.dedent(
        """
        import sys, time
        from kstreams.testing.docker_broker import running_kafka_container
        with running_kafka_container() as container:
            print("READY", container.container_id, flush=True)
            while True:
                time.sleep(0.1)
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", child],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ,
        # a pytest-xdist worker ignores SIGINT, and a child would inherit that
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("READY "), (line, proc.stderr.read() if proc.stderr else "")
        container_id = line.split()[1]
        assert _containers_of(proc.pid) == [container_id]
        proc.send_signal(how)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert _containers_of(proc.pid) == []
