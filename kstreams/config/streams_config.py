"""StreamsConfig: parsing, validation and access of a kstreams application's configuration.

Keys are checked against the key table (:mod:`kstreams.config.keys`) and librdkafka's property
names (:mod:`kstreams.config.client_properties`); the client configs are built by
:class:`~kstreams.config.client_configs.ClientConfigsMixin` and serdes, handlers and the
timestamp extractor resolved by :class:`~kstreams.config.plugins.PluginsMixin`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from kstreams.config.client_configs import _DEFAULT_TRANSACTION_TIMEOUT_MS, ClientConfigsMixin
from kstreams.config.client_properties import (
    _CLIENT_ALL,
    _CLIENT_CONSUMER,
    _CLIENT_PRODUCER,
    _SECURITY_PROTOCOLS,
    _client_value,
    unknown_prefixed_property,
)
from kstreams.config.controlled import check_client_settings
from kstreams.config.keys import (
    _ALIASES,
    _DEFAULT_COMMIT_INTERVAL_MS,
    _EOS_DEFAULT_COMMIT_INTERVAL_MS,
    _KEYS,
    _PREFIXES,
    _REQUIRED,
    _default_state_dir,
    _python_name_to_key,
    _suggest,
)
from kstreams.config.parsers import _OPTIMIZATIONS, _invalid, _to_int
from kstreams.config.plugins import PluginsMixin
from kstreams.config.secrets import MASK, is_sensitive
from kstreams.config.unsupported import is_accepted, unsupported_entry, unsupported_message
from kstreams.errors import ConfigError
from kstreams.handlers import (
    ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG as _DLQ_KEY,
)

__all__ = ["StreamsConfig"]

log = logging.getLogger("kstreams")


class StreamsConfig(ClientConfigsMixin, PluginsMixin):
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
        ConfigError: a required key is missing, a key is unknown, a value is invalid, a
            Kafka Streams key kstreams does not implement is set to a value other than the
            one its fixed behaviour equals (:mod:`kstreams.config.unsupported`), or a client
            setting conflicts with one kstreams controls (:mod:`kstreams.config.controlled`).
    """

    # -- Java constants ---------------------------------------------------- #
    APPLICATION_ID_CONFIG = "application.id"
    APPLICATION_SERVER_CONFIG = "application.server"
    BOOTSTRAP_SERVERS_CONFIG = "bootstrap.servers"
    CLIENT_ID_CONFIG = "client.id"
    PROCESSING_GUARANTEE_CONFIG = "processing.guarantee"
    AT_LEAST_ONCE = "at_least_once"
    EXACTLY_ONCE_V2 = "exactly_once_v2"
    GROUP_PROTOCOL_CONFIG = "group.protocol"
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
        unknown_prefixed: list[str] = []
        refused: list[str] = []
        for key, value in self._originals.items():
            if key in _KEYS or key in _ALIASES:
                continue
            entry = unsupported_entry(key)
            if entry is not None:
                if not is_accepted(entry, value):
                    refused.append(unsupported_message(key, value, entry))
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
                name = key[len(prefix) :]
                problem = unknown_prefixed_property(prefix, name)
                if problem is not None:
                    unknown_prefixed.append(problem)
                    continue
                self._prefixed[prefix][name] = _client_value(key, value)
                continue
            unknown.append(key)
        if unknown or unknown_prefixed:
            raise ConfigError(
                "\n".join(
                    [*(self._unknown_message(k) for k in unknown), *unknown_prefixed, *refused]
                )
            )

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

        # Streams keys kstreams parses but does not implement (kstreams/config/unsupported.py)
        for key, value in self._originals.items():
            name = _ALIASES.get(key, key)
            entry = unsupported_entry(name) if name in _KEYS else None
            if entry is not None and not is_accepted(entry, self._values[name]):
                refused.append(unsupported_message(key, value, entry))
        if refused:
            raise ConfigError("\n".join(refused))

    @staticmethod
    def _unknown_message(key: str) -> str:
        return (
            f"Unknown configuration {key!r}: neither a Kafka Streams key nor a librdkafka "
            f"property.{_suggest(key)} Client settings are librdkafka property names, unprefixed "
            "(passed to every client they apply to) or prefixed with 'consumer.', "
            "'main.consumer.', 'restore.consumer.', 'global.consumer.', 'producer.' or "
            "'admin.' (that client only); 'topic.' prefixes configs of the internal topics."
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
        self._check_controlled()

    def _check_controlled(self) -> None:
        """Refuse client settings that conflict with what kstreams controls (controlled.py)."""
        checks = check_client_settings(
            self._client,
            self._prefixed,
            application_id=self.application_id,
            bootstrap_servers=self.bootstrap_servers,
            exactly_once=self.exactly_once,
        )
        if checks.errors:
            raise ConfigError("\n".join(checks.errors))
        for warning in checks.warnings:
            log.warning("%s", warning)

    # -- generic access ---------------------------------------------------- #

    @classmethod
    def config_names(cls) -> frozenset[str]:
        """The Streams keys this class knows (without client or prefixed keys)."""
        return frozenset(_KEYS) | frozenset(_ALIASES)

    @classmethod
    def doc(cls, key: str) -> str:
        """The documentation of a Streams key (and why kstreams refuses it, if it does).

        Raises:
            KeyError: ``key`` is not a Streams key.
        """
        name = _ALIASES.get(key, key)
        text = _KEYS[name].doc
        entry = unsupported_entry(name)
        if entry is not None:
            accepted = ", ".join(repr(v) for v in entry.accepted)
            text += f" Not supported by kstreams: {entry.why}" + (
                f" (accepted: {accepted})." if accepted else "."
            )
        return text

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
            key: (MASK if is_sensitive(key) and value is not None else value)
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
