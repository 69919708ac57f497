"""KStream-KTable joins; twins in StreamTableJoinScenarios.java.

Kafka Streams' KStreamKTableJoinTest / KStreamKTableLeftJoinTest as data (fixed timestamps
where Java's test draws random ones): lookups at processing time (table updates trigger
nothing), deletes, null keys and values (dropped and counted; a left join keeps a null-key
record), tables read through unmaterialized filter / map_values getters, an aggregated and a
suppressed table, the repartition of a re-keyed stream (generated and ``Joined`` names), and
grace periods over versioned tables (KIP-923).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from kstreams import Materialized, Serdes, Stores, StreamsBuilder
from kstreams.dsl.joined import Joined
from kstreams.dsl.stream_table_join import join_table
from kstreams.dsl.suppressed import BufferConfig, Suppressed

from ..harness import Pipe, Step, pipes
from .common import S, js
from .common import scenario as _scenario

IS = ("Integer", "String")


def scenario(**data: Any) -> Any:
    """A scenario whose Java twin is in ``StreamTableJoinScenarios.java``."""
    return _scenario(java_class="StreamTableJoinScenarios", **data)


def joiner(value: Any, other: Any) -> str:
    """Java's ``MockValueJoiner.TOSTRING_JOINER``: ``value1 + "+" + value2``."""
    return f"{js(value)}+{js(other)}"


def _stream(prefix: str, n: int, ts0: int = 0) -> list[Step]:
    return [Pipe("stream", i, f"{prefix}{i}", ts0 + i) for i in range(n)]


def _table(prefix: str, n: int, ts: int) -> list[Step]:
    return [Pipe("table", i, f"{prefix}{i}", ts + i) for i in range(n)]


# KStreamKTableJoinTest.shouldNotJoinOnTableUpdates, then shouldClearTableEntryOnNullValueUpdates
# and the null key / null value cases, on one driver
JOIN_STEPS: list[Step] = [
    *_stream("X", 2),  # empty table: nothing
    *_table("Y", 2, 10),  # table updates join nothing
    *_stream("X", 4, 2),  # X0, X1 join
    *_table("YY", 4, 20),
    *_stream("X", 4, 4),  # all four join
    Pipe("table", 0, None, 30),  # deletes
    Pipe("table", 1, None, 31),
    *_stream("XX", 4, 40),  # 2 and 3 join
    Pipe("stream", None, "A", 50),  # null key: dropped by the inner join, kept by the left
    Pipe("stream", 2, None, 51),  # null value: dropped by both
    Pipe("stream", 3, "late", 1),  # out of order: joins the table as it is now
]

OUT = {"out": IS}


@scenario(inputs={"stream": IS, "table": IS}, steps=JOIN_STEPS, outputs=OUT)
def stream_table_inner_join(b: StreamsBuilder) -> None:
    stream = b.stream("stream", key_serde=Serdes.Integer(), value_serde=Serdes.String())
    table = b.table("table", key_serde=Serdes.Integer(), value_serde=Serdes.String())
    join_table(stream, table, joiner, None, left=False).to("out")


@scenario(inputs={"stream": IS, "table": IS}, steps=JOIN_STEPS, outputs=OUT)
def stream_table_left_join(b: StreamsBuilder) -> None:
    stream = b.stream("stream", key_serde=Serdes.Integer(), value_serde=Serdes.String())
    table = b.table("table", key_serde=Serdes.Integer(), value_serde=Serdes.String())
    join_table(stream, table, joiner, None, left=True).to("out")


@scenario(
    inputs={"stream": IS, "table": IS},
    steps=JOIN_STEPS,
    outputs={"out": IS, "out2": IS},
)
def stream_table_join_filtered_and_mapped_tables(b: StreamsBuilder) -> None:
    """The table side is read through unmaterialized filter / map_values (no stores of
    their own) and through a materialized map_values (its own store)."""
    stream = b.stream("stream", key_serde=Serdes.Integer(), value_serde=Serdes.String())
    table = b.table("table", key_serde=Serdes.Integer(), value_serde=Serdes.String())
    derived = table.filter(lambda k, v: not v.startswith("YY") or k % 2 == 0).map_values(
        lambda v: v.lower()
    )
    join_table(stream, derived, joiner, None, left=True).to("out")
    mapped = table.map_values(
        lambda k, v: f"{k}:{v}",
        Materialized.as_("mapped")
        .with_key_serde(Serdes.Integer())
        .with_value_serde(Serdes.String()),
    )
    join_table(stream, mapped, joiner, None, left=False).to("out2")


