"""KTable-KTable joins: inner, left and outer, materialized or not, cached or not, chained,
regrouped; twins in TableJoinScenarios.java.

The inputs are those of Kafka Streams' KTableKTableInnerJoinTest / LeftJoinTest /
OuterJoinTest (keys as strings): updates of both sides, null keys, deletes on either side,
timestamps that go back, so the outputs show each result's timestamp (the larger of both
rows'), which old values travel and which deletes are forwarded.
"""

from __future__ import annotations

from typing import Any

from kstreams import Grouped, Materialized, Named, Serdes, StreamsBuilder
from kstreams.state import Stores

from ..harness import Pipe, StoreQuery
from .common import SL, S, js
from .common import scenario as _scenario


def scenario(**data: Any) -> Any:
    """A scenario whose Java twin is in ``TableJoinScenarios.java``."""
    return _scenario(java_class="TableJoinScenarios", **data)


KEYS = ["0", "1", "2", "3"]

# Kafka Streams' table-table join tests, topic1 = "left", topic2 = "right"
JOIN_STEPS: list[Pipe] = [
    *(Pipe("left", k, "X" + k, 5 + i) for i, k in enumerate(KEYS[:2])),
    Pipe("left", None, "SomeVal", 42),
    *(Pipe("right", k, "Y" + k, 10 * i) for i, k in enumerate(KEYS[:2])),
    Pipe("right", None, "AnotherVal", 73),
    *(Pipe("left", k, "XX" + k, 7) for k in KEYS),
    *(Pipe("right", k, "YY" + k, 5 * i) for i, k in enumerate(KEYS)),
    *(Pipe("left", k, "XXX" + k, 6) for k in KEYS),
    Pipe("right", "0", None, 5),
    Pipe("right", "1", None, 7),
    *(Pipe("left", k, "XXXX" + k, 13) for k in KEYS),
    Pipe("left", "0", None, 0),
    Pipe("left", "1", None, 42),
    Pipe("left", "2", None, 5),
    Pipe("left", "3", None, 20),
    # deletes of what is not there, a re-insert, the right side's last rows
    Pipe("left", "9", None, 50),
    Pipe("right", "9", None, 51),
    Pipe("left", "2", "Z2", 8),
    Pipe("right", "2", None, 60),
    Pipe("right", "3", None, 61),
]

INPUTS = {"left": S, "right": S}
OUT = {"out": S}


def plus(a: Any, b: Any) -> str:
    """MockValueJoiner.TOSTRING_JOINER: ``a + "+" + b``, null as "null"."""
    return f"{js(a)}+{js(b)}"


def _tables(b: StreamsBuilder) -> tuple[Any, Any]:
    return b.table("left"), b.table("right")


def _joined(b: StreamsBuilder, how: str, *args: Any) -> Any:
    left, right = _tables(b)
    return getattr(left, how)(right, plus, *args)


def _run(how: str, *args: Any) -> Any:
    def build(b: StreamsBuilder) -> None:
        _joined(b, how, *args).to_stream().to("out")

    return build


JOINED_STORE = (StoreQuery("joined", gets=("0", "1", "2", "3", "9")),)


@scenario(inputs=INPUTS, steps=JOIN_STEPS, outputs=OUT)
def table_inner_join(b: StreamsBuilder) -> None:
    _run("join")(b)


@scenario(inputs=INPUTS, steps=JOIN_STEPS, outputs=OUT)
def table_left_join(b: StreamsBuilder) -> None:
    _run("left_join")(b)


@scenario(inputs=INPUTS, steps=JOIN_STEPS, outputs=OUT)
def table_outer_join(b: StreamsBuilder) -> None:
    _run("outer_join")(b)


@scenario(inputs=INPUTS, steps=JOIN_STEPS, outputs=OUT, stores=JOINED_STORE)
def table_inner_join_materialized(b: StreamsBuilder) -> None:
    _run("join", Materialized.as_("joined"))(b)


