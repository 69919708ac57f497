"""Typed key-value stores: what processors get from ``context.get_state_store(name)``.

:class:`KeyValueStore` and :class:`TimestampedKeyValueStore` mirror Kafka
Streams' interfaces in snake_case. They turn keys and values into bytes with
the serdes given to the store builder (the serdes see the changelog topic, or
the store name when logging is disabled) and pass them to the
:class:`~kstreams.state.buffered.BufferedBytesStore` below. Order in ranges is
the byte order of the serialized keys, as in Java.

Iterators yield plain ``(key, value)`` tuples.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from kstreams.errors import StreamsError
from kstreams.serde.base import Serde
from kstreams.state.api import ChangelogRecord, StateStore
from kstreams.state.buffered import BufferedBytesStore
from kstreams.state.value_and_timestamp import (
    TIMESTAMP_SIZE,
    ValueAndTimestamp,
    pack_timestamp,
    unpack_timestamp,
)

if TYPE_CHECKING:
    from kstreams.state.context import StateStoreContext

log = logging.getLogger(__name__)


def prefix_end(prefix: bytes) -> bytes | None:
    """The smallest byte string greater than every key starting with ``prefix`` (None: none)."""
    stem = prefix.rstrip(b"\xff")
    if not stem:
        return None
    return stem[:-1] + bytes((stem[-1] + 1,))


def _null_key(store: str) -> ValueError:
    return ValueError(f"key cannot be null (store {store})")


def _unbound(topic: str, data: Any, headers: Any = None) -> Any:
    raise StreamsError("The store is not initialized: call init() first")


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
    """

    def __init__(
        self,
        bytes_store: BufferedBytesStore,
        key_serde: Serde[Any] | None,
        value_serde: Serde[Any] | None,
    ) -> None:
        self._store = bytes_store
        self._get = bytes_store.get
        self._put = bytes_store.put
        self._delete = bytes_store.delete
        self.key_serde = key_serde
        self.value_serde = value_serde
        self._topic = bytes_store.name
        self._kser: Any = _unbound
        self._kde: Any = _unbound
        self._vser: Any = _unbound
        self._vde: Any = _unbound

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"

    # -- StateStore (delegated) -------------------------------------------------------------
    @property
    def name(self) -> str:
        return self._store.name

    @property
    def persistent(self) -> bool:
        return self._store.persistent

    @property
    def logged(self) -> bool:
        return self._store.logged

    @property
    def changelog_topic(self) -> str | None:
        return self._store.changelog_topic

    @property
    def bytes_store(self) -> BufferedBytesStore:
        """The bytes-level store under the serdes."""
        return self._store

    def init(self, context: StateStoreContext) -> None:
        key_serde = self.key_serde if self.key_serde is not None else context.default_key_serde
        value_serde = (
            self.value_serde if self.value_serde is not None else context.default_value_serde
        )
        if key_serde is None or value_serde is None:
            which = "key" if key_serde is None else "value"
            raise StreamsError(
                f"Store {self.name} has no {which} serde: give one to the store builder "
                f"or set default.{which}.serde"
            )
        self._store.init(context)
        self._topic = self._store.changelog_topic or self._store.name
        self._kser = key_serde.serialize
        self._kde = key_serde.deserialize
        self._vser = value_serde.serialize
        self._vde = value_serde.deserialize

    def is_open(self) -> bool:
        return self._store.is_open()

    def close(self) -> None:
        self._store.close()

    def flush_changelog(self) -> bool:
        return self._store.flush_changelog()

    def commit(self, changelog_offset: int | None) -> None:
        self._store.commit(changelog_offset)

    def abort(self) -> None:
        self._store.abort()

    def restore_offset(self) -> int | None:
        return self._store.restore_offset()

    def restore_batch(self, records: list[ChangelogRecord], last_offset: int) -> None:
        self._store.restore_batch(records, last_offset)

    def wipe(self) -> None:
        self._store.wipe()

    # -- value encoding (overridden by the timestamped store) -------------------------------
    def _encode(self, value: Any) -> bytes | None:
        return self._vser(self._topic, value)

    def _decode(self, raw: bytes) -> Any:
        return self._vde(self._topic, raw)

    # -- reads ------------------------------------------------------------------------------
    def get(self, key: Any) -> Any:
        """The value of ``key``, or None."""
        topic = self._topic
        kb = self._kser(topic, key)
        if kb is None:
            raise _null_key(self.name)
        raw = self._get(kb)
        return None if raw is None else self._vde(topic, raw)

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

    def approximate_num_entries(self) -> int:
        """An estimate of the number of entries."""
        return self._store.approximate_num_entries()

    def _range(
        self, from_key: Any, to_key: Any, reverse: bool, concurrent: bool
    ) -> Iterator[tuple[Any, Any]]:
        topic = self._topic
        lo = None if from_key is None else self._kser(topic, from_key)
        hi = None
        if to_key is not None:
            to_bytes = self._kser(topic, to_key)
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
        lo = prefix_key_serde.serialize(self._topic, prefix)
        if lo is None:
            raise ValueError(f"prefix cannot be null (store {self.name})")
        return self._scan(lo, prefix_end(lo), False, concurrent)

    def _scan(
        self, lo: bytes | None, hi: bytes | None, reverse: bool, concurrent: bool
    ) -> Iterator[tuple[Any, Any]]:
        # typed entries with lo <= key bytes < hi (None: unbounded); the record cache overrides
        return self._typed(self._store.range(lo, hi, reverse, concurrent))

    def _get_concurrent(self, key: Any) -> Any:
        # a read from another thread (interactive queries); the record cache overrides
        return self.get(key)

    def _typed(self, it: Iterator[tuple[bytes, bytes]]) -> Iterator[tuple[Any, Any]]:
        topic = self._topic
        kde = self._kde
        vde = self._vde
        for kb, vb in it:
            yield kde(topic, kb), vde(topic, vb)

    # -- writes -----------------------------------------------------------------------------
    def put(self, key: Any, value: Any) -> None:
        """Set ``key`` to ``value``; None deletes the key."""
        topic = self._topic
        kb = self._kser(topic, key)
        if kb is None:
            raise _null_key(self.name)
        if value is None:
            self._delete(kb)
        else:
            self._put(kb, self._vser(topic, value))

    def put_if_absent(self, key: Any, value: Any) -> Any:
        """Set ``key`` to ``value`` unless it has a value; return that value (None if absent)."""
        kb = self._kser(self._topic, key)
        if kb is None:
            raise _null_key(self.name)
        raw = self._get(kb)
        if raw is None:
            if value is not None:
                self._put(kb, self._encode(value))
            return None
        return self._decode(raw)

    def put_all(self, entries: Iterable[tuple[Any, Any]]) -> None:
        """``put`` every ``(key, value)`` of ``entries``."""
        put = self.put
        for key, value in entries:
            put(key, value)

    def delete(self, key: Any) -> Any:
        """Delete ``key``; return its old value (None if absent)."""
        kb = self._kser(self._topic, key)
        if kb is None:
            raise _null_key(self.name)
        raw = self._get(kb)
        self._delete(kb)
        return None if raw is None else self._decode(raw)


