"""Window and session stores with a record cache in front (Java: ``CachingWindowStore``,
``CachingSessionStore``); the cache itself is :mod:`kstreams.state.window_cache`.

The flush listener gets ``(Windowed(key, window), new, old, timestamp, headers)``: the
window of a window store is ``TimeWindow(start, start + window size)``, a session store's
the session; values of a timestamped window store are ``ValueAndTimestamp`` s. Keys that
cannot be hashed are never cached: their writes go straight down and forward at once.

Example::

    store = cached_store(builder.build(), ThreadCache(10 * 1024 * 1024))
    store.set_flush_listener(lambda windowed, new, old, ts, headers: ...)
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from kstreams.state.record_cache import Frozen
from kstreams.state.thread_cache import ThreadCache
from kstreams.state.typed import null_key
from kstreams.state.value_and_timestamp import ValueAndTimestamp
from kstreams.state.value_and_timestamp import new_value_and_timestamp as new_vt
from kstreams.state.window_cache import COUNT, MISSING, SegmentedCache
from kstreams.state.window_metered import (
    MeteredSessionStore,
    MeteredTimestampedWindowStore,
    MeteredWindowStore,
)
from kstreams.state.window_schema import (
    MAX_TIMESTAMP,
    pack_window_suffix,
    session_key,
    window_key,
)
from kstreams.state.window_typed import (
    SessionStore,
    TimestampedWindowStore,
    WindowStore,
    aggregation,
)
from kstreams.windows.window import SessionWindow, Windowed

log = logging.getLogger(__name__)


class CachingWindowStore(SegmentedCache, WindowStore):
    """A :class:`~kstreams.state.window_typed.WindowStore` with a record cache in front.

    A cached window is the record key and the window start.
    """

    @property
    def window_size(self) -> int:
        return self._wrapped.window_size  # type: ignore[no-any-return]

    @property
    def retain_duplicates(self) -> bool:
        return False

    # -- the kind's part --------------------------------------------------------------------
    def _raw_key(self, key: Any, window: Any) -> bytes:
        return self._wrapped.store_key(key, window)  # type: ignore[no-any-return]

    def _load(self, key: Any, window: Any) -> bytes | None:
        # The store below holds no window starting after its observed stream time (the
        # largest start written or restored), so a window the stream has just opened (the
        # first record of each key in it) is not looked up: no read, the same None.
        if window > self._wrapped.observed_stream_time:
            return None
        return self._wrapped.get_at(self._wrapped.store_key(key, window))  # type: ignore[no-any-return]

    def _windowed(self, key: Any, window: Any) -> Windowed[Any]:
        return Windowed(key, self._wrapped.window_for(window))

    def _window_of(self, window: Any) -> Any:
        return self._wrapped.window_for(window)

    _store_key = staticmethod(window_key)  # (kb, window start): no frame of ours per flushed window
    _key_suffix = staticmethod(pack_window_suffix)  # window_key's suffix: kb + it, no call

    def _matches(self, window: Any, time_from: int, time_to: int) -> bool:
        return time_from <= window <= time_to  # type: ignore[no-any-return]

    def _time_order(self, window: Any) -> Any:
        return window

    # -- one window -------------------------------------------------------------------------
    def put(self, key: Any, value: Any, window_start: int) -> None:
        """Cache ``value`` for ``key``'s window (None: delete); the store gets it when flushed."""
        if key is None:
            raise null_key(self.name)
        try:
            self._put(key, window_start, value)
        except TypeError:
            try:
                hash(key)
            except TypeError:  # an unhashable key is never cached
                self._put_through(key, window_start, value)
                return
            raise

    def update_windows(
        self, key: Any, window_starts: Iterable[int], update: Callable[[Any], Any]
    ) -> None:
        """:meth:`put` of ``update(fetch(key, start))`` for each start in turn, with one lookup
        of ``key``'s cached windows for them all."""
        if key is None:
            raise null_key(self.name)
        try:
            hash(key)
        except TypeError:  # an unhashable key is never cached
            super().update_windows(key, window_starts, update)
            return
        self._update(key, window_starts, update)

    def fetch(self, key: Any, time: int, time_to: int | None = None) -> Any:
        if time_to is not None:
            return self.fetch_range(key, time, time_to)
        values = self._values
        try:
            windows = values.get(key)
        except TypeError:  # an unhashable key is never cached
            return self._wrapped.fetch(key, time)
        if windows is not None:
            entry = windows.get(time, MISSING)
            if entry is not MISSING:
                values.move_to_end(key)
                if type(entry) is Frozen:
                    return self._wrapped.decode_value(entry.raw)
                if type(entry) is COUNT and self._timestamped:
                    return new_vt(ValueAndTimestamp, entry)
                return entry
        if key is None:
            raise null_key(self.name)
        # not cached (only writes are): the store's, as _get would read it after a second lookup
        raw = self._load(key, time)
        return None if raw is None else self._wrapped.decode_value(raw)

    def _get_concurrent(self, key: Any, time: int) -> Any:
        """:meth:`fetch` from a thread other than the stream thread (interactive queries)."""
        if key is None:
            raise null_key(self.name)
        try:
            return self._peek(key, time)
        except TypeError:
            return self._wrapped.fetch(key, time)

    # -- ranges -----------------------------------------------------------------------------
    def _times(
        self, key: Any, time_from: int, time_to: int, reverse: bool
    ) -> Iterator[tuple[int, Any]]:
        wrapped = self._wrapped
        if reverse:
            below = wrapped.backward_fetch_range(key, time_from, time_to)
        else:
            below = wrapped.fetch_range(key, time_from, time_to)
        return self._overlay_one(
            key,
            below,
            time_from,
            time_to,
            reverse,
            lambda item: item[0],
            lambda k, start, value: (start, value),
        )

    def fetch_range(self, key: Any, time_from: int, time_to: int) -> Iterator[tuple[int, Any]]:
        return self._times(key, time_from, time_to, False)

    def backward_fetch_range(
        self, key: Any, time_from: int, time_to: int
    ) -> Iterator[tuple[int, Any]]:
        return self._times(key, time_from, time_to, True)

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
            lambda item: item[0].window.start,
            lambda k, start, value: (self._windowed(k, start), value),
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

    def aggregate_windows(
        self,
        key: Any,
        window_starts: Iterable[int],
        value: Any,
        ts: int,
        initializer: Callable[[], Any],
        aggregator: Callable[[Any, Any, Any], Any],
        counting: bool = False,
    ) -> None:
        """A window aggregation's update of every window of one record, in one call.

        :meth:`update_windows` of ``old -> ValueAndTimestamp(aggregator(key, value, old
        aggregate or initializer()), max(ts, old timestamp))`` (a delete when the aggregate is
        None), without a frame per window for the update (Java's ``KStreamWindowAggregate``
        fetches and puts each window; the reads, aggregator calls and writes are the same).
        ``counting``: ``initializer`` and ``aggregator`` are a count's (0, one more): a window's
        count is its old count + 1 (1 for a new window), without a call of them per window.
        """
        if key is None:
            raise null_key(self.name)
        try:
            hash(key)
        except TypeError:  # an unhashable key is never cached
            update = aggregation(key, value, ts, initializer, aggregator)
            WindowStore.update_windows(self, key, window_starts, update)
            return
        if counting:
            self._count(key, window_starts, ts)
            return
        self._update(key, window_starts, None, (value, ts, initializer, aggregator), counting)


