"""``KGroupedStream`` and ``KGroupedTable``: grouped records, ready to aggregate into a ``KTable``.

Example -- word count::

    counts = (
        lines.flat_map_values(str.split)
        .group_by(lambda _k, word: word, key_serde=Serdes.String())
        .count(Materialized.as_("counts"))
    )
    counts.to_stream().to("word-counts", value_serde=Serdes.Long())
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kstreams.dsl.materialized import Grouped, Materialized
from kstreams.dsl.options import Named
from kstreams.dsl.stores import (
    StoreFactory,
    add_grouping_repartition,
    add_stateful_processor,
    add_table_grouping_repartition,
    store_builder,
)
from kstreams.dsl.table_values import TableAggregation
from kstreams.processor.aggregate import (
    StreamAggregateProcessor,
    StreamReduceProcessor,
    count_aggregator,
    count_initializer,
)
from kstreams.processor.change import ChangeSerde
from kstreams.processor.table import TableAggregateProcessor, TableReduceProcessor
from kstreams.serde.primitives import LongSerde
from kstreams.windows.definitions import SessionWindows, SlidingWindows, TimeWindows

if TYPE_CHECKING:
    from kstreams.builder import StreamsBuilder
    from kstreams.dsl.cogrouped import CogroupedKStream
    from kstreams.dsl.count_windowed import CountWindowedKStream
    from kstreams.dsl.ktable import KTable
    from kstreams.dsl.windowed import SessionWindowedKStream, TimeWindowedKStream
    from kstreams.windows.count_windows import CountWindows


def _named(named: Named | str | None) -> str | None:
    if named is None or isinstance(named, str):
        return named
    return named.name


def named_and_materialized(
    a: Named | Materialized | str | None, b: Named | Materialized | str | None
) -> tuple[str | None, Materialized | None]:
    """Java's overloads ``count(Named)``, ``count(Materialized)``, ``count(Named, Materialized)``:
    either option object may come first."""
    named: str | None = None
    materialized: Materialized | None = None
    for arg in (a, b):
        if arg is None:
            continue
        if isinstance(arg, Materialized):
            materialized = arg
        elif isinstance(arg, Named | str):
            named = _named(arg)
        else:
            raise TypeError(f"expected Named or Materialized, got {arg!r}")
    return named, materialized


class KGroupedStream:
    """Records of a stream grouped by key (Java: ``KGroupedStream``)."""

    def __init__(
        self,
        builder: StreamsBuilder,
        name: str,
        key_serde: Any,
        value_serde: Any,
        repartition_required: bool,
        grouped: Grouped,
    ) -> None:
        self._builder = builder
        self.name = name
        self.key_serde = key_serde
        self.value_serde = value_serde
        self.repartition_required = repartition_required
        self.grouped = grouped
        self._repartition_source: str | None = None

    def _build(
        self,
        prefix: str,
        make_processor: Callable[[str], Callable[[bool], Any]],
        named: Any,
        materialized: Any,
        value_serde: Any,
        factory: StoreFactory | None = None,
    ) -> KTable:
        """Java's ``KGroupedStreamImpl``: store name, then processor name, then the repartition.

        ``make_processor(store_name)(send_old_values)`` makes the processor, once the
        topology is built (when downstream operators have said whether they need old values).

        ``factory``: how a windowed aggregation makes its store and keys its result (default:
        a timestamped key-value store, keys as grouped).
        """
        from kstreams.dsl.ktable import KTable

        graph = self._builder.graph
        named, materialized = named_and_materialized(named, materialized)
        m = materialized or Materialized()
        factory = factory or StoreFactory()
        store_name = m.store_name or graph.new_name(f"{prefix}STATE-STORE-")
        factory.check(store_name, m)
        func = graph.name_or_generate(named, prefix)
        ks = m.key_serde or self.key_serde
        vs = m.value_serde or value_serde
        parent = self.name
        if self.repartition_required:
            # as Java: aggregations of a grouping with a Grouped name share its repartition topic
            parent = add_grouping_repartition(
                graph,
                parent,
                self.grouped.name or store_name,
                self.key_serde,
                self.value_serde,
                self._repartition_source,
            )
            if self.grouped.name:
                self._repartition_source = parent
        aggregation = TableAggregation(store_name)
        make = make_processor(store_name)
        add_stateful_processor(
            graph,
            func,
            parent,
            lambda: make(aggregation.send_old_values),
            store_name,
            lambda: factory.builder(m, store_name, ks, vs),
            factory.graph_tags(),
        )
        return KTable(
            self._builder, func, factory.result_key_serde(ks), vs, store_name, supplier=aggregation
        )

    def cogroup(self, aggregator: Callable[[Any, Any, Any], Any]) -> CogroupedKStream:
        """Start a cogroup with this grouped stream and its ``aggregator(key, value, aggregate)``:
        add other grouped streams of the same key with ``cogroup(other, other_aggregator)``,
        then ``aggregate(initializer)`` them into one table with one store (Java:
        ``KGroupedStream.cogroup``; see :mod:`kstreams.dsl.cogrouped`).

        Example::

            totals = (
                orders.group_by_key()
                .cogroup(lambda k, order, agg: {**agg, "ordered": agg["ordered"] + 1})
                .cogroup(returns.group_by_key(),
                         lambda k, ret, agg: {**agg, "returned": agg["returned"] + 1})
                .aggregate(lambda: {"ordered": 0, "returned": 0},
                           Materialized.as_("totals").with_value_serde(Serdes.JSON()))
            )
        """
        from kstreams.dsl.cogrouped import CogroupedKStream

        return CogroupedKStream(self._builder).cogroup(self, aggregator)

    def windowed_by(
        self, windows: TimeWindows | SlidingWindows | SessionWindows | CountWindows
    ) -> TimeWindowedKStream | SessionWindowedKStream | CountWindowedKStream:
        """Aggregate per window: ``TimeWindows`` (tumbling, hopping) and ``SlidingWindows``
        give a :class:`~kstreams.dsl.windowed.TimeWindowedKStream`, ``SessionWindows`` a
        :class:`~kstreams.dsl.windowed.SessionWindowedKStream`.

        Example::

            per_minute = (
                clicks.group_by_key()
                .windowed_by(TimeWindows.of_size_with_no_grace(timedelta(minutes=1)))
                .count()
            )
        """
        from kstreams.dsl.windowed import SessionWindowedKStream, TimeWindowedKStream

        if isinstance(windows, TimeWindows | SlidingWindows):
            return TimeWindowedKStream(self, windows)
        if isinstance(windows, SessionWindows):
            return SessionWindowedKStream(self, windows)
        from kstreams.windows.count_windows import CountWindows

        if isinstance(windows, CountWindows):  # a kstreams extension
            from kstreams.dsl.count_windowed import CountWindowedKStream

            return CountWindowedKStream(self, windows)
        raise TypeError(
            "windowed_by takes TimeWindows, SlidingWindows, SessionWindows or CountWindows, "
            f"got {windows!r}"
        )

    def count(
        self,
        named: Named | Materialized | str | None = None,
        materialized: Materialized | None = None,
    ) -> KTable:
        """How many records each key has seen (values are Longs; null keys/values are dropped)."""
        _, m = named_and_materialized(named, materialized)
        if m is not None and m.store_name is None:
            # as Java's count(Materialized): an unnamed Materialized draws one store name more
            self._builder.graph.new_name("KSTREAM-AGGREGATE-STATE-STORE-")
        return self._build(
            "KSTREAM-AGGREGATE-",
            lambda store: (
                lambda send_old: StreamAggregateProcessor(
                    store, count_initializer, count_aggregator, send_old
                )
            ),
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
        """Combine each key's values: the first value, then ``reducer(aggregate, value)``."""
        return self._build(
            "KSTREAM-REDUCE-",
            lambda store: lambda send_old: StreamReduceProcessor(store, reducer, send_old),
            named,
            materialized,
            self.value_serde,
        )

    def aggregate(
        self,
        initializer: Callable[[], Any],
        aggregator: Callable[[Any, Any, Any], Any],
        named: Named | Materialized | str | None = None,
        materialized: Materialized | None = None,
    ) -> KTable:
        """``aggregate = aggregator(key, value, aggregate)``, starting from ``initializer()``.

        The aggregate's serde comes from ``materialized`` (else ``default.value.serde``).
        """
        return self._build(
            "KSTREAM-AGGREGATE-",
            lambda store: (
                lambda send_old: StreamAggregateProcessor(store, initializer, aggregator, send_old)
            ),
            named,
            materialized,
            None,
        )


