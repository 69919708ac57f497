"""A rewind left for the next commit interval (the group refused even the committed offsets:
a fenced or unknown member) is dropped once its partitions are gone: the lost partitions come
back with new tasks that start from the committed offsets, and the late rewind closed those
tasks at their first commit and processed their records again (at-least-once: duplicates
after the failure had been dealt with)."""

from __future__ import annotations

import pytest
from confluent_kafka import KafkaError, KafkaException, TopicPartition
from test_stale_records import IN, FakeConsumer, run_thread


def refused() -> KafkaException:
    return KafkaException(KafkaError(KafkaError.UNKNOWN_MEMBER_ID, "unknown member"))


class Refusing(FakeConsumer):
    """Refuses the first commit and the committed offsets read right after it."""

    refusals = 2

    def commit(self, offsets: list[TopicPartition], asynchronous: bool) -> None:
        if self.refusals == 2:
            self.refusals -= 1
            raise refused()
        super().commit(offsets, asynchronous)

    def committed(self, tps: list[TopicPartition], timeout: float) -> list[TopicPartition]:
        if self.refusals == 1:
            self.refusals -= 1
            raise refused()
        return super().committed(tps, timeout)


def test_a_deferred_rewind_is_dropped_when_its_partitions_are_lost(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("test_stale_records.FakeConsumer", Refusing)
    script = {
        1: lambda c: c.rebalance("assign", [(IN, 0)]),
        # 3: offsets 0-2, then the commit (asked for after offset 2) is refused, and so is
        # reading the committed offsets: the rewind is left for the next commit interval
        # 4: the member was fenced: its partitions are lost, then assigned again
        4: lambda c: (c.rebalance("lost", [(IN, 0)]), c.rebalance("assign", [(IN, 0)])),
    }
    seen, fake, _ = run_thread(
        script, {(IN, 0): 3}, 14, exactly_once=False, commit_after=frozenset({2})
    )
    # processed again once, from the committed offset (none): the failure's duplicates; before,
    # the late rewind closed the new task at its first commit and processed them a third time
    assert seen == [(0, 0), (0, 1), (0, 2)] * 2
    assert fake.committed_offsets == {(IN, 0): 3}


class Clock:
    """The loop's clock, 60 ms on per consume call (a commit every other round at 100 ms)."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        import time

        return time.time()

    def sleep(self, seconds: float) -> None:
        pass


def test_partitions_waiting_for_a_deferred_rewind_get_no_task_before_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = Clock()

    class StillRefusing(Refusing):
        refusals = 4  # the commit, then three reads of the committed offsets

        def commit(self, offsets: list[TopicPartition], asynchronous: bool) -> None:
            if self.refusals == 4:
                self.refusals -= 1
                raise refused()
            FakeConsumer.commit(self, offsets, asynchronous)

        def committed(self, tps: list[TopicPartition], timeout: float) -> list[TopicPartition]:
            if 0 < self.refusals < 4:
                self.refusals -= 1
                raise refused()
            return FakeConsumer.committed(self, tps, timeout)

        def consume(self, num_messages: int, timeout: float) -> list:
            clock.now += 0.06
            return super().consume(num_messages, timeout)

    monkeypatch.setattr("test_stale_records.FakeConsumer", StillRefusing)
    monkeypatch.setattr("kstreams.runtime.stream_thread.time", clock)

    def more(c: FakeConsumer) -> None:  # in-1 added (the rest stays), two more records
        c.rebalance("assign", [(IN, 1)])
        c.ends[(IN, 0)] = 5

    script = {1: lambda c: c.rebalance("assign", [(IN, 0)]), 9: more}
    seen, _, _ = run_thread(script, {(IN, 0): 3}, 30, exactly_once=False, commit_interval_ms=100)
    # nothing runs until the rewind: then every record once from the committed offset (none).
    # Before, the added partition's assignment created the tasks of the partitions waiting for
    # the rewind: their start read the committed offsets, still refused, and the thread died
    # (had the read passed, in-0 would have gone on from where the closed task left off, past
    # records never committed, and been processed again by the rewind)
    assert seen == [(0, 0), (0, 1), (0, 2), (0, 0), (0, 1), (0, 2), (0, 3), (0, 4)]
