"""The metered versioned store: typed keys and values over the versioned bytes stack.

Java: ``MeteredVersionedKeyValueStore``. Serializes keys and values with the store's
serdes (the serdes see the changelog topic, or the store name when logging is
disabled) and turns the bytes store's ``(value, timestamp, valid_to)`` answers into
:class:`~kstreams.state.versioned.VersionedRecord` s. As in Kafka Streams, the records of
``get`` and ``delete`` carry no validTo (Java's typed store goes through
``ValueAndTimestamp``); :meth:`MeteredVersionedKeyValueStore.query_as_of` keeps it, as
the interactive query ``VersionedKeyQuery`` does. No record cache ever goes above it:
versioned stores do not cache (as in Kafka Streams).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kstreams.errors import StreamsError
from kstreams.state.typed import null_key, store_serdes
from kstreams.state.versioned import (
    ReadOnlyVersionedKeyValueStore,
    VersionedKeyValueStore,
    VersionedRecord,
)
from kstreams.state.wrapped import WrappedStateStore

if TYPE_CHECKING:
    from kstreams.serde.base import Serde
    from kstreams.state.context import StateStoreContext


class MeteredVersionedKeyValueStore(WrappedStateStore, VersionedKeyValueStore[Any]):
    """A :class:`~kstreams.state.versioned.VersionedKeyValueStore` over the versioned bytes stack.

    Args:
        bytes_store: The bytes stack (change-logging over the RocksDB versioned store).
        key_serde: The keys' serde; None: ``default.key.serde`` of the context.
        value_serde: The values' serde; None: ``default.value.serde`` of the context.

    Example::

        store.put("apple", 3, 1_000)     # -1: the latest version
        store.get("apple", 999)          # None
    """

    def __init__(
        self, bytes_store: Any, key_serde: Serde[Any] | None, value_serde: Serde[Any] | None
    ) -> None:
        super().__init__(bytes_store)
        self.key_serde = key_serde
        self.value_serde = value_serde
        self._topic: str = bytes_store.name
        self._kser: Any = None
        self._vser: Any = None
        self._vde: Any = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"

    @property
    def history_retention(self) -> int:
        return self._wrapped.history_retention  # type: ignore[no-any-return]

    @property
    def bytes_store(self) -> Any:
        """The bytes store under the serdes."""
        return self._wrapped

    def init(self, context: StateStoreContext) -> None:
        key_serde, value_serde = store_serdes(self.name, self.key_serde, self.value_serde, context)
        self._wrapped.init(context)
        self._topic = self._wrapped.changelog_topic or self._wrapped.name
        self._kser = key_serde.serialize
        self._vser = value_serde.serialize
        self._vde = value_serde.deserialize

    def _key(self, key: Any) -> bytes:
        if key is None:
            raise null_key(self.name)
        if self._kser is None:
            raise StreamsError(f"Store {self.name} is not initialized: call init() first")
        kb = self._kser(self._topic, key)
        if kb is None:
            raise null_key(self.name)
        return kb  # type: ignore[no-any-return]

    def _record(self, found: Any, with_valid_to: bool = False) -> VersionedRecord[Any] | None:
        if found is None:
            return None
        value = self._vde(self._topic, found[0])
        if with_valid_to and len(found) == 3:
            return VersionedRecord(value, found[1], found[2])
        return VersionedRecord(value, found[1])

    # -- the typed API ------------------------------------------------------------------------
    def put(self, key: Any, value: Any, timestamp: int) -> int:
        """Add a version of ``key`` valid from ``timestamp`` (None: a tombstone); see the interface."""
        kb = self._key(key)
        _check_timestamp(timestamp)
        vb = None if value is None else self._vser(self._topic, value)
        return self._wrapped.put(kb, vb, timestamp)  # type: ignore[no-any-return]

    def delete(self, key: Any, timestamp: int) -> VersionedRecord[Any] | None:
        """Put a tombstone at ``timestamp``; the version valid then, or None."""
        kb = self._key(key)
        _check_timestamp(timestamp)
        return self._record(self._wrapped.delete(kb, timestamp))

    def get(self, key: Any, as_of_timestamp: int | None = None) -> VersionedRecord[Any] | None:
        """The latest version of ``key``, or the version valid at ``as_of_timestamp`` (no validTo)."""
        kb = self._key(key)
        if as_of_timestamp is None:
            return self._record(self._wrapped.get(kb))
        _check_timestamp(as_of_timestamp)
        return self._record(self._wrapped.get_as_of(kb, as_of_timestamp))

    def query_as_of(
        self, key: Any, as_of_timestamp: int | None = None
    ) -> VersionedRecord[Any] | None:
        """:meth:`get` with the version's validTo when known (Java's IQv2 ``VersionedKeyQuery``).

        Example::

            store.query_as_of("apple", 1_500)   # VersionedRecord(value=3, timestamp=1000, valid_to=2000)
        """
        kb = self._key(key)
        if as_of_timestamp is None:
            return self._record(self._wrapped.get(kb))
        _check_timestamp(as_of_timestamp)
        return self._record(self._wrapped.get_as_of(kb, as_of_timestamp), with_valid_to=True)

    def read_only(self) -> ReadOnlyVersionedKeyValueStore[Any]:
        """A view that reads but refuses writes (interactive queries; Java: ``readOnly()``)."""
        return ReadOnlyVersionedKeyValueStore(self)


def _check_timestamp(timestamp: Any) -> None:
    if type(timestamp) is not int and (
        isinstance(timestamp, bool) or not isinstance(timestamp, int)
    ):
        raise TypeError(f"timestamp must be an int (ms), got {timestamp!r}")
