"""Store suppliers and builders, and the :class:`Stores` factory (Kafka Streams' shape).

Example::

    builder = Stores.key_value_store_builder(
        Stores.persistent_key_value_store("counts"), Serdes.String(), Serdes.Long()
    ).with_logging_enabled({"min.insync.replicas": "2"})
    topology.add_state_store(builder, "counter")

A supplier makes the bytes engine; a builder stacks the layers on it (Kafka Streams'
order, see :mod:`kstreams.state.api`): the write buffer, the change-logging layer when
logging is enabled, the metered store (serdes). The record cache goes on top when the
task opens the store (:func:`kstreams.state.caching.cached_store`), where the thread's
cache budget is known. ``build()`` makes a new store each call: one per task.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from kstreams.serde.base import Serde, as_serde
from kstreams.state.api import KeyValueBytesEngine, KeyValueBytesStore
from kstreams.state.buffered import FORMAT_PLAIN, FORMAT_TIMESTAMPED, BufferedBytesStore
from kstreams.state.changelogging import (
    ChangeLoggingKeyValueBytesStore,
    ChangeLoggingTimestampedKeyValueBytesStore,
)
from kstreams.state.memory import InMemoryStore
from kstreams.state.metered import MeteredKeyValueStore, MeteredTimestampedKeyValueStore
from kstreams.state.rocksdb import RocksDBStore

if TYPE_CHECKING:
    from kstreams.state.versioned_builders import (
        RocksDbVersionedKeyValueBytesStoreSupplier,
        VersionedBytesStoreSupplier,
        VersionedKeyValueStoreBuilder,
    )
    from kstreams.state.window_builders import (
        SessionBytesStoreSupplier,
        SessionStoreBuilder,
        TimestampedWindowStoreBuilder,
        WindowBytesStoreSupplier,
        WindowStoreBuilder,
    )

_B = TypeVar("_B", bound="StoreBuilder")


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not name:
        raise ValueError(f"store name must be a non-empty string, got {name!r}")
    return name


class KeyValueBytesStoreSupplier(ABC):
    """Makes the bytes engine of a key-value store (Java: ``KeyValueBytesStoreSupplier``)."""

    def __init__(self, name: str) -> None:
        self._name = _check_name(name)

    @property
    def name(self) -> str:
        """The name of the stores this supplier makes."""
        return self._name

    @property
    @abstractmethod
    def metrics_scope(self) -> str:
        """The scope of the store's metrics, e.g. ``"rocksdb"``."""

    @abstractmethod
    def get(self) -> KeyValueBytesEngine:
        """A new bytes engine."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._name!r})"


class RocksDBKeyValueBytesStoreSupplier(KeyValueBytesStoreSupplier):
    """Supplies RocksDB engines (Java: ``RocksDbKeyValueBytesStoreSupplier``).

    ``timestamped`` records whether the store was asked for as a timestamped one;
    the value layout itself is chosen by the builder.
    """

    def __init__(self, name: str, timestamped: bool = False) -> None:
        super().__init__(name)
        self.timestamped = timestamped

    @property
    def metrics_scope(self) -> str:
        return "rocksdb"

    def get(self) -> KeyValueBytesEngine:
        return RocksDBStore(self._name)


class InMemoryKeyValueBytesStoreSupplier(KeyValueBytesStoreSupplier):
    """Supplies in-memory engines (Java: ``InMemoryKeyValueBytesStoreSupplier``)."""

    @property
    def metrics_scope(self) -> str:
        return "in-memory"

    def get(self) -> KeyValueBytesEngine:
        return InMemoryStore(self._name)


class StoreBuilder(ABC):
    """Builds one kind of store, with its logging and caching settings (Java: ``StoreBuilder``).

    Logging is enabled by default (changelog topic ``<application.id>-<name>-changelog``),
    caching disabled, as in Kafka Streams. With caching enabled, a key-value store gets a
    record cache (:mod:`kstreams.state.caching`) sized by ``statestore.cache.max.bytes``;
    batching of disk and changelog writes is done by every store's write buffer regardless.
    """

    def __init__(self, name: str) -> None:
        self._name = _check_name(name)
        self._logging_enabled = True
        self._log_config: dict[str, str] = {}
        self._caching_enabled = False

    @property
    def name(self) -> str:
        """The name of the stores built."""
        return self._name

    @property
    def logging_enabled(self) -> bool:
        """Whether built stores write a changelog."""
        return self._logging_enabled

    @property
    def log_config(self) -> dict[str, str]:
        """Topic configs for the changelog topic."""
        return dict(self._log_config)

    @property
    def caching_enabled(self) -> bool:
        """Whether built stores get a record cache (when the task has a cache budget)."""
        return self._caching_enabled

    def with_logging_enabled(self: _B, config: dict[str, str] | None = None) -> _B:
        """Write a changelog, created with the topic ``config`` given."""
        self._logging_enabled = True
        self._log_config = {str(k): str(v) for k, v in (config or {}).items()}
        return self

    def with_logging_disabled(self: _B) -> _B:
        """Write no changelog: the store is not restored after a failure or migration."""
        self._logging_enabled = False
        self._log_config = {}
        return self

    def with_caching_enabled(self: _B) -> _B:
        """Put a record cache in front of the built stores."""
        self._caching_enabled = True
        return self

    def with_caching_disabled(self: _B) -> _B:
        """No record cache (the default for store builders)."""
        self._caching_enabled = False
        return self

    @abstractmethod
    def build(self) -> Any:
        """A new store."""

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self._name!r}, logging={self._logging_enabled}, "
            f"caching={self._caching_enabled})"
        )


class KeyValueStoreBuilder(StoreBuilder):
    """Builds :class:`~kstreams.state.typed.KeyValueStore` s over a supplier's engines (Java: ``KeyValueStoreBuilder``).

    A None serde means the ``default.key.serde`` / ``default.value.serde`` of the app.
    """

    timestamped = False

    def __init__(
        self,
        supplier: KeyValueBytesStoreSupplier,
        key_serde: Serde[Any] | type | None,
        value_serde: Serde[Any] | type | None,
    ) -> None:
        if not isinstance(supplier, KeyValueBytesStoreSupplier):
            raise TypeError(f"expected a KeyValueBytesStoreSupplier, got {supplier!r}")
        super().__init__(supplier.name)
        self.supplier = supplier
        self.key_serde = as_serde(key_serde)
        self.value_serde = as_serde(value_serde)

    def _bytes_store(self) -> KeyValueBytesStore:
        # engine → write buffer → change-logging (when logged)
        store: Any = BufferedBytesStore(
            self.supplier.get(),
            value_format=FORMAT_TIMESTAMPED if self.timestamped else FORMAT_PLAIN,
            checkpointed=self._logging_enabled,
        )
        if self._logging_enabled:
            logging_layer = (
                ChangeLoggingTimestampedKeyValueBytesStore
                if self.timestamped
                else ChangeLoggingKeyValueBytesStore
            )
            store = logging_layer(store, self._log_config)
        return store  # type: ignore[no-any-return]

    def build(self) -> MeteredKeyValueStore:
        return MeteredKeyValueStore(self._bytes_store(), self.key_serde, self.value_serde)


class TimestampedKeyValueStoreBuilder(KeyValueStoreBuilder):
    """Builds :class:`~kstreams.state.typed.TimestampedKeyValueStore` s (Java: ``TimestampedKeyValueStoreBuilder``)."""

    timestamped = True

    def build(self) -> MeteredTimestampedKeyValueStore:
        return MeteredTimestampedKeyValueStore(
            self._bytes_store(), self.key_serde, self.value_serde
        )


class Stores:
    """Factory of store suppliers and builders (Java: ``Stores``).

    Example::

        Stores.timestamped_key_value_store_builder(
            Stores.in_memory_key_value_store("totals"), Serdes.String(), Serdes.Double()
        ).with_logging_disabled()
    """

    @staticmethod
    def persistent_key_value_store(name: str) -> KeyValueBytesStoreSupplier:
        """A supplier of RocksDB stores."""
        return RocksDBKeyValueBytesStoreSupplier(name)

    @staticmethod
    def persistent_timestamped_key_value_store(name: str) -> KeyValueBytesStoreSupplier:
        """A supplier of RocksDB stores meant for timestamped values."""
        return RocksDBKeyValueBytesStoreSupplier(name, timestamped=True)

    @staticmethod
    def in_memory_key_value_store(name: str) -> KeyValueBytesStoreSupplier:
        """A supplier of in-memory stores (restored from the changelog on every start)."""
        return InMemoryKeyValueBytesStoreSupplier(name)

    @staticmethod
    def key_value_store_builder(
        supplier: KeyValueBytesStoreSupplier,
        key_serde: Serde[Any] | type | None,
        value_serde: Serde[Any] | type | None,
    ) -> KeyValueStoreBuilder:
        """A builder of :class:`~kstreams.state.typed.KeyValueStore` s."""
        return KeyValueStoreBuilder(supplier, key_serde, value_serde)

    @staticmethod
    def timestamped_key_value_store_builder(
        supplier: KeyValueBytesStoreSupplier,
        key_serde: Serde[Any] | type | None,
        value_serde: Serde[Any] | type | None,
    ) -> TimestampedKeyValueStoreBuilder:
        """A builder of :class:`~kstreams.state.typed.TimestampedKeyValueStore` s (values are ``ValueAndTimestamp``)."""
        return TimestampedKeyValueStoreBuilder(supplier, key_serde, value_serde)

    # -- versioned stores (kstreams.state.versioned_builders) -------------------------------
    @staticmethod
    def persistent_versioned_key_value_store(
        name: str,
        history_retention: timedelta | int,
        segment_interval: timedelta | int | None = None,
    ) -> RocksDbVersionedKeyValueBytesStoreSupplier:
        """A supplier of RocksDB versioned stores keeping old versions for ``history_retention``.

        ``history_retention`` (``timedelta`` or int ms, not negative) is also the grace
        period of out-of-order puts; ``segment_interval`` (default: Java's, by retention)
        only tunes how history is grouped on disk. Usable in ``Materialized.as_``.

        Example::

            Stores.persistent_versioned_key_value_store("prices", timedelta(hours=1))
        """
        from kstreams.state.versioned_builders import persistent_versioned_key_value_store

        return persistent_versioned_key_value_store(name, history_retention, segment_interval)

    @staticmethod
    def versioned_key_value_store_builder(
        supplier: VersionedBytesStoreSupplier,
        key_serde: Serde[Any] | type | None,
        value_serde: Serde[Any] | type | None,
    ) -> VersionedKeyValueStoreBuilder:
        """A builder of :class:`~kstreams.state.versioned.VersionedKeyValueStore` s (no caching)."""
        from kstreams.state.versioned_builders import VersionedKeyValueStoreBuilder

        return VersionedKeyValueStoreBuilder(supplier, key_serde, value_serde)

    # -- window and session stores (kstreams.state.window_builders) -------------------------
    @staticmethod
    def persistent_window_store(
        name: str,
        retention_period: timedelta | int,
        window_size: timedelta | int,
        retain_duplicates: bool = False,
    ) -> WindowBytesStoreSupplier:
        """A supplier of RocksDB window stores, in time segments of ``max(retention / 2, 60 s)``.

        Durations are ``timedelta`` s or int ms; ``retention_period`` must be at least
        ``window_size``. ``retain_duplicates``: keep every put (stream-stream joins).
        Segments older than the retention are deleted from disk as stream time moves.

        Example::

            Stores.persistent_window_store("counts", timedelta(days=1), timedelta(minutes=1))
        """
        from kstreams.state.window_builders import persistent_window_store

        return persistent_window_store(name, retention_period, window_size, retain_duplicates)

    @staticmethod
    def persistent_timestamped_window_store(
        name: str,
        retention_period: timedelta | int,
        window_size: timedelta | int,
        retain_duplicates: bool = False,
    ) -> WindowBytesStoreSupplier:
        """A supplier of RocksDB window stores meant for timestamped values (see :meth:`persistent_window_store`)."""
        from kstreams.state.window_builders import persistent_window_store

        return persistent_window_store(
            name, retention_period, window_size, retain_duplicates, timestamped=True
        )

    @staticmethod
    def persistent_session_store(
        name: str, retention_period: timedelta | int
    ) -> SessionBytesStoreSupplier:
        """A supplier of RocksDB session stores; sessions are kept ``retention_period`` after they end."""
        from kstreams.state.window_builders import persistent_session_store

        return persistent_session_store(name, retention_period)

    @staticmethod
    def in_memory_window_store(
        name: str,
        retention_period: timedelta | int,
        window_size: timedelta | int,
        retain_duplicates: bool = False,
    ) -> WindowBytesStoreSupplier:
        """A supplier of in-memory window stores (restored from the changelog on every start).

        Durations are ``timedelta`` s or int ms; ``retention_period`` must be at least
        ``window_size``. ``retain_duplicates``: keep every put (stream-stream joins).

        Example::

            Stores.in_memory_window_store("counts", timedelta(hours=1), timedelta(minutes=1))
        """
        from kstreams.state.window_builders import in_memory_window_store

        return in_memory_window_store(name, retention_period, window_size, retain_duplicates)

    @staticmethod
    def in_memory_session_store(
        name: str, retention_period: timedelta | int
    ) -> SessionBytesStoreSupplier:
        """A supplier of in-memory session stores; sessions are kept ``retention_period`` after they end."""
        from kstreams.state.window_builders import in_memory_session_store

        return in_memory_session_store(name, retention_period)

    @staticmethod
    def window_store_builder(
        supplier: WindowBytesStoreSupplier,
        key_serde: Serde[Any] | type | None,
        value_serde: Serde[Any] | type | None,
    ) -> WindowStoreBuilder:
        """A builder of :class:`~kstreams.state.window_typed.WindowStore` s."""
        from kstreams.state.window_builders import WindowStoreBuilder

        return WindowStoreBuilder(supplier, key_serde, value_serde)

    @staticmethod
    def timestamped_window_store_builder(
        supplier: WindowBytesStoreSupplier,
        key_serde: Serde[Any] | type | None,
        value_serde: Serde[Any] | type | None,
    ) -> TimestampedWindowStoreBuilder:
        """A builder of :class:`~kstreams.state.window_typed.TimestampedWindowStore` s (values are ``ValueAndTimestamp``)."""
        from kstreams.state.window_builders import TimestampedWindowStoreBuilder

        return TimestampedWindowStoreBuilder(supplier, key_serde, value_serde)

    @staticmethod
    def session_store_builder(
        supplier: SessionBytesStoreSupplier,
        key_serde: Serde[Any] | type | None,
        value_serde: Serde[Any] | type | None,
    ) -> SessionStoreBuilder:
        """A builder of :class:`~kstreams.state.window_typed.SessionStore` s."""
        from kstreams.state.window_builders import SessionStoreBuilder

        return SessionStoreBuilder(supplier, key_serde, value_serde)
