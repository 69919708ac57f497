"""The table of Streams config keys: parser, default and doc of each, aliases and prefixes.

Also how a Python spelling (``bootstrap_servers``) becomes a key and the "did you mean"
suggestion for an unknown key.
"""

from __future__ import annotations

import difflib
import os
import tempfile
from dataclasses import dataclass
from typing import Any

from kstreams.config.client_properties import (
    _CLIENT_ALL,
    _CLIENT_CONSUMER,
    _CLIENT_PRODUCER,
    _UNDERSCORE_NAMES,
)
from kstreams.config.parsers import (
    _DESERIALIZATION_HANDLERS,
    _PROCESSING_HANDLERS,
    _PRODUCTION_HANDLERS,
    Parser,
    _application_id,
    _bootstrap_servers,
    _dlq_topic,
    _group_protocol,
    _handler_spec,
    _int,
    _metrics_level,
    _object_spec,
    _processing_guarantee,
    _serde_spec,
    _string,
    _timestamp_extractor_spec,
    _topology_optimization,
)
from kstreams.errors import ConfigError
from kstreams.handlers import (
    ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG as _DLQ_KEY,
)
from kstreams.handlers import (
    DefaultProductionExceptionHandler,
    DeserializationExceptionHandler,
    LogAndFailExceptionHandler,
    LogAndFailProcessingExceptionHandler,
    ProcessingExceptionHandler,
    ProductionExceptionHandler,
)

_DEFAULT_COMMIT_INTERVAL_MS = 30000
_EOS_DEFAULT_COMMIT_INTERVAL_MS = 100


@dataclass(frozen=True)
class _Key:
    name: str
    parse: Parser
    default: Any
    doc: str


def _default_state_dir() -> str:
    return os.path.join(tempfile.gettempdir(), "kafka-streams")


_REQUIRED = object()


def _endpoint(key: str, value: Any) -> str:
    """``host:port`` (IPv6 as ``[::1]:7070``) or empty, as Java's ``HostInfo.buildFromEndpoint``."""
    text = _string()(key, value).strip()
    if not text:
        return ""
    host, sep, port = text.rpartition(":")
    if not sep or host in ("", "[]") or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ConfigError(
            f"Invalid value {value!r} for configuration {key}: Error parsing host address "
            f"{value}. Expected format host:port (for example localhost:7070)."
        )
    return text


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
        _Key("application.server", _endpoint, "",
             "host:port of this instance's endpoint for interactive queries: published to the "
             "other instances through <application.id>-metadata, returned by "
             "query_metadata_for_key() and streams_metadata_for_store()."),
        _Key("processing.guarantee", _processing_guarantee, "at_least_once",
             "at_least_once (default) or exactly_once_v2."),
        _Key("group.protocol", _group_protocol, None,
             "The stream threads' group protocol: consumer (KIP-848, the broker's range "
             "assignor, incremental rebalances) or classic; unset: consumer where the brokers "
             "support it, classic otherwise. Kafka Streams' streams (KIP-1071) is not supported."),
        _Key("commit.interval.ms", _int(0), None,
             "How often (ms) to commit: 30000, or 100 under exactly_once_v2."),
        _Key("__emit.interval.ms.kstreams.windowed.aggregation__", _int(0), 1000,
             "Internal (Kafka Streams' InternalConfig): the least wall-clock time (ms) between two "
             "emits of closed windows by an on_window_close aggregation."),
        _Key("__emit.interval.ms.kstreams.outer.join.spurious.results.fix__", _int(0), 1000,
             "Internal (Kafka Streams' InternalConfig): the least wall-clock time (ms) between two "
             "scans for unmatched records of left/outer stream-stream joins whose window closed."),
        _Key("num.stream.threads", _int(1), 1,
             "The number of threads to execute stream processing."),
        _Key("num.standby.replicas", _int(0), 0,
             "The number of standby replicas for each task: other instances that keep a copy "
             "of the task's persistent stores up to date from their changelogs."),
        _Key("state.dir", _string(non_empty=True), None,
             "Directory of the state stores; default <tempdir>/kafka-streams. Must be unique per "
             "instance sharing a filesystem."),
        _Key("state.cleanup.delay.ms", _int(0), 600000,
             "How long (ms) to wait before deleting the state of a migrated partition."),
        _Key("poll.ms", _int(0), 100, "The time (ms) to block waiting for input."),
        # kstreams' default is -1, what it does (Java's is 0): see unsupported.py
        _Key("max.task.idle.ms", _int(-1), -1,
             "How long (ms) a task waits for data on all its inputs before processing "
             "out of order; -1 never waits (kstreams supports -1 only)."),
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
