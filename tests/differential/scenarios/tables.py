"""Tables: builder.table, KTable filter / map_values / to_stream / group_by, to_table, tombstones."""

from __future__ import annotations

from typing import Any

from kstreams import Consumed, Grouped, Materialized, Named, Serdes, StreamsBuilder

from ..deliberate import null_keys_counted
from ..harness import StoreQuery, pipes
from .common import SJ, SL, USERS, S, scenario


@scenario(
    inputs={"users": S},
    steps=pipes("users", USERS),
    outputs={"out": S},
)
def table_to_stream(b: StreamsBuilder) -> None:
    b.table("users").to_stream().to("out")


@scenario(
    inputs={"users": S},
    steps=pipes("users", USERS),
    outputs={"out": S},
    stores=(StoreQuery("users-store", gets=("u1", "u2")),),
)
def table_named_filter_map_values(b: StreamsBuilder) -> None:
    (
        b.table("users", Materialized.as_("users-store"))
        .filter(lambda k, v: v == "EU")
        .map_values(str.lower)
        .to_stream()
        .to("out")
    )


@scenario(
    inputs={"users": S},
    steps=pipes("users", USERS),
    outputs={"out": S},
)
def table_unnamed_filter(b: StreamsBuilder) -> None:
    b.table("users").filter_not(lambda k, v: v == "US").to_stream().to("out")


@scenario(
    inputs={"users": S},
    steps=pipes("users", USERS),
    outputs={"out": SL},
    stores=(StoreQuery("KTABLE-AGGREGATE-STATE-STORE-0000000004", "String", "Long"),),
)
def table_group_by_count(b: StreamsBuilder) -> None:
    b.table("users").group_by(lambda user, region: (region, user)).count().to_stream().to(
        "out", value_serde=Serdes.Long()
    )


ACCOUNTS = [
    ("eu-1", 100, 1),
    ("eu-2", 50, 2),
    ("us-1", 10, 3),
    ("eu-1", 70, 4),
    ("eu-2", None, 5),
    ("us-1", 20, 6),
    ("eu-1", None, 7),
]


@scenario(
    inputs={"accounts": SL},
    steps=pipes("accounts", ACCOUNTS),
    outputs={"out": SL},
    stores=(StoreQuery("totals", "String", "Long"),),
)
def table_group_by_reduce(b: StreamsBuilder) -> None:
    (
        b.table("accounts", Consumed.with_(Serdes.String(), Serdes.Long()))
        .group_by(lambda k, v: (k[:2], v), Grouped.with_(Serdes.String(), Serdes.Long()))
        .reduce(lambda agg, v: agg + v, lambda agg, v: agg - v, Materialized.as_("totals"))
        .to_stream()
        .to("out", value_serde=Serdes.Long())
    )


def _regions(b: StreamsBuilder, materialized: Materialized) -> None:
    (
        b.table("users")
        .group_by(lambda user, region: (region, user))
        .aggregate(
            lambda: "",
            lambda region, user, agg: f"{agg}+{user}",
            lambda region, user, agg: f"{agg}-{user}",
            materialized,
        )
        .to_stream()
        .to("out")
    )


REGIONS_STORE = StoreQuery("regions", gets=("EU", "US", "MARS"))


@scenario(
    inputs={"users": S}, steps=pipes("users", USERS), outputs={"out": S}, stores=(REGIONS_STORE,)
)
def table_group_by_aggregate_cached(b: StreamsBuilder) -> None:
    _regions(b, Materialized.as_("regions"))


@scenario(
    inputs={"users": S}, steps=pipes("users", USERS), outputs={"out": S}, stores=(REGIONS_STORE,)
)
def table_group_by_aggregate_uncached(b: StreamsBuilder) -> None:
    _regions(b, Materialized.as_("regions").with_caching_disabled())


