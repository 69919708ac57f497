"""The write buffer in front of a store engine: changelogging and the commit protocol.

Every write of a processor lands in an in-memory buffer (a dict of the latest
bytes per key, None for a delete). Reads look at the buffer first; ranges merge
it with the engine in key-byte order. At commit the task calls
:meth:`BufferedBytesStore.flush_changelog` (one changelog record per changed
key), flushes the producer, then :meth:`BufferedBytesStore.commit`, which
writes the buffer and the changelog offset to the engine in one atomic batch.
So the local store never holds a change its changelog does not have, and a
clean restart has nothing to restore.
"""

from __future__ import annotations

import logging
import struct
from bisect import bisect_left, insort
from collections.abc import Iterator
from itertools import islice
from typing import TYPE_CHECKING, Any

from kstreams.errors import IllegalStateError, StreamsError
from kstreams.state.api import ChangelogRecord, KeyValueBytesStore, StateStore
from kstreams.state.context import DEFAULT_CACHE_MAX_BYTES, wall_clock_ms
from kstreams.state.thread_cache import ThreadCache
from kstreams.state.value_and_timestamp import TIMESTAMP_SIZE, pack_timestamp, unpack_timestamp

if TYPE_CHECKING:
    from kstreams.state.context import StateStoreContext

log = logging.getLogger(__name__)

META_OFFSET = b"changelog-offset"
"""Metadata key: 8-byte big-endian offset of the last changelog record in the local data."""
META_TOPIC = b"changelog-topic"
"""Metadata key: the changelog topic that offset belongs to."""
META_FORMAT = b"value-format"
"""Metadata key: the value layout, :data:`FORMAT_PLAIN` or :data:`FORMAT_TIMESTAMPED`."""
FORMAT_PLAIN = b"key-value"
FORMAT_TIMESTAMPED = b"timestamped-key-value"

ENTRY_OVERHEAD = 112
"""Approximate bytes a buffered entry costs beyond its key and value (objects, dict slots)."""

_OFFSET = struct.Struct(">q")
_MISSING: Any = object()


def _no_commit() -> None:
    return None


