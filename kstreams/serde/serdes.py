"""The ``Serdes`` factory, after Java's ``org.apache.kafka.common.serialization.Serdes``.

Every attribute such as ``Serdes.String`` *is the serde class itself*, so
``Serdes.String()`` makes an instance and ``Serdes.String`` can be given
wherever kstreams takes a serde class (a default key/value serde in the
config, say; :func:`kstreams.serde.as_serde` turns either into an instance)::

    key_serde = Serdes.String()             # an instance
    default_value_serde = Serdes.Long       # a class, instantiated when needed
"""

from __future__ import annotations

import uuid
from typing import Any

from kstreams.serde.base import Serde
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

__all__ = ["Serdes"]

# Python type -> serde class, in the order serde_from checks a type's MRO.
_BY_TYPE: dict[type, type[Serde[Any]]] = {
    str: StringSerde,
    bytes: BytesSerde,
    bool: BooleanSerde,  # before int: bool is an int subclass, found first in bool's MRO
    int: LongSerde,
    float: DoubleSerde,
    uuid.UUID: UUIDSerde,
    type(None): VoidSerde,
}


class Serdes:
    """Built-in serdes by name, as in Java (``Serdes.String()``, ``Serdes.Long()``, ...).

    The attributes are the serde classes, not functions: ``Serdes.Long is
    LongSerde``. Call one to get an instance; pass the class itself where a
    config takes a serde class.

    Example::

        >>> Serdes.Long().serialize("counts", 1)
        b'\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x01'
        >>> Serdes.serde_from(str)
        StringSerde()
    """

    String = StringSerde
    """UTF-8 text (Java ``StringSerde``); ``Serdes.String(encoding="latin-1")`` for others."""
    Bytes = BytesSerde
    """Raw bytes (Java ``BytesSerde``)."""
    ByteArray = ByteArraySerde
    """Raw bytes (Java ``ByteArraySerde``)."""
    Short = ShortSerde
    """16-bit signed big-endian integer (Java ``ShortSerde``)."""
    Integer = IntegerSerde
    """32-bit signed big-endian integer (Java ``IntegerSerde``)."""
    Long = LongSerde
    """64-bit signed big-endian integer (Java ``LongSerde``)."""
    Float = FloatSerde
    """32-bit IEEE 754 float (Java ``FloatSerde``)."""
    Double = DoubleSerde
    """64-bit IEEE 754 float (Java ``DoubleSerde``)."""
    UUID = UUIDSerde
    """``uuid.UUID`` as its 36-character text (Java ``UUIDSerde``)."""
    Boolean = BooleanSerde
    """One byte, 0x01/0x00 (Java ``BooleanSerde``)."""
    Void = VoidSerde
    """Always null (Java ``VoidSerde``)."""
    JSON = JsonSerde
    """Compact UTF-8 JSON (no Java built-in equivalent); ``Serdes.JSON(default=str)``."""

    def __init__(self) -> None:
        raise TypeError("Serdes is a namespace of serde classes; do not instantiate it")

    @staticmethod
    def serde_from(py_type: type[Any]) -> Serde[Any]:
        """The built-in serde for a Python type (Java: ``Serdes.serdeFrom(Class)``).

        ``str`` -> String, ``bytes`` -> Bytes, ``int`` -> Long, ``float`` ->
        Double, ``bool`` -> Boolean, ``uuid.UUID`` -> UUID, ``type(None)`` ->
        Void. Subclasses map like their base, as Java's ``isAssignableFrom``
        check does (an ``IntEnum`` gets Long); values read back are of the base type.

        Raises:
            TypeError: ``py_type`` has no built-in serde.

        Example::

            >>> Serdes.serde_from(int)
            LongSerde()
        """
        if not isinstance(py_type, type):
            raise TypeError(f"Serdes.serde_from expects a type, got {py_type!r}")
        for base in py_type.__mro__:
            serde_class = _BY_TYPE.get(base)
            if serde_class is not None:
                return serde_class()
        supported = ", ".join(t.__name__ for t in _BY_TYPE)
        raise TypeError(
            f"No built-in serde for {py_type.__qualname__}. Supported types are: {supported}. "
            "Use Serdes.JSON(), an Avro serde, or FunctionSerde for other types."
        )
