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

from kstreams.state.api import ChangelogRecord
from kstreams.state.changelogging_layer import ChangeLoggingLayer
from kstreams.state.versioned_rocksdb import RocksDBVersionedStore


class ChangeLoggingVersionedKeyValueBytesStore(ChangeLoggingLayer):
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

    _new_unsent = list

    def __init__(self, wrapped: RocksDBVersionedStore, log_config: dict[str, str] | None = None):
        super().__init__(wrapped, log_config)
        self._unsent: list[ChangelogRecord] = []

    @property
    def history_retention(self) -> int:
        return self._wrapped.history_retention  # type: ignore[no-any-return]

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
    def _send(self, unsent: list[ChangelogRecord]) -> None:
        """Send every logged version, in put order."""
        send = self._collector.send_changelog
        topic, partition = self._topic, self._partition
        for key, value, ts in unsent:
            send(topic, key, value, ts, partition)
