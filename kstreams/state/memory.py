"""The in-memory engine: a dict plus a lazily maintained sorted key list for ranges."""

from __future__ import annotations

import threading
from bisect import bisect_left, insort
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING

from kstreams.state.api import KeyValueBytesEngine
from kstreams.state.errors import InvalidStateStoreError
from kstreams.state.restore_writer import EngineBatch

if TYPE_CHECKING:
    from kstreams.state.context import StateStoreContext

_FEW = 16
"""Up to this many key additions/removals are applied to the sorted key list one by one."""


class InMemoryStore(KeyValueBytesEngine):
    """Bytes in a dict (Java: ``InMemoryKeyValueStore``); the data is gone on close.

    Writes arrive in batches (the commits and restorations of the write buffer
    above), so the sorted key list that ranges need is brought up to date lazily, at
    the next range, from the keys added and removed since. A lock keeps that
    bookkeeping whole when interactive queries iterate from other threads.
    """

    persistent = False

    def __init__(self, name: str) -> None:
        self.name = name
        self._data: dict[bytes, bytes] = {}
        self._meta: dict[bytes, bytes] = {}
        self._open = False
        self._sorted: list[bytes] = []
        self._added: set[bytes] = set()
        self._removed: set[bytes] = set()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"InMemoryStore({self.name!r})"

    # -- lifecycle ------------------------------------------------------------------------
    def init(self, context: StateStoreContext) -> None:
        self._open = True
        self.get = self._data.get  # type: ignore[method-assign]

    def is_open(self) -> bool:
        return self._open

    def close(self) -> None:
        self._open = False
        self.__dict__.pop("get", None)
        self._clear()

    def _clear(self) -> None:
        self._data.clear()
        self._meta.clear()
        self._sorted = []
        self._added = set()
        self._removed = set()

    def _check_open(self) -> None:
        if not self._open:
            raise InvalidStateStoreError(f"Store {self.name} is currently closed")

    # -- data -----------------------------------------------------------------------------
    def get(self, key: bytes) -> bytes | None:
        """The value of ``key`` (replaced by the dict's ``get`` while the store is open)."""
        raise InvalidStateStoreError(f"Store {self.name} is currently closed")

    def write(
        self,
        items: Iterable[tuple[bytes, bytes | None]],
        meta: Mapping[bytes, bytes] | None = None,
    ) -> None:
        self._check_open()
        with self._lock:
            self._write(items)
            if meta:
                self._meta.update(meta)

    def bulk_batch(self) -> EngineBatch:
        """A batch for bulk restoration (:mod:`kstreams.state.restore_writer`): a dict of the
        latest value per key (its own ``__setitem__`` is ``put``), written as :meth:`write`."""
        self._check_open()
        pending: dict[bytes, bytes | None] = {}

        def delete(key: bytes) -> None:
            pending[key] = None

        def apply(meta: Mapping[bytes, bytes]) -> None:
            self.write(pending.items(), meta)

        return EngineBatch(pending.__setitem__, delete, apply)

    def _write(self, items: Iterable[tuple[bytes, bytes | None]]) -> None:
        data = self._data
        added = self._added
        removed = self._removed
        for key, value in items:
            if value is None:
                if key in data:
                    del data[key]
                    if key in added:
                        added.discard(key)
                    else:
                        removed.add(key)
            else:
                if key not in data:
                    if key in removed:
                        removed.discard(key)
                    else:
                        added.add(key)
                data[key] = value

    def _sorted_keys(self) -> list[bytes]:
        added, removed = self._added, self._removed
        if not (added or removed):
            return self._sorted
        keys = self._sorted.copy()
        if removed:
            if len(removed) <= _FEW:
                for key in removed:
                    del keys[bisect_left(keys, key)]
            else:
                keys = [k for k in keys if k not in removed]
        if added:
            if len(added) <= _FEW:
                for key in added:
                    insort(keys, key)
            else:
                keys.extend(added)
                keys.sort()
        self._added = set()
        self._removed = set()
        self._sorted = keys
        return keys

    def range(
        self, lo: bytes | None, hi: bytes | None, reverse: bool = False, concurrent: bool = False
    ) -> Iterator[tuple[bytes, bytes]]:
        self._check_open()
        with self._lock:
            keys = self._sorted_keys()
        start = 0 if lo is None else bisect_left(keys, lo)
        stop = len(keys) if hi is None else bisect_left(keys, hi)
        selected = keys[start:stop]
        if reverse:
            selected.reverse()
        return _values_of(selected, self._data)

    def approximate_num_entries(self) -> int:
        self._check_open()
        return len(self._data)

    def get_meta(self, key: bytes) -> bytes | None:
        self._check_open()
        return self._meta.get(key)

    def wipe(self) -> None:
        with self._lock:
            self._clear()


def _values_of(keys: list[bytes], data: dict[bytes, bytes]) -> Iterator[tuple[bytes, bytes]]:
    # Values are read as the iteration reaches them; keys deleted meanwhile are skipped.
    get = data.get
    for key in keys:
        value = get(key)
        if value is not None:
            yield key, value
