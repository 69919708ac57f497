"""Unit tests of kstreams.serde: Java-compatible wire bytes, None handling, errors, JSON, Avro."""

from __future__ import annotations

import enum
import io
import json
import math
import pickle
import re
import struct
import uuid
from typing import Any

import pytest

try:
    import fastavro
except ImportError:  # the Avro tests skip; everything else runs
    fastavro = None

import kstreams.serde.json as json_module
from kstreams.errors import ConfigError, DeserializationError, SerializationError
from kstreams.serde import (
    AvroSerde,
    BooleanSerde,
    ByteArraySerde,
    BytesSerde,
    DoubleSerde,
    FloatSerde,
    FunctionSerde,
    IntegerSerde,
    JsonSerde,
    LongSerde,
    SchemaRegistryAvroSerde,
    SchemaRegistryClientLike,
    Serde,
    Serdes,
    ShortSerde,
    StringSerde,
    UUIDSerde,
    VoidSerde,
    as_serde,
    topic_name_strategy,
)

TOPIC = "orders"

ALL_BUILTIN = [
    StringSerde,
    BytesSerde,
    ByteArraySerde,
    ShortSerde,
    IntegerSerde,
    LongSerde,
    FloatSerde,
    DoubleSerde,
    UUIDSerde,
    BooleanSerde,
    VoidSerde,
    JsonSerde,
]


# --------------------------------------------------------------------------- Serdes factory


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("String", StringSerde),
        ("Bytes", BytesSerde),
        ("ByteArray", ByteArraySerde),
        ("Short", ShortSerde),
        ("Integer", IntegerSerde),
        ("Long", LongSerde),
        ("Float", FloatSerde),
        ("Double", DoubleSerde),
        ("UUID", UUIDSerde),
        ("Boolean", BooleanSerde),
        ("Void", VoidSerde),
        ("JSON", JsonSerde),
    ],
)
def test_serdes_attributes_are_the_classes(name: str, cls: type) -> None:
    attr = getattr(Serdes, name)
    assert attr is cls
    instance = attr()
    assert isinstance(instance, Serde)
    assert isinstance(instance, cls)
    # A class works where a config takes a serde class.
    assert isinstance(as_serde(attr), cls)


def test_serdes_is_not_instantiable() -> None:
    with pytest.raises(TypeError):
        Serdes()


@pytest.mark.parametrize(
    ("py_type", "cls"),
    [
        (str, StringSerde),
        (bytes, BytesSerde),
        (int, LongSerde),
        (float, DoubleSerde),
        (bool, BooleanSerde),
        (uuid.UUID, UUIDSerde),
        (type(None), VoidSerde),
    ],
)
def test_serde_from(py_type: type, cls: type) -> None:
    serde = Serdes.serde_from(py_type)
    assert type(serde) is cls


def test_serde_from_subclass_maps_like_its_base() -> None:
    class Color(enum.IntEnum):
        RED = 1

    serde = Serdes.serde_from(Color)
    assert type(serde) is LongSerde
    assert serde.serialize(TOPIC, Color.RED) == b"\x00" * 7 + b"\x01"


def test_serde_from_unknown_type() -> None:
    with pytest.raises(TypeError, match=r"No built-in serde for dict.*Supported types are: str"):
        Serdes.serde_from(dict)
    with pytest.raises(TypeError, match="expects a type"):
        Serdes.serde_from("str")  # type: ignore[arg-type]


def test_repr() -> None:
    assert repr(Serdes.String()) == "StringSerde()"
    assert repr(Serdes.String(encoding="latin-1")) == (
        "StringSerde(encoding='iso8859-1', errors='strict')"
    )
    assert repr(Serdes.Long()) == "LongSerde()"
    assert repr(Serdes.JSON()) == "JsonSerde()"


# --------------------------------------------------------------------------- None handling


@pytest.mark.parametrize("cls", ALL_BUILTIN)
def test_none_maps_to_none_both_ways(cls: type[Serde[Any]]) -> None:
    serde = cls()
    assert serde.serialize(TOPIC, None) is None
    assert serde.deserialize(TOPIC, None) is None
    assert serde.serialize(TOPIC, None, [("h", b"v")]) is None


# --------------------------------------------------------------------------- exact Java bytes

