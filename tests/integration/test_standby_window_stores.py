"""Standbys of in-memory window and session stores: a failover restores only the tail, counts stay right.

Two instances of ``apps/standby_window_app.py`` (exactly-once, the consumer group protocol,
``num.standby.replicas=1``) count a 2-partition input per key in tumbling windows and in
sessions, both stores in memory (``Stores.in_memory_window_store`` /
``in_memory_session_store`` through ``Materialized.with_store_type("in_memory")``): each
instance's standby shadows the other's task in memory. Once the input is processed and the
standbys caught up, one instance is SIGKILLed; the survivor takes its task over restoring at
most 10% of each moved store's changelog records (its restore listener's counts), processes
more input, and every window's and every session's last count is the one the input gives.
"""

from __future__ import annotations

import random
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from eos import chaos
from eos.chaos import EventLog, Instances
from helpers import APPS_DIR, unique_app_id
from test_eos_chaos import _app_args, _delete_internal_topics
from test_standby_replicas import _RESTORED, _committed_records, _tasks

from kstreams.runtime.changelog_offsets import watermarks

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PARTITIONS = 2
FIRST = 4000  # before the kill: about 2,000 changelog records per store partition
SECOND = 500  # after it, processed by the survivor alone
KEYS = 400  # a key every ~2 s of event time: most windows hold one record, sessions merge
STEP_MS = 5  # event time between two input records
WINDOW_MS = 1_000  # as apps/standby_window_app.py
GAP_MS = 2_000
STORES = ("wcount", "scount")


def _produce(bootstrap: str, topic: str, records: list[tuple[str, int, int]]) -> None:
    """``(key, value, timestamp)`` records, Java's partitioner, in order per partition."""
    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "partitioner": "murmur2_random",
            "enable.idempotence": True,
            "linger.ms": 5,
        }
    )
    failed: list[str] = []

    def check(err: Any, _msg: Any) -> None:
        if err is not None:
            failed.append(str(err))

    for key, value, ts in records:
        producer.produce(
            topic, value.to_bytes(4, "big"), key.encode(), timestamp=ts, on_delivery=check
        )
        producer.poll(0)
    assert producer.flush(60) == 0, "input not delivered"
    assert not failed, failed[:3]


def _expected(records: list[tuple[str, int, int]]) -> tuple[dict[str, int], dict[str, int]]:
    """The final count of every window (``key@start``) and every session (``key@start-end``)."""
    windows: Counter[str] = Counter()
    times: dict[str, list[int]] = defaultdict(list)
    for key, _value, ts in records:
        windows[f"{key}@{ts - ts % WINDOW_MS}"] += 1
        times[key].append(ts)
    sessions: dict[str, int] = {}
    for key, stamps in times.items():
        stamps.sort()
        start = end = stamps[0]
        n = 0
        for ts in stamps:
            if ts - end > GAP_MS:  # a record within the gap (inclusive) joins the session
                sessions[f"{key}@{start}-{end}"] = n
                start, n = ts, 0
            end, n = ts, n + 1
        sessions[f"{key}@{start}-{end}"] = n
    return dict(windows), sessions


