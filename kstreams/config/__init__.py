"""Configuration of a kstreams application: :class:`StreamsConfig`.

Keys, defaults and validation follow Java's ``org.apache.kafka.streams.StreamsConfig``
(Kafka 4.x). Client settings are librdkafka property names, routed like Java
routes consumer/producer/admin settings::

    config = StreamsConfig({
        "application.id": "word-count",
        "bootstrap.servers": "127.0.0.1:9092",
        "processing.guarantee": "exactly_once_v2",
        "security.protocol": "SASL_SSL",      # unprefixed client setting: every client
        "consumer.fetch.min.bytes": 1024,     # every consumer
        "main.consumer.fetch.wait.max.ms": 50,  # the main consumer only, wins over consumer.
        "producer.linger.ms": 20,             # the producer only
        "topic.min.insync.replicas": 2,       # internal (changelog/repartition) topics
    })
    # or, in Python spelling:
    config = StreamsConfig(application_id="word-count", bootstrap_servers="127.0.0.1:9092")

Routing of keys:

* Streams keys (``application.id``, ``commit.interval.ms``, ...) are parsed, coerced
  (``"100"`` -> ``100``) and validated; a bad value raises :class:`ConfigError`
  naming the key and the value.
* ``consumer.``, ``main.consumer.``, ``restore.consumer.``, ``global.consumer.``,
  ``producer.`` and ``admin.`` prefixed keys go, stripped, to those clients (the
  more specific prefix wins). Each must be a librdkafka property of that client
  (``consumer.acks`` is refused: a producer property); an unknown one raises
  :class:`ConfigError` naming it with its prefix and close matches.
* ``topic.`` prefixed keys are internal topic configs (:meth:`StreamsConfig.topic_config`),
  except librdkafka's own ``topic.metadata.*`` / ``topic.blacklist`` client settings.
* Unprefixed librdkafka properties go to the clients they apply to: generic ones
  (``security.protocol``, ``sasl.*``, ``ssl.*``, ``socket.*``, ``client.rack``,
  ``metadata.max.age.ms``, ...) to all clients, consumer-only ones to the consumers,
  producer-only ones (``request.timeout.ms``, ``linger.ms``, ...) to the producer,
  as Java does with consumer/producer config names.
* Anything else raises :class:`ConfigError` with a "did you mean" suggestion.

Kafka Streams keys kstreams knows but does not implement (``max.warmup.replicas``,
``state.cleanup.delay.ms``, ...) are refused with a
:class:`ConfigError` saying why and what to do, unless set to the value kstreams' fixed
behaviour equals (one table: ``unsupported``). Client settings kstreams controls
(``enable.auto.commit``, ``group.id``, ``group.protocol``, ``partition.assignment.strategy``,
prefixed ``client.id`` / ``bootstrap.servers``, ``transactional.id``, under exactly-once
``isolation.level`` and ``enable.idempotence``) are refused when a user's value conflicts,
never replaced silently (``controlled``). The producer is idempotent under at_least_once too
(Kafka Streams' default since 3.0) unless ``producer.enable.idempotence`` is false; settings
that conflict with it (``acks`` other than all, ``max.in.flight`` > 5, ...) are refused.

The package's modules: ``streams_config`` (:class:`StreamsConfig`: parsing, validation,
access), ``keys`` (the table of Streams keys), ``parsers`` (their value parsers),
``unsupported`` (the known but unsupported keys), ``client_properties`` (librdkafka property
names by client), ``controlled`` (the client settings kstreams controls), ``client_configs``
(the clients' configs built from a StreamsConfig) and ``plugins`` (serdes, handlers and the
timestamp extractor resolved).
"""

from __future__ import annotations

from kstreams.config.client_configs import (
    CONSUMER_DEFAULTS,
    PRODUCER_DEFAULTS,
    RESTORE_CONSUMER_OVERRIDES,
)
from kstreams.config.streams_config import StreamsConfig

__all__ = [
    "CONSUMER_DEFAULTS",
    "PRODUCER_DEFAULTS",
    "RESTORE_CONSUMER_OVERRIDES",
    "StreamsConfig",
]
