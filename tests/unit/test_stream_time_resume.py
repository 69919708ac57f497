"""Stream time and processor metadata across a restart, through the TopologyTestDriver.

The driver commits after every record, as Java's does, keeping each input partition's offset
and metadata string in memory; a "restart" here is a second driver on the same state
directory whose tasks start from those commits (what the stream thread does with the
consumer's committed offsets: ``StreamTask.initialize_metadata``).
"""

from __future__ import annotations

import math
import shutil
import tempfile
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from kstreams import (
    EmitStrategy,
    Materialized,
    Processor,
    PunctuationType,
    Record,
    Serdes,
    SessionWindows,
    SlidingWindows,
    StreamsBuilder,
    TimeWindows,
    Topology,
)
from kstreams.processor.metadata import ProcessorMetadata
from kstreams.processor.window_support import OBSERVED_STREAM_TIME_SUFFIX
from kstreams.runtime.commit_metadata import decode, encode
from kstreams.testing import TopologyTestDriver

CONFIG: dict[str, Any] = {
    "application.id": "resume",
    "default.key.serde": Serdes.String,
    "default.value.serde": Serdes.String,
}

Committed = dict[tuple[str, int], tuple[int, str]]


@pytest.fixture
def state_dir() -> Iterator[str]:
    d = tempfile.mkdtemp(prefix="kstreams-resume-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def start(
    topology: Topology, state_dir: str, committed: Committed | None = None
) -> TopologyTestDriver:
    """A driver on ``state_dir``; with ``committed``, its tasks start from those commits."""
    driver = TopologyTestDriver(topology, {**CONFIG, "state.dir": state_dir})
    if committed:
        for task in driver._tasks:
            mine = {tp: v for tp, v in committed.items() if driver._task_of_topic[tp[0]] is task}
            task.initialize_metadata(mine)
    return driver


def pipe(driver: TopologyTestDriver, rows: list[tuple[str, int]], topic: str = "in") -> list[Any]:
    inp = driver.create_input_topic(topic)
    for key, ts in rows:
        inp.pipe_input(key, "v", ts)
    out = driver.create_output_topic("out", Serdes.String(), Serdes.String())
    return [(r.key, r.value, r.timestamp) for r in out.read_records_to_list()]


def windowed(build: Callable[[Any], Any]) -> Callable[[], Topology]:
    """A topology: ``in`` grouped by key, ``build(grouped)`` a windowed table, to ``out`` as
    ``"<start>:<count>"`` strings."""

    def topology() -> Topology:
        b = StreamsBuilder()
        build(b.stream("in").group_by_key()).to_stream().map(
            lambda w, v: (w.key, f"{w.window.start}:{v}")
        ).to("out")
        return b.build()

    return topology


def test_each_commit_carries_the_partition_time(state_dir: str) -> None:
    b = StreamsBuilder()
    b.stream("in").to("out")
    with start(b.build(), state_dir) as driver:
        pipe(driver, [("k", 5), ("k", 20), ("k", 7)])
        offset, text = driver._committed[("in", 0)]
        assert offset == 3
        assert decode(text).partition_time == 20
        assert text == encode(20, ProcessorMetadata())  # nothing else: Java's very string


def test_a_task_of_two_topics_keeps_each_partition_time(state_dir: str) -> None:
    b = StreamsBuilder()
    b.stream("a").merge(b.stream("b")).to("out")
    with start(b.build(), state_dir) as driver:
        pipe(driver, [("k", 50), ("k", 10)], "a")
        pipe(driver, [("k", 30)], "b")
        assert decode(driver._committed[("a", 0)][1]).partition_time == 50
        assert decode(driver._committed[("b", 0)][1]).partition_time == 30


class StreamTimeProbe(Processor):
    """Forwards each record with the stream time and the stream-time punctuations seen."""

    def init(self, context: Any) -> None:
        super().init(context)
        self.ticks: list[int] = []
        context.schedule(10, PunctuationType.STREAM_TIME, self.ticks.append)

    def process(self, record: Record) -> None:
        self.context.forward(
            record.with_value(f"{self.context.current_stream_time_ms()}|{self.ticks}")
        )


