"""The engine protocol of window and session stores, and the in-memory engine.

A window or session store is the key-value stack of :mod:`kstreams.state.api` over a
*segmented* engine: its keys are store keys of :mod:`kstreams.state.window_schema`
(record key + window), and it is queried by record-key range and time range rather
than by key bytes. :class:`SegmentedBytesEngine` is what the write buffer above
(:mod:`kstreams.state.window_buffered`) needs from an engine; the engines are
:class:`InMemorySegmentedEngine` here (Java: ``InMemoryWindowStore`` /
``InMemorySessionStore``) and the RocksDB one of :mod:`kstreams.state.segments`
(Java: ``RocksDBSegmentedBytesStore`` over ``KeyValueSegments``).

Each engine iterates in the order of its Java counterpart, given by
:meth:`SegmentedBytesEngine.order_key`: Java's RocksDB stores go segment by segment,
by store-key bytes within a segment; its in-memory window store by window start, then
key; its in-memory session store by session end, then key, then start.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from kstreams.state.errors import InvalidStateStoreError
from kstreams.state.window_schema import KeySchema

if TYPE_CHECKING:
    from kstreams.state.context import StateStoreContext


class SegmentedBytesEngine(ABC):
    """The storage of a window or session store: store keys and values as bytes.

    Writes come only through :meth:`write` (the commit of the write buffer above, or a
    restored batch), together with the stream time the store reached: the engine then
    drops what that time has expired (whole segments on disk). Reads are
    :meth:`get` of one store key and :meth:`scan`, in the engine's own order.
    """

    name: str
    persistent: bool
    schema: KeySchema
    retention_period: int
    live_offset = 1
    """Windows live from ``stream time - retention + live_offset`` (Java: ``getActualFrom``;
    its time-ordered window store uses 0)."""

    @abstractmethod
    def init(self, context: StateStoreContext) -> None:
        """Open the engine for the task described by ``context``."""

    @abstractmethod
    def is_open(self) -> bool:
        """Whether the engine is open."""

    @abstractmethod
    def close(self) -> None:
        """Close the engine (a memory engine forgets its data)."""

    @abstractmethod
    def wipe(self) -> None:
        """Delete every segment and the metadata; an open engine stays open, empty."""

    @abstractmethod
    def get(self, store_key: bytes) -> bytes | None:
        """The value stored under ``store_key``, or None."""

    @abstractmethod
    def write(
        self,
        items: Iterable[tuple[bytes, bytes | None]],
        meta: Mapping[bytes, bytes] | None,
        stream_time: int,
    ) -> None:
        """Apply puts (deletes: None) and metadata, then drop what ``stream_time`` expired.

        Items of already expired segments are skipped.
        """

    @abstractmethod
    def get_meta(self, key: bytes) -> bytes | None:
        """A metadata entry written by :meth:`write`, or None."""

    @abstractmethod
    def scan(
        self,
        key_from: bytes | None,
        key_to: bytes | None,
        time_from: int,
        time_to: int,
        reverse: bool = False,
    ) -> Iterator[tuple[bytes, bytes]]:
        """Entries whose record key is in ``[key_from, key_to]`` (None: unbounded) and whose
        window matches ``[time_from, time_to]`` (:meth:`KeySchema.matches`), in
        :meth:`order_key` order (reversed with ``reverse``)."""

    def scan_key(
        self, kb: bytes, time_from: int, time_to: int, reverse: bool = False
    ) -> list[tuple[bytes, bytes]]:
        """:meth:`scan` of the one record key ``kb``, read at once into a list."""
        return list(self.scan(kb, kb, time_from, time_to, reverse))

    @abstractmethod
    def order_key(self) -> Callable[[bytes], Any]:
        """The sort key of store keys that gives this engine's iteration order."""

    @abstractmethod
    def counts_dropped(self, timestamp: int, stream_time: int) -> bool:
        """Whether an expired write of ``timestamp`` counts as a dropped record, as Java's
        store of this kind counts it (in-memory: every one; RocksDB: when its segment is gone)."""

    @abstractmethod
    def retained_from(self, stream_time: int) -> int:
        """The smallest segment timestamp the engine still holds at ``stream_time``."""

    @abstractmethod
    def by_end_order(self) -> Callable[[bytes], Any]:
        """The sort key of session store keys in the order Java finds sessions by end time
        (``findSessions(earliestSessionEndTime, latestSessionEndTime)``) on this engine."""

    @abstractmethod
    def approximate_num_entries(self) -> int:
        """An estimate of the number of entries."""


