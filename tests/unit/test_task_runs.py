"""Unit tests of the stream thread's batch path: runs of one partition through ``run_for``.

No broker: fake confluent-kafka messages go through ``StreamThread._process_batch`` into real
``StreamTask`` objects whose sinks write to a fake collector. The reference is the per-record
path (``StreamTask.process``, which the ``TopologyTestDriver`` uses).
"""

from __future__ import annotations

import tempfile
from types import SimpleNamespace
from typing import Any

import orjson
import pytest

from kstreams import PunctuationType, Serdes, StreamsBuilder, StreamsError
from kstreams.config import StreamsConfig
from kstreams.processor import LogAndSkipOnInvalidTimestamp
from kstreams.processor.api import Processor
from kstreams.processor.record import Record
from kstreams.processor.task_id import TaskId
from kstreams.runtime.stream_thread import StreamThread
from kstreams.runtime.task import StreamTask
from kstreams.topology.topology import Topology

IN = "in"
OUT = "out"


class FakeError:
    """A consumer error carried by a message (here: end of partition)."""

    def code(self) -> int:
        from confluent_kafka import KafkaError

        return KafkaError._PARTITION_EOF


class Msg:
    """What the runtime reads of a confluent-kafka ``Message``."""

    def __init__(
        self,
        partition: int,
        offset: int,
        key: bytes | None,
        value: bytes | None,
        ts: int = 1000,
        headers: Any = None,
        topic: str = IN,
        error: Any = None,
    ) -> None:
        self._t, self._p, self._o = topic, partition, offset
        self._k, self._v, self._ts, self._h, self._e = key, value, ts, headers, error

    def topic(self) -> str:
        return self._t

    def partition(self) -> int:
        return self._p

    def offset(self) -> int:
        return self._o

    def key(self) -> bytes | None:
        return self._k

    def value(self) -> bytes | None:
        return self._v

    def timestamp(self) -> tuple[int, int]:
        return (1, self._ts)

    def headers(self) -> Any:
        return self._h

    def error(self) -> Any:
        return self._e


class Collector:
    """A collector with a direct ``produce`` (as KafkaRecordCollector's), full every 3rd call."""

    def __init__(self, full_every: int = 0) -> None:
        self.records: list[tuple[Any, ...]] = []
        self.changelog_offsets: dict[tuple[str, int], int] = {}
        self._calls = 0
        self._full_every = full_every

    def produce(
        self,
        topic: str,
        value: Any,
        key: Any,
        partition: int,
        cb: Any,
        on_delivery: Any,
        timestamp: int,
    ) -> None:
        assert partition == -1 and cb is None and on_delivery is None
        self._calls += 1
        if self._full_every and self._calls % self._full_every == 0:
            raise BufferError("queue full")
        self.records.append((topic, key, value, timestamp, None))

    def produce_fn(self) -> Any:
        return self.produce

    def send(
        self, topic: str, key: Any, value: Any, timestamp: int, headers: Any, partition: Any
    ) -> None:
        self.records.append((topic, key, value, timestamp, headers))

    def send_changelog(self, *args: Any) -> None:
        raise AssertionError("no stores here")

    def partitions_for(self, topic: str) -> int:
        return 4


def mark(v: Any) -> Any:
    return None if v is None else {**v, "ok": True}


def passthrough_topology(mapper: Any = None) -> Topology:
    b = StreamsBuilder()
    (
        b.stream(IN, key_serde=Serdes.String(), value_serde=Serdes.JSON())
        .map_values(mapper or mark)
        .to(OUT, key_serde=Serdes.String(), value_serde=Serdes.JSON())
    )
    return b.build()


def make_tasks(
    topology: Topology, config: dict[str, Any], collector: Any, partitions: range = range(2)
) -> tuple[Any, dict[int, StreamTask]]:
    """Tasks for ``partitions`` of IN and a stand-in thread whose ``_process_batch`` runs them."""
    props = {
        "application.id": "runs",
        "bootstrap.servers": "dummy:0",
        "state.dir": tempfile.mkdtemp(prefix="kstreams-runs-"),
        **config,
    }
    cfg = StreamsConfig(props)
    sub = topology.subtopologies()[0]
    tasks = {
        p: StreamTask(TaskId(sub.id, p), topology, sub, cfg, collector, lambda: 0, [(IN, p)])
        for p in partitions
    }
    unroutable: list[Any] = []
    thread = SimpleNamespace(
        _tp_entries={(IN, p): (t.run_for(IN), t) for p, t in tasks.items()},
        _multi=[],
        _unroutable=unroutable.append,
        unroutable=unroutable,
    )
    return thread, tasks


