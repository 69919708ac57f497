"""The brokers' range assignment replayed: who would own a task if its instance left."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from kstreams.processor.task_id import TaskId
from kstreams.runtime.range_successors import (
    GroupMember,
    fallbacks,
    range_index,
    sort_members,
    successors,
)
from kstreams.runtime.standby_placement import _range_protocol, assign_standbys


def ranges(partitions: int, members: int) -> list[list[int]]:
    out: list[list[int]] = [[] for _ in range(members)]
    for p in range(partitions):
        index = range_index(p, partitions, members)
        assert index is not None
        out[index].append(p)
    return out


def test_partitions_are_cut_in_contiguous_ranges_the_first_members_taking_one_more() -> None:
    # Kafka's RangeAssignor: quota = P / M, the first P % M members get quota + 1
    assert ranges(6, 3) == [[0, 1], [2, 3], [4, 5]]
    assert ranges(7, 3) == [[0, 1, 2], [3, 4], [5, 6]]
    assert ranges(8, 3) == [[0, 1, 2], [3, 4, 5], [6, 7]]
    assert ranges(2, 4) == [[0], [1], [], []]
    assert ranges(1, 1) == [[0]]
    assert range_index(0, 4, 0) is None
    assert range_index(4, 4, 2) is None


def m(member_id: str, instance: str, static: str | None = None) -> GroupMember:
    return GroupMember(member_id, instance, static)


def test_the_sort_orders_of_the_two_protocols() -> None:
    a, b = m("z", "a", "i1"), m("y", "b", "i2")
    c, d = m("b", "c"), m("a", "d")
    # KIP-848: static members first, by instance id, then the others by member id
    assert sort_members([c, b, d, a], "consumer") == [a, b, d, c]
    # classic (librdkafka): instance ids between two static members, member ids otherwise
    assert sort_members([a, b], "classic") == [a, b]
    assert sort_members([c, d], "classic") == [d, c]
    assert sort_members([m("2", "x"), m("1", "y", "s")], "classic")[0].instance == "y"


def test_a_leaving_instances_tasks_go_to_the_neighbours_in_member_order() -> None:
    members = [m("m1", "a"), m("m2", "b"), m("m3", "c")]
    owners = {TaskId(0, p): {"abc"[p // 2]} for p in range(6)}  # a: 0-1, b: 2-3, c: 4-5
    heirs = successors(members, owners, {0: 6}, "consumer")
    # without a: b 0-2, c 3-5; without b: a 0-2, c 3-5; without c: a 0-2, b 3-5
    assert heirs == {
        TaskId(0, 0): "b",
        TaskId(0, 1): "b",
        TaskId(0, 2): "a",
        TaskId(0, 3): "c",
        TaskId(0, 4): "b",
        TaskId(0, 5): "b",
    }


def test_an_instance_with_several_threads_counts_each_thread_as_a_member() -> None:
    members = [m("m1", "a"), m("m2", "a"), m("m3", "b"), m("m4", "c")]
    owners = {TaskId(1, 0): {"b"}, TaskId(1, 1): {"c"}, TaskId(1, 2): {"a"}}
    # without b: a, a, c over 3 partitions -> 0 a, 1 a, 2 c
    assert successors(members, owners, {1: 3}, "consumer")[TaskId(1, 0)] == "a"
    # without a: b, c -> 0-1 b, 2 c
    assert successors(members, owners, {1: 3}, "consumer")[TaskId(1, 2)] == "c"


def test_moving_tasks_lone_instances_and_unknown_counts_have_no_successor() -> None:
    members = [m("m1", "a"), m("m2", "b")]
    owners = {TaskId(0, 0): {"a", "b"}, TaskId(0, 1): {"b"}, TaskId(2, 0): {"a"}}
    assert successors(members, owners, {0: 2}, "consumer") == {TaskId(0, 1): "a"}
    assert successors([m("m1", "a")], {TaskId(0, 0): {"a"}}, {0: 1}, "consumer") == {}


def test_the_first_standby_goes_to_the_successor_the_others_round_the_ring() -> None:
    owners = {TaskId(0, 0): ["a"]}
    ring_only = assign_standbys(owners, ["a", "b", "c", "d"], 1)
    assert ring_only["b"] == {TaskId(0, 0)}  # the next in the ring
    heirs = {TaskId(0, 0): "d"}
    placed = assign_standbys(owners, ["a", "b", "c", "d"], 1, heirs)
    assert placed["d"] == {TaskId(0, 0)} and not placed["b"]
    two = assign_standbys(owners, ["a", "b", "c", "d"], 2, heirs)
    assert {name for name, tasks in two.items() if tasks} == {"d", "b"}
    # a successor that is not a candidate (an owner, unknown) is ignored
    assert assign_standbys(owners, ["a", "b"], 1, {TaskId(0, 0): "a"})["b"] == {TaskId(0, 0)}
    assert assign_standbys(owners, ["a", "b"], 1, {TaskId(0, 0): "x"})["b"] == {TaskId(0, 0)}


def test_only_range_groups_are_replayed() -> None:
    def group(assignor: str, kind: str) -> SimpleNamespace:
        return SimpleNamespace(partition_assignor=assignor, type=SimpleNamespace(name=kind))

    assert _range_protocol(group("range", "CONSUMER")) == "consumer"
    assert _range_protocol(group("range", "CLASSIC")) == "classic"
    assert _range_protocol(group("uniform", "CONSUMER")) is None
    assert _range_protocol(group("cooperative-sticky", "CLASSIC")) is None
    assert _range_protocol(SimpleNamespace()) is None


def _double_failures_covered(placed: dict[str, frozenset[TaskId]], members: list[Any]) -> int:
    """How many (task, other instance) double failures land the task on one of its standbys."""
    covered = 0
    owners = {TaskId(0, p): "abcd"[p // 2] for p in range(8)}
    for task, owner in owners.items():
        for other in "abcd":
            if other == owner:
                continue
            rest = sort_members(
                [x for x in members if x.instance not in (owner, other)], "consumer"
            )
            index = range_index(task.partition, 8, len(rest))
            assert index is not None
            covered += task in placed[rest[index].instance]
    return covered


def test_a_second_standby_goes_where_two_failures_at_once_land_the_task_most_often() -> None:
    members = [m("m1", "a"), m("m2", "b"), m("m3", "c"), m("m4", "d")]
    owners = {TaskId(0, p): {"abcd"[p // 2]} for p in range(8)}  # a: 0-1, b: 2-3, ...
    second = fallbacks(members, owners, {0: 8}, "consumer")
    # task 0_1 of a: without a and b -> c; without a and c, or a and d -> b
    assert second[TaskId(0, 1)] == ["b", "c"]
    heirs = successors(members, owners, {0: 8}, "consumer")
    assert heirs[TaskId(0, 1)] == "b"
    placed = assign_standbys(owners, "abcd", 2, heirs, second)
    assert TaskId(0, 1) in placed["b"] and TaskId(0, 1) in placed["c"]
    ring = assign_standbys(owners, "abcd", 2, heirs)
    assert TaskId(0, 1) in ring["d"]  # the ring's turn: no copy where a+b's death sends it
    # every double failure that takes a task's owner finds a copy where the task lands
    assert _double_failures_covered(placed, members) == 8 * 3
    assert _double_failures_covered(ring, members) < 8 * 3
    # one standby: the successor only, as before
    assert assign_standbys(owners, "abcd", 1, heirs, second) == assign_standbys(
        owners, "abcd", 1, heirs
    )