@scenario(inputs=INPUTS, steps=JOIN_STEPS, outputs=OUT, stores=JOINED_STORE)
def table_left_join_materialized_uncached(b: StreamsBuilder) -> None:
    _run("left_join", Materialized.as_("joined").with_caching_disabled())(b)


@scenario(inputs=INPUTS, steps=JOIN_STEPS, outputs=OUT, stores=JOINED_STORE)
def table_outer_join_materialized(b: StreamsBuilder) -> None:
    _run("outer_join", Materialized.as_("joined"))(b)


@scenario(
    inputs=INPUTS,
    steps=JOIN_STEPS,
    outputs=OUT,
    stores=(StoreQuery("KTABLE-MERGE-STATE-STORE-0000000006", gets=("2", "3")),),
)
def table_join_unnamed_materialized(b: StreamsBuilder) -> None:
    """An unnamed ``Materialized`` still gets a store, named before the merge processor."""
    _run("join", Materialized.with_(Serdes.String(), Serdes.String()))(b)


@scenario(inputs=INPUTS, steps=JOIN_STEPS, outputs=OUT)
def table_join_named(b: StreamsBuilder) -> None:
    """``Named`` names the merge processor and, suffixed, both join processors."""
    _run("outer_join", Named.as_("j"), Materialized.as_("joined"))(b)


@scenario(
    inputs=INPUTS,
    steps=JOIN_STEPS,
    outputs=OUT,
    stores=(StoreQuery("left-store", gets=("0", "2")), StoreQuery("right-store", gets=("2",))),
)
def table_join_materialized_sources(b: StreamsBuilder) -> None:
    """Cached source tables forward when their caches flush; the joins read their stores."""
    left = b.table("left", Materialized.as_("left-store"))
    right = b.table("right", Materialized.as_("right-store").with_caching_disabled())
    left.left_join(right, plus).to_stream().to("out")


@scenario(
    inputs=INPUTS,
    steps=JOIN_STEPS,
    outputs={"out": SL, "joined": S},
    stores=(StoreQuery("per-right", "String", "Long", gets=("null", "Y0", "YY2")),),
)
def table_left_join_group_by_count(b: StreamsBuilder) -> None:
    """A downstream ``group_by`` asks the join for old values: the subtractor removes each
    key from the group its previous result was in."""
    joined = _joined(b, "left_join")
    joined.to_stream().to("joined")
    (
        joined.group_by(
            lambda k, v: (v.split("+")[1], k), Grouped.with_(Serdes.String(), Serdes.String())
        )
        .count(Materialized.as_("per-right"))
        .to_stream()
        .to("out", value_serde=Serdes.Long())
    )


@scenario(
    inputs=INPUTS,
    steps=JOIN_STEPS,
    outputs={"out": S},
    stores=(StoreQuery("lengths", gets=("3", "4", "5", "7", "8", "9", "10")),),
)
def table_outer_join_materialized_group_by_reduce(b: StreamsBuilder) -> None:
    """A materialized, uncached outer join sending old values to a reduce with a subtractor."""
    joined = _joined(b, "outer_join", Materialized.as_("joined").with_caching_disabled())
    (
        joined.group_by(lambda k, v: (str(len(v)), k))
        .reduce(
            lambda agg, v: agg + "," + v,
            lambda agg, v: ",".join(p for p in agg.split(",") if p != v),
            Materialized.as_("lengths"),
        )
        .to_stream()
        .to("out")
    )


@scenario(inputs=INPUTS, steps=JOIN_STEPS, outputs=OUT)
def table_outer_join_filter(b: StreamsBuilder) -> None:
    """A filter takes old values from the join: a filtered-out result that was not in the
    filtered table is not forwarded."""
    _joined(b, "outer_join").filter(lambda k, v: "YY" in v).to_stream().to("out")


