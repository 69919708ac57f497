"""Suppliers and builders of window and session stores (Java: ``WindowBytesStoreSupplier``,
``SessionBytesStoreSupplier``, ``WindowStoreBuilder``, ``TimestampedWindowStoreBuilder``,
``SessionStoreBuilder``); :class:`~kstreams.state.builders.Stores` makes them.

Example::

    builder = Stores.window_store_builder(
        Stores.persistent_window_store("counts", timedelta(hours=1), timedelta(minutes=1)),
        Serdes.String(), Serdes.Long(),
    )
    topology.add_state_store(builder, "counter")

A builder stacks, on the supplier's engine, the write buffer, the change-logging layer
when logging is enabled and the metered store (serdes); the record cache goes on top
when the task opens the store, as for key-value stores. Durations are
``datetime.timedelta`` s or int milliseconds. A windowed store's changelog topic is
created with ``cleanup.policy=compact,delete`` and ``retention.ms`` = the store's
retention + ``windowstore.changelog.additional.retention.ms`` (:meth:`changelog_config`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import timedelta
from typing import Any

from kstreams.serde.base import Serde, as_serde
from kstreams.state.builders import StoreBuilder, _check_name
from kstreams.state.segments import RocksDBSegmentedEngine
from kstreams.state.window_buffered import (
    FORMAT_SESSION,
    FORMAT_TIMESTAMPED_WINDOW,
    FORMAT_WINDOW,
    BufferedSegmentedStore,
)
from kstreams.state.window_bytes import InMemorySegmentedEngine, SegmentedBytesEngine
from kstreams.state.window_changelogging import (
    ChangeLoggingSegmentedStore,
    ChangeLoggingTimestampedSegmentedStore,
)
from kstreams.state.window_metered import (
    MeteredSessionStore,
    MeteredTimestampedWindowStore,
    MeteredWindowStore,
)
from kstreams.state.window_schema import SESSION_SCHEMA, WINDOW_SCHEMA

MIN_SEGMENT_INTERVAL = 60_000
"""Kafka Streams' smallest default segment interval, ms."""


def duration_ms(value: timedelta | int, what: str) -> int:
    """Milliseconds of a ``timedelta`` or an int of milliseconds (Java: ``validateMillisecondDuration``).

    Example::

        duration_ms(timedelta(minutes=1), "windowSize")   # 60000
    """
    if isinstance(value, timedelta):
        return (value.days * 86_400_000) + (value.seconds * 1000) + (value.microseconds // 1000)
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(
            f"{what} must be a datetime.timedelta or an int of milliseconds, got {value!r}"
        )
    return value


def default_segment_interval(retention_period: int) -> int:
    """Java's segment interval of a persistent window or session store: ``max(retention / 2, 60 s)``."""
    return max(retention_period // 2, MIN_SEGMENT_INTERVAL)


class WindowBytesStoreSupplier(ABC):
    """Makes the engines of window stores (Java: ``WindowBytesStoreSupplier``)."""

    def __init__(
        self,
        name: str,
        retention_period: int,
        window_size: int,
        retain_duplicates: bool,
        segment_interval: int,
        timestamped: bool = False,
    ) -> None:
        self._name = _check_name(name)
        self.retention_period = retention_period
        """How long windows are kept, ms."""
        self.window_size = window_size
        """The size of the windows, ms."""
        self.retain_duplicates = retain_duplicates
        """Whether every put is kept."""
        self.segment_interval = segment_interval
        """The time span of one segment, ms."""
        self.timestamped = timestamped
        """Whether the store was asked for as a timestamped one."""

    @property
    def name(self) -> str:
        """The name of the stores this supplier makes."""
        return self._name

    @property
    @abstractmethod
    def metrics_scope(self) -> str:
        """The scope of the store's metrics."""

    @abstractmethod
    def get(self) -> SegmentedBytesEngine:
        """A new engine."""

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self._name!r}, retention={self.retention_period}, "
            f"window_size={self.window_size}, retain_duplicates={self.retain_duplicates})"
        )


