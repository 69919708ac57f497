"""``KStream``: an unbounded stream of key-value records (Java: ``KStream``).

Example::

    orders = builder.stream("orders", key_serde=Serdes.String(), value_serde=Serdes.JSON())
    big = orders.filter(lambda k, v: v["amount"] > 100).map_values(lambda v: v["id"])
    big.to("big-orders", value_serde=Serdes.String())
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from kstreams.dsl.graph import GraphNode
from kstreams.dsl.materialized import Grouped, Materialized
from kstreams.dsl.options import Named, Printed, Produced, Repartitioned
from kstreams.dsl.stores import repartition_names, write_repartition
from kstreams.errors import TopologyError
from kstreams.processor import stateless as ops
from kstreams.processor.aggregate import DropNullKeysProcessor
from kstreams.serde.windowed import WindowedSerde
from kstreams.topology.nodes import StreamPartitioner, TopicNameExtractor
from kstreams.topology.topology import Topology

if TYPE_CHECKING:
    from kstreams.builder import StreamsBuilder
    from kstreams.dsl.branched import BranchedKStream
    from kstreams.dsl.kgrouped import KGroupedStream
    from kstreams.dsl.ktable import KTable
    from kstreams.dsl.stream_joined import StreamJoined


def takes_key(fn: Callable[..., Any]) -> bool:
    """Whether ``fn`` wants ``(key, value)`` rather than ``(value)``: it has two positional parameters."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return False
    positional = [
        p
        for p in params
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    ]
    return len(positional) >= 2


def _name(named: Named | str | None) -> str | None:
    if named is None:
        return None
    if isinstance(named, str):
        return named
    return named.name


