"""The RocksDB versioned bytes store: a latest-value store and history segments (KIP-889).

Kafka Streams' ``RocksDBVersionedStore``, on one write buffer over one RocksDB engine.
The latest version of each key lives in the *latest value store* (``8-byte timestamp +
value``); older versions live in *segments* of ``segment_interval`` ms, filed by their
validTo, every version of a key in one segment as one row
(:mod:`kstreams.state.versioned_segment_value`). A segment whose versions all ended
before ``observed stream time - history_retention`` is dropped whole. Keys in the
engine carry an 8-byte prefix: the segment id, ``-1`` for the latest value store,
``-2`` for this store's bookkeeping (observed stream time, the ids of live segments),
which goes through the write buffer with the data: committed together, with the
changelog offset, in one atomic batch.

The put procedure (latest value store first, then the segments newest first, then
the segment the new version's validTo picks) and its return values are Kafka
Streams'; so are the grace period (equal to the history retention) and reads older
than the retention returning None unless the latest version answers. Restoration
replays changelog records through the same procedure, with the stream time of the
end of the batch, so versions that will have expired by then are not written.
Unlike Kafka Streams 4.4, a reopened store keeps its observed stream time and its
segments (Java forgets both until records arrive), so reads after a clean restart
answer as before it.
"""

from __future__ import annotations

import logging
import struct
from bisect import bisect_left, bisect_right, insort
from typing import TYPE_CHECKING, Any

from kstreams.errors import IllegalStateError
from kstreams.state.api import ChangelogRecord
from kstreams.state.buffered import BufferedBytesStore
from kstreams.state.errors import InvalidStateStoreError
from kstreams.state.typed import prefix_end
from kstreams.state.versioned import PUT_RETURN_CODE_NOT_PUT, PUT_RETURN_CODE_VALID_TO_UNDEFINED
from kstreams.state.versioned_segment_value import SegmentValue, min_timestamp, next_timestamp
from kstreams.state.wrapped import WrappedStateStore

if TYPE_CHECKING:
    from kstreams.state.context import StateStoreContext

log = logging.getLogger(__name__)

FORMAT_VERSIONED = b"versioned-key-value"
"""The value format of the engine of a versioned store (see :mod:`kstreams.state.buffered`)."""

NO_TIMESTAMP = -1
"""Observed stream time before any put (Java: ``ConsumerRecord.NO_TIMESTAMP``)."""

_SENTINEL = -(2**63)  # no version found yet in an ongoing put
_ID = struct.Struct(">q")
_TS = struct.Struct(">q")
LATEST_PREFIX = _ID.pack(-1)
"""Key prefix of the latest value store."""
_META_PREFIX = _ID.pack(-2)
_META_STREAM_TIME = _META_PREFIX + b"observed-stream-time"
_META_SEGMENT = _META_PREFIX + b"segment:"


