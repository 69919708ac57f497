"""Serdes of primitive types, byte-compatible with Java's built-in serdes.

Each class here writes exactly the bytes that the matching class in Java's
``org.apache.kafka.common.serialization`` writes, so a kstreams application and
a Java Kafka Streams application can share topics:

==================  ==========================  ========================================
kstreams            Java                        Wire format
==================  ==========================  ========================================
``StringSerde``     ``StringSerializer``        UTF-8 text (the encoding is configurable)
``BytesSerde``      ``BytesSerializer``         the bytes as they are
``ByteArraySerde``  ``ByteArraySerializer``     the bytes as they are
``ShortSerde``      ``ShortSerializer``         2 bytes, big-endian, signed
``IntegerSerde``    ``IntegerSerializer``       4 bytes, big-endian, signed
``LongSerde``       ``LongSerializer``          8 bytes, big-endian, signed
``FloatSerde``      ``FloatSerializer``         4 bytes, IEEE 754 binary32, big-endian
``DoubleSerde``     ``DoubleSerializer``        8 bytes, IEEE 754 binary64, big-endian
``UUIDSerde``       ``UUIDSerializer``          the 36-character lowercase UUID text, UTF-8
``BooleanSerde``    ``BooleanSerializer``       one byte, ``0x01`` or ``0x00``
``VoidSerde``       ``VoidSerializer``          always null
==================  ==========================  ========================================

``None`` (a null key or a tombstone value) maps to ``None`` both ways in every
serde. Serializing a value the format cannot hold (``2**31`` with
:class:`IntegerSerde`, a ``str`` with :class:`LongSerde`) raises
:class:`~kstreams.errors.SerializationError` instead of wrapping around. Bytes
that do not fit the format raise :class:`~kstreams.errors.DeserializationError`
(a subclass of ``SerializationError``) whose message starts like Java's, e.g.
``"Size of data received by IntegerDeserializer is not 4"``, and names the topic.

Example::

    >>> LongSerde().serialize("counts", 1)
    b'\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x01'
    >>> IntegerSerde().deserialize("counts", b"\\xff\\xff\\xff\\xff")
    -1
"""

from __future__ import annotations

import codecs
import operator
import struct
import uuid
from collections.abc import Callable
from typing import Any

from kstreams.errors import ConfigError, DeserializationError, SerializationError
from kstreams.serde.base import Headers, Serde

__all__ = [
    "BooleanSerde",
    "ByteArraySerde",
    "BytesSerde",
    "DoubleSerde",
    "FloatSerde",
    "IntegerSerde",
    "LongSerde",
    "ShortSerde",
    "StringSerde",
    "UUIDSerde",
    "VoidSerde",
]

# Precompiled big-endian layouts (Java's DataOutput / ByteBuffer order).
_SHORT = struct.Struct(">h")
_INT = struct.Struct(">i")
_LONG = struct.Struct(">q")
_FLOAT = struct.Struct(">f")
_DOUBLE = struct.Struct(">d")

_TRUE = b"\x01"
_FALSE = b"\x00"

_PREVIEW = 32


