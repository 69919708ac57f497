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
  more specific prefix wins). They are not checked here: librdkafka checks them
  when the client is created.
* ``topic.`` prefixed keys are internal topic configs (:meth:`StreamsConfig.topic_config`),
  except librdkafka's own ``topic.metadata.*`` / ``topic.blacklist`` client settings.
* Unprefixed librdkafka properties go to the clients they apply to: generic ones
  (``security.protocol``, ``sasl.*``, ``ssl.*``, ``socket.*``, ``client.rack``,
  ``metadata.max.age.ms``, ...) to all clients, consumer-only ones to the consumers,
  producer-only ones (``request.timeout.ms``, ``linger.ms``, ...) to the producer,
  as Java does with consumer/producer config names.
* Anything else raises :class:`ConfigError` with a "did you mean" suggestion.

Settings Kafka Streams must control (``enable.auto.commit``, ``group.id``, under
exactly-once ``isolation.level``, ``enable.idempotence``, ``transactional.id``) are
logged and ignored when a user sets them, as in Java.
"""

from __future__ import annotations

import difflib
import importlib
import logging
import os
import re
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from kstreams.errors import ConfigError
from kstreams.handlers import (
    ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG as _DLQ_KEY,
)
from kstreams.handlers import (
    DefaultProductionExceptionHandler,
    DeserializationExceptionHandler,
    LogAndContinueExceptionHandler,
    LogAndContinueProcessingExceptionHandler,
    LogAndFailExceptionHandler,
    LogAndFailProcessingExceptionHandler,
    ProcessingExceptionHandler,
    ProductionExceptionHandler,
)
from kstreams.serde.base import Serde

__all__ = [
    "CONSUMER_DEFAULTS",
    "PRODUCER_DEFAULTS",
    "RESTORE_CONSUMER_OVERRIDES",
    "StreamsConfig",
]

log = logging.getLogger("kstreams")

# --------------------------------------------------------------------------- #
# Client defaults (throughput knobs; the user's settings always win)
# --------------------------------------------------------------------------- #

CONSUMER_DEFAULTS: dict[str, Any] = {
    # librdkafka waits this long before fetching again once its local queue is
    # full (default 1000 ms); a stream thread drains its queue quickly.
    "fetch.queue.backoff.ms": 20,
}
"""librdkafka settings every kstreams consumer starts from (before user settings)."""

PRODUCER_DEFAULTS: dict[str, Any] = {
    "linger.ms": 5,
    "batch.num.messages": 10000,
    "queue.buffering.max.messages": 100000,
}
"""librdkafka settings the kstreams producer starts from (before user settings).
Java Kafka Streams uses ``linger.ms=100``."""

RESTORE_CONSUMER_OVERRIDES: dict[str, Any] = {
    # Java forces auto.offset.reset=none on restore/global consumers; "error" is
    # librdkafka's equivalent: an out-of-range position is reported as an
    # error event (KafkaError._AUTO_OFFSET_RESET) instead of silently jumping.
    "auto.offset.reset": "error",
}
"""Settings forced on the restore and global consumers after user settings."""

_DEFAULT_COMMIT_INTERVAL_MS = 30000
_EOS_DEFAULT_COMMIT_INTERVAL_MS = 100
_DEFAULT_TRANSACTION_TIMEOUT_MS = 10000
_MASK = "********"

# --------------------------------------------------------------------------- #
# librdkafka 2.x property names, by the clients they apply to (CONFIGURATION.md
# C/P column). Callbacks of the C API are left out; confluent-kafka's Python
# callbacks (error_cb, throttle_cb, stats_cb, oauth_cb, logger) are in.
# --------------------------------------------------------------------------- #

_CLIENT_ALL = frozenset(
    {
        "allow.auto.create.topics", "api.version.fallback.ms", "api.version.request",
        "api.version.request.timeout.ms", "broker.address.family", "broker.address.ttl",
        "broker.version.fallback", "builtin.features", "client.dns.lookup", "client.rack",
        "connections.max.idle.ms", "debug", "enable.metrics.push", "enable.random.seed",
        "enable.sasl.oauthbearer.unsecure.jwt", "enable.ssl.certificate.verification", "error_cb",
        "https.ca.location", "https.ca.pem", "internal.termination.signal",
        "log.connection.close", "log.queue", "log.thread.name", "log_level", "logger",
        "max.in.flight", "max.in.flight.requests.per.connection", "message.copy.max.bytes",
        "message.max.bytes", "metadata.max.age.ms", "metadata.recovery.rebootstrap.trigger.ms",
        "metadata.recovery.strategy", "oauth_cb", "plugin.library.paths",
        "receive.message.max.bytes", "reconnect.backoff.jitter.ms", "reconnect.backoff.max.ms",
        "reconnect.backoff.ms", "retry.backoff.max.ms", "retry.backoff.ms",
        "sasl.kerberos.keytab", "sasl.kerberos.kinit.cmd",
        "sasl.kerberos.min.time.before.relogin", "sasl.kerberos.principal",
        "sasl.kerberos.service.name", "sasl.mechanism", "sasl.mechanisms",
        "sasl.oauthbearer.assertion.algorithm", "sasl.oauthbearer.assertion.claim.aud",
        "sasl.oauthbearer.assertion.claim.exp.seconds", "sasl.oauthbearer.assertion.claim.iss",
        "sasl.oauthbearer.assertion.claim.jti.include",
        "sasl.oauthbearer.assertion.claim.nbf.seconds", "sasl.oauthbearer.assertion.claim.sub",
        "sasl.oauthbearer.assertion.file", "sasl.oauthbearer.assertion.jwt.template.file",
        "sasl.oauthbearer.assertion.private.key.file",
        "sasl.oauthbearer.assertion.private.key.passphrase",
        "sasl.oauthbearer.assertion.private.key.pem",
        "sasl.oauthbearer.client.credentials.client.id",
        "sasl.oauthbearer.client.credentials.client.secret", "sasl.oauthbearer.client.id",
        "sasl.oauthbearer.client.secret", "sasl.oauthbearer.config",
        "sasl.oauthbearer.extensions", "sasl.oauthbearer.grant.type",
        "sasl.oauthbearer.metadata.authentication.type", "sasl.oauthbearer.method",
        "sasl.oauthbearer.scope", "sasl.oauthbearer.sub.claim.name",
        "sasl.oauthbearer.token.endpoint.url", "sasl.password", "sasl.username",
        "security.protocol", "socket.blocking.max.ms", "socket.connection.setup.timeout.ms",
        "socket.keepalive.enable", "socket.max.fails", "socket.nagle.disable",
        "socket.receive.buffer.bytes", "socket.send.buffer.bytes", "socket.timeout.ms",
        "ssl.ca.certificate.stores", "ssl.ca.location", "ssl.ca.pem", "ssl.certificate.location",
        "ssl.certificate.pem", "ssl.cipher.suites", "ssl.crl.location", "ssl.curves.list",
        "ssl.endpoint.identification.algorithm", "ssl.engine.id", "ssl.engine.location",
        "ssl.key.location", "ssl.key.password", "ssl.key.pem", "ssl.keystore.location",
        "ssl.keystore.password", "ssl.providers", "ssl.sigalgs.list", "statistics.interval.ms",
        "stats_cb", "throttle_cb", "topic.blacklist", "topic.metadata.propagation.max.ms",
        "topic.metadata.refresh.fast.cnt", "topic.metadata.refresh.fast.interval.ms",
        "topic.metadata.refresh.interval.ms", "topic.metadata.refresh.sparse",
    }
)  # fmt: skip

_CLIENT_CONSUMER = frozenset(
    {
        "auto.commit.enable", "auto.commit.interval.ms", "auto.offset.reset", "check.crcs",
        "consume.callback.max.messages", "coordinator.query.interval.ms", "enable.auto.commit",
        "enable.auto.offset.store", "enable.partition.eof", "fetch.error.backoff.ms",
        "fetch.max.bytes", "fetch.message.max.bytes", "fetch.min.bytes", "fetch.queue.backoff.ms",
        "fetch.wait.max.ms", "group.id", "group.instance.id", "group.protocol",
        "group.protocol.type", "group.remote.assignor", "heartbeat.interval.ms",
        "isolation.level", "max.partition.fetch.bytes", "max.poll.interval.ms",
        "max.poll.records", "offset.store.method", "offset.store.path",
        "offset.store.sync.interval.ms", "partition.assignment.strategy",
        "queued.max.messages.kbytes", "queued.min.messages", "session.timeout.ms",
    }
)  # fmt: skip

_CLIENT_PRODUCER = frozenset(
    {
        "acks", "batch.num.messages", "batch.size", "compression.codec", "compression.level",
        "compression.type", "delivery.report.only.error", "delivery.timeout.ms",
        "enable.gapless.guarantee", "enable.idempotence", "linger.ms", "message.send.max.retries",
        "message.timeout.ms", "partitioner", "produce.offset.report",
        "queue.buffering.backpressure.threshold", "queue.buffering.max.kbytes",
        "queue.buffering.max.messages", "queue.buffering.max.ms", "queuing.strategy",
        "request.required.acks", "request.timeout.ms", "retries", "sticky.partitioning.linger.ms",
        "transaction.timeout.ms", "transactional.id",
    }
)  # fmt: skip

# Python spellings whose underscores are part of the librdkafka name.
_UNDERSCORE_NAMES = {
    "error.cb": "error_cb",
    "throttle.cb": "throttle_cb",
    "stats.cb": "stats_cb",
    "oauth.cb": "oauth_cb",
    "log.level": "log_level",
}

_SECURITY_PROTOCOLS = ("plaintext", "ssl", "sasl_plaintext", "sasl_ssl")
_TOPIC_NAME = re.compile(r"^[A-Za-z0-9._-]{1,249}$")
_SENSITIVE = ("password", "secret", "passphrase", "private.key", "key.pem", "oauthbearer.config")

# Java keys kstreams knows of but does not implement.
_UNSUPPORTED_JAVA_KEYS = frozenset(
    {
        "upgrade.from", "default.client.supplier", "task.assignor.class",
        "rack.aware.assignment.strategy", "rack.aware.assignment.tags",
        "rack.aware.assignment.traffic_cost", "rack.aware.assignment.non_overlap_cost",
        "dsl.store.suppliers.class", "built.in.metrics.version", "metric.reporters",
        "metrics.num.samples", "metrics.sample.window.ms", "window.size.ms",
        "windowed.inner.class.serde", "default.list.key.serde.inner",
        "default.list.key.serde.type", "default.list.value.serde.inner",
        "default.list.value.serde.type", "receive.buffer.bytes", "send.buffer.bytes",
    }
)  # fmt: skip


def _is_sensitive(key: str) -> bool:
    lowered = key.lower()
    return any(word in lowered for word in _SENSITIVE)


def _invalid(key: str, value: Any, reason: str) -> ConfigError:
    return ConfigError(f"Invalid value {value!r} for configuration {key}: {reason}")


# --------------------------------------------------------------------------- #
# Parsers: (key, raw value) -> parsed value, or ConfigError
# --------------------------------------------------------------------------- #

Parser = Callable[[str, Any], Any]


def _to_int(key: str, value: Any) -> int:
    if isinstance(value, bool):
        raise _invalid(key, value, "expected an integer, not a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            raise _invalid(key, value, "not a valid integer") from None
    raise _invalid(key, value, f"expected an integer, got {type(value).__name__}")


def _int(min_value: int | None = None, *, allow: tuple[int, ...] = ()) -> Parser:
    def parse(key: str, value: Any) -> int:
        number = _to_int(key, value)
        if number in allow:
            return number
        if min_value is not None and number < min_value:
            extra = f" (or {', '.join(map(str, allow))})" if allow else ""
            raise _invalid(key, value, f"value must be at least {min_value}{extra}")
        return number

    return parse


def _string(*, non_empty: bool = False, choices: tuple[str, ...] | None = None) -> Parser:
    def parse(key: str, value: Any) -> str:
        if isinstance(value, os.PathLike):
            value = os.fspath(value)
        if not isinstance(value, str):
            raise _invalid(key, value, f"expected a string, got {type(value).__name__}")
        if non_empty and not value.strip():
            raise _invalid(key, value, "must not be empty")
        if choices is not None and value not in choices:
            raise _invalid(key, value, f"must be one of {', '.join(choices)}")
        return value

    return parse


def _application_id(key: str, value: Any) -> str:
    text = _string(non_empty=True)(key, value)
    if not _TOPIC_NAME.match(text):
        raise _invalid(
            key,
            value,
            "must contain only ASCII letters, digits, '.', '_' and '-' "
            "(it prefixes internal topic names)",
        )
    return text


def _bootstrap_servers(key: str, value: Any) -> str:
    if isinstance(value, (list, tuple)):
        parts = [str(p).strip() for p in value]
    elif isinstance(value, str):
        parts = [p.strip() for p in value.split(",")]
    else:
        raise _invalid(key, value, "expected a 'host:port,...' string or a list of them")
    parts = [p for p in parts if p]
    if not parts:
        raise _invalid(key, value, "at least one broker address is required")
    return ",".join(parts)


_PROCESSING_GUARANTEES = ("at_least_once", "exactly_once_v2")


def _processing_guarantee(key: str, value: Any) -> str:
    text = _string()(key, value)
    if text in ("exactly_once", "exactly_once_beta"):
        raise _invalid(
            key,
            value,
            f"'{text}' was removed in Kafka Streams 4.0; use 'exactly_once_v2' instead",
        )
    if text not in _PROCESSING_GUARANTEES:
        raise _invalid(key, value, f"must be one of {', '.join(_PROCESSING_GUARANTEES)}")
    return text


_OPTIMIZATIONS = (
    "reuse.ktable.source.topics",
    "merge.repartition.topics",
    "single.store.self.join",
)


def _topology_optimization(key: str, value: Any) -> str:
    text = _string()(key, value)
    parts = [p.strip() for p in text.split(",")]
    if ("none" in parts or "all" in parts) and len(parts) > 1:
        raise _invalid(key, value, "'none' and 'all' cannot be combined with other values")
    for part in parts:
        if part not in ("none", "all", *_OPTIMIZATIONS):
            raise _invalid(
                key,
                value,
                f"must be 'none', 'all' or a comma-separated list of {', '.join(_OPTIMIZATIONS)}",
            )
    return ",".join(parts)


def _metrics_level(key: str, value: Any) -> str:
    text = _string()(key, value).upper()
    if text not in ("INFO", "DEBUG", "TRACE"):
        raise _invalid(key, value, "must be one of INFO, DEBUG, TRACE")
    return text


def _dlq_topic(key: str, value: Any) -> str | None:
    if value is None:
        return None
    text = _string()(key, value)
    if not _TOPIC_NAME.match(text):
        raise _invalid(key, value, "not a valid topic name")
    return text


def _serde_spec(key: str, value: Any) -> Any:
    """A Serde instance, a Serde class, an importable name, or None (resolved lazily)."""
    if value is None or isinstance(value, Serde):
        return value
    if isinstance(value, type) and issubclass(value, Serde):
        return value
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise _invalid(key, value, "expected a Serde instance, a Serde class or an importable name")


def _object_spec(key: str, value: Any) -> Any:
    """Any object, class or importable name; None means unset."""
    if value is None or not isinstance(value, str):
        return value
    if not value.strip():
        raise _invalid(key, value, "must not be empty")
    return value.strip()


def _timestamp_extractor_spec(key: str, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        return _object_spec(key, value)
    if isinstance(value, type) or callable(getattr(value, "extract", None)) or callable(value):
        return value
    raise _invalid(
        key, value, "expected an object with extract(record, partition_time), a class or a callable"
    )


def _import_name(path: str) -> Any:
    """Import ``pkg.mod.Name`` or ``pkg.mod:Name``."""
    if ":" in path:
        module_name, _, attr_path = path.partition(":")
        obj: Any = importlib.import_module(module_name)
        for part in attr_path.split("."):
            obj = getattr(obj, part)
        return obj
    parts = path.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for part in parts[cut:]:
                obj = getattr(obj, part)
        except AttributeError:
            continue
        return obj
    raise ImportError(f"cannot import {path!r}")


_JAVA_ERRORS = "org.apache.kafka.streams.errors."

_DESERIALIZATION_HANDLERS: dict[str, type[DeserializationExceptionHandler]] = {
    "log_and_fail": LogAndFailExceptionHandler,
    "log_and_continue": LogAndContinueExceptionHandler,
    "LogAndFailExceptionHandler": LogAndFailExceptionHandler,
    "LogAndContinueExceptionHandler": LogAndContinueExceptionHandler,
    _JAVA_ERRORS + "LogAndFailExceptionHandler": LogAndFailExceptionHandler,
    _JAVA_ERRORS + "LogAndContinueExceptionHandler": LogAndContinueExceptionHandler,
}
_PROCESSING_HANDLERS: dict[str, type[ProcessingExceptionHandler]] = {
    "log_and_fail": LogAndFailProcessingExceptionHandler,
    "log_and_continue": LogAndContinueProcessingExceptionHandler,
    "LogAndFailProcessingExceptionHandler": LogAndFailProcessingExceptionHandler,
    "LogAndContinueProcessingExceptionHandler": LogAndContinueProcessingExceptionHandler,
    _JAVA_ERRORS + "LogAndFailProcessingExceptionHandler": LogAndFailProcessingExceptionHandler,
    _JAVA_ERRORS
    + "LogAndContinueProcessingExceptionHandler": LogAndContinueProcessingExceptionHandler,
}
_PRODUCTION_HANDLERS: dict[str, type[ProductionExceptionHandler]] = {
    "fail": DefaultProductionExceptionHandler,
    "default": DefaultProductionExceptionHandler,
    "DefaultProductionExceptionHandler": DefaultProductionExceptionHandler,
    _JAVA_ERRORS + "DefaultProductionExceptionHandler": DefaultProductionExceptionHandler,
}


def _handler_spec(base: type, aliases: Mapping[str, type]) -> Parser:
    """Resolve a handler given as instance, class, alias or importable name."""

    def parse(key: str, value: Any) -> Any:
        if isinstance(value, base):
            return value
        if isinstance(value, type) and issubclass(value, base):
            return value
        if isinstance(value, str):
            name = value.strip()
            if name in aliases:
                return aliases[name]
            if name.lower() in aliases:
                return aliases[name.lower()]
            try:
                obj = _import_name(name)
            except (ImportError, AttributeError, ValueError) as exc:
                choices = ", ".join(sorted(k for k in aliases if "." not in k))
                raise _invalid(
                    key, value, f"not one of {choices} and not importable ({exc})"
                ) from None
            return parse(key, obj)
        raise _invalid(
            key,
            value,
            f"expected a {base.__name__} instance or subclass, or one of "
            f"{', '.join(sorted(k for k in aliases if '.' not in k))}",
        )

    return parse


# --------------------------------------------------------------------------- #
# The key table
# --------------------------------------------------------------------------- #


@dataclass(frozen=True)
class _Key:
    name: str
    parse: Parser
    default: Any
    doc: str


def _default_state_dir() -> str:
    return os.path.join(tempfile.gettempdir(), "kafka-streams")


_REQUIRED = object()

_KEYS: dict[str, _Key] = {
    k.name: k
    for k in (
        _Key("application.id", _application_id, _REQUIRED,
             "An identifier for the stream processing application. Must be unique within the "
             "Kafka cluster. It is the default client-id prefix, the consumer group id and the "
             "prefix of internal topic names."),
        _Key("bootstrap.servers", _bootstrap_servers, _REQUIRED,
             "host:port pairs of Kafka brokers to connect to first."),
        _Key("client.id", _string(), "",
             "Prefix of the client ids of the internal clients; default <application.id>-<uuid>."),
        _Key("application.server", _string(), "",
             "host:port of a user endpoint for state store discovery (interactive queries)."),
        _Key("processing.guarantee", _processing_guarantee, "at_least_once",
             "at_least_once (default) or exactly_once_v2."),
        _Key("commit.interval.ms", _int(0), None,
             "How often (ms) to commit: 30000, or 100 under exactly_once_v2."),
        _Key("num.stream.threads", _int(1), 1,
             "The number of threads to execute stream processing."),
        _Key("num.standby.replicas", _int(0), 0, "The number of standby replicas for each task."),
        _Key("state.dir", _string(non_empty=True), None,
             "Directory of the state stores; default <tempdir>/kafka-streams. Must be unique per "
             "instance sharing a filesystem."),
        _Key("state.cleanup.delay.ms", _int(0), 600000,
             "How long (ms) to wait before deleting the state of a migrated partition."),
        _Key("poll.ms", _int(0), 100, "The time (ms) to block waiting for input."),
        _Key("max.task.idle.ms", _int(-1), 0,
             "How long (ms) a task waits for data on all its inputs before processing "
             "out of order; -1 never waits."),
        _Key("buffered.records.per.partition", _int(1), 1000,
             "Maximum number of records to buffer per partition."),
        _Key("replication.factor", _int(1, allow=(-1,)), -1,
             "Replication factor of internal topics; -1 uses the broker default."),
        _Key("statestore.cache.max.bytes", _int(0), 10 * 1024 * 1024,
             "Maximum bytes of record caches across all threads."),
        _Key("max.warmup.replicas", _int(1), 2,
             "Maximum number of warmup replicas assigned at once."),
        _Key("acceptable.recovery.lag", _int(0), 10000,
             "Maximum lag (offsets) for a client to count as caught up."),
        _Key("probing.rebalance.interval.ms", _int(60000), 600000,
             "Maximum time (ms) between probing rebalances. At least 1 minute."),
        _Key("repartition.purge.interval.ms", _int(0), _DEFAULT_COMMIT_INTERVAL_MS,
             "How often (ms) to delete consumed records from repartition topics."),
        _Key("task.timeout.ms", _int(0), 300000,
             "How long (ms) a task may stall on internal errors and retries before failing."),
        _Key("topology.optimization", _topology_optimization, "none",
             "'none', 'all' or a comma-separated list of optimizations."),
        _Key("metrics.recording.level", _metrics_level, "INFO", "INFO, DEBUG or TRACE."),
        _Key("log.summary.interval.ms", _int(0), 120000,
             "How often (ms) stream threads log a summary."),
        _Key("windowstore.changelog.additional.retention.ms", _int(0), 24 * 60 * 60 * 1000,
             "Added to window store retention for their changelog topics (clock drift)."),
        _Key("default.dsl.store", _string(choices=("rocksDB", "in_memory")), "rocksDB",
             "Store type DSL operators use by default: rocksDB or in_memory."),
        _Key("default.key.serde", _serde_spec, None,
             "Default serde of keys (instance, class or importable name). No default."),
        _Key("default.value.serde", _serde_spec, None,
             "Default serde of values (instance, class or importable name). No default."),
        _Key("default.timestamp.extractor", _timestamp_extractor_spec, None,
             "Timestamp extractor; None uses the record timestamp and fails on negative ones."),
        _Key("deserialization.exception.handler",
             _handler_spec(DeserializationExceptionHandler, _DESERIALIZATION_HANDLERS),
             LogAndFailExceptionHandler,
             "DeserializationExceptionHandler, or log_and_fail / log_and_continue."),
        _Key("production.exception.handler",
             _handler_spec(ProductionExceptionHandler, _PRODUCTION_HANDLERS),
             DefaultProductionExceptionHandler,
             "ProductionExceptionHandler; default fails."),
        _Key("processing.exception.handler",
             _handler_spec(ProcessingExceptionHandler, _PROCESSING_HANDLERS),
             LogAndFailProcessingExceptionHandler,
             "ProcessingExceptionHandler, or log_and_fail / log_and_continue."),
        _Key(_DLQ_KEY, _dlq_topic, None,
             "Dead letter queue topic the built-in handlers send failed records to (KIP-1034)."),
        _Key("rocksdb.config.setter", _object_spec, None,
             "Object or class customizing RocksDB options of persistent stores."),
    )
}  # fmt: skip

# Deprecated Java keys -> their replacement (Java 4.0 KIP-1056; KIP-770).
_ALIASES = {
    "default.deserialization.exception.handler": "deserialization.exception.handler",
    "default.production.exception.handler": "production.exception.handler",
    "cache.max.bytes.buffering": "statestore.cache.max.bytes",
}

_PREFIXES = (
    "main.consumer.",
    "restore.consumer.",
    "global.consumer.",
    "consumer.",
    "producer.",
    "admin.",
    "topic.",
)


def _python_name_to_key(name: str) -> str:
    """``bootstrap_servers`` -> ``bootstrap.servers``; keeps librdkafka's own underscores."""
    if name in _KEYS or name in _CLIENT_ALL:
        return name
    key = name.replace("_", ".")
    for dotted, real in _UNDERSCORE_NAMES.items():
        if key == dotted or key.endswith("." + dotted):
            key = key[: -len(dotted)] + real
    return key