class KGroupedTable:
    """Rows of a table re-grouped by a new key (Java: ``KGroupedTable``).

    Aggregations subtract a row's old value from its old group and add its new
    value to its new group.
    """

    def __init__(
        self, builder: StreamsBuilder, name: str, key_serde: Any, value_serde: Any, grouped: Grouped
    ) -> None:
        self._builder = builder
        self.name = name
        self.key_serde = key_serde
        self.value_serde = value_serde
        self.grouped = grouped
        self._repartition_source: str | None = None

    def _build(
        self,
        prefix: str,
        make_processor: Callable[[str], Callable[[bool], Any]],
        named: Any,
        materialized: Any,
        value_serde: Any,
    ) -> KTable:
        """Java's ``KGroupedTableImpl``: store name, repartition sink and source, processor name.

        ``make_processor(store_name)(send_old_values)`` makes the processor (as for streams).

        The store is ``KTABLE-AGGREGATE-STATE-STORE-...`` for reduce too, as in Java.
        """
        from kstreams.dsl.ktable import KTable

        graph = self._builder.graph
        named, materialized = named_and_materialized(named, materialized)
        m = materialized or Materialized()
        store = m.store_name or graph.new_name("KTABLE-AGGREGATE-STATE-STORE-")
        change_serde = ChangeSerde(self.value_serde)
        source = add_table_grouping_repartition(
            graph,
            self.name,
            f"{self.grouped.name or store}-repartition",
            self.key_serde,
            change_serde,
            named,
            self._repartition_source,
        )
        if self.grouped.name:  # as Java: aggregations of a named grouping share its topic
            self._repartition_source = source
        func = graph.name_or_generate(named, prefix)
        ks = m.key_serde or self.key_serde
        vs = m.value_serde or value_serde
        aggregation = TableAggregation(store)
        make = make_processor(store)
        add_stateful_processor(
            graph,
            func,
            source,
            lambda: make(aggregation.send_old_values),
            store,
            lambda: store_builder(m, store, ks, vs),
        )
        return KTable(self._builder, func, ks, vs, store, supplier=aggregation)

    def count(
        self,
        named: Named | Materialized | str | None = None,
        materialized: Materialized | None = None,
    ) -> KTable:
        """How many rows each group has (rows moving between groups are moved in the counts)."""
        return self._build(
            "KTABLE-AGGREGATE-",
            lambda store: (
                lambda send_old: TableAggregateProcessor(
                    store,
                    count_initializer,
                    lambda k, v, agg: agg + 1,
                    lambda k, v, agg: agg - 1,
                    send_old,
                )
            ),
            named,
            materialized,
            LongSerde(),
        )

    def reduce(
        self,
        adder: Callable[[Any, Any], Any],
        subtractor: Callable[[Any, Any], Any],
        named: Named | Materialized | str | None = None,
        materialized: Materialized | None = None,
    ) -> KTable:
        """``adder(aggregate, new_value)`` and ``subtractor(aggregate, old_value)`` per group."""
        return self._build(
            "KTABLE-REDUCE-",
            lambda store: lambda send_old: TableReduceProcessor(store, adder, subtractor, send_old),
            named,
            materialized,
            self.value_serde,
        )

    def aggregate(
        self,
        initializer: Callable[[], Any],
        adder: Callable[[Any, Any, Any], Any],
        subtractor: Callable[[Any, Any, Any], Any],
        named: Named | Materialized | str | None = None,
        materialized: Materialized | None = None,
    ) -> KTable:
        """``adder(key, new, agg)`` / ``subtractor(key, old, agg)``, starting from ``initializer()``."""
        return self._build(
            "KTABLE-AGGREGATE-",
            lambda store: (
                lambda send_old: TableAggregateProcessor(
                    store, initializer, adder, subtractor, send_old
                )
            ),
            named,
            materialized,
            None,
        )
