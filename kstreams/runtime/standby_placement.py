"""Where standby tasks go: every instance derives the same placement from the consumer group.

Kafka Streams' ``StandbyTaskAssignor`` runs in the group leader and ships the result in the
assignment; here the brokers assign (KIP-848's ``range`` assignor or the classic protocol's),
and nothing else is sent. So each instance computes the standby placement itself, from what
every instance sees alike, the consumer group's description (``describe_consumer_groups``:
its members with their client ids and assigned partitions), with one pure function,
:func:`assign_standbys`:

1. The **instances** are the group's members grouped by their client id's prefix: a stream
   thread's consumer is ``<client.id>-StreamThread-<n>-consumer`` and ``client.id``
   defaults to ``<application.id>-<process id>``, one per instance (instances given the same
   ``client.id`` look like one instance: they get no standbys of each other's tasks).
2. A stateful task's **owners** are the instances assigned one of its input partitions (one,
   unless a rebalance is moving it).
3. A task's first standby goes to its **successor**, the instance that the brokers' ``range``
   assignment would give the task if its owner left (:mod:`kstreams.runtime.range_successors`
   replays it), so a failover lands where a caught-up copy is.
4. Its second standby (``num.standby.replicas`` >= 2) goes where the task lands most often
   when its owner and one other instance leave at once
   (:func:`~kstreams.runtime.range_successors.fallbacks`): two failures at once then find
   a copy wherever the successor's own death or another's sends the task, as far as one
   more copy can.
5. The instances sorted by name form a ring. A task's other candidates are the instances
   after its first owner in the ring, owners and the standbys above left out; the task gets
   the rest of its ``num.standby.replicas`` from them (all of them if there are fewer),
   starting at candidate ``j mod len(candidates)``, ``j`` being the task's rank among its
   owner's tasks: an owner's standbys spread over the others.

So a standby is never on an instance that runs the task, there is at most one per instance,
and every instance computes the same placement from the same description. Within an instance
a task's standby goes to one live stream thread (:func:`thread_for`). Only a description of
a ``STABLE`` group changes the placement (a rebalance in progress shows members without
their partitions); it is refreshed every :data:`PLACEMENT_INTERVAL_S` from the stream threads'
loops (:meth:`StandbyPlacement.standbys_for`), without blocking them, and needs neither
``application.server`` nor anything published.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from kstreams.processor.task_id import TaskId
from kstreams.runtime.range_successors import GroupMember, fallbacks, successors
from kstreams.topology.topology import Topology

log = logging.getLogger("kstreams")

__all__ = [
    "PLACEMENT_INTERVAL_S",
    "StandbyPlacement",
    "assign_standbys",
    "instance_of_member",
    "thread_for",
]

PLACEMENT_INTERVAL_S = 2.0
"""How often the consumer group is described to place the standby tasks."""

_MEMBER = re.compile(r"^(?P<client>.+)-StreamThread-(?P<thread>\d+)-consumer$")


def instance_of_member(member_client_id: str) -> str | None:
    """The instance (its ``client.id``) of a group member's client id; None for a consumer
    that is not a stream thread's."""
    match = _MEMBER.match(member_client_id)
    return match.group("client") if match else None


