"""Who takes a task over when its instance leaves: the brokers' ``range`` assignment, replayed.

kstreams' consumers ask for the ``range`` assignor (KIP-848's server-side one under
``group.protocol=consumer``, librdkafka's under ``classic``). Both are deterministic
functions of the group's members and the topics' partition counts, with no memory of the
previous assignment: the members are sorted, and each topic's partitions are cut into
contiguous ranges in that order, the first ``P mod M`` members getting one more. So every
instance can replay the assignment the brokers would make if one instance left, and tell
which instance would then own each of its tasks (:func:`successors`). Standby placement puts a
task's first standby there, so that a failover lands where a caught-up copy already is
(Kafka Streams' ``HighAvailabilityTaskAssignor`` gets the same by choosing the new owner
itself, which a broker-side assignor does not allow).

The sort orders (read in Kafka's ``RangeAssignor`` of the group coordinator and
librdkafka's ``rd_kafka_group_member_cmp``):

- ``consumer``: static members (a ``group.instance.id``) first, by instance id; then the
  others by member id.
- ``classic``: two static members by instance id, any other pair by member id.

A replay assumes every member subscribes to the same topics (one application) and no other
membership change happens at the same time; when it is wrong, a failover restores more, never
anything incorrect. For two changes at once, :func:`fallbacks` ranks where a task lands if its
owner and any one other instance leave together: the places for a task's further standbys.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from kstreams.processor.task_id import TaskId

__all__ = ["GroupMember", "fallbacks", "range_index", "sort_members", "successors"]


@dataclass(frozen=True)
class GroupMember:
    """One member of the consumer group, as its description shows it."""

    member_id: str
    instance: str
    """The kstreams instance it belongs to (its ``client.id`` prefix)."""
    group_instance_id: str | None = None


def sort_members(members: Iterable[GroupMember], protocol: str) -> list[GroupMember]:
    """The members in the order the ``range`` assignor of ``protocol`` walks them."""
    if protocol == "consumer":
        return sorted(
            members,
            key=lambda m: (
                (0, m.group_instance_id, "") if m.group_instance_id else (1, "", m.member_id)
            ),
        )

    def classic(a: GroupMember, b: GroupMember) -> int:
        if a.group_instance_id and b.group_instance_id:
            x, y = a.group_instance_id, b.group_instance_id
        else:
            x, y = a.member_id, b.member_id
        return (x > y) - (x < y)

    return sorted(members, key=functools.cmp_to_key(classic))


def range_index(partition: int, partitions: int, members: int) -> int | None:
    """Which member (its index in the sorted order) the ``range`` assignor gives a partition.

    Example::

        [range_index(p, 5, 2) for p in range(5)]  # [0, 0, 0, 1, 1]
    """
    if members <= 0 or not 0 <= partition < partitions:
        return None
    quota, extra = divmod(partitions, members)
    wide = extra * (quota + 1)  # the first `extra` members take quota + 1 partitions each
    if partition < wide:
        return partition // (quota + 1)
    return extra + (partition - wide) // quota


class _Landing:
    """Where the ``range`` assignor puts a task's partition when some instances are gone
    (each set of gone instances sorted once)."""

    def __init__(self, members: Sequence[GroupMember], protocol: str) -> None:
        self._members = members
        self._protocol = protocol
        self._without: dict[frozenset[str], list[GroupMember]] = {}

    def instance(self, task: TaskId, count: int, gone: frozenset[str]) -> str | None:
        rest = self._without.get(gone)
        if rest is None:
            rest = self._without[gone] = sort_members(
                (m for m in self._members if m.instance not in gone), self._protocol
            )
        index = range_index(task.partition, count, len(rest))
        return None if index is None else rest[index].instance


def _single_owned(
    owners: Mapping[TaskId, Iterable[str]], partitions: Mapping[int, int]
) -> Iterator[tuple[TaskId, str, int]]:
    """``(task, its one owner, its sub-topology's partition count)``; tasks moving (several
    owners) or of unknown sub-topologies are left out."""
    for task, holders in owners.items():
        held = set(holders)
        count = partitions.get(task.subtopology)
        if len(held) == 1 and count is not None:
            yield task, next(iter(held)), count


def successors(
    members: Sequence[GroupMember],
    owners: Mapping[TaskId, Iterable[str]],
    partitions: Mapping[int, int],
    protocol: str,
) -> dict[TaskId, str]:
    """For each task with one owner, the instance that would own it if its owner left.

    Args:
        members: The group's members (stream-thread consumers).
        owners: Each task's owners (instances).
        partitions: Each sub-topology's partition count (that of its source topics, which
            are co-partitioned).
        protocol: ``consumer`` or ``classic``.

    Returns:
        ``{task: instance}``; tasks whose owner is the only instance, or whose owners are
        several (a task moving), are left out.
    """
    landing = _Landing(members, protocol)
    out: dict[TaskId, str] = {}
    for task, owner, count in _single_owned(owners, partitions):
        instance = landing.instance(task, count, frozenset((owner,)))
        if instance is not None:
            out[task] = instance
    return out


def fallbacks(
    members: Sequence[GroupMember],
    owners: Mapping[TaskId, Iterable[str]],
    partitions: Mapping[int, int],
    protocol: str,
) -> dict[TaskId, list[str]]:
    """For each task with one owner, where it would land if its owner and one other instance
    left at once: the instances, the most often landed on first (ties by name).

    Replays the ``range`` assignment once per pair (owner, other instance); a task's second
    standby placed on the first of them has a copy where the task goes in the most of those
    double failures (its successor, :func:`successors`, covers the single ones).
    """
    instances = sorted({m.instance for m in members})
    landing = _Landing(members, protocol)
    out: dict[TaskId, list[str]] = {}
    for task, owner, count in _single_owned(owners, partitions):
        landed: Counter[str] = Counter()
        for other in instances:
            if other != owner:
                instance = landing.instance(task, count, frozenset((owner, other)))
                if instance is not None:
                    landed[instance] += 1
        out[task] = [name for name, _ in sorted(landed.items(), key=lambda kv: (-kv[1], kv[0]))]
    return out
