"""Cogrouped streams: several grouped streams aggregated into one store; twins in
CogroupScenarios.java.

Ported as data from Kafka Streams' CogroupedKStreamImplTest, TimeWindowedCogroupedKStreamImplTest,
SlidingWindowedCogroupedKStreamImplTest and SessionWindowedCogroupedKStreamImplTest (names,
repartition topics and describe() of each topology, outputs and timestamps), extended with null
keys and values, late records (each input's processor keeps its own observed stream time),
store contents, caching off and on, downstream operators that ask for old values (group_by,
filter, suppress), a table-table join on the result, aggregates mutated in place, and a cogroup
changed after windowed_by.
"""

from __future__ import annotations

from typing import Any

from kstreams import (
    BufferConfig,
    Grouped,
    Materialized,
    Named,
    Serdes,
    SessionWindows,
    SlidingWindows,
    StreamsBuilder,
    Suppressed,
    TimeWindows,
)

from ..deliberate import null_keys_counted
from ..harness import Pipe, StoreQuery, pipes
from .common import S, js
from .common import scenario as _scenario

SI = ("String", "Integer")
SW = "SessionWindowed:String"


def scenario(**data: Any) -> Any:
    """A scenario whose Java twin is in ``CogroupScenarios.java``."""
    return _scenario(java_class="CogroupScenarios", **data)


def tw(size: int) -> str:
    """The serde name of time-windowed String keys of windows of ``size`` ms."""
    return f"TimeWindowed:String:{size}"


def concat(key: Any, value: Any, agg: str) -> str:
    """CogroupedKStreamImplTest.STRING_AGGREGATOR: ``aggregate + value``."""
    return agg + value


def adder(key: Any, value: Any, agg: Any) -> str:
    """MockAggregator.TOSTRING_ADDER: ``aggregate + "+" + value`` (null as "null")."""
    return f"{js(agg)}+{js(value)}"


def remover(key: Any, value: Any, agg: Any) -> str:
    """MockAggregator.TOSTRING_REMOVER: ``aggregate + "-" + value``."""
    return f"{js(agg)}-{js(value)}"


def string_init() -> str:
    """MockInitializer.STRING_INIT."""
    return "0"


def empty() -> str:
    return ""


def merger(key: Any, one: Any, two: Any) -> str:
    """The session tests' merger: ``aggOne + "+" + aggTwo``."""
    return f"{one}+{two}"


def _two(b: StreamsBuilder) -> tuple[Any, Any]:
    return b.stream("one").group_by_key(), b.stream("two").group_by_key()


TWO = {"one": S, "two": S}
OUT = {"out": S}

# -- CogroupedKStreamImplTest -----------------------------------------------------------------

SINGLE = [
    ("k1", "A", 0),
    ("k2", "B", 0),
    ("k2", None, 0),  # null value: dropped (testCogroupHandleNullValues)
    ("k2", "B", 0),
    (None, "X", 3),  # null key: dropped
    ("k1", "A", 0),
]


@scenario(inputs={"one": S}, steps=pipes("one", SINGLE), outputs=OUT)
def cogroup_single_stream(b: StreamsBuilder) -> None:
    """shouldCogroupAndAggregateSingleKStreams, testCogroupHandleNullValues."""
    b.stream("one").group_by_key().cogroup(concat).aggregate(empty).to_stream().to("out")


DISTINCT = [
    *(Pipe("one", "k1", "A", ts) for ts in (0, 1, 10, 100)),
    *(Pipe("two", "k2", "B", ts) for ts in (100, 200, 1, 500, 500, 100)),
]


@scenario(inputs=TWO, steps=DISTINCT, outputs=OUT)
def cogroup_two_streams_distinct_keys(b: StreamsBuilder) -> None:
    one, two = _two(b)
    one.cogroup(concat).cogroup(two, concat).aggregate(empty).to_stream().to("out")


SHARED = [
    Pipe("one", "k1", "A", 0),
    Pipe("one", "k2", "A", 1),
    Pipe("one", "k1", "A", 10),
    Pipe("one", "k2", "A", 100),
    Pipe("two", "k2", "B", 100),
    Pipe("two", "k2", "B", 200),
    Pipe("two", "k1", "B", 1),
    Pipe("two", "k2", "B", 500),
    Pipe("two", "k1", "B", 500),
    Pipe("two", "k2", "B", 500),
    Pipe("two", "k3", "B", 500),
    Pipe("two", "k2", "B", 100),
]


