"""Unit tests of the record path generator (``kstreams.runtime.record_path``).

The stages are compiled into both entry points of a source, for every shape; what the entry
points do for real topologies is tested in ``test_task_runs.py``.
"""

from __future__ import annotations

import itertools
import subprocess
import sys
import tempfile
import traceback
from types import SimpleNamespace
from typing import Any

import orjson
import pytest

from kstreams import Serdes, StreamsBuilder, StreamsError
from kstreams.config import StreamsConfig
from kstreams.processor.context import TaskContext
from kstreams.processor.task_id import TaskId
from kstreams.runtime import record_path
from kstreams.runtime.metrics import TaskMetrics
from kstreams.runtime.record_path import RECORD, RUN, STAGES, Shape, Stage
from kstreams.runtime.task import StreamTask

ALL_SHAPES = [Shape(*flags) for flags in itertools.product((False, True), repeat=3)]


class Msg:
    def __init__(self, partition: int, offset: int, key: Any, value: Any, ts: int) -> None:
        self._p, self._o, self._k, self._v, self._ts = partition, offset, key, value, ts

    def topic(self) -> str:
        return "in"

    def partition(self) -> int:
        return self._p

    def offset(self) -> int:
        return self._o

    def key(self) -> Any:
        return self._k

    def value(self) -> Any:
        return self._v

    def timestamp(self) -> tuple[int, int]:
        return (1, self._ts)

    def headers(self) -> Any:
        return None

    def error(self) -> Any:
        return None


def bindings(out: list[Any]) -> dict[str, Any]:
    """Stand-ins for what a task binds; ``out`` gets what the source forwards."""
    ctx = TaskContext(TaskId(0, 0), "app", {}, lambda: 0)

    def fail(*args: Any) -> None:
        raise AssertionError(f"unexpected error: {args[-1]!r}")

    return {
        "topic": "in",
        "name": "source",
        "ctx": ctx,
        "consumed": {},
        "metrics": TaskMetrics(),
        "kdes": lambda topic, data, headers: None if data is None else data.decode(),
        "vdes": lambda topic, data, headers: None if data is None else orjson.loads(data),
        "kfast": bytes.decode,
        "vfast": orjson.loads,
        "extractor": lambda record, partition_time: record.timestamp,
        "partition_time": {},
        "forward": lambda key, value, ts, headers: out.append((key, value, ts)),
        "on_deserialization_error": fail,
        "on_processing_error": fail,
        "processing_failure": lambda topic, partition, offset, exc: StreamsError(str(exc)),
        "stream_punctuations": [],
        "punctuate_stream_time": lambda: False,
    }


@pytest.mark.parametrize("shape", ALL_SHAPES, ids=str)
def test_every_shape_compiles_and_both_entry_points_process_records(shape: Shape) -> None:
    out: list[Any] = []
    b = bindings(out)
    path = record_path.build(shape, b)
    path.source(0, 7, b"k", b'{"n":1}', 100, None)
    assert path.run(Msg(1, 3, b"j", b"[2]", 200), iter([Msg(1, 4, None, None, 150)])) is None
    assert out == [("k", {"n": 1}, 100), ("j", [2], 200), (None, None, 150)]
    assert b["consumed"] == {("in", 0): 7, ("in", 1): 4}
    assert b["metrics"].processed == 3
    assert b["ctx"].stream_time == 200
    for stage in STAGES:  # each stage, in each entry point
        assert path.text.count(f"# -- {stage.name}\n") == 2
    assert ("kfast(kb)" in path.text) == shape.key_fast
    assert ("vfast(vb)" in path.text) == shape.value_fast
    assert ("extractor(" in path.text) == shape.extractor


def test_one_shape_is_compiled_once() -> None:
    shape = Shape(True, True, False)
    a = record_path.build(shape, bindings([]))
    b = record_path.build(shape, bindings([]))
    assert a.run is not b.run  # each over its own task's objects
    assert a.run.__code__ is b.run.__code__  # the same code
    assert a.source.__code__.co_filename.startswith("<kstreams record path ")


