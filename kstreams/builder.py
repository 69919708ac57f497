"""``StreamsBuilder``: the entry point of the DSL (Java: ``StreamsBuilder``).

Example::

    builder = StreamsBuilder()
    builder.stream("in", key_serde=Serdes.String(), value_serde=Serdes.String()) \\
        .map_values(str.upper) \\
        .to("out")
    topology = builder.build()
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kstreams.dsl.graph import GraphNode, StreamsGraph
from kstreams.dsl.kstream import KStream
from kstreams.dsl.ktable import KTable
from kstreams.dsl.materialized import Materialized
from kstreams.dsl.options import Consumed
from kstreams.dsl.stores import add_stateful_processor, store_builder
from kstreams.errors import TopologyError
from kstreams.processor.table import TableSourceProcessor
from kstreams.topology.topology import Topology


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
        """A table of ``topic``: the latest value per key, kept in a local store with a changelog.

        A record with a None value deletes its key.
        """
        if topic in self._topics:
            raise TopologyError(f"Topic {topic} has already been registered by another source.")
        self._topics.add(topic)
        if isinstance(consumed, Materialized) and materialized is None:
            consumed, materialized = None, consumed  # Java's table(topic, Materialized)
        c = consumed or Consumed()
        m = materialized or Materialized()
        if m.store_name is None and m.store_supplier is None:
            # Java keeps such a table unqueryable and forwards every update: no record cache
            m = m.with_caching_disabled()
        store = m.store_name or self.graph.new_name(f"{topic}-STATE-STORE-")
        ks = key_serde or m.key_serde or c.key_serde
        vs = value_serde or m.value_serde or c.value_serde
        ts = timestamp_extractor or c.timestamp_extractor
        reset = offset_reset or c.offset_reset
        # Java: a named Consumed names the table source; its topic source is "<name>-source"
        source = self.graph.name_or_generate(c.name and f"{c.name}-source", "KSTREAM-SOURCE-")
        table_source = self.graph.name_or_generate(c.name, "KTABLE-SOURCE-")

        def write(topology: Topology) -> None:
            topology.add_source(
                source,
                topic,
                key_serde=ks,
                value_serde=vs,
                timestamp_extractor=ts,
                offset_reset=reset,
            )

        self.graph.add(GraphNode(source, [], write))
        add_stateful_processor(
            self.graph,
            table_source,
            source,
            lambda: TableSourceProcessor(store),
            store,
            lambda: store_builder(m, store, ks, vs),
        )
        return KTable(self, table_source, ks, vs, store)

    def add_state_store(self, store_builder: Any) -> StreamsBuilder:
        """Add a store (a ``StoreBuilder``) that ``process()`` calls can name."""

        def write(topology: Topology) -> None:
            topology.add_state_store(store_builder)

        self.graph.add(GraphNode(f"STATE-STORE:{store_builder.name}", [], write))
        return self

    def build(self) -> Topology:
        """The :class:`Topology` of everything recorded so far."""
        return self.graph.write()