class InMemorySegmentedEngine(SegmentedBytesEngine):
    """Window or session entries in dicts (Java: ``InMemoryWindowStore`` / ``InMemorySessionStore``).

    Entries are indexed by record key (single-key fetches and session lookups touch only
    that key's windows) and by segment timestamp (expiry and time-range scans). The data
    is gone on close: the store is restored from its changelog at every start.

    Example::

        engine = InMemorySegmentedEngine("counts", WINDOW_SCHEMA, retention_period=3_600_000)
    """

    persistent = False

    def __init__(self, name: str, schema: KeySchema, retention_period: int) -> None:
        self.name = name
        self.schema = schema
        self.retention_period = retention_period
        self._data: dict[bytes, bytes] = {}
        self._by_key: dict[bytes, set[bytes]] = {}
        self._by_time: dict[int, set[bytes]] = {}
        self._times: list[int] = []
        self._meta: dict[bytes, bytes] = {}
        self._open = False
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"InMemorySegmentedEngine({self.name!r}, {self.schema.name})"

    def init(self, context: StateStoreContext) -> None:
        self._open = True

    def is_open(self) -> bool:
        return self._open

    def close(self) -> None:
        self._open = False
        self._clear()

    def _clear(self) -> None:
        with self._lock:
            self._data = {}
            self._by_key = {}
            self._by_time = {}
            self._times = []
            self._meta = {}

    def wipe(self) -> None:
        self._clear()

    def _check_open(self) -> None:
        if not self._open:
            raise InvalidStateStoreError(f"Store {self.name} is currently closed")

    def get(self, store_key: bytes) -> bytes | None:
        self._check_open()
        return self._data.get(store_key)

    def get_meta(self, key: bytes) -> bytes | None:
        self._check_open()
        return self._meta.get(key)

    def write(
        self,
        items: Iterable[tuple[bytes, bytes | None]],
        meta: Mapping[bytes, bytes] | None,
        stream_time: int,
    ) -> None:
        self._check_open()
        schema = self.schema
        ts_of = schema.segment_timestamp
        key_of = schema.record_key
        expired_before = stream_time - self.retention_period + 1
        data = self._data
        by_key = self._by_key
        by_time = self._by_time
        with self._lock:
            for store_key, value in items:
                ts = ts_of(store_key)
                if value is None:
                    if data.pop(store_key, None) is not None:
                        self._unindex(store_key, ts, key_of(store_key))
                    continue
                if ts < expired_before:
                    continue
                if store_key not in data:
                    key = key_of(store_key)
                    keys = by_key.get(key)
                    if keys is None:
                        by_key[key] = {store_key}
                    else:
                        keys.add(store_key)
                    at = by_time.get(ts)
                    if at is None:
                        by_time[ts] = {store_key}
                        insort(self._times, ts)
                    else:
                        at.add(store_key)
                data[store_key] = value
            if meta:
                self._meta.update(meta)
            self._expire(expired_before)

    def _unindex(self, store_key: bytes, ts: int, key: bytes) -> None:
        keys = self._by_key[key]
        keys.discard(store_key)
        if not keys:
            del self._by_key[key]
        at = self._by_time[ts]
        at.discard(store_key)
        if not at:
            del self._by_time[ts]
            times = self._times
            del times[bisect_left(times, ts)]

    def _expire(self, expired_before: int) -> None:
        times = self._times
        n = bisect_left(times, expired_before)
        if not n:
            return
        key_of = self.schema.record_key
        data = self._data
        by_key = self._by_key
        for ts in times[:n]:
            for store_key in self._by_time.pop(ts):
                del data[store_key]
                key = key_of(store_key)
                keys = by_key[key]
                keys.discard(store_key)
                if not keys:
                    del by_key[key]
        del times[:n]

    def scan(
        self,
        key_from: bytes | None,
        key_to: bytes | None,
        time_from: int,
        time_to: int,
        reverse: bool = False,
    ) -> Iterator[tuple[bytes, bytes]]:
        self._check_open()
        schema = self.schema
        matches = schema.matches
        key_of = schema.record_key
        with self._lock:
            if key_from is not None and key_from == key_to:
                candidates = list(self._by_key.get(key_from, ()))
                selected = [k for k in candidates if matches(k, time_from, time_to)]
            else:
                times = self._times
                if schema.name == "window":  # a window matches by its start: the index bounds it
                    lo, hi = bisect_left(times, time_from), bisect_right(times, time_to)
                else:  # a session matches by end >= time_from (and start <= time_to)
                    lo, hi = bisect_left(times, time_from), len(times)
                by_time = self._by_time
                selected = [
                    k
                    for ts in times[lo:hi]
                    for k in by_time[ts]
                    if (key_from is None or key_of(k) >= key_from)
                    and (key_to is None or key_of(k) <= key_to)
                    and matches(k, time_from, time_to)
                ]
        selected.sort(key=schema.memory_order, reverse=reverse)
        return _values_of(selected, self._data)

    def order_key(self) -> Callable[[bytes], Any]:
        return self.schema.memory_order

    def counts_dropped(self, timestamp: int, stream_time: int) -> bool:
        return True

    def retained_from(self, stream_time: int) -> int:
        return stream_time - self.retention_period + 1  # Java's removeExpiredSegments

    def by_end_order(self) -> Callable[[bytes], Any]:
        return self.schema.memory_order  # session end, key, start

    def approximate_num_entries(self) -> int:
        self._check_open()
        return len(self._data)


