"""The suppression buffer: an in-memory, changelogged, time-ordered buffer of KTable changes.

Java: ``InMemoryTimeOrderedKeyValueChangeBuffer``. One entry per key (the latest change, its
record context and the key's *prior* value, i.e. the old value when it was first buffered),
ordered by buffer time then key bytes; a key updated while buffered keeps its place (Kafka
Streams' non-resetting semantics). Keys and values are serialized when buffered, so user
code mutating a value later changes nothing here.

The changelog format is :mod:`kstreams.state.buffer_value`. Durability, in the :class:`~kstreams.state.api.StateStore` commit protocol:

* every change marks its key dirty and remembers the key's entry as of the last commit (an
  undo log);
* :meth:`InMemoryTimeOrderedKeyValueChangeBuffer.flush_changelog` sends each dirty key's
  entry (or a tombstone for an evicted key) to the changelog, in Kafka Streams' record
  format (version 3: record context, prior, old and new value, buffer time; header ``v`` = 3
  when the collector takes headers, as the runtime's and the test driver's do);
* after the producer flush (under exactly-once: the transaction commit),
  :meth:`~InMemoryTimeOrderedKeyValueChangeBuffer.commit` forgets the undo log and records
  the changelog offset reached, kept with the data; :meth:`abort` puts the undo log back;
* on a restart the buffer is empty (it lives in memory, as in Kafka Streams) and is restored
  from the whole compacted changelog; under exactly-once the restore reads committed records
  only, so the buffer comes back exactly as of the last commit: a result emitted in a
  committed transaction is gone from it, one not yet emitted is in it.
"""

from __future__ import annotations

import heapq
import inspect
import struct
from collections.abc import Callable, Iterator
from typing import Any

from kstreams.errors import SerializationError, StreamsError
from kstreams.state.api import ChangelogRecord
from kstreams.state.buffer_value import (
    CHANGELOG_HEADERS,
    CHANGELOG_VERSION,
    MAX_TIMESTAMP,
    BufferValue,
    Eviction,
    RecordContext,
    deserialize_entry,
    entry_size,
    record_size,
    serialize_entry,
)
from kstreams.state.changelogged_buffer import ChangeloggedBuffer, ChangeloggedBufferBuilder
from kstreams.state.context import wall_clock_ms

_Entry = tuple[int, BufferValue, int]
"""``(buffer time, value, size as counted against max_bytes)``."""
_ABSENT: Any = None