@scenario(
    inputs=TWO,
    steps=SHARED,
    outputs=OUT,
    stores=(StoreQuery("store", gets=("k1", "k2", "k3", "k4")),),
)
def cogroup_two_streams_shared_keys(b: StreamsBuilder) -> None:
    """Named processors and store (shouldNameProcessorsAndStoreBasedOnNamedParameter)."""
    one, two = _two(b)
    (
        one.cogroup(concat)
        .cogroup(two, concat)
        .aggregate(empty, Named.as_("test"), Materialized.as_("store"))
        .to_stream()
        .to("out")
    )


@scenario(
    inputs=TWO,
    steps=SHARED,
    outputs=OUT,
    stores=(StoreQuery("store", gets=("k1", "k2", "k3")),),
)
def cogroup_uncached_materialized_first(b: StreamsBuilder) -> None:
    """``materialized`` before ``named`` (Python takes either order), caching off."""
    one, two = _two(b)
    (
        one.cogroup(concat)
        .cogroup(two, concat)
        .aggregate(empty, Materialized.as_("store").with_caching_disabled(), "n")
        .to_stream()
        .to("out")
    )


NUMBERS = [
    Pipe("one", "k1", "1", 0),
    Pipe("one", "k2", "1", 1),
    Pipe("one", "k1", "1", 10),
    Pipe("one", "k2", "1", 100),
    Pipe("two", "k2", "2", 100),
    Pipe("two", "k2", "2", 200),
    Pipe("two", "k1", "2", 1),
    Pipe("two", "k2", "2", 500),
    Pipe("two", "k1", "2", 500),
    Pipe("two", "k2", "3", 500),
    Pipe("two", "k3", "2", 500),
    Pipe("two", "k2", "2", 100),
]


@scenario(
    inputs=TWO,
    steps=NUMBERS,
    outputs={"out": SI},
    stores=(StoreQuery("store1", "String", "Integer", gets=("k1", "k2", "k3")),),
)
def cogroup_different_output_type(b: StreamsBuilder) -> None:
    """shouldAllowDifferentOutputTypeInCoGroup."""
    one, two = _two(b)

    def add(k: Any, v: str, agg: int) -> int:
        return agg + int(v)

    (
        one.cogroup(add)
        .cogroup(two, add)
        .aggregate(lambda: 0, Materialized.as_("store1").with_value_serde(Serdes.Integer()))
        .to_stream()
        .to("out", value_serde=Serdes.Integer())
    )


@scenario(
    inputs={"one": S, "two": SI},
    steps=[
        Pipe(s.topic, s.key, int(s.value) if s.topic == "two" else s.value, s.timestamp)
        for s in NUMBERS
    ],
    outputs={"out": SI},
)
def cogroup_different_input_types(b: StreamsBuilder) -> None:
    """shouldCoGroupStreamsWithDifferentInputTypes: Integer values on the second input."""
    one = b.stream("one").group_by_key()
    two = b.stream("two", value_serde=Serdes.Integer()).group_by_key()
    (
        one.cogroup(lambda k, v, agg: agg + int(v))
        .cogroup(two, lambda k, v, agg: agg + v)
        .aggregate(lambda: 0, Materialized.as_("store1").with_value_serde(Serdes.Integer()))
        .to_stream()
        .to("out", value_serde=Serdes.Integer())
    )


MIXED = [
    Pipe("one", "k1", "1", 0),
    Pipe("one", "k2", "1", 1),
    Pipe("one", "k1", "1", 10),
    Pipe("one", "k2", "1", 100),
    Pipe("two", "k1", "2", 500),
    Pipe("two", "k2", "2", 500),
    Pipe("two", "k1", "2", 500),
    Pipe("two", "k2", "2", 100),
]


@scenario(inputs=TWO, steps=MIXED, outputs=OUT)
def cogroup_mixed_aggregators(b: StreamsBuilder) -> None:
    """testCogroupKeyMixedAggregators."""
    one, two = _two(b)
    (
        one.cogroup(remover)
        .cogroup(two, adder)
        .aggregate(string_init, Materialized.as_("store1").with_value_serde(Serdes.String()))
        .to_stream()
        .to("out")
    )


