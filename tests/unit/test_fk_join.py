"""KTable-KTable foreign-key joins through the TopologyTestDriver: Kafka Streams'
KTableKTableForeignKeyJoinScenarioTest / IntegrationTest cases as data (the expected records
are Java's, checked in tests/differential/scenarios/fk_joins.py), stale responses, mutating
joiners, partitioners, default serdes and the errors of the API."""

from __future__ import annotations

from typing import Any

import pytest

from kstreams import Materialized, Serdes, StreamsBuilder, TableJoined
from kstreams.serde.fk_join import SubscriptionResponseWrapper, SubscriptionResponseWrapperSerde
from kstreams.testing import TopologyTestDriver

CONFIG = {
    "application.id": "app",
    "default.key.serde": Serdes.String,
    "default.value.serde": Serdes.String,
}

# (topic, key, value, timestamp); left values are "<value>|<foreign key>"
STEPS: list[tuple[str, str, str | None, int]] = [
    ("lhs", "lhs1", "lhsValue1|rhs1", 1),
    ("rhs", "rhs1", "rhsValue1", 2),
    ("lhs", "lhs2", "lhsValue2|rhs1", 3),
    ("lhs", "lhs3", "lhsValue3|rhs2", 4),
    ("rhs", "rhs1", "rhsValue1b", 5),
    ("lhs", "lhs1", "lhsValue1|rhs2", 6),  # foreign key changes to a missing row
    ("rhs", "rhs2", "rhsValue2", 7),
    ("lhs", "lhs2", "lhsValue2b|rhs1", 3),  # same foreign key, older timestamp
    ("rhs", "rhs1", None, 9),  # foreign delete
    ("lhs", "lhs3", None, 10),  # left delete
    ("lhs", "lhs4", None, 11),  # delete of nothing
    ("lhs", "lhs5", "lhsValue5|null", 12),  # null foreign key
    ("rhs", "rhs3", "rhsValue3", 13),  # no subscribers
    ("lhs", "lhs1", "lhsValue1|rhs2", 14),
    ("rhs", "rhs2", "rhsValue2", 15),
    ("lhs", "lhs5", "lhsValue5b|rhs2", 16),  # null foreign key to a real one
    ("rhs", "rhs9", None, 17),
    ("lhs", "lhs1", None, 18),
    ("lhs", "lhs6", "lhsValue6|rhs3", 19),
    ("lhs", "lhs6", "lhsValue6|null", 20),  # a real foreign key to null
]

INNER = [
    ("lhs1", "lhsValue1|rhs1+rhsValue1", 2),
    ("lhs2", "lhsValue2|rhs1+rhsValue1", 3),
    ("lhs1", "lhsValue1|rhs1+rhsValue1b", 5),
    ("lhs2", "lhsValue2|rhs1+rhsValue1b", 5),
    ("lhs1", None, 6),
    ("lhs1", "lhsValue1|rhs2+rhsValue2", 7),
    ("lhs3", "lhsValue3|rhs2+rhsValue2", 7),
    ("lhs2", "lhsValue2b|rhs1+rhsValue1b", 5),
    ("lhs2", None, 9),
    ("lhs3", None, 10),
    ("lhs1", "lhsValue1|rhs2+rhsValue2", 14),
    ("lhs1", "lhsValue1|rhs2+rhsValue2", 15),
    ("lhs5", "lhsValue5b|rhs2+rhsValue2", 16),
    ("lhs1", None, 18),
    ("lhs6", "lhsValue6|rhs3+rhsValue3", 19),
    ("lhs6", None, 20),
]

