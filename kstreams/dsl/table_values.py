"""When a KTable keeps a store and when it forwards old values, decided as Kafka Streams does.

An unnamed source table (``builder.table(topic)``, ``KStream.to_table()``) has no store
until a downstream operator needs one (Java's ``KTableSource.materialize()`` and
``enableSendingOldValues``): ``group_by`` needs the old values of every update and forces
materialization; ``filter`` takes old values only where they come for free (a
materialized parent), else it forwards a tombstone for every filtered-out update. These
objects record the answers while the DSL is called; ``build()`` reads them, so the
topology has a store exactly where Java's has one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kstreams.dsl.ktable import KTable


class TableSource:
    """A source table's choices (Java: ``KTableSource``).

    ``store_name`` is the store it uses when materialized (the user's name or a generated
    one); ``queryable_name`` is set when it is materialized: from the start for a named
    ``Materialized``, or when a downstream operator asks.
    """

    def __init__(self, store_name: str, queryable_name: str | None) -> None:
        self.store_name = store_name
        self.queryable_name = queryable_name
        self.send_old_values = False

    @property
    def materialized(self) -> bool:
        """Whether the table keeps its store."""
        return self.queryable_name is not None

    def materialize(self) -> None:
        """Keep the store (a downstream lookup needs the table's values)."""
        self.queryable_name = self.store_name

    def enable_sending_old_values(self) -> None:
        """Keep the store and forward the old value of each update."""
        self.send_old_values = True
        self.queryable_name = self.store_name


class TableOperator:
    """The choices of ``KTable.filter`` / ``map_values`` (Java: ``KTableFilter``, ``KTableMapValues``).

    ``queryable_name``: the operator's own store (``Materialized.as_``), or None. With a
    store it always can send old values (it reads them from the store); without, only if
    its parent can.
    """

    def __init__(self, parent: KTable, queryable_name: str | None) -> None:
        self.parent = parent
        self.queryable_name = queryable_name
        self.send_old_values = False

    def enable_sending_old_values(self, force_materialization: bool) -> bool:
        """Forward old values if possible (``force_materialization``: make the source table
        keep a store if that is what it takes); whether old values will be forwarded."""
        if self.queryable_name is not None:
            self.send_old_values = True
            return True
        if self.parent._enable_sending_old_values(force_materialization):
            self.send_old_values = True
        return self.send_old_values


class TableAggregation:
    """An aggregation's choices (Java: ``KStreamAggProcessorSupplier``, ``KTableAggregate``).

    Its table is always materialized (``store_name``); it forwards old values only once a
    downstream operator asks (``group_by``, ``suppress``, ``filter``): otherwise every
    update is ``Change(new, None)``, and neither the processor nor its record cache reads
    the value it replaces. The processor reads ``send_old_values`` when it is created, after
    the whole topology is built.
    """

    def __init__(self, store_name: str) -> None:
        self.store_name = store_name
        self.send_old_values = False

    def enable_sending_old_values(self) -> None:
        """Forward the old value of each update."""
        self.send_old_values = True