THREE = [
    Pipe("one", "k1", "A", 0),
    Pipe("one", "k2", "A", 1),
    Pipe("one", "k1", "A", 10),
    Pipe("one", "k2", "A", 100),
    Pipe("two", "k2", "B", 100),
    Pipe("two", "k2", "B", 200),
    Pipe("two", "k1", "B", 1),
    Pipe("two", "k2", "B", 500),
    Pipe("three", "k1", "B", 500),
    Pipe("three", "k2", "B", 500),
    Pipe("three", "k3", "B", 500),
    Pipe("three", "k2", "B", 100),
]


@scenario(inputs={"one": S, "two": S, "three": S}, steps=THREE, outputs=OUT)
def cogroup_three_streams(b: StreamsBuilder) -> None:
    """testCogroupWithThreeGroupedStreams."""
    one, two = _two(b)
    three = b.stream("three").group_by_key()
    (
        one.cogroup(concat)
        .cogroup(two, concat)
        .cogroup(three, concat)
        .aggregate(empty)
        .to_stream()
        .to("out")
    )


@scenario(
    inputs={"one": S, "two": S, "three": S},
    steps=[
        Pipe("one", "k1", "A", 5),
        Pipe("two", "k2", "B", 6),
        Pipe("three", "k1", "C", 0),
        Pipe("three", "k2", "D", 10),
        Pipe("one", "k2", "E", 3),
        Pipe("three", "k1", None, 20),
        Pipe("two", "k1", "F", 1),
    ],
    outputs=OUT,
    stores=(StoreQuery("store", gets=("k1", "k2")),),
)
def cogroup_table_join(b: StreamsBuilder) -> None:
    """testCogroupWithKTableKTableInnerJoin: the join reads the cogroup's store."""
    one, two = _two(b)
    table1 = (
        one.cogroup(concat)
        .cogroup(two, concat)
        .aggregate(empty, Named.as_("name"), Materialized.as_("store"))
    )
    table2 = b.table("three")
    (
        table1.join(
            table2, lambda a, c: f"{a}+{c}", Materialized.with_(Serdes.String(), Serdes.String())
        )
        .to_stream()
        .to("out")
    )


# -- repartitioning (CogroupedKStreamImplTest's describe() tests, with records) -------------

REKEYED = [
    Pipe("one", "A", "k1", 0),
    Pipe("two", "k1", "B", 1),
    Pipe("one", "C", "k2", 2),
    Pipe("two", "k2", "D", 3),
    Pipe("one", "E", "k1", 4),
    Pipe("two", "k1", None, 5),
]


def _swap(k: Any, v: Any) -> tuple[Any, Any]:
    return v, k


@scenario(inputs=TWO, steps=REKEYED, outputs=OUT)
def cogroup_repartition_named_by_grouped(b: StreamsBuilder) -> None:
    """shouldNameRepartitionTopic: the Grouped name names the repartition topic."""
    one = b.stream("one").map(_swap).group_by_key(Grouped.as_("repartition-test"))
    two = b.stream("two").group_by_key()
    one.cogroup(concat).cogroup(two, concat).aggregate(empty).to_stream().to("out")


@scenario(inputs=TWO, steps=REKEYED, outputs=OUT, stores=(StoreQuery("store", gets=("k1",)),))
def cogroup_repartition_named_by_store(b: StreamsBuilder) -> None:
    """shouldInsertRepartitionsTopicForUpstreamKeyModification: ``<store>-repartition``."""
    one = b.stream("one").map(_swap).group_by_key()
    two = b.stream("two").group_by_key()
    (
        one.cogroup(concat)
        .cogroup(two, concat)
        .aggregate(empty, Named.as_("test"), Materialized.as_("store"))
        .to_stream()
        .to("out")
    )


@scenario(inputs=TWO, steps=REKEYED, outputs={"out": S, "OUTPUT2": S})
def cogroup_grouped_reused_in_same_cogroups(b: StreamsBuilder) -> None:
    """Two cogroups of the same groupings: a repartition topic each."""
    one = b.stream("one").map(_swap).group_by_key()
    two = b.stream("two").group_by_key()
    second = one.cogroup(concat).cogroup(two, concat).aggregate(empty)
    first = one.cogroup(concat).cogroup(two, concat).aggregate(empty)
    first.to_stream().to("out")
    second.to_stream().to("OUTPUT2")


