"""The subscriptions a left-table update sends, as Kafka Streams 4.4's
SubscriptionSendProcessorSupplierTest checks them: read from the subscription-registration
topic of the TopologyTestDriver and decoded with the wire format (the bytes themselves are
checked against Java in tests/differential/scenarios/fk_joins.py)."""

from __future__ import annotations

from typing import Any

import pytest

from kstreams import Serdes, StreamsBuilder
from kstreams.serde.fk_join import Instruction, SubscriptionWrapperSerde
from kstreams.serde.murmur3 import hash128
from kstreams.testing import TopologyTestDriver

CONFIG = {
    "application.id": "app",
    "default.key.serde": Serdes.String,
    "default.value.serde": Serdes.String,
}
TOPIC = "app-KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-0000000006-topic"

NO_PROPAGATE = Instruction.DELETE_KEY_NO_PROPAGATE
DELETE = Instruction.DELETE_KEY_AND_PROPAGATE
NULL_IF_MISSING = Instruction.PROPAGATE_NULL_IF_NO_FK_VAL_AVAILABLE
ONLY_IF_PRESENT = Instruction.PROPAGATE_ONLY_IF_FK_VAL_AVAILABLE


def fk(value: str) -> str | None:
    key = value.split("|")[1]
    return None if key == "null" else key


def h(value: str | None) -> tuple[int, int] | None:
    return None if value is None else hash128(value.encode())


# (previous value of "pk", new value) -> subscriptions (foreign key, instruction, hash of)
INNER = [
    (None, "a|fk1", [("fk1", ONLY_IF_PRESENT, "a|fk1")]),
    ("a|fk1", "b|fk1", [("fk1", ONLY_IF_PRESENT, "b|fk1")]),
    ("a|fk1", "a|fk2", [("fk1", NO_PROPAGATE, "a|fk2"), ("fk2", NULL_IF_MISSING, "a|fk2")]),
    ("a|fk1", None, [("fk1", DELETE, None)]),
    ("a|fk1", "a|null", [("fk1", DELETE, "a|null")]),
    (None, "a|null", []),
    ("a|null", "b|null", []),
    ("a|null", "a|fk1", [("fk1", ONLY_IF_PRESENT, "a|fk1")]),
    ("a|null", None, []),
]
LEFT = [
    (None, "a|fk1", [("fk1", NULL_IF_MISSING, "a|fk1")]),
    ("a|fk1", "b|fk1", [("fk1", NULL_IF_MISSING, "b|fk1")]),
    ("a|fk1", "a|fk2", [("fk1", NO_PROPAGATE, "a|fk2"), ("fk2", NULL_IF_MISSING, "a|fk2")]),
    ("a|fk1", None, [("fk1", NO_PROPAGATE, None), (None, NULL_IF_MISSING, None)]),
    ("a|fk1", "a|null", [("fk1", NO_PROPAGATE, "a|null"), (None, NULL_IF_MISSING, "a|null")]),
    (None, "a|null", [(None, NULL_IF_MISSING, "a|null")]),
    ("a|null", "b|null", [(None, NULL_IF_MISSING, "b|null")]),
    ("a|null", "a|fk1", [("fk1", NULL_IF_MISSING, "a|fk1")]),
    ("a|null", None, [(None, NULL_IF_MISSING, None)]),
]


def subscriptions(how: str, before: str | None, after: str | None) -> list[Any]:
    b = StreamsBuilder()
    getattr(b.table("lhs"), how)(b.table("rhs"), fk, lambda v, o: v).to_stream().to("out")
    with TopologyTestDriver(b.build(), CONFIG) as driver:
        lhs = driver.create_input_topic("lhs")
        registrations = driver.create_output_topic(
            TOPIC, Serdes.String(), SubscriptionWrapperSerde(Serdes.String())
        )
        if before is not None:
            lhs.pipe_input("pk", before, timestamp=1)
            registrations.read_records_to_list()
        lhs.pipe_input("pk", after, timestamp=2)
        records = registrations.read_records_to_list()
    for r in records:
        assert r.value.primary_key == "pk" and r.value.primary_partition == 0
        assert r.timestamp == 2
    return [(r.key, r.value.instruction, r.value.hash) for r in records]


@pytest.mark.parametrize("before, after, expected", INNER)
def test_inner_join_subscriptions(before: Any, after: Any, expected: Any) -> None:
    assert subscriptions("join", before, after) == [(k, i, h(v)) for k, i, v in expected]


@pytest.mark.parametrize("before, after, expected", LEFT)
def test_left_join_subscriptions(before: Any, after: Any, expected: Any) -> None:
    assert subscriptions("left_join", before, after) == [(k, i, h(v)) for k, i, v in expected]
