"""Integration tests of kstreams.testing's real-Kafka helpers (broker, CLI, fixtures)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import ConfigResource, ResourceType
from local_broker_session import local_broker_fixtures

from kstreams.testing.broker import (
    ENV_BOOTSTRAP_SERVERS,
    KAFKA_VERSION,
    BrokerStartError,
    LocalKafkaBroker,
    _pid_alive,
    admin_client,
    kafka_bootstrap_servers,
    wait_for_kafka,
)
from kstreams.testing.broker_env import TEST_BROKER_SETTINGS
from kstreams.testing.docker_broker import DOCKER_IMAGE, docker_available, kafka_container

# Restarts and kills of the broker need the local broker, also where the session runs on Docker.
_local_kafka, _local_bootstrap = local_broker_fixtures()

pytestmark = pytest.mark.integration


def _produce(bootstrap: str, topic: str, records: list[tuple[bytes, bytes]]) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 5})
    errors: list[object] = []

    def on_delivery(err: object, _msg: object) -> None:
        if err is not None:
            errors.append(err)

    for key, value in records:
        producer.produce(topic, value=value, key=key, on_delivery=on_delivery)
    assert producer.flush(30) == 0, "records still in flight after 30s"
    assert not errors, errors


def _consume_all(bootstrap: str, topic: str, expected: int, timeout: float = 30.0) -> list[tuple]:
    """Read ``expected`` records of every partition of ``topic`` from the beginning."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"test-{uuid.uuid4().hex[:8]}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    try:
        consumer.subscribe([topic])
        out: list[tuple] = []
        deadline = time.monotonic() + timeout
        while len(out) < expected and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            assert msg.error() is None, msg.error()
            out.append((msg.partition(), msg.offset(), msg.key(), msg.value()))
        return out
    finally:
        consumer.close()


def test_broker_answers(kafka_bootstrap: str) -> None:
    host, _, port = kafka_bootstrap.rpartition(":")
    assert host and port.isdigit()
    md = admin_client(kafka_bootstrap).list_topics(timeout=10)
    assert md.brokers


def test_produce_consume_round_trip(kafka_bootstrap: str, new_topic) -> None:
    topic = new_topic()
    records = [(f"k{i}".encode(), f"v{i}".encode()) for i in range(20)]
    _produce(kafka_bootstrap, topic, records)
    got = _consume_all(kafka_bootstrap, topic, len(records))
    assert [(k, v) for _, _, k, v in got] == records
    assert [off for _, off, _, _ in got] == list(range(20))


def test_new_topic_creates_partitions_and_config(kafka_bootstrap: str, new_topic) -> None:
    topic = new_topic(partitions=3, config={"cleanup.policy": "compact"})
    other = new_topic(partitions=2, name=f"explicit-{uuid.uuid4().hex[:6]}")
    admin = admin_client(kafka_bootstrap)
    md = admin.list_topics(timeout=10)
    assert len(md.topics[topic].partitions) == 3
    assert len(md.topics[other].partitions) == 2
    assert other.startswith("explicit-")
    assert topic.startswith("test_new_topic_creates_partitions_and_config-")
    resource = ConfigResource(ResourceType.TOPIC, topic)
    configs = admin.describe_configs([resource])[resource].result(timeout=10)
    assert configs["cleanup.policy"].value == "compact"


def test_auto_create_is_disabled(kafka_bootstrap: str, kstreams_kafka) -> None:
    if kstreams_kafka.source != "local":
        pytest.skip("only the local broker's settings are ours")
    topic = f"never-created-{uuid.uuid4().hex[:8]}"
    md = admin_client(kafka_bootstrap).list_topics(topic=topic, timeout=10)
    assert md.topics[topic].error is not None


def test_the_session_broker_runs_the_shared_test_settings(
    kafka_bootstrap: str, kstreams_kafka
) -> None:
    # Local node or Docker container: the same settings, above all log.retention.ms=-1 (with
    # Kafka's 7 days the retention check deleted the records tests write with 2023 timestamps
    # before they were read: an empty output topic once in a while).
    if kstreams_kafka.source not in ("local", "docker"):
        pytest.skip("a broker named by KSTREAMS_BOOTSTRAP_SERVERS runs its own settings")
    admin = admin_client(kafka_bootstrap)
    node = str(admin.list_topics(timeout=10).controller_id)
    resource = ConfigResource(ResourceType.BROKER, node)
    configs = admin.describe_configs([resource])[resource].result(timeout=30)
    assert configs["log.retention.ms"].value == "-1"
    different = {
        key: (value, configs[key].value)
        for key, value in TEST_BROKER_SETTINGS.items()
        if key in configs and configs[key].value != value
    }
    assert different == {}


