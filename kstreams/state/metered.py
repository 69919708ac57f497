"""The metered store: typed keys and values over the bytes stack, through the store's serdes.

:class:`MeteredKeyValueStore` and :class:`MeteredTimestampedKeyValueStore` (Java: the
stores of the same names, where store metrics will also live) implement the typed
interfaces of :mod:`kstreams.state.typed` over a
:class:`~kstreams.state.api.KeyValueBytesStore` (change-logging over the write buffer).
The serdes see the changelog topic, or the store name when logging is disabled.

Besides the typed API, they offer their bytes-level half to the record cache above
(:mod:`kstreams.state.caching`): :meth:`~MeteredKeyValueStore.serialize_key`,
:meth:`~MeteredKeyValueStore.encode_value`, :meth:`~MeteredKeyValueStore.decode_value`,
:meth:`~MeteredKeyValueStore.decode_entries` and, bound once at ``init`` to the bytes
store's own methods, ``get_bytes``, ``put_bytes`` and ``bytes_range``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from kstreams.errors import StreamsError
from kstreams.state.api import KeyValueBytesStore
from kstreams.state.typed import KeyValueStore, TimestampedKeyValueStore, null_key, store_serdes
from kstreams.state.value_and_timestamp import (
    TIMESTAMP_SIZE,
    ValueAndTimestamp,
    pack_timestamp,
    unpack_timestamp,
)
from kstreams.state.wrapped import WrappedStateStore

if TYPE_CHECKING:
    from kstreams.serde.base import Serde
    from kstreams.state.context import StateStoreContext


def _unbound(topic: str, data: Any, headers: Any = None) -> Any:
    raise StreamsError("The store is not initialized: call init() first")


class MeteredKeyValueStore(WrappedStateStore, KeyValueStore):
    """A :class:`~kstreams.state.typed.KeyValueStore` over a bytes store (Java: ``MeteredKeyValueStore``).

    Args:
        bytes_store: The bytes stack below (change-logging over the write buffer).
        key_serde: The keys' serde; None: ``default.key.serde`` of the context.
        value_serde: The values' serde; None: ``default.value.serde`` of the context.

    Example::

        store = MeteredKeyValueStore(bytes_store, Serdes.String(), Serdes.Long())
        store.init(context)
        store.put("a", 1)
        store.get_bytes(store.serialize_key("a"))     # b"\\x00...\\x01"
    """

    def __init__(
        self,
        bytes_store: KeyValueBytesStore,
        key_serde: Serde[Any] | None,
        value_serde: Serde[Any] | None,
    ) -> None:
        super().__init__(bytes_store)
        self.key_serde = key_serde
        self.value_serde = value_serde
        self._topic = bytes_store.name
        self._kser: Any = _unbound
        self._kde: Any = _unbound
        self._vser: Any = _unbound
        self._vde: Any = _unbound
        self._bind(bytes_store)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"

    def _bind(self, bytes_store: Any) -> None:
        # The bytes store's methods, looked up once: the per-record path calls them directly.
        self._get = bytes_store.get
        self._put = bytes_store.put
        self._delete = bytes_store.delete
        # get_bytes(key bytes): the stored bytes, or None
        self.get_bytes = bytes_store.get
        # put_bytes(key bytes, value bytes): write stored bytes (None: delete)
        self.put_bytes = bytes_store.put
        # bytes_range(lo, hi, reverse, concurrent): stored (key, value) bytes in key order
        self.bytes_range = bytes_store.range

    @property
    def bytes_store(self) -> KeyValueBytesStore:
        """The bytes store under the serdes."""
        return self._wrapped  # type: ignore[no-any-return]

    @property
    def serde_topic(self) -> str:
        return self._topic

    def init(self, context: StateStoreContext) -> None:
        key_serde, value_serde = store_serdes(self.name, self.key_serde, self.value_serde, context)
        bytes_store = self._wrapped
        bytes_store.init(context)
        self._topic = bytes_store.changelog_topic or bytes_store.name
        self._kser = key_serde.serialize
        self._kde = key_serde.deserialize
        self._vser = value_serde.serialize
        self._vde = value_serde.deserialize
        self._bind(bytes_store)  # the bytes store may bind its methods anew when it opens

    # -- the bytes-level half (for the record cache) ----------------------------------------
    def serialize_key(self, key: Any) -> bytes:
        kb = self._kser(self._topic, key)
        if kb is None:
            raise null_key(self.name)
        return kb  # type: ignore[no-any-return]

    def encode_value(self, value: Any) -> bytes | None:
        """The stored bytes of ``value`` (None for a value the serde turns into null)."""
        return self._vser(self._topic, value)  # type: ignore[no-any-return]

    def decode_value(self, raw: bytes) -> Any:
        """The value of stored bytes."""
        return self._vde(self._topic, raw)

    def decode_entries(self, entries: Iterator[tuple[bytes, bytes]]) -> Iterator[tuple[Any, Any]]:
        """Typed ``(key, value)`` pairs of stored ``(key bytes, value bytes)`` pairs."""
        topic = self._topic
        kde = self._kde
        vde = self._vde
        for kb, vb in entries:
            yield kde(topic, kb), vde(topic, vb)

    # -- reads ------------------------------------------------------------------------------
    def get(self, key: Any) -> Any:
        """The value of ``key``, or None."""
        topic = self._topic
        kb = self._kser(topic, key)
        if kb is None:
            raise null_key(self.name)
        raw = self._get(kb)
        return None if raw is None else self._vde(topic, raw)

    def _get_concurrent(self, key: Any) -> Any:
        return self.get(key)  # no state of its own: the bytes stack reads safely

    def _scan(
        self, lo: bytes | None, hi: bytes | None, reverse: bool, concurrent: bool
    ) -> Iterator[tuple[Any, Any]]:
        return self.decode_entries(self.bytes_range(lo, hi, reverse, concurrent))

    def approximate_num_entries(self) -> int:
        """An estimate of the number of entries."""
        return self._wrapped.approximate_num_entries()  # type: ignore[no-any-return]

    # -- writes -----------------------------------------------------------------------------
    def put(self, key: Any, value: Any) -> None:
        """Set ``key`` to ``value``; None deletes the key."""
        topic = self._topic
        kb = self._kser(topic, key)
        if kb is None:
            raise null_key(self.name)
        if value is None:
            self._delete(kb)
        else:
            self._put(kb, self._vser(topic, value))

    def put_if_absent(self, key: Any, value: Any) -> Any:
        """Set ``key`` to ``value`` unless it has a value; return that value (None if absent)."""
        kb = self.serialize_key(key)
        raw = self._get(kb)
        if raw is None:
            if value is not None:
                self._put(kb, self.encode_value(value))
            return None
        return self.decode_value(raw)

    def delete(self, key: Any) -> Any:
        """Delete ``key``; return its old value (None if absent)."""
        kb = self.serialize_key(key)
        raw = self._get(kb)
        self._delete(kb)
        return None if raw is None else self.decode_value(raw)


class MeteredTimestampedKeyValueStore(MeteredKeyValueStore, TimestampedKeyValueStore):
    """A :class:`~kstreams.state.typed.TimestampedKeyValueStore` over a bytes store.

    Stored values are ``8-byte timestamp + serialized value`` (Java's layout); values
    are :class:`~kstreams.state.value_and_timestamp.ValueAndTimestamp` s. Java:
    ``MeteredTimestampedKeyValueStore``.
    """

    def encode_value(self, value: Any) -> bytes | None:
        """``timestamp + serialized value`` of a ``ValueAndTimestamp`` (None: the value is null)."""
        raw = self._vser(self._topic, value[0])
        return None if raw is None else pack_timestamp(value[1]) + raw

    def decode_value(self, raw: bytes) -> ValueAndTimestamp:
        return ValueAndTimestamp(
            self._vde(self._topic, raw[TIMESTAMP_SIZE:]), unpack_timestamp(raw)[0]
        )

    def decode_entries(self, entries: Iterator[tuple[bytes, bytes]]) -> Iterator[tuple[Any, Any]]:
        topic = self._topic
        kde = self._kde
        vde = self._vde
        for kb, vb in entries:
            yield (
                kde(topic, kb),
                ValueAndTimestamp(vde(topic, vb[TIMESTAMP_SIZE:]), unpack_timestamp(vb)[0]),
            )

    def get(self, key: Any) -> ValueAndTimestamp | None:
        """The value and timestamp of ``key``, or None."""
        topic = self._topic
        kb = self._kser(topic, key)
        if kb is None:
            raise null_key(self.name)
        raw = self._get(kb)
        if raw is None:
            return None
        return ValueAndTimestamp(self._vde(topic, raw[TIMESTAMP_SIZE:]), unpack_timestamp(raw)[0])

    def put(self, key: Any, value: ValueAndTimestamp | None) -> None:
        """Set ``key`` to ``value`` (a ``ValueAndTimestamp``); None deletes the key."""
        topic = self._topic
        kb = self._kser(topic, key)
        if kb is None:
            raise null_key(self.name)
        if value is None:
            self._delete(kb)
            return
        raw = self._vser(topic, value[0])
        if raw is None:
            self._delete(kb)
        else:
            self._put(kb, pack_timestamp(value[1]) + raw)
