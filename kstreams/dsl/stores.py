"""How the DSL turns ``Materialized`` into a store builder and a grouping into a repartition step."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kstreams.dsl.graph import GraphNode
from kstreams.dsl.materialized import Materialized
from kstreams.processor.aggregate import DropNullKeysProcessor
from kstreams.topology.topology import Topology

if TYPE_CHECKING:
    from kstreams.dsl.graph import StreamsGraph


def store_builder(m: Materialized, name: str, key_serde: Any, value_serde: Any) -> Any:
    """A timestamped key-value ``StoreBuilder`` as ``m`` describes it."""
    from kstreams.state import Stores

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


def add_grouping_repartition(
    graph: StreamsGraph,
    parent: str,
    topic_base: str,
    key_serde: Any,
    value_serde: Any,
    null_key_filter: bool = True,
) -> str:
    """Insert ``[filter ->] sink -> <topic_base>-repartition -> source`` after ``parent``; return the source.

    Names are generated in Kafka Streams' order: sink, filter, source.
    """
    sink = graph.new_name("KSTREAM-SINK-")
    filt = graph.new_name("KSTREAM-FILTER-") if null_key_filter else None
    source = graph.new_name("KSTREAM-SOURCE-")
    topic = f"{topic_base}-repartition"

    def write(topology: Topology) -> None:
        topology.add_internal_topic(topic)
        upstream = parent
        if filt is not None:
            topology.add_processor(filt, DropNullKeysProcessor, parent)
            upstream = filt
        topology.add_sink(sink, topic, upstream, key_serde=key_serde, value_serde=value_serde)
        topology.add_source(source, topic, key_serde=key_serde, value_serde=value_serde)

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
) -> None:
    """Record a processor with its own store."""

    def write(topology: Topology) -> None:
        topology.add_processor(name, supplier, parent)
        topology.add_state_store(builder_of_store(), name)

    graph.add(GraphNode(name, [parent], write))
