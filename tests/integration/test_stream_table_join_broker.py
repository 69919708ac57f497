"""KStream-KTable joins on a real broker: a table loaded and a stream joined to it, across a
restart; a grace-period join over a versioned table under exactly_once_v2 across a SIGKILL."""

from __future__ import annotations

import os
import random
import time
from collections import Counter
from pathlib import Path

import pytest
from helpers import (
    AppProcess,
    TopicReader,
    app_topics,
    delete_topics,
    java_partition,
    produce,
    running_streams,
    streams_config,
    topic_configs,
    unique_app_id,
    wait_until,
)

from kstreams import Materialized, StreamsBuilder, Topology
from kstreams.dsl.stream_table_join import join_table

pytestmark = [pytest.mark.integration]

BASE_TS = 1_700_000_000_000
PARTITIONS = 2


def _enrichment(orders: str, customers: str, out: str) -> Topology:
    b = StreamsBuilder()
    table = b.table(customers, Materialized.as_("customers-store"))
    join_table(b.stream(orders), table, lambda o, c: f"{o}:{c}", None, left=True).to(out)
    return b.build()


def _table_has(streams: object, key: str, value: str) -> bool:
    try:
        return bool(streams.store("customers-store").get(key) == value)  # type: ignore[attr-defined]
    except Exception:  # not queryable yet (rebalancing, restoring)
        return False


@pytest.mark.slow
def test_table_loaded_stream_joined_and_restart(
    kafka_bootstrap: str, new_topic, tmp_path: Path
) -> None:
    orders = new_topic(partitions=PARTITIONS)
    customers = new_topic(partitions=PARTITIONS)
    out = new_topic(partitions=PARTITIONS)
    app_id = unique_app_id("stjoin")
    config = streams_config(kafka_bootstrap, app_id, state_dir=str(tmp_path / "state"))
    produce(kafka_bootstrap, customers, [(f"c{i}", f"name{i}", BASE_TS + i) for i in range(10)])
    try:
        with TopicReader(kafka_bootstrap, out) as reader:
            with running_streams(_enrichment(orders, customers, out), config) as streams:
                wait_until(lambda: _table_has(streams, "c9", "name9"), 60, what="the table loaded")
                rows = [(f"c{i % 12}", f"o{i}", BASE_TS + 100 + i) for i in range(24)]
                produce(kafka_bootstrap, orders, rows)
                reader.wait_for(24, timeout=60, what="24 joined orders")
            got = {r.value_str: r.key_str for r in reader.records}
            assert got == {
                f"o{i}:{'None' if i % 12 >= 10 else f'name{i % 12}'}": f"c{i % 12}"
                for i in range(24)
            }
            # while the app is down the table changes; after the restart the store holds both
            produce(kafka_bootstrap, customers, [("c0", "renamed", BASE_TS + 200)])
            with running_streams(_enrichment(orders, customers, out), config) as streams:
                wait_until(lambda: _table_has(streams, "c0", "renamed"), 60, what="the update read")
                assert _table_has(streams, "c5", "name5")  # restored, not re-read
                produce(
                    kafka_bootstrap,
                    orders,
                    [("c0", "late0", BASE_TS + 300), ("c5", "late5", BASE_TS + 301)],
                )
                reader.wait_for(26, timeout=60, what="2 more joined orders")
            assert sorted(r.value_str for r in reader.records[24:]) == [
                "late0:renamed",
                "late5:name5",
            ]
        changelog = f"{app_id}-customers-store-changelog"
        assert topic_configs(kafka_bootstrap, changelog)["cleanup.policy"] == "compact"
    finally:
        delete_topics(kafka_bootstrap, app_topics(kafka_bootstrap, app_id))


