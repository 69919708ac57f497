"""A restoration round runs with the cyclic garbage collector off, and leaves it as it was."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from changelog_fakes import Msg, Position

from kstreams.runtime.restore import Restoration, _Job, gc_paused


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_a_pause_turns_the_collector_off_and_back_on() -> None:
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer pause still holds
    assert gc.isenabled()


def test_a_collector_turned_off_by_the_user_stays_off() -> None:
    gc.disable()
    with gc_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_the_collector_comes_back_after_an_error() -> None:
    with pytest.raises(RuntimeError), gc_paused():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_concurrent_pauses_turn_it_back_on_when_the_last_ends() -> None:
    inside = threading.Event()
    release = threading.Event()

    def other() -> None:
        with gc_paused():
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=other)
    thread.start()
    assert inside.wait(5)
    with gc_paused():
        pass
    assert not gc.isenabled()  # the other thread's pause is still on
    release.set()
    thread.join(5)
    assert gc.isenabled()


class _Store:
    name = "s"
    changelog_topic = "app-s-changelog"

    def __init__(self) -> None:
        self.batches: list[tuple[list[Any], int]] = []

    def restore_offset(self) -> int | None:
        return None

    def restore_batch(self, records: list[Any], last_offset: int) -> None:
        self.batches.append((list(records), last_offset))


class _Consumer:
    """Ten records of one partition; records whether the collector was on in consume()."""

    def __init__(self) -> None:
        self.pos = 0
        self.collector_on: list[bool] = []

    def list_topics(self, topic: str, timeout: float) -> None:
        return None

    def assign(self, tps: list[Any]) -> None:
        self.pos = tps[0].offset

    def resume(self, tps: list[Any]) -> None:
        return None

    def pause(self, tps: list[Any]) -> None:
        return None

    def unassign(self) -> None:
        return None

    def consume(self, n: int, timeout: float) -> list[Any]:
        self.collector_on.append(gc.isenabled())
        msgs = [Msg(_Store.changelog_topic, 0, o) for o in range(self.pos, min(10, self.pos + n))]
        self.pos += len(msgs)
        return msgs

    def position(self, tps: list[Any]) -> list[Position]:
        return [Position(tp.topic, tp.partition, self.pos) for tp in tps]


def test_a_round_consumes_and_applies_with_the_collector_off() -> None:
    store = _Store()
    consumer = _Consumer()
    restoration = Restoration(consumer)
    restoration.add([_Job(store, 0, 0, 10)])
    finished = restoration.round()
    assert [j.store for j in finished] == [store]
    assert consumer.collector_on == [False]
    assert gc.isenabled()
    assert [(len(records), last) for records, last in store.batches] == [(10, 9)]