JAVA_BYTES = [
    # (serde, value, bytes Java's serializer writes)
    (LongSerde, 1, b"\x00" * 7 + b"\x01"),
    (LongSerde, -1, b"\xff" * 8),
    (LongSerde, 0, b"\x00" * 8),
    (LongSerde, 2**63 - 1, b"\x7f" + b"\xff" * 7),
    (LongSerde, -(2**63), b"\x80" + b"\x00" * 7),
    (LongSerde, 1234567890123, bytes.fromhex("0000011f71fb04cb")),
    (IntegerSerde, -1, b"\xff\xff\xff\xff"),
    (IntegerSerde, 1, b"\x00\x00\x00\x01"),
    (IntegerSerde, 256, b"\x00\x00\x01\x00"),
    (IntegerSerde, 2**31 - 1, b"\x7f\xff\xff\xff"),
    (IntegerSerde, -(2**31), b"\x80\x00\x00\x00"),
    (ShortSerde, 1, b"\x00\x01"),
    (ShortSerde, -2, b"\xff\xfe"),
    (ShortSerde, 2**15 - 1, b"\x7f\xff"),
    (ShortSerde, -(2**15), b"\x80\x00"),
    (FloatSerde, 1.0, bytes.fromhex("3f800000")),
    (FloatSerde, -2.5, bytes.fromhex("c0200000")),
    (FloatSerde, 0.0, bytes.fromhex("00000000")),
    (FloatSerde, math.inf, bytes.fromhex("7f800000")),
    (DoubleSerde, 1.0, bytes.fromhex("3ff0000000000000")),
    (DoubleSerde, -0.0, bytes.fromhex("8000000000000000")),
    (DoubleSerde, 0.1, bytes.fromhex("3fb999999999999a")),
    (DoubleSerde, -math.inf, bytes.fromhex("fff0000000000000")),
    (StringSerde, "é", b"\xc3\xa9"),
    (StringSerde, "", b""),
    (StringSerde, "hello", b"hello"),
    (StringSerde, "\U0001f600", b"\xf0\x9f\x98\x80"),
    (BooleanSerde, True, b"\x01"),
    (BooleanSerde, False, b"\x00"),
    (
        UUIDSerde,
        uuid.UUID("123e4567-e89b-12d3-a456-426614174000"),
        b"123e4567-e89b-12d3-a456-426614174000",
    ),
    (BytesSerde, b"\x00\xffab", b"\x00\xffab"),
    (ByteArraySerde, b"", b""),
]


@pytest.mark.parametrize(("cls", "value", "wire"), JAVA_BYTES)
def test_java_wire_bytes(cls: type[Serde[Any]], value: Any, wire: bytes) -> None:
    serde = cls()
    out = serde.serialize(TOPIC, value)
    assert type(out) is bytes
    assert out == wire
    back = serde.deserialize(TOPIC, wire)
    assert back == value
    assert type(back) is type(value)


@pytest.mark.parametrize(("cls", "value", "wire"), JAVA_BYTES)
def test_deserialize_accepts_bytearray_and_memoryview(
    cls: type[Serde[Any]], value: Any, wire: bytes
) -> None:
    serde = cls()
    assert serde.deserialize(TOPIC, bytearray(wire)) == value
    assert serde.deserialize(TOPIC, memoryview(wire)) == value


def test_double_signed_zero_and_nan() -> None:
    serde = DoubleSerde()
    back = serde.deserialize(TOPIC, serde.serialize(TOPIC, -0.0))
    assert back == 0.0
    assert math.copysign(1.0, back) == -1.0
    nan = serde.serialize(TOPIC, math.nan)
    assert nan == bytes.fromhex("7ff8000000000000")  # Java's Double.NaN
    assert math.isnan(serde.deserialize(TOPIC, nan))


def test_double_accepts_int() -> None:
    assert DoubleSerde().serialize(TOPIC, 1) == bytes.fromhex("3ff0000000000000")


def test_float_rounds_to_binary32() -> None:
    serde = FloatSerde()
    assert serde.serialize(TOPIC, 0.1) == bytes.fromhex("3dcccccd")
    nearest = struct.unpack(">f", b"\x3d\xcc\xcc\xcd")[0]  # 0.100000001490116...
    assert serde.deserialize(TOPIC, bytes.fromhex("3dcccccd")) == nearest
    assert nearest != 0.1


def test_uuid_is_written_lowercase_canonical() -> None:
    value = uuid.UUID("123E4567-E89B-12D3-A456-426614174000")
    out = UUIDSerde().serialize(TOPIC, value)
    assert out == b"123e4567-e89b-12d3-a456-426614174000"
    assert len(out) == 36
    random = uuid.uuid4()
    assert UUIDSerde().deserialize(TOPIC, UUIDSerde().serialize(TOPIC, random)) == random


