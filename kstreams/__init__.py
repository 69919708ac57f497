"""kstreams: Kafka Streams for Python.

A KStream DSL and a Processor API compiled into a topology that runs inside
your process as consume -> process -> produce loops against a Kafka cluster,
with Kafka Streams' names and semantics in Python's spelling.

Example::

    from kstreams import KafkaStreams, Serdes, StreamsBuilder

    builder = StreamsBuilder()
    builder.stream("in", key_serde=Serdes.String(), value_serde=Serdes.String()) \\
        .filter(lambda k, v: v) \\
        .map_values(str.upper) \\
        .to("out")
    streams = KafkaStreams(builder.build(), {
        "application.id": "upper", "bootstrap.servers": "localhost:9092"})
    streams.start()
"""

from kstreams.builder import StreamsBuilder
from kstreams.config import StreamsConfig
from kstreams.dsl import (
    Branched,
    BranchedKStream,
    BufferConfig,
    Consumed,
    GlobalKTable,
    Grouped,
    KeyValue,
    KGroupedStream,
    KGroupedTable,
    KStream,
    KTable,
    Materialized,
    Named,
    Printed,
    Produced,
    Repartitioned,
    SessionWindowedKStream,
    Suppressed,
    TimeWindowedKStream,
)
from kstreams.dsl.cogrouped import (
    CogroupedKStream,
    SessionWindowedCogroupedKStream,
    TimeWindowedCogroupedKStream,
)
from kstreams.dsl.joined import Joined
from kstreams.dsl.stream_joined import StreamJoined
from kstreams.dsl.table_joined import TableJoined
from kstreams.errors import (
    AuthenticationError,
    ClusterUnreachableError,
    ConfigError,
    DeserializationError,
    MissingSinkTopicError,
    MissingSourceTopicError,
    SerializationError,
    StreamsError,
    TopologyError,
)
from kstreams.handlers import (
    DeserializationHandlerResponse,
    LogAndContinueExceptionHandler,
    LogAndFailExceptionHandler,
    StreamThreadExceptionResponse,
)
from kstreams.processor import (
    FixedKeyProcessor,
    Processor,
    ProcessorContext,
    PunctuationType,
    Record,
)
from kstreams.runtime import KafkaStreams, TaskId
from kstreams.runtime.client_metadata import LagInfo
from kstreams.runtime.queries import StoreQueryParameters
from kstreams.runtime.streams_metadata import HostInfo, KeyQueryMetadata, StreamsMetadata
from kstreams.serde import FunctionSerde, JsonSerde, Serde, Serdes
from kstreams.serde.windowed import WindowedSerdes
from kstreams.signals import wait_for_shutdown_signal
from kstreams.state import (
    KeyValueStore,
    ReadOnlyKeyValueStore,
    ReadOnlySessionStore,
    ReadOnlyWindowStore,
    SessionStore,
    Stores,
    TimestampedKeyValueStore,
    TimestampedWindowStore,
    ValueAndTimestamp,
    VersionedKeyValueStore,
    VersionedRecord,
    WindowStore,
)
from kstreams.state.errors import (
    InvalidStateStoreError,
    InvalidStateStorePartitionError,
    StateStoreMigratedError,
    StreamsNotStartedError,
    StreamsRebalancingError,
    StreamsStoppedError,
    UnknownStateStoreError,
)
from kstreams.topology import Topology, TopologyDescription
from kstreams.windows import (
    CountWindow,
    CountWindows,
    EmitStrategy,
    SessionWindow,
    SessionWindows,
    SlidingWindows,
    TimeWindow,
    TimeWindows,
    Window,
    Windowed,
)
from kstreams.windows.join_windows import JoinWindows

__version__ = "0.1.0"

__all__ = [
    "AuthenticationError",
    "Branched",
    "BranchedKStream",
    "BufferConfig",
    "ClusterUnreachableError",
    "CogroupedKStream",
    "ConfigError",
    "Consumed",
    "CountWindow",
    "CountWindows",
    "DeserializationError",
    "DeserializationHandlerResponse",
    "EmitStrategy",
    "FixedKeyProcessor",
    "FunctionSerde",
    "GlobalKTable",
    "Grouped",
    "HostInfo",
    "InvalidStateStoreError",
    "InvalidStateStorePartitionError",
    "JoinWindows",
    "Joined",
    "JsonSerde",
    "KGroupedStream",
    "KGroupedTable",
    "KStream",
    "KTable",
    "KafkaStreams",
    "KeyQueryMetadata",
    "KeyValue",
    "KeyValueStore",
    "LagInfo",
    "LogAndContinueExceptionHandler",
    "LogAndFailExceptionHandler",
    "Materialized",
    "MissingSinkTopicError",
    "MissingSourceTopicError",
    "Named",
    "Printed",
    "Processor",
    "ProcessorContext",
    "Produced",
    "PunctuationType",
    "ReadOnlyKeyValueStore",
    "ReadOnlySessionStore",
    "ReadOnlyWindowStore",
    "Record",
    "Repartitioned",
    "Serde",
    "Serdes",
    "SerializationError",
    "SessionStore",
    "SessionWindow",
    "SessionWindowedCogroupedKStream",
    "SessionWindowedKStream",
    "SessionWindows",
    "SlidingWindows",
    "StateStoreMigratedError",
    "StoreQueryParameters",
    "Stores",
    "StreamJoined",
    "StreamThreadExceptionResponse",
    "StreamsBuilder",
    "StreamsConfig",
    "StreamsError",
    "StreamsMetadata",
    "StreamsNotStartedError",
    "StreamsRebalancingError",
    "StreamsStoppedError",
    "Suppressed",
    "TableJoined",
    "TaskId",
    "TimeWindow",
    "TimeWindowedCogroupedKStream",
    "TimeWindowedKStream",
    "TimeWindows",
    "TimestampedKeyValueStore",
    "TimestampedWindowStore",
    "Topology",
    "TopologyDescription",
    "TopologyError",
    "UnknownStateStoreError",
    "ValueAndTimestamp",
    "VersionedKeyValueStore",
    "VersionedRecord",
    "Window",
    "WindowStore",
    "Windowed",
    "WindowedSerdes",
    "__version__",
    "wait_for_shutdown_signal",
]
