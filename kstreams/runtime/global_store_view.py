"""How stream tasks see a global store: read-only, and safe to read from a stream thread while
the global thread writes it (Java: ``AbstractReadOnlyDecorator``, "Global store is read only").

Key-value reads go through the store's concurrent read paths (``_get_concurrent``, ``_range``
with ``concurrent=True``): they never change the store's record cache, which belongs to the
global thread. Writes raise. Other stores (window, session) are delegated to as they are,
writes refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kstreams.errors import StreamsError
from kstreams.serde import Serde
from kstreams.state import KeyValueStore

_WRITES = frozenset(
    {"put", "put_if_absent", "put_all", "delete", "remove", "init", "close", "flush", "commit"}
)

READ_ONLY = "Global store is read only"
"""Kafka Streams' error for a write to a global store from a stream processor."""


class ReadOnlyGlobalStoreView:
    """A global store as a stream processor sees it (reads only)."""

    def __init__(self, store: Any) -> None:
        self._store = store
        self.name = store.name
        self._kv = isinstance(store, KeyValueStore)

    def __getattr__(self, attr: str) -> Any:
        if attr in _WRITES:
            raise StreamsError(f"{READ_ONLY} (store {self.name}: {attr})")
        return getattr(self._store, attr)

    def get(self, key: Any, *args: Any) -> Any:
        """The value of ``key`` (read without touching the global thread's cache)."""
        if self._kv and not args:
            return self._store._get_concurrent(key)
        return self._store.get(key, *args)

    def range(self, from_key: Any = None, to_key: Any = None) -> Iterator[tuple[Any, Any]]:
        """Entries from ``from_key`` to ``to_key`` (inclusive)."""
        if self._kv:
            return self._store._range(from_key, to_key, False, True)  # type: ignore[no-any-return]
        return self._store.range(from_key, to_key)  # type: ignore[no-any-return]

    def reverse_range(self, from_key: Any = None, to_key: Any = None) -> Iterator[tuple[Any, Any]]:
        """:meth:`range` backwards."""
        if self._kv:
            return self._store._range(from_key, to_key, True, True)  # type: ignore[no-any-return]
        return self._store.reverse_range(from_key, to_key)  # type: ignore[no-any-return]

    def all(self) -> Iterator[tuple[Any, Any]]:
        """Every entry."""
        return self.range(None, None) if self._kv else self._store.all()

    def reverse_all(self) -> Iterator[tuple[Any, Any]]:
        """Every entry, backwards."""
        return self.reverse_range(None, None) if self._kv else self._store.reverse_all()

    def prefix_scan(self, prefix: Any, prefix_key_serde: Serde[Any]) -> Iterator[tuple[Any, Any]]:
        """Entries whose serialized key starts with the serialized ``prefix``."""
        if self._kv:
            return self._store._prefix_scan(prefix, prefix_key_serde, True)  # type: ignore[no-any-return]
        return self._store.prefix_scan(prefix, prefix_key_serde)  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        return f"ReadOnlyGlobalStoreView({self._store!r})"
