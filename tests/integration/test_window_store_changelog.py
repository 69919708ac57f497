"""A persistent window store on the real broker: its changelog topic's configs, its changelog
records in Kafka Streams' key layout, and restoration after the state directory is wiped.

A Processor-API topology counts records per key in tumbling one-minute windows in a RocksDB
window store and forwards each count. The changelog topic is created with
``cleanup.policy=compact,delete`` and ``retention.ms`` = store retention +
``windowstore.changelog.additional.retention.ms``; after a clean run, the state directory is
deleted and a second run must restore the windows from the changelog (the counts go on
from where they were, and the store answers interactive queries with them); once stream
time passes the retention, the old segments are deleted from disk.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from helpers import (
    TopicReader,
    decode_long,
    produce,
    read_all,
    running_streams,
    streams_config,
    topic_configs,
    unique_app_id,
    wait_until,
)

from kstreams import Processor, Record, Serdes, Topology
from kstreams.state import InvalidStateStoreError, Stores
from kstreams.state.window_schema import window_key_parts

pytestmark = pytest.mark.integration

MINUTE = 60_000
RETENTION = 10 * MINUTE
ADDITIONAL = 5 * MINUTE
S, L = Serdes.String(), Serdes.Long()


class WindowCount(Processor):
    """Counts records per key and minute in window store "counts"; forwards ``key@start -> n``."""

    def init(self, context: Any) -> None:
        super().init(context)
        self.store = context.get_state_store("counts")

    def process(self, record: Record) -> None:
        start = record.timestamp - record.timestamp % MINUTE
        n = (self.store.fetch(record.key, start) or 0) + 1
        self.store.put(record.key, n, start)
        self.context.forward(record.with_key(f"{record.key}@{start}").with_value(n))


def topology(src: str, dst: str) -> Topology:
    supplier = Stores.persistent_window_store("counts", RETENTION, MINUTE)
    return (
        Topology()
        .add_source("src", src, key_serde=S, value_serde=S)
        .add_processor("count", WindowCount, "src")
        .add_state_store(Stores.window_store_builder(supplier, S, L), "count")
        .add_sink("sink", dst, "count", key_serde=S, value_serde=L)
    )


def _latest(records: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in records:
        out[r.key.decode()] = decode_long(r.value)
    return out


def test_window_store_changelog_configs_and_restore_after_wipe(
    kafka_bootstrap: str, new_topic, tmp_path: Path
) -> None:
    src, dst = new_topic(partitions=2), new_topic(partitions=2)
    app_id = unique_app_id("window-store")
    changelog = f"{app_id}-counts-changelog"
    config = streams_config(
        kafka_bootstrap,
        app_id,
        **{
            "state.dir": str(tmp_path),
            "commit.interval.ms": 200,
            "windowstore.changelog.additional.retention.ms": ADDITIONAL,
        },
    )
    now = int(time.time() * 1000)
    base = now - now % MINUTE - 5 * MINUTE
    first = [(k, "x", base + i * 1000) for i in range(30) for k in ("a", "b")]
    first += [("a", "x", base + MINUTE + 5)]  # a second window for a
    expected = {f"a@{base}": 30, f"b@{base}": 30, f"a@{base + MINUTE}": 1}

    with running_streams(topology(src, dst), config):
        produce(kafka_bootstrap, src, first)
        with TopicReader(kafka_bootstrap, dst) as reader:
            reader.wait_for(lambda recs: _latest(recs) == expected, timeout=60, what="counts")

    configs = topic_configs(kafka_bootstrap, changelog)
    assert configs["cleanup.policy"] == "compact,delete"
    assert configs["retention.ms"] == str(RETENTION + ADDITIONAL)
    logged = read_all(kafka_bootstrap, changelog)
    assert logged, "the window store wrote no changelog"
    keys = {window_key_parts(r.key)[:2] for r in logged}
    assert keys == {(b"a", base), (b"b", base), (b"a", base + MINUTE)}

    shutil.rmtree(tmp_path / app_id)  # the local state is lost: the changelog must restore it

    second = [("a", "x", base + MINUTE + 10), ("b", "x", base + 2000)]
    with running_streams(topology(src, dst), config) as streams:
        view = streams.store("counts")

        def restored() -> bool:
            try:
                return view.fetch("a", base) == 30  # type: ignore[no-any-return]
            except InvalidStateStoreError:  # still restoring or rebalancing
                return False

        wait_until(restored, timeout=60, what="restored windows")
        assert list(view.fetch("a", base, base + MINUTE)) == [(base, 30), (base + MINUTE, 1)]
        produce(kafka_bootstrap, src, second)
        with TopicReader(kafka_bootstrap, dst) as reader:
            reader.wait_for(
                lambda recs: (
                    {f"a@{base + MINUTE}": 2, f"b@{base}": 31}.items() <= _latest(recs).items()
                ),
                timeout=60,
                what="counts continuing from the restored windows",
            )
        old_segment = f"counts.{base - base % (5 * MINUTE)}"  # segments of retention / 2
        assert old_segment in _segments(tmp_path / app_id)
        # stream time moves past the retention: the old segments leave the disk
        later = base + RETENTION + 3 * 5 * MINUTE
        produce(kafka_bootstrap, src, [("a", "x", later), ("b", "x", later)])
        wait_until(
            lambda: old_segment not in _segments(tmp_path / app_id),
            timeout=60,
            what=f"segment {old_segment} deleted",
        )
        assert view.fetch("a", base) is None


def _segments(app_dir: Path) -> set[str]:
    """The segment directories of store "counts" in every task directory."""
    return {p.name for p in app_dir.glob("*/counts/counts.*")}
