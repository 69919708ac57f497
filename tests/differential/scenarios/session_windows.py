"""Session windows (merging, tombstones, late records); twins in WindowScenarios.java.

Ported from KStreamSessionWindowAggregateProcessorTest and SessionWindowedKStreamImplTest and
extended with grace, emit-on-close, repartitions and mergers that mutate their aggregate.
"""

from __future__ import annotations

from typing import Any

from kstreams import (
    EmitStrategy,
    Grouped,
    Materialized,
    Serdes,
    SessionWindows,
    StreamsBuilder,
)

from ..deliberate import null_keys_counted
from ..harness import StoreQuery, pipes
from .common import S, js, scenario
from .windows import LARGE, SW, WINDOWS

# gap 5: a record joins or bridges sessions within the gap; the merged ones get tombstones.
# Without grace the record at 12 is late (stream time 20) and dropped; with a grace of 10 it
# opens [12,12], which 16 then merges with [20,20]. Sessions past the store's retention
# (gap + grace) are gone from the store, so later records start new sessions. Also a null key
# (dropped) and a null value (aggregated, as Java).
SESSIONS = [
    ("A", "1", 0),
    ("A", "2", 4),
    ("B", "1", 2),
    ("A", "3", 20),
    ("A", "4", 12),
    ("A", "5", 16),
    ("B", "2", 30),
    ("A", "6", 9),
    (None, "x", 31),
    ("A", "7", 3),
    ("B", None, 33),
    ("C", "1", 40),
    ("B", "3", 36),
]

SESSIONS_STORE = StoreQuery("sessions", "String", "Long", gets=("A", "B", "C"), kind="session")


@scenario(
    inputs={"in": S},
    steps=pipes("in", SESSIONS),
    outputs={"out": (SW, "Long")},
    stores=(SESSIONS_STORE,),
    java_class=WINDOWS,
)
def session_count(b: StreamsBuilder) -> None:
    (
        b.stream("in")
        .group_by_key()
        .windowed_by(SessionWindows.of_inactivity_gap_with_no_grace(5))
        .count(Materialized.as_("sessions").with_caching_disabled())
        .to_stream()
        .to("out", value_serde=Serdes.Long())
    )


@scenario(
    inputs={"in": S},
    steps=pipes("in", SESSIONS),
    outputs={"out": (SW, "Long")},
    stores=(SESSIONS_STORE,),
    java_class=WINDOWS,
)
def session_count_cached(b: StreamsBuilder) -> None:
    (
        b.stream("in")
        .group_by_key()
        .windowed_by(SessionWindows.of_inactivity_gap_with_no_grace(5))
        .count(Materialized.as_("sessions"))
        .to_stream()
        .to("out", value_serde=Serdes.Long())
    )


@scenario(
    inputs={"in": S},
    steps=pipes("in", SESSIONS),
    outputs={"out": (SW, "String")},
    stores=(StoreQuery("agg", "String", "String", gets=("A", "B"), kind="session"),),
    java_class=WINDOWS,
)
def session_aggregate_with_merger(b: StreamsBuilder) -> None:
    (
        b.stream("in")
        .group_by_key(Grouped.with_(Serdes.String(), Serdes.String()))
        .windowed_by(SessionWindows.of_inactivity_gap_and_grace(5, 10))
        .aggregate(
            lambda: "0",
            lambda k, v, agg: f"{agg}+{js(v)}",
            lambda k, one, two: f"{one}+{two}",
            Materialized.as_("agg").with_value_serde(Serdes.String()).with_caching_disabled(),
        )
        .to_stream()
        .to("out")
    )


@scenario(
    inputs={"in": S},
    steps=pipes("in", SESSIONS),
    outputs={"out": (SW, "String")},
    java_class=WINDOWS,
)
def session_reduce(b: StreamsBuilder) -> None:
    (
        b.stream("in")
        .group_by_key()
        .windowed_by(SessionWindows.of_inactivity_gap_and_grace(5, 10))
        .reduce(lambda agg, v: f"{agg}:{js(v)}", Materialized.as_("r").with_caching_disabled())
        .to_stream()
        .to("out")
    )


