"""The record cache: a layer of objects over the metered store (Kafka Streams' caching layer).

Kafka Streams puts a cache (``CachingKeyValueStore`` over a per-thread
``ThreadCache``) in front of every DSL store, sized by
``statestore.cache.max.bytes`` (10 MiB by default, shared by a thread's
stores). It does two things, and so does this one:

* **Reads and writes stay in memory.** ``get`` of a cached key is a dict lookup;
  ``put`` updates the cached value and marks the key dirty. Values are kept as
  objects, so neither is serialized per update: a dirty key is serialized and
  written to the store below (its write buffer and changelog) once per flush.
* **Updates are forwarded on flush, not per record.** A DSL processor that
  registers a flush listener (aggregations, materialized tables) forwards the
  latest value of each dirty key, with the value last forwarded as the old
  value, when the cache flushes: at every commit, and when the thread's caches
  outgrow their budget (the least recently used entry of the store being
  written is evicted; if it is dirty, all of that store's dirty keys are
  flushed first). Consecutive updates of a key between two flushes therefore
  reach downstream as one, exactly as in Kafka Streams; with
  ``statestore.cache.max.bytes=0`` (or ``Materialized.with_caching_disabled()``)
  every update is forwarded.

Values that cannot change (numbers, strings, bytes, tuples of them: see
:mod:`kstreams.state.immutable`) are cached as objects. Any other value (a dict,
a list, a user object) is serialized when it is written and deserialized afresh
for every read, so what the cache hands back, forwards as an old value or writes
to the changelog is what was written, whatever user code later does to the
object it put or got (an aggregator that mutates its argument and returns it).

Where it sits: Kafka Streams caches bytes *under* the serdes (metered → caching →
change-logging → bytes store), so every ``get`` and ``put`` of a cached key pays a
deserialization and a serialization. kstreams' cache sits *above* the metered store
(caching → metered → change-logging → write buffer → engine) and keeps objects, so an
update of a cached key costs no serialization at all: the per-record path of an
aggregation is a few dict operations. It reaches the store below only through that
store's public bytes-level API (``serialize_key``, ``encode_value``, ``decode_value``,
``get_bytes``, ``put_bytes``, ``bytes_range``, ``decode_entries``), the same way Java's
cache reaches the bytes store under it.

Where else it differs from Kafka Streams: the cache holds objects, so its size is an
estimate (strings and bytes by length, numbers by their object size, serialized
values by their length), and a value the store's serde cannot serialize fails
the ``put`` if it is mutable, the flush (a commit error) if it is not. Keys must
be hashable to be cached; other keys (e.g. JSON objects) go straight to the
store below, forwarding at once.

Example::

    cache = ThreadCache(10 * 1024 * 1024)
    store = cached_store(builder.build(), cache)   # what TaskStores does for caching builders
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from kstreams.state.immutable import IMMUTABLE_SCALARS, is_immutable
from kstreams.state.merge import merge, merge_reverse
from kstreams.state.metered import MeteredKeyValueStore, MeteredTimestampedKeyValueStore
from kstreams.state.record_cache import (
    _NUMBER_VT_SIZE,
    ENTRY_OVERHEAD,
    FlushListener,
    Frozen,
    RecordCache,
    _RecordContextless,
    estimate_size,
    pair_size,
)
from kstreams.state.thread_cache import ThreadCache
from kstreams.state.typed import KeyValueStore, TimestampedKeyValueStore, null_key, store_serdes
from kstreams.state.value_and_timestamp import ValueAndTimestamp, pack_timestamp

if TYPE_CHECKING:
    from kstreams.serde.base import Serde
    from kstreams.state.context import StateStoreContext


_MISSING: Any = object()
_UNKNOWN: Any = object()
"""The value before the first cached write of a key that was never read: look it up at flush."""

_KEY_BYTES = 2
"""Index of a dirty entry's serialized key (None until a range or a flush needs it)."""

_record_of = attrgetter("timestamp", "headers", "topic", "partition", "offset")
"""``(timestamp, headers, topic, partition, offset)`` of the record context: what a dirty
entry keeps of its last write (restored at flush). ``put`` and ``merger`` build it from five
attribute loads, a fifth of this call's instructions on the task's slotted context."""