@scenario(
    inputs={"one": S, "two": S, "three": S},
    steps=[*REKEYED, Pipe("three", "k1", "Z", 9), Pipe("three", "k2", "Y", 10)],
    outputs={},
)
def cogroup_grouped_reused_in_different_cogroups(b: StreamsBuilder) -> None:
    one = b.stream("one").map(_swap).group_by_key()
    two = b.stream("two").group_by_key()
    three = b.stream("three").group_by_key()
    one.cogroup(concat).cogroup(three, concat).aggregate(empty)
    one.cogroup(concat).cogroup(two, concat).aggregate(empty)


@scenario(
    inputs=TWO,
    steps=REKEYED,
    outputs={"out": S, "plain": S},
)
def cogroup_grouped_reused_by_plain_aggregate(b: StreamsBuilder) -> None:
    """A grouping both cogrouped and aggregated alone: two repartition topics."""
    one = b.stream("one").map(_swap).group_by_key()
    two = b.stream("two").group_by_key()
    one.cogroup(concat).cogroup(two, concat).aggregate(empty).to_stream().to("out")
    one.aggregate(empty, concat).to_stream().to("plain")


@scenario(
    inputs={"one": S}, steps=[s for s in REKEYED if s.topic == "one"], outputs={"a": S, "b": S}
)
def cogroup_aggregated_twice(b: StreamsBuilder) -> None:
    """shouldInsertRepartitionsTopicForCogroupsUsedTwice: one repartition topic ("foo"), two
    stores; the second aggregation draws the repartition's names again."""
    one = b.stream("one").map(_swap).group_by_key(Grouped.as_("foo"))
    cogrouped = one.cogroup(concat)
    cogrouped.aggregate(empty).to_stream().to("a")
    cogrouped.aggregate(lambda: "-").to_stream().to("b")


@scenario(
    inputs=TWO,
    steps=[*REKEYED, Pipe("one", "F", None, 6), Pipe("one", "G", "k2", 7)],
    outputs=OUT,
    deliberate=null_keys_counted(1),
)
def cogroup_repartition_drops_null_keys(b: StreamsBuilder) -> None:
    """A record whose new key is null is dropped before the repartition topic."""
    one = b.stream("one").map(_swap).group_by_key(Grouped.as_("swapped"))
    two = b.stream("two").group_by_key()
    one.cogroup(concat).cogroup(two, concat).aggregate(empty).to_stream().to("out")


# -- downstream operators that ask for old values ---------------------------------------------


@scenario(
    inputs=TWO,
    steps=SHARED,
    outputs={"out": ("String", "Long")},
    stores=(StoreQuery("by-length", "String", "Long", gets=("1", "2", "3", "4", "5", "6")),),
)
def cogroup_regrouped_count(b: StreamsBuilder) -> None:
    """group_by on the cogrouped table: every input's processor sends old values."""
    one, two = _two(b)
    (
        one.cogroup(concat)
        .cogroup(two, concat)
        .aggregate(empty, Materialized.as_("agg").with_caching_disabled())
        .group_by(lambda k, v: (str(len(v)), k))
        .count(Materialized.as_("by-length"))
        .to_stream()
        .to("out", value_serde=Serdes.Long())
    )


@scenario(inputs=TWO, steps=SHARED, outputs=OUT)
def cogroup_filtered(b: StreamsBuilder) -> None:
    """A filter on the cogrouped table: a row filtered out after it was in sends a delete."""
    one, two = _two(b)
    (
        one.cogroup(concat)
        .cogroup(two, concat)
        .aggregate(empty)
        .filter(lambda k, v: len(v) < 4)
        .to_stream()
        .to("out")
    )


