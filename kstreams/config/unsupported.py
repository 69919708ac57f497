"""The one table of Kafka Streams keys kstreams knows but does not implement (yet).

A key listed here is refused with a :class:`~kstreams.errors.ConfigError` that names it,
says why it has no effect and what to do, unless its value is one of the entry's
``accepted`` values: those equal kstreams' fixed behaviour (``max.task.idle.ms=-1``).
A feature that implements a key removes its line here (and gives it a parser in
:mod:`kstreams.config.keys` if it has none).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kstreams.config.secrets import shown


@dataclass(frozen=True)
class Unsupported:
    """A Kafka Streams key (or key prefix, ending in ``.``) kstreams refuses."""

    key: str
    why: str
    """Why it has no effect in kstreams (completes "...is not supported: ")."""
    advice: str
    """What to do instead."""
    accepted: tuple[Any, ...] = ()
    """Values equal to kstreams' fixed behaviour: these are accepted (compared as text)."""


def _u(key: str, why: str, advice: str, *accepted: Any) -> Unsupported:
    return Unsupported(key, why, advice, accepted)


_ASSIGNOR = (
    "kstreams has no task assignor of its own: partitions are assigned by the consumer "
    "group's assignor (standby tasks are placed beside it), without warm-up replicas"
)
_METRICS = "kstreams has no Java metrics library: KafkaStreams.metrics() returns fixed counters"

UNSUPPORTED: Mapping[str, Unsupported] = {
    u.key: u
    for u in (
        # -- Streams keys with a parser in keys.py (their value is parsed first) --------------
        _u("max.warmup.replicas", _ASSIGNOR, "Remove it."),
        _u("acceptable.recovery.lag", _ASSIGNOR, "Remove it."),
        _u("probing.rebalance.interval.ms", _ASSIGNOR, "Remove it."),
        _u("state.cleanup.delay.ms",
           "kstreams does not delete the local state of tasks that moved to another instance",
           "Remove it; KafkaStreams.cleanup() deletes the application's local state."),
        _u("max.task.idle.ms",
           "a task with several input partitions processes what it has buffered, lowest "
           "timestamp first, and never waits for an empty partition (Kafka Streams' -1)",
           "Remove it (or set -1).", -1),
        _u("buffered.records.per.partition",
           "kstreams does not pause partitions: it buffers at most one batch of 1000 records "
           "per stream thread", "Remove it; librdkafka's consumer.queued.max.messages.kbytes "
           "bounds what the consumer prefetches.", 1000),
        _u("metrics.recording.level", _METRICS, "Remove it (or set INFO).", "INFO"),
        _u("log.summary.interval.ms", "stream threads log no periodic summary",
           "Remove it; read KafkaStreams.metrics() instead."),
        _u("default.dsl.store",
           "the DSL always defaults to RocksDB stores",
           "Remove it (or set rocksDB); choose a store type per store with "
           "Materialized.with_store_type('in_memory').", "rocksDB"),
        _u("rocksdb.config.setter",
           "the RocksDB options of kstreams' stores are fixed", "Remove it.", None),
        _u("group.protocol",
           "the streams rebalance protocol (KIP-1071) is not implemented: kstreams' stream "
           "threads join a consumer group with the consumer protocol (KIP-848) or the classic "
           "one", "Remove it (automatic: consumer where the brokers support it), or set "
           "consumer or classic.", "classic", "consumer"),
        # -- Java keys without a parser (any value is refused unless accepted) --------------
        _u("upgrade.from",
           "rolling upgrades from older Kafka Streams versions are not supported",
           "Remove it."),
        _u("default.client.supplier", "kstreams' clients are librdkafka's",
           "Remove it; pass client settings with the consumer./producer./admin. prefixes."),
        _u("task.assignor.class", _ASSIGNOR, "Remove it."),
        _u("rack.aware.assignment.strategy", _ASSIGNOR, "Remove it (or set none).", "none"),
        _u("rack.aware.assignment.tags", _ASSIGNOR, "Remove it."),
        _u("rack.aware.assignment.traffic_cost", _ASSIGNOR, "Remove it."),
        _u("rack.aware.assignment.non_overlap_cost", _ASSIGNOR, "Remove it."),
        _u("client.tag.", _ASSIGNOR + " (client tags only serve rack-aware assignment)",
           "Remove it."),
        _u("dsl.store.suppliers.class", "DSL store suppliers are not pluggable",
           "Remove it; choose a store type per store with Materialized.with_store_type()."),
        _u("processor.wrapper.class", "processor wrappers (KIP-1112) are not implemented",
           "Remove it."),
        _u("ensure.explicit.internal.resource.naming",
           "kstreams does not check that internal topics and stores are named",
           "Remove it (or set false).", False),
        _u("built.in.metrics.version", _METRICS, "Remove it."),
        _u("metric.reporters", _METRICS, "Remove it."),
        _u("metrics.num.samples", _METRICS, "Remove it."),
        _u("metrics.sample.window.ms", _METRICS, "Remove it."),
        # Java's windowed serdes read these two only when a config names their class and they
        # are built without arguments; kstreams' serdes are instances that take both directly
        _u("window.size.ms",
           "windowed serdes take their window size as an argument, not from the config",
           "Remove it; use WindowedSerdes.time_windowed_serde_from(inner, window_size)."),
        _u("windowed.inner.class.serde",
           "windowed serdes take their inner serde as an argument, not from the config",
           "Remove it; use WindowedSerdes.time_windowed_serde_from(inner, window_size) or "
           "session_windowed_serde_from(inner)."),
        _u("default.list.key.serde.inner", "list serdes are not implemented", "Remove it."),
        _u("default.list.key.serde.type", "list serdes are not implemented", "Remove it."),
        _u("default.list.value.serde.inner", "list serdes are not implemented", "Remove it."),
        _u("default.list.value.serde.type", "list serdes are not implemented", "Remove it."),
        _u("receive.buffer.bytes", "it is a Java client setting",
           "Use librdkafka's socket.receive.buffer.bytes."),
        _u("send.buffer.bytes", "it is a Java client setting",
           "Use librdkafka's socket.send.buffer.bytes."),
    )
}  # fmt: skip
"""Known but unsupported keys, by key (or prefix ending in ``.``)."""


def unsupported_entry(key: str) -> Unsupported | None:
    """The table's entry for ``key`` (exact, or a listed prefix of it), or None."""
    entry = UNSUPPORTED.get(key)
    if entry is not None:
        return entry
    for name, candidate in UNSUPPORTED.items():
        if name.endswith(".") and key.startswith(name) and len(key) > len(name):
            return candidate
    return None


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value).strip().lower()


def is_accepted(entry: Unsupported, value: Any) -> bool:
    """Whether ``value`` is one of the entry's accepted values (compared as text)."""
    return any(_text(value) == _text(accepted) for accepted in entry.accepted)


def unsupported_message(key: str, value: Any, entry: Unsupported) -> str:
    """The ConfigError text for ``key`` set to ``value``."""
    return (
        f"Configuration {key!r} (set to {shown(key, value)}) is not supported by kstreams: {entry.why}. "
        f"{entry.advice}"
    )