def process_batch(thread: Any, msgs: list[Any]) -> None:
    StreamThread._process_batch(thread, msgs)


def reference(
    topology: Topology, config: dict[str, Any], msgs: list[Msg]
) -> tuple[list[Any], dict[Any, int], int, int]:
    """The per-record path's outputs, committable offsets and metrics for ``msgs``."""
    collector = Collector()
    _, tasks = make_tasks(topology, config, collector)
    for m in msgs:
        if m.error() is not None:
            continue
        tasks[m.partition()].process(
            m.topic(), m.partition(), m.offset(), m.key(), m.value(), m.timestamp()[1], m.headers()
        )
    offsets: dict[Any, int] = {}
    for t in tasks.values():
        offsets.update(t.committable_offsets())
    processed = sum(t.metrics.processed for t in tasks.values())
    dropped = sum(t.metrics.dropped_records for t in tasks.values())
    return collector.records, offsets, processed, dropped


def batch_result(
    topology: Topology, config: dict[str, Any], msgs: list[Msg], full_every: int = 0
) -> tuple[list[Any], dict[Any, int], int, int]:
    collector = Collector(full_every)
    thread, tasks = make_tasks(topology, config, collector)
    process_batch(thread, msgs)
    offsets: dict[Any, int] = {}
    for t in tasks.values():
        offsets.update(t.committable_offsets())
    processed = sum(t.metrics.processed for t in tasks.values())
    dropped = sum(t.metrics.dropped_records for t in tasks.values())
    return collector.records, offsets, processed, dropped


def value(n: int) -> bytes:
    return orjson.dumps({"n": n})


MIXED = [
    Msg(0, 10, b"a", value(1)),
    Msg(0, 11, None, value(2)),  # no key
    Msg(0, 12, b"b", None),  # tombstone
    Msg(1, 5, b"c", value(3), headers=[("h", b"1")]),
    Msg(1, 6, b"\xff", value(4)),  # a key that is no UTF-8
    Msg(0, 13, b"d", b"{not json"),
    Msg(0, 14, b"e", value(5), ts=2000),
    Msg(1, 7, b"f", value(6), ts=500),
    Msg(1, 8, None, None, error=FakeError()),  # end of partition
    Msg(1, 9, b"g", value(7)),
]


def test_batch_path_matches_the_per_record_path() -> None:
    config = {"deserialization.exception.handler": "log_and_continue"}
    expected = reference(passthrough_topology(), config, MIXED)
    got = batch_result(passthrough_topology(), config, MIXED)
    assert got == expected
    records, offsets, processed, dropped = got
    assert offsets == {(IN, 0): 15, (IN, 1): 10}
    assert processed == 7 and dropped == 2
    assert records[0] == (OUT, b"a", b'{"n":1,"ok":true}', 1000, None)
    assert records[2] == (OUT, b"b", None, 1000, None)
    assert records[3][4] == [("h", b"1")]  # headers go through the collector's send


def test_a_full_producer_queue_falls_back_to_send() -> None:
    config = {"deserialization.exception.handler": "log_and_continue"}
    expected = reference(passthrough_topology(), config, MIXED)
    assert batch_result(passthrough_topology(), config, MIXED, full_every=2) == expected


def test_error_messages_and_unknown_partitions_end_a_run() -> None:
    collector = Collector()
    thread, tasks = make_tasks(passthrough_topology(), {}, collector, partitions=range(1))
    eof = Msg(0, 3, None, None, error=FakeError())
    stranger = Msg(7, 0, b"x", value(0))
    process_batch(
        thread,
        [
            Msg(0, 1, b"a", value(1)),
            eof,
            Msg(0, 2, b"b", value(2)),
            stranger,
            Msg(0, 4, b"c", value(3)),
        ],
    )
    assert thread.unroutable == [eof, stranger]
    assert [r[1] for r in collector.records] == [b"a", b"b", b"c"]
    assert tasks[0].committable_offsets() == {(IN, 0): 5}
    assert tasks[0].metrics.processed == 3


