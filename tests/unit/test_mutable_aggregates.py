"""Aggregates that Python code mutates in place and returns.

Python users write ``agg["n"] += 1; return agg`` and ``agg.append(v); return agg``. Whatever
the user's function does to the object it got, a store hands back, as an old value, a cached
value or a changelog value, what was written (Kafka Streams is immune because its stores keep
bytes). Each scenario runs with the record cache on and off.

The expected outputs are what Kafka Streams 4.4 gives for the same topology written with pure
(non-mutating) functions.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from kstreams import KeyValue, Materialized, Serdes, StreamsBuilder
from kstreams.serde import JsonSerde
from kstreams.testing import TopologyTestDriver

S = Serdes.String()
J = JsonSerde()
CONFIG = {
    "application.id": "app",
    "default.key.serde": Serdes.String,
    "default.value.serde": Serdes.String,
}

# user -> region moves
MOVES = [
    ("u1", "DE", 10),
    ("u2", "DE", 20),
    ("u1", "FR", 30),
    ("u2", "FR", 40),
    ("u1", "DE", 50),
]

USERS_PER_REGION = [
    ("DE", ["u1"], 10),
    ("DE", ["u1", "u2"], 20),
    ("DE", ["u2"], 30),  # u1 leaves DE: the subtractor sees u1's old region
    ("FR", ["u1"], 30),
    ("DE", [], 40),
    ("FR", ["u1", "u2"], 40),
    ("FR", ["u2"], 50),
    ("DE", ["u1"], 50),
]


def materialized(name: str, caching: bool) -> Materialized:
    m = Materialized.as_(name).with_value_serde(J)
    return m if caching else m.with_caching_disabled()


def users_per_region(builder: StreamsBuilder, caching: bool) -> None:
    def track(user: str, region: str, agg: dict[str, Any]) -> dict[str, Any]:
        agg["region"] = region  # mutated in place and returned
        agg["moves"] += 1
        return agg

    def add(region: str, user: str, users: list[str]) -> list[str]:
        users.append(user)
        return users

    def remove(region: str, user: str, users: list[str]) -> list[str]:
        users.remove(user)
        return users

    (
        builder.stream("moves")
        .group_by_key()
        .aggregate(lambda: {"region": None, "moves": 0}, track, materialized("users", caching))
        .group_by(lambda user, agg: KeyValue(agg["region"], user))
        .aggregate(list, add, remove, materialized("regions", caching))
        .to_stream()
        .to("out", value_serde=J)
    )


@pytest.mark.parametrize("caching", [True, False], ids=["cached", "uncached"])
def test_a_mutated_stream_aggregate_keeps_its_old_value_for_a_regrouping(caching: bool) -> None:
    builder = StreamsBuilder()
    users_per_region(builder, caching)
    with TopologyTestDriver(builder.build(), CONFIG) as driver:
        inp = driver.create_input_topic("moves", S, S)
        for user, region, ts in MOVES:
            inp.pipe_input(user, region, ts)
        out = driver.create_output_topic("out", S, J)
        assert [(r.key, r.value, r.timestamp) for r in out.read_records_to_list()] == (
            USERS_PER_REGION
        )
        regions = driver.get_key_value_store("regions")
        assert dict(regions.all()) == {"DE": ["u1"], "FR": ["u2"]}
        users = driver.get_key_value_store("users")
        assert dict(users.all()) == {
            "u1": {"region": "DE", "moves": 3},
            "u2": {"region": "FR", "moves": 2},
        }


@pytest.mark.parametrize("caching", [True, False], ids=["cached", "uncached"])
def test_a_mutated_reduce_forwards_its_real_old_value(caching: bool) -> None:
    """``reduce`` that extends the aggregate list in place; a filter downstream sees old values."""
    builder = StreamsBuilder()

    def extend(agg: list[str], value: list[str]) -> list[str]:
        agg.extend(value)
        return agg

    (
        builder.stream("in", value_serde=J)
        .group_by_key()
        .reduce(extend, materialized("lists", caching))
        # keeps lists of at most two: a third element turns the row into a delete,
        # which a filter forwards only if the old value passed
        .filter(lambda k, v: len(v) <= 2)
        .to_stream()
        .to("out", value_serde=J)
    )
    with TopologyTestDriver(builder.build(), CONFIG) as driver:
        inp = driver.create_input_topic("in", S, J)
        for value, ts in ((["a"], 1), (["b"], 2), (["c"], 3), (["d"], 4)):
            inp.pipe_input("k", value, ts)
        out = driver.create_output_topic("out", S, J)
        assert [(r.key, r.value, r.timestamp) for r in out.read_records_to_list()] == [
            ("k", ["a"], 1),
            ("k", ["a", "b"], 2),
            ("k", None, 3),  # the row stopped matching: one tombstone, as old ["a", "b"] matched
        ]


@pytest.mark.parametrize("caching", [True, False], ids=["cached", "uncached"])
def test_changelog_values_are_what_was_written(caching: bool) -> None:
    """A downstream ``map_values`` that mutates the value it gets cannot change the store."""
    builder = StreamsBuilder()

    def count(key: str, value: str, agg: dict[str, int]) -> dict[str, int]:
        agg[value] = agg.get(value, 0) + 1
        return agg

    def vandalize(agg: dict[str, int]) -> dict[str, int]:
        agg["vandal"] = 1  # mutates the object it was given
        return agg

    (
        builder.stream("in")
        .group_by_key()
        .aggregate(dict, count, materialized("counts", caching))
        .map_values(vandalize)
        .to_stream()
        .to("out", value_serde=J)
    )
    with TopologyTestDriver(builder.build(), CONFIG) as driver:
        inp = driver.create_input_topic("in", S, S)
        inp.pipe_input("k", "x", 1)
        inp.pipe_input("k", "x", 2)
        out = driver.create_output_topic("out", S, J)
        assert [r.value for r in out.read_records_to_list()] == [
            {"x": 1, "vandal": 1},
            {"x": 2, "vandal": 1},
        ]
        assert driver.get_key_value_store("counts").get("k") == {"x": 2}
        changelog = driver.create_output_topic("app-counts-changelog", S, S)
        assert [json.loads(r.value) for r in changelog.read_records_to_list()] == [
            {"x": 1},
            {"x": 2},
        ]


@pytest.mark.parametrize("caching", [True, False], ids=["cached", "uncached"])
def test_store_reads_hand_out_copies_of_mutable_values(caching: bool, tmp_path: Any) -> None:
    """Processor API: mutating what ``get`` returned, or what was ``put``, changes nothing stored."""
    from kstreams.state import Stores
    from kstreams.state.caching import ThreadCache, cached_store

    builder = Stores.key_value_store_builder(Stores.in_memory_key_value_store("s"), S, J)
    store = builder.with_logging_disabled().build()
    if caching:
        store = cached_store(store, ThreadCache(1 << 20))
    from kstreams.state import StateStoreContext

    store.init(StateStoreContext("0_0", "app", 0, str(tmp_path), changelog_topic=None))
    value = {"n": [1]}
    store.put("k", value)
    value["n"].append(2)  # the caller keeps and changes the object it put
    got = store.get("k")
    assert got == {"n": [1]}
    got["n"].append(3)  # ... and the one it got
    assert store.get("k") == {"n": [1]}
    assert dict(store.all()) == {"k": {"n": [1]}}
    store.close()


def test_which_values_the_cache_keeps_as_objects() -> None:
    from decimal import Decimal
    from fractions import Fraction
    from typing import NamedTuple

    from kstreams.state.immutable import is_immutable

    class Point(NamedTuple):
        x: int
        y: int

    for value in (1, 2.5, "s", b"b", True, None, Decimal("1.5"), Fraction(1, 3), (1, ("a",))):
        assert is_immutable(value), value
    assert is_immutable(Point(1, 2))
    for value in ({"n": 1}, [1], (1, [2]), {1}, bytearray(b"x"), Point(1, [2])):  # type: ignore[arg-type]
        assert not is_immutable(value), value
