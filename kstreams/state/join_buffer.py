"""The grace buffer of stream-table joins: stream records held in timestamp order (KIP-923).

Java: ``RocksDBTimeOrderedKeyValueBuffer``. A stream record is kept under Kafka Streams' key
``[0x00][timestamp: 8 bytes][serialized key][sequence number: 4 bytes]`` (its
``TimeFirstWindowKeySchema``), so duplicates of a key and timestamp all stay, and leaves in
timestamp order once the buffer's observed stream time (the largest timestamp put) has passed
it by the grace period. A record already older than that is refused (``put`` returns False)
and the join processes it at once.

Changelog: each put is logged as Kafka Streams logs it (the key above; the value its
``BufferValue`` layout -- record context, no prior or old value, the serialized stream value
-- then an 8-byte buffer time of 0, no headers) and each eviction as a tombstone, in the order
they happened, when the task commits; so either side restores the other's changelog.

The buffer lives in memory (Kafka Streams keeps it in RocksDB): it starts empty when its task
opens and is restored from the whole compacted changelog, as the suppression buffer is; under
exactly-once the restore reads committed records only, so it comes back as of the last commit.
An aborted transaction puts back what the buffer held at the last commit.
"""

from __future__ import annotations

import heapq
import struct
from collections.abc import Callable
from typing import Any, NamedTuple

from kstreams.errors import SerializationError, StreamsError
from kstreams.state.api import ChangelogRecord
from kstreams.state.buffer_value import (
    BufferValue,
    RecordContext,
    deserialize_entry,
    serialize_entry,
)
from kstreams.state.changelogged_buffer import ChangeloggedBuffer, ChangeloggedBufferBuilder
from kstreams.state.context import wall_clock_ms

_TIME_FIRST_PREFIX = b"\x00"
_Q = struct.Struct(">q")
_I = struct.Struct(">i")
_NO_TIME = -1
"""Observed stream time before any record (Java's ``ConsumerRecord.NO_TIMESTAMP``)."""


def store_key(key: bytes, timestamp: int, seqnum: int) -> bytes:
    """Kafka Streams' time-first window key: prefix, timestamp, key, sequence number."""
    return _TIME_FIRST_PREFIX + _Q.pack(timestamp) + key + _I.pack(seqnum)


def key_timestamp(stored: bytes) -> int:
    """The timestamp of a time-first window key."""
    return int(_Q.unpack_from(stored, 1)[0])


class BufferedRecord(NamedTuple):
    """A stream record leaving the buffer: key and value deserialized, and its record context
    ``(timestamp, offset, topic, partition, headers)``."""

    key: Any
    value: Any
    context: RecordContext


