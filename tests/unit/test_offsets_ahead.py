"""Exactly-once: the input offsets go to the transaction while the caches flush, and no other
transactional call ever runs beside that ``send_offsets_to_transaction``."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException, TopicPartition

from kstreams.runtime.committer import ExactlyOnceCommitter, TransactionAbortedError
from kstreams.runtime.thread_commit import ThreadCommitting


class Producer:
    """A transactional producer whose ``send_offsets_to_transaction`` waits for ``release``
    (and then raises ``error``, if set); it records every call, and any call made while a
    ``send_offsets_to_transaction`` is still inside it."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.release.set()
        self.entered = threading.Event()
        self.error: KafkaException | None = None
        self.calls: list[tuple[str, Any]] = []
        self.overlapping: list[str] = []
        self._inside = 0

    def _call(self, name: str, arg: Any = None) -> None:
        if self._inside:
            self.overlapping.append(name)
        self.calls.append((name, arg))

    def send_offsets_to_transaction(self, offsets: Any, group: Any, timeout: float) -> None:
        self._call("send_offsets", [(tp.topic, tp.partition, tp.offset) for tp in offsets])
        self._inside += 1
        self.entered.set()
        try:
            self.release.wait(5)
            if self.error is not None:
                raise self.error
        finally:
            self._inside -= 1

    def commit_transaction(self, timeout: float) -> None:
        self._call("commit")

    def begin_transaction(self) -> None:
        self._call("begin")

    def abort_transaction(self, timeout: float) -> None:
        self._call("abort")


class Consumer:
    def consumer_group_metadata(self) -> object:
        return object()


class Collector:
    def check_errors(self) -> None:
        pass

    def discard_errors(self) -> None:
        pass

    def delivery_failure(self) -> None:
        return None


def committer(producer: Producer) -> ExactlyOnceCommitter:
    c = ExactlyOnceCommitter(Consumer(), producer, Collector(), "t")
    c._in_txn = True
    return c


def tps(offset: int, metadata: str = "m") -> list[TopicPartition]:
    return [TopicPartition("in", 0, offset, metadata=metadata)]


def test_offsets_sent_ahead_are_not_sent_again_and_return_at_once() -> None:
    producer = Producer()
    producer.release.clear()
    c = committer(producer)
    c.send_offsets(tps(5))  # returns while the call waits inside the producer
    assert producer.entered.wait(5)
    assert producer.calls == [("send_offsets", [("in", 0, 5)])]
    producer.release.set()
    c.commit(tps(5))
    assert [name for name, _ in producer.calls] == ["send_offsets", "commit", "begin"]
    assert producer.overlapping == []


def test_offsets_that_changed_after_the_flush_are_sent_again() -> None:
    # processor metadata written while the caches flushed changes the metadata string
    producer = Producer()
    c = committer(producer)
    c.send_offsets(tps(5, "before"))
    c.commit(tps(5, "after"))
    assert [name for name, _ in producer.calls] == [
        "send_offsets",
        "send_offsets",
        "commit",
        "begin",
    ]
    assert producer.overlapping == []


@pytest.mark.parametrize(
    ("give_up", "calls"),
    [
        # e.g. the flush raised: the transaction is given up, the next one begins
        (ExactlyOnceCommitter.abort, ["send_offsets", "abort", "begin"]),
        (ExactlyOnceCommitter.close, ["send_offsets", "abort"]),
    ],
)
def test_aborting_or_closing_waits_for_the_offsets_sent_ahead(
    give_up: Any, calls: list[str]
) -> None:
    producer = Producer()
    producer.release.clear()
    c = committer(producer)
    c.send_offsets(tps(5))
    assert producer.entered.wait(5)
    threading.Timer(0.2, producer.release.set).start()
    give_up(c)
    assert [name for name, _ in producer.calls] == calls
    assert producer.overlapping == []


