"""Windowed keys on the wire, byte for byte as Kafka Streams writes them (Java: ``WindowedSerdes``).

* Time windows (tumbling, hopping, sliding): the inner key's bytes, then the window start as
  an 8-byte big-endian long. The end is not written; the deserializer adds the window size.
* Sessions: the inner key's bytes, then the session end and the session start, 8 bytes each.

A windowed ``KTable``'s ``to_stream().to(...)`` uses these by default, so a Java application
reads kstreams' output (and the other way round).

Example::

    serde = WindowedSerdes.time_windowed_serde_from(Serdes.String(), 60_000)
    data = serde.serialize("t", Windowed("alice", TimeWindow(60_000, 120_000)))
    data == b"alice" + (60_000).to_bytes(8, "big")                # True
    serde.deserialize("t", data).window.end                       # 120000
"""

from __future__ import annotations

import copy
import struct
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from kstreams.errors import SerializationError
from kstreams.serde.base import Headers, Serde, as_serde
from kstreams.windows.count_windows import CountWindow
from kstreams.windows.window import SessionWindow, TimeWindow, Windowed

_LONG = struct.Struct(">q")
_TWO_LONGS = struct.Struct(">qq")
_MAX_LONG = (1 << 63) - 1


def _inner_serde(inner: Any) -> Serde[Any] | None:
    """A Serde from a Serde instance, a Serde class or a Python type (``str``, ``int``, ...)."""
    if inner is None:
        return None
    if isinstance(inner, Serde) or (isinstance(inner, type) and issubclass(inner, Serde)):
        return as_serde(inner)
    if isinstance(inner, type):
        from kstreams.serde.serdes import Serdes

        return Serdes.serde_from(inner)
    raise TypeError(f"expected a Serde, a Serde class or a type for the inner key, got {inner!r}")


class WindowedSerde(Serde[Windowed[Any]]):
    """What both windowed serdes share: the inner serde of the keys (None: the app's
    ``default.key.serde``, resolved by :meth:`with_inner` when the topology runs)."""

    inner: Serde[Any] | None

    _fast_of: Any = None
    """The inner serde :attr:`_fast` belongs to (it is recomputed when :attr:`inner` changes)."""
    _fast: Any = None
    """The inner serde's fast serializer (``Serde.fast_serializer``), or None."""

    def _inner_fast(self) -> Any:
        """The inner serde's fast serializer or None, computed once per inner serde."""
        inner = self.inner
        if inner is not self._fast_of:
            self._fast = None if inner is None else inner.fast_serializer()
            self._fast_of = inner
        return self._fast

    def with_inner(self, inner: Serde[Any]) -> WindowedSerde:
        """A copy of this serde with ``inner`` as the inner key serde."""
        twin = copy.copy(self)
        twin.inner = as_serde(inner)
        return twin

    def _require_inner(self) -> Serde[Any]:
        if self.inner is None:
            raise SerializationError(
                f"{type(self).__name__} has no inner serde: pass one to "
                "WindowedSerdes.time_windowed_serde_from / session_windowed_serde_from"
            )
        return self.inner

    def serialize_base_key(self, topic: str, data: Windowed[Any], headers: Headers = None) -> bytes:
        """The inner key's bytes alone (Java: ``WindowedSerializer.serializeBaseKey``): what
        windowed keys are partitioned by."""
        raw = self._require_inner().serialize(topic, data.key, headers)
        if raw is None:
            raise SerializationError(f"the inner key of {data!r} serialized to null")
        return raw

    def partitioner(self) -> WindowedPartitioner:
        """A ``StreamPartitioner`` placing windowed keys by their inner key's bytes, as Java's
        ``WindowedStreamPartitioner`` does (murmur2, as the default producer partitioner): all
        windows of one key land in that key's partition."""
        return WindowedPartitioner(self)


