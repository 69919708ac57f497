"""Cogrouped streams through the TopologyTestDriver: outputs, timestamps, stores, drops,
mutating aggregators, old values for downstream operators, stream time across a restart.

The expected records of the first tests are those Kafka Streams' CogroupedKStreamImplTest,
TimeWindowedCogroupedKStreamImplTest, SlidingWindowedCogroupedKStreamImplTest and
SessionWindowedCogroupedKStreamImplTest assert.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest

from kstreams import (
    Grouped,
    Materialized,
    Named,
    Serdes,
    SessionWindow,
    SessionWindows,
    SlidingWindows,
    StreamsBuilder,
    TimeWindow,
    TimeWindows,
    Topology,
    Windowed,
    WindowedSerdes,
)
from kstreams.processor.window_support import OBSERVED_STREAM_TIME_SUFFIX
from kstreams.runtime.commit_metadata import decode
from kstreams.testing import TopologyTestDriver

CONFIG: dict[str, Any] = {
    "application.id": "cogroup",
    "default.key.serde": Serdes.String,
    "default.value.serde": Serdes.String,
}

Row = tuple[str, Any, Any, int]  # (topic, key, value, timestamp)


def concat(k: Any, v: Any, agg: str) -> str:
    return agg + v


def adder(k: Any, v: Any, agg: Any) -> str:
    """MockAggregator.TOSTRING_ADDER."""
    return f"{agg}+{v}"


def remover(k: Any, v: Any, agg: Any) -> str:
    """MockAggregator.TOSTRING_REMOVER."""
    return f"{agg}-{v}"


def run(
    topology: Topology,
    rows: list[Row],
    key_serde: Any = None,
    value_serde: Any = None,
    topic: str = "out",
    config: dict[str, Any] | None = None,
) -> tuple[list[tuple[Any, Any, int]], TopologyTestDriver]:
    driver = TopologyTestDriver(topology, {**CONFIG, **(config or {})})
    inputs: dict[str, Any] = {}
    for t, k, v, ts in rows:
        if t not in inputs:
            vs = Serdes.Integer() if isinstance(v, int) else Serdes.String()
            inputs[t] = driver.create_input_topic(t, Serdes.String(), vs)
        inputs[t].pipe_input(k, v, ts)
    out = driver.create_output_topic(
        topic, key_serde or Serdes.String(), value_serde or Serdes.String()
    )
    return [(r.key, r.value, r.timestamp) for r in out.read_records_to_list()], driver


def on(topic: str, rows: list[tuple[Any, Any, int]]) -> list[Row]:
    return [(topic, k, v, ts) for k, v, ts in rows]


def two_grouped(b: StreamsBuilder) -> tuple[Any, Any]:
    return b.stream("one").group_by_key(), b.stream("two").group_by_key()


# -- CogroupedKStreamImplTest ------------------------------------------------------------------


def test_two_streams_with_shared_keys() -> None:
    b = StreamsBuilder()
    one, two = two_grouped(b)
    one.cogroup(concat).cogroup(two, concat).aggregate(lambda: "").to_stream().to("out")
    rows = on("one", [("k1", "A", 0), ("k2", "A", 1), ("k1", "A", 10), ("k2", "A", 100)]) + on(
        "two",
        [
            ("k2", "B", 100),
            ("k2", "B", 200),
            ("k1", "B", 1),
            ("k2", "B", 500),
            ("k1", "B", 500),
            ("k2", "B", 500),
            ("k3", "B", 500),
            ("k2", "B", 100),
        ],
    )
    out, driver = run(b.build(), rows)
    assert out == [
        ("k1", "A", 0),
        ("k2", "A", 1),
        ("k1", "AA", 10),
        ("k2", "AA", 100),
        ("k2", "AAB", 100),
        ("k2", "AABB", 200),
        ("k1", "AAB", 10),  # the largest timestamp that contributed
        ("k2", "AABBB", 500),
        ("k1", "AABB", 500),
        ("k2", "AABBBB", 500),
        ("k3", "B", 500),
        ("k2", "AABBBBB", 500),
    ]
    driver.close()


def test_mixed_aggregators_and_different_input_types() -> None:
    """testCogroupKeyMixedAggregators, shouldCoGroupStreamsWithDifferentInputTypes."""
    b = StreamsBuilder()
    one = b.stream("one").group_by_key()
    two = b.stream("two", value_serde=Serdes.Integer()).group_by_key()
    (
        one.cogroup(lambda k, v, agg: f"{agg}-{v}")
        .cogroup(two, lambda k, v, agg: f"{agg}+{v * 10}")
        .aggregate(lambda: "0", Materialized.as_("store1"))
        .to_stream()
        .to("out")
    )
    rows = on("one", [("k1", "1", 0), ("k2", "1", 1), ("k1", "1", 10), ("k2", "1", 100)]) + on(
        "two", [("k1", 2, 500), ("k2", 2, 500), ("k1", 2, 500), ("k2", 2, 100)]
    )
    out, driver = run(b.build(), rows)
    assert out == [
        ("k1", "0-1", 0),
        ("k2", "0-1", 1),
        ("k1", "0-1-1", 10),
        ("k2", "0-1-1", 100),
        ("k1", "0-1-1+20", 500),
        ("k2", "0-1-1+20", 500),
        ("k1", "0-1-1+20+20", 500),
        ("k2", "0-1-1+20+20", 500),
    ]
    store = driver.get_timestamped_key_value_store("store1")
    assert store.get("k2").value == "0-1-1+20+20"
    assert store.get("k2").timestamp == 500
    driver.close()


def test_null_keys_and_values_are_dropped_and_counted() -> None:
    b = StreamsBuilder()
    one, two = two_grouped(b)
    one.cogroup(concat).cogroup(two, concat).aggregate(lambda: "").to_stream().to("out")
    rows = [
        ("one", "k1", "A", 0),
        ("one", "k2", None, 0),
        ("two", None, "B", 1),
        ("two", "k2", "B", 2),
        ("one", "k1", "A", 3),
    ]
    out, driver = run(b.build(), rows)
    assert out == [("k1", "A", 0), ("k2", "B", 2), ("k1", "AA", 3)]
    assert driver.metrics()["dropped-records-total"] == 2
    driver.close()


def test_a_table_join_reads_the_cogroup_store() -> None:
    """testCogroupWithKTableKTableInnerJoin."""
    b = StreamsBuilder()
    one, two = two_grouped(b)
    table1 = (
        one.cogroup(concat)
        .cogroup(two, concat)
        .aggregate(lambda: "", Named.as_("name"), Materialized.as_("store"))
    )
    table1.join(b.table("three"), lambda a, c: f"{a}+{c}").to_stream().to("out")
    rows = [
        ("one", "k1", "A", 5),
        ("two", "k2", "B", 6),
        ("three", "k1", "C", 0),
        ("three", "k2", "D", 10),
    ]
    out, driver = run(b.build(), rows)
    assert out == [("k1", "A+C", 5), ("k2", "B+D", 10)]
    driver.close()


def test_the_result_is_a_normal_table() -> None:
    """map_values, filter and a stream-table join on a cogrouped table."""
    b = StreamsBuilder()
    one, two = two_grouped(b)
    table = one.cogroup(concat).cogroup(two, concat).aggregate(lambda: "")
    table.map_values(str.lower).filter(lambda k, v: len(v) < 3).to_stream().to("out")
    b.stream("lookups").join(table, lambda lookup, row: f"{lookup}={row}").to("joined")
    rows = [
        ("one", "k", "A", 1),
        ("two", "k", "B", 2),
        ("lookups", "k", "q", 3),
        ("one", "k", "C", 4),
    ]
    out, driver = run(b.build(), rows)
    assert out == [("k", "a", 1), ("k", "ab", 2), ("k", None, 4)]
    joined = driver.create_output_topic("joined", Serdes.String(), Serdes.String())
    assert [(r.key, r.value) for r in joined.read_records_to_list()] == [("k", "q=AB")]
    driver.close()


def test_repartitioned_inputs_aggregate_under_their_new_keys() -> None:
    b = StreamsBuilder()
    stream1, stream2 = b.stream("one"), b.stream("two")
    one = stream1.map(lambda k, v: (v, k)).group_by_key(Grouped.as_("by-value"))
    two = stream2.group_by_key()
    one.cogroup(concat).cogroup(two, concat).aggregate(lambda: "").to_stream().to("out")
    topology = b.build()
    assert "by-value-repartition" in topology.internal_topics
    out, driver = run(
        topology, [("one", "x", "k1", 1), ("two", "k1", "Y", 2), ("one", "z", "k1", 3)]
    )
    assert out == [("k1", "x", 1), ("k1", "xY", 2), ("k1", "xYz", 3)]
    driver.close()


# -- old values and aggregators that mutate their aggregate ------------------------------------


@pytest.mark.parametrize("caching", [True, False], ids=["cached", "uncached"])
def test_mutated_aggregates_keep_their_old_values_for_a_regrouping(caching: bool) -> None:
    """Python aggregators mutate the dict they get and return it: the old value a downstream
    group_by subtracts is the one the store held before, for every input."""

    def count_a(k: Any, v: Any, agg: dict[str, Any]) -> dict[str, Any]:
        agg["n"] += 1
        return agg

    def append_b(k: Any, v: Any, agg: dict[str, Any]) -> dict[str, Any]:
        agg["n"] += 10
        agg["seen"].append(v)
        return agg

    m = Materialized.as_("agg").with_value_serde(Serdes.JSON())
    m = m if caching else m.with_caching_disabled()
    b = StreamsBuilder()
    one, two = two_grouped(b)
    (
        one.cogroup(count_a)
        .cogroup(two, append_b)
        .aggregate(lambda: {"n": 0, "seen": []}, m)
        .group_by(
            lambda k, v: (str(v["n"] % 2), k), Grouped.with_(Serdes.String(), Serdes.String())
        )
        .count(Materialized.as_("parity"))
        .to_stream()
        .to("out", value_serde=Serdes.Long())
    )
    rows = [
        ("one", "a", "x", 1),
        ("two", "a", "y", 2),
        ("one", "b", "x", 3),
        ("one", "a", "x", 4),
    ]
    out, driver = run(b.build(), rows, value_serde=Serdes.Long())
    # a: 1 (odd), 11 (odd: the same group, one update), 12 (even: out of "1" -- its old value
    # was odd, though the aggregator mutated it to 12 -- and into "0"); b: 1 (odd)
    assert out == [
        ("1", 1, 1),
        ("1", 1, 2),
        ("1", 2, 3),
        ("1", 1, 4),
        ("0", 1, 4),
    ]
    assert driver.get_timestamped_key_value_store("agg").get("a").value == {
        "n": 12,
        "seen": ["y"],
    }
    driver.close()


# -- time, sliding and session windows ---------------------------------------------------------


def tw(size: int) -> Any:
    return WindowedSerdes.time_windowed_serde_from(Serdes.String(), size)


def W(key: str, start: int, end: int) -> Windowed[str]:
    return Windowed(key, TimeWindow(start, end))


def S(key: str, start: int, end: int) -> Windowed[str]:
    return Windowed(key, SessionWindow(start, end))


def mixed(b: StreamsBuilder) -> Any:
    one = b.stream("one").group_by_key(Grouped.with_(Serdes.String(), Serdes.String()))
    two = b.stream("two").group_by_key(Grouped.with_(Serdes.String(), Serdes.String()))
    return one.cogroup(adder).cogroup(two, remover)


def test_time_windows_over_two_inputs() -> None:
    """timeWindowMixAggregatorsManyWindowsTest; the table's key serde needs no Produced."""
    b = StreamsBuilder()
    (
        mixed(b)
        .windowed_by(TimeWindows.of_size_with_no_grace(500))
        .aggregate(lambda: "0", Materialized.as_("w"))
        .to_stream()
        .to("out")
    )
    rows = on("one", [("k1", "A", 0), ("k2", "A", 0), ("k2", "A", 1), ("k1", "A", 2)]) + on(
        "two", [("k1", "B", 3), ("k2", "B", 3), ("k2", "B", 501), ("k1", "B", 501)]
    )
    out, driver = run(b.build(), rows, tw(500))
    assert out == [
        (W("k1", 0, 500), "0+A", 0),
        (W("k2", 0, 500), "0+A", 0),
        (W("k2", 0, 500), "0+A+A", 1),
        (W("k1", 0, 500), "0+A+A", 2),
        (W("k1", 0, 500), "0+A+A-B", 3),
        (W("k2", 0, 500), "0+A+A-B", 3),
        (W("k2", 500, 1000), "0-B", 501),
        (W("k1", 500, 1000), "0-B", 501),
    ]
    store = driver.get_timestamped_window_store("w")
    assert [(s, v.value) for s, v in store.fetch_range("k1", 0, 1000)] == [
        (0, "0+A+A-B"),
        (500, "0-B"),
    ]
    driver.close()


