"""KTable-KTable joins beyond Kafka Streams' own test classes: results that are tables again
(regrouped with a subtractor, joined again, filtered), joiners that mutate what they get, and
the errors a wrong call gets."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kstreams import Grouped, Materialized, Named, Serdes, StreamsBuilder
from kstreams.testing import TopologyTestDriver

CONFIG = {
    "application.id": "tt-join-semantics",
    "default.key.serde": Serdes.String,
    "default.value.serde": Serdes.JSON,
}

# orders (order id -> {"customer", "amount"}) and order statuses (order id -> {"status"})
STEPS: list[tuple[str, str | None, Any, int]] = [
    ("orders", "o1", {"region": "EU", "amount": 10}, 1),
    ("orders", "o2", {"region": "EU", "amount": 5}, 2),
    ("status", "o1", {"status": "paid"}, 3),
    ("orders", "o3", {"region": "US", "amount": 7}, 4),
    ("status", "o3", {"status": "paid"}, 5),
    ("orders", "o1", {"region": "US", "amount": 10}, 6),  # moves region
    ("status", "o2", {"status": "open"}, 7),
    ("orders", "o2", {"region": "EU", "amount": 8}, 8),  # same region, new amount
    ("status", "o1", None, 9),  # status deleted
    ("orders", "o3", None, 10),  # order deleted
    ("status", "o9", {"status": "paid"}, 11),  # no such order
    ("orders", None, {"region": "EU", "amount": 1}, 12),  # null key: dropped, counted
]


def pure(order: Any, status: Any) -> dict[str, Any]:
    return {**(order or {}), "status": None if status is None else status["status"]}


def mutating_left(order: Any, status: Any) -> Any:
    """Changes the row it was given and returns it."""
    if order is None:
        return {"status": status["status"]}
    order["status"] = None if status is None else status["status"]
    return order


def mutating_right(order: Any, status: Any) -> Any:
    """Writes into the other table's row and returns that."""
    if status is None:
        return {**order, "status": None}
    status.update(order or {})
    return status


def _region_totals(b: StreamsBuilder, joined: Any, store_type: str) -> None:
    joined.to_stream().to("joined")
    (
        joined.group_by(
            lambda k, v: (v.get("region", "none"), v),
            Grouped.with_(Serdes.String(), Serdes.JSON()),
        )
        .aggregate(
            lambda: 0,
            lambda k, v, agg: agg + v.get("amount", 0),
            lambda k, v, agg: agg - v.get("amount", 0),
            Materialized.with_(Serdes.String(), Serdes.Long()).with_store_type(store_type),
        )
        .to_stream()
        .to("totals", value_serde=Serdes.Long())
    )


def _run(
    how: str, joiner: Any, materialized: Materialized | None = None, store_type: str = "rocksdb"
) -> tuple[list[Any], list[Any], float]:
    b = StreamsBuilder()
    orders = b.table("orders", Materialized.as_("orders").with_store_type(store_type))
    status = b.table("status", Materialized.as_("status").with_store_type(store_type))
    args = () if materialized is None else (materialized.with_store_type(store_type),)
    _region_totals(b, getattr(orders, how)(status, joiner, *args), store_type)
    with TopologyTestDriver(b.build(), CONFIG) as driver:
        topics = {
            t: driver.create_input_topic(t, Serdes.String(), Serdes.JSON())
            for t in ("orders", "status")
        }
        for topic, key, value, ts in STEPS:
            topics[topic].pipe_input(key, copy.deepcopy(value), ts)
        joined = [
            (r.key, r.value, r.timestamp)
            for r in driver.create_output_topic(
                "joined", Serdes.String(), Serdes.JSON()
            ).read_records_to_list()
        ]
        totals = [
            (r.key, r.value, r.timestamp)
            for r in driver.create_output_topic(
                "totals", Serdes.String(), Serdes.Long()
            ).read_records_to_list()
        ]
        dropped = driver.metrics()["dropped-records-total"]
    return joined, totals, dropped


