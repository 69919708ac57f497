"""The changelog record format of suppression buffers (Kafka Streams' ``BufferValue``, version 3).

A buffered change is its record context, the key's prior, old and new value and its buffer
time, serialized as Java's ``InMemoryTimeOrderedKeyValueChangeBuffer`` writes it (header
``v`` = 3), so either side can restore the other's changelog; :func:`record_size` counts an
entry as Java sizes it against ``BufferConfig.max_bytes``.
"""

from __future__ import annotations

import struct
from typing import Any, NamedTuple

CHANGELOG_VERSION = 3
"""Kafka Streams' suppression changelog format written here."""
CHANGELOG_HEADERS = (("v", bytes([CHANGELOG_VERSION])),)
"""The header Kafka Streams puts on the buffer's changelog records (its format version)."""

MAX_TIMESTAMP = (1 << 63) - 1
"""``min_timestamp`` of an empty buffer (Java's ``Long.MAX_VALUE``)."""

_NULL = -1
_PRIOR_DUPLICATE = -2
_I = struct.Struct(">i")
_Q = struct.Struct(">q")
_CTX = struct.Struct(">qq")

RecordContext = tuple[int, int, str | None, int, Any]
"""A buffered record's context: ``(timestamp, offset, topic, partition, headers)``."""


class BufferValue(NamedTuple):
    """One buffered change in bytes (Java: ``BufferValue``): the key's value before it was first
    buffered (``prior``), the latest change's old and new values, and its record context."""

    prior: bytes | None
    old: bytes | None
    new: bytes | None
    context: RecordContext

    def memory_estimate(self) -> int:
        """Kafka Streams' ``residentMemorySizeEstimate`` of the value and its context."""
        prior, old, new = self.prior, self.old, self.new
        size = (0 if prior is None else len(prior)) + (0 if new is None else len(new))
        if old is not None and old is not prior:
            size += len(old)
        topic, headers = self.context[2], self.context[4]
        size += 8 + 8 + 4 + (0 if topic is None else _chars(topic))
        for name, value in headers or ():
            size += _chars(name) + (0 if value is None else len(value))
        return size


class Eviction(NamedTuple):
    """An entry leaving the buffer: the key and ``Change``-like (new, old) values, deserialized,
    with the record context of the latest buffered update."""

    key: Any
    new_value: Any
    old_value: Any
    context: RecordContext


def _chars(text: str) -> int:
    # Java's String.toCharArray().length: UTF-16 code units
    return len(text) if text.isascii() else len(text.encode("utf-16-le")) // 2


def record_size(key: bytes, value: BufferValue) -> int:
    """The bytes an entry counts against ``max_bytes`` (Java's ``computeRecordSize``)."""
    return 8 + len(key) + value.memory_estimate()


_TOPIC_CHARS: dict[str | None, int] = {None: 0}


def entry_size(key: bytes, prior: Any, old: Any, new: Any, context: RecordContext) -> int:
    # record_size without the BufferValue: 8 (time) + key + values + context (8 + 8 + 4 + topic
    # + headers), topics' lengths cached
    size = 28 + len(key)
    if prior is not None:
        size += len(prior)
    if old is not None and old is not prior:
        size += len(old)
    if new is not None:
        size += len(new)
    topic = context[2]
    chars = _TOPIC_CHARS.get(topic)
    if chars is None:
        if len(_TOPIC_CHARS) > 1024:
            _TOPIC_CHARS.clear()
            _TOPIC_CHARS[None] = 0
        chars = _TOPIC_CHARS[topic] = _chars(topic)  # type: ignore[arg-type]
    size += chars
    headers = context[4]
    if headers:
        for name, value in headers:
            size += _chars(name) + (0 if value is None else len(value))
    return size


# -- Kafka Streams' changelog value layout (version 3) -----------------------------------------


def _put_nullable(out: list[bytes], data: bytes | None) -> None:
    if data is None:
        out.append(_I.pack(_NULL))
    else:
        out.append(_I.pack(len(data)))
        out.append(data)


def serialize_context(context: RecordContext) -> bytes:
    """Java's ``ProcessorRecordContext.serialize``: timestamp, offset, topic, partition, headers."""
    ts, offset, topic, partition, headers = context
    out = [_CTX.pack(ts, offset)]
    _put_nullable(out, None if topic is None else topic.encode())
    out.append(_I.pack(partition))
    items = list(headers or ())
    out.append(_I.pack(len(items)))
    for name, value in items:
        _put_nullable(out, name.encode())
        _put_nullable(out, value.encode() if isinstance(value, str) else value)
    return b"".join(out)


def serialize_entry(value: BufferValue, buffer_time: int) -> bytes:
    """A changelog value: ``BufferValue.serialize`` then the 8-byte buffer time (Java's v3)."""
    out = [serialize_context(value.context)]
    prior, old = value.prior, value.old
    _put_nullable(out, prior)
    if old is None:
        out.append(_I.pack(_NULL))
    elif old is prior or old == prior:
        out.append(_I.pack(_PRIOR_DUPLICATE))
    else:
        out.append(_I.pack(len(old)))
        out.append(old)
    _put_nullable(out, value.new)
    out.append(_Q.pack(buffer_time))
    return b"".join(out)


class _Reader:
    __slots__ = ("data", "pos")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def long(self) -> int:
        (v,) = _Q.unpack_from(self.data, self.pos)
        self.pos += 8
        return int(v)

    def int(self) -> int:
        (v,) = _I.unpack_from(self.data, self.pos)
        self.pos += 4
        return int(v)

    def array(self, n: int) -> bytes | None:
        if n == _NULL:
            return None
        if n < 0 or self.pos + n > len(self.data):
            raise ValueError(f"bad length {n} at byte {self.pos}")
        v = self.data[self.pos : self.pos + n]
        self.pos += n
        return v

    def nullable(self) -> bytes | None:
        return self.array(self.int())


def deserialize_entry(data: bytes) -> tuple[BufferValue, int]:
    """A changelog value (v3) back as ``(BufferValue, buffer time)``."""
    r = _Reader(data)
    ts = r.long()
    offset = r.long()
    raw_topic = r.nullable()
    partition = r.int()
    count = r.int()
    headers: list[tuple[str, bytes | None]] | None = None
    if count > 0:
        headers = []
        for _ in range(count):
            name = r.nullable()
            if name is None:
                raise ValueError("null header name")
            headers.append((name.decode(), r.nullable()))
    context: RecordContext = (
        ts,
        offset,
        None if raw_topic is None else raw_topic.decode(),
        partition,
        None if headers is None else tuple(headers),
    )
    prior = r.nullable()
    n = r.int()
    old = prior if n == _PRIOR_DUPLICATE else r.array(n)
    new = r.nullable()
    buffer_time = r.long()
    if r.pos != len(data):
        raise ValueError(f"{len(data) - r.pos} trailing bytes")
    return BufferValue(prior, old, new, context), buffer_time


# -- the buffer ----------------------------------------------------------------------------------