class RocksDBWindowBytesStoreSupplier(WindowBytesStoreSupplier):
    """Supplies segmented RocksDB window engines (Java: ``RocksDbWindowBytesStoreSupplier``)."""

    @property
    def metrics_scope(self) -> str:
        return "rocksdb-window"

    def get(self) -> SegmentedBytesEngine:
        return RocksDBSegmentedEngine(
            self._name, WINDOW_SCHEMA, self.retention_period, self.segment_interval
        )


class RocksDBTimeOrderedWindowBytesStoreSupplier(RocksDBWindowBytesStoreSupplier):
    """Supplies time-ordered RocksDB window engines (Java: ``RocksDbIndexedTimeOrderedWindowBytesStoreSupplier``,
    the store of windowed aggregations that emit on window close): ranges iterate by window
    start, then key, within a segment."""

    def get(self) -> SegmentedBytesEngine:
        return RocksDBSegmentedEngine(
            self._name, WINDOW_SCHEMA, self.retention_period, self.segment_interval, True
        )


class InMemoryWindowBytesStoreSupplier(WindowBytesStoreSupplier):
    """Supplies in-memory window engines (Java: ``InMemoryWindowBytesStoreSupplier``)."""

    def __init__(
        self, name: str, retention_period: int, window_size: int, retain_duplicates: bool
    ) -> None:
        super().__init__(name, retention_period, window_size, retain_duplicates, 1)

    @property
    def metrics_scope(self) -> str:
        return "in-memory-window"

    def get(self) -> SegmentedBytesEngine:
        return InMemorySegmentedEngine(self._name, WINDOW_SCHEMA, self.retention_period)


class SessionBytesStoreSupplier(ABC):
    """Makes the engines of session stores (Java: ``SessionBytesStoreSupplier``)."""

    def __init__(self, name: str, retention_period: int, segment_interval: int) -> None:
        self._name = _check_name(name)
        self.retention_period = retention_period
        """How long sessions are kept after they end, ms."""
        self.segment_interval = segment_interval
        """The time span of one segment, ms."""

    @property
    def name(self) -> str:
        """The name of the stores this supplier makes."""
        return self._name

    @property
    @abstractmethod
    def metrics_scope(self) -> str:
        """The scope of the store's metrics."""

    @abstractmethod
    def get(self) -> SegmentedBytesEngine:
        """A new engine."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._name!r}, retention={self.retention_period})"


class RocksDBSessionBytesStoreSupplier(SessionBytesStoreSupplier):
    """Supplies segmented RocksDB session engines (Java: ``RocksDbSessionBytesStoreSupplier``)."""

    def __init__(self, name: str, retention_period: int) -> None:
        super().__init__(name, retention_period, default_segment_interval(retention_period))

    @property
    def metrics_scope(self) -> str:
        return "rocksdb-session"

    def get(self) -> SegmentedBytesEngine:
        return RocksDBSegmentedEngine(
            self._name, SESSION_SCHEMA, self.retention_period, self.segment_interval
        )


class RocksDBTimeOrderedSessionBytesStoreSupplier(RocksDBSessionBytesStoreSupplier):
    """Supplies time-ordered RocksDB session engines (Java: ``RocksDbTimeOrderedSessionBytesStoreSupplier``,
    the store of session aggregations that emit on window close): ranges iterate by session
    end, then start, then key, within a segment."""

    def get(self) -> SegmentedBytesEngine:
        return RocksDBSegmentedEngine(
            self._name, SESSION_SCHEMA, self.retention_period, self.segment_interval, True
        )


class InMemorySessionBytesStoreSupplier(SessionBytesStoreSupplier):
    """Supplies in-memory session engines (Java: ``InMemorySessionBytesStoreSupplier``)."""

    def __init__(self, name: str, retention_period: int) -> None:
        super().__init__(name, retention_period, 1)

    @property
    def metrics_scope(self) -> str:
        return "in-memory-session"

    def get(self) -> SegmentedBytesEngine:
        return InMemorySegmentedEngine(self._name, SESSION_SCHEMA, self.retention_period)


class _SegmentedStoreBuilder(StoreBuilder):
    """What window and session store builders share: serdes, retention, the bytes stack."""

    _format = FORMAT_WINDOW
    _logging_layer: type[ChangeLoggingSegmentedStore] = ChangeLoggingSegmentedStore

    def __init__(
        self,
        supplier: Any,
        key_serde: Serde[Any] | type | None,
        value_serde: Serde[Any] | type | None,
    ) -> None:
        super().__init__(supplier.name)
        self.supplier = supplier
        self.key_serde = as_serde(key_serde)
        self.value_serde = as_serde(value_serde)

    @property
    def retention_period(self) -> int:
        """The store's retention, ms (the base of its changelog's ``retention.ms``)."""
        return self.supplier.retention_period  # type: ignore[no-any-return]

    def changelog_config(self, additional_retention_ms: int) -> dict[str, str]:
        """The changelog topic configs Kafka Streams gives a windowed store
        (``WindowedChangelogTopicConfig``), the builder's log config over them."""
        config = {
            "cleanup.policy": "compact,delete",
            "retention.ms": str(self.retention_period + additional_retention_ms),
        }
        config.update(self._log_config)
        return config

    def _bytes_store(self) -> Any:
        store: Any = BufferedSegmentedStore(
            self.supplier.get(), value_format=self._format, checkpointed=self._logging_enabled
        )
        if self._logging_enabled:
            store = self._logging_layer(store, self._log_config)
        return store


