"""Restoration runs in the stream thread's loop, in steps, between polls (real broker).

The word count is restored from its changelog after its state directory was deleted, with a
restore listener that makes every batch slow: while the task restores, the thread keeps
polling (its ``last_poll_at`` moves on), ``metadata_for_local_threads()`` lists the task as
restoring, and the client is RUNNING only once every store caught up.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from helpers import (
    REPO_ROOT,
    RestoreRecorder,
    TopicReader,
    latest_counts,
    produce,
    streams_config,
    unique_app_id,
)

from kstreams import KafkaStreams
from kstreams.processor.task_id import TaskId

sys.path.insert(0, str(REPO_ROOT / "examples"))

import word_count  # examples/word_count.py

pytestmark = pytest.mark.integration


class SlowRestore(RestoreRecorder):
    """Records the callbacks; every batch takes ``delay_s`` more."""

    def __init__(self, delay_s: float) -> None:
        super().__init__()
        self.delay_s = delay_s

    def on_batch_restored(self, *args: Any) -> None:
        super().on_batch_restored(*args)
        time.sleep(self.delay_s)


def test_a_restoring_task_does_not_stop_the_loop(
    kafka_bootstrap: str, new_topic: Any, tmp_path: Path
) -> None:
    src, dst = new_topic(partitions=1), new_topic(partitions=1)
    app_id = unique_app_id("restore-loop")
    n = 35000  # changelog records: many restore rounds of 2 KB fetches
    lines = [(f"line-{i}", f"word{i}") for i in range(n)]
    counts = {f"word{i}": 1 for i in range(n)}
    config = streams_config(
        kafka_bootstrap,
        app_id,
        **{
            "state.dir": str(tmp_path),
            "commit.interval.ms": 200,
            # many small batches: small fetches, and no more than 2,000 records queued ahead
            "restore.consumer.max.partition.fetch.bytes": 2048,
            "restore.consumer.queued.min.messages": 2000,
        },
    )
    topology = word_count.build_topology(src, dst)
    streams = KafkaStreams(topology, config)
    streams.start()
    try:
        streams.wait_until_running(60)
        produce(kafka_bootstrap, src, lines)
        with TopicReader(kafka_bootstrap, dst) as reader:
            reader.wait_for(lambda r: latest_counts(r) == counts, timeout=60, what="counts")
    finally:
        assert streams.close(60)
    KafkaStreams(topology, config).cleanup()

    listener = SlowRestore(delay_s=0.15)
    streams = KafkaStreams(topology, config)
    streams.set_global_state_restore_listener(listener)
    seen: list[tuple[str, frozenset[Any], Any]] = []
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            for meta in streams.metadata_for_local_threads():
                seen.append((meta.thread_state, meta.restoring_tasks, meta.last_poll_at))
            time.sleep(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    streams.start()
    watcher.start()
    try:
        streams.wait_until_running(120)
        done.set()
        watcher.join()
        restoring = [s for s in seen if s[1]]
        assert restoring, "the task was never seen restoring"
        assert all(state == "PARTITIONS_ASSIGNED" for state, _, _ in restoring)
        # the count's task (after the repartition topic) restores; the other has no store
        assert TaskId(1, 0) in {t.task_id for _, tasks, _ in restoring for t in tasks}
        polls = {at for _, _, at in restoring}
        assert len(polls) >= 3, f"the loop did not poll while restoring: {polls}"
        batches = [e for e in listener.events if e[0] == "batch"]
        assert len(batches) >= 3, len(batches)
        ends = [e for e in listener.events if e[0] == "end"]
        assert sum(e[-1] for e in ends) >= len(counts)
        assert dict(streams.store("counts").all()) == counts
        meta = streams.metadata_for_local_threads()[0]
        assert meta.restoring_tasks == frozenset() and meta.active_tasks
    finally:
        done.set()
        assert streams.close(60)
