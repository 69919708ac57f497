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

Point reads and writes (``fetch`` / ``put`` of one window, ``fetch_session``) stay in the
cache. A range read (``fetch_range``, ``find_sessions``...) first writes the dirty
entries not yet written down to the store below (without forwarding: they stay dirty),
then reads the store below, which orders everything the way its engine does. Java merges
its cache into the store's iterators instead; the windows and their order are the same.

The listener gets ``(Windowed(key, window), new, old, timestamp, headers)``: the window
of a window store is ``TimeWindow(start, start + window size)``, a session store's the
session; values of a timestamped window store are ``ValueAndTimestamp`` s.
"""

from __future__ import annotations

import logging
from abc import abstractmethod
from collections import OrderedDict
from collections.abc import Iterator
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
from kstreams.state.window_typed import SessionStore, TimestampedWindowStore, WindowStore
from kstreams.windows.window import SessionWindow, Windowed

if TYPE_CHECKING:
    from kstreams.state.context import StateStoreContext

log = logging.getLogger(__name__)

_MISSING: Any = object()
_UNKNOWN: Any = object()
"""The value before the first cached write of an entry never read: looked up when needed."""

_OLD, _TS, _HEADERS, _TOPIC, _PARTITION, _OFFSET, _WRITTEN = range(7)
"""Fields of a dirty entry; ``_WRITTEN``: the store below already holds the cached value."""


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
        self._unwritten = 0
        """Dirty entries the store below does not hold yet."""
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
        """The stream time of the store below (cached writes move it when written down)."""
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
        """The store's estimate (dirty windows not written down yet are not counted)."""
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
                False,
            ]
            self._unwritten += 1
        else:
            dirty[_TS] = record.timestamp
            dirty[_HEADERS] = record.headers
            dirty[_TOPIC] = record.topic
            dirty[_PARTITION] = record.partition
            dirty[_OFFSET] = record.offset
            if dirty[_WRITTEN]:
                dirty[_WRITTEN] = False
                self._unwritten += 1
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

    def _write_down(self) -> None:
        """Write the dirty entries the store below lacks (they stay dirty: forwarded at flush)."""
        if not self._unwritten:
            return
        listener = self._listener
        values = self._values
        for ck, dirty in self._dirty.items():
            if dirty[_WRITTEN]:
                continue
            if dirty[_OLD] is _UNKNOWN and listener is not None:
                raw = self._load(ck)  # the old value, before the store below loses it
                dirty[_OLD] = None if raw is None else self._keep_raw(raw)
            self._write(ck, values[ck])
            dirty[_WRITTEN] = True
        self._unwritten = 0

    def _keep_raw(self, raw: bytes) -> Any:
        value = self._wrapped.decode_value(raw)
        inner = value[0] if self._timestamped else value
        return value if type(inner) in IMMUTABLE_SCALARS or is_immutable(inner) else Frozen(raw)

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
        self._unwritten = 0
        record = self._record
        listener = self._listener
        values = self._values
        sizes = self._sizes
        thread = self._thread_cache
        thaw = self._thaw
        saved = (record.timestamp, record.headers, record.topic, record.partition, record.offset)
        try:
            for ck, (old, ts, headers, topic, partition, offset, written) in dirty.items():
                entry = values[ck]
                if old is _UNKNOWN and listener is not None and not written:
                    raw = self._load(ck)
                    old = None if raw is None else self._keep_raw(raw)
                record.timestamp = ts
                record.headers = headers
                record.topic = topic
                record.partition = partition
                record.offset = offset
                if not written:
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
        self._unwritten = 0

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

    def fetch_range(self, key: Any, time_from: int, time_to: int) -> Iterator[tuple[int, Any]]:
        self._write_down()
        return self._wrapped.fetch_range(key, time_from, time_to)  # type: ignore[no-any-return]

    def backward_fetch_range(
        self, key: Any, time_from: int, time_to: int
    ) -> Iterator[tuple[int, Any]]:
        self._write_down()
        return self._wrapped.backward_fetch_range(key, time_from, time_to)  # type: ignore[no-any-return]

    def fetch_keys(
        self, key_from: Any, key_to: Any, time_from: int, time_to: int
    ) -> Iterator[tuple[Windowed[Any], Any]]:
        self._write_down()
        return self._wrapped.fetch_keys(key_from, key_to, time_from, time_to)  # type: ignore[no-any-return]

    def backward_fetch_keys(
        self, key_from: Any, key_to: Any, time_from: int, time_to: int
    ) -> Iterator[tuple[Windowed[Any], Any]]:
        self._write_down()
        return self._wrapped.backward_fetch_keys(key_from, key_to, time_from, time_to)  # type: ignore[no-any-return]

    def fetch_all(self, time_from: int, time_to: int) -> Iterator[tuple[Windowed[Any], Any]]:
        self._write_down()
        return self._wrapped.fetch_all(time_from, time_to)  # type: ignore[no-any-return]

    def backward_fetch_all(
        self, time_from: int, time_to: int
    ) -> Iterator[tuple[Windowed[Any], Any]]:
        self._write_down()
        return self._wrapped.backward_fetch_all(time_from, time_to)  # type: ignore[no-any-return]

    def all(self) -> Iterator[tuple[Windowed[Any], Any]]:
        self._write_down()
        return self._wrapped.all()  # type: ignore[no-any-return]

    def backward_all(self) -> Iterator[tuple[Windowed[Any], Any]]:
        self._write_down()
        return self._wrapped.backward_all()  # type: ignore[no-any-return]


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

    def find_sessions(
        self, key: Any, earliest_session_end: int, latest_session_start: int
    ) -> Iterator[tuple[Windowed[Any], Any]]:
        self._write_down()
        return self._wrapped.find_sessions(key, earliest_session_end, latest_session_start)  # type: ignore[no-any-return]

    def backward_find_sessions(
        self, key: Any, earliest_session_end: int, latest_session_start: int
    ) -> Iterator[tuple[Windowed[Any], Any]]:
        self._write_down()
        return self._wrapped.backward_find_sessions(  # type: ignore[no-any-return]
            key, earliest_session_end, latest_session_start
        )

    def find_sessions_range(
        self, key_from: Any, key_to: Any, earliest_session_end: int, latest_session_start: int
    ) -> Iterator[tuple[Windowed[Any], Any]]:
        self._write_down()
        return self._wrapped.find_sessions_range(  # type: ignore[no-any-return]
            key_from, key_to, earliest_session_end, latest_session_start
        )

    def backward_find_sessions_range(
        self, key_from: Any, key_to: Any, earliest_session_end: int, latest_session_start: int
    ) -> Iterator[tuple[Windowed[Any], Any]]:
        """:meth:`find_sessions_range`, in reverse order."""
        self._write_down()
        return self._wrapped.backward_find_sessions_range(  # type: ignore[no-any-return]
            key_from, key_to, earliest_session_end, latest_session_start
        )

    def find_sessions_by_end(
        self, earliest_session_end: int, latest_session_end: int
    ) -> Iterator[tuple[Windowed[Any], Any]]:
        """Sessions of every key ending in ``[earliest_session_end, latest_session_end]``."""
        self._write_down()
        return self._wrapped.find_sessions_by_end(earliest_session_end, latest_session_end)  # type: ignore[no-any-return]

    def fetch(self, key: Any) -> Iterator[tuple[Windowed[Any], Any]]:
        self._write_down()
        return self._wrapped.fetch(key)  # type: ignore[no-any-return]

    def backward_fetch(self, key: Any) -> Iterator[tuple[Windowed[Any], Any]]:
        self._write_down()
        return self._wrapped.backward_fetch(key)  # type: ignore[no-any-return]

    def fetch_range(self, key_from: Any, key_to: Any) -> Iterator[tuple[Windowed[Any], Any]]:
        self._write_down()
        return self._wrapped.fetch_range(key_from, key_to)  # type: ignore[no-any-return]

    def backward_fetch_range(
        self, key_from: Any, key_to: Any
    ) -> Iterator[tuple[Windowed[Any], Any]]:
        """:meth:`fetch_range`, in reverse order."""
        self._write_down()
        return self._wrapped.backward_fetch_range(key_from, key_to)  # type: ignore[no-any-return]


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
