"""The byte layout of window and session store keys, as Kafka Streams writes them.

A window store key is ``key bytes + 8-byte window start + 4-byte sequence number``
(Java: ``WindowKeySchema.toStoreKeyBinary``); the sequence number is 0 unless the store
retains duplicates, where every put gets the next one (1, 2, ...). A session store key
is ``key bytes + 8-byte session end + 8-byte session start`` (Java: ``SessionKeySchema``).
All numbers are big-endian signed. These keys are also the changelog record keys, so a
Kafka Streams application can restore a kstreams changelog and the other way round.

Example::

    kb = window_key(b"alice", 60_000, 0)
    window_key_parts(kb)          # (b'alice', 60000, 0)
"""

from __future__ import annotations

import struct

TIMESTAMP_SIZE = 8
SEQNUM_SIZE = 4
WINDOW_SUFFIX_SIZE = TIMESTAMP_SIZE + SEQNUM_SIZE
"""Bytes after the key in a window store key: start + sequence number."""
SESSION_SUFFIX_SIZE = 2 * TIMESTAMP_SIZE
"""Bytes after the key in a session store key: end + start."""

MAX_TIMESTAMP = (1 << 63) - 1
"""Java's ``Long.MAX_VALUE``: the open upper bound of time ranges."""

_WINDOW_SUFFIX = struct.Struct(">qi")
_SESSION_SUFFIX = struct.Struct(">qq")
_LONG = struct.Struct(">q")


def ordered_upper_range(key: bytes, max_suffix: bytes) -> bytes:
    """The upper bound of a key range's store keys (Java: ``OrderedBytes.upperRange``).

    Store keys of shorter record keys that are prefixes of ``key`` may sort after
    ``key + max_suffix``: the bound keeps only the leading key bytes not below the
    suffix's first byte, as Java does, so its range scans see the same keys.
    """
    first = max_suffix[0]
    if first == 0:
        return key + max_suffix
    i = 0
    while i < len(key) and (i < 1 or key[i] >= first):
        i += 1
    return key[:i] + max_suffix


pack_window_suffix = _WINDOW_SUFFIX.pack
"""``pack_window_suffix(window_start, seqnum)``: the bytes after the key in a window store key
(``key + pack_window_suffix(start, seqnum)`` is :func:`window_key` without its call)."""

unpack_long_from = _LONG.unpack_from
"""``unpack_long_from(store_key, offset) -> (value,)``: a big-endian long inside a store key."""


def window_key(key: bytes, window_start: int, seqnum: int = 0) -> bytes:
    """The store key of ``key`` in the window starting at ``window_start``."""
    return key + _WINDOW_SUFFIX.pack(window_start, seqnum)


def window_key_parts(store_key: bytes) -> tuple[bytes, int, int]:
    """``(key bytes, window start, sequence number)`` of a window store key."""
    start, seqnum = _WINDOW_SUFFIX.unpack_from(store_key, len(store_key) - WINDOW_SUFFIX_SIZE)
    return store_key[:-WINDOW_SUFFIX_SIZE], start, seqnum


def window_start_of(store_key: bytes) -> int:
    """The window start of a window store key."""
    return _LONG.unpack_from(store_key, len(store_key) - WINDOW_SUFFIX_SIZE)[0]  # type: ignore[no-any-return]


def window_key_bytes(store_key: bytes) -> bytes:
    """The record key bytes of a window store key."""
    return store_key[:-WINDOW_SUFFIX_SIZE]


def session_key(key: bytes, start: int, end: int) -> bytes:
    """The store key of ``key``'s session ``[start, end]``."""
    return key + _SESSION_SUFFIX.pack(end, start)


def session_key_parts(store_key: bytes) -> tuple[bytes, int, int]:
    """``(key bytes, session start, session end)`` of a session store key."""
    end, start = _SESSION_SUFFIX.unpack_from(store_key, len(store_key) - SESSION_SUFFIX_SIZE)
    return store_key[:-SESSION_SUFFIX_SIZE], start, end


def session_end_of(store_key: bytes) -> int:
    """The session end of a session store key."""
    return _LONG.unpack_from(store_key, len(store_key) - SESSION_SUFFIX_SIZE)[0]  # type: ignore[no-any-return]


def session_key_bytes(store_key: bytes) -> bytes:
    """The record key bytes of a session store key."""
    return store_key[:-SESSION_SUFFIX_SIZE]


