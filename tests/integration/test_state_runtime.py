"""State on a real broker: word count end to end, internal topics, interactive queries, KTables.

Every test uses its own topics, ``application.id`` and ``state.dir``; counts read back from the
output topic (latest value per key) are compared with counts computed in the test.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from helpers import (
    REPO_ROOT,
    TopicReader,
    app_topics,
    delete_topics,
    high_watermarks,
    latest_counts,
    partition_count,
    produce,
    read_all,
    running_streams,
    streams_config,
    text_lines,
    topic_configs,
    unique_app_id,
    wait_until,
)

from kstreams import KafkaStreams, Materialized, Serdes, StreamsBuilder

sys.path.insert(0, str(REPO_ROOT / "examples"))

import word_count  # examples/word_count.py

pytestmark = pytest.mark.integration


def _word_count_config(bootstrap: str, app_id: str, state_dir: Path, **overrides):
    return streams_config(
        bootstrap,
        app_id,
        **{"state.dir": str(state_dir), "commit.interval.ms": 200, **overrides},
    )


def _counts_are(expected: dict[str, int]):
    return lambda recs: latest_counts(recs) == expected


# --------------------------------------------------------------------------- #
# 1. Word count end to end: counts, changelog and repartition topics, purge
# --------------------------------------------------------------------------- #


def test_word_count_end_to_end_with_internal_topics(
    kafka_bootstrap: str, new_topic, tmp_path: Path
) -> None:
    src, dst = new_topic(partitions=3), new_topic(partitions=3)
    app_id = unique_app_id("wc-e2e")
    changelog, repartition = f"{app_id}-counts-changelog", f"{app_id}-counts-repartition"
    lines, expected = text_lines(seed=1, n=300)
    produce(kafka_bootstrap, src, lines)
    config = _word_count_config(
        kafka_bootstrap, app_id, tmp_path, **{"repartition.purge.interval.ms": 100}
    )
    try:
        with (
            TopicReader(kafka_bootstrap, dst) as reader,
            running_streams(word_count.build_topology(src, dst), config) as streams,
        ):
            reader.wait_for(
                _counts_are(expected), timeout=60, what="the expected counts", streams=streams
            )

            # internal topics: names, partition counts (the input's) and cleanup policies
            assert partition_count(kafka_bootstrap, changelog) == 3
            assert partition_count(kafka_bootstrap, repartition) == 3
            assert topic_configs(kafka_bootstrap, changelog)["cleanup.policy"] == "compact"
            assert topic_configs(kafka_bootstrap, repartition)["cleanup.policy"] == "delete"

            # the repartition topic got one record per word, and is purged after commits
            def purged() -> bool:
                marks = high_watermarks(kafka_bootstrap, repartition)
                return all(low == high for low, high in marks.values())

            wait_until(purged, timeout=30, interval=0.3, what=f"{repartition} to be purged")
            marks = high_watermarks(kafka_bootstrap, repartition)
            assert sum(high for _, high in marks.values()) == sum(expected.values()), marks

            reader.settle_committed(app_id, src)
            assert latest_counts(reader.records) == expected

        # the output is never ahead of the input: no count above the final one
        for r in reader.records:
            assert latest_counts([r])[r.key_str] <= expected[r.key_str], r
        # the changelog holds the same counts (latest per key), in the partition of each word
        changelog_records = read_all(kafka_bootstrap, changelog)
        assert latest_counts(changelog_records) == expected
        by_word = {r.key_str: r.partition for r in reader.records}
        for r in changelog_records:
            assert r.partition == by_word[r.key_str], r
    finally:
        delete_topics(kafka_bootstrap, app_topics(kafka_bootstrap, app_id))


# --------------------------------------------------------------------------- #
# 2. Interactive queries
# --------------------------------------------------------------------------- #


def test_interactive_queries_match_counts(kafka_bootstrap: str, new_topic, tmp_path: Path) -> None:
    src, dst = new_topic(partitions=3), new_topic(partitions=3)
    app_id = unique_app_id("wc-iq")
    lines, expected = text_lines(seed=2, n=200)
    more_lines, more = text_lines(seed=3, n=100, key_prefix="more")
    total = {w: expected.get(w, 0) + more.get(w, 0) for w in {*expected, *more}}
    config = _word_count_config(kafka_bootstrap, app_id, tmp_path)
    try:
        with (
            TopicReader(kafka_bootstrap, dst) as reader,
            running_streams(word_count.build_topology(src, dst), config) as streams,
        ):
            produce(kafka_bootstrap, src, lines)
            reader.wait_for(
                _counts_are(expected), timeout=60, what="the expected counts", streams=streams
            )
            store = streams.store("counts")
            wait_until(
                lambda: dict(store.all()) == expected,
                timeout=20,
                what="the store to hold the expected counts",
            )
            for word, n in expected.items():
                assert store.get(word) == n, word
            assert store.get("no-such-word") is None
            keys = [k for k, _ in store.all()]
            assert keys == sorted(expected)  # serialized (UTF-8) key order over all tasks
            assert [k for k, _ in store.reverse_all()] == sorted(expected, reverse=True)
            assert dict(store.range("count", "record")) == {
                w: n for w, n in expected.items() if "count" <= w <= "record"
            }

            # the view follows the running app
            produce(kafka_bootstrap, src, more_lines)
            reader.wait_for(
                _counts_are(total), timeout=60, what="the counts after more input", streams=streams
            )
            wait_until(
                lambda: dict(streams.store("counts").all()) == total,
                timeout=20,
                what="the store to follow the new input",
            )
            assert {w: streams.store("counts").get(w) for w in total} == total
    finally:
        delete_topics(kafka_bootstrap, app_topics(kafka_bootstrap, app_id))


# --------------------------------------------------------------------------- #
# 7. KTable end to end: a row moving between groups
# --------------------------------------------------------------------------- #


def test_ktable_group_by_count_moves_rows_between_groups(
    kafka_bootstrap: str, new_topic, tmp_path: Path
) -> None:
    users, dst = new_topic(partitions=2), new_topic(partitions=2)
    app_id = unique_app_id("ktable")
    builder = StreamsBuilder()
    (
        builder.table(users, key_serde=Serdes.String(), value_serde=Serdes.String())
        .group_by(lambda user, country: (country, user))
        .count(Materialized.as_("users-per-country"))
        .to_stream()
        .to(dst, key_serde=Serdes.String(), value_serde=Serdes.Long())
    )
    config = streams_config(
        kafka_bootstrap, app_id, **{"state.dir": str(tmp_path), "commit.interval.ms": 200}
    )

    def country_values(records, country: str) -> list[int]:
        return [latest_counts([r])[country] for r in records if r.key_str == country]

    try:
        with (
            TopicReader(kafka_bootstrap, dst) as reader,
            running_streams(builder.build(), config) as streams,
        ):
            produce(
                kafka_bootstrap,
                users,
                [("alice", "de"), ("bob", "de"), ("carol", "fr"), ("dave", "it")],
            )
            reader.wait_for(
                lambda recs: latest_counts(recs) == {"de": 2, "fr": 1, "it": 1},
                timeout=60,
                what="the first counts",
                streams=streams,
            )
            seen = len(reader.records)

            # alice moves from de to fr: de goes down, fr goes up
            produce(kafka_bootstrap, users, [("alice", "fr")])
            reader.wait_for(
                lambda recs: latest_counts(recs) == {"de": 1, "fr": 2, "it": 1},
                timeout=30,
                what="de down and fr up after alice moved",
                streams=streams,
            )
            moved = reader.records[seen:]
            assert country_values(moved, "de") == [1]
            assert country_values(moved, "fr") == [2]
            assert "it" not in {r.key_str for r in moved}
            seen = len(reader.records)

            # an update within the same group changes nothing; a deleted user leaves its group
            produce(kafka_bootstrap, users, [("carol", "fr"), ("dave", None)])
            reader.wait_for(
                lambda recs: latest_counts(recs) == {"de": 1, "fr": 2, "it": 0},
                timeout=30,
                what="it down to 0 after dave was deleted",
                streams=streams,
            )
            reader.settle_committed(app_id, users)
            assert latest_counts(reader.records) == {"de": 1, "fr": 2, "it": 0}
            assert country_values(reader.records[seen:], "it") == [0]
            assert streams.store("users-per-country").get("fr") == 2

        # Both stores (the users table and the counts) come back from their changelogs after
        # the local state is deleted: moving bob needs his old country from the table's store.
        KafkaStreams(builder.build(), config).cleanup()
        assert not (tmp_path / app_id).exists()
        with (
            TopicReader(kafka_bootstrap, dst) as reader,
            running_streams(builder.build(), config) as streams,
        ):
            assert streams.store("users-per-country").get("fr") == 2
            produce(kafka_bootstrap, users, [("bob", "it")])
            reader.wait_for(
                lambda recs: latest_counts(recs) == {"de": 0, "fr": 2, "it": 1},
                timeout=30,
                what="de down and it up after bob moved (restored state)",
                streams=streams,
            )
    finally:
        delete_topics(kafka_bootstrap, app_topics(kafka_bootstrap, app_id))
