"""Sliding windows (inclusive bounds, left/right windows, early records); twins in WindowScenarios.java.

Ported from KStreamSlidingWindowAggregateTest and extended with out-of-order, late and null
records, emit-on-close and aggregators that mutate their aggregate.
"""

from __future__ import annotations

from typing import Any

from kstreams import (
    EmitStrategy,
    Grouped,
    Materialized,
    Serdes,
    SlidingWindows,
    StreamsBuilder,
)

from ..harness import StoreQuery, pipes
from .common import S, js, scenario
from .windows import LARGE, WINDOWS, tw

# KStreamSlidingWindowAggregateTest.testAggregateSmallInput
SLIDING_SMALL = [("A", "1", 10), ("A", "2", 15), ("A", "3", 20), ("A", "4", 22), ("A", "5", 30)]


def _sliding_agg(b: StreamsBuilder, m: Materialized, windows: SlidingWindows) -> None:
    (
        b.stream("topic")
        .group_by_key(Grouped.with_(Serdes.String(), Serdes.String()))
        .windowed_by(windows)
        .aggregate(lambda: "0", lambda k, v, agg: f"{agg}+{js(v)}", m)
        .to_stream()
        .to("out")
    )


@scenario(
    inputs={"topic": S},
    steps=pipes("topic", SLIDING_SMALL),
    outputs={"out": (tw(10), "String")},
    stores=(StoreQuery("sliding", "String", "String", gets=("A",), kind="window"),),
    java_class=WINDOWS,
)
def sliding_aggregate_small_input(b: StreamsBuilder) -> None:
    _sliding_agg(
        b,
        Materialized.as_("sliding").with_value_serde(Serdes.String()).with_caching_disabled(),
        SlidingWindows.of_time_difference_and_grace(10, 50),
    )


@scenario(
    inputs={"topic": S},
    steps=pipes("topic", SLIDING_SMALL),
    outputs={"out": (tw(10), "String")},
    stores=(StoreQuery("sliding", "String", "String", gets=("A",), kind="window"),),
    java_class=WINDOWS,
)
def sliding_aggregate_small_input_cached(b: StreamsBuilder) -> None:
    _sliding_agg(
        b,
        Materialized.as_("sliding").with_value_serde(Serdes.String()),
        SlidingWindows.of_time_difference_and_grace(10, 50),
    )


# out of order, early (before the time difference), late and expired, two keys
SLIDING_MIXED = [
    ("A", "1", 5),
    ("A", "2", 3),
    ("B", "1", 12),
    ("A", "3", 25),
    ("A", "4", 12),
    ("A", "5", 8),
    ("B", "2", 40),
    ("A", "6", 26),
    ("A", "7", 24),
    ("A", "8", 10),  # expired: [10,20] ended before 40 - 20
    ("B", "3", 36),
    (None, "x", 41),
    ("A", None, 41),
    ("A", "9", 31),
    ("A", "10", 43),
]


@scenario(
    inputs={"topic": S},
    steps=pipes("topic", SLIDING_MIXED),
    outputs={"out": (tw(10), "String")},
    stores=(StoreQuery("sliding", "String", "String", gets=("A", "B"), kind="window"),),
    java_class=WINDOWS,
)
def sliding_aggregate_out_of_order(b: StreamsBuilder) -> None:
    _sliding_agg(
        b,
        Materialized.as_("sliding").with_value_serde(Serdes.String()).with_caching_disabled(),
        SlidingWindows.of_time_difference_and_grace(10, 10),
    )


@scenario(
    inputs={"topic": S},
    steps=pipes("topic", SLIDING_MIXED),
    outputs={"out": (tw(10), "String")},
    java_class=WINDOWS,
)
def sliding_reduce(b: StreamsBuilder) -> None:
    (
        b.stream("topic")
        .group_by_key()
        .windowed_by(SlidingWindows.of_time_difference_and_grace(10, 10))
        .reduce(lambda agg, v: f"{agg}+{js(v)}", Materialized.as_("r").with_caching_disabled())
        .to_stream()
        .to("out")
    )


@scenario(
    inputs={"topic": S},
    steps=pipes("topic", SLIDING_MIXED),
    outputs={"out": (tw(10), "Long")},
    java_class=WINDOWS,
)
def sliding_count_on_window_close(b: StreamsBuilder) -> None:
    (
        b.stream("topic")
        .group_by_key()
        .windowed_by(SlidingWindows.of_time_difference_and_grace(10, 5))
        .emit_strategy(EmitStrategy.on_window_close())
        .count()
        .to_stream()
        .to("out", value_serde=Serdes.Long())
    )


@scenario(
    inputs={"in": S},
    steps=pipes("in", LARGE),
    outputs={"out": (tw(15), "JSON")},
    stores=(StoreQuery("slide", "String", "JSON", gets=("b",), kind="window"),),
    java_class=WINDOWS,
)
def sliding_aggregate_large_input_mutated_in_place(b: StreamsBuilder) -> None:
    # KStreamSlidingWindowAggregateTest.testAggregateLargeInput, with an aggregator that
    # mutates the list it is given: right windows must copy the aggregate before the update
    def add(k: Any, v: Any, agg: dict[str, Any]) -> dict[str, Any]:
        agg["sum"] += int(v)
        agg["n"] += 1
        return agg

    (
        b.stream("in")
        .group_by_key()
        .windowed_by(SlidingWindows.of_time_difference_and_grace(15, 30))
        .aggregate(
            lambda: {"sum": 0, "n": 0},
            add,
            Materialized.as_("slide").with_value_serde(Serdes.JSON()).with_caching_disabled(),
        )
        .to_stream()
        .to("out", value_serde=Serdes.JSON())
    )


# KStreamSlidingWindowAggregateTest.testEarlyRecords (records before the time difference)
EARLY = [
    ("A", "1", 5),
    ("A", "2", 6),
    ("A", "3", 30),
    ("A", "4", 3),
    ("A", "5", 13),
    ("A", "6", 19),
]


@scenario(
    inputs={"topic": S},
    steps=pipes("topic", EARLY),
    outputs={"out": (tw(20), "String")},
    stores=(StoreQuery("early", "String", "String", gets=("A",), kind="window"),),
    java_class=WINDOWS,
)
def sliding_early_records(b: StreamsBuilder) -> None:
    (
        b.stream("topic")
        .group_by_key(Grouped.with_(Serdes.String(), Serdes.String()))
        .windowed_by(SlidingWindows.of_time_difference_and_grace(20, 50))
        .aggregate(
            lambda: "0",
            lambda k, v, agg: f"{agg}+{js(v)}",
            Materialized.as_("early").with_value_serde(Serdes.String()).with_caching_disabled(),
        )
        .to_stream()
        .to("out")
    )
