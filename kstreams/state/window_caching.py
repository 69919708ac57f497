"""The record cache of window and session stores (Java: ``CachingWindowStore``, ``CachingSessionStore``).

The same cache as the key-value one (:mod:`kstreams.state.caching`): objects above the
metered store, in the thread's ``statestore.cache.max.bytes`` budget, least recently
used entries evicted (a dirty one flushes every dirty entry of its store first), and a
flush at every commit that writes the dirty windows down and forwards each, with the
value last forwarded as the old value, to the flush listener the aggregation registered.
So consecutive updates of a window between two flushes reach downstream as one, as in
Kafka Streams. Mutable values are kept serialized (:class:`~kstreams.state.caching.Frozen`)
and deserialized afresh for every reader, so what the cache hands back, forwards as an
old value or writes to the changelog is what was written.

Reads and writes stay in the cache until it flushes. A range read (``fetch_range``,
``find_sessions``...) lays the dirty entries in its bounds over the store's own iteration,
in the engine's order, as Java's merged cache iterators do; a range of one key looks only
at that key's dirty entries. Reads never change the cache's bookkeeping beyond the
least-recently-used order, and interactive queries (``_get_concurrent`` and ranges from
other threads) read snapshots.

The listener gets ``(Windowed(key, window), new, old, timestamp, headers)``: the window
of a window store is ``TimeWindow(start, start + window size)``, a session store's the
session; values of a timestamped window store are ``ValueAndTimestamp`` s.
"""

from __future__ import annotations

import logging
from abc import abstractmethod
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from kstreams.state.caching import (
    ENTRY_OVERHEAD,
    FlushListener,
    Frozen,
    RecordCache,
    ThreadCache,
    estimate_size,
)
from kstreams.state.immutable import IMMUTABLE_SCALARS, is_immutable
from kstreams.state.typed import null_key
from kstreams.state.window_metered import (
    MeteredSessionStore,
    MeteredTimestampedWindowStore,
    MeteredWindowStore,
)
from kstreams.state.window_schema import MAX_TIMESTAMP, session_key, window_key
from kstreams.state.window_typed import SessionStore, TimestampedWindowStore, WindowStore
from kstreams.windows.window import SessionWindow, Windowed

if TYPE_CHECKING:
    from kstreams.state.context import StateStoreContext

log = logging.getLogger(__name__)

_MISSING: Any = object()
_UNKNOWN: Any = object()
"""The value before the first cached write of an entry never read: looked up when needed."""

_OLD, _TS, _HEADERS, _TOPIC, _PARTITION, _OFFSET = range(6)
"""Fields of a dirty entry."""


class _RecordContextless:
    timestamp = -1
    headers = None
    topic = None
    partition = -1
    offset = -1


