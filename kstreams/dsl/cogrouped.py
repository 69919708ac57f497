"""Cogrouped streams: several grouped streams aggregated into one table with one store.

Kafka Streams' ``CogroupedKStream`` (KIP-150): ``KGroupedStream.cogroup(aggregator)`` starts
one, ``cogroup(other_grouped, other_aggregator)`` adds inputs (their values may differ in type;
their keys must be the same), and ``aggregate(initializer)`` -- or ``windowed_by(windows)``
then ``aggregate`` -- gives a ``KTable``. Each input gets its own aggregate processor
(``COGROUPKSTREAM-AGGREGATE-<n>``, or ``<name>-cogroup-agg-<i>`` with ``Named``), all of them
reading and writing the same store (``COGROUPKSTREAM-AGGREGATE-STATE-STORE-<n>`` unless
``Materialized`` names it), and a pass-through ``COGROUPKSTREAM-MERGE-<n>``
(``<name>-cogroup-merge``) is the resulting table. An input whose key was changed upstream goes
through its own repartition topic first, named after its ``Grouped`` name or else the store
(``<store>-repartition``); all inputs then read in one sub-topology, so their topics must be
co-partitioned.

As in Kafka Streams, the store's key and value serdes come from ``Materialized`` or the
app's defaults (not from the groupings), windowed cogroups forward every update (there is no
``emit_strategy``), and each input's processor keeps its own observed stream time for
closing windows.

Example -- a customer's purchases and refunds in one running balance::

    purchases = builder.stream("purchases").group_by_key()
    refunds = builder.stream("refunds").group_by_key()
    balance = (
        purchases.cogroup(lambda key, amount, total: total + int(amount))
        .cogroup(refunds, lambda key, amount, total: total - int(amount))
        .aggregate(lambda: 0, Materialized.as_("balances").with_value_serde(Serdes.Long()))
    )
    balance.to_stream().to("balances", value_serde=Serdes.Long())
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kstreams.dsl.graph import GraphNode
from kstreams.dsl.kgrouped import named_and_materialized
from kstreams.dsl.materialized import Materialized
from kstreams.dsl.options import Named
from kstreams.dsl.stores import StoreFactory, add_grouping_repartition
from kstreams.dsl.table_values import TableAggregation
from kstreams.dsl.window_stores import SessionStoreFactory, WindowStoreFactory
from kstreams.errors import TopologyError
from kstreams.processor.aggregate import StreamAggregateProcessor
from kstreams.processor.session_aggregate import SessionWindowAggregateProcessor
from kstreams.processor.sliding_aggregate import SlidingWindowAggregateProcessor
from kstreams.processor.stateless import PassThroughProcessor
from kstreams.processor.window_aggregate import TimeWindowAggregateProcessor
from kstreams.topology.topology import Topology
from kstreams.windows.definitions import SessionWindows, SlidingWindows, TimeWindows
from kstreams.windows.emit import EmitStrategy

if TYPE_CHECKING:
    from kstreams.builder import StreamsBuilder
    from kstreams.dsl.kgrouped import KGroupedStream
    from kstreams.dsl.ktable import KTable

AGGREGATE_NAME = "COGROUPKSTREAM-AGGREGATE-"
MERGE_NAME = "COGROUPKSTREAM-MERGE-"

#: ``make(store, aggregator, node_name)(send_old_values)``: one input's aggregate processor
MakeProcessor = Callable[[str, Callable[[Any, Any, Any], Any], str], Callable[[bool], Any]]


def _suffixed_or_generated(
    builder: StreamsBuilder, named: str | None, suffix: str, prefix: str
) -> str:
    """Java's ``NamedInternal.suffixWithOrElseGet``: ``named + suffix``, or a generated name;
    the counter advances either way (so later generated names match Java's)."""
    generated = builder.graph.new_name(prefix)
    return f"{named}{suffix}" if named else generated


def _check_callable(what: str, fn: Any) -> None:
    if not callable(fn):
        raise TypeError(f"{what} must be callable, got {fn!r}")


class CogroupedKStream:
    """Grouped streams of the same key, each with its aggregator, ready to aggregate into one
    table (Java: ``CogroupedKStream``). Made by :meth:`KGroupedStream.cogroup`."""

    def __init__(self, builder: StreamsBuilder) -> None:
        self._builder = builder
        # input -> its aggregator, in the order added (Java: groupPatterns, a LinkedHashMap);
        # shared with the windowed views made by windowed_by, as in Java
        self._patterns: dict[KGroupedStream, Callable[[Any, Any, Any], Any]] = {}
        # input -> the node its aggregate processors read from (its repartition source, made
        # once per cogroup: Java's CogroupedStreamAggregateBuilder.parentNodes)
        self._parents: dict[KGroupedStream, str] = {}

    def cogroup(
        self, grouped: KGroupedStream, aggregator: Callable[[Any, Any, Any], Any]
    ) -> CogroupedKStream:
        """Add ``grouped`` as an input: each of its records updates its key's aggregate with
        ``aggregator(key, value, aggregate)``. Returns this cogrouped stream.

        Cogrouping the same grouped stream again replaces its aggregator, as in Java.
        """
        from kstreams.dsl.kgrouped import KGroupedStream

        if not isinstance(grouped, KGroupedStream):
            raise TypeError(
                "cogroup takes a KGroupedStream (stream.group_by_key() or stream.group_by(...)), "
                f"got {grouped!r}"
            )
        _check_callable("aggregator", aggregator)
        if grouped._builder is not self._builder:
            raise TopologyError(
                f"cogroup: the grouped stream {grouped.name} belongs to another StreamsBuilder; "
                "every input of a cogroup must come from the same builder"
            )
        self._patterns[grouped] = aggregator
        return self

    def aggregate(
        self,
        initializer: Callable[[], Any],
        materialized: Materialized | Named | str | None = None,
        named: Named | Materialized | str | None = None,
    ) -> KTable:
        """One aggregate per key over all inputs, starting from ``initializer()``.

        ``materialized`` names the store and gives its serdes (else the app's defaults);
        ``named`` names the processors (``<name>-cogroup-agg-<i>``, ``<name>-cogroup-merge``).
        Either may come first. Records with a null key or value are dropped.
        """
        _check_callable("initializer", initializer)

        def make(store: str, aggregator: Any, node: str) -> Callable[[bool], Any]:
            return lambda send_old: StreamAggregateProcessor(
                store, initializer, aggregator, send_old
            )

        return self._build(materialized, named, StoreFactory(), make)

    def windowed_by(
        self, windows: TimeWindows | SlidingWindows | SessionWindows
    ) -> TimeWindowedCogroupedKStream | SessionWindowedCogroupedKStream:
        """Aggregate per window: ``TimeWindows`` (tumbling, hopping) and ``SlidingWindows`` give
        a :class:`TimeWindowedCogroupedKStream`, ``SessionWindows`` a
        :class:`SessionWindowedCogroupedKStream`.

        Example::

            per_minute = (
                views.cogroup(lambda k, v, agg: agg + 1)
                .cogroup(clicks, lambda k, v, agg: agg + 10)
                .windowed_by(TimeWindows.of_size_with_no_grace(timedelta(minutes=1)))
                .aggregate(lambda: 0, Materialized.with_(Serdes.String(), Serdes.Long()))
            )
        """
        if isinstance(windows, TimeWindows | SlidingWindows):
            return TimeWindowedCogroupedKStream(self, windows)
        if isinstance(windows, SessionWindows):
            return SessionWindowedCogroupedKStream(self, windows)
        raise TypeError(
            "CogroupedKStream.windowed_by takes TimeWindows, SlidingWindows or SessionWindows, "
            f"got {windows!r}"
        )

    # -- the graph, as Java's CogroupedStreamAggregateBuilder records it ----------------------

    def _build(
        self,
        materialized: Any,
        named: Any,
        factory: StoreFactory,
        make_processor: MakeProcessor,
    ) -> KTable:
        """Store name, each input's repartition, one aggregate processor per input (the
        first adds the store, the others connect to it), then the merge node."""
        from kstreams.dsl.ktable import KTable

        if not self._patterns:  # pragma: no cover - KGroupedStream.cogroup always adds one
            raise TopologyError("a cogroup needs at least one grouped stream")
        graph = self._builder.graph
        name, m = named_and_materialized(named, materialized)
        m = m or Materialized()
        store = m.store_name or graph.new_name(f"{AGGREGATE_NAME}STATE-STORE-")
        factory.check(store, m)
        self._process_repartitions(store)
        key_serde, value_serde = m.key_serde, m.value_serde
        aggregation = TableAggregation(store)
        processors: list[str] = []
        for i, (grouped, aggregator) in enumerate(self._patterns.items()):
            node = _suffixed_or_generated(self._builder, name, f"-cogroup-agg-{i}", AGGREGATE_NAME)
            make = make_processor(store, aggregator, node)
            graph.add(
                GraphNode(
                    node,
                    [self._parents[grouped]],
                    _processor_writer(
                        node,
                        self._parents[grouped],
                        lambda make=make: make(aggregation.send_old_values),
                        store,
                        None
                        if processors
                        else (lambda: factory.builder(m, store, key_serde, value_serde)),
                    ),
                    tags=factory.graph_tags(),
                )
            )
            processors.append(node)
        merge = _suffixed_or_generated(self._builder, name, "-cogroup-merge", MERGE_NAME)

        def write_merge(topology: Topology) -> None:
            topology.add_processor(merge, PassThroughProcessor, *processors)

        graph.add(GraphNode(merge, list(processors), write_merge))
        return KTable(
            self._builder,
            merge,
            factory.result_key_serde(key_serde),
            value_serde,
            store,
            supplier=aggregation,
        )

    def _process_repartitions(self, store: str) -> None:
        """Java's ``processRepartitions``: an input whose key changed upstream reads through a
        repartition topic named after its ``Grouped`` name, else after the store. The names
        are drawn at every aggregation; the topic is made once per cogroup and input."""
        graph = self._builder.graph
        new: dict[str, KGroupedStream] = {}
        for grouped in self._patterns:
            if grouped.repartition_required and grouped not in self._parents:
                base = grouped.grouped.name or store
                topic = base if base.endswith("-repartition") else f"{base}-repartition"
                other = new.setdefault(topic, grouped)
                if other is not grouped:
                    raise TopologyError(
                        f"cogroup: the grouped streams {other.name} and {grouped.name} both "
                        f"need repartitioning and would both write the repartition topic "
                        f"{topic}. Give them repartition topics of their own: group them with "
                        "distinct Grouped.as_(name)."
                    )
        for grouped in self._patterns:
            if not grouped.repartition_required:
                self._parents[grouped] = grouped.name
                continue
            self._parents[grouped] = add_grouping_repartition(
                graph,
                grouped.name,
                grouped.grouped.name or store,
                grouped.key_serde,
                grouped.value_serde,
                self._parents.get(grouped),
            )


def _processor_writer(
    node: str,
    parent: str,
    supplier: Callable[[], Any],
    store: str,
    store_builder: Callable[[], Any] | None,
) -> Callable[[Topology], None]:
    """Write one input's aggregate processor: with the store (the first input) or connected to
    the store the first one added."""

    def write(topology: Topology) -> None:
        topology.add_processor(node, supplier, parent)
        if store_builder is not None:
            topology.add_state_store(store_builder(), node)
        else:
            topology.connect_processor_and_state_stores(node, store_names=(store,))

    return write


class TimeWindowedCogroupedKStream:
    """A cogrouped stream in ``TimeWindows`` or ``SlidingWindows`` (Java:
    ``TimeWindowedCogroupedKStream``): ``aggregate`` gives a ``KTable[Windowed[K], V]`` backed
    by one timestamped window store."""

    def __init__(self, cogrouped: CogroupedKStream, windows: TimeWindows | SlidingWindows) -> None:
        self._cogrouped = cogrouped
        self.windows = windows

    def aggregate(
        self,
        initializer: Callable[[], Any],
        materialized: Materialized | Named | str | None = None,
        named: Named | Materialized | str | None = None,
    ) -> KTable:
        """One aggregate per key and window over all inputs, each window starting from
        ``initializer()``; every update is forwarded. ``materialized`` names the window store,
        its serdes (else the app's defaults) and retention; ``named`` names the processors.

        Records for a window that has closed (stream time past its end plus the grace period)
        are dropped. Time windows pass null values to the aggregators, sliding windows drop
        them, as in Java.
        """
        _check_callable("initializer", initializer)
        windows = self.windows
        update = EmitStrategy.on_window_update()

        def make(store: str, aggregator: Any, node: str) -> Callable[[bool], Any]:
            stream_time = f"{store}:{node}"
            if isinstance(windows, SlidingWindows):
                return lambda send_old: SlidingWindowAggregateProcessor(
                    store, windows, update, initializer, aggregator, send_old, stream_time
                )
            return lambda send_old: TimeWindowAggregateProcessor(
                store, windows, update, initializer, aggregator, send_old, stream_time
            )

        return self._cogrouped._build(
            materialized, named, WindowStoreFactory(windows, update), make
        )


class SessionWindowedCogroupedKStream:
    """A cogrouped stream in ``SessionWindows`` (Java: ``SessionWindowedCogroupedKStream``):
    ``aggregate`` gives a ``KTable[Windowed[K], V]`` backed by one session store."""

    def __init__(self, cogrouped: CogroupedKStream, windows: SessionWindows) -> None:
        self._cogrouped = cogrouped
        self.windows = windows

    def aggregate(
        self,
        initializer: Callable[[], Any],
        merger: Callable[[Any, Any, Any], Any],
        materialized: Materialized | Named | str | None = None,
        named: Named | Materialized | str | None = None,
    ) -> KTable:
        """One aggregate per key and session over all inputs, from ``initializer()``; when a
        record bridges sessions, ``merger(key, aggregate_one, aggregate_two)`` combines them
        (the merged sessions are deleted: a ``None`` update each). ``materialized`` names the
        session store, its serdes and retention; ``named`` names the processors."""
        _check_callable("initializer", initializer)
        _check_callable("merger", merger)
        windows = self.windows
        update = EmitStrategy.on_window_update()

        def make(store: str, aggregator: Any, node: str) -> Callable[[bool], Any]:
            stream_time = f"{store}:{node}"
            return lambda send_old: SessionWindowAggregateProcessor(
                store, windows, update, initializer, aggregator, merger, send_old, stream_time
            )

        return self._cogrouped._build(
            materialized, named, SessionStoreFactory(windows, update), make
        )
