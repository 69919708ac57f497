"""Testing kstreams applications: the TopologyTestDriver and real Kafka brokers for tests.

* :class:`TopologyTestDriver` runs a topology without Kafka, record by record.
* :func:`kafka_bootstrap_servers` yields the address of a real broker: the one
  named by ``KSTREAMS_BOOTSTRAP_SERVERS``, a testcontainers broker where Docker
  answers, or a local Apache Kafka (KRaft) started from its Maven jars.
* The pytest plugin (installed with the package) gives the fixtures
  ``kafka_bootstrap``, ``new_topic`` and ``kafka_broker``.

Broker helpers are imported lazily, so ``python -m kstreams.testing.broker`` stays quiet.
"""

from __future__ import annotations

from typing import Any

from kstreams.testing.driver import (
    EmptyTopicError,
    TestInputTopic,
    TestOutputTopic,
    TestRecord,
    TopologyTestDriver,
)

_BROKER_NAMES = {
    "BrokerStartError",
    "KAFKA_VERSION",
    "LocalKafkaBroker",
    "create_topic",
    "kafka_bootstrap_servers",
    "open_kafka",
    "wait_for_kafka",
}

__all__ = [
    "KAFKA_VERSION",
    "BrokerStartError",
    "EmptyTopicError",
    "LocalKafkaBroker",
    "TestInputTopic",
    "TestOutputTopic",
    "TestRecord",
    "TopologyTestDriver",
    "create_topic",
    "kafka_bootstrap_servers",
    "open_kafka",
    "wait_for_kafka",
]


def __getattr__(name: str) -> Any:
    if name in _BROKER_NAMES:
        from kstreams.testing import broker

        return getattr(broker, name)
    raise AttributeError(f"module 'kstreams.testing' has no attribute {name!r}")