class WindowedPartitioner:
    """Java's ``WindowedStreamPartitioner``: ``partitioner(topic, windowed_key, value, n)``.

    The DSL's ``to()`` uses it for windowed keys when no partitioner is given; a sink whose
    serde gets its inner serde only when the topology runs (``default.key.serde``) rebinds it
    with :meth:`bind`.
    """

    __slots__ = ("_by_text", "_hashes", "serde")

    MAX_MEMOIZED = 50_000
    """How many inner keys' hashes are remembered (about 10 MiB at most); past that the memo
    starts over, so any number of keys is placed right, the most frequent ones cheaply."""

    def __init__(self, serde: WindowedSerde) -> None:
        self.serde = serde
        self._hashes: dict[bytes, int] = {}
        """``murmur2(inner key bytes) & 0x7FFFFFFF`` per inner key bytes: every window of a
        key has the same, and murmur2 in Python costs ~2 us a key."""
        self._by_text: dict[str, int] | None = (
            {} if serde.inner is not None and serde._inner_fast() is not None else None
        )
        """The same hashes per ``str`` inner key, when the inner serde is one with a fast path
        (``Serde.fast_serializer``: its bytes depend on the key alone), so that a key seen
        before is placed without serializing it again; None: not memoized by key."""

    def bind(self, serde: WindowedSerde) -> WindowedPartitioner:
        """The same partitioner over ``serde`` (the sink's resolved key serde)."""
        return WindowedPartitioner(serde)

    def fast_placer(self) -> Callable[[Windowed[Any], int], tuple[bytes, int]] | None:
        """For a sink's per-record path: ``place(windowed_key, num_partitions)`` gives the
        key's bytes and its partition from one serialization of the inner key; None when the
        serde is not a plain :class:`TimeWindowedSerde` whose inner serde has a fast path.

        Contract: ``place(key, n)`` for a non-None ``key`` either raises or returns exactly
        ``(serde.serialize(topic, key), self(topic, key, None, n))``; a caller takes the full
        path whenever it raises, so errors stay those of the full path.
        """
        serde = self.serde
        if not isinstance(serde, TimeWindowedSerde) or (
            type(serde).serialize is not TimeWindowedSerde.serialize
        ):
            return None
        fast = serde._inner_fast() if serde.inner is not None else None
        by_text = self._by_text
        if fast is None or by_text is None:
            return None
        hashes = self._hashes
        pack = _LONG.pack
        limit = self.MAX_MEMOIZED

        def place(key: Windowed[Any], num_partitions: int) -> tuple[bytes, int]:
            inner_key = key.key
            if inner_key is None:
                raise SerializationError("null inner key")  # the full path says it fully
            raw = fast(inner_key)
            kb: bytes = raw + pack(key.window.start)
            if num_partitions == 1:
                return kb, 0
            if type(inner_key) is str:
                h = by_text.get(inner_key)
                if h is None:
                    h = hashes.get(raw)
                    if h is None:
                        if len(hashes) >= limit:
                            hashes.clear()
                        h = hashes[raw] = murmur2(raw) & 0x7FFFFFFF
                    if len(by_text) >= limit:
                        by_text.clear()
                    by_text[inner_key] = h
            else:
                h = hashes.get(raw)
                if h is None:
                    if len(hashes) >= limit:
                        hashes.clear()
                    h = hashes[raw] = murmur2(raw) & 0x7FFFFFFF
            return kb, h % num_partitions

        return place

    def __call__(self, topic: str, key: Any, value: Any, num_partitions: int) -> int | None:
        if key is None:
            return None
        if num_partitions == 1:
            return 0
        by_text = self._by_text
        inner_key = key.key
        text = by_text is not None and type(inner_key) is str
        if text:
            h = by_text.get(inner_key)  # type: ignore[union-attr]
            if h is not None:
                return h % num_partitions
        raw = self.serde.serialize_base_key(topic, key)
        hashes = self._hashes
        h = hashes.get(raw)
        if h is None:
            if len(hashes) >= self.MAX_MEMOIZED:
                hashes.clear()
            h = hashes[raw] = murmur2(raw) & 0x7FFFFFFF
        if text:
            if len(by_text) >= self.MAX_MEMOIZED:  # type: ignore[arg-type]
                by_text.clear()  # type: ignore[union-attr]
            by_text[inner_key] = h  # type: ignore[index]
        return h % num_partitions


def murmur2(data: bytes) -> int:
    """Kafka's ``Utils.murmur2`` (the default partitioner's hash), as a signed 32-bit int."""
    m, mask = 0x5BD1E995, 0xFFFFFFFF
    length = len(data)
    h = (0x9747B28C ^ length) & mask
    rounded = length & ~3
    for (k,) in struct.iter_unpack("<I", data[:rounded]):
        k = (k * m) & mask
        k ^= k >> 24
        h = ((h * m) & mask) ^ ((k * m) & mask)
    rest = length & 3
    if rest == 3:
        h ^= data[rounded + 2] << 16
    if rest >= 2:
        h ^= data[rounded + 1] << 8
    if rest >= 1:
        h ^= data[rounded]
        h = (h * m) & mask
    h ^= h >> 13
    h = (h * m) & mask
    h ^= h >> 15
    return h - (1 << 32) if h & 0x80000000 else h