class _SegmentedCache(RecordCache):
    """The cache machinery; subclasses say how a cache key is read, written and forwarded."""

    _timestamped = False

    def __init__(self, store: Any, thread_cache: ThreadCache) -> None:
        super().__init__(store)
        self._thread_cache = thread_cache
        self._values: OrderedDict[Any, Any] = OrderedDict()
        """Cached entries, least recently used first; None: deleted (dirty)."""
        self._sizes: dict[Any, int] = {}
        self._dirty: dict[Any, list[Any]] = {}
        self._dirty_by_key: dict[Any, set[Any]] = {}
        """The dirty cache keys of each record key (single-key range reads overlay them)."""
        self._key_bytes: dict[Any, bytes] = {}
        """Serialized record keys of dirty entries, once a multi-key range read needed them."""
        self._listener: FlushListener | None = None
        self._record: Any = _RecordContextless()
        self._flushing = False

    # -- the kind's part --------------------------------------------------------------------
    @abstractmethod
    def _load(self, ck: Any) -> bytes | None:
        """The stored bytes of cache key ``ck`` in the store below, or None."""

    @abstractmethod
    def _write(self, ck: Any, entry: Any) -> None:
        """Write a cache entry (an object, a ``Frozen`` or None) to the store below."""

    @abstractmethod
    def _windowed(self, ck: Any) -> Windowed[Any]:
        """The ``Windowed`` key the flush listener gets for ``ck``."""

    @abstractmethod
    def _record_key(self, ck: Any) -> Any:
        """The record key of cache key ``ck``."""

    @abstractmethod
    def _store_key(self, ck: Any, kb: bytes) -> bytes:
        """The store key of ``ck`` whose record key serializes to ``kb``."""

    @abstractmethod
    def _matches(self, ck: Any, time_from: int, time_to: int) -> bool:
        """Whether ``ck`` is in the time bounds of a range read (the store's rule)."""

    # -- wiring -----------------------------------------------------------------------------
    def init(self, context: StateStoreContext) -> None:
        self._wrapped.init(context)
        record = getattr(context, "record_context", None)
        if record is not None:
            self._record = record

    def set_flush_listener(self, listener: FlushListener) -> bool:
        """Forward flushed windows to ``listener``; True (the cache forwards, the caller must not)."""
        self._listener = listener
        return True

    @property
    def key_serde(self) -> Any:
        """The metered store's key serde."""
        return self._wrapped.key_serde

    @property
    def value_serde(self) -> Any:
        """The metered store's value serde."""
        return self._wrapped.value_serde

    @property
    def retention_period(self) -> int:
        return self._wrapped.retention_period  # type: ignore[no-any-return]

    @property
    def observed_stream_time(self) -> int:
        """The stream time of the store below (cached writes move it when flushed, as in Java)."""
        return self._wrapped.observed_stream_time  # type: ignore[no-any-return]

    @property
    def cached_entries(self) -> int:
        """How many windows the cache holds now."""
        return len(self._values)

    @property
    def dirty_entries(self) -> int:
        """How many windows changed since the last flush."""
        return len(self._dirty)

    def approximate_num_entries(self) -> int:
        """The store's estimate (dirty windows not flushed yet are not counted)."""
        return self._wrapped.approximate_num_entries()  # type: ignore[no-any-return]

    def _thaw(self, entry: Any) -> Any:
        if type(entry) is Frozen:
            return self._wrapped.decode_value(entry.raw)
        return entry

    def _keep(self, value: Any) -> Any:
        # what the cache keeps of a written value: the object if it cannot change, else its bytes
        if value is None:
            return None
        inner = value[0] if self._timestamped else value
        if type(inner) in IMMUTABLE_SCALARS or is_immutable(inner):
            return value
        raw = self._wrapped.encode_value(value)
        return None if raw is None else Frozen(raw)

    # -- reads and writes of one entry ------------------------------------------------------
    def _get(self, ck: Any) -> Any:
        values = self._values
        entry = values.get(ck, _MISSING)
        if entry is _MISSING:
            raw = self._load(ck)
            if raw is None:
                return None
            value = self._wrapped.decode_value(raw)
            inner = value[0] if self._timestamped else value
            immutable = type(inner) in IMMUTABLE_SCALARS or is_immutable(inner)
            self._insert(ck, value if immutable else Frozen(raw))
            return value
        values.move_to_end(ck)
        return self._thaw(entry)

    def _insert(self, ck: Any, entry: Any) -> None:
        size = ENTRY_OVERHEAD + estimate_size(ck) + estimate_size(entry)
        self._values[ck] = entry
        self._sizes[ck] = size
        thread = self._thread_cache
        thread.size += size
        if thread.size + thread.buffered > thread.max_bytes:
            self._evict()

    def _put(self, ck: Any, value: Any) -> None:
        values = self._values
        old = values.get(ck, _MISSING)
        entry = self._keep(value)
        record = self._record
        dirty = self._dirty.get(ck)
        if dirty is None:
            self._dirty[ck] = [
                _UNKNOWN if old is _MISSING else old,
                record.timestamp,
                record.headers,
                record.topic,
                record.partition,
                record.offset,
            ]
            key = self._record_key(ck)
            cks = self._dirty_by_key.get(key)
            if cks is None:
                self._dirty_by_key[key] = {ck}
            else:
                cks.add(ck)
        else:
            dirty[_TS] = record.timestamp
            dirty[_HEADERS] = record.headers
            dirty[_TOPIC] = record.topic
            dirty[_PARTITION] = record.partition
            dirty[_OFFSET] = record.offset
        if old is _MISSING:
            self._insert(ck, entry)
        else:
            values[ck] = entry
            values.move_to_end(ck)

    def _put_through(self, ck: Any, value: Any) -> None:
        # a key that cannot be cached (unhashable): written down and forwarded at once
        listener = self._listener
        old_raw = self._load(ck) if listener is not None else None
        self._write(ck, value)
        if listener is not None and (value is not None or old_raw is not None):
            old = None if old_raw is None else self._wrapped.decode_value(old_raw)
            record = self._record
            listener(self._windowed(ck), value, old, record.timestamp, record.headers)

    def _keep_raw(self, raw: bytes) -> Any:
        value = self._wrapped.decode_value(raw)
        inner = value[0] if self._timestamped else value
        return value if type(inner) in IMMUTABLE_SCALARS or is_immutable(inner) else Frozen(raw)

    # -- range reads: the dirty entries laid over the store's own ---------------------------
    def _pending(self, cks: Any, time_from: int, time_to: int) -> list[tuple[Any, Any]]:
        # (cache key, entry) of dirty entries in the time bounds; a snapshot, so interactive
        # queries may read from other threads (entries flushed meanwhile are skipped)
        values = self._values
        out = []
        for ck in list(cks):
            entry = values.get(ck, _MISSING)
            if entry is not _MISSING and self._matches(ck, time_from, time_to):
                out.append((ck, entry))
        return out

    def _key_bytes_of(self, ck: Any) -> bytes:
        key = self._record_key(ck)
        kb = self._key_bytes.get(key)
        if kb is None:
            kb = self._wrapped.serialize_key(key)
            self._key_bytes[key] = kb
        return kb

    def _overlay_one(
        self,
        key: Any,
        below: Iterator[tuple[Any, Any]],
        time_from: int,
        time_to: int,
        reverse: bool,
        ck_of: Callable[[Any], Any],
        order: Callable[[Any], Any],
        make: Callable[[Any, Any], Any],
    ) -> Iterator[tuple[Any, Any]]:
        """``below`` (one key's entries, in ``order``) with that key's dirty entries over it."""
        cks = self._dirty_by_key.get(key)
        if not cks:
            return below
        pending = self._pending(cks, time_from, time_to)
        if not pending:
            return below
        pending.sort(key=lambda p: order(p[0]), reverse=reverse)
        return _merge(pending, below, ck_of, order, make, self._thaw, reverse)

    def _overlay_all(
        self,
        key_from: Any,
        key_to: Any,
        below: Iterator[tuple[Any, Any]],
        time_from: int,
        time_to: int,
        reverse: bool,
        ck_of: Callable[[Any], Any],
        make: Callable[[Any, Any], Any],
    ) -> Iterator[tuple[Any, Any]]:
        """``below`` (a key range, in the engine's order) with the dirty entries over it."""
        if not self._dirty:
            return below
        wrapped = self._wrapped
        lo = None if key_from is None else wrapped.serialize_key(key_from)
        hi = None if key_to is None else wrapped.serialize_key(key_to)
        pending = [
            (ck, entry)
            for ck, entry in self._pending(self._dirty, time_from, time_to)
            if (lo is None or self._key_bytes_of(ck) >= lo)
            and (hi is None or self._key_bytes_of(ck) <= hi)
        ]
        if not pending:
            return below
        engine_order = wrapped.order_key()
        serialize = wrapped.serialize_key
        key_bytes = self._key_bytes

        def order(ck: Any) -> Any:
            key = self._record_key(ck)
            kb = key_bytes.get(key)
            return engine_order(self._store_key(ck, serialize(key) if kb is None else kb))

        pending.sort(key=lambda p: order(p[0]), reverse=reverse)
        return _merge(pending, below, ck_of, order, make, self._thaw, reverse)

    def _peek(self, ck: Any) -> Any:
        # a point read from another thread: the cache is read, never changed
        entry = self._values.get(ck, _MISSING)
        if entry is _MISSING:
            raw = self._load(ck)
            return None if raw is None else self._wrapped.decode_value(raw)
        return self._thaw(entry)

    # -- eviction and flushing --------------------------------------------------------------
    def _evict(self) -> None:
        if self._flushing:
            return  # a listener wrote back into this store mid-flush: evict after it
        thread = self._thread_cache
        values = self._values
        while thread.size + thread.buffered > thread.max_bytes and values:
            ck = next(iter(values))
            if ck in self._dirty:
                self.flush_cache()
                continue
            del values[ck]
            thread.size -= self._sizes.pop(ck)

    def flush_cache(self) -> bool:
        """Write every dirty window down, forwarding each to the flush listener.

        Returns whether anything was dirty. Called by the task before a commit and by
        eviction.
        """
        dirty = self._dirty
        if not dirty or self._flushing:
            return False
        self._flushing = True
        self._dirty = {}
        self._dirty_by_key = {}
        self._key_bytes = {}
        record = self._record
        listener = self._listener
        values = self._values
        sizes = self._sizes
        thread = self._thread_cache
        thaw = self._thaw
        saved = (record.timestamp, record.headers, record.topic, record.partition, record.offset)
        try:
            for ck, (old, ts, headers, topic, partition, offset) in dirty.items():
                entry = values[ck]
                if old is _UNKNOWN and listener is not None:
                    raw = self._load(ck)
                    old = None if raw is None else self._keep_raw(raw)
                record.timestamp = ts
                record.headers = headers
                record.topic = topic
                record.partition = partition
                record.offset = offset
                self._write(ck, entry)
                size = ENTRY_OVERHEAD + estimate_size(ck) + estimate_size(entry)
                thread.size += size - sizes[ck]
                sizes[ck] = size
                if old is _UNKNOWN:
                    old = None
                if listener is not None and (entry is not None or old is not None):
                    listener(self._windowed(ck), thaw(entry), thaw(old), ts, headers)
        finally:
            (record.timestamp, record.headers, record.topic, record.partition, record.offset) = (
                saved
            )
            self._flushing = False
        return True

    def _clear_cache(self) -> None:
        self._thread_cache.size -= sum(self._sizes.values())
        self._values = OrderedDict()
        self._sizes = {}
        self._dirty = {}
        self._dirty_by_key = {}
        self._key_bytes = {}

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


