"""KStream-KTable joins through the driver: Kafka Streams' KStreamKTableJoinTest and
KStreamKTableLeftJoinTest as data, derived tables as the table side, versioned lookups, names."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest

from kstreams import Joined, Materialized, Serdes, Stores, StreamsBuilder, TopologyError
from kstreams.dsl.stream_table_join import join_table, joiner_takes_key
from kstreams.testing import TopologyTestDriver

CONFIG = {
    "application.id": "stj",
    "default.key.serde": Serdes.Integer(),
    "default.value.serde": Serdes.String(),
}
STR = {**CONFIG, "default.key.serde": Serdes.String()}
KEYS = [0, 1, 2, 3]


def tostring(v1: Any, v2: Any) -> str:
    """Java's MockValueJoiner.TOSTRING_JOINER."""
    return f"{v1}+{'null' if v2 is None else v2}"


class Join:
    """Java's test fixture: ``stream.join(table, TOSTRING_JOINER)`` (or left), Integer keys."""

    def __init__(self, left: bool, joined: Joined | None = None, table: Any = None) -> None:
        b = StreamsBuilder()
        stream = b.stream("streamTopic", key_serde=Serdes.Integer(), value_serde=Serdes.String())
        t = table(b) if table else b.table("tableTopic")
        (stream.left_join if left else stream.join)(t, tostring, joined).to("out")
        self.driver = TopologyTestDriver(b.build(), CONFIG)
        self.stream = self.driver.create_input_topic("streamTopic")
        self.table = self.driver.create_input_topic(
            "tableTopic" if table is None else "tableTopic2"
        )
        self.out = self.driver.create_output_topic("out")

    def push_stream(self, n: int, prefix: str) -> None:
        for i in range(n):
            self.stream.pipe_input(KEYS[i], f"{prefix}{KEYS[i]}", i)

    def push_table(self, n: int, prefix: str, ts: int = 0) -> None:
        for i in range(n):
            self.table.pipe_input(KEYS[i], f"{prefix}{KEYS[i]}", ts)

    def results(self) -> list[tuple[Any, Any, int]]:
        return [(r.key, r.value, r.timestamp) for r in self.out.read_records_to_list()]

    def __enter__(self) -> Join:
        return self

    def __exit__(self, *_: Any) -> None:
        self.driver.close()


# -- KStreamKTableJoinTest -------------------------------------------------------------------------


def test_inner_no_join_with_empty_table() -> None:
    with Join(False) as j:
        j.push_stream(2, "X")
        assert j.results() == []


def test_inner_not_on_table_updates() -> None:
    with Join(False) as j:
        j.push_stream(2, "X")
        j.push_table(2, "Y", 17)
        assert j.results() == []
        j.push_stream(4, "X")
        assert j.results() == [(0, "X0+Y0", 0), (1, "X1+Y1", 1)]
        j.push_table(4, "YY", 99)
        assert j.results() == []
        j.push_stream(4, "X")
        assert j.results() == [(k, f"X{k}+YY{k}", k) for k in KEYS]


def test_inner_clears_table_entry_on_null_value_updates() -> None:
    with Join(False) as j:
        j.push_table(4, "Y")
        j.push_stream(4, "X")
        assert j.results() == [(k, f"X{k}+Y{k}", k) for k in KEYS]
        for k in (0, 1):
            j.table.pipe_input(k, None, 0)
        assert j.results() == []
        j.push_stream(4, "XX")
        assert j.results() == [(2, "XX2+Y2", 2), (3, "XX3+Y3", 3)]


@pytest.mark.parametrize("left", [False, True])
def test_null_value_is_logged_and_metered(left: bool, caplog: Any) -> None:
    with Join(left) as j, caplog.at_level(logging.WARNING, logger="kstreams"):
        j.stream.pipe_input(1, None, 0)
        assert j.results() == []
        assert j.driver.metrics()["dropped-records-total"] == 1
    assert (
        "Skipping record due to null join key or value. topic=[streamTopic] partition=[0] "
        "offset=[0]" in caplog.messages
    )


