"""Unit tests of the serdes' fast paths (``fast_serializer``/``fast_deserializer``).

The contract: for non-None data the one-argument function either raises or returns exactly
what the full method returns; the runtime falls back to the full method otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import kstreams.serde.json as json_module
from kstreams.errors import DeserializationError, SerializationError
from kstreams.serde import (
    BytesSerde,
    DoubleSerde,
    FloatSerde,
    IntegerSerde,
    JsonSerde,
    LongSerde,
    Serde,
    ShortSerde,
    StringSerde,
    UUIDSerde,
)

needs_orjson = pytest.mark.skipif(json_module._orjson is None, reason="orjson not installed")


def _same_or_raises(fast: Callable[[Any], Any], full: Callable[[Any], Any], data: Any) -> None:
    try:
        got = fast(data)
    except Exception:
        return  # the runtime calls the full method, which decides
    assert got == full(data)
    assert type(got) is type(full(data))


class _Text(str):
    def encode(self, *args: Any, **kwargs: Any) -> bytes:  # type: ignore[override]
        return b"overridden"


def test_string_fast_paths_match_the_full_methods() -> None:
    serde = StringSerde()
    enc = serde.fast_serializer()
    dec = serde.fast_deserializer()
    assert enc is not None and dec is not None
    for text in ["", "user-1", "é€😀", _Text("sub")]:
        _same_or_raises(enc, lambda d: serde.serialize("t", d), text)
    for raw in [b"", b"user-1", "é€😀".encode(), b"\xff\xfe", bytearray(b"ab"), memoryview(b"x")]:
        _same_or_raises(dec, lambda d: serde.deserialize("t", d), raw)
    # what the fast path refuses, the full method explains
    for bad in [1, b"bytes", None.__class__]:
        with pytest.raises(TypeError):
            enc(bad)
        with pytest.raises(SerializationError):
            serde.serialize("t", bad)
    with pytest.raises(UnicodeDecodeError):
        dec(b"\xff")
    with pytest.raises(DeserializationError):
        serde.deserialize("t", b"\xff")


def test_string_subclass_text_serializes_as_its_text() -> None:
    assert StringSerde().serialize("t", _Text("abc")) == b"abc"
    assert StringSerde().fast_serializer()(_Text("abc")) == b"abc"  # type: ignore[misc]


def test_string_fast_paths_only_for_plain_utf8() -> None:
    assert StringSerde(encoding="latin-1").fast_serializer() is None
    assert StringSerde(encoding="latin-1").fast_deserializer() is None
    assert StringSerde(errors="replace").fast_deserializer() is None
    assert StringSerde(encoding="UTF8").fast_deserializer() is not None  # normalized name


def test_overridden_methods_have_no_fast_path() -> None:
    class Upper(StringSerde):
        def serialize(self, topic: str, data: Any, headers: Any = None) -> bytes | None:
            return None if data is None else data.upper().encode()

        def deserialize(self, topic: str, data: Any, headers: Any = None) -> str | None:
            return None if data is None else data.decode().lower()

    class MyJson(JsonSerde):
        def deserialize(self, topic: str, data: Any, headers: Any = None) -> Any:
            return {"wrapped": super().deserialize(topic, data, headers)}

    class MyLong(LongSerde):
        def serialize(self, topic: str, data: Any, headers: Any = None) -> bytes | None:
            return super().serialize(topic, data * 2, headers)

    assert Upper().fast_serializer() is None
    assert Upper().fast_deserializer() is None
    assert MyJson().fast_deserializer() is None
    assert MyJson().fast_serializer() is not None or json_module._orjson is None
    assert MyLong().fast_serializer() is None


def test_serdes_without_fast_paths() -> None:
    assert IntegerSerde().fast_deserializer() is None
    assert UUIDSerde().fast_serializer() is None
    assert BytesSerde().fast_deserializer() is None
    assert Serde().fast_serializer() is None
    assert Serde().fast_deserializer() is None


@needs_orjson
def test_json_fast_paths_match_the_full_methods() -> None:
    serde = JsonSerde()
    enc = serde.fast_serializer()
    dec = serde.fast_deserializer()
    assert enc is not None and dec is not None
    values: list[Any] = [{"a": 1, "é": [1.5, None, True]}, [], "x", 0, {1: "non-str key"}, object()]
    for value in values:
        _same_or_raises(enc, lambda d: serde.serialize("t", d), value)
    for raw in [b'{"a":1}', b"[]", b'"x"', b"null", b"{bad", bytearray(b"1")]:
        _same_or_raises(dec, lambda d: serde.deserialize("t", d), raw)
    # non-str keys: the fast path refuses, serialize() succeeds with str keys
    with pytest.raises(TypeError):
        enc({1: "a"})
    assert serde.serialize("t", {1: "a"}) == b'{"1":"a"}'
    with pytest.raises(DeserializationError, match="JsonSerde could not parse"):
        serde.deserialize("t", b"{bad")


@needs_orjson
def test_json_with_default_has_no_fast_serializer() -> None:
    assert JsonSerde(default=str).fast_serializer() is None
    assert JsonSerde(default=str).fast_deserializer() is not None


def test_json_without_orjson_has_no_fast_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(json_module, "_orjson", None)
    serde = JsonSerde()
    assert serde.fast_serializer() is None
    assert serde.fast_deserializer() is None


@pytest.mark.parametrize("cls", [ShortSerde, IntegerSerde, LongSerde, FloatSerde, DoubleSerde])
def test_struct_fast_serializers_match(cls: type[Serde[Any]]) -> None:
    serde = cls()
    enc = serde.fast_serializer()
    assert enc is not None
    values = [0, 1, -1, 2**15, 2**31, 2**63 - 1, -(2**63), 2**63, 1.5, 3.4e38, 1e300]
    for value in [*values, float("nan"), float("inf"), "1", True, None.__class__]:
        _same_or_raises(enc, lambda d: serde.serialize("t", d), value)

    class Doubled(cls):  # type: ignore[valid-type,misc]
        def serialize(self, topic: str, data: Any, headers: Any = None) -> bytes | None:
            return super().serialize(topic, data * 2, headers)

    assert Doubled().fast_serializer() is None


def test_long_errors_stay_those_of_serialize() -> None:
    with pytest.raises(Exception):  # noqa: B017 - whatever pack raises, the runtime falls back
        LongSerde().fast_serializer()(2**63)  # type: ignore[misc]
    with pytest.raises(SerializationError, match="out of range for a 64-bit"):
        LongSerde().serialize("t", 2**63)