def test_each_input_closes_windows_by_its_own_stream_time() -> None:
    """As Java's window processors: one observed stream time per input's processor."""
    b = StreamsBuilder()
    (
        mixed(b)
        .windowed_by(TimeWindows.of_size_and_grace(10, 0))
        # a retention that keeps the closed windows: the store does not drop what is late
        .aggregate(lambda: "0", Materialized.as_("w").with_caching_disabled().with_retention(1000))
        .to_stream()
        .to("out")
    )
    rows = [
        ("one", "a", "x", 0),
        ("one", "a", "y", 25),  # one's processor: [0,10) closed
        ("two", "a", "z", 5),  # two's processor has seen 5 only: taken
        ("one", "a", "w", 7),  # dropped
    ]
    out, driver = run(b.build(), rows, tw(10))
    assert out == [
        (W("a", 0, 10), "0+x", 0),
        (W("a", 20, 30), "0+y", 25),
        (W("a", 0, 10), "0+x-z", 5),
    ]
    assert driver.metrics()["dropped-records-total"] == 1
    driver.close()


def test_sliding_windows_over_one_input() -> None:
    """slidingWindowAggregateOverlappingWindowsTest."""
    b = StreamsBuilder()
    one = b.stream("one").group_by_key()
    (
        one.cogroup(adder)
        .windowed_by(SlidingWindows.of_time_difference_and_grace(500, 2000))
        .aggregate(lambda: "0", Materialized.with_(Serdes.String(), Serdes.String()))
        .to_stream()
        .to("out")
    )
    rows = on(
        "one",
        [
            ("k1", "A", 500),
            ("k2", "A", 500),
            ("k1", "B", 750),
            ("k2", "B", 750),
            ("k2", "A", 1000),
            ("k1", "A", 1000),
        ],
    )
    out, driver = run(b.build(), rows, tw(500))
    assert [(w.key, v, ts) for w, v, ts in out] == [
        ("k1", "0+A", 500),
        ("k2", "0+A", 500),
        ("k1", "0+B", 750),
        ("k1", "0+A+B", 750),
        ("k2", "0+B", 750),
        ("k2", "0+A+B", 750),
        ("k2", "0+B+A", 1000),
        ("k2", "0+A", 1000),
        ("k2", "0+A+B+A", 1000),
        ("k1", "0+B+A", 1000),
        ("k1", "0+A", 1000),
        ("k1", "0+A+B+A", 1000),
    ]
    driver.close()


