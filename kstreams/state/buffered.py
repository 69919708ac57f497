"""The write buffer over an engine: uncommitted writes, applied with the changelog offset at commit.

Every write lands in an in-memory buffer (a dict of the latest bytes per key, None for a
delete). Reads look at the buffer first; ranges merge it with the engine in key-byte
order. :meth:`BufferedBytesStore.commit` writes the buffer and the changelog offset the
task reached to the engine in one atomic batch (a RocksDB WriteBatch with the offset in
the metadata column family); :meth:`BufferedBytesStore.abort` drops the buffer. Since the
task commits only after the changelog records of those writes are acknowledged (the
change-logging layer above sends them, see :mod:`kstreams.state.changelogging`), the
local data never holds a change its changelog lacks, the offset stored with it is where
a restart resumes restoring, and a clean restart has nothing to restore.

The buffer is also where the engine's bookkeeping lives: the changelog checkpoint (never
moved backwards) and the value format (a store opened with another layout is wiped).
"""

from __future__ import annotations

import logging
import struct
from bisect import bisect_left, insort
from collections.abc import Iterator
from itertools import islice
from typing import TYPE_CHECKING, Any

from kstreams.errors import IllegalStateError
from kstreams.state.api import ChangelogRecord, KeyValueBytesEngine, KeyValueBytesStore
from kstreams.state.context import DEFAULT_CACHE_MAX_BYTES
from kstreams.state.merge import merge, merge_reverse
from kstreams.state.restore_writer import RestoreWriter
from kstreams.state.thread_cache import ThreadCache
from kstreams.state.wrapped import WrappedStateStore

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


class BufferedBytesStore(WrappedStateStore, KeyValueBytesStore):
    """The write-buffer (transaction) layer over a :class:`~kstreams.state.api.KeyValueBytesEngine`.

    Its size counts against the thread's budget (:mod:`kstreams.state.thread_cache`):
    when the write buffers of the thread outgrow it, the store asks its task for an
    early commit (once per commit).

    Args:
        engine: The engine (RocksDB or memory).
        value_format: The layout of the values (:data:`FORMAT_PLAIN`,
            :data:`FORMAT_TIMESTAMPED`), kept in the engine's metadata: an engine
            holding another layout is wiped when the store opens.
        checkpointed: Whether the changelog offset is kept with the data, for the
            context's changelog topic (False: a store without changelog).

    Example::

        store = BufferedBytesStore(RocksDBStore("counts"), value_format=FORMAT_PLAIN)
        store.init(context)
        store.put(b"k", b"v")            # in the buffer
        store.commit(41)                 # on disk, with changelog offset 41
    """

    def __init__(
        self,
        engine: KeyValueBytesEngine,
        *,
        value_format: bytes = FORMAT_PLAIN,
        checkpointed: bool = True,
    ) -> None:
        super().__init__(engine)
        self._engine = engine
        self.value_format = value_format
        self._checkpointed = checkpointed
        self._topic: str | None = None
        self._request_commit = _no_commit
        self._budget = ThreadCache(DEFAULT_CACHE_MAX_BYTES)
        self._buf: dict[bytes, bytes | None] = {}
        self._sorted: list[bytes] = []
        self._size = 0
        self._commit_requested = False

    def __repr__(self) -> str:
        return f"BufferedBytesStore({self._engine!r})"

    # -- identity: the buffer is no changelog ----------------------------------------------
    @property
    def logged(self) -> bool:
        return False

    @property
    def changelog_topic(self) -> str | None:
        return None

    # -- lifecycle --------------------------------------------------------------------------
    def init(self, context: StateStoreContext) -> None:
        self._engine.init(context)
        self._topic = context.changelog_topic if self._checkpointed else None
        self._request_commit = context.request_commit
        self._reset_buffer()
        budget = context.thread_cache
        self._budget = budget if budget is not None else ThreadCache(context.cache_max_bytes)
        self._check_format()

    def _check_format(self) -> None:
        fmt = self.value_format
        engine = self._engine
        stored = engine.get_meta(META_FORMAT)
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
            engine.wipe()
        engine.write((), {META_FORMAT: fmt})

    def close(self) -> None:
        self._reset_buffer()
        self._engine.close()

    def _reset_buffer(self) -> None:
        self._buf = {}
        self._sorted = []
        self._budget.buffered -= self._size
        self._size = 0
        self._commit_requested = False

    # -- reads ------------------------------------------------------------------------------
    def get(self, key: bytes) -> bytes | None:
        """The value of ``key``: the buffered one if any (None if deleted), else the stored one."""
        value = self._buf.get(key, _MISSING)
        if value is _MISSING:
            return self._engine.get(key)
        return value

    def range(
        self, lo: bytes | None, hi: bytes | None, reverse: bool = False, concurrent: bool = False
    ) -> Iterator[tuple[bytes, bytes]]:
        """``(key, value)`` pairs with ``lo <= key < hi`` (None: unbounded), buffer merged in.

        The buffered part is a snapshot taken now. ``concurrent``: the caller is
        not the stream thread (interactive queries), so the buffer's sorted key
        list is built privately instead of being updated in place.
        """
        stored = self._engine.range(lo, hi, reverse)
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
        engine = self._engine
        n = engine.approximate_num_entries()
        for key, value in list(self._buf.items()):
            present = engine.get(key) is not None
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
        return False  # the change-logging layer above sends the changelog

    def commit(self, changelog_offset: int | None) -> None:
        """Write the buffer and ``changelog_offset`` (None: unchanged) to the engine in one batch."""
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
            self._engine.write(buf.items(), meta)
        self._reset_buffer()

    def abort(self) -> None:
        self._reset_buffer()

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
        return None if raw is None else _OFFSET.unpack(raw)[0]

    def restore_batch(self, records: list[ChangelogRecord], last_offset: int) -> None:
        """Write ``records`` (already in the stored layout) and ``last_offset`` in one batch."""
        if self._buf:
            raise IllegalStateError(
                f"Store {self.name} cannot restore while it has uncommitted writes"
            )
        meta = {META_OFFSET: _OFFSET.pack(last_offset)}
        if self._topic is not None:
            meta[META_TOPIC] = self._topic.encode()
        self._engine.write([(k, v) for k, v, _ in records], meta)

    def restore_writer(self) -> RestoreWriter | None:
        """A bulk restoration writer straight into the engine's batch (records in the stored
        layout), written with the offset as :meth:`restore_batch` writes them; None when
        the engine has no batch of its own (then :meth:`restore_batch`)."""
        bulk_batch = getattr(self._engine, "bulk_batch", None)
        if bulk_batch is None:
            return None
        if self._buf:
            raise IllegalStateError(
                f"Store {self.name} cannot restore while it has uncommitted writes"
            )
        topic = None if self._topic is None else self._topic.encode()
        pack = _OFFSET.pack

        def meta(last_offset: int) -> dict[bytes, bytes]:
            if topic is None:
                return {META_OFFSET: pack(last_offset)}
            return {META_OFFSET: pack(last_offset), META_TOPIC: topic}

        return RestoreWriter(bulk_batch(), meta)

    def wipe(self) -> None:
        self._reset_buffer()
        engine = self._engine
        engine.wipe()
        if engine.is_open():
            engine.write((), {META_FORMAT: self.value_format})
