"""Stream time and window close times survive a restart: they go with the committed offsets (real broker).

``apps/stream_time_app.py`` (a windowed count, 10 s windows, 5 s grace) runs in a subprocess,
processes records, is stopped (SIGTERM: a clean close; or SIGKILL under exactly_once_v2, once
its commit is durable) and started again on the same state directory. The committed offset's
metadata is Kafka Streams' ``TopicPartitionMetadata``: it decodes to the partition time, and
carries the aggregation's observed stream time and (on window close) its last emitted close
time. After the restart, a record that was too late before it is dropped and counted, and an
on-window-close count does not emit a window a second time.
"""

from __future__ import annotations

import json
import struct
import time
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from helpers import AppProcess, TopicReader, app_topics, delete_topics, unique_app_id, wait_until

from kstreams.processor.window_support import OBSERVED_STREAM_TIME_SUFFIX
from kstreams.runtime.commit_metadata import decode

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# a multiple of the 10 s window size, a minute ago: the window store's changelog is
# compact,delete (retention: the store's plus a day), so records years old would be deleted
# by the broker's retention before a restart could restore them
BASE = (int(time.time() * 1000) // 10_000 - 6) * 10_000
STORE = "counts"


def _committed(bootstrap: str, group: str, topic: str) -> TopicPartition:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
    try:
        return consumer.committed([TopicPartition(topic, 0)], timeout=15)[0]
    finally:
        consumer.close()


def _wait_committed(bootstrap: str, group: str, topic: str, offset: int) -> TopicPartition:
    found: list[TopicPartition] = []

    def done() -> bool:
        tp = _committed(bootstrap, group, topic)
        found[:] = [tp]
        return tp.offset >= offset

    wait_until(done, 60, what=f"offset {offset} of {topic} committed by {group}")
    return found[0]


def _metrics(app: AppProcess) -> dict[str, Any]:
    lines = app.lines("METRICS ")
    assert lines, app.output[-3000:]
    return json.loads(lines[-1])  # type: ignore[no-any-return]


def _results(reader: TopicReader) -> list[tuple[str, int]]:
    return [(r.key_str or "", struct.unpack(">q", r.value)[0]) for r in reader.records]


@pytest.mark.parametrize(
    ("guarantee", "mode", "stop"),
    [
        ("at_least_once", "eager", "close"),
        ("exactly_once_v2", "eager", "close"),
        ("exactly_once_v2", "eager", "kill"),
        ("at_least_once", "on-close", "close"),
        ("exactly_once_v2", "on-close", "kill"),
    ],
)
def test_windows_resume_after_a_restart(
    guarantee: str, mode: str, stop: str, kafka_bootstrap: str, new_topic: Any, tmp_path: Path
) -> None:
    src, dst = new_topic(partitions=1), new_topic(partitions=1)
    app_id = unique_app_id(f"stream-time-{mode}")
    state = tmp_path / "state"
    producer = Producer({"bootstrap.servers": kafka_bootstrap})

    def send(rows: list[tuple[str, int]]) -> None:
        for key, ts in rows:
            producer.produce(src, key=key.encode(), value=b"x", timestamp=BASE + ts)
        assert producer.flush(30) == 0

    def app(n: int) -> AppProcess:
        return AppProcess(
            "stream_time_app.py",
            kafka_bootstrap,
            app_id,
            src,
            dst,
            str(state),
            guarantee,
            mode,
            log_path=tmp_path / f"{n}.log",
        )

    try:
        with TopicReader(kafka_bootstrap, dst) as reader:  # read_committed
            first = app(1)
            with first:
                first.wait_for_line("STATE RUNNING")
                # [0 s, 10 s) closes when stream time reaches 15 s
                send([("k", 1000), ("k", 2000), ("k", 16_000)])
                if mode == "eager":
                    reader.wait_for(3, timeout=60, what="the three window updates")
                    assert _results(reader) == [
                        (f"k@{BASE}", 1),
                        (f"k@{BASE}", 2),
                        (f"k@{BASE + 10_000}", 1),
                    ]
                else:
                    reader.wait_for(1, timeout=60, what="the closed window [0 s, 10 s)")
                    assert _results(reader) == [(f"k@{BASE}", 2)]
                committed = _wait_committed(kafka_bootstrap, app_id, src, 3)
                if stop == "kill":
                    first.kill()
                    assert first.returncode == -9, first.output[-3000:]
                else:
                    assert first.stop() == 0, first.output[-3000:]
                    assert "CLOSED True NOT_RUNNING" in first.output
            committed = _committed(kafka_bootstrap, app_id, src)
            assert committed.offset == 3
            meta = decode(committed.metadata)
            assert meta.partition_time == BASE + 16_000
            expected_meta = {STORE + OBSERVED_STREAM_TIME_SUFFIX: BASE + 16_000}
            if mode == "on-close":
                expected_meta[STORE] = BASE + 11_000  # Java's key: the last close time emitted
            assert meta.processor_metadata == expected_meta
            if stop == "close":
                assert _metrics(first)["dropped-records-total"] == 0

            second = app(2)
            with second:
                second.wait_for_line("STATE RUNNING", timeout=90)
                # 3 s was too late before the restart; "j" at 17 s shows it was processed.
                # On close: 26 s closes [10 s, 20 s), emitted (k: 1, j: 1); [0 s, 10 s) not again
                send([("k", 3000), ("j", 17_000), ("k", 26_000)])
                before = 3 if mode == "eager" else 1
                reader.wait_for(before + 2, timeout=60, what="the updates after the restart")
                reader.settle_committed(app_id, src)
                assert second.stop() == 0, second.output[-3000:]
            after = _results(reader)[before:]
            if mode == "eager":
                assert after == [(f"j@{BASE + 10_000}", 1), (f"k@{BASE + 20_000}", 1)]
            else:
                assert after == [(f"j@{BASE + 10_000}", 1), (f"k@{BASE + 10_000}", 1)]
            assert all(key != f"k@{BASE}" for key, _ in after), after  # no re-opened window
            assert _metrics(second)["dropped-records-total"] == 1, second.output[-3000:]
            final = decode(_committed(kafka_bootstrap, app_id, src).metadata)
            assert final.partition_time == BASE + 26_000
    finally:
        delete_topics(kafka_bootstrap, app_topics(kafka_bootstrap, app_id))