@scenario(
    inputs=TWO,
    steps=SHARED,
    outputs={"out": ("String", "JSON"), "regrouped": S},
    stores=(StoreQuery("json", "String", "JSON", gets=("k1", "k2")),),
)
def cogroup_json_mutated_in_place(b: StreamsBuilder) -> None:
    """Aggregators that mutate the aggregate they get and return it; a downstream group_by
    needs the old values, which must be what the store held before."""
    one, two = _two(b)

    def add_a(k: Any, v: str, agg: dict[str, Any]) -> dict[str, Any]:
        agg["a"] += 1
        return agg

    def add_b(k: Any, v: str, agg: dict[str, Any]) -> dict[str, Any]:
        agg["b"].append(v)
        return agg

    table = (
        one.cogroup(add_a)
        .cogroup(two, add_b)
        .aggregate(
            lambda: {"a": 0, "b": []},
            Materialized.as_("json").with_value_serde(Serdes.JSON()).with_caching_disabled(),
        )
    )
    table.to_stream().to("out", value_serde=Serdes.JSON())
    (
        table.group_by(
            lambda k, v: (str(v["a"]), json_len(v)), Grouped.with_(Serdes.String(), Serdes.String())
        )
        .reduce(lambda x, y: f"{x}|{y}", lambda x, y: f"{x}/{y}")
        .to_stream()
        .to("regrouped")
    )


def json_len(v: dict[str, Any]) -> str:
    return str(len(v["b"]))


# -- time windows (TimeWindowedCogroupedKStreamImplTest) ---------------------------------------

TIME_MIX = [
    Pipe("one", "k1", "A", 0),
    Pipe("one", "k2", "A", 0),
    Pipe("one", "k2", "A", 1),
    Pipe("one", "k1", "A", 2),
    Pipe("two", "k1", "B", 3),
    Pipe("two", "k2", "B", 3),
    Pipe("two", "k2", "B", 501),
    Pipe("two", "k1", "B", 501),
]


def _mixed_windowed(b: StreamsBuilder) -> Any:
    one = b.stream("one").group_by_key(Grouped.with_(Serdes.String(), Serdes.String()))
    two = b.stream("two").group_by_key(Grouped.with_(Serdes.String(), Serdes.String()))
    return one.cogroup(adder).cogroup(two, remover)


@scenario(
    inputs=TWO,
    steps=TIME_MIX,
    outputs={"out": (tw(500), "String")},
    stores=(
        StoreQuery(
            "COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000002", gets=("k1", "k2"), kind="window"
        ),
    ),
)
def cogroup_time_windows_mixed(b: StreamsBuilder) -> None:
    """timeWindowMixAggregatorsTest / timeWindowMixAggregatorsManyWindowsTest."""
    (
        _mixed_windowed(b)
        .windowed_by(TimeWindows.of_size_with_no_grace(500))
        .aggregate(string_init, Materialized.with_(Serdes.String(), Serdes.String()))
        .to_stream()
        .to("out")
    )


@scenario(
    inputs={"one": S},
    steps=pipes(
        "one",
        [
            ("k1", "A", 0),
            ("k2", "A", 0),
            ("k1", "B", 250),
            ("k2", "B", 250),
            ("k2", "A", 500),
            ("k1", "A", 500),
            ("k1", "C", 499),
            ("k2", "D", 1000),
        ],
    ),
    outputs={"out": (tw(500), "String")},
)
def cogroup_hopping_windows(b: StreamsBuilder) -> None:
    """timeWindowAggregateOverlappingWindowsTest: each record updates every window it is in."""
    one = b.stream("one").group_by_key(Grouped.with_(Serdes.String(), Serdes.String()))
    (
        one.cogroup(adder)
        .windowed_by(TimeWindows.of_size_with_no_grace(500).advance_by(200))
        .aggregate(string_init, Materialized.with_(Serdes.String(), Serdes.String()))
        .to_stream()
        .to("out")
    )


LATE = [
    Pipe("one", "a", "x", 0),
    Pipe("one", "a", "y", 25),  # one's stream time 25: [0,10) closed for one's processor
    Pipe("two", "a", "z", 5),  # two's own stream time is 5: [0,10) still open for it
    Pipe("one", "a", "w", 7),  # dropped by one's processor
    Pipe("two", "a", None, 8),  # a null value reaches the aggregator
    Pipe("two", None, "n", 9),  # a null key is dropped
    Pipe("two", "a", "q", 30),
    Pipe("two", "a", "r", 8),  # now too late for two's processor too
    Pipe("one", "b", "s", 22),
]


