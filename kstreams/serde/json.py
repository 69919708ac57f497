"""JSON serde: compact UTF-8 JSON, using orjson when it is installed.

Example::

    >>> serde = JsonSerde()
    >>> serde.serialize("t", {"user": "é", "n": 1})
    b'{"user":"\\xc3\\xa9","n":1}'
    >>> serde.deserialize("t", b'{"n":1}')
    {'n': 1}
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from kstreams.errors import DeserializationError, SerializationError
from kstreams.serde.base import Headers, Serde
from kstreams.serde.primitives import _preview

try:  # orjson is several times faster than the stdlib; it is optional.
    import orjson as _orjson
except ImportError:  # pragma: no cover - depends on the environment
    _orjson = None  # type: ignore[assignment]

__all__ = ["JsonSerde"]


class JsonSerde(Serde[Any]):
    """Any JSON-compatible value as compact UTF-8 JSON text.

    Uses `orjson <https://github.com/ijl/orjson>`_ when it can be imported,
    else the standard library's :mod:`json`. Both write the same bytes for
    plain data (dicts, lists, str, int, float, bool): no spaces, non-ASCII text
    as raw UTF-8, dict keys in insertion order, non-``str`` dict keys turned to
    strings. They differ at the edges, so do not rely on these:

    * orjson also serializes ``datetime``, ``uuid.UUID``, dataclasses and
      enums natively; the stdlib needs ``default`` for them;
    * orjson writes NaN and infinities as ``null``; the stdlib refuses them;
    * orjson refuses integers beyond 64 bits; the stdlib writes them.

    ``None`` stands for a null record (tombstone) both ways, so a JSON ``null``
    document reads back as ``None``.

    Args:
        default: Called with any object the encoder cannot serialize; returns
            something it can (e.g. ``lambda o: o.__dict__``) or raises ``TypeError``.

    Example::

        >>> import decimal
        >>> JsonSerde(default=str).serialize("t", {"price": decimal.Decimal("1.10")})
        b'{"price":"1.10"}'
    """

    def __init__(self, default: Callable[[Any], Any] | None = None) -> None:
        self._default = default
        self.backend: str = "orjson" if _orjson is not None else "json"
        """Which library does the work: ``"orjson"`` or ``"json"``."""
        # Fast path: orjson with str keys only. On any TypeError (non-str keys,
        # a type only ``default`` knows, or a real error) ``_encode`` retries.
        self._fast_dumps: Callable[[Any, Any], bytes] | None = None
        if _orjson is not None:
            dumps = self._fast_dumps = _orjson.dumps
            option = _orjson.OPT_NON_STR_KEYS

            def _encode_any_keys(obj: Any) -> bytes:
                return dumps(obj, default, option)

            self._encode: Callable[[Any], bytes] = _encode_any_keys
            self._decode: Callable[[Any], Any] = _orjson.loads
        else:
            encoder = json.JSONEncoder(
                ensure_ascii=False, allow_nan=False, separators=(",", ":"), default=default
            )
            decoder = json.JSONDecoder()
            encode_text = encoder.encode
            decode_text = decoder.decode

            def _encode(obj: Any) -> bytes:
                return encode_text(obj).encode("utf-8")

            def _decode(data: Any) -> Any:
                return decode_text(str(data, "utf-8"))

            self._encode = _encode
            self._decode = _decode

    def serialize(self, topic: str, data: Any, headers: Headers = None) -> bytes | None:
        if data is None:
            return None
        fast_dumps = self._fast_dumps
        if fast_dumps is not None:
            try:
                return fast_dumps(data, self._default)
            except TypeError:
                pass  # retried below with non-str keys allowed, or explained
        try:
            return self._encode(data)
        except Exception as exc:
            raise SerializationError(
                f"JsonSerde could not serialize a {type(data).__name__} to JSON for topic "
                f"{topic!r}: {exc}"
            ) from exc

    def fast_serializer(self) -> Callable[[Any], bytes] | None:
        """``orjson.dumps`` itself, when orjson is the backend and there is no ``default``.

        :meth:`serialize` calls ``orjson.dumps(data, None)`` first, so a successful call
        returns the same bytes; on failure the runtime calls :meth:`serialize`, which
        retries with non-str keys allowed or explains the error.
        """
        if (
            self._fast_dumps is None
            or self._default is not None
            or type(self).serialize is not JsonSerde.serialize
        ):
            return None
        return self._fast_dumps

    def fast_deserializer(self) -> Callable[[bytes], Any] | None:
        """``orjson.loads`` itself, when orjson is the backend (what :meth:`deserialize` calls)."""
        if _orjson is None or type(self).deserialize is not JsonSerde.deserialize:
            return None
        return self._decode

    def deserialize(self, topic: str, data: bytes | None, headers: Headers = None) -> Any:
        if data is None:
            return None
        try:
            return self._decode(data)
        except Exception as exc:
            raise DeserializationError(
                f"JsonSerde could not parse data from topic {topic!r} as JSON: {exc}; "
                f"data starts with {_preview(data)}"
            ) from exc

    def __reduce__(self) -> tuple[Any, ...]:
        # The encode/decode callables are rebuilt rather than pickled.
        return (type(self), (self._default,))

    def __repr__(self) -> str:
        if self._default is None:
            return "JsonSerde()"
        return f"JsonSerde(default={self._default!r})"
