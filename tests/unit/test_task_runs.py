"""Unit tests of the stream thread's batch path: runs of one partition through ``run_for``.

No broker: fake confluent-kafka messages go through ``StreamThread._process_batch`` into real
``StreamTask`` objects whose sinks write to a fake collector. The reference is the per-record
path (``StreamTask.process``, which the ``TopologyTestDriver`` uses), and that path without the
serdes' fast paths; both are generated from the same stages (``kstreams.runtime.record_path``),
so one outcome is also checked value by value.
"""

from __future__ import annotations

import tempfile
from types import SimpleNamespace
from typing import Any

import orjson
import pytest

from kstreams import PunctuationType, Serdes, StreamsBuilder, StreamsError
from kstreams.config import StreamsConfig
from kstreams.processor import LogAndSkipOnInvalidTimestamp, UsePartitionTimeOnInvalidTimestamp
from kstreams.processor.api import Processor
from kstreams.processor.context import RecordMetadata
from kstreams.processor.record import Record
from kstreams.processor.task_id import TaskId
from kstreams.runtime.stream_thread import StreamThread
from kstreams.runtime.task import StreamTask
from kstreams.serde.base import Serde
from kstreams.serde.json import JsonSerde
from kstreams.serde.primitives import StringSerde
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


# -- every variant of the path: the batch path, the per-record path, and the per-record path
# -- without the serdes' fast paths (the full deserializers only) agree on the same inputs


class SlowString(StringSerde):
    """UTF-8 text without a fast path (``deserialize`` is overridden)."""

    def deserialize(self, topic: str, data: bytes | None, headers: Any = None) -> str | None:
        return super().deserialize(topic, data, headers)


class SlowJson(JsonSerde):
    """JSON without a fast path."""

    def deserialize(self, topic: str, data: bytes | None, headers: Any = None) -> Any:
        return super().deserialize(topic, data, headers)


FAST_CALLS: list[bytes] = []


class PickyString(Serde[str]):
    """A fast path for ASCII only: other keys go to the full deserializer (latin-1).

    Keys starting with ``bad`` fail both ways.
    """

    def serialize(self, topic: str, data: Any, headers: Any = None) -> bytes | None:
        return None if data is None else data.encode("latin-1")

    def deserialize(self, topic: str, data: bytes | None, headers: Any = None) -> str | None:
        if data is not None and data.startswith(b"bad"):
            raise ValueError(f"bad key {data!r}")
        return None if data is None else data.decode("latin-1")

    def fast_deserializer(self) -> Any:
        def fast(data: bytes) -> str:
            FAST_CALLS.append(data)
            if data.startswith(b"bad"):
                raise ValueError("fast path: bad")
            return data.decode("ascii")

        return fast


class PickyJson(JsonSerde):
    """orjson as fast path, except for values that mention "slow" (the full path takes those)."""

    def fast_deserializer(self) -> Any:
        loads = super().fast_deserializer()

        def fast(data: bytes) -> Any:
            FAST_CALLS.append(data)
            if b"slow" in data:
                raise ValueError("fast path: not for me")
            return loads(data)

        return fast


SERDES = {
    "fast": (StringSerde, JsonSerde),
    "slow": (SlowString, SlowJson),
    "picky": (PickyString, PickyJson),
}


def by_value(record: Any, partition_time: int) -> int:
    """A timestamp extractor of our own: tombstones are dropped (a negative timestamp)."""
    return -1 if record.value is None else record.timestamp + record.value.get("late", 0)


EXTRACTORS = {
    "default": None,
    "skip": LogAndSkipOnInvalidTimestamp,
    "partition time": UsePartitionTimeOnInvalidTimestamp,
    "function": by_value,
}

HANDLERS = {
    "continue": {
        "deserialization.exception.handler": "log_and_continue",
        "processing.exception.handler": "log_and_continue",
    },
    "dead letters": {
        "deserialization.exception.handler": "log_and_continue",
        "processing.exception.handler": "log_and_continue",
        "errors.dead.letter.queue.topic.name": "dlq",
    },
    "deserialization fails": {"processing.exception.handler": "log_and_continue"},
    "processing fails": {"deserialization.exception.handler": "log_and_continue"},
}