def test_a_stage_is_written_once_for_both_entry_points() -> None:
    requests = Stage("commit request", lambda shape: "ctx.commit_requested = True\n")
    stages = (*STAGES, requests)
    shape = Shape(True, True, False)
    assert "ctx.commit_requested = True" in record_path.entry_point(RECORD, shape, stages)
    assert "ctx.commit_requested = True" in record_path.entry_point(RUN, shape, stages)
    b = bindings([])
    path = record_path.build(shape, b, stages)
    path.source(0, 0, b"k", b"1", 1, None)
    assert b["ctx"].commit_requested
    b["ctx"].commit_requested = False
    path.run(Msg(0, 1, b"k", b"1", 1), iter(()))
    assert b["ctx"].commit_requested


def test_a_per_run_statement_runs_once_per_run_and_with_each_record() -> None:
    counting = Stage("runs", lambda shape: "", per_run="metrics.dropped_records += 1")
    b = bindings([])
    path = record_path.build(Shape(True, True, False), b, (*STAGES, counting))
    path.run(Msg(0, 0, b"a", b"1", 1), iter([Msg(0, 1, b"b", b"2", 2), Msg(0, 2, b"c", b"3", 3)]))
    assert b["metrics"].dropped_records == 1
    path.source(0, 3, b"d", b"4", 4, None)
    path.source(0, 4, b"e", b"5", 5, None)
    assert b["metrics"].dropped_records == 3


def test_mistakes_in_the_description_fail_at_build_time() -> None:
    shape = Shape(False, False, False)
    with pytest.raises(TypeError, match=r"missing \['topic'\], unknown \['topik'\]"):
        b = bindings([])
        b["topik"] = b.pop("topic")
        record_path.build(shape, b)
    unbound = Stage("typo", lambda shape: "metrix.processed += 1\n")
    with pytest.raises(AssertionError, match=r"not in BINDINGS: \['metrix'\]"):
        record_path.build(shape, bindings([]), (*STAGES, unbound))
    marker = Stage("marker", lambda shape: "$next_recrod\n")
    with pytest.raises(AssertionError, match=r"unfilled markers.*\$next_recrod"):
        record_path.build(shape, bindings([]), (*STAGES, marker))


def test_fill_indents_a_snippet_as_its_marker() -> None:
    text = record_path.fill("if x:\n    $body\n$keep\n", body="a = 1\nif a:\n    b = 2")
    assert text == "if x:\n    a = 1\n    if a:\n        b = 2\n$keep\n"


def test_tracebacks_show_the_generated_lines() -> None:
    def boom(value: Any) -> Any:
        raise ValueError("boom")

    string = Serdes.String()
    b = StreamsBuilder()
    b.stream("in", key_serde=string, value_serde=string).map_values(boom).to(
        "out", key_serde=string, value_serde=string
    )
    topology = b.build()
    sub = topology.subtopologies()[0]
    config = StreamsConfig(
        {
            "application.id": "tb",
            "bootstrap.servers": "dummy:0",
            "state.dir": tempfile.mkdtemp(prefix="kstreams-tb-"),
        }
    )
    collector = SimpleNamespace(send=None, partitions_for=None)
    task = StreamTask(TaskId(0, 0), topology, sub, config, collector, lambda: 0)  # type: ignore[arg-type]
    with pytest.raises(StreamsError) as info:
        task.run_for("in")(Msg(0, 0, b"k", b"v", 1), iter(()))
    cause = info.value.__cause__
    assert cause is not None
    text = "".join(traceback.format_exception(cause))
    assert "<kstreams record path " in text and ", in run" in text
    assert "forward(key, value, ts, headers)" in text  # the line, from linecache
    assert "def run(first, rest):" in task.record_path_source("in")


def test_the_module_prints_the_code_of_a_shape() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "kstreams.runtime.record_path", "key_fast", "extractor"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert out.strip() == record_path.render(Shape(True, False, True)).strip()
    compile(out, "<printed>", "exec")
