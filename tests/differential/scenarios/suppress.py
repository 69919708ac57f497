"""Suppression: ``KTable.suppress`` ported from Kafka Streams' ``SuppressScenarioTest``.

Java twins in ``SuppressScenarios.java``. The plain-table cases count values of a table
(``group_by(v, k).count()``) and compare the raw and the suppressed updates record for record.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from kstreams import (
    Consumed,
    Grouped,
    Materialized,
    Serdes,
    SessionWindows,
    SlidingWindows,
    StreamsBuilder,
    TimeWindows,
)
from kstreams.dsl.ktable import KTable
from kstreams.dsl.suppressed import BufferConfig, Suppressed

from ..harness import Pipe, pipes
from .common import SL, S
from .common import scenario as _scenario


def scenario(**data: Any) -> Any:
    """A scenario whose Java twin is in ``SuppressScenarios.java``."""
    return _scenario(java_class="SuppressScenarios", **data)


RAW_AND_SUPPRESSED = {"output-suppressed": SL, "output-raw": SL}

# SuppressScenarioTest's inputs: k1 -> v1, k1 -> v2, k2 -> v1, then ticks advancing stream time
VALUE_STEPS = pipes(
    "input",
    [("k1", "v1", 0), ("k1", "v2", 1), ("k2", "v1", 2), ("x", "x", 3), ("x", "y", 4)],
)
TICK_STEPS = pipes(
    "input",
    [("k1", "v1", 0), ("k1", "v2", 1), ("k2", "v1", 2), ("tick", "tick", 3), ("tick", "tock", 4)],
)


def _value_counts(b: StreamsBuilder, count_materialized: Materialized | None = None) -> KTable:
    table = b.table(
        "input",
        Consumed.with_(Serdes.String(), Serdes.String()),
        Materialized.with_(Serdes.String(), Serdes.String())
        .with_caching_disabled()
        .with_logging_disabled(),
    )
    grouped = table.group_by(lambda k, v: (v, k), Grouped.with_(Serdes.String(), Serdes.String()))
    return grouped.count(count_materialized) if count_materialized else grouped.count()


def _raw_and_suppressed(counts: KTable, suppressed: Suppressed) -> None:
    counts.suppress(suppressed).to_stream().to("output-suppressed", value_serde=Serdes.Long())
    counts.to_stream().to("output-raw", value_serde=Serdes.Long())


@scenario(inputs={"input": S}, steps=VALUE_STEPS, outputs=RAW_AND_SUPPRESSED)
def suppress_zero_time_limit(b: StreamsBuilder) -> None:
    _raw_and_suppressed(
        _value_counts(b), Suppressed.until_time_limit(timedelta(0), BufferConfig.unbounded())
    )


@scenario(inputs={"input": S}, steps=TICK_STEPS, outputs=RAW_AND_SUPPRESSED)
def suppress_time_limit(b: StreamsBuilder) -> None:
    _raw_and_suppressed(
        _value_counts(b),
        Suppressed.until_time_limit(timedelta(milliseconds=2), BufferConfig.unbounded()),
    )


@scenario(inputs={"input": S}, steps=VALUE_STEPS, outputs=RAW_AND_SUPPRESSED)
def suppress_record_limit(b: StreamsBuilder) -> None:
    _raw_and_suppressed(
        _value_counts(b, Materialized.with_(Serdes.String(), Serdes.Long())),
        Suppressed.until_time_limit(
            (1 << 63) - 1, BufferConfig.max_records(1).emit_early_when_full()
        ),
    )


@scenario(inputs={"input": S}, steps=VALUE_STEPS, outputs=RAW_AND_SUPPRESSED)
def suppress_bytes_limit(b: StreamsBuilder) -> None:
    # Java's test: "the entries are a little over 100 bytes in size"
    _raw_and_suppressed(
        _value_counts(b),
        Suppressed.until_time_limit(
            (1 << 63) - 1, BufferConfig.max_bytes(200).emit_early_when_full()
        ),
    )


@scenario(
    inputs={"topic": S},
    steps=pipes("topic", [("A", "a", 0), ("tick", "tick", 10)]),
    outputs={"output": SL},
)
def suppress_before_group_by(b: StreamsBuilder) -> None:
    (
        b.table("topic", Consumed.with_(Serdes.String(), Serdes.String()))
        .suppress(Suppressed.until_time_limit(timedelta(milliseconds=10), BufferConfig.unbounded()))
        .group_by(lambda k, v: (k, v), Grouped.with_(Serdes.String(), Serdes.String()))
        .count()
        .to_stream()
        .to("output", value_serde=Serdes.Long())
    )


# headers and timestamps of the latest update, keys emitted in buffer-time order, a delete
# buffered and emitted, a key updated while buffered keeping its place
HEADER_STEPS = [
    Pipe("topic", "b", "1", 5, (("h", b"b1"),)),
    Pipe("topic", "a", "1", 3, (("h", b"a1"),)),
    Pipe("topic", "b", "2", 8, (("h", b"b2"), ("n", None))),
    Pipe("topic", "c", "1", 9),
    Pipe("topic", "a", None, 12, (("h", b"a-del"),)),
    Pipe("topic", "tick", "t", 16),
    Pipe("topic", "c", "2", 17),
    Pipe("topic", "tick", "t", 40),
]


@scenario(inputs={"topic": S}, steps=HEADER_STEPS, outputs={"out": S})
def suppress_named_table_headers(b: StreamsBuilder) -> None:
    (
        b.table("topic", Materialized.as_("source"))
        .suppress(
            Suppressed.until_time_limit(
                timedelta(milliseconds=7), BufferConfig.max_records(10).shut_down_when_full()
            ).with_name("limiter")
        )
        .to_stream()
        .to("out")
    )


# -- final results of windowed counts (until_window_closes) --------------------------------------

WINDOWED_OUT = {"output-suppressed": SL, "output-raw": SL}


def _final_and_raw(counts: KTable) -> None:
    (
        counts.suppress(Suppressed.until_window_closes(BufferConfig.unbounded()))
        .to_stream()
        .map(lambda w, n: (str(w), n))
        .to("output-suppressed", key_serde=Serdes.String(), value_serde=Serdes.Long())
    )
    (
        counts.to_stream()
        .map(lambda w, n: (str(w), n))
        .to("output-raw", key_serde=Serdes.String(), value_serde=Serdes.Long())
    )


def _grouped(b: StreamsBuilder) -> Any:
    return b.stream("input", Consumed.with_(Serdes.String(), Serdes.String())).group_by(
        lambda k, v: k, Grouped.with_(Serdes.String(), Serdes.String())
    )


def _k1(timestamps: list[int]) -> list[Any]:
    return pipes("input", [("k1", "v1", ts) for ts in timestamps])


@scenario(inputs={"input": S}, steps=_k1([0, 1, 2, 1, 0, 5, 0]), outputs=WINDOWED_OUT)
def suppress_final_time_windows(b: StreamsBuilder) -> None:
    _final_and_raw(
        _grouped(b)
        .windowed_by(
            TimeWindows.of_size_and_grace(timedelta(milliseconds=2), timedelta(milliseconds=1))
        )
        .count(Materialized.as_("counts").with_caching_disabled())
    )


@scenario(inputs={"input": S}, steps=_k1([0, 1, 2, 0, 3, 0, 4, 0, 30]), outputs=WINDOWED_OUT)
def suppress_final_time_windows_large_jump(b: StreamsBuilder) -> None:
    _final_and_raw(
        _grouped(b)
        .windowed_by(
            TimeWindows.of_size_and_grace(timedelta(milliseconds=2), timedelta(milliseconds=2))
        )
        .count(Materialized.as_("counts").with_caching_disabled().with_key_serde(Serdes.String()))
    )


@scenario(inputs={"input": S}, steps=_k1([10, 11, 10, 13, 10, 24, 5, 7, 90]), outputs=WINDOWED_OUT)
def suppress_final_sliding_windows(b: StreamsBuilder) -> None:
    _final_and_raw(
        _grouped(b)
        .windowed_by(
            SlidingWindows.of_time_difference_and_grace(
                timedelta(milliseconds=5), timedelta(milliseconds=15)
            )
        )
        .count(Materialized.as_("counts").with_caching_disabled().with_key_serde(Serdes.String()))
    )


@scenario(
    inputs={"input": S},
    steps=pipes(
        "input",
        [
            ("k1", "v1", 0),
            ("k1", "v1", 5),
            ("k1", "v1", 1),
            ("k2", "v1", 11),
            ("k1", "v1", 5),
            ("k1", "v1", 30),
        ],
    ),
    outputs=WINDOWED_OUT,
)
def suppress_final_session_windows(b: StreamsBuilder) -> None:
    _final_and_raw(
        _grouped(b)
        .windowed_by(SessionWindows.of_inactivity_gap_with_no_grace(timedelta(milliseconds=5)))
        .count(Materialized.as_("counts").with_caching_disabled())
    )


@scenario(
    inputs={"input": S},
    steps=pipes(
        "input",
        [
            ("a", "1", 1_000),
            ("b", "2", 1_500),
            ("a", "3", 2_500),
            ("b", "4", 59_000),
            ("a", "5", 61_000),
            ("a", "late", 500),
            ("c", "6", 125_000),
        ],
    ),
    outputs={"out": S},
)
def suppress_final_cached_reduce_named(b: StreamsBuilder) -> None:
    # a cached windowed reduce (updates reach the buffer at commit), a named suppression with
    # a bounded strict buffer, hopping windows
    (
        b.stream("input")
        .group_by_key()
        .windowed_by(
            TimeWindows.of_size_and_grace(timedelta(minutes=1), timedelta(seconds=10)).advance_by(
                timedelta(seconds=30)
            )
        )
        .reduce(lambda a, v: f"{a}+{v}")
        .suppress(
            Suppressed.until_window_closes(
                BufferConfig.max_records(100).shut_down_when_full()
            ).with_name("final")
        )
        .to_stream()
        .map(lambda w, v: (f"{w.key}@{w.window.start}/{w.window.end}", v))
        .to("out")
    )
