"""The metered window and session stores: the typed interfaces of :mod:`kstreams.state.window_typed`
over the bytes stack, through the store's serdes (Java: ``MeteredWindowStore``,
``MeteredTimestampedWindowStore``, ``MeteredSessionStore``).

Keys become store keys of Kafka Streams' layout (:mod:`kstreams.state.window_schema`);
values are serialized at once, so what a store hands back is never an object user code
still holds. The serdes see the changelog topic, or the store name when not logged.
A window store in retain-duplicates mode numbers its puts (1, 2, ...), as Java does, so
every put is a separate entry; ``put(key, None, start)`` is then ignored.

Order of iteration is the engine's, as in Java: the RocksDB stores go segment by
segment and by store-key bytes (record key, then time) within a segment; the in-memory
window store by window start, then key; the in-memory session store by session end,
then key, then start. A single key's windows come in time order either way.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from kstreams.errors import StreamsError
from kstreams.state.typed import null_key, store_serdes
from kstreams.state.value_and_timestamp import (
    TIMESTAMP_SIZE,
    ValueAndTimestamp,
    pack_timestamp,
    unpack_timestamp,
)
from kstreams.state.value_and_timestamp import ValueAndTimestamp as VT
from kstreams.state.value_and_timestamp import new_value_and_timestamp as new_vt
from kstreams.state.window_schema import (
    MAX_TIMESTAMP,
    pack_window_suffix,
    session_key,
    session_key_parts,
    unpack_long_from,
    window_key,
    window_key_parts,
)
from kstreams.state.window_typed import SessionStore, TimestampedWindowStore, WindowStore
from kstreams.state.wrapped import WrappedStateStore
from kstreams.windows.window import SessionWindow, TimeWindow, Windowed

if TYPE_CHECKING:
    from kstreams.serde.base import Serde
    from kstreams.state.context import StateStoreContext

log = logging.getLogger(__name__)

_INVALID_RANGE = (
    "Returning empty iterator for fetch with invalid key range: from > to. This may be due "
    "to range arguments set in the wrong order, or serdes that don't preserve ordering when "
    "lexicographically comparing the serialized bytes. Note that the built-in numerical "
    "serdes do not follow this for negative numbers"
)


def _unbound(topic: str, data: Any, headers: Any = None) -> Any:
    raise StreamsError("The store is not initialized: call init() first")


class _MeteredSegmented(WrappedStateStore):
    """Serdes and the bytes stack below, shared by the window and session stores."""

    def __init__(
        self, bytes_store: Any, key_serde: Serde[Any] | None, value_serde: Serde[Any] | None
    ) -> None:
        super().__init__(bytes_store)
        self.key_serde = key_serde
        self.value_serde = value_serde
        self._topic = bytes_store.name
        self._kser: Any = _unbound
        self._kde: Any = _unbound
        self._vser: Any = _unbound
        self._vde: Any = _unbound
        # the serdes' one-argument fast paths (Serde.fast_serializer), None if they have none:
        # tried first, the full serde called when they raise (its errors, its messages)
        self._kfast: Any = None
        self._vfast: Any = None
        self._vfast_de: Any = None
        self._fetch_key: Any = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"

    def init(self, context: StateStoreContext) -> None:
        self.key_serde, self.value_serde = store_serdes(
            self.name, self.key_serde, self.value_serde, context
        )
        bytes_store = self._wrapped
        bytes_store.init(context)
        self._topic = bytes_store.changelog_topic or bytes_store.name
        self.get_at = bytes_store.get  # type: ignore[method-assign]  # no frame of ours
        self.put_at = bytes_store.put  # type: ignore[method-assign]
        # one key's entries as a list (the write buffer's), else through fetch
        self._fetch_key = getattr(bytes_store, "fetch_key", None)
        self._kser = self.key_serde.serialize  # type: ignore[union-attr]
        self._kde = self.key_serde.deserialize  # type: ignore[union-attr]
        self._vser = self.value_serde.serialize  # type: ignore[union-attr]
        self._vde = self.value_serde.deserialize  # type: ignore[union-attr]
        self._kfast = self.key_serde.fast_serializer()  # type: ignore[union-attr]
        self._vfast = self.value_serde.fast_serializer()  # type: ignore[union-attr]
        self._vfast_de = self.value_serde.fast_deserializer()  # type: ignore[union-attr]

    @property
    def serde_topic(self) -> str:
        """The topic the serdes see: the changelog topic, or the store name when not logged."""
        return self._topic

    @property
    def retention_period(self) -> int:
        """How long windows are kept, ms."""
        return self._wrapped.retention_period  # type: ignore[no-any-return]

    @property
    def observed_stream_time(self) -> int:
        """The largest window start (sessions: end) the store has seen; -1: none yet."""
        return self._wrapped.observed_stream_time  # type: ignore[no-any-return]

    def serialize_key(self, key: Any) -> bytes:
        """The serialized bytes of a record key (ValueError for a null key)."""
        if key is None:
            raise null_key(self.name)
        kfast = self._kfast
        if kfast is not None:
            try:
                return kfast(key)  # type: ignore[no-any-return]
            except Exception:
                pass  # the full serializer says why
        kb = self._kser(self._topic, key)
        if kb is None:
            raise null_key(self.name)
        return kb  # type: ignore[no-any-return]

    def encode_value(self, value: Any) -> bytes | None:
        """The stored bytes of ``value`` (None: a delete)."""
        if value is None:
            return None
        vfast = self._vfast
        if vfast is not None:
            try:
                return vfast(value)  # type: ignore[no-any-return]
            except Exception:
                pass  # the full serializer says why
        return self._vser(self._topic, value)  # type: ignore[no-any-return]

    def decode_value(self, raw: bytes) -> Any:
        """The value of stored bytes."""
        vde = self._vfast_de
        if vde is not None:
            try:
                return vde(raw)
            except Exception:
                pass  # the full deserializer says why
        return self._vde(self._topic, raw)

    def _key_bounds(self, key_from: Any, key_to: Any) -> tuple[bytes | None, bytes | None] | None:
        lo = None if key_from is None else self.serialize_key(key_from)
        hi = None if key_to is None else self.serialize_key(key_to)
        if lo is not None and hi is not None and lo > hi:
            log.warning(_INVALID_RANGE)
            return None
        return lo, hi

    def order_key(self) -> Any:
        """The sort key of store keys in the engine's iteration order (for the record cache)."""
        return self._wrapped.order_key()

    # -- the bytes-level half (for the record cache) ----------------------------------------
    def get_at(self, store_key: bytes) -> bytes | None:
        """The stored bytes at ``store_key`` (a key of :mod:`kstreams.state.window_schema`)."""
        return self._wrapped.get(store_key)  # type: ignore[no-any-return]

    def put_at(self, store_key: bytes, raw: bytes | None) -> None:
        """Store the serialized ``raw`` value (None: delete) at ``store_key``."""
        self._wrapped.put(store_key, raw)

    def approximate_num_entries(self) -> int:
        """An estimate of the number of windows (sessions) stored."""
        return self._wrapped.approximate_num_entries()  # type: ignore[no-any-return]