def segment_id(timestamp: int, segment_interval: int) -> int:
    """The segment of ``timestamp`` (Java's truncating ``timestamp / segmentInterval``)."""
    if timestamp >= 0:
        return timestamp // segment_interval
    return -(-timestamp // segment_interval)


class RocksDBVersionedStore(WrappedStateStore):
    """The versioned bytes store (Java: ``RocksDBVersionedStore``); keys and values are bytes.

    Args:
        buffer: The write buffer over the RocksDB engine (value format
            :data:`FORMAT_VERSIONED`).
        history_retention: ms of stream time old versions stay readable (and the grace
            period of out-of-order puts).
        segment_interval: ms of validTo per history segment.

    Example::

        store = RocksDBVersionedStore(BufferedBytesStore(RocksDBStore("prices"),
                                      value_format=FORMAT_VERSIONED), 60_000, 20_000)
        store.init(context)
        store.put(b"k", b"v1", 10)      # -1: the latest version
        store.put(b"k", b"v0", 5)       # 10: valid until v1
        store.get_as_of(b"k", 7)        # (b"v0", 5, 10)
    """

    def __init__(
        self, buffer: BufferedBytesStore, history_retention: int, segment_interval: int
    ) -> None:
        super().__init__(buffer)
        self._db = buffer
        self.history_retention = history_retention
        self.grace_period = history_retention
        self.segment_interval = segment_interval
        self.observed_stream_time = NO_TIMESTAMP
        self._segments: list[int] = []
        """Ids of the live segments, ascending."""
        self._open = False
        self._metrics: Any = None

    def __repr__(self) -> str:
        return f"RocksDBVersionedStore({self.name!r}, history_retention={self.history_retention})"

    # -- lifecycle ----------------------------------------------------------------------------
    def init(self, context: StateStoreContext) -> None:
        self._db.init(context)
        self._metrics = context.metrics
        self._load()
        self._open = True

    def _load(self) -> None:
        # observed stream time and live segments, as committed
        db = self._db
        raw = db.get(_META_STREAM_TIME)
        self.observed_stream_time = NO_TIMESTAMP if raw is None else _TS.unpack(raw)[0]
        lo = _META_SEGMENT
        self._segments = sorted(
            _ID.unpack(k[len(lo) :])[0] for k, _ in db.range(lo, prefix_end(lo))
        )

    def is_open(self) -> bool:
        return self._open and self._db.is_open()

    def close(self) -> None:
        self._open = False
        self._db.close()

    def abort(self) -> None:
        self._db.abort()
        if self._open:
            self._load()

    def wipe(self) -> None:
        self._db.wipe()
        self.observed_stream_time = NO_TIMESTAMP
        self._segments = []

    def _check_open(self) -> None:
        if not self._open:
            raise InvalidStateStoreError(f"Store {self.name} is currently closed")

    # -- reads --------------------------------------------------------------------------------
    def get(self, key: bytes) -> tuple[bytes, int] | None:
        """The latest version of ``key`` as ``(value, timestamp)``, or None."""
        self._check_open()
        raw = self._db.get(LATEST_PREFIX + key)
        if raw is None:
            return None
        return raw[8:], _TS.unpack_from(raw)[0]

    def get_as_of(self, key: bytes, as_of: int) -> tuple[bytes, int, int | None] | None:
        """The version of ``key`` valid at ``as_of`` as ``(value, valid_from, valid_to or None)``."""
        self._check_open()
        db = self._db
        raw = db.get(LATEST_PREFIX + key)
        if raw is not None:
            latest_ts = _TS.unpack_from(raw)[0]
            if latest_ts <= as_of:
                return raw[8:], latest_ts, None
        if as_of < self.observed_stream_time - self.history_retention:
            # older than the history retention: None, even if a segment still holds it
            return None
        for seg in self._segments_from(as_of):
            row = db.get(_ID.pack(seg) + key)
            if row is None:
                continue
            if next_timestamp(row) <= as_of:
                return None  # no version of this segment (or an older one) is valid then
            if min_timestamp(row) > as_of:
                continue
            found = SegmentValue.decode(row).find(as_of)
            if found.value is None:
                return None
            return found.value, found.valid_from, found.valid_to
        return None

    def _segments_from(self, timestamp: int) -> list[int]:
        # live segments holding validTo >= timestamp, newest first
        segs = self._segments
        start = bisect_left(segs, segment_id(timestamp, self.segment_interval))
        return segs[start:][::-1]

    def approximate_num_entries(self) -> int:
        """An estimate of the number of keys with a latest version."""
        return sum(1 for _ in self._db.range(LATEST_PREFIX, prefix_end(LATEST_PREFIX)))

    # -- writes -------------------------------------------------------------------------------
    def put(self, key: bytes, value: bytes | None, timestamp: int) -> int:
        """Put a version (None: a tombstone); return its validTo, or a ``PUT_RETURN_CODE_*``."""
        self._check_open()
        if timestamp < self.observed_stream_time - self.grace_period:
            self._expired("put")
            return PUT_RETURN_CODE_NOT_PUT
        self._advance(timestamp)
        return self._do_put(self.observed_stream_time, key, value, timestamp)

    def delete(self, key: bytes, timestamp: int) -> tuple[bytes, int, int | None] | None:
        """Put a tombstone at ``timestamp``; return the version valid then (as :meth:`get_as_of`)."""
        self._check_open()
        if timestamp < self.observed_stream_time - self.grace_period:
            self._expired("delete")
            return None
        existing = self.get_as_of(key, timestamp)
        self._advance(timestamp)
        self._do_put(self.observed_stream_time, key, None, timestamp)
        return existing

    def _expired(self, what: str) -> None:
        log.warning("Skipping record for expired %s (store %s).", what, self.name)
        metrics = self._metrics
        if metrics is not None:
            metrics.dropped_records += 1

    def _advance(self, timestamp: int) -> None:
        if timestamp > self.observed_stream_time:
            self.observed_stream_time = timestamp
            self._db.put(_META_STREAM_TIME, _TS.pack(timestamp))

    # -- segments -----------------------------------------------------------------------------
    @property
    def live_segments(self) -> list[int]:
        """The ids of the history segments on disk, oldest first (segment = validTo // interval)."""
        return list(self._segments)

    def _live_segment(self, seg: int, stream_time: int) -> int | None:
        # the segment seg, created if need be; None if it is expired
        interval = self.segment_interval
        if seg < segment_id(stream_time - self.history_retention, interval):
            return None
        segs = self._segments
        i = bisect_left(segs, seg)
        if i == len(segs) or segs[i] != seg:
            if seg < 0:
                raise IllegalStateError(f"Negative segment id {seg} in store {self.name}")
            insort(segs, seg)
            self._db.put(_META_SEGMENT + _ID.pack(seg), b"")
        return seg

    def _cleanup_expired_segments(self, stream_time: int) -> None:
        segs = self._segments
        min_live = segment_id(stream_time - self.history_retention, self.segment_interval)
        n = bisect_right(segs, min_live - 1)
        if not n:
            return
        db = self._db
        for seg in segs[:n]:
            prefix = _ID.pack(seg)
            for k, _ in list(db.range(prefix, prefix_end(prefix))):
                db.delete(k)
            db.delete(_META_SEGMENT + prefix)
        del segs[:n]

    # -- the put procedure (Java: doPut) ------------------------------------------------------
    def _do_put(self, stream_time: int, key: bytes, value: bytes | None, timestamp: int) -> int:
        self._cleanup_expired_segments(stream_time)
        done, found = self._put_latest(stream_time, key, value, timestamp)
        if not done:
            done, found = self._put_segments(stream_time, key, value, timestamp, found)
            if not done:
                found = self._finish_put(stream_time, key, value, timestamp, found)
        return PUT_RETURN_CODE_VALID_TO_UNDEFINED if found == _SENTINEL else found

    def _put_latest(
        self, stream_time: int, key: bytes, value: bytes | None, timestamp: int
    ) -> tuple[bool, int]:
        db = self._db
        lkey = LATEST_PREFIX + key
        raw = db.get(lkey)
        if raw is None:
            return False, _SENTINEL
        latest_ts = _TS.unpack_from(raw)[0]
        if timestamp < latest_ts:
            return False, latest_ts
        if timestamp > latest_ts:
            # the latest version moves to the segment of its new validTo (unless expired)
            seg = self._live_segment(segment_id(timestamp, self.segment_interval), stream_time)
            if seg is not None:
                skey = _ID.pack(seg) + key
                row = db.get(skey)
                if row is None:
                    moved = SegmentValue.with_record(raw[8:], latest_ts, timestamp)
                else:
                    moved = SegmentValue.decode(row)
                    moved.insert_as_latest(latest_ts, timestamp, raw[8:])
                db.put(skey, moved.encode())
        if value is None:
            db.delete(lkey)
        else:
            db.put(lkey, _TS.pack(timestamp) + value)
        return True, _SENTINEL

    def _put_segments(
        self, stream_time: int, key: bytes, value: bytes | None, timestamp: int, found: int
    ) -> tuple[bool, int]:
        db = self._db
        for seg in self._segments_from(timestamp):
            skey = _ID.pack(seg) + key
            row = db.get(skey)
            if row is None:
                continue
            if next_timestamp(row) <= timestamp:
                # this segment and the older ones hold nothing this put changes
                return False, found
            row_min = min_timestamp(row)
            if row_min <= timestamp:
                return True, self._put_to_segment(stream_time, seg, row, key, value, timestamp)
            if row_min < stream_time - self.history_retention:
                # the version would not change the history kept (possible during restore)
                return True, PUT_RETURN_CODE_NOT_PUT
            found = row_min
        return False, found

    def _put_to_segment(
        self,
        stream_time: int,
        seg: int,
        row: bytes,
        key: bytes,
        value: bytes | None,
        timestamp: int,
    ) -> int:
        db = self._db
        own_seg = segment_id(timestamp, self.segment_interval)
        sv = SegmentValue.decode(row)
        found = sv.find(timestamp)
        if found.valid_from == timestamp:
            # replaces a version: no validTo changes, nothing moves
            sv.update_record(timestamp, value, found.index)
            db.put(_ID.pack(seg) + key, sv.encode())
            return found.valid_to
        if own_seg != seg:
            # the version found now ends at timestamp: it moves to the older segment
            older = self._live_segment(own_seg, stream_time)
            if older is not None:
                okey = _ID.pack(older) + key
                orow = db.get(okey)
                if orow is None:
                    moved = SegmentValue.with_record(found.value, found.valid_from, timestamp)
                else:
                    moved = SegmentValue.decode(orow)
                    moved.insert_as_latest(found.valid_from, timestamp, found.value)
                db.put(okey, moved.encode())
            sv.update_record(timestamp, value, found.index)
        else:
            sv.insert(timestamp, value, found.index)
        db.put(_ID.pack(seg) + key, sv.encode())
        return found.valid_to

    def _finish_put(
        self, stream_time: int, key: bytes, value: bytes | None, timestamp: int, found: int
    ) -> int:
        db = self._db
        interval = self.segment_interval
        if found == _SENTINEL:
            if value is not None:
                db.put(LATEST_PREFIX + key, _TS.pack(timestamp) + value)
                return found
            # a tombstone is never in the latest value store: it goes to its own segment
            seg = self._live_segment(segment_id(timestamp, interval), stream_time)
            if seg is None:
                return PUT_RETURN_CODE_NOT_PUT
            skey = _ID.pack(seg) + key
            row = db.get(skey)
            if row is None:
                db.put(skey, SegmentValue.with_record(None, timestamp, timestamp).encode())
                return found
            row_next = next_timestamp(row)
            if row_next == timestamp:
                return found  # the row already ends with this tombstone
            sv = SegmentValue.decode(row)
            sv.insert_as_latest(row_next, timestamp, None)
            db.put(skey, sv.encode())
            return found
        # the version ends at found: it goes to found's segment, as its oldest or newest row entry
        seg = self._live_segment(segment_id(found, interval), stream_time)
        if seg is None:
            return PUT_RETURN_CODE_NOT_PUT
        skey = _ID.pack(seg) + key
        row = db.get(skey)
        if row is None:
            db.put(skey, SegmentValue.with_record(value, timestamp, found).encode())
            return found
        sv = SegmentValue.decode(row)
        if next_timestamp(row) <= timestamp:
            sv.insert_as_latest(timestamp, found, value)  # after a degenerate row's gap
        else:
            sv.insert_as_earliest(timestamp, value)
        db.put(skey, sv.encode())
        return found

    # -- restoration --------------------------------------------------------------------------
    def restore_batch(self, records: list[ChangelogRecord], last_offset: int) -> None:
        """Replay changelog records ``(key, value, timestamp)`` and keep ``last_offset``, atomically."""
        end_time = self.observed_stream_time
        for _, _, ts in records:
            if ts > end_time:
                end_time = ts
        for key, value, ts in records:
            if ts < self.observed_stream_time - self.grace_period:
                continue  # older than the grace period: never written
            self._advance(ts)
            self._do_put(end_time, key, value, ts)
        self._db.commit(last_offset)
