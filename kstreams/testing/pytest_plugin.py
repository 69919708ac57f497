"""pytest fixtures for tests against a real Kafka broker.

Registered through the ``pytest11`` entry point ``kstreams`` (see pyproject.toml). Fixtures:

- ``kafka_bootstrap`` (session): ``"host:port"`` of a real broker, started lazily on first use
  and stopped at the end of the session (see :func:`kstreams.testing.broker.open_kafka` for
  where it comes from: ``$KSTREAMS_BOOTSTRAP_SERVERS``, Docker, or a local KRaft broker);
- ``new_topic``: a factory ``new_topic(partitions=1, config=None, name=None) -> str`` that
  creates a uniquely named topic and waits until it is usable; the topics are deleted afterwards;
- ``kafka_broker``: the :class:`~kstreams.testing.broker.LocalKafkaBroker` behind
  ``kafka_bootstrap``, for tests that stop/restart the broker (skipped when another source is
  used). The broker is running again after each such test.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Iterator, Mapping
from typing import Protocol

import pytest

from kstreams.testing.broker import (
    KafkaHandle,
    LocalKafkaBroker,
    admin_client,
    create_topic,
    open_kafka,
)

__all__ = ["NewTopic", "kafka_bootstrap", "kafka_broker", "kstreams_kafka", "new_topic"]

RESTART_SKIP_REASON = (
    "broker restart needs the local KRaft broker; KSTREAMS_BOOTSTRAP_SERVERS/Docker in use"
)


class NewTopic(Protocol):
    """The type of the ``new_topic`` fixture."""

    def __call__(
        self,
        partitions: int = 1,
        config: Mapping[str, str] | None = None,
        name: str | None = None,
    ) -> str:
        """Create a topic (a unique name unless ``name``) and return its name."""
        ...


@pytest.fixture(scope="session")
def kstreams_kafka() -> Iterator[KafkaHandle]:
    """The session's Kafka cluster: address, source (env/docker/local) and local broker if any."""
    with open_kafka() as handle:
        yield handle


@pytest.fixture(scope="session")
def kafka_bootstrap(kstreams_kafka: KafkaHandle) -> str:
    """``"host:port"`` of a real Kafka broker shared by the whole test session."""
    return kstreams_kafka.bootstrap_servers


@pytest.fixture
def kafka_broker(kstreams_kafka: KafkaHandle) -> Iterator[LocalKafkaBroker]:
    """The session's :class:`LocalKafkaBroker`, for stop/restart tests.

    Skipped unless the session runs the local broker. Use ``restart(hard=...)``, ``kill()`` or
    ``stop()`` then ``start()``: all keep the port and the data (never ``close()``, which deletes
    the data). Whatever the test did, the broker is running again afterwards for later tests.
    """
    broker = kstreams_kafka.broker
    if broker is None:
        pytest.skip(RESTART_SKIP_REASON)
    yield broker
    if not broker.is_running:
        broker.start()


def _topic_prefix(node_name: str) -> str:
    cleaned = re.sub(r"[^a-zA-Z0-9._-]+", "-", node_name).strip("-.")
    return (cleaned or "topic")[:120]


@pytest.fixture
def new_topic(kafka_bootstrap: str, request: pytest.FixtureRequest) -> Iterator[NewTopic]:
    """A factory creating topics on ``kafka_bootstrap``; they are deleted after the test.

    ``new_topic(partitions=1, config=None, name=None) -> str``: without ``name`` the topic is
    named after the test plus a random suffix. Returns once every partition has a leader.
    """
    created: list[str] = []
    prefix = _topic_prefix(request.node.name)

    def factory(
        partitions: int = 1,
        config: Mapping[str, str] | None = None,
        name: str | None = None,
    ) -> str:
        topic = name or f"{prefix}-{uuid.uuid4().hex[:8]}"
        create_topic(kafka_bootstrap, topic, partitions, config)
        created.append(topic)
        return topic

    yield factory
    if created:
        _delete_topics(kafka_bootstrap, created)


def _delete_topics(bootstrap: str, topics: list[str]) -> None:
    with contextlib.suppress(Exception):  # best effort: the broker may be down after a chaos test
        admin = admin_client(bootstrap)
        futures = admin.delete_topics(topics, operation_timeout=10, request_timeout=10)
        for future in futures.values():
            with contextlib.suppress(Exception):
                future.result(timeout=15)
