"""The serde protocol: how kstreams turns keys and values into bytes and back.

A :class:`Serde` pairs a serializer and a deserializer, as in Kafka's
``org.apache.kafka.common.serialization.Serde``. Both take the topic and the
record headers, so format-aware serdes (Schema Registry, header-typed JSON) can
use them.

Example -- a serde of your own::

    class UpperSerde(Serde[str]):
        def serialize(self, topic, data, headers=None):
            return None if data is None else data.upper().encode()

        def deserialize(self, topic, data, headers=None):
            return None if data is None else data.decode()
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

T = TypeVar("T")

Headers = Sequence[tuple[str, bytes | None]] | None
"""Record headers as confluent-kafka gives them: a list of (name, value) pairs, or None."""


class Serde(Generic[T]):
    """Serializer and deserializer of one type.

    Subclasses override :meth:`serialize` and :meth:`deserialize`. ``None``
    stands for a null record value (a tombstone) and must map to ``None`` bytes
    both ways, as Java's serdes do.
    """

    def serialize(self, topic: str, data: T | None, headers: Headers = None) -> bytes | None:
        """Turn ``data`` into bytes for ``topic``."""
        raise NotImplementedError  # pragma: no cover - abstract

    def deserialize(self, topic: str, data: bytes | None, headers: Headers = None) -> T | None:
        """Turn ``data`` read from ``topic`` back into a value."""
        raise NotImplementedError  # pragma: no cover - abstract

    def fast_serializer(self) -> Callable[[Any], bytes] | None:
        """A one-argument serializer for the runtime's per-record path, or None (the default).

        Contract: for any non-None ``data``, ``fn(data)`` either raises or returns exactly
        what ``serialize(topic, data, headers)`` returns, whatever the topic and headers;
        and ``serialize`` maps None to None. The runtime calls the full :meth:`serialize`
        for None and whenever ``fn`` raises, so error messages stay those of
        :meth:`serialize`. Only serdes whose output depends on neither the topic nor the
        headers can offer one; a subclass that overrides :meth:`serialize` gets None.
        """
        return None

    def fast_deserializer(self) -> Callable[[bytes], Any] | None:
        """A one-argument deserializer for the runtime's per-record path, or None (the default).

        The same contract as :meth:`fast_serializer`, for :meth:`deserialize`: for
        non-None ``data``, ``fn(data)`` raises or returns exactly what
        ``deserialize(topic, data, headers)`` returns; None goes to :meth:`deserialize`.
        """
        return None

    def serializer(self) -> Callable[[str, T | None, Headers], bytes | None]:
        """The serializer as a function ``(topic, data, headers) -> bytes``."""
        return self.serialize

    def deserializer(self) -> Callable[[str, bytes | None, Headers], T | None]:
        """The deserializer as a function ``(topic, bytes, headers) -> value``."""
        return self.deserialize

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class FunctionSerde(Serde[T]):
    """A serde made of two plain functions ``obj -> bytes`` and ``bytes -> obj``.

    ``None`` passes through both ways without calling the functions.

    Example::

        serde = FunctionSerde(lambda d: json.dumps(d).encode(), json.loads)
    """

    def __init__(self, to_bytes: Callable[[T], bytes], from_bytes: Callable[[bytes], T]) -> None:
        self._to_bytes = to_bytes
        self._from_bytes = from_bytes

    def serialize(self, topic: str, data: T | None, headers: Headers = None) -> bytes | None:
        return None if data is None else self._to_bytes(data)

    def deserialize(self, topic: str, data: bytes | None, headers: Headers = None) -> T | None:
        return None if data is None else self._from_bytes(data)


def as_serde(value: Any) -> Serde[Any] | None:
    """Accept a Serde instance or a Serde class (as Java configs take classes); None stays None."""
    if value is None or isinstance(value, Serde):
        return value
    if isinstance(value, type) and issubclass(value, Serde):
        return value()
    raise TypeError(f"expected a Serde instance or class, got {value!r}")