SEEN: list[Any] = []


class Recorder(Processor):
    """Records the context of each record; a stream-time punctuation every 100 ms forwards a tick."""

    def init(self, context: Any) -> None:
        self.context = context
        context.schedule(100, PunctuationType.STREAM_TIME, self.punctuate)

    def punctuate(self, ts: int) -> None:
        SEEN.append(("punctuate", self.context.record_metadata(), ts))
        self.context.forward(Record("tick", {"n": -1, "tick": ts}, ts))

    def process(self, record: Record) -> None:
        c = self.context
        SEEN.append((c.record_metadata(), c.timestamp, c.headers, c.current_stream_time_ms()))
        c.forward(record)


def fail_on_3(v: Any) -> Any:
    if v is not None and v.get("n") == 3:
        raise ValueError("boom")
    return mark(v)


def matrix_topology(serdes: str) -> Topology:
    key_serde, value_serde = SERDES[serdes]
    b = StreamsBuilder()
    (
        b.stream(IN, key_serde=key_serde(), value_serde=value_serde())
        .process(Recorder)
        .map_values(fail_on_3)
        .to(OUT, key_serde=Serdes.String(), value_serde=Serdes.JSON())
    )
    return b.build()


MATRIX = [
    Msg(0, 0, b"a", value(0), ts=1000),
    Msg(0, 1, None, value(1), ts=1050),  # no key
    Msg(1, 0, b"b", None, ts=1020),  # tombstone
    Msg(1, 1, b"c", value(2), ts=1100, headers=[("h", b"1")]),
    Msg(0, 2, b"\xe9t\xe9", value(4), ts=1230),  # not ASCII, not UTF-8: latin-1 only
    Msg(0, 3, b"d", b'{"n": 5, "why": "slow"}', ts=1240),  # the picky fast path declines
    Msg(0, 4, b"e", b"{not json", ts=1250),  # no serde takes it
    Msg(1, 2, b"f", value(6), ts=900),  # late: stream time stays
    Msg(1, 3, None, None, error=FakeError()),  # end of partition
    Msg(1, 4, b"bad-key", value(7), ts=1300),  # PickyString rejects it both ways
    Msg(0, 5, b"g", value(3), ts=1400),  # the mapper fails
    Msg(0, 6, b"h", value(8), ts=1500),
    Msg(1, 5, b"i", b'{"n": 9, "late": 50}', ts=1600),
    Msg(0, 7, b"j", value(10), ts=-1),  # invalid timestamp
    Msg(0, 8, b"k", value(11), ts=1700),
    Msg(1, 6, b"l", value(12), ts=1810),
]


def no_fast_paths(mp: pytest.MonkeyPatch) -> None:
    for cls in (StringSerde, JsonSerde, PickyString, PickyJson):
        mp.setattr(cls, "fast_deserializer", lambda self: None)


def normalized(records: list[Any]) -> list[Any]:
    """Records with the dead letters' stack traces left out (each path has its own frames)."""
    out = []
    for topic, key, value_, ts, headers in records:
        if headers is not None:
            headers = [
                (h, b"<stack>" if h == "__streams.errors.stacktrace" else v) for h, v in headers
            ]
        out.append((topic, key, value_, ts, headers))
    return out


