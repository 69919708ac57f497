"""Which librdkafka properties go to which client, and how a user value is handed over.

:class:`~kstreams.config.StreamsConfig` routes an unprefixed librdkafka property to the clients
it applies to: generic ones to every client, consumer-only ones to the consumers, producer-only
ones to the producer, as Java routes consumer/producer config names.
"""

from __future__ import annotations

import difflib
import logging
import os
from typing import Any

from kstreams.config.parsers import _invalid

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


# Which librdkafka properties each client prefix accepts. ``bootstrap.servers`` and
# ``client.id`` are librdkafka properties too (kept out of _CLIENT_ALL because they are Streams
# keys), and so are confluent-kafka's per-client callbacks (``on_commit``, ``on_delivery``);
# under a prefix kstreams/config/controlled.py refuses what kstreams controls with its own message.
_CONSUMER_SCOPE = _CLIENT_ALL | _CLIENT_CONSUMER | {"bootstrap.servers", "client.id", "on_commit"}
_PREFIX_SCOPES: dict[str, tuple[str, frozenset[str]]] = {
    "consumer.": ("consumer", _CONSUMER_SCOPE),
    "main.consumer.": ("consumer", _CONSUMER_SCOPE),
    "restore.consumer.": ("consumer", _CONSUMER_SCOPE),
    "global.consumer.": ("consumer", _CONSUMER_SCOPE),
    "producer.": (
        "producer",
        _CLIENT_ALL | _CLIENT_PRODUCER | {"bootstrap.servers", "client.id", "on_delivery"},
    ),
    "admin.": ("admin client", _CLIENT_ALL | {"bootstrap.servers", "client.id"}),
}
"""prefix -> (client kind, the librdkafka property names that client takes). ``topic.`` is not
here: its keys are broker topic configs, checked by the broker when an internal topic is made."""

CONFIGURATION_DOC = "https://github.com/confluentinc/librdkafka/blob/master/CONFIGURATION.md"


def unknown_prefixed_property(prefix: str, name: str) -> str | None:
    """Why ``prefix + name`` is refused (naming the key, with close matches), or None if valid."""
    scope = _PREFIX_SCOPES.get(prefix)
    if scope is None:
        return None
    kind, names = scope
    if name in names:
        return None
    key = prefix + name
    if kind == "consumer" and name in _CLIENT_PRODUCER:
        return (
            f"Unknown configuration {key!r}: {name!r} is a librdkafka producer property, which "
            f"the consumer would ignore. Set it as 'producer.{name}' (or unprefixed)."
        )
    if kind != "consumer" and name in _CLIENT_CONSUMER:
        return (
            f"Unknown configuration {key!r}: {name!r} is a librdkafka consumer property, which "
            f"the {kind} would ignore. Set it as 'consumer.{name}' (or unprefixed)."
        )
    if kind == "admin client" and name in _CLIENT_PRODUCER:
        return (
            f"Unknown configuration {key!r}: {name!r} is a librdkafka producer property, which "
            f"the admin client would ignore. Set it as 'producer.{name}'."
        )
    matches = difflib.get_close_matches(name, sorted(names), n=3, cutoff=0.6)
    hint = ""
    if matches:
        hint = " Did you mean " + " or ".join(repr(prefix + m) for m in matches) + "?"
    return (
        f"Unknown configuration {key!r}: {name!r} is not a librdkafka {kind} property.{hint} "
        f"Keys after {prefix!r} must be librdkafka property names of the {kind} "
        f"({CONFIGURATION_DOC})."
    )
