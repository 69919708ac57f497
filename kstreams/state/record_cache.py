"""The record caches' common part: what a cached entry costs, how mutable values are kept,
and the commit protocol every record cache follows (:class:`RecordCache`).

The key-value cache (:mod:`kstreams.state.caching`) and the window and session caches
(:mod:`kstreams.state.window_cache`, :mod:`kstreams.state.window_caching`) are record caches:
objects above the metered store, flushed (written down and forwarded) before every commit,
dropped on abort. See :mod:`kstreams.state.caching` for what they keep and why.
"""

from __future__ import annotations

import sys
from abc import abstractmethod
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from kstreams.state.thread_cache import ThreadCache
from kstreams.state.value_and_timestamp import ValueAndTimestamp
from kstreams.state.wrapped import WrappedStateStore

ENTRY_OVERHEAD = 300
"""Approximate bytes a cache entry costs beyond its key and value (measured with tracemalloc:
the ordered dict node, the size slot and, while dirty, the record context)."""

FlushListener = Callable[[Any, Any, Any, int, Any], None]
"""``listener(key, new_value, old_value, timestamp, headers)``: a flushed dirty key. A
timestamped store's values are ``(value, timestamp)`` pairs: a ``ValueAndTimestamp``, or a
plain tuple for what a merge wrote (read them by index)."""

_NUMBER_VT_SIZE = 120
"""``estimate_size`` of a ``ValueAndTimestamp`` of a number: 88 + the number's 32."""


class Frozen:
    """A cached value kept serialized (a mutable one): every read deserializes a fresh copy."""

    __slots__ = ("raw",)

    def __init__(self, raw: bytes) -> None:
        self.raw = raw

    def __repr__(self) -> str:
        return f"Frozen({self.raw!r})"


def estimate_size(obj: Any) -> int:
    """Approximate memory of ``obj`` in bytes (shallow for containers)."""
    t = type(obj)
    if t is ValueAndTimestamp:  # first: what timestamped stores cache
        inner = obj[0]
        ti = type(inner)
        if ti is int or ti is float or inner is None:
            return _NUMBER_VT_SIZE  # without the second call (the common aggregate)
        return 88 + estimate_size(inner)
    if t is Frozen:
        return 89 + len(obj.raw)
    if t is str:
        return 49 + len(obj)  # type: ignore[arg-type]
    if t is bytes:
        return 33 + len(obj)  # type: ignore[arg-type]
    if t is int or t is float or obj is None:
        return 32
    return sys.getsizeof(obj)


def pair_size(entry: tuple[Any, int]) -> int:
    """``estimate_size`` of ``ValueAndTimestamp(*entry)``: what a timestamped cache counts for
    an entry it keeps as a plain ``(value, timestamp)`` pair (see ``CachingStore.merger``)."""
    inner = entry[0]
    ti = type(inner)
    if ti is int or ti is float or inner is None:
        return _NUMBER_VT_SIZE
    return 88 + estimate_size(inner)


class _RecordContextless:
    """Stands in for the task's record context when a store is used outside a task."""

    timestamp = -1
    headers = None
    topic = None
    partition = -1
    offset = -1


class RecordCache(WrappedStateStore):
    """A record cache in front of a store: what the task flushes before every commit.

    :class:`CachingStore` (key-value stores) and the window and session caches of
    :mod:`kstreams.state.window_caching` are record caches.
    """

    @abstractmethod
    def flush_cache(self) -> bool:
        """Write every dirty entry down, forwarding each to the flush listener; True if any was dirty."""

    @abstractmethod
    def set_flush_listener(self, listener: FlushListener, send_old_values: bool = True) -> bool:
        """Forward flushed entries to ``listener``; True (the cache forwards, the caller must not).

        Without ``send_old_values`` the listener gets None as every old value, and a flush
        reads the store below only for a delete (Java's caching stores: a delete of what
        neither the cache nor the store holds is neither written nor forwarded).
        """

    # the cache's entries (``_values``), their sizes counted against the thread's budget
    # (``_sizes``, ``_thread_cache``) and the dirty ones (``_dirty``), set by the subclass
    _thread_cache: ThreadCache
    _values: Any
    _sizes: dict[Any, int]
    _dirty: dict[Any, Any]

    def _clear_cache(self) -> None:
        self._thread_cache.size -= sum(self._sizes.values())
        self._values = OrderedDict()
        self._sizes = {}
        self._dirty = {}

    # -- commit protocol (the cache flushes first, or is dropped) ---------------------------
    def flush_changelog(self) -> bool:
        self.flush_cache()
        return self._wrapped.flush_changelog()  # type: ignore[no-any-return]

    def abort(self) -> None:
        self._clear_cache()
        self._wrapped.abort()

    def close(self) -> None:
        self._clear_cache()
        self._wrapped.close()

    def wipe(self) -> None:
        self._clear_cache()
        self._wrapped.wipe()

    def restore_batch(self, records: Any, last_offset: int) -> None:
        self._clear_cache()
        self._wrapped.restore_batch(records, last_offset)

    def restore_writer(self) -> Any:
        """The store below's bulk restoration writer (the cache emptied first, as by
        :meth:`restore_batch`), or None."""
        self._clear_cache()
        below = getattr(self._wrapped, "restore_writer", None)
        return below() if below is not None else None
