"""The nodes of a built topology: what each source, processor and sink is made of."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kstreams.processor.api import ProcessorSupplier

StreamPartitioner = Callable[[str, Any, Any, int], "int | None"]
"""``partitioner(topic, key, value, num_partitions) -> partition`` (None: the producer's default)."""

TopicNameExtractor = Callable[[Any, Any, Any], str]
"""``extractor(key, value, record_context) -> topic`` for dynamic routing in ``to()``."""


@dataclass
class SourceNode:
    """Reads ``topics`` and deserializes keys and values."""

    name: str
    topics: list[str]
    key_serde: Any = None
    value_serde: Any = None
    timestamp_extractor: Any = None
    offset_reset: str | None = None

    @property
    def parents(self) -> list[str]:
        """Sources have no parents."""
        return []


@dataclass
class ProcessorNode:
    """Runs the processor made by ``supplier`` on each record its parents forward."""

    name: str
    supplier: ProcessorSupplier
    parents: list[str]
    stores: list[str] = field(default_factory=list)


@dataclass
class SinkNode:
    """Serializes records and produces them to ``topic`` (or the extractor's topic)."""

    name: str
    topic: str | None
    parents: list[str]
    key_serde: Any = None
    value_serde: Any = None
    partitioner: StreamPartitioner | None = None
    topic_extractor: TopicNameExtractor | None = None


Node = SourceNode | ProcessorNode | SinkNode


@dataclass
class InternalTopic:
    """A topic the application creates and owns (repartition topics).

    ``name`` is without the ``<application.id>-`` prefix; ``num_partitions``
    None means "as many as the upstream source topics".
    """

    name: str
    num_partitions: int | None = None
    config: dict[str, str] = field(default_factory=dict)


@dataclass
class Subtopology:
    """A connected part of the topology; each input partition number becomes one task."""

    id: int
    nodes: list[str]
    source_topics: list[str]
    sink_topics: list[str]
