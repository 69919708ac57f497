"""With no way to a Kafka broker, a user's test session says so in one sentence.

No ``KSTREAMS_BOOTSTRAP_SERVERS``, no Docker engine, no Java: every test using the plugin's
broker fixtures fails at setup with the sentence of
:func:`kstreams.testing.broker_requirements.missing_broker_requirement`, no traceback. The
session runs in a subprocess, in a project of its own (the plugin comes from the entry point).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kstreams.testing import broker_requirements, docker_broker
from kstreams.testing.broker_requirements import missing_broker_requirement

NO_BROKER = (
    "No Kafka broker for the tests: set KSTREAMS_BOOTSTRAP_SERVERS=host:port to use a running "
    "cluster, start a Docker engine (testcontainers runs Kafka in it), or install Java 17+ and "
    "Maven (a local Kafka broker runs from Apache Kafka's jars)."
)

USER_TESTS = """
def test_uses_the_broker(kafka_bootstrap):
    raise AssertionError("never reached")


def test_uses_a_topic(new_topic, produce):
    raise AssertionError("never reached")


def test_needs_no_broker():
    assert 1 + 1 == 2
"""


def test_no_docker_no_java_gives_one_sentence(tmp_path: Path) -> None:
    (tmp_path / "test_user_app.py").write_text(USER_TESTS)
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("KSTREAMS_", "DOCKER_", "JAVA_HOME", "TESTCONTAINERS_"))
    }
    env.update(
        PATH=str(empty_bin),  # no java, no mvn
        DOCKER_HOST=f"unix://{tmp_path}/no-docker.sock",
        KSTREAMS_CACHE_DIR=str(tmp_path / "cache"),  # no Kafka jars either
    )
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_user_app.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output
    assert "1 passed, 2 errors" in output, output
    assert output.count(NO_BROKER) >= 2, output  # in each test's setup error
    assert "Traceback" not in output and "broker.py" not in output, output


@pytest.fixture
def no_docker(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("KSTREAMS_BOOTSTRAP_SERVERS", "KSTREAMS_BROKER_BACKEND", "KSTREAMS_KAFKA_LIBS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(docker_broker, "docker_available", lambda: False)
    return monkeypatch


def test_java_without_maven_or_jars_names_maven(no_docker, tmp_path: Path) -> None:
    no_docker.setenv("KSTREAMS_CACHE_DIR", str(tmp_path))
    no_docker.setattr(broker_requirements, "_has_java", lambda: True)
    no_docker.setattr(broker_requirements.shutil, "which", lambda name: None)
    sentence = missing_broker_requirement()
    assert sentence is not None and sentence.count(".") >= 1
    assert "install Maven (needed once to fetch Apache Kafka 4.4.0's jars" in sentence
    assert "KSTREAMS_KAFKA_LIBS" in sentence and "KSTREAMS_BOOTSTRAP_SERVERS" in sentence


def test_local_backend_forced_names_the_variable(no_docker, tmp_path: Path) -> None:
    no_docker.setenv("KSTREAMS_BROKER_BACKEND", "local")
    no_docker.setattr(broker_requirements, "_has_java", lambda: False)
    sentence = missing_broker_requirement()
    assert sentence is not None
    assert "unset KSTREAMS_BROKER_BACKEND=local" in sentence and "install Java 17+" in sentence


def test_any_way_to_a_broker_is_enough(no_docker, tmp_path: Path) -> None:
    no_docker.setattr(broker_requirements, "_has_java", lambda: False)
    assert missing_broker_requirement() is not None
    no_docker.setenv("KSTREAMS_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    assert missing_broker_requirement() is None
    no_docker.delenv("KSTREAMS_BOOTSTRAP_SERVERS")
    no_docker.setattr(docker_broker, "docker_available", lambda: True)
    assert missing_broker_requirement() is None
    no_docker.setenv("KSTREAMS_BROKER_BACKEND", "docker")  # its own start says what failed
    assert missing_broker_requirement() is None