class CachingWindowStore(_SegmentedCache, WindowStore):
    """A :class:`~kstreams.state.window_typed.WindowStore` with a record cache in front.

    Example::

        store = cached_window_store(builder.build(), ThreadCache(10 * 1024 * 1024))
        store.set_flush_listener(lambda windowed, new, old, ts, headers: ...)
    """

    @property
    def window_size(self) -> int:
        return self._wrapped.window_size  # type: ignore[no-any-return]

    @property
    def retain_duplicates(self) -> bool:
        return False

    def _load(self, ck: Any) -> bytes | None:
        return self._wrapped.fetch_raw(ck[0], ck[1])  # type: ignore[no-any-return]

    def _write(self, ck: Any, entry: Any) -> None:
        if type(entry) is Frozen:
            self._wrapped.put_raw(ck[0], entry.raw, ck[1])
        else:
            self._wrapped.put(ck[0], entry, ck[1])

    def _windowed(self, ck: Any) -> Windowed[Any]:
        return Windowed(ck[0], self._wrapped.window_for(ck[1]))

    def _record_key(self, ck: Any) -> Any:
        return ck[0]

    def _store_key(self, ck: Any, kb: bytes) -> bytes:
        return window_key(kb, ck[1])

    def _matches(self, ck: Any, time_from: int, time_to: int) -> bool:
        return time_from <= ck[1] <= time_to  # type: ignore[no-any-return]

    def put(self, key: Any, value: Any, window_start: int) -> None:
        """Cache ``value`` for ``key``'s window (None: delete); the store gets it when flushed."""
        if key is None:
            raise null_key(self.name)
        ck = (key, window_start)
        try:
            hash(ck)
        except TypeError:
            self._put_through(ck, value)
            return
        self._put(ck, value)

    def fetch(self, key: Any, time: int) -> Any:
        if key is None:
            raise null_key(self.name)
        ck = (key, time)
        try:
            hash(ck)
        except TypeError:  # an unhashable key is never cached
            return self._wrapped.fetch(key, time)
        return self._get(ck)

    def _get_concurrent(self, key: Any, time: int) -> Any:
        """:meth:`fetch` from a thread other than the stream thread (interactive queries)."""
        if key is None:
            raise null_key(self.name)
        ck = (key, time)
        try:
            hash(ck)
        except TypeError:
            return self._wrapped.fetch(key, time)
        return self._peek(ck)

    def _times(self, key: Any, time_from: int, time_to: int, reverse: bool) -> Any:
        wrapped = self._wrapped
        if reverse:
            below = wrapped.backward_fetch_range(key, time_from, time_to)
        else:
            below = wrapped.fetch_range(key, time_from, time_to)
        try:
            hash(key)
        except TypeError:
            return below
        return self._overlay_one(
            key,
            below,
            time_from,
            time_to,
            reverse,
            lambda item: (key, item[0]),
            lambda ck: ck[1],
            lambda ck, value: (ck[1], value),
        )

    def fetch_range(self, key: Any, time_from: int, time_to: int) -> Iterator[tuple[int, Any]]:
        return self._times(key, time_from, time_to, False)  # type: ignore[no-any-return]

    def backward_fetch_range(
        self, key: Any, time_from: int, time_to: int
    ) -> Iterator[tuple[int, Any]]:
        return self._times(key, time_from, time_to, True)  # type: ignore[no-any-return]

    def _windows(
        self, key_from: Any, key_to: Any, time_from: int, time_to: int, reverse: bool
    ) -> Iterator[tuple[Windowed[Any], Any]]:
        wrapped = self._wrapped
        if reverse:
            below = wrapped.backward_fetch_keys(key_from, key_to, time_from, time_to)
        else:
            below = wrapped.fetch_keys(key_from, key_to, time_from, time_to)
        return self._overlay_all(
            key_from,
            key_to,
            below,
            max(time_from, 0),
            time_to,
            reverse,
            lambda item: (item[0].key, item[0].window.start),
            lambda ck, value: (self._windowed(ck), value),
        )

    def fetch_keys(
        self, key_from: Any, key_to: Any, time_from: int, time_to: int
    ) -> Iterator[tuple[Windowed[Any], Any]]:
        return self._windows(key_from, key_to, time_from, time_to, False)

    def backward_fetch_keys(
        self, key_from: Any, key_to: Any, time_from: int, time_to: int
    ) -> Iterator[tuple[Windowed[Any], Any]]:
        return self._windows(key_from, key_to, time_from, time_to, True)

    def fetch_all(self, time_from: int, time_to: int) -> Iterator[tuple[Windowed[Any], Any]]:
        return self._windows(None, None, time_from, time_to, False)

    def backward_fetch_all(
        self, time_from: int, time_to: int
    ) -> Iterator[tuple[Windowed[Any], Any]]:
        return self._windows(None, None, time_from, time_to, True)

    def all(self) -> Iterator[tuple[Windowed[Any], Any]]:
        return self._windows(None, None, 0, MAX_TIMESTAMP, False)

    def backward_all(self) -> Iterator[tuple[Windowed[Any], Any]]:
        return self._windows(None, None, 0, MAX_TIMESTAMP, True)