def _preview(data: Any) -> str:
    """The first bytes of ``data`` for an error message, e.g. ``b'\\x00\\x01' (2 bytes)``."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        return f"a {type(data).__name__} object"
    raw = bytes(data)
    head = raw[:_PREVIEW]
    more = "..." if len(raw) > _PREVIEW else ""
    return f"{head!r}{more} ({len(raw)} bytes)"


def _plain_pack(
    serde: Serde[Any], cls: type[Serde[Any]], layout: struct.Struct
) -> Callable[[Any], bytes] | None:
    """``layout.pack`` as the fast serializer of ``serde`` unless its class overrides ``serialize``.

    The struct serdes' ``serialize`` is ``layout.pack(data)`` for non-None data, with
    errors explained on failure: ``pack`` itself gives the same bytes or raises.
    """
    return layout.pack if type(serde).serialize is cls.serialize else None


def _type_name(data: Any) -> str:
    return type(data).__name__


def _integer_serialize_error(
    java_name: str, bits: int, topic: str, data: Any
) -> SerializationError:
    """Explain why a fixed-width integer serializer refused ``data``."""
    try:
        value = operator.index(data)
    except TypeError:
        return SerializationError(
            f"{java_name} expects an int, got {_type_name(data)} {data!r} (topic {topic!r})"
        )
    low, high = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return SerializationError(
        f"{java_name} cannot serialize {value}: out of range for a {bits}-bit signed "
        f"integer [{low}, {high}] (topic {topic!r})"
    )


def _float_serialize_error(
    java_name: str, bits: int, topic: str, data: Any, exc: BaseException
) -> SerializationError:
    """Explain why a floating-point serializer refused ``data``."""
    if not isinstance(data, (int, float)) and not hasattr(data, "__float__"):
        return SerializationError(
            f"{java_name} expects a float, got {_type_name(data)} {data!r} (topic {topic!r})"
        )
    return SerializationError(
        f"{java_name} cannot serialize {data!r}: out of range for a {bits}-bit IEEE 754 "
        f"float ({exc}) (topic {topic!r})"
    )


def _size_error(java_name: str, size: int, topic: str, data: Any) -> DeserializationError:
    """Java's message for bytes of the wrong length, plus what was received and where."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        return DeserializationError(
            f"{java_name} expects bytes, got {_type_name(data)} (topic {topic!r})"
        )
    return DeserializationError(
        f"Size of data received by {java_name} is not {size}: got {_preview(data)} "
        f"(topic {topic!r})"
    )


class StringSerde(Serde[str]):
    """Text as UTF-8 bytes (Java: ``Serdes.String()``).

    Args:
        encoding: Any codec Python knows; Java's ``key.serializer.encoding`` equivalent.
        errors: How to handle text or bytes the codec cannot convert. The default
            ``"strict"`` raises; Java's ``StringDeserializer`` silently replaces bad
            bytes with U+FFFD, which ``errors="replace"`` reproduces.

    Example::

        >>> StringSerde().serialize("t", "é")
        b'\\xc3\\xa9'
    """

    def __init__(self, encoding: str = "utf-8", errors: str = "strict") -> None:
        try:
            self._encoding = codecs.lookup(encoding).name
        except LookupError:
            raise ConfigError(f"StringSerde: unsupported encoding {encoding!r}") from None
        try:
            codecs.lookup_error(errors)
        except LookupError:
            raise ConfigError(f"StringSerde: unknown error handler {errors!r}") from None
        self._errors = errors

    @property
    def encoding(self) -> str:
        """The normalized codec name, e.g. ``"utf-8"``."""
        return self._encoding

    def serialize(self, topic: str, data: str | None, headers: Headers = None) -> bytes | None:
        if data is None:
            return None
        if not isinstance(data, str):
            raise SerializationError(
                f"StringSerializer expects a str, got {_type_name(data)} {data!r} (topic {topic!r})"
            )
        try:
            # str.encode rather than data.encode: the text's bytes, whatever a subclass does
            return str.encode(data, self._encoding, self._errors)
        except UnicodeError as exc:
            raise SerializationError(
                f"StringSerializer could not encode text as {self._encoding}: {exc} "
                f"(topic {topic!r})"
            ) from exc

    def deserialize(self, topic: str, data: bytes | None, headers: Headers = None) -> str | None:
        if data is None:
            return None
        try:
            return str(data, self._encoding, self._errors)
        except UnicodeError as exc:
            raise DeserializationError(
                f"StringDeserializer could not decode {_preview(data)} as {self._encoding}: "
                f"{exc} (topic {topic!r})"
            ) from exc
        except TypeError as exc:
            raise DeserializationError(
                f"StringDeserializer expects bytes, got {_type_name(data)} (topic {topic!r})"
            ) from exc

    def _plain_utf8(self) -> bool:
        return self._encoding == "utf-8" and self._errors == "strict"

    def fast_serializer(self) -> Callable[[Any], bytes] | None:
        """``str.encode`` for UTF-8 with strict errors (what :meth:`serialize` calls), else None.

        It raises for anything but a ``str`` (``serialize`` then explains the error).
        """
        if not self._plain_utf8() or type(self).serialize is not StringSerde.serialize:
            return None
        return str.encode

    def fast_deserializer(self) -> Callable[[bytes], Any] | None:
        """``bytes.decode`` for UTF-8 with strict errors, else None.

        It decodes ``bytes`` exactly as ``str(data, "utf-8", "strict")`` does, and raises
        for anything else (``deserialize`` then decodes a ``bytearray`` or explains).
        """
        if not self._plain_utf8() or type(self).deserialize is not StringSerde.deserialize:
            return None
        return bytes.decode

    def __repr__(self) -> str:
        if self._plain_utf8():
            return "StringSerde()"
        return f"StringSerde(encoding={self._encoding!r}, errors={self._errors!r})"


