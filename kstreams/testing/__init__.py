"""Testing kstreams applications: the TopologyTestDriver and real Kafka brokers for tests.

* :class:`TopologyTestDriver` runs a topology without Kafka, record by record.
* :func:`kafka_bootstrap_servers` yields the address of a real broker: the one
  named by ``KSTREAMS_BOOTSTRAP_SERVERS``, a testcontainers broker where Docker
  answers, or a local Apache Kafka (KRaft) started from its Maven jars.
* :class:`LocalKafkaCluster` runs a local 3-broker KRaft cluster (replication, broker failures).
* :func:`produce` and :func:`read_topic` write records to a real topic and read one back to a
  list; :class:`StreamsApp` runs a ``KafkaStreams`` in a test until a condition holds.
* The pytest plugin (installed with the package) gives the fixtures ``kafka_bootstrap``,
  ``new_topic``, ``produce``, ``read_topic``, ``streams_app`` and ``kafka_broker``.

Broker and real-topic helpers are imported lazily, so ``python -m kstreams.testing.broker``
stays quiet.
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
_TOPIC_NAMES = {"ConsumedRecord", "ProducedRecord", "produce", "read_topic"}

__all__ = [
    "KAFKA_VERSION",
    "BrokerStartError",
    "ConsumedRecord",
    "EmptyTopicError",
    "LocalKafkaBroker",
    "LocalKafkaCluster",
    "ProducedRecord",
    "StreamsApp",
    "TestInputTopic",
    "TestOutputTopic",
    "TestRecord",
    "TopologyTestDriver",
    "create_topic",
    "kafka_bootstrap_servers",
    "open_kafka",
    "produce",
    "read_topic",
    "wait_for_kafka",
]


def __getattr__(name: str) -> Any:
    if name in _BROKER_NAMES:
        from kstreams.testing import broker

        return getattr(broker, name)
    if name in _TOPIC_NAMES:
        from kstreams.testing import topics

        return getattr(topics, name)
    if name == "LocalKafkaCluster":
        from kstreams.testing.cluster import LocalKafkaCluster

        return LocalKafkaCluster
    if name == "StreamsApp":
        from kstreams.testing.streams_app import StreamsApp

        return StreamsApp
    raise AttributeError(f"module 'kstreams.testing' has no attribute {name!r}")