def outcome(path: str, serdes: str, extractor: str, handlers: str) -> dict[str, Any]:
    """What ``path`` does with MATRIX: outputs, offsets, metrics, the context seen, the error."""
    config = dict(HANDLERS[handlers])
    if EXTRACTORS[extractor] is not None:
        config["default.timestamp.extractor"] = EXTRACTORS[extractor]
    SEEN.clear()
    FAST_CALLS.clear()
    collector = Collector()
    error = None
    with pytest.MonkeyPatch.context() as mp:
        if path == "per record, full deserializers":
            no_fast_paths(mp)
        thread, tasks = make_tasks(matrix_topology(serdes), config, collector)
    try:
        if path == "batch":
            process_batch(thread, MATRIX)
        else:
            for m in MATRIX:
                if m.error() is None:
                    tasks[m.partition()].process_message(m)
    except StreamsError as exc:
        error = str(exc)
    offsets: dict[Any, int] = {}
    for t in tasks.values():
        offsets.update(t.committable_offsets())
    return {
        "records": normalized(collector.records),
        "offsets": offsets,
        "processed": sum(t.metrics.processed for t in tasks.values()),
        "dropped": sum(t.metrics.dropped_records for t in tasks.values()),
        "seen": list(SEEN),
        "error": error,
        "stream time": [t.context.stream_time for t in tasks.values()],
        "lateness": [(t.metrics.lateness_total, t.metrics.lateness_max) for t in tasks.values()],
        "fast calls": len(FAST_CALLS),
    }


@pytest.mark.parametrize("handlers", list(HANDLERS))
@pytest.mark.parametrize("extractor", list(EXTRACTORS))
@pytest.mark.parametrize("serdes", list(SERDES))
def test_every_variant_of_the_path_agrees(serdes: str, extractor: str, handlers: str) -> None:
    batch = outcome("batch", serdes, extractor, handlers)
    per_record = outcome("per record", serdes, extractor, handlers)
    full = outcome("per record, full deserializers", serdes, extractor, handlers)
    assert batch == per_record
    assert full["fast calls"] == 0
    assert {**full, "fast calls": 0} == {**per_record, "fast calls": 0}
    assert (batch["fast calls"] > 0) == (serdes == "picky")  # only Picky* count their calls
    # the scenario reaches what it means to test
    assert batch["processed"] >= 3 and batch["records"]
    assert any(s[0] == "punctuate" for s in batch["seen"])
    if handlers == "deserialization fails":
        assert batch["error"] and "Deserialization exception handler" in batch["error"]
    elif handlers == "processing fails":
        assert batch["error"] and "ValueError: boom" in batch["error"]
    elif extractor == "default":
        assert batch["error"] and "invalid (negative) timestamp -1" in batch["error"]
    else:
        assert batch["error"] is None
        assert batch["offsets"] == {(IN, 0): 9, (IN, 1): 7}
        assert any(total > 0 for total, _ in batch["lateness"])  # MATRIX has late records
    if handlers == "dead letters":
        assert any(r[0] == "dlq" for r in batch["records"])


def test_the_picky_fast_path_falls_back_to_the_full_deserializer() -> None:
    got = outcome("batch", "picky", "skip", "continue")
    keys = [s[0] for s in got["seen"] if s[0] != "punctuate"]
    assert (IN, 0, 2) in keys and (IN, 0, 3) in keys  # latin-1 key, "slow" value: processed
    assert (IN, 1, 4) not in keys and (IN, 0, 4) not in keys  # both ways wrong: dropped
    outputs = {r[1]: r[2] for r in got["records"]}
    assert outputs[b"\xc3\xa9t\xc3\xa9"] == b'{"n":4,"ok":true}'  # "été", written as UTF-8
    assert outputs[b"d"] == b'{"n":5,"why":"slow","ok":true}'


def test_the_entry_points_are_generated_for_the_serdes_and_the_extractor() -> None:
    def text(serdes: str, config: dict[str, Any]) -> str:
        _, tasks = make_tasks(matrix_topology(serdes), config, Collector(), partitions=range(1))
        return tasks[0].record_path_source(IN)

    fast = text("fast", {})
    assert "key = kfast(kb)" in fast and "value = vfast(vb)" in fast
    assert "extractor(" not in fast and "raise invalid_timestamp(" in fast
    slow = text("slow", {"default.timestamp.extractor": LogAndSkipOnInvalidTimestamp})
    assert "kfast" not in slow.split("):", 1)[1] and "vfast(" not in slow
    assert "ts = extractor(" in slow and "invalid_timestamp" not in slow