def test_a_fatal_error_keeps_the_offset_of_the_last_completed_record() -> None:
    def fail_on_3(v: Any) -> Any:
        if v["n"] == 3:
            raise ValueError("boom")
        return v

    collector = Collector()
    thread, tasks = make_tasks(passthrough_topology(fail_on_3), {}, collector)
    msgs = [Msg(0, 20 + n, b"k", value(n)) for n in range(5)]
    with pytest.raises(StreamsError, match=r"partition=0, offset=23: ValueError: boom"):
        process_batch(thread, msgs)
    assert tasks[0].committable_offsets() == {(IN, 0): 23}  # 20..22 done, 23 failed
    assert tasks[0].metrics.processed == 3
    assert len(collector.records) == 3


def test_deserialization_failure_with_fail_handler() -> None:
    collector = Collector()
    thread, _ = make_tasks(passthrough_topology(), {}, collector)
    msgs = [Msg(0, 0, b"k", value(0)), Msg(0, 1, b"k", b"{bad")]
    with pytest.raises(StreamsError, match="JsonSerde could not parse data from topic 'in'"):
        process_batch(thread, msgs)
    assert len(collector.records) == 1


def test_processing_errors_with_continue_count_as_consumed() -> None:
    def fail_odd(v: Any) -> Any:
        if v["n"] % 2:
            raise ValueError("odd")
        return v

    config = {"processing.exception.handler": "log_and_continue"}
    msgs = [Msg(0, n, b"k", value(n)) for n in range(5)]
    expected = reference(passthrough_topology(fail_odd), config, msgs)
    got = batch_result(passthrough_topology(fail_odd), config, msgs)
    assert got == expected
    assert got[1] == {(IN, 0): 5}
    assert len(got[0]) == 3


def test_negative_timestamp_fails_as_before() -> None:
    collector = Collector()
    thread, _ = make_tasks(passthrough_topology(), {}, collector)
    with pytest.raises(
        StreamsError, match=r"Input record in-0@4 has invalid \(negative\) timestamp -1"
    ):
        process_batch(thread, [Msg(0, 4, b"k", value(0), ts=-1)])


def test_timestamp_extractor_runs_record_by_record() -> None:
    config = {"default.timestamp.extractor": LogAndSkipOnInvalidTimestamp}
    msgs = [Msg(0, 0, b"k", value(0)), Msg(0, 1, b"k", value(1), ts=-5), Msg(1, 0, b"j", value(2))]
    expected = reference(passthrough_topology(), config, msgs)
    got = batch_result(passthrough_topology(), config, msgs)
    assert got == expected
    assert got[1] == {(IN, 0): 2, (IN, 1): 1}
    assert got[3] == 1  # the skipped record


class MetadataRecorder(Processor):
    """Records what the context says about each record; a stream-time punctuation per record."""

    seen: list[Any] = []

    def init(self, context: Any) -> None:
        self.context = context
        context.schedule(1, PunctuationType.STREAM_TIME, self.punctuate)

    def punctuate(self, ts: int) -> None:
        MetadataRecorder.seen.append(("punctuate", self.context.record_metadata(), ts))

    def process(self, record: Record) -> None:
        c = self.context
        MetadataRecorder.seen.append(
            (c.record_metadata(), c.offset, c.timestamp, c.headers, c.current_stream_time_ms())
        )
        c.forward(record)


def test_record_context_is_right_for_every_record_across_punctuations() -> None:
    def topo() -> Topology:
        b = StreamsBuilder()
        (
            b.stream(IN, key_serde=Serdes.String(), value_serde=Serdes.JSON())
            .process(MetadataRecorder)
            .to(OUT, key_serde=Serdes.String(), value_serde=Serdes.JSON())
        )
        return b.build()

    msgs = [
        Msg(0, 0, b"a", value(0), ts=10),
        Msg(0, 1, b"b", value(1), ts=30, headers=[("x", b"y")]),
        Msg(0, 2, b"c", value(2), ts=20),
        Msg(1, 0, b"d", value(3), ts=40),
    ]
    MetadataRecorder.seen = []
    expected = reference(topo(), {}, msgs)
    expected_seen = MetadataRecorder.seen
    MetadataRecorder.seen = []
    assert batch_result(topo(), {}, msgs) == expected
    assert MetadataRecorder.seen == expected_seen
    records = [s for s in expected_seen if s[0] != "punctuate"]
    assert [r[0] for r in records] == [(IN, 0, 0), (IN, 0, 1), (IN, 0, 2), (IN, 1, 0)]
    assert any(s[0] == "punctuate" for s in expected_seen)
