"""The DSL's recorded graph: what ``StreamsBuilder`` writes into a ``Topology`` at ``build()``.

Kafka Streams builds in two phases: DSL calls record graph nodes, and
``build()`` writes them into the topology. Here a graph node is a name, its
parents and a function that writes it; keeping the record lets ``build()`` be
called more than once and leaves room for optimisations on the whole graph.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from kstreams.topology.topology import Topology


@dataclass
class GraphNode:
    """One recorded DSL step."""

    name: str
    parents: list[str]
    write: Callable[[Topology], None]
    key_changing: bool = False
    tags: dict[str, object] = field(default_factory=dict)


class StreamsGraph:
    """The ordered list of recorded steps and the processor-name counter."""

    def __init__(self) -> None:
        self.nodes: list[GraphNode] = []
        self._index = 0
        self.optimizations: frozenset[str] = frozenset()
        """The ``topology.optimization`` rules of the build in progress (read by the steps' writes)."""

    def new_name(self, prefix: str) -> str:
        """Kafka Streams' generated names: ``KSTREAM-FILTER-0000000001``."""
        name = f"{prefix}{self._index:010d}"
        self._index += 1
        return name

    def name_or_generate(self, given: str | None, prefix: str) -> str:
        """``given``, or a generated name (Java's ``NamedInternal.orElseGenerateWithPrefix``).

        The counter advances even when a name is given, as in Kafka Streams, so
        the generated names of later operations are the same as Java's.
        """
        generated = self.new_name(prefix)
        return given or generated

    def add(self, node: GraphNode) -> GraphNode:
        """Record ``node``."""
        if any(n.name == node.name for n in self.nodes):
            from kstreams.errors import TopologyError

            raise TopologyError(f"Processor {node.name} is already added.")
        self.nodes.append(node)
        return node

    def write(self, optimizations: frozenset[str] = frozenset()) -> Topology:
        """A new ``Topology`` with every recorded step written into it, with ``optimizations``
        (``reuse.ktable.source.topics``, ...) applied."""
        self.optimizations = optimizations
        try:
            topology = Topology()
            for node in self.nodes:
                node.write(topology)
            return topology
        finally:
            self.optimizations = frozenset()
