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


class SendError(ProductionError):
    """One record could not be sent: the broker (or the producer) refused it.

    What the production exception handler is told about a record that failed to be sent
    (Java: the producer's exception, e.g. ``RecordTooLargeException``).

    Attributes:
        topic: The record's topic.
        partition: Its partition, or None when the partitioner had not chosen one yet.
        code: librdkafka's name of the error (e.g. ``MSG_SIZE_TOO_LARGE``).
        kafka_error: The confluent-kafka ``KafkaError``, when the client reported one.
    """

    def __init__(
        self,
        message: str,
        *,
        topic: str,
        partition: int | None,
        code: str,
        kafka_error: object = None,
    ) -> None:
        super().__init__(message)
        self.topic = topic
        self.partition = partition
        self.code = code
        self.kafka_error = kafka_error


class RecordTooLargeError(SendError):
    """A record is bigger than its topic accepts (``max.message.bytes``) or the producer's
    ``message.max.bytes``; found before it was sent (Java: ``RecordTooLargeException``).

    Attributes:
        size: The record's size in bytes (a batch holding it alone, uncompressed).
        limit: The largest size accepted.
    """

    def __init__(
        self, message: str, *, topic: str, partition: int | None, size: int, limit: int
    ) -> None:
        super().__init__(message, topic=topic, partition=partition, code="MSG_SIZE_TOO_LARGE")
        self.size = size
        self.limit = limit
