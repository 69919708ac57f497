"""Counters kept by tasks and threads, reported by ``KafkaStreams.metrics()``.

Names follow Kafka Streams' metrics (``process-total``, ``dropped-records-total``, ...).
"""

from __future__ import annotations


class TaskMetrics:
    """Per-task counters."""

    __slots__ = ("dropped_records", "processed")

    def __init__(self) -> None:
        self.processed = 0
        self.dropped_records = 0

    def as_dict(self) -> dict[str, int]:
        """The counters under Kafka Streams' metric names."""
        return {"process-total": self.processed, "dropped-records-total": self.dropped_records}
