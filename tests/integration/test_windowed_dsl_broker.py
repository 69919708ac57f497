"""A DSL windowed count on the real broker: Java's windowed keys, Java's partitioning, its changelog.

Hopping one-minute windows (advance 20 s) count keys read from a 3-partition topic and write to a
4-partition topic with the default windowed serde: every output key is the inner key's bytes and
the 8-byte window start, it lands in the partition Java's ``WindowedStreamPartitioner`` picks (by
the inner key alone, so every window of a key is in one partition), and the store's changelog is
a windowed changelog (``compact,delete``, retention = size + grace + the additional retention).
"""

from __future__ import annotations

import struct
import time
from pathlib import Path
from typing import Any

import pytest
from helpers import (
    TopicReader,
    decode_long,
    java_partition,
    produce,
    running_streams,
    streams_config,
    topic_configs,
    unique_app_id,
)

from kstreams import Materialized, Serdes, StreamsBuilder, TimeWindows

pytestmark = pytest.mark.integration

MINUTE = 60_000
GRACE = 5_000
ADDITIONAL = 120_000


def _latest(records: Any) -> dict[tuple[str, int], tuple[int, int]]:
    """(key, window start) -> (count, partition) of the last record of each window."""
    out: dict[tuple[str, int], tuple[int, int]] = {}
    for r in records:
        key, start = r.key[:-8].decode(), struct.unpack(">q", r.key[-8:])[0]
        out[(key, start)] = (decode_long(r.value), r.partition)
    return out


def test_windowed_count_keys_partitions_and_changelog(
    kafka_bootstrap: str, new_topic: Any, tmp_path: Path
) -> None:
    src, dst = new_topic(partitions=3), new_topic(partitions=4)
    app_id = unique_app_id("windowed-dsl")
    config = streams_config(
        kafka_bootstrap,
        app_id,
        **{
            "state.dir": str(tmp_path),
            "commit.interval.ms": 200,
            "windowstore.changelog.additional.retention.ms": ADDITIONAL,
        },
    )
    b = StreamsBuilder()
    b.stream(
        src, key_serde=Serdes.String(), value_serde=Serdes.String()
    ).group_by_key().windowed_by(
        TimeWindows.of_size_and_grace(MINUTE, GRACE).advance_by(20_000)
    ).count(Materialized.as_("hops").with_caching_disabled()).to_stream().to(
        dst, value_serde=Serdes.Long()
    )

    now = int(time.time() * 1000)
    base = now - now % MINUTE - 3 * MINUTE
    keys = [f"user-{i}" for i in range(12)]
    rows = [(k, "x", base + 1_000 * j) for j in range(5) for k in keys]
    expected = {(k, start): 5 for k in keys for start in (base - 40_000, base - 20_000, base)}

    with running_streams(b.build(), config):
        produce(kafka_bootstrap, src, rows)
        with TopicReader(kafka_bootstrap, dst) as reader:
            reader.wait_for(
                lambda recs: {w: n for w, (n, _) in _latest(recs).items()} == expected,
                timeout=60,
                what="hopping counts",
            )
            latest = _latest(reader.records)

    for (key, _start), (_n, partition) in latest.items():
        assert partition == java_partition(key.encode(), 4), key
    configs = topic_configs(kafka_bootstrap, f"{app_id}-hops-changelog")
    assert configs["cleanup.policy"] == "compact,delete"
    assert configs["retention.ms"] == str(MINUTE + GRACE + ADDITIONAL)
