"""A task starts where its partitions were committed, whatever the consumer's position.

A task that is created (again) has processed nothing: its records begin at the committed
offset. The consumer's position for a partition that stayed assigned need not be there.
librdkafka (rdkafka_queue.c, ``rd_kafka_q_serve_rkmessages``) moves a partition's position
past the messages of a ``consume()`` batch only at the end of the batch, after the
rebalance callbacks served in its middle. A callback that rewinds a partition (exactly-once:
a lost partition aborts every task's transaction; the thread seeks the others to their
committed offsets and pauses them) is followed by the batch's stale messages of that
partition moving its position past the seek; the pause, handled on librdkafka's thread after
that, saves this position as where fetching resumes. The stale messages are dropped (their
task is closed), and the task created again resumed after them: under exactly-once, the
3-broker coordinator-kill test lost 1,000 records of one partition (one batch) at load ~100.
Kafka Streams seeks a revived task's partitions to their committed offsets; kstreams seeks
every task's partitions when it starts.
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


def test_a_partition_not_fetching_yet_is_not_sought(monkeypatch: pytest.MonkeyPatch) -> None:
    """librdkafka refuses to seek a partition whose fetch has not started (``_STATE``: its
    committed offset still being looked up right after the assignment); it starts there by
    itself, so the task starts without the seek instead of failing the thread."""
    from confluent_kafka import KafkaError, KafkaException

    class NotStarted(FakeConsumer):
        refused = 0

        def seek(self, tp: TopicPartition) -> None:
            NotStarted.refused += 1
            raise KafkaException(KafkaError(KafkaError._STATE, "Local: Erroneous state"))

    monkeypatch.setattr("test_stale_records.FakeConsumer", NotStarted)
    # (a seek the thread did not expect would raise out of its loop here)
    seen, _, _ = run_thread(
        {1: lambda c: c.rebalance("assign", [(IN, 0)])}, {(IN, 0): 2}, 8, exactly_once=False
    )
    assert NotStarted.refused == 1
    assert seen == [(0, 0), (0, 1)]