_new_vt = tuple.__new__


class CachingStore(RecordCache):
    """The record cache over a metered store (see the module notes).

    ``get``/``put``/``delete`` work on the cache; ranges merge the dirty entries
    into the metered store's bytes ranges; :meth:`flush_cache` writes the dirty
    keys down (and forwards them to the flush listener). The commit protocol passes
    through, the cache flushing first. Made by :func:`cached_store`.
    """

    _timestamped = False
    """Whether values are ``ValueAndTimestamp`` (whose value decides if it can change)."""

    def __init__(self, store: MeteredKeyValueStore, thread_cache: ThreadCache) -> None:
        super().__init__(store)
        self._thread_cache = thread_cache
        self._values: OrderedDict[Any, Any] = OrderedDict()
        """Cached values in least-recently-used-first order; None: deleted (dirty). A
        timestamped store keeps what a merge wrote as a plain ``(value, timestamp)`` pair."""
        self._sizes: dict[Any, int] = {}
        self._dirty: dict[Any, list[Any]] = {}
        """Dirty keys in the order of their latest write: ``[old value, (ts, headers, topic,
        partition, offset) of that write, key bytes or None]``."""
        self._listener: FlushListener | None = None
        self._send_old_values = True
        self._record: Any = _RecordContextless()
        self._flushing = False
        self._kfast: Callable[[Any], bytes] | None = None
        self._vfast: Callable[[Any], bytes] | None = None
        self._bind(store)

    def _bind(self, store: MeteredKeyValueStore) -> None:
        # The metered store's public methods, looked up once (again after it opened).
        self._store_get = store.get
        self._store_put = store.put
        self._get_bytes = store.get_bytes
        self._put_bytes = store.put_bytes
        self._serialize_key = store.serialize_key
        self._encode = store.encode_value
        self._decode = store.decode_value

    def _bind_fast(self, store: MeteredKeyValueStore, context: StateStoreContext) -> None:
        # The store's serdes' C fast paths (Serde.fast_serializer), for the flush of cached
        # objects: the bytes the metered store's put would write, without its three calls
        # (None when a serde has none: the flush then puts through the metered store).
        key_serde, value_serde = store_serdes(
            store.name, store.key_serde, store.value_serde, context
        )
        kfast = getattr(key_serde, "fast_serializer", None)
        vfast = getattr(value_serde, "fast_serializer", None)
        kfast = None if kfast is None else kfast()
        vfast = None if vfast is None else vfast()
        if kfast is None or vfast is None:
            self._kfast = self._vfast = None
        else:
            self._kfast, self._vfast = kfast, vfast

    # -- wiring -----------------------------------------------------------------------------
    def init(self, context: StateStoreContext) -> None:
        store = self._wrapped
        store.init(context)
        self._bind(store)
        self._bind_fast(store, context)
        record = getattr(context, "record_context", None)
        if record is not None:
            self._record = record

    def set_flush_listener(self, listener: FlushListener, send_old_values: bool = True) -> bool:
        """Forward flushed keys to ``listener``; True (the cache forwards, the caller must not).

        Without ``send_old_values`` the old values forwarded are None and are read from the
        store below only for deletes.
        """
        self._listener = listener
        self._send_old_values = send_old_values
        return True

    @property
    def key_serde(self) -> Serde[Any] | None:
        """The metered store's key serde."""
        return self._wrapped.key_serde  # type: ignore[no-any-return]

    @property
    def value_serde(self) -> Serde[Any] | None:
        """The metered store's value serde."""
        return self._wrapped.value_serde  # type: ignore[no-any-return]

    @property
    def serde_topic(self) -> str:
        return self._wrapped.serde_topic  # type: ignore[no-any-return]

    def serialize_key(self, key: Any) -> bytes:
        return self._serialize_key(key)  # type: ignore[no-any-return]

    @property
    def cached_entries(self) -> int:
        """How many keys the cache holds now."""
        return len(self._values)

    @property
    def dirty_entries(self) -> int:
        """How many keys changed since the last flush."""
        return len(self._dirty)

    def _thaw(self, entry: Any) -> Any:
        """The value of a cache entry: a fresh copy if it is frozen, a ``ValueAndTimestamp``
        for a merged pair (see :meth:`CachingTimestampedKeyValueStore.merger`)."""
        if type(entry) is Frozen:
            return self._decode(entry.raw)
        if type(entry) is tuple and self._timestamped:
            return _new_vt(ValueAndTimestamp, entry)
        return entry

    # -- reads ------------------------------------------------------------------------------
    def get(self, key: Any) -> Any:
        """The value of ``key``: the cached one, else the store's (then cached)."""
        values = self._values
        try:
            entry = values.get(key, _MISSING)
        except TypeError:  # an unhashable key is never cached
            return self._store_get(key)
        if entry is _MISSING:
            if key is None:
                raise null_key(self.name)
            raw = self._get_bytes(self._serialize_key(key))
            if raw is None:
                return None
            value = self._decode(raw)
            inner = value[0] if self._timestamped else value
            immutable = type(inner) in IMMUTABLE_SCALARS or is_immutable(inner)
            self._insert(key, value if immutable else Frozen(raw))
            return value
        values.move_to_end(key)
        te = type(entry)
        if te is Frozen:
            return self._decode(entry.raw)
        if te is tuple and self._timestamped:  # a merged pair: handed out (and kept) as a VT
            entry = values[key] = _new_vt(ValueAndTimestamp, entry)
        return entry

    def _get_concurrent(self, key: Any) -> Any:
        # interactive queries (other threads): read the cache, never change it
        try:
            entry = self._values.get(key, _MISSING)
        except TypeError:
            entry = _MISSING
        return self._wrapped.get(key) if entry is _MISSING else self._thaw(entry)

    def approximate_num_entries(self) -> int:
        """The store's estimate (dirty keys not flushed yet are not counted)."""
        return self._wrapped.approximate_num_entries()  # type: ignore[no-any-return]

    def _insert(self, key: Any, value: Any) -> None:
        size = ENTRY_OVERHEAD + estimate_size(key) + estimate_size(value)
        self._values[key] = value
        self._sizes[key] = size
        thread = self._thread_cache
        thread.size += size
        if thread.size + thread.buffered > thread.max_bytes:
            self._evict()

    # -- writes -----------------------------------------------------------------------------
    def put(self, key: Any, value: Any) -> None:
        """Cache ``value`` for ``key`` (None: delete); the store gets it at the next flush."""
        if key is None:
            raise null_key(self.name)
        values = self._values
        try:
            old = values.get(key, _MISSING)
        except TypeError:
            self._put_through(key, value)
            return
        if value is not None:
            inner = value[0] if self._timestamped else value
            if type(inner) not in IMMUTABLE_SCALARS and not is_immutable(inner):
                raw = self._encode(value)
                value = None if raw is None else Frozen(raw)
        # re-inserted on every write: keys flush in the order of their latest update, as
        # Kafka Streams' NamedCache flushes its dirty keys
        dirty = self._dirty
        fields = dirty.pop(key, None) or [_UNKNOWN if old is _MISSING else old, None, None]
        r = self._record
        fields[1] = (r.timestamp, r.headers, r.topic, r.partition, r.offset)
        dirty[key] = fields
        if old is _MISSING:
            self._insert(key, value)
        else:
            values[key] = value
            values.move_to_end(key)

    def _put_through(self, key: Any, value: Any) -> None:
        listener = self._listener
        if listener is None:
            self._store_put(key, value)
            return
        send_old = self._send_old_values
        old = self._store_get(key) if send_old or value is None else None
        if value is None and old is None:
            return  # a delete of what the store does not hold: neither written nor forwarded
        self._store_put(key, value)
        record = self._record
        listener(key, value, old if send_old else None, record.timestamp, record.headers)

    def put_if_absent(self, key: Any, value: Any) -> Any:
        """Set ``key`` to ``value`` unless it has a value; return that value (None if absent)."""
        current = self.get(key)
        if current is None and value is not None:
            self.put(key, value)
        return current

    def delete(self, key: Any) -> Any:
        """Delete ``key``; return its old value (None if absent)."""
        old = self.get(key)
        self.put(key, None)
        return old

    # -- eviction and flushing -----------------------------------------------------------------
    def _evict(self) -> None:
        thread = self._thread_cache
        values = self._values
        sizes = self._sizes
        dirty = self._dirty
        if self._flushing:
            return  # a listener wrote back into this store mid-flush: evict after it
        while thread.size + thread.buffered > thread.max_bytes and values:
            key = next(iter(values))
            if key in dirty:
                self.flush_cache()
                dirty = self._dirty
                continue
            del values[key]
            thread.size -= sizes.pop(key)

    def flush_cache(self) -> bool:
        """Write every dirty key to the store below, forwarding each to the flush listener.

        Returns whether anything was dirty. Called by the task before a commit
        (and by eviction); the task repeats it until no cache of the task is
        dirty, since forwarding may write to a downstream store's cache. Keys are
        written and forwarded one after the other, in the order of their latest
        update, as Kafka Streams' caching stores do.
        """
        dirty = self._dirty
        if not dirty or self._flushing:
            return False
        self._flushing = True
        self._dirty = {}
        record = self._record
        saved = _record_of(record)
        try:
            if (
                self._timestamped
                and self._kfast is not None
                and self._listener is not None
                and not self._send_old_values
            ):
                self._flush_forwarding(dirty)
            else:
                flush_entry = self._flush_entry
                for key, (old, written, kb) in dirty.items():
                    flush_entry(key, old, written, kb)
        finally:
            (record.timestamp, record.headers, record.topic, record.partition, record.offset) = (
                saved
            )
            self._flushing = False
        return True

    def _flush_forwarding(self, dirty: dict[Any, list[Any]]) -> None:
        # The common case in one loop (a DSL aggregation's store: timestamped, serdes with fast
        # paths, a listener without old values): a string key and a value kept as an object
        # are serialized, written and forwarded here; any other entry (a delete, a frozen
        # value, another kind of key, a value the fast serializer refuses) by _flush_entry,
        # at its turn. The same writes, forwards and sizes as _flush_entry.
        record = self._record
        listener = self._listener
        values = self._values
        sizes = self._sizes
        thread = self._thread_cache
        put_bytes = self._put_bytes
        kfast, vfast = self._kfast, self._vfast
        flush_entry = self._flush_entry
        vt = ValueAndTimestamp
        str_key = ENTRY_OVERHEAD + 49  # estimate_size of a str key is 49 + its length
        count = str_key + _NUMBER_VT_SIZE
        for key, (old, written, kb) in dirty.items():
            entry = values[key]
            te = type(entry)
            if (
                (te is not tuple and te is not vt)
                or type(key) is not str
                or (inner := entry[0]) is None
            ):
                flush_entry(key, old, written, kb)
                continue
            try:
                raw = pack_timestamp(entry[1]) + vfast(inner)  # type: ignore[misc]
                if kb is None:
                    kb = kfast(key)  # type: ignore[misc]
            except Exception:
                flush_entry(key, old, written, kb)  # through the metered store's put
                continue
            size = count + len(key) if type(inner) is int else str_key + len(key) + pair_size(entry)
            thread.size += size - sizes[key]
            sizes[key] = size
            (record.timestamp, record.headers, record.topic, record.partition, record.offset) = (
                written
            )
            put_bytes(kb, raw)
            listener(key, entry, None, written[0], written[1])

    def _flush_entry(self, key: Any, old: Any, written: tuple[Any, ...], kb: Any) -> None:
        # one dirty key written down (with the record context of its latest write) and
        # forwarded: every kind of entry, with or without old values
        entry = self._values[key]
        sizes = self._sizes
        # the sizes of a string key and of a number's ValueAndTimestamp inline (the common
        # aggregate): estimate_size's figures, without two calls per key
        te = type(entry)
        size = ENTRY_OVERHEAD + (49 + len(key) if type(key) is str else estimate_size(key))
        if te is ValueAndTimestamp and type(entry[0]) is int:
            size += _NUMBER_VT_SIZE
        elif te is tuple and self._timestamped:  # a merged (value, timestamp) pair
            size += pair_size(entry)
        else:
            size += estimate_size(entry)
        self._thread_cache.size += size - sizes[key]
        sizes[key] = size
        listener = self._listener
        send_old = self._send_old_values
        if listener is not None:
            # as Java: the old value is read only if it is forwarded or the new one is a
            # delete, and a delete of what the store does not hold is neither written nor
            # forwarded
            if entry is None:
                if old is _UNKNOWN:
                    old = self._store_get(key)
                if old is None:
                    return
                if not send_old:
                    old = None
            elif not send_old:
                old = None
            elif old is _UNKNOWN:
                old = self._store_get(key)
        record = self._record
        ts, headers, record.topic, record.partition, record.offset = written
        record.timestamp = ts
        record.headers = headers
        kfast = self._kfast
        if te is Frozen:
            self._put_bytes(self._serialize_key(key) if kb is None else kb, entry.raw)
            entry = self._decode(entry.raw)
        elif entry is None or kfast is None:
            self._store_put(key, entry)
        else:
            # the metered store's bytes through the serdes' fast paths; a value they refuse
            # (or a null one) goes through its put, which decides (as sinks do)
            vfast = self._vfast
            try:
                if kb is None:
                    kb = kfast(key)
                if self._timestamped:
                    inner = entry[0]
                    if inner is None:
                        raise TypeError("null value")
                    raw = pack_timestamp(entry[1]) + vfast(inner)  # type: ignore[misc]
                else:
                    raw = vfast(entry)  # type: ignore[misc]
            except Exception:
                self._store_put(key, entry)
            else:
                self._put_bytes(kb, raw)
        if listener is not None:
            if type(old) is Frozen:
                old = self._decode(old.raw)
            listener(key, entry, old, ts, headers)

    # -- ranges -----------------------------------------------------------------------------
    def _scan(
        self, lo: bytes | None, hi: bytes | None, reverse: bool, concurrent: bool
    ) -> Iterator[tuple[Any, Any]]:
        # the dirty entries, encoded, merged over the store's own range as its write buffer is
        store = self._wrapped
        dirty = list(self._dirty.items())  # a snapshot (interactive queries run on other threads)
        if not dirty:
            return store.decode_entries(store.bytes_range(lo, hi, reverse, concurrent))  # type: ignore[no-any-return]
        serialize_key = self._serialize_key
        encode = self._encode
        values = self._values
        pending = []
        for key, fields in dirty:
            kb = fields[_KEY_BYTES]
            if kb is None:  # serialized once per dirty key, at its first range
                kb = fields[_KEY_BYTES] = serialize_key(key)
            if (lo is None or kb >= lo) and (hi is None or kb < hi):
                entry = values.get(key)
                if type(entry) is Frozen:
                    raw = entry.raw
                else:
                    raw = None if entry is None else encode(entry)
                pending.append((kb, raw))
        stored = store.bytes_range(lo, hi, reverse, concurrent)
        if not pending:
            return store.decode_entries(stored)  # type: ignore[no-any-return]
        pending.sort(key=lambda e: e[0], reverse=reverse)
        merged = merge_reverse(pending, stored) if reverse else merge(pending, stored)
        return store.decode_entries(merged)  # type: ignore[no-any-return]


