"""KTable-KTable foreign-key joins; twins in ForeignKeyJoinScenarios.java.

Left values are ``"<value>|<foreign key>"`` (``"null"`` for a null foreign key), as in Kafka
Streams' KTableKTableForeignKeyJoinScenarioTest / IntegrationTest: subscriptions before and
after the foreign row exists, a foreign-key change to a missing and to an existing row, a
foreign delete, a left delete, deletes of what is not there, a null foreign key and back,
timestamps that go back (the result's timestamp is the larger of both rows').
"""

from __future__ import annotations

from typing import Any

from kstreams import Materialized, Serdes, StreamsBuilder, TableJoined

from ..harness import Pipe, StoreQuery
from .common import S, js
from .common import scenario as _scenario


def scenario(**data: Any) -> Any:
    """A scenario whose Java twin is in ``ForeignKeyJoinScenarios.java``."""
    return _scenario(java_class="ForeignKeyJoinScenarios", **data)


STEPS: list[Pipe] = [
    Pipe("lhs", "lhs1", "lhsValue1|rhs1", 1),
    Pipe("rhs", "rhs1", "rhsValue1", 2),
    Pipe("lhs", "lhs2", "lhsValue2|rhs1", 3),
    Pipe("lhs", "lhs3", "lhsValue3|rhs2", 4),
    Pipe("rhs", "rhs1", "rhsValue1b", 5),
    Pipe("lhs", "lhs1", "lhsValue1|rhs2", 6),
    Pipe("rhs", "rhs2", "rhsValue2", 7),
    Pipe("lhs", "lhs2", "lhsValue2b|rhs1", 3),
    Pipe("rhs", "rhs1", None, 9),
    Pipe("lhs", "lhs3", None, 10),
    Pipe("lhs", "lhs4", None, 11),
    Pipe("lhs", "lhs5", "lhsValue5|null", 12),
    Pipe("rhs", "rhs3", "rhsValue3", 13),
    Pipe("lhs", "lhs1", "lhsValue1|rhs2", 14),
    Pipe("rhs", "rhs2", "rhsValue2", 15),
    Pipe("lhs", "lhs5", "lhsValue5b|rhs2", 16),
    Pipe("rhs", "rhs9", None, 17),
    Pipe("lhs", "lhs1", None, 18),
    Pipe("lhs", "lhs6", "lhsValue6|rhs3", 19),
    Pipe("lhs", "lhs6", "lhsValue6|null", 20),
]

INPUTS = {"lhs": S, "rhs": S}
OUT = {"out": S}
KEYS = ("lhs1", "lhs2", "lhs3", "lhs5", "lhs6")


def fk(value: str) -> str | None:
    """The foreign key of a left value: after the ``|``; ``"null"`` is a null key."""
    key = value.split("|")[1]
    return None if key == "null" else key


def plus(a: Any, b: Any) -> str:
    return f"{js(a)}+{js(b)}"


def _tables(b: StreamsBuilder) -> tuple[Any, Any]:
    return b.table("lhs"), b.table("rhs")


@scenario(inputs=INPUTS, steps=STEPS, outputs=OUT)
def fk_inner_join(b: StreamsBuilder) -> None:
    left, right = _tables(b)
    left.join(right, fk, plus).to_stream().to("out")


@scenario(inputs=INPUTS, steps=STEPS, outputs=OUT)
def fk_left_join(b: StreamsBuilder) -> None:
    left, right = _tables(b)
    left.left_join(right, fk, plus).to_stream().to("out")


@scenario(inputs=INPUTS, steps=STEPS, outputs=OUT, stores=(StoreQuery("joined", gets=KEYS),))
def fk_inner_join_materialized(b: StreamsBuilder) -> None:
    left, right = _tables(b)
    left.join(right, fk, plus, Materialized.as_("joined")).to_stream().to("out")


@scenario(inputs=INPUTS, steps=STEPS, outputs=OUT, stores=(StoreQuery("joined", gets=KEYS),))
def fk_left_join_named_materialized_uncached(b: StreamsBuilder) -> None:
    """``TableJoined.as_`` names the processors, the subscription store and both topics."""
    left, right = _tables(b)
    left.left_join(
        right, fk, plus, TableJoined.as_("fk"), Materialized.as_("joined").with_caching_disabled()
    ).to_stream().to("out")


@scenario(inputs=INPUTS, steps=STEPS, outputs=OUT)
def fk_join_key_and_value_extractor(b: StreamsBuilder) -> None:
    """KIP-1104: the extractor takes the key and the value."""
    left, right = _tables(b)
    left.join(right, lambda k, v: None if k == "lhs2" else fk(v), plus).to_stream().to("out")


