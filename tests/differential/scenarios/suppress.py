"""Suppression: ``KTable.suppress`` ported from Kafka Streams' ``SuppressScenarioTest``.

Java twins in ``SuppressScenarios.java``. The plain-table cases count values of a table
(``group_by(v, k).count()``) and compare the raw and the suppressed updates record for record.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from kstreams import Consumed, Grouped, Materialized, Serdes, StreamsBuilder
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