@scenario(inputs=INPUTS, steps=JOIN_STEPS, outputs=OUT)
def table_join_filtered_and_mapped_sides(b: StreamsBuilder) -> None:
    """Unmaterialized filter / map_values sides: the joins compute the other side's row
    through its value getter (from the source tables' stores)."""
    left = b.table("left").filter(lambda k, v: not v.startswith("XXX"))
    left.join(b.table("right").map_values(str.lower), plus).to_stream().to("out")


@scenario(inputs={"left": S}, steps=[s for s in JOIN_STEPS if s.topic == "left"], outputs=OUT)
def table_self_join(b: StreamsBuilder) -> None:
    """A table joined with itself: each update goes through both join processors."""
    left = b.table("left")
    left.join(left, plus).to_stream().to("out")


THIRD = [
    Pipe("third", "0", "T0", 1),
    Pipe("third", "2", "T2", 30),
    Pipe("third", "3", "T3", 2),
]


@scenario(
    inputs={**INPUTS, "third": S},
    steps=THIRD + JOIN_STEPS + [Pipe("third", "2", None, 70), Pipe("third", "3", "T33", 3)],
    outputs=OUT,
)
def table_join_chain(b: StreamsBuilder) -> None:
    """A joined table joined again (the second join reads the first through its getter)."""
    third = b.table("third")
    _joined(b, "left_join").outer_join(third, plus).join(
        third.map_values(str.lower), plus
    ).to_stream().to("out")


@scenario(
    inputs={**INPUTS, "third": S},
    steps=THIRD + JOIN_STEPS + [Pipe("third", "2", None, 70), Pipe("third", "3", "T33", 3)],
    outputs=OUT,
    stores=(StoreQuery("first", gets=("0", "2", "3")),),
)
def table_join_chain_in_memory(b: StreamsBuilder) -> None:
    """Kafka Streams' multi-cache-eviction chain, small: in-memory stores, a reduce as the
    first table, cached joins with named stores, a mapped result."""
    agg = (
        b.table("left", Materialized.as_(Stores.in_memory_key_value_store("left-base")))
        .group_by(lambda k, v: (k, v))
        .reduce(
            lambda a, v: a + v,
            lambda a, v: a,
            Materialized.as_(Stores.in_memory_key_value_store("agg-store")),
        )
    )
    right = b.table("right", Materialized.as_(Stores.in_memory_key_value_store("right-base")))
    third = b.table("third", Materialized.as_(Stores.in_memory_key_value_store("third-base")))
    eight = third.left_join(right.map_values(str.upper), plus)
    (
        agg.left_join(right, plus, Materialized.as_("first"))
        .left_join(eight, plus)
        .map_values(str.upper)
        .to_stream()
        .to("out")
    )


@scenario(
    inputs=INPUTS,
    steps=JOIN_STEPS,
    outputs={"out": SL},
)
def table_join_count_with_table(b: StreamsBuilder) -> None:
    """An aggregation (a count per right-hand value) joined with a source table."""
    counts = b.table("right").group_by(lambda k, v: (v[-1], v)).count()
    b.table("left").map_values(lambda v: v[-1]).join(counts, lambda v, n: n).to_stream().to(
        "out", value_serde=Serdes.Long()
    )


# KIP-914: out-of-order updates of versioned tables (older than the key's latest version)
VERSIONED_STEPS = [
    Pipe("left", "a", "L1", 10),
    Pipe("right", "a", "R1", 20),
    Pipe("left", "a", "L0", 5),  # out of order: ignored by the join
    Pipe("right", "a", "R0", 15),  # out of order: ignored by the join
    Pipe("left", "b", "L2", 30),
    Pipe("right", "b", "R2", 25),
    Pipe("left", "a", "L3", 40),
    Pipe("right", "b", None, 24),  # an out-of-order delete: ignored by the join
    Pipe("right", "b", None, 50),
    Pipe("left", "c", "L4", 60),
    Pipe("left", "a", None, 70),
]