class TimeWindowedSerde(WindowedSerde):
    """Keys of time windows: ``key bytes + 8-byte start`` (Java: ``TimeWindowedSerde``).

    ``window_size`` (ms) gives deserialized windows their end, ``start + size`` (capped at
    the largest long, as Java).
    """

    def __init__(self, inner: Any, window_size: timedelta | int) -> None:
        from kstreams.windows.definitions import duration_ms

        self.inner = _inner_serde(inner)
        size = duration_ms(window_size, "windowSize")
        if size <= 0:
            raise ValueError(f"window size must be larger than zero, got {size} ms")
        self.window_size = size

    def serialize(
        self, topic: str, data: Windowed[Any] | None, headers: Headers = None
    ) -> bytes | None:
        if data is None:
            return None
        key = data.key
        if key is not None:
            fast = self._fast if self._fast_of is self.inner else self._inner_fast()
            if fast is not None:
                try:
                    return fast(key) + _LONG.pack(data.window.start)  # type: ignore[no-any-return]
                except Exception:
                    pass  # serialize_base_key says why
        return self.serialize_base_key(topic, data, headers) + _LONG.pack(data.window.start)

    def deserialize(
        self, topic: str, data: bytes | None, headers: Headers = None
    ) -> Windowed[Any] | None:
        if not data:
            return None
        if len(data) < _LONG.size:
            raise SerializationError(
                f"time-windowed key on {topic} is {len(data)} bytes; it needs at least 8"
            )
        (start,) = _LONG.unpack_from(data, len(data) - _LONG.size)
        key = self._require_inner().deserialize(topic, data[: -_LONG.size], headers)
        end = start + self.window_size
        return Windowed(key, TimeWindow(start, min(end, _MAX_LONG)))

    def __repr__(self) -> str:
        return f"TimeWindowedSerde({self.inner!r}, window_size={self.window_size})"


class SessionWindowedSerde(WindowedSerde):
    """Keys of sessions: ``key bytes + 8-byte end + 8-byte start`` (Java: ``SessionWindowedSerde``)."""

    def __init__(self, inner: Any) -> None:
        self.inner = _inner_serde(inner)

    def serialize(
        self, topic: str, data: Windowed[Any] | None, headers: Headers = None
    ) -> bytes | None:
        if data is None:
            return None
        window = data.window
        return self.serialize_base_key(topic, data, headers) + _TWO_LONGS.pack(
            window.end, window.start
        )

    def deserialize(
        self, topic: str, data: bytes | None, headers: Headers = None
    ) -> Windowed[Any] | None:
        if not data:
            return None
        if len(data) < _TWO_LONGS.size:
            raise SerializationError(
                f"session-windowed key on {topic} is {len(data)} bytes; it needs at least 16"
            )
        end, start = _TWO_LONGS.unpack_from(data, len(data) - _TWO_LONGS.size)
        key = self._require_inner().deserialize(topic, data[: -_TWO_LONGS.size], headers)
        return Windowed(key, SessionWindow(start, end))

    def __repr__(self) -> str:
        return f"SessionWindowedSerde({self.inner!r})"


_FOUR_LONGS = struct.Struct(">qqqq")


class CountWindowedSerde(WindowedSerde):
    """Count-windowed keys as a suppression buffer keeps them: ``key bytes + 8-byte end +
    8-byte start + 8-byte first record number + 8-byte window size`` (a kstreams layout, since
    count windows are a kstreams extension), so an ``until_time_limit`` suppression emits the
    ``CountWindow`` s it buffered, record numbers included. Results written with ``to()`` keep
    the session-windowed layout (:class:`SessionWindowedSerde`), which Java reads."""

    def __init__(self, inner: Any) -> None:
        self.inner = _inner_serde(inner)

    def serialize(
        self, topic: str, data: Windowed[Any] | None, headers: Headers = None
    ) -> bytes | None:
        if data is None:
            return None
        window = data.window
        if not isinstance(window, CountWindow):
            raise SerializationError(f"{data!r} is not a count-windowed key")
        return self.serialize_base_key(topic, data, headers) + _FOUR_LONGS.pack(
            window.end, window.start, window.first_record, window.size
        )

    def deserialize(
        self, topic: str, data: bytes | None, headers: Headers = None
    ) -> Windowed[Any] | None:
        if not data:
            return None
        if len(data) < _FOUR_LONGS.size:
            raise SerializationError(
                f"count-windowed key on {topic} is {len(data)} bytes; it needs at least 32"
            )
        end, start, first, size = _FOUR_LONGS.unpack_from(data, len(data) - _FOUR_LONGS.size)
        key = self._require_inner().deserialize(topic, data[: -_FOUR_LONGS.size], headers)
        return Windowed(key, CountWindow(start, end, first, size))

    def __repr__(self) -> str:
        return f"CountWindowedSerde({self.inner!r})"


class WindowedSerdes:
    """Factories of the windowed serdes (Java: ``WindowedSerdes``).

    ``inner`` is a Serde, a Serde class, or a Python type that ``Serdes.serde_from`` knows
    (``str``, ``int``, ...).
    """

    TimeWindowedSerde = TimeWindowedSerde
    SessionWindowedSerde = SessionWindowedSerde

    @staticmethod
    def time_windowed_serde_from(inner: Any, window_size: timedelta | int) -> TimeWindowedSerde:
        """The serde of time-windowed keys of ``inner`` keys and windows of ``window_size``."""
        if inner is None:
            raise TypeError("time_windowed_serde_from needs the inner key serde (or type)")
        return TimeWindowedSerde(inner, window_size)

    @staticmethod
    def session_windowed_serde_from(inner: Any) -> SessionWindowedSerde:
        """The serde of session-windowed keys of ``inner`` keys."""
        if inner is None:
            raise TypeError("session_windowed_serde_from needs the inner key serde (or type)")
        return SessionWindowedSerde(inner)