class CachingTimestampedWindowStore(CachingWindowStore, TimestampedWindowStore):
    """A :class:`~kstreams.state.window_typed.TimestampedWindowStore` with a record cache in front."""

    _timestamped = True


class CachingSessionStore(_SegmentedCache, SessionStore):
    """A :class:`~kstreams.state.window_typed.SessionStore` with a record cache in front."""

    def _load(self, ck: Any) -> bytes | None:
        window = ck.window
        return self._wrapped.fetch_session_raw(ck.key, window.start, window.end)  # type: ignore[no-any-return]

    def _write(self, ck: Any, entry: Any) -> None:
        if type(entry) is Frozen:
            self._wrapped.put_raw(ck, entry.raw)
        else:
            self._wrapped.put(ck, entry)

    def _windowed(self, ck: Any) -> Windowed[Any]:
        return ck  # type: ignore[no-any-return]

    def _record_key(self, ck: Any) -> Any:
        return ck.key

    def _store_key(self, ck: Any, kb: bytes) -> bytes:
        window = ck.window
        return session_key(kb, window.start, window.end)

    def _matches(self, ck: Any, time_from: int, time_to: int) -> bool:
        window = ck.window
        return window.end >= time_from and window.start <= time_to  # type: ignore[no-any-return]

    def put(self, session: Windowed[Any], aggregate: Any) -> None:
        """Cache ``aggregate`` for ``session`` (None: remove); the store gets it when flushed."""
        if session is None or session.key is None:
            raise null_key(self.name)
        try:
            hash(session)
        except TypeError:
            self._put_through(session, aggregate)
            return
        self._put(session, aggregate)

    def remove(self, session: Windowed[Any]) -> None:
        """Remove ``session`` (forwarded as a tombstone when flushed)."""
        self.put(session, None)

    def fetch_session(self, key: Any, session_start: int, session_end: int) -> Any:
        if key is None:
            raise null_key(self.name)
        ck = Windowed(key, SessionWindow(session_start, session_end))
        try:
            hash(ck)
        except TypeError:  # an unhashable key is never cached
            return self._wrapped.fetch_session(key, session_start, session_end)
        return self._get(ck)

    def _get_concurrent(self, key: Any, session_start: int, session_end: int) -> Any:
        """:meth:`fetch_session` from a thread other than the stream thread (interactive queries)."""
        if key is None:
            raise null_key(self.name)
        ck = Windowed(key, SessionWindow(session_start, session_end))
        try:
            hash(ck)
        except TypeError:
            return self._wrapped.fetch_session(key, session_start, session_end)
        return self._peek(ck)

    def _one(
        self, key: Any, earliest_end: int, latest_start: int, reverse: bool
    ) -> Iterator[tuple[Windowed[Any], Any]]:
        wrapped = self._wrapped
        if reverse:
            below = wrapped.backward_find_sessions(key, earliest_end, latest_start)
        else:
            below = wrapped.find_sessions(key, earliest_end, latest_start)
        try:
            hash(key)
        except TypeError:
            return below  # type: ignore[no-any-return]
        return self._overlay_one(
            key,
            below,
            earliest_end,
            latest_start,
            reverse,
            lambda item: item[0],
            lambda ck: (ck.window.end, ck.window.start),
            lambda ck, value: (ck, value),
        )

    def _many(
        self, key_from: Any, key_to: Any, earliest_end: int, latest_start: int, reverse: bool
    ) -> Iterator[tuple[Windowed[Any], Any]]:
        wrapped = self._wrapped
        if reverse:
            below = wrapped.backward_find_sessions_range(
                key_from, key_to, earliest_end, latest_start
            )
        else:
            below = wrapped.find_sessions_range(key_from, key_to, earliest_end, latest_start)
        return self._overlay_all(
            key_from,
            key_to,
            below,
            earliest_end,
            latest_start,
            reverse,
            lambda item: item[0],
            lambda ck, value: (ck, value),
        )

    def find_sessions(
        self, key: Any, earliest_session_end: int, latest_session_start: int
    ) -> Iterator[tuple[Windowed[Any], Any]]:
        return self._one(key, earliest_session_end, latest_session_start, False)

    def backward_find_sessions(
        self, key: Any, earliest_session_end: int, latest_session_start: int
    ) -> Iterator[tuple[Windowed[Any], Any]]:
        return self._one(key, earliest_session_end, latest_session_start, True)

    def find_sessions_range(
        self, key_from: Any, key_to: Any, earliest_session_end: int, latest_session_start: int
    ) -> Iterator[tuple[Windowed[Any], Any]]:
        return self._many(key_from, key_to, earliest_session_end, latest_session_start, False)

    def backward_find_sessions_range(
        self, key_from: Any, key_to: Any, earliest_session_end: int, latest_session_start: int
    ) -> Iterator[tuple[Windowed[Any], Any]]:
        """:meth:`find_sessions_range`, in reverse order."""
        return self._many(key_from, key_to, earliest_session_end, latest_session_start, True)

    def find_sessions_by_end(
        self, earliest_session_end: int, latest_session_end: int
    ) -> Iterator[tuple[Windowed[Any], Any]]:
        """Sessions of every key ending in ``[earliest_session_end, latest_session_end]``."""
        return (
            (w, v)
            for w, v in self._many(None, None, earliest_session_end, MAX_TIMESTAMP, False)
            if w.window.end <= latest_session_end
        )

    def fetch(self, key: Any) -> Iterator[tuple[Windowed[Any], Any]]:
        return self._one(key, 0, MAX_TIMESTAMP, False)

    def backward_fetch(self, key: Any) -> Iterator[tuple[Windowed[Any], Any]]:
        return self._one(key, 0, MAX_TIMESTAMP, True)

    def fetch_range(self, key_from: Any, key_to: Any) -> Iterator[tuple[Windowed[Any], Any]]:
        return self._many(key_from, key_to, 0, MAX_TIMESTAMP, False)

    def backward_fetch_range(
        self, key_from: Any, key_to: Any
    ) -> Iterator[tuple[Windowed[Any], Any]]:
        """:meth:`fetch_range`, in reverse order."""
        return self._many(key_from, key_to, 0, MAX_TIMESTAMP, True)