def test_bytes_serializers_accept_buffers_and_pass_bytes_through() -> None:
    for serde in (BytesSerde(), ByteArraySerde()):
        data = b"abc"
        assert serde.serialize(TOPIC, data) is data
        assert serde.deserialize(TOPIC, data) is data
        assert serde.serialize(TOPIC, bytearray(b"abc")) == b"abc"
        assert type(serde.serialize(TOPIC, bytearray(b"abc"))) is bytes
        assert serde.serialize(TOPIC, memoryview(b"xabc")[1:]) == b"abc"
        assert type(serde.deserialize(TOPIC, memoryview(b"abc"))) is bytes


def test_string_other_encoding() -> None:
    serde = Serdes.String(encoding="latin-1")
    assert serde.encoding == "iso8859-1"
    assert serde.serialize(TOPIC, "é") == b"\xe9"
    assert serde.deserialize(TOPIC, b"\xe9") == "é"


def test_string_errors_replace_matches_java_lenient_decoding() -> None:
    serde = StringSerde(errors="replace")
    assert serde.deserialize(TOPIC, b"a\xffb") == "a\ufffdb"


def test_string_bad_config() -> None:
    with pytest.raises(ConfigError, match="unsupported encoding 'nope'"):
        StringSerde(encoding="nope")
    with pytest.raises(ConfigError, match="unknown error handler"):
        StringSerde(errors="nope")


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("cls", "wire", "message"),
    [
        (IntegerSerde, b"\x00\x01\x02", "Size of data received by IntegerDeserializer is not 4"),
        (IntegerSerde, b"\x00" * 8, "Size of data received by IntegerDeserializer is not 4"),
        (IntegerSerde, b"", "Size of data received by IntegerDeserializer is not 4"),
        (LongSerde, b"\x00" * 4, "Size of data received by LongDeserializer is not 8"),
        (ShortSerde, b"\x00", "Size of data received by ShortDeserializer is not 2"),
        (FloatSerde, b"\x00" * 8, "Size of data received by FloatDeserializer is not 4"),
        (DoubleSerde, b"\x00" * 4, "Size of data received by DoubleDeserializer is not 8"),
        (BooleanSerde, b"\x00\x01", "Size of data received by BooleanDeserializer is not 1"),
        (BooleanSerde, b"", "Size of data received by BooleanDeserializer is not 1"),
        (BooleanSerde, b"\x02", "Unexpected byte received by BooleanDeserializer: 2"),
        (BooleanSerde, b"\xff", "Unexpected byte received by BooleanDeserializer: -1"),
        (VoidSerde, b"", "Data should be null for a VoidDeserializer"),
        (VoidSerde, b"\x00", "Data should be null for a VoidDeserializer"),
        (UUIDSerde, b"not-a-uuid", "Error parsing data into UUID"),
        (UUIDSerde, b"\xff" * 36, "Error parsing data into UUID"),
        (StringSerde, b"\xc3", "StringDeserializer could not decode"),
    ],
)
def test_deserialize_errors(cls: type[Serde[Any]], wire: bytes, message: str) -> None:
    with pytest.raises(DeserializationError) as info:
        cls().deserialize(TOPIC, wire)
    assert str(info.value).startswith(message)
    assert repr(TOPIC) in str(info.value)
    # DeserializationError is a SerializationError; the source node adds partition/offset.
    assert isinstance(info.value, SerializationError)
    assert info.value.partition is None


def test_deserialize_error_shows_the_bytes() -> None:
    with pytest.raises(DeserializationError, match=r"got b'\\x00\\x01\\x02' \(3 bytes\)"):
        IntegerSerde().deserialize(TOPIC, b"\x00\x01\x02")