class CachingSessionStore(SegmentedCache, SessionStore):
    """A :class:`~kstreams.state.window_typed.SessionStore` with a record cache in front.

    A cached window is the record key and the session's ``(start, end)``.
    """

    # -- the kind's part --------------------------------------------------------------------
    def _raw_key(self, key: Any, window: Any) -> bytes:
        return self._wrapped.session_store_key(key, window[0], window[1])  # type: ignore[no-any-return]

    def _windowed(self, key: Any, window: Any) -> Windowed[Any]:
        return Windowed(key, SessionWindow(window[0], window[1]))

    def _window_of(self, window: Any) -> Any:
        return SessionWindow(window[0], window[1])

    def _store_key(self, kb: bytes, window: Any) -> bytes:
        return session_key(kb, window[0], window[1])

    def _matches(self, window: Any, time_from: int, time_to: int) -> bool:
        return window[1] >= time_from and window[0] <= time_to  # type: ignore[no-any-return]

    def _time_order(self, window: Any) -> Any:
        return window[1], window[0]  # one key's sessions: by end, then start

    # -- one session ------------------------------------------------------------------------
    def put(self, session: Windowed[Any], aggregate: Any) -> None:
        """Cache ``aggregate`` for ``session`` (None: remove); the store gets it when flushed."""
        if session is None or session.key is None:
            raise null_key(self.name)
        key, w = session.key, session.window
        window = (w.start, w.end)
        try:
            self._put(key, window, aggregate)
        except TypeError:
            try:
                hash(key)
            except TypeError:  # an unhashable key is never cached
                self._put_through(key, window, aggregate)
                return
            raise

    def remove(self, session: Windowed[Any]) -> None:
        """Remove ``session`` (forwarded as a tombstone when flushed)."""
        self.put(session, None)

    def fetch_session(self, key: Any, session_start: int, session_end: int) -> Any:
        if key is None:
            raise null_key(self.name)
        try:
            return self._get(key, (session_start, session_end))
        except TypeError:
            try:
                hash(key)
            except TypeError:  # an unhashable key is never cached
                return self._wrapped.fetch_session(key, session_start, session_end)
            raise

    def _get_concurrent(self, key: Any, session_start: int, session_end: int) -> Any:
        """:meth:`fetch_session` from a thread other than the stream thread (interactive queries)."""
        if key is None:
            raise null_key(self.name)
        try:
            return self._peek(key, (session_start, session_end))
        except TypeError:
            return self._wrapped.fetch_session(key, session_start, session_end)

    # -- ranges -----------------------------------------------------------------------------
    def _one(
        self, key: Any, earliest_end: int, latest_start: int, reverse: bool
    ) -> Iterator[tuple[Windowed[Any], Any]]:
        wrapped = self._wrapped
        if reverse:
            below = wrapped.backward_find_sessions(key, earliest_end, latest_start)
        else:
            below = wrapped.find_sessions(key, earliest_end, latest_start)
        return self._overlay_one(
            key,
            below,
            earliest_end,
            latest_start,
            reverse,
            _session_of,
            lambda k, window, value: (self._windowed(k, window), value),
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
            _session_of,
            lambda k, window, value: (self._windowed(k, window), value),
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
        return self._many(key_from, key_to, earliest_session_end, latest_session_start, True)

    def find_sessions_by_end(
        self, earliest_session_end: int, latest_session_end: int
    ) -> Iterator[tuple[Windowed[Any], Any]]:
        """The store's :meth:`~kstreams.state.window_metered.MeteredSessionStore.find_sessions_by_end`
        with the cached sessions ending in the bounds laid over it."""
        below = self._wrapped.find_sessions_by_end(earliest_session_end, latest_session_end)
        if not self._values:
            return below  # type: ignore[no-any-return]
        found = {(w.key, (w.window.start, w.window.end)): (w, v) for w, v in below}
        for key in list(self._values):
            for window, entry in list((self._values.get(key) or {}).items()):
                if earliest_session_end <= window[1] <= latest_session_end:
                    if entry is None:
                        found.pop((key, window), None)
                    else:
                        found[(key, window)] = (self._windowed(key, window), self._thaw(entry))
        order = self._wrapped.by_end_order()
        serialize = self._wrapped.serialize_key
        return iter(
            sorted(
                found.values(),
                key=lambda e: order(
                    session_key(serialize(e[0].key), e[0].window.start, e[0].window.end)
                ),
            )
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
        return self._many(key_from, key_to, 0, MAX_TIMESTAMP, True)


def _session_of(item: tuple[Windowed[Any], Any]) -> tuple[int, int]:
    w = item[0].window
    return w.start, w.end


_CACHING: dict[type, type[SegmentedCache]] = {
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