def probe_topology(extractor: Any = None) -> Topology:
    b = StreamsBuilder()
    b.stream("in", timestamp_extractor=extractor).process(StreamTimeProbe).to("out")
    return b.build()


def test_stream_time_resumes_from_the_committed_partition_time(state_dir: str) -> None:
    with start(probe_topology(), state_dir) as first:
        pipe(first, [("k", 100), ("k", 125)])
        committed = dict(first._committed)
    with start(probe_topology(), state_dir, committed) as second:
        # the late record does not move stream time back to 3: it resumes at 125
        assert pipe(second, [("k", 3)]) == [("k", "125|[]", 3)]
    with start(probe_topology(), state_dir) as fresh:  # without the commits: from nothing
        assert pipe(fresh, [("k", 3)]) == [("k", "3|[]", 3)]


def test_a_timestamp_extractor_gets_the_committed_partition_time(state_dir: str) -> None:
    seen: list[int] = []

    def extractor(record: Any, partition_time: int) -> int:
        seen.append(partition_time)
        return record.timestamp

    with start(probe_topology(extractor), state_dir) as first:
        pipe(first, [("k", 40), ("k", 60)])
        committed = dict(first._committed)
    seen.clear()
    with start(probe_topology(extractor), state_dir, committed) as second:
        pipe(second, [("k", 50), ("k", 70)])
    assert seen == [60, 60]


count_with_grace = windowed(
    lambda g: g.windowed_by(TimeWindows.of_size_and_grace(10, 5)).count(Materialized.as_("counts"))
)
sliding_count = windowed(
    lambda g: g.windowed_by(SlidingWindows.of_time_difference_and_grace(10, 5)).count(
        Materialized.as_("counts")
    )
)
session_count = windowed(
    lambda g: g.windowed_by(SessionWindows.of_inactivity_gap_and_grace(5, 5)).count(
        Materialized.as_("counts")
    )
)


@pytest.mark.parametrize(
    ("topology", "before", "late"),
    [
        (count_with_grace, [("k", 1), ("k", 2), ("k", 16)], ("k", 3)),  # [0,10) closed at 15
        (sliding_count, [("k", 1), ("k", 30)], ("k", 2)),  # [0,10] closed at 15
        (session_count, [("k", 1), ("k", 30)], ("k", 2)),  # a session at 2 closed at 12
    ],
    ids=["time", "sliding", "session"],
)
def test_a_record_late_before_the_restart_is_dropped_after_it(
    state_dir: str, topology: Callable[[], Topology], before: list[tuple[str, int]], late: Any
) -> None:
    with start(topology(), state_dir) as first:
        pipe(first, before)
        dropped = first.metrics()["dropped-records-total"]
        committed = dict(first._committed)
    meta = decode(committed[("in", 0)][1]).processor_metadata
    assert meta == {"counts" + OBSERVED_STREAM_TIME_SUFFIX: before[-1][1]}
    with start(topology(), state_dir, committed) as second:
        assert pipe(second, [late]) == []  # no update of a closed window
        assert second.metrics()["dropped-records-total"] == 1
    assert dropped == 0
    # what Kafka Streams 4.4 does, and kstreams from commits without the observed time (a
    # Java app's): the window processor starts from no time and takes the record
    javas = {
        tp: (o, encode(decode(t).partition_time, ProcessorMetadata()))
        for tp, (o, t) in committed.items()
    }
    with start(topology(), state_dir, javas) as java_like:
        assert pipe(java_like, [late]) != []
        assert java_like.metrics()["dropped-records-total"] == 0


def on_close_count(retention: int) -> Callable[[], Topology]:
    return windowed(
        lambda g: (
            g.windowed_by(TimeWindows.of_size_and_grace(10, 5))
            .emit_strategy(EmitStrategy.on_window_close())
            .count(Materialized.as_("counts").with_retention(retention))
        )
    )