class WindowStoreBuilder(_SegmentedStoreBuilder):
    """Builds :class:`~kstreams.state.window_typed.WindowStore` s (Java: ``WindowStoreBuilder``).

    A None serde means the ``default.key.serde`` / ``default.value.serde`` of the app.
    """

    timestamped = False

    def __init__(
        self,
        supplier: WindowBytesStoreSupplier,
        key_serde: Serde[Any] | type | None,
        value_serde: Serde[Any] | type | None,
    ) -> None:
        if not isinstance(supplier, WindowBytesStoreSupplier):
            raise TypeError(f"expected a WindowBytesStoreSupplier, got {supplier!r}")
        super().__init__(supplier, key_serde, value_serde)

    @property
    def window_size(self) -> int:
        """The size of the store's windows, ms."""
        return self.supplier.window_size  # type: ignore[no-any-return]

    @property
    def retain_duplicates(self) -> bool:
        """Whether the store keeps every put."""
        return self.supplier.retain_duplicates  # type: ignore[no-any-return]

    def build(self) -> MeteredWindowStore:
        return MeteredWindowStore(
            self._bytes_store(),
            self.key_serde,
            self.value_serde,
            self.supplier.window_size,
            self.supplier.retain_duplicates,
        )


class TimestampedWindowStoreBuilder(WindowStoreBuilder):
    """Builds :class:`~kstreams.state.window_typed.TimestampedWindowStore` s (Java: ``TimestampedWindowStoreBuilder``)."""

    timestamped = True
    _format = FORMAT_TIMESTAMPED_WINDOW
    _logging_layer = ChangeLoggingTimestampedSegmentedStore

    def build(self) -> MeteredTimestampedWindowStore:
        return MeteredTimestampedWindowStore(
            self._bytes_store(),
            self.key_serde,
            self.value_serde,
            self.supplier.window_size,
            self.supplier.retain_duplicates,
        )


class SessionStoreBuilder(_SegmentedStoreBuilder):
    """Builds :class:`~kstreams.state.window_typed.SessionStore` s (Java: ``SessionStoreBuilder``)."""

    _format = FORMAT_SESSION

    def __init__(
        self,
        supplier: SessionBytesStoreSupplier,
        key_serde: Serde[Any] | type | None,
        value_serde: Serde[Any] | type | None,
    ) -> None:
        if not isinstance(supplier, SessionBytesStoreSupplier):
            raise TypeError(f"expected a SessionBytesStoreSupplier, got {supplier!r}")
        super().__init__(supplier, key_serde, value_serde)

    def build(self) -> MeteredSessionStore:
        return MeteredSessionStore(self._bytes_store(), self.key_serde, self.value_serde)


