"""``CountWindowedKStream``: a grouped stream in count windows, ready to aggregate (a kstreams extension).

``KGroupedStream.windowed_by(CountWindows.of(n))`` returns one; ``count``, ``reduce`` and
``aggregate`` give a ``KTable[Windowed[K], V]`` with one final result per window
(:mod:`kstreams.processor.count_window_aggregate`), named and stored as a time-windowed
aggregation is (``KSTREAM-AGGREGATE-<n>`` with a timestamped window store, changelogged and
restored the same way). The window store is keyed by each window's first record number and
never drops windows by time (its changelog is compacted only); the table's keys are written
with the session-windowed serde (key, end, start: the window's latest and earliest timestamps).

Example::

    per_100 = clicks.group_by_key().windowed_by(CountWindows.of(100)).count()
    per_100.to_stream().map(lambda w, n: (w.key, n)).to("clicks-per-100")
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kstreams.dsl.materialized import Materialized
from kstreams.dsl.options import Named
from kstreams.dsl.stores import StoreFactory
from kstreams.dsl.windowed import _aggregator_for, _burn_store_name_if_unnamed, _reduce_initializer
from kstreams.processor.aggregate import count_aggregator, count_initializer
from kstreams.processor.count_window_aggregate import (
    CountWindowAggregateProcessor,
    CountWindowStateSerde,
)
from kstreams.serde.primitives import LongSerde
from kstreams.serde.windowed import SessionWindowedSerde
from kstreams.state.window_builders import TimestampedWindowStoreBuilder
from kstreams.windows.count_windows import CountWindows

if TYPE_CHECKING:
    from kstreams.dsl.kgrouped import KGroupedStream
    from kstreams.dsl.ktable import KTable

COUNT_WINDOWS_TAG = "count_windows"
"""The graph-node tag of a count-windowed aggregation (``KTable.suppress`` reads it)."""

COUNT_WINDOW_RETENTION = 1 << 62
"""The retention of a count-window store: never reached (windows leave when complete)."""


class CountWindowStoreBuilder(TimestampedWindowStoreBuilder):
    """A timestamped window store builder whose values are
    :class:`~kstreams.processor.count_window_aggregate.CountWindowState` s of the aggregate's
    serde (``value_serde``, the app's default when None)."""

    def build(self) -> Any:
        inner = self.value_serde
        self.value_serde = CountWindowStateSerde(inner)  # type: ignore[arg-type]
        try:
            return super().build()
        finally:
            self.value_serde = inner


class CountWindowStoreFactory(StoreFactory):
    """The store of a count-windowed aggregation: a timestamped window store (RocksDB unless
    ``Materialized.with_store_type("in_memory")``), no record cache, a compacted changelog."""

    def __init__(self, windows: CountWindows) -> None:
        self.windows = windows

    def check(self, store_name: str, m: Materialized) -> None:
        if m.retention_ms is not None:
            raise ValueError(
                f"Count-window store {store_name}: with_retention does not apply to count "
                "windows (a window is kept until its last record arrives, then deleted)"
            )
        if m.store_supplier is not None:
            raise ValueError(
                f"Count-window store {store_name}: a store supplier cannot be given for count "
                "windows; use Materialized.as_(name) with with_store_type('in_memory') or not"
            )

    def builder(self, m: Materialized, name: str, key_serde: Any, value_serde: Any) -> Any:
        from kstreams.state import Stores

        size = self.windows.size
        if m.store_type == "in_memory":
            supplier = Stores.in_memory_window_store(name, COUNT_WINDOW_RETENTION, size, False)
        else:
            supplier = Stores.persistent_timestamped_window_store(
                name, COUNT_WINDOW_RETENTION, size, False
            )
        builder = CountWindowStoreBuilder(supplier, key_serde, value_serde)
        if m.logging_enabled:
            builder.with_logging_enabled({**m.log_config, "cleanup.policy": "compact"})
        else:
            builder.with_logging_disabled()
        return builder.with_caching_disabled()

    def result_key_serde(self, key_serde: Any) -> Any:
        return SessionWindowedSerde(key_serde)

    def graph_tags(self) -> dict[str, object]:
        return {COUNT_WINDOWS_TAG: True}


class CountWindowedKStream:
    """A grouped stream in ``CountWindows`` (a kstreams extension; Kafka Streams has none)."""

    def __init__(self, grouped: KGroupedStream, windows: CountWindows) -> None:
        if not isinstance(windows, CountWindows):
            raise TypeError(f"expected CountWindows, got {windows!r}")
        self._grouped = grouped
        self.windows = windows

    def _aggregate(
        self,
        prefix: str,
        initializer: Callable[[], Any],
        aggregator: Callable[[Any, Any, Any], Any],
        named: Any,
        materialized: Any,
        value_serde: Any,
    ) -> KTable:
        windows = self.windows

        def make(store: str) -> Callable[[bool], Any]:
            # each count window is forwarded once, complete, never with an old value
            return lambda _send_old: CountWindowAggregateProcessor(
                store, windows, initializer, aggregator
            )

        return self._grouped._build(
            prefix, make, named, materialized, value_serde, CountWindowStoreFactory(windows)
        )

    def count(
        self,
        named: Named | Materialized | str | None = None,
        materialized: Materialized | None = None,
    ) -> KTable:
        """How many records each window holds: ``size``, except for null-keyed ones (dropped).

        Mostly useful for the window's bounds (``w.window.start`` / ``end``): the count is the
        window size."""
        _burn_store_name_if_unnamed(self._grouped, named, materialized)
        return self._aggregate(
            "KSTREAM-AGGREGATE-",
            count_initializer,
            count_aggregator,
            named,
            materialized,
            LongSerde(),
        )

    def reduce(
        self,
        reducer: Callable[[Any, Any], Any],
        named: Named | Materialized | str | None = None,
        materialized: Materialized | None = None,
    ) -> KTable:
        """Combine each window's values: the first value, then ``reducer(aggregate, value)``."""
        if not callable(reducer):
            raise TypeError(f"reducer must be callable, got {reducer!r}")
        return self._aggregate(
            "KSTREAM-REDUCE-",
            _reduce_initializer,
            _aggregator_for(reducer),
            named,
            materialized,
            self._grouped.value_serde,
        )

    def aggregate(
        self,
        initializer: Callable[[], Any],
        aggregator: Callable[[Any, Any, Any], Any],
        named: Named | Materialized | str | None = None,
        materialized: Materialized | None = None,
    ) -> KTable:
        """``aggregate = aggregator(key, value, aggregate)`` per window, from ``initializer()``.

        The aggregate's serde comes from ``materialized`` (else ``default.value.serde``).
        """
        if not callable(initializer) or not callable(aggregator):
            raise TypeError("initializer and aggregator must be callable")
        return self._aggregate(
            "KSTREAM-AGGREGATE-", initializer, aggregator, named, materialized, None
        )
