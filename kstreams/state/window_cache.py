"""The record cache machinery of window and session stores (Java: ``CachingWindowStore``,
``CachingSessionStore`` over their ``ThreadCache`` s); the stores are in
:mod:`kstreams.state.window_caching`.

The same cache as the key-value one (:mod:`kstreams.state.caching`): objects above the
metered store, in the thread's ``statestore.cache.max.bytes`` budget shared with the
write buffers, least recently used entries evicted (a dirty one flushes every dirty
entry of its store first), and a flush at every commit that writes the dirty windows
down and forwards each to the flush listener the aggregation registered. The old value
forwarded is the one the store below holds at the flush, as Java's caching stores read
it (a window the store has already expired has none), read only when the listener wants
old values or the new value is a delete (Java's ``sendOldValues``), and a delete of what
the store does not hold is neither written nor forwarded. So consecutive updates of a window
between two flushes reach downstream as one, as in Kafka Streams, and in its order: the
order of each window's latest update (Java's ``NamedCache`` moves a rewritten key to the
end of its dirty keys). Mutable values are kept serialized
(:class:`~kstreams.state.caching.Frozen`) and deserialized afresh for every reader, so
what the cache hands back, forwards or writes to the changelog is what was written.
A count's window (a timestamped window store's ``ValueAndTimestamp`` of the count) is kept
as a plain ``(count, timestamp)`` tuple, which costs a fraction of a ``ValueAndTimestamp`` to
make and free per update, and made a ``ValueAndTimestamp`` again for every reader.

Entries are grouped by record key: ``record key -> {window: entry}`` (a window store's
window is its start, a session store's ``(start, end)``), so the per-record path hashes
the record key once and an int, never a tuple; the least-recently-used order, and so
eviction, is per record key with all its windows. As in Java's caching window and session
stores, only writes are cached (a read of an uncached window goes to the store), and a
range read lays the cached windows in its bounds, dirty or flushed, over the store's own
iteration, in the engine's order, as Java's merged cache iterators do (so a cached window
still answers after the store below dropped it as expired; a range of one key looks only
at that key's windows: those reads are in :mod:`kstreams.state.window_cache_reads`).
Interactive queries from other threads read snapshots and never change the cache.
"""

from __future__ import annotations

from abc import abstractmethod
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kstreams.state.immutable import IMMUTABLE_SCALARS, is_immutable
from kstreams.state.record_cache import (
    ENTRY_OVERHEAD,
    FlushListener,
    Frozen,
    RecordCache,
    _RecordContextless,
    estimate_size,
)
from kstreams.state.thread_cache import ThreadCache
from kstreams.state.value_and_timestamp import ValueAndTimestamp
from kstreams.state.value_and_timestamp import new_value_and_timestamp as new_vt
from kstreams.state.window_cache_reads import MISSING, CachedWindowReads
from kstreams.windows.window import Windowed

if TYPE_CHECKING:
    from kstreams.state.context import StateStoreContext

WINDOW_OVERHEAD = 120
"""Approximate bytes a cached window costs beyond its value (its slot, its window)."""

NUMBER_VT_SIZE = estimate_size(ValueAndTimestamp(0, 0))
"""``estimate_size`` of a ``ValueAndTimestamp`` of a number (a count's), without its call."""

COUNT = tuple
"""The type of a count's cached window in a timestamped cache: ``(count, timestamp)``, read
as ``ValueAndTimestamp`` (no other entry of a timestamped cache is a plain tuple: a put or an
update of one is made a ``ValueAndTimestamp``); its accounted size is ``NUMBER_VT_SIZE``."""


