"""A rewind reads the committed offsets; a partition answered with an error of its own is not
"no commit" (which would send it to the reset policy's end: earliest processes everything
again, latest skips records), it is retried (retriable) or fails the rewind."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException, TopicPartition

from kstreams.runtime import thread_commit
from kstreams.runtime.thread_commit import ThreadCommitting


class Consumer:
    """``committed`` answers ``errors`` (one per call, for every partition), then ``offsets``."""

    def __init__(self, errors: list[int], offsets: dict[tuple[str, int], int]) -> None:
        self.errors = list(errors)
        self.offsets = offsets
        self.calls = 0
        self.seeks: list[tuple[str, int, int]] = []
        self.paused: list[tuple[str, int]] = []

    def committed(self, tps: list[TopicPartition], timeout: float) -> list[Any]:
        self.calls += 1
        code = self.errors.pop(0) if self.errors else None
        # as confluent-kafka answers: offset INVALID and the partition's error
        return [
            SimpleNamespace(
                topic=tp.topic,
                partition=tp.partition,
                offset=-1001 if code is not None else self.offsets[(tp.topic, tp.partition)],
                error=None if code is None else KafkaError(code),
            )
            for tp in tps
        ]

    def seek(self, tp: Any) -> None:
        self.seeks.append((tp.topic, tp.partition, tp.offset))

    def pause(self, tps: list[TopicPartition]) -> None:
        self.paused.extend((tp.topic, tp.partition) for tp in tps)


class Manager:
    def __init__(self, assignment: set[tuple[str, int]]) -> None:
        self.assignment = assignment
        self.pending = False

    def close_all(self) -> None:
        pass

    def assigned(self, partitions: Any) -> list[tuple[str, int]]:
        self.pending = True
        return sorted(partitions)


class Thread(ThreadCommitting):
    def __init__(self, consumer: Consumer) -> None:
        self.client_id = "t"
        self.consumer = consumer
        self.committer = SimpleNamespace(abort=lambda renew=False: None)
        self.task_manager = Manager({("in", 0), ("in", 1)})
        self._resets = {}
        self._default_reset = "earliest"
        self.config = SimpleNamespace(task_timeout_ms=60_000)


def test_an_unstable_offset_is_read_again_not_taken_for_no_commit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # under exactly-once the offsets of a transaction being completed are unstable for a moment
    monkeypatch.setattr(thread_commit.time, "sleep", lambda s: None)
    consumer = Consumer([KafkaError.UNSTABLE_OFFSET_COMMIT], {("in", 0): 42, ("in", 1): 7})
    Thread(consumer)._rewind()
    assert consumer.calls == 2
    # before: both partitions were sought to the beginning (every record processed again)
    assert sorted(consumer.seeks) == [("in", 0, 42), ("in", 1, 7)]


def test_a_partition_error_that_does_not_pass_fails_the_rewind() -> None:
    consumer = Consumer([KafkaError.TOPIC_AUTHORIZATION_FAILED], {})
    with pytest.raises(KafkaException, match="TOPIC_AUTHORIZATION_FAILED"):
        Thread(consumer)._rewind()
    assert consumer.seeks == []
