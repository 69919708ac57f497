"""Option objects of the DSL, as in Kafka Streams (``Consumed``, ``Produced``, ``Named``, ...).

Every DSL method also takes the same settings as keyword arguments; the option
objects exist so Java users find what they know:

    builder.stream("in", Consumed.with_(Serdes.String(), Serdes.Long()))
    builder.stream("in", key_serde=Serdes.String(), value_serde=Serdes.Long())   # the same
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

from kstreams.topology.nodes import StreamPartitioner


class KeyValue(NamedTuple):
    """A key and a value. Plain ``(key, value)`` tuples work wherever a KeyValue does."""

    key: Any
    value: Any

    @classmethod
    def pair(cls, key: Any, value: Any) -> KeyValue:
        """Java's ``KeyValue.pair``."""
        return cls(key, value)


@dataclass(frozen=True)
class Named:
    """A name for the processor a DSL call creates (Java: ``Named.as``)."""

    name: str | None = None

    @classmethod
    def as_(cls, name: str) -> Named:
        """``Named.as_("my-filter")``."""
        if not name:
            raise ValueError("Name must not be empty")
        return cls(name)


@dataclass(frozen=True)
class Consumed:
    """How a source topic is read: serdes, timestamp extractor, offset reset, processor name."""

    key_serde: Any = None
    value_serde: Any = None
    timestamp_extractor: Any = None
    offset_reset: str | None = None
    name: str | None = None

    @classmethod
    def with_(cls, key_serde: Any = None, value_serde: Any = None) -> Consumed:
        """``Consumed.with_(key_serde, value_serde)``."""
        return cls(key_serde, value_serde)

    @classmethod
    def as_(cls, name: str) -> Consumed:
        """A source node named ``name``."""
        return cls(name=name)

    def with_key_serde(self, serde: Any) -> Consumed:
        """A copy with another key serde."""
        return replace(self, key_serde=serde)

    def with_value_serde(self, serde: Any) -> Consumed:
        """A copy with another value serde."""
        return replace(self, value_serde=serde)

    def with_timestamp_extractor(self, extractor: Any) -> Consumed:
        """A copy with a timestamp extractor."""
        return replace(self, timestamp_extractor=extractor)

    def with_offset_reset_policy(self, policy: str) -> Consumed:
        """A copy with ``"earliest"`` or ``"latest"`` reset for partitions without committed offsets."""
        return replace(self, offset_reset=policy)

    def with_name(self, name: str) -> Consumed:
        """A copy with a processor name."""
        return replace(self, name=name)


@dataclass(frozen=True)
class Produced:
    """How records are written by ``to()``: serdes, partitioner, processor name."""

    key_serde: Any = None
    value_serde: Any = None
    partitioner: StreamPartitioner | None = None
    name: str | None = None

    @classmethod
    def with_(cls, key_serde: Any = None, value_serde: Any = None) -> Produced:
        """``Produced.with_(key_serde, value_serde)``."""
        return cls(key_serde, value_serde)

    @classmethod
    def as_(cls, name: str) -> Produced:
        """A sink node named ``name``."""
        return cls(name=name)

    def with_key_serde(self, serde: Any) -> Produced:
        """A copy with another key serde."""
        return replace(self, key_serde=serde)

    def with_value_serde(self, serde: Any) -> Produced:
        """A copy with another value serde."""
        return replace(self, value_serde=serde)

    def with_stream_partitioner(self, partitioner: StreamPartitioner) -> Produced:
        """A copy with ``partitioner(topic, key, value, num_partitions) -> int | None``."""
        return replace(self, partitioner=partitioner)

    def with_name(self, name: str) -> Produced:
        """A copy with a sink name."""
        return replace(self, name=name)


@dataclass(frozen=True)
class Repartitioned:
    """How ``repartition()`` writes its topic: serdes, partition count, partitioner, name."""

    key_serde: Any = None
    value_serde: Any = None
    num_partitions: int | None = None
    partitioner: StreamPartitioner | None = None
    name: str | None = None

    @classmethod
    def with_(cls, key_serde: Any = None, value_serde: Any = None) -> Repartitioned:
        """``Repartitioned.with_(key_serde, value_serde)``."""
        return cls(key_serde, value_serde)

    @classmethod
    def as_(cls, name: str) -> Repartitioned:
        """Repartition topic ``<application.id>-<name>-repartition``."""
        return cls(name=name)

    @classmethod
    def number_of_partitions(cls, n: int) -> Repartitioned:
        """A repartition topic with ``n`` partitions (Java's static ``numberOfPartitions``)."""
        return cls(num_partitions=n)

    def with_number_of_partitions(self, n: int) -> Repartitioned:
        """A copy with ``n`` partitions."""
        return replace(self, num_partitions=n)

    def with_key_serde(self, serde: Any) -> Repartitioned:
        """A copy with another key serde."""
        return replace(self, key_serde=serde)

    def with_value_serde(self, serde: Any) -> Repartitioned:
        """A copy with another value serde."""
        return replace(self, value_serde=serde)

    def with_stream_partitioner(self, partitioner: StreamPartitioner) -> Repartitioned:
        """A copy with a partitioner."""
        return replace(self, partitioner=partitioner)

    def with_name(self, name: str) -> Repartitioned:
        """A copy with a name."""
        return replace(self, name=name)


@dataclass(frozen=True)
class Printed:
    """Where ``print()`` writes: standard output or a file, with a label and a line mapper."""

    file_path: str | None = None
    label: str | None = None
    mapper: Callable[[Any, Any], str] | None = None
    name: str | None = None

    @classmethod
    def to_sys_out(cls) -> Printed:
        """Print to standard output."""
        return cls()

    @classmethod
    def to_file(cls, file_path: str) -> Printed:
        """Append to the file ``file_path``."""
        return cls(file_path=file_path)

    def with_label(self, label: str) -> Printed:
        """A copy with a label (default: the upstream node's name)."""
        return replace(self, label=label)

    def with_key_value_mapper(self, mapper: Callable[[Any, Any], str]) -> Printed:
        """A copy whose lines are ``mapper(key, value)``."""
        return replace(self, mapper=mapper)

    def with_name(self, name: str) -> Printed:
        """A copy with a processor name."""
        return replace(self, name=name)


@dataclass(frozen=True)
class Branched:
    """A branch of ``split()``: its name and what to do with its stream (Java: ``Branched``)."""

    name: str | None = None
    function: Callable[[Any], Any] | None = None
    consumer: Callable[[Any], None] | None = None

    @classmethod
    def as_(cls, name: str) -> Branched:
        """A branch named ``<split name><name>``."""
        return cls(name=name)

    @classmethod
    def with_function(cls, function: Callable[[Any], Any], name: str | None = None) -> Branched:
        """The branch's stream goes through ``function``; its result is what the map holds."""
        return cls(name=name, function=function)

    @classmethod
    def with_consumer(cls, consumer: Callable[[Any], None], name: str | None = None) -> Branched:
        """The branch's stream is handed to ``consumer``; the map holds no entry for it."""
        return cls(name=name, consumer=consumer)
