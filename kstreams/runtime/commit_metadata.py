"""The metadata string committed with each input offset, as Kafka Streams writes it.

Java's ``TopicPartitionMetadata.encode``: base64 (standard alphabet, padded) of a version byte
(2), the partition time as a big-endian signed 64-bit integer, then -- when any processor put
a value -- ``ProcessorMetadata.serialize``: a 4-byte entry count and per entry a 4-byte key
length, the key's UTF-8 bytes and an 8-byte value. Version 1 (partition time only) is read too.
Anything else decodes to an unknown partition time and no processor metadata, with a warning,
as in Java. Entries are written in the order Java's ``HashMap`` iterates them, so a commit of
ours is byte for byte the commit Java makes, and a Java app taking over the group reads it.

Example::

    text = encode(1_000, ProcessorMetadata({"counts": 900}))
    decode(text)  # TopicPartitionMetadata(partition_time=1000, processor_metadata={"counts": 900})
"""

from __future__ import annotations

import base64
import binascii
import logging
import struct
from functools import lru_cache
from typing import NamedTuple

from kstreams.processor.metadata import ProcessorMetadata

log = logging.getLogger("kstreams")

LATEST_MAGIC_BYTE = 2
"""Java's ``TopicPartitionMetadata.LATEST_MAGIC_BYTE``."""

UNKNOWN = -1
"""Java's ``RecordQueue.UNKNOWN``: no partition time."""

_HEAD = struct.Struct(">bq")
_INT = struct.Struct(">i")
_LONG = struct.Struct(">q")


class TopicPartitionMetadata(NamedTuple):
    """A decoded commit metadata string."""

    partition_time: int
    processor_metadata: dict[str, int]


@lru_cache(maxsize=4096)
def _java_string_hash(s: str) -> int:
    """Java's ``String.hashCode`` (over UTF-16 code units), as a signed 32-bit int."""
    h = 0
    data = s.encode("utf-16-be")
    for i in range(0, len(data), 2):
        h = (31 * h + ((data[i] << 8) | data[i + 1])) & 0xFFFFFFFF
    return h


@lru_cache(maxsize=1024)
def _java_order(keys: tuple[str, ...]) -> tuple[str, ...]:
    capacity = 16
    while len(keys) > capacity * 3 // 4:
        capacity *= 2
    mask = capacity - 1

    def bucket(key: str) -> int:
        h = _java_string_hash(key)
        return (h ^ (h >> 16)) & mask

    return tuple(k for _, k in sorted(enumerate(keys), key=lambda ik: (bucket(ik[1]), ik[0])))


def java_hashmap_order(keys: list[str]) -> list[str]:
    """``keys`` (in insertion order) in the order a ``java.util.HashMap`` filled with them in
    that order iterates: by bucket (spread hash modulo the table size, which starts at 16 and
    doubles past a 0.75 load), insertion order within a bucket."""
    return list(_java_order(tuple(keys)))


def serialize_processor_metadata(metadata: ProcessorMetadata) -> bytes:
    """Java's ``ProcessorMetadata.serialize``: empty when there is no entry."""
    if not len(metadata):
        return b""
    values = metadata.as_dict()
    parts = [_INT.pack(len(values))]
    for key in _java_order(tuple(values)):
        raw = key.encode("utf-8")
        parts.append(_INT.pack(len(raw)))
        parts.append(raw)
        parts.append(_LONG.pack(values[key]))
    return b"".join(parts)


def deserialize_processor_metadata(data: bytes) -> dict[str, int]:
    """Java's ``ProcessorMetadata.deserialize``."""
    if not data:
        return {}
    (count,) = _INT.unpack_from(data, 0)
    pos = 4
    out: dict[str, int] = {}
    for _ in range(count):
        (size,) = _INT.unpack_from(data, pos)
        pos += 4
        if size < 0 or pos + size > len(data):
            raise ValueError(f"processor metadata key of {size} bytes past the end")
        key = data[pos : pos + size].decode("utf-8")
        pos += size
        (out[key],) = _LONG.unpack_from(data, pos)
        pos += 8
    return out


def encode(partition_time: int, metadata: ProcessorMetadata | bytes) -> str:
    """The metadata string Kafka Streams commits for a partition (``TopicPartitionMetadata.encode``);
    ``metadata`` may be given serialized already (:func:`serialize_processor_metadata`)."""
    if not isinstance(metadata, bytes):
        metadata = serialize_processor_metadata(metadata)
    raw = _HEAD.pack(LATEST_MAGIC_BYTE, partition_time) + metadata
    return base64.b64encode(raw).decode("ascii")


def decode(text: str | None) -> TopicPartitionMetadata:
    """A committed metadata string; an empty, foreign or broken one: unknown time, no metadata
    (a partition time read before the processor metadata failed stays, as in Java)."""
    partition_time = UNKNOWN
    if not text:
        return TopicPartitionMetadata(UNKNOWN, {})
    try:
        # Java's decoder takes the padding as optional
        padded = text + "=" * (-len(text) % 4)
        raw = base64.b64decode(padded.encode("ascii"), validate=True)
        version = raw[0]
        if version == 1:
            partition_time = _LONG.unpack_from(raw, 1)[0]
        elif version == LATEST_MAGIC_BYTE:
            partition_time = _LONG.unpack_from(raw, 1)[0]
            return TopicPartitionMetadata(partition_time, deserialize_processor_metadata(raw[9:]))
        else:
            log.warning(
                "Unsupported offset metadata version found. Supported version <= %d. "
                "Found version %d.",
                LATEST_MAGIC_BYTE,
                version,
            )
    except (ValueError, IndexError, struct.error, UnicodeError, binascii.Error):
        log.warning("Unsupported offset metadata found: %r", text[:100])
    return TopicPartitionMetadata(partition_time, {})
