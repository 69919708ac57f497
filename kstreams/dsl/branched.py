"""``split()``'s result: route each record to the first branch whose predicate holds.

Example (Java's ``BranchedKStream``)::

    branches = (
        orders.split(Named.as_("orders-"))
        .branch(lambda k, v: v["country"] == "DE", Branched.as_("de"))
        .branch(lambda k, v: v["country"] == "FR", Branched.as_("fr"))
        .default_branch(Branched.as_("other"))
    )
    branches["orders-de"].to("orders-de")
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kstreams.dsl.graph import GraphNode
from kstreams.dsl.options import Branched
from kstreams.errors import TopologyError
from kstreams.processor import stateless as ops
from kstreams.topology.topology import Topology

if TYPE_CHECKING:
    from kstreams.dsl.kstream import KStream


class BranchedKStream:
    """Collects branches; ``default_branch()`` or ``no_default_branch()`` ends it and returns the dict."""

    def __init__(self, stream: KStream, name: str | None) -> None:
        self._stream = stream
        graph = stream._builder.graph
        self._graph = graph
        self.splitter = graph.name_or_generate(name, "KSTREAM-BRANCH-")
        self._routes: list[tuple[Callable[[Any, Any], bool], str]] = []
        self._default: str | None = None
        self._branches: dict[str, KStream] = {}
        self._index = 1
        self._done = False
        routes = self._routes
        splitter = self.splitter

        def supplier() -> ops.BranchProcessor:
            proc = ops.BranchProcessor()
            for pred, child in routes:
                proc.add_branch(pred, child)
            proc.default_child = self._default
            return proc

        def write(topology: Topology) -> None:
            topology.add_processor(splitter, supplier, stream.name)

        graph.add(GraphNode(splitter, [stream.name], write))

    def _add_child(self, branched: Branched | None, index: int, name: str | None) -> str:
        if self._done:
            raise TopologyError("This split is finished: no branch can be added after the default")
        branched = branched or Branched()
        child = self.splitter + (name or branched.name or str(index))
        self._graph.new_name("KSTREAM-BRANCHCHILD-")
        splitter = self.splitter

        def write(topology: Topology) -> None:
            topology.add_processor(child, ops.PassThroughProcessor, splitter)

        self._graph.add(GraphNode(child, [splitter], write))
        s = self._stream
        branch_stream = s._derive(child, s.key_serde, s.value_serde, s.repartition_required)
        if branched.function is not None:
            result = branched.function(branch_stream)
            if result is not None:
                self._branches[child] = result
        elif branched.consumer is not None:
            branched.consumer(branch_stream)
        else:
            self._branches[child] = branch_stream
        return child

    def branch(
        self,
        predicate: Callable[[Any, Any], bool],
        branched: Branched | None = None,
        *,
        name: str | None = None,
    ) -> BranchedKStream:
        """Records for which ``predicate(key, value)`` holds (and no earlier one did) go here."""
        if not callable(predicate):
            raise TopologyError(f"predicate must be callable, got {predicate!r}")
        child = self._add_child(branched, self._index, name)
        self._index += 1
        self._routes.append((predicate, child))
        return self

    def default_branch(
        self, branched: Branched | None = None, *, name: str | None = None
    ) -> dict[str, KStream]:
        """Records no predicate matched go here; returns the branches by name."""
        self._default = self._add_child(branched, 0, name)
        self._done = True
        return self._branches

    def no_default_branch(self) -> dict[str, KStream]:
        """Records no predicate matched are dropped; returns the branches by name."""
        self._done = True
        return self._branches