class BufferedBytesStore(StateStore):
    """A bytes-level store: write buffer + changelogging over a :class:`KeyValueBytesStore`.

    Args:
        inner: The engine (RocksDB or memory).
        logging_enabled: Whether changes go to the changelog (given at init).
        log_config: Topic configs for the changelog topic (used by the runtime).
        timestamped: Whether values are ``8-byte timestamp + value`` (timestamped
            stores); their changelog records carry the bare value with the
            timestamp as record timestamp, as in Kafka Streams.
    """

    def __init__(
        self,
        inner: KeyValueBytesStore,
        *,
        logging_enabled: bool = True,
        log_config: dict[str, str] | None = None,
        timestamped: bool = False,
    ) -> None:
        self._inner = inner
        self._logging_enabled = logging_enabled
        self.log_config: dict[str, str] = dict(log_config or {})
        self.timestamped = timestamped
        self._context: StateStoreContext | None = None
        self._topic: str | None = None
        self._collector: Any = None
        self._partition = -1
        self._now = wall_clock_ms
        self._request_commit = _no_commit
        self._budget = ThreadCache(DEFAULT_CACHE_MAX_BYTES)
        self._buf: dict[bytes, bytes | None] = {}
        self._unsent: dict[bytes, int] | None = None
        self._sorted: list[bytes] = []
        self._size = 0
        self._commit_requested = False

    def __repr__(self) -> str:
        return f"BufferedBytesStore({self._inner!r}, changelog={self._topic!r})"

    # -- identity ---------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self._inner.name

    @property
    def persistent(self) -> bool:
        return self._inner.persistent

    @property
    def logged(self) -> bool:
        if self._context is None:
            return self._logging_enabled
        return self._topic is not None

    @property
    def changelog_topic(self) -> str | None:
        return self._topic

    @property
    def inner(self) -> KeyValueBytesStore:
        """The engine under the buffer."""
        return self._inner

    # -- lifecycle --------------------------------------------------------------------------
    def init(self, context: StateStoreContext) -> None:
        topic = context.changelog_topic if self._logging_enabled else None
        if topic is not None and context.collector is None:
            raise StreamsError(f"Store {self.name} is logged to {topic} but has no collector")
        self._inner.init(context)
        self._context = context
        self._topic = topic
        self._collector = context.collector
        self._partition = context.partition
        self._now = context.record_timestamp or wall_clock_ms
        self._request_commit = context.request_commit
        self._reset_buffer()
        budget = context.thread_cache
        self._budget = budget if budget is not None else ThreadCache(context.cache_max_bytes)
        self._check_format()

    def _format(self) -> bytes:
        return FORMAT_TIMESTAMPED if self.timestamped else FORMAT_PLAIN

    def _check_format(self) -> None:
        fmt = self._format()
        stored = self._inner.get_meta(META_FORMAT)
        if stored == fmt:
            return
        if stored is not None:
            log.warning(
                "Store %s holds values in format %r but is opened as %r: wiping it%s",
                self.name,
                stored.decode(errors="replace"),
                fmt.decode(),
                " (it will be restored from its changelog)" if self._topic else "",
            )
            self._inner.wipe()
        self._inner.write((), {META_FORMAT: fmt})

    def is_open(self) -> bool:
        return self._inner.is_open()

    def close(self) -> None:
        self._reset_buffer()
        self._inner.close()

    def _reset_buffer(self) -> None:
        self._buf = {}
        self._unsent = {} if self._topic is not None else None
        self._sorted = []
        self._budget.buffered -= self._size
        self._size = 0
        self._commit_requested = False

    # -- reads ------------------------------------------------------------------------------
    def get(self, key: bytes) -> bytes | None:
        """The value of ``key``: the buffered one if any (None if deleted), else the stored one."""
        value = self._buf.get(key, _MISSING)
        if value is _MISSING:
            return self._inner.get(key)
        return value

    def range(
        self, lo: bytes | None, hi: bytes | None, reverse: bool = False, concurrent: bool = False
    ) -> Iterator[tuple[bytes, bytes]]:
        """``(key, value)`` pairs with ``lo <= key < hi`` (None: unbounded), buffer merged in.

        The buffered part is a snapshot taken now. ``concurrent``: the caller is
        not the stream thread (interactive queries), so the buffer's sorted key
        list is built privately instead of being updated in place.
        """
        stored = self._inner.iterate(lo, hi, reverse)
        buf = self._buf
        if not buf:
            return stored
        keys = sorted(list(buf)) if concurrent else self._sorted_keys()
        start = 0 if lo is None else bisect_left(keys, lo)
        stop = len(keys) if hi is None else bisect_left(keys, hi)
        if start >= stop:
            return stored
        get = buf.get
        pending = [(k, get(k)) for k in keys[start:stop]]
        if reverse:
            pending.reverse()
            return merge_reverse(pending, stored)
        return merge(pending, stored)

    def _sorted_keys(self) -> list[bytes]:
        # Keys leave the buffer only when all of it is cleared, and a dict keeps
        # insertion order: the keys added since the last sort are the newest ones.
        # Only the stream thread gets here (and iterators copy their slice), so the
        # list is updated in place: a few new keys cost a binary search each.
        buf = self._buf
        keys = self._sorted
        new = len(buf) - len(keys)
        if new:
            if not keys:
                self._sorted = keys = sorted(buf)
            elif new <= 16:
                for key in islice(reversed(buf), new):
                    insort(keys, key)
            else:
                keys.extend(islice(reversed(buf), new))
                keys.sort()
        return keys

    def approximate_num_entries(self) -> int:
        """The engine's estimate, corrected by the buffered inserts and deletes."""
        n = self._inner.approximate_num_entries()
        inner_get = self._inner.get
        for key, value in list(self._buf.items()):
            present = inner_get(key) is not None
            if value is None:
                n -= present
            else:
                n += not present
        return max(n, 0)

    # -- writes -----------------------------------------------------------------------------
    def put(self, key: bytes, value: bytes | None) -> None:
        """Buffer ``value`` for ``key`` (None: delete)."""
        if value is None:
            self.delete(key)
            return
        buf = self._buf
        old = buf.get(key, _MISSING)
        buf[key] = value
        unsent = self._unsent
        if unsent is not None:
            unsent[key] = self._now()
        if old is _MISSING:
            n = len(key) + len(value) + 112  # ENTRY_OVERHEAD
        else:
            n = len(value) - (0 if old is None else len(old))
        self._size += n
        budget = self._budget
        budget.buffered += n
        if budget.buffered > budget.buffer_limit and not self._commit_requested:
            self._buffer_full()

    def delete(self, key: bytes) -> None:
        """Buffer a delete of ``key``."""
        buf = self._buf
        old = buf.get(key, _MISSING)
        buf[key] = None
        unsent = self._unsent
        if unsent is not None:
            unsent[key] = self._now()
        # a new key costs its entry (ENTRY_OVERHEAD = 112), a rewrite frees the old value
        n = len(key) + 112 if old is _MISSING else -(0 if old is None else len(old))
        self._size += n
        budget = self._budget
        budget.buffered += n
        if budget.buffered > budget.buffer_limit and not self._commit_requested:
            self._buffer_full()

    def buffered_bytes(self) -> int:
        """The approximate memory the buffer holds now (keys, values, ENTRY_OVERHEAD each)."""
        return self._size

    def _buffer_full(self) -> None:
        # the thread's write buffers outgrew its budget: ask for a commit, once per commit
        self._commit_requested = True
        self._request_commit()

    # -- commit protocol --------------------------------------------------------------------
    def flush_changelog(self) -> bool:
        unsent = self._unsent
        if not unsent:
            return False
        send = self._collector.send_changelog
        topic = self._topic
        partition = self._partition
        buf = self._buf
        if self.timestamped:
            for key, ts in unsent.items():
                value = buf[key]
                if value is None:
                    send(topic, key, None, ts, partition)
                else:
                    send(topic, key, value[TIMESTAMP_SIZE:], unpack_timestamp(value)[0], partition)
        else:
            for key, ts in unsent.items():
                send(topic, key, buf[key], ts, partition)
        self._unsent = {}
        return True

    def commit(self, changelog_offset: int | None) -> None:
        if self._unsent:
            raise IllegalStateError(
                f"Store {self.name} has {len(self._unsent)} change(s) not sent to its "
                "changelog: call flush_changelog() (and flush the producer) before commit()"
            )
        meta = None
        if changelog_offset is not None and self._topic is not None:
            # the checkpoint never goes backwards (an offset the thread remembers from an
            # earlier ownership of the partition may be older than what a restore reached)
            reached = self.restore_offset()
            if reached is None or changelog_offset > reached:
                meta = {
                    META_OFFSET: _OFFSET.pack(changelog_offset),
                    META_TOPIC: self._topic.encode(),
                }
        buf = self._buf
        if buf or meta:
            self._inner.write(buf.items(), meta)
        self._reset_buffer()

    def abort(self) -> None:
        self._reset_buffer()

    # -- restoration ------------------------------------------------------------------------
    def restore_offset(self) -> int | None:
        if not self._inner.persistent or self._topic is None:
            return None
        if self._inner.get_meta(META_TOPIC) != self._topic.encode():
            return None
        raw = self._inner.get_meta(META_OFFSET)
        return None if raw is None else _OFFSET.unpack(raw)[0]

    def restore_batch(self, records: list[ChangelogRecord], last_offset: int) -> None:
        if self._buf:
            raise IllegalStateError(
                f"Store {self.name} cannot restore while it has uncommitted writes"
            )
        if self.timestamped:
            items: Any = [
                (k, None if v is None else pack_timestamp(ts) + v) for k, v, ts in records
            ]
        else:
            items = [(k, v) for k, v, _ in records]
        meta = {META_OFFSET: _OFFSET.pack(last_offset)}
        if self._topic is not None:
            meta[META_TOPIC] = self._topic.encode()
        self._inner.write(items, meta)

    def wipe(self) -> None:
        self._reset_buffer()
        self._inner.wipe()
        if self._inner.is_open():
            self._inner.write((), {META_FORMAT: self._format()})