def test_session_windows_merge_across_inputs() -> None:
    """sessionWindowMixAggregatorsTest: a merged session's old sessions are deleted."""
    b = StreamsBuilder()
    (
        mixed(b)
        .windowed_by(SessionWindows.of_inactivity_gap_and_grace(100, 86_400_000))
        .aggregate(lambda: "0", lambda k, a, c: f"{a}+{c}", Materialized.as_("s"))
        .to_stream()
        .to("out")
    )
    rows = on("one", [("k1", "A", 0), ("k2", "A", 0), ("k2", "A", 1), ("k1", "A", 2)]) + on(
        "two", [("k1", "B", 3), ("k2", "B", 3), ("k2", "B", 444), ("k1", "B", 444)]
    )
    out, driver = run(b.build(), rows, WindowedSerdes.session_windowed_serde_from(Serdes.String()))
    assert [(w.key, v, ts) for w, v, ts in out] == [
        ("k1", "0+A", 0),
        ("k2", "0+A", 0),
        ("k2", None, 0),
        ("k2", "0+0+A+A", 1),
        ("k1", None, 0),
        ("k1", "0+0+A+A", 2),
        ("k1", None, 2),
        ("k1", "0+0+0+A+A-B", 3),
        ("k2", None, 1),
        ("k2", "0+0+0+A+A-B", 3),
        ("k2", "0-B", 444),
        ("k1", "0-B", 444),
    ]
    store = driver.get_session_store("s")
    assert list(store.fetch("k1")) == [(S("k1", 0, 3), "0+0+0+A+A-B"), (S("k1", 444, 444), "0-B")]
    driver.close()


