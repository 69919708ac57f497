"""``Topology``: the built graph of sources, processors and sinks, and the Processor API builder.

The DSL (``StreamsBuilder``) records what the user asked for and writes it
into a :class:`Topology` when ``build()`` is called; Processor API users call
``add_source`` / ``add_processor`` / ``add_sink`` themselves.

Example::

    topology = Topology()
    topology.add_source("Source", "input", key_serde=Serdes.String(), value_serde=Serdes.String())
    topology.add_processor("Upper", UpperProcessor, "Source")
    topology.add_sink("Sink", "output", "Upper")
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kstreams.errors import TopologyError
from kstreams.processor.api import ProcessorSupplier
from kstreams.topology.describe import TopologyDescription
from kstreams.topology.nodes import (
    InternalTopic,
    Node,
    ProcessorNode,
    SinkNode,
    SourceNode,
    StreamPartitioner,
    Subtopology,
    TopicNameExtractor,
)

_OFFSET_RESETS = ("earliest", "latest", None)


@dataclass(frozen=True)
class GlobalStore:
    """A global store: ``store_name`` filled from every partition of ``topic`` by the node
    ``processor_name`` fed by the source ``source_name`` (Java: a global store's node group).

    ``reprocess_on_restore``: whether restoration runs the records through the processor
    (the DSL's ``global_table``) rather than only at run time.
    """

    store_name: str
    source_name: str
    processor_name: str
    topic: str
    reprocess_on_restore: bool = False


class Topology:
    """A processing graph, to run with ``KafkaStreams`` or the ``TopologyTestDriver``."""

    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {}
        self.internal_topics: dict[str, InternalTopic] = {}
        self.state_stores: dict[str, Any] = {}
        self._store_source_topics: dict[str, str] = {}
        self._topic_to_source: dict[str, str] = {}
        self._subtopologies: list[Subtopology] | None = None
        self._global_subtopologies: list[Subtopology] = []
        self.global_stores: dict[str, GlobalStore] = {}
        """The global stores by store name (see :meth:`add_global_store`)."""

    # -- building -----------------------------------------------------------------------------
    def _add(self, node: Node) -> None:
        if not node.name:
            raise TopologyError("Node name must not be empty")
        if node.name in self.nodes:
            raise TopologyError(f"Processor {node.name} is already added.")
        for parent in node.parents:
            if parent == node.name:
                raise TopologyError(f"Processor {node.name} cannot be a predecessor of itself.")
            if parent not in self.nodes:
                raise TopologyError(f"Parent processor {parent} is not added yet for {node.name}.")
            if isinstance(self.nodes[parent], SinkNode):
                raise TopologyError(f"Sink {parent} cannot be used as a parent of {node.name}.")
        self.nodes[node.name] = node
        self._subtopologies = None

    def add_source(
        self,
        name: str,
        *topics: str,
        key_serde: Any = None,
        value_serde: Any = None,
        timestamp_extractor: Any = None,
        offset_reset: str | None = None,
    ) -> Topology:
        """Add a source node reading ``topics``; serdes default to the config's defaults."""
        if not topics:
            raise TopologyError("You must provide at least one topic")
        if offset_reset not in _OFFSET_RESETS:
            raise TopologyError(
                f"offset_reset must be 'earliest', 'latest' or None, got {offset_reset!r}"
            )
        for topic in topics:
            if topic in self._topic_to_source:
                raise TopologyError(
                    f"Topic {topic} has already been registered by another source "
                    f"({self._topic_to_source[topic]})."
                )
        self._add(
            SourceNode(
                name, list(topics), key_serde, value_serde, timestamp_extractor, offset_reset
            )
        )
        for topic in topics:
            self._topic_to_source[topic] = name
        return self

    def add_processor(self, name: str, supplier: ProcessorSupplier, *parent_names: str) -> Topology:
        """Add a processor node made by ``supplier()`` in each task, fed by ``parent_names``."""
        if not parent_names:
            raise TopologyError(f"Processor {name} must have at least one parent")
        if not callable(supplier):
            raise TopologyError(f"Processor {name}: supplier must be callable, got {supplier!r}")
        self._add(ProcessorNode(name, supplier, list(parent_names)))
        return self

    def add_sink(
        self,
        name: str,
        topic: str | TopicNameExtractor,
        *parent_names: str,
        key_serde: Any = None,
        value_serde: Any = None,
        partitioner: StreamPartitioner | None = None,
    ) -> Topology:
        """Add a sink writing to ``topic`` (a name, or ``extractor(key, value, context) -> name``)."""
        if not parent_names:
            raise TopologyError(f"Sink {name} must have at least one parent")
        if isinstance(topic, str):
            node = SinkNode(name, topic, list(parent_names), key_serde, value_serde, partitioner)
        elif callable(topic):
            node = SinkNode(
                name, None, list(parent_names), key_serde, value_serde, partitioner, topic
            )
        else:
            raise TopologyError(f"Sink {name}: topic must be a name or a callable, got {topic!r}")
        self._add(node)
        return self

    def add_state_store(self, store_builder: Any, *processor_names: str) -> Topology:
        """Add a state store (a ``StoreBuilder``) and connect it to ``processor_names``.

        Logged stores get the changelog topic ``<application.id>-<store name>-changelog``.
        """
        name = store_builder.name
        if name in self.state_stores:
            raise TopologyError(f"StateStore {name} is already added.")
        self.state_stores[name] = store_builder
        self.connect_processor_and_state_stores(*processor_names, store_names=(name,))
        return self

    def connect_processor_and_state_stores(
        self, *processor_names: str, store_names: tuple[str, ...] | list[str] = ()
    ) -> Topology:
        """Give ``processor_names`` access to the stores ``store_names``."""
        for store in store_names:
            if store in self.global_stores:
                raise TopologyError(
                    f"Global StateStore {store} can be used by a Processor without being "
                    "specified; it should not be explicitly passed."
                )
            if store not in self.state_stores:
                raise TopologyError(f"StateStore {store} is not added yet.")
        for pname in processor_names:
            node = self.nodes.get(pname)
            if not isinstance(node, ProcessorNode):
                raise TopologyError(f"Processor {pname} is not added yet.")
            for store in store_names:
                if store not in node.stores:
                    node.stores.append(store)
        self._subtopologies = None
        return self

    def add_global_store(
        self,
        store_builder: Any,
        source_name: str,
        key_deserializer: Any,
        value_deserializer: Any,
        topic: str,
        processor_name: str,
        state_update_supplier: ProcessorSupplier,
        *,
        timestamp_extractor: Any = None,
        reprocess_on_restore: bool = False,
    ) -> Topology:
        """Add a global store: every instance fills ``store_builder``'s store from *every*
        partition of ``topic``, through the processor ``state_update_supplier()`` named
        ``processor_name`` fed by the source ``source_name`` (Java's ``addGlobalStore``, in
        its argument order; the key and value "deserializers" are serdes).

        The store's logging must be disabled (``topic`` is its changelog); any processor can
        read it with ``context.get_state_store(name)`` without being connected to it. The
        processor should only write the store (it has no children).

        Example::

            topology.add_global_store(
                Stores.key_value_store_builder(
                    Stores.in_memory_key_value_store("rates"), Serdes.String(), Serdes.Double()
                ).with_logging_disabled(),
                "rates-source", Serdes.String(), Serdes.Double(), "rates",
                "rates-updater", RatesUpdater,
            )
        """
        if store_builder is None:
            raise TopologyError("store builder must not be null")
        if not callable(state_update_supplier):
            raise TopologyError(
                f"Processor {processor_name}: supplier must be callable, got "
                f"{state_update_supplier!r}"
            )
        for arg, what in ((source_name, "sourceName"), (topic, "topic")):
            if not arg:
                raise TopologyError(f"{what} must not be null")
        if not processor_name:
            raise TopologyError("processorName must not be null")
        name = store_builder.name
        for node_name in (source_name, processor_name):
            if node_name in self.nodes:
                raise TopologyError(f"Processor {node_name} is already added.")
        if name in self.global_stores:
            raise TopologyError(
                f"A different GlobalStateStore has already been added with the name {name}"
            )
        if name in self.state_stores:
            raise TopologyError(
                f"A different StateStore has already been added with the name {name}"
            )
        if getattr(store_builder, "logging_enabled", False):
            raise TopologyError(
                f"StateStore {name} for global table must not have logging enabled."
            )
        if source_name == processor_name:
            raise TopologyError("sourceName and processorName must be different.")
        if topic in self._topic_to_source:
            raise TopologyError(f"Topic {topic} has already been registered by another source.")
        self._add(
            SourceNode(
                source_name, [topic], key_deserializer, value_deserializer, timestamp_extractor
            )
        )
        self._topic_to_source[topic] = source_name
        self._add(ProcessorNode(processor_name, state_update_supplier, [source_name], [name]))
        self.state_stores[name] = store_builder
        self.global_stores[name] = GlobalStore(
            name, source_name, processor_name, topic, reprocess_on_restore
        )
        return self

    def is_global_topic(self, topic: str) -> bool:
        """Whether ``topic`` feeds a global store."""
        return any(g.topic == topic for g in self.global_stores.values())

    def global_source_topics(self) -> list[str]:
        """The topics of the global stores, in the order they were added."""
        return [g.topic for g in self.global_stores.values()]

    def global_subtopologies(self) -> list[Subtopology]:
        """The node groups of the global stores (they generate no tasks; Java numbers them
        with the other sub-topologies)."""
        self.subtopologies()
        return self._global_subtopologies

    def connect_source_store_and_topic(self, store_name: str, topic: str) -> Topology:
        """Use the source topic ``topic`` as the changelog of ``store_name`` (Java's
        ``connectSourceStoreAndTopic``, for ``reuse.ktable.source.topics``).

        The store writes no changelog: it is restored from ``topic`` up to the committed
        offset of the input partition, and the offset it reached is the input offset committed.
        Its builder must have logging enabled (the store keeps that offset as its changelog
        offset); ``builder.table`` sees to it.
        """
        if store_name not in self.state_stores:
            raise TopologyError(f"StateStore {store_name} is not added yet.")
        if topic not in self._topic_to_source:
            raise TopologyError(f"Topic {topic} is not a source topic of this topology.")
        if self.is_internal(topic):
            raise TopologyError(f"Internal topic {topic} cannot serve as the changelog of a store.")
        self._store_source_topics[store_name] = topic
        return self

    def changelog_topic(self, store_name: str, application_id: str) -> str | None:
        """The changelog topic the application writes ``store_name`` to and creates:
        ``<application.id>-<store>-changelog``, or None when its logging is disabled or its
        changelog is a source topic (:meth:`source_changelog_topic`)."""
        builder = self.state_stores[store_name]
        if not builder.logging_enabled or store_name in self._store_source_topics:
            return None
        return f"{application_id}-{store_name}-changelog"

    def source_changelog_topic(self, store_name: str) -> str | None:
        """The source topic that is ``store_name``'s changelog (a source table built with
        ``topology.optimization=all``), or None."""
        return self._store_source_topics.get(store_name)

    def stores_of(self, subtopology: Subtopology) -> list[str]:
        """The names of the stores used by the nodes of ``subtopology``."""
        names: list[str] = []
        for n in subtopology.nodes:
            node = self.nodes[n]
            if isinstance(node, ProcessorNode):
                names.extend(s for s in node.stores if s not in names)
        return names

    def add_internal_topic(self, name: str, num_partitions: int | None = None) -> None:
        """Declare a topic the application creates as ``<application.id>-<name>``."""
        if num_partitions is not None and num_partitions < 1:
            raise TopologyError(f"Number of partitions must be at least 1, got {num_partitions}")
        self.internal_topics[name] = InternalTopic(name, num_partitions)
        self._subtopologies = None

    # -- reading ------------------------------------------------------------------------------
    def describe(self) -> TopologyDescription:
        """The topology as Kafka Streams' TopologyDescription (``print()`` it)."""
        return TopologyDescription(self)

    def display_topic(self, topic: str) -> str:
        """How a topic shows in ``describe()`` (internal topics without the application prefix)."""
        return topic

    def is_internal(self, topic: str) -> bool:
        """Whether ``topic`` (unprefixed) is an internal topic of this topology."""
        return topic in self.internal_topics

    def resolve_topic(self, topic: str, application_id: str) -> str:
        """The real topic name: internal topics get the ``<application.id>-`` prefix."""
        if topic in self.internal_topics:
            return f"{application_id}-{topic}"
        return topic

    def source_topics(self) -> list[str]:
        """Every topic read by a source node of a sub-topology (unprefixed names; global
        stores' topics are :meth:`global_source_topics`)."""
        globals_ = set(self.global_source_topics())
        return [t for t in self._topic_to_source if t not in globals_]

    def source_for_topic(self, topic: str) -> SourceNode:
        """The source node reading ``topic`` (unprefixed name)."""
        node = self.nodes[self._topic_to_source[topic]]
        assert isinstance(node, SourceNode)
        return node

    def subtopologies(self) -> list[Subtopology]:
        """The connected parts of the graph that make tasks, numbered as Kafka Streams numbers
        them (global stores' node groups take numbers too: see :meth:`global_subtopologies`)."""
        if self._subtopologies is None:
            groups = self._make_subtopologies()
            global_sources = {g.source_name for g in self.global_stores.values()}
            self._global_subtopologies = [s for s in groups if global_sources.intersection(s.nodes)]
            self._subtopologies = [s for s in groups if not global_sources.intersection(s.nodes)]
        return self._subtopologies

    def subtopology(self, subtopology_id: int) -> Subtopology:
        """The sub-topology numbered ``subtopology_id``."""
        for sub in self.subtopologies():
            if sub.id == subtopology_id:
                return sub
        raise TopologyError(f"no sub-topology {subtopology_id}")

    def subtopology_of_topic(self, topic: str) -> Subtopology:
        """The subtopology that reads ``topic`` (unprefixed)."""
        source = self._topic_to_source[topic]
        for sub in self.subtopologies():
            if source in sub.nodes:
                return sub
        raise TopologyError(f"no subtopology reads {topic}")  # pragma: no cover

    def _make_subtopologies(self) -> list[Subtopology]:
        parent_of: dict[str, str] = {}

        def root(n: str) -> str:
            while parent_of.get(n, n) != n:
                n = parent_of[n]
            return n

        def union(a: str, b: str) -> None:
            ra, rb = root(a), root(b)
            if ra != rb:
                parent_of[rb] = ra

        store_users: dict[str, str] = {}
        for node in self.nodes.values():
            parent_of.setdefault(node.name, node.name)
            for p in node.parents:
                union(p, node.name)
            if isinstance(node, ProcessorNode):
                for store in node.stores:
                    if store in store_users:
                        union(store_users[store], node.name)
                    store_users.setdefault(store, node.name)

        # Numbered in the order nodes were added, as Java's makeNodeGroups: upstream first.
        groups: dict[str, list[str]] = {}
        for name in self.nodes:
            groups.setdefault(root(name), []).append(name)
        order = list(groups)

        result = []
        for i, r in enumerate(order):
            names = groups[r]
            src_topics: list[str] = []
            sink_topics: list[str] = []
            for n in names:
                node = self.nodes[n]
                if isinstance(node, SourceNode):
                    src_topics.extend(node.topics)
                elif isinstance(node, SinkNode) and node.topic is not None:
                    sink_topics.append(node.topic)
            result.append(Subtopology(i, names, src_topics, sink_topics))
        return result

    def topological_order(self, names: list[str]) -> list[str]:
        """``names`` ordered so that every node comes after its parents."""
        members = set(names)
        done: set[str] = set()
        out: list[str] = []

        def visit(n: str) -> None:
            if n in done:
                return
            done.add(n)
            for p in self.nodes[n].parents:
                if p in members:
                    visit(p)
            out.append(n)

        for n in names:
            visit(n)
        return out

    def children_of(self, name: str) -> list[str]:
        """The nodes fed by ``name``, in the order they were added."""
        return [n for n, node in self.nodes.items() if name in node.parents]
