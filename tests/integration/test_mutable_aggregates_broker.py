"""Aggregates mutated in place, on a real broker, with the record cache on and off.

Users move between regions; a stream aggregate per user is a dict the aggregator mutates and
returns, and a regrouping by region keeps a list of users that the adder and subtractor mutate.
The regrouping needs each user's old region: it must be the one before the update. After a
restart on an empty state directory both stores come back from their changelogs, which must
hold what was written.
"""

from __future__ import annotations

from typing import Any

import pytest

from kstreams import KeyValue, Materialized, Serdes, StreamsBuilder
from kstreams.serde import JsonSerde

pytestmark = pytest.mark.integration

J = JsonSerde()
CONFIG = {"default.key.serde": Serdes.String, "default.value.serde": Serdes.String, "poll.ms": 50}


def topology(moves: str, out: str, caching: bool) -> Any:
    def materialized(name: str) -> Materialized:
        m = Materialized.as_(name).with_value_serde(J)
        return m if caching else m.with_caching_disabled()

    def track(user: str, region: str, agg: dict[str, Any]) -> dict[str, Any]:
        agg["region"] = region
        agg["moves"] += 1
        return agg

    def add(region: str, user: str, users: list[str]) -> list[str]:
        users.append(user)
        users.sort()
        return users

    def remove(region: str, user: str, users: list[str]) -> list[str]:
        users.remove(user)  # fails if the old region handed in is not the user's real one
        return users

    builder = StreamsBuilder()
    (
        builder.stream(moves)
        .group_by_key()
        .aggregate(lambda: {"region": None, "moves": 0}, track, materialized("users"))
        .group_by(lambda user, agg: KeyValue(agg["region"], user))
        .aggregate(list, add, remove, materialized("regions"))
        .to_stream()
        .to(out, value_serde=J)
    )
    return builder.build()


@pytest.mark.parametrize("caching", [True, False], ids=["cached", "uncached"])
def test_users_move_between_regions(
    new_topic, produce, read_topic, streams_app, caching: bool
) -> None:
    moves, out = new_topic(partitions=2), new_topic(partitions=2)

    def regions() -> dict[str, Any]:
        return dict(read_topic(out, key_serde=Serdes.String(), value_serde=J))

    def until_regions(expected: dict[str, Any], app: Any) -> None:
        app.run_until(
            lambda: regions() == expected,
            what=lambda: f"users per region {expected} (last read {regions()})",
        )

    app = streams_app(topology(moves, out, caching), CONFIG)
    produce(moves, [("u1", "DE"), ("u2", "DE"), ("u3", "FR")])
    until_regions({"DE": ["u1", "u2"], "FR": ["u3"]}, app)
    produce(moves, [("u1", "FR"), ("u2", "IT")])
    until_regions({"DE": [], "FR": ["u1", "u3"], "IT": ["u2"]}, app)
    assert app.streams.store("users").get("u1") == {"region": "FR", "moves": 2}
    app.close()

    # the same application on an empty state directory (streams_app gives each app its own):
    # both stores restore from their changelogs, then u3 and u1 move
    restarted = streams_app(
        topology(moves, out, caching), {**CONFIG, "application.id": app.application_id}
    )
    assert restarted.config["state.dir"] != app.config["state.dir"]
    assert restarted.streams.store("regions").get("FR") == ["u1", "u3"]
    assert restarted.streams.store("users").get("u2") == {"region": "IT", "moves": 2}
    produce(moves, [("u3", "IT"), ("u1", "DE")])
    until_regions({"DE": ["u1"], "FR": [], "IT": ["u2", "u3"]}, restarted)
    assert restarted.streams.store("users").get("u1") == {"region": "DE", "moves": 3}
