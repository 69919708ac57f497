"""A left stream-stream join on the real broker, at-least-once and exactly_once_v2: the join's
window stores and its outer-join store are changelogged and restored after the state directory
is wiped, and the result is exact.

Run 1 reads left records k0..k5 and right records for k0 and k1 (the joins happen whatever the
order the task reads the two topics in). The local state is then deleted. Run 2 restores the
three stores from their changelogs: right records for k2 and k3 join the restored left window
store (and take k2 and k3 out of the restored outer-join store), and a far-ahead left record in
each partition closes the windows, so the records still waiting in the restored outer-join
stores -- k4 and k5, no other -- come out as ``L|None``.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from helpers import (
    TopicReader,
    app_topics,
    group_caught_up,
    java_partition,
    produce,
    running_streams,
    streams_config,
    topic_configs,
    unique_app_id,
    wait_until,
)

from kstreams import JoinWindows, KafkaStreams, StreamsBuilder, Topology, TopologyError

pytestmark = pytest.mark.integration

WINDOW_MS = 10_000


def topology(left: str, right: str, out: str) -> Topology:
    b = StreamsBuilder()
    b.stream(left).left_join(
        b.stream(right),
        lambda lv, rv: f"{lv}|{rv}",
        JoinWindows.of_time_difference_with_no_grace(WINDOW_MS),
    ).to(out)
    return b.build()


def _closer_keys(partitions: int) -> list[str]:
    """One key per partition, for records that close the windows there."""
    found: dict[int, str] = {}
    i = 0
    while len(found) < partitions:
        key = f"close-{i}"
        found.setdefault(java_partition(key.encode(), partitions), key)
        i += 1
    return [found[p] for p in range(partitions)]


def _pairs(records: Any) -> list[tuple[str, str]]:
    return sorted((r.key.decode(), r.value.decode()) for r in records)


@pytest.mark.slow
@pytest.mark.parametrize("guarantee", ["at_least_once", "exactly_once_v2"])
def test_left_join_restores_its_stores_and_gives_the_exact_result(
    kafka_bootstrap: str, new_topic: Any, tmp_path: Path, guarantee: str
) -> None:
    left, right, out = new_topic(partitions=2), new_topic(partitions=2), new_topic(partitions=2)
    app_id = unique_app_id(f"ss-join-{guarantee[:3]}")
    config = streams_config(
        kafka_bootstrap,
        app_id,
        **{
            "state.dir": str(tmp_path),
            "processing.guarantee": guarantee,
            "commit.interval.ms": 200,
        },
    )
    # scan for closed windows on every record (default: at most once a second)
    config["__emit.interval.ms.kstreams.outer.join.spurious.results.fix__"] = 0
    base = int(time.time() * 1000)
    lefts = [(f"k{i}", f"L{i}", base + 10 * i) for i in range(6)]

    with running_streams(topology(left, right, out), config):
        produce(kafka_bootstrap, left, lefts)
        produce(kafka_bootstrap, right, [("k0", "R0", base + 1), ("k1", "R1", base + 11)])
        with TopicReader(kafka_bootstrap, out) as reader:
            reader.wait_for(lambda recs: len(recs) >= 2, timeout=60, what="the first joins")
        wait_until(
            lambda: group_caught_up(kafka_bootstrap, app_id, [left, right]),
            timeout=60,
            what="run 1 committed",
        )

    changelogs = [t for t in app_topics(kafka_bootstrap, app_id) if t.endswith("-changelog")]
    assert sorted(changelogs) == [
        f"{app_id}-KSTREAM-JOINTHIS-0000000004-store-changelog",
        f"{app_id}-KSTREAM-OUTEROTHER-0000000005-store-changelog",
        f"{app_id}-KSTREAM-OUTERSHARED-0000000004-store-changelog",
    ]
    window_changelog = topic_configs(kafka_bootstrap, changelogs[0])
    assert window_changelog["cleanup.policy"] == "delete"  # retain-duplicates: no compaction
    shutil.rmtree(tmp_path / app_id)  # the local state is lost: the changelogs restore it

    with running_streams(topology(left, right, out), config):
        produce(kafka_bootstrap, right, [("k2", "R2", base + 25), ("k3", "R3", base + 35)])
        with TopicReader(kafka_bootstrap, out) as reader:
            reader.wait_for(lambda recs: len(recs) >= 4, timeout=60, what="joins after restore")
        far = base + 10 * WINDOW_MS
        produce(kafka_bootstrap, left, [(k, "Z", far) for k in _closer_keys(2)])
        with TopicReader(kafka_bootstrap, out) as reader:
            reader.wait_for(lambda recs: len(recs) >= 6, timeout=60, what="the closed windows")
            got = _pairs(reader.settle_committed(app_id, [left, right]))  # and nothing more

    assert got == [
        ("k0", "L0|R0"),
        ("k1", "L1|R1"),
        ("k2", "L2|R2"),
        ("k3", "L3|R3"),
        ("k4", "L4|None"),
        ("k5", "L5|None"),
    ]


def test_joined_topics_of_different_partition_counts_are_refused_at_start(
    kafka_bootstrap: str, new_topic: Any, tmp_path: Path
) -> None:
    left, right, out = new_topic(partitions=3), new_topic(partitions=2), new_topic(partitions=1)
    streams = KafkaStreams(
        topology(left, right, out),
        streams_config(kafka_bootstrap, unique_app_id("ss-copart"), **{"state.dir": str(tmp_path)}),
    )
    try:
        with pytest.raises(TopologyError) as info:
            streams.start()
        assert f"{left} (3 partitions)" in str(info.value)
        assert f"{right} (2 partitions)" in str(info.value)
    finally:
        streams.close()


@pytest.mark.parametrize("logging", ["enabled", "disabled"])
def test_stream_joined_logging_config_reaches_the_changelog_topics(
    kafka_bootstrap: str, new_topic: Any, tmp_path: Path, logging: str
) -> None:
    """``StreamJoined.with_logging_enabled(config)``: the join's window-store changelogs are
    created with the user's topic configs (beside kstreams' own ``cleanup.policy=delete``);
    ``with_logging_disabled()``: no changelog topic at all."""
    from kstreams import StreamJoined

    left, right, out = new_topic(partitions=1), new_topic(partitions=1), new_topic(partitions=1)
    app_id = unique_app_id(f"ss-join-log-{logging[:3]}")
    joined = StreamJoined.as_("pay")
    if logging == "enabled":
        joined = joined.with_logging_enabled(
            {"retention.ms": "7200000", "segment.bytes": "1048576"}
        )
    else:
        joined = joined.with_logging_disabled()
    b = StreamsBuilder()
    b.stream(left).join(
        b.stream(right),
        lambda lv, rv: f"{lv}|{rv}",
        JoinWindows.of_time_difference_with_no_grace(WINDOW_MS),
        joined,
    ).to(out)
    config = streams_config(kafka_bootstrap, app_id, **{"state.dir": str(tmp_path)})
    base = int(time.time() * 1000)
    with running_streams(b.build(), config):
        produce(kafka_bootstrap, left, [("k", "L", base)])
        produce(kafka_bootstrap, right, [("k", "R", base + 1)])
        with TopicReader(kafka_bootstrap, out) as reader:
            records = reader.wait_for(lambda recs: len(recs) >= 1, timeout=60, what="the join")
        assert _pairs(records) == [("k", "L|R")]
    changelogs = sorted(t for t in app_topics(kafka_bootstrap, app_id) if t.endswith("-changelog"))
    if logging == "disabled":
        assert changelogs == []
        return
    assert changelogs == [
        f"{app_id}-pay-other-join-store-changelog",
        f"{app_id}-pay-this-join-store-changelog",
    ]
    for topic in changelogs:
        configs = topic_configs(kafka_bootstrap, topic)
        assert configs["retention.ms"] == "7200000", topic
        assert configs["segment.bytes"] == "1048576", topic
        assert configs["cleanup.policy"] == "delete", topic
