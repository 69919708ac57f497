"""Store interfaces: the task-facing :class:`StateStore` and the raw :class:`KeyValueBytesStore`.

Layers, from the processor down (Kafka Streams has the same stack of wrappers):

* typed facade (:mod:`kstreams.state.typed`): serdes, ``ValueAndTimestamp``;
* :class:`~kstreams.state.buffered.BufferedBytesStore`: the write buffer, changelogging
  and the commit protocol;
* a :class:`KeyValueBytesStore` engine: RocksDB or memory, bytes in and out.
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
    """A raw key-value engine over bytes, sorted by key bytes; no buffer, no changelog.

    Writes only come in atomic batches (:meth:`write`), each optionally carrying
    metadata entries (the changelog offset) kept apart from the user's keys.
    """

    name: str
    persistent: bool

    @abstractmethod
    def init(self, context: StateStoreContext) -> None:
        """Open the engine (a persistent one under ``<context.state_dir>/rocksdb/<name>``)."""

    @abstractmethod
    def is_open(self) -> bool:
        """Whether the engine is open."""

    @abstractmethod
    def close(self) -> None:
        """Close the engine and invalidate its open iterators."""

    @abstractmethod
    def get(self, key: bytes) -> bytes | None:
        """The value of ``key``, or None."""

    @abstractmethod
    def write(
        self,
        items: Iterable[tuple[bytes, bytes | None]],
        meta: Mapping[bytes, bytes] | None = None,
    ) -> None:
        """Apply puts (and deletes, value None) plus metadata entries in one atomic write."""

    @abstractmethod
    def iterate(
        self, lo: bytes | None, hi: bytes | None, reverse: bool
    ) -> Iterator[tuple[bytes, bytes]]:
        """``(key, value)`` pairs with ``lo <= key < hi`` (None: unbounded), in key order or reversed."""

    @abstractmethod
    def approximate_num_entries(self) -> int:
        """An estimate of the number of keys."""

    @abstractmethod
    def get_meta(self, key: bytes) -> bytes | None:
        """A metadata entry written by :meth:`write`, or None."""

    @abstractmethod
    def wipe(self) -> None:
        """Delete all data and metadata; an open engine stays open (empty)."""
