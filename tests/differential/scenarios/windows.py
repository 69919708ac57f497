"""Windowed aggregations over time windows (tumbling, hopping); twins in WindowScenarios.java.

Ported as data from Kafka Streams' own tests (KStreamWindowAggregateTest,
TimeWindowedKStreamImplTest) and extended with out-of-order and late records, null keys and
values, emit-on-close, cached and uncached stores, store contents, names and describe(). Output
keys are read with the windowed serdes (Java's bytes). Sliding and session windows are in
:mod:`.sliding_windows` and :mod:`.session_windows`, which share this module's helpers.
"""

from __future__ import annotations

from typing import Any

from kstreams import (
    EmitStrategy,
    Grouped,
    Materialized,
    Named,
    Serdes,
    SessionWindows,
    SlidingWindows,
    StreamsBuilder,
    TimeWindows,
    WindowedSerdes,
)

from ..deliberate import null_keys_counted
from ..harness import AdvanceWallClock, StoreQuery, pipes
from .common import S, js, scenario

WINDOWS = "WindowScenarios"
#: both test drivers emit closed windows on every record unless told otherwise
EMIT_PACED = {"__emit.interval.ms.kstreams.windowed.aggregation__": 1000}


def tw(size: int) -> str:
    """The serde name of time-windowed String keys of windows of ``size`` ms."""
    return f"TimeWindowed:String:{size}"


SW = "SessionWindowed:String"

# (key, value, ts) for windows of 10 ms: out of order, late, a null key and a null value
TUMBLING = [
    ("A", "1", 0),
    ("B", "2", 1),
    ("A", "3", 5),
    ("A", "4", 10),
    ("B", "5", 12),
    ("A", "6", 3),  # [0,10) closed (stream time 12, no grace): dropped
    ("A", "7", 19),
    ("C", "8", 25),
    ("A", "9", 15),  # [10,20) closed: dropped
    (None, "x", 26),  # null key: dropped
    ("A", None, 27),  # null value: counted, as Java
    ("B", "10", 29),
    ("C", "11", 30),
    ("B", "12", 21),  # [20,30) still open
]


def _long_out(size: int) -> Any:
    return WindowedSerdes.time_windowed_serde_from(Serdes.String(), size)


# -- time windows: count ---------------------------------------------------------------------


@scenario(
    inputs={"in": S},
    steps=pipes("in", TUMBLING),
    outputs={"out": (tw(10), "Long")},
    stores=(StoreQuery("counts", "String", "Long", gets=("A", "B", "Z"), kind="window"),),
    java_class=WINDOWS,
)
def tumbling_count(b: StreamsBuilder) -> None:
    (
        b.stream("in")
        .group_by_key()
        .windowed_by(TimeWindows.of_size_with_no_grace(10))
        .count(Materialized.as_("counts"))
        .to_stream()
        .to("out", value_serde=Serdes.Long())
    )


@scenario(
    inputs={"in": S},
    steps=pipes("in", TUMBLING),
    outputs={"out": (tw(10), "Long")},
    stores=(StoreQuery("counts", "String", "Long", gets=("A", "B", "C"), kind="window"),),
    java_class=WINDOWS,
)
def tumbling_count_uncached(b: StreamsBuilder) -> None:
    (
        b.stream("in")
        .group_by_key()
        .windowed_by(TimeWindows.of_size_with_no_grace(10))
        .count(Materialized.as_("counts").with_caching_disabled())
        .to_stream()
        .to("out", value_serde=Serdes.Long())
    )


@scenario(
    inputs={"in": S},
    steps=pipes("in", TUMBLING),
    outputs={"out": (tw(10), "Long")},
    java_class=WINDOWS,
)
def tumbling_count_generated_names(b: StreamsBuilder) -> None:
    # no serdes anywhere: the table's keys are windows of default.key.serde
    b.stream("in").group_by_key().windowed_by(
        TimeWindows.of_size_with_no_grace(10)
    ).count().to_stream().to("out", value_serde=Serdes.Long())


