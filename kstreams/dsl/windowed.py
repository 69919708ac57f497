"""``TimeWindowedKStream`` and ``SessionWindowedKStream``: a grouped stream, windowed, ready to aggregate.

``KGroupedStream.windowed_by(...)`` returns one of these; ``count``, ``reduce`` and
``aggregate`` give a ``KTable[Windowed[K], V]`` backed by a window (or session) store, named
as Kafka Streams names it (``KSTREAM-AGGREGATE-STATE-STORE-0000000001``). The table's key serde
is the windowed serde of the grouping's key serde (:mod:`kstreams.serde.windowed`), so
``to_stream().to(topic)`` writes keys as Java does.

Stream time and late records: each windowed aggregation tracks the largest timestamp it has
seen (its observed stream time, which never goes back). A window closes when stream time passes
its end plus the grace period -- stream time minus grace is what other engines call the
watermark -- and records for closed windows are dropped, counted in ``dropped-records-total``
and logged at debug once per window.

Example -- clicks per user and minute, final results only::

    per_minute = (
        clicks.group_by_key()
        .windowed_by(TimeWindows.of_size_and_grace(timedelta(minutes=1), timedelta(seconds=10)))
        .emit_strategy(EmitStrategy.on_window_close())
        .count(Materialized.as_("clicks-per-minute"))
    )
    per_minute.to_stream().map(lambda w, n: (w.key, n)).to("clicks-per-minute")
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kstreams.dsl.kgrouped import named_and_materialized
from kstreams.dsl.materialized import Materialized
from kstreams.dsl.options import Named
from kstreams.dsl.window_stores import SessionStoreFactory, WindowStoreFactory
from kstreams.processor.aggregate import count_aggregator, count_initializer
from kstreams.processor.session_aggregate import SessionWindowAggregateProcessor
from kstreams.processor.sliding_aggregate import SlidingWindowAggregateProcessor
from kstreams.processor.window_aggregate import TimeWindowAggregateProcessor
from kstreams.serde.primitives import LongSerde
from kstreams.windows.definitions import SessionWindows, SlidingWindows, TimeWindows
from kstreams.windows.emit import EmitStrategy

if TYPE_CHECKING:
    from kstreams.dsl.kgrouped import KGroupedStream
    from kstreams.dsl.ktable import KTable

_AGGREGATE = "KSTREAM-AGGREGATE-"
_REDUCE = "KSTREAM-REDUCE-"


def _reduce_initializer() -> Any:
    return None


def _aggregator_for(reducer: Callable[[Any, Any], Any]) -> Callable[[Any, Any, Any], Any]:
    """Java's ``aggregatorForReducer``: the first value, then ``reducer(aggregate, value)``."""

    def reduce(key: Any, value: Any, aggregate: Any) -> Any:
        return value if aggregate is None else reducer(aggregate, value)

    return reduce


def _check_emit_strategy(strategy: EmitStrategy) -> EmitStrategy:
    if not isinstance(strategy, EmitStrategy):
        raise TypeError(
            "emit_strategy takes EmitStrategy.on_window_close() or "
            f"EmitStrategy.on_window_update(), got {strategy!r}"
        )
    return strategy


def _burn_store_name_if_unnamed(grouped: KGroupedStream, a: Any, b: Any) -> None:
    """As Java's ``count(Materialized)``: an unnamed Materialized draws one store name more
    (kept there for topology compatibility), so later generated names match Java's."""
    _, materialized = named_and_materialized(a, b)
    if materialized is not None and materialized.store_name is None:
        grouped._builder.graph.new_name(f"{_AGGREGATE}STATE-STORE-")


