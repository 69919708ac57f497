"""The RocksDB engine of window and session stores: one RocksDB per time segment.

Kafka Streams' ``RocksDBSegmentedBytesStore`` over ``KeyValueSegments``: a store key
belongs to the segment ``timestamp // segment_interval`` of its segment timestamp
(window start, session end); each segment is a RocksDB database in
``<task dir>/<store>/<store>.<segment id * segment interval>``, Java's names. When the
store's stream time moves on, segments older than ``segment_id(stream time -
retention)`` are closed and deleted from disk, so a store holds at most about
``retention / segment_interval + 2`` segments and its disk stays bounded.

The bookkeeping (changelog offset, stream time, value format) lives in a small RocksDB
of its own, ``<task dir>/<store>/kstreams-meta``. RocksDB cannot write to several
databases atomically, so a :meth:`RocksDBSegmentedEngine.write` applies the segments'
batches first and the metadata batch last: after a crash in between, the data is ahead
of the stored offset, never behind it. That is safe because the write buffer above
writes only what the changelog already holds (see :mod:`kstreams.state.window_buffered`),
and restoring from the older offset re-applies full values of the same store keys.

Opening a RocksDB costs ~15 ms here and closing one ~5-20 ms (fsync-bound: the files of a new
database, the flush of its memtable), which would stall the stream thread every time the
stream time enters a new segment. Neither holds the GIL, so both run on a background thread
(``kstreams-segments``, one per process): the segment after the stream time's is opened
ahead (its directory exists, empty, before Java would make it), and expired segments are
closed and deleted from disk there. A store waits for its background work when it closes
(and deletes a segment it opened ahead and never wrote), and a segment needed before its
opening finished is waited for (or opened again, raising its error, if that failed).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from rocksdict import Rdict, WriteBatch

from kstreams.errors import StreamsError
from kstreams.state.errors import InvalidStateStoreError
from kstreams.state.rocksdb import rocksdb_options
from kstreams.state.window_bytes import SegmentedBytesEngine
from kstreams.state.window_schema import KeySchema, session_key_parts, unpack_long_from

if TYPE_CHECKING:
    from kstreams.state.context import StateStoreContext

log = logging.getLogger(__name__)

META_DIRECTORY = "kstreams-meta"
"""The metadata database's directory inside the store's directory."""

MAX_TRACKED_KEYS = 100_000
"""The most record keys a segment remembers, each with its store key, for its scans of one key
(about 10 MB at most)."""

_UNSEEN: Any = object()


def _open_db(path: str, store: str) -> Any:
    try:
        os.makedirs(path, exist_ok=True)
        return Rdict(path, rocksdb_options())
    except Exception as e:
        hint = (
            " (is another instance or thread of this application using the same state.dir?)"
            if "lock" in str(e).lower()
            else ""
        )
        raise StreamsError(f"Error opening store {store} at location {path}{hint}: {e}") from e


_background: ThreadPoolExecutor | None = None
_background_lock = threading.Lock()


def _in_background() -> ThreadPoolExecutor:
    """The thread that opens and removes segments (made on first use)."""
    global _background
    with _background_lock:
        if _background is None:
            _background = ThreadPoolExecutor(1, thread_name_prefix="kstreams-segments")
        return _background


def _destroy_opened(opening: Future[Segment]) -> None:
    # a segment opened ahead and never written: its (empty) database goes
    with contextlib.suppress(Exception):
        opening.result().destroy()


class Segment:
    """One segment: a RocksDB database of the store keys of one time span (Java: ``KeyValueSegment``)."""

    def __init__(self, segment_id: int, path: str, store: str) -> None:
        self.id = segment_id
        self.path = path
        fresh = not os.path.exists(path)
        self.db: Any = _open_db(path, store)
        self.get = self.db.get
        self._iterators: weakref.WeakSet[Any] = weakref.WeakSet()
        self.record_keys: dict[bytes, bytes | None] | None = {} if fresh else None
        """The record keys written to this segment, each with its one store key in it (None:
        several): a key range scan of one key skips a segment without it, and reads the one
        entry of a key written once with a point lookup (a join's lookup of the other side:
        no iterator). None: not known (a segment opened from disk, one written before its
        store's first scan of one key, or one with more than ``MAX_TRACKED_KEYS`` keys)."""

    def track(self, store_keys: Iterable[bytes], suffix_size: int) -> None:
        """Remember the record keys of ``store_keys`` (written to the segment; their last
        ``suffix_size`` bytes are the window) and their store keys (see :attr:`record_keys`)."""
        known = self.record_keys
        if known is None:
            return
        for store_key in store_keys:
            record_key = store_key[:-suffix_size]
            seen = known.get(record_key, _UNSEEN)
            if seen is _UNSEEN:
                known[record_key] = store_key
            elif seen is not None and seen != store_key:
                known[record_key] = None  # several entries: scanned
        if len(known) > MAX_TRACKED_KEYS:
            self.record_keys = None

    def __repr__(self) -> str:
        return f"Segment({self.id}, {self.path!r})"

    def range(
        self, lo: bytes | None, hi: bytes | None, reverse: bool
    ) -> Iterator[tuple[bytes, bytes]]:
        """``(key, value)`` with ``lo <= key <= hi`` (None: unbounded), in key order or reversed."""
        db = self.db
        if reverse:
            items = db.items(backwards=True, from_key=hi) if hi is not None else db.items(True)
            it = _backward(items, lo)
        else:
            items = db.items(from_key=lo) if lo is not None else db.items()
            it = _forward(items, hi)
        self._iterators.add(it)
        return it

    def collect(
        self,
        kb: bytes,
        lo: bytes,
        hi: bytes,
        reverse: bool,
        schema: KeySchema,
        time_from: int,
        time_to: int,
        out: list[tuple[bytes, bytes]],
    ) -> None:
        """Append the entries of record key ``kb`` in ``[lo, hi]`` whose window matches the
        time bounds to ``out``, in key order or reversed."""
        db = self.db
        record_key = schema.record_key
        matches = schema.matches
        if reverse:
            for kv in db.items(backwards=True, from_key=hi):
                key = kv[0]
                if key < lo:
                    break
                if matches(key, time_from, time_to) and record_key(key) == kb:
                    out.append(kv)
        else:
            for kv in db.items(from_key=lo):
                key = kv[0]
                if key > hi:
                    break
                if matches(key, time_from, time_to) and record_key(key) == kb:
                    out.append(kv)

    def approximate_num_entries(self) -> int:
        """RocksDB's estimate of the keys in the segment."""
        return int(self.db.property_int_value("rocksdb.estimate-num-keys") or 0)

    def close(self) -> None:
        """Close the database (iterators handed out end)."""
        for it in list(self._iterators):
            # one being iterated right now by an interactive query's thread cannot be closed
            with contextlib.suppress(ValueError):
                it.close()
        self._iterators = weakref.WeakSet()
        self.db.close()

    def destroy(self) -> None:
        """Close the segment and delete its files."""
        self.close()
        shutil.rmtree(self.path, ignore_errors=True)


def _forward(items: Any, hi: bytes | None) -> Iterator[tuple[bytes, bytes]]:
    for kv in items:
        if hi is not None and kv[0] > hi:
            return
        yield kv


def _backward(items: Any, lo: bytes | None) -> Iterator[tuple[bytes, bytes]]:
    for kv in items:
        if lo is not None and kv[0] < lo:
            return
        yield kv


class RocksDBSegmentedEngine(SegmentedBytesEngine):
    """Window or session entries in time segments, one RocksDB each (see the module notes).

    Iteration is Java's: segment by segment (oldest first), by store-key bytes within a
    segment; with ``time_ordered`` as Java's time-ordered stores iterate, time first
    (windows: start, key, sequence number; sessions: end, start, key). ``segment_paths()``
    lists the segments on disk.

    Example::

        engine = RocksDBSegmentedEngine("counts", WINDOW_SCHEMA, 86_400_000, 43_200_000)
    """

    persistent = True

    def __init__(
        self,
        name: str,
        schema: KeySchema,
        retention_period: int,
        segment_interval: int,
        time_ordered: bool = False,
    ) -> None:
        if segment_interval < 1:
            raise ValueError(f"segmentInterval cannot be zero or negative (store {name})")
        self.time_ordered = time_ordered
        """Iterate time first within a segment, as Java's time-ordered stores (the DSL's
        emit-on-window-close stores) do; the keys on disk and in the changelog are the same.
        Java's time-ordered window store also keeps windows one ms longer (from ``stream
        time - retention``, not ``+ 1``)."""
        if time_ordered and schema.name == "window":
            self.live_offset = 0
        self.name = name
        self.schema = schema
        self._suffix = schema.suffix_size  # the segment timestamp opens the suffix
        self._windows = schema.name == "window"
        self._tracking = False
        """Whether written segments remember their record keys (:attr:`Segment.record_keys`):
        from the first scan of one key on (a join's, a session aggregation's lookups); a store
        only read by point lookups (a window aggregation's) does not pay for it."""
        self.retention_period = retention_period
        self.segment_interval = segment_interval
        self.directory: str | None = None
        self._segments: dict[int, Segment] = {}
        """The open segments by id, in id order."""
        self._opening: dict[int, Future[Segment]] = {}
        """Segments being opened ahead on the background thread (see the module notes)."""
        self._removing: list[tuple[int, Future[None]]] = []
        """Segments being closed and deleted on the background thread (expired ones, and
        ones opened ahead in vain)."""
        self._meta: Any = None

    def __repr__(self) -> str:
        return f"RocksDBSegmentedEngine({self.name!r}, {self.schema.name}, path={self.directory!r})"

    # -- segments ---------------------------------------------------------------------------
    def segment_id(self, timestamp: int) -> int:
        """The segment of a timestamp (Java: ``segmentId``)."""
        return timestamp // self.segment_interval

    def segment_name(self, segment_id: int) -> str:
        """The directory name of a segment (Java: ``segmentName``)."""
        return f"{self.name}.{segment_id * self.segment_interval}"

    def segment_paths(self) -> list[str]:
        """The directories of the open segments, oldest first."""
        return [self._segments[i].path for i in sorted(self._segments)]

    def _segment_path(self, segment_id: int) -> str:
        assert self.directory is not None
        return os.path.join(self.directory, self.segment_name(segment_id))

    def _segment(self, segment_id: int) -> Segment:
        segment = self._segments.get(segment_id)
        if segment is None:
            opening = self._opening.pop(segment_id, None)
            if opening is not None:
                try:
                    segment = opening.result()
                except Exception:  # opened again below: its error is raised where it is needed
                    segment = None
            if segment is None:
                for removed, future in self._removing:
                    if removed == segment_id:  # its directory is going: wait, then start anew
                        with contextlib.suppress(Exception):
                            future.result()
                segment = Segment(segment_id, self._segment_path(segment_id), self.name)
            segments = self._segments
            later = segments and next(reversed(segments)) > segment_id
            segments[segment_id] = segment
            if later:  # kept in id order: scans iterate it as it is
                self._segments = dict(sorted(segments.items()))
        return segment

    def _open_ahead(self, stream_time: int) -> None:
        # the segment after the stream time's is opened in the background (stream time is a
        # segment timestamp: a tumbling window's start is its segment's start, so there is no
        # later moment to wait for)
        upcoming = stream_time // self.segment_interval + 1
        opening = self._opening
        for segment_id in [i for i in opening if i < upcoming]:  # passed over, never written
            future = _in_background().submit(_destroy_opened, opening.pop(segment_id))
            self._removing.append((segment_id, future))
        if upcoming not in self._segments and upcoming not in opening:
            self._opening[upcoming] = _in_background().submit(
                Segment, upcoming, self._segment_path(upcoming), self.name
            )

    def settle(self) -> None:
        """Wait for the segments being opened or removed in the background."""
        for future in list(self._opening.values()):
            with contextlib.suppress(Exception):
                future.result()
        removing, self._removing = self._removing, []
        for _, future in removing:
            with contextlib.suppress(Exception):
                future.result()

    def _open_existing(self) -> None:
        assert self.directory is not None
        prefix = self.name + "."
        for entry in sorted(os.listdir(self.directory)):
            if not entry.startswith(prefix):
                continue
            try:
                start = int(entry[len(prefix) :])
            except ValueError:
                log.warning("Store %s: ignoring %s in %s", self.name, entry, self.directory)
                continue
            self._segment(start // self.segment_interval)

    def _cleanup(self, stream_time: int) -> None:
        min_live = self.segment_id(stream_time - self.retention_period)
        removing = self._removing
        for segment_id in sorted(self._segments):
            if segment_id >= min_live:
                break
            # closed (its memtable flushed) and deleted off the stream thread
            future = _in_background().submit(self._segments.pop(segment_id).destroy)
            removing.append((segment_id, future))
        if removing:
            self._removing = [(i, f) for i, f in removing if not f.done()]

    # -- lifecycle --------------------------------------------------------------------------
    def init(self, context: StateStoreContext) -> None:
        if self._meta is not None:
            raise StreamsError(f"Store {self.name} is already open at {self.directory}")
        if not context.state_dir:
            raise StreamsError(f"Store {self.name} is persistent and needs a state directory")
        if self.name == "rocksdb":
            raise StreamsError(
                "A window or session store cannot be named 'rocksdb': its directory "
                f"{os.path.join(context.state_dir, 'rocksdb')} holds the task's key-value "
                "stores; choose another store name"
            )
        self.directory = os.path.join(context.state_dir, self.name)
        self._open()

    def _open(self) -> None:
        assert self.directory is not None
        os.makedirs(self.directory, exist_ok=True)
        self._meta = _open_db(os.path.join(self.directory, META_DIRECTORY), self.name)
        try:
            self._open_existing()
        except Exception:
            self.close()
            raise

    def is_open(self) -> bool:
        return self._meta is not None

    def close(self) -> None:
        self.settle()
        for opening in self._opening.values():
            _destroy_opened(opening)  # opened ahead, never written: not left on disk
        self._opening = {}
        for segment in self._segments.values():
            segment.close()
        self._segments = {}
        if self._meta is not None:
            self._meta.close()
            self._meta = None

    def wipe(self) -> None:
        was_open = self._meta is not None
        self.close()
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
            if was_open:
                self._open()

    def _check_open(self) -> None:
        if self._meta is None:
            raise InvalidStateStoreError(f"Store {self.name} is currently closed")

    # -- data -------------------------------------------------------------------------------
    def get(self, store_key: bytes) -> bytes | None:
        if self._meta is None:
            raise InvalidStateStoreError(f"Store {self.name} is currently closed")
        ts = unpack_long_from(store_key, len(store_key) - self._suffix)[0]  # segment_timestamp
        segment = self._segments.get(ts // self.segment_interval)
        return None if segment is None else segment.get(store_key)  # type: ignore[no-any-return]

    def get_meta(self, key: bytes) -> bytes | None:
        self._check_open()
        return self._meta.get(key)  # type: ignore[no-any-return]

    def write(
        self,
        items: Iterable[tuple[bytes, bytes | None]],
        meta: Mapping[bytes, bytes] | None,
        stream_time: int,
    ) -> None:
        self._check_open()
        suffix = self._suffix  # the segment timestamp opens the suffix: no frame per item
        interval = self.segment_interval
        min_live = self.segment_id(stream_time - self.retention_period)
        # one pass: each live segment's WriteBatch, and the store keys put in it (what a
        # tracking segment remembers; none: only deletes)
        tracking = self._tracking
        batches: dict[int, tuple[Any, list[bytes]]] = {}
        for kv in items:
            key = kv[0]
            segment_id = unpack_long_from(key, len(key) - suffix)[0] // interval
            if segment_id < min_live:
                continue  # an expired segment (Java: getOrCreateSegmentIfLive)
            batch = batches.get(segment_id)
            if batch is None:
                batch = batches[segment_id] = (WriteBatch(raw_mode=True), [])
            value = kv[1]
            if value is None:
                batch[0].delete(key)
            else:
                batch[0].put(key, value)
                batch[1].append(key)
        for segment_id in sorted(batches):
            wb, put = batches[segment_id]
            if not put and segment_id not in self._segments:
                continue  # deletes of a segment that holds nothing
            segment = self._segment(segment_id)
            segment.db.write(wb)
            if segment.record_keys is not None:
                if tracking:
                    segment.track(put, suffix)
                else:  # written while nothing scans one key: the segment does not know its keys
                    segment.record_keys = None
        if meta:
            wb = WriteBatch(raw_mode=True)
            for key, value in meta.items():
                wb.put(key, value)
            self._meta.write(wb)
        self._cleanup(stream_time)
        if self._segments:
            self._open_ahead(stream_time)

    def scan(
        self,
        key_from: bytes | None,
        key_to: bytes | None,
        time_from: int,
        time_to: int,
        reverse: bool = False,
    ) -> Iterator[tuple[bytes, bytes]]:
        if key_from is not None and key_from == key_to:
            return iter(self.scan_key(key_from, time_from, time_to, reverse))
        if self._meta is None:
            raise InvalidStateStoreError(f"Store {self.name} is currently closed")
        schema = self.schema
        lo = None if key_from is None else schema.range_lower(key_from)
        hi = None if key_to is None else schema.range_upper(key_to, time_to)
        ids = self._segment_ids(time_from, time_to, reverse)
        return self._scan(
            [self._segments[i] for i in ids], lo, hi, key_from, key_to, time_from, time_to, reverse
        )

    def _segment_ids(self, time_from: int, time_to: int, reverse: bool) -> list[int]:
        # the open segments that may hold entries matching the time bounds, in scan order
        interval = self.segment_interval
        first = time_from // interval  # segment_id, without its frame (a join scans per record)
        if self._windows:
            last = time_to // interval
            ids = [i for i in self._segments if first <= i <= last]
        else:  # sessions are found by end >= time_from: every later segment may hold one
            ids = [i for i in self._segments if i >= first]
        if reverse:
            ids.reverse()
        return ids

    def scan_key(
        self, kb: bytes, time_from: int, time_to: int, reverse: bool = False
    ) -> list[tuple[bytes, bytes]]:
        # one key (the joins' and aggregations' lookups): the segments that may hold it, read
        # at once (a few entries; no generator per segment and entry)
        if self._meta is None:
            raise InvalidStateStoreError(f"Store {self.name} is currently closed")
        self._tracking = True  # the segments written from now on remember their keys
        segments = self._segments
        first = time_from // self.segment_interval  # _segment_ids, without its frame
        last = time_to // self.segment_interval if self._windows else None
        ids = list(segments)  # a snapshot: segments may be opened meanwhile (queries)
        if reverse:
            ids.reverse()
        found: list[tuple[bytes, bytes]] = []
        schema = self.schema
        lo = hi = b""
        matches = schema.matches
        for i in ids:  # filtered here: a comprehension is a frame of its own (Python 3.11)
            if i < first or (last is not None and i > last):
                continue
            segment = segments[i]
            known = segment.record_keys
            only: bytes | None = None
            if known is not None:
                only = known.get(kb, _UNSEEN)
                if only is _UNSEEN:
                    continue  # the segment holds no entry of the key
            if not lo:
                lo = schema.lower_bound(kb, time_from)
                hi = schema.upper_bound(kb, time_to)
            if only is None:
                segment.collect(kb, lo, hi, reverse, schema, time_from, time_to, found)
            elif lo <= only <= hi and matches(only, time_from, time_to):
                value = segment.get(only)  # the key's one entry here: no iterator
                if value is not None:
                    found.append((only, value))
        return found

    def _scan(
        self,
        segments: list[Segment],
        lo: bytes | None,
        hi: bytes | None,
        key_from: bytes | None,
        key_to: bytes | None,
        time_from: int,
        time_to: int,
        reverse: bool,
    ) -> Iterator[tuple[bytes, bytes]]:
        matches = self.schema.matches
        key_of = self.schema.record_key
        resort = self.time_ordered and not (key_from is not None and key_from == key_to)
        for segment in segments:
            entries = segment.range(lo, hi, reverse)
            if resort:  # time first within the segment (one key's entries already are)
                entries = iter(
                    sorted(
                        entries, key=lambda kv: self.schema.time_first_order(kv[0]), reverse=reverse
                    )
                )
            for kv in entries:
                key = kv[0]
                if not matches(key, time_from, time_to):
                    continue
                if key_from is not None or key_to is not None:
                    record_key = key_of(key)
                    if (key_from is not None and record_key < key_from) or (
                        key_to is not None and record_key > key_to
                    ):
                        continue
                yield kv

    def order_key(self) -> Callable[[bytes], Any]:
        if self.time_ordered:
            return self.schema.time_first_order
        ts_of = self.schema.segment_timestamp
        interval = self.segment_interval

        def order(store_key: bytes) -> tuple[int, bytes]:
            return ts_of(store_key) // interval, store_key

        return order

    def counts_dropped(self, timestamp: int, stream_time: int) -> bool:
        # Java's getOrCreateSegmentIfLive: only a write to a dropped segment is counted
        return self.segment_id(timestamp) < self.segment_id(stream_time - self.retention_period)

    def retained_from(self, stream_time: int) -> int:
        # whole segments expire: the oldest live one starts here
        return self.segment_id(stream_time - self.retention_period) * self.segment_interval

    def by_end_order(self) -> Callable[[bytes], Any]:
        # Java's time-ordered session store keys: end, start, key
        def order(store_key: bytes) -> tuple[int, int, bytes]:
            key, start, end = session_key_parts(store_key)
            return end, start, key

        return order

    def approximate_num_entries(self) -> int:
        self._check_open()
        return sum(s.approximate_num_entries() for s in self._segments.values())
