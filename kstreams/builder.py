"""``StreamsBuilder``: the entry point of the DSL (Java: ``StreamsBuilder``).

Example::

    builder = StreamsBuilder()
    builder.stream("in", key_serde=Serdes.String(), value_serde=Serdes.String()) \\
        .map_values(str.upper) \\
        .to("out")
    topology = builder.build()
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from kstreams.config import StreamsConfig
from kstreams.config.parsers import _OPTIMIZATIONS, _topology_optimization
from kstreams.dsl.global_table import GlobalKTable
from kstreams.dsl.global_table import global_table as _global_table
from kstreams.dsl.graph import GraphNode, StreamsGraph
from kstreams.dsl.kstream import KStream
from kstreams.dsl.ktable import KTable
from kstreams.dsl.materialized import Materialized
from kstreams.dsl.options import Consumed
from kstreams.dsl.stores import store_builder
from kstreams.dsl.table_values import TableSource
from kstreams.dsl.versioned import OUTPUT_VERSIONED, is_versioned
from kstreams.errors import TopologyError
from kstreams.processor.table import TableSourceProcessor
from kstreams.topology.topology import Topology

log = logging.getLogger("kstreams")

REUSE_KTABLE_SOURCE_TOPICS = "reuse.ktable.source.topics"
"""The optimization rule under which a source table's topic is its changelog."""


def optimizations_of(config: Mapping[str, Any] | None) -> frozenset[str]:
    """The ``topology.optimization`` rules that ``config`` enables ("all" expanded)."""
    if config is None:
        return frozenset()
    if isinstance(config, StreamsConfig):
        return config.topology_optimizations
    value = config.get("topology.optimization")
    if value is None:
        return frozenset()
    parts = _topology_optimization("topology.optimization", value).split(",")
    if "all" in parts:
        return frozenset(_OPTIMIZATIONS)
    return frozenset(p for p in parts if p != "none")


