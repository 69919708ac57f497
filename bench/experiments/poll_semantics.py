"""Experiment: give the stream thread's ``consume`` Java's poll semantics.

librdkafka's ``consume(n, timeout)`` blocks until ``n`` records are there *or* the timeout
passes; Java's ``poll(timeout)`` returns as soon as any record is there. kstreams calls
``consume(1000, poll.ms=100 ms)``, so whenever fewer than 1000 records are ready (the tail of
the input; the repartition round trip of a word count) the thread sleeps up to 100 ms.
This patch drains what is ready without waiting and blocks (``poll``) only when nothing is.

Loaded by ``contenders/kstreams_app.py`` when ``BENCH_KSTREAMS_PATCH`` names this file.
"""

from __future__ import annotations

from typing import Any

import confluent_kafka

import kstreams.runtime.stream_thread as stream_thread


class JavaPollConsumer(confluent_kafka.Consumer):
    def consume(self, num_messages: int = 1, timeout: float = -1) -> list[Any]:  # type: ignore[override]
        msgs = super().consume(num_messages, 0)
        if msgs or timeout == 0:
            return msgs
        first = super().poll(timeout)
        if first is None:
            return []
        return [first, *super().consume(num_messages - 1, 0)]


stream_thread.Consumer = JavaPollConsumer  # type: ignore[misc]