class MeteredWindowStore(_MeteredSegmented, WindowStore):
    """A :class:`~kstreams.state.window_typed.WindowStore` over a window bytes stack.

    Args:
        bytes_store: The bytes stack below (change-logging over the write buffer).
        key_serde: The serde of record keys; None: ``default.key.serde``.
        value_serde: The serde of values; None: ``default.value.serde``.
        window_size: The size of the windows (how ``Windowed`` keys get their end), ms.
        retain_duplicates: Whether every put is kept (stream-stream joins).

    Example::

        store.put("alice", 3, 60_000)
        store.fetch("alice", 60_000)                    # 3
        list(store.fetch_range("alice", 0, 120_000))   # [(60000, 3)]
    """

    def __init__(
        self,
        bytes_store: Any,
        key_serde: Serde[Any] | None,
        value_serde: Serde[Any] | None,
        window_size: int,
        retain_duplicates: bool = False,
    ) -> None:
        super().__init__(bytes_store, key_serde, value_serde)
        self._window_size = window_size
        self._retain_duplicates = retain_duplicates
        self._seqnum = 0
        self._windows: dict[int, TimeWindow] = {}

    @property
    def window_size(self) -> int:
        return self._window_size

    @property
    def retain_duplicates(self) -> bool:
        return self._retain_duplicates

    def window_for(self, start: int) -> TimeWindow:
        """The window of the store starting at ``start``: ``[start, start + window size)``.

        Windows cannot change, so the store hands out one object per start (many keys share
        a window: a flush or a range of them makes it once).
        """
        windows = self._windows
        window = windows.get(start)
        if window is None:
            if len(windows) >= 4096:
                windows.clear()
            window = windows[start] = TimeWindow(
                start, min(start + self._window_size, MAX_TIMESTAMP)
            )
        return window

    # -- writes -----------------------------------------------------------------------------
    def put(self, key: Any, value: Any, window_start: int) -> None:
        """Set the value of ``key`` in the window starting at ``window_start``; None deletes.

        With ``retain_duplicates`` every put is a new entry and None is ignored.
        """
        kb = self.serialize_key(key)
        if self._retain_duplicates:
            if value is None:
                return
            self._seqnum = (self._seqnum + 1) & 0x7FFFFFFF
        self._wrapped.put(
            kb + pack_window_suffix(window_start, self._seqnum), self.encode_value(value)
        )

    def store_key(self, key: Any, window_start: int) -> bytes:
        """The store key of ``key``'s window at ``window_start`` (the record cache's half)."""
        return self.serialize_key(key) + pack_window_suffix(window_start, self._seqnum)

    def put_raw(self, key: Any, raw: bytes | None, window_start: int) -> None:
        """:meth:`put` of a value already serialized with :meth:`encode_value` (None: delete,
        ignored with ``retain_duplicates``), for callers that needed its bytes anyway."""
        kb = None
        kfast = self._kfast  # serialize_key's fast path without its frame (a join's, per record)
        if kfast is not None and key is not None:
            try:
                kb = kfast(key)
            except Exception:
                kb = None  # serialize_key's full serializer says why
        if kb is None:
            kb = self.serialize_key(key)
        if self._retain_duplicates:
            if raw is None:
                return
            self._seqnum = (self._seqnum + 1) & 0x7FFFFFFF
        self._wrapped.put(kb + pack_window_suffix(window_start, self._seqnum), raw)

    # -- reads ------------------------------------------------------------------------------
    def fetch(self, key: Any, time: int, time_to: int | None = None) -> Any:
        """The value of ``key`` in the window starting exactly at ``time``, or None; with
        ``time_to``, Java's ``fetch(key, timeFrom, timeTo)``: :meth:`fetch_range`."""
        if time_to is not None:
            return self.fetch_range(key, time, time_to)
        raw = self._wrapped.get(self.serialize_key(key) + pack_window_suffix(time, self._seqnum))
        return None if raw is None else self.decode_value(raw)

    def fetch_raw(self, key: Any, time: int) -> bytes | None:
        """The stored bytes of :meth:`fetch` (the record cache's half)."""
        return self._wrapped.get(window_key(self.serialize_key(key), time, self._seqnum))  # type: ignore[no-any-return]

    def _times(
        self, key: Any, time_from: int, time_to: int, reverse: bool
    ) -> Iterator[tuple[int, Any]]:
        # read at once (the layers below read one key's entries at once too): a list, no
        # generator frame per entry (a join reads a few entries of one key per record)
        kb = self.serialize_key(key)
        decode = self.decode_value
        at = len(kb)  # where the window start sits in every store key of ``kb``
        fetch_key = self._fetch_key
        if fetch_key is None:
            entries = self._wrapped.fetch(kb, kb, time_from, time_to, reverse)
        else:
            entries = fetch_key(kb, time_from, time_to, reverse)
        return iter(
            [(unpack_long_from(store_key, at)[0], decode(raw)) for store_key, raw in entries]
        )

    def fetch_range(self, key: Any, time_from: int, time_to: int) -> Iterator[tuple[int, Any]]:
        # _times(key, time_from, time_to, False) without its frame (a join's lookup per record)
        return iter(self.fetch_range_list(key, time_from, time_to))

    def fetch_range_list(self, key: Any, time_from: int, time_to: int) -> list[tuple[int, Any]]:
        """:meth:`fetch_range` as a list (a join's lookup of the other side, per record)."""
        kb = None
        kfast = self._kfast  # serialize_key's fast path without its frame
        if kfast is not None and key is not None:
            try:
                kb = kfast(key)
            except Exception:
                kb = None  # serialize_key's full serializer says why
        if kb is None:
            kb = self.serialize_key(key)
        fetch_key = self._fetch_key
        if fetch_key is None:
            entries = self._wrapped.fetch(kb, kb, time_from, time_to, False)
        else:
            entries = fetch_key(kb, time_from, time_to)
        found: list[tuple[int, Any]] = []
        if entries:
            # a loop, not a comprehension: a join finds a few entries, and a comprehension is
            # a frame of its own (Python 3.11)
            decode = self.decode_value
            at = len(kb)
            for store_key, raw in entries:
                found.append((unpack_long_from(store_key, at)[0], decode(raw)))
        return found

    def backward_fetch_range(
        self, key: Any, time_from: int, time_to: int
    ) -> Iterator[tuple[int, Any]]:
        return self._times(key, time_from, time_to, True)

    def _windowed(
        self,
        key_from: Any,
        key_to: Any,
        time_from: int,
        time_to: int,
        reverse: bool,
    ) -> Iterator[tuple[Windowed[Any], Any]]:
        bounds = self._key_bounds(key_from, key_to)
        if bounds is None:
            return iter(())
        entries = self._wrapped.fetch(bounds[0], bounds[1], time_from, time_to, reverse)
        return self._decode_windowed(entries)

    def _decode_windowed(
        self, entries: Iterator[tuple[bytes, bytes]]
    ) -> Iterator[tuple[Windowed[Any], Any]]:
        topic = self._topic
        kde = self._kde
        decode = self.decode_value
        window = self.window_for
        for store_key, raw in entries:
            kb, start, _ = window_key_parts(store_key)
            yield Windowed(kde(topic, kb), window(start)), decode(raw)

    def fetch_keys(
        self, key_from: Any, key_to: Any, time_from: int, time_to: int
    ) -> Iterator[tuple[Windowed[Any], Any]]:
        return self._windowed(key_from, key_to, time_from, time_to, False)

    def backward_fetch_keys(
        self, key_from: Any, key_to: Any, time_from: int, time_to: int
    ) -> Iterator[tuple[Windowed[Any], Any]]:
        return self._windowed(key_from, key_to, time_from, time_to, True)

    def fetch_all(self, time_from: int, time_to: int) -> Iterator[tuple[Windowed[Any], Any]]:
        return self._windowed(None, None, time_from, time_to, False)

    def backward_fetch_all(
        self, time_from: int, time_to: int
    ) -> Iterator[tuple[Windowed[Any], Any]]:
        return self._windowed(None, None, time_from, time_to, True)

    def all(self) -> Iterator[tuple[Windowed[Any], Any]]:
        return self._windowed(None, None, 0, MAX_TIMESTAMP, False)

    def backward_all(self) -> Iterator[tuple[Windowed[Any], Any]]:
        return self._windowed(None, None, 0, MAX_TIMESTAMP, True)


