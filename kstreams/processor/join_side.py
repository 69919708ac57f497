"""The byte formats of the outer-join store of left and outer stream-stream joins.

The store is changelogged, so its keys and values are Kafka Streams' own, byte for byte:

* key (``TimestampedKeyAndJoinSideSerializer``): the record's timestamp as an 8-byte
  big-endian long, one byte for the side (1 left, 0 right), the serialized record key. The
  store is iterated in key-byte order: by timestamp, right before left, then key.
* one value (``LeftOrRightValueSerializer``): one byte for the side (1 left, 0 right), then
  the serialized value.
* the stored value (``ListValueStore`` over ``Serdes.ListSerde(ArrayList, ByteArray)``): all
  values of a key, as the list serde writes them -- the strategy byte 1 (variable size), a
  4-byte count, then each value as a 4-byte length and its bytes.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

_LONG = struct.Struct(">q")
_INT = struct.Struct(">i")
_VARIABLE_SIZE = b"\x01"
LEFT = 1
RIGHT = 0


def join_side_key(key_bytes: bytes, timestamp: int, left: bool) -> bytes:
    """The store key of a record of ``key_bytes`` at ``timestamp`` on the left (or right) side."""
    return _LONG.pack(timestamp) + (b"\x01" if left else b"\x00") + key_bytes


def join_side_key_parts(store_key: bytes) -> tuple[int, bool, bytes]:
    """``(timestamp, is_left, key_bytes)`` of a store key."""
    return _LONG.unpack_from(store_key)[0], store_key[8] == LEFT, store_key[9:]


def left_or_right_value(value_bytes: bytes, left: bool) -> bytes:
    """One stored value: the side byte and the serialized value."""
    return (b"\x01" if left else b"\x00") + value_bytes


def append_value(stored: bytes | None, value: bytes) -> bytes:
    """The stored list ``stored`` (None: none yet) with ``value`` appended."""
    if stored is None:
        return _VARIABLE_SIZE + _INT.pack(1) + _INT.pack(len(value)) + value
    count = _INT.unpack_from(stored, 1)[0]
    return _VARIABLE_SIZE + _INT.pack(count + 1) + stored[5:] + _INT.pack(len(value)) + value


def stored_values(stored: bytes) -> Iterator[tuple[bool, bytes]]:
    """``(is_left, value_bytes)`` of every value of a stored list, in insertion order."""
    if stored[:1] != _VARIABLE_SIZE:
        raise ValueError(
            "not a list of the outer-join store (expected the variable-size list format "
            f"of Kafka Streams' ListSerde, got strategy byte {stored[:1]!r})"
        )
    count = _INT.unpack_from(stored, 1)[0]
    pos = 5
    for _ in range(count):
        size = _INT.unpack_from(stored, pos)[0]
        pos += 4
        if size < 0:  # a null entry (ListSerde.NULL_ENTRY_VALUE); the join never writes one
            continue
        yield stored[pos] == LEFT, stored[pos + 1 : pos + size]
        pos += size