def _values_of(keys: list[bytes], data: dict[bytes, bytes]) -> Iterator[tuple[bytes, bytes]]:
    # values read as the iteration reaches them; entries deleted meanwhile are skipped
    get = data.get
    for key in keys:
        value = get(key)
        if value is not None:
            yield key, value


def merge_ordered(
    pending: list[tuple[bytes, bytes | None]],
    stored: Iterator[tuple[bytes, bytes]],
    order: Callable[[bytes], Any],
    reverse: bool,
) -> Iterator[tuple[bytes, bytes]]:
    """``stored`` entries with ``pending`` ones (same order, None: deleted) laid over them.

    Both are in ``order`` (descending with ``reverse``); a pending entry replaces, or
    with None hides, the stored entry of the same store key.
    """
    it = iter(pending)
    nxt = next(it, None)
    nxt_order = None if nxt is None else order(nxt[0])
    for kv in stored:
        key = kv[0]
        key_order = order(key)
        while nxt is not None and (nxt_order > key_order if reverse else nxt_order < key_order):
            if nxt[1] is not None:
                yield nxt  # type: ignore[misc]
            nxt = next(it, None)
            nxt_order = None if nxt is None else order(nxt[0])
        if nxt is not None and nxt[0] == key:
            if nxt[1] is not None:
                yield nxt  # type: ignore[misc]
            nxt = next(it, None)
            nxt_order = None if nxt is None else order(nxt[0])
        else:
            yield kv
    while nxt is not None:
        if nxt[1] is not None:
            yield nxt  # type: ignore[misc]
        nxt = next(it, None)