class StreamsBuilder:
    """Records DSL operations; :meth:`build` turns them into a :class:`Topology`."""

    def __init__(self) -> None:
        self.graph = StreamsGraph()
        self._topics: set[str] = set()

    def stream(
        self,
        topics: str | Iterable[str],
        consumed: Consumed | None = None,
        *,
        key_serde: Any = None,
        value_serde: Any = None,
        timestamp_extractor: Any = None,
        offset_reset: str | None = None,
        name: str | None = None,
    ) -> KStream:
        """A stream of the records of ``topics`` (one name or several).

        Serdes default to ``default.key.serde`` / ``default.value.serde``;
        ``offset_reset`` ("earliest"/"latest") applies where no offset is committed.
        """
        topic_list = [topics] if isinstance(topics, str) else list(topics)
        if not topic_list:
            raise TopologyError("You must provide at least one topic")
        for t in topic_list:
            if t in self._topics:
                raise TopologyError(f"Topic {t} has already been registered by another source.")
        self._topics.update(topic_list)
        c = consumed or Consumed()
        ks = key_serde or c.key_serde
        vs = value_serde or c.value_serde
        ts = timestamp_extractor or c.timestamp_extractor
        reset = offset_reset or c.offset_reset
        source = self.graph.name_or_generate(name or c.name, "KSTREAM-SOURCE-")

        def write(topology: Topology) -> None:
            topology.add_source(
                source,
                *topic_list,
                key_serde=ks,
                value_serde=vs,
                timestamp_extractor=ts,
                offset_reset=reset,
            )

        self.graph.add(GraphNode(source, [], write))
        return KStream(self, source, ks, vs)

    def table(
        self,
        topic: str,
        consumed: Consumed | Materialized | None = None,
        materialized: Materialized | None = None,
        *,
        key_serde: Any = None,
        value_serde: Any = None,
        timestamp_extractor: Any = None,
        offset_reset: str | None = None,
    ) -> KTable:
        """A table of ``topic``: the latest value per key. A record with a None value deletes its key.

        A named ``Materialized`` keeps the table in a queryable store with a changelog (or,
        built with ``topology.optimization=all``, restored from ``topic`` itself). Unnamed,
        the table has a store only if a downstream operator needs one (``group_by``), as in
        Kafka Streams.
        """
        if topic in self._topics:
            raise TopologyError(f"Topic {topic} has already been registered by another source.")
        self._topics.add(topic)
        if isinstance(consumed, Materialized) and materialized is None:
            consumed, materialized = None, consumed  # Java's table(topic, Materialized)
        c = consumed or Consumed()
        m = materialized or Materialized()
        store = m.store_name or self.graph.new_name(f"{topic}-STATE-STORE-")
        ks = key_serde or m.key_serde or c.key_serde
        vs = value_serde or m.value_serde or c.value_serde
        ts = timestamp_extractor or c.timestamp_extractor
        reset = offset_reset or c.offset_reset
        # Java: a named Consumed names the table source; its topic source is "<name>-source"
        source = self.graph.name_or_generate(c.name and f"{c.name}-source", "KSTREAM-SOURCE-")
        table_source = self.graph.name_or_generate(c.name, "KTABLE-SOURCE-")
        spec = TableSource(store, m.store_name)
        graph = self.graph

        def write(topology: Topology) -> None:
            topology.add_source(
                source,
                topic,
                key_serde=ks,
                value_serde=vs,
                timestamp_extractor=ts,
                offset_reset=reset,
            )
            materialized_store = store if spec.materialized else None
            send_old = spec.send_old_values
            topology.add_processor(
                table_source,
                lambda: TableSourceProcessor(materialized_store, send_old),
                source,
            )
            if materialized_store is None:
                return
            # Java's TableSourceNode: with reuse.ktable.source.topics the topic is the changelog
            reuse = REUSE_KTABLE_SOURCE_TOPICS in graph.optimizations
            # kstreams keeps the store "logged" so that it tracks the source offset it reached;
            # the topology tells the runtime that its changelog is the source topic
            logged = m.with_logging_enabled(m.log_config) if reuse else m
            topology.add_state_store(
                store_builder(logged, store, ks, vs, table_source=True), table_source
            )
            if reuse:
                topology.connect_source_store_and_topic(store, topic)

        self.graph.add(GraphNode(source, [], lambda _t: None))
        self.graph.add(
            GraphNode(table_source, [source], write, tags={OUTPUT_VERSIONED: is_versioned(m)})
        )
        return KTable(self, table_source, ks, vs, supplier=spec)

    def global_table(
        self,
        topic: str,
        consumed: Consumed | Materialized | None = None,
        materialized: Materialized | None = None,
        *,
        key_serde: Any = None,
        value_serde: Any = None,
        timestamp_extractor: Any = None,
    ) -> GlobalKTable:
        """A :class:`GlobalKTable` of ``topic``: every instance holds all of its rows, read from
        every partition by the instance's global thread (loaded fully before any stream
        thread processes, then kept up to date; ``topic`` is the store's changelog).

        Serdes come from ``consumed`` (else ``materialized``, else the defaults); a named
        ``Materialized`` makes the store queryable under that name. Join it with
        ``KStream.join(global_table, key_selector, joiner)``.

        Example::

            rates = builder.global_table("rates", Consumed.with_(Serdes.String(), Serdes.Double()))
        """
        return _global_table(
            self,
            topic,
            consumed,
            materialized,
            key_serde=key_serde,
            value_serde=value_serde,
            timestamp_extractor=timestamp_extractor,
        )

    def add_state_store(self, store_builder: Any) -> StreamsBuilder:
        """Add a store (a ``StoreBuilder``) that ``process()`` calls can name."""

        def write(topology: Topology) -> None:
            topology.add_state_store(store_builder)

        self.graph.add(GraphNode(f"STATE-STORE:{store_builder.name}", [], write))
        return self

    def build(self, config: Mapping[str, Any] | None = None) -> Topology:
        """The :class:`Topology` of everything recorded so far.

        ``config`` (a dict or ``StreamsConfig``) may enable ``topology.optimization``
        (``"all"`` or a list of rules), as Java's ``build(props)``: with
        ``reuse.ktable.source.topics`` a materialized source table is restored from its
        source topic instead of a ``-changelog`` topic. Without it nothing is optimized,
        whatever the config later given to ``KafkaStreams`` says; with
        ``single.store.self.join`` a stream joined with itself has one store. The other rule
        (``merge.repartition.topics``) is not implemented: the topology is built without it
        (logged).
        """
        optimizations = optimizations_of(config)
        missing = sorted(optimizations - {REUSE_KTABLE_SOURCE_TOPICS, "single.store.self.join"})
        if missing:
            log.info(
                "topology.optimization: %s not implemented by kstreams; building without",
                ", ".join(missing),
            )
        return self.graph.write(optimizations)