def test_inner_null_key_is_logged_and_metered(caplog: Any) -> None:
    with Join(False) as j, caplog.at_level(logging.WARNING, logger="kstreams"):
        j.push_table(1, "Y")
        j.stream.pipe_input(None, "A", 0)
        assert j.results() == []
        assert j.driver.metrics()["dropped-records-total"] == 1
    assert any("null join key or value" in m for m in caplog.messages)


# -- KStreamKTableLeftJoinTest ---------------------------------------------------------------------


def test_left_joins_with_empty_table() -> None:
    with Join(True) as j:
        j.push_stream(2, "X")
        assert j.results() == [(0, "X0+null", 0), (1, "X1+null", 1)]


def test_left_not_on_table_updates_and_regardless_of_match() -> None:
    with Join(True) as j:
        j.push_table(2, "Y")
        assert j.results() == []
        j.push_stream(4, "X")
        assert j.results() == [
            (0, "X0+Y0", 0),
            (1, "X1+Y1", 1),
            (2, "X2+null", 2),
            (3, "X3+null", 3),
        ]


def test_left_clears_table_entry_on_null_value_updates() -> None:
    with Join(True) as j:
        j.push_table(4, "Y")
        j.push_stream(4, "X")
        j.results()
        for k in (0, 1):
            j.table.pipe_input(k, None, 0)
        j.push_stream(4, "XX")
        assert j.results() == [
            (0, "XX0+null", 0),
            (1, "XX1+null", 1),
            (2, "XX2+Y2", 2),
            (3, "XX3+Y3", 3),
        ]


def test_left_keeps_a_null_key_record() -> None:
    with Join(True) as j:
        j.push_table(1, "Y")
        j.stream.pipe_input(None, "A", 5)
        assert j.results() == [(None, "A+null", 5)]
        assert j.driver.metrics()["dropped-records-total"] == 0


# -- joiners, derived tables, mutation -------------------------------------------------------------


def test_joiner_arity_and_headers_kept() -> None:
    assert not joiner_takes_key(lambda v, o: v)
    assert joiner_takes_key(lambda k, v, o: v)
    assert not joiner_takes_key(lambda *args: args)
    b = StreamsBuilder()
    stream = b.stream("s", key_serde=Serdes.String(), value_serde=Serdes.String())
    table = b.table("t", key_serde=Serdes.String(), value_serde=Serdes.String())
    join_table(stream, table, lambda k, v, o: f"{k}:{v}:{o}", None, left=False).to("out")
    with TopologyTestDriver(b.build(), STR) as driver:
        driver.create_input_topic("t").pipe_input("a", "A", 1)
        driver.create_input_topic("s").pipe_input("a", "x", 9, headers=[("h", b"1")])
        (rec,) = driver.create_output_topic("out").read_records_to_list()
    assert (rec.key, rec.value, rec.timestamp, list(rec.headers or [])) == (
        "a",
        "a:x:A",
        9,
        [("h", b"1")],
    )


def test_filtered_and_mapped_tables_add_no_store() -> None:
    b = StreamsBuilder()
    stream = b.stream("s", key_serde=Serdes.String(), value_serde=Serdes.String())
    table = b.table("t", key_serde=Serdes.String(), value_serde=Serdes.String())
    derived = table.filter(lambda k, v: v != "hidden").map_values(str.upper)
    join_table(stream, derived, lambda v, o: f"{v}/{o}", None, left=True).to("out")
    topology = b.build()
    assert sorted(topology.state_stores) == ["t-STATE-STORE-0000000001"]
    with TopologyTestDriver(topology, STR) as driver:
        t = driver.create_input_topic("t")
        t.pipe_input("a", "apple", 1)
        t.pipe_input("b", "hidden", 1)
        s = driver.create_input_topic("s")
        for k in "abc":
            s.pipe_input(k, "x", 2)
        out = driver.create_output_topic("out").read_key_values_to_list()
    assert out == [("a", "x/APPLE"), ("b", "x/None"), ("c", "x/None")]