LEFT = [
    ("lhs1", "lhsValue1|rhs1+null", 1),
    ("lhs1", "lhsValue1|rhs1+rhsValue1", 2),
    ("lhs2", "lhsValue2|rhs1+rhsValue1", 3),
    ("lhs3", "lhsValue3|rhs2+null", 4),
    ("lhs1", "lhsValue1|rhs1+rhsValue1b", 5),
    ("lhs2", "lhsValue2|rhs1+rhsValue1b", 5),
    ("lhs1", "lhsValue1|rhs2+null", 6),
    ("lhs1", "lhsValue1|rhs2+rhsValue2", 7),
    ("lhs3", "lhsValue3|rhs2+rhsValue2", 7),
    ("lhs2", "lhsValue2b|rhs1+rhsValue1b", 5),
    ("lhs2", "lhsValue2b|rhs1+null", 9),
    ("lhs3", None, 10),
    ("lhs5", "lhsValue5|null+null", 12),
    ("lhs1", "lhsValue1|rhs2+rhsValue2", 14),
    ("lhs1", "lhsValue1|rhs2+rhsValue2", 15),
    ("lhs5", "lhsValue5b|rhs2+rhsValue2", 16),
    ("lhs1", None, 18),
    ("lhs6", "lhsValue6|rhs3+rhsValue3", 19),
    ("lhs6", "lhsValue6|null+null", 20),
]


def fk(value: str) -> str | None:
    key = value.split("|")[1]
    return None if key == "null" else key


def plus(a: Any, b: Any) -> str:
    return f"{'null' if a is None else a}+{'null' if b is None else b}"


def run(build: Any, steps: Any = STEPS, config: Any = None, stores: tuple[str, ...] = ()) -> Any:
    b = StreamsBuilder()
    build(b)
    with TopologyTestDriver(b.build(), {**CONFIG, **(config or {})}) as driver:
        topics = {t: driver.create_input_topic(t) for t in {s[0] for s in steps}}
        for topic, key, value, ts in steps:
            topics[topic].pipe_input(key, value, timestamp=ts)
        out = [
            (r.key, r.value, r.timestamp)
            for r in driver.create_output_topic("out").read_records_to_list()
        ]
        contents = {name: dict(driver.get_key_value_store(name).all()) for name in stores}
    return out, contents


def test_inner_join_follows_foreign_key_changes_and_deletes() -> None:
    def build(b: StreamsBuilder) -> None:
        b.table("lhs").join(b.table("rhs"), fk, plus).to_stream().to("out")

    assert run(build)[0] == INNER


def test_left_join_emits_value_with_none_for_a_missing_or_null_foreign_row() -> None:
    def build(b: StreamsBuilder) -> None:
        b.table("lhs").left_join(b.table("rhs"), fk, plus).to_stream().to("out")

    assert run(build)[0] == LEFT


@pytest.mark.parametrize("how, expected", [("join", INNER), ("left_join", LEFT)])
def test_materialized_result_is_queryable(how: str, expected: Any) -> None:
    def build(b: StreamsBuilder) -> None:
        joined = getattr(b.table("lhs"), how)(b.table("rhs"), fk, plus, Materialized.as_("joined"))
        assert joined.queryable_store_name == "joined"
        joined.to_stream().to("out")

    out, stores = run(build, stores=("joined",))
    assert out == expected
    latest: dict[str, Any] = {}
    for key, value, _ in expected:
        latest[key] = value
    assert stores["joined"] == {k: v for k, v in latest.items() if v is not None}


def test_key_and_value_extractor() -> None:
    """KIP-1104: a two-argument extractor gets the key too."""
    seen: list[tuple[str, str]] = []

    def extractor(key: str, value: str) -> str | None:
        seen.append((key, value))
        return fk(value)

    def build(b: StreamsBuilder) -> None:
        b.table("lhs").join(b.table("rhs"), extractor, plus).to_stream().to("out")

    assert run(build)[0] == INNER
    assert ("lhs1", "lhsValue1|rhs1") in seen


def test_table_joined_names_nodes_store_and_topics() -> None:
    b = StreamsBuilder()
    b.table("lhs").left_join(b.table("rhs"), fk, plus, TableJoined.as_("fk")).to_stream().to("out")
    text = str(b.build().describe())
    for name in (
        "fk-subscription-registration-processor",
        "fk-subscription-registration-sink",
        "fk-subscription-registration-source",
        "fk-subscription-receive",
        "fk-subscription-store",
        "fk-subscription-join-foreign",
        "fk-foreign-join-subscription",
        "fk-subscription-response-sink",
        "fk-subscription-response-source",
        "fk-subscription-response-resolver",
        "fk-result",
        "topics: [fk-subscription-registration-topic]",
        "topic: fk-subscription-response-topic",
    ):
        assert name in text, name


