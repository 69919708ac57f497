"""WindowedSerdes: the bytes of Java's TimeWindowedSerde / SessionWindowedSerde and the windowed partitioner."""

from __future__ import annotations

import struct

import pytest

from kstreams import Serdes, SessionWindow, TimeWindow, Windowed, WindowedSerdes
from kstreams.errors import SerializationError
from kstreams.serde.windowed import murmur2


def test_time_windowed_layout() -> None:
    serde = WindowedSerdes.time_windowed_serde_from(Serdes.String(), 60_000)
    data = serde.serialize("t", Windowed("alice", TimeWindow(60_000, 120_000)))
    assert data == b"alice" + struct.pack(">q", 60_000)
    back = serde.deserialize("t", data)
    assert back == Windowed("alice", TimeWindow(60_000, 120_000))
    assert serde.deserialize("t", None) is None and serde.deserialize("t", b"") is None
    assert serde.serialize("t", None) is None


def test_time_windowed_end_from_the_size_not_the_bytes() -> None:
    serde = WindowedSerdes.time_windowed_serde_from(str, 10)
    data = serde.serialize("t", Windowed("k", TimeWindow(100, 105)))
    assert serde.deserialize("t", data).window == TimeWindow(100, 110)


def test_session_windowed_layout_end_before_start() -> None:
    serde = WindowedSerdes.session_windowed_serde_from(Serdes.Long())
    data = serde.serialize("t", Windowed(7, SessionWindow(10, 30)))
    assert data == struct.pack(">q", 7) + struct.pack(">qq", 30, 10)
    assert serde.deserialize("t", data) == Windowed(7, SessionWindow(10, 30))


def test_inner_from_type_or_class() -> None:
    a = WindowedSerdes.time_windowed_serde_from(str, 5)
    b = WindowedSerdes.time_windowed_serde_from(Serdes.String, 5)
    w = Windowed("x", TimeWindow(0, 5))
    assert a.serialize("t", w) == b.serialize("t", w)
    with pytest.raises(TypeError):
        WindowedSerdes.time_windowed_serde_from(None, 5)
    with pytest.raises(ValueError, match="window size"):
        WindowedSerdes.time_windowed_serde_from(str, 0)


def test_short_data_is_a_clear_error() -> None:
    serde = WindowedSerdes.session_windowed_serde_from(str)
    with pytest.raises(SerializationError, match="at least 16"):
        serde.deserialize("t", b"abc")


def test_murmur2_matches_kafka() -> None:
    # values of Kafka's UtilsTest.testMurmur2
    cases = {
        b"21": -973932308,
        b"foobar": -790332482,
        b"a-little-bit-long-string": -985981536,
        b"a-little-bit-longer-string": -1486304829,
        b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
        bytes([ord("a"), ord("b"), ord("c")]): 479470107,
    }
    for data, expected in cases.items():
        assert murmur2(data) == expected, data


def test_partitioner_uses_the_inner_key_only() -> None:
    serde = WindowedSerdes.time_windowed_serde_from(str, 10)
    part = serde.partitioner()
    p1 = part("t", Windowed("key", TimeWindow(0, 10)), 1, 12)
    p2 = part("t", Windowed("key", TimeWindow(50, 60)), 1, 12)
    assert p1 == p2 == (murmur2(b"key") & 0x7FFFFFFF) % 12


@pytest.mark.parametrize("inner", [Serdes.String(), Serdes.JSON(), Serdes.Long()])
def test_time_windowed_fast_inner_path_gives_the_inner_serdes_bytes_and_errors(
    inner: object,
) -> None:
    serde = WindowedSerdes.time_windowed_serde_from(inner, 10)
    key: object = 7 if isinstance(inner, type(Serdes.Long())) else "k"
    windowed = Windowed(key, TimeWindow(20, 30))
    assert serde.serialize("t", windowed) == inner.serialize("t", key) + struct.pack(">q", 20)  # type: ignore[attr-defined]
    with pytest.raises(SerializationError):  # a null inner key is an error, not b"null"
        serde.serialize("t", Windowed(None, TimeWindow(20, 30)))
