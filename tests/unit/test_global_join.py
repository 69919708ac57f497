"""KStream-GlobalKTable joins through the driver: Kafka Streams' KStreamGlobalKTableJoinTest and
KStreamGlobalKTableLeftJoinTest as data, key selectors, None keys and values, names."""

from __future__ import annotations

from typing import Any

import pytest

from kstreams import Consumed, Named, Serdes, StreamsBuilder, TopologyError
from kstreams.testing import TopologyTestDriver

CONFIG = {
    "application.id": "gj",
    "default.key.serde": Serdes.Integer(),
    "default.value.serde": Serdes.String(),
}


def tostring(v1: Any, v2: Any) -> str:
    """Java's MockValueJoiner.TOSTRING_JOINER."""
    return f"{v1}+{'null' if v2 is None else v2}"


def key_mapper(key: Any, value: Any) -> Any:
    """The test's mapper: the second comma-separated token is the global table's key (the
    mapper sees None values too, before they are dropped)."""
    if value is None:
        return None
    tokens = value.split(",")
    return tokens[1] if len(tokens) > 1 else None


class Join:
    """Java's fixture: ``stream.join(global_table, key_mapper, TOSTRING_JOINER)`` (or left)."""

    def __init__(self, left: bool) -> None:
        self.left = left
        b = StreamsBuilder()
        stream = b.stream("streamTopic", Consumed.with_(Serdes.Integer(), Serdes.String()))
        table = b.global_table("globalTopic", Consumed.with_(Serdes.String(), Serdes.String()))
        (stream.left_join if left else stream.join)(table, key_mapper, tostring).to("out")
        self.topology = b.build()
        self.driver = TopologyTestDriver(self.topology, CONFIG)
        self.stream = self.driver.create_input_topic("streamTopic")
        self.table = self.driver.create_input_topic("globalTopic", Serdes.String(), Serdes.String())
        self.out = self.driver.create_output_topic("out")

    def push_stream(self, n: int, prefix: str = "X") -> None:
        for i in range(n):
            self.stream.pipe_input(i, f"{prefix}{i},FKey{i}", i)

    def push_table(self, n: int, prefix: str) -> None:
        for i in range(n):
            self.table.pipe_input(f"FKey{i}", f"{prefix}{i}", i)

    def results(self) -> list[tuple[Any, Any]]:
        return [(kv.key, kv.value) for kv in self.out.read_key_values_to_list()]

    def dropped(self) -> float:
        return self.driver.metrics()["dropped-records-total"]


@pytest.fixture(params=[False, True], ids=["inner", "left"])
def join(request: pytest.FixtureRequest) -> Any:
    j = Join(request.param)
    yield j
    j.driver.close()


def test_an_empty_global_table_joins_nothing_inner_and_none_left(join: Join) -> None:
    join.push_stream(2)
    expected = [(0, "X0,FKey0+null"), (1, "X1,FKey1+null")]
    assert join.results() == (expected if join.left else [])


def test_global_table_updates_trigger_nothing(join: Join) -> None:
    join.push_table(2, "Y")
    assert join.results() == []
    join.push_stream(4)
    expected = [(0, "X0,FKey0+Y0"), (1, "X1,FKey1+Y1")]
    if join.left:
        expected += [(2, "X2,FKey2+null"), (3, "X3,FKey3+null")]
    assert join.results() == expected
    join.push_table(4, "YY")
    assert join.results() == []
    join.push_stream(4)
    assert join.results() == [(i, f"X{i},FKey{i}+YY{i}") for i in range(4)]


def test_a_deleted_row_no_longer_joins(join: Join) -> None:
    join.push_table(4, "Y")
    join.table.pipe_input("FKey0", None, 10)
    join.table.pipe_input("FKey1", None, 11)
    join.push_stream(4, "XX")
    expected = [(2, "XX2,FKey2+Y2"), (3, "XX3,FKey3+Y3")]
    if join.left:
        expected = [(0, "XX0,FKey0+null"), (1, "XX1,FKey1+null"), *expected]
    assert join.results() == expected


def test_a_none_mapped_key_is_dropped_by_the_inner_join_and_joins_none_in_the_left(
    join: Join,
) -> None:
    join.push_table(1, "Y")
    join.stream.pipe_input(5, "no-comma", 1)
    if join.left:
        assert join.results() == [(5, "no-comma+null")]
        assert join.dropped() == 0
    else:
        assert join.results() == []
        assert join.dropped() == 1


def test_a_none_stream_key_joins_through_its_mapped_key(join: Join) -> None:
    join.push_table(1, "Y")
    join.stream.pipe_input(None, "N,FKey0", 1)
    assert join.results() == [(None, "N,FKey0+Y0")]