class TimeOrderedKeyValueJoinBuffer(ChangeloggedBuffer):
    """The buffer of one stream-table join with a grace period (see the module docstring).

    Example::

        buffer = TimeOrderedKeyValueJoinBufferBuilder("join-Buffer", 30_000).build()
        buffer.init(context)
        if not buffer.put("k", "v", 1000, (1000, 7, "orders", 0, None)):
            ...                                  # too late for the grace: join it now
        buffer.evict_expired(lambda record: join(record.key, record.value))
    """

    _kind = "Join buffer"
    _serde_hint = (
        "give the stream's serdes (Joined.with_(key_serde, value_serde, ...) or Consumed) "
        "or set default.key.serde / default.value.serde"
    )

    def __init__(
        self,
        name: str,
        grace_ms: int,
        key_serde: Any = None,
        value_serde: Any = None,
        logging_enabled: bool = True,
    ) -> None:
        self._name = name
        self.grace_ms = grace_ms
        self.key_serde = key_serde
        self.value_serde = value_serde
        self._logging = logging_enabled
        self._reset_connection()
        self._clear()
        self._ser_key: Callable[[Any], bytes] = _unset
        self._ser_value: Callable[[Any], bytes] = _unset
        self._de_key: Callable[[bytes], Any] = _unset
        self._de_value: Callable[[bytes | None], Any] = _unset

    def __repr__(self) -> str:
        return (
            f"TimeOrderedKeyValueJoinBuffer({self._name!r}, grace={self.grace_ms} ms, "
            f"records={len(self._entries)})"
        )

    def _bind_serdes(self) -> None:
        topic = self._topic or self._name
        ks, vs, name = self.key_serde, self.value_serde, self._name

        def ser_key(key: Any) -> bytes:
            data = ks.serialize(topic, key)
            if data is None:
                raise SerializationError(f"Join buffer {name}: key {key!r} serialized to null")
            return data  # type: ignore[no-any-return]

        def ser_value(value: Any) -> bytes:
            data = vs.serialize(topic, value)
            if data is None:
                raise SerializationError(f"Join buffer {name}: value {value!r} serialized to null")
            return data  # type: ignore[no-any-return]

        self._ser_key, self._ser_value = ser_key, ser_value
        self._de_key = lambda data: ks.deserialize(topic, data)
        self._de_value = lambda data: None if data is None else vs.deserialize(topic, data)

    def _clear(self) -> None:
        self._entries: dict[bytes, BufferValue] = {}
        self._heap: list[bytes] = []
        self._observed = _NO_TIME
        self._seqnum = 0
        self._pending: list[tuple[bytes, BufferValue | None]] = []
        self._undo: dict[bytes, BufferValue | None] = {}
        self._committed_observed = _NO_TIME
        self._offset = None

    # -- the buffer API ----------------------------------------------------------------------------
    def observed_stream_time(self) -> int:
        """The largest timestamp put (or restored) so far."""
        return self._observed

    def put(self, key: Any, value: Any, timestamp: int, context: RecordContext) -> bool:
        """Buffer a stream record; False (nothing buffered) if it is older than the observed
        stream time minus the grace period, so that it must be joined at once."""
        if not self._open:
            self._check_open()
        if key is None or value is None:
            raise ValueError(f"Join buffer {self._name}: key and value must not be None")
        if self._observed - self.grace_ms > timestamp:
            return False
        self._seqnum = (self._seqnum + 1) & 0x7FFFFFFF
        kb = store_key(self._ser_key(key), timestamp, self._seqnum)
        buffered = BufferValue(None, None, self._ser_value(value), context)
        self._write(kb, buffered)
        heapq.heappush(self._heap, kb)
        if timestamp > self._observed:
            self._observed = timestamp
        return True

    def _write(self, kb: bytes, value: BufferValue | None) -> None:
        entries = self._entries
        if kb not in self._undo:
            self._undo[kb] = entries.get(kb)
        if value is None:
            entries.pop(kb, None)
        else:
            entries[kb] = value
        if self._topic is not None:
            self._pending.append((kb, value))

    def evict_expired(self, callback: Callable[[BufferedRecord], None]) -> int:
        """Pass every record whose timestamp is at most the observed stream time minus the
        grace period to ``callback``, in timestamp order (then key bytes, then arrival), and
        remove it. Returns the number evicted."""
        limit = self._observed - self.grace_ms
        heap, entries = self._heap, self._entries
        de_key, de_value = self._de_key, self._de_value
        n = 0
        while heap:
            kb = heap[0]
            value = entries.get(kb)
            if value is None:  # removed by a restore
                heapq.heappop(heap)
                continue
            if key_timestamp(kb) > limit:
                break
            heapq.heappop(heap)
            self._write(kb, None)
            callback(BufferedRecord(de_key(kb[9:-4]), de_value(value.new), value.context))
            n += 1
        return n

    def num_records(self) -> int:
        """How many stream records are buffered."""
        return len(self._entries)

    def min_timestamp(self) -> int | None:
        """The earliest buffered timestamp, or None when empty."""
        for kb in sorted(self._entries)[:1]:
            return key_timestamp(kb)
        return None

    # -- commit protocol -----------------------------------------------------------------------------
    def flush_changelog(self) -> bool:
        """Send the puts and evictions since the last flush, in order, to the changelog."""
        pending = self._pending
        if not pending:
            return False
        send = self._collector.send_changelog
        topic, partition = self._topic, self._partition
        now = wall_clock_ms()  # Kafka Streams leaves these records' timestamps to the producer
        for kb, value in pending:
            send(topic, kb, None if value is None else serialize_entry(value, 0), now, partition)
        self._pending = []
        return True

    def commit(self, changelog_offset: int | None) -> None:
        """Forget the undo log and keep ``changelog_offset`` (None: unchanged)."""
        self._check_flushed(len(self._pending))
        self._undo = {}
        self._committed_observed = self._observed
        self._keep_offset(changelog_offset)

    def abort(self) -> None:
        """Put back what the buffer held at the last commit (an aborted transaction)."""
        undo = self._undo
        self._undo = {}
        self._pending = []
        for kb, value in undo.items():
            if value is None:
                self._entries.pop(kb, None)
            else:
                self._entries[kb] = value
                heapq.heappush(self._heap, kb)
        self._observed = self._committed_observed

    def restore_batch(self, records: list[ChangelogRecord], last_offset: int) -> None:
        """Apply changelog records: buffered stream records and tombstones of evicted ones."""
        self._check_can_restore(bool(self._undo or self._pending))
        entries, heap = self._entries, self._heap
        for kb, value, _ts in records:
            if len(kb) < 13 or kb[:1] != _TIME_FIRST_PREFIX:
                raise StreamsError(
                    f"Store {self._name}: changelog key {kb!r} on {self._topic} is not a "
                    "time-ordered join buffer key ([0x00][timestamp][key][sequence number])"
                )
            ts = key_timestamp(kb)
            if ts > self._observed:
                self._observed = ts
            if value is None:
                entries.pop(kb, None)
                continue
            try:
                buffered, _time = deserialize_entry(value)
            except (ValueError, struct.error, UnicodeDecodeError) as exc:
                raise StreamsError(
                    f"Store {self._name}: changelog record of key {kb!r} on {self._topic} is "
                    f"not a join buffer entry (Kafka Streams' BufferValue layout): {exc}"
                ) from exc
            if kb not in entries:
                heapq.heappush(heap, kb)
            entries[kb] = buffered
        self._committed_observed = self._observed
        self._offset = last_offset


def _unset(*_: Any) -> Any:
    raise StreamsError("the join buffer is not open")


class TimeOrderedKeyValueJoinBufferBuilder(ChangeloggedBufferBuilder):
    """Builds stream-table join buffers (Java: ``RocksDBTimeOrderedKeyValueBuffer.Builder``).

    Logging is enabled by default; caching does not apply (as in Kafka Streams).
    """

    def __init__(
        self, name: str, grace_ms: int, key_serde: Any = None, value_serde: Any = None
    ) -> None:
        super().__init__(name)
        self.grace_ms = grace_ms
        self.key_serde = key_serde
        self.value_serde = value_serde

    def build(self) -> TimeOrderedKeyValueJoinBuffer:
        """A new, closed buffer."""
        return TimeOrderedKeyValueJoinBuffer(
            self._name, self.grace_ms, self.key_serde, self.value_serde, self._logging_enabled
        )

    def __repr__(self) -> str:
        return f"TimeOrderedKeyValueJoinBufferBuilder({self._name!r}, grace={self.grace_ms} ms)"
