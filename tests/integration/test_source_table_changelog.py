"""A source table restored from its own topic (``topology.optimization=all``), on a real broker.

``builder.table(topic, Materialized.as_(...))`` built with the optimization writes no
``-changelog`` topic; after its local state is deleted, a restart restores the table from the
source topic up to the committed offset of each partition (not the log end: records produced
while the app was down are processed afterwards, with the right old values, so the counts
per country downstream come out right).
"""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pytest
from helpers import (
    RestoreRecorder,
    TopicReader,
    app_topics,
    committed_offsets,
    delete_topics,
    high_watermarks,
    latest_counts,
    produce,
    streams_config,
    unique_app_id,
    wait_until,
)

from kstreams import KafkaStreams, Materialized, Serdes, StreamsBuilder, Topology

pytestmark = pytest.mark.integration

S = Serdes.String()
TABLE_STORE = "users-store"
COUNTS_STORE = "counts"


def users_per_country(src: str, dst: str) -> Topology:
    builder = StreamsBuilder()
    (
        builder.table(src, Materialized.as_(TABLE_STORE), key_serde=S, value_serde=S)
        .group_by(lambda user, country: (country, user), key_serde=S, value_serde=S)
        .count(Materialized.as_(COUNTS_STORE))
        .to_stream()
        .to(dst, key_serde=S, value_serde=Serdes.Long())
    )
    return builder.build({"topology.optimization": "all"})


def _run(
    bootstrap: str,
    topology: Topology,
    config: dict,
    dst: str,
    expected: dict[str, int],
    records: list[tuple[str, str | None]] = (),  # type: ignore[assignment]
    listener: RestoreRecorder | None = None,
    src: str = "",
) -> dict[str, str]:
    """Run until the counts on ``dst`` are ``expected``; close cleanly; return the table."""
    streams = KafkaStreams(topology, config)
    if listener is not None:
        streams.set_global_state_restore_listener(listener)
    try:
        streams.start()
        streams.wait_until_running(60)
        if records:
            produce(bootstrap, src, records)

        def counts(recs: list) -> dict[str, int]:
            return {k: v for k, v in latest_counts(recs).items() if v}

        with TopicReader(bootstrap, dst) as reader:
            reader.wait_for(
                lambda recs: counts(recs) == expected,
                timeout=60,
                what="the expected counts",
                streams=streams,
            )
            # every input record processed and committed, and nothing more comes
            ends = {p: high for p, (_low, high) in high_watermarks(bootstrap, src).items()}
            wait_until(
                lambda: committed_offsets(bootstrap, config["application.id"], src) == ends,
                timeout=60,
                what="the input committed to its end",
            )
            reader.read_to_end()
            assert counts(reader.records) == expected
        table = dict(streams.store(TABLE_STORE).all())
    finally:
        assert streams.close(60), "KafkaStreams did not close in time"
    return table


def test_restart_restores_the_table_from_its_source_topic_up_to_the_committed_offset(
    kafka_bootstrap: str, new_topic, tmp_path: Path
) -> None:
    src, dst = new_topic(partitions=2), new_topic(partitions=2)
    app_id = unique_app_id("source-changelog")
    config = streams_config(kafka_bootstrap, app_id, **{"state.dir": str(tmp_path)})
    topology = users_per_country(src, dst)
    rng = random.Random(7)
    countries = ["DE", "FR", "US"]
    users: dict[str, str] = {f"u{i}": rng.choice(countries) for i in range(40)}
    try:
        # 1. the first run builds the table and the counts
        first = _run(
            kafka_bootstrap,
            topology,
            config,
            dst,
            dict(Counter(users.values())),
            list(users.items()),
            src=src,
        )
        assert first == users
        topics = app_topics(kafka_bootstrap, app_id)
        assert f"{app_id}-{TABLE_STORE}-changelog" not in topics, topics
        assert f"{app_id}-{COUNTS_STORE}-changelog" in topics, topics
        committed = committed_offsets(kafka_bootstrap, app_id, src)
        assert sum(committed.values()) == len(users), committed

        # 2. while the app is down, its local state goes and users move or leave
        KafkaStreams(topology, config).cleanup()
        changes: list[tuple[str, str | None]] = []
        for user in rng.sample(sorted(users), 15):
            if rng.random() < 0.3:
                changes.append((user, None))
                del users[user]
            else:
                users[user] = rng.choice([c for c in countries if c != users[user]])
                changes.append((user, users[user]))
        produce(kafka_bootstrap, src, changes)
        ends = {p: high for p, (_low, high) in high_watermarks(kafka_bootstrap, src).items()}
        assert sum(ends.values()) > sum(committed.values())

        # 3. the restart restores the table from the source topic, up to the committed offsets,
        # then processes the changes with the old values they replace
        listener = RestoreRecorder()
        second = _run(
            kafka_bootstrap,
            topology,
            config,
            dst,
            dict(Counter(users.values())),
            [],
            listener,
            src=src,
        )
        assert second == users
        starts = {(e[1], e[2]): (e[4], e[5]) for e in listener.of("start") if e[3] == TABLE_STORE}
        assert starts == {(src, p): (0, n) for p, n in committed.items() if n > 0}, listener.events
        restored = {(e[1], e[2]): e[4] for e in listener.of("end") if e[3] == TABLE_STORE}
        assert restored == {(src, p): n for p, n in committed.items() if n > 0}
        assert f"{app_id}-{TABLE_STORE}-changelog" not in app_topics(kafka_bootstrap, app_id)
    finally:
        delete_topics(kafka_bootstrap, app_topics(kafka_bootstrap, app_id))
