"""Standby placement: every instance derives the same standby tasks from the consumer group."""

from __future__ import annotations

import itertools
import logging
from types import SimpleNamespace
from typing import Any

import pytest

from kstreams import Materialized, StreamsBuilder
from kstreams.processor.task_id import TaskId
from kstreams.runtime.standby_placement import (
    StandbyPlacement,
    assign_standbys,
    instance_of_member,
    stateful_subtopologies,
    thread_for,
)

T = [TaskId(0, p) for p in range(6)]


def owners_of(assignment: dict[str, list[TaskId]]) -> dict[TaskId, list[str]]:
    out: dict[TaskId, list[str]] = {}
    for instance, tasks in assignment.items():
        for task in tasks:
            out.setdefault(task, []).append(instance)
    return out


def test_each_task_gets_n_standbys_on_other_instances_at_most_one_each() -> None:
    active = {"a": T[0:2], "b": T[2:4], "c": T[4:6]}
    placed = assign_standbys(owners_of(active), active, 2)
    for task in T:
        hosts = [i for i, tasks in placed.items() if task in tasks]
        owner = next(i for i, tasks in active.items() if task in tasks)
        assert len(hosts) == 2 and owner not in hosts, (task, hosts)
    assert {i: len(t) for i, t in placed.items()} == {"a": 4, "b": 4, "c": 4}


def test_an_owners_standbys_spread_over_the_other_instances() -> None:
    active = {"a": T[0:4], "b": [], "c": T[4:6]}
    placed = assign_standbys(owners_of(active), active, 1)
    assert placed["b"] & set(T[0:4]) and placed["c"] & set(T[0:4])
    assert all(len(placed[i] & set(T[0:4])) == 2 for i in ("b", "c"))


def test_two_instances_shadow_each_others_tasks() -> None:
    active = {"x-2": [T[0]], "x-1": [T[1]]}
    assert assign_standbys(owners_of(active), active, 1) == {
        "x-1": frozenset({T[0]}),
        "x-2": frozenset({T[1]}),
    }


def test_the_placement_does_not_depend_on_the_order_things_are_seen_in() -> None:
    active = {"a": T[0:3], "b": T[3:5], "c": T[5:6], "d": []}
    expected = assign_standbys(owners_of(active), active, 2)
    for order in itertools.permutations(active):
        owners = owners_of({i: active[i] for i in order})
        shuffled = dict(reversed(list(owners.items())))
        assert assign_standbys(shuffled, list(order), 2) == expected


def test_more_standbys_than_other_instances_places_one_on_each_other() -> None:
    active = {"a": T[0:3], "b": T[3:6]}
    placed = assign_standbys(owners_of(active), active, 5)
    assert placed == {"a": frozenset(T[3:6]), "b": frozenset(T[0:3])}
    assert assign_standbys(owners_of({"a": T}), ["a"], 3) == {"a": frozenset()}


def test_zero_standbys_and_tasks_without_known_owner_place_nothing() -> None:
    active = {"a": T[0:3], "b": T[3:6]}
    assert assign_standbys(owners_of(active), active, 0) == {"a": frozenset(), "b": frozenset()}
    assert assign_standbys({T[0]: ["gone"]}, ["a", "b"], 1) == {"a": frozenset(), "b": frozenset()}
    with pytest.raises(ValueError, match="num_standbys"):
        assign_standbys({}, ["a"], -1)


def test_a_task_split_over_two_instances_gets_no_standby_on_either() -> None:
    placed = assign_standbys({T[0]: ["a", "b"]}, ["a", "b", "c"], 2)
    assert placed == {"a": frozenset(), "b": frozenset(), "c": frozenset({T[0]})}


def test_instances_joining_and_leaving() -> None:
    two = {"a": T[0:3], "b": T[3:6]}
    assert assign_standbys(owners_of(two), two, 1)["b"] == frozenset(T[0:3])
    # c joins and takes a task of each: every task still has one standby, never on its owner
    three = {"a": T[0:2], "b": T[3:5], "c": [T[2], T[5]]}
    placed = assign_standbys(owners_of(three), three, 1)
    for task in T:
        hosts = [i for i, tasks in placed.items() if task in tasks]
        assert len(hosts) == 1 and task not in three[hosts[0]]
    # b leaves: a and c own everything and shadow each other
    left = {"a": T[0:3], "c": T[3:6]}
    assert assign_standbys(owners_of(left), left, 1) == {
        "a": frozenset(T[3:6]),
        "c": frozenset(T[0:3]),
    }


def test_member_client_ids_name_their_instance() -> None:
    assert instance_of_member("app-1234-StreamThread-2-consumer") == "app-1234"
    assert instance_of_member("my-client-StreamThread-10-consumer") == "my-client"
    assert instance_of_member("app-1234-StreamThread-1-restore-consumer") is None
    assert instance_of_member("rdkafka") is None


def test_one_live_thread_per_task_whatever_the_order() -> None:
    assert thread_for(T[0], []) is None
    chosen = [thread_for(t, [3, 1]) for t in T]
    assert set(chosen) == {1, 3} and chosen == [thread_for(t, [1, 3]) for t in T]


def _topology() -> Any:
    builder = StreamsBuilder()
    builder.stream("words").group_by_key().count(Materialized.as_("counts"))
    builder.stream("other").to("out")
    return builder.build()