def test_on_window_close_count_does_not_emit_a_window_twice_after_a_restart(
    state_dir: str,
) -> None:
    topology = on_close_count(100)
    with start(topology(), state_dir) as first:
        assert pipe(first, [("k", 1), ("k", 2), ("k", 16)]) == [("k", "0:2", 2)]
        committed = dict(first._committed)
        assert first.metrics()["window-aggregate-final-emit-total"] == 1
    meta = decode(committed[("in", 0)][1]).processor_metadata
    assert meta["counts"] == 11  # Java's key: the last emitted window close time
    with start(topology(), state_dir, committed) as second:
        assert pipe(second, [("k", 17), ("k", 26)]) == [("k", "10:2", 17)]
    # the last close time alone (a Java app's commit) keeps [0,10) from being emitted again
    # even though the late record re-opens it there
    only_close = {
        tp: (o, encode(decode(t).partition_time, ProcessorMetadata({"counts": 11})))
        for tp, (o, t) in committed.items()
    }
    shutil.rmtree(state_dir)
    with start(topology(), state_dir) as again:
        pipe(again, [("k", 1), ("k", 2), ("k", 16)])
    with start(topology(), state_dir, only_close) as java_like:
        assert pipe(java_like, [("k", 3), ("k", 17)]) == []
    # without any commit metadata the window is emitted a second time
    shutil.rmtree(state_dir)
    with start(topology(), state_dir) as again:
        pipe(again, [("k", 1), ("k", 2), ("k", 16)])
    with start(topology(), state_dir) as forgetful:
        assert pipe(forgetful, [("k", 17)]) == [("k", "0:2", 2)]


class MetadataWriter(Processor):
    """Puts the largest timestamp it saw under "seen" and forwards what was committed before."""

    def process(self, record: Record) -> None:
        before = self.context.processor_metadata_for_key("seen")
        if before is None or record.timestamp > before:
            self.context.add_processor_metadata_key_value("seen", record.timestamp)
        self.context.forward(record.with_value(str(before)))


def test_processors_read_back_the_largest_committed_value_per_key(state_dir: str) -> None:
    def topology() -> Topology:
        b = StreamsBuilder()
        b.stream(["a", "b"]).process(MetadataWriter).to("out")
        return b.build()

    with start(topology(), state_dir) as first:
        assert pipe(first, [("k", 10)], "a") == [("k", "None", 10)]
        pipe(first, [("k", 30)], "b")
        committed = dict(first._committed)
    # the put at 30 went to both partitions' commits, "a" unmoved since its last commit
    assert committed[("a", 0)][0] == 1
    assert decode(committed[("a", 0)][1]).processor_metadata == {"seen": 30}
    stale = dict(committed)
    stale[("a", 0)] = (1, encode(10, ProcessorMetadata({"seen": 10})))
    with start(topology(), state_dir, stale) as second:
        assert pipe(second, [("k", 5)], "a") == [("k", "30", 5)]


def test_record_lateness_metrics() -> None:
    b = StreamsBuilder()
    b.stream("in").to("out")
    with TopologyTestDriver(b.build(), CONFIG) as driver:
        before = driver.metrics()
        assert math.isnan(before["record-lateness-avg"])
        assert math.isnan(before["record-lateness-max"])
        pipe(driver, [("k", 10), ("k", 5), ("k", 20), ("k", 12), ("k", 20)])
        after = driver.metrics()
        # lateness 0, 5, 0, 8, 0: behind the stream time before each record
        assert after["record-lateness-avg"] == 13 / 5
        assert after["record-lateness-max"] == 8.0
        assert "window-aggregate-final-emit-total" not in after


def test_final_emit_metrics_of_on_window_close_aggregations(state_dir: str) -> None:
    with start(on_close_count(100)(), state_dir) as driver:
        pipe(driver, [("a", 1), ("b", 2), ("a", 16), ("a", 40)])
        m = driver.metrics()
        assert m["window-aggregate-final-emit-total"] == 3  # a@[0,10), b@[0,10), a@[10,20)
        assert (
            m["window-aggregate-final-emit-latency-max"]
            >= m["window-aggregate-final-emit-latency-avg"]
            >= 0
        )