@scenario(
    inputs=TWO,
    steps=LATE,
    outputs={"out": (tw(10), "String")},
    stores=(StoreQuery("late", gets=("a", "b"), kind="window"),),
)
def cogroup_time_windows_per_input_stream_time(b: StreamsBuilder) -> None:
    """Each input's processor closes windows by its own observed stream time, as in Java."""
    (
        _mixed_windowed(b)
        .windowed_by(TimeWindows.of_size_and_grace(10, 2))
        .aggregate(string_init, Materialized.as_("late").with_caching_disabled())
        .to_stream()
        .to("out")
    )


@scenario(inputs={"one": S}, steps=pipes("one", [("k", "A", 1)]), outputs={})
def cogroup_time_windows_named(b: StreamsBuilder) -> None:
    """namedParamShouldSetName: ``foo-cogroup-agg-0``, ``foo-cogroup-merge``."""
    one = b.stream("one").group_by_key(Grouped.with_(Serdes.String(), Serdes.String()))
    one.cogroup(adder).windowed_by(TimeWindows.of_size_with_no_grace(500)).aggregate(
        string_init, Named.as_("foo")
    )


@scenario(
    inputs=TWO,
    steps=[*LATE, Pipe("one", "c", "t", 40), Pipe("two", "c", "u", 41)],
    outputs={"out": (tw(10), "String")},
)
def cogroup_time_windows_suppressed(b: StreamsBuilder) -> None:
    """suppress(until_window_closes) finds the grace through the cogroup's processors."""
    (
        _mixed_windowed(b)
        .windowed_by(TimeWindows.of_size_and_grace(10, 2))
        .aggregate(string_init, Materialized.with_(Serdes.String(), Serdes.String()))
        .suppress(Suppressed.until_window_closes(BufferConfig.unbounded()))
        .to_stream()
        .to("out")
    )


@scenario(
    inputs=TWO,
    steps=TIME_MIX,
    outputs={"out": (tw(500), "String")},
    stores=(StoreQuery("mem", gets=("k1", "k2"), kind="window"),),
)
def cogroup_time_windows_changed_after_windowed_by(b: StreamsBuilder) -> None:
    """An input cogrouped after windowed_by is part of the windowed aggregation (Java shares
    the inputs); the store is in memory with a longer retention."""
    one = b.stream("one").group_by_key()
    two = b.stream("two").group_by_key()
    cogrouped = one.cogroup(adder)
    windowed = cogrouped.windowed_by(TimeWindows.of_size_with_no_grace(500))
    cogrouped.cogroup(two, remover)
    (
        windowed.aggregate(
            string_init,
            Materialized.as_("mem").with_store_type("in_memory").with_retention(5000),
        )
        .to_stream()
        .to("out")
    )


@scenario(
    inputs=TWO,
    steps=REKEYED,
    outputs={"out": S, "windowed": (tw(3), "String")},
)
def cogroup_plain_and_windowed_share_repartition(b: StreamsBuilder) -> None:
    """One cogroup aggregated plainly and per window: one repartition topic for both."""
    one = b.stream("one").map(_swap).group_by_key()
    two = b.stream("two").group_by_key()
    cogrouped = one.cogroup(concat).cogroup(two, lambda k, v, agg: agg + js(v))
    cogrouped.aggregate(empty).to_stream().to("out")
    (
        cogrouped.windowed_by(TimeWindows.of_size_with_no_grace(3))
        .aggregate(empty)
        .to_stream()
        .to("windowed")
    )


# -- sliding windows (SlidingWindowedCogroupedKStreamImplTest) ---------------------------------

SLIDING = [
    Pipe("one", "k1", "A", 500),
    Pipe("one", "k2", "A", 500),
    Pipe("one", "k2", "A", 501),
    Pipe("one", "k1", "A", 502),
    Pipe("two", "k1", "B", 503),
    Pipe("two", "k2", "B", 503),
    Pipe("two", "k2", "B", 504),
    Pipe("one", "k1", "B", 504),
    Pipe("two", "k1", "C", 100),  # early: shares [0, 500]
    Pipe("two", "k1", None, 600),  # sliding windows drop null values
]