def _rekeyed_two_joins(b: StreamsBuilder, names: tuple[str | None, str | None]) -> None:
    """KStreamKTableJoinTest.shouldReuseRepartitionTopicWithGeneratedName /
    shouldCreateRepartitionTopicsWithUserProvidedName."""
    stream = b.stream("topic", key_serde=Serdes.String(), value_serde=Serdes.String())
    table_b = b.table("topic2", key_serde=Serdes.String(), value_serde=Serdes.String())
    table_c = b.table("topic3", key_serde=Serdes.String(), value_serde=Serdes.String())
    rekeyed = stream.map(lambda k, v: (v, k))
    for table, name, out in ((table_b, names[0], "out-one"), (table_c, names[1], "out-two")):
        joined = None
        if name is not None:
            joined = Joined.with_(Serdes.String(), Serdes.String(), Serdes.String(), name)
        join_table(rekeyed, table, lambda v1, v2: v1 + v2, joined, left=False).to(out)


REKEYED_STEPS: list[Step] = [
    *pipes("topic2", [("b", "B", 1), ("c", "C", 2)]),
    *pipes("topic3", [("c", "CC", 3), ("d", "DD", 4)]),
    *pipes("topic", [("k1", "b", 5), ("k2", "c", 6), ("k3", "d", 7), ("k4", "e", 8)]),
]


@scenario(
    inputs={"topic": S, "topic2": S, "topic3": S},
    steps=REKEYED_STEPS,
    outputs={"out-one": S, "out-two": S},
)
def stream_table_join_after_map_generated_names(b: StreamsBuilder) -> None:
    _rekeyed_two_joins(b, (None, None))


@scenario(
    inputs={"topic": S, "topic2": S, "topic3": S},
    steps=REKEYED_STEPS,
    outputs={"out-one": S, "out-two": S},
)
def stream_table_join_after_map_named(b: StreamsBuilder) -> None:
    _rekeyed_two_joins(b, ("first-join", "second-join"))


@scenario(
    inputs={"clicks": S, "users": S},
    steps=[
        *pipes("users", [("u1", "EU", 1), ("u2", "US", 2)]),
        *pipes(
            "clicks",
            [("c1", "u1", 3), ("c2", "u3", 4), ("c3", None, 5), ("c4", "u2", 6), ("c5", "u1", 7)],
        ),
        *pipes("users", [("u1", None, 8)]),
        *pipes("clicks", [("c6", "u1", 9), (None, "u2", 10)]),
    ],
    outputs={"out": S},
)
def stream_table_left_join_after_select_key(b: StreamsBuilder) -> None:
    """A re-keyed stream goes through ``<name>-repartition``; a record whose new key is None
    passes the repartition and joins with None in a left join; a joiner with key."""
    clicks = b.stream("clicks", key_serde=Serdes.String(), value_serde=Serdes.String())
    users = b.table("users", key_serde=Serdes.String(), value_serde=Serdes.String())
    by_user = clicks.select_key(lambda k, v: v)
    join_table(
        by_user,
        users,
        lambda k, v, region: f"{js(k)}/{js(v)}/{js(region)}",
        Joined.as_("clicks-by-user"),
        left=True,
    ).to("out")


@scenario(
    inputs={"orders": S, "events": S},
    steps=[
        *pipes("events", [("a", "e", 1), ("a", "e", 2), ("b", "e", 3)]),
        *pipes("orders", [("a", "o1", 4), ("b", "o2", 5), ("c", "o3", 6)]),
        *pipes("events", [("a", "e", 7)]),
        *pipes("orders", [("a", "o4", 8)]),
    ],
    outputs={"out": S},
)
def stream_table_join_aggregated_table(b: StreamsBuilder) -> None:
    """The table is a count (read from its store, through its record cache)."""
    counts = b.stream("events").group_by_key().count(Materialized.as_("event-counts"))
    orders = b.stream("orders")
    join_table(orders, counts, lambda o, n: f"{o}#{js(n)}", None, left=True).to("out")


@scenario(
    inputs={"orders": S, "events": S},
    steps=[
        *pipes("events", [("a", "e", 1), ("b", "e", 2)]),
        *pipes("orders", [("a", "o1", 3)]),  # a is buffered: the suppressed table has no a
        *pipes("events", [("b", "e", 20)]),  # a (1) and b (1) leave the buffer; b (2) enters
        *pipes("orders", [("a", "o2", 21), ("b", "o3", 22)]),  # a = 1; b still shows 1
        *pipes("events", [("c", "e", 40)]),  # b (2) leaves
        *pipes("orders", [("b", "o4", 41), ("c", "o5", 42)]),
    ],
    outputs={"out": S},
)
def stream_table_join_suppressed_table(b: StreamsBuilder) -> None:
    """The table is suppressed: a key with buffered updates reads as its value before them."""
    counts = b.stream("events").group_by_key().count(Materialized.as_("event-counts"))
    suppressed = counts.suppress(Suppressed.until_time_limit(10, BufferConfig.unbounded()))
    orders = b.stream("orders")
    join_table(orders, suppressed, lambda o, n: f"{o}#{js(n)}", None, left=True).to("out")


