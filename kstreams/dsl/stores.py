"""How the DSL turns ``Materialized`` into a store builder and a grouping into a repartition step."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from kstreams.dsl.graph import GraphNode
from kstreams.dsl.materialized import Materialized
from kstreams.processor.aggregate import DropNullKeysProcessor
from kstreams.processor.timestamps import FailOnInvalidTimestamp
from kstreams.topology.topology import Topology

if TYPE_CHECKING:
    from kstreams.dsl.graph import StreamsGraph


def store_builder(
    m: Materialized, name: str, key_serde: Any, value_serde: Any, *, table_source: bool = False
) -> Any:
    """A timestamped key-value ``StoreBuilder`` as ``m`` describes it.

    ``table_source``: the store of a table source, which may be versioned
    (:mod:`kstreams.dsl.versioned`); other stores refuse a versioned supplier.
    """
    from kstreams.dsl.versioned import is_versioned, refuse_versioned, versioned_store_builder
    from kstreams.state import Stores

    if is_versioned(m):
        if not table_source:
            refuse_versioned(m, "this operator")
        return versioned_store_builder(m, key_serde, value_serde)
    if m.store_supplier is not None:
        supplier = m.store_supplier
    elif m.store_type == "in_memory":
        supplier = Stores.in_memory_key_value_store(name)
    else:
        supplier = Stores.persistent_timestamped_key_value_store(name)
    builder = Stores.timestamped_key_value_store_builder(supplier, key_serde, value_serde)
    builder = (
        builder.with_logging_enabled(m.log_config)
        if m.logging_enabled
        else builder.with_logging_disabled()
    )
    return builder.with_caching_enabled() if m.caching_enabled else builder.with_caching_disabled()


class StoreFactory:
    """How an aggregation makes its store (Java: ``StoreFactory`` / ``MaterializedStoreFactory``).

    The default makes the timestamped key-value store of ``store_builder``; the windowed
    aggregations' factories (:mod:`kstreams.dsl.window_stores`) make window and session stores.
    """

    def check(self, store_name: str, m: Materialized) -> None:
        """Validate ``m`` for the store ``store_name`` as the DSL call is made."""

    def builder(self, m: Materialized, name: str, key_serde: Any, value_serde: Any) -> Any:
        """The ``StoreBuilder`` of the store."""
        return store_builder(m, name, key_serde, value_serde)

    def result_key_serde(self, key_serde: Any) -> Any:
        """The key serde of the resulting table, given the store's key serde."""
        return key_serde

    def graph_tags(self) -> dict[str, object]:
        """Tags of the aggregation's graph node (see :mod:`kstreams.dsl.grace`)."""
        return {}


GENERATED_NAME = re.compile(r"KSTREAM.*-[0-9]{10}")
"""A name Kafka Streams generated (``KSTREAM-AGGREGATE-STATE-STORE-0000000001``)."""


def repartition_names(graph: StreamsGraph, topic_base: str) -> tuple[str, str, str, str]:
    """``(topic, sink, filter, source)`` of a stream repartition, as Java's ``createRepartitionedSource``.

    Three names are always drawn (sink, filter, source); they are used when the
    base is a generated name, else the nodes are named after the topic
    (``<topic>-sink``, ``<topic>-filter``, ``<topic>-source``).
    """
    topic = topic_base if topic_base.endswith("-repartition") else f"{topic_base}-repartition"
    generated = (
        graph.new_name("KSTREAM-SINK-"),
        graph.new_name("KSTREAM-FILTER-"),
        graph.new_name("KSTREAM-SOURCE-"),
    )
    if GENERATED_NAME.fullmatch(topic_base):
        return (topic, *generated)
    return topic, f"{topic}-sink", f"{topic}-filter", f"{topic}-source"


def _add_repartition_source(
    topology: Topology, name: str, topic: str, key_serde: Any, value_serde: Any
) -> None:
    """The source of a repartition topic: its records carry the timestamps extracted upstream,
    so the configured extractor is not applied again (Java: ``FailOnInvalidTimestamp``)."""
    topology.add_source(
        name,
        topic,
        key_serde=key_serde,
        value_serde=value_serde,
        timestamp_extractor=FailOnInvalidTimestamp(),
    )


def write_repartition(
    topology: Topology,
    parent: str,
    names: tuple[str, str, str, str],
    filter_processor: Any,
    key_serde: Any,
    value_serde: Any,
    *,
    num_partitions: int | None = None,
    partitioner: Any = None,
) -> None:
    """Write ``parent -> filter -> sink -> topic -> source`` into ``topology``, ``names`` being
    :func:`repartition_names`' ``(topic, sink, filter, source)`` and the topic internal."""
    topic, sink, filt, source = names
    topology.add_internal_topic(topic, num_partitions)
    topology.add_processor(filt, filter_processor, parent)
    topology.add_sink(
        sink, topic, filt, key_serde=key_serde, value_serde=value_serde, partitioner=partitioner
    )
    _add_repartition_source(topology, source, topic, key_serde, value_serde)


def add_grouping_repartition(
    graph: StreamsGraph,
    parent: str,
    topic_base: str,
    key_serde: Any,
    value_serde: Any,
    reuse: str | None = None,
) -> str:
    """Insert ``filter -> sink -> <topic_base>-repartition -> source`` after ``parent``; return the source.

    For ``KStream`` groupings and ``to_table()``: the filter drops (and counts)
    records with a null key, which cannot be partitioned. ``reuse``: the source of
    an existing repartition of the same grouping, returned after drawing the names.
    """
    names = repartition_names(graph, topic_base)
    _topic, sink, _filt, source = names
    if reuse is not None:
        return reuse

    def write(topology: Topology) -> None:
        write_repartition(topology, parent, names, DropNullKeysProcessor, key_serde, value_serde)

    graph.add(GraphNode(sink, [parent], write))
    graph.add(GraphNode(source, [], lambda _t: None))
    return source


def add_table_grouping_repartition(
    graph: StreamsGraph,
    parent: str,
    topic: str,
    key_serde: Any,
    value_serde: Any,
    named: str | None,
    reuse: str | None = None,
) -> str:
    """Insert ``sink -> <topic> -> source`` after ``parent`` for ``KGroupedTable``; return the source.

    As Java's ``KGroupedTableImpl``: no null-key filter, and the nodes are
    ``<named>-sink`` / ``<named>-source`` when the aggregation is named. ``reuse``:
    the source of an existing repartition, returned after drawing the names.
    """
    sink = graph.name_or_generate(named and f"{named}-sink", "KSTREAM-SINK-")
    source = graph.name_or_generate(named and f"{named}-source", "KSTREAM-SOURCE-")
    if reuse is not None:
        return reuse

    def write(topology: Topology) -> None:
        topology.add_internal_topic(topic)
        topology.add_sink(sink, topic, parent, key_serde=key_serde, value_serde=value_serde)
        _add_repartition_source(topology, source, topic, key_serde, value_serde)

    graph.add(GraphNode(sink, [parent], write))
    graph.add(GraphNode(source, [], lambda _t: None))
    return source


def add_stateful_processor(
    graph: StreamsGraph,
    name: str,
    parent: str,
    supplier: Any,
    store_name: str,
    builder_of_store: Any,
    tags: dict[str, object] | None = None,
) -> None:
    """Record a processor with its own store (``tags``: what later DSL steps may ask of it,
    such as a windowed aggregation's grace period)."""

    def write(topology: Topology) -> None:
        topology.add_processor(name, supplier, parent)
        topology.add_state_store(builder_of_store(), name)

    graph.add(GraphNode(name, [parent], write, tags=dict(tags or {})))
