"""GlobalKTables and KStream-GlobalKTable joins; twins in GlobalTableScenarios.java.

Kafka Streams' KStreamGlobalKTableJoinTest / KStreamGlobalKTableLeftJoinTest as data: the
stream's values are ``"X<i>,FKey<i>"`` and the key mapper takes the part after the comma as the
global table's key (None without a comma), so the stream and the table share no key and no
partitioning. Lookups happen at processing time (table updates trigger nothing), deletes,
a None mapped key (the inner join drops it, counted; the left join joins it with None), a
None stream key with a valid mapped key (joins), a None value (dropped by both). Also: the
describe() of the global sub-topology and its numbering, named stores and sources, a
re-keyed stream joined without a repartition (and repartitioned by a later aggregation),
and the global store's content after updates and deletes.
"""

from __future__ import annotations

from typing import Any

from kstreams import Consumed, Materialized, Serdes, StreamsBuilder
from kstreams.dsl.options import Named

from ..harness import Pipe, Step, StoreQuery
from .common import S, js
from .common import scenario as _scenario

IS = ("Integer", "String")


def scenario(**data: Any) -> Any:
    """A scenario whose Java twin is in ``GlobalTableScenarios.java``."""
    return _scenario(java_class="GlobalTableScenarios", **data)


def joiner(value: Any, other: Any) -> str:
    """Java's ``MockValueJoiner.TOSTRING_JOINER``: ``value1 + "+" + value2``."""
    return f"{js(value)}+{js(other)}"


def key_mapper(key: Any, value: str | None) -> str | None:
    """KStreamGlobalKTableJoinTest's key mapper: the second comma-separated token, or None
    (also for a None value: Kafka Streams calls the mapper before dropping a None value)."""
    if value is None:
        return None
    tokens = value.split(",")
    return tokens[1] if len(tokens) > 1 else None


def _stream(n: int, ts0: int, prefix: str = "X") -> list[Step]:
    return [Pipe("stream", i, f"{prefix}{i},FKey{i}", ts0 + i) for i in range(n)]


def _global(prefix: str, n: int, ts: int) -> list[Step]:
    return [Pipe("global", f"FKey{i}", f"{prefix}{i}", ts + i) for i in range(n)]


STEPS: list[Step] = [
    *_stream(2, 0),  # empty global table: the left join only
    *_global("Y", 2, 10),  # global table updates join nothing
    *_stream(4, 2),  # FKey0, FKey1 join
    *_global("YY", 4, 20),
    *_stream(4, 6),  # all four join
    Pipe("global", "FKey0", None, 30),  # deletes
    Pipe("global", "FKey1", None, 31),
    *_stream(4, 40, "XX"),  # 2 and 3 join
    Pipe("stream", 5, "no-comma", 50),  # None mapped key: inner drops (counted), left joins None
    Pipe("stream", None, "N,FKey2", 51),  # None stream key, valid mapped key: joins
    Pipe("stream", None, "no-comma", 52),  # None key and None mapped key
    Pipe("stream", 2, None, 53),  # None value: dropped by both
    Pipe("stream", 3, "late,FKey3", 1),  # out of order: joins the table as it is now
]

INPUTS = {"stream": IS, "global": S}
OUT = {"out": IS}
GLOBAL_STORE = StoreQuery("global-store", gets=("FKey0", "FKey2", "FKey9"))


@scenario(inputs=INPUTS, steps=STEPS, outputs=OUT)
def global_table_inner_join(b: StreamsBuilder) -> None:
    stream = b.stream("stream", Consumed.with_(Serdes.Integer(), Serdes.String()))
    table = b.global_table("global", Consumed.with_(Serdes.String(), Serdes.String()))
    stream.join(table, key_mapper, joiner).to("out")


@scenario(inputs=INPUTS, steps=STEPS, outputs=OUT)
def global_table_left_join(b: StreamsBuilder) -> None:
    stream = b.stream("stream", Consumed.with_(Serdes.Integer(), Serdes.String()))
    table = b.global_table("global", Consumed.with_(Serdes.String(), Serdes.String()))
    stream.left_join(table, key_mapper, joiner).to("out")


@scenario(inputs=INPUTS, steps=STEPS, outputs=OUT, stores=(GLOBAL_STORE,))
def global_table_named_join_with_key(b: StreamsBuilder) -> None:
    """A global table built after the stream (numbered after it), a named Materialized store
    and named Consumed source, a joiner with key and a Named join."""
    stream = b.stream("stream", Consumed.with_(Serdes.Integer(), Serdes.String()))
    table = b.global_table(
        "global",
        Consumed.with_(Serdes.String(), Serdes.String()).with_name("global-source"),
        Materialized.as_("global-store"),
    )
    stream.left_join(
        table, key_mapper, lambda k, v, g: f"{js(k)}:{js(v)}+{js(g)}", named=Named.as_("my-join")
    ).to("out")


@scenario(
    inputs={"stream": IS, "global": S, "table": S},
    steps=[
        Pipe("table", "FKey1", "T1", 0),
        *_global("G", 3, 1),
        *_stream(3, 10),
        Pipe("global", "FKey1", "G1b", 20),
        *_stream(3, 30),
    ],
    outputs={"out": S, "counts": ("String", "Long")},
    stores=(StoreQuery("global-in-memory", gets=("FKey0", "FKey1")),),
)
def global_table_rekeyed_stream(b: StreamsBuilder) -> None:
    """A re-keyed stream joins a global table with no repartition; a later count of it
    does repartition; two global tables (one in memory) and a KTable in one topology."""
    table = b.table("table", Consumed.with_(Serdes.String(), Serdes.String()))
    stream = b.stream("stream", Consumed.with_(Serdes.Integer(), Serdes.String()))
    g = b.global_table(
        "global",
        Consumed.with_(Serdes.String(), Serdes.String()),
        Materialized.as_("global-in-memory").with_store_type("in_memory"),
    )
    rekeyed = stream.select_key(lambda k, v: v.split(",")[1])
    joined = rekeyed.join(g, lambda k, v: k, joiner)
    joined.left_join(table, joiner).to("out")
    joined.group_by_key().count().to_stream().to(
        "counts", key_serde=Serdes.String(), value_serde=Serdes.Long()
    )
