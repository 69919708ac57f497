"""``Topology.describe()``: the TopologyDescription text of Kafka Streams, line for line."""

from __future__ import annotations

from functools import cmp_to_key
from typing import TYPE_CHECKING

from kstreams.topology.java_order import JavaTreeSet, hash_map_order, java_string_compare
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
        self.global_stores = topology.global_subtopologies()

    def __str__(self) -> str:
        topo = self._topology
        parts = ["Topologies:\n "]
        # Java merges the two sorted sets by id; a global store's block has no blank line after
        blocks = [(s.id, False, s) for s in self.subtopologies]
        blocks += [(s.id, True, s) for s in self.global_stores]
        for _id, is_global, sub in sorted(blocks, key=lambda b: b[0]):
            parts.append("  ")
            if is_global:
                parts.append(_describe_global(topo, sub.nodes, sub.id))
                continue
            parts.append(f"Sub-topology: {sub.id}\n")
            for line in _describe_nodes(topo, sub.nodes):
                parts.append("    " + line + "\n")
            parts.append("\n")
        return "".join(parts)

    __repr__ = __str__


def _describe_global(topo: Topology, names: list[str], sub_id: int) -> str:
    """Java's ``GlobalStore.toString``: the source, then the processor with its one store."""
    spec = next(g for g in topo.global_stores.values() if g.source_name in names)
    return (
        f"Sub-topology: {sub_id} for global store (will not generate tasks)\n"
        f"    Source: {spec.source_name} (topics: [{spec.topic}])\n"
        f"      --> {spec.processor_name}\n"
        f"    Processor: {spec.processor_name} (stores: [{spec.store_name}])\n"
        f"      --> none\n"
        f"      <-- {spec.source_name}\n"
    )


def _describe_nodes(topo: Topology, names: list[str]) -> list[str]:
    """Java's ``describeSubtopology``: nodes connected in ``HashMap`` order of their names,
    each into its predecessor's successor set and its own predecessor set (``TreeSet`` s
    ordered by the sub-tree sizes known at the time), the sizes growing as edges are added.
    The nodes are listed by final size, then name."""
    size = dict.fromkeys(names, 1)

    def compare(a: str, b: str) -> int:
        if a == b:
            return 0
        if size[a] != size[b]:
            return size[b] - size[a]
        return java_string_compare(a, b)

    predecessors = {n: JavaTreeSet(compare) for n in names}
    successors = {n: JavaTreeSet(compare) for n in names}

    def update_size(n: str, delta: int) -> None:
        size[n] += delta
        for p in predecessors[n]:
            update_size(p, delta)

    for n in hash_map_order(names):
        for p in topo.nodes[n].parents:
            predecessors[n].add(p)
            successors[p].add(n)
            update_size(p, size[n])

    def names_of(ns: JavaTreeSet[str]) -> str:
        return ", ".join(ns) if len(ns) else "none"

    lines = []
    for n in sorted(names, key=cmp_to_key(compare)):
        node = topo.nodes[n]
        if isinstance(node, SourceNode):
            # Java prints a HashSet of the topics
            topics = ", ".join(hash_map_order([topo.display_topic(t) for t in node.topics]))
            lines.append(f"Source: {n} (topics: [{topics}])\n      --> {names_of(successors[n])}")
        elif isinstance(node, ProcessorNode):
            # Java prints a HashSet of the store names
            stores = ", ".join(hash_map_order(list(dict.fromkeys(node.stores))))
            lines.append(
                f"Processor: {n} (stores: [{stores}])\n      --> {names_of(successors[n])}"
                f"\n      <-- {names_of(predecessors[n])}"
            )
        elif isinstance(node, SinkNode):
            if node.topic is not None:
                target = f"topic: {topo.display_topic(node.topic)}"
            else:
                target = f"extractor class: {node.topic_extractor!r}"
            lines.append(f"Sink: {n} ({target})\n      <-- {names_of(predecessors[n])}")
    return lines