def test_a_none_value_is_dropped_and_counted(join: Join) -> None:
    join.push_table(1, "Y")
    join.stream.pipe_input(0, None, 1)
    assert join.results() == []
    assert join.dropped() == 1


def test_the_key_selector_sees_key_and_value_and_the_result_keeps_the_stream_record() -> None:
    calls: list[tuple[Any, Any]] = []

    def selector(key: Any, value: Any) -> Any:
        calls.append((key, value))
        return None if value is None else value["sku"]

    b = StreamsBuilder()
    orders = b.stream("orders", Consumed.with_(Serdes.String(), Serdes.JSON()))
    products = b.global_table("products", Consumed.with_(Serdes.String(), Serdes.JSON()))
    orders.join(products, selector, lambda k, o, p: {"order": k, **o, "name": p["name"]}).to(
        "out", value_serde=Serdes.JSON()
    )
    with TopologyTestDriver(b.build(), {"application.id": "gj"}) as driver:
        driver.create_input_topic("products", Serdes.String(), Serdes.JSON()).pipe_input(
            "p1", {"name": "apple"}, 5
        )
        orders_in = driver.create_input_topic("orders", Serdes.String(), Serdes.JSON())
        orders_in.pipe_input("o1", {"sku": "p1"}, 100, headers=[("h", b"1")])
        orders_in.pipe_input("o2", None, 101)
        out = driver.create_output_topic("out", Serdes.String(), Serdes.JSON())
        record = out.read_record()
        assert (record.key, record.value, record.timestamp) == (
            "o1",
            {"order": "o1", "sku": "p1", "name": "apple"},
            100,
        )
        assert list(record.headers) == [("h", b"1")]
        assert out.is_empty()
    assert calls == [("o1", {"sku": "p1"}), ("o2", None)]


def test_names_and_describe_need_no_repartition_after_a_key_change() -> None:
    b = StreamsBuilder()
    stream = b.stream("s", Consumed.with_(Serdes.String(), Serdes.String()))
    table = b.global_table("g", Consumed.with_(Serdes.String(), Serdes.String()))
    rekeyed = stream.select_key(lambda k, v: v)
    rekeyed.join(table, lambda k, v: k, tostring).to("out")
    rekeyed.left_join(table, lambda k, v: k, tostring, named=Named.as_("named-join")).to("out2")
    text = str(b.build().describe())
    assert "repartition" not in text
    # Kafka Streams names the inner join KSTREAM-LEFTJOIN- too
    assert "Processor: KSTREAM-LEFTJOIN-0000000005 (stores: [])" in text
    assert "Processor: named-join (stores: [])" in text
    assert text.startswith(
        "Topologies:\n   Sub-topology: 0\n    Source: KSTREAM-SOURCE-0000000000 (topics: [s])\n"
    )
    assert (
        "  Sub-topology: 1 for global store (will not generate tasks)\n"
        "    Source: KSTREAM-SOURCE-0000000002 (topics: [g])\n"
        "      --> KTABLE-SOURCE-0000000003\n"
        "    Processor: KTABLE-SOURCE-0000000003 (stores: [g-STATE-STORE-0000000001])\n"
        "      --> none\n"
        "      <-- KSTREAM-SOURCE-0000000002\n"
    ) in text


def test_a_later_aggregation_of_a_rekeyed_joined_stream_repartitions() -> None:
    b = StreamsBuilder()
    stream = b.stream("s", Consumed.with_(Serdes.String(), Serdes.String()))
    table = b.global_table("g", Consumed.with_(Serdes.String(), Serdes.String()))
    joined = stream.select_key(lambda k, v: v).join(table, lambda k, v: k, tostring)
    joined.group_by_key().count()
    assert "-repartition" in str(b.build().describe())


def test_bad_arguments_are_named() -> None:
    b = StreamsBuilder()
    stream = b.stream("s")
    table = b.global_table("g")
    with pytest.raises(TypeError, match="key selector"):
        stream.join(table, tostring)  # no joiner: the key selector is missing
    with pytest.raises(TypeError, match="key_selector must be callable"):
        stream.join(table, "sku", tostring)
    with pytest.raises(TypeError, match="joiner must be callable"):
        stream.left_join(table, key_mapper, 42)
    with pytest.raises(TypeError, match="no stream-global-table outer join"):
        stream.outer_join(table, key_mapper, tostring)
    other = StreamsBuilder().global_table("g2")
    with pytest.raises(TopologyError, match="different StreamsBuilders"):
        stream.join(other, key_mapper, tostring)