def test_left_join_regrouped_with_subtractor() -> None:
    """The aggregation subtracts each order's previous joined row: old values are right."""
    joined, totals, dropped = _run("left_join", pure)
    assert joined == [
        ("o1", {"region": "EU", "amount": 10, "status": None}, 1),
        ("o2", {"region": "EU", "amount": 5, "status": None}, 2),
        ("o1", {"region": "EU", "amount": 10, "status": "paid"}, 3),
        ("o3", {"region": "US", "amount": 7, "status": None}, 4),
        ("o3", {"region": "US", "amount": 7, "status": "paid"}, 5),
        ("o1", {"region": "US", "amount": 10, "status": "paid"}, 6),
        ("o2", {"region": "EU", "amount": 5, "status": "open"}, 7),
        ("o2", {"region": "EU", "amount": 8, "status": "open"}, 8),
        ("o1", {"region": "US", "amount": 10, "status": None}, 9),
        ("o3", None, 10),
    ]
    # the last total of each region after each update
    assert totals[-1] == ("US", 10, 10)
    final = {}
    for region, total, _ in totals:
        final[region] = total
    assert final == {"EU": 8, "US": 10}
    assert dropped == 1


@pytest.mark.parametrize(
    ("how", "store_type"),
    [
        ("join", "in_memory"),
        ("left_join", "in_memory"),
        ("outer_join", "in_memory"),
        ("left_join", "rocksdb"),
    ],
)
@pytest.mark.parametrize("joiner", [mutating_left, mutating_right], ids=["left", "right"])
def test_mutating_joiners_give_what_pure_ones_give(how: str, store_type: str, joiner: Any) -> None:
    """A joiner that changes the rows it is given (and returns one of them) does not change
    the tables, the old results or the aggregation downstream: with the result unmaterialized,
    materialized with a record cache and without."""

    def pure_outer(order: Any, status: Any) -> Any:
        if order is None:
            return {"status": status["status"]}
        return pure(order, status)

    def pure_right(order: Any, status: Any) -> Any:
        if status is None:
            return {**order, "status": None}
        return {**status, **(order or {})}

    reference = pure_right if joiner is mutating_right else pure_outer
    m = Materialized.as_("joined")
    for materialized in (None, m, m.with_caching_disabled()):
        got = _run(how, joiner, materialized, store_type)
        assert got == _run(how, reference, materialized, store_type)


def test_joined_table_joined_again_filtered_and_mapped() -> None:
    """A joined table is a KTable: its value getter (the join computed from both tables)
    serves the next join; filter and map_values work on it."""
    b = StreamsBuilder()
    orders = b.table("orders")
    status = b.table("status")
    notes = b.table("notes")
    first = orders.left_join(status, pure)
    second = (
        first.filter(lambda k, v: v["status"] is not None)
        .join(notes, lambda v, note: {**v, "note": note["text"]})
        .map_values(lambda v: f"{v['status']}: {v['note']}")
    )
    second.to_stream().to("out", value_serde=Serdes.String())
    with TopologyTestDriver(b.build(), CONFIG) as driver:
        topics = {
            t: driver.create_input_topic(t, Serdes.String(), Serdes.JSON())
            for t in ("orders", "status", "notes")
        }
        topics["notes"].pipe_input("o1", {"text": "gift"}, 0)
        for topic, key, value, ts in STEPS[:6]:
            topics[topic].pipe_input(key, value, ts)
        topics["notes"].pipe_input("o3", {"text": "rush"}, 20)
        topics["notes"].pipe_input("o2", {"text": "late"}, 21)
        out = driver.create_output_topic("out", Serdes.String(), Serdes.String())
        got = [(r.key, r.value, r.timestamp) for r in out.read_records_to_list()]
    assert got == [
        ("o1", "paid: gift", 3),
        ("o1", "paid: gift", 6),
        ("o3", "paid: rush", 20),
    ]


def test_self_join() -> None:
    b = StreamsBuilder()
    t = b.table("orders")
    t.join(t, lambda a, b_: a["amount"] + b_["amount"]).to_stream().to(
        "out", value_serde=Serdes.Long()
    )
    with TopologyTestDriver(b.build(), CONFIG) as driver:
        driver.create_input_topic("orders", Serdes.String(), Serdes.JSON()).pipe_input(
            "o1", {"amount": 4}, 1
        )
        out = driver.create_output_topic("out", Serdes.String(), Serdes.Long())
        assert [(r.key, r.value) for r in out.read_records_to_list()] == [("o1", 8), ("o1", 8)]


def _tables() -> tuple[Any, Any]:
    b = StreamsBuilder()
    return b.table("orders"), b.table("status")


def test_joiner_must_take_two_arguments() -> None:
    orders, status = _tables()
    with pytest.raises(TypeError, match="two arguments"):
        orders.join(status, lambda k, v1, v2: v1)
    with pytest.raises(TypeError, match="joiner must be a function"):
        orders.join(status, "not a joiner")  # type: ignore[arg-type]