# -- observed stream time across a restart -----------------------------------------------------


@pytest.fixture
def state_dir() -> Iterator[str]:
    d = tempfile.mkdtemp(prefix="kstreams-cogroup-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def windowed_topology() -> Topology:
    b = StreamsBuilder()
    one, two = two_grouped(b)
    (
        one.cogroup(adder)
        .cogroup(two, remover)
        .windowed_by(TimeWindows.of_size_and_grace(10, 0))
        .aggregate(
            lambda: "0",
            Named.as_("c"),
            Materialized.as_("w").with_caching_disabled().with_retention(1000),
        )
        .to_stream()
        .map(lambda w, v: (w.key, f"{w.window.start}:{v}"))
        .to("out")
    )
    return b.build()


def test_each_input_commits_and_resumes_its_own_observed_stream_time(state_dir: str) -> None:
    config = {"state.dir": state_dir}
    rows = [("one", "a", "x", 30), ("two", "a", "y", 5)]
    out, first = run(windowed_topology(), rows, config=config)
    assert [(k, v) for k, v, _ in out] == [("a", "30:0+x"), ("a", "0:0-y")]
    committed = dict(first._committed)
    first.close()
    meta = decode(committed[("one", 0)][1]).processor_metadata
    suffix = OBSERVED_STREAM_TIME_SUFFIX
    assert meta == {f"w:c-cogroup-agg-0{suffix}": 30, f"w:c-cogroup-agg-1{suffix}": 5}

    second = TopologyTestDriver(windowed_topology(), {**CONFIG, **config})
    for task in second._tasks:
        task.initialize_metadata(committed)
    one = second.create_input_topic("one", Serdes.String(), Serdes.String())
    two = second.create_input_topic("two", Serdes.String(), Serdes.String())
    one.pipe_input("a", "late", 6)  # [0,10) is closed for one's processor (it saw 30)
    two.pipe_input("a", "open", 7)  # and still open for two's (it saw 5)
    out2 = second.create_output_topic("out", Serdes.String(), Serdes.String())
    assert [(r.key, r.value) for r in out2.read_records_to_list()] == [("a", "0:0-y-open")]
    assert second.metrics()["dropped-records-total"] == 1
    second.close()
