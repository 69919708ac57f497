"""Stream aggregations: group_by_key / group_by with count, reduce, aggregate, cached or not."""

from __future__ import annotations

from typing import Any

from kstreams import Grouped, Materialized, Produced, Serdes, StreamsBuilder

from ..deliberate import latest_per_commit, null_keys_counted
from ..harness import AdvanceWallClock, Pipe, StoreQuery, pipes
from .common import LINES, RECORDS, SJ, SL, S, scenario

COUNT_STEPS: list[Any] = [
    *pipes("in", RECORDS[:3]),
    AdvanceWallClock(1_000),
    *pipes("in", RECORDS[3:]),
    AdvanceWallClock(30_000),
    Pipe("in", "a", "again", 31, (("source", b"late"),)),
]
COUNTS_STORE = StoreQuery("counts", "String", "Long", gets=("a", "missing"))


@scenario(inputs={"in": S}, steps=COUNT_STEPS, outputs={"out": SL}, stores=(COUNTS_STORE,))
def count_cached(b: StreamsBuilder) -> None:
    b.stream("in").group_by_key().count(Materialized.as_("counts")).to_stream().to(
        "out", value_serde=Serdes.Long()
    )


@scenario(inputs={"in": S}, steps=COUNT_STEPS, outputs={"out": SL}, stores=(COUNTS_STORE,))
def count_uncached(b: StreamsBuilder) -> None:
    b.stream("in").group_by_key().count(
        Materialized.as_("counts").with_caching_disabled()
    ).to_stream().to("out", value_serde=Serdes.Long())


@scenario(
    inputs={"in": S},
    steps=pipes("in", RECORDS),
    outputs={"out": S},
    stores=(StoreQuery("KSTREAM-REDUCE-STATE-STORE-0000000001", gets=("a", "b", "zz")),),
)
def reduce_generated_store(b: StreamsBuilder) -> None:
    b.stream("in").group_by_key().reduce(lambda agg, v: agg + v).to_stream().to("out")


LENGTHS_STORE = StoreQuery("lengths", "String", "Long")


@scenario(inputs={"in": S}, steps=COUNT_STEPS, outputs={"out": SL}, stores=(LENGTHS_STORE,))
def aggregate_cached(b: StreamsBuilder) -> None:
    (
        b.stream("in")
        .group_by_key()
        .aggregate(
            lambda: 0,
            lambda k, v, total: total + len(v),
            Materialized.as_("lengths").with_value_serde(Serdes.Long()),
        )
        .to_stream()
        .to("out", value_serde=Serdes.Long())
    )


@scenario(inputs={"in": S}, steps=COUNT_STEPS, outputs={"out": SL}, stores=(LENGTHS_STORE,))
def aggregate_uncached(b: StreamsBuilder) -> None:
    (
        b.stream("in")
        .group_by_key()
        .aggregate(
            lambda: 0,
            lambda k, v, total: total + len(v),
            Materialized.as_("lengths").with_value_serde(Serdes.Long()).with_caching_disabled(),
        )
        .to_stream()
        .to("out", value_serde=Serdes.Long())
    )


@scenario(
    inputs={"in": S},
    steps=pipes("in", RECORDS),
    outputs={"out": SJ},
    stores=(StoreQuery("stats", "String", "JSON"),),
)
def aggregate_json(b: StreamsBuilder) -> None:
    (
        b.stream("in")
        .group_by_key()
        .aggregate(
            lambda: {"count": 0, "values": []},
            lambda k, v, agg: {"count": agg["count"] + 1, "values": [*agg["values"], v]},
            Materialized.as_("stats").with_value_serde(Serdes.JSON()),
        )
        .to_stream()
        .to("out", value_serde=Serdes.JSON())
    )


@scenario(
    inputs={"in": S},
    steps=pipes("in", RECORDS),
    outputs={"out": SL},
    stores=(StoreQuery("KSTREAM-AGGREGATE-STATE-STORE-0000000002", "String", "Long"),),
    deliberate=null_keys_counted(1),
)
def count_after_select_key(b: StreamsBuilder) -> None:
    b.stream("in").select_key(lambda k, v: v).group_by_key().count().to_stream().to(
        "out", value_serde=Serdes.Long()
    )


