"""How long after a window's end its result may still change: Java's ``GraphGraceSearchUtil``.

``KTable.suppress(Suppressed.until_window_closes(...))`` holds each windowed result until
stream time passes the window's end plus this grace. It is found by walking up the DSL graph
from the suppressed table to the windowed aggregations it derives from (their graph nodes carry
the grace under :data:`WINDOW_GRACE_TAG`): time and sliding windows give their grace period,
sessions their grace period plus the inactivity gap, and a table derived from several takes the
largest. A table that derives from no windowed aggregation has no window close time.

Example::

    grace = find_and_verify_window_grace(builder.graph, table.name)
"""

from __future__ import annotations

from kstreams.dsl.graph import GraphNode, StreamsGraph
from kstreams.errors import TopologyError

WINDOW_GRACE_TAG = "window_grace"
"""The graph-node tag of a windowed aggregation: its grace for window close, ms."""


def find_and_verify_window_grace(graph: StreamsGraph, node_name: str) -> int:
    """The window-close grace of the node ``node_name`` (ms), as Java's
    ``GraphGraceSearchUtil.findAndVerifyWindowGrace``; TopologyError when it derives from no
    windowed aggregation."""
    nodes = {n.name: n for n in graph.nodes}
    return _grace(nodes, node_name, "")


def _grace(nodes: dict[str, GraphNode], name: str, chain: str) -> int:
    node = nodes.get(name)
    if node is None:
        raise TopologyError(
            f"Window close time is only defined for windowed computations. Got [{chain}]."
        )
    grace = node.tags.get(WINDOW_GRACE_TAG)
    if grace is not None:
        return int(grace)
    new_chain = name if not chain else f"{name}->{chain}"
    if not node.parents:
        raise TopologyError(
            f"Window close time is only defined for windowed computations. Got [{new_chain}]."
        )
    return max(_grace(nodes, parent, new_chain) for parent in node.parents)
