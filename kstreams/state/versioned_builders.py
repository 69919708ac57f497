"""The supplier and builder of versioned key-value stores (Java's ``RocksDbVersionedKeyValueBytesStoreSupplier``,
``VersionedKeyValueStoreBuilder``).

Example::

    supplier = Stores.persistent_versioned_key_value_store("prices", timedelta(hours=1))
    builder = Stores.versioned_key_value_store_builder(supplier, Serdes.String(), Serdes.Long())
    topology.add_state_store(builder, "pricer")

The builder stacks the layers: RocksDB engine → write buffer → versioned store →
change-logging (when logging is enabled) → metered store. There is no record cache:
``with_caching_enabled()`` is refused, as in Kafka Streams. The changelog topic is
compacted with ``min.compaction.lag.ms`` = history retention + one day (Java's
``VersionedChangelogTopicConfig``), unless the log config sets it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from kstreams.errors import IllegalStateError
from kstreams.serde.base import Serde, as_serde
from kstreams.state.buffered import BufferedBytesStore
from kstreams.state.builders import KeyValueBytesStoreSupplier, StoreBuilder
from kstreams.state.rocksdb import RocksDBStore
from kstreams.state.versioned_changelogging import ChangeLoggingVersionedKeyValueBytesStore
from kstreams.state.versioned_metered import MeteredVersionedKeyValueStore
from kstreams.state.versioned_rocksdb import FORMAT_VERSIONED, RocksDBVersionedStore
from kstreams.state.window_builders import duration_ms

VERSIONED_CHANGELOG_ADDITIONAL_COMPACTION_LAG_MS = 24 * 60 * 60 * 1000
"""Added to the history retention for the changelog's ``min.compaction.lag.ms`` (one day)."""


def default_segment_interval(history_retention: int) -> int:
    """Java's default segment interval of a versioned store, by history retention."""
    if history_retention <= 60_000:
        return max(history_retention // 3, 2_000)
    if history_retention <= 300_000:
        return max(history_retention // 5, 20_000)
    if history_retention <= 3_600_000:
        return max(history_retention // 12, 60_000)
    return max(history_retention // 24, 300_000)


class VersionedBytesStoreSupplier(KeyValueBytesStoreSupplier):
    """Makes versioned bytes stores (Java: ``VersionedBytesStoreSupplier``).

    Accepted wherever a key-value supplier is (``Materialized.as_``), as in Kafka
    Streams, where the DSL then builds a versioned store.
    """

    def __init__(self, name: str, history_retention_ms: int, segment_interval_ms: int) -> None:
        super().__init__(name)
        self._history_retention_ms = history_retention_ms
        self._segment_interval_ms = segment_interval_ms

    @property
    def history_retention_ms(self) -> int:
        """How long (ms of stream time) old versions stay readable."""
        return self._history_retention_ms

    @property
    def segment_interval_ms(self) -> int:
        """ms of validTo per history segment."""
        return self._segment_interval_ms

    @property
    def metrics_scope(self) -> str:
        return "rocksdb"

    def get(self) -> Any:
        """A new versioned bytes store (over its own RocksDB engine and write buffer)."""
        buffer = BufferedBytesStore(RocksDBStore(self.name), value_format=FORMAT_VERSIONED)
        return RocksDBVersionedStore(buffer, self._history_retention_ms, self._segment_interval_ms)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.name!r}, history_retention_ms="
            f"{self._history_retention_ms}, segment_interval_ms={self._segment_interval_ms})"
        )


class RocksDbVersionedKeyValueBytesStoreSupplier(VersionedBytesStoreSupplier):
    """Supplies RocksDB versioned stores (Java: ``RocksDbVersionedKeyValueBytesStoreSupplier``)."""


def persistent_versioned_key_value_store(
    name: str,
    history_retention: timedelta | int,
    segment_interval: timedelta | int | None = None,
) -> RocksDbVersionedKeyValueBytesStoreSupplier:
    """A supplier of RocksDB versioned stores (:meth:`Stores.persistent_versioned_key_value_store`)."""
    if name is None:
        raise ValueError("name cannot be null")
    retention = duration_ms(history_retention, "historyRetention")
    if retention < 0:
        raise ValueError("historyRetention cannot be negative")
    if segment_interval is None:
        interval = default_segment_interval(retention)
    else:
        interval = duration_ms(segment_interval, "segmentInterval")
        if interval < 1:
            raise ValueError("segmentInterval cannot be zero or negative")
    return RocksDbVersionedKeyValueBytesStoreSupplier(name, retention, interval)


class VersionedKeyValueStoreBuilder(StoreBuilder):
    """Builds :class:`~kstreams.state.versioned.VersionedKeyValueStore` s (Java: ``VersionedKeyValueStoreBuilder``).

    A None serde means the ``default.key.serde`` / ``default.value.serde`` of the app.
    """

    def __init__(
        self,
        supplier: VersionedBytesStoreSupplier,
        key_serde: Serde[Any] | type | None,
        value_serde: Serde[Any] | type | None,
    ) -> None:
        if not isinstance(supplier, VersionedBytesStoreSupplier):
            raise TypeError(f"expected a VersionedBytesStoreSupplier, got {supplier!r}")
        super().__init__(supplier.name)
        self.supplier = supplier
        self.key_serde = as_serde(key_serde)
        self.value_serde = as_serde(value_serde)

    @property
    def history_retention(self) -> int:
        """The supplier's history retention (ms)."""
        return self.supplier.history_retention_ms

    def with_caching_enabled(self) -> VersionedKeyValueStoreBuilder:
        """Refused: versioned stores have no record cache (as in Kafka Streams)."""
        raise IllegalStateError("Versioned stores do not support caching")

    def changelog_config(self, additional_retention_ms: int) -> dict[str, str]:
        """The changelog topic configs of a versioned store (Java's ``VersionedChangelogTopicConfig``).

        ``additional_retention_ms`` (the window stores' setting) is not used: the
        compaction lag adds a fixed day, as in Kafka Streams.
        """
        config = {"cleanup.policy": "compact"}
        config.update(self._log_config)
        if "min.compaction.lag.ms" not in self._log_config:
            lag = self.history_retention + VERSIONED_CHANGELOG_ADDITIONAL_COMPACTION_LAG_MS
            config["min.compaction.lag.ms"] = str(min(lag, 2**63 - 1))
        return config

    def build(self) -> MeteredVersionedKeyValueStore:
        store: Any = self.supplier.get()
        if not isinstance(store, RocksDBVersionedStore):
            raise IllegalStateError(
                "VersionedBytesStoreSupplier.get() must return an instance of VersionedBytesStore"
            )
        if self._logging_enabled:
            store = ChangeLoggingVersionedKeyValueBytesStore(store, self._log_config)
        return MeteredVersionedKeyValueStore(store, self.key_serde, self.value_serde)