@pytest.mark.parametrize("cls", [ShortSerde, IntegerSerde, LongSerde, FloatSerde, DoubleSerde])
def test_deserialize_non_bytes(cls: type[Serde[Any]]) -> None:
    with pytest.raises(DeserializationError, match="expects bytes, got str"):
        cls().deserialize(TOPIC, "abcd")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("cls", "value", "message"),
    [
        (
            IntegerSerde,
            2**31,
            r"IntegerSerializer cannot serialize 2147483648: out of range "
            r"for a 32-bit signed integer \[-2147483648, 2147483647\]",
        ),
        (IntegerSerde, -(2**31) - 1, "out of range for a 32-bit signed integer"),
        (LongSerde, 2**63, "LongSerializer cannot serialize 9223372036854775808: out of range"),
        (LongSerde, -(2**63) - 1, "out of range for a 64-bit signed integer"),
        (ShortSerde, 2**15, "ShortSerializer cannot serialize 32768: out of range"),
        (ShortSerde, -(2**15) - 1, "out of range for a 16-bit signed integer"),
        (IntegerSerde, "1", "IntegerSerializer expects an int, got str '1'"),
        (LongSerde, 1.5, "LongSerializer expects an int, got float 1.5"),
        (ShortSerde, b"\x00\x01", "ShortSerializer expects an int, got bytes"),
        (FloatSerde, 1e40, "FloatSerializer cannot serialize 1e\\+40: out of range for a 32-bit"),
        (FloatSerde, "1.0", "FloatSerializer expects a float, got str"),
        (DoubleSerde, 10**400, "DoubleSerializer cannot serialize .*out of range for a 64-bit"),
        (DoubleSerde, "1.0", "DoubleSerializer expects a float, got str"),
        (StringSerde, 1, "StringSerializer expects a str, got int"),
        (StringSerde, b"x", "StringSerializer expects a str, got bytes"),
        (BytesSerde, "abc", "BytesSerializer expects bytes, bytearray or memoryview, got str"),
        (ByteArraySerde, 1, "ByteArraySerializer expects bytes"),
        (UUIDSerde, "123e4567-e89b-12d3-a456-426614174000", "UUIDSerializer expects a uuid.UUID"),
        (BooleanSerde, 1, "BooleanSerializer expects a bool, got int"),
        (BooleanSerde, "true", "BooleanSerializer expects a bool, got str"),
        (VoidSerde, 0, "VoidSerializer can only serialize None, got int"),
    ],
)
def test_serialize_errors(cls: type[Serde[Any]], value: Any, message: str) -> None:
    with pytest.raises(SerializationError, match=message) as info:
        cls().serialize(TOPIC, value)
    assert not isinstance(info.value, DeserializationError)
    assert repr(TOPIC) in str(info.value)


def test_string_unencodable_text() -> None:
    with pytest.raises(SerializationError, match="could not encode text as ascii"):
        StringSerde(encoding="ascii").serialize(TOPIC, "é")
    with pytest.raises(SerializationError, match="could not encode"):
        StringSerde().serialize(TOPIC, "\ud800")  # lone surrogate


def test_integer_serdes_accept_int_like_values() -> None:
    class Index:
        def __index__(self) -> int:
            return 5

    assert IntegerSerde().serialize(TOPIC, Index()) == b"\x00\x00\x00\x05"  # type: ignore[arg-type]
    assert LongSerde().serialize(TOPIC, True) == b"\x00" * 7 + b"\x01"


def test_serializer_and_deserializer_functions() -> None:
    serde = Serdes.Long()
    to_bytes, from_bytes = serde.serializer(), serde.deserializer()
    assert from_bytes(TOPIC, to_bytes(TOPIC, 42, None), None) == 42


def test_function_serde_still_works_with_the_package() -> None:
    serde = FunctionSerde(lambda s: s.encode(), lambda b: b.decode())
    assert serde.deserialize(TOPIC, serde.serialize(TOPIC, "x")) == "x"


@pytest.mark.parametrize("cls", ALL_BUILTIN)
def test_serdes_pickle(cls: type[Serde[Any]]) -> None:
    clone = pickle.loads(pickle.dumps(cls()))
    assert type(clone) is cls


# --------------------------------------------------------------------------- JSON

JSON_SAMPLES = [
    {"a": 1, "b": [1, 2.5, "x"], "c": None, "d": True, "e": {"nested": []}},
    [1, "two", 3.0],
    "just a string",
    42,
    -1.25,
    False,
    {"unicode": "é ü 中 \U0001f600", "escape": 'q"\\\n\t'},
    {},
]


