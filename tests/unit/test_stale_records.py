"""A record fetched before its partition was rewound is not processed by the task created after.

No broker: a real ``StreamThread`` loop over a fake consumer that models positions, pauses,
seeks and rebalance callbacks. The loop takes the first record of a quiet round with
``consume(1, poll.ms)``, then what else is ready with a second ``consume``; a rebalance
callback in that second call may close the tasks and rewind their partitions (exactly-once:
a lost partition aborts the transaction of every task). The first call's record was fetched
from the old position: processed by the task created again in the same round, it was
processed a second time when the partition was read again from its committed offset, and
both results were committed (the exactly-once chaos test's duplicated outputs).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, TopicPartition
from test_task_runs import Msg

from kstreams import Serdes, StreamsBuilder
from kstreams.config import StreamsConfig
from kstreams.processor.api import Processor
from kstreams.runtime.committer import TransactionAbortedError
from kstreams.runtime.stream_thread import StreamThread

IN = "in"


class FakeConsumer:
    """Partitions with ``ends`` records; a position per assigned partition; ``script[n]`` runs
    at the start of the n-th ``consume`` call (rebalance callbacks, new records)."""

    def __init__(self, ends: dict[tuple[str, int], int], script: dict[int, Callable]) -> None:
        self.ends = ends
        self.script = script
        self.calls = 0
        self.pos: dict[tuple[str, int], int] = {}
        self.paused: set[tuple[str, int]] = set()
        self.committed_offsets: dict[tuple[str, int], int] = {}
        self.callbacks: dict[str, Any] = {}
        self.thread: Any = None

    # group membership
    def list_topics(self, topic: str, timeout: float) -> None:
        pass

    def subscribe(self, topics: list[str], on_assign: Any, on_revoke: Any, on_lost: Any) -> None:
        self.callbacks = {"assign": on_assign, "revoke": on_revoke, "lost": on_lost}

    def incremental_assign(self, tps: list[TopicPartition]) -> None:
        for tp in tps:
            key = (tp.topic, tp.partition)
            self.pos[key] = self.committed_offsets.get(key, 0)

    def assign(self, tps: list[TopicPartition]) -> None:  # the classic protocol: all of it
        self.pos.clear()
        self.paused.clear()
        self.incremental_assign(tps)

    def incremental_unassign(self, tps: list[TopicPartition]) -> None:
        for tp in tps:
            self.pos.pop((tp.topic, tp.partition), None)
            self.paused.discard((tp.topic, tp.partition))

    def rebalance(self, kind: str, partitions: list[tuple[str, int]]) -> None:
        tps = [TopicPartition(t, p) for t, p in partitions]
        self.callbacks[kind](self, tps)
        if kind != "assign":  # what confluent-kafka does when the callback did not
            self.incremental_unassign(tps)

    # positions
    def pause(self, tps: list[TopicPartition]) -> None:
        self.paused.update((tp.topic, tp.partition) for tp in tps)

    def resume(self, tps: list[TopicPartition]) -> None:
        self.paused.difference_update((tp.topic, tp.partition) for tp in tps)

    def seek(self, tp: TopicPartition) -> None:
        self.pos[(tp.topic, tp.partition)] = 0 if tp.offset == OFFSET_BEGINNING else tp.offset

    def committed(self, tps: list[TopicPartition], timeout: float) -> list[TopicPartition]:
        return [
            TopicPartition(
                tp.topic, tp.partition, self.committed_offsets.get((tp.topic, tp.partition), -1001)
            )
            for tp in tps
        ]

    def commit(self, offsets: list[TopicPartition], asynchronous: bool) -> None:
        self.committed_offsets.update({(tp.topic, tp.partition): tp.offset for tp in offsets})

    def consume(self, num_messages: int, timeout: float) -> list[Msg]:
        self.calls += 1
        action = self.script.get(self.calls)
        if action is not None:
            action(self)
        out: list[Msg] = []
        for key in sorted(self.pos):
            if key in self.paused:
                continue
            while self.pos[key] < self.ends.get(key, 0) and len(out) < num_messages:
                o = self.pos[key]
                out.append(
                    Msg(key[1], o, f"k{o}".encode(), f"v{o}".encode(), 1000 + o, topic=key[0])
                )
                self.pos[key] += 1
        return out

    def close(self) -> None:
        pass


class ExactlyOnce:
    """The committer of an exactly-once thread, without a producer."""

    exactly_once = True

    def __init__(self) -> None:
        self.aborts = 0
        self.fail_commits = 0

    def start(self) -> None:
        pass

    def send_offsets(self, offsets: Any, in_poll: bool = False) -> None:
        pass

    def commit(self, offsets: Any) -> None:
        if self.fail_commits:
            self.fail_commits -= 1
            raise TransactionAbortedError("commit_transaction failed: the broker restarts")

    def abort(self, renew: bool = False) -> None:
        self.aborts += 1

    def close(self) -> None:
        pass


class Record(Processor):
    """Records where each record came from; asks for a commit after the ``commit_after`` ones."""

    def __init__(self, seen: list[Any], commit_after: set[int], with_topic: bool = False) -> None:
        self.seen = seen
        self.commit_after = commit_after
        self.with_topic = with_topic

    def process(self, record: Any) -> None:
        meta = self.context.record_metadata()
        where = (meta.partition, meta.offset)
        self.seen.append((meta.topic, *where) if self.with_topic else where)
        if meta.offset in self.commit_after:
            self.context.commit()


def run_thread(
    script: dict[int, Callable],
    ends: dict[tuple[str, int], int],
    stop_at: int,
    protocol: str = "consumer",
    exactly_once: bool = True,
    commit_after: frozenset[int] = frozenset(),
    commit_interval_ms: int = 600_000,
    topics: tuple[str, ...] = (IN,),
) -> Any:
    """The thread's loop over a fake consumer until its ``stop_at``-th consume call.

    ``topics``: the topology's one source reads them all (one task per partition number:
    several topics make multi-partition tasks, whose records are seen as (topic, partition,
    offset))."""
    seen: list[Any] = []
    builder = StreamsBuilder()
    many = len(topics) > 1
    builder.stream(list(topics), key_serde=Serdes.String(), value_serde=Serdes.String()).process(
        lambda: Record(seen, set(commit_after), many)
    )
    config = StreamsConfig(
        {
            "application.id": "stale",
            "bootstrap.servers": "127.0.0.1:1",
            "group.protocol": protocol,
            "commit.interval.ms": commit_interval_ms,
            "poll.ms": 1,
            "state.dir": tempfile.mkdtemp(prefix="kstreams-stale-"),
        }
    )
    thread = StreamThread(0, builder.build(), config, "c", None, lambda *a: None, lambda *a: None)
    fake = FakeConsumer(ends, {**script, stop_at: lambda c: thread.shutdown()})
    fake.thread = thread
    real = thread.consumer
    thread.consumer = fake
    if exactly_once:
        thread.committer = ExactlyOnce()
    else:
        thread.committer.consumer = fake
    try:
        thread._run_loop()
    finally:
        thread.task_manager.close_all()
        thread.consumer = real
        thread.release()
    return seen, fake, thread


def test_a_record_fetched_before_a_rewind_is_not_processed_by_the_new_task() -> None:
    ends = {(IN, 0): 3, (IN, 1): 0}

    def more(c: FakeConsumer) -> None:
        c.ends[(IN, 0)] = 4  # offset 3 arrives: the quiet round's consume(1, poll.ms) takes it

    script = {
        1: lambda c: c.rebalance("assign", [(IN, 0), (IN, 1)]),
        # 2, 3: the tasks are created and run; offsets 0-2 processed (nothing committed)
        5: more,
        # the same round's second consume: in-1 lost, the transaction of every task aborted,
        # in-0 rewound to its committed offset (none: the beginning)
        6: lambda c: c.rebalance("lost", [(IN, 1)]),
    }
    seen, _, thread = run_thread(script, ends, stop_at=12)
    assert thread.committer.aborts == 1
    first, again = seen[:3], seen[3:]
    assert first == [(0, 0), (0, 1), (0, 2)]
    # started again from the beginning, each record once and in offset order: offset 3, fetched
    # from the old position, was left for the partition's new reading (it was processed first,
    # then again)
    assert again == [(0, 0), (0, 1), (0, 2), (0, 3)]


def test_a_record_fetched_before_an_eager_rebalance_is_not_processed_twice() -> None:
    # the classic protocol revokes everything and assigns it again: both callbacks in the
    # round's second consume (the assignment came while the revocation committed)
    ends = {(IN, 0): 3}

    def more(c: FakeConsumer) -> None:
        c.ends[(IN, 0)] = 4

    def rebalance(c: FakeConsumer) -> None:
        c.rebalance("revoke", [(IN, 0)])  # commits offsets 0-2: the task starts again at 3
        c.rebalance("assign", [(IN, 0)])

    script = {1: lambda c: c.rebalance("assign", [(IN, 0)]), 5: more, 6: rebalance}
    seen, fake, _ = run_thread(script, ends, 12, protocol="classic", exactly_once=False)
    assert fake.committed_offsets[(IN, 0)] == 3  # the revocation's commit
    # before: offset 3, fetched before the revocation, went to the task created again, then
    # came again from the committed offset
    assert seen == [(0, 0), (0, 1), (0, 2), (0, 3)]


def test_a_record_fetched_before_a_failed_revocation_commit_is_processed_once() -> None:
    # exactly-once, consumer protocol: the revocation's commit fails (the transaction aborted):
    # the tasks that stay are rewound to their committed offsets too
    ends = {(IN, 0): 3, (IN, 1): 0}

    def more(c: FakeConsumer) -> None:
        c.ends[(IN, 0)] = 4

    def revoke(c: FakeConsumer) -> None:
        thread_ref[0].committer.fail_commits = 1
        c.rebalance("revoke", [(IN, 1)])

    thread_ref: list[Any] = []
    script = {
        1: lambda c: (thread_ref.append(c.thread), c.rebalance("assign", [(IN, 0), (IN, 1)])),
        5: more,
        6: revoke,
    }
    seen, _, thread = run_thread(script, ends, stop_at=12)
    assert thread.committer.aborts >= 1
    assert seen == [(0, 0), (0, 1), (0, 2), (0, 0), (0, 1), (0, 2), (0, 3)]
