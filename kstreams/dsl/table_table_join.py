"""``KTable.join`` / ``left_join`` / ``outer_join`` of two tables, recorded as Kafka Streams does.

Java's ``KTableImpl.doJoin`` and ``KTableKTableJoinNode``: three processors, a join
processor per side (``KTABLE-JOINTHIS-<n>`` under this table, ``KTABLE-JOINOTHER-<n>``
under the other, each connected to the stores of the other side's value getter) and a merge
processor (``KTABLE-MERGE-<n>``, the joined table, with the ``Materialized`` store if one is
given). ``Named("j")`` names them ``j``, ``j-join-this`` and ``j-join-other``. A left join
makes this table send old values, an outer join both (Java's ``enableSendingOldValues``);
the joined table sends old values once a downstream operator asks, and then both sides do.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kstreams.dsl.graph import GraphNode
from kstreams.dsl.kgrouped import named_and_materialized
from kstreams.dsl.stores import store_builder
from kstreams.dsl.versioned import (
    OUTPUT_VERSIONED,
    is_versioned,
    is_versioned_upstream,
    versioned_store_builder,
)
from kstreams.processor.table_table_join import (
    INNER,
    LEFT,
    OUTER,
    RIGHT,
    KTableKTableJoinMergeProcessor,
    KTableKTableJoinProcessor,
    KTableKTableJoinValueGetter,
    reverse,
)
from kstreams.topology.topology import Topology

if TYPE_CHECKING:
    from kstreams.dsl.ktable import KTable

JOINTHIS_NAME = "KTABLE-JOINTHIS-"
JOINOTHER_NAME = "KTABLE-JOINOTHER-"
MERGE_NAME = "KTABLE-MERGE-"


class TableJoinSide:
    """One side's join processor's choices (Java: ``KTableKTableAbstractJoin``).

    ``table`` is the side whose updates it processes, ``other`` the table it looks up.
    """

    def __init__(self, kind: str, table: KTable, other: KTable, joiner: Callable[..., Any]) -> None:
        self.kind = kind
        self.table = table
        self.other = other
        self.joiner = joiner
        self.send_old_values = False
        self.versioned = False

    def enable_sending_old_values(self) -> None:
        """Compute old results; a table-table join needs both tables' old values."""
        self.table._enable_sending_old_values(True)
        self.other._enable_sending_old_values(True)
        self.send_old_values = True

    def processor(self) -> KTableKTableJoinProcessor:
        return KTableKTableJoinProcessor(
            self.kind,
            self.joiner,
            self.other._value_getter_supplier(),
            self.send_old_values,
            self.versioned,
        )


class JoinValueGetterSupplier:
    """The joined value of a key computed from both tables (Java's
    ``KTableKTable*JoinValueGetterSupplier``): the view of a joined table without a store."""

    def __init__(self, side: TableJoinSide) -> None:
        self.side = side

    def get(self) -> KTableKTableJoinValueGetter:
        side = self.side
        return KTableKTableJoinValueGetter(
            side.kind,
            side.joiner,
            side.table._value_getter_supplier().get(),
            side.other._value_getter_supplier().get(),
        )

    def store_names(self) -> tuple[str, ...]:
        side = self.side
        names = list(side.table._value_getter_supplier().store_names())
        for name in side.other._value_getter_supplier().store_names():
            if name not in names:
                names.append(name)
        return tuple(names)


class TableJoinMerge:
    """A joined table's choices (Java: ``KTableKTableJoinMerger``).

    ``queryable_name`` is its store (a ``Materialized`` result, named or not) or None.
    """

    def __init__(
        self, this_side: TableJoinSide, other_side: TableJoinSide, queryable_name: str | None
    ) -> None:
        self.this_side = this_side
        self.other_side = other_side
        self.queryable_name = queryable_name
        self.send_old_values = False

    def enable_sending_old_values(self, force_materialization: bool) -> bool:
        """Forward old results: both join processors compute them, from both tables' old
        values (which materializes unnamed source tables). Always possible."""
        self.this_side.enable_sending_old_values()
        self.other_side.enable_sending_old_values()
        self.send_old_values = True
        return True

    def view(self) -> Any:
        """The joined table's value getter supplier: its store, or the join computed on the fly."""
        if self.queryable_name is not None:
            from kstreams.processor.value_getters import StoreValueGetterSupplier

            return StoreValueGetterSupplier(self.queryable_name)
        return JoinValueGetterSupplier(self.this_side)