class CachingKeyValueStore(CachingStore, KeyValueStore):
    """A :class:`~kstreams.state.typed.KeyValueStore` with a record cache in front (see the module notes)."""


class CachingTimestampedKeyValueStore(CachingStore, TimestampedKeyValueStore):
    """A :class:`~kstreams.state.typed.TimestampedKeyValueStore` with a record cache in front."""

    _timestamped = True

    def merger(
        self,
        initializer: Callable[[], Any],
        combine: Callable[[Any, Any, Any], Any],
        skip: Callable[[Any, Any], None],
        counting: bool = False,
    ) -> Callable[[Any, Any, int, Any], None]:
        """``merge(key, value, ts, headers)``: a read-modify-write of ``key`` in one call.

        The same as ``old = get(key)`` then ``put(key, ValueAndTimestamp(combine(key, value,
        agg), max(ts, old.timestamp)))``, ``agg`` being the old value or ``initializer()``
        (a fold, as RocksDB's merge operators): one lookup of a cached key, one LRU move, no
        frame for get and put. A key not cached (or a value kept frozen) takes get and put.
        A null key or value is not merged: ``skip(key, value)`` is called instead. ``merge``
        has the signature of a processor's forward function (``headers`` are the record
        context's, as for ``put``), so that it can be one. ``counting``: ``initializer`` and
        ``combine`` are a count's (0, one more), done inline for a cached key. A cached key's
        new value is kept as a plain ``(value, timestamp)`` pair, sized as its
        ``ValueAndTimestamp``: ``get`` and ranges hand out a ``ValueAndTimestamp``, flush
        listeners get the pair (see ``FlushListener``).
        """
        get, put = self.get, self.put
        new_vt = tuple.__new__

        def merge(key: Any, value: Any, ts: int, headers: Any) -> None:
            if key is None or value is None:
                skip(key, value)
                return
            values = self._values
            try:
                entry = values.get(key, _MISSING)
            except TypeError:  # an unhashable key is never cached
                entry = _MISSING
            if entry is _MISSING or type(entry) is Frozen:
                old = get(key)  # read from the store (and cached), or thawed
                if old is None:
                    put(key, new_vt(ValueAndTimestamp, (combine(key, value, initializer()), ts)))
                else:
                    agg = combine(key, value, old[0])
                    put(key, new_vt(ValueAndTimestamp, (agg, ts if ts > old[1] else old[1])))
                return
            if entry is None:  # deleted since the last flush
                agg, new_ts = combine(key, value, initializer()), ts
            elif counting:  # an int, never kept frozen
                agg = entry[0] + 1
                new_ts = ts if ts > entry[1] else entry[1]
            else:
                agg = combine(key, value, entry[0])
                new_ts = ts if ts > entry[1] else entry[1]
            if not counting and type(agg) not in IMMUTABLE_SCALARS and not is_immutable(agg):
                put(key, new_vt(ValueAndTimestamp, (agg, new_ts)))  # kept frozen
                return
            dirty = self._dirty  # put's bookkeeping of a cached key
            fields = dirty.pop(key, None) or [entry, None, None]
            r = self._record
            fields[1] = (r.timestamp, r.headers, r.topic, r.partition, r.offset)
            dirty[key] = fields
            values[key] = (agg, new_ts)  # a plain pair: no tuple.__new__ per update
            values.move_to_end(key)

        if not counting:
            return merge

        def count(key: Any, value: Any, ts: int, headers: Any) -> None:
            # merge's path of a count whose key holds a merged pair (the common update) in
            # one test: anything else (null, a miss, a delete, a ValueAndTimestamp a get
            # handed out) takes merge
            values = self._values
            try:
                entry = values.get(key)
            except TypeError:
                entry = None
            if type(entry) is not tuple or value is None:
                merge(key, value, ts, headers)
                return
            dirty = self._dirty
            fields = dirty.pop(key, None) or [entry, None, None]
            r = self._record
            fields[1] = (r.timestamp, r.headers, r.topic, r.partition, r.offset)
            dirty[key] = fields
            old_ts = entry[1]
            values[key] = (entry[0] + 1, ts if ts > old_ts else old_ts)
            values.move_to_end(key)

        return count


_CACHING: dict[type, type[CachingStore]] = {
    MeteredKeyValueStore: CachingKeyValueStore,
    MeteredTimestampedKeyValueStore: CachingTimestampedKeyValueStore,
}


def cached_store(store: Any, thread_cache: ThreadCache | None) -> Any:
    """``store`` with a record cache in front, if it is one of kstreams' key-value, window or
    session stores (a window store retaining duplicates gets none, as in Kafka Streams).

    Stores of other kinds (custom ``StoreBuilder`` s), and any store when
    ``thread_cache`` is None or has no room, are returned as they are.
    """
    if thread_cache is None or thread_cache.max_bytes <= 0:
        return store
    caching = _CACHING.get(type(store))
    if caching is None:
        from kstreams.state.window_caching import cached_window_store

        return cached_window_store(store, thread_cache)
    return caching(store, thread_cache)
