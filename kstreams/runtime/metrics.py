"""Counters kept by tasks and threads, reported by ``KafkaStreams.metrics()``.

Names follow Kafka Streams' metrics (``process-total``, ``dropped-records-total``, ...).
Kafka Streams' averages and maximums are over its sample windows (two of 30 s by default);
these are over the whole run. An average or maximum of nothing is NaN, as in Java.
"""

from __future__ import annotations

import math
from collections.abc import Iterable


class TaskMetrics:
    """Per-task counters (a stream thread's tasks share one)."""

    __slots__ = (
        "dropped_records",
        "final_emit_latency_max",
        "final_emit_latency_total",
        "final_emits",
        "final_emitted_records",
        "lateness_max",
        "lateness_total",
        "processed",
        "suppression",
        "suppression_count_max",
        "suppression_count_total",
        "suppression_emits",
        "suppression_samples",
        "suppression_size_max",
        "suppression_size_total",
        "window_final_emit",
    )

    def __init__(self) -> None:
        self.processed = 0
        self.dropped_records = 0
        self.lateness_total = 0
        """Sum of every processed record's lateness: stream time before it minus its
        timestamp, or 0 (Java: the ``record-lateness`` sensor; its count is ``processed``)."""
        self.lateness_max = 0
        self.window_final_emit = False
        """Whether a windowed aggregation that emits final results (on window close) runs."""
        self.final_emitted_records = 0
        self.final_emits = 0
        self.final_emit_latency_total = 0.0
        self.final_emit_latency_max = 0.0
        self.suppression = False
        """Whether a ``KTable.suppress`` runs (then the suppression metrics are reported)."""
        self.suppression_emits = 0
        self.suppression_samples = 0
        self.suppression_size_total = 0
        self.suppression_size_max = 0
        self.suppression_count_total = 0
        self.suppression_count_max = 0

    def record_suppression_buffer(self, size: int, count: int) -> None:
        """A suppression buffer holds ``count`` records of ``size`` bytes (Java samples this
        after every put and after every eviction)."""
        self.suppression_samples += 1
        self.suppression_size_total += size
        if size > self.suppression_size_max:
            self.suppression_size_max = size
        self.suppression_count_total += count
        if count > self.suppression_count_max:
            self.suppression_count_max = count

    def record_final_emit(self, records: int, latency_ms: float) -> None:
        """An on-window-close aggregation looked up and forwarded ``records`` closed windows."""
        self.final_emitted_records += records
        self.final_emits += 1
        self.final_emit_latency_total += latency_ms
        if latency_ms > self.final_emit_latency_max:
            self.final_emit_latency_max = latency_ms

    def as_dict(self) -> dict[str, float]:
        """The counters under Kafka Streams' metric names."""
        return merged([self])


def merged(all_metrics: Iterable[TaskMetrics]) -> dict[str, float]:
    """The counters of several tasks (or threads) together: totals summed, maximums the
    largest, averages over every sample."""
    processed = dropped = lateness = emitted = emits = 0
    lateness_max = -1
    latency_total = 0.0
    latency_max = -1.0
    final = suppression = False
    suppressed = samples = size_total = count_total = 0
    size_max = count_max = -1
    for m in all_metrics:
        processed += m.processed
        dropped += m.dropped_records
        lateness += m.lateness_total
        if m.processed and m.lateness_max > lateness_max:
            lateness_max = m.lateness_max
        if m.window_final_emit:
            final = True
            emitted += m.final_emitted_records
            emits += m.final_emits
            latency_total += m.final_emit_latency_total
            if m.final_emits and m.final_emit_latency_max > latency_max:
                latency_max = m.final_emit_latency_max
        if m.suppression:
            suppression = True
            suppressed += m.suppression_emits
            if m.suppression_samples:
                samples += m.suppression_samples
                size_total += m.suppression_size_total
                count_total += m.suppression_count_total
                size_max = max(size_max, m.suppression_size_max)
                count_max = max(count_max, m.suppression_count_max)
    out: dict[str, float] = {
        "process-total": processed,
        "dropped-records-total": dropped,
        "record-lateness-avg": lateness / processed if processed else math.nan,
        "record-lateness-max": float(lateness_max) if processed else math.nan,
    }
    if final:
        out["window-aggregate-final-emit-total"] = emitted
        out["window-aggregate-final-emit-latency-avg"] = (
            latency_total / emits if emits else math.nan
        )
        out["window-aggregate-final-emit-latency-max"] = latency_max if emits else math.nan
    if suppression:
        out["suppression-emit-total"] = suppressed
        out["suppression-buffer-size-avg"] = size_total / samples if samples else math.nan
        out["suppression-buffer-size-max"] = float(size_max) if samples else math.nan
        out["suppression-buffer-count-avg"] = count_total / samples if samples else math.nan
        out["suppression-buffer-count-max"] = float(count_max) if samples else math.nan
    return out