class ByteArraySerde(Serde[bytes]):
    """Raw bytes, passed through unchanged (Java: ``Serdes.ByteArray()``).

    ``serialize`` also takes ``bytearray`` and ``memoryview`` (copied to
    ``bytes``); ``deserialize`` always returns ``bytes``.

    Example::

        >>> ByteArraySerde().serialize("t", bytearray(b"ab"))
        b'ab'
    """

    _java_serializer = "ByteArraySerializer"
    _java_deserializer = "ByteArrayDeserializer"

    def serialize(self, topic: str, data: bytes | None, headers: Headers = None) -> bytes | None:
        if data is None or type(data) is bytes:
            return data
        if isinstance(data, (bytes, bytearray, memoryview)):
            return bytes(data)
        raise SerializationError(
            f"{self._java_serializer} expects bytes, bytearray or memoryview, "
            f"got {_type_name(data)} (topic {topic!r})"
        )

    def deserialize(self, topic: str, data: bytes | None, headers: Headers = None) -> bytes | None:
        if data is None or type(data) is bytes:
            return data
        if isinstance(data, (bytes, bytearray, memoryview)):
            return bytes(data)
        raise DeserializationError(
            f"{self._java_deserializer} expects bytes, got {_type_name(data)} (topic {topic!r})"
        )


class BytesSerde(ByteArraySerde):
    """Raw bytes, passed through unchanged (Java: ``Serdes.Bytes()``).

    Java's ``Bytes`` wraps ``byte[]`` to make it hashable; Python's ``bytes`` is
    hashable already, so this behaves exactly like :class:`ByteArraySerde`.
    """

    _java_serializer = "BytesSerializer"
    _java_deserializer = "BytesDeserializer"


class ShortSerde(Serde[int]):
    """A 16-bit signed integer, 2 bytes big-endian (Java: ``Serdes.Short()``).

    Example::

        >>> ShortSerde().serialize("t", -2)
        b'\\xff\\xfe'
    """

    def serialize(self, topic: str, data: int | None, headers: Headers = None) -> bytes | None:
        if data is None:
            return None
        try:
            return _SHORT.pack(data)
        except (struct.error, TypeError, OverflowError):
            raise _integer_serialize_error("ShortSerializer", 16, topic, data) from None

    def fast_serializer(self) -> Callable[[Any], bytes] | None:
        """The ``>h`` struct's ``pack`` (what :meth:`serialize` calls), unless overridden."""
        return _plain_pack(self, ShortSerde, _SHORT)

    def deserialize(self, topic: str, data: bytes | None, headers: Headers = None) -> int | None:
        if data is None:
            return None
        try:
            return _SHORT.unpack(data)[0]
        except (struct.error, TypeError):
            raise _size_error("ShortDeserializer", 2, topic, data) from None


