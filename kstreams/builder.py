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
from kstreams.dsl.options import Consumed
from kstreams.errors import TopologyError
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

    def build(self) -> Topology:
        """The :class:`Topology` of everything recorded so far."""
        return self.graph.write()
