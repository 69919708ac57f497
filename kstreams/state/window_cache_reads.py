"""Reads of a window or session store's record cache: a point read from another thread, and
range reads that lay the cached windows over the store's own iteration (Java's merged cache
iterators: ``MergedSortedCacheWindowStoreIterator`` and its session and key-range kin).

:class:`CachedWindowReads` is a mixin of :class:`~kstreams.state.window_cache.SegmentedCache`,
which holds the cache (``_values``: record key -> {window: entry}) and writes it; these
methods only read it, so interactive queries from other threads may call them. A cached
window, dirty or flushed, answers over the store's copy, and still answers after the store
below dropped it as expired; a deleted one (entry None) hides the store's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

MISSING: Any = object()
"""Not in the cache."""


class CachedWindowReads:
    """Point and range reads over the cache's ``_values`` and the store below (see the module
    notes); the cache class provides the attributes and the window hooks they use."""

    # provided by the cache class
    _values: Any
    _key_bytes: dict[Any, bytes]
    _wrapped: Any
    _load: Callable[[Any, Any], bytes | None]
    _thaw: Callable[[Any], Any]
    _matches: Callable[[Any, int, int], bool]
    _time_order: Callable[[Any], Any]
    _store_key: Callable[[bytes, Any], bytes]

    def _peek(self, key: Any, window: Any) -> Any:
        # a point read from another thread: the cache is read, never changed
        windows = self._values.get(key)
        entry = MISSING if windows is None else windows.get(window, MISSING)
        if entry is MISSING:
            raw = self._load(key, window)
            return None if raw is None else self._wrapped.decode_value(raw)
        return self._thaw(entry)

    def _pending_of(self, key: Any, time_from: int, time_to: int) -> list[tuple[Any, Any, Any]]:
        # (key, window, entry) of key's cached windows in the bounds, dirty or flushed: a
        # snapshot (interactive queries read from other threads). Cached windows answer even
        # once the store has dropped them, as Java's merged cache iterators do.
        windows = self._values.get(key)
        if not windows:
            return []
        matches = self._matches
        return [
            (key, window, entry)
            for window, entry in list(windows.items())
            if matches(window, time_from, time_to)
        ]

    def _overlay_one(
        self,
        key: Any,
        below: Iterator[tuple[Any, Any]],
        time_from: int,
        time_to: int,
        reverse: bool,
        window_of: Callable[[Any], Any],
        make: Callable[[Any, Any, Any], Any],
    ) -> Iterator[tuple[Any, Any]]:
        """``below`` (one key's entries, in time order) with that key's cached windows over it."""
        try:
            pending = self._pending_of(key, time_from, time_to)
        except TypeError:  # an unhashable key: never cached
            return below
        if not pending:
            return below
        order = self._time_order
        pending.sort(key=lambda p: order(p[1]), reverse=reverse)
        return _merge(
            pending,
            below,
            lambda item: (key, window_of(item)),
            lambda kw: order(kw[1]),
            make,
            self._thaw,
            reverse,
        )

    def _overlay_all(
        self,
        key_from: Any,
        key_to: Any,
        below: Iterator[tuple[Any, Any]],
        time_from: int,
        time_to: int,
        reverse: bool,
        window_of: Callable[[Any], Any],
        make: Callable[[Any, Any, Any], Any],
    ) -> Iterator[tuple[Any, Any]]:
        """``below`` (a key range, in the engine's order) with the cached windows over it."""
        if not self._values:
            return below
        wrapped = self._wrapped
        lo = None if key_from is None else wrapped.serialize_key(key_from)
        hi = None if key_to is None else wrapped.serialize_key(key_to)
        key_bytes = self._key_bytes
        serialize = wrapped.serialize_key

        def kb_of(key: Any) -> bytes:
            kb = key_bytes.get(key)
            if kb is None:
                kb = key_bytes[key] = serialize(key)
            return kb

        pending = []
        for key in list(self._values):
            kb = kb_of(key)
            if (lo is None or kb >= lo) and (hi is None or kb <= hi):
                pending.extend(self._pending_of(key, time_from, time_to))
        if not pending:
            return below
        engine_order = wrapped.order_key()
        store_key = self._store_key

        def order(kw: tuple[Any, Any]) -> Any:
            return engine_order(store_key(kb_of(kw[0]), kw[1]))

        pending.sort(key=lambda p: order((p[0], p[1])), reverse=reverse)
        return _merge(
            pending,
            below,
            lambda item: (item[0].key, window_of(item)),
            order,
            make,
            self._thaw,
            reverse,
        )


def _merge(
    pending: list[tuple[Any, Any, Any]],
    below: Iterator[tuple[Any, Any]],
    id_of: Callable[[Any], tuple[Any, Any]],
    order: Callable[[tuple[Any, Any]], Any],
    make: Callable[[Any, Any, Any], Any],
    thaw: Callable[[Any], Any],
    reverse: bool,
) -> Iterator[tuple[Any, Any]]:
    """``below`` items with ``pending`` ``(key, window, entry)`` s (same order; None:
    deleted) laid over them; ``id_of(item)`` is a below item's ``(key, window)``."""
    it = iter(pending)
    nxt = next(it, None)
    for item in below:
        kw = id_of(item)
        at = order(kw)
        while nxt is not None and (
            order((nxt[0], nxt[1])) > at if reverse else order((nxt[0], nxt[1])) < at
        ):
            if nxt[2] is not None:
                yield make(nxt[0], nxt[1], thaw(nxt[2]))
            nxt = next(it, None)
        if nxt is not None and (nxt[0], nxt[1]) == kw:
            if nxt[2] is not None:
                yield make(nxt[0], nxt[1], thaw(nxt[2]))
            nxt = next(it, None)
        else:
            yield item
    while nxt is not None:
        if nxt[2] is not None:
            yield make(nxt[0], nxt[1], thaw(nxt[2]))
        nxt = next(it, None)