class MeteredTimestampedWindowStore(MeteredWindowStore, TimestampedWindowStore):
    """A :class:`~kstreams.state.window_typed.TimestampedWindowStore`: values are
    :class:`~kstreams.state.value_and_timestamp.ValueAndTimestamp`, stored as Java stores
    them (8-byte timestamp + serialized value).

    Example::

        store.put("alice", ValueAndTimestamp(3, 61_000), 60_000)
        store.fetch("alice", 60_000)                    # ValueAndTimestamp(value=3, timestamp=61000)
    """

    def encode_value(self, value: Any) -> bytes | None:
        if value is None:
            return None
        inner = value[0]
        if inner is None:
            return None
        vfast = self._vfast
        if vfast is not None:
            try:
                return pack_timestamp(value[1]) + vfast(inner)  # type: ignore[no-any-return]
            except Exception:
                pass  # the full serializer says why
        raw = self._vser(self._topic, inner)
        return None if raw is None else pack_timestamp(value[1]) + raw

    def decode_value(self, raw: bytes) -> ValueAndTimestamp:
        vde = self._vfast_de
        if vde is not None:
            try:
                return new_vt(VT, (vde(raw[TIMESTAMP_SIZE:]), unpack_timestamp(raw)[0]))  # type: ignore[no-any-return]
            except Exception:
                pass  # the full deserializer says why
        return new_vt(  # type: ignore[no-any-return]
            VT, (self._vde(self._topic, raw[TIMESTAMP_SIZE:]), unpack_timestamp(raw)[0])
        )