def test_a_joiner_mutating_the_table_value_changes_nothing_stored() -> None:
    b = StreamsBuilder()
    stream = b.stream("s", key_serde=Serdes.String(), value_serde=Serdes.JSON())
    table = b.table("t", key_serde=Serdes.String(), value_serde=Serdes.JSON())

    def enrich(order: dict[str, Any], customer: dict[str, Any]) -> dict[str, Any]:
        customer["orders"] = customer.get("orders", 0) + 1  # mutates what the lookup gave
        return {**order, "customer": customer}

    join_table(stream, table, enrich, None, left=False).to("out", value_serde=Serdes.JSON())
    with TopologyTestDriver(b.build(), STR) as driver:
        driver.create_input_topic("t", value_serde=Serdes.JSON()).pipe_input(
            "c1", {"name": "ada"}, 1
        )
        s = driver.create_input_topic("s", value_serde=Serdes.JSON())
        s.pipe_input("c1", {"id": 1}, 2)
        s.pipe_input("c1", {"id": 2}, 3)
        out = driver.create_output_topic("out", value_serde=Serdes.JSON()).read_values_to_list()
    assert [o["customer"]["orders"] for o in out] == [1, 1]


def test_versioned_table_is_read_as_of_the_stream_record() -> None:
    b = StreamsBuilder()
    stream = b.stream("s", key_serde=Serdes.String(), value_serde=Serdes.String())
    versioned = Stores.persistent_versioned_key_value_store("prices", timedelta(minutes=1))
    table = b.table(
        "t", Materialized.as_(versioned), key_serde=Serdes.String(), value_serde=Serdes.String()
    )
    join_table(stream, table, lambda v, o: f"{v}@{o}", None, left=True).to("out")
    with TopologyTestDriver(b.build(), STR) as driver:
        t = driver.create_input_topic("t")
        t.pipe_input("p", "10", 100)
        t.pipe_input("p", "12", 200)
        s = driver.create_input_topic("s")
        for ts in (50, 150, 250, 120):
            s.pipe_input("p", f"o{ts}", ts)
        out = driver.create_output_topic("out").read_values_to_list()
    assert out == ["o50@None", "o150@10", "o250@12", "o120@10"]


# -- topology: names, stores, co-partitioning, refusals --------------------------------------------


def test_names_repartition_and_one_subtopology() -> None:
    b = StreamsBuilder()
    stream = b.stream("orders", key_serde=Serdes.String(), value_serde=Serdes.String())
    table = b.table("customers", key_serde=Serdes.String(), value_serde=Serdes.String())
    rekeyed = stream.map(lambda k, v: (v, k))
    join_table(rekeyed, table, tostring, Joined.as_("enrich"), left=True).to("out")
    topology = b.build()
    assert {"enrich", "enrich-repartition-filter", "enrich-repartition-sink"} <= set(topology.nodes)
    assert "enrich-repartition" in topology.internal_topics
    assert topology.nodes["enrich"].stores == ["customers-STATE-STORE-0000000001"]  # type: ignore[union-attr]
    rekeying, joining = topology.subtopologies()  # co-partitioned: both sources in one
    assert sorted(rekeying.source_topics) == ["orders"]
    assert sorted(joining.source_topics) == ["customers", "enrich-repartition"]


def test_generated_names_and_joined_with_name() -> None:
    b = StreamsBuilder()
    stream = b.stream("s")
    table = b.table("t")
    join_table(stream, table, tostring, None, left=False).to("o1")
    join_table(stream, table, tostring, None, left=True).to("o2")
    join_table(stream, table, tostring, Joined.as_("x"), left=True, named="y").to("o3")
    names = set(b.build().nodes)
    assert {"KSTREAM-JOIN-0000000004", "KSTREAM-LEFTJOIN-0000000006", "y"} <= names


def test_grace_refused_on_a_table_known_not_versioned() -> None:
    b = StreamsBuilder()
    stream = b.stream("topic")
    table = b.table("topic2")
    with pytest.raises(ValueError, match="KTable must be versioned to use a grace period"):
        join_table(stream, table, tostring, Joined.as_("j").with_grace_period(6), left=False)


