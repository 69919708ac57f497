"""Whether this machine can give the tests a Kafka broker at all, and if not, one sentence why.

:func:`missing_broker_requirement` looks, without starting anything, at the three ways
:func:`kstreams.testing.broker.open_kafka` finds a broker (``$KSTREAMS_BOOTSTRAP_SERVERS``, a
Docker engine for testcontainers, a local broker from Java and Kafka's jars) and answers None
when one of them can work, else the sentence that says what to install or which variable to set.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from kstreams.testing.broker_env import (
    ENV_BOOTSTRAP_SERVERS,
    ENV_BROKER_BACKEND,
    ENV_KAFKA_LIBS,
    KAFKA_VERSION,
    cache_dir,
)

__all__ = ["missing_broker_requirement"]


def _has_java() -> bool:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").exists():
        return True
    return shutil.which("java") is not None


def _has_kafka_jars() -> bool:
    """The jars are there (given, or cached) or Maven can fetch them."""
    if os.environ.get(ENV_KAFKA_LIBS):
        return True  # kafka_libs_dir() says clearly when that directory holds no Kafka jars
    if (cache_dir() / f"kafka-{KAFKA_VERSION}" / "libs").is_dir():
        return True
    return shutil.which("mvn") is not None


def missing_broker_requirement() -> str | None:
    """None if a broker can be had; else one sentence naming what to install or set.

    Docker is asked only when the backend allows it (``$KSTREAMS_BROKER_BACKEND`` ``auto``, the
    default); with ``docker`` forced (or a bad value) :func:`~kstreams.testing.broker.open_kafka`
    reports its own failure.
    """
    if os.environ.get(ENV_BOOTSTRAP_SERVERS, "").strip():
        return None
    backend = os.environ.get(ENV_BROKER_BACKEND, "auto").strip().lower() or "auto"
    if backend not in ("auto", "local"):
        return None  # docker forced (its start reports its own failure), or a bad value
    if backend == "auto":
        from kstreams.testing.docker_broker import docker_available

        if docker_available():
            return None
    java, jars = _has_java(), _has_kafka_jars()
    if java and jars:
        return None
    if not java:
        local = "install Java 17+ and Maven (a local Kafka broker runs from Apache Kafka's jars)"
    else:
        local = (
            f"install Maven (needed once to fetch Apache Kafka {KAFKA_VERSION}'s jars; or set "
            f"{ENV_KAFKA_LIBS} to a directory of them)"
        )
    docker = (
        "start a Docker engine (testcontainers runs Kafka in it), "
        if backend == "auto"
        else f"unset {ENV_BROKER_BACKEND}=local to let testcontainers use Docker, "
    )
    return (
        f"No Kafka broker for the tests: set {ENV_BOOTSTRAP_SERVERS}=host:port to use a "
        f"running cluster, {docker}or {local}."
    )
