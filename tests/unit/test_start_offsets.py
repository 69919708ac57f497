"""Tasks start from committed offsets asked for when they were created (task_offsets.StartOffsets)."""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException, TopicPartition

from kstreams.processor.task_id import TaskId
from kstreams.runtime.task_offsets import StartOffsets


class _Task:
    def __init__(self, partition: int, topics: tuple[str, ...] = ("in",)) -> None:
        self.id = TaskId(0, partition)
        self.partitions = [(t, partition) for t in topics]
        self.started: list[dict[tuple[str, int], tuple[int, str | None]]] = []

    def initialize_metadata(self, committed: dict[tuple[str, int], tuple[int, str | None]]) -> None:
        self.started.append(committed)


class _Committed:
    """A partition of a ``ListConsumerGroupOffsets`` answer."""

    def __init__(
        self, topic: str, partition: int, offset: int, metadata: str | None, error: Any = None
    ) -> None:
        self.topic, self.partition, self.offset = topic, partition, offset
        self.metadata, self.error = metadata, error


class _Answer:
    def __init__(self, tps: list[_Committed]) -> None:
        self.topic_partitions = tps


class _Admin:
    def __init__(self) -> None:
        self.requests: list[tuple[Any, dict[str, Any]]] = []
        self.futures: list[Future[Any]] = []

    def list_consumer_group_offsets(self, requests: Any, **kwargs: Any) -> dict[str, Any]:
        self.requests.append((requests, kwargs))
        future: Future[Any] = Future()
        self.futures.append(future)
        return {requests[0].group_id: future}


class _Blocking:
    """The stream thread's retrying ``committed()``: what it was asked, what it answers."""

    def __init__(self, offsets: dict[tuple[str, int], tuple[int, str]]) -> None:
        self.offsets = offsets
        self.asked: list[list[tuple[str, int]]] = []

    def __call__(self, tps: list[TopicPartition]) -> list[TopicPartition]:
        self.asked.append([(tp.topic, tp.partition) for tp in tps])
        out = []
        for tp in tps:
            offset, meta = self.offsets.get((tp.topic, tp.partition), (-1001, ""))
            out.append(TopicPartition(tp.topic, tp.partition, offset, meta))
        return out


def _answer(*entries: tuple[str, int, int, str | None]) -> _Answer:
    return _Answer([_Committed(t, p, o, m) for t, p, o, m in entries])


def test_an_answered_prefetch_starts_the_tasks_without_a_lookup() -> None:
    admin = _Admin()
    blocking = _Blocking({})
    offsets = StartOffsets(blocking, "t1", admin, "app")
    tasks = [_Task(0), _Task(1)]
    offsets.prefetch(tasks)
    ((requests, kwargs),) = admin.requests
    assert requests[0].group_id == "app"
    assert [(tp.topic, tp.partition) for tp in requests[0].topic_partitions] == [
        ("in", 0),
        ("in", 1),
    ]
    assert kwargs["require_stable"] is True
    admin.futures[0].set_result(_answer(("in", 0, 42, "m0"), ("in", 1, -1001, None)))
    offsets.initialize(tasks)
    assert blocking.asked == []
    assert tasks[0].started == [{("in", 0): (42, "m0")}]
    assert tasks[1].started == [{}]  # nothing committed yet


def test_a_prefetch_not_answered_yet_falls_back_to_the_lookup() -> None:
    admin = _Admin()
    blocking = _Blocking({("in", 0): (7, "b")})
    offsets = StartOffsets(blocking, "t1", admin, "app")
    task = _Task(0)
    offsets.prefetch([task])
    offsets.initialize([task])
    assert blocking.asked == [[("in", 0)]]
    assert task.started == [{("in", 0): (7, "b")}]


@pytest.mark.parametrize("failure", ["partition", "request"])
def test_a_failed_prefetch_falls_back_to_the_lookup(failure: str) -> None:
    admin = _Admin()
    blocking = _Blocking({("in", 0): (7, "b")})
    offsets = StartOffsets(blocking, "t1", admin, "app")
    task = _Task(0)
    offsets.prefetch([task])
    if failure == "partition":  # an offset of a transaction still open
        error = KafkaError(KafkaError.UNSTABLE_OFFSET_COMMIT)
        admin.futures[0].set_result(_Answer([_Committed("in", 0, -1001, None, error)]))
    else:
        admin.futures[0].set_exception(KafkaException(KafkaError(KafkaError._TIMED_OUT)))
    offsets.initialize([task])
    assert blocking.asked == [[("in", 0)]]
    assert task.started == [{("in", 0): (7, "b")}]


def test_only_the_tasks_without_an_answer_are_looked_up() -> None:
    admin = _Admin()
    blocking = _Blocking({("in", 1): (9, "late")})
    offsets = StartOffsets(blocking, "t1", admin, "app")
    first, second = _Task(0), _Task(1)
    offsets.prefetch([first])
    admin.futures[0].set_result(_answer(("in", 0, 3, "a")))
    offsets.prefetch([second])  # created later, its prefetch still pending
    offsets.initialize([first, second])
    assert blocking.asked == [[("in", 1)]]
    assert first.started == [{("in", 0): (3, "a")}]
    assert second.started == [{("in", 1): (9, "late")}]


def test_a_task_created_again_uses_its_new_prefetch() -> None:
    admin = _Admin()
    blocking = _Blocking({})
    offsets = StartOffsets(blocking, "t1", admin, "app")
    offsets.prefetch([_Task(0)])
    admin.futures[0].set_result(_answer(("in", 0, 1, "old")))
    again = _Task(0)
    offsets.prefetch([again])
    admin.futures[1].set_result(_answer(("in", 0, 5, "new")))
    offsets.initialize([again])
    assert again.started == [{("in", 0): (5, "new")}]
    assert blocking.asked == []


def test_without_an_admin_client_every_start_looks_up() -> None:
    blocking = _Blocking({("in", 0): (2, "x"), ("other", 0): (4, "y")})
    offsets = StartOffsets(blocking, "t1")
    task = _Task(0, ("in", "other"))
    offsets.prefetch([task])
    offsets.initialize([task])
    assert blocking.asked == [[("in", 0), ("other", 0)]]
    assert task.started == [{("in", 0): (2, "x"), ("other", 0): (4, "y")}]