class IntegerSerde(Serde[int]):
    """A 32-bit signed integer, 4 bytes big-endian (Java: ``Serdes.Integer()``).

    Example::

        >>> IntegerSerde().serialize("t", -1)
        b'\\xff\\xff\\xff\\xff'
    """

    def serialize(self, topic: str, data: int | None, headers: Headers = None) -> bytes | None:
        if data is None:
            return None
        try:
            return _INT.pack(data)
        except (struct.error, TypeError, OverflowError):
            raise _integer_serialize_error("IntegerSerializer", 32, topic, data) from None

    def fast_serializer(self) -> Callable[[Any], bytes] | None:
        """The ``>i`` struct's ``pack`` (what :meth:`serialize` calls), unless overridden."""
        return _plain_pack(self, IntegerSerde, _INT)

    def deserialize(self, topic: str, data: bytes | None, headers: Headers = None) -> int | None:
        if data is None:
            return None
        try:
            return _INT.unpack(data)[0]
        except (struct.error, TypeError):
            raise _size_error("IntegerDeserializer", 4, topic, data) from None


class LongSerde(Serde[int]):
    """A 64-bit signed integer, 8 bytes big-endian (Java: ``Serdes.Long()``).

    This is the serde :meth:`Serdes.serde_from` picks for ``int``, and the one
    Kafka Streams uses for counts.

    Example::

        >>> LongSerde().serialize("t", 1)
        b'\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x01'
    """

    def serialize(self, topic: str, data: int | None, headers: Headers = None) -> bytes | None:
        if data is None:
            return None
        try:
            return _LONG.pack(data)
        except (struct.error, TypeError, OverflowError):
            raise _integer_serialize_error("LongSerializer", 64, topic, data) from None

    def fast_serializer(self) -> Callable[[Any], bytes] | None:
        """The ``>q`` struct's ``pack`` (what :meth:`serialize` calls), unless overridden."""
        return _plain_pack(self, LongSerde, _LONG)

    def deserialize(self, topic: str, data: bytes | None, headers: Headers = None) -> int | None:
        if data is None:
            return None
        try:
            return _LONG.unpack(data)[0]
        except (struct.error, TypeError):
            raise _size_error("LongDeserializer", 8, topic, data) from None


class FloatSerde(Serde[float]):
    """A 32-bit IEEE 754 float, 4 bytes big-endian (Java: ``Serdes.Float()``).

    Python floats are 64-bit, so values are rounded to the nearest binary32;
    finite values too large for binary32 raise ``SerializationError``.

    Example::

        >>> FloatSerde().serialize("t", 1.0)
        b'?\\x80\\x00\\x00'
    """

    def serialize(self, topic: str, data: float | None, headers: Headers = None) -> bytes | None:
        if data is None:
            return None
        try:
            return _FLOAT.pack(data)
        except (struct.error, TypeError, OverflowError) as exc:
            raise _float_serialize_error("FloatSerializer", 32, topic, data, exc) from None

    def fast_serializer(self) -> Callable[[Any], bytes] | None:
        """The ``>f`` struct's ``pack`` (what :meth:`serialize` calls), unless overridden."""
        return _plain_pack(self, FloatSerde, _FLOAT)

    def deserialize(self, topic: str, data: bytes | None, headers: Headers = None) -> float | None:
        if data is None:
            return None
        try:
            return _FLOAT.unpack(data)[0]
        except (struct.error, TypeError):
            raise _size_error("FloatDeserializer", 4, topic, data) from None


class DoubleSerde(Serde[float]):
    """A 64-bit IEEE 754 float, 8 bytes big-endian (Java: ``Serdes.Double()``).

    ``int`` values are accepted and converted to ``float``.

    Example::

        >>> DoubleSerde().serialize("t", 1.0).hex()
        '3ff0000000000000'
    """

    def serialize(self, topic: str, data: float | None, headers: Headers = None) -> bytes | None:
        if data is None:
            return None
        try:
            return _DOUBLE.pack(data)
        except (struct.error, TypeError, OverflowError) as exc:
            raise _float_serialize_error("DoubleSerializer", 64, topic, data, exc) from None

    def fast_serializer(self) -> Callable[[Any], bytes] | None:
        """The ``>d`` struct's ``pack`` (what :meth:`serialize` calls), unless overridden."""
        return _plain_pack(self, DoubleSerde, _DOUBLE)

    def deserialize(self, topic: str, data: bytes | None, headers: Headers = None) -> float | None:
        if data is None:
            return None
        try:
            return _DOUBLE.unpack(data)[0]
        except (struct.error, TypeError):
            raise _size_error("DoubleDeserializer", 8, topic, data) from None