def _versioned(b: StreamsBuilder, topic: str) -> Any:
    return b.table(
        topic, Materialized.as_(Stores.persistent_versioned_key_value_store(topic + "-v", 100))
    )


@scenario(inputs=INPUTS, steps=VERSIONED_STEPS, outputs={"out": S, "left-updates": S})
def table_join_versioned_sides(b: StreamsBuilder) -> None:
    """Both sides versioned: out-of-order updates are dropped (and counted) by the joins;
    ``to_stream`` of a versioned table still shows them."""
    left = _versioned(b, "left")
    left.to_stream().to("left-updates")
    left.outer_join(_versioned(b, "right"), plus).to_stream().to("out")


@scenario(inputs=INPUTS, steps=VERSIONED_STEPS, outputs=OUT)
def table_left_join_one_versioned_side(b: StreamsBuilder) -> None:
    """Only the right side versioned: only its out-of-order updates are ignored."""
    b.table("left").left_join(_versioned(b, "right"), plus).to_stream().to("out")


@scenario(
    inputs={**INPUTS, "third": S},
    steps=[
        Pipe("third", "a", "T", 0),
        Pipe("right", "a", "R1", 10),
        Pipe("left", "a", "L1", 50),
        Pipe("left", "a", "L2", 30),  # result at 30, older than the result at 50
        Pipe("right", "a", "R2", 60),
        Pipe("left", "a", "L3", 20),  # result at 60: the latest again
        Pipe("third", "a", "T2", 5),
    ],
    outputs={"out": S, "joined": S},
)
def table_join_versioned_result(b: StreamsBuilder) -> None:
    """A join materialized in a versioned store is a versioned table: a result older than the
    key's latest is still forwarded (``to_stream``) but the next join ignores it."""
    joined = b.table("left").join(
        b.table("right"),
        plus,
        Materialized.as_(Stores.persistent_versioned_key_value_store("joined-v", 1000)),
    )
    joined.to_stream().to("joined")
    joined.join(b.table("third"), plus).to_stream().to("out")


EVENT_STEPS = [
    *JOIN_STEPS[:12],
    Pipe("events", "0", "e1", 8),
    Pipe("events", "2", "e2", 9),
    Pipe("events", "9", "e3", 9),
    *JOIN_STEPS[12:20],
    Pipe("events", "0", "e4", 20),
    Pipe("events", "2", "e5", 21),
    Pipe("events", "3", "e6", 22),
    *JOIN_STEPS[20:],
    Pipe("events", "2", "e7", 80),
    Pipe("events", "3", "e8", 81),
]


@scenario(inputs={**INPUTS, "events": S}, steps=EVENT_STEPS, outputs={"out": S, "left-out": S})
def stream_joined_with_joined_tables(b: StreamsBuilder) -> None:
    """A stream looks keys up in joined tables: one unmaterialized (its value getter computes
    the row from both tables), one materialized (read from its store)."""
    from kstreams.dsl.stream_table_join import join_table

    left, right = _tables(b)
    computed = left.outer_join(right, plus)
    stored = left.join(right, plus, Materialized.as_("joined"))
    events = b.stream("events")
    join_table(events, computed, lambda v, t: v + "/" + t, None, left=False).to("out")
    join_table(events, stored, lambda v, t: v + "/" + js(t), None, left=True).to("left-out")


@scenario(inputs=INPUTS, steps=JOIN_STEPS, outputs=OUT)
def table_join_suppressed(b: StreamsBuilder) -> None:
    """A joined table suppressed by time limit: the buffer keeps each key's latest result."""
    from datetime import timedelta

    from kstreams.dsl.suppressed import BufferConfig, Suppressed

    _joined(b, "left_join").suppress(
        Suppressed.until_time_limit(timedelta(milliseconds=10), BufferConfig.unbounded())
    ).to_stream().to("out")