@scenario(
    inputs={"users": S},
    steps=pipes("users", USERS),
    outputs={"out": SJ, "crowded": SJ},
    stores=(StoreQuery("regions", "String", "JSON"),),
)
def table_aggregate_mutated_in_place(b: StreamsBuilder) -> None:
    """Adder and subtractor change the aggregate they are given and return it; Java's twin
    copies (JSON trees). Both must give the same users per region."""

    def add(region: str, user: str, agg: dict[str, Any]) -> dict[str, Any]:
        agg["n"] += 1
        agg["users"].append(user)
        return agg

    def subtract(region: str, user: str, agg: dict[str, Any]) -> dict[str, Any]:
        agg["n"] -= 1
        if user in agg["users"]:
            agg["users"].remove(user)
        return agg

    regions = (
        b.table("users")
        .group_by(lambda user, region: (region, user))
        .aggregate(
            lambda: {"n": 0, "users": []},
            add,
            subtract,
            Materialized.as_("regions").with_value_serde(Serdes.JSON()),
        )
    )
    regions.to_stream().to("out", value_serde=Serdes.JSON())
    # downstream of the aggregate, old values count: a region stops being crowded
    regions.filter(lambda region, agg: agg["n"] >= 2).to_stream().to(
        "crowded", value_serde=Serdes.JSON()
    )


@scenario(
    inputs={"in": S},
    steps=pipes("in", USERS),
    outputs={"out": S},
    stores=(StoreQuery("t", gets=("u1", "u2", "u3")),),
)
def to_table_named(b: StreamsBuilder) -> None:
    b.stream("in").to_table(Materialized.as_("t")).to_stream().to("out")


@scenario(
    inputs={"in": S},
    steps=pipes("in", USERS),
    outputs={"out": S},
    deliberate=null_keys_counted(2),
)
def to_table_after_key_change(b: StreamsBuilder) -> None:
    b.stream("in").select_key(lambda k, v: v).to_table().to_stream().to("out")


@scenario(
    inputs={"in": S},
    steps=pipes("in", USERS),
    outputs={"out": S},
    stores=(StoreQuery("t", gets=("EU", "US")),),
    deliberate=null_keys_counted(2),
)
def to_table_named_after_key_change(b: StreamsBuilder) -> None:
    (
        b.stream("in")
        .select_key(lambda k, v: v)
        .to_table(Named.as_("tt"), Materialized.as_("t"))
        .to_stream()
        .to("out")
    )


@scenario(
    inputs={"users": S},
    steps=pipes("users", USERS),
    outputs={"out": SL},
    stores=(StoreQuery("region-counts", "String", "Long"),),
)
def table_group_by_selector_returning_null_key(b: StreamsBuilder) -> None:
    """Rows whose selected key is null (region US) are skipped, on either side of a move."""
    (
        b.table("users")
        .group_by(lambda user, region: (None if region == "US" else region, user))
        .count(Materialized.as_("region-counts"))
        .to_stream()
        .to("out", value_serde=Serdes.Long())
    )


@scenario(
    inputs={"users": S},
    steps=pipes("users", USERS),
    outputs={"out": SL},
    stores=(StoreQuery("users-store", gets=("u4",)),),
)
def table_filter_then_group_by(b: StreamsBuilder) -> None:
    """A row leaving the filter leaves its group (the filter forwards the old value)."""
    (
        b.table("users", Materialized.as_("users-store"))
        .filter(lambda user, region: region != "APAC")
        .group_by(lambda user, region: (region, user))
        .count()
        .to_stream()
        .to("out", value_serde=Serdes.Long())
    )


@scenario(inputs={"users": S}, steps=pipes("users", USERS), outputs={"out": SL})
def table_map_values_then_group_by(b: StreamsBuilder) -> None:
    """group_by needs old values through map_values: Java materializes the source table too."""
    (
        b.table("users")
        .map_values(str.lower)
        .group_by(lambda user, region: (region, user))
        .count()
        .to_stream()
        .to("out", value_serde=Serdes.Long())
    )
