"""A source's batch entry point runs with the cyclic garbage collector paused.

``run(first, rest)`` (``kstreams.runtime.record_path``) pauses it for the run and puts it
back as it found it: on after a run (also one that fails), still off when the user turned
it off; the per-record entry point leaves it alone.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest
from test_record_path import Msg, bindings

from kstreams.runtime import record_path
from kstreams.runtime.record_path import Shape


@pytest.fixture
def gc_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    try:
        yield
    finally:
        (gc.enable if was else gc.disable)()


def _source(forward: Any) -> record_path.SourcePath:
    b = bindings([])
    b["forward"] = forward
    return record_path.build(Shape(True, True, False), b)


def test_a_run_pauses_the_collector_and_turns_it_back_on(gc_on: None) -> None:
    seen: list[bool] = []
    path = _source(lambda key, value, ts, headers: seen.append(gc.isenabled()))
    msgs = [Msg(0, i, b"k", b"1", 10 + i) for i in range(3)]
    assert path.run(msgs[0], iter(msgs[1:])) is None
    assert seen == [False, False, False]
    assert gc.isenabled()
    # the per-record entry point: no pause
    path.source(0, 3, b"k", b"1", 20, None)
    assert seen[-1] is True


def test_a_failing_run_turns_it_back_on(gc_on: None) -> None:
    def fail(key: Any, value: Any, ts: int, headers: Any) -> None:
        raise MemoryError("boom")  # not handled by the processing exception handler

    path = _source(fail)
    with pytest.raises(Exception, match="boom"):
        path.run(Msg(0, 0, b"k", b"1", 10), iter(()))
    assert gc.isenabled()


def test_a_collector_the_user_turned_off_stays_off(gc_on: None) -> None:
    seen: list[bool] = []
    path = _source(lambda key, value, ts, headers: seen.append(gc.isenabled()))
    gc.disable()
    path.run(Msg(0, 0, b"k", b"1", 10), iter(()))
    assert seen == [False]
    assert not gc.isenabled()


def test_overlapping_pauses_still_collect_cycles(gc_on: None) -> None:
    """Pauses of several threads can overlap without end: a pause that ends while another
    goes on collects what is overdue, so cycles made meanwhile do not pile up for good."""
    import weakref

    from kstreams.runtime.restore import GC_OVERDUE_FACTOR, gc_paused

    class Node:
        pass

    refs = []
    with gc_paused():  # another thread's pause, never ending during the test
        for _ in range(3):
            with gc_paused():
                for _ in range(gc.get_threshold()[0] * GC_OVERDUE_FACTOR + 10):
                    a, b = Node(), Node()
                    a.other, b.other = b, a  # a cycle: only the collector frees it
                    refs.append(weakref.ref(a))
                    del a, b
        assert not gc.isenabled()  # the outer pause still holds it
        alive = sum(1 for r in refs if r() is not None)
        assert alive < len(refs) // 2, f"{alive} of {len(refs)} cycles never collected"
    assert gc.isenabled()
