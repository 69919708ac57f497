"""Suppression under exactly_once_v2 survives a SIGKILL: every final result exactly once (real broker).

``apps/suppress_app.py`` runs in a subprocess; it is SIGKILLed while input keeps arriving and
restarted on the same state directory. The suppression buffer lives in memory and is restored
from its changelog (committed records only), so what was emitted in a committed transaction
is not emitted again and what was buffered is not lost. The output is read ``read_committed``.
The same holds for count windows (a kstreams extension), whose open windows live in a window
store restored from its changelog.
"""

from __future__ import annotations

import os
import random
import struct
import time
from collections import Counter
from pathlib import Path

import pytest
from confluent_kafka import Producer
from helpers import (
    AppProcess,
    TopicReader,
    app_topics,
    delete_topics,
    java_partition,
    topic_configs,
    unique_app_id,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# Hours before now, on a whole hour: windowed changelogs keep records for a day or two after
# their timestamps (their topic's retention.ms), so 2023 timestamps were deleted by the broker's
# retention check whenever it ran between the kill and the restore.
BASE_TS = (int(time.time() * 1000) // 3_600_000 - 4) * 3_600_000
PARTITIONS = 3


def _app(
    bootstrap: str, app_id: str, src: str, dst: str, state: Path, mode: str, log: Path
) -> AppProcess:
    return AppProcess(
        "suppress_app.py", bootstrap, app_id, src, dst, str(state), mode, log_path=log
    )


def _flush_keys() -> list[str]:
    """One key per input partition: a record far in the future on each closes everything."""
    keys: dict[int, str] = {}
    i = 0
    while len(keys) < PARTITIONS:
        key = f"flush-{i}"
        keys.setdefault(java_partition(key.encode(), PARTITIONS), key)
        i += 1
    return [keys[p] for p in range(PARTITIONS)]


def _inputs(mode: str, n: int) -> tuple[list[tuple[str, str, int]], Counter[str]]:
    """The input records ``(key, value, timestamp)`` and the final results expected per output key."""
    if mode == "windowed":
        rows = [(f"k{i % 23}", "x", BASE_TS + i * 20) for i in range(n)]
        expected = Counter(f"{k}@{ts - ts % 1000}" for k, _, ts in rows)
        return rows, expected
    if mode == "count-windows":  # a kstreams extension: 5 records per window, no time involved
        rows = [(f"k{i % 23}", "x", BASE_TS + i * 20) for i in range(n)]
        per_key = Counter(k for k, _, _ in rows)
        expected = Counter(
            f"{k}#{first}" for k, total in per_key.items() for first in range(0, total - 4, 5)
        )
        return rows, expected
    rows = [(f"key-{i:05d}", f"v{i}", BASE_TS + i * 10) for i in range(n)]
    return rows, Counter({k: 1 for k, _, _ in rows})


def _value(mode: str, raw: bytes) -> object:
    return raw.decode() if mode == "time-limit" else struct.unpack(">q", raw)[0]


@pytest.mark.parametrize("mode", ["windowed", "time-limit", "count-windows"])
def test_final_results_exactly_once_across_sigkill(
    mode: str, kafka_bootstrap: str, new_topic, tmp_path: Path
) -> None:
    seed = int(os.environ.get("KSTREAMS_TEST_SEED", time.time_ns() % 1_000_000))
    rng = random.Random(seed)
    src, dst = new_topic(partitions=PARTITIONS), new_topic(partitions=PARTITIONS)
    app_id = unique_app_id(f"suppress-{mode}")
    rows, expected = _inputs(mode, 6000)
    chunks = [rows[i : i + 200] for i in range(0, len(rows), 200)]
    kill_after = rng.randrange(5, len(chunks) // 2)
    state = tmp_path / "state"
    producer = Producer({"bootstrap.servers": kafka_bootstrap, "partitioner": "murmur2_random"})

    def send(batch: list[tuple[str, str, int]]) -> None:
        for key, value, ts in batch:
            producer.produce(src, key=key.encode(), value=value.encode(), timestamp=ts)
        assert producer.flush(30) == 0

    try:
        # librdkafka's consumers read read_committed by default: aborted output never shows
        with TopicReader(kafka_bootstrap, dst) as reader:
            app = _app(kafka_bootstrap, app_id, src, dst, state, mode, tmp_path / "1.log")
            with app:
                app.wait_for_line("STATE RUNNING")
                for i, chunk in enumerate(chunks[: kill_after + 1]):
                    send(chunk)
                    time.sleep(0.1)
                    if i == kill_after:
                        reader.wait_for(1, timeout=60, what="some final results before the kill")
                        time.sleep(rng.uniform(0.0, 0.3))
                        app.kill()
                assert app.returncode == -9, app.output[-3000:]
            assert "CLOSED" not in app.output
            before = len(reader.records)

            app2 = _app(kafka_bootstrap, app_id, src, dst, state, mode, tmp_path / "2.log")
            with app2:
                app2.wait_for_line("STATE RUNNING", timeout=90)
                for chunk in chunks[kill_after + 1 :]:
                    send(chunk)
                    time.sleep(0.02)
                far = BASE_TS + 10_000_000
                send([(key, "x", far) for key in _flush_keys()])
                reader.wait_for(
                    len(expected),
                    timeout=120,
                    what=f"{len(expected)} final results (seed {seed}, {before} before the kill)",
                )
                reader.settle_committed(app_id, src)
                assert app2.stop() == 0, app2.output[-3000:]
            assert "CLOSED True NOT_RUNNING" in app2.output

        if mode != "count-windows":
            changelog = f"{app_id}-KTABLE-SUPPRESS-STATE-STORE-0000000004-changelog"
            assert topic_configs(kafka_bootstrap, changelog)["cleanup.policy"] == "compact"
        got = Counter(r.key_str for r in reader.records)
        doubled = {k: n for k, n in got.items() if n > 1}
        assert not doubled, f"results emitted more than once (seed {seed}): {sorted(doubled)[:20]}"
        assert set(got) == set(expected), (
            f"seed {seed}: missing {sorted(set(expected) - set(got))[:20]}, "
            f"unexpected {sorted(set(got) - set(expected))[:20]}"
        )
        if mode == "count-windows":
            assert {_value(mode, r.value) for r in reader.records} == {5}
        elif mode == "windowed":
            wrong = {
                r.key_str: (_value(mode, r.value), expected[r.key_str])
                for r in reader.records
                if _value(mode, r.value) != expected[r.key_str]
            }
            assert not wrong, f"wrong final counts (seed {seed}): {dict(list(wrong.items())[:20])}"
        else:
            values = {r.key_str: _value(mode, r.value) for r in reader.records}
            assert all(values[f"key-{i:05d}"] == f"v{i}" for i in range(len(rows)))
    finally:
        delete_topics(kafka_bootstrap, app_topics(kafka_bootstrap, app_id))