@pytest.mark.parametrize("how", ["restart", "restart-hard", "stop-start", "kill-start"])
def test_restart_keeps_data(kafka_broker: LocalKafkaBroker, new_topic, how: str) -> None:
    bootstrap = kafka_broker.bootstrap_servers
    topic = new_topic(partitions=2)
    before = [(f"k{i}".encode(), f"before-{i}".encode()) for i in range(10)]
    _produce(bootstrap, topic, before)
    old_port, old_dir = kafka_broker.port, kafka_broker.data_dir

    if how.startswith("restart"):
        kafka_broker.restart(hard=how.endswith("hard"))
    else:
        if how == "stop-start":
            kafka_broker.stop()
        else:
            kafka_broker.kill()
        assert not kafka_broker.is_running
        assert not wait_for_kafka(bootstrap, timeout=1)
        kafka_broker.start()

    assert kafka_broker.is_running
    assert (kafka_broker.port, kafka_broker.data_dir) == (old_port, old_dir)
    assert kafka_broker.bootstrap_servers == bootstrap
    after = [(f"k{i}".encode(), f"after-{i}".encode()) for i in range(5)]
    _produce(bootstrap, topic, after)
    got = _consume_all(bootstrap, topic, len(before) + len(after))
    assert sorted((k, v) for _, _, k, v in got) == sorted(before + after)


def test_restart_keeps_committed_offsets(kafka_broker: LocalKafkaBroker, new_topic) -> None:
    bootstrap = kafka_broker.bootstrap_servers
    topic = new_topic()
    _produce(bootstrap, topic, [(b"k", b"v")] * 3)
    group = f"g-{uuid.uuid4().hex[:8]}"
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
    try:
        consumer.commit(offsets=[TopicPartition(topic, 0, 2)], asynchronous=False)
    finally:
        consumer.close()
    kafka_broker.restart()
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
    try:
        committed = consumer.committed([TopicPartition(topic, 0)], timeout=30)
    finally:
        consumer.close()
    assert committed[0].offset == 2


def test_local_broker_start_failure_reports_log(tmp_path: Path) -> None:
    with socket.socket() as taken:  # the broker's port is already in use: it must fail to start
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        broker = LocalKafkaBroker(port=taken.getsockname()[1], startup_timeout=60)
        with pytest.raises(BrokerStartError) as info:
            broker.start()
        data_dir = broker.data_dir
        assert not broker.is_running
        assert str(broker.log_path) in str(info.value)
        assert "last lines" in str(info.value)
        broker.close()
    assert not data_dir.exists()


def test_bootstrap_env_is_used_as_is(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_BOOTSTRAP_SERVERS, "somewhere.invalid:1234")
    with kafka_bootstrap_servers() as bootstrap:
        assert bootstrap == "somewhere.invalid:1234"


def _cli(*args: str, env: dict[str, str], timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kstreams.testing.broker", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_cli_start_status_stop(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != ENV_BOOTSTRAP_SERVERS}
    state = tmp_path / "state.json"
    opt = ["--state-file", str(state)]
    try:
        started = _cli("start", *opt, env=env)
        assert started.returncode == 0, started.stderr
        lines = started.stdout.splitlines()
        assert len(lines) == 1, started.stdout
        bootstrap = lines[0]
        assert bootstrap.startswith("127.0.0.1:")
        # the CLI process is gone; the broker it started must still answer
        assert wait_for_kafka(bootstrap, timeout=10)
        recorded = json.loads(state.read_text())
        assert recorded["bootstrap_servers"] == bootstrap
        pid, data_dir = recorded["pid"], Path(recorded["data_dir"])
        assert Path(recorded["log_path"]).exists()

        again = _cli("start", *opt, env=env)  # idempotent
        assert (again.returncode, again.stdout.strip()) == (0, bootstrap), again.stderr
        assert json.loads(state.read_text())["pid"] == pid

        status = _cli("status", *opt, env=env)
        assert (status.returncode, status.stdout.strip()) == (0, bootstrap)
    finally:
        stopped = _cli("stop", *opt, env=env)
    assert stopped.returncode == 0, stopped.stderr
    assert not state.exists()
    assert not _pid_alive(pid)
    assert not data_dir.exists()
    status = _cli("status", *opt, env=env)
    assert status.returncode == 1
    assert status.stdout == ""


def test_cli_start_prints_env_bootstrap(tmp_path: Path) -> None:
    env = dict(os.environ, **{ENV_BOOTSTRAP_SERVERS: "broker.example:9092"})
    result = _cli("start", "--state-file", str(tmp_path / "state.json"), env=env)
    assert (result.returncode, result.stdout) == (0, "broker.example:9092\n")
    assert not (tmp_path / "state.json").exists()


@pytest.mark.skipif(not docker_available(), reason="no Docker engine answers")
def test_docker_broker_round_trip() -> None:
    with kafka_container() as bootstrap:
        admin = admin_client(bootstrap)
        from confluent_kafka.admin import NewTopic

        admin.create_topics([NewTopic("docker-check", 1, 1)])["docker-check"].result(timeout=30)
        _produce(bootstrap, "docker-check", [(b"k", b"v")])
        got = _consume_all(bootstrap, "docker-check", 1)
        assert [(k, v) for _, _, k, v in got] == [(b"k", b"v")]


def test_docker_images_match_kafka_version() -> None:
    compose = (Path(__file__).parents[2] / "docker-compose.yml").read_text()
    assert f"image: ${{KSTREAMS_KAFKA_IMAGE:-apache/kafka:{KAFKA_VERSION}}}\n" in compose
    assert DOCKER_IMAGE.endswith(f"/kafka:{KAFKA_VERSION}")
