"""A versioned table on the real broker under exactly_once_v2: its changelog topic (configs and
every version as a record), interactive as-of queries, a clean restart (nothing to restore, the
history still answers) and a restart after the state directory is wiped (restored from the
changelog, the same answers, out-of-order updates still judged against the restored history).
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from helpers import (
    TopicReader,
    produce,
    read_all,
    running_streams,
    streams_config,
    topic_configs,
    unique_app_id,
    wait_until,
)

from kstreams import Materialized, StreamsBuilder, VersionedRecord
from kstreams.state import InvalidStateStoreError, Stores

pytestmark = pytest.mark.integration

HOUR = 3_600_000


def topology(src: str, dst: str) -> Any:
    b = StreamsBuilder()
    supplier = Stores.persistent_versioned_key_value_store("prices", HOUR)
    b.table(src, Materialized.as_(supplier)).to_stream().to(dst)
    return b.build()


def _answers(view: Any, base: int) -> dict[str, Any]:
    return {
        "apple": view.get("apple"),
        "apple@+1500": view.get("apple", base + 1_500),
        "apple@+2500": view.get("apple", base + 2_500),
        "pear@+1500": view.get("pear", base + 1_500),
        "pear": view.get("pear"),
    }


def _ready(view: Any) -> bool:
    try:
        return view.get("apple") is not None
    except InvalidStateStoreError:  # restoring or rebalancing
        return False


def test_versioned_table_changelog_restart_and_wiped_restore(
    kafka_bootstrap: str, new_topic: Any, tmp_path: Path
) -> None:
    src, dst = new_topic(partitions=2), new_topic(partitions=2)
    app_id = unique_app_id("versioned")
    changelog = f"{app_id}-prices-changelog"
    config = streams_config(
        kafka_bootstrap,
        app_id,
        **{"state.dir": str(tmp_path), "processing.guarantee": "exactly_once_v2"},
    )
    now = int(time.time() * 1000)
    base = now - now % 1000 - 10 * 60_000
    first = [
        ("apple", "3", base + 1_000),
        ("apple", "4", base + 3_000),
        ("apple", "2", base + 2_000),  # out of order: a version in the middle
        ("pear", "5", base + 1_000),
        ("pear", None, base + 2_000),  # a tombstone version
    ]
    expected = {
        "apple": VersionedRecord("4", base + 3_000),
        "apple@+1500": VersionedRecord("3", base + 1_000, base + 2_000),
        "apple@+2500": VersionedRecord("2", base + 2_000, base + 3_000),
        "pear@+1500": VersionedRecord("5", base + 1_000, base + 2_000),
        "pear": None,
    }

    with running_streams(topology(src, dst), config) as streams:
        produce(kafka_bootstrap, src, first)
        with TopicReader(kafka_bootstrap, dst) as reader:
            reader.wait_for(lambda recs: len(recs) >= len(first), timeout=60, what="updates")
            # every update is forwarded, the out-of-order one too (as Kafka Streams does)
            assert sorted(((r.key_str, r.value_str) for r in reader.records), key=repr) == sorted(
                ((k, v) for k, v, _ in first), key=repr
            )
        view = streams.store("prices")
        wait_until(lambda: _ready(view), timeout=60, what="the store answering")
        assert _answers(view, base) == expected

    configs = topic_configs(kafka_bootstrap, changelog)
    assert configs["cleanup.policy"] == "compact"
    assert configs["min.compaction.lag.ms"] == str(HOUR + 86_400_000)
    logged = read_all(kafka_bootstrap, changelog)
    # the changelog holds every version with its timestamp (committed records only)
    assert sorted(((r.key_str, r.value_str, r.timestamp) for r in logged), key=repr) == sorted(
        first, key=repr
    )

    # a clean restart: local state is complete, the history answers at once
    with running_streams(topology(src, dst), config) as streams:
        view = streams.store("prices")
        wait_until(lambda: _ready(view), timeout=60, what="the store after a restart")
        assert _answers(view, base) == expected

    shutil.rmtree(tmp_path / app_id)  # the local state is lost: the changelog restores it

    with running_streams(topology(src, dst), config) as streams:
        view = streams.store("prices")
        wait_until(lambda: _ready(view), timeout=60, what="the restored store")
        assert _answers(view, base) == expected
        # an out-of-order update after the restore lands in the restored history
        produce(kafka_bootstrap, src, [("apple", "1", base + 1_200)])
        wait_until(
            lambda: (
                view.get("apple", base + 1_500) == VersionedRecord("1", base + 1_200, base + 2_000)
            ),
            timeout=60,
            what="the out-of-order version in the restored history",
        )
        assert view.get("apple", base + 1_100) == VersionedRecord("3", base + 1_000, base + 1_200)
        assert view.get("apple") == VersionedRecord("4", base + 3_000)
