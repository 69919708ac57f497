"""The producer reports failed deliveries only; changelog offsets are read from the log ends
after a commit (one request for all partitions written since the last one), by a periodic
commit only once CHECKPOINT_RECORDS changelog records were sent since."""

from __future__ import annotations

from typing import Any

import pytest
from confluent_kafka import TopicPartition

from kstreams.errors import StreamsError
from kstreams.runtime.collector import (
    CHECKPOINT_RECORDS,
    KafkaRecordCollector,
    configure_delivery_reports,
)
from kstreams.runtime.thread_commit import ThreadCommitting


class Producer:
    def __init__(self) -> None:
        self.sent: list[tuple[Any, ...]] = []

    def produce(self, *args: Any) -> None:
        self.sent.append(args)


class Ends:
    """A consumer answering ``offsets_for_times`` with the log ends it is given."""

    def __init__(self, ends: dict[tuple[str, int], int]) -> None:
        self.ends = ends
        self.asked: list[list[tuple[str, int]]] = []

    def offsets_for_times(self, tps: list[Any], timeout: float) -> list[Any]:
        self.asked.append([(tp.topic, tp.partition) for tp in tps])
        return [
            TopicPartition(tp.topic, tp.partition, self.ends[(tp.topic, tp.partition)])
            for tp in tps
        ]


def test_changelog_records_get_no_callback_and_their_offsets_come_from_the_log_end() -> None:
    producer = Producer()
    collector = KafkaRecordCollector(producer)
    collector.offsets_from_log = True
    collector.send_changelog("c", b"k", b"v", 1, 0)
    collector.send_changelog("c", b"k2", b"v", 1, 0)
    collector.send_changelog("c", b"k", b"v", 1, 2)
    assert [args[4] for args in producer.sent] == [None, None, None]  # no Python call per record
    ends = Ends({("c", 0): 12, ("c", 2): 5})
    collector.read_changelog_offsets(ends)
    assert collector.changelog_offsets == {("c", 0): 11, ("c", 2): 4}
    assert ends.asked == [[("c", 0), ("c", 2)]]  # one request
    collector.read_changelog_offsets(ends)  # nothing written since: nothing asked
    assert len(ends.asked) == 1


def test_without_offsets_from_log_the_delivery_reports_tell() -> None:
    producer = Producer()
    collector = KafkaRecordCollector(producer)
    collector.send_changelog("c", b"k", b"v", 1, 0)
    assert producer.sent[0][4] is not None
    collector.read_changelog_offsets(Ends({}))  # nothing to read
    assert collector.changelog_offsets == {}


def test_an_unreadable_log_end_fails_the_commit() -> None:
    collector = KafkaRecordCollector(Producer())
    collector.offsets_from_log = True
    collector.send_changelog("c", b"k", b"v", 1, 0)
    with pytest.raises(StreamsError, match="end offset of changelog c-0"):
        collector.read_changelog_offsets(Ends({("c", 0): -1}))


@pytest.mark.parametrize(("logged", "from_log"), [(False, False), (True, True)])
def test_failures_only_and_changelog_offsets_from_the_log_ends(
    logged: bool, from_log: bool
) -> None:
    # both guarantees: exactly-once reads the ends after the transaction committed
    conf: dict[str, Any] = {}
    assert configure_delivery_reports(conf, logged) is from_log
    assert conf["delivery.report.only.error"] is True


def test_a_user_who_wants_every_report_gets_them() -> None:
    conf: dict[str, Any] = {"delivery.report.only.error": False}
    assert configure_delivery_reports(conf, True) is False  # offsets from them


def test_the_ends_are_due_again_after_checkpoint_records_changelog_records() -> None:
    collector = KafkaRecordCollector(Producer())
    collector.offsets_from_log = True
    for i in range(CHECKPOINT_RECORDS - 1):
        collector.send_changelog("c", b"k", b"v", 1, i % 2)
    assert not collector.changelog_offsets_due()
    collector.send_changelog("c", b"k", b"v", 1, 0)
    assert collector.changelog_offsets_due()
    collector.read_changelog_offsets(Ends({("c", 0): 7, ("c", 1): 9}))
    assert not collector.changelog_offsets_due()
    assert collector.changelog_offsets == {("c", 0): 6, ("c", 1): 8}


def test_after_a_transaction_an_unreadable_end_leaves_the_checkpoints_behind(
    caplog: pytest.LogCaptureFixture,
) -> None:
    collector = KafkaRecordCollector(Producer())
    collector.offsets_from_log = True
    collector.changelog_offsets[("c", 0)] = 3
    collector.send_changelog("c", b"k", b"v", 1, 0)
    collector.read_changelog_offsets_after_transaction(Ends({("c", 0): -1}))  # no raise
    assert collector.changelog_offsets == {("c", 0): 3}
    assert "checkpoints stay behind" in caplog.text
    # the transaction's marker is the last offset: a checkpoint there restores nothing
    collector.read_changelog_offsets_after_transaction(Ends({("c", 0): 6}))
    assert collector.changelog_offsets == {("c", 0): 5}


class Committer:
    def __init__(self, exactly_once: bool) -> None:
        self.exactly_once = exactly_once
        self.committed: list[list[Any]] = []

    def send_offsets(self, tps: list[Any], in_poll: bool = False) -> None:
        pass

    def commit(self, tps: list[Any]) -> None:
        self.committed.append(tps)


class Task:
    has_commit_hooks = False

    def __init__(self, collector: KafkaRecordCollector) -> None:
        self.collector = collector
        self.stored: list[dict[tuple[str, int], int]] = []

    def prepare_commit(self) -> None:
        self.collector.send_changelog("c", b"k", b"v", 1, 0)

    def committable_offsets(self) -> dict[tuple[str, int], int]:
        return {("in", 0): 1}

    def commit_metadata(self, topic: str, partition: int) -> str:
        return ""

    def mark_committed(self, offsets: dict[tuple[str, int], int]) -> None:
        pass

    def commit_stores(self, changelog_offsets: dict[tuple[str, int], int]) -> None:
        self.stored.append(dict(changelog_offsets))


class Thread(ThreadCommitting):
    def __init__(self, exactly_once: bool) -> None:
        self.collector = KafkaRecordCollector(Producer())
        self.collector.offsets_from_log = True
        self.committer = Committer(exactly_once)
        self.end_consumer = Ends({("c", 0): 100})
        self.task = Task(self.collector)
        self.tasks = {"0_0": self.task}
        self._internal_sources = set()
        self._purge_offsets = {}
        self.commits = 0


@pytest.mark.parametrize("exactly_once", [False, True])
def test_periodic_commits_read_the_ends_only_when_due_others_always(exactly_once: bool) -> None:
    thread = Thread(exactly_once)
    thread.commit(periodic=True)  # one changelog record: not due
    assert thread.end_consumer.asked == []
    assert thread.task.stored == [{}]
    thread.commit()  # a commit that closes or hands over tasks reads them
    assert thread.end_consumer.asked == [[("c", 0)]]
    assert thread.task.stored[-1] == {("c", 0): 99}
    thread.collector._changelog_unread = CHECKPOINT_RECORDS
    thread.commit(periodic=True)
    assert len(thread.end_consumer.asked) == 2
