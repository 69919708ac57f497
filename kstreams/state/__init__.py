"""State stores: key-value stores on RocksDB (rocksdict) or memory, with changelogs.

Processors reach stores with ``context.get_state_store(name)``; stores are
declared with :class:`Stores` builders. See :mod:`kstreams.state.buffered` for
how writes are buffered, logged and committed.
"""

from kstreams.state.api import ChangelogRecord, KeyValueBytesStore, StateStore
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
from kstreams.state.context import ChangelogCollector, StateStoreContext
from kstreams.state.errors import InvalidStateStoreError
from kstreams.state.memory import InMemoryStore
from kstreams.state.rocksdb import RocksDBStore
from kstreams.state.typed import KeyValueStore, ReadOnlyKeyValueStore, TimestampedKeyValueStore
from kstreams.state.value_and_timestamp import ValueAndTimestamp

__all__ = [
    "BufferedBytesStore",
    "ChangelogCollector",
    "ChangelogRecord",
    "InMemoryKeyValueBytesStoreSupplier",
    "InMemoryStore",
    "InvalidStateStoreError",
    "KeyValueBytesStore",
    "KeyValueBytesStoreSupplier",
    "KeyValueStore",
    "KeyValueStoreBuilder",
    "ReadOnlyKeyValueStore",
    "RocksDBKeyValueBytesStoreSupplier",
    "RocksDBStore",
    "StateStore",
    "StateStoreContext",
    "StoreBuilder",
    "Stores",
    "TimestampedKeyValueStore",
    "TimestampedKeyValueStoreBuilder",
    "ValueAndTimestamp",
]