class TimeWindowedKStream:
    """A grouped stream in ``TimeWindows`` or ``SlidingWindows`` (Java: ``TimeWindowedKStream``)."""

    def __init__(self, grouped: KGroupedStream, windows: TimeWindows | SlidingWindows) -> None:
        self._grouped = grouped
        self.windows = windows
        self._emit_strategy = EmitStrategy.on_window_update()

    def emit_strategy(self, strategy: EmitStrategy) -> TimeWindowedKStream:
        """Forward every window update (default) or, with ``EmitStrategy.on_window_close()``,
        each window once when it closes."""
        self._emit_strategy = _check_emit_strategy(strategy)
        return self

    def _aggregate(
        self,
        prefix: str,
        initializer: Callable[[], Any],
        aggregator: Callable[[Any, Any, Any], Any],
        named: Any,
        materialized: Any,
        value_serde: Any,
    ) -> KTable:
        windows, strategy = self.windows, self._emit_strategy

        def make(store: str) -> Callable[[bool], Any]:
            if isinstance(windows, SlidingWindows):
                return lambda send_old: SlidingWindowAggregateProcessor(
                    store, windows, strategy, initializer, aggregator, send_old
                )
            return lambda send_old: TimeWindowAggregateProcessor(
                store, windows, strategy, initializer, aggregator, send_old
            )

        return self._grouped._build(
            prefix,
            make,
            named,
            materialized,
            value_serde,
            WindowStoreFactory(windows, strategy),
        )

    def count(
        self,
        named: Named | Materialized | str | None = None,
        materialized: Materialized | None = None,
    ) -> KTable:
        """How many records each key has per window (Longs; records with a null key are dropped)."""
        if not isinstance(self.windows, SlidingWindows):
            _burn_store_name_if_unnamed(self._grouped, named, materialized)
        return self._aggregate(
            _AGGREGATE, count_initializer, count_aggregator, named, materialized, LongSerde()
        )

    def reduce(
        self,
        reducer: Callable[[Any, Any], Any],
        named: Named | Materialized | str | None = None,
        materialized: Materialized | None = None,
    ) -> KTable:
        """Combine each key's values per window: the first value, then ``reducer(aggregate, value)``."""
        if not callable(reducer):
            raise TypeError(f"reducer must be callable, got {reducer!r}")
        return self._aggregate(
            _REDUCE,
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
        return self._aggregate(_AGGREGATE, initializer, aggregator, named, materialized, None)


class SessionWindowedKStream:
    """A grouped stream in ``SessionWindows`` (Java: ``SessionWindowedKStream``)."""

    def __init__(self, grouped: KGroupedStream, windows: SessionWindows) -> None:
        self._grouped = grouped
        self.windows = windows
        self._emit_strategy = EmitStrategy.on_window_update()

    def emit_strategy(self, strategy: EmitStrategy) -> SessionWindowedKStream:
        """Forward every session update (default) or, with ``EmitStrategy.on_window_close()``,
        each session once when it closes."""
        self._emit_strategy = _check_emit_strategy(strategy)
        return self

    def _aggregate(
        self,
        prefix: str,
        initializer: Callable[[], Any],
        aggregator: Callable[[Any, Any, Any], Any],
        merger: Callable[[Any, Any, Any], Any],
        named: Any,
        materialized: Any,
        value_serde: Any,
    ) -> KTable:
        windows, strategy = self.windows, self._emit_strategy

        def make(store: str) -> Callable[[bool], Any]:
            return lambda send_old: SessionWindowAggregateProcessor(
                store, windows, strategy, initializer, aggregator, merger, send_old
            )

        return self._grouped._build(
            prefix,
            make,
            named,
            materialized,
            value_serde,
            SessionStoreFactory(windows, strategy),
        )

    def count(
        self,
        named: Named | Materialized | str | None = None,
        materialized: Materialized | None = None,
    ) -> KTable:
        """How many records each key's sessions hold (merged sessions add their counts)."""
        _burn_store_name_if_unnamed(self._grouped, named, materialized)
        return self._aggregate(
            _AGGREGATE,
            count_initializer,
            count_aggregator,
            lambda key, a, b: a + b,
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
        """Combine each session's values with ``reducer(aggregate, value)``; merging sessions
        reduces their aggregates, earlier session first."""
        if not callable(reducer):
            raise TypeError(f"reducer must be callable, got {reducer!r}")
        aggregator = _aggregator_for(reducer)
        return self._aggregate(
            _REDUCE,
            _reduce_initializer,
            aggregator,
            lambda key, one, two: aggregator(key, two, one),
            named,
            materialized,
            self._grouped.value_serde,
        )

    def aggregate(
        self,
        initializer: Callable[[], Any],
        aggregator: Callable[[Any, Any, Any], Any],
        merger: Callable[[Any, Any, Any], Any],
        named: Named | Materialized | str | None = None,
        materialized: Materialized | None = None,
    ) -> KTable:
        """``aggregator(key, value, aggregate)`` per session from ``initializer()``; when a record
        bridges sessions, ``merger(key, aggregate_one, aggregate_two)`` combines them."""
        if not callable(initializer) or not callable(aggregator) or not callable(merger):
            raise TypeError("initializer, aggregator and merger must be callable")
        return self._aggregate(
            _AGGREGATE, initializer, aggregator, merger, named, materialized, None
        )