def test_other_must_be_a_table_of_the_same_builder() -> None:
    orders, status = _tables()
    with pytest.raises(TypeError, match="other must be a KTable"):
        orders.join(status.to_stream(), pure)  # type: ignore[arg-type]
    other_builder_table = StreamsBuilder().table("x")
    with pytest.raises(TypeError, match="different StreamsBuilders"):
        orders.left_join(other_builder_table, pure)


def test_foreign_key_form_is_a_foreign_key_join_and_outer_join_has_none() -> None:
    orders, status = _tables()
    joined = orders.join(status, lambda v: v["customer"], pure)
    assert joined.name.startswith("KTABLE-FK-JOIN-OUTPUT-")
    with pytest.raises(TypeError, match="outer_join has no foreign-key form"):
        orders.outer_join(status, lambda v: v["customer"], pure)  # type: ignore[arg-type]


def test_named_or_materialized_in_either_position() -> None:
    orders, status = _tables()
    joined = orders.outer_join(status, pure, Materialized.as_("j-store"), Named.as_("j"))
    assert joined.name == "j"
    assert joined.queryable_store_name == "j-store"
    unmaterialized = orders.join(status, pure, "plain")
    assert unmaterialized.name == "plain"
    assert unmaterialized.queryable_store_name is None


class _AsChange:
    """A user processor turning each record into a table update (key mapped by ``rekey``)."""

    def __init__(self, rekey: Any, latest: bool = True) -> None:
        self.rekey = rekey
        self.latest = latest

    def init(self, context: Any) -> None:
        self.context = context

    def process(self, record: Any) -> None:
        from kstreams.processor.change import Change

        self.context.forward(
            record.with_key(self.rekey(record.key)).with_value(
                Change(record.value, None, self.latest)
            )
        )

    def close(self) -> None:
        pass


def _processor_topology(rekey: Any, latest: bool, versioned: bool) -> Any:
    """in -> _AsChange -> the join processor, reading the other table's store ``other``."""
    from kstreams.processor.table_table_join import INNER, KTableKTableJoinProcessor
    from kstreams.processor.value_getters import StoreValueGetterSupplier
    from kstreams.state import Stores
    from kstreams.topology.topology import Topology

    topology = Topology()
    topology.add_source("src", "in", key_serde=Serdes.String(), value_serde=Serdes.String())
    topology.add_processor("as-change", lambda: _AsChange(rekey, latest), "src")
    topology.add_processor(
        "join",
        lambda: KTableKTableJoinProcessor(
            INNER, lambda a, b: a + b, StoreValueGetterSupplier("other"), versioned=versioned
        ),
        "as-change",
    )
    topology.add_state_store(
        Stores.timestamped_key_value_store_builder(
            Stores.in_memory_key_value_store("other"), Serdes.String(), Serdes.String()
        ),
        "join",
    )
    return topology


def test_null_key_is_dropped_logged_and_counted(caplog: pytest.LogCaptureFixture) -> None:
    """Java's shouldLogAndMeterSkippedRecordsDueToNullLeftKey."""
    import logging

    topology = _processor_topology(lambda k: None, True, False)
    with (
        caplog.at_level(logging.WARNING, logger="kstreams.processor.table_table_join"),
        TopologyTestDriver(topology, CONFIG) as driver,
    ):
        driver.create_input_topic("in", Serdes.String(), Serdes.String()).pipe_input("k", "v", 1)
        assert driver.metrics()["dropped-records-total"] == 1
    assert "join: Skipping record due to null key. topic=[in] partition=[0] offset=[0]" in (
        caplog.text
    )


@pytest.mark.parametrize("versioned", [False, True])
def test_out_of_order_updates_of_a_versioned_side(versioned: bool) -> None:
    """With versioned semantics (KIP-914) an update that is not the key's latest is dropped."""
    topology = _processor_topology(lambda k: k, False, versioned)
    with TopologyTestDriver(topology, CONFIG) as driver:
        from kstreams.state import ValueAndTimestamp

        driver.get_timestamped_key_value_store("other").put("k", ValueAndTimestamp("o", 5))
        driver.create_input_topic("in", Serdes.String(), Serdes.String()).pipe_input("k", "v", 1)
        assert driver.metrics()["dropped-records-total"] == (1 if versioned else 0)