def _client_value(key: str, value: Any) -> Any:
    """A user value as librdkafka/confluent-kafka accepts it."""
    if isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else str(value)
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if callable(value) or isinstance(value, logging.Logger):  # error_cb, logger, ...
        return value
    raise _invalid(key, value, "expected a string, number, boolean or callback")


def _same(a: Any, b: Any) -> bool:
    return str(a).strip().lower() == str(b).strip().lower()


def _suggest(key: str) -> str:
    candidates = [*_KEYS, *_ALIASES, *_CLIENT_ALL, *_CLIENT_CONSUMER, *_CLIENT_PRODUCER]
    bare = key
    for prefix in _PREFIXES:
        if key.startswith(prefix):
            bare = key[len(prefix) :]
            break
    matches = difflib.get_close_matches(bare, candidates, n=3, cutoff=0.6)
    if not matches:
        return ""
    return " Did you mean " + " or ".join(repr(m) for m in matches) + "?"


# --------------------------------------------------------------------------- #
# StreamsConfig
# --------------------------------------------------------------------------- #


class StreamsConfig:
    """The configuration of a kstreams application (Java: ``StreamsConfig``).

    Build it from a dict of Kafka Streams' dotted keys, from keyword arguments in
    Python spelling (``_`` becomes ``.``), from another :class:`StreamsConfig`,
    or a mix (keyword arguments win)::

        StreamsConfig({"application.id": "app", "bootstrap.servers": "127.0.0.1:9092"})
        StreamsConfig(application_id="app", bootstrap_servers="127.0.0.1:9092")
        StreamsConfig(base_config, num_stream_threads=4)

    The object is immutable. ``config[key]`` and :meth:`get` answer the effective
    value of any key: Streams keys parsed (or their default), other keys as given.

    Raises:
        ConfigError: a required key is missing, a key is unknown, or a value is invalid.
    """

    # -- Java constants ---------------------------------------------------- #
    APPLICATION_ID_CONFIG = "application.id"
    APPLICATION_SERVER_CONFIG = "application.server"
    BOOTSTRAP_SERVERS_CONFIG = "bootstrap.servers"
    CLIENT_ID_CONFIG = "client.id"
    PROCESSING_GUARANTEE_CONFIG = "processing.guarantee"
    AT_LEAST_ONCE = "at_least_once"
    EXACTLY_ONCE_V2 = "exactly_once_v2"
    COMMIT_INTERVAL_MS_CONFIG = "commit.interval.ms"
    NUM_STREAM_THREADS_CONFIG = "num.stream.threads"
    NUM_STANDBY_REPLICAS_CONFIG = "num.standby.replicas"
    STATE_DIR_CONFIG = "state.dir"
    STATE_CLEANUP_DELAY_MS_CONFIG = "state.cleanup.delay.ms"
    POLL_MS_CONFIG = "poll.ms"
    MAX_TASK_IDLE_MS_CONFIG = "max.task.idle.ms"
    BUFFERED_RECORDS_PER_PARTITION_CONFIG = "buffered.records.per.partition"
    REPLICATION_FACTOR_CONFIG = "replication.factor"
    STATESTORE_CACHE_MAX_BYTES_CONFIG = "statestore.cache.max.bytes"
    CACHE_MAX_BYTES_BUFFERING_CONFIG = "cache.max.bytes.buffering"
    MAX_WARMUP_REPLICAS_CONFIG = "max.warmup.replicas"
    ACCEPTABLE_RECOVERY_LAG_CONFIG = "acceptable.recovery.lag"
    PROBING_REBALANCE_INTERVAL_MS_CONFIG = "probing.rebalance.interval.ms"
    REPARTITION_PURGE_INTERVAL_MS_CONFIG = "repartition.purge.interval.ms"
    TASK_TIMEOUT_MS_CONFIG = "task.timeout.ms"
    TOPOLOGY_OPTIMIZATION_CONFIG = "topology.optimization"
    NO_OPTIMIZATION = "none"
    OPTIMIZE = "all"
    REUSE_KTABLE_SOURCE_TOPICS = "reuse.ktable.source.topics"
    MERGE_REPARTITION_TOPICS = "merge.repartition.topics"
    SINGLE_STORE_SELF_JOIN = "single.store.self.join"
    METRICS_RECORDING_LEVEL_CONFIG = "metrics.recording.level"
    LOG_SUMMARY_INTERVAL_MS_CONFIG = "log.summary.interval.ms"
    WINDOW_STORE_CHANGE_LOG_ADDITIONAL_RETENTION_MS_CONFIG = (
        "windowstore.changelog.additional.retention.ms"
    )
    DEFAULT_DSL_STORE_CONFIG = "default.dsl.store"
    ROCKS_DB = "rocksDB"
    IN_MEMORY = "in_memory"
    DEFAULT_KEY_SERDE_CLASS_CONFIG = "default.key.serde"
    DEFAULT_VALUE_SERDE_CLASS_CONFIG = "default.value.serde"
    DEFAULT_TIMESTAMP_EXTRACTOR_CLASS_CONFIG = "default.timestamp.extractor"
    DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG = "deserialization.exception.handler"
    DEFAULT_DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG = (
        "default.deserialization.exception.handler"
    )
    PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG = "production.exception.handler"
    DEFAULT_PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG = "default.production.exception.handler"
    PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG = "processing.exception.handler"
    ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG = _DLQ_KEY
    ROCKSDB_CONFIG_SETTER_CLASS_CONFIG = "rocksdb.config.setter"

    CONSUMER_PREFIX = "consumer."
    MAIN_CONSUMER_PREFIX = "main.consumer."
    RESTORE_CONSUMER_PREFIX = "restore.consumer."
    GLOBAL_CONSUMER_PREFIX = "global.consumer."
    PRODUCER_PREFIX = "producer."
    ADMIN_CLIENT_PREFIX = "admin."
    TOPIC_PREFIX = "topic."

    def __init__(
        self, config: Mapping[str, Any] | StreamsConfig | None = None, /, **kwargs: Any
    ) -> None:
        originals: dict[str, Any] = {}
        if isinstance(config, StreamsConfig):
            originals.update(config._originals)
        elif config is not None:
            if not isinstance(config, Mapping):
                raise ConfigError(
                    f"StreamsConfig expects a mapping of config keys, got {type(config).__name__}"
                )
            for key, value in config.items():
                if not isinstance(key, str):
                    raise ConfigError(f"Configuration keys must be strings, got {key!r}")
                originals[key] = value
        for name, value in kwargs.items():
            originals[_python_name_to_key(name)] = value
        self._originals = originals
        self._values: dict[str, Any] = {}
        self._client: dict[str, Any] = {}  # unprefixed librdkafka properties
        self._prefixed: dict[str, dict[str, Any]] = {p: {} for p in _PREFIXES}
        self._classify_and_parse()
        self._post_process()

    # -- construction ------------------------------------------------------ #

    def _classify_and_parse(self) -> None:
        unknown: list[str] = []
        for key, value in self._originals.items():
            if key in _KEYS or key in _ALIASES:
                continue
            if key in _CLIENT_ALL or key in _CLIENT_CONSUMER or key in _CLIENT_PRODUCER:
                if key == "security.protocol" and not (
                    isinstance(value, str) and value.strip().lower() in _SECURITY_PROTOCOLS
                ):
                    raise _invalid(
                        key,
                        value,
                        f"must be one of {', '.join(p.upper() for p in _SECURITY_PROTOCOLS)}",
                    )
                self._client[key] = _client_value(key, value)
                continue
            prefix = next((p for p in _PREFIXES if key.startswith(p)), None)
            if prefix is not None and len(key) > len(prefix):
                self._prefixed[prefix][key[len(prefix) :]] = _client_value(key, value)
                continue
            unknown.append(key)
        if unknown:
            raise ConfigError("; ".join(self._unknown_message(k) for k in unknown))

        for name, spec in _KEYS.items():
            if name in self._originals:
                self._values[name] = spec.parse(name, self._originals[name])
            elif spec.default is _REQUIRED:
                raise ConfigError(
                    f"Missing required configuration {name!r} which has no default value."
                )
            else:
                self._values[name] = spec.default

        for old, new in _ALIASES.items():
            if old not in self._originals:
                continue
            if new in self._originals:
                log.warning(
                    "Both the deprecated config %r and its replacement %r are set; "
                    "the deprecated one is ignored.",
                    old,
                    new,
                )
                continue
            self._values[new] = _KEYS[new].parse(old, self._originals[old])

    @staticmethod
    def _unknown_message(key: str) -> str:
        if key in _UNSUPPORTED_JAVA_KEYS:
            return (
                f"Configuration {key!r} is a Kafka Streams (Java) setting kstreams does not "
                "support."
            )
        return (
            f"Unknown configuration {key!r}.{_suggest(key)} Client settings must be librdkafka "
            "property names; prefix one with 'consumer.', 'producer.' or 'admin.' to pass it "
            "to that client unchecked, or 'topic.' for internal topic configs."
        )

    def _post_process(self) -> None:
        eos = self.exactly_once
        if self._values["commit.interval.ms"] is None:
            self._values["commit.interval.ms"] = (
                _EOS_DEFAULT_COMMIT_INTERVAL_MS if eos else _DEFAULT_COMMIT_INTERVAL_MS
            )
        if self._values["state.dir"] is None:
            self._values["state.dir"] = _default_state_dir()

        producer_settings = {**self._client, **self._prefixed["producer."]}
        if eos:
            for key in ("max.in.flight.requests.per.connection", "max.in.flight"):
                if key in producer_settings:
                    in_flight = _to_int(key, producer_settings[key])
                    if in_flight > 5:
                        raise _invalid(
                            key, in_flight, "can't exceed 5 when exactly-once processing is enabled"
                        )
            timeout_key = "transaction.timeout.ms"
            timeout = (
                _to_int("producer." + timeout_key, producer_settings[timeout_key])
                if timeout_key in producer_settings
                else _DEFAULT_TRANSACTION_TIMEOUT_MS
            )
            commit = self._values["commit.interval.ms"]
            if timeout < commit:
                raise ConfigError(
                    f"Transaction timeout {timeout} was set lower than streams commit interval "
                    f"{commit}. This will cause ongoing transactions to always time out due to "
                    "inactivity caused by the long commit interval. Lower 'commit.interval.ms' "
                    "or raise 'producer.transaction.timeout.ms'."
                )
        self._warn_non_configurable()

    def _warn_non_configurable(self) -> None:
        eos = self.exactly_once
        consumer_forced: dict[str, Any] = {
            "enable.auto.commit": False,
            "auto.commit.enable": False,
            "enable.auto.offset.store": False,
            "group.protocol": "classic",
        }
        if eos:
            consumer_forced["isolation.level"] = "read_committed"
        sources = {
            "": {k: v for k, v in self._client.items() if k in _CLIENT_CONSUMER},
            **{p: self._prefixed[p] for p in _PREFIXES if "consumer" in p},
        }
        for prefix, settings in sources.items():
            for key, forced in consumer_forced.items():
                if key in settings and not _same(settings[key], forced):
                    self._warn_ignored("consumer", prefix + key, settings[key], forced)
            if "group.id" in settings:
                self._warn_ignored(
                    "consumer", prefix + "group.id", settings["group.id"], "<application.id>"
                )
        producer_sources = {
            "": {k: v for k, v in self._client.items() if k in _CLIENT_PRODUCER},
            "producer.": self._prefixed["producer."],
        }
        for prefix, settings in producer_sources.items():
            if "transactional.id" in settings:
                self._warn_ignored(
                    "producer",
                    prefix + "transactional.id",
                    settings["transactional.id"],
                    "<application.id>-<generated suffix>" if eos else "none",
                )
            if (
                eos
                and "enable.idempotence" in settings
                and not _same(settings["enable.idempotence"], True)
            ):
                self._warn_ignored(
                    "producer", prefix + "enable.idempotence", settings["enable.idempotence"], True
                )

    @staticmethod
    def _warn_ignored(client: str, key: str, value: Any, used: Any) -> None:
        log.warning(
            "Unexpected user-specified %s config %r found. User setting (%r) will be ignored "
            "and the Streams setting (%r) will be used.",
            client,
            key,
            value,
            used,
        )

    # -- generic access ---------------------------------------------------- #

    @classmethod
    def config_names(cls) -> frozenset[str]:
        """The Streams keys this class knows (without client or prefixed keys)."""
        return frozenset(_KEYS) | frozenset(_ALIASES)

    @classmethod
    def doc(cls, key: str) -> str:
        """The documentation of a Streams key.

        Raises:
            KeyError: ``key`` is not a Streams key.
        """
        return _KEYS[_ALIASES.get(key, key)].doc

    def originals(self) -> dict[str, Any]:
        """A copy of the keys and values as the user gave them (unmasked)."""
        return dict(self._originals)

    def get(self, key: str, default: Any = None) -> Any:
        """The effective value of ``key``: parsed Streams value, or the user's value.

        Known Streams keys answer their default when unset; other keys answer
        ``default`` when unset.
        """
        try:
            return self[key]
        except KeyError:
            return default

    def __getitem__(self, key: str) -> Any:
        if key in _KEYS:
            return self._values[key]
        if key in _ALIASES:
            return self._values[_ALIASES[key]]
        if key in self._originals:
            return self._originals[key]
        raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        """True if ``config[key]`` has a value: a Streams key, or a key the user set."""
        return key in _KEYS or key in _ALIASES or key in self._originals

    def __eq__(self, other: object) -> bool:
        if isinstance(other, StreamsConfig):
            return self._originals == other._originals
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        shown = {
            key: (_MASK if _is_sensitive(key) and value is not None else value)
            for key, value in self._originals.items()
        }
        return f"{type(self).__name__}({shown!r})"

    __str__ = __repr__

    # -- typed properties -------------------------------------------------- #

    @property
    def application_id(self) -> str:
        """``application.id``: group id and internal topic prefix."""
        return str(self._values["application.id"])

    @property
    def bootstrap_servers(self) -> str:
        """``bootstrap.servers`` as a comma-separated string."""
        return str(self._values["bootstrap.servers"])

    @property
    def client_id(self) -> str:
        """``client.id`` as configured ("" when unset; the runtime derives one)."""
        return str(self._values["client.id"])

    @property
    def application_server(self) -> str:
        """``application.server`` ("" when unset)."""
        return str(self._values["application.server"])

    @property
    def processing_guarantee(self) -> str:
        """``processing.guarantee``: ``at_least_once`` or ``exactly_once_v2``."""
        return str(self._values["processing.guarantee"])

    @property
    def exactly_once(self) -> bool:
        """True under ``exactly_once_v2``."""
        return self._values["processing.guarantee"] == self.EXACTLY_ONCE_V2

    @property
    def commit_interval_ms(self) -> int:
        """``commit.interval.ms`` (30000, or 100 under exactly-once unless set)."""
        return int(self._values["commit.interval.ms"])

    @property
    def num_stream_threads(self) -> int:
        """``num.stream.threads``."""
        return int(self._values["num.stream.threads"])

    @property
    def num_standby_replicas(self) -> int:
        """``num.standby.replicas``."""
        return int(self._values["num.standby.replicas"])

    @property
    def state_dir(self) -> str:
        """``state.dir`` (default ``<tempdir>/kafka-streams``)."""
        return str(self._values["state.dir"])

    @property
    def state_cleanup_delay_ms(self) -> int:
        """``state.cleanup.delay.ms``."""
        return int(self._values["state.cleanup.delay.ms"])

    @property
    def poll_ms(self) -> int:
        """``poll.ms``: how long a poll blocks waiting for input."""
        return int(self._values["poll.ms"])

    @property
    def max_task_idle_ms(self) -> int:
        """``max.task.idle.ms`` (-1: never wait for other inputs)."""
        return int(self._values["max.task.idle.ms"])

    @property
    def buffered_records_per_partition(self) -> int:
        """``buffered.records.per.partition``: pause a partition above this many records."""
        return int(self._values["buffered.records.per.partition"])

    @property
    def replication_factor(self) -> int:
        """``replication.factor`` of internal topics (-1: broker default)."""
        return int(self._values["replication.factor"])

    @property
    def statestore_cache_max_bytes(self) -> int:
        """``statestore.cache.max.bytes`` (or deprecated ``cache.max.bytes.buffering``)."""
        return int(self._values["statestore.cache.max.bytes"])

    @property
    def repartition_purge_interval_ms(self) -> int:
        """``repartition.purge.interval.ms``."""
        return int(self._values["repartition.purge.interval.ms"])

    @property
    def task_timeout_ms(self) -> int:
        """``task.timeout.ms``."""
        return int(self._values["task.timeout.ms"])

    @property
    def topology_optimizations(self) -> frozenset[str]:
        """The optimizations enabled by ``topology.optimization`` ("all" expanded)."""
        parts = str(self._values["topology.optimization"]).split(",")
        if "all" in parts:
            return frozenset(_OPTIMIZATIONS)
        return frozenset(p for p in parts if p != "none")

    @property
    def window_store_changelog_additional_retention_ms(self) -> int:
        """``windowstore.changelog.additional.retention.ms``."""
        return int(self._values["windowstore.changelog.additional.retention.ms"])

    @property
    def dead_letter_queue_topic(self) -> str | None:
        """``errors.dead.letter.queue.topic.name``, or None."""
        topic = self._values[_DLQ_KEY]
        return None if topic is None else str(topic)

    # -- serdes, handlers, extractor --------------------------------------- #

    def default_key_serde(self) -> Serde[Any]:
        """The ``default.key.serde`` as an instance.

        Raises:
            ConfigError: none is configured (as Java), or it cannot be resolved.
        """
        return self._serde(self.DEFAULT_KEY_SERDE_CLASS_CONFIG, "key")

    def default_value_serde(self) -> Serde[Any]:
        """The ``default.value.serde`` as an instance.

        Raises:
            ConfigError: none is configured (as Java), or it cannot be resolved.
        """
        return self._serde(self.DEFAULT_VALUE_SERDE_CLASS_CONFIG, "value")

    def _serde(self, key: str, what: str) -> Serde[Any]:
        spec = self._values[key]
        if spec is None:
            const = f"DEFAULT_{what.upper()}_SERDE_CLASS_CONFIG"
            raise ConfigError(
                f"Please specify a {what} serde or set one through StreamsConfig#{const} ({key!r})"
            )
        if isinstance(spec, str):
            spec = self._resolve_serde_name(key, spec)
        if isinstance(spec, Serde):
            return spec
        try:
            return spec()
        except Exception as exc:
            raise ConfigError(f"Failed to configure {what} serde {spec!r}: {exc}") from exc

    @staticmethod
    def _resolve_serde_name(key: str, name: str) -> Any:
        java_prefix = "org.apache.kafka.common.serialization.Serdes"
        simple = None
        if name.startswith(java_prefix):
            simple = name[len(java_prefix) :].lstrip("$.")
        elif "." not in name and ":" not in name:
            simple = name
        try:
            if simple is not None:
                primitives = importlib.import_module("kstreams.serde.primitives")
                obj = getattr(primitives, simple)
            else:
                obj = _import_name(name)
        except (ImportError, AttributeError) as exc:
            raise _invalid(key, name, f"cannot resolve serde ({exc})") from None
        if isinstance(obj, Serde) or (isinstance(obj, type) and issubclass(obj, Serde)):
            return obj
        raise _invalid(key, name, "does not name a Serde")

    @property
    def deserialization_exception_handler(self) -> DeserializationExceptionHandler:
        """A configured deserialization exception handler (new instance if given a class)."""
        return self._handler("deserialization.exception.handler")

    @property
    def production_exception_handler(self) -> ProductionExceptionHandler:
        """A configured production exception handler (new instance if given a class)."""
        return self._handler("production.exception.handler")

    @property
    def processing_exception_handler(self) -> ProcessingExceptionHandler:
        """A configured processing exception handler (new instance if given a class)."""
        return self._handler("processing.exception.handler")

    def _handler(self, key: str) -> Any:
        spec = self._values[key]
        handler = spec() if isinstance(spec, type) else spec
        configs = dict(self._originals)
        configs[_DLQ_KEY] = self.dead_letter_queue_topic
        handler.configure(configs)
        return handler

    @property
    def timestamp_extractor(self) -> Any | None:
        """``default.timestamp.extractor``: an object with ``extract(record, partition_time)``.

        None means the default: use the record's timestamp and fail on an
        invalid (negative) one. A plain function is wrapped so it has ``extract``.

        Raises:
            ConfigError: a named extractor cannot be imported or instantiated.
        """
        spec = self._values["default.timestamp.extractor"]
        if spec is None:
            return None
        key = self.DEFAULT_TIMESTAMP_EXTRACTOR_CLASS_CONFIG
        if isinstance(spec, str):
            java_prefix = "org.apache.kafka.streams.processor."
            name = spec
            if name.startswith(java_prefix):
                name = "kstreams.processor.timestamps." + name[len(java_prefix) :]
            try:
                spec = _import_name(name)
            except (ImportError, AttributeError) as exc:
                raise _invalid(key, self._values[key], f"cannot import ({exc})") from None
        if isinstance(spec, type):
            try:
                spec = spec()
            except Exception as exc:
                raise _invalid(key, self._values[key], f"cannot instantiate ({exc})") from exc
        if callable(getattr(spec, "extract", None)):
            return spec
        if callable(spec):
            return _FunctionTimestampExtractor(spec)
        raise _invalid(key, self._values[key], "has no extract(record, partition_time) method")

    @property
    def rocksdb_config_setter(self) -> Any | None:
        """``rocksdb.config.setter`` (an object, class or importable name), or None."""
        spec = self._values["rocksdb.config.setter"]
        if isinstance(spec, str):
            try:
                return _import_name(spec)
            except (ImportError, AttributeError) as exc:
                raise _invalid("rocksdb.config.setter", spec, f"cannot import ({exc})") from None
        return spec

    # -- client configs ---------------------------------------------------- #

    def _client_settings(self, scope: frozenset[str]) -> dict[str, Any]:
        return {k: v for k, v in self._client.items() if k in _CLIENT_ALL or k in scope}

    def _consumer_base(self, prefix: str) -> dict[str, Any]:
        conf: dict[str, Any] = {}
        conf.update(CONSUMER_DEFAULTS)
        conf["auto.offset.reset"] = "earliest"
        conf["allow.auto.create.topics"] = False
        conf["isolation.level"] = "read_committed" if self.exactly_once else "read_uncommitted"
        conf.update(self._client_settings(_CLIENT_CONSUMER))
        conf.update(self._prefixed[self.CONSUMER_PREFIX])
        conf.update(self._prefixed[prefix])
        # Settings Kafka Streams controls.
        conf.pop("auto.commit.enable", None)
        conf["enable.auto.commit"] = False
        conf["enable.auto.offset.store"] = False
        conf["group.protocol"] = "classic"
        if self.exactly_once:
            conf["isolation.level"] = "read_committed"
        conf["bootstrap.servers"] = self.bootstrap_servers
        return conf

    def main_consumer_config(
        self, group_id: str, client_id: str, thread_index: int | None = None
    ) -> dict[str, Any]:
        """librdkafka settings of a stream thread's main consumer.

        Precedence, lowest first: :data:`CONSUMER_DEFAULTS`, Streams defaults
        (``auto.offset.reset=earliest``, isolation level), unprefixed client
        settings, ``consumer.``, ``main.consumer.``; then what Streams controls:
        ``group.id``, ``client.id``, no auto commit / offset store,
        ``partition.assignment.strategy=range``, ``read_committed`` under EOS.

        Args:
            group_id: The consumer group (the application id).
            client_id: The consumer's client id.
            thread_index: Suffixes a user ``group.instance.id`` so threads differ.
        """
        conf = self._consumer_base(self.MAIN_CONSUMER_PREFIX)
        conf["group.id"] = group_id
        conf["client.id"] = client_id
        conf["partition.assignment.strategy"] = "range"
        instance_id = conf.get("group.instance.id")
        if instance_id is not None and thread_index is not None:
            conf["group.instance.id"] = f"{instance_id}-{thread_index}"
        return conf

    def restore_consumer_config(self, client_id: str) -> dict[str, Any]:
        """librdkafka settings of the restore consumer (``assign()`` only, never commits).

        librdkafka wants a ``group.id`` even for ``assign()``; it gets
        ``<application.id>-restore-consumer``. ``restore.consumer.`` settings win
        over ``consumer.`` ones; :data:`RESTORE_CONSUMER_OVERRIDES` applies last.
        """
        conf = self._consumer_base(self.RESTORE_CONSUMER_PREFIX)
        conf.pop("group.instance.id", None)
        conf.update(RESTORE_CONSUMER_OVERRIDES)
        conf["group.id"] = f"{self.application_id}-restore-consumer"
        conf["client.id"] = client_id
        return conf

    def global_consumer_config(self, client_id: str) -> dict[str, Any]:
        """librdkafka settings of the global-table consumer (``assign()`` only).

        Like :meth:`restore_consumer_config` with the ``global.consumer.`` prefix,
        group ``<application.id>-global-consumer`` and client id
        ``<client_id>-global-consumer`` (as Java).
        """
        conf = self._consumer_base(self.GLOBAL_CONSUMER_PREFIX)
        conf.pop("group.instance.id", None)
        conf.update(RESTORE_CONSUMER_OVERRIDES)
        conf["group.id"] = f"{self.application_id}-global-consumer"
        conf["client.id"] = f"{client_id}-global-consumer"
        return conf

    def producer_config(
        self, client_id: str, transactional_id: str | None = None
    ) -> dict[str, Any]:
        """librdkafka settings of a producer.

        Precedence, lowest first: :data:`PRODUCER_DEFAULTS`,
        ``partitioner=murmur2_random`` (Java's default partitioner), under EOS
        ``transaction.timeout.ms=10000``; unprefixed client settings;
        ``producer.``; then what Streams controls: ``client.id``, under EOS
        ``enable.idempotence=True`` and ``transactional.id`` (when given).

        Args:
            client_id: The producer's client id.
            transactional_id: The transactional id (exactly-once only).
        """
        conf: dict[str, Any] = {}
        conf.update(PRODUCER_DEFAULTS)
        conf["partitioner"] = "murmur2_random"
        if self.exactly_once:
            conf["transaction.timeout.ms"] = _DEFAULT_TRANSACTION_TIMEOUT_MS
        conf.update(self._client_settings(_CLIENT_PRODUCER))
        conf.update(self._prefixed[self.PRODUCER_PREFIX])
        conf.pop("transactional.id", None)
        if self.exactly_once:
            conf["enable.idempotence"] = True
        if transactional_id is not None:
            conf["transactional.id"] = transactional_id
        conf["bootstrap.servers"] = self.bootstrap_servers
        conf["client.id"] = client_id
        return conf

    def admin_config(self, client_id: str) -> dict[str, Any]:
        """librdkafka settings of the admin client: generic client settings, then ``admin.``."""
        conf: dict[str, Any] = self._client_settings(frozenset())
        conf.update(self._prefixed[self.ADMIN_CLIENT_PREFIX])
        conf["bootstrap.servers"] = self.bootstrap_servers
        conf["client.id"] = client_id
        return conf

    def topic_config(self) -> dict[str, str]:
        """Configs for internal topics: the ``topic.`` keys, prefix stripped, values as text."""
        return {
            key: _topic_value(value) for key, value in self._prefixed[self.TOPIC_PREFIX].items()
        }

    # -- prefix helpers (Java statics) ------------------------------------- #

    @staticmethod
    def consumer_prefix(prop: str) -> str:
        """``"consumer." + prop``."""
        return StreamsConfig.CONSUMER_PREFIX + prop

    @staticmethod
    def main_consumer_prefix(prop: str) -> str:
        """``"main.consumer." + prop``."""
        return StreamsConfig.MAIN_CONSUMER_PREFIX + prop

    @staticmethod
    def restore_consumer_prefix(prop: str) -> str:
        """``"restore.consumer." + prop``."""
        return StreamsConfig.RESTORE_CONSUMER_PREFIX + prop

    @staticmethod
    def global_consumer_prefix(prop: str) -> str:
        """``"global.consumer." + prop``."""
        return StreamsConfig.GLOBAL_CONSUMER_PREFIX + prop

    @staticmethod
    def producer_prefix(prop: str) -> str:
        """``"producer." + prop``."""
        return StreamsConfig.PRODUCER_PREFIX + prop

    @staticmethod
    def admin_client_prefix(prop: str) -> str:
        """``"admin." + prop``."""
        return StreamsConfig.ADMIN_CLIENT_PREFIX + prop

    @staticmethod
    def topic_prefix(prop: str) -> str:
        """``"topic." + prop``."""
        return StreamsConfig.TOPIC_PREFIX + prop


def _topic_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class _FunctionTimestampExtractor:
    """Gives a plain ``(record, partition_time) -> int`` function an ``extract`` method."""

    def __init__(self, function: Callable[[Any, int], int]) -> None:
        self._function = function

    def extract(self, record: Any, partition_time: int) -> int:
        """Call the wrapped function."""
        return self._function(record, partition_time)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._function!r})"
