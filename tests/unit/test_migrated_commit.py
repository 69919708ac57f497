"""A commit refused because the group moved on: the tasks start again from their committed
offsets (no rebalance callback need follow), and a stale member epoch is tried again."""

from __future__ import annotations

from typing import Any

import pytest
from confluent_kafka import OFFSET_BEGINNING, KafkaError, KafkaException, TopicPartition
from test_committer_retries import fake_clock

from kstreams.errors import TaskMigratedError
from kstreams.runtime import committer as committer_module
from kstreams.runtime.committer import AtLeastOnceCommitter
from kstreams.runtime.thread_commit import ThreadCommitting


def refused(code: int) -> KafkaException:
    return KafkaException(KafkaError(code, "refused"))


class Collector:
    def flush(self) -> None:
        pass


class Consumer:
    """Refuses the first commits with ``errors``; records seeks and pauses."""

    def __init__(self, errors: list[int], committed: dict[tuple[str, int], int]) -> None:
        self.errors = list(errors)
        self.commits = 0
        self.committed_offsets = committed
        self.seeks: list[tuple[str, int, int]] = []
        self.paused: list[tuple[str, int]] = []

    def commit(self, offsets: list[TopicPartition], asynchronous: bool) -> None:
        self.commits += 1
        if self.errors:
            raise refused(self.errors.pop(0))

    def committed(self, tps: list[TopicPartition], timeout: float) -> list[TopicPartition]:
        return [
            TopicPartition(
                tp.topic, tp.partition, self.committed_offsets.get((tp.topic, tp.partition), -1001)
            )
            for tp in tps
        ]

    def seek(self, tp: TopicPartition) -> None:
        self.seeks.append((tp.topic, tp.partition, tp.offset))

    def pause(self, tps: list[TopicPartition]) -> None:
        self.paused.extend((tp.topic, tp.partition) for tp in tps)


def test_a_stale_member_epoch_is_tried_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(committer_module.time, "sleep", lambda s: None)
    consumer = Consumer([KafkaError.STALE_MEMBER_EPOCH] * 2, {})
    AtLeastOnceCommitter(consumer, None, Collector(), "t").commit([TopicPartition("in", 0, 5)])
    assert consumer.commits == 3


def test_a_stale_member_epoch_that_stays_means_migrated(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = fake_clock(monkeypatch)
    consumer = Consumer([KafkaError.STALE_MEMBER_EPOCH] * 10**6, {})
    with pytest.raises(TaskMigratedError, match="STALE_MEMBER_EPOCH"):
        AtLeastOnceCommitter(consumer, None, Collector(), "t").commit([TopicPartition("in", 0, 5)])
    assert clock[0] <= committer_module.STALE_EPOCH_RETRY_S + 1.0


@pytest.mark.parametrize(
    "code",
    [KafkaError.FENCED_MEMBER_EPOCH, KafkaError.UNKNOWN_MEMBER_ID, KafkaError.ILLEGAL_GENERATION],
)
def test_a_moved_group_is_migrated_at_once(code: int) -> None:
    consumer = Consumer([code], {})
    with pytest.raises(TaskMigratedError):
        AtLeastOnceCommitter(consumer, None, Collector(), "t").commit([TopicPartition("in", 0, 5)])
    assert consumer.commits == 1


class Manager:
    def __init__(self, assignment: set[tuple[str, int]]) -> None:
        self.assignment = assignment
        self.closed = 0
        self.pending = False

    def close_all(self) -> None:
        self.closed += 1

    def assigned(self, partitions: Any) -> list[tuple[str, int]]:
        self.pending = True
        return sorted(partitions)


class Committer:
    exactly_once = False

    def __init__(self) -> None:
        self.aborts = 0

    def send_offsets(self, offsets: Any, in_poll: bool = False) -> None:
        pass

    def commit(self, offsets: Any) -> None:
        raise TaskMigratedError("offset commit failed because the group rebalanced: stale")

    def abort(self, renew: bool = False) -> None:
        self.aborts += 1


class Thread(ThreadCommitting):
    def __init__(self, consumer: Consumer, manager: Manager) -> None:
        self.client_id = "t"
        self.consumer = consumer
        self.committer = Committer()
        self.task_manager = manager
        self.collector = None
        self.tasks = {}
        self._resets = {}
        self._default_reset = "earliest"

        class Config:
            task_timeout_ms = 1000

        self.config = Config()


def test_a_migrated_commit_starts_the_tasks_again_from_the_committed_offsets() -> None:
    # before, the tasks were closed and nothing created them again: the partitions, still
    # assigned, were fetched and their records dropped as unroutable until a rebalance
    manager = Manager({("in", 0), ("in", 1)})
    consumer = Consumer([], {("in", 0): 42})
    thread = Thread(consumer, manager)
    thread.commit_or_recover()
    assert manager.closed == 1 and thread.committer.aborts == 1
    assert sorted(consumer.seeks) == [("in", 0, 42), ("in", 1, OFFSET_BEGINNING)]
    assert sorted(consumer.paused) == [("in", 0), ("in", 1)]  # until their tasks run again
    assert manager.pending  # the loop creates them after its next poll


def test_a_rewind_refused_the_committed_offsets_pauses_and_tries_again() -> None:
    # a fenced or unknown member may be refused the OffsetFetch too: its tasks stay closed,
    # its partitions paused (nothing fetched and dropped), and the next commit interval retries
    manager = Manager({("in", 0)})
    consumer = Consumer([], {("in", 0): 7})
    refusals = [KafkaError.UNKNOWN_MEMBER_ID]
    committed = consumer.committed

    def refusing(tps: list[TopicPartition], timeout: float) -> list[TopicPartition]:
        if refusals:
            raise refused(refusals.pop(0))
        return committed(tps, timeout)

    consumer.committed = refusing  # type: ignore[method-assign]
    thread = Thread(consumer, manager)
    thread.commit_or_recover()
    assert manager.closed == 1 and consumer.seeks == [] and consumer.paused == [("in", 0)]
    assert thread._rewind_due and not manager.pending
    thread.commit_or_recover()  # the next interval: the offsets can be read now
    assert consumer.seeks == [("in", 0, 7)] and manager.pending and not thread._rewind_due