# -- grace periods over versioned tables (KIP-923) ------------------------------------------------


def _grace_join(b: StreamsBuilder, grace_ms: int, left: bool, derived: bool = False) -> None:
    """KStreamKTableJoinTest's ``makeJoin``: a versioned table ``V-grace`` (5 minutes of
    history), a ``Joined`` named ``Grace`` (its buffer ``Grace-Buffer``)."""
    stream = b.stream("stream", key_serde=Serdes.Integer(), value_serde=Serdes.String())
    versioned = Stores.persistent_versioned_key_value_store("V-grace", timedelta(minutes=5))
    table = b.table(
        "table",
        Materialized.as_(versioned),
        key_serde=Serdes.Integer(),
        value_serde=Serdes.String(),
    )
    if derived:
        table = table.filter(lambda k, v: not v.endswith("2")).map_values(lambda v: v.lower())
    joined = Joined.with_(Serdes.Integer(), Serdes.String(), Serdes.String(), "Grace", grace_ms)
    join_table(stream, table, joiner, joined, left=left).to("out")


GRACE_STEPS: list[Step] = [
    # KStreamKTableJoinTest.shouldDelayJoinByGracePeriod
    *[Pipe("table", i, f"Y{i}", 0) for i in range(4)],
    *_stream("X", 4),
    *[Pipe("table", i, f"YY{i}", 0) for i in range(4)],
    *_stream("X", 4),
    Pipe("stream", 5, "test", 7),
    *[Pipe("table", i, f"YYY{i}", 0) for i in range(4)],
    # versions: the buffered records join the table as of their own timestamps
    Pipe("table", 1, "v20", 20),
    Pipe("stream", 1, "a", 21),
    Pipe("table", 1, "v22", 22),
    Pipe("stream", 1, "b", 23),
    Pipe("stream", 2, "c", 10),  # beyond the grace: joins at once
    Pipe("stream", None, "n", 24),  # null key: dropped (inner) / joined at once (left)
    Pipe("stream", 3, None, 24),  # null value: dropped
    Pipe("stream", 0, "z", 40),
]


@scenario(inputs={"stream": IS, "table": IS}, steps=GRACE_STEPS, outputs=OUT)
def stream_table_join_grace_versioned(b: StreamsBuilder) -> None:
    """The buffer's changelog (``app-Grace-Buffer-changelog``) is not compared: its keys and
    values are byte for byte Java's, but Java leaves the timestamps to the producer (None in
    its driver) where kstreams sends the wall-clock time; test_stream_table_join_grace checks
    the layout."""
    _grace_join(b, 2, left=False)


@scenario(
    inputs={"stream": IS, "table": IS},
    steps=[s for s in GRACE_STEPS if not (isinstance(s, Pipe) and s.key is None)],
    outputs=OUT,
)
def stream_table_left_join_grace_versioned(b: StreamsBuilder) -> None:
    """A left join with a grace period (without a null-key record: Kafka Streams' buffer
    fails on one, kstreams joins it at once)."""
    _grace_join(b, 2, left=True)


@scenario(inputs={"stream": IS, "table": IS}, steps=GRACE_STEPS, outputs=OUT)
def stream_table_join_grace_inherited_versioned(b: StreamsBuilder) -> None:
    """Filter and map_values over the versioned table: the getter reads its store as of."""
    _grace_join(b, 5, left=False, derived=True)


@scenario(inputs={"stream": IS, "table": IS}, steps=GRACE_STEPS, outputs=OUT)
def stream_table_left_join_versioned_no_grace(b: StreamsBuilder) -> None:
    """A versioned table without a grace period: records join at once, as of their
    timestamps (so an out-of-order record sees the version valid then)."""
    stream = b.stream("stream", key_serde=Serdes.Integer(), value_serde=Serdes.String())
    versioned = Stores.persistent_versioned_key_value_store("V", timedelta(minutes=5))
    table = b.table(
        "table",
        Materialized.as_(versioned),
        key_serde=Serdes.Integer(),
        value_serde=Serdes.String(),
    )
    join_table(stream, table, joiner, None, left=True).to("out")
