"""``KTable``: a changelog stream seen as a table -- the latest value per key (Java: ``KTable``).

Example::

    users = builder.table("users", key_serde=Serdes.String(), value_serde=Serdes.JSON())
    by_country = users.group_by(lambda uid, user: (user["country"], uid)).count()
    by_country.to_stream().to("users-per-country", value_serde=Serdes.Long())
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kstreams.dsl.graph import GraphNode
from kstreams.dsl.kgrouped import KGroupedTable, named_and_materialized
from kstreams.dsl.kstream import KStream, takes_key
from kstreams.dsl.materialized import Grouped, Materialized
from kstreams.dsl.options import Named
from kstreams.dsl.stores import store_builder
from kstreams.dsl.table_table_join import TableJoinMerge, join_tables
from kstreams.dsl.table_values import TableAggregation, TableOperator, TableSource
from kstreams.dsl.versioned import OUTPUT_VERSIONED, is_versioned_upstream
from kstreams.errors import TopologyError
from kstreams.processor.table import TableRepartitionMapProcessor, TableToStreamProcessor
from kstreams.processor.table_values import KTableFilterProcessor, KTableMapValuesProcessor
from kstreams.processor.value_getters import (
    FilterValueGetterSupplier,
    MapValuesValueGetterSupplier,
    StoreValueGetterSupplier,
    SuppressValueGetterSupplier,
    ValueGetterSupplier,
)
from kstreams.topology.topology import Topology

if TYPE_CHECKING:
    from kstreams.builder import StreamsBuilder
    from kstreams.dsl.suppressed import Suppressed


def _named(named: Named | str | None) -> str | None:
    if named is None or isinstance(named, str):
        return named
    return named.name


class KTable:
    """A table of the latest value per key; every operation returns a new KTable or a stream.

    ``queryable_store_name`` names the store that holds it (for
    ``KafkaStreams.store`` and the test driver), when it is materialized.
    """

    def __init__(
        self,
        builder: StreamsBuilder,
        name: str,
        key_serde: Any,
        value_serde: Any,
        store_name: str | None = None,
        *,
        supplier: TableSource | TableOperator | TableAggregation | TableJoinMerge | None = None,
    ) -> None:
        self._builder = builder
        self.name = name
        self.key_serde = key_serde
        self.value_serde = value_serde
        self._store_name = store_name
        # None: a table whose operator always forwards old values
        self._supplier = supplier
        self._send_old_values = False
        # how a join reads this table when it has no store of its own (see _value_getter_supplier)
        self._view: Callable[[], ValueGetterSupplier] | None = None

    @property
    def queryable_store_name(self) -> str | None:
        """The store holding this table, if it has one (so far: a downstream ``group_by``
        materializes an unnamed source table)."""
        supplier = self._supplier
        if isinstance(supplier, TableSource):
            return supplier.store_name if supplier.materialized else None
        if isinstance(supplier, TableOperator | TableJoinMerge):
            return supplier.queryable_name
        return self._store_name

    def _enable_sending_old_values(self, force_materialization: bool) -> bool:
        """Make this table forward old values, if it can (Java's ``KTableImpl.enableSendingOldValues``).

        A source table can once it is materialized; ``force_materialization`` materializes it.
        """
        if not self._send_old_values:
            supplier = self._supplier
            if isinstance(supplier, TableSource):
                if not force_materialization and not supplier.materialized:
                    return False
                supplier.enable_sending_old_values()
            elif isinstance(supplier, TableAggregation):
                supplier.enable_sending_old_values()
            elif isinstance(
                supplier, TableOperator | TableJoinMerge
            ) and not supplier.enable_sending_old_values(force_materialization):
                return False
            self._send_old_values = True
        return True

    def _add(self, prefix: str, supplier: Callable[[], Any], named: Named | str | None) -> str:
        graph = self._builder.graph
        name = graph.name_or_generate(_named(named), prefix)
        parent = self.name

        def write(topology: Topology) -> None:
            topology.add_processor(name, supplier, parent)

        graph.add(GraphNode(name, [parent], write))
        return name

    def _add_operator(
        self,
        prefix: str,
        make: Callable[[bool, str | None], Any],
        named: Any,
        materialized: Any,
        key_serde: Any,
        value_serde: Any,
        send_old_values: Callable[[KTable], bool] | None = None,
    ) -> KTable:
        """Record ``filter`` / ``map_values`` as Java's ``doFilter`` / ``doMapValues``.

        A ``Materialized`` without a store name draws one (and does not materialize),
        before the processor's name; ``make(send_old_values, store_name)`` makes the
        processor, with what is decided by the time the topology is built.
        """
        graph = self._builder.graph
        name_given, m = named_and_materialized(named, materialized)
        store: str | None = None
        if m is not None:
            if m.store_name is None:
                graph.new_name(f"{prefix}STATE-STORE-")
            store = m.store_name
            key_serde = m.key_serde or key_serde
            value_serde = m.value_serde or value_serde
        name = graph.name_or_generate(name_given, prefix)
        operator = TableOperator(self, store)
        if send_old_values is not None:
            operator.send_old_values = send_old_values(self)
        parent = self.name
        ks, vs = key_serde, value_serde

        def write(topology: Topology) -> None:
            send_old = operator.send_old_values
            topology.add_processor(name, lambda: make(send_old, store), parent)
            if store is not None:
                assert m is not None
                topology.add_state_store(store_builder(m, store, ks, vs), name)

        tags = {} if store is None else {OUTPUT_VERSIONED: False}  # Java: isOutputVersioned
        graph.add(GraphNode(name, [parent], write, tags=tags))
        return KTable(self._builder, name, ks, vs, supplier=operator)

    def filter(
        self,
        predicate: Callable[[Any, Any], bool],
        named: Named | Materialized | str | None = None,
        materialized: Materialized | None = None,
    ) -> KTable:
        """Keep rows for which ``predicate(key, value)`` holds; others read as deleted.

        ``Materialized.as_(name)`` keeps the result in its own queryable store.
        """
        return self._filter(predicate, False, named, materialized)

    def filter_not(
        self,
        predicate: Callable[[Any, Any], bool],
        named: Named | Materialized | str | None = None,
        materialized: Materialized | None = None,
    ) -> KTable:
        """Drop rows for which ``predicate(key, value)`` holds."""
        return self._filter(predicate, True, named, materialized)

    def _filter(
        self, predicate: Callable[[Any, Any], bool], negate: bool, named: Any, materialized: Any
    ) -> KTable:
        # Java's KTableFilter takes old values if its parent already has them (a materialized
        # parent): then a filtered-out row that was not in the result is not forwarded.
        table = self._add_operator(
            "KTABLE-FILTER-",
            lambda send_old, store: KTableFilterProcessor(predicate, negate, send_old, store),
            named,
            materialized,
            self.key_serde,
            self.value_serde,
            lambda parent: parent._enable_sending_old_values(False),
        )
        table._view = lambda: FilterValueGetterSupplier(
            self._value_getter_supplier(), predicate, negate
        )
        return table

    def map_values(
        self,
        mapper: Callable[..., Any],
        named: Named | Materialized | str | None = None,
        materialized: Materialized | None = None,
        *,
        with_key: bool | None = None,
    ) -> KTable:
        """Each row's value becomes ``mapper(value)`` (or ``mapper(key, value)``).

        ``Materialized.as_(name)`` keeps the result in its own queryable store.
        """
        wk = takes_key(mapper) if with_key is None else with_key
        table = self._add_operator(
            "KTABLE-MAPVALUES-",
            lambda send_old, store: KTableMapValuesProcessor(mapper, wk, send_old, store),
            named,
            materialized,
            self.key_serde,
            None,
        )
        table._view = lambda: MapValuesValueGetterSupplier(
            self._value_getter_supplier(), mapper, wk
        )
        return table

    def to_stream(self, named: Named | str | None = None) -> KStream:
        """The table's updates as a stream (a deleted row becomes a record with a None value)."""
        name = self._add("KTABLE-TOSTREAM-", TableToStreamProcessor, named)
        return KStream(self._builder, name, self.key_serde, self.value_serde)

    def group_by(
        self,
        selector: Callable[[Any, Any], Any],
        grouped: Grouped | None = None,
        *,
        key_serde: Any = None,
        value_serde: Any = None,
    ) -> KGroupedTable:
        """Re-group rows by ``selector(key, value) -> (new_key, new_value)`` for an aggregation.

        The aggregation subtracts each row's old value: the table forwards old values, so
        an unnamed source table gets a store.
        """
        g = grouped or Grouped()
        # Java's versioned semantics: a versioned table's out-of-order updates are skipped
        versioned = is_versioned_upstream(self._builder.graph, self.name)
        name = self._add(
            "KTABLE-SELECT-", lambda: TableRepartitionMapProcessor(selector, versioned), g.name
        )
        self._enable_sending_old_values(True)
        return KGroupedTable(
            self._builder, name, key_serde or g.key_serde, value_serde or g.value_serde, g
        )

    def suppress(self, suppressed: Suppressed) -> KTable:
        """Hold back updates: only a window's final result, or a key's latest update per time limit.

        Kafka Streams' ``KTable.suppress``: a processor ``KTABLE-SUPPRESS-<n>`` (or
        ``Suppressed.with_name``) with a changelogged in-memory buffer store. Example::

            counts.suppress(Suppressed.until_window_closes(BufferConfig.unbounded()))
            table.suppress(Suppressed.until_time_limit(timedelta(minutes=1),
                                                       BufferConfig.max_records(1000)))
        """
        from kstreams.dsl.suppress_node import SUPPRESS_BUFFER_TAG, add_suppress
        from kstreams.dsl.versioned import check_suppress

        check_suppress(self._builder.graph, self.name)
        name, supplier = add_suppress(self, suppressed)
        table = KTable(self._builder, name, self.key_serde, self.value_serde, supplier=supplier)
        node = next(n for n in self._builder.graph.nodes if n.name == name)
        buffer_store = str(node.tags[SUPPRESS_BUFFER_TAG])
        table._view = lambda: SuppressValueGetterSupplier(
            self._value_getter_supplier(), buffer_store
        )
        return table

    # -- how joins read this table ---------------------------------------------------------------
    def _value_getter_supplier(self) -> ValueGetterSupplier:
        """How a join reads this table's rows (Java's ``KTableImpl.valueGetterSupplier``).

        A source table (``builder.table``, ``to_table``) is materialized for it, as in
        Kafka Streams; a materialized ``filter`` / ``map_values``, an aggregation (windowed
        ones too) reads its own store; an unmaterialized ``filter`` / ``map_values`` computes
        the row through its parent; a suppressed table asks its buffer first. A table kind
        that brings its own getters (a join result) gives them with ``view()``.
        """
        supplier = self._supplier
        if isinstance(supplier, TableSource):
            supplier.materialize()
            return StoreValueGetterSupplier(supplier.store_name)
        if isinstance(supplier, TableOperator) and supplier.queryable_name is not None:
            return StoreValueGetterSupplier(supplier.queryable_name)
        if self._view is not None:
            return self._view()
        view = getattr(supplier, "view", None)
        if callable(view):
            return view()  # type: ignore[no-any-return]
        if isinstance(supplier, TableAggregation):
            return StoreValueGetterSupplier(supplier.store_name)
        if self._store_name is not None:
            return StoreValueGetterSupplier(self._store_name)
        raise TopologyError(f"KTable {self.name} cannot be read by a join: it has no value getter")

    # -- table-table joins -------------------------------------------------------------------
    def join(
        self,
        other: KTable,
        joiner: Callable[..., Any],
        named: Any = None,
        materialized: Any = None,
        fk_materialized: Materialized | None = None,
        *,
        table_joined: Any = None,
        foreign_key_extractor: Callable[..., Any] | None = None,
    ) -> KTable:
        """The inner join with ``other``: on the primary key, or on a foreign key.

        ``join(other, joiner, named=None, materialized=None)`` joins on the key: each update
        of either table is joined with the other table's current row,
        ``joiner(value, other_value)``, at the larger of the two rows' timestamps; a delete on
        either side deletes the joined row. Both tables must be co-partitioned.

        ``join(other, foreign_key_extractor, joiner, table_joined=None, materialized=None)``
        joins each row with the row of ``other`` whose key ``foreign_key_extractor(value)``
        (or ``foreign_key_extractor(key, value)``) returns, as Kafka Streams' foreign-key
        join: the result is keyed by this table's key, follows changes of the foreign key and
        of both rows, and needs no co-partitioning. ``materialized`` keeps the result in its
        own store. By keyword: ``join(other, joiner=..., foreign_key_extractor=...,
        table_joined=..., materialized=...)``. Example::

            enriched = orders.join(customers, lambda order, customer: {**order, **customer})
            with_product = orders.join(
                products, lambda order: order["product_id"],
                lambda order, product: {**order, "product": product["name"]},
            )
        """
        from kstreams.dsl.fk_join import is_foreign_key_form, join_on_foreign_key

        if foreign_key_extractor is not None:  # joiner=..., foreign_key_extractor=...
            options = (named, materialized, fk_materialized, table_joined)
            return join_on_foreign_key(
                self, other, foreign_key_extractor, joiner, options, left_join=False
            )
        if is_foreign_key_form(named):
            options = (materialized, fk_materialized, table_joined)
            return join_on_foreign_key(self, other, joiner, named, options, left_join=False)
        if fk_materialized is not None or table_joined is not None:  # only the FK form has them
            raise TypeError(
                "table_joined and a fifth argument belong to the foreign-key form "
                "join(other, foreign_key_extractor, joiner, table_joined, materialized); "
                "the primary-key form is join(other, joiner, named, materialized)"
            )
        return join_tables(
            self, other, joiner, named, materialized, left_outer=False, right_outer=False
        )

    def left_join(
        self,
        other: KTable,
        joiner: Callable[..., Any],
        named: Any = None,
        materialized: Any = None,
        fk_materialized: Materialized | None = None,
        *,
        table_joined: Any = None,
        foreign_key_extractor: Callable[..., Any] | None = None,
    ) -> KTable:
        """The left join with ``other``: a row for every row of this table.

        ``left_join(other, joiner, named=None, materialized=None)`` joins on the key,
        ``joiner(value, other_value)`` with ``other_value`` None where ``other`` has none.
        ``left_join(other, foreign_key_extractor, joiner, table_joined=None,
        materialized=None)`` joins on a foreign key (see :meth:`join`): a row whose foreign
        key is None or missing in ``other`` joins as ``joiner(value, None)``.
        """
        from kstreams.dsl.fk_join import is_foreign_key_form, join_on_foreign_key

        if foreign_key_extractor is not None:  # joiner=..., foreign_key_extractor=...
            options = (named, materialized, fk_materialized, table_joined)
            return join_on_foreign_key(
                self, other, foreign_key_extractor, joiner, options, left_join=True
            )
        if is_foreign_key_form(named):
            options = (materialized, fk_materialized, table_joined)
            return join_on_foreign_key(self, other, joiner, named, options, left_join=True)
        if fk_materialized is not None or table_joined is not None:  # only the FK form has them
            raise TypeError(
                "table_joined and a fifth argument belong to the foreign-key form "
                "left_join(other, foreign_key_extractor, joiner, table_joined, materialized); "
                "the primary-key form is left_join(other, joiner, named, materialized)"
            )
        return join_tables(
            self, other, joiner, named, materialized, left_outer=True, right_outer=False
        )

    def outer_join(
        self,
        other: KTable,
        joiner: Callable[[Any, Any], Any],
        named: Named | Materialized | str | None = None,
        materialized: Materialized | None = None,
    ) -> KTable:
        """The outer join with ``other``: a row wherever either table has one,
        ``joiner(value, other_value)`` with None for the missing side."""
        return join_tables(
            self, other, joiner, named, materialized, left_outer=True, right_outer=True
        )
