"""``num.stream.threads`` > 1: the threads of one client share the partitions like separate members."""

from __future__ import annotations

import pytest
from helpers import (
    TopicReader,
    latest_counts,
    produce,
    running_streams,
    streams_config,
    text_lines,
    unique_app_id,
    wait_until,
)

from kstreams import Materialized, Serdes, StreamsBuilder

pytestmark = pytest.mark.integration


def test_two_stream_threads_split_the_tasks_and_count_exactly(
    kafka_bootstrap: str, new_topic, tmp_path
) -> None:
    lines_topic = new_topic(partitions=4)
    counts_topic = new_topic(partitions=4)
    lines, expected = text_lines(seed=11, n=400)
    produce(kafka_bootstrap, lines_topic, lines)

    builder = StreamsBuilder()
    (
        builder.stream(lines_topic, key_serde=Serdes.String(), value_serde=Serdes.String())
        .flat_map_values(lambda line: [w.strip(",.!?-").lower() for w in line.split()])
        .filter(lambda _k, word: bool(word))
        .group_by(lambda _k, word: word)
        .count(Materialized.as_("counts"))
        .to_stream()
        .to(counts_topic, value_serde=Serdes.Long())
    )
    config = streams_config(
        kafka_bootstrap,
        unique_app_id("threads"),
        **{"num.stream.threads": 2, "state.dir": str(tmp_path)},
    )
    with (
        TopicReader(kafka_bootstrap, counts_topic) as reader,
        running_streams(builder.build(), config) as streams,
    ):
        reader.wait_for(lambda recs: latest_counts(recs) == expected, 60, "exact counts", streams)
        threads = streams._threads
        assert len(threads) == 2

        def split() -> list[set[str]] | None:
            # the second thread may join the group after the first took every task
            owned = [{str(t) for t in thread.tasks} for thread in threads]
            running = streams.state.name == "RUNNING"
            return owned if running and all(owned) and len(owned[0] | owned[1]) == 8 else None

        owned = wait_until(split, 60, what="both threads owning tasks")
        assert not owned[0] & owned[1], f"a task is on both threads: {owned}"
        assert streams.store("counts").get("kafka") == expected["kafka"]
