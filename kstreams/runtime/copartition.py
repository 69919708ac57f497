"""Co-partitioning: every topic a sub-topology reads has the same number of partitions.

A task is a sub-topology on one partition number and gets partition ``p`` of every topic its
sub-topology reads. kstreams' consumer-group assignor hands out each topic's partitions by
itself (equal partition numbers of equally partitioned topics go to the same member), so a
sub-topology whose topics differ in partition count would have tasks whose partitions are
split across instances. So, as Kafka Streams' ``CopartitionedTopicsEnforcer`` does for the
topics of a join, kstreams checks every sub-topology that reads several topics at start-up:
user topics must have equal partition counts (a :class:`~kstreams.errors.TopologyError`
names them otherwise), and repartition topics whose count nobody fixed take that count.
"""

from __future__ import annotations

from kstreams.errors import TopologyError
from kstreams.topology.topology import Topology


def enforce_copartitioning(
    topology: Topology,
    app_id: str,
    known: dict[str, int],
    internal: dict[str, int],
    decided: dict[str, int],
) -> bool:
    """Check every multi-topic sub-topology; record repartition counts it must change.

    ``known``: partition counts of existing topics (real names); ``internal``: the counts
    resolved so far for internal topics (real names); ``decided``: repartition topics
    (unprefixed names) whose count co-partitioning has fixed, updated in place. Returns
    True if it fixed a count that differs from ``internal`` (resolve again and re-check).
    """
    changed = False
    for sub in topology.subtopologies():
        if len(sub.source_topics) < 2:
            continue
        users: dict[str, int] = {}
        repartitions: dict[str, int] = {}
        for topic in sub.source_topics:
            real = topology.resolve_topic(topic, app_id)
            if topology.is_internal(topic):
                repartitions[topic] = internal[real]
            else:
                users[topic] = known[real]
        if len(set(users.values())) > 1:
            raise TopologyError(
                f"Sub-topology {sub.id} reads topics with different partition counts: "
                f"{_listing(users)}. Each task of a sub-topology reads one partition number "
                "of all its topics, so they must be co-partitioned (equal partition counts). "
                "Give the topics the same number of partitions, or read one of them through "
                "repartition(Repartitioned.number_of_partitions(n)) before combining."
            )
        target = next(iter(users.values())) if users else max(repartitions.values())
        for topic, count in repartitions.items():
            if count == target:
                continue
            explicit = topology.internal_topics[topic].num_partitions
            if explicit is not None:
                raise TopologyError(
                    f"Sub-topology {sub.id} reads repartition topic {topic} with "
                    f"{explicit} partitions (set by Repartitioned) together with "
                    f"{_listing({**users, **repartitions})}: they must have the same "
                    "number of partitions. Give the repartition topic "
                    f"{target} partitions, or none, so that it takes the others' count."
                )
            decided[topic] = target
            changed = True
    return changed


def _listing(counts: dict[str, int]) -> str:
    return ", ".join(f"{topic} ({n} partitions)" for topic, n in sorted(counts.items()))
