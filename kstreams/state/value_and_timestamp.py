"""``ValueAndTimestamp`` and the byte layout of timestamped stores.

A timestamped key-value store keeps, for every key, the value and the timestamp
of the record that last wrote it (Java: ``ValueAndTimestamp``). On disk the
value is stored as Kafka Streams stores it: an 8-byte big-endian signed
timestamp followed by the serialized value, so the two layouts match.
"""

from __future__ import annotations

import struct
from typing import Any, NamedTuple

_TS = struct.Struct(">q")
pack_timestamp = _TS.pack
"""``pack_timestamp(ts) -> bytes``: the 8-byte big-endian prefix of a timestamped value."""
unpack_timestamp = _TS.unpack_from
"""``unpack_timestamp(raw) -> (ts,)``: read the prefix of a timestamped value."""

TIMESTAMP_SIZE = 8
"""Length of the timestamp prefix of a stored timestamped value."""


class ValueAndTimestamp(NamedTuple):
    """A value together with its timestamp (Java: ``ValueAndTimestamp``).

    Example::

        store.put("alice", ValueAndTimestamp.make(3, record.timestamp))
        vt = store.get("alice")          # ValueAndTimestamp(value=3, timestamp=...)
    """

    value: Any
    timestamp: int

    @staticmethod
    def make(value: Any, timestamp: int) -> ValueAndTimestamp | None:
        """A ``ValueAndTimestamp``, or None if ``value`` is None (as Java's ``make``)."""
        return None if value is None else ValueAndTimestamp(value, timestamp)

    @staticmethod
    def get_value_or_null(value_and_timestamp: ValueAndTimestamp | None) -> Any:
        """The value of ``value_and_timestamp``, or None if it is None."""
        return None if value_and_timestamp is None else value_and_timestamp.value


def to_timestamped(value: bytes | None, timestamp: int) -> bytes | None:
    """Stored bytes of a timestamped store from a changelog value and its record timestamp."""
    return None if value is None else _TS.pack(timestamp) + value


def split_timestamped(raw: bytes) -> tuple[bytes, int]:
    """``(value bytes, timestamp)`` of the stored bytes of a timestamped store."""
    return raw[TIMESTAMP_SIZE:], _TS.unpack_from(raw)[0]


new_value_and_timestamp = tuple.__new__
"""``new_value_and_timestamp(ValueAndTimestamp, (value, timestamp))``: the same object as
``ValueAndTimestamp(value, timestamp)`` at less than half the cost (no Python-level
``__new__``), for processors' per-record paths."""
