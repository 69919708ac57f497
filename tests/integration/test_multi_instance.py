"""Two instances of one application (separate processes) share the input and fail over."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import (
    AppProcess,
    TopicReader,
    produce,
    read_all,
    unique_app_id,
    wait_until,
)

from kstreams.testing.broker import admin_client

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _assignment(bootstrap: str, group: str) -> dict[str, set[tuple[str, int]]] | None:
    """``{member client id: {(topic, partition)}}`` of a Stable group, else None."""
    admin = admin_client(bootstrap)  # keep a reference until the future is done
    desc = admin.describe_consumer_groups([group], request_timeout=10)[group].result(timeout=15)
    if desc.state.name != "STABLE":
        return None
    return {
        m.client_id: {(tp.topic, tp.partition) for tp in m.assignment.topic_partitions}
        for m in desc.members
    }


def _values(records) -> set[str]:
    return {r.value_str for r in records}


def test_two_instances_share_partitions_and_fail_over(
    kafka_bootstrap: str, new_topic, tmp_path: Path
) -> None:
    src, dst = new_topic(partitions=4), new_topic(partitions=4)
    app_id = unique_app_id("multi")
    args = (kafka_bootstrap, app_id, src, dst)
    a = AppProcess("passthrough_app.py", *args, log_path=tmp_path / "a.log")
    b = AppProcess("passthrough_app.py", *args, log_path=tmp_path / "b.log")
    with a, b:
        a.wait_for_line("STATE RUNNING")
        b.wait_for_line("STATE RUNNING")
        a_id, b_id = a.lines("CLIENT_ID")[0], b.lines("CLIENT_ID")[0]

        def both_assigned() -> dict[str, set[tuple[str, int]]] | None:
            members = _assignment(kafka_bootstrap, app_id)
            if not members or len(members) != 2 or not all(members.values()):
                return None
            return members

        members = wait_until(both_assigned, timeout=60, interval=0.5, what="two members")
        by_instance = {
            owner: parts
            for owner in (a_id, b_id)
            for client, parts in members.items()
            if client.startswith(owner)
        }
        assert set(by_instance) == {a_id, b_id}, members
        assert by_instance[a_id].isdisjoint(by_instance[b_id])
        assert by_instance[a_id] | by_instance[b_id] == {(src, p) for p in range(4)}

        first = [(f"key-{i}", f"first-{i}") for i in range(200)]
        produce(kafka_bootstrap, src, first)
        with TopicReader(kafka_bootstrap, dst) as reader:
            reader.wait_for(
                lambda recs: _values(recs) >= {v for _, v in first},
                timeout=60,
                what="every first-round record",
            )
            writers = {r.header("instance").decode() for r in reader.records}
        assert writers == {a_id, b_id}, "both instances should have processed records"

        # stop one instance cleanly: the other takes over all partitions
        assert a.stop() == 0, a.output[-3000:]
        assert "CLOSED True NOT_RUNNING" in a.output
        members = wait_until(
            lambda: (m := _assignment(kafka_bootstrap, app_id)) and len(m) == 1 and m,
            timeout=60,
            interval=0.5,
            what="the group to rebalance onto one member",
        )
        [(client, parts)] = members.items()
        assert client.startswith(b_id)
        assert parts == {(src, p) for p in range(4)}

        second = [(f"key-{i}", f"second-{i}") for i in range(200)]
        produce(kafka_bootstrap, src, second)
        with TopicReader(kafka_bootstrap, dst) as reader:
            reader.wait_for(
                lambda recs: _values(recs) >= {v for _, v in first + second},
                timeout=60,
                what="every second-round record",
            )
            late = [r for r in reader.records if r.value_str.startswith("second-")]
            assert {r.header("instance").decode() for r in late} == {b_id}
        assert b.returncode is None, b.output[-3000:]
        assert b.stop() == 0, b.output[-3000:]
        assert "CLOSED True NOT_RUNNING" in b.output

    # clean hand-over: every input exactly once (the leaving instance committed on close)
    out = [r.value_str for r in read_all(kafka_bootstrap, dst)]
    assert sorted(out) == sorted(v for _, v in first + second)