@scenario(
    inputs=TWO,
    steps=SLIDING,
    outputs={"out": (tw(500), "String")},
    stores=(StoreQuery("sliding", gets=("k1", "k2"), kind="window"),),
)
def cogroup_sliding_windows(b: StreamsBuilder) -> None:
    """slidingWindowAggregateStreamsTest with both inputs, early and null-valued records."""
    (
        _mixed_windowed(b)
        .windowed_by(SlidingWindows.of_time_difference_and_grace(500, 2000))
        .aggregate(string_init, Materialized.as_("sliding").with_caching_disabled())
        .to_stream()
        .to("out")
    )


@scenario(
    inputs={"one": S},
    steps=pipes(
        "one",
        [
            ("k1", "A", 500),
            ("k2", "A", 500),
            ("k1", "B", 750),
            ("k2", "B", 750),
            ("k2", "A", 1000),
            ("k1", "A", 1000),
        ],
    ),
    outputs={"out": (tw(500), "String")},
)
def cogroup_sliding_windows_overlapping(b: StreamsBuilder) -> None:
    """slidingWindowAggregateOverlappingWindowsTest (cached, the driver flushes per record)."""
    one = b.stream("one").group_by_key(Grouped.with_(Serdes.String(), Serdes.String()))
    (
        one.cogroup(adder)
        .windowed_by(SlidingWindows.of_time_difference_and_grace(500, 2000))
        .aggregate(string_init, Materialized.with_(Serdes.String(), Serdes.String()))
        .to_stream()
        .to("out")
    )


@scenario(
    inputs=TWO,
    steps=[
        Pipe("one", "k", "a", 100),
        Pipe("one", "k", "b", 200),
        Pipe("two", "k", "c", 20),
        Pipe("one", "k", "d", 20),  # too late for one's processor (stream time 200, grace 10)
        Pipe("two", "k", "e", 150),
    ],
    outputs={"out": (tw(50), "String")},
)
def cogroup_sliding_windows_late(b: StreamsBuilder) -> None:
    (
        _mixed_windowed(b)
        .windowed_by(SlidingWindows.of_time_difference_and_grace(50, 10))
        .aggregate(string_init, Named.as_("slide"))
        .to_stream()
        .to("out")
    )


# -- session windows (SessionWindowedCogroupedKStreamImplTest) ---------------------------------

SESSION_MIX = [
    Pipe("one", "k1", "A", 0),
    Pipe("one", "k2", "A", 0),
    Pipe("one", "k2", "A", 1),
    Pipe("one", "k1", "A", 2),
    Pipe("two", "k1", "B", 3),
    Pipe("two", "k2", "B", 500),
    Pipe("two", "k2", "B", 501),
    Pipe("two", "k1", "B", 501),
    Pipe("two", "k1", None, 550),  # a null value reaches the aggregator
    Pipe("one", None, "A", 551),  # a null key is dropped
]


@scenario(
    inputs=TWO,
    steps=SESSION_MIX,
    outputs={"out": (SW, "String")},
    stores=(
        StoreQuery(
            "COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000002",
            gets=("k1", "k2"),
            kind="session",
        ),
    ),
)
def cogroup_session_windows_mixed(b: StreamsBuilder) -> None:
    """sessionWindowMixAggregatorsManyWindowsTest (gap 100, grace 1 day; cached)."""
    (
        _mixed_windowed(b)
        .windowed_by(SessionWindows.of_inactivity_gap_and_grace(100, 86_400_000))
        .aggregate(string_init, merger, Materialized.with_(Serdes.String(), Serdes.String()))
        .to_stream()
        .to("out")
    )


@scenario(
    inputs=TWO,
    steps=pipes("one", [("k1", "A", 0), ("k1", "A", 84), ("k1", "A", 113), ("k1", "A", 199)])
    + pipes("two", [("k1", "B", 300), ("k2", "B", 301), ("k2", "B", 400), ("k1", "B", 400)])
    + pipes("one", [("k1", "late", 10), ("k3", "late", 10), ("k2", "C", 1000)]),
    outputs={"out": (SW, "String")},
    stores=(StoreQuery("sessions", gets=("k1", "k2"), kind="session"),),
)
def cogroup_session_windows_merging(b: StreamsBuilder) -> None:
    """sessionWindowAggregateTest2StreamsTest, uncached, named, with a late record."""
    (
        _mixed_windowed(b)
        .windowed_by(SessionWindows.of_inactivity_gap_and_grace(100, 50))
        .aggregate(
            string_init,
            merger,
            Named.as_("sess"),
            Materialized.as_("sessions").with_caching_disabled(),
        )
        .to_stream()
        .to("out")
    )