class MeteredSessionStore(_MeteredSegmented, SessionStore):
    """A :class:`~kstreams.state.window_typed.SessionStore` over a session bytes stack.

    Example::

        store.put(Windowed("alice", SessionWindow(0, 5_000)), 2)
        list(store.find_sessions("alice", 0, 10_000))
        # [(Windowed('alice', SessionWindow(0, 5000)), 2)]
    """

    def _store_key(self, session: Windowed[Any]) -> bytes:
        if session is None:
            raise ValueError(f"session key cannot be null (store {self.name})")
        window = session.window
        return session_key(self.serialize_key(session.key), window.start, window.end)

    # -- writes -----------------------------------------------------------------------------
    def put(self, session: Windowed[Any], aggregate: Any) -> None:
        """Store ``aggregate`` for ``session``; None removes it."""
        self._wrapped.put(self._store_key(session), self.encode_value(aggregate))

    def remove(self, session: Windowed[Any]) -> None:
        """Remove ``session`` (``put(session, None)`` does too, but counts as a dropped
        record when the session has expired, as in Java)."""
        self._wrapped.delete(self._store_key(session))

    def session_store_key(self, key: Any, session_start: int, session_end: int) -> bytes:
        """The store key of ``key``'s session ``[start, end]`` (the record cache's half)."""
        return session_key(self.serialize_key(key), session_start, session_end)

    def put_raw(self, session: Windowed[Any], raw: bytes | None) -> None:
        """:meth:`put` of an already serialized aggregate (the record cache's half; None: remove)."""
        self._wrapped.put(self._store_key(session), raw)

    # -- reads ------------------------------------------------------------------------------
    def fetch_session(self, key: Any, session_start: int, session_end: int) -> Any:
        raw = self.fetch_session_raw(key, session_start, session_end)
        return None if raw is None else self.decode_value(raw)

    def fetch_session_raw(self, key: Any, session_start: int, session_end: int) -> bytes | None:
        """The stored bytes of :meth:`fetch_session` (the record cache's half)."""
        return self._wrapped.get(  # type: ignore[no-any-return]
            session_key(self.serialize_key(key), session_start, session_end)
        )

    def _sessions(
        self,
        key_from: Any,
        key_to: Any,
        earliest_end: int,
        latest_start: int,
        reverse: bool,
        single: bool = False,
    ) -> Iterator[tuple[Windowed[Any], Any]]:
        if single:
            kb = self.serialize_key(key_from)
            fetch_key = self._fetch_key
            if fetch_key is not None:
                return self._decode_sessions(fetch_key(kb, earliest_end, latest_start, reverse))
            bounds: tuple[bytes | None, bytes | None] | None = (kb, kb)
        else:
            bounds = self._key_bounds(key_from, key_to)
        if bounds is None:
            return iter(())
        entries = self._wrapped.fetch(bounds[0], bounds[1], earliest_end, latest_start, reverse)
        return self._decode_sessions(entries)

    def _decode_sessions(
        self, entries: Iterable[tuple[bytes, bytes]]
    ) -> Iterator[tuple[Windowed[Any], Any]]:
        topic = self._topic
        kde = self._kde
        decode = self.decode_value
        for store_key, raw in entries:
            kb, start, end = session_key_parts(store_key)
            yield Windowed(kde(topic, kb), SessionWindow(start, end)), decode(raw)

    def find_sessions(
        self, key: Any, earliest_session_end: int, latest_session_start: int
    ) -> Iterator[tuple[Windowed[Any], Any]]:
        return self._sessions(
            key, key, earliest_session_end, latest_session_start, False, single=True
        )

    def backward_find_sessions(
        self, key: Any, earliest_session_end: int, latest_session_start: int
    ) -> Iterator[tuple[Windowed[Any], Any]]:
        return self._sessions(
            key, key, earliest_session_end, latest_session_start, True, single=True
        )

    def find_sessions_range(
        self, key_from: Any, key_to: Any, earliest_session_end: int, latest_session_start: int
    ) -> Iterator[tuple[Windowed[Any], Any]]:
        return self._sessions(key_from, key_to, earliest_session_end, latest_session_start, False)

    def backward_find_sessions_range(
        self, key_from: Any, key_to: Any, earliest_session_end: int, latest_session_start: int
    ) -> Iterator[tuple[Windowed[Any], Any]]:
        """:meth:`find_sessions_range`, in reverse order."""
        return self._sessions(key_from, key_to, earliest_session_end, latest_session_start, True)

    def find_sessions_by_end(
        self, earliest_session_end: int, latest_session_end: int
    ) -> Iterator[tuple[Windowed[Any], Any]]:
        """Sessions of every key ending in ``[earliest_session_end, latest_session_end]``.

        Java's ``SessionStore.findSessions(earliestSessionEndTime, latestSessionEndTime)``
        (emit-on-window-close of session windows), as its time-ordered RocksDB session store
        answers it (by end, start, key; whole segments expire, no exact retention filter),
        or its in-memory store (by end, key, start).
        """
        entries = self._wrapped.fetch_by_end(earliest_session_end, latest_session_end)
        return self._decode_sessions(iter(entries))

    def by_end_order(self) -> Any:
        """The sort key of session store keys in :meth:`find_sessions_by_end` order (for the cache)."""
        return self._wrapped.by_end_order()

    def fetch(self, key: Any) -> Iterator[tuple[Windowed[Any], Any]]:
        return self._sessions(key, key, 0, MAX_TIMESTAMP, False, single=True)

    def backward_fetch(self, key: Any) -> Iterator[tuple[Windowed[Any], Any]]:
        return self._sessions(key, key, 0, MAX_TIMESTAMP, True, single=True)

    def fetch_range(self, key_from: Any, key_to: Any) -> Iterator[tuple[Windowed[Any], Any]]:
        return self._sessions(key_from, key_to, 0, MAX_TIMESTAMP, False)

    def backward_fetch_range(
        self, key_from: Any, key_to: Any
    ) -> Iterator[tuple[Windowed[Any], Any]]:
        """:meth:`fetch_range`, in reverse order."""
        return self._sessions(key_from, key_to, 0, MAX_TIMESTAMP, True)