class TimestampedKeyValueStore(KeyValueStore):
    """A key-value store whose values are :class:`ValueAndTimestamp` (Java: ``TimestampedKeyValueStore``).

    Stored bytes are Java's: 8-byte big-endian timestamp + serialized value. The
    changelog gets the serialized value with the timestamp as record timestamp.

    Example::

        store.put("alice", ValueAndTimestamp.make(3, context.timestamp))
        store.get("alice").value   # 3
    """

    def _encode(self, value: Any) -> bytes | None:
        raw = self._vser(self._topic, value[0])
        return None if raw is None else pack_timestamp(value[1]) + raw

    def _decode(self, raw: bytes) -> ValueAndTimestamp:
        return ValueAndTimestamp(
            self._vde(self._topic, raw[TIMESTAMP_SIZE:]), unpack_timestamp(raw)[0]
        )

    def get(self, key: Any) -> ValueAndTimestamp | None:
        """The value and timestamp of ``key``, or None."""
        topic = self._topic
        kb = self._kser(topic, key)
        if kb is None:
            raise _null_key(self.name)
        raw = self._get(kb)
        if raw is None:
            return None
        return ValueAndTimestamp(self._vde(topic, raw[TIMESTAMP_SIZE:]), unpack_timestamp(raw)[0])

    def put(self, key: Any, value: ValueAndTimestamp | None) -> None:
        """Set ``key`` to ``value`` (a ``ValueAndTimestamp``); None deletes the key."""
        topic = self._topic
        kb = self._kser(topic, key)
        if kb is None:
            raise _null_key(self.name)
        if value is None:
            self._delete(kb)
            return
        raw = self._vser(topic, value[0])
        if raw is None:
            self._delete(kb)
        else:
            self._put(kb, pack_timestamp(value[1]) + raw)

    def _typed(self, it: Iterator[tuple[bytes, bytes]]) -> Iterator[tuple[Any, Any]]:
        topic = self._topic
        kde = self._kde
        vde = self._vde
        for kb, vb in it:
            yield (
                kde(topic, kb),
                ValueAndTimestamp(vde(topic, vb[TIMESTAMP_SIZE:]), unpack_timestamp(vb)[0]),
            )


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
