"""How windowed aggregations make their stores: retention rules, store kinds, result key serdes.

Kafka Streams' ``WindowStoreMaterializer``, ``SlidingWindowStoreMaterializer`` and
``SessionStoreMaterializer``: the retention is ``Materialized.with_retention`` or, by default,

* time windows: size + grace,
* sliding windows: 2 x time difference + grace (the right window of a record needs the windows
  of the records up to two differences before it),
* sessions: inactivity gap + grace,

and a retention below that is an error naming the store. The store is a timestamped window
store (sessions: a session store), RocksDB unless ``with_store_type("in_memory")`` or a store
supplier says otherwise (emitting on window close, the time-ordered RocksDB stores Java's DSL
uses). The resulting table's keys use the windowed serdes of
:mod:`kstreams.serde.windowed`.
"""

from __future__ import annotations

from typing import Any

from kstreams.dsl.grace import WINDOW_GRACE_TAG
from kstreams.dsl.materialized import Materialized
from kstreams.dsl.stores import StoreFactory
from kstreams.serde.windowed import SessionWindowedSerde, TimeWindowedSerde
from kstreams.windows.definitions import SessionWindows, SlidingWindows, TimeWindows
from kstreams.windows.emit import EmitStrategy


def _logging_and_caching(builder: Any, m: Materialized, caching: bool) -> Any:
    builder = (
        builder.with_logging_enabled(m.log_config)
        if m.logging_enabled
        else builder.with_logging_disabled()
    )
    return builder.with_caching_enabled() if caching else builder.with_caching_disabled()


class WindowStoreFactory(StoreFactory):
    """The timestamped window store of a ``TimeWindows`` or ``SlidingWindows`` aggregation."""

    def __init__(self, windows: TimeWindows | SlidingWindows, emit_strategy: EmitStrategy) -> None:
        self.windows = windows
        self.emit_strategy = emit_strategy
        if isinstance(windows, SlidingWindows):
            self.window_size = windows.time_difference_ms()
            self.minimum_retention = 2 * self.window_size + windows.grace_ms()
        else:
            self.window_size = windows.size()
            self.minimum_retention = self.window_size + windows.grace_ms()

    def retention(self, m: Materialized) -> int:
        """The store's retention, ms."""
        return m.retention_ms if m.retention_ms is not None else self.minimum_retention

    def check(self, store_name: str, m: Materialized) -> None:
        retention = self.retention(m)
        if retention >= self.minimum_retention:
            return
        w = self.windows
        if isinstance(w, SlidingWindows):
            raise ValueError(
                f"The retention period of the window store {store_name} must be no smaller "
                "than 2 * time difference plus the grace period. Got time difference="
                f"[{w.time_difference_ms()}], grace=[{w.grace_ms()}], retention=[{retention}]"
            )
        raise ValueError(
            f"The retention period of the window store {store_name} must be no smaller than "
            f"its window size plus the grace period. Got size=[{w.size()}], "
            f"grace=[{w.grace_ms()}], retention=[{retention}]"
        )

    def builder(self, m: Materialized, name: str, key_serde: Any, value_serde: Any) -> Any:
        from kstreams.state import Stores

        if m.store_supplier is not None:
            supplier = m.store_supplier
        elif m.store_type == "in_memory":
            supplier = Stores.in_memory_window_store(
                name, self.retention(m), self.window_size, False
            )
        elif self.emit_strategy.on_close:
            # as Java's DSL: emitting on close, a time-ordered RocksDB store (it reads windows
            # from stream time - retention, the others from one ms later: a window closes
            # exactly when they would drop it)
            from kstreams.state.window_builders import persistent_time_ordered_window_store

            supplier = persistent_time_ordered_window_store(
                name, self.retention(m), self.window_size, False
            )
        else:
            supplier = Stores.persistent_timestamped_window_store(
                name, self.retention(m), self.window_size, False
            )
        builder = Stores.timestamped_window_store_builder(supplier, key_serde, value_serde)
        caching = m.caching_enabled
        if isinstance(self.windows, SlidingWindows) and self.emit_strategy.on_close:
            caching = False  # as Java: no cache for sliding windows emitting on close
        return _logging_and_caching(builder, m, caching)

    def result_key_serde(self, key_serde: Any) -> Any:
        return TimeWindowedSerde(key_serde, self.window_size)

    def graph_tags(self) -> dict[str, object]:
        return {WINDOW_GRACE_TAG: self.windows.grace_ms()}


class SessionStoreFactory(StoreFactory):
    """The session store of a ``SessionWindows`` aggregation."""

    def __init__(self, windows: SessionWindows, emit_strategy: EmitStrategy) -> None:
        self.windows = windows
        self.emit_strategy = emit_strategy
        self.minimum_retention = windows.inactivity_gap() + windows.grace_ms()

    def retention(self, m: Materialized) -> int:
        """The store's retention, ms."""
        return m.retention_ms if m.retention_ms is not None else self.minimum_retention

    def check(self, store_name: str, m: Materialized) -> None:
        retention = self.retention(m)
        if retention < self.minimum_retention:
            w = self.windows
            raise ValueError(
                f"The retention period of the session store {store_name} must be no smaller "
                "than the session inactivity gap plus the grace period. Got gap="
                f"[{w.inactivity_gap()}], grace=[{w.grace_ms()}], retention=[{retention}]"
            )

    def builder(self, m: Materialized, name: str, key_serde: Any, value_serde: Any) -> Any:
        from kstreams.state import Stores

        if m.store_supplier is not None:
            supplier = m.store_supplier
        elif m.store_type == "in_memory":
            supplier = Stores.in_memory_session_store(name, self.retention(m))
        elif self.emit_strategy.on_close:
            # as Java's DSL: emitting on close, a time-ordered RocksDB session store, which
            # finds closed sessions by their end
            from kstreams.state.window_builders import persistent_time_ordered_session_store

            supplier = persistent_time_ordered_session_store(name, self.retention(m))
        else:
            supplier = Stores.persistent_session_store(name, self.retention(m))
        builder = Stores.session_store_builder(supplier, key_serde, value_serde)
        caching = m.caching_enabled and not self.emit_strategy.on_close
        return _logging_and_caching(builder, m, caching)

    def result_key_serde(self, key_serde: Any) -> Any:
        return SessionWindowedSerde(key_serde)

    def graph_tags(self) -> dict[str, object]:
        return {WINDOW_GRACE_TAG: self.windows.grace_ms() + self.windows.inactivity_gap()}