@scenario(
    inputs={"one": S},
    steps=pipes("one", [("k1", "A", 0), ("k1", "A", 0), ("k2", "B", 599), ("k1", "B", 607)]),
    outputs={"out": (SW, "String")},
)
def cogroup_session_windows_single(b: StreamsBuilder) -> None:
    """sessionWindowAggregate2Test (gap 500, no grace)."""
    one = b.stream("one").group_by_key(Grouped.with_(Serdes.String(), Serdes.String()))
    (
        one.cogroup(adder)
        .windowed_by(SessionWindows.of_inactivity_gap_with_no_grace(500))
        .aggregate(string_init, merger, Materialized.with_(Serdes.String(), Serdes.String()))
        .to_stream()
        .to("out")
    )


# -- windowed aggregates mutated in place, with a downstream filter asking for old values ------


def _bump(field: str) -> Any:
    def bump(k: Any, v: Any, agg: dict[str, Any]) -> dict[str, Any]:
        agg[field] += 1
        agg["seen"].append(js(v))
        return agg

    return bump


def _json_cogroup(b: StreamsBuilder) -> Any:
    one, two = _two(b)
    return one.cogroup(_bump("a")).cogroup(two, _bump("b"))


def _odd(w: Any, v: dict[str, Any]) -> bool:
    return (v["a"] + v["b"]) % 2 == 1


MUTATED = [
    Pipe("one", "k", "x", 1),
    Pipe("two", "k", "y", 2),
    Pipe("one", "k", "z", 3),
    Pipe("two", "j", "w", 4),
    Pipe("one", "k", "v", 12),
    Pipe("two", "k", "u", 13),
    Pipe("one", "j", "t", 14),
]


@scenario(
    inputs=TWO,
    steps=MUTATED,
    outputs={"out": (tw(10), "JSON"), "odd": (tw(10), "JSON")},
    stores=(StoreQuery("jw", "String", "JSON", gets=("k", "j"), kind="window"),),
)
def cogroup_time_windows_mutated_in_place(b: StreamsBuilder) -> None:
    """Window aggregates the aggregators mutate; a filter downstream gets the real old values
    (a row leaving the filtered table is deleted only if it was in it)."""
    table = (
        _json_cogroup(b)
        .windowed_by(TimeWindows.of_size_with_no_grace(10))
        .aggregate(
            lambda: {"a": 0, "b": 0, "seen": []},
            Materialized.as_("jw").with_value_serde(Serdes.JSON()).with_caching_disabled(),
        )
    )
    table.to_stream().to("out", value_serde=Serdes.JSON())
    table.filter(_odd).to_stream().to("odd", value_serde=Serdes.JSON())


@scenario(
    inputs=TWO,
    steps=MUTATED,
    outputs={"out": (SW, "JSON"), "odd": (SW, "JSON")},
    stores=(StoreQuery("js", "String", "JSON", gets=("k", "j"), kind="session"),),
)
def cogroup_session_windows_mutated_in_place(b: StreamsBuilder) -> None:
    """Sessions whose aggregators and merger mutate in place; merged sessions are deleted."""

    def merge(k: Any, one: dict[str, Any], two: dict[str, Any]) -> dict[str, Any]:
        one["a"] += two["a"]
        one["b"] += two["b"]
        one["seen"].extend(two["seen"])
        return one

    table = (
        _json_cogroup(b)
        .windowed_by(SessionWindows.of_inactivity_gap_and_grace(5, 100))
        .aggregate(
            lambda: {"a": 0, "b": 0, "seen": []},
            merge,
            Materialized.as_("js").with_value_serde(Serdes.JSON()).with_caching_disabled(),
        )
    )
    table.to_stream().to("out", value_serde=Serdes.JSON())
    table.filter(_odd).to_stream().to("odd", value_serde=Serdes.JSON())
