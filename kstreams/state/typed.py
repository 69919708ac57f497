"""The typed key-value store interfaces: what processors get from ``context.get_state_store(name)``.

:class:`KeyValueStore` and :class:`TimestampedKeyValueStore` mirror Kafka Streams'
interfaces in snake_case; the metered store (:mod:`kstreams.state.metered`, serdes over
the bytes stack) and the record cache above it (:mod:`kstreams.state.caching`) implement
them. Order in ranges is the byte order of the serialized keys, as in Java; iterators
yield plain ``(key, value)`` tuples. :class:`ReadOnlyKeyValueStore` is the view
interactive queries get.
"""

from __future__ import annotations

import logging
from abc import abstractmethod
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from kstreams.errors import StreamsError
from kstreams.state.api import StateStore

if TYPE_CHECKING:
    from kstreams.serde.base import Serde
    from kstreams.state.context import StateStoreContext

log = logging.getLogger(__name__)


def prefix_end(prefix: bytes) -> bytes | None:
    """The smallest byte string greater than every key starting with ``prefix`` (None: none)."""
    stem = prefix.rstrip(b"\xff")
    if not stem:
        return None
    return stem[:-1] + bytes((stem[-1] + 1,))


def null_key(store: str) -> ValueError:
    """The error of a null key given to ``store``."""
    return ValueError(f"key cannot be null (store {store})")


def store_serdes(
    store: str,
    key_serde: Serde[Any] | None,
    value_serde: Serde[Any] | None,
    context: StateStoreContext,
) -> tuple[Serde[Any], Serde[Any]]:
    """The key and value serdes of ``store`` as it opens: those given, else the context's
    defaults; a clear error naming the store when there is neither."""
    if key_serde is None:
        key_serde = context.default_key_serde
    if value_serde is None:
        value_serde = context.default_value_serde
    if key_serde is None or value_serde is None:
        which = "key" if key_serde is None else "value"
        raise StreamsError(
            f"Store {store} has no {which} serde: give one to the store builder "
            f"or set default.{which}.serde"
        )
    return key_serde, value_serde


class KeyValueStore(StateStore):
    """A key-value store of typed keys and values (Java: ``KeyValueStore``).

    Example (inside a processor)::

        def init(self, context):
            self.counts = context.get_state_store("counts")

        def process(self, record):
            n = (self.counts.get(record.key) or 0) + 1
            self.counts.put(record.key, n)

    ``put(key, None)`` deletes, as in Java. Writes are buffered until the task
    commits; reads and ranges see them at once.

    Implementations provide the single-key operations, :meth:`serialize_key` and
    :meth:`_scan` (entries by serialized-key bounds); ranges, prefix scans and the
    interactive-query reads of :class:`ReadOnlyKeyValueStore` are built on those.
    """

    key_serde: Serde[Any] | None
    """The serde of keys (None before ``init``: the app's ``default.key.serde``)."""
    value_serde: Serde[Any] | None
    """The serde of values (None before ``init``: the app's ``default.value.serde``)."""

    # -- single keys ------------------------------------------------------------------------
    @abstractmethod
    def get(self, key: Any) -> Any:
        """The value of ``key``, or None."""

    @abstractmethod
    def put(self, key: Any, value: Any) -> None:
        """Set ``key`` to ``value``; None deletes the key."""

    @abstractmethod
    def put_if_absent(self, key: Any, value: Any) -> Any:
        """Set ``key`` to ``value`` unless it has a value; return that value (None if absent)."""

    @abstractmethod
    def delete(self, key: Any) -> Any:
        """Delete ``key``; return its old value (None if absent)."""

    def put_all(self, entries: Iterable[tuple[Any, Any]]) -> None:
        """``put`` every ``(key, value)`` of ``entries``."""
        put = self.put
        for key, value in entries:
            put(key, value)

    @abstractmethod
    def approximate_num_entries(self) -> int:
        """An estimate of the number of entries."""

    # -- keys as bytes ----------------------------------------------------------------------
    @property
    @abstractmethod
    def serde_topic(self) -> str:
        """The topic the serdes see: the changelog topic, or the store name when not logged."""

    @abstractmethod
    def serialize_key(self, key: Any) -> bytes:
        """The stored bytes of ``key`` (ValueError for a null key)."""

    # -- ranges -----------------------------------------------------------------------------
    def range(self, from_key: Any = None, to_key: Any = None) -> Iterator[tuple[Any, Any]]:
        """Entries with ``from_key <= key <= to_key`` (None: unbounded) in key order."""
        return self._range(from_key, to_key, False, False)

    def reverse_range(self, from_key: Any = None, to_key: Any = None) -> Iterator[tuple[Any, Any]]:
        """Entries with ``from_key <= key <= to_key`` (None: unbounded), last key first."""
        return self._range(from_key, to_key, True, False)

    def all(self) -> Iterator[tuple[Any, Any]]:
        """All entries in key order."""
        return self._scan(None, None, False, False)

    def reverse_all(self) -> Iterator[tuple[Any, Any]]:
        """All entries, last key first."""
        return self._scan(None, None, True, False)

    def prefix_scan(self, prefix: Any, prefix_key_serde: Serde[Any]) -> Iterator[tuple[Any, Any]]:
        """Entries whose serialized key starts with ``prefix`` serialized by ``prefix_key_serde``.

        Example::

            for key, value in store.prefix_scan("user-", Serdes.String()):
                ...
        """
        return self._prefix_scan(prefix, prefix_key_serde, False)

    def _range(
        self, from_key: Any, to_key: Any, reverse: bool, concurrent: bool
    ) -> Iterator[tuple[Any, Any]]:
        # ``concurrent``: an interactive query from another thread (ReadOnlyKeyValueStore)
        lo = None if from_key is None else self.serialize_key(from_key)
        hi = None
        if to_key is not None:
            to_bytes = self.serialize_key(to_key)
            if lo is not None and lo > to_bytes:
                log.warning(
                    "Returning empty iterator for fetch with invalid key range: from > to. "
                    "This may be due to range arguments set in the wrong order, or serdes "
                    "that don't preserve ordering when lexicographically comparing the "
                    "serialized bytes. Note that the built-in numerical serdes do not follow "
                    "this for negative numbers"
                )
                return iter(())
            hi = to_bytes + b"\x00"  # the smallest key after to_bytes: makes ``to`` inclusive
        return self._scan(lo, hi, reverse, concurrent)

    def _prefix_scan(
        self, prefix: Any, prefix_key_serde: Serde[Any], concurrent: bool
    ) -> Iterator[tuple[Any, Any]]:
        lo = prefix_key_serde.serialize(self.serde_topic, prefix)
        if lo is None:
            raise ValueError(f"prefix cannot be null (store {self.name})")
        return self._scan(lo, prefix_end(lo), False, concurrent)

    @abstractmethod
    def _scan(
        self, lo: bytes | None, hi: bytes | None, reverse: bool, concurrent: bool
    ) -> Iterator[tuple[Any, Any]]:
        """Typed entries with ``lo <= key bytes < hi`` (None: unbounded)."""

    @abstractmethod
    def _get_concurrent(self, key: Any) -> Any:
        """``get`` from a thread other than the stream thread (interactive queries)."""


