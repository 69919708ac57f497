"""A task starts where its partitions were committed, whatever the consumer's position.

A task that is created (again) has processed nothing: its records begin at the committed
offset. The consumer's position for a partition that stayed assigned need not be there:
records fetched before a rewind's seek, or while no task ran, are dropped, and librdkafka
moves its position past each record it hands out, and resumes a paused partition from the
position it had when it was paused. A task that took the position as its start skipped
those records, and its next commit stepped over them for good: under exactly-once, 1,000
records of one partition lost in the 3-broker coordinator-kill test (one `consume()` batch).
Kafka Streams seeks a revived task's partitions to their committed offsets; so does kstreams,
for every task it starts.
"""

from __future__ import annotations

import pytest
from confluent_kafka import TopicPartition
from test_stale_records import IN, FakeConsumer, run_thread


class StaleAfterSeek(FakeConsumer):
    """The first seek of in-0 does not stick: the partition's position stays past what was
    handed out before it (a stale fetch that the rewind's seek did not undo)."""

    lost_seeks = 1

    def seek(self, tp: TopicPartition) -> None:
        if self.lost_seeks and (tp.topic, tp.partition) == (IN, 0):
            self.lost_seeks -= 1
            return
        super().seek(tp)


def test_a_task_created_after_a_rewind_starts_at_the_committed_offset(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("test_stale_records.FakeConsumer", StaleAfterSeek)
    ends = {(IN, 0): 3, (IN, 1): 0}
    script = {
        1: lambda c: c.rebalance("assign", [(IN, 0), (IN, 1)]),
        # 2-4: offsets 0-2 processed, nothing committed; then in-1 is lost: exactly-once
        # aborts the transaction of every task and rewinds in-0 to its committed offset
        # (none: the beginning), a seek that does not stick
        5: lambda c: c.rebalance("lost", [(IN, 1)]),
    }
    seen, fake, thread = run_thread(script, ends, stop_at=12)
    assert thread.committer.aborts == 1
    assert fake.lost_seeks == 0
    # every record again from the beginning: before, the new task went on from offset 3
    # (nothing committed, so nothing was lost yet; with a later commit, 0-2 were)
    assert seen == [(0, 0), (0, 1), (0, 2), (0, 0), (0, 1), (0, 2)]


def test_a_task_starts_at_its_committed_offset_not_the_position(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """At-least-once, committed offset 2: the position was moved past it (to 3) while the
    task was being created; the task must process offset 2 again, not start at 3."""

    class Ahead(FakeConsumer):
        def incremental_assign(self, tps: list[TopicPartition]) -> None:
            super().incremental_assign(tps)
            for tp in tps:
                self.pos[(tp.topic, tp.partition)] = 3  # past the committed offset

    monkeypatch.setattr("test_stale_records.FakeConsumer", Ahead)

    def assign(c: FakeConsumer) -> None:
        c.committed_offsets[(IN, 0)] = 2
        c.rebalance("assign", [(IN, 0)])

    seen, _, _ = run_thread({1: assign}, {(IN, 0): 4}, 8, exactly_once=False)
    assert seen == [(0, 2), (0, 3)]
