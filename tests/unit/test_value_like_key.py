"""A source whose key and value share ``bytes.decode`` decodes a value equal to its key once.

``record_path.build`` marks the shape ``value_like_key``; a value whose bytes equal the key's
is then the key object (a ``str``: sharing it is invisible), any other value is decoded as
before, and a source with other deserializers is unchanged.
"""

from __future__ import annotations

from typing import Any

import orjson
from test_record_path import Msg, bindings

from kstreams import Serdes, StreamsBuilder
from kstreams.runtime import record_path
from kstreams.runtime.record_path import Shape
from kstreams.testing import TopologyTestDriver


def _strings(out: list[Any]) -> dict[str, Any]:
    b = bindings(out)
    b["kdes"] = b["vdes"] = lambda topic, data, headers: None if data is None else data.decode()
    b["kfast"] = b["vfast"] = bytes.decode
    return b


def test_a_value_with_the_key_bytes_is_the_key_object() -> None:
    out: list[Any] = []
    path = record_path.build(Shape(True, True, False), _strings(out))
    assert "value = key" in path.text
    path.source(0, 0, b"word", b"word", 10, None)
    msgs = [Msg(0, 1, b"w\xc3\xa9", "wé".encode(), 11), Msg(0, 2, b"k", b"other", 12)]
    msgs.append(Msg(0, 3, b"k", None, 13))
    msgs.append(Msg(0, 4, None, b"v", 14))
    assert path.run(msgs[0], iter(msgs[1:])) is None
    assert out == [
        ("word", "word", 10),
        ("wé", "wé", 11),
        ("k", "other", 12),
        ("k", None, 13),
        (None, "v", 14),
    ]
    assert out[0][0] is out[0][1] and out[1][0] is out[1][1]


def test_other_deserializers_decode_every_value() -> None:
    out: list[Any] = []
    b = bindings(out)  # String keys, JSON values
    path = record_path.build(Shape(True, True, False), b)
    assert "value = key" not in path.text
    path.source(0, 0, b'"a"', b'"a"', 10, None)
    assert out == [('"a"', "a", 10)]
    b = _strings([])
    b["vfast"] = orjson.loads
    assert "value = key" not in record_path.build(Shape(True, True, False), b).text


def test_a_word_count_counts_the_same() -> None:
    builder = StreamsBuilder()
    (
        builder.stream("lines", key_serde=Serdes.String(), value_serde=Serdes.String())
        .flat_map_values(str.split)
        .group_by(lambda _k, word: word, key_serde=Serdes.String(), value_serde=Serdes.String())
        .count()
        .to_stream()
        .to("counts", key_serde=Serdes.String(), value_serde=Serdes.Long())
    )
    props = {"application.id": "value-like-key", "statestore.cache.max.bytes": 0}
    with TopologyTestDriver(builder.build(), props) as driver:
        lines = driver.create_input_topic("lines", Serdes.String(), Serdes.String())
        counts = driver.create_output_topic("counts", Serdes.String(), Serdes.Long())
        lines.pipe_input(None, "a b a")
        lines.pipe_input("x", "b a")
        assert counts.read_key_values_to_list() == [
            ("a", 1),
            ("b", 1),
            ("a", 2),
            ("b", 2),
            ("a", 3),
        ]