def _check_joiner(joiner: Any) -> None:
    if not callable(joiner):
        raise TypeError(f"joiner must be a function (value, other_value) -> result, got {joiner!r}")
    try:
        sig = inspect.signature(joiner)
    except (TypeError, ValueError):
        return
    try:
        sig.bind(None, None)
    except TypeError:
        raise TypeError(
            f"A KTable-KTable joiner takes two arguments (value, other_value), as Kafka "
            f"Streams' ValueJoiner; {joiner!r} has the signature {sig}"
        ) from None


def join_tables(
    table: KTable,
    other: KTable,
    joiner: Callable[[Any, Any], Any],
    named: Any,
    materialized: Any,
    *,
    left_outer: bool,
    right_outer: bool,
) -> KTable:
    """Record a table-table join of ``table`` with ``other`` and return the joined table.

    ``left_outer``: every row of ``table`` is in the result; ``right_outer``: every row of
    ``other`` too (an outer join needs both). Names and stores as Java's ``doJoin``.
    """
    from kstreams.dsl.ktable import KTable

    if not isinstance(other, KTable):
        raise TypeError(f"other must be a KTable, got {other!r}")
    if callable(named) and not isinstance(named, type):
        raise TypeError(
            "outer_join has no foreign-key form (nor has Kafka Streams): a foreign-key join is "
            "join / left_join(other, foreign_key_extractor, joiner, table_joined=None, "
            "materialized=None); a primary-key outer join is "
            "outer_join(other, joiner, named=None, materialized=None)"
        )
    _check_joiner(joiner)
    if other._builder is not table._builder:
        raise TypeError("Cannot join tables of different StreamsBuilders")
    graph = table._builder.graph
    name_given, m = named_and_materialized(named, materialized)
    store: str | None = None
    if m is not None:
        # Java's MaterializedInternal draws the store name before the merge processor's
        store = m.store_name or graph.new_name(f"{MERGE_NAME}STATE-STORE-")
    merge_name = graph.name_or_generate(name_given, MERGE_NAME)
    if left_outer:
        table._enable_sending_old_values(True)
    if right_outer:
        other._enable_sending_old_values(True)

    if not left_outer:
        this_side = TableJoinSide(INNER, table, other, joiner)
        other_side = TableJoinSide(INNER, other, table, reverse(joiner))
    elif not right_outer:
        this_side = TableJoinSide(LEFT, table, other, joiner)
        other_side = TableJoinSide(RIGHT, other, table, reverse(joiner))
    else:
        this_side = TableJoinSide(OUTER, table, other, joiner)
        other_side = TableJoinSide(OUTER, other, table, reverse(joiner))

    this_name = _suffixed(graph, name_given, "-join-this", JOINTHIS_NAME)
    other_name = _suffixed(graph, name_given, "-join-other", JOINOTHER_NAME)
    this_stores = list(table._value_getter_supplier().store_names())
    other_stores = list(other._value_getter_supplier().store_names())

    if m is not None:
        key_serde = m.key_serde or table.key_serde
        value_serde = m.value_serde
    else:
        key_serde, value_serde = table.key_serde, None
    merge = TableJoinMerge(this_side, other_side, store)
    parents = [table.name, other.name]
    output_versioned = is_versioned(m)

    def write(topology: Topology) -> None:
        # KIP-914: a side whose table is versioned ignores its out-of-order updates
        this_side.versioned = is_versioned_upstream(graph, table.name)
        other_side.versioned = is_versioned_upstream(graph, other.name)
        topology.add_processor(this_name, this_side.processor, table.name)
        topology.add_processor(other_name, other_side.processor, other.name)
        send_old, store_name = merge.send_old_values, merge.queryable_name
        topology.add_processor(
            merge_name,
            lambda: KTableKTableJoinMergeProcessor(store_name, send_old),
            this_name,
            other_name,
        )
        if other_stores:
            topology.connect_processor_and_state_stores(this_name, store_names=other_stores)
        if this_stores:
            topology.connect_processor_and_state_stores(other_name, store_names=this_stores)
        if store_name is not None:
            assert m is not None
            builder = (
                versioned_store_builder(m, key_serde, value_serde)
                if output_versioned
                else store_builder(m, store_name, key_serde, value_serde)
            )
            topology.add_state_store(builder, merge_name)

    # Java's KTableKTableJoinNode.setOutputVersioned: versioned only with a versioned store
    graph.add(GraphNode(merge_name, parents, write, tags={OUTPUT_VERSIONED: output_versioned}))
    return KTable(table._builder, merge_name, key_serde, value_serde, supplier=merge)


def _suffixed(graph: Any, name: str | None, suffix: str, prefix: str) -> str:
    """Java's ``NamedInternal.suffixWithOrElseGet``: ``name + suffix`` if a name is given,
    else a generated name; the counter advances either way."""
    generated = graph.new_name(prefix)
    return generated if name is None else name + suffix