def test_buffered_messages_of_several_partitions_go_lowest_timestamp_first() -> None:
    config = {"deserialization.exception.handler": "log_and_continue"}
    props = {
        "application.id": "runs",
        "bootstrap.servers": "dummy:0",
        "state.dir": tempfile.mkdtemp(prefix="kstreams-runs-"),
        **config,
    }
    topology = passthrough_topology()
    sub = topology.subtopologies()[0]
    collector = Collector()
    task = StreamTask(
        TaskId(sub.id, 0), topology, sub, StreamsConfig(props), collector, lambda: 0,
        [(IN, 0), ("other", 0)],
    )  # fmt: skip
    assert task.multi_partition
    msgs = [
        Msg(0, 0, b"a", value(1), ts=30),
        Msg(0, 1, b"b", b"{bad", ts=35),
        Msg(0, 2, b"c", value(2), ts=50),
        Msg(1, 0, b"d", value(3), ts=10),  # another partition of IN, for the sake of the test
        Msg(1, 1, b"e", value(4), ts=40),
    ]
    for m in msgs:
        task.buffer(m)
    assert task.buffered() == 5
    assert task.process_buffered() == 5
    assert [r[1] for r in collector.records] == [b"d", b"a", b"e", b"c"]
    assert task.committable_offsets() == {(IN, 0): 3, (IN, 1): 2}
    assert task.metrics.processed == 4 and task.metrics.dropped_records == 1


def test_what_every_variant_agrees_on_is_right() -> None:
    """The stages are shared by all entry points: check one outcome value by value."""
    got = outcome("batch", "picky", "skip", "continue")
    meta = RecordMetadata
    assert got["seen"] == [
        (meta(IN, 0, 0), 1000, None, 1000),
        ("punctuate", None, 1000),  # stream-time schedules start at 0: the first record fires
        (meta(IN, 0, 1), 1050, None, 1050),
        (meta(IN, 1, 0), 1020, None, 1020),  # the task of partition 1 has its own stream time
        ("punctuate", None, 1020),
        (meta(IN, 1, 1), 1100, [("h", b"1")], 1100),
        ("punctuate", None, 1100),
        (meta(IN, 0, 2), 1230, None, 1230),
        ("punctuate", None, 1230),
        (meta(IN, 0, 3), 1240, None, 1240),
        (meta(IN, 1, 2), 900, None, 1100),  # late: its own timestamp, the stream time stays
        (meta(IN, 0, 5), 1400, None, 1400),  # 0@4 and 1@4 failed to deserialize
        ("punctuate", None, 1400),
        (meta(IN, 0, 6), 1500, None, 1500),
        ("punctuate", None, 1500),
        (meta(IN, 1, 5), 1600, None, 1600),
        ("punctuate", None, 1600),
        (meta(IN, 0, 8), 1700, None, 1700),  # 0@7 has a negative timestamp: skipped
        ("punctuate", None, 1700),
        (meta(IN, 1, 6), 1810, None, 1810),
        ("punctuate", None, 1810),
    ]
    records = [(r[1], r[3]) for r in got["records"] if r[1] != b"tick"]
    assert records == [
        (b"a", 1000),
        (None, 1050),
        (b"b", 1020),
        (b"c", 1100),
        ("été".encode(), 1230),
        (b"d", 1240),
        (b"f", 900),
        (b"h", 1500),  # g@1400 made the mapper fail
        (b"i", 1600),
        (b"k", 1700),
        (b"l", 1810),
    ]
    assert got["records"][5] == (OUT, b"c", b'{"n":2,"ok":true}', 1100, [("h", b"1")])
    assert got["offsets"] == {(IN, 0): 9, (IN, 1): 7}
    # processed: every record that went through the topology, the failed g included; dropped:
    # two that did not deserialize, the negative timestamp, the processing error
    assert (got["processed"], got["dropped"]) == (12, 4)
    assert got["stream time"] == [1700, 1810]