class TimestampedKeyValueStore(KeyValueStore):
    """A key-value store whose values are :class:`ValueAndTimestamp` (Java: ``TimestampedKeyValueStore``).

    Stored bytes are Java's: 8-byte big-endian timestamp + serialized value. The
    changelog gets the serialized value with the timestamp as record timestamp.

    Example::

        store.put("alice", ValueAndTimestamp.make(3, context.timestamp))
        store.get("alice").value   # 3
    """


class ReadOnlyKeyValueStore:
    """A read-only view of a key-value store, for interactive queries (Java: ``ReadOnlyKeyValueStore``).

    Safe to use from threads other than the one processing records: ranges take
    their own snapshot of the uncommitted writes.

    Example::

        view = ReadOnlyKeyValueStore(store)
        for key, value in view.range("a", "m"):
            ...
    """

    def __init__(self, store: KeyValueStore) -> None:
        self._store = store

    def __repr__(self) -> str:
        return f"ReadOnlyKeyValueStore({self._store.name!r})"

    @property
    def name(self) -> str:
        """The store's name."""
        return self._store.name

    def get(self, key: Any) -> Any:
        """The value of ``key``, or None."""
        return self._store._get_concurrent(key)

    def range(self, from_key: Any = None, to_key: Any = None) -> Iterator[tuple[Any, Any]]:
        """Entries with ``from_key <= key <= to_key`` (None: unbounded) in key order."""
        return self._store._range(from_key, to_key, False, True)

    def reverse_range(self, from_key: Any = None, to_key: Any = None) -> Iterator[tuple[Any, Any]]:
        """Entries with ``from_key <= key <= to_key`` (None: unbounded), last key first."""
        return self._store._range(from_key, to_key, True, True)

    def all(self) -> Iterator[tuple[Any, Any]]:
        """All entries in key order."""
        return self._store._range(None, None, False, True)

    def reverse_all(self) -> Iterator[tuple[Any, Any]]:
        """All entries, last key first."""
        return self._store._range(None, None, True, True)

    def prefix_scan(self, prefix: Any, prefix_key_serde: Serde[Any]) -> Iterator[tuple[Any, Any]]:
        """Entries whose serialized key starts with the serialized ``prefix``."""
        return self._store._prefix_scan(prefix, prefix_key_serde, True)

    def approximate_num_entries(self) -> int:
        """An estimate of the number of entries."""
        return self._store.approximate_num_entries()
