"""Serdes: turning record keys and values into bytes and back.

The built-in serdes write the same bytes as Java's, so topics can be shared
with Java Kafka Streams applications::

    from kstreams.serde import Serdes

    Serdes.String().serialize("t", "é")   # b'\\xc3\\xa9'
    Serdes.Long().serialize("t", 1)       # b'\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x01'
    Serdes.JSON().serialize("t", {"a": 1})  # b'{"a":1}'

Avro serdes (:class:`AvroSerde`, :class:`SchemaRegistryAvroSerde`) need
fastavro: ``pip install kstreams-py[avro]``. To write your own serde,
subclass :class:`Serde` or wrap two functions in :class:`FunctionSerde`.
"""

from __future__ import annotations

from kstreams.serde.avro import (
    AvroSchema,
    AvroSerde,
    SchemaRegistryAvroSerde,
    SchemaRegistryClientLike,
    topic_name_strategy,
)
from kstreams.serde.base import FunctionSerde, Headers, Serde, as_serde
from kstreams.serde.json import JsonSerde
from kstreams.serde.primitives import (
    BooleanSerde,
    ByteArraySerde,
    BytesSerde,
    DoubleSerde,
    FloatSerde,
    IntegerSerde,
    LongSerde,
    ShortSerde,
    StringSerde,
    UUIDSerde,
    VoidSerde,
)
from kstreams.serde.serdes import Serdes

__all__ = [
    "AvroSchema",
    "AvroSerde",
    "BooleanSerde",
    "ByteArraySerde",
    "BytesSerde",
    "DoubleSerde",
    "FloatSerde",
    "FunctionSerde",
    "Headers",
    "IntegerSerde",
    "JsonSerde",
    "LongSerde",
    "SchemaRegistryAvroSerde",
    "SchemaRegistryClientLike",
    "Serde",
    "Serdes",
    "ShortSerde",
    "StringSerde",
    "UUIDSerde",
    "VoidSerde",
    "as_serde",
    "topic_name_strategy",
]
