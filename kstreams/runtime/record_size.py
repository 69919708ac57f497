"""How many bytes one record takes on the wire, to refuse it before the broker does.

The broker refuses a record batch larger than the topic's ``max.message.bytes``. A record
sent alone travels in a batch of its own size (uncompressed: :func:`batch_size`); checking
it before ``produce`` makes an oversized record a synchronous error of that record only,
instead of a delivery failure that, under exactly-once, aborts the whole transaction.
"""

from __future__ import annotations

from kstreams.serde.base import Headers

BATCH_OVERHEAD = 61
"""Bytes of a v2 record batch's header (Kafka's ``RECORD_BATCH_OVERHEAD``)."""

MAX_RECORD_OVERHEAD = 19
"""Most bytes a record without headers adds to its key and value in a batch of one: its
length (up to 5 bytes of varint), attributes (1), timestamp and offset deltas (1 each, both
0 in a batch of one), key and value lengths (5 each) and the header count (1)."""

CHECK_MARGIN = BATCH_OVERHEAD + MAX_RECORD_OVERHEAD
"""A record whose key and value bytes stay within ``limit - CHECK_MARGIN`` fits: sinks
compute :func:`batch_size` only for bigger ones (one addition and comparison per record)."""


def _varint_size(n: int) -> int:
    """Bytes of ``n`` as a zig-zag varint (Kafka's ``ByteUtils.sizeOfVarint``)."""
    z = (n << 1) ^ (n >> 63)
    size = 1
    while z >= 0x80:
        z >>= 7
        size += 1
    return size


def _field_size(data: bytes | None) -> int:
    if data is None:
        return 1  # length -1
    return _varint_size(len(data)) + len(data)


def batch_size(key: bytes | None, value: bytes | None, headers: Headers) -> int:
    """Bytes of a v2 record batch holding this record alone, uncompressed."""
    body = 1 + 1 + 1 + _field_size(key) + _field_size(value)  # attributes, deltas
    headers = headers or ()
    body += _varint_size(len(headers))
    for name, header_value in headers:
        body += _field_size(name.encode("utf-8")) + _field_size(header_value)
    return BATCH_OVERHEAD + _varint_size(body) + body
