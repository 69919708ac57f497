"""The metered versioned store: typed keys and values over the versioned bytes stack.

Java: ``MeteredVersionedKeyValueStore``. Serializes keys and values with the store's
serdes (the serdes see the changelog topic, or the store name when logging is
disabled) and turns the bytes store's ``(value, timestamp, valid_to)`` answers into
:class:`~kstreams.state.versioned.VersionedRecord` s. No record cache ever goes above
it: versioned stores do not cache (as in Kafka Streams).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kstreams.errors import StreamsError
from kstreams.state.typed import null_key
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

    def _record(self, found: Any) -> VersionedRecord[Any] | None:
        if found is None:
            return None
        if len(found) == 2:
            return VersionedRecord(self._vde(self._topic, found[0]), found[1])
        value, valid_from, valid_to = found
        return VersionedRecord(self._vde(self._topic, value), valid_from, valid_to)

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
        """The latest version of ``key``, or the version valid at ``as_of_timestamp``."""
        kb = self._key(key)
        if as_of_timestamp is None:
            return self._record(self._wrapped.get(kb))
        _check_timestamp(as_of_timestamp)
        return self._record(self._wrapped.get_as_of(kb, as_of_timestamp))

    def read_only(self) -> ReadOnlyVersionedKeyValueStore[Any]:
        """A view that reads but refuses writes (interactive queries; Java: ``readOnly()``)."""
        return ReadOnlyVersionedKeyValueStore(self)


def _check_timestamp(timestamp: Any) -> None:
    if type(timestamp) is not int and (
        isinstance(timestamp, bool) or not isinstance(timestamp, int)
    ):
        raise TypeError(f"timestamp must be an int (ms), got {timestamp!r}")