@scenario(
    inputs={"in": S},
    steps=pipes("in", TUMBLING),
    outputs={"out": (tw(10), "Long")},
    stores=(
        StoreQuery(
            "KSTREAM-AGGREGATE-STATE-STORE-0000000002", "String", "Long", gets=("A",), kind="window"
        ),
    ),
    java_class=WINDOWS,
)
def tumbling_count_unnamed_materialized(b: StreamsBuilder) -> None:
    # as Java, an unnamed Materialized draws one store name more
    b.stream("in").group_by_key().windowed_by(TimeWindows.of_size_with_no_grace(10)).count(
        Materialized.with_(Serdes.String(), Serdes.Long()).with_caching_disabled()
    ).to_stream().to("out", value_serde=Serdes.Long())


@scenario(
    inputs={"in": S},
    steps=pipes("in", TUMBLING),
    outputs={"out": (tw(10), "Long")},
    deliberate=null_keys_counted(1),
    java_class=WINDOWS,
)
def tumbling_count_after_select_key(b: StreamsBuilder) -> None:
    (
        b.stream("in")
        .select_key(lambda k, v: None if k is None else k.lower())
        .group_by_key(Grouped.with_(Serdes.String(), Serdes.String()))
        .windowed_by(TimeWindows.of_size_and_grace(10, 2))
        .count(Materialized.as_("counts").with_caching_disabled())
        .to_stream()
        .to("out", value_serde=Serdes.Long())
    )


@scenario(
    inputs={"in": S},
    steps=pipes("in", TUMBLING),
    outputs={"out": ("String", "Long")},
    java_class=WINDOWS,
)
def tumbling_count_to_stream_map(b: StreamsBuilder) -> None:
    (
        b.stream("in")
        .group_by_key()
        .windowed_by(TimeWindows.of_size_with_no_grace(10))
        .count(Materialized.as_("counts").with_caching_disabled())
        .to_stream()
        .map(lambda w, n: (f"{w.key}@{w.window.start}/{w.window.end}", n))
        .to("out", value_serde=Serdes.Long())
    )


@scenario(
    inputs={"in": S},
    steps=pipes("in", TUMBLING),
    outputs={"out": (tw(10), "Long")},
    java_class=WINDOWS,
)
def tumbling_count_filter(b: StreamsBuilder) -> None:
    (
        b.stream("in")
        .group_by_key()
        .windowed_by(TimeWindows.of_size_with_no_grace(10))
        .count(Materialized.as_("counts").with_caching_disabled())
        .filter(lambda w, n: n >= 2)
        .to_stream()
        .to("out", value_serde=Serdes.Long())
    )


# -- time windows: aggregate / reduce ----------------------------------------------------------

# KStreamWindowAggregateTest.testAggBasic
AGG_BASIC = [
    ("A", "1", 0),
    ("B", "2", 1),
    ("C", "3", 2),
    ("D", "4", 3),
    ("A", "1", 4),
    ("A", "1", 5),
    ("B", "2", 6),
    ("D", "4", 7),
    ("B", "2", 8),
    ("C", "3", 9),
    ("A", "1", 10),
    ("B", "2", 11),
    ("D", "4", 12),
    ("B", "2", 13),
    ("C", "3", 14),
    ("B", "1", 3),
    ("B", "2", 2),
    ("B", "3", 9),
]


def _agg_basic(b: StreamsBuilder, m: Materialized) -> None:
    (
        b.stream("topic1")
        .group_by_key(Grouped.with_(Serdes.String(), Serdes.String()))
        .windowed_by(TimeWindows.of_size_and_grace(10, 100).advance_by(5))
        .aggregate(lambda: "0", lambda k, v, agg: f"{agg}+{js(v)}", m)
        .to_stream()
        .to("out")
    )


AGG_BASIC_STORE = StoreQuery(
    "topic1-Canonicalized", "String", "String", gets=("A", "B"), kind="window"
)


@scenario(
    inputs={"topic1": S},
    steps=pipes("topic1", AGG_BASIC),
    outputs={"out": (tw(10), "String")},
    stores=(AGG_BASIC_STORE,),
    java_class=WINDOWS,
)
def hopping_aggregate(b: StreamsBuilder) -> None:
    _agg_basic(b, Materialized.as_("topic1-Canonicalized").with_value_serde(Serdes.String()))


@scenario(
    inputs={"topic1": S},
    steps=pipes("topic1", AGG_BASIC),
    outputs={"out": (tw(10), "String")},
    stores=(AGG_BASIC_STORE,),
    java_class=WINDOWS,
)
def hopping_aggregate_uncached(b: StreamsBuilder) -> None:
    _agg_basic(
        b,
        Materialized.as_("topic1-Canonicalized")
        .with_value_serde(Serdes.String())
        .with_caching_disabled(),
    )


