"""Kafka in Docker through testcontainers: the official ``apache/kafka`` image in KRaft mode.

Used by :func:`kstreams.testing.broker.kafka_bootstrap_servers` when a Docker engine answers.
testcontainers' ``KafkaContainer`` is written for Confluent's ``cp-kafka`` image, so
:class:`ApacheKafkaContainer` keeps its start-up handshake (the container waits for a start script
that knows the mapped port) and configures the ``apache/kafka`` image instead, through its
``KAFKA_*`` environment variables and its ``/etc/kafka/docker/run`` entry point.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from typing import Any

from kstreams.testing.broker import KAFKA_VERSION, wait_for_kafka

__all__ = ["DOCKER_IMAGE", "ApacheKafkaContainer", "docker_available", "kafka_container"]

#: The Docker image, the same Kafka release as the local broker's jars.
DOCKER_IMAGE = f"apache/kafka:{KAFKA_VERSION}"


@functools.lru_cache(maxsize=1)
def docker_available(timeout: float = 2.0) -> bool:
    """Return True if a Docker engine answers a ping within ``timeout`` seconds.

    Needs the ``docker`` package (a testcontainers dependency); the answer is cached for the
    process (``docker_available.cache_clear()`` to ask again).
    """
    try:
        import docker
    except ImportError:
        return False
    try:
        client = docker.from_env(timeout=max(1, round(timeout)))
    except Exception:  # no socket, no DOCKER_HOST, bad TLS settings...
        return False
    try:
        return bool(client.ping())
    except Exception:
        return False
    finally:
        with contextlib.suppress(Exception):
            client.close()


try:  # testcontainers is a test extra: without it docker_available() still answers.
    from testcontainers.community.kafka import KafkaContainer as _KafkaContainer
except ImportError:  # pragma: no cover - older testcontainers, or none
    try:
        from testcontainers.kafka import KafkaContainer as _KafkaContainer  # type: ignore
    except ImportError:
        _KafkaContainer = None  # type: ignore[assignment, misc]

_Base: Any = _KafkaContainer if _KafkaContainer is not None else object


class ApacheKafkaContainer(_Base):
    """testcontainers' ``KafkaContainer``, configured for the ``apache/kafka`` image (KRaft)."""

    def __init__(self, image: str = DOCKER_IMAGE, **kwargs: Any) -> None:
        if _KafkaContainer is None:
            raise ImportError("the Docker broker needs testcontainers: pip install testcontainers")
        super().__init__(
            image=image,
            port=9093,
            wait_strategy_check_string=r".*Kafka Server started.*",
            **kwargs,
        )
        self.kraft_enabled = True
        env = {
            "CLUSTER_ID": self.cluster_id,
            "KAFKA_NODE_ID": "1",
            "KAFKA_BROKER_ID": "1",
            "KAFKA_PROCESS_ROLES": "broker,controller",
            "KAFKA_LISTENERS": (
                "PLAINTEXT://0.0.0.0:9093,BROKER://0.0.0.0:9092,CONTROLLER://0.0.0.0:9094"
            ),
            "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": (
                "PLAINTEXT:PLAINTEXT,BROKER:PLAINTEXT,CONTROLLER:PLAINTEXT"
            ),
            "KAFKA_INTER_BROKER_LISTENER_NAME": "BROKER",
            "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
            "KAFKA_CONTROLLER_QUORUM_VOTERS": "1@localhost:9094",
            "KAFKA_NUM_PARTITIONS": "1",
            "KAFKA_DEFAULT_REPLICATION_FACTOR": "1",
            "KAFKA_MIN_INSYNC_REPLICAS": "1",
            "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": "1",
            "KAFKA_OFFSETS_TOPIC_NUM_PARTITIONS": "4",
            "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": "1",
            "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": "1",
            "KAFKA_TRANSACTION_STATE_LOG_NUM_PARTITIONS": "4",
            "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR": "1",
            "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR": "1",
            "KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS": "0",
            "KAFKA_AUTO_CREATE_TOPICS_ENABLE": "false",
            "KAFKA_HEAP_OPTS": "-Xmx512m -Xms128m",
        }
        for key, value in env.items():
            self.with_env(key, value)

    def configure(self) -> None:
        """Nothing to do: the KRaft settings are environment variables set in ``__init__``."""

    def tc_start(self) -> None:
        """Write the start script: advertise the mapped port, then run the image's entry point."""
        host = self.get_container_host_ip()
        port = self.get_exposed_port(self.port)
        script = (
            "#!/bin/sh\n"
            f"export KAFKA_ADVERTISED_LISTENERS=PLAINTEXT://{host}:{port},BROKER://localhost:9092\n"
            "exec /etc/kafka/docker/run\n"
        )
        self.create_file(script.encode("utf-8"), self.TC_START_SCRIPT)


@contextlib.contextmanager
def kafka_container(image: str = DOCKER_IMAGE, startup_timeout: int = 120) -> Iterator[str]:
    """Run ``image`` (``apache/kafka``, KRaft, single node) and yield its bootstrap address.

    The container is stopped and removed on exit.
    """
    container = ApacheKafkaContainer(image=image)
    container.start(timeout=startup_timeout)
    try:
        bootstrap = container.get_bootstrap_server()
        if not wait_for_kafka(bootstrap, timeout=60):
            raise RuntimeError(f"the Kafka container at {bootstrap} does not answer")
        yield bootstrap
    finally:
        container.stop()