class KeySchema:
    """What the layers of a segmented store need to know about its keys (Java: ``KeySchema``).

    ``segment_timestamp`` is the time a key belongs to (window start, session end): it
    picks the segment and decides expiry. It is the first 8 bytes of the key's suffix (the
    last ``suffix_size`` bytes) in both layouts, which the per-record paths of the layers
    below read in place. ``matches`` is the query filter: a window key
    matches ``[time_from, time_to]`` when its start lies in it, a session key when the
    session ends at or after ``time_from`` and starts at or before ``time_to``.
    """

    name = "window"
    suffix_size = WINDOW_SUFFIX_SIZE

    segment_timestamp = staticmethod(window_start_of)
    """``segment_timestamp(store_key)``: the timestamp that places ``store_key`` in a segment
    (the function itself, no frame of the schema's: every write and read asks)."""

    @staticmethod
    def record_key(store_key: bytes) -> bytes:
        """The record key bytes of ``store_key``."""
        return store_key[:-WINDOW_SUFFIX_SIZE]

    @staticmethod
    def matches(store_key: bytes, time_from: int, time_to: int) -> bool:
        """Whether ``store_key`` is in the time bounds of a query."""
        start = _LONG.unpack_from(store_key, len(store_key) - WINDOW_SUFFIX_SIZE)[0]
        return time_from <= start <= time_to  # type: ignore[no-any-return]

    @staticmethod
    def lower_bound(key: bytes, time_from: int) -> bytes:
        """The smallest store key of ``key`` a query from ``time_from`` can match."""
        return key + _WINDOW_SUFFIX.pack(max(time_from, 0), 0)

    @staticmethod
    def upper_bound(key: bytes, time_to: int) -> bytes:
        """The largest store key of ``key`` a query up to ``time_to`` can match."""
        return key + _WINDOW_SUFFIX.pack(time_to, 0x7FFFFFFF)

    @staticmethod
    def range_lower(key_from: bytes) -> bytes:
        """The lower bound of the store keys of record keys from ``key_from`` (Java: ``lowerRange``)."""
        return key_from + b"\x00" * WINDOW_SUFFIX_SIZE

    @staticmethod
    def range_upper(key_to: bytes, time_to: int) -> bytes:
        """The upper bound of the store keys of record keys up to ``key_to`` (Java: ``upperRange``)."""
        return ordered_upper_range(key_to, _WINDOW_SUFFIX.pack(time_to, 0x7FFFFFFF))

    @staticmethod
    def time_first_order(store_key: bytes) -> tuple[int, ...]:  # type: ignore[override]
        """The order of Java's time-ordered RocksDB window store (``[start][key][seqnum]``)."""
        key, start, seqnum = window_key_parts(store_key)
        return start, key, seqnum  # type: ignore[return-value]

    @staticmethod
    def memory_order(store_key: bytes) -> tuple[int, bytes]:
        """The order of Java's in-memory store: window start, then key (+ sequence number)."""
        return window_start_of(store_key), store_key[:-WINDOW_SUFFIX_SIZE] + store_key[
            -SEQNUM_SIZE:
        ]


class SessionKeySchema(KeySchema):
    """:class:`KeySchema` of session store keys (Java: ``SessionKeySchema``)."""

    name = "session"
    suffix_size = SESSION_SUFFIX_SIZE

    segment_timestamp = staticmethod(session_end_of)

    @staticmethod
    def record_key(store_key: bytes) -> bytes:
        return store_key[:-SESSION_SUFFIX_SIZE]

    @staticmethod
    def matches(store_key: bytes, time_from: int, time_to: int) -> bool:
        end, start = _SESSION_SUFFIX.unpack_from(store_key, len(store_key) - SESSION_SUFFIX_SIZE)
        return end >= time_from and start <= time_to  # type: ignore[no-any-return]

    @staticmethod
    def lower_bound(key: bytes, time_from: int) -> bytes:
        return key + _SESSION_SUFFIX.pack(max(time_from, 0), 0)

    @staticmethod
    def upper_bound(key: bytes, time_to: int) -> bytes:
        return key + _SESSION_SUFFIX.pack(MAX_TIMESTAMP, time_to)

    @staticmethod
    def range_lower(key_from: bytes) -> bytes:
        return key_from + b"\x00" * SESSION_SUFFIX_SIZE

    @staticmethod
    def range_upper(key_to: bytes, time_to: int) -> bytes:
        return ordered_upper_range(key_to, _SESSION_SUFFIX.pack(MAX_TIMESTAMP, time_to))

    @staticmethod
    def time_first_order(store_key: bytes) -> tuple[int, ...]:  # type: ignore[override]
        """The order of Java's time-ordered RocksDB session store (``[end][start][key]``)."""
        key, start, end = session_key_parts(store_key)
        return end, start, key  # type: ignore[return-value]

    @staticmethod
    def memory_order(store_key: bytes) -> tuple[int, bytes, int]:  # type: ignore[override]
        """The order of Java's in-memory session store: session end, key, session start."""
        end, start = _SESSION_SUFFIX.unpack_from(store_key, len(store_key) - SESSION_SUFFIX_SIZE)
        return end, store_key[:-SESSION_SUFFIX_SIZE], start


WINDOW_SCHEMA = KeySchema()
SESSION_SCHEMA = SessionKeySchema()