def test_internal_topics_are_named_as_kafka_streams_names_them() -> None:
    b = StreamsBuilder()
    b.table("lhs").join(b.table("rhs"), fk, plus).to_stream().to("out")
    topology = b.build()
    assert sorted(topology.internal_topics) == [
        "KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-0000000006-topic",
        "KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-0000000014-topic",
    ]
    assert "KTABLE-FK-JOIN-SUBSCRIPTION-STATE-STORE-0000000010" in topology.state_stores


def test_stale_response_is_dropped_by_the_hash_check() -> None:
    """A response whose hash is not that of the current left value is discarded (a
    response to a subscription made for an older value), and counted as dropped."""
    b = StreamsBuilder()
    b.table("lhs").left_join(b.table("rhs"), fk, plus).to_stream().to("out")
    response_topic = "app-KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-0000000014-topic"
    with TopologyTestDriver(b.build(), CONFIG) as driver:
        lhs = driver.create_input_topic("lhs")
        out = driver.create_output_topic("out")
        lhs.pipe_input("lhs1", "v1|rhs1", timestamp=1)
        assert [(r.key, r.value) for r in out.read_records_to_list()] == [("lhs1", "v1|rhs1+null")]
        serde = SubscriptionResponseWrapperSerde(Serdes.String())
        raw = driver.create_input_topic(response_topic, Serdes.String(), Serdes.ByteArray())
        stale = serde.serialize(response_topic, SubscriptionResponseWrapper((1, 2), "late"))
        raw.pipe_input("lhs1", stale, timestamp=2)
        assert out.read_records_to_list() == []
        from kstreams.serde.murmur3 import hash128

        current = serde.serialize(
            response_topic, SubscriptionResponseWrapper(hash128(b"v1|rhs1"), "fresh")
        )
        raw.pipe_input("lhs1", current, timestamp=3)
        assert [(r.key, r.value) for r in out.read_records_to_list()] == [("lhs1", "v1|rhs1+fresh")]


def test_mutating_joiner_does_not_break_later_results() -> None:
    """A joiner that mutates the left value (a dict, in place) must not change what the
    table holds: later responses still pass the hash check and see the stored row."""

    def joiner(order: dict[str, Any], product: dict[str, Any] | None) -> dict[str, Any]:
        order["product"] = product
        order.pop("product_id")
        return order

    def build(b: StreamsBuilder) -> None:
        orders = b.table("orders", value_serde=Serdes.JSON())
        products = b.table("products", value_serde=Serdes.JSON())
        orders.left_join(products, lambda o: o["product_id"], joiner).to_stream().to(
            "out", value_serde=Serdes.JSON()
        )

    b = StreamsBuilder()
    build(b)
    with TopologyTestDriver(b.build(), CONFIG) as driver:
        orders = driver.create_input_topic("orders", Serdes.String(), Serdes.JSON())
        products = driver.create_input_topic("products", Serdes.String(), Serdes.JSON())
        out = driver.create_output_topic("out", Serdes.String(), Serdes.JSON())
        orders.pipe_input("o1", {"product_id": "p1", "n": 1}, timestamp=1)
        products.pipe_input("p1", {"name": "pen"}, timestamp=2)
        products.pipe_input("p1", {"name": "ink"}, timestamp=3)
        got = [(r.key, r.value, r.timestamp) for r in out.read_records_to_list()]
    assert got == [
        ("o1", {"n": 1, "product": None}, 1),
        ("o1", {"n": 1, "product": {"name": "pen"}}, 2),
        ("o1", {"n": 1, "product": {"name": "ink"}}, 3),
    ]