def test_only_sub_topologies_with_logged_stores_are_shadowed() -> None:
    assert stateful_subtopologies(_topology(), "app") == {"words": 0}


class FakeFuture:
    def __init__(self, group: Any) -> None:
        self.group = group

    def done(self) -> bool:
        return True

    def result(self) -> Any:
        if isinstance(self.group, Exception):
            raise self.group
        return self.group


class FakeAdmin:
    def __init__(self) -> None:
        self.group: Any = None
        self.calls = 0

    def describe_consumer_groups(self, groups: list[str], request_timeout: float) -> Any:
        self.calls += 1
        return {groups[0]: FakeFuture(self.group)}


def group(state: str, members: dict[str, list[tuple[str, int]]]) -> Any:
    return SimpleNamespace(
        state=SimpleNamespace(name=state),
        members=[
            SimpleNamespace(
                client_id=cid,
                assignment=SimpleNamespace(
                    topic_partitions=[SimpleNamespace(topic=t, partition=p) for t, p in tps]
                ),
            )
            for cid, tps in members.items()
        ],
    )


def settle(placement: StandbyPlacement, thread: int = 1) -> frozenset[TaskId]:
    """Ask until the description asked for last is applied (each call asks or applies)."""
    for _ in range(3):
        placement.standbys_for(thread)
    return placement.standbys_for(thread)


def test_the_placement_follows_stable_descriptions_of_the_group(
    caplog: pytest.LogCaptureFixture,
) -> None:
    admin = FakeAdmin()
    placement = StandbyPlacement(admin, "app", "app-b", _topology(), 1, lambda: [1], 0.0)
    assert placement.shadows_anything
    admin.group = group(
        "STABLE",
        {
            "app-a-StreamThread-1-consumer": [("words", 0), ("other", 0)],
            "app-b-StreamThread-1-consumer": [("words", 1), ("other", 1)],
        },
    )
    assert placement.standbys_for(1) == frozenset()  # the description is asked for first
    assert settle(placement) == {TaskId(0, 0)}
    assert placement.standbys_for(2) == frozenset()  # not this thread's
    # a rebalance in progress keeps the placement
    admin.group = group("PREPARING_REBALANCE", {"app-b-StreamThread-1-consumer": []})
    assert settle(placement) == {TaskId(0, 0)}
    # a failing description keeps it too, and is said once
    admin.group = RuntimeError("broker gone")
    with caplog.at_level(logging.WARNING, "kstreams"):
        assert settle(placement) == {TaskId(0, 0)}
        assert settle(placement) == {TaskId(0, 0)}
    assert sum("broker gone" in r.getMessage() for r in caplog.records) == 1
    # a left: b owns everything, no standbys
    admin.group = group("STABLE", {"app-b-StreamThread-1-consumer": [("words", 0), ("words", 1)]})
    assert settle(placement) == frozenset()


def test_instances_sharing_a_client_id_are_warned_about(
    caplog: pytest.LogCaptureFixture,
) -> None:
    admin = FakeAdmin()
    placement = StandbyPlacement(admin, "app", "app-b", _topology(), 1, lambda: [1], 0.0)
    twin = SimpleNamespace(**vars(group("STABLE", {"app-b-StreamThread-1-consumer": []})))
    twin.members = twin.members * 2
    admin.group = twin
    with caplog.at_level(logging.WARNING, "kstreams"):
        assert settle(placement) == frozenset()
    assert any("share a client.id" in r.getMessage() for r in caplog.records)


def test_no_standbys_without_stateful_tasks_or_replicas() -> None:
    builder = StreamsBuilder()
    builder.stream("in").to("out")
    assert not StandbyPlacement(
        FakeAdmin(), "app", "x", builder.build(), 1, lambda: [1]
    ).shadows_anything
    assert not StandbyPlacement(
        FakeAdmin(), "app", "x", _topology(), 0, lambda: [1]
    ).shadows_anything


def _streams(tmp_path: Any, builder: StreamsBuilder, **extra: Any) -> Any:
    from kstreams import KafkaStreams

    config = {"application.id": "wc", "bootstrap.servers": "127.0.0.1:1"}
    config.update({"state.dir": str(tmp_path), "num.stream.threads": 2, **extra})
    return KafkaStreams(builder.build(), config)


def test_a_client_places_standbys_only_when_asked_and_there_is_state(tmp_path: Any) -> None:
    stateful = StreamsBuilder()
    stateful.stream("words").group_by_key().count(Materialized.as_("counts"))
    stateless = StreamsBuilder()
    stateless.stream("in").to("out")
    for builder, replicas, placed in (
        (stateful, 1, True),
        (stateful, 0, False),
        (stateless, 2, False),
    ):
        streams = _streams(tmp_path, builder, **{"num.standby.replicas": replicas})
        try:
            threads = streams._threads
            assert all((t.standby_placement is not None) is placed for t in threads)
            assert all((t.task_manager.standbys is not None) is placed for t in threads)
            if placed:
                placement = threads[0].standby_placement
                assert placement is threads[1].standby_placement  # one per instance
                assert placement.instance == streams.client_id
                assert placement._live_threads() == [1, 2]
        finally:
            streams.close(10)
