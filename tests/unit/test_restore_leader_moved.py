"""A changelog partition whose leader died: restoration refreshes the metadata and goes on.

librdkafka keeps asking the leader it knew for a partition's watermarks: once that broker is
gone the lookup fails with ``_UNKNOWN_PARTITION`` until the broker is back (seen on the
3-broker cluster, tests/integration/test_cluster_broker_failures.py), unless the metadata is
refreshed, which ``watermarks`` does between its retries.
"""

from __future__ import annotations

from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException, TopicPartition

from kstreams.errors import StreamsError
from kstreams.runtime import changelog_offsets as restore


class LeaderDiedConsumer:
    """Fails with _UNKNOWN_PARTITION until its metadata was refreshed ``refreshes_needed`` times."""

    def __init__(self, refreshes_needed: int) -> None:
        self.refreshes_needed = refreshes_needed
        self.refreshed: list[str] = []

    def get_watermark_offsets(self, tp: Any, timeout: float, cached: bool) -> tuple[int, int]:
        if len(self.refreshed) < self.refreshes_needed:
            raise KafkaException(KafkaError(KafkaError._UNKNOWN_PARTITION))
        return (3, 42)

    def list_topics(self, topic: str, timeout: float) -> None:
        self.refreshed.append(topic)


def test_watermarks_refresh_the_metadata_between_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(restore.time, "sleep", lambda s: None)
    consumer = LeaderDiedConsumer(refreshes_needed=2)
    assert restore.watermarks(consumer, TopicPartition("app-s-changelog", 1)) == (3, 42)
    assert consumer.refreshed == ["app-s-changelog", "app-s-changelog"]


def test_watermarks_give_up_after_the_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(restore.time, "sleep", lambda s: None)
    consumer = LeaderDiedConsumer(refreshes_needed=10**9)
    with pytest.raises(StreamsError, match=r"app-s-changelog-1: .*Unknown partition"):
        restore.watermarks(consumer, TopicPartition("app-s-changelog", 1), timeout_s=0.05)