def test_chained_joins_orders_products_categories() -> None:
    steps = [
        ("categories", "c1", "Books", 1),
        ("products", "p1", "Novel|c1", 2),
        ("orders", "o1", "2|p1", 3),
        ("categories", "c1", "Fiction", 4),
        ("products", "p1", "Novel|c2", 5),
        ("categories", "c2", "Office", 6),
        ("orders", "o1", None, 7),
    ]

    def build(b: StreamsBuilder) -> None:
        with_products = b.table("orders").join(b.table("products"), fk, lambda o, p: f"{o}|{p}")
        with_products.left_join(
            b.table("categories"), lambda v: v.split("|")[3], plus
        ).to_stream().to("out")

    assert run(build, steps)[0] == [
        ("o1", "2|p1|Novel|c1+Books", 3),
        ("o1", "2|p1|Novel|c1+Fiction", 4),
        ("o1", "2|p1|Novel|c2+null", 5),
        ("o1", "2|p1|Novel|c2+Office", 6),
        ("o1", None, 7),
    ]


def test_table_joined_partitioners_are_called_without_a_value() -> None:
    calls: list[tuple[str, Any, Any, int]] = []

    def partitioner(topic: str, key: Any, value: Any, n: int) -> int:
        calls.append((topic, key, value, n))
        return 0

    def build(b: StreamsBuilder) -> None:
        b.table("lhs").join(
            b.table("rhs"), fk, plus, TableJoined.with_(partitioner, partitioner)
        ).to_stream().to("out")

    assert run(build, STEPS[:3])[0] == INNER[:2]
    topics = {c[0] for c in calls}
    assert topics == {
        "app-KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-0000000006-topic",
        "app-KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-0000000014-topic",
    }
    assert all(value is None for _, _, value, _ in calls)


def test_default_serdes_come_from_the_config() -> None:
    """No serde anywhere: the wrappers' inner serdes are the configured defaults."""

    def build(b: StreamsBuilder) -> None:
        b.table("lhs").join(
            b.table("rhs"), lambda v: v % 10, lambda a, c: a * 1000 + c
        ).to_stream().to("out")

    steps = [("rhs", 3, 7, 1), ("lhs", 1, 13, 2), ("lhs", 2, 23, 3), ("rhs", 3, 8, 4)]
    config = {"default.key.serde": Serdes.Long, "default.value.serde": Serdes.Long}
    assert run(build, steps, config)[0] == [
        (1, 13007, 2),
        (2, 23007, 3),
        (1, 13008, 4),
        (2, 23008, 4),
    ]


def test_primary_key_join_still_works_next_to_the_fk_form() -> None:
    def build(b: StreamsBuilder) -> None:
        b.table("lhs").join(b.table("rhs"), plus, Materialized.as_("pk")).to_stream().to("out")

    steps = [("lhs", "k", "a", 1), ("rhs", "k", "b", 2)]
    assert run(build, steps)[0] == [("k", "a+b", 2)]


def test_errors_name_the_problem() -> None:
    b = StreamsBuilder()
    left, right = b.table("lhs"), b.table("rhs")
    with pytest.raises(TypeError, match="foreign_key_extractor takes the value"):
        left.join(right, lambda a, b, c: a, plus)
    with pytest.raises(TypeError, match="joiner"):
        left.join(right, fk, lambda a: a)
    with pytest.raises(TypeError, match="other must be a KTable"):
        left.join("rhs", fk, plus)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="TableJoined"):
        left.join(right, fk, plus, 42)
    with pytest.raises(TypeError, match="TableJoined partitioner"):
        TableJoined.with_("nope", None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="non-empty string"):
        TableJoined.as_("")


def test_keyword_forms() -> None:
    def build(b: StreamsBuilder) -> None:
        b.table("lhs").join(
            b.table("rhs"),
            joiner=plus,
            foreign_key_extractor=fk,
            table_joined=TableJoined.as_("kw"),
            materialized=Materialized.as_("joined"),
        ).to_stream().to("out")

    out, stores = run(build, stores=("joined",))
    assert out == INNER
    assert stores["joined"]["lhs5"] == "lhsValue5b|rhs2+rhsValue2"
    b = StreamsBuilder()
    with pytest.raises(TypeError, match="belong to the foreign-key form"):
        b.table("lhs").left_join(b.table("rhs"), plus, table_joined=TableJoined.as_("x"))
