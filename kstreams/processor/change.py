"""``Change``: what flows between KTable operators -- the new and the old value of a key.

KTable processors forward ``Change(new_value, old_value)`` as the record value
(Java: ``Change<V>``); ``to_stream()`` unwraps the new value. When a change
crosses a repartition topic (``KTable.group_by``) it is written with
:class:`ChangeSerde`, a kstreams-internal format.
"""

from __future__ import annotations

import struct
from typing import Any, NamedTuple

from kstreams.errors import SerializationError
from kstreams.serde.base import Headers, Serde

_HEADER = struct.Struct(">Bi")
_HAS_NEW = 1
_HAS_OLD = 2


class Change(NamedTuple):
    """The new and old value of one key of a KTable (either may be None).

    ``is_latest`` is False for an out-of-order update of a versioned table (one older
    than the key's latest version): operators with versioned semantics ignore it.
    """

    new_value: Any
    old_value: Any
    is_latest: bool = True


class ChangeSerde(Serde[Change]):
    """Serializes a :class:`Change` with an inner value serde.

    Layout: one flag byte (1 = has new, 2 = has old), a 4-byte big-endian length
    of the new value's bytes, the new value's bytes, then the old value's bytes.
    """

    def __init__(self, inner: Serde[Any]) -> None:
        self.inner = inner

    def serialize(self, topic: str, data: Change | None, headers: Headers = None) -> bytes | None:
        if data is None:
            return None
        ser = self.inner.serialize
        new = None if data.new_value is None else ser(topic, data.new_value, headers)
        old = None if data.old_value is None else ser(topic, data.old_value, headers)
        flags = (_HAS_NEW if new is not None else 0) | (_HAS_OLD if old is not None else 0)
        new_b = new or b""
        return _HEADER.pack(flags, len(new_b)) + new_b + (old or b"")

    def deserialize(self, topic: str, data: bytes | None, headers: Headers = None) -> Change | None:
        if data is None:
            return None
        if len(data) < _HEADER.size:
            raise SerializationError(f"Change record on {topic} is too short ({len(data)} bytes)")
        flags, n = _HEADER.unpack_from(data)
        start = _HEADER.size
        des = self.inner.deserialize
        new = des(topic, data[start : start + n], headers) if flags & _HAS_NEW else None
        old = des(topic, data[start + n :], headers) if flags & _HAS_OLD else None
        return Change(new, old)