def assign_standbys(
    owners: Mapping[TaskId, Iterable[str]],
    instances: Iterable[str],
    num_standbys: int,
    successors: Mapping[TaskId, str] | None = None,
    fallbacks: Mapping[TaskId, Sequence[str]] | None = None,
) -> dict[str, frozenset[TaskId]]:
    """The standby tasks of every instance (see the module notes).

    Args:
        owners: Each stateful task's owners: the instances assigned any of its partitions.
        instances: Every instance of the group (those without tasks too).
        num_standbys: ``num.standby.replicas``: standbys per task, at most one per instance
            other than its owners.
        successors: Where each task would go if its owner left
            (:func:`kstreams.runtime.range_successors.successors`): its first standby.
        fallbacks: Where each task lands most often if its owner and another instance
            left at once, best first (:func:`kstreams.runtime.range_successors.fallbacks`):
            the first one not chosen yet is its second standby.

    Returns:
        ``{instance: standby tasks}`` for every instance (empty sets included).

    Example::

        assign_standbys({TaskId(0, 0): ["a"], TaskId(0, 1): ["b"]}, ["a", "b"], 1)
        # {"a": frozenset({TaskId(0, 1)}), "b": frozenset({TaskId(0, 0)})}
    """
    if num_standbys < 0:
        raise ValueError(f"num_standbys must be >= 0, got {num_standbys}")
    ring = sorted(set(instances))
    where = {name: i for i, name in enumerate(ring)}
    out: dict[str, set[TaskId]] = {name: set() for name in ring}
    rank: dict[str, int] = {}
    for task in sorted(owners):
        holders = {h for h in owners[task] if h in where}
        if not holders or num_standbys == 0:
            continue
        first = min(holders)
        j = rank[first] = rank.get(first, -1) + 1
        start = where[first]
        candidates = [
            ring[(start + step) % len(ring)]
            for step in range(1, len(ring))
            if ring[(start + step) % len(ring)] not in holders
        ]
        if not candidates:
            continue
        heir = successors.get(task) if successors else None
        chosen = [heir] if heir in candidates else []
        if num_standbys >= 2 and fallbacks:
            second = [n for n in fallbacks.get(task, ()) if n in candidates and n not in chosen]
            chosen += second[:1]
        rest = [name for name in candidates if name not in chosen]
        if rest:
            turn = j % len(rest)
            chosen += rest[turn:] + rest[:turn]
        for name in chosen[:num_standbys]:
            out[name].add(task)
    return {name: frozenset(tasks) for name, tasks in out.items()}


def thread_for(task: TaskId, threads: list[int]) -> int | None:
    """Which of an instance's live stream threads (their indexes) hosts a standby task."""
    if not threads:
        return None
    ordered = sorted(threads)
    return ordered[(task.subtopology * 7919 + task.partition) % len(ordered)]


def stateful_subtopologies(topology: Topology, app_id: str) -> dict[str, int]:
    """The sub-topologies whose tasks get standbys (a store with a changelog of its own, not
    a source topic), as ``{source topic (resolved): sub-topology id}``."""
    out: dict[str, int] = {}
    for sub in topology.subtopologies():
        shadowed = [
            name
            for name in topology.stores_of(sub)
            if topology.changelog_topic(name, app_id) is not None  # None: a source topic's
        ]
        if shadowed:
            for topic in sub.source_topics:
                out[topology.resolve_topic(topic, app_id)] = sub.id
    return out


