"""KTable materialization and old values through describe() and the TopologyTestDriver, as in Kafka Streams.

An unnamed source table (``builder.table``, ``to_table``) gets a store only when a downstream
operator needs one; ``group_by`` forces it (its aggregation subtracts old values);
``filter`` takes old values when its parent has them for free, else it forwards a tombstone
for every filtered-out update; ``filter`` / ``map_values`` with a named ``Materialized`` keep
their own store. Every case's describe() text, output records (key, value, timestamp) and
produced topics were printed by Kafka Streams 4.4.0 (TopologyTestDriver, default record
cache) for the same topology built with the Java DSL and the same input.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kstreams import Materialized, Named, Serdes, StreamsBuilder
from kstreams.testing import TopologyTestDriver

S, L = Serdes.String(), Serdes.Long()
CONFIG = {
    "application.id": "app",
    "default.key.serde": Serdes.String,
    "default.value.serde": Serdes.String,
}
# u1 moves from DE to FR and is updated to FR again, u2 is deleted, u3 is deleted before it
# exists, a null key, and a late record
USERS = [
    ("u1", "DE", 10),
    ("u2", "DE", 20),
    ("u1", "FR", 15),
    ("u1", "FR", 25),
    ("u2", None, 30),
    ("u3", None, 35),
    (None, "DE", 40),
    ("u3", "US", 5),
]


def not_de(key: Any, value: Any) -> bool:
    return value != "DE"


def by_country(key: Any, value: Any) -> tuple[Any, Any]:
    return value, key


def filter_before_group_by(b: StreamsBuilder) -> None:
    """The filter is made while the table has no store: it gets no old values, even though
    the group_by made afterwards materializes the table (Java decides it in the filter's
    constructor)."""
    table = b.table("users")
    table.filter(not_de).to_stream().to("out")
    table.group_by(by_country).count().to_stream().to("counts", value_serde=L)


def group_by_before_filter(b: StreamsBuilder) -> None:
    """Made after the group_by, the filter gets the old values of the now materialized table."""
    table = b.table("users")
    table.group_by(by_country).count().to_stream().to("counts", value_serde=L)
    table.filter(not_de).to_stream().to("out")


CASES: dict[
    str, tuple[Callable[[StreamsBuilder], Any], str, list[tuple[str, Any, Any, int]], set[str]]
] = {
    "unnamed table, filter": (
        lambda b: b.table("users").filter(not_de).to_stream().to("out"),
        (
            "Topologies:\n"
            "   Sub-topology: 0\n"
            "    Source: KSTREAM-SOURCE-0000000001 (topics: [users])\n"
            "      --> KTABLE-SOURCE-0000000002\n"
            "    Processor: KTABLE-SOURCE-0000000002 (stores: [])\n"
            "      --> KTABLE-FILTER-0000000003\n"
            "      <-- KSTREAM-SOURCE-0000000001\n"
            "    Processor: KTABLE-FILTER-0000000003 (stores: [])\n"
            "      --> KTABLE-TOSTREAM-0000000004\n"
            "      <-- KTABLE-SOURCE-0000000002\n"
            "    Processor: KTABLE-TOSTREAM-0000000004 (stores: [])\n"
            "      --> KSTREAM-SINK-0000000005\n"
            "      <-- KTABLE-FILTER-0000000003\n"
            "    Sink: KSTREAM-SINK-0000000005 (topic: out)\n"
            "      <-- KTABLE-TOSTREAM-0000000004\n"
            "\n"
        ),
        [
            ("out", "u1", None, 10),
            ("out", "u2", None, 20),
            ("out", "u1", "FR", 15),
            ("out", "u1", "FR", 25),
            ("out", "u2", None, 30),
            ("out", "u3", None, 35),
            ("out", "u3", "US", 5),
        ],
        ["out"],
    ),
    "named table, filter": (
        lambda b: b.table("users", Materialized.as_("s")).filter(not_de).to_stream().to("out"),
        (
            "Topologies:\n"
            "   Sub-topology: 0\n"
            "    Source: KSTREAM-SOURCE-0000000000 (topics: [users])\n"
            "      --> KTABLE-SOURCE-0000000001\n"
            "    Processor: KTABLE-SOURCE-0000000001 (stores: [s])\n"
            "      --> KTABLE-FILTER-0000000002\n"
            "      <-- KSTREAM-SOURCE-0000000000\n"
            "    Processor: KTABLE-FILTER-0000000002 (stores: [])\n"
            "      --> KTABLE-TOSTREAM-0000000003\n"
            "      <-- KTABLE-SOURCE-0000000001\n"
            "    Processor: KTABLE-TOSTREAM-0000000003 (stores: [])\n"
            "      --> KSTREAM-SINK-0000000004\n"
            "      <-- KTABLE-FILTER-0000000002\n"
            "    Sink: KSTREAM-SINK-0000000004 (topic: out)\n"
            "      <-- KTABLE-TOSTREAM-0000000003\n"
            "\n"
        ),
        [
            ("out", "u1", "FR", 15),
            ("out", "u1", "FR", 25),
            ("out", "u3", "US", 5),
        ],
        ["app-s-changelog", "out"],
    ),
    "named uncached table": (
        lambda b: (
            b.table("users", Materialized.as_("s").with_caching_disabled()).to_stream().to("out")
        ),
        (
            "Topologies:\n"
            "   Sub-topology: 0\n"
            "    Source: KSTREAM-SOURCE-0000000000 (topics: [users])\n"
            "      --> KTABLE-SOURCE-0000000001\n"
            "    Processor: KTABLE-SOURCE-0000000001 (stores: [s])\n"
            "      --> KTABLE-TOSTREAM-0000000002\n"
            "      <-- KSTREAM-SOURCE-0000000000\n"
            "    Processor: KTABLE-TOSTREAM-0000000002 (stores: [])\n"
            "      --> KSTREAM-SINK-0000000003\n"
            "      <-- KTABLE-SOURCE-0000000001\n"
            "    Sink: KSTREAM-SINK-0000000003 (topic: out)\n"
            "      <-- KTABLE-TOSTREAM-0000000002\n"
            "\n"
        ),
        [
            ("out", "u1", "DE", 10),
            ("out", "u2", "DE", 20),
            ("out", "u1", "FR", 15),
            ("out", "u1", "FR", 25),
            ("out", "u2", None, 30),
            ("out", "u3", None, 35),
            ("out", "u3", "US", 5),
        ],
        ["app-s-changelog", "out"],
    ),
    "named uncached table, filter": (
        lambda b: (
            b.table("users", Materialized.as_("s").with_caching_disabled())
            .filter(not_de)
            .to_stream()
            .to("out")
        ),
        (
            "Topologies:\n"
            "   Sub-topology: 0\n"
            "    Source: KSTREAM-SOURCE-0000000000 (topics: [users])\n"
            "      --> KTABLE-SOURCE-0000000001\n"
            "    Processor: KTABLE-SOURCE-0000000001 (stores: [s])\n"
            "      --> KTABLE-FILTER-0000000002\n"
            "      <-- KSTREAM-SOURCE-0000000000\n"
            "    Processor: KTABLE-FILTER-0000000002 (stores: [])\n"
            "      --> KTABLE-TOSTREAM-0000000003\n"
            "      <-- KTABLE-SOURCE-0000000001\n"
            "    Processor: KTABLE-TOSTREAM-0000000003 (stores: [])\n"
            "      --> KSTREAM-SINK-0000000004\n"
            "      <-- KTABLE-FILTER-0000000002\n"
            "    Sink: KSTREAM-SINK-0000000004 (topic: out)\n"
            "      <-- KTABLE-TOSTREAM-0000000003\n"
            "\n"
        ),
        [
            ("out", "u1", "FR", 15),
            ("out", "u1", "FR", 25),
            ("out", "u3", "US", 5),
        ],
        ["app-s-changelog", "out"],
    ),
    "filter before group_by of the same table": (
        filter_before_group_by,
        (
            "Topologies:\n"
            "   Sub-topology: 0\n"
            "    Source: KSTREAM-SOURCE-0000000001 (topics: [users])\n"
            "      --> KTABLE-SOURCE-0000000002\n"
            "    Processor: KTABLE-SOURCE-0000000002 (stores: [users-STATE-STORE-0000000000])\n"
            "      --> KTABLE-FILTER-0000000003, KTABLE-SELECT-0000000006\n"
            "      <-- KSTREAM-SOURCE-0000000001\n"
            "    Processor: KTABLE-FILTER-0000000003 (stores: [])\n"
            "      --> KTABLE-TOSTREAM-0000000004\n"
            "      <-- KTABLE-SOURCE-0000000002\n"
            "    Processor: KTABLE-SELECT-0000000006 (stores: [])\n"
            "      --> KSTREAM-SINK-0000000008\n"
            "      <-- KTABLE-SOURCE-0000000002\n"
            "    Processor: KTABLE-TOSTREAM-0000000004 (stores: [])\n"
            "      --> KSTREAM-SINK-0000000005\n"
            "      <-- KTABLE-FILTER-0000000003\n"
            "    Sink: KSTREAM-SINK-0000000005 (topic: out)\n"
            "      <-- KTABLE-TOSTREAM-0000000004\n"
            "    Sink: KSTREAM-SINK-0000000008 (topic: KTABLE-AGGREGATE-STATE-STORE-0000000007-repartition)\n"
            "      <-- KTABLE-SELECT-0000000006\n"
            "\n"
            "  Sub-topology: 1\n"
            "    Source: KSTREAM-SOURCE-0000000009 (topics: [KTABLE-AGGREGATE-STATE-STORE-0000000007-repartition])\n"
            "      --> KTABLE-AGGREGATE-0000000010\n"
            "    Processor: KTABLE-AGGREGATE-0000000010 (stores: [KTABLE-AGGREGATE-STATE-STORE-0000000007])\n"
            "      --> KTABLE-TOSTREAM-0000000011\n"
            "      <-- KSTREAM-SOURCE-0000000009\n"
            "    Processor: KTABLE-TOSTREAM-0000000011 (stores: [])\n"
            "      --> KSTREAM-SINK-0000000012\n"
            "      <-- KTABLE-AGGREGATE-0000000010\n"
            "    Sink: KSTREAM-SINK-0000000012 (topic: counts)\n"
            "      <-- KTABLE-TOSTREAM-0000000011\n"
            "\n"
        ),
        [
            ("out", "u1", None, 10),
            ("out", "u2", None, 20),
            ("out", "u1", "FR", 15),
            ("out", "u1", "FR", 25),
            ("out", "u2", None, 30),
            ("out", "u3", "US", 5),
            ("counts", "DE", 1, 10),
            ("counts", "DE", 2, 20),
            ("counts", "DE", 1, 20),
            ("counts", "FR", 1, 15),
            ("counts", "FR", 1, 25),
            ("counts", "DE", 0, 30),
            ("counts", "US", 1, 5),
        ],
        [
            "app-KTABLE-AGGREGATE-STATE-STORE-0000000007-changelog",
            "app-KTABLE-AGGREGATE-STATE-STORE-0000000007-repartition",
            "app-users-STATE-STORE-0000000000-changelog",
            "counts",
            "out",
        ],
    ),
    "group_by before filter of the same table": (
        group_by_before_filter,
        (
            "Topologies:\n"
            "   Sub-topology: 0\n"
            "    Source: KSTREAM-SOURCE-0000000001 (topics: [users])\n"
            "      --> KTABLE-SOURCE-0000000002\n"
            "    Processor: KTABLE-SOURCE-0000000002 (stores: [users-STATE-STORE-0000000000])\n"
            "      --> KTABLE-SELECT-0000000003, KTABLE-FILTER-0000000010\n"
            "      <-- KSTREAM-SOURCE-0000000001\n"
            "    Processor: KTABLE-FILTER-0000000010 (stores: [])\n"
            "      --> KTABLE-TOSTREAM-0000000011\n"
            "      <-- KTABLE-SOURCE-0000000002\n"
            "    Processor: KTABLE-SELECT-0000000003 (stores: [])\n"
            "      --> KSTREAM-SINK-0000000005\n"
            "      <-- KTABLE-SOURCE-0000000002\n"
            "    Processor: KTABLE-TOSTREAM-0000000011 (stores: [])\n"
            "      --> KSTREAM-SINK-0000000012\n"
            "      <-- KTABLE-FILTER-0000000010\n"
            "    Sink: KSTREAM-SINK-0000000005 (topic: KTABLE-AGGREGATE-STATE-STORE-0000000004-repartition)\n"
            "      <-- KTABLE-SELECT-0000000003\n"
            "    Sink: KSTREAM-SINK-0000000012 (topic: out)\n"
            "      <-- KTABLE-TOSTREAM-0000000011\n"
            "\n"
            "  Sub-topology: 1\n"
            "    Source: KSTREAM-SOURCE-0000000006 (topics: [KTABLE-AGGREGATE-STATE-STORE-0000000004-repartition])\n"
            "      --> KTABLE-AGGREGATE-0000000007\n"
            "    Processor: KTABLE-AGGREGATE-0000000007 (stores: [KTABLE-AGGREGATE-STATE-STORE-0000000004])\n"
            "      --> KTABLE-TOSTREAM-0000000008\n"
            "      <-- KSTREAM-SOURCE-0000000006\n"
            "    Processor: KTABLE-TOSTREAM-0000000008 (stores: [])\n"
            "      --> KSTREAM-SINK-0000000009\n"
            "      <-- KTABLE-AGGREGATE-0000000007\n"
            "    Sink: KSTREAM-SINK-0000000009 (topic: counts)\n"
            "      <-- KTABLE-TOSTREAM-0000000008\n"
            "\n"
        ),
        [
            ("out", "u1", "FR", 15),
            ("out", "u1", "FR", 25),
            ("out", "u3", "US", 5),
            ("counts", "DE", 1, 10),
            ("counts", "DE", 2, 20),
            ("counts", "DE", 1, 20),
            ("counts", "FR", 1, 15),
            ("counts", "FR", 1, 25),
            ("counts", "DE", 0, 30),
            ("counts", "US", 1, 5),
        ],
        [
            "app-KTABLE-AGGREGATE-STATE-STORE-0000000004-changelog",
            "app-KTABLE-AGGREGATE-STATE-STORE-0000000004-repartition",
            "app-users-STATE-STORE-0000000000-changelog",
            "counts",
            "out",
        ],
    ),
    "unnamed table, map_values, filter": (
        lambda b: (
            b.table("users")
            .map_values(str.lower)
            .filter(lambda k, v: v != "de")
            .to_stream()
            .to("out")
        ),
        (
            "Topologies:\n"
            "   Sub-topology: 0\n"
            "    Source: KSTREAM-SOURCE-0000000001 (topics: [users])\n"
            "      --> KTABLE-SOURCE-0000000002\n"
            "    Processor: KTABLE-SOURCE-0000000002 (stores: [])\n"
            "      --> KTABLE-MAPVALUES-0000000003\n"
            "      <-- KSTREAM-SOURCE-0000000001\n"
            "    Processor: KTABLE-MAPVALUES-0000000003 (stores: [])\n"
            "      --> KTABLE-FILTER-0000000004\n"
            "      <-- KTABLE-SOURCE-0000000002\n"
            "    Processor: KTABLE-FILTER-0000000004 (stores: [])\n"
            "      --> KTABLE-TOSTREAM-0000000005\n"
            "      <-- KTABLE-MAPVALUES-0000000003\n"
            "    Processor: KTABLE-TOSTREAM-0000000005 (stores: [])\n"
            "      --> KSTREAM-SINK-0000000006\n"
            "      <-- KTABLE-FILTER-0000000004\n"
            "    Sink: KSTREAM-SINK-0000000006 (topic: out)\n"
            "      <-- KTABLE-TOSTREAM-0000000005\n"
            "\n"
        ),
        [
            ("out", "u1", None, 10),
            ("out", "u2", None, 20),
            ("out", "u1", "fr", 15),
            ("out", "u1", "fr", 25),
            ("out", "u2", None, 30),
            ("out", "u3", None, 35),
            ("out", "u3", "us", 5),
        ],
        ["out"],
    ),
    "named table, map_values, filter": (
        lambda b: (
            b.table("users", Materialized.as_("s"))
            .map_values(str.lower)
            .filter(lambda k, v: v != "de")
            .to_stream()
            .to("out")
        ),
        (
            "Topologies:\n"
            "   Sub-topology: 0\n"
            "    Source: KSTREAM-SOURCE-0000000000 (topics: [users])\n"
            "      --> KTABLE-SOURCE-0000000001\n"
            "    Processor: KTABLE-SOURCE-0000000001 (stores: [s])\n"
            "      --> KTABLE-MAPVALUES-0000000002\n"
            "      <-- KSTREAM-SOURCE-0000000000\n"
            "    Processor: KTABLE-MAPVALUES-0000000002 (stores: [])\n"
            "      --> KTABLE-FILTER-0000000003\n"
            "      <-- KTABLE-SOURCE-0000000001\n"
            "    Processor: KTABLE-FILTER-0000000003 (stores: [])\n"
            "      --> KTABLE-TOSTREAM-0000000004\n"
            "      <-- KTABLE-MAPVALUES-0000000002\n"
            "    Processor: KTABLE-TOSTREAM-0000000004 (stores: [])\n"
            "      --> KSTREAM-SINK-0000000005\n"
            "      <-- KTABLE-FILTER-0000000003\n"
            "    Sink: KSTREAM-SINK-0000000005 (topic: out)\n"
            "      <-- KTABLE-TOSTREAM-0000000004\n"
            "\n"
        ),
        [
            ("out", "u1", "fr", 15),
            ("out", "u1", "fr", 25),
            ("out", "u3", "us", 5),
        ],
        ["app-s-changelog", "out"],
    ),
    "materialized filter": (
        lambda b: (
            b.table("users").filter(not_de, Materialized.as_("filtered")).to_stream().to("out")
        ),
        (
            "Topologies:\n"
            "   Sub-topology: 0\n"
            "    Source: KSTREAM-SOURCE-0000000001 (topics: [users])\n"
            "      --> KTABLE-SOURCE-0000000002\n"
            "    Processor: KTABLE-SOURCE-0000000002 (stores: [])\n"
            "      --> KTABLE-FILTER-0000000003\n"
            "      <-- KSTREAM-SOURCE-0000000001\n"
            "    Processor: KTABLE-FILTER-0000000003 (stores: [filtered])\n"
            "      --> KTABLE-TOSTREAM-0000000004\n"
            "      <-- KTABLE-SOURCE-0000000002\n"
            "    Processor: KTABLE-TOSTREAM-0000000004 (stores: [])\n"
            "      --> KSTREAM-SINK-0000000005\n"
            "      <-- KTABLE-FILTER-0000000003\n"
            "    Sink: KSTREAM-SINK-0000000005 (topic: out)\n"
            "      <-- KTABLE-TOSTREAM-0000000004\n"
            "\n"
        ),
        [
            ("out", "u1", "FR", 15),
            ("out", "u1", "FR", 25),
            ("out", "u3", "US", 5),
        ],
        ["app-filtered-changelog", "out"],
    ),
    "materialized uncached filter": (
        lambda b: (
            b.table("users")
            .filter(not_de, Materialized.as_("f").with_caching_disabled())
            .to_stream()
            .to("out")
        ),
        (
            "Topologies:\n"
            "   Sub-topology: 0\n"
            "    Source: KSTREAM-SOURCE-0000000001 (topics: [users])\n"
            "      --> KTABLE-SOURCE-0000000002\n"
            "    Processor: KTABLE-SOURCE-0000000002 (stores: [])\n"
            "      --> KTABLE-FILTER-0000000003\n"
            "      <-- KSTREAM-SOURCE-0000000001\n"
            "    Processor: KTABLE-FILTER-0000000003 (stores: [f])\n"
            "      --> KTABLE-TOSTREAM-0000000004\n"
            "      <-- KTABLE-SOURCE-0000000002\n"
            "    Processor: KTABLE-TOSTREAM-0000000004 (stores: [])\n"
            "      --> KSTREAM-SINK-0000000005\n"
            "      <-- KTABLE-FILTER-0000000003\n"
            "    Sink: KSTREAM-SINK-0000000005 (topic: out)\n"
            "      <-- KTABLE-TOSTREAM-0000000004\n"
            "\n"
        ),
        [
            ("out", "u1", None, 10),
            ("out", "u2", None, 20),
            ("out", "u1", "FR", 15),
            ("out", "u1", "FR", 25),
            ("out", "u2", None, 30),
            ("out", "u3", None, 35),
            ("out", "u3", "US", 5),
        ],
        ["app-f-changelog", "out"],
    ),
    "filter with an unnamed Materialized": (
        lambda b: b.table("users").filter(not_de, Materialized.with_(S, S)).to_stream().to("out"),
        (
            "Topologies:\n"
            "   Sub-topology: 0\n"
            "    Source: KSTREAM-SOURCE-0000000001 (topics: [users])\n"
            "      --> KTABLE-SOURCE-0000000002\n"
            "    Processor: KTABLE-SOURCE-0000000002 (stores: [])\n"
            "      --> KTABLE-FILTER-0000000004\n"
            "      <-- KSTREAM-SOURCE-0000000001\n"
            "    Processor: KTABLE-FILTER-0000000004 (stores: [])\n"
            "      --> KTABLE-TOSTREAM-0000000005\n"
            "      <-- KTABLE-SOURCE-0000000002\n"
            "    Processor: KTABLE-TOSTREAM-0000000005 (stores: [])\n"
            "      --> KSTREAM-SINK-0000000006\n"
            "      <-- KTABLE-FILTER-0000000004\n"
            "    Sink: KSTREAM-SINK-0000000006 (topic: out)\n"
            "      <-- KTABLE-TOSTREAM-0000000005\n"
            "\n"
        ),
        [
            ("out", "u1", None, 10),
            ("out", "u2", None, 20),
            ("out", "u1", "FR", 15),
            ("out", "u1", "FR", 25),
            ("out", "u2", None, 30),
            ("out", "u3", None, 35),
            ("out", "u3", "US", 5),
        ],
        ["out"],
    ),
    "materialized map_values": (
        lambda b: (
            b.table("users").map_values(str.lower, Materialized.as_("lower")).to_stream().to("out")
        ),
        (
            "Topologies:\n"
            "   Sub-topology: 0\n"
            "    Source: KSTREAM-SOURCE-0000000001 (topics: [users])\n"
            "      --> KTABLE-SOURCE-0000000002\n"
            "    Processor: KTABLE-SOURCE-0000000002 (stores: [])\n"
            "      --> KTABLE-MAPVALUES-0000000003\n"
            "      <-- KSTREAM-SOURCE-0000000001\n"
            "    Processor: KTABLE-MAPVALUES-0000000003 (stores: [lower])\n"
            "      --> KTABLE-TOSTREAM-0000000004\n"
            "      <-- KTABLE-SOURCE-0000000002\n"
            "    Processor: KTABLE-TOSTREAM-0000000004 (stores: [])\n"
            "      --> KSTREAM-SINK-0000000005\n"
            "      <-- KTABLE-MAPVALUES-0000000003\n"
            "    Sink: KSTREAM-SINK-0000000005 (topic: out)\n"
            "      <-- KTABLE-TOSTREAM-0000000004\n"
            "\n"
        ),
        [
            ("out", "u1", "de", 10),
            ("out", "u2", "de", 20),
            ("out", "u1", "fr", 15),
            ("out", "u1", "fr", 25),
            ("out", "u2", None, 30),
            ("out", "u3", "us", 5),
        ],
        ["app-lower-changelog", "out"],
    ),
    "materialized uncached map_values": (
        lambda b: (
            b.table("users")
            .map_values(
                str.lower, Materialized.as_("lower").with_value_serde(S).with_caching_disabled()
            )
            .to_stream()
            .to("out")
        ),
        (
            "Topologies:\n"
            "   Sub-topology: 0\n"
            "    Source: KSTREAM-SOURCE-0000000001 (topics: [users])\n"
            "      --> KTABLE-SOURCE-0000000002\n"
            "    Processor: KTABLE-SOURCE-0000000002 (stores: [])\n"
            "      --> KTABLE-MAPVALUES-0000000003\n"
            "      <-- KSTREAM-SOURCE-0000000001\n"
            "    Processor: KTABLE-MAPVALUES-0000000003 (stores: [lower])\n"
            "      --> KTABLE-TOSTREAM-0000000004\n"
            "      <-- KTABLE-SOURCE-0000000002\n"
            "    Processor: KTABLE-TOSTREAM-0000000004 (stores: [])\n"
            "      --> KSTREAM-SINK-0000000005\n"
            "      <-- KTABLE-MAPVALUES-0000000003\n"
            "    Sink: KSTREAM-SINK-0000000005 (topic: out)\n"
            "      <-- KTABLE-TOSTREAM-0000000004\n"
            "\n"
        ),
        [
            ("out", "u1", "de", 10),
            ("out", "u2", "de", 20),
            ("out", "u1", "fr", 15),
            ("out", "u1", "fr", 25),
            ("out", "u2", None, 30),
            ("out", "u3", None, 35),
            ("out", "u3", "us", 5),
        ],
        ["app-lower-changelog", "out"],
    ),
    "materialized map_values, filter": (
        lambda b: (
            b.table("users")
            .map_values(str.lower, Materialized.as_("lower").with_value_serde(S))
            .filter(lambda k, v: v != "de")
            .to_stream()
            .to("out")
        ),
        (
            "Topologies:\n"
            "   Sub-topology: 0\n"
            "    Source: KSTREAM-SOURCE-0000000001 (topics: [users])\n"
            "      --> KTABLE-SOURCE-0000000002\n"
            "    Processor: KTABLE-SOURCE-0000000002 (stores: [])\n"
            "      --> KTABLE-MAPVALUES-0000000003\n"
            "      <-- KSTREAM-SOURCE-0000000001\n"
            "    Processor: KTABLE-MAPVALUES-0000000003 (stores: [lower])\n"
            "      --> KTABLE-FILTER-0000000004\n"
            "      <-- KTABLE-SOURCE-0000000002\n"
            "    Processor: KTABLE-FILTER-0000000004 (stores: [])\n"
            "      --> KTABLE-TOSTREAM-0000000005\n"
            "      <-- KTABLE-MAPVALUES-0000000003\n"
            "    Processor: KTABLE-TOSTREAM-0000000005 (stores: [])\n"
            "      --> KSTREAM-SINK-0000000006\n"
            "      <-- KTABLE-FILTER-0000000004\n"
            "    Sink: KSTREAM-SINK-0000000006 (topic: out)\n"
            "      <-- KTABLE-TOSTREAM-0000000005\n"
            "\n"
        ),
        [
            ("out", "u1", "fr", 15),
            ("out", "u1", "fr", 25),
            ("out", "u3", "us", 5),
        ],
        ["app-lower-changelog", "out"],
    ),
    "materialized filter, filter": (
        lambda b: (
            b.table("users")
            .filter(not_de, Materialized.as_("f1"))
            .filter(lambda k, v: v != "US")
            .to_stream()
            .to("out")
        ),
        (
            "Topologies:\n"
            "   Sub-topology: 0\n"
            "    Source: KSTREAM-SOURCE-0000000001 (topics: [users])\n"
            "      --> KTABLE-SOURCE-0000000002\n"
            "    Processor: KTABLE-SOURCE-0000000002 (stores: [])\n"
            "      --> KTABLE-FILTER-0000000003\n"
            "      <-- KSTREAM-SOURCE-0000000001\n"
            "    Processor: KTABLE-FILTER-0000000003 (stores: [f1])\n"
            "      --> KTABLE-FILTER-0000000004\n"
            "      <-- KTABLE-SOURCE-0000000002\n"
            "    Processor: KTABLE-FILTER-0000000004 (stores: [])\n"
            "      --> KTABLE-TOSTREAM-0000000005\n"
            "      <-- KTABLE-FILTER-0000000003\n"
            "    Processor: KTABLE-TOSTREAM-0000000005 (stores: [])\n"
            "      --> KSTREAM-SINK-0000000006\n"
            "      <-- KTABLE-FILTER-0000000004\n"
            "    Sink: KSTREAM-SINK-0000000006 (topic: out)\n"
            "      <-- KTABLE-TOSTREAM-0000000005\n"
            "\n"
        ),
        [
            ("out", "u1", "FR", 15),
            ("out", "u1", "FR", 25),
        ],
        ["app-f1-changelog", "out"],
    ),
    "named operations with Materialized": (
        lambda b: (
            b.table("users")
            .filter(not_de, Named.as_("f"), Materialized.as_("fs"))
            .map_values(lambda v: v, Named.as_("m"), Materialized.with_(S, S))
            .to_stream()
            .to("out")
        ),
        (
            "Topologies:\n"
            "   Sub-topology: 0\n"
            "    Source: KSTREAM-SOURCE-0000000001 (topics: [users])\n"
            "      --> KTABLE-SOURCE-0000000002\n"
            "    Processor: KTABLE-SOURCE-0000000002 (stores: [])\n"
            "      --> f\n"
            "      <-- KSTREAM-SOURCE-0000000001\n"
            "    Processor: f (stores: [fs])\n"
            "      --> m\n"
            "      <-- KTABLE-SOURCE-0000000002\n"
            "    Processor: m (stores: [])\n"
            "      --> KTABLE-TOSTREAM-0000000006\n"
            "      <-- f\n"
            "    Processor: KTABLE-TOSTREAM-0000000006 (stores: [])\n"
            "      --> KSTREAM-SINK-0000000007\n"
            "      <-- m\n"
            "    Sink: KSTREAM-SINK-0000000007 (topic: out)\n"
            "      <-- KTABLE-TOSTREAM-0000000006\n"
            "\n"
        ),
        [
            ("out", "u1", "FR", 15),
            ("out", "u1", "FR", 25),
            ("out", "u3", "US", 5),
        ],
        ["app-fs-changelog", "out"],
    ),
    "filter, group_by": (
        lambda b: (
            b.table("users")
            .filter(not_de)
            .group_by(by_country)
            .count()
            .to_stream()
            .to("counts", value_serde=L)
        ),
        (
            "Topologies:\n"
            "   Sub-topology: 0\n"
            "    Source: KSTREAM-SOURCE-0000000001 (topics: [users])\n"
            "      --> KTABLE-SOURCE-0000000002\n"
            "    Processor: KTABLE-SOURCE-0000000002 (stores: [users-STATE-STORE-0000000000])\n"
            "      --> KTABLE-FILTER-0000000003\n"
            "      <-- KSTREAM-SOURCE-0000000001\n"
            "    Processor: KTABLE-FILTER-0000000003 (stores: [])\n"
            "      --> KTABLE-SELECT-0000000004\n"
            "      <-- KTABLE-SOURCE-0000000002\n"
            "    Processor: KTABLE-SELECT-0000000004 (stores: [])\n"
            "      --> KSTREAM-SINK-0000000006\n"
            "      <-- KTABLE-FILTER-0000000003\n"
            "    Sink: KSTREAM-SINK-0000000006 (topic: KTABLE-AGGREGATE-STATE-STORE-0000000005-repartition)\n"
            "      <-- KTABLE-SELECT-0000000004\n"
            "\n"
            "  Sub-topology: 1\n"
            "    Source: KSTREAM-SOURCE-0000000007 (topics: [KTABLE-AGGREGATE-STATE-STORE-0000000005-repartition])\n"
            "      --> KTABLE-AGGREGATE-0000000008\n"
            "    Processor: KTABLE-AGGREGATE-0000000008 (stores: [KTABLE-AGGREGATE-STATE-STORE-0000000005])\n"
            "      --> KTABLE-TOSTREAM-0000000009\n"
            "      <-- KSTREAM-SOURCE-0000000007\n"
            "    Processor: KTABLE-TOSTREAM-0000000009 (stores: [])\n"
            "      --> KSTREAM-SINK-0000000010\n"
            "      <-- KTABLE-AGGREGATE-0000000008\n"
            "    Sink: KSTREAM-SINK-0000000010 (topic: counts)\n"
            "      <-- KTABLE-TOSTREAM-0000000009\n"
            "\n"
        ),
        [
            ("counts", "FR", 1, 15),
            ("counts", "FR", 1, 25),
            ("counts", "US", 1, 5),
        ],
        [
            "app-KTABLE-AGGREGATE-STATE-STORE-0000000005-changelog",
            "app-KTABLE-AGGREGATE-STATE-STORE-0000000005-repartition",
            "app-users-STATE-STORE-0000000000-changelog",
            "counts",
        ],
    ),
    "materialized filter, group_by": (
        lambda b: (
            b.table("users")
            .filter(not_de, Materialized.as_("f1"))
            .group_by(by_country)
            .count()
            .to_stream()
            .to("counts", value_serde=L)
        ),
        (
            "Topologies:\n"
            "   Sub-topology: 0\n"
            "    Source: KSTREAM-SOURCE-0000000001 (topics: [users])\n"
            "      --> KTABLE-SOURCE-0000000002\n"
            "    Processor: KTABLE-SOURCE-0000000002 (stores: [])\n"
            "      --> KTABLE-FILTER-0000000003\n"
            "      <-- KSTREAM-SOURCE-0000000001\n"
            "    Processor: KTABLE-FILTER-0000000003 (stores: [f1])\n"
            "      --> KTABLE-SELECT-0000000004\n"
            "      <-- KTABLE-SOURCE-0000000002\n"
            "    Processor: KTABLE-SELECT-0000000004 (stores: [])\n"
            "      --> KSTREAM-SINK-0000000006\n"
            "      <-- KTABLE-FILTER-0000000003\n"
            "    Sink: KSTREAM-SINK-0000000006 (topic: KTABLE-AGGREGATE-STATE-STORE-0000000005-repartition)\n"
            "      <-- KTABLE-SELECT-0000000004\n"
            "\n"
            "  Sub-topology: 1\n"
            "    Source: KSTREAM-SOURCE-0000000007 (topics: [KTABLE-AGGREGATE-STATE-STORE-0000000005-repartition])\n"
            "      --> KTABLE-AGGREGATE-0000000008\n"
            "    Processor: KTABLE-AGGREGATE-0000000008 (stores: [KTABLE-AGGREGATE-STATE-STORE-0000000005])\n"
            "      --> KTABLE-TOSTREAM-0000000009\n"
            "      <-- KSTREAM-SOURCE-0000000007\n"
            "    Processor: KTABLE-TOSTREAM-0000000009 (stores: [])\n"
            "      --> KSTREAM-SINK-0000000010\n"
            "      <-- KTABLE-AGGREGATE-0000000008\n"
            "    Sink: KSTREAM-SINK-0000000010 (topic: counts)\n"
            "      <-- KTABLE-TOSTREAM-0000000009\n"
            "\n"
        ),
        [
            ("counts", "FR", 1, 15),
            ("counts", "FR", 1, 25),
            ("counts", "US", 1, 5),
        ],
        [
            "app-KTABLE-AGGREGATE-STATE-STORE-0000000005-changelog",
            "app-KTABLE-AGGREGATE-STATE-STORE-0000000005-repartition",
            "app-f1-changelog",
            "counts",
        ],
    ),
    "map_values, group_by": (
        lambda b: (
            b.table("users")
            .map_values(str.lower)
            .group_by(by_country)
            .count()
            .to_stream()
            .to("counts", value_serde=L)
        ),
        (
            "Topologies:\n"
            "   Sub-topology: 0\n"
            "    Source: KSTREAM-SOURCE-0000000001 (topics: [users])\n"
            "      --> KTABLE-SOURCE-0000000002\n"
            "    Processor: KTABLE-SOURCE-0000000002 (stores: [users-STATE-STORE-0000000000])\n"
            "      --> KTABLE-MAPVALUES-0000000003\n"
            "      <-- KSTREAM-SOURCE-0000000001\n"
            "    Processor: KTABLE-MAPVALUES-0000000003 (stores: [])\n"
            "      --> KTABLE-SELECT-0000000004\n"
            "      <-- KTABLE-SOURCE-0000000002\n"
            "    Processor: KTABLE-SELECT-0000000004 (stores: [])\n"
            "      --> KSTREAM-SINK-0000000006\n"
            "      <-- KTABLE-MAPVALUES-0000000003\n"
            "    Sink: KSTREAM-SINK-0000000006 (topic: KTABLE-AGGREGATE-STATE-STORE-0000000005-repartition)\n"
            "      <-- KTABLE-SELECT-0000000004\n"
            "\n"
            "  Sub-topology: 1\n"
            "    Source: KSTREAM-SOURCE-0000000007 (topics: [KTABLE-AGGREGATE-STATE-STORE-0000000005-repartition])\n"
            "      --> KTABLE-AGGREGATE-0000000008\n"
            "    Processor: KTABLE-AGGREGATE-0000000008 (stores: [KTABLE-AGGREGATE-STATE-STORE-0000000005])\n"
            "      --> KTABLE-TOSTREAM-0000000009\n"
            "      <-- KSTREAM-SOURCE-0000000007\n"
            "    Processor: KTABLE-TOSTREAM-0000000009 (stores: [])\n"
            "      --> KSTREAM-SINK-0000000010\n"
            "      <-- KTABLE-AGGREGATE-0000000008\n"
            "    Sink: KSTREAM-SINK-0000000010 (topic: counts)\n"
            "      <-- KTABLE-TOSTREAM-0000000009\n"
            "\n"
        ),
        [
            ("counts", "de", 1, 10),
            ("counts", "de", 2, 20),
            ("counts", "de", 1, 20),
            ("counts", "fr", 1, 15),
            ("counts", "fr", 1, 25),
            ("counts", "de", 0, 30),
            ("counts", "us", 1, 5),
        ],
        [
            "app-KTABLE-AGGREGATE-STATE-STORE-0000000005-changelog",
            "app-KTABLE-AGGREGATE-STATE-STORE-0000000005-repartition",
            "app-users-STATE-STORE-0000000000-changelog",
            "counts",
        ],
    ),
    "group_by count, filter": (
        lambda b: (
            b.table("users")
            .group_by(by_country)
            .count()
            .filter(lambda k, v: v > 1)
            .to_stream()
            .to("counts", value_serde=L)
        ),
        (
            "Topologies:\n"
            "   Sub-topology: 0\n"
            "    Source: KSTREAM-SOURCE-0000000001 (topics: [users])\n"
            "      --> KTABLE-SOURCE-0000000002\n"
            "    Processor: KTABLE-SOURCE-0000000002 (stores: [users-STATE-STORE-0000000000])\n"
            "      --> KTABLE-SELECT-0000000003\n"
            "      <-- KSTREAM-SOURCE-0000000001\n"
            "    Processor: KTABLE-SELECT-0000000003 (stores: [])\n"
            "      --> KSTREAM-SINK-0000000005\n"
            "      <-- KTABLE-SOURCE-0000000002\n"
            "    Sink: KSTREAM-SINK-0000000005 (topic: KTABLE-AGGREGATE-STATE-STORE-0000000004-repartition)\n"
            "      <-- KTABLE-SELECT-0000000003\n"
            "\n"
            "  Sub-topology: 1\n"
            "    Source: KSTREAM-SOURCE-0000000006 (topics: [KTABLE-AGGREGATE-STATE-STORE-0000000004-repartition])\n"
            "      --> KTABLE-AGGREGATE-0000000007\n"
            "    Processor: KTABLE-AGGREGATE-0000000007 (stores: [KTABLE-AGGREGATE-STATE-STORE-0000000004])\n"
            "      --> KTABLE-FILTER-0000000008\n"
            "      <-- KSTREAM-SOURCE-0000000006\n"
            "    Processor: KTABLE-FILTER-0000000008 (stores: [])\n"
            "      --> KTABLE-TOSTREAM-0000000009\n"
            "      <-- KTABLE-AGGREGATE-0000000007\n"
            "    Processor: KTABLE-TOSTREAM-0000000009 (stores: [])\n"
            "      --> KSTREAM-SINK-0000000010\n"
            "      <-- KTABLE-FILTER-0000000008\n"
            "    Sink: KSTREAM-SINK-0000000010 (topic: counts)\n"
            "      <-- KTABLE-TOSTREAM-0000000009\n"
            "\n"
        ),
        [
            ("counts", "DE", 2, 20),
            ("counts", "DE", None, 20),
        ],
        [
            "app-KTABLE-AGGREGATE-STATE-STORE-0000000004-changelog",
            "app-KTABLE-AGGREGATE-STATE-STORE-0000000004-repartition",
            "app-users-STATE-STORE-0000000000-changelog",
            "counts",
        ],
    ),
    "to_table, filter": (
        lambda b: b.stream("users").to_table().filter(not_de).to_stream().to("out"),
        (
            "Topologies:\n"
            "   Sub-topology: 0\n"
            "    Source: KSTREAM-SOURCE-0000000000 (topics: [users])\n"
            "      --> KSTREAM-TOTABLE-0000000001\n"
            "    Processor: KSTREAM-TOTABLE-0000000001 (stores: [])\n"
            "      --> KTABLE-FILTER-0000000003\n"
            "      <-- KSTREAM-SOURCE-0000000000\n"
            "    Processor: KTABLE-FILTER-0000000003 (stores: [])\n"
            "      --> KTABLE-TOSTREAM-0000000004\n"
            "      <-- KSTREAM-TOTABLE-0000000001\n"
            "    Processor: KTABLE-TOSTREAM-0000000004 (stores: [])\n"
            "      --> KSTREAM-SINK-0000000005\n"
            "      <-- KTABLE-FILTER-0000000003\n"
            "    Sink: KSTREAM-SINK-0000000005 (topic: out)\n"
            "      <-- KTABLE-TOSTREAM-0000000004\n"
            "\n"
        ),
        [
            ("out", "u1", None, 10),
            ("out", "u2", None, 20),
            ("out", "u1", "FR", 15),
            ("out", "u1", "FR", 25),
            ("out", "u2", None, 30),
            ("out", "u3", None, 35),
            ("out", "u3", "US", 5),
        ],
        ["out"],
    ),
    "to_table, group_by": (
        lambda b: (
            b.stream("users")
            .to_table()
            .group_by(by_country)
            .count()
            .to_stream()
            .to("counts", value_serde=L)
        ),
        (
            "Topologies:\n"
            "   Sub-topology: 0\n"
            "    Source: KSTREAM-SOURCE-0000000000 (topics: [users])\n"
            "      --> KSTREAM-TOTABLE-0000000001\n"
            "    Processor: KSTREAM-TOTABLE-0000000001 (stores: [KSTREAM-TOTABLE-STATE-STORE-0000000002])\n"
            "      --> KTABLE-SELECT-0000000003\n"
            "      <-- KSTREAM-SOURCE-0000000000\n"
            "    Processor: KTABLE-SELECT-0000000003 (stores: [])\n"
            "      --> KSTREAM-SINK-0000000005\n"
            "      <-- KSTREAM-TOTABLE-0000000001\n"
            "    Sink: KSTREAM-SINK-0000000005 (topic: KTABLE-AGGREGATE-STATE-STORE-0000000004-repartition)\n"
            "      <-- KTABLE-SELECT-0000000003\n"
            "\n"
            "  Sub-topology: 1\n"
            "    Source: KSTREAM-SOURCE-0000000006 (topics: [KTABLE-AGGREGATE-STATE-STORE-0000000004-repartition])\n"
            "      --> KTABLE-AGGREGATE-0000000007\n"
            "    Processor: KTABLE-AGGREGATE-0000000007 (stores: [KTABLE-AGGREGATE-STATE-STORE-0000000004])\n"
            "      --> KTABLE-TOSTREAM-0000000008\n"
            "      <-- KSTREAM-SOURCE-0000000006\n"
            "    Processor: KTABLE-TOSTREAM-0000000008 (stores: [])\n"
            "      --> KSTREAM-SINK-0000000009\n"
            "      <-- KTABLE-AGGREGATE-0000000007\n"
            "    Sink: KSTREAM-SINK-0000000009 (topic: counts)\n"
            "      <-- KTABLE-TOSTREAM-0000000008\n"
            "\n"
        ),
        [
            ("counts", "DE", 1, 10),
            ("counts", "DE", 2, 20),
            ("counts", "DE", 1, 20),
            ("counts", "FR", 1, 15),
            ("counts", "FR", 1, 25),
            ("counts", "DE", 0, 30),
            ("counts", "US", 1, 5),
        ],
        [
            "app-KSTREAM-TOTABLE-STATE-STORE-0000000002-changelog",
            "app-KTABLE-AGGREGATE-STATE-STORE-0000000004-changelog",
            "app-KTABLE-AGGREGATE-STATE-STORE-0000000004-repartition",
            "counts",
        ],
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_as_kafka_streams(case: str) -> None:
    build, text, records, produced = CASES[case]
    builder = StreamsBuilder()
    build(builder)
    topology = builder.build()

    assert str(topology.describe()) == text
    with TopologyTestDriver(topology, CONFIG) as driver:
        users = driver.create_input_topic("users", S, S)
        for key, value, ts in USERS:
            users.pipe_input(key, value, ts)
        got = []
        for topic in dict.fromkeys(r[0] for r in records):
            out = driver.create_output_topic(topic, S, L if topic == "counts" else S)
            got.extend((topic, r.key, r.value, r.timestamp) for r in out.read_records_to_list())

        assert got == records
        assert driver.produced_topic_names() == set(produced)