class UUIDSerde(Serde[uuid.UUID]):
    """A :class:`uuid.UUID` as its 36-character canonical text in UTF-8 (Java: ``Serdes.UUID()``).

    Java's ``UUIDSerializer`` writes ``UUID.toString()``, e.g.
    ``b"123e4567-e89b-12d3-a456-426614174000"``, not the 16 raw bytes.

    Example::

        >>> UUIDSerde().deserialize("t", b"123e4567-e89b-12d3-a456-426614174000")
        UUID('123e4567-e89b-12d3-a456-426614174000')
    """

    def serialize(
        self, topic: str, data: uuid.UUID | None, headers: Headers = None
    ) -> bytes | None:
        if data is None:
            return None
        if not isinstance(data, uuid.UUID):
            raise SerializationError(
                f"UUIDSerializer expects a uuid.UUID, got {_type_name(data)} {data!r} "
                f"(topic {topic!r})"
            )
        return str(data).encode("ascii")

    def deserialize(
        self, topic: str, data: bytes | None, headers: Headers = None
    ) -> uuid.UUID | None:
        if data is None:
            return None
        try:
            return uuid.UUID(str(data, "utf-8"))
        except (ValueError, TypeError) as exc:
            raise DeserializationError(
                f"Error parsing data into UUID: {_preview(data)} (topic {topic!r})"
            ) from exc


class BooleanSerde(Serde[bool]):
    """A bool as one byte, ``0x01`` for True and ``0x00`` for False (Java: ``Serdes.Boolean()``).

    ``serialize`` takes only ``True``/``False``; ``deserialize`` refuses any
    other byte, as Java's ``BooleanDeserializer`` does since Kafka 3.x.

    Example::

        >>> BooleanSerde().serialize("t", True)
        b'\\x01'
    """

    def serialize(self, topic: str, data: bool | None, headers: Headers = None) -> bytes | None:
        if data is True:
            return _TRUE
        if data is False:
            return _FALSE
        if data is None:
            return None
        raise SerializationError(
            f"BooleanSerializer expects a bool, got {_type_name(data)} {data!r} (topic {topic!r})"
        )

    def deserialize(self, topic: str, data: bytes | None, headers: Headers = None) -> bool | None:
        if data is None:
            return None
        try:
            if data == _TRUE:
                return True
            if data == _FALSE:
                return False
            size = len(data)
        except TypeError:
            size = -1
        if size != 1 or not isinstance(data, (bytes, bytearray, memoryview)):
            raise _size_error("BooleanDeserializer", 1, topic, data)
        signed = data[0] - 256 if data[0] > 127 else data[0]  # Java prints a signed byte
        raise DeserializationError(
            f"Unexpected byte received by BooleanDeserializer: {signed} (topic {topic!r})"
        )


class VoidSerde(Serde[None]):
    """Nothing: always null (Java: ``Serdes.Void()``).

    For topics whose keys (or values) are always null. Serializing anything but
    ``None`` or deserializing non-null bytes raises.
    """

    def serialize(self, topic: str, data: None, headers: Headers = None) -> bytes | None:
        if data is None:
            return None
        raise SerializationError(
            f"VoidSerializer can only serialize None, got {_type_name(data)} {data!r} "
            f"(topic {topic!r})"
        )

    def deserialize(self, topic: str, data: bytes | None, headers: Headers = None) -> None:
        if data is None:
            return None
        raise DeserializationError(
            f"Data should be null for a VoidDeserializer: got {_preview(data)} (topic {topic!r})"
        )
