"""The change-logging layer of versioned stores: every put and delete, in order, to the changelog.

Java: ``ChangeLoggingVersionedKeyValueBytesStore``. Unlike a plain key-value store's
changelog (the latest value of each key per commit), a versioned store's changelog
holds every version: one record per put, ``(key, value or None, timestamp of the
version)`` with no headers, sent in the order of the puts at the first step of a
commit, whatever the put returned (Kafka Streams logs refused puts too; a restore
refuses them again). A Java application restoring this changelog builds the same
versions, and this layer restores Java's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kstreams.errors import IllegalStateError, StreamsError
from kstreams.state.api import ChangelogRecord
from kstreams.state.versioned_rocksdb import RocksDBVersionedStore
from kstreams.state.wrapped import WrappedStateStore

if TYPE_CHECKING:
    from kstreams.state.context import StateStoreContext


class ChangeLoggingVersionedKeyValueBytesStore(WrappedStateStore):
    """Logs each version put into the versioned bytes store below.

    Args:
        wrapped: The versioned bytes store.
        log_config: Topic configs of the changelog topic.

    Example::

        store = ChangeLoggingVersionedKeyValueBytesStore(versioned_bytes_store)
        store.init(context)
        store.put(b"k", b"v", 10)
        store.flush_changelog()          # (b"k", b"v") at timestamp 10 to the changelog
    """

    def __init__(self, wrapped: RocksDBVersionedStore, log_config: dict[str, str] | None = None):
        super().__init__(wrapped)
        self.log_config: dict[str, str] = dict(log_config or {})
        self._topic: str | None = None
        self._opened = False
        self._collector: Any = None
        self._partition = -1
        self._unsent: list[ChangelogRecord] = []

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._wrapped!r}, changelog={self._topic!r})"

    @property
    def history_retention(self) -> int:
        return self._wrapped.history_retention  # type: ignore[no-any-return]

    # -- identity -----------------------------------------------------------------------------
    @property
    def logged(self) -> bool:
        return self._topic is not None or not self._opened

    @property
    def changelog_topic(self) -> str | None:
        return self._topic

    # -- lifecycle ----------------------------------------------------------------------------
    def init(self, context: StateStoreContext) -> None:
        topic = context.changelog_topic
        if topic is not None and context.collector is None:
            raise StreamsError(f"Store {self.name} is logged to {topic} but has no collector")
        self._wrapped.init(context)
        self._opened = True
        self._topic = topic
        self._collector = context.collector
        self._partition = context.partition
        self._unsent = []

    def close(self) -> None:
        self._unsent = []
        self._wrapped.close()

    # -- reads and writes ---------------------------------------------------------------------
    def get(self, key: bytes) -> tuple[bytes, int] | None:
        return self._wrapped.get(key)  # type: ignore[no-any-return]

    def get_as_of(self, key: bytes, as_of: int) -> tuple[bytes, int, int | None] | None:
        return self._wrapped.get_as_of(key, as_of)  # type: ignore[no-any-return]

    def put(self, key: bytes, value: bytes | None, timestamp: int) -> int:
        """Put through and log ``(key, value, timestamp)``."""
        valid_to: int = self._wrapped.put(key, value, timestamp)
        if self._topic is not None:
            self._unsent.append((key, value, timestamp))
        return valid_to

    def delete(self, key: bytes, timestamp: int) -> tuple[bytes, int, int | None] | None:
        """Delete through and log a tombstone at ``timestamp``."""
        existing = self._wrapped.delete(key, timestamp)
        if self._topic is not None:
            self._unsent.append((key, None, timestamp))
        return existing  # type: ignore[no-any-return]

    def approximate_num_entries(self) -> int:
        return self._wrapped.approximate_num_entries()  # type: ignore[no-any-return]

    # -- commit protocol ----------------------------------------------------------------------
    def flush_changelog(self) -> bool:
        """Send every logged version, in put order."""
        sent = self._wrapped.flush_changelog()
        unsent = self._unsent
        if not unsent:
            return sent  # type: ignore[no-any-return]
        send = self._collector.send_changelog
        topic, partition = self._topic, self._partition
        for key, value, ts in unsent:
            send(topic, key, value, ts, partition)
        self._unsent = []
        return True

    def commit(self, changelog_offset: int | None) -> None:
        if self._unsent:
            raise IllegalStateError(
                f"Store {self.name} has {len(self._unsent)} change(s) not sent to its "
                "changelog: call flush_changelog() (and flush the producer) before commit()"
            )
        self._wrapped.commit(changelog_offset)

    def abort(self) -> None:
        self._unsent = []
        self._wrapped.abort()

    def wipe(self) -> None:
        self._unsent = []
        self._wrapped.wipe()