class KStream:
    """A stream of records; every operation returns a new ``KStream`` (or ends the stream)."""

    def __init__(
        self,
        builder: StreamsBuilder,
        name: str,
        key_serde: Any = None,
        value_serde: Any = None,
        repartition_required: bool = False,
    ) -> None:
        self._builder = builder
        self.name = name
        self.key_serde = key_serde
        self.value_serde = value_serde
        self.repartition_required = repartition_required

    # -- plumbing -----------------------------------------------------------------------------
    def _add_processor(
        self,
        prefix: str,
        supplier: Callable[[], Any],
        named: Named | str | None,
        *,
        key_changing: bool = False,
        stores: tuple[str, ...] = (),
        burn_index: bool = True,
    ) -> str:
        graph = self._builder.graph
        if burn_index:
            name = graph.name_or_generate(_name(named), prefix)
        else:  # process()/process_values(): Java generates a name only when none is given
            name = _name(named) or graph.new_name(prefix)
        parent = self.name

        def write(topology: Topology) -> None:
            topology.add_processor(name, supplier, parent)
            node = topology.nodes[name]
            node.stores.extend(stores)  # type: ignore[union-attr]

        graph.add(GraphNode(name, [parent], write, key_changing=key_changing))
        return name

    def _derive(
        self, name: str, key_serde: Any, value_serde: Any, repartition_required: bool
    ) -> KStream:
        return KStream(self._builder, name, key_serde, value_serde, repartition_required)

    # -- stateless operations -----------------------------------------------------------------
    def filter(
        self, predicate: Callable[[Any, Any], bool], named: Named | str | None = None
    ) -> KStream:
        """Keep the records for which ``predicate(key, value)`` is true."""
        name = self._add_processor("KSTREAM-FILTER-", lambda: ops.FilterProcessor(predicate), named)
        return self._derive(name, self.key_serde, self.value_serde, self.repartition_required)

    def filter_not(
        self, predicate: Callable[[Any, Any], bool], named: Named | str | None = None
    ) -> KStream:
        """Drop the records for which ``predicate(key, value)`` is true."""
        name = self._add_processor(
            "KSTREAM-FILTER-", lambda: ops.FilterProcessor(predicate, negate=True), named
        )
        return self._derive(name, self.key_serde, self.value_serde, self.repartition_required)

    def map(self, mapper: Callable[[Any, Any], Any], named: Named | str | None = None) -> KStream:
        """Replace each record by ``mapper(key, value) -> (new_key, new_value)``. Changes the key."""
        name = self._add_processor(
            "KSTREAM-MAP-", lambda: ops.MapProcessor(mapper), named, key_changing=True
        )
        return self._derive(name, None, None, True)

    def map_values(
        self,
        mapper: Callable[..., Any],
        named: Named | str | None = None,
        *,
        with_key: bool | None = None,
    ) -> KStream:
        """Replace each value by ``mapper(value)``, or ``mapper(key, value)`` for a two-argument mapper.

        ``with_key`` forces either form when the mapper's signature can't tell.
        """
        wk = takes_key(mapper) if with_key is None else with_key
        name = self._add_processor(
            "KSTREAM-MAPVALUES-", lambda: ops.MapValuesProcessor(mapper, wk), named
        )
        return self._derive(name, self.key_serde, None, self.repartition_required)

    def flat_map(
        self, mapper: Callable[[Any, Any], Iterable[Any]], named: Named | str | None = None
    ) -> KStream:
        """Replace each record by the ``(key, value)`` pairs ``mapper(key, value)`` returns."""
        name = self._add_processor(
            "KSTREAM-FLATMAP-", lambda: ops.FlatMapProcessor(mapper), named, key_changing=True
        )
        return self._derive(name, None, None, True)

    def flat_map_values(
        self,
        mapper: Callable[..., Iterable[Any]],
        named: Named | str | None = None,
        *,
        with_key: bool | None = None,
    ) -> KStream:
        """Replace each record by one record per value of ``mapper(value)`` (or ``mapper(key, value)``)."""
        wk = takes_key(mapper) if with_key is None else with_key
        name = self._add_processor(
            "KSTREAM-FLATMAPVALUES-", lambda: ops.FlatMapValuesProcessor(mapper, wk), named
        )
        return self._derive(name, self.key_serde, None, self.repartition_required)

    def select_key(
        self, selector: Callable[[Any, Any], Any], named: Named | str | None = None
    ) -> KStream:
        """Set each record's key to ``selector(key, value)``."""
        name = self._add_processor(
            "KSTREAM-KEY-SELECT-",
            lambda: ops.SelectKeyProcessor(selector),
            named,
            key_changing=True,
        )
        return self._derive(name, None, self.value_serde, True)

    def peek(self, action: Callable[[Any, Any], None], named: Named | str | None = None) -> KStream:
        """Call ``action(key, value)`` on each record and pass it on unchanged."""
        name = self._add_processor("KSTREAM-PEEK-", lambda: ops.PeekProcessor(action), named)
        return self._derive(name, self.key_serde, self.value_serde, self.repartition_required)

    def foreach(self, action: Callable[[Any, Any], None], named: Named | str | None = None) -> None:
        """Call ``action(key, value)`` on each record; ends the stream."""
        self._add_processor("KSTREAM-FOREACH-", lambda: ops.ForeachProcessor(action), named)

    def print(
        self,
        printed: Printed | None = None,
        *,
        label: str | None = None,
        mapper: Callable[[Any, Any], str] | None = None,
        file_path: str | None = None,
    ) -> None:
        """Print ``[label]: key, value`` for each record to stdout or a file; ends the stream."""
        printed = printed or Printed()
        label = label or printed.label or self.name
        mapper = mapper or printed.mapper
        file_path = file_path or printed.file_path
        self._add_processor(
            "KSTREAM-PRINTER-",
            lambda: ops.PrintProcessor(label, mapper, file_path),
            printed.name,
        )

    def split(self, named: Named | str | None = None) -> BranchedKStream:
        """Split the stream by predicates: ``split().branch(p1).branch(p2).default_branch()``.

        Returns a dict of named branches, as Java's ``BranchedKStream`` does.
        """
        from kstreams.dsl.branched import BranchedKStream

        return BranchedKStream(self, _name(named))

    def merge(self, other: KStream, named: Named | str | None = None) -> KStream:
        """One stream with the records of both, in processing order."""
        if other._builder is not self._builder:
            raise TopologyError("Cannot merge streams of different StreamsBuilders")
        graph = self._builder.graph
        name = graph.name_or_generate(_name(named), "KSTREAM-MERGE-")
        parents = [self.name, other.name]

        def write(topology: Topology) -> None:
            topology.add_processor(name, ops.PassThroughProcessor, *parents)

        graph.add(GraphNode(name, parents, write))
        return self._derive(
            name, None, None, self.repartition_required or other.repartition_required
        )

    def process(
        self,
        supplier: Callable[[], Any],
        *store_names: str,
        named: Named | str | None = None,
    ) -> KStream:
        """Run a Processor API processor (``supplier()`` makes one per task) connected to ``store_names``.

        Records it forwards form the returned stream. The key may change.
        """
        name = self._add_processor(
            "KSTREAM-PROCESSOR-",
            supplier,
            named,
            key_changing=True,
            stores=store_names,
            burn_index=False,
        )
        return self._derive(name, None, None, True)

    def process_values(
        self,
        supplier: Callable[[], Any],
        *store_names: str,
        named: Named | str | None = None,
    ) -> KStream:
        """Like :meth:`process` for a ``FixedKeyProcessor``: values may change, keys may not."""
        name = self._add_processor(
            "KSTREAM-PROCESSVALUES-", supplier, named, stores=store_names, burn_index=False
        )
        return self._derive(name, self.key_serde, None, self.repartition_required)

    # -- grouping and tables -----------------------------------------------------------------
    def group_by_key(
        self, grouped: Grouped | None = None, *, key_serde: Any = None, value_serde: Any = None
    ) -> KGroupedStream:
        """Group by the current key, for an aggregation.

        After a key-changing operation the records first go through a repartition topic.
        """
        from kstreams.dsl.kgrouped import KGroupedStream

        g = grouped or Grouped()
        return KGroupedStream(
            self._builder,
            self.name,
            key_serde or g.key_serde or self.key_serde,
            value_serde or g.value_serde or self.value_serde,
            self.repartition_required,
            g,
        )

    def group_by(
        self,
        selector: Callable[[Any, Any], Any],
        grouped: Grouped | None = None,
        *,
        key_serde: Any = None,
        value_serde: Any = None,
    ) -> KGroupedStream:
        """Group by ``selector(key, value)``; the records are repartitioned by the new key."""
        from kstreams.dsl.kgrouped import KGroupedStream

        g = grouped or Grouped()
        name = self._add_processor(
            "KSTREAM-KEY-SELECT-",
            lambda: ops.SelectKeyProcessor(selector),
            g.name,
            key_changing=True,
        )
        return KGroupedStream(
            self._builder,
            name,
            key_serde or g.key_serde,
            value_serde or g.value_serde or self.value_serde,
            True,
            g,
        )

    def to_table(
        self,
        named: Named | Materialized | str | None = None,
        materialized: Materialized | None = None,
    ) -> KTable:
        """The stream as a table: each record updates its key (a None value deletes it).

        A named ``Materialized`` keeps it in a queryable store; unnamed, it has a store only
        if a downstream operator needs one, as in Kafka Streams.
        """
        from kstreams.dsl.kgrouped import named_and_materialized
        from kstreams.dsl.ktable import KTable
        from kstreams.dsl.stores import add_grouping_repartition, store_builder
        from kstreams.dsl.table_values import TableSource
        from kstreams.dsl.versioned import OUTPUT_VERSIONED, is_versioned
        from kstreams.processor.table import TableSourceProcessor

        graph = self._builder.graph
        given_name, materialized = named_and_materialized(named, materialized)
        m = materialized or Materialized()
        name = graph.name_or_generate(given_name, "KSTREAM-TOTABLE-")
        store = m.store_name or graph.new_name("KSTREAM-TOTABLE-STATE-STORE-")
        ks = m.key_serde or self.key_serde
        vs = m.value_serde or self.value_serde
        parent = self.name
        if self.repartition_required:  # Java names the topic after the processor, not the store
            parent = add_grouping_repartition(graph, parent, name, ks, vs)
        spec = TableSource(store, m.store_name)

        def write(topology: Topology) -> None:
            materialized_store = store if spec.materialized else None
            send_old = spec.send_old_values
            topology.add_processor(
                name, lambda: TableSourceProcessor(materialized_store, send_old), parent
            )
            if materialized_store is not None:
                topology.add_state_store(store_builder(m, store, ks, vs, table_source=True), name)

        graph.add(GraphNode(name, [parent], write, tags={OUTPUT_VERSIONED: is_versioned(m)}))
        return KTable(self._builder, name, ks, vs, supplier=spec)

    # -- joins ----------------------------------------------------------------------------------
    def _join(
        self,
        method: str,
        other: Any,
        joiner: Callable[..., Any],
        windows: Any,
        stream_joined: Any,
        joined: Any,
        named: Named | str | None,
        left_outer: bool,
        right_outer: bool,
    ) -> KStream:
        from kstreams.dsl.global_table import GlobalKTable
        from kstreams.dsl.ktable import KTable
        from kstreams.windows.join_windows import JoinWindows

        if isinstance(other, GlobalKTable) and not right_outer:
            # Java's order: join(global_table, key_selector, joiner)
            if windows is None or stream_joined is not None or joined is not None:
                raise TypeError(
                    f"KStream.{method}(global_table, key_selector, joiner, named=None): a "
                    "GlobalKTable join takes a key selector (key, value) -> table key and a "
                    "joiner, no JoinWindows, Joined or StreamJoined"
                )
            from kstreams.dsl.global_join import join_global_table

            return join_global_table(self, other, joiner, windows, left=left_outer, named=named)
        if isinstance(other, GlobalKTable):
            raise TypeError(
                "KStream.outer_join takes another KStream; there is no stream-global-table "
                "outer join (use left_join with the GlobalKTable)"
            )
        if isinstance(other, KStream):
            if windows is None:
                raise TypeError(
                    f"KStream.{method}(other_stream, joiner, windows, stream_joined=None) needs "
                    "JoinWindows for a stream-stream join, e.g. "
                    "JoinWindows.of_time_difference_with_no_grace(timedelta(minutes=5))"
                )
            if joined is not None:
                raise TypeError(
                    f"KStream.{method}: joined= (a Joined) is for KTable joins; a stream-stream "
                    "join takes a StreamJoined"
                )
            from kstreams.dsl.stream_stream_join import stream_stream_join

            return stream_stream_join(
                self,
                other,
                joiner,
                windows,
                stream_joined,
                left_outer=left_outer,
                right_outer=right_outer,
                name=_name(named),
            )
        if isinstance(other, KTable) and not right_outer:
            if isinstance(windows, JoinWindows) or stream_joined is not None:
                raise TypeError(
                    f"KStream.{method}(table, joiner, joined=None) takes no JoinWindows or "
                    "StreamJoined: a stream-table join looks the table up as each record arrives"
                )
            if joined is not None and windows is not None:
                raise TypeError(f"KStream.{method}: Joined given twice (positionally and joined=)")
            from kstreams.dsl.stream_table_join import join_table

            return join_table(  # type: ignore[no-any-return]
                self,
                other,
                joiner,
                joined if joined is not None else windows,
                left=left_outer,
                named=named,
            )
        if isinstance(other, KTable):
            raise TypeError(
                "KStream.outer_join takes another KStream; there is no stream-table outer join "
                "(use left_join with the KTable)"
            )
        expected = "a KStream" if right_outer else "a KStream (with JoinWindows) or a KTable"
        raise TypeError(f"KStream.{method}: other must be {expected}, got {other!r}")

    def join(
        self,
        other: KStream | KTable,
        joiner: Callable[..., Any],
        windows: Any = None,
        stream_joined: StreamJoined | None = None,
        *,
        joined: Any = None,
        named: Named | str | None = None,
    ) -> KStream:
        """Inner join with another stream or a table.

        * ``join(other_stream, joiner, windows, stream_joined=None)``: records of the two
          streams with the same key at most ``windows`` apart (a ``JoinWindows``) give
          ``joiner(left_value, right_value)`` (or ``joiner(key, left, right)``), with the
          larger timestamp of the two.
        * ``join(table, joiner, joined=None)``: each stream record with a table value for its
          key gives ``joiner(value, table_value)``, as the table is when the record arrives.
        * ``join(global_table, key_selector, joiner)``: as with a table, the row looked up
          being ``key_selector(key, value)`` in the instance's global store (no
          co-partitioning; a None mapped key joins nothing).

        Records with a null key or value are dropped (counted). ``named`` names the join's
        processors (for streams as ``StreamJoined.with_name``).

        Example::

            orders.join(payments, lambda o, p: {**o, "paid": p},
                        JoinWindows.of_time_difference_with_no_grace(timedelta(minutes=5)))
        """
        return self._join(
            "join", other, joiner, windows, stream_joined, joined, named, False, False
        )

    def left_join(
        self,
        other: KStream | KTable,
        joiner: Callable[..., Any],
        windows: Any = None,
        stream_joined: StreamJoined | None = None,
        *,
        joined: Any = None,
        named: Named | str | None = None,
    ) -> KStream:
        """Left join with another stream (``JoinWindows``) or a table: as :meth:`join`, and a
        record with no partner gives ``joiner(value, None)``.

        With a stream, that result comes once the record's window has closed (stream time
        past its timestamp + after + grace) and no partner came, never before (no
        spurious ``(v, None)`` results); a null-key record gives it at once.
        """
        return self._join(
            "left_join", other, joiner, windows, stream_joined, joined, named, True, False
        )

    def outer_join(
        self,
        other: KStream,
        joiner: Callable[..., Any],
        windows: Any = None,
        stream_joined: StreamJoined | None = None,
        *,
        named: Named | str | None = None,
    ) -> KStream:
        """Outer join with another stream: as :meth:`left_join`, and a record of the other
        stream with no partner gives ``joiner(None, other_value)`` once its window closed."""
        return self._join(
            "outer_join", other, joiner, windows, stream_joined, None, named, True, True
        )

    # -- sinks ----------------------------------------------------------------------------------
    def to(
        self,
        topic: str | TopicNameExtractor,
        produced: Produced | None = None,
        *,
        key_serde: Any = None,
        value_serde: Any = None,
        partitioner: StreamPartitioner | None = None,
        name: str | None = None,
    ) -> None:
        """Write the stream to ``topic`` (or to ``topic(key, value, record_context)``).

        Serdes default to the stream's own, then to the config's defaults.
        """
        produced = produced or Produced()
        ks = key_serde or produced.key_serde or self.key_serde
        vs = value_serde or produced.value_serde or self.value_serde
        part = partitioner or produced.partitioner
        if part is None and isinstance(ks, WindowedSerde):
            part = ks.partitioner()  # Java's WindowedStreamPartitioner: by the inner key
        graph = self._builder.graph
        sink = graph.name_or_generate(name or produced.name, "KSTREAM-SINK-")
        parent = self.name

        def write(topology: Topology) -> None:
            topology.add_sink(sink, topic, parent, key_serde=ks, value_serde=vs, partitioner=part)

        graph.add(GraphNode(sink, [parent], write))

    def repartition(
        self,
        repartitioned: Repartitioned | None = None,
        *,
        key_serde: Any = None,
        value_serde: Any = None,
        num_partitions: int | None = None,
        partitioner: StreamPartitioner | None = None,
        name: str | None = None,
    ) -> KStream:
        """Write the stream through the internal topic ``<application.id>-<name>-repartition``.

        The records are read back by a new sub-topology, partitioned by their
        (new) key. ``num_partitions`` defaults to the upstream topics' count.
        """
        r = repartitioned or Repartitioned()
        ks = key_serde or r.key_serde or self.key_serde
        vs = value_serde or r.value_serde or self.value_serde
        n = num_partitions or r.num_partitions
        part = partitioner or r.partitioner
        graph = self._builder.graph
        base = name or r.name or graph.new_name("KSTREAM-REPARTITION-")
        names = repartition_names(graph, base)
        _topic, sink, passthrough, source = names
        parent = self.name

        def write(topology: Topology) -> None:
            # Java's filter before the sink drops null keys (KIP-962: unless a join that
            # accepts them is downstream; kstreams has no such join yet)
            write_repartition(
                topology,
                parent,
                names,
                DropNullKeysProcessor,
                ks,
                vs,
                num_partitions=n,
                partitioner=part,
            )

        graph.add(GraphNode(passthrough, [parent], write))
        graph.add(GraphNode(sink, [passthrough], lambda _t: None))
        graph.add(GraphNode(source, [], lambda _t: None))
        return self._derive(source, ks, vs, False)
