"""Co-partitioning at start-up: every topic a sub-topology reads has the same partition count.

Pure functions over the built topology and the partition counts the cluster reports (the
broker side of the check runs in ``tests/integration/test_copartition_instances.py``).
"""

from __future__ import annotations

import pytest

from kstreams import Repartitioned, StreamsBuilder, TopologyError
from kstreams.runtime.topics import changelog_topics, internal_topic_partitions


def test_a_sub_topology_reading_topics_of_different_partition_counts_is_refused() -> None:
    builder = StreamsBuilder()
    builder.stream("a").merge(builder.stream("b")).to("out")
    with pytest.raises(TopologyError) as info:
        internal_topic_partitions(builder.build(), "app", {"a": 4, "b": 2, "out": 1})
    message = str(info.value)
    assert "Sub-topology 0" in message
    assert "a (4 partitions), b (2 partitions)" in message
    assert "co-partitioned" in message


def test_equal_partition_counts_pass() -> None:
    builder = StreamsBuilder()
    builder.stream(["a", "b"]).group_by_key().count()
    topology = builder.build()
    assert internal_topic_partitions(topology, "app", {"a": 3, "b": 3}) == {}
    assert changelog_topics(topology, "app", {"a": 3, "b": 3}) == {
        "app-KSTREAM-AGGREGATE-STATE-STORE-0000000001-changelog": (
            3,
            {"cleanup.policy": "compact", "message.timestamp.type": "CreateTime"},
        )
    }


def test_a_repartition_topic_merged_with_a_user_topic_takes_its_partition_count() -> None:
    # Kafka Streams would give the repartition topic b's 2 partitions and run tasks 1_2 and
    # 1_3 on partitions of "a" alone; kstreams gives it a's 4, so no task is ever partial
    builder = StreamsBuilder()
    rekeyed = builder.stream("b").select_key(lambda k, v: v).repartition()
    builder.stream("a").merge(rekeyed).group_by_key().count()
    topology = builder.build()
    counts = internal_topic_partitions(topology, "app", {"a": 4, "b": 2})
    assert counts == {"app-KSTREAM-REPARTITION-0000000002-repartition": 4}
    ((n, _),) = changelog_topics(topology, "app", {"a": 4, "b": 2, **counts}).values()
    assert n == 4


def test_a_repartition_topic_whose_count_was_set_must_match() -> None:
    builder = StreamsBuilder()
    rekeyed = (
        builder.stream("b")
        .select_key(lambda k, v: v)
        .repartition(Repartitioned.number_of_partitions(2))
    )
    builder.stream("a").merge(rekeyed).to("out")
    with pytest.raises(TopologyError, match=r"with 2 partitions \(set by Repartitioned\)"):
        internal_topic_partitions(builder.build(), "app", {"a": 4, "b": 2})


def test_downstream_repartition_topics_follow_a_changed_count() -> None:
    # b (2) -> rekey -> R1, merged with a (6): R1 gets 6; group_by after the merge writes R2,
    # whose count comes from the merged sub-topology's topics: 6
    builder = StreamsBuilder()
    rekeyed = builder.stream("b").select_key(lambda k, v: v).repartition()
    merged = builder.stream("a").merge(rekeyed)
    merged.group_by(lambda k, v: v).count()
    counts = internal_topic_partitions(builder.build(), "app", {"a": 6, "b": 2})
    assert sorted(counts.values()) == [6, 6]