class SegmentedCache(CachedWindowReads, RecordCache):
    """The cache over a metered window or session store; subclasses say how a window is
    read from, written to and named for the store below (see the module notes)."""

    _timestamped = False
    """Whether values are ``ValueAndTimestamp`` (whose value decides if it can change)."""

    def __init__(self, store: Any, thread_cache: ThreadCache) -> None:
        super().__init__(store)
        self._thread_cache = thread_cache
        self._values: OrderedDict[Any, dict[Any, Any]] = OrderedDict()
        """record key -> {window: entry}, least recently used key first; None: deleted (dirty)."""
        self._sizes: dict[Any, int] = {}
        """Estimated bytes of each record key's cached windows."""
        self._dirty: dict[Any, dict[Any, tuple[int, tuple[Any, ...], int]]] = {}
        """record key -> {window: (seq, (ts, headers, topic, partition, offset), size)}: the
        order of the window's latest update, the context of the record that made it (one
        tuple for all windows one record updates) and the estimated size of the window's
        entry the cache's accounting holds (brought up to date when it is flushed)."""
        self._seq = 0
        self._key_bytes: dict[Any, bytes] = {}
        """Serialized record keys of cached windows, once a range read needed them."""
        self._listener: FlushListener | None = None
        self._send_old_values = True
        self._record: Any = _RecordContextless()
        self._flushing = False

    # -- the kind's part --------------------------------------------------------------------
    @abstractmethod
    def _raw_key(self, key: Any, window: Any) -> bytes:
        """The store key of ``key``'s ``window`` in the store below."""

    def _load(self, key: Any, window: Any) -> bytes | None:
        """The stored bytes of ``key``'s ``window`` in the store below, or None."""
        return self._wrapped.get_at(self._raw_key(key, window))  # type: ignore[no-any-return]

    def _write(self, key: Any, window: Any, entry: Any) -> None:
        """Write a cache entry (an object, a ``Frozen`` or None) to the store below."""
        self._write_at(self._raw_key(key, window), entry)

    def _write_at(self, store_key: bytes, entry: Any) -> None:
        if type(entry) is Frozen:
            raw = entry.raw
        else:
            raw = None if entry is None else self._wrapped.encode_value(entry)
        self._wrapped.put_at(store_key, raw)

    @abstractmethod
    def _windowed(self, key: Any, window: Any) -> Windowed[Any]:
        """The ``Windowed`` key the flush listener and range reads give ``key``'s ``window``."""

    @abstractmethod
    def _window_of(self, window: Any) -> Any:
        """The ``Window`` of a cached window (what :meth:`_windowed` gives its key)."""

    @abstractmethod
    def _store_key(self, kb: bytes, window: Any) -> bytes:
        """The store key of ``window`` of the record key serialized to ``kb``."""

    _key_suffix: Callable[[Any, int], bytes] | None = None
    """``_key_suffix(window, 0)``: the bytes :meth:`_store_key` appends to the record key, when
    it is one ``struct`` pack (window stores; the flush makes store keys without a call)."""

    @abstractmethod
    def _matches(self, window: Any, time_from: int, time_to: int) -> bool:
        """Whether ``window`` is in the time bounds of a range read (the store's rule)."""

    @abstractmethod
    def _time_order(self, window: Any) -> Any:
        """The order of one key's windows in the store's iteration."""

    # -- wiring -----------------------------------------------------------------------------
    def init(self, context: StateStoreContext) -> None:
        self._wrapped.init(context)
        record = getattr(context, "record_context", None)
        if record is not None:
            self._record = record

    def set_flush_listener(self, listener: FlushListener, send_old_values: bool = True) -> bool:
        """Forward flushed windows to ``listener``; True (the cache forwards, the caller must not).

        Without ``send_old_values`` the old values forwarded are None and are read from the
        store below only for deletes.
        """
        self._listener = listener
        self._send_old_values = send_old_values
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
        return sum(len(w) for w in list(self._values.values()))

    @property
    def dirty_entries(self) -> int:
        """How many windows changed since the last flush."""
        return sum(len(w) for w in list(self._dirty.values()))

    def approximate_num_entries(self) -> int:
        """The store's estimate (dirty windows not flushed yet are not counted)."""
        return self._wrapped.approximate_num_entries()  # type: ignore[no-any-return]

    def _thaw(self, entry: Any) -> Any:
        if type(entry) is Frozen:
            return self._wrapped.decode_value(entry.raw)
        if type(entry) is COUNT and self._timestamped:
            return new_vt(ValueAndTimestamp, entry)
        return entry

    def _accounted(self, entry: Any) -> int:
        """The size a cached entry is accounted at (a count's without ``estimate_size``)."""
        if type(entry) is COUNT and self._timestamped:
            return NUMBER_VT_SIZE
        if type(entry) is ValueAndTimestamp and type(entry[0]) is int:
            return NUMBER_VT_SIZE
        return estimate_size(entry)

    def _normal(self, value: Any) -> Any:
        """``value`` as a timestamped cache keeps it: a plain tuple as ``ValueAndTimestamp``."""
        if type(value) is COUNT and self._timestamped:
            return new_vt(ValueAndTimestamp, value)
        return value

    def _kept(self, raw: bytes) -> tuple[Any, Any]:
        """``(value, what the cache keeps of it)`` of stored bytes."""
        value = self._wrapped.decode_value(raw)
        inner = value[0] if self._timestamped else value
        if type(inner) in IMMUTABLE_SCALARS or is_immutable(inner):
            return value, value
        return value, Frozen(raw)

    # -- one window -------------------------------------------------------------------------
    def _get(self, key: Any, window: Any) -> Any:
        """The value of ``key``'s ``window`` (``key`` hashable): the cached one, else the store's.

        A window read from the store is not cached, as in Java's caching window and
        session stores (they cache writes only): a cached window is one written since.
        """
        values = self._values
        windows = values.get(key)
        if windows is not None:
            entry = windows.get(window, MISSING)
            if entry is not MISSING:
                values.move_to_end(key)
                return self._thaw(entry)
        raw = self._load(key, window)
        return None if raw is None else self._wrapped.decode_value(raw)

    def _insert(self, key: Any, window: Any, entry: Any, entry_size: int) -> None:
        values = self._values
        windows = values.get(key)
        size = WINDOW_OVERHEAD + entry_size
        if windows is None:
            values[key] = {window: entry}
            size += ENTRY_OVERHEAD + estimate_size(key)
            self._sizes[key] = size
        else:
            windows[window] = entry
            values.move_to_end(key)
            self._sizes[key] += size
        thread = self._thread_cache
        thread.size += size
        if thread.size + thread.buffered > thread.max_bytes:
            self._evict()

    def _put(self, key: Any, window: Any, value: Any) -> None:
        """Cache ``value`` (None: a delete) for ``key``'s ``window``; dirty until flushed.

        Raises TypeError for an unhashable ``key`` (before changing anything).
        """
        values = self._values
        windows = values.get(key)
        old = MISSING if windows is None else windows.get(window, MISSING)
        if value is not None:
            value = self._normal(value)
            inner = value[0] if self._timestamped else value
            if type(inner) not in IMMUTABLE_SCALARS and not is_immutable(inner):
                raw = self._wrapped.encode_value(value)
                value = None if raw is None else Frozen(raw)
        record = self._record
        context = (record.timestamp, record.headers, record.topic, record.partition, record.offset)
        self._seq = seq = self._seq + 1
        dirty_windows = self._dirty.get(key)
        if dirty_windows is None:
            self._dirty[key] = dirty_windows = {}
        if old is MISSING:
            size = estimate_size(value)
            dirty_windows[window] = (seq, context, size)  # before an eviction may flush it
            self._insert(key, window, value, size)
        else:
            dirty = dirty_windows.get(window)
            dirty_windows[window] = (
                seq,
                context,
                self._accounted(old) if dirty is None else dirty[2],
            )
            windows[window] = value  # type: ignore[index]
            values.move_to_end(key)

    def _update(
        self,
        key: Any,
        windows: Any,
        update: Callable[[Any], Any] | None,
        fold: tuple[Any, int, Callable[[], Any], Callable[[Any, Any, Any], Any]] | None = None,
        counting: bool = False,
    ) -> None:
        """``_put(key, window, update(value of key's window))`` for each of ``windows`` in
        turn (``key`` hashable), with one lookup of ``key``'s cached windows, dirty windows
        and record context for them all (a hopping window aggregation updates several
        windows of one key per record).

        With ``fold = (value, ts, initializer, aggregator)`` instead of ``update``, the update
        is a timestamped aggregation's, made here without a frame of its own: the new value is
        ``ValueAndTimestamp(aggregator(key, value, old aggregate or initializer()), max(ts,
        old timestamp))``, a delete if the aggregate is None. ``counting`` (with ``fold``): the
        initializer and aggregator are a count's (0, one more), done inline: ``old + 1``, kept
        as a plain ``(count, timestamp)`` tuple (``COUNT``).
        """
        values = self._values
        cached = values.get(key)
        if cached is not None:
            values.move_to_end(key)
        wrapped = self._wrapped
        decode = wrapped.decode_value
        load = self._load
        timestamped = self._timestamped
        record = self._record
        context = (record.timestamp, record.headers, record.topic, record.partition, record.offset)
        dirty_all = self._dirty
        dirty = dirty_all.get(key)
        if fold is not None:
            record_value, ts, initializer, aggregator = fold
        seq = self._seq
        try:
            for window in windows:
                entry = MISSING if cached is None else cached.get(window, MISSING)
                if entry is MISSING:
                    raw = load(key, window)
                    old = None if raw is None else decode(raw)
                elif type(entry) is Frozen:
                    old = decode(entry.raw)
                elif type(entry) is COUNT and timestamped and fold is None:
                    old = new_vt(ValueAndTimestamp, entry)  # a fold reads a count's as it is
                else:
                    old = entry
                if fold is None:
                    value = update(old)  # type: ignore[misc]
                    if value is not None:
                        if timestamped and type(value) is COUNT:
                            value = new_vt(ValueAndTimestamp, value)
                        inner = value[0] if timestamped else value
                        if type(inner) not in IMMUTABLE_SCALARS and not is_immutable(inner):
                            raw = wrapped.encode_value(value)
                            value = None if raw is None else Frozen(raw)
                elif counting:  # count_initializer / count_aggregator, inline, kept as COUNT
                    if old is None:
                        value = (1, ts)
                    else:
                        new_ts = old[1]
                        value = (old[0] + 1, ts if ts > new_ts else new_ts)
                else:
                    if old is None:
                        agg = aggregator(key, record_value, initializer())
                        new_ts = ts
                    else:
                        agg = aggregator(key, record_value, old[0])
                        new_ts = old[1]
                        if ts > new_ts:
                            new_ts = ts
                    if agg is None:
                        value = None
                    else:
                        value = new_vt(ValueAndTimestamp, (agg, new_ts))
                        if type(agg) not in IMMUTABLE_SCALARS and not is_immutable(agg):
                            raw = wrapped.encode_value(value)
                            value = None if raw is None else Frozen(raw)
                seq += 1
                if dirty is None:
                    dirty = dirty_all[key] = {}
                if entry is MISSING:
                    size = NUMBER_VT_SIZE if counting else estimate_size(value)
                    dirty[window] = (seq, context, size)  # before an eviction may flush it
                    self._seq = seq
                    self._insert(key, window, value, size)
                    seq = self._seq  # a listener may have written back during a flush
                    # an eviction may have flushed (new dirty windows) or dropped the key
                    cached = values.get(key)
                    dirty_all = self._dirty
                    dirty = dirty_all.get(key)
                else:
                    was = dirty.get(window)
                    if was is not None:
                        accounted = was[2]
                    elif type(entry) is COUNT and timestamped:
                        accounted = NUMBER_VT_SIZE
                    elif type(entry) is ValueAndTimestamp and type(entry[0]) is int:
                        accounted = NUMBER_VT_SIZE  # estimate_size, without its call
                    else:
                        accounted = estimate_size(entry)
                    if counting and accounted != NUMBER_VT_SIZE:
                        # a count's window is accounted at its fixed size from now on (the
                        # count loop does not look up what a window was accounted at)
                        grown = NUMBER_VT_SIZE - accounted
                        self._sizes[key] += grown
                        self._thread_cache.size += grown
                        accounted = NUMBER_VT_SIZE
                    dirty[window] = (seq, context, accounted)
                    cached[window] = value  # type: ignore[index]
        finally:
            self._seq = seq

    def _count(self, key: Any, windows: Any, ts: int) -> None:
        """:meth:`_update` of a count (``counting``) for each of ``windows`` (``key``
        hashable): while the windows are cached counts (``COUNT``; the common case of a
        hopping count: a record's windows were all seen by the key's records before), one
        more each in a loop of its own (~a third of the general loop's work per window); from
        the first window that is not, the general loop does the rest. A cached count is
        accounted at ``NUMBER_VT_SIZE`` whether it is dirty or not (the general loop sees to
        it), so its size is not looked up."""
        cached = self._values.get(key)
        if cached is None:
            self._update(key, windows, None, (None, ts, None, None), True)
            return
        self._values.move_to_end(key)
        record = self._record
        context = (record.timestamp, record.headers, record.topic, record.partition, record.offset)
        dirty = self._dirty.get(key)
        if dirty is None:
            dirty = self._dirty[key] = {}
        get = cached.get
        seq = self._seq
        count = COUNT
        rest = iter(windows)
        left = None
        for window in rest:
            entry = get(window)
            if entry.__class__ is not count:  # not cached, or not a count's
                left = window
                break
            n, old_ts = entry
            seq += 1
            dirty[window] = (seq, context, NUMBER_VT_SIZE)
            cached[window] = (n + 1, ts if ts > old_ts else old_ts)
        self._seq = seq
        if left is not None:
            self._update(key, [left, *rest], None, (None, ts, None, None), True)

    def _put_through(self, key: Any, window: Any, value: Any) -> None:
        # a key that cannot be cached (unhashable): written down and forwarded at once
        listener = self._listener
        if listener is None:
            self._write(key, window, value)
            return
        send_old = self._send_old_values
        old_raw = self._load(key, window) if send_old or value is None else None
        if value is None and old_raw is None:
            return  # a delete of what the store does not hold: neither written nor forwarded
        self._write(key, window, value)
        old = None if old_raw is None or not send_old else self._wrapped.decode_value(old_raw)
        record = self._record
        listener(self._windowed(key, window), value, old, record.timestamp, record.headers)

    # -- eviction and flushing --------------------------------------------------------------
    def _evict(self) -> None:
        if self._flushing:
            return  # a listener wrote back into this store mid-flush: evict after it
        thread = self._thread_cache
        values = self._values
        while thread.size + thread.buffered > thread.max_bytes and values:
            key = next(iter(values))
            if key in self._dirty:
                self.flush_cache()
                continue
            del values[key]
            self._key_bytes.pop(key, None)
            thread.size -= self._sizes.pop(key)

    def flush_cache(self) -> bool:
        """Write every dirty window down, forwarding each to the flush listener, in the
        order of their latest updates. Returns whether anything was dirty. Called by the
        task before a commit and by eviction."""
        dirty = self._dirty
        if not dirty or self._flushing:
            return False
        self._flushing = True
        self._dirty = {}
        # (seq, ...) tuples: seqs are unique, so the tuples sort by them alone (a list made
        # at once and sorted in place: no generator resumed per entry)
        entries = [(d[0], key, window, d) for key, ws in dirty.items() for window, d in ws.items()]
        entries.sort()
        record = self._record
        listener = self._listener
        values = self._values
        window_of = self._window_of
        windows: dict[Any, Any] = {}  # window -> its Window object, made once per flush
        wrapped = self._wrapped
        get_at = wrapped.get_at
        put_at = wrapped.put_at
        decode = wrapped.decode_value
        encode = wrapped.encode_value
        serialize = wrapped.serialize_key
        store_key_of = self._store_key
        suffix_of = self._key_suffix
        key_bytes = self._key_bytes  # a cached key's bytes, serialized once while it is cached
        send_old = self._send_old_values
        saved = (record.timestamp, record.headers, record.topic, record.partition, record.offset)
        sizes = self._sizes
        thread = self._thread_cache
        timestamped = self._timestamped
        new_windowed = tuple.__new__  # Windowed(key, w) without its Python __new__
        try:
            for _, key, window, (_, context, accounted) in entries:
                entry = values[key][window]
                # the accounting, as the entry is now (a number's size without a call)
                if type(entry) is COUNT and timestamped:
                    entry = new_vt(ValueAndTimestamp, entry)  # what is written and forwarded
                    grown = NUMBER_VT_SIZE - accounted
                elif type(entry) is ValueAndTimestamp and type(entry[0]) is int:
                    grown = NUMBER_VT_SIZE - accounted
                else:
                    grown = estimate_size(entry) - accounted
                if grown:
                    sizes[key] += grown
                    thread.size += grown
                ts, headers, topic, partition, offset = context
                kb = key_bytes.get(key)
                if kb is None:
                    kb = key_bytes[key] = serialize(key)
                if suffix_of is None:
                    store_key = store_key_of(kb, window)
                else:
                    store_key = kb + suffix_of(window, 0)
                old = None
                if listener is not None and (send_old or entry is None):
                    # as Java: the old value is what the store below holds now (a window it
                    # has expired has none), read only if it is forwarded or the new value
                    # is a delete; a delete of what the store does not hold is neither
                    # written nor forwarded
                    raw = get_at(store_key)
                    if raw is None:
                        if entry is None:
                            continue
                    elif send_old:
                        old = decode(raw)
                record.timestamp = ts
                record.headers = headers
                record.topic = topic
                record.partition = partition
                record.offset = offset
                if type(entry) is Frozen:
                    put_at(store_key, entry.raw)
                else:
                    put_at(store_key, None if entry is None else encode(entry))
                if listener is not None:
                    w = windows.get(window)
                    if w is None:
                        w = windows[window] = window_of(window)
                    listener(
                        new_windowed(Windowed, (key, w)),
                        decode(entry.raw) if type(entry) is Frozen else entry,
                        old,
                        ts,
                        headers,
                    )
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
        self._key_bytes = {}
