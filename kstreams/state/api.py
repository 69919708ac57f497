"""Store protocols: the task-facing :class:`StateStore` and the bytes-store protocol of the stack.

A key-value store is a stack of layers, each wrapping the one below through that
layer's public interface (Kafka Streams' ``MeteredKeyValueStore`` →
``CachingKeyValueStore`` → ``ChangeLoggingKeyValueBytesStore`` → ``RocksDBStore``),
from the processor down:

* record cache (:mod:`kstreams.state.caching`, optional): objects, above the serdes
  (Kafka Streams caches bytes below them; here a cached update is never serialized);
* metered store (:mod:`kstreams.state.metered`): serdes, the typed API of
  :mod:`kstreams.state.typed`;
* change-logging (:mod:`kstreams.state.changelogging`, logged stores): which keys
  changed; their latest values go to the changelog at :meth:`StateStore.flush_changelog`;
* write buffer (:mod:`kstreams.state.buffered`): uncommitted writes, applied with the
  changelog offset in one atomic write at :meth:`StateStore.commit`;
* engine (:mod:`kstreams.state.rocksdb`, :mod:`kstreams.state.memory`).

Every layer under the serdes and every engine speaks :class:`KeyValueBytesStore`
(bytes in, bytes out, sorted by key bytes); the layers also pass the commit protocol
of :class:`StateStore` down (:class:`~kstreams.state.wrapped.WrappedStateStore`);
an engine adds the storage hooks of :class:`KeyValueBytesEngine` instead. Window and
session stores will be the same stack over a segmented engine whose keys hold the key
and its window (Kafka Streams' layout), whose changelog records are those keys.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kstreams.state.context import StateStoreContext

ChangelogRecord = tuple[bytes, bytes | None, int]
"""A changelog record as restoration sees it: ``(key, value or None for a tombstone, timestamp)``."""


class StateStore(ABC):
    """A store as its task sees it: lifecycle, commit protocol and restoration.

    The task drives each commit in three steps:

    1. :meth:`flush_changelog` sends the buffered changes to the changelog;
    2. the task flushes the producer, so every changelog record is acknowledged
       (under exactly-once: the transaction is committed);
    3. :meth:`commit` applies the buffer to the local store together with the
       offset of the last changelog record, in one atomic write.

    :meth:`abort` drops the buffer instead (an aborted transaction). Writes made
    between steps 1 and 3 make :meth:`commit` fail: the local store never holds
    what the changelog lacks.

    Restoration (by the runtime, before processing): read :meth:`restore_offset`,
    feed the changelog from the next offset to its end through
    :meth:`restore_batch`; :meth:`wipe` first when the local data cannot be trusted.
    """

    @property
    @abstractmethod
    def name(self) -> str:
        """The store's name."""

    @property
    @abstractmethod
    def persistent(self) -> bool:
        """Whether the data survives a restart (RocksDB) or not (memory)."""

    @property
    @abstractmethod
    def logged(self) -> bool:
        """Whether changes go to a changelog topic."""

    @property
    @abstractmethod
    def changelog_topic(self) -> str | None:
        """The changelog topic after :meth:`init`; None when logging is disabled."""

    @abstractmethod
    def init(self, context: StateStoreContext) -> None:
        """Open the store for the task described by ``context``."""

    @abstractmethod
    def is_open(self) -> bool:
        """Whether the store is open."""

    @abstractmethod
    def close(self) -> None:
        """Close the store; uncommitted changes are dropped."""

    @abstractmethod
    def flush_changelog(self) -> bool:
        """Send buffered changes (latest value per key) to the changelog; True if any were sent."""

    @abstractmethod
    def commit(self, changelog_offset: int | None) -> None:
        """Apply the write buffer and ``changelog_offset`` (None: unchanged) atomically."""

    @abstractmethod
    def abort(self) -> None:
        """Drop the write buffer."""

    @abstractmethod
    def restore_offset(self) -> int | None:
        """The changelog offset the local data has reached; None: restore from the beginning."""

    @abstractmethod
    def restore_batch(self, records: list[ChangelogRecord], last_offset: int) -> None:
        """Apply changelog ``records`` and ``last_offset`` to the local store in one write."""

    @abstractmethod
    def wipe(self) -> None:
        """Delete all local data and the stored offset (the store stays open)."""


class KeyValueBytesStore(ABC):
    """The bytes-store protocol: keys and values are bytes, ranges follow the key bytes.

    What the layers under the serdes (change-logging, write buffer) and the engines
    (RocksDB, memory) all offer, so each can wrap the next, and a window or session
    bytes store (whose keys hold the key and its window, as in Kafka Streams) can be
    wrapped by the same change-logging and write-buffer layers. The layers are also
    :class:`StateStore` s (the commit and restore hooks); an engine is a
    :class:`KeyValueBytesEngine` (atomic batches with metadata) instead.
    """

    name: str
    """The store's name (a property of the layers, an attribute of the engines)."""
    persistent: bool
    """Whether the data survives a restart."""

    @abstractmethod
    def init(self, context: StateStoreContext) -> None:
        """Open the store for the task described by ``context``."""

    @abstractmethod
    def is_open(self) -> bool:
        """Whether the store is open."""

    @abstractmethod
    def close(self) -> None:
        """Close the store."""

    @abstractmethod
    def wipe(self) -> None:
        """Delete all local data (an open store stays open, empty)."""

    @abstractmethod
    def get(self, key: bytes) -> bytes | None:
        """The value of ``key``, or None."""

    @abstractmethod
    def put(self, key: bytes, value: bytes | None) -> None:
        """Set ``key`` to ``value``; None deletes it."""

    @abstractmethod
    def delete(self, key: bytes) -> None:
        """Delete ``key``."""

    @abstractmethod
    def range(
        self, lo: bytes | None, hi: bytes | None, reverse: bool = False, concurrent: bool = False
    ) -> Iterator[tuple[bytes, bytes]]:
        """``(key, value)`` pairs with ``lo <= key < hi`` (None: unbounded), in key order or reversed.

        ``concurrent``: the caller is not the stream thread (an interactive query),
        so the store must not change its own state to answer.
        """

    @abstractmethod
    def approximate_num_entries(self) -> int:
        """An estimate of the number of keys."""


class KeyValueBytesEngine(KeyValueBytesStore):
    """A storage engine: a :class:`KeyValueBytesStore` with atomic batches and metadata.

    ``put`` and ``delete`` write at once; the write buffer above an engine writes
    only through :meth:`write`, whose batches carry metadata entries (the changelog
    offset, the value format) kept apart from the user's keys, so data and offset
    land together or not at all. No buffer, no changelog: those are layers.
    """

    @abstractmethod
    def write(
        self,
        items: Iterable[tuple[bytes, bytes | None]],
        meta: Mapping[bytes, bytes] | None = None,
    ) -> None:
        """Apply puts (and deletes, value None) plus metadata entries in one atomic write."""

    def put(self, key: bytes, value: bytes | None) -> None:
        """Write ``value`` (None: delete) at once, in a batch of its own."""
        self.write(((key, value),))

    def delete(self, key: bytes) -> None:
        """Delete ``key`` at once."""
        self.write(((key, None),))

    @abstractmethod
    def get_meta(self, key: bytes) -> bytes | None:
        """A metadata entry written by :meth:`write`, or None."""

    @abstractmethod
    def wipe(self) -> None:
        """Delete all data and metadata; an open engine stays open (empty)."""