@scenario(
    inputs={"in": S},
    steps=pipes("in", SESSIONS),
    outputs={"out": (SW, "Long")},
    java_class=WINDOWS,
)
def session_count_on_window_close(b: StreamsBuilder) -> None:
    (
        b.stream("in")
        .group_by_key()
        .windowed_by(SessionWindows.of_inactivity_gap_and_grace(5, 2))
        .emit_strategy(EmitStrategy.on_window_close())
        .count()
        .to_stream()
        .to("out", value_serde=Serdes.Long())
    )


@scenario(
    inputs={"in": S},
    steps=pipes("in", SESSIONS),
    outputs={"out": (SW, "Long")},
    deliberate=null_keys_counted(1),
    java_class=WINDOWS,
)
def session_count_after_group_by(b: StreamsBuilder) -> None:
    (
        b.stream("in")
        .group_by(lambda k, v: k, Grouped.as_("by-key").with_key_serde(Serdes.String()))
        .windowed_by(SessionWindows.of_inactivity_gap_with_no_grace(5))
        .count(Materialized.as_("sessions").with_caching_disabled())
        .to_stream()
        .to("out", value_serde=Serdes.Long())
    )


@scenario(
    inputs={"in": S},
    steps=pipes("in", LARGE),
    outputs={"out": (SW, "JSON")},
    stores=(StoreQuery("sess", "String", "JSON", gets=("c", "d"), kind="session"),),
    java_class=WINDOWS,
)
def session_aggregate_large_input_mutated_in_place(b: StreamsBuilder) -> None:
    def add(k: Any, v: Any, agg: dict[str, Any]) -> dict[str, Any]:
        agg["values"].append(int(v))
        return agg

    def merge(k: Any, one: dict[str, Any], two: dict[str, Any]) -> dict[str, Any]:
        one["values"].extend(two["values"])
        return one

    (
        b.stream("in")
        .group_by_key()
        .windowed_by(SessionWindows.of_inactivity_gap_and_grace(4, 30))
        .aggregate(
            lambda: {"values": []},
            add,
            merge,
            Materialized.as_("sess")
            .with_value_serde(Serdes.JSON())
            .with_caching_disabled()
            .with_retention(500),
        )
        .to_stream()
        .to("out", value_serde=Serdes.JSON())
    )


# KStreamSessionWindowAggregateProcessorTest.shouldHandleMultipleSessionsAndMerging (gap 5 min)
GAP = 5 * 60 * 1000
SESSION_MERGING = [
    ("a", "1", 0),
    ("b", "1", 0),
    ("c", "1", 0),
    ("d", "1", 0),
    ("d", "2", GAP // 2),
    ("a", "2", GAP + 1),
    ("b", "2", GAP + 1),
    ("a", "3", GAP + 1 + GAP // 2),
    ("c", "3", GAP + 1 + GAP // 2),
]


@scenario(
    inputs={"in": S},
    steps=pipes("in", SESSION_MERGING),
    outputs={"out": (SW, "Long")},
    stores=(StoreQuery("s", "String", "Long", gets=("a", "b", "c", "d"), kind="session"),),
    java_class=WINDOWS,
)
def session_multiple_sessions_and_merging(b: StreamsBuilder) -> None:
    (
        b.stream("in")
        .group_by_key()
        .windowed_by(SessionWindows.of_inactivity_gap_with_no_grace(GAP))
        .count(Materialized.as_("s").with_caching_disabled())
        .to_stream()
        .to("out", value_serde=Serdes.Long())
    )


# KStreamSessionWindowAggregateProcessorTest.shouldLogAndMeterWhenSkippingLateRecordWithNonzeroGrace
SESSION_LATE = [
    ("OnTime1", "1", 0),
    ("Later1", "1", 100),  # stream time 100: sessions ending before 100 - 10 - 10 are closed
    ("OnTime2", "1", 80),
    ("OnTime3", "1", 79),  # ends before 80: dropped
    ("Late1", "1", 78),  # dropped
    ("Late2", "1", 1),  # dropped
]


@scenario(
    inputs={"in": S},
    steps=pipes("in", SESSION_LATE),
    outputs={"out": (SW, "Long")},
    java_class=WINDOWS,
)
def session_late_records_with_grace(b: StreamsBuilder) -> None:
    (
        b.stream("in")
        .group_by_key()
        .windowed_by(SessionWindows.of_inactivity_gap_and_grace(10, 10))
        .count(Materialized.as_("late").with_caching_disabled())
        .to_stream()
        .to("out", value_serde=Serdes.Long())
    )