def _flush_keys() -> list[str]:
    """One key per partition: a trade far in the future on each lets every buffered one go."""
    keys: dict[int, str] = {}
    i = 0
    while len(keys) < PARTITIONS:
        key = f"flush-{i}"
        keys.setdefault(java_partition(key.encode(), PARTITIONS), key)
        i += 1
    return [keys[p] for p in range(PARTITIONS)]


@pytest.mark.slow
def test_grace_join_exactly_once_across_sigkill(
    kafka_bootstrap: str, new_topic, tmp_path: Path
) -> None:
    seed = int(os.environ.get("KSTREAMS_TEST_SEED", time.time_ns() % 1_000_000))
    rng = random.Random(seed)
    trades = new_topic(partitions=PARTITIONS)
    prices = new_topic(partitions=PARTITIONS)
    out = new_topic(partitions=PARTITIONS)
    app_id = unique_app_id("stjoin-grace")
    symbols = [f"s{i}" for i in range(8)]
    # ten versions per symbol, one a second; produced in a shuffled order (late versions too)
    versions = [(s, f"{s}-p{k}", BASE_TS + k * 1000) for s in symbols for k in range(10)]
    rng.shuffle(versions)
    produce(kafka_bootstrap, prices, versions)
    rows = [(symbols[i % 8], f"t{i}", BASE_TS + 1000 + i * 13) for i in range(800)]
    expected = {
        f"t{i}@{s}-p{min(9, (ts - BASE_TS) // 1000)}": s for i, (s, _, ts) in enumerate(rows)
    }
    chunks = [rows[i : i + 50] for i in range(0, len(rows), 50)]
    kill_after = rng.randrange(3, len(chunks) // 2)
    state = tmp_path / "state"

    def app(log: str) -> AppProcess:
        return AppProcess(
            "stream_table_join_app.py",
            kafka_bootstrap,
            app_id,
            trades,
            prices,
            out,
            str(state),
            log_path=tmp_path / log,
        )

    try:
        with TopicReader(kafka_bootstrap, out) as reader:  # read_committed
            first = app("1.log")
            with first:
                first.wait_for_line("STATE RUNNING")
                time.sleep(2.0)  # the prices are read (their timestamps come first anyway)
                for chunk in chunks[: kill_after + 1]:
                    produce(kafka_bootstrap, trades, chunk)
                    time.sleep(0.1)
                reader.wait_for(1, timeout=60, what="some joined trades before the kill")
                time.sleep(rng.uniform(0.0, 0.3))
                first.kill()
                assert first.returncode == -9, first.output[-3000:]
            before = len(reader.records)
            second = app("2.log")
            with second:
                second.wait_for_line("STATE RUNNING", timeout=90)
                for chunk in chunks[kill_after + 1 :]:
                    produce(kafka_bootstrap, trades, chunk)
                    time.sleep(0.02)
                produce(
                    kafka_bootstrap, trades, [(k, "flush", BASE_TS + 10**7) for k in _flush_keys()]
                )
                reader.wait_for(
                    len(expected),
                    timeout=120,
                    what=f"{len(expected)} joined trades (seed {seed}, {before} before the kill)",
                )
                reader.settle_committed(app_id, [trades, prices])
                assert second.stop() == 0, second.output[-3000:]
        got = Counter(r.value_str for r in reader.records)
        doubled = {v: n for v, n in got.items() if n > 1}
        assert not doubled, f"joined more than once (seed {seed}): {sorted(doubled)[:10]}"
        assert set(got) == set(expected), (
            f"seed {seed}: missing {sorted(set(expected) - set(got))[:10]}, "
            f"unexpected {sorted(set(got) - set(expected))[:10]}"
        )
        assert all(expected[r.value_str] == r.key_str for r in reader.records)
        buffer_changelog = f"{app_id}-priced-Buffer-changelog"
        assert topic_configs(kafka_bootstrap, buffer_changelog)["cleanup.policy"] == "compact"
    finally:
        delete_topics(kafka_bootstrap, app_topics(kafka_bootstrap, app_id))
