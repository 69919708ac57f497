"""Transactional calls retry with backoff, log rarely, and give up in bounded time."""

from __future__ import annotations

import logging

import pytest
from confluent_kafka import KafkaError, KafkaException

from kstreams.errors import StreamsError
from kstreams.runtime import committer as committer_module
from kstreams.runtime.committer import ExactlyOnceCommitter


def conflict() -> KafkaException:
    return KafkaException(
        KafkaError(
            KafkaError._CONFLICT,
            "abort_transaction API call is already in progress",
            retriable=True,
        )
    )


class Producer:
    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0

    def begin_transaction(self) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise conflict()


def test_retries_back_off_and_are_logged_rarely(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    sleeps: list[float] = []
    monkeypatch.setattr(committer_module.time, "sleep", sleeps.append)
    producer = Producer(failures=8)
    c = ExactlyOnceCommitter(None, producer, None, "t")
    with caplog.at_level(logging.INFO, logger="kstreams"):
        c._begin()
    assert producer.calls == 9
    assert sleeps == [0.05, 0.1, 0.2, 0.4, 0.8, 1.0, 1.0, 1.0]
    retries = [r for r in caplog.records if "retrying" in r.getMessage()]
    assert len(retries) == 1  # not one line per try


def test_a_call_that_keeps_failing_gives_up(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [0.0]

    def sleep(s: float) -> None:
        clock[0] += s

    monkeypatch.setattr(committer_module.time, "sleep", sleep)
    monkeypatch.setattr(committer_module.time, "monotonic", lambda: clock[0])
    c = ExactlyOnceCommitter(None, Producer(failures=10**9), None, "t")
    with pytest.raises(StreamsError, match="begin_transaction failed"):
        c._begin()
    assert clock[0] <= committer_module.TXN_TIMEOUT_S + 1.0