class StandbyPlacement:
    """This instance's standby tasks, from the consumer group's description (module notes).

    One per ``KafkaStreams`` client (with ``num.stream.threads`` threads asking it).

    Args:
        admin: The client's admin client.
        group_id: The ``application.id``.
        instance: This instance's ``client.id`` (its members' client-id prefix).
        topology: The built topology.
        num_standbys: ``num.standby.replicas``.
        live_threads: The indexes of this instance's stream threads that are not dead.
        interval_s: How often the group is described.
    """

    def __init__(
        self,
        admin: Any,
        group_id: str,
        instance: str,
        topology: Topology,
        num_standbys: int,
        live_threads: Callable[[], list[int]],
        interval_s: float = PLACEMENT_INTERVAL_S,
    ) -> None:
        self._admin = admin
        self.group_id = group_id
        self.instance = instance
        self.num_standbys = num_standbys
        self._sub_of_topic = stateful_subtopologies(topology, group_id)
        self._live_threads = live_threads
        self._interval_s = interval_s
        self._guard = threading.Lock()
        self._future: Any = None
        self._next_at = 0.0
        self._warned = ""
        self.mine: frozenset[TaskId] = frozenset()
        """This instance's standby tasks at the last stable description."""

    @property
    def shadows_anything(self) -> bool:
        """Whether the topology has tasks to shadow at all."""
        return bool(self._sub_of_topic) and self.num_standbys > 0

    def standbys_for(self, thread_index: int) -> frozenset[TaskId]:
        """The standby tasks of one stream thread of this instance (refreshing the
        description when it is due; never waits for it)."""
        if not self.shadows_anything:
            return frozenset()
        self._refresh()
        threads = self._live_threads()
        return frozenset(t for t in self.mine if thread_for(t, threads) == thread_index)

    def _refresh(self) -> None:
        if not self._guard.acquire(blocking=False):
            return  # another stream thread of this instance is at it
        try:
            fut = self._future
            if fut is None:
                now = time.monotonic()
                if now >= self._next_at:
                    self._next_at = now + self._interval_s
                    self._future = self._admin.describe_consumer_groups(
                        [self.group_id], request_timeout=10
                    )[self.group_id]
            elif fut.done():
                self._future = None
                self._apply(fut.result())
        except Exception as exc:  # the description failed: keep the placement, say so once
            self._future = None
            text = f"{type(exc).__name__}: {exc}"
            if text != self._warned:
                self._warned = text
                log.warning(
                    "could not describe consumer group %s to place standby tasks (%s); "
                    "keeping the last placement and retrying",
                    self.group_id,
                    text,
                )
        finally:
            self._guard.release()

    def _apply(self, group: Any) -> None:
        state = getattr(getattr(group, "state", None), "name", "")
        if state != "STABLE":
            return  # a rebalance in progress: members' partitions are not all known
        owners: dict[TaskId, set[str]] = {}
        instances: set[str] = set()
        threads_seen: dict[str, int] = {}
        members: list[GroupMember] = []
        partitions: dict[int, int] = {}
        for member in group.members:
            name = instance_of_member(member.client_id)
            if name is None:
                continue
            instances.add(name)
            threads_seen[member.client_id] = threads_seen.get(member.client_id, 0) + 1
            members.append(
                GroupMember(
                    str(getattr(member, "member_id", "")),
                    name,
                    getattr(member, "group_instance_id", None) or None,
                )
            )
            assignment = getattr(member, "assignment", None)
            for tp in getattr(assignment, "topic_partitions", None) or ():
                sub = self._sub_of_topic.get(tp.topic)
                if sub is not None:
                    owners.setdefault(TaskId(sub, tp.partition), set()).add(name)
                    partitions[sub] = max(partitions.get(sub, 0), tp.partition + 1)
        twins = sorted(c for c, n in threads_seen.items() if n > 1)
        if twins and self._warned != f"twins {twins}":
            self._warned = f"twins {twins}"
            log.warning(
                "consumer group %s has several members with client id %s: instances that "
                "share a client.id count as one, and get no standby tasks of each other's "
                "tasks. Give each instance its own client.id (or leave it unset).",
                self.group_id,
                ", ".join(twins),
            )
        protocol = _range_protocol(group)
        heirs = successors(members, owners, partitions, protocol) if protocol else None
        seconds = None
        if protocol and self.num_standbys >= 2:
            seconds = fallbacks(members, owners, partitions, protocol)
        placement = assign_standbys(owners, instances, self.num_standbys, heirs, seconds)
        mine = placement.get(self.instance, frozenset())
        if mine != self.mine:
            log.info(
                "stream-client [%s] standby tasks placed here: %s (num.standby.replicas=%d, "
                "instances %s)",
                self.instance,
                sorted(str(t) for t in mine),
                self.num_standbys,
                sorted(instances),
            )
        self.mine = mine


def _range_protocol(group: Any) -> str | None:
    """``consumer`` or ``classic`` when the group's members are assigned by the ``range``
    assignor, whose assignment :func:`successors` replays; None otherwise."""
    if str(getattr(group, "partition_assignor", "") or "").lower() != "range":
        return None
    kind = getattr(getattr(group, "type", None), "name", "")
    return {"CONSUMER": "consumer", "CLASSIC": "classic"}.get(kind)
