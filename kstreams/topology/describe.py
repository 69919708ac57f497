"""``Topology.describe()``: the TopologyDescription text of Kafka Streams, line for line."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kstreams.topology.nodes import ProcessorNode, SinkNode, SourceNode

if TYPE_CHECKING:
    from kstreams.topology.topology import Topology


class TopologyDescription:
    """The description of a topology; ``str()`` gives Java's format.

    Example::

        print(builder.build().describe())
    """

    def __init__(self, topology: Topology) -> None:
        self._topology = topology
        self.subtopologies = topology.subtopologies()

    def __str__(self) -> str:
        topo = self._topology
        parts = ["Topologies:\n "]
        for sub in self.subtopologies:
            parts.append("  ")
            parts.append(f"Sub-topology: {sub.id}\n")
            for line in _describe_nodes(topo, sub.nodes):
                parts.append("    " + line + "\n")
            parts.append("\n")
        return "".join(parts)

    __repr__ = __str__


def _describe_nodes(topo: Topology, names: list[str]) -> list[str]:
    members = set(names)
    successors: dict[str, list[str]] = {n: [] for n in names}
    for n in names:
        for p in topo.nodes[n].parents:
            if p in members:
                successors[p].append(n)

    size: dict[str, int] = {}

    def size_of(n: str) -> int:
        if n not in size:
            size[n] = 1 + sum(size_of(s) for s in successors[n])
        return size[n]

    def order(ns: list[str]) -> list[str]:
        return sorted(ns, key=lambda n: (-size_of(n), n))

    def names_of(ns: list[str]) -> str:
        return ", ".join(order(ns)) if ns else "none"

    lines = []
    for n in order(names):
        node = topo.nodes[n]
        if isinstance(node, SourceNode):
            topics = ", ".join(topo.display_topic(t) for t in node.topics)
            lines.append(f"Source: {n} (topics: [{topics}])\n      --> {names_of(successors[n])}")
        elif isinstance(node, ProcessorNode):
            stores = ", ".join(node.stores)
            lines.append(
                f"Processor: {n} (stores: [{stores}])\n      --> {names_of(successors[n])}"
                f"\n      <-- {names_of(node.parents)}"
            )
        elif isinstance(node, SinkNode):
            if node.topic is not None:
                target = f"topic: {topo.display_topic(node.topic)}"
            else:
                target = f"extractor class: {node.topic_extractor!r}"
            lines.append(f"Sink: {n} ({target})\n      <-- {names_of(node.parents)}")
    return lines