_CACHING: dict[type, type[_SegmentedCache]] = {
    MeteredWindowStore: CachingWindowStore,
    MeteredTimestampedWindowStore: CachingTimestampedWindowStore,
    MeteredSessionStore: CachingSessionStore,
}


def cached_window_store(store: Any, thread_cache: ThreadCache) -> Any:
    """``store`` with a record cache in front if it is one of kstreams' window or session
    stores; a window store retaining duplicates gets none (as in Kafka Streams: every put is
    its own entry), and other stores are returned as they are."""
    caching = _CACHING.get(type(store))
    if caching is None:
        return store
    if getattr(store, "retain_duplicates", False):
        log.debug("Store %s retains duplicates: no record cache", store.name)
        return store
    return caching(store, thread_cache)


def _merge(
    pending: list[tuple[Any, Any]],
    below: Iterator[tuple[Any, Any]],
    ck_of: Callable[[Any], Any],
    order: Callable[[Any], Any],
    make: Callable[[Any, Any], Any],
    thaw: Callable[[Any], Any],
    reverse: bool,
) -> Iterator[tuple[Any, Any]]:
    """``below`` items with ``pending`` ``(cache key, entry)`` s (same order; None: deleted) over them."""
    it = iter(pending)
    nxt = next(it, None)
    for item in below:
        ck = ck_of(item)
        at = order(ck)
        while nxt is not None and (order(nxt[0]) > at if reverse else order(nxt[0]) < at):
            if nxt[1] is not None:
                yield make(nxt[0], thaw(nxt[1]))
            nxt = next(it, None)
        if nxt is not None and nxt[0] == ck:
            if nxt[1] is not None:
                yield make(nxt[0], thaw(nxt[1]))
            nxt = next(it, None)
        else:
            yield item
    while nxt is not None:
        if nxt[1] is not None:
            yield make(nxt[0], thaw(nxt[1]))
        nxt = next(it, None)
