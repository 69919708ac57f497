"""The write buffer of window and session stores: stream time, expiry, and the commit protocol.

:class:`BufferedSegmentedStore` is the segmented counterpart of
:class:`~kstreams.state.buffered.BufferedBytesStore`, over a
:class:`~kstreams.state.window_bytes.SegmentedBytesEngine`. Writes land in a buffer (the
latest bytes per store key, None for a delete); reads merge it into the engine's
iteration, in the engine's order. The buffer also keeps the store's *observed stream
time*, the largest segment timestamp (window start, session end) written or restored, as
Kafka Streams' segmented stores do: a window whose timestamp is at or before
``stream time - retention`` is expired (before it, for Java's time-ordered window store),
a put of it is dropped (and counted in ``dropped-records-total`` where Java's store of the
engine's kind counts it) and reads skip it.

:meth:`BufferedSegmentedStore.commit` hands the buffer, the changelog offset and the
stream time to the engine in one :meth:`~SegmentedBytesEngine.write`. Invariant: the task
calls ``commit`` only after the changelog records of every buffered write are
acknowledged (or their transaction committed), so whatever an engine writes is already in
the changelog; the offset is stored with the data (the RocksDB engine writes it to its
metadata database after the segments), so it never claims more than the data holds, and
a restart restores only the records after it. Changelog records hold the full latest
value of a store key, so re-applying records the data already reflects is harmless.
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from kstreams.errors import IllegalStateError
from kstreams.state.api import ChangelogRecord
from kstreams.state.buffered import ENTRY_OVERHEAD, META_FORMAT, META_OFFSET, META_TOPIC
from kstreams.state.context import DEFAULT_CACHE_MAX_BYTES
from kstreams.state.thread_cache import ThreadCache
from kstreams.state.window_bytes import SegmentedBytesEngine, merge_ordered
from kstreams.state.window_schema import MAX_TIMESTAMP, unpack_long_from
from kstreams.state.wrapped import WrappedStateStore

if TYPE_CHECKING:
    from kstreams.state.context import StateStoreContext

log = logging.getLogger(__name__)

META_STREAM_TIME = b"observed-stream-time"
"""Metadata key: 8-byte big-endian observed stream time of the committed data."""

FORMAT_WINDOW = b"window"
FORMAT_TIMESTAMPED_WINDOW = b"timestamped-window"
FORMAT_SESSION = b"session"

NO_TIMESTAMP = -1
"""The stream time of a store that saw nothing yet (Java: ``ConsumerRecord.NO_TIMESTAMP``)."""

_LONG = struct.Struct(">q")
_MISSING: Any = object()


def _no_commit() -> None:
    return None


class BufferedSegmentedStore(WrappedStateStore):
    """The write-buffer layer of a window or session store (see the module notes).

    Args:
        engine: The segmented engine (RocksDB segments or memory).
        value_format: The layout of the values, kept in the engine's metadata: an engine
            holding another layout is wiped when the store opens.
        checkpointed: Whether the changelog offset is kept with the data.

    Example::

        store = BufferedSegmentedStore(InMemorySegmentedEngine("w", WINDOW_SCHEMA, 60_000))
        store.init(context)
        store.put(window_key(b"k", 0), b"v")          # buffered
        store.commit(7)                               # in the engine, with offset 7
    """

    def __init__(
        self,
        engine: SegmentedBytesEngine,
        *,
        value_format: bytes = FORMAT_WINDOW,
        checkpointed: bool = True,
    ) -> None:
        super().__init__(engine)
        self._engine = engine
        self.schema = engine.schema
        self.retention_period = engine.retention_period
        self._engine_get = engine.get
        self._engine_scan_key = engine.scan_key
        self._windows = engine.schema.name == "window"
        """Window store keys (the window start right after the record key), not sessions."""
        self._order = engine.order_key()
        """The sort key of store keys in the engine's iteration order."""
        self._suffix = engine.schema.suffix_size
        self._expiry = engine.retention_period - engine.live_offset
        """Windows older than ``stream time - _expiry`` are expired."""
        self.value_format = value_format
        self._checkpointed = checkpointed
        self._topic: str | None = None
        self._request_commit = _no_commit
        self._metrics: Any = None
        self._budget = ThreadCache(DEFAULT_CACHE_MAX_BYTES)
        self._buf: dict[bytes, bytes | None] = {}
        self._buf_by_key: dict[bytes, list[bytes]] = {}
        self._size = 0
        self._commit_requested = False
        self.observed_stream_time = NO_TIMESTAMP
        """The largest segment timestamp written or restored (Java: ``observedStreamTime``)."""
        self._committed_stream_time = NO_TIMESTAMP
        self.expired_puts = 0
        """Puts dropped because their window had expired; those Java's store of the engine's
        kind counts also go to the task's ``dropped-records-total`` (context ``metrics``)."""

    def __repr__(self) -> str:
        return f"BufferedSegmentedStore({self._engine!r})"

    # -- identity: the buffer is no changelog ----------------------------------------------
    @property
    def logged(self) -> bool:
        return False

    @property
    def changelog_topic(self) -> str | None:
        return None

    @property
    def engine(self) -> SegmentedBytesEngine:
        """The engine below."""
        return self._engine

    # -- lifecycle --------------------------------------------------------------------------
    def init(self, context: StateStoreContext) -> None:
        engine = self._engine
        engine.init(context)
        self._topic = context.changelog_topic if self._checkpointed else None
        self._request_commit = context.request_commit
        self._metrics = context.metrics
        self._reset_buffer()
        budget = context.thread_cache
        self._budget = budget if budget is not None else ThreadCache(context.cache_max_bytes)
        stored = engine.get_meta(META_FORMAT)
        if stored != self.value_format:
            if stored is not None:
                log.warning(
                    "Store %s holds values in format %r but is opened as %r: wiping it%s",
                    self.name,
                    stored.decode(errors="replace"),
                    self.value_format.decode(),
                    " (it will be restored from its changelog)" if self._topic else "",
                )
                engine.wipe()
            engine.write((), {META_FORMAT: self.value_format}, NO_TIMESTAMP)
        raw = engine.get_meta(META_STREAM_TIME)
        self.observed_stream_time = NO_TIMESTAMP if raw is None else _LONG.unpack(raw)[0]
        self._committed_stream_time = self.observed_stream_time

    def close(self) -> None:
        self._reset_buffer()
        self._engine.close()

    def _reset_buffer(self) -> None:
        self._buf = {}
        self._buf_by_key = {}
        self._budget.buffered -= self._size
        self._size = 0
        self._commit_requested = False

    # -- writes -----------------------------------------------------------------------------
    def put(self, store_key: bytes, value: bytes | None, counted: bool = True) -> bool:
        """Buffer ``value`` (None: delete) for ``store_key``; False if its window has expired.

        The store's stream time moves to the key's timestamp first, as in Java: a put far
        ahead expires older windows. ``counted``: a dropped write counts as a dropped record
        (Java counts puts, not a session store's ``remove``).
        """
        ts = unpack_long_from(store_key, len(store_key) - self._suffix)[0]  # segment_timestamp
        stream_time = self.observed_stream_time
        if ts > stream_time:
            self.observed_stream_time = stream_time = ts
        if ts < stream_time - self._expiry:
            self.expired_puts += 1
            log.debug("Store %s: skipping a write to an expired window (%d)", self.name, ts)
            if (
                counted
                and self._metrics is not None
                and self._engine.counts_dropped(ts, stream_time)
            ):
                self._metrics.dropped_records += 1
            return False
        buf = self._buf
        old = buf.get(store_key, _MISSING)
        buf[store_key] = value
        if old is _MISSING:
            key = store_key[: -self._suffix]  # the record key
            keys = self._buf_by_key.get(key)
            if keys is None:
                self._buf_by_key[key] = [store_key]
            else:
                keys.append(store_key)
            n = len(store_key) + (0 if value is None else len(value)) + ENTRY_OVERHEAD
        else:
            n = (0 if value is None else len(value)) - (0 if old is None else len(old))
        self._size += n
        budget = self._budget
        budget.buffered += n
        if budget.buffered > budget.buffer_limit and not self._commit_requested:
            self._commit_requested = True
            self._request_commit()
        return True

    def delete(self, store_key: bytes) -> bool:
        """Buffer a delete of ``store_key`` (an expired one is not counted as dropped)."""
        return self.put(store_key, None, False)

    def buffered_bytes(self) -> int:
        """The approximate memory the buffer holds now."""
        return self._size

    # -- reads ------------------------------------------------------------------------------
    def _live_from(self) -> int:
        # records expire exactly retention ms after the stream time passed them (Java's
        # time-ordered window store keeps them one ms longer: its engine says so)
        return self.observed_stream_time - self._expiry

    def get(self, store_key: bytes) -> bytes | None:
        """The value of ``store_key`` (None if absent or expired)."""
        ts = unpack_long_from(store_key, len(store_key) - self._suffix)[0]  # segment_timestamp
        if ts < self.observed_stream_time - self._expiry:
            return None
        value = self._buf.get(store_key, _MISSING)
        if value is _MISSING:
            return self._engine_get(store_key)
        return value

    def latest(self, store_key: bytes) -> bytes | None:
        """The value of ``store_key`` even if expired meanwhile (what its changelog record gets)."""
        value = self._buf.get(store_key, _MISSING)
        if value is _MISSING:
            return self._engine.get(store_key)
        return value

    def fetch(
        self,
        key_from: bytes | None,
        key_to: bytes | None,
        time_from: int,
        time_to: int,
        reverse: bool = False,
    ) -> Iterator[tuple[bytes, bytes]]:
        """Entries of record keys in ``[key_from, key_to]`` (None: unbounded) whose window
        matches ``[time_from, time_to]`` (see :class:`~kstreams.state.window_schema.KeySchema`),
        unexpired, in the engine's order (reversed with ``reverse``).

        The buffered part is a snapshot taken now, so interactive queries may call this
        from other threads.
        """
        if key_from is not None and key_from == key_to:
            return iter(self.fetch_key(key_from, time_from, time_to, reverse))
        schema = self.schema
        live_from = self.observed_stream_time - self._expiry  # _live_from, without its frame
        if time_from < live_from:
            time_from = live_from
        if self._windows and time_to < time_from:
            return iter(())
        stored = self._engine.scan(key_from, key_to, time_from, time_to, reverse)
        buf = self._buf
        if not buf:
            return stored
        matches = schema.matches
        get = buf.get
        key_of = schema.record_key
        candidates = [
            k
            for k in list(buf)
            if (key_from is None or key_of(k) >= key_from)
            and (key_to is None or key_of(k) <= key_to)
        ]
        pending = [(k, get(k)) for k in candidates if matches(k, time_from, time_to)]
        if not pending:
            return stored
        order = self._order
        if len(pending) > 1:
            pending.sort(key=lambda e: order(e[0]), reverse=reverse)
        return merge_ordered(pending, stored, order, reverse)

    def fetch_key(
        self, kb: bytes, time_from: int, time_to: int, reverse: bool = False
    ) -> list[tuple[bytes, bytes]]:
        """:meth:`fetch` of the one record key ``kb``, as a list (a join's lookup of the other
        side, a session aggregation's): the engine's entries read at once
        (:meth:`~SegmentedBytesEngine.scan_key`), the buffered ones laid over them, and no
        iterator when only one of the two has entries."""
        live_from = self.observed_stream_time - self._expiry
        if time_from < live_from:
            time_from = live_from
        windows = self._windows
        if windows and time_to < time_from:
            return []
        stored = self._engine_scan_key(kb, time_from, time_to, reverse)
        if not self._buf:
            return stored
        keys = self._buf_by_key.get(kb)
        if not keys:
            return stored
        get = self._buf.get
        if windows:
            # schema.matches without its frame: the window start follows the record key (and
            # a loop: a comprehension is a frame of its own in Python 3.11, for an entry or two)
            at = len(kb)
            pending = []
            for k in list(keys):
                if time_from <= unpack_long_from(k, at)[0] <= time_to:
                    pending.append((k, get(k)))
        else:
            matches = self.schema.matches
            pending = [(k, get(k)) for k in list(keys) if matches(k, time_from, time_to)]
        if not pending:
            return stored
        order = self._order
        if len(pending) > 1:
            pending.sort(key=lambda e: order(e[0]), reverse=reverse)
        if not stored:  # nothing committed of the key in the bounds: the buffered entries alone
            found: list[tuple[bytes, bytes]] = []
            for kv in pending:
                if kv[1] is not None:
                    found.append(kv)  # type: ignore[arg-type]
            return found
        return list(merge_ordered(pending, iter(stored), order, reverse))

    def order_key(self) -> Any:
        """The sort key of store keys in the engine's iteration order."""
        return self._engine.order_key()

    def by_end_order(self) -> Any:
        """The sort key of session store keys in the engine's find-by-end order."""
        return self._engine.by_end_order()

    def fetch_by_end(self, earliest_end: int, latest_end: int) -> list[tuple[bytes, bytes]]:
        """Sessions ending in ``[earliest_end, latest_end]`` that the engine still holds, in
        Java's order for this engine (``findSessions(earliestSessionEndTime,
        latestSessionEndTime)`` of its time-ordered RocksDB session store, of its in-memory
        store): expiry is the engine's own (whole segments on RocksDB), not the exact
        retention filter of the other reads.
        """
        engine = self._engine
        time_from = max(earliest_end, engine.retained_from(self.observed_stream_time))
        if latest_end < time_from:
            return []
        found = dict(engine.scan(None, None, time_from, MAX_TIMESTAMP))
        end_of = self.schema.segment_timestamp
        for store_key, value in list(self._buf.items()):
            if time_from <= end_of(store_key):
                if value is None:
                    found.pop(store_key, None)
                else:
                    found[store_key] = value
        entries = [(k, v) for k, v in found.items() if end_of(k) <= latest_end]
        entries.sort(key=lambda e: engine.by_end_order()(e[0]))
        return entries

    def approximate_num_entries(self) -> int:
        """The engine's estimate, corrected by the buffered inserts and deletes."""
        engine = self._engine
        n = engine.approximate_num_entries()
        for key, value in list(self._buf.items()):
            present = engine.get(key) is not None
            n += (not present) if value is not None else -present
        return max(n, 0)

    # -- commit protocol --------------------------------------------------------------------
    def flush_changelog(self) -> bool:
        return False  # the change-logging layer above sends the changelog

    def commit(self, changelog_offset: int | None) -> None:
        """Write the buffer, ``changelog_offset`` (None: unchanged) and the stream time to the engine."""
        meta: dict[bytes, bytes] = {}
        if changelog_offset is not None and self._topic is not None:
            reached = self.restore_offset()
            if reached is None or changelog_offset > reached:
                meta[META_OFFSET] = _LONG.pack(changelog_offset)
                meta[META_TOPIC] = self._topic.encode()
        stream_time = self.observed_stream_time
        if stream_time != self._committed_stream_time:
            meta[META_STREAM_TIME] = _LONG.pack(stream_time)
        if self._buf or meta:
            self._engine.write(self._buf.items(), meta, stream_time)
            self._committed_stream_time = stream_time
        self._reset_buffer()

    def abort(self) -> None:
        self._reset_buffer()
        self.observed_stream_time = self._committed_stream_time

    # -- restoration ------------------------------------------------------------------------
    def restore_offset(self) -> int | None:
        engine = self._engine
        # an in-memory engine's checkpoint lives as long as the store is open (a standby's
        # stores handed over to the active task keep theirs)
        if self._topic is None:
            return None
        if engine.get_meta(META_TOPIC) != self._topic.encode():
            return None
        raw = engine.get_meta(META_OFFSET)
        return None if raw is None else _LONG.unpack(raw)[0]

    def restore_batch(self, records: list[ChangelogRecord], last_offset: int) -> None:
        """Write ``records`` (store keys, stored values) and ``last_offset`` in one engine write.

        The stream time moves to the newest record first, as in Java, so records of
        segments already expired by then are skipped.
        """
        if self._buf:
            raise IllegalStateError(
                f"Store {self.name} cannot restore while it has uncommitted writes"
            )
        ts_of = self.schema.segment_timestamp
        stream_time = self.observed_stream_time
        for key, _, _ in records:
            ts = ts_of(key)
            if ts > stream_time:
                stream_time = ts
        self.observed_stream_time = self._committed_stream_time = stream_time
        meta = {META_OFFSET: _LONG.pack(last_offset), META_STREAM_TIME: _LONG.pack(stream_time)}
        if self._topic is not None:
            meta[META_TOPIC] = self._topic.encode()
        self._engine.write([(k, v) for k, v, _ in records], meta, stream_time)

    def wipe(self) -> None:
        self._reset_buffer()
        engine = self._engine
        engine.wipe()
        self.observed_stream_time = self._committed_stream_time = NO_TIMESTAMP
        if engine.is_open():
            engine.write((), {META_FORMAT: self.value_format}, NO_TIMESTAMP)
