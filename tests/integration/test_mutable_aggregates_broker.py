"""Aggregates mutated in place, on a real broker, with the record cache on and off.

Users move between regions; a stream aggregate per user is a dict the aggregator mutates and
returns, and a regrouping by region keeps a list of users that the adder and subtractor mutate.
The regrouping needs each user's old region: it must be the one before the update. After a
restart on an empty state directory both stores come back from their changelogs, which must
hold what was written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import TopicReader, produce, running_streams, streams_config, unique_app_id

from kstreams import KafkaStreams, KeyValue, Materialized, StreamsBuilder
from kstreams.serde import JsonSerde

pytestmark = pytest.mark.integration

J = JsonSerde()


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


def latest(records: list[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for r in records:
        out[r.key_str] = None if r.value is None else json.loads(r.value)
    return out


@pytest.mark.parametrize("caching", [True, False], ids=["cached", "uncached"])
def test_users_move_between_regions(
    kafka_bootstrap: str, new_topic, tmp_path: Path, caching: bool
) -> None:
    moves, out = new_topic(partitions=2), new_topic(partitions=2)
    app_id = unique_app_id("mutable")
    config = streams_config(kafka_bootstrap, app_id, **{"state.dir": str(tmp_path)})
    with (
        TopicReader(kafka_bootstrap, out) as reader,
        running_streams(topology(moves, out, caching), config) as streams,
    ):
        produce(kafka_bootstrap, moves, [("u1", "DE"), ("u2", "DE"), ("u3", "FR")])
        expected: dict[str, Any] = {"DE": ["u1", "u2"], "FR": ["u3"]}
        reader.wait_for(
            lambda recs: latest(recs) == expected,
            timeout=60,
            what=f"users per region {expected}",
            streams=streams,
        )
        produce(kafka_bootstrap, moves, [("u1", "FR"), ("u2", "IT")])
        expected = {"DE": [], "FR": ["u1", "u3"], "IT": ["u2"]}
        reader.wait_for(
            lambda recs: latest(recs) == expected,
            timeout=60,
            what=f"users per region {expected}",
            streams=streams,
        )
        assert streams.store("users").get("u1") == {"region": "FR", "moves": 2}

    # all local state gone: both stores restore from their changelogs, then u3 and u1 move
    KafkaStreams(topology(moves, out, caching), config).cleanup()
    with (
        TopicReader(kafka_bootstrap, out) as reader,
        running_streams(topology(moves, out, caching), config) as streams,
    ):
        assert streams.store("regions").get("FR") == ["u1", "u3"]
        assert streams.store("users").get("u2") == {"region": "IT", "moves": 2}
        produce(kafka_bootstrap, moves, [("u3", "IT"), ("u1", "DE")])
        expected = {"DE": ["u1"], "FR": [], "IT": ["u2", "u3"]}
        reader.wait_for(
            lambda recs: latest(recs) == expected,
            timeout=60,
            what=f"users per region {expected} after the restore",
            streams=streams,
        )
        assert streams.store("users").get("u1") == {"region": "DE", "moves": 3}
