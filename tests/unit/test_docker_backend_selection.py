"""Choosing the broker backend (no broker needed): the docker backend fails loudly, never falls
back; the image is a setting; unknown backends are refused by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from kstreams.testing import docker_broker
from kstreams.testing.broker import (
    ENV_BOOTSTRAP_SERVERS,
    ENV_BROKER_BACKEND,
    ENV_KAFKA_IMAGE,
    BrokerStartError,
    broker_backend,
    open_kafka,
)


@pytest.fixture
def no_engine(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """DOCKER_HOST at a socket where no engine listens; the engine check asked afresh."""
    monkeypatch.delenv(ENV_BOOTSTRAP_SERVERS, raising=False)
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path / 'no-engine.sock'}")
    docker_broker.docker_available.cache_clear()
    yield
    docker_broker.docker_available.cache_clear()


def test_forced_docker_without_an_engine_fails_loudly(
    no_engine: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_BROKER_BACKEND, "docker")
    with (
        pytest.raises(BrokerStartError, match=r"no Docker engine answers.*no-engine\.sock"),
        open_kafka(),
    ):
        pytest.fail("open_kafka must not yield without a broker")


def test_backend_argument_overrides_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_BROKER_BACKEND, "local")
    assert broker_backend("docker") == "docker"
    assert broker_backend() == "local"
    monkeypatch.setenv(ENV_BROKER_BACKEND, " ")
    assert broker_backend() == "auto"


@pytest.mark.parametrize("given", ["podman", "Local-JVM"])
def test_unknown_backend_is_refused_by_name(monkeypatch: pytest.MonkeyPatch, given: str) -> None:
    monkeypatch.setenv(ENV_BROKER_BACKEND, given)
    with pytest.raises(ValueError, match=f"{ENV_BROKER_BACKEND} must be auto, local or docker"):
        broker_backend()
    with pytest.raises(ValueError, match="backend must be auto, local or docker"):
        broker_backend(given)


def test_image_is_a_setting_defaulting_to_the_official_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(ENV_KAFKA_IMAGE, raising=False)
    assert docker_broker.kafka_image() == docker_broker.DOCKER_IMAGE == "apache/kafka:4.4.0"
    monkeypatch.setenv(ENV_KAFKA_IMAGE, "kstreams/kafka:4.4.0-abc")
    assert docker_broker.kafka_image() == "kstreams/kafka:4.4.0-abc"


def test_start_errors_say_what_to_do() -> None:
    class ImageNotFound(Exception):
        pass

    missing = docker_broker._start_error("apache/kafka:4.4.0", ImageNotFound("no such image"))
    assert "make kafka-image" in str(missing) and ENV_KAFKA_IMAGE in str(missing)
    reaper = docker_broker._start_error("x", RuntimeError("could not start ryuk container"))
    assert "TESTCONTAINERS_RYUK_DISABLED=true" in str(reaper)