def merge(
    pending: list[tuple[bytes, bytes | None]], stored: Iterator[tuple[bytes, bytes]]
) -> Iterator[tuple[bytes, bytes]]:
    """Ascending ``stored`` entries with ``pending`` ones (ascending) put over them (None: deleted)."""
    # Both ascending; a buffered entry replaces (or, None, hides) the stored one.
    it = iter(pending)
    nxt = next(it, None)
    for kv in stored:
        key = kv[0]
        while nxt is not None and nxt[0] < key:
            if nxt[1] is not None:
                yield nxt  # type: ignore[misc]
            nxt = next(it, None)
        if nxt is not None and nxt[0] == key:
            if nxt[1] is not None:
                yield nxt  # type: ignore[misc]
            nxt = next(it, None)
        else:
            yield kv
    while nxt is not None:
        if nxt[1] is not None:
            yield nxt  # type: ignore[misc]
        nxt = next(it, None)


def merge_reverse(
    pending: list[tuple[bytes, bytes | None]], stored: Iterator[tuple[bytes, bytes]]
) -> Iterator[tuple[bytes, bytes]]:
    """:func:`merge` for descending entries."""
    # Both descending.
    it = iter(pending)
    nxt = next(it, None)
    for kv in stored:
        key = kv[0]
        while nxt is not None and nxt[0] > key:
            if nxt[1] is not None:
                yield nxt  # type: ignore[misc]
            nxt = next(it, None)
        if nxt is not None and nxt[0] == key:
            if nxt[1] is not None:
                yield nxt  # type: ignore[misc]
            nxt = next(it, None)
        else:
            yield kv
    while nxt is not None:
        if nxt[1] is not None:
            yield nxt  # type: ignore[misc]
        nxt = next(it, None)