@pytest.fixture(params=["orjson", "json"])
def json_serde(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> JsonSerde:
    """A JsonSerde on each backend: orjson, and the stdlib fallback."""
    if request.param == "orjson":
        if json_module._orjson is None:
            pytest.skip("orjson is not installed")
    else:
        monkeypatch.setattr(json_module, "_orjson", None)
    serde = JsonSerde()
    assert serde.backend == request.param
    return serde


@pytest.mark.parametrize("value", JSON_SAMPLES)
def test_json_round_trip(json_serde: JsonSerde, value: Any) -> None:
    data = json_serde.serialize(TOPIC, value)
    assert type(data) is bytes
    assert json_serde.deserialize(TOPIC, data) == value
    assert json_serde.deserialize(TOPIC, memoryview(data)) == value
    assert json_serde.deserialize(TOPIC, bytearray(data)) == value


def test_json_is_compact_utf8(json_serde: JsonSerde) -> None:
    assert json_serde.serialize(TOPIC, {"user": "é", "n": [1, 2]}) == (
        b'{"user":"\xc3\xa9","n":[1,2]}'
    )


def test_json_non_str_keys_become_strings(json_serde: JsonSerde) -> None:
    assert json_serde.serialize(TOPIC, {1: "a", None: "b"}) == b'{"1":"a","null":"b"}'


@pytest.mark.parametrize("value", JSON_SAMPLES)
def test_json_backends_write_the_same_bytes(value: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    if json_module._orjson is None:
        pytest.skip("orjson is not installed")
    fast = JsonSerde().serialize(TOPIC, value)
    monkeypatch.setattr(json_module, "_orjson", None)
    slow = JsonSerde().serialize(TOPIC, value)
    assert fast == slow
    assert json.loads(fast) == value


def test_json_default_hook(json_serde: JsonSerde) -> None:
    class Point:
        def __init__(self, x: int, y: int) -> None:
            self.x, self.y = x, y

    serde = JsonSerde(default=lambda o: o.__dict__)
    assert serde.backend == json_serde.backend
    assert serde.serialize(TOPIC, {"p": Point(1, 2)}) == b'{"p":{"x":1,"y":2}}'


def test_json_unserializable(json_serde: JsonSerde) -> None:
    with pytest.raises(
        SerializationError, match="JsonSerde could not serialize a dict to JSON for topic 'orders'"
    ) as info:
        json_serde.serialize(TOPIC, {"x": object()})
    assert not isinstance(info.value, DeserializationError)


@pytest.mark.parametrize("wire", [b"{bad json", b"\xff\xfe\x00garbage", b"", b'{"a": 1', b"[1,2]]"])
def test_json_bad_bytes(json_serde: JsonSerde, wire: bytes) -> None:
    with pytest.raises(DeserializationError) as info:
        json_serde.deserialize(TOPIC, wire)
    message = str(info.value)
    assert "JsonSerde could not parse data from topic 'orders' as JSON" in message
    assert f"data starts with {wire[:32]!r}" in message


def test_json_error_shows_only_the_first_bytes() -> None:
    wire = b"x" * 1000
    with pytest.raises(DeserializationError) as info:
        JsonSerde().deserialize(TOPIC, wire)
    assert repr(b"x" * 32) + "... (1000 bytes)" in str(info.value)


# --------------------------------------------------------------------------- Avro (schemaless)

needs_fastavro = pytest.mark.skipif(fastavro is None, reason="fastavro is not installed")

ORDER_SCHEMA = {
    "type": "record",
    "name": "Order",
    "namespace": "shop",
    "fields": [
        {"name": "id", "type": "long"},
        {"name": "item", "type": "string"},
        {"name": "qty", "type": "int"},
        {"name": "note", "type": ["null", "string"], "default": None},
    ],
}

ORDER = {"id": 7, "item": "apple", "qty": 3, "note": None}
# Avro binary of ORDER: zigzag varints; string = length varint + UTF-8; union = branch index.
ORDER_AVRO = b"\x0e" + b"\x0aapple" + b"\x06" + b"\x00"


@needs_fastavro
def test_avro_exact_bytes_and_round_trip() -> None:
    serde = AvroSerde(ORDER_SCHEMA)
    assert serde.serialize(TOPIC, ORDER) == ORDER_AVRO
    assert serde.deserialize(TOPIC, ORDER_AVRO) == ORDER
    assert serde.deserialize(TOPIC, memoryview(ORDER_AVRO)) == ORDER


@needs_fastavro
def test_avro_schema_as_json_text_and_primitive() -> None:
    assert AvroSerde(json.dumps(ORDER_SCHEMA)).serialize(TOPIC, ORDER) == ORDER_AVRO
    serde = AvroSerde("string")
    assert serde.serialize(TOPIC, "hi") == b"\x04hi"
    assert serde.deserialize(TOPIC, b"\x04hi") == "hi"
    assert AvroSerde('"long"').serialize(TOPIC, -1) == b"\x01"


@needs_fastavro
def test_avro_none_is_null_record() -> None:
    serde = AvroSerde(ORDER_SCHEMA)
    assert serde.serialize(TOPIC, None) is None
    assert serde.deserialize(TOPIC, None) is None


@needs_fastavro
def test_avro_invalid_schema() -> None:
    with pytest.raises(ConfigError, match="invalid Avro schema"):
        AvroSerde({"type": "record", "name": "X", "fields": [{"name": "a", "type": "nope"}]})
    with pytest.raises(ConfigError, match="must be a dict"):
        AvroSerde(42)  # type: ignore[arg-type]


@needs_fastavro
def test_avro_record_not_matching_schema() -> None:
    serde = AvroSerde(ORDER_SCHEMA)
    message = (
        "AvroSerde could not write a dict as Avro shop.Order for topic 'orders': "
        "shop.Order.qty is <three> of type <class 'str'> expected int"
    )
    with pytest.raises(SerializationError, match=re.escape(message)):
        serde.serialize(TOPIC, {"id": 1, "item": "x", "qty": "three"})


@needs_fastavro
def test_avro_validate_catches_out_of_range_int() -> None:
    record = {"id": 1, "item": "x", "qty": 2**40, "note": None}
    AvroSerde(ORDER_SCHEMA).serialize(TOPIC, record)  # fastavro alone lets it through
    with pytest.raises(SerializationError, match="qty"):
        AvroSerde(ORDER_SCHEMA, validate=True).serialize(TOPIC, record)


@needs_fastavro
def test_avro_truncated_bytes() -> None:
    with pytest.raises(
        DeserializationError,
        match=r"AvroSerde could not read data from topic "
        r"'orders'.*data starts with b'\\x0e\\nap' \(4 bytes\)",
    ):
        AvroSerde(ORDER_SCHEMA).deserialize(TOPIC, ORDER_AVRO[:4])


@needs_fastavro
def test_avro_serde_pickles() -> None:
    clone = pickle.loads(pickle.dumps(AvroSerde(ORDER_SCHEMA)))
    assert clone.deserialize(TOPIC, ORDER_AVRO) == ORDER


def test_avro_missing_fastavro_message(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def fake_import(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "fastavro":
            raise ImportError("No module named 'fastavro'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(ImportError, match=r"pip install kstreams-py\[avro\]"):
        AvroSerde(ORDER_SCHEMA)


# --------------------------------------------------------------------------- Avro + registry


class FakeRegistry:
    """An in-process stand-in for a Schema Registry: ids from 1, one per distinct schema text."""

    def __init__(self, first_id: int = 1) -> None:
        self.ids: dict[str, int] = {}
        self.schemas: dict[int, str] = {}
        self.subjects: dict[str, list[int]] = {}
        self.next_id = first_id
        self.register_calls = 0
        self.get_calls = 0

    def register(self, subject: str, schema_str: str) -> int:
        self.register_calls += 1
        schema_id = self.ids.get(schema_str)
        if schema_id is None:
            schema_id = self.ids[schema_str] = self.next_id
            self.schemas[schema_id] = schema_str
            self.next_id += 1
        versions = self.subjects.setdefault(subject, [])
        if schema_id not in versions:
            versions.append(schema_id)
        return schema_id

    def get_schema(self, schema_id: int) -> str:
        self.get_calls += 1
        return self.schemas[schema_id]

    def lookup(self, subject: str, schema_str: str) -> int:
        schema_id = self.ids.get(schema_str)
        if schema_id is None or schema_id not in self.subjects.get(subject, []):
            raise KeyError(f"schema not registered under {subject}")
        return schema_id


def test_fake_registry_satisfies_protocol() -> None:
    assert isinstance(FakeRegistry(), SchemaRegistryClientLike)


def test_topic_name_strategy() -> None:
    assert topic_name_strategy("orders", False) == "orders-value"
    assert topic_name_strategy("orders", True) == "orders-key"


@needs_fastavro
def test_registry_wire_format() -> None:
    registry = FakeRegistry(first_id=0x01020304)
    serde = SchemaRegistryAvroSerde(registry, ORDER_SCHEMA)
    data = serde.serialize(TOPIC, ORDER)
    assert data is not None
    # magic byte 0, schema id as 4 bytes big-endian, then plain Avro binary
    assert data[0:1] == b"\x00"
    assert data[1:5] == b"\x01\x02\x03\x04"
    assert data[5:] == ORDER_AVRO
    assert data == b"\x00\x01\x02\x03\x04" + ORDER_AVRO
    assert registry.subjects == {"orders-value": [0x01020304]}
    assert json.loads(registry.schemas[0x01020304]) == ORDER_SCHEMA
    assert serde.deserialize(TOPIC, data) == ORDER


@needs_fastavro
def test_registry_key_subject_and_caching() -> None:
    registry = FakeRegistry()
    serde = SchemaRegistryAvroSerde(registry, "string", is_key=True)
    assert serde.subject("orders") == "orders-key"
    first = serde.serialize("orders", "k1")
    serde.serialize("orders", "k2")
    assert registry.register_calls == 1  # once per topic
    serde.serialize("payments", "k3")
    assert registry.register_calls == 2
    assert set(registry.subjects) == {"orders-key", "payments-key"}
    assert first == b"\x00\x00\x00\x00\x01" + b"\x04k1"


@needs_fastavro
def test_registry_deserialize_fetches_each_schema_once() -> None:
    registry = FakeRegistry()
    writer = SchemaRegistryAvroSerde(registry, ORDER_SCHEMA)
    data = writer.serialize(TOPIC, ORDER)
    reader = SchemaRegistryAvroSerde(registry)  # deserialize-only, no schema of its own
    assert reader.deserialize(TOPIC, data) == ORDER
    assert reader.deserialize(TOPIC, data) == ORDER
    assert registry.get_calls == 1
    # The writing serde knows its own id and never asks.
    assert writer.deserialize(TOPIC, data) == ORDER
    assert registry.get_calls == 1


@needs_fastavro
def test_registry_schema_evolution_reads_into_reader_schema() -> None:
    registry = FakeRegistry()
    v1 = {"type": "record", "name": "Order", "fields": [{"name": "id", "type": "long"}]}
    v2 = {
        "type": "record",
        "name": "Order",
        "fields": [
            {"name": "id", "type": "long"},
            {"name": "qty", "type": "int", "default": 1},
        ],
    }
    old = SchemaRegistryAvroSerde(registry, v1).serialize(TOPIC, {"id": 5})
    new_serde = SchemaRegistryAvroSerde(registry, v2)
    new = new_serde.serialize(TOPIC, {"id": 6, "qty": 2})
    assert old is not None and new is not None
    assert old[1:5] != new[1:5]
    assert new_serde.deserialize(TOPIC, old) == {"id": 5, "qty": 1}
    assert new_serde.deserialize(TOPIC, new) == {"id": 6, "qty": 2}
    assert registry.subjects == {"orders-value": [1, 2]}


@needs_fastavro
def test_registry_auto_register_off_uses_lookup() -> None:
    registry = FakeRegistry()
    serde = SchemaRegistryAvroSerde(registry, ORDER_SCHEMA, auto_register=False)
    with pytest.raises(
        SerializationError, match="could not look up its schema under subject 'orders-value'"
    ):
        serde.serialize(TOPIC, ORDER)
    SchemaRegistryAvroSerde(registry, ORDER_SCHEMA).serialize(TOPIC, ORDER)
    assert serde.serialize(TOPIC, ORDER) == b"\x00\x00\x00\x00\x01" + ORDER_AVRO


@needs_fastavro
def test_registry_custom_subject_strategy() -> None:
    registry = FakeRegistry()
    serde = SchemaRegistryAvroSerde(
        registry, ORDER_SCHEMA, subject_name_strategy=lambda topic, is_key: "shop.Order"
    )
    serde.serialize(TOPIC, ORDER)
    assert list(registry.subjects) == ["shop.Order"]


@needs_fastavro
def test_registry_get_schema_may_return_an_object() -> None:
    class SchemaObject:
        def __init__(self, text: str) -> None:
            self.schema_str = text
            self.schema_type = "AVRO"
            self.references: list[Any] = []

    class ObjectRegistry(FakeRegistry):
        def get_schema(self, schema_id: int) -> Any:  # type: ignore[override]
            return SchemaObject(self.schemas[schema_id])

    registry = ObjectRegistry()
    data = SchemaRegistryAvroSerde(registry, ORDER_SCHEMA).serialize(TOPIC, ORDER)
    assert SchemaRegistryAvroSerde(registry).deserialize(TOPIC, data) == ORDER


@needs_fastavro
@pytest.mark.parametrize(
    ("wire", "message"),
    [
        (b"\x00\x00\x01", "too short for the Schema Registry wire format"),
        (b"", "too short for the Schema Registry wire format"),
        (b"\x01\x00\x00\x00\x01\x02", "unknown magic byte 1"),
        (b'{"id": 1}', "unknown magic byte 123"),
        (b"\x00\x00\x00\x00\x63\x02", "could not get the Avro schema with id 99 from the registry"),
    ],
)
def test_registry_bad_bytes(wire: bytes, message: str) -> None:
    serde = SchemaRegistryAvroSerde(FakeRegistry(), ORDER_SCHEMA)
    with pytest.raises(DeserializationError, match=message) as info:
        serde.deserialize(TOPIC, wire)
    assert "'orders'" in str(info.value)


@needs_fastavro
def test_registry_truncated_body() -> None:
    registry = FakeRegistry()
    serde = SchemaRegistryAvroSerde(registry, ORDER_SCHEMA)
    data = serde.serialize(TOPIC, ORDER)
    assert data is not None
    with pytest.raises(DeserializationError, match="with schema id 1"):
        SchemaRegistryAvroSerde(registry).deserialize(TOPIC, data[:8])


@needs_fastavro
def test_registry_serialize_without_schema() -> None:
    with pytest.raises(SerializationError, match="created without a schema"):
        SchemaRegistryAvroSerde(FakeRegistry()).serialize(TOPIC, ORDER)


@needs_fastavro
def test_registry_register_failure() -> None:
    class Down(FakeRegistry):
        def register(self, subject: str, schema_str: str) -> int:
            raise ConnectionError("registry unreachable")

    with pytest.raises(
        SerializationError,
        match=r"could not register its schema under subject "
        r"'orders-value' .*registry unreachable",
    ):
        SchemaRegistryAvroSerde(Down(), ORDER_SCHEMA).serialize(TOPIC, ORDER)


@needs_fastavro
def test_registry_rejects_non_client() -> None:
    with pytest.raises(TypeError, match="needs a Schema Registry client"):
        SchemaRegistryAvroSerde(object(), ORDER_SCHEMA)


@needs_fastavro
def test_registry_non_avro_schema_refused() -> None:
    class ProtoSchema:
        schema_str = "syntax = 'proto3';"
        schema_type = "PROTOBUF"
        references: list[Any] = []

    class ProtoRegistry(FakeRegistry):
        def get_schema(self, schema_id: int) -> Any:  # type: ignore[override]
            return ProtoSchema()

    with pytest.raises(DeserializationError, match="is a PROTOBUF schema, not Avro"):
        SchemaRegistryAvroSerde(ProtoRegistry()).deserialize(TOPIC, b"\x00\x00\x00\x00\x01")


@needs_fastavro
def test_registry_output_reads_with_plain_fastavro() -> None:
    """The payload after the 5-byte header is standard Avro any reader understands."""
    data = SchemaRegistryAvroSerde(FakeRegistry(), ORDER_SCHEMA).serialize(TOPIC, ORDER)
    assert data is not None
    body = io.BytesIO(data[5:])
    assert fastavro.schemaless_reader(body, fastavro.parse_schema(ORDER_SCHEMA)) == ORDER


@needs_fastavro
def test_registry_interop_with_confluent_kafka() -> None:
    """Bytes agree with confluent-kafka's own AvroSerializer/AvroDeserializer (needs its extras)."""
    pytest.importorskip("confluent_kafka.schema_registry")
    from confluent_kafka.schema_registry._sync.mock_schema_registry_client import (
        MockSchemaRegistryClient,
    )
    from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
    from confluent_kafka.serialization import MessageField, SerializationContext

    client = MockSchemaRegistryClient({"url": "mock://kstreams"})
    context = SerializationContext(TOPIC, MessageField.VALUE)
    ours = SchemaRegistryAvroSerde(client, ORDER_SCHEMA)
    mine = ours.serialize(TOPIC, ORDER)
    assert AvroDeserializer(client)(mine, context) == ORDER
    theirs = AvroSerializer(client, json.dumps(ORDER_SCHEMA))(ORDER, context)
    assert theirs is not None
    assert theirs[:1] == b"\x00"
    assert theirs[5:] == ORDER_AVRO
    assert SchemaRegistryAvroSerde(client).deserialize(TOPIC, theirs) == ORDER
    assert client.get_subjects() == ["orders-value"]
