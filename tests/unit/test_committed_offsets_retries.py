"""Reading the committed offsets (a rewind's, a task's start) waits out a moving coordinator."""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any

import pytest
import test_committer_retries as committer_fakes
from confluent_kafka import KafkaError, KafkaException, TopicPartition

from kstreams.errors import StreamsError
from kstreams.runtime import thread_commit
from kstreams.runtime.thread_commit import ThreadCommitting


def not_coordinator() -> KafkaException:
    # as librdkafka reports it while the group coordinator's partition moves: not retriable
    return KafkaException(
        KafkaError(KafkaError.NOT_COORDINATOR, "Failed to get committed offsets: Not coordinator")
    )


class Consumer:
    """``committed`` fails ``failures`` times, then answers."""

    def __init__(self, failures: int, error: Any = not_coordinator) -> None:
        self.failures = failures
        self.error = error
        self.calls = 0

    def committed(self, tps: list[TopicPartition], timeout: float) -> list[TopicPartition]:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error()
        return [TopicPartition(tp.topic, tp.partition, 7) for tp in tps]


class Thread(ThreadCommitting):
    def __init__(self, consumer: Consumer, task_timeout_ms: int = 300_000) -> None:
        self.consumer = consumer
        self.client_id = "t"
        self.config = SimpleNamespace(task_timeout_ms=task_timeout_ms)


def fake_clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits of ``thread_commit``, on a clock they advance."""
    sleeps: list[float] = []
    committer_fakes.fake_clock(monkeypatch, thread_commit, sleeps)
    return sleeps


def test_a_moving_coordinator_is_waited_out_with_backoff_and_few_log_lines(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    sleeps = fake_clock(monkeypatch)
    consumer = Consumer(failures=8)
    with caplog.at_level(logging.INFO, logger="kstreams"):
        committed = Thread(consumer)._committed_retrying([TopicPartition("in", 0)])
    assert [(tp.topic, tp.partition, tp.offset) for tp in committed] == [("in", 0, 7)]
    assert consumer.calls == 9
    # NOT_COORDINATOR comes back at once: without backoff this spun (and logged per try)
    assert sleeps == [0.05, 0.1, 0.2, 0.4, 0.8, 1.0, 1.0, 1.0]
    retries = [r for r in caplog.records if "retrying" in r.getMessage()]
    assert 1 <= len(retries) <= 2


def test_it_gives_up_after_task_timeout_ms(monkeypatch: pytest.MonkeyPatch) -> None:
    sleeps = fake_clock(monkeypatch)
    consumer = Consumer(failures=10**9)
    with pytest.raises(StreamsError, match=r"for 10s \(task.timeout.ms\).*Not coordinator"):
        Thread(consumer, task_timeout_ms=10_000)._committed_retrying([TopicPartition("in", 0)])
    assert sum(sleeps) == pytest.approx(10.0)  # the last wait ends at the deadline
    assert consumer.calls < 20


def test_other_errors_are_not_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_clock(monkeypatch)

    def denied() -> KafkaException:
        return KafkaException(KafkaError(KafkaError.GROUP_AUTHORIZATION_FAILED, "denied"))

    consumer = Consumer(failures=1, error=denied)
    with pytest.raises(KafkaException, match="denied"):
        Thread(consumer)._committed_retrying([TopicPartition("in", 0)])
    assert consumer.calls == 1