class GatedConsumer:
    """A consumer that lets one thread in at a time, as confluent-kafka 2.16+ does: while a
    thread is inside ``poll`` (and its rebalance callback), that thread's calls get in and
    other threads' wait until it returns."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._inside: int | None = None
        self.read_by: list[str] = []

    def poll_begins(self) -> None:
        with self._cond:
            self._inside = threading.get_ident()

    def poll_returns(self) -> None:
        with self._cond:
            self._inside = None
            self._cond.notify_all()

    def consumer_group_metadata(self) -> object:
        with self._cond:
            while self._inside not in (None, threading.get_ident()):
                self._cond.wait()
        self.read_by.append(threading.current_thread().name)
        return object()


def test_in_a_rebalance_callback_the_offsets_go_ahead_with_the_callers_group_metadata() -> None:
    # a commit on revocation runs inside the consumer's poll: read by the caller, the group
    # metadata comes at once, and the helper never waits at the consumer's gate for the poll
    producer = Producer()
    consumer = GatedConsumer()
    c = ExactlyOnceCommitter(consumer, producer, Collector(), "t")
    c._in_txn = True
    consumer.poll_begins()
    try:
        c.send_offsets(tps(5), in_poll=True)
        assert producer.entered.wait(5), "send_offsets_to_transaction under way"
        c.commit(tps(5))
    finally:
        consumer.poll_returns()
    assert consumer.read_by == [threading.current_thread().name]
    assert [name for name, _ in producer.calls] == ["send_offsets", "commit", "begin"]


def test_the_helper_reading_the_group_metadata_waits_for_the_poll_to_return() -> None:
    # why: reading the metadata, the helper waits at the gate as long as the poll runs
    # (inside a rebalance callback: until the commit it serves gave up, 40 s)
    producer = Producer()
    consumer = GatedConsumer()
    c = ExactlyOnceCommitter(consumer, producer, Collector(), "t")
    c._in_txn = True
    consumer.poll_begins()
    c.send_offsets(tps(5))
    assert not producer.entered.wait(0.3), "the helper got past the consumer's gate"
    consumer.poll_returns()
    assert producer.entered.wait(5)
    c.commit(tps(5))
    assert consumer.read_by == ["t-transactional-calls"]


def test_a_failure_of_the_offsets_sent_ahead_aborts_the_commit() -> None:
    producer = Producer()
    producer.error = KafkaException(
        KafkaError(KafkaError._STATE, "Failed to add offsets", txn_requires_abort=True)
    )
    c = committer(producer)
    c.send_offsets(tps(5))
    with pytest.raises(TransactionAbortedError, match="send_offsets_to_transaction failed"):
        c.commit(tps(5))
    assert [name for name, _ in producer.calls] == ["send_offsets", "abort"]  # no commit


class Task:
    def __init__(self, log: list[str], hooks: bool, metadata: list[str]) -> None:
        self.log = log
        self.has_commit_hooks = hooks
        self.metadata = metadata

    def prepare_commit(self) -> None:
        self.log.append("prepare")

    def committable_offsets(self) -> dict[tuple[str, int], int]:
        return {("in", 0): 7}

    def commit_metadata(self, topic: str, partition: int) -> str:
        return self.metadata[0]

    def mark_committed(self, offsets: dict[tuple[str, int], int]) -> None:
        pass

    def commit_stores(self, changelog_offsets: dict[tuple[str, int], int]) -> None:
        pass


class Committer:
    exactly_once = True

    def __init__(self, log: list[str]) -> None:
        self.log = log

    def send_offsets(self, offsets: list[TopicPartition], in_poll: bool = False) -> None:
        where = " (in the poll)" if in_poll else ""
        self.log.append(f"ahead {[(tp.offset, tp.metadata) for tp in offsets]}{where}")

    def commit(self, offsets: list[TopicPartition]) -> None:
        self.log.append(f"commit {[(tp.offset, tp.metadata) for tp in offsets]}")


class ThreadCollector:
    """The thread's collector: no changelog ends to read."""

    offsets_from_log = False
    changelog_offsets: dict[tuple[str, int], int] = {}


class Thread(ThreadCommitting):
    def __init__(self, hooks: bool) -> None:
        self.log: list[str] = []
        self.metadata = ["m"]
        self.committer = Committer(self.log)
        self.collector = ThreadCollector()
        self.tasks = {"0_0": Task(self.log, hooks, self.metadata)}
        self._internal_sources = set()
        self._purge_offsets = {}
        self.commits = 0


def test_the_thread_sends_its_offsets_before_the_caches_flush() -> None:
    thread = Thread(hooks=False)
    thread.commit(periodic=True)
    assert thread.log == ["ahead [(7, 'm')]", "prepare", "commit [(7, 'm')]"]


def test_a_commit_on_revocation_or_close_sends_ahead_reading_the_group_metadata_itself() -> None:
    # inside the consumer's rebalance callback the helper could not read the group metadata
    # (the consumer lets it in only once the poll returned): the thread reads it
    thread = Thread(hooks=False)
    thread.commit()
    assert thread.log == ["ahead [(7, 'm')] (in the poll)", "prepare", "commit [(7, 'm')]"]


def test_tasks_with_commit_hooks_send_their_offsets_after_the_flush() -> None:
    # the hooks fill the processor metadata that goes with the offsets
    thread = Thread(hooks=True)
    thread.commit(periodic=True)
    assert thread.log == ["prepare", "commit [(7, 'm')]"]