def _latest(bootstrap: str, topic: str) -> tuple[int, dict[str, int]]:
    """(committed records of ``topic``, the last value of every key whose last record is not
    a tombstone), read_committed from the start to the end."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": "standby-window-test",
            "isolation.level": "read_committed",
            "enable.auto.commit": False,
        }
    )
    try:
        tps = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        ends = {tp.partition: watermarks(consumer, tp)[1] for tp in tps}
        consumer.assign([TopicPartition(topic, p, 0) for p in range(PARTITIONS)])
        count, last = 0, {}
        deadline = time.monotonic() + 60
        left = {p for p, end in ends.items() if end > 0}
        while left and time.monotonic() < deadline:
            for m in consumer.consume(1000, 0.2):
                if m.error() is None:
                    count += 1
                    value = m.value()
                    last[m.key().decode()] = None if value is None else int.from_bytes(value, "big")
            left = {tp.partition for tp in consumer.position(tps) if tp.offset < ends[tp.partition]}
        assert not left, f"could not read {topic} {sorted(left)} to the end"
        return count, {k: v for k, v in last.items() if v is not None}
    finally:
        consumer.close()


def test_in_memory_window_and_session_standbys_restore_only_the_tail(
    kafka_bootstrap: str, new_topic: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(chaos, "APP", APPS_DIR / "standby_window_app.py")
    bootstrap = kafka_bootstrap
    topics = {"input": new_topic(partitions=PARTITIONS)}
    topics["echo"] = windows_topic = new_topic(partitions=PARTITIONS)
    topics["sum"] = sessions_topic = new_topic(partitions=PARTITIONS)
    for unused in ("cnt", "max", "total"):  # the app's positional topics it does not write
        topics[unused] = f"unused-{unused}"
    app_id = unique_app_id("standby-window")
    args = [
        *_app_args(bootstrap, app_id, topics),
        "--config",
        "num.standby.replicas=1",
        "--group-protocol",
        "consumer",
    ]
    rng = random.Random(16)
    base = int(time.time() * 1000) - 60_000  # event time now-ish: the changelogs keep it
    records = [(str(rng.randrange(KEYS)), i, base + i * STEP_MS) for i in range(FIRST + SECOND)]
    every = {f"0_{p}" for p in range(PARTITIONS)}
    logs = tmp_path / "logs"
    logs.mkdir()
    log = EventLog()

    def processed(n: int, timeout: float, instances: Instances) -> bool:
        # one windowed count per input record: the windows' committed records
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            instances.supervise()
            if _latest(bootstrap, windows_topic)[0] >= n:
                return True
            time.sleep(0.5)
        return False

    try:
        with Instances(args, tmp_path / "state", logs, log) as instances:
            runs = {name: instances.start(name) for name in ("a", "b")}
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline and any(
                r.state() != "RUNNING" for r in runs.values()
            ):
                time.sleep(0.2)
            _produce(bootstrap, topics["input"], records[:FIRST])
            assert processed(FIRST, 90, instances), "first input not processed"

            def settled() -> bool:
                # each instance runs one task and shadows the other's, caught up
                seen = [_tasks(r.output()) for r in runs.values()]
                return (
                    all(
                        t is not None and len(t[0]) == 1 and t[1] == every - t[0] and t[2] == 0
                        for t in seen
                    )
                    and set().union(*(t[0] for t in seen)) == every
                )  # type: ignore[union-attr]

            deadline = time.monotonic() + 60
            while not settled() and time.monotonic() < deadline:
                time.sleep(0.3)
            assert settled(), {n: _tasks(r.output()) for n, r in runs.items()}
            moved = _tasks(runs["b"].output())[0]  # type: ignore[index]
            killed_at = len(runs["a"].output())
            instances.kill("b")
            instances.current.pop("b")  # stays dead

            def taken_over() -> bool:
                now = _tasks(runs["a"].output()[killed_at:])
                return now is not None and now[0] == every and runs["a"].state() == "RUNNING"

            deadline = time.monotonic() + 60
            while not taken_over() and time.monotonic() < deadline:
                time.sleep(0.3)
            assert taken_over(), _tasks(runs["a"].output()[killed_at:])
            restored: Counter[str] = Counter()
            for store, _topic, _p, n in _RESTORED.findall(runs["a"].output()[killed_at:]):
                restored[store] += int(n)
            for store in STORES:
                changelogs = [(f"{app_id}-{store}-changelog", int(t[2:])) for t in moved]
                stored = _committed_records(bootstrap, changelogs)
                log(f"{store}: the survivor restored {restored[store]} of {stored} records")
                assert stored >= 1000, f"{store}: a good amount moved ({stored})"
                assert restored[store] <= stored // 10, f"{store}: {restored[store]} of {stored}"
            _produce(bootstrap, topics["input"], records[FIRST:])
            assert processed(FIRST + SECOND, 90, instances), "second input not processed"
            codes = instances.stop_all()
            assert all(code == 0 for code in codes.values()), codes
            assert not instances.failures(), instances.failures()
        windows, sessions = _expected(records)
        count, got = _latest(bootstrap, windows_topic)
        assert count == FIRST + SECOND, "one windowed count per input record, exactly once"
        assert got == windows, [
            k for k in windows.keys() | got.keys() if got.get(k) != windows.get(k)
        ][:5]
        _, got = _latest(bootstrap, sessions_topic)
        assert got == sessions, [
            k for k in sessions.keys() | got.keys() if got.get(k) != sessions.get(k)
        ][:5]
    finally:
        _delete_internal_topics(bootstrap, app_id)