@scenario(inputs=INPUTS, steps=STEPS, outputs=OUT)
def fk_join_unnamed_materialized(b: StreamsBuilder) -> None:
    """A ``Materialized`` without a name: the result's store is named but not materialized."""
    left, right = _tables(b)
    left.left_join(
        right, fk, plus, Materialized.with_(Serdes.String(), Serdes.String())
    ).to_stream().to("out")


CHAIN_STEPS: list[Pipe] = [
    Pipe("categories", "c1", "Books", 1),
    Pipe("products", "p1", "Novel|c1", 2),
    Pipe("orders", "o1", "2|p1", 3),
    Pipe("orders", "o2", "1|p2", 4),
    Pipe("products", "p2", "Pen|c2", 5),
    Pipe("categories", "c2", "Office", 6),
    Pipe("categories", "c1", "Fiction", 7),
    Pipe("products", "p1", "Novel|c2", 8),
    Pipe("orders", "o1", "3|p2", 9),
    Pipe("products", "p2", None, 10),
    Pipe("categories", "c2", None, 11),
    Pipe("orders", "o2", None, 12),
]


@scenario(
    inputs={"orders": S, "products": S, "categories": S},
    steps=CHAIN_STEPS,
    outputs={"out": S, "with-products": S},
)
def fk_join_chained(b: StreamsBuilder) -> None:
    """orders → products → categories: an FK-joined table FK-joined again."""
    orders, products, categories = b.table("orders"), b.table("products"), b.table("categories")
    with_products = orders.join(products, fk, lambda o, p: f"{o}|{p}")
    with_products.to_stream().to("with-products")
    with_products.left_join(
        categories, lambda v: v.split("|")[3], plus, TableJoined.as_("category")
    ).to_stream().to("out")


RAW = ("ByteArray", "ByteArray")


@scenario(
    inputs=INPUTS,
    steps=STEPS,
    outputs={
        "out": S,
        "app-KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-0000000006-topic": RAW,
        "app-KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-0000000014-topic": RAW,
        "app-KTABLE-FK-JOIN-SUBSCRIPTION-STATE-STORE-0000000010-changelog": RAW,
    },
)
def fk_left_join_wire_format(b: StreamsBuilder) -> None:
    """The subscription and response topics and the subscription store's changelog, byte
    for byte: the wrappers' layouts, the Murmur3 hashes, the combined keys."""
    left, right = _tables(b)
    left.left_join(right, fk, plus).to_stream().to("out")


VERSIONED_STEPS: list[Pipe] = [
    *STEPS,
    Pipe("lhs", "lhs6", "lhsOld|rhs2", 5),  # out of order: a versioned table skips it
    Pipe("rhs", "rhs2", "rhsOld", 1),  # out of order on the foreign side
    Pipe("lhs", "lhs7", "lhsValue7|rhs2", 21),
]


@scenario(inputs=INPUTS, steps=VERSIONED_STEPS, outputs=OUT)
def fk_join_versioned_tables(b: StreamsBuilder) -> None:
    """KIP-914: out-of-order updates of versioned tables do not reach the join."""
    from kstreams.state import Stores

    def versioned(topic: str) -> Any:
        return b.table(
            topic,
            Materialized.as_(Stores.persistent_versioned_key_value_store(topic + "-v", 100)),
        )

    versioned("lhs").left_join(versioned("rhs"), fk, plus).to_stream().to("out")


@scenario(inputs=INPUTS, steps=VERSIONED_STEPS, outputs=OUT)
def fk_join_unversioned_tables_take_out_of_order_updates(b: StreamsBuilder) -> None:
    left, right = _tables(b)
    left.left_join(right, fk, plus).to_stream().to("out")


@scenario(inputs=INPUTS, steps=STEPS, outputs=OUT)
def fk_join_filtered_and_mapped_sides(b: StreamsBuilder) -> None:
    """Unmaterialized filter / map_values tables on both sides: their rows are computed
    through their parents' stores."""
    left = b.table("lhs").filter(lambda k, v: not v.startswith("lhsValue2"))
    right = b.table("rhs").map_values(str.upper)
    left.join(right, fk, plus).to_stream().to("out")


@scenario(
    inputs=INPUTS,
    steps=STEPS,
    outputs={"out": ("String", "Long"), "joined": S},
    stores=(StoreQuery("per-foreign", "String", "Long", gets=("rhs1", "rhs2", "rhs3")),),
)
def fk_join_group_by_count(b: StreamsBuilder) -> None:
    """A downstream group_by asks the joined table for old values."""
    left, right = _tables(b)
    joined = left.left_join(right, fk, plus)
    joined.to_stream().to("joined")
    joined.group_by(lambda k, v: (v.split("|")[1].split("+")[0], k)).count(
        Materialized.as_("per-foreign")
    ).to_stream().to("out", value_serde=Serdes.Long())