@scenario(
    inputs={"in": S},
    steps=pipes("in", TUMBLING),
    outputs={"out": (tw(10), "String")},
    stores=(StoreQuery("reduced", "String", "String", gets=("A", "B"), kind="window"),),
    java_class=WINDOWS,
)
def tumbling_reduce_with_grace(b: StreamsBuilder) -> None:
    # a null value reduces to null: the window is deleted, as Java
    (
        b.stream("in")
        .group_by_key()
        .windowed_by(TimeWindows.of_size_and_grace(10, 5))
        .reduce(lambda agg, v: f"{agg}{js(v)}", Materialized.as_("reduced").with_caching_disabled())
        .to_stream()
        .to("out")
    )


@scenario(
    inputs={"in": S},
    steps=pipes("in", TUMBLING),
    outputs={"out": (tw(10), "JSON")},
    stores=(StoreQuery("lists", "String", "JSON", gets=("A",), kind="window"),),
    java_class=WINDOWS,
)
def tumbling_aggregate_mutated_in_place(b: StreamsBuilder) -> None:
    def add(k: Any, v: Any, agg: dict[str, Any]) -> dict[str, Any]:
        agg["values"].append(v)  # mutates the aggregate it is given and returns it
        return agg

    (
        b.stream("in")
        .group_by_key()
        .windowed_by(TimeWindows.of_size_with_no_grace(10).advance_by(5))
        .aggregate(
            lambda: {"values": []},
            add,
            Materialized.as_("lists").with_value_serde(Serdes.JSON()).with_caching_disabled(),
        )
        .to_stream()
        .to("out", value_serde=Serdes.JSON())
    )


# TimeWindowedKStreamImplTest: windows of 500 ms
TIME_WINDOWED_IMPL = [
    ("1", "1", 10),
    ("1", "2", 15),
    ("1", "3", 500),
    ("2", "1", 550),
    ("2", "2", 1000),
    ("1", "4", 1001),
    ("2", "3", 499),
]


@scenario(
    inputs={"in": S},
    steps=pipes("in", TIME_WINDOWED_IMPL),
    outputs={"out": (tw(500), "Long")},
    stores=(StoreQuery("count-store", "String", "Long", gets=("1", "2"), kind="window"),),
    java_class=WINDOWS,
)
def time_windowed_count_materialized(b: StreamsBuilder) -> None:
    (
        b.stream("in")
        .group_by_key(Grouped.with_(Serdes.String(), Serdes.String()))
        .windowed_by(TimeWindows.of_size_and_grace(500, 600))
        .count(Materialized.as_("count-store").with_caching_disabled())
        .to_stream()
        .to("out", value_serde=Serdes.Long())
    )


# -- late records, grace, retention ---------------------------------------------------------

# KStreamWindowAggregateTest.shouldLogAndMeterWhenSkippingExpiredWindowByGrace
LATE = [
    ("k", "100", 200),
    ("k", "0", 100),  # [100,110) closes at 110 + 90 = 200 (window end + grace <= stream time)
    ("k", "1", 101),
    ("k", "2", 102),
    ("k", "3", 103),
    ("k", "4", 104),
    ("k", "5", 105),
    ("k", "6", 106),
    ("k", "7", 115),  # [105,115) expired, [110,120) open
    ("k", "8", 201),
]


@scenario(
    inputs={"in": S},
    steps=pipes("in", LATE),
    outputs={"out": (tw(10), "String")},
    java_class=WINDOWS,
)
def late_records_past_grace(b: StreamsBuilder) -> None:
    (
        b.stream("in")
        .group_by_key(Grouped.with_(Serdes.String(), Serdes.String()))
        .windowed_by(TimeWindows.of_size_and_grace(10, 90).advance_by(5))
        .aggregate(
            lambda: "",
            lambda k, v, agg: f"{agg}+{js(v)}",
            Materialized.as_("late")
            .with_value_serde(Serdes.String())
            .with_caching_disabled()
            .with_retention(100),
        )
        .to_stream()
        .to("out")
    )