def _window_durations(
    name: str, retention_period: timedelta | int, window_size: timedelta | int
) -> tuple[int, int]:
    _check_name(name)
    retention = duration_ms(retention_period, "retentionPeriod")
    size = duration_ms(window_size, "windowSize")
    if retention < 0:
        raise ValueError(f"retentionPeriod cannot be negative (store {name}: {retention} ms)")
    if size < 0:
        raise ValueError(f"windowSize cannot be negative (store {name}: {size} ms)")
    if size > retention:
        raise ValueError(
            f"The retention period of the window store {name} must be no smaller than its "
            f"window size. Got size=[{size}], retention=[{retention}]"
        )
    return retention, size


def _session_retention(name: str, retention_period: timedelta | int) -> int:
    _check_name(name)
    retention = duration_ms(retention_period, "retentionPeriod")
    if retention < 0:
        raise ValueError(f"retentionPeriod cannot be negative (store {name}: {retention} ms)")
    return retention


def persistent_window_store(
    name: str,
    retention_period: timedelta | int,
    window_size: timedelta | int,
    retain_duplicates: bool = False,
    timestamped: bool = False,
) -> WindowBytesStoreSupplier:
    """A supplier of RocksDB window stores (:meth:`Stores.persistent_window_store`)."""
    retention, size = _window_durations(name, retention_period, window_size)
    return RocksDBWindowBytesStoreSupplier(
        name,
        retention,
        size,
        bool(retain_duplicates),
        default_segment_interval(retention),
        timestamped,
    )


def persistent_time_ordered_window_store(
    name: str,
    retention_period: timedelta | int,
    window_size: timedelta | int,
    retain_duplicates: bool = False,
) -> WindowBytesStoreSupplier:
    """A supplier of time-ordered RocksDB window stores: what Kafka Streams' DSL materializes a
    windowed aggregation emitting on window close in (``RocksDbIndexedTimeOrderedWindowBytesStoreSupplier``).
    Same validation, segments and changelog as :func:`persistent_window_store`.

    Example::

        persistent_time_ordered_window_store("counts", timedelta(minutes=2), timedelta(minutes=1))
    """
    retention, size = _window_durations(name, retention_period, window_size)
    return RocksDBTimeOrderedWindowBytesStoreSupplier(
        name, retention, size, bool(retain_duplicates), default_segment_interval(retention), True
    )


def persistent_time_ordered_session_store(
    name: str, retention_period: timedelta | int
) -> SessionBytesStoreSupplier:
    """A supplier of time-ordered RocksDB session stores: what Kafka Streams' DSL materializes
    a session aggregation emitting on window close in (``RocksDbTimeOrderedSessionBytesStoreSupplier``)."""
    return RocksDBTimeOrderedSessionBytesStoreSupplier(
        name, _session_retention(name, retention_period)
    )


def persistent_session_store(
    name: str, retention_period: timedelta | int
) -> SessionBytesStoreSupplier:
    """A supplier of RocksDB session stores (:meth:`Stores.persistent_session_store`)."""
    return RocksDBSessionBytesStoreSupplier(name, _session_retention(name, retention_period))


def in_memory_window_store(
    name: str,
    retention_period: timedelta | int,
    window_size: timedelta | int,
    retain_duplicates: bool = False,
) -> WindowBytesStoreSupplier:
    """A supplier of in-memory window stores (:meth:`Stores.in_memory_window_store`)."""
    retention, size = _window_durations(name, retention_period, window_size)
    return InMemoryWindowBytesStoreSupplier(name, retention, size, bool(retain_duplicates))


def in_memory_session_store(
    name: str, retention_period: timedelta | int
) -> SessionBytesStoreSupplier:
    """A supplier of in-memory session stores (:meth:`Stores.in_memory_session_store`)."""
    return InMemorySessionBytesStoreSupplier(name, _session_retention(name, retention_period))