@scenario(
    inputs={"lines": S},
    steps=pipes("lines", LINES),
    outputs={"out": SL},
    stores=(StoreQuery("word-counts", "String", "Long", gets=("kafka", "nope")),),
)
def word_count(b: StreamsBuilder) -> None:
    (
        b.stream("lines")
        .flat_map_values(lambda line: line.lower().split(" "))
        .group_by(lambda k, word: word, Grouped.as_("words"))
        .count(Materialized.as_("word-counts"))
        .to_stream()
        .to("out", value_serde=Serdes.Long())
    )


@scenario(
    inputs={"in": S},
    steps=pipes("in", [("1", "ab", 1), ("2", "cd", 2), ("3", "efg", 3), ("4", "h", 4)]),
    outputs={"out": ("Integer", "String")},
    stores=(StoreQuery("by-length", "Integer", "String", gets=(2, 5)),),
)
def group_by_integer_key(b: StreamsBuilder) -> None:
    (
        b.stream("in")
        .group_by(lambda k, v: len(v), Grouped.with_(Serdes.Integer(), Serdes.String()))
        .reduce(lambda agg, v: f"{agg},{v}", Materialized.as_("by-length"))
        .to_stream()
        .to("out", Produced.with_(Serdes.Integer(), Serdes.String()))
    )


@scenario(
    inputs={"in": S},
    steps=pipes("in", [("1", "a", 1), ("2", "b", 2), ("3", "a", 3), ("4", None, 4)]),
    outputs={"counts": SL, "reduced": S},
    deliberate=null_keys_counted(1),
)
def named_grouping_shared_by_two_aggregations(b: StreamsBuilder) -> None:
    grouped = b.stream("in").group_by(lambda k, v: v, Grouped.as_("g"))
    grouped.count().to_stream().to("counts", value_serde=Serdes.Long())
    grouped.reduce(lambda agg, v: agg + v).to_stream().to("reduced")


@scenario(
    inputs={"in": S},
    steps=pipes("in", [("a", "1", 1), ("a", "2", 2), ("b", "3", 3), ("a", "4", 4), ("b", "5", 5)]),
    outputs={"out": SL},
)
def count_then_table_filter(b: StreamsBuilder) -> None:
    b.stream("in").group_by_key().count().filter(lambda k, v: v % 2 == 0).to_stream().to(
        "out", value_serde=Serdes.Long()
    )


@scenario(
    inputs={"lines": S},
    steps=pipes("lines", [("l1", "a b c", 1), ("l2", "d", 2), ("l1", "e f", 3)]),
    outputs={"out": SL, "app-counts-changelog": SL},
    deliberate={"outputs": latest_per_commit("app-counts-changelog")},
)
def changelog_of_uncached_count(b: StreamsBuilder) -> None:
    (
        b.stream("lines")
        .flat_map_values(lambda line: line.split(" "))
        .group_by_key()
        .count(Materialized.as_("counts").with_caching_disabled())
        .to_stream()
        .to("out", value_serde=Serdes.Long())
    )


@scenario(
    inputs={"in": S},
    steps=pipes("in", [("1", "a", 1), ("2", "b", 2), ("3", "a", 3), ("4", None, 4)]),
    outputs={"out": ("JSON", "Long")},
    stores=(StoreQuery("by-json", "JSON", "Long", gets=({"word": "a"}, {"word": "zz"})),),
)
def json_keys_count(b: StreamsBuilder) -> None:
    """JSON objects as keys: through the repartition topic and the (cached) store."""
    (
        b.stream("in")
        .group_by(lambda k, v: {"word": v}, Grouped.with_(Serdes.JSON(), Serdes.String()))
        .count(Materialized.as_("by-json").with_key_serde(Serdes.JSON()))
        .to_stream()
        .to("out", Produced.with_(Serdes.JSON(), Serdes.Long()))
    )


@scenario(
    inputs={"lines": S},
    steps=pipes("lines", [("l1", "a b c", 1), ("l2", "d", 2), ("l1", "e f", 3)]),
    outputs={"out": SL, "app-counts-changelog": SL},
)
def changelog_of_cached_count(b: StreamsBuilder) -> None:
    """The cache merges the updates one input record makes to its key: one output, one log."""
    (
        b.stream("lines")
        .flat_map_values(lambda line: line.split(" "))
        .group_by_key()
        .count(Materialized.as_("counts"))
        .to_stream()
        .to("out", value_serde=Serdes.Long())
    )