# -- emit on window close (KIP-825) ---------------------------------------------------------


@scenario(
    inputs={"in": S},
    steps=pipes("in", TUMBLING),
    outputs={"out": (tw(10), "Long")},
    stores=(StoreQuery("counts", "String", "Long", gets=("A", "B", "C"), kind="window"),),
    java_class=WINDOWS,
)
def tumbling_count_on_window_close(b: StreamsBuilder) -> None:
    (
        b.stream("in")
        .group_by_key()
        .windowed_by(TimeWindows.of_size_with_no_grace(10))
        .emit_strategy(EmitStrategy.on_window_close())
        .count(Materialized.as_("counts"))
        .to_stream()
        .to("out", value_serde=Serdes.Long())
    )


@scenario(
    inputs={"topic1": S},
    steps=pipes("topic1", AGG_BASIC) + pipes("topic1", [("A", "9", 120), ("B", "9", 130)]),
    outputs={"out": (tw(10), "String")},
    java_class=WINDOWS,
)
def hopping_aggregate_on_window_close(b: StreamsBuilder) -> None:
    (
        b.stream("topic1")
        .group_by_key(Grouped.with_(Serdes.String(), Serdes.String()))
        .windowed_by(TimeWindows.of_size_and_grace(10, 5).advance_by(5))
        .emit_strategy(EmitStrategy.on_window_close())
        .aggregate(
            lambda: "0",
            lambda k, v, agg: f"{agg}+{js(v)}",
            Materialized.as_("agg").with_value_serde(Serdes.String()).with_caching_disabled(),
        )
        .to_stream()
        .to("out")
    )


@scenario(
    inputs={"in": S},
    steps=[
        *pipes("in", TUMBLING[:5]),
        AdvanceWallClock(1_000),
        *pipes("in", TUMBLING[5:9]),
        AdvanceWallClock(500),
        *pipes("in", TUMBLING[9:12]),
        AdvanceWallClock(600),
        *pipes("in", TUMBLING[12:]),
    ],
    outputs={"out": (tw(10), "Long")},
    config=EMIT_PACED,
    java_class=WINDOWS,
)
def tumbling_count_on_window_close_paced(b: StreamsBuilder) -> None:
    # the runtime's emit interval: closed windows are looked for at most once a second
    (
        b.stream("in")
        .group_by_key()
        .windowed_by(TimeWindows.of_size_with_no_grace(10))
        .emit_strategy(EmitStrategy.on_window_close())
        .count(Materialized.as_("counts").with_caching_disabled())
        .to_stream()
        .to("out", value_serde=Serdes.Long())
    )


# -- larger inputs: many keys, out-of-order, late ------------------------------------------------


def _shuffled(n: int, keys: str, spread: int, seed: int) -> list[tuple[Any, Any, int]]:
    """``n`` records over ``keys``, timestamps rising with jitter of up to ``spread`` ms back
    (a fixed linear congruential sequence, so both sides get the same data)."""
    rows = []
    x = seed
    for i in range(n):
        x = (x * 1103515245 + 12345) % (1 << 31)
        key = keys[x % len(keys)]
        ts = max(0, i * 3 - (x >> 8) % spread)
        rows.append((key, str(x % 97), ts))
    return rows


LARGE = _shuffled(300, "abcde", 40, 7)


LARGE_HOP = dict(
    inputs={"in": S},
    steps=pipes("in", LARGE),
    outputs={"out": (tw(50), "Long")},
    stores=(StoreQuery("hop", "String", "Long", gets=("a", "e"), kind="window"),),
    java_class=WINDOWS,
)


def _hopping_count_large(b: StreamsBuilder, m: Materialized) -> None:
    (
        b.stream("in")
        .group_by_key()
        .windowed_by(TimeWindows.of_size_and_grace(50, 20).advance_by(10))
        .count(m.with_retention(200))
        .to_stream()
        .to("out", value_serde=Serdes.Long())
    )


@scenario(**LARGE_HOP)
def hopping_count_large_input(b: StreamsBuilder) -> None:
    _hopping_count_large(b, Materialized.as_("hop").with_caching_disabled())


@scenario(**LARGE_HOP)
def hopping_count_large_input_cached(b: StreamsBuilder) -> None:
    # the record cache's count path: a record's windows cached counts (one loop of their own),
    # or some not cached yet (a new window, after the retention: the general loop)
    _hopping_count_large(b, Materialized.as_("hop"))