class InMemoryTimeOrderedKeyValueChangeBuffer(ChangeloggedBuffer):
    """The suppression buffer (Java: ``InMemoryTimeOrderedKeyValueChangeBuffer``).

    Used by the suppress processor: :meth:`put` a change with its buffer time (record time,
    or the window end), :meth:`evict_while` the oldest entries out, and :meth:`num_records`,
    :meth:`buffer_size`, :meth:`min_timestamp` to enforce the limits. Serdes are applied
    here; None ones take the app's defaults when the task opens the store.

    Example::

        buffer = TimeOrderedKeyValueBufferBuilder("s-store", Serdes.String(), Serdes.Long()).build()
        buffer.init(context)
        buffer.put(10, "k", Change(2, 1), (10, 5, "in", 0, None))
        buffer.evict_while(lambda: buffer.min_timestamp() <= 10, emit)
    """

    _kind = "Suppression buffer"
    _serde_hint = (
        "give the suppressed table's serdes (e.g. Materialized.with_(...) upstream) or set "
        "default.key.serde / default.value.serde"
    )

    def __init__(
        self, name: str, key_serde: Any, value_serde: Any, logging_enabled: bool = True
    ) -> None:
        self._name = name
        self.key_serde = key_serde
        self.value_serde = value_serde
        self._logging = logging_enabled
        self._reset_connection()
        self._headers = False
        self._entries: dict[bytes, _Entry] = {}
        self._heap: list[tuple[int, bytes, int]] = []
        self._seq: dict[bytes, int] = {}
        self._next_seq = 0
        self._size = 0
        self._dirty: set[bytes] = set()
        self._undo: dict[bytes, _Entry | None] = {}
        self._ser_key: Callable[[Any], bytes] = _unset
        self._ser_value: Callable[[Any], bytes | None] = _unset
        self._de_key: Callable[[bytes], Any] = _unset
        self._de_value: Callable[[bytes | None], Any] = _unset

    def __repr__(self) -> str:
        return (
            f"InMemoryTimeOrderedKeyValueChangeBuffer({self._name!r}, "
            f"changelog={self._topic!r}, records={len(self._entries)}, bytes={self._size})"
        )

    def _bind_serdes(self) -> None:
        t = self._topic or self._name
        self._headers = _takes_headers(self._collector)
        ks, vs = self.key_serde, self.value_serde
        name = self._name
        fast_key, fast_value = _fast(ks), _fast(vs)

        def ser_key(key: Any) -> bytes:
            if fast_key is not None and key is not None:
                try:
                    return fast_key(key)  # type: ignore[no-any-return]
                except Exception:  # the full serializer below names the error
                    pass
            data = ks.serialize(t, key)
            if data is None:
                raise SerializationError(
                    f"Suppression buffer {name}: key {key!r} serialized to null"
                )
            return data  # type: ignore[no-any-return]

        def ser_value(value: Any) -> bytes | None:
            if value is None:
                return None
            if fast_value is not None:
                try:
                    return fast_value(value)  # type: ignore[no-any-return]
                except Exception:  # the full serializer below names the error
                    pass
            return vs.serialize(t, value)  # type: ignore[no-any-return]

        self._ser_key = ser_key
        self._ser_value = ser_value
        self._de_key = lambda data: ks.deserialize(t, data)
        self._de_value = lambda data: None if data is None else vs.deserialize(t, data)

    def _clear(self) -> None:
        self._entries = {}
        self._heap = []
        self._seq = {}
        self._size = 0
        self._dirty = set()
        self._undo = {}
        self._offset = None

    # -- the time-ordered map -----------------------------------------------------------------------
    def _set(self, key: bytes, time: int, value: BufferValue, size: int | None = None) -> None:
        """Put ``key`` at ``time`` (a key already present keeps its time and place)."""
        if size is None:
            size = record_size(key, value)
        entries = self._entries
        prev = entries.get(key)
        if prev is None:
            entries[key] = (time, value, size)
            seq = self._next_seq
            self._next_seq = seq + 1
            self._seq[key] = seq
            heapq.heappush(self._heap, (time, key, seq))
            self._size += size
        else:
            entries[key] = (prev[0], value, size)
            self._size += size - prev[2]

    def _remove(self, key: bytes) -> _Entry | None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._seq.pop(key, None)
            self._size -= entry[2]
        return entry

    def _first(self) -> tuple[int, bytes] | None:
        """The live entry first in (time, key bytes) order; stale heap items are dropped."""
        heap, seqs = self._heap, self._seq
        while heap:
            time, key, seq = heap[0]
            if seqs.get(key) == seq:
                return time, key
            heapq.heappop(heap)
        return None

    def _touch(self, key: bytes) -> None:
        # remember the committed entry of ``key`` before its first change since the commit
        if key not in self._undo:
            self._undo[key] = self._entries.get(key)
        if self._topic is not None:
            self._dirty.add(key)

    # -- the buffer API ------------------------------------------------------------------------------
    def put(self, time: int, key: Any, change: Any, context: RecordContext) -> None:
        """Buffer ``change`` (a ``Change(new, old)``) of ``key`` at buffer ``time``.

        The key's prior value is the old value of its first buffered change.
        """
        if not self._open:
            self._check_open()
        if change is None:
            raise ValueError(f"Suppression buffer {self._name}: value cannot be None")
        kb = self._ser_key(key)
        ser = self._ser_value
        new, old = ser(change.new_value), ser(change.old_value)
        current = self._entries.get(kb)
        prior = old if current is None else current[1].prior
        if prior is not old and prior == old:
            prior = old  # de-duplicated, as Java's BufferValue does
        undo = self._undo
        if kb not in undo:
            undo[kb] = current
        if self._topic is not None:
            self._dirty.add(kb)
        self._set(
            kb,
            time,
            BufferValue(prior, old, new, context),
            entry_size(kb, prior, old, new, context),
        )

    def evict_while(
        self, predicate: Callable[[], bool], callback: Callable[[Eviction], None]
    ) -> int:
        """While ``predicate()`` holds, pass the first entry (earliest buffer time, then key
        bytes) to ``callback`` and remove it. Returns the number evicted."""
        n = 0
        de_key, de_value = self._de_key, self._de_value
        while predicate():
            first = self._first()
            if first is None:
                break
            _, kb = first
            value = self._entries[kb][1]
            callback(Eviction(de_key(kb), de_value(value.new), de_value(value.old), value.context))
            self._touch(kb)
            self._remove(kb)
            heapq.heappop(self._heap)
            n += 1
        return n

    def prior_value_for_buffered(self, key: Any) -> tuple[bool, Any]:
        """``(True, prior value)`` if ``key`` is buffered (what the table held before its
        first buffered update), else ``(False, None)`` (Java: ``priorValueForBuffered``)."""
        entry = self._entries.get(self._ser_key(key))
        if entry is None:
            return False, None
        return True, self._de_value(entry[1].prior)

    def num_records(self) -> int:
        """How many keys are buffered."""
        return len(self._entries)

    def buffer_size(self) -> int:
        """The buffered bytes as Kafka Streams counts them (keys, values, record contexts)."""
        return self._size

    def min_timestamp(self) -> int:
        """The earliest buffer time, or ``MAX_TIMESTAMP`` when empty."""
        first = self._first()
        return MAX_TIMESTAMP if first is None else first[0]

    def entries(self) -> Iterator[tuple[int, bytes, BufferValue]]:
        """``(buffer time, key bytes, value)`` in eviction order (for tests and inspection)."""
        for key, (time, value, _) in sorted(
            self._entries.items(), key=lambda kv: (kv[1][0], kv[0])
        ):
            yield time, key, value

    # -- commit protocol ------------------------------------------------------------------------------
    def flush_changelog(self) -> bool:
        """Send every key changed since the last flush: its entry, or a tombstone if evicted."""
        dirty = self._dirty
        if not dirty:
            return False
        send = self._collector.send_changelog
        topic, partition = self._topic, self._partition
        entries = self._entries
        now = wall_clock_ms()  # Kafka Streams leaves these records' timestamps to the producer
        headers = list(CHANGELOG_HEADERS) if self._headers else None
        for key in sorted(dirty):
            entry = entries.get(key)
            if entry is None:
                send(topic, key, None, now, partition)  # a tombstone without headers, as Java's
            elif headers is None:
                send(topic, key, serialize_entry(entry[1], entry[0]), now, partition)
            else:
                value = serialize_entry(entry[1], entry[0])
                send(topic, key, value, now, partition, headers=headers)
        self._dirty = set()
        return True

    def commit(self, changelog_offset: int | None) -> None:
        """Forget the undo log and keep ``changelog_offset`` (None: unchanged) with the data."""
        self._check_flushed(len(self._dirty))
        self._undo = {}
        self._keep_offset(changelog_offset)

    def abort(self) -> None:
        """Put back every entry changed since the last commit (an aborted transaction)."""
        undo = self._undo
        self._undo = {}
        self._dirty = set()
        for key, entry in undo.items():
            self._remove(key)
            if entry is not None:
                self._set(key, entry[0], entry[1], entry[2])

    def restore_batch(self, records: list[ChangelogRecord], last_offset: int) -> None:
        """Apply changelog records (entries in Kafka Streams' v3 layout, tombstones)."""
        self._check_can_restore(bool(self._undo or self._dirty))
        for key, value, _ts in records:
            if value is None:
                self._remove(key)
                continue
            try:
                buffered, time = deserialize_entry(value)
            except (ValueError, struct.error, UnicodeDecodeError) as exc:
                raise StreamsError(
                    f"Store {self._name}: changelog record of key {key!r} on {self._topic} is "
                    f"not a suppression buffer entry (Kafka Streams' version "
                    f"{CHANGELOG_VERSION} layout): {exc}"
                ) from exc
            self._set(key, time, buffered)  # a key already buffered keeps its place, as in Java
        self._offset = last_offset


