"""Interactive queries tell the truth while a store restores (real broker).

Word count builds a store of N words, its state directory is deleted, and a new client
restores it from the changelog; a restore listener holds the first restored batch until
the test has queried. Meanwhile every read raises ``StreamsRebalancingError`` (never None
for a key that exists); once RUNNING every key answers and the entry count is close to N.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from pathlib import Path

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
)

from kstreams import KafkaStreams
from kstreams.runtime.queries import StoreQueryParameters
from kstreams.state import (
    InvalidStateStoreError,
    StreamsNotStartedError,
    StreamsRebalancingError,
    StreamsStoppedError,
    UnknownStateStoreError,
)

sys.path.insert(0, str(REPO_ROOT / "examples"))

import word_count  # examples/word_count.py

pytestmark = pytest.mark.integration

STORE = "counts"
WORDS = 6000


class HoldingListener:
    """Holds the stream thread in the first restored batch until :attr:`release` is set."""

    def __init__(self) -> None:
        self.restoring = threading.Event()
        self.release = threading.Event()

    def on_restore_start(self, tp, store_name, start, end) -> None:
        pass

    def on_batch_restored(self, tp, store_name, offset, n) -> None:
        if not self.restoring.is_set():
            self.restoring.set()
            self.release.wait(60)

    def on_restore_end(self, tp, store_name, total) -> None:
        pass


def test_reads_raise_while_restoring_and_answer_every_key_once_running(
    kafka_bootstrap: str, new_topic, tmp_path: Path
) -> None:
    src, dst = new_topic(partitions=2), new_topic(partitions=2)
    app_id = unique_app_id("iq-restore")
    config = streams_config(
        kafka_bootstrap, app_id, **{"state.dir": str(tmp_path), "commit.interval.ms": 200}
    )
    words = [f"w{i:05d}" for i in range(WORDS)]
    expected = {w: 2 for w in words}
    lines = [(f"k{i}", f"{w} {w}") for i, w in enumerate(words)]
    try:
        streams = KafkaStreams(word_count.build_topology(src, dst), config)
        with pytest.raises(UnknownStateStoreError):
            streams.store("no-such-store")
        with pytest.raises(StreamsNotStartedError):
            streams.store(STORE)
        streams.start()
        streams.wait_until_running(60)
        produce(kafka_bootstrap, src, lines)
        with TopicReader(kafka_bootstrap, dst) as reader:
            reader.wait_for(
                lambda recs: latest_counts(recs) == expected,
                timeout=120,
                what="the expected counts",
                streams=streams,
            )
        assert streams.close(60)
        with pytest.raises(StreamsStoppedError):
            streams.store(STORE)
        KafkaStreams(word_count.build_topology(src, dst), config).cleanup()

        listener = HoldingListener()
        streams = KafkaStreams(word_count.build_topology(src, dst), config)
        streams.set_global_state_restore_listener(listener)
        try:
            streams.start()
            assert listener.restoring.wait(60), "restoration did not start"
            view = streams.store(STORE)  # REBALANCING: allowed, as in Kafka Streams
            stale = streams.store(StoreQueryParameters(STORE).enable_stale_stores())
            try:
                for word in words[:50]:
                    with pytest.raises(StreamsRebalancingError, match="not RUNNING"):
                        view.get(word)
                with pytest.raises(StreamsRebalancingError):
                    list(view.all())
                with pytest.raises(StreamsRebalancingError):
                    view.approximate_num_entries()
                # stale stores answer from what is restored so far: a value or None, no error
                assert stale.get(words[0]) in (None, 2)
            finally:
                listener.release.set()
            # from the release to RUNNING: an answer is the truth, or an error, never None
            deadline = time.monotonic() + 60
            while streams.state is not KafkaStreams.State.RUNNING and time.monotonic() < deadline:
                with contextlib.suppress(InvalidStateStoreError):
                    assert view.get(words[-1]) == 2
            streams.wait_until_running(60)
            missing = [w for w in words if view.get(w) != 2]
            assert not missing, f"{len(missing)} keys did not answer, e.g. {missing[:5]}"
            assert dict(view.all()) == expected
            n = view.approximate_num_entries()
            assert abs(n - WORDS) <= 0.1 * WORDS, n
        finally:
            listener.release.set()
            assert streams.close(60)
    finally:
        delete_topics(kafka_bootstrap, app_topics(kafka_bootstrap, app_id))
