"""A task runs on one instance with all of its partitions (real broker, two instances).

A sub-topology that merges two topics has tasks of two partitions each. Two instances in one
group split the tasks, each whole; topics of different partition counts are refused at
start-up; and when members run different topologies (a rolling upgrade), a member never runs
a task of which it was assigned only some partitions.
"""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from helpers import (
    TopicReader,
    group_assignment,
    latest_counts,
    produce,
    running_streams,
    streams_config,
    unique_app_id,
    wait_until,
)

from kstreams import KafkaStreams, Materialized, Serdes, StreamsBuilder, TopologyError

pytestmark = pytest.mark.integration


def merged_counts(a: str, b: str, out: str) -> Any:
    builder = StreamsBuilder()
    (
        builder.stream(a)
        .merge(builder.stream(b))
        .group_by_key()
        .count(Materialized.as_("counts"))
        .to_stream()
        .to(out, value_serde=Serdes.Long())
    )
    return builder.build()


def running_tasks(streams: KafkaStreams) -> dict[str, list[tuple[str, int]]]:
    return {
        str(task_id): sorted(task.partitions)
        for thread in streams._threads
        for task_id, task in thread.tasks.items()
    }


def test_two_instances_split_two_topic_tasks_whole(
    kafka_bootstrap: str, new_topic, tmp_path: Path
) -> None:
    a, b, out = new_topic(partitions=4), new_topic(partitions=4), new_topic(partitions=4)
    app_id = unique_app_id("copart")
    records = [(f"k{i}", "x") for i in range(40)]
    with (
        TopicReader(kafka_bootstrap, out) as reader,
        running_streams(
            merged_counts(a, b, out),
            streams_config(kafka_bootstrap, app_id, **{"state.dir": str(tmp_path / "x")}),
        ) as x,
        running_streams(
            merged_counts(a, b, out),
            streams_config(kafka_bootstrap, app_id, **{"state.dir": str(tmp_path / "y")}),
        ) as y,
    ):

        def split() -> Any:
            members = group_assignment(kafka_bootstrap, app_id)
            if not members or len(members) != 2:
                return None
            tx, ty = running_tasks(x), running_tasks(y)
            return (tx, ty) if tx and ty and len(tx) + len(ty) == 4 else None

        tx, ty = wait_until(split, timeout=60, interval=0.5, what="4 tasks over two instances")
        assert set(tx).isdisjoint(ty)
        assert set(tx) | set(ty) == {"0_0", "0_1", "0_2", "0_3"}
        for task, partitions in {**tx, **ty}.items():
            p = int(task.split("_")[1])
            assert partitions == sorted([(a, p), (b, p)]), (task, partitions)
        produce(kafka_bootstrap, a, records)
        produce(kafka_bootstrap, b, records)
        reader.wait_for(
            lambda recs: latest_counts(recs) == {k: 2 for k, _ in records},
            timeout=60,
            what="every key counted twice (once per topic)",
        )


def test_topics_of_different_partition_counts_are_refused_at_start(
    kafka_bootstrap: str, new_topic, tmp_path: Path
) -> None:
    a, b, out = new_topic(partitions=4), new_topic(partitions=2), new_topic(partitions=1)
    streams = KafkaStreams(
        merged_counts(a, b, out),
        streams_config(kafka_bootstrap, unique_app_id("copart"), **{"state.dir": str(tmp_path)}),
    )
    try:
        with pytest.raises(TopologyError) as info:
            streams.start()
        assert f"{a} (4 partitions)" in str(info.value)
        assert f"{b} (2 partitions)" in str(info.value)
    finally:
        streams.close()


def test_a_member_never_runs_a_task_it_has_only_part_of(
    kafka_bootstrap: str, new_topic, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Rolling upgrade: x reads topics a and b, y (an older version) reads only a."""
    a, b, out = new_topic(partitions=2), new_topic(partitions=2), new_topic(partitions=2)
    app_id = unique_app_id("copart")
    old = StreamsBuilder()
    old.stream(a).group_by_key().count(Materialized.as_("counts")).to_stream().to(
        out, value_serde=Serdes.Long()
    )
    caplog.set_level(logging.WARNING, logger="kstreams")
    with (
        running_streams(
            merged_counts(a, b, out),
            streams_config(kafka_bootstrap, app_id, **{"state.dir": str(tmp_path / "x")}),
        ) as x,
        running_streams(
            old.build(),
            streams_config(kafka_bootstrap, app_id, **{"state.dir": str(tmp_path / "y")}),
        ) as y,
    ):

        def settled() -> Any:
            members = group_assignment(kafka_bootstrap, app_id)
            if not members or len(members) != 2:
                return None
            owned = Counter(tp for parts in members.values() for tp in parts)
            # the range assignor gives y one partition of a, x the other and both of b
            return members if owned[(a, 0)] + owned[(a, 1)] == 2 and len(owned) == 4 else None

        wait_until(settled, timeout=60, interval=0.5, what="a settled two-member group")
        wait_until(
            lambda: running_tasks(x) and running_tasks(y), timeout=30, what="both running a task"
        )
        tx, ty = running_tasks(x), running_tasks(y)
        assert len(tx) == 1 and len(ty) == 1, (tx, ty)
        (y_task,) = ty
        # x runs its other task with both partitions, and not y's task with b's partition only
        assert y_task not in tx
        assert all(len(parts) == 2 for parts in tx.values()), tx
        assert f"task {y_task} is assigned only some of its partitions" in caplog.text