def test_grace_refused_when_an_inherited_store_is_not_versioned() -> None:
    b = StreamsBuilder()
    stream = b.stream("topic")
    source = b.table("topic2", Materialized.as_(Stores.in_memory_key_value_store("tableB")))
    join_table(
        stream,
        source.filter(lambda k, v: True),
        tostring,
        Joined.as_("first-join").with_grace_period(timedelta(milliseconds=6)),
        left=False,
    ).to("out")
    with pytest.raises(TopologyError, match="KTable must be versioned to use a grace period"):
        b.build()


def test_grace_over_an_inherited_versioned_store_is_fine_within_history() -> None:
    b = StreamsBuilder()
    stream = b.stream("topic")
    versioned = Stores.persistent_versioned_key_value_store("tableB", timedelta(minutes=5))
    source = b.table("topic2", Materialized.as_(versioned))
    joined = Joined.as_("first-join").with_grace_period(timedelta(milliseconds=6))
    join_table(stream, source.filter(lambda k, v: True), tostring, joined, left=False).to("o")
    topology = b.build()
    assert topology.nodes["first-join"].stores == ["first-join-Buffer", "tableB"]  # type: ignore[union-attr]
    assert topology.changelog_topic("first-join-Buffer", "app") == "app-first-join-Buffer-changelog"


def test_grace_longer_than_history_retention_refused() -> None:
    b = StreamsBuilder()
    stream = b.stream("topic")
    versioned = Stores.persistent_versioned_key_value_store("tableB", timedelta(minutes=5))
    table = b.table("topic2", Materialized.as_(versioned))
    joined = Joined.as_("first-join").with_grace_period(timedelta(minutes=6))
    join_table(stream, table, tostring, joined, left=False).to("o")
    with pytest.raises(TopologyError, match="History retention must be at least grace period"):
        b.build()


def test_bad_arguments_are_named() -> None:
    b = StreamsBuilder()
    stream, table = b.stream("s"), b.table("t")
    with pytest.raises(TypeError, match="table must be a KTable"):
        join_table(stream, stream, tostring, None, left=False)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="joiner must be callable"):
        join_table(stream, table, "x", None, left=False)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="joined must be a Joined"):
        join_table(stream, table, tostring, "j", left=False)  # type: ignore[arg-type]


def test_joined_options() -> None:
    j = Joined.with_(Serdes.String(), Serdes.Long(), Serdes.JSON(), "n", timedelta(seconds=2))
    assert (j.name, j.grace_period) == ("n", 2000)
    assert j.with_grace_period(5).grace_period_ms == 5
    assert j.with_name("m").name == "m"
    assert Joined.as_("a").with_key_serde(1).with_value_serde(2).with_other_value_serde(3) == (
        Joined(1, 2, 3, "a")
    )
    assert Joined.key_serde_of(1).key_serde == 1
    assert Joined.other_value_serde_of(3).other_value_serde == 3
    with pytest.raises(ValueError, match="must not be negative"):
        Joined().with_grace_period(-1)
    with pytest.raises(TypeError, match="gracePeriod"):
        Joined().with_grace_period("1s")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="non-empty"):
        Joined.as_("")


# -- co-partitioning at start-up -----------------------------------------------------------------


def test_joined_topics_of_different_partition_counts_are_refused() -> None:
    from kstreams.runtime.topics import internal_topic_partitions

    b = StreamsBuilder()
    join_table(b.stream("orders"), b.table("customers"), tostring, None, left=False).to("out")
    with pytest.raises(TopologyError) as info:
        internal_topic_partitions(b.build(), "app", {"orders": 4, "customers": 2, "out": 1})
    assert "customers (2 partitions), orders (4 partitions)" in str(info.value)


def test_the_repartition_topic_takes_the_table_partition_count() -> None:
    from kstreams.runtime.topics import internal_topic_partitions

    b = StreamsBuilder()
    rekeyed = b.stream("orders").select_key(lambda k, v: v)
    join_table(rekeyed, b.table("customers"), tostring, Joined.as_("by-customer"), left=True)
    counts = internal_topic_partitions(b.build(), "app", {"orders": 3, "customers": 6})
    assert counts == {"app-by-customer-repartition": 6}
