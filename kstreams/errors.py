"""Exceptions raised by kstreams.

The hierarchy mirrors Kafka Streams' ``org.apache.kafka.streams.errors`` package:
every error kstreams raises on purpose is a :class:`StreamsError`.
"""

from __future__ import annotations


class StreamsError(Exception):
    """Base class of every error raised by kstreams (Java: ``StreamsException``)."""


class ConfigError(StreamsError, ValueError):
    """A configuration key is unknown or its value is invalid (Java: ``ConfigException``)."""


class TopologyError(StreamsError):
    """The topology is malformed (Java: ``TopologyException``)."""


class SerializationError(StreamsError):
    """A serde could not turn a value into bytes or bytes into a value."""


class DeserializationError(SerializationError):
    """Bytes read from a topic could not be deserialized.

    Carries where the bad record came from so the message names it.
    """

    def __init__(
        self,
        message: str,
        *,
        topic: str | None = None,
        partition: int | None = None,
        offset: int | None = None,
    ) -> None:
        self.topic = topic
        self.partition = partition
        self.offset = offset
        where = ""
        if topic is not None:
            where = f" (topic {topic!r}, partition {partition}, offset {offset})"
        super().__init__(f"{message}{where}")


class MissingSourceTopicError(StreamsError):
    """A source topic of the topology does not exist on the cluster."""


class ProductionError(StreamsError):
    """A record could not be delivered to Kafka."""


class TaskMigratedError(StreamsError):
    """The task was moved to another instance while it was working (Java: ``TaskMigratedException``)."""


class IllegalStateError(StreamsError):
    """An operation was called in a state that does not allow it."""


class ClusterUnreachableError(StreamsError):
    """No broker of ``bootstrap.servers`` answered in time (kstreams; Java times out later)."""


class AuthenticationError(ClusterUnreachableError):
    """A broker refused the client's credentials (SASL) or the TLS handshake failed (Java:
    ``AuthenticationException``); raised by ``start()`` at the first refusal, with librdkafka's
    reason, instead of waiting for the connect timeout."""


class MissingSinkTopicError(StreamsError):
    """An output topic of the topology does not exist on the cluster (checked at start-up)."""
