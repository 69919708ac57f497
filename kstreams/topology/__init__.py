"""The built processing graph (Java: ``Topology`` and ``TopologyDescription``)."""

from kstreams.topology.describe import TopologyDescription
from kstreams.topology.nodes import (
    InternalTopic,
    ProcessorNode,
    SinkNode,
    SourceNode,
    StreamPartitioner,
    Subtopology,
    TopicNameExtractor,
)
from kstreams.topology.topology import Topology

__all__ = [
    "InternalTopic",
    "ProcessorNode",
    "SinkNode",
    "SourceNode",
    "StreamPartitioner",
    "Subtopology",
    "TopicNameExtractor",
    "Topology",
    "TopologyDescription",
]
