"""State stores: key-value, window and session stores on RocksDB (rocksdict) or memory, with changelogs.

Processors reach stores with ``context.get_state_store(name)``; stores are declared
with :class:`Stores` builders. A store is a stack of layers (record cache → metered
store → change-logging → write buffer → engine): see :mod:`kstreams.state.api`.
"""

from kstreams.state.api import (
    ChangelogRecord,
    KeyValueBytesEngine,
    KeyValueBytesStore,
    StateStore,
)
from kstreams.state.buffered import BufferedBytesStore
from kstreams.state.builders import (
    InMemoryKeyValueBytesStoreSupplier,
    KeyValueBytesStoreSupplier,
    KeyValueStoreBuilder,
    RocksDBKeyValueBytesStoreSupplier,
    StoreBuilder,
    Stores,
    TimestampedKeyValueStoreBuilder,
)
from kstreams.state.changelogging import (
    ChangeLoggingKeyValueBytesStore,
    ChangeLoggingTimestampedKeyValueBytesStore,
)
from kstreams.state.context import ChangelogCollector, StateStoreContext
from kstreams.state.errors import (
    InvalidStateStoreError,
    InvalidStateStorePartitionError,
    StateStoreMigratedError,
    StreamsNotStartedError,
    StreamsRebalancingError,
    StreamsStoppedError,
    UnknownStateStoreError,
)
from kstreams.state.memory import InMemoryStore
from kstreams.state.metered import MeteredKeyValueStore, MeteredTimestampedKeyValueStore
from kstreams.state.rocksdb import RocksDBStore
from kstreams.state.segments import RocksDBSegmentedEngine
from kstreams.state.typed import KeyValueStore, ReadOnlyKeyValueStore, TimestampedKeyValueStore
from kstreams.state.value_and_timestamp import ValueAndTimestamp
from kstreams.state.versioned import (
    PUT_RETURN_CODE_NOT_PUT,
    PUT_RETURN_CODE_VALID_TO_UNDEFINED,
    ReadOnlyVersionedKeyValueStore,
    VersionedKeyValueStore,
    VersionedRecord,
)
from kstreams.state.versioned_builders import (
    RocksDbVersionedKeyValueBytesStoreSupplier,
    VersionedBytesStoreSupplier,
    VersionedKeyValueStoreBuilder,
)
from kstreams.state.versioned_metered import MeteredVersionedKeyValueStore
from kstreams.state.window_buffered import BufferedSegmentedStore
from kstreams.state.window_builders import (
    InMemorySessionBytesStoreSupplier,
    InMemoryWindowBytesStoreSupplier,
    RocksDBSessionBytesStoreSupplier,
    RocksDBTimeOrderedSessionBytesStoreSupplier,
    RocksDBTimeOrderedWindowBytesStoreSupplier,
    RocksDBWindowBytesStoreSupplier,
    SessionBytesStoreSupplier,
    SessionStoreBuilder,
    TimestampedWindowStoreBuilder,
    WindowBytesStoreSupplier,
    WindowStoreBuilder,
    persistent_time_ordered_session_store,
    persistent_time_ordered_window_store,
)
from kstreams.state.window_bytes import InMemorySegmentedEngine, SegmentedBytesEngine
from kstreams.state.window_changelogging import (
    ChangeLoggingSegmentedStore,
    ChangeLoggingTimestampedSegmentedStore,
)
from kstreams.state.window_metered import (
    MeteredSessionStore,
    MeteredTimestampedWindowStore,
    MeteredWindowStore,
)
from kstreams.state.window_typed import SessionStore, TimestampedWindowStore, WindowStore
from kstreams.state.window_views import (
    PlainValueWindowStore,
    ReadOnlySessionStore,
    ReadOnlyWindowStore,
)
from kstreams.state.wrapped import WrappedStateStore, find_layer

__all__ = [
    "PUT_RETURN_CODE_NOT_PUT",
    "PUT_RETURN_CODE_VALID_TO_UNDEFINED",
    "BufferedBytesStore",
    "BufferedSegmentedStore",
    "ChangeLoggingKeyValueBytesStore",
    "ChangeLoggingSegmentedStore",
    "ChangeLoggingTimestampedKeyValueBytesStore",
    "ChangeLoggingTimestampedSegmentedStore",
    "ChangelogCollector",
    "ChangelogRecord",
    "InMemoryKeyValueBytesStoreSupplier",
    "InMemorySegmentedEngine",
    "InMemorySessionBytesStoreSupplier",
    "InMemoryStore",
    "InMemoryWindowBytesStoreSupplier",
    "InvalidStateStoreError",
    "InvalidStateStorePartitionError",
    "KeyValueBytesEngine",
    "KeyValueBytesStore",
    "KeyValueBytesStoreSupplier",
    "KeyValueStore",
    "KeyValueStoreBuilder",
    "MeteredKeyValueStore",
    "MeteredSessionStore",
    "MeteredTimestampedKeyValueStore",
    "MeteredTimestampedWindowStore",
    "MeteredVersionedKeyValueStore",
    "MeteredWindowStore",
    "PlainValueWindowStore",
    "ReadOnlyKeyValueStore",
    "ReadOnlySessionStore",
    "ReadOnlyVersionedKeyValueStore",
    "ReadOnlyWindowStore",
    "RocksDBKeyValueBytesStoreSupplier",
    "RocksDBSegmentedEngine",
    "RocksDBSessionBytesStoreSupplier",
    "RocksDBStore",
    "RocksDBTimeOrderedSessionBytesStoreSupplier",
    "RocksDBTimeOrderedWindowBytesStoreSupplier",
    "RocksDBWindowBytesStoreSupplier",
    "RocksDbVersionedKeyValueBytesStoreSupplier",
    "SegmentedBytesEngine",
    "SessionBytesStoreSupplier",
    "SessionStore",
    "SessionStoreBuilder",
    "StateStore",
    "StateStoreContext",
    "StateStoreMigratedError",
    "StoreBuilder",
    "Stores",
    "StreamsNotStartedError",
    "StreamsRebalancingError",
    "StreamsStoppedError",
    "TimestampedKeyValueStore",
    "TimestampedKeyValueStoreBuilder",
    "TimestampedWindowStore",
    "TimestampedWindowStoreBuilder",
    "UnknownStateStoreError",
    "ValueAndTimestamp",
    "VersionedBytesStoreSupplier",
    "VersionedKeyValueStore",
    "VersionedKeyValueStoreBuilder",
    "VersionedRecord",
    "WindowBytesStoreSupplier",
    "WindowStore",
    "WindowStoreBuilder",
    "WrappedStateStore",
    "find_layer",
    "persistent_time_ordered_session_store",
    "persistent_time_ordered_window_store",
]
