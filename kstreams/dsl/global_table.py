"""``GlobalKTable``: a table replicated in full on every instance (Java: ``GlobalKTable``).

``builder.global_table(topic)`` reads *every* partition of ``topic`` into a global store on
each instance, with no consumer group and no co-partitioning: a stream joins it through a
key selector (``KStream.join(global_table, key_selector, joiner)``), whatever its own key
and partitioning. The store is filled by the instance's global thread before any stream
thread processes, then kept up to date; ``topic`` is its changelog (no ``-changelog`` topic).

Names as Kafka Streams draws them: the store ``<topic>-STATE-STORE-<n>`` (or the
``Materialized`` name), the source ``KSTREAM-SOURCE-<n>`` and the table source
``KTABLE-SOURCE-<n>`` (a named ``Consumed``: ``<name>-source`` and ``<name>``), in a node
group that ``describe()`` shows as ``Sub-topology: <n> for global store (will not generate
tasks)``.

Example::

    rates = builder.global_table("rates", Consumed.with_(Serdes.String(), Serdes.Double()))
    orders.join(rates, lambda key, order: order["currency"],
                lambda order, rate: {**order, "eur": order["amount"] * rate})
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kstreams.dsl.graph import GraphNode
from kstreams.dsl.materialized import Materialized
from kstreams.dsl.options import Consumed
from kstreams.dsl.stores import store_builder
from kstreams.dsl.versioned import is_versioned
from kstreams.errors import TopologyError
from kstreams.processor.table import TableSourceProcessor
from kstreams.processor.value_getters import StoreValueGetterSupplier
from kstreams.topology.topology import Topology

if TYPE_CHECKING:
    from kstreams.builder import StreamsBuilder


class GlobalKTable:
    """A table whose every row is on every instance (see the module docs).

    ``queryable_store_name`` is the store's name when ``Materialized.as_(name)`` named it
    (interactive queries answer for it locally: the instance holds every key), else None.
    """

    def __init__(
        self,
        builder: StreamsBuilder,
        store_name: str,
        queryable_store_name: str | None,
        key_serde: Any,
        value_serde: Any,
    ) -> None:
        self._builder = builder
        self._store_name = store_name
        self._queryable_store_name = queryable_store_name
        self.key_serde = key_serde
        self.value_serde = value_serde

    @property
    def queryable_store_name(self) -> str | None:
        """The name of the global store if it was named (Java: ``queryableStoreName()``)."""
        return self._queryable_store_name

    @property
    def store_name(self) -> str:
        """The name of the global store, named or generated."""
        return self._store_name

    def _value_getter_supplier(self) -> StoreValueGetterSupplier:
        """How a join reads the table (Java: ``GlobalKTableImpl.valueGetterSupplier``)."""
        return StoreValueGetterSupplier(self._store_name)

    def __repr__(self) -> str:
        return f"GlobalKTable(store={self._store_name!r})"


def global_table(
    builder: StreamsBuilder,
    topic: str,
    consumed: Consumed | Materialized | None = None,
    materialized: Materialized | None = None,
    *,
    key_serde: Any = None,
    value_serde: Any = None,
    timestamp_extractor: Any = None,
) -> GlobalKTable:
    """Record ``builder.global_table(...)`` (Java's ``InternalStreamsBuilder.globalTable``)."""
    if not isinstance(topic, str) or not topic:
        raise TopologyError(f"topic must be a non-empty string, got {topic!r}")
    if isinstance(consumed, Materialized) and materialized is None:
        consumed, materialized = None, consumed  # Java's globalTable(topic, Materialized)
    if consumed is not None and not isinstance(consumed, Consumed):
        raise TypeError(f"consumed must be a Consumed, got {consumed!r}")
    if materialized is not None and not isinstance(materialized, Materialized):
        raise TypeError(f"materialized must be a Materialized, got {materialized!r}")
    if topic in builder._topics:
        raise TopologyError(f"Topic {topic} has already been registered by another source.")
    c = consumed or Consumed()
    m = materialized or Materialized()
    graph = builder.graph
    store = m.store_name or graph.new_name(f"{topic}-STATE-STORE-")
    if is_versioned(m):
        raise TopologyError("GlobalTables cannot be versioned.")
    # Java: the serdes of Consumed win over Materialized's
    ks = key_serde or c.key_serde or m.key_serde
    vs = value_serde or c.value_serde or m.value_serde
    ts = timestamp_extractor or c.timestamp_extractor
    source = graph.name_or_generate(c.name and f"{c.name}-source", "KSTREAM-SOURCE-")
    processor = graph.name_or_generate(c.name, "KTABLE-SOURCE-")
    builder._topics.add(topic)
    # Java: logging is always disabled for a global store (the topic is its changelog)
    store_spec = m.with_logging_disabled()

    def write(topology: Topology) -> None:
        topology.add_global_store(
            store_builder(store_spec, store, ks, vs),
            source,
            ks,
            vs,
            topic,
            processor,
            lambda: TableSourceProcessor(store),
            timestamp_extractor=ts,
            reprocess_on_restore=True,
        )

    graph.add(GraphNode(source, [], lambda _t: None))
    graph.add(GraphNode(processor, [source], write))
    return GlobalKTable(builder, store, m.store_name, ks, vs)
