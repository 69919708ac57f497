"""Standbys seen from outside, on the broker: their hosts in the metadata, their stores for stale reads only.

Two word-count instances in this process (``num.standby.replicas=1``, an
``application.server`` each) share a 3-partition input. Once the counts are in and every
standby caught up, every word's ``query_metadata_for_key`` names, from either instance, its
owner as active host and the other instance as its standby host (what each instance
publishes through Kafka); and an instance's store view answers a word of a partition it only
shadows with nothing, unless stale stores are enabled: then with the word's count, from the
standby (issue 16: standby state is never served as active state unless asked for).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from helpers import (
    REPO_ROOT,
    TopicReader,
    app_topics,
    delete_topics,
    latest_counts,
    produce,
    streams_config,
    unique_app_id,
    wait_until,
)

from kstreams import HostInfo, KafkaStreams, Serdes, StoreQueryParameters

sys.path.insert(0, str(REPO_ROOT / "examples"))

import word_count  # examples/word_count.py

pytestmark = [pytest.mark.integration, pytest.mark.slow]

STORE = "counts"
PARTITIONS = 3


def _settled(instances: list[tuple[HostInfo, KafkaStreams]]) -> bool:
    """Every store task runs on one instance and is shadowed, caught up, on the other."""
    actives, standbys = [], []
    for _host, streams in instances:
        meta = streams.metadata_for_local_threads()
        # sub-topology 1 counts (0 splits the lines and repartitions them: no store)
        actives.append({t.task_id for m in meta for t in m.active_tasks if t.task_id.subtopology})
        standbys.append({t.task_id for m in meta for t in m.standby_tasks})
        lags = streams.all_local_store_partition_lags().get(STORE, {})
        if any(lag.offset_lag for lag in lags.values()):
            return False
    a, b = actives
    return len(a | b) == PARTITIONS and not a & b and standbys == [b, a]


def test_standby_hosts_are_published_and_standby_stores_answer_stale_reads_only(
    kafka_bootstrap: str, new_topic: Any, tmp_path: Path
) -> None:
    src, dst = new_topic(partitions=PARTITIONS), new_topic(partitions=PARTITIONS)
    app_id = unique_app_id("standby-iq")
    words = [f"w{i:03d}" for i in range(30)]
    expected = {w: 1 + i % 3 for i, w in enumerate(words)}
    lines = [(f"k{i}", " ".join([w] * c)) for i, (w, c) in enumerate(expected.items())]
    instances: list[tuple[HostInfo, KafkaStreams]] = []
    try:
        for i in range(2):
            host = HostInfo("127.0.0.1", 9001 + i)  # published only: no server is asked
            config = streams_config(
                kafka_bootstrap,
                app_id,
                **{
                    "state.dir": str(tmp_path / f"i{i}"),
                    "application.server": host.endpoint,
                    "num.standby.replicas": 1,
                },
            )
            instances.append((host, KafkaStreams(word_count.build_topology(src, dst), config)))
        for _host, streams in instances:
            streams.start()
        for _host, streams in instances:
            streams.wait_until_running(60)
        produce(kafka_bootstrap, src, lines)
        with TopicReader(kafka_bootstrap, dst) as reader:
            reader.wait_for(
                lambda recs: latest_counts(recs) == expected, timeout=120, what="the counts"
            )
        wait_until(lambda: _settled(instances), timeout=60, what="standbys caught up")

        hosts = {host for host, _ in instances}

        def published() -> bool:
            # each instance's view of every word: one active host, the other its standby
            for _host, streams in instances:
                for word in words:
                    meta = streams.query_metadata_for_key(STORE, word, Serdes.String())
                    if meta.active_host not in hosts or meta.standby_hosts != frozenset(
                        hosts - {meta.active_host}
                    ):
                        return False
            return True

        wait_until(published, timeout=30, what="standby hosts in the published metadata")
        stale_params = StoreQueryParameters(STORE).enable_stale_stores()
        shadowed = 0
        for host, streams in instances:
            for word, count in expected.items():
                meta = streams.query_metadata_for_key(STORE, word, Serdes.String())
                if meta.active_host == host:
                    assert streams.store(STORE).get(word) == count
                    continue
                shadowed += 1  # this instance holds the word's partition only as a standby
                assert streams.store(STORE).get(word) is None, (host, word)
                assert streams.store(stale_params).get(word) == count, (host, word)
        assert shadowed == len(words), "every word is shadowed on the instance not running it"
    finally:
        for _host, streams in instances:
            assert streams.close(60)
        delete_topics(kafka_bootstrap, app_topics(kafka_bootstrap, app_id))