def _fast(serde: Any) -> Callable[[Any], bytes] | None:
    fast = getattr(serde, "fast_serializer", None)
    return None if fast is None else fast()  # type: ignore[no-any-return]


def _takes_headers(collector: Any) -> bool:
    """Whether ``collector.send_changelog`` takes ``headers`` (the runtime's and the driver's do)."""
    try:
        return "headers" in inspect.signature(collector.send_changelog).parameters
    except (AttributeError, TypeError, ValueError):
        return False


def _unset(*_: Any) -> Any:
    raise StreamsError("the suppression buffer is not open")


def _lacks_inner(serde: Any) -> bool:
    """Whether ``serde`` wraps an inner serde not given yet (a windowed serde whose keys' serde
    is the app's default)."""
    return serde is not None and hasattr(serde, "with_inner") and getattr(serde, "inner", 0) is None


class TimeOrderedKeyValueBufferBuilder(ChangeloggedBufferBuilder):
    """Builds suppression buffers (Java: ``InMemoryTimeOrderedKeyValueChangeBuffer.Builder``).

    Logging is enabled by default; caching does not apply (Kafka Streams ignores it too).
    """

    def __init__(self, name: str, key_serde: Any, value_serde: Any) -> None:
        super().__init__(name)
        self._key_wrapper: Any = None
        if _lacks_inner(key_serde):
            # a windowed key serde without inner serde: the inner one is the app's default key
            # serde, filled in (as key_serde) when the task opens the store
            self._key_wrapper, key_serde = key_serde, None
        self.key_serde = key_serde
        self.value_serde = value_serde

    def build(self) -> InMemoryTimeOrderedKeyValueChangeBuffer:
        """A new, closed buffer."""
        key_serde = self.key_serde
        if self._key_wrapper is not None:
            key_serde = None if key_serde is None else self._key_wrapper.with_inner(key_serde)
        return InMemoryTimeOrderedKeyValueChangeBuffer(
            self._name, key_serde, self.value_serde, self._logging_enabled
        )

    def __repr__(self) -> str:
        return f"TimeOrderedKeyValueBufferBuilder({self._name!r}, logging={self._logging_enabled})"