# -- names: Named, shared repartition topics, several windowed aggregations -------------------


@scenario(
    inputs={"in": S},
    steps=pipes("in", TUMBLING),
    outputs={"counts": (tw(10), "Long"), "sessions": (SW, "String"), "sliding": (tw(5), "Long")},
    deliberate=null_keys_counted(1),
    java_class=WINDOWS,
)
def windowed_aggregations_share_a_named_repartition(b: StreamsBuilder) -> None:
    grouped = b.stream("in").group_by(
        lambda k, v: k, Grouped.as_("regroup").with_key_serde(Serdes.String())
    )
    grouped.windowed_by(TimeWindows.of_size_with_no_grace(10)).count(
        Named.as_("tumbling-count")
    ).to_stream().to("counts", value_serde=Serdes.Long())
    grouped.windowed_by(SessionWindows.of_inactivity_gap_with_no_grace(5)).reduce(
        lambda agg, v: f"{agg}{js(v)}", Named.as_("session-reduce")
    ).to_stream().to("sessions")
    grouped.windowed_by(SlidingWindows.of_time_difference_and_grace(5, 100)).count(
        Materialized.with_(Serdes.String(), Serdes.Long()).with_caching_disabled()
    ).to_stream().to("sliding", value_serde=Serdes.Long())


@scenario(
    inputs={"in": S},
    steps=pipes("in", TUMBLING),
    outputs={"out": (tw(10), "String")},
    deliberate=null_keys_counted(1),
    java_class=WINDOWS,
)
def windowed_reduce_after_select_key_generated_names(b: StreamsBuilder) -> None:
    (
        b.stream("in")
        .select_key(lambda k, v: k)
        .group_by_key()
        .windowed_by(TimeWindows.of_size_and_grace(10, 100).advance_by(5))
        .reduce(lambda agg, v: f"{agg}|{js(v)}")
        .to_stream()
        .to("out")
    )


@scenario(
    inputs={"in": S},
    steps=pipes("in", TUMBLING),
    outputs={"out": ("String", "Long")},
    stores=(StoreQuery("KSTREAM-AGGREGATE-STATE-STORE-0000000002", "String", "Long"),),
    java_class=WINDOWS,
)
def count_unnamed_materialized(b: StreamsBuilder) -> None:
    # not windowed: Java's KGroupedStream.count(Materialized) draws a store name more too
    b.stream("in").group_by_key().count(
        Materialized.with_(Serdes.String(), Serdes.Long())
    ).to_stream().to("out", value_serde=Serdes.Long())


@scenario(
    inputs={"in": S},
    steps=pipes("in", TUMBLING),
    outputs={"out": (tw(10), "Long")},
    stores=(StoreQuery("counts", "String", "Long", gets=("A", "C"), kind="window"),),
    java_class=WINDOWS,
)
def tumbling_count_on_window_close_in_memory(b: StreamsBuilder) -> None:
    # in memory, Java keeps its plain window store whatever the emit strategy (no time-ordered
    # variant, so no extra ms of retention on kstreams' side either)
    (
        b.stream("in")
        .group_by_key()
        .windowed_by(TimeWindows.of_size_with_no_grace(10))
        .emit_strategy(EmitStrategy.on_window_close())
        .count(
            Materialized.as_("counts")
            .with_store_type("in_memory")
            .with_caching_disabled()
            .with_retention(15)
        )
        .to_stream()
        .to("out", value_serde=Serdes.Long())
    )


@scenario(
    inputs={"in": S},
    steps=pipes("in", TUMBLING),
    outputs={"out": (tw(10), "Long")},
    java_class=WINDOWS,
)
def tumbling_count_materialized_filter(b: StreamsBuilder) -> None:
    # a key-value store keyed by windows: kstreams' default is the table's windowed serde
    # (Java's twin must name it)
    (
        b.stream("in")
        .group_by_key()
        .windowed_by(TimeWindows.of_size_with_no_grace(10))
        .count(Materialized.as_("counts").with_caching_disabled())
        .filter(lambda w, n: n > 1, Materialized.as_("filtered").with_caching_disabled())
        .to_stream()
        .to("out", value_serde=Serdes.Long())
    )
