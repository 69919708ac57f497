"""Stream-table joins with a grace period over versioned tables (KIP-923): the buffer's order,
late records, record contexts, and the buffer store's changelog, commit protocol and restore."""

from __future__ import annotations

import struct
from datetime import timedelta
from typing import Any

import pytest

from kstreams import Joined, Materialized, Serdes, Stores, StreamsBuilder
from kstreams.dsl.stream_table_join import join_table
from kstreams.errors import IllegalStateError, StreamsError
from kstreams.state import StateStoreContext
from kstreams.state.buffer_value import BufferValue, serialize_context
from kstreams.state.join_buffer import (
    TimeOrderedKeyValueJoinBuffer,
    TimeOrderedKeyValueJoinBufferBuilder,
    store_key,
)
from kstreams.testing import TopologyTestDriver

CONFIG = {
    "application.id": "grace",
    "default.key.serde": Serdes.Integer(),
    "default.value.serde": Serdes.String(),
}


def tostring(v1: Any, v2: Any) -> str:
    return f"{v1}+{'null' if v2 is None else v2}"


class GraceJoin:
    """Java's ``makeJoin(grace)``: a versioned table ``V-grace`` (5 min history), ``Joined``
    named ``Grace``."""

    def __init__(self, grace_ms: int, left: bool = False) -> None:
        b = StreamsBuilder()
        stream = b.stream("streamTopic", key_serde=Serdes.Integer(), value_serde=Serdes.String())
        versioned = Stores.persistent_versioned_key_value_store("V-grace", timedelta(minutes=5))
        table = b.table("tableTopic2", Materialized.as_(versioned))
        joined = Joined.with_(Serdes.Integer(), Serdes.String(), Serdes.String(), "Grace", grace_ms)
        join_table(stream, table, tostring, joined, left=left).to("out")
        self.topology = b.build()
        self.driver = TopologyTestDriver(self.topology, CONFIG)
        self.stream = self.driver.create_input_topic("streamTopic")
        self.table = self.driver.create_input_topic("tableTopic2")
        self.out = self.driver.create_output_topic("out")

    def push_stream(self, n: int, prefix: str) -> None:
        for i in range(n):
            self.stream.pipe_input(i, f"{prefix}{i}", i)

    def push_table(self, n: int, prefix: str) -> None:
        for i in range(n):
            self.table.pipe_input(i, f"{prefix}{i}", 0)

    def results(self) -> list[tuple[Any, Any, int]]:
        return [(r.key, r.value, r.timestamp) for r in self.out.read_records_to_list()]

    def __enter__(self) -> GraceJoin:
        return self

    def __exit__(self, *_: Any) -> None:
        self.driver.close()


def test_delays_join_by_grace_period() -> None:
    """KStreamKTableJoinTest.shouldDelayJoinByGracePeriod."""
    with GraceJoin(2) as j:
        j.push_table(4, "Y")
        assert j.results() == []
        j.push_stream(4, "X")
        assert j.results() == [(0, "X0+Y0", 0), (1, "X1+Y1", 1)]
        j.push_table(4, "YY")
        assert j.results() == []
        j.push_stream(4, "X")  # X0 is beyond the grace: joins at once; X1 leaves at once
        assert j.results() == [(0, "X0+YY0", 0), (1, "X1+YY1", 1)]
        j.stream.pipe_input(5, "test", 7)
        assert j.results() == [
            (2, "X2+YY2", 2),
            (2, "X2+YY2", 2),
            (3, "X3+YY3", 3),
            (3, "X3+YY3", 3),
        ]
        j.push_table(4, "YYY")
        assert j.results() == []


def test_late_records_join_at_once_without_evicting() -> None:
    """KStreamKTableJoinTest.shouldHandleLateJoinsWithGracePeriod."""
    with GraceJoin(2) as j:
        j.push_table(4, "Y")
        j.push_stream(4, "X")
        assert j.results() == [(0, "X0+Y0", 0), (1, "X1+Y1", 1)]
        j.push_stream(1, "X")
        assert j.results() == [(0, "X0+Y0", 0)]


def test_buffered_records_join_the_table_as_of_their_timestamp() -> None:
    with GraceJoin(10, left=True) as j:
        j.table.pipe_input(1, "v100", 100)
        j.stream.pipe_input(1, "a", 105, headers=[("h", b"a")])  # waits
        j.table.pipe_input(1, "v110", 110)  # a later version: a still joins v100
        j.stream.pipe_input(1, "b", 112)  # waits
        j.stream.pipe_input(2, "c", 95)  # beyond the grace (112 - 10 > 95): joins now
        assert j.results() == [(2, "c+null", 95)]
        j.stream.pipe_input(3, "d", 122)  # stream time 122: a (105) and b (112) leave
        records = j.out.read_records_to_list()
        assert [(r.key, r.value, r.timestamp) for r in records] == [
            (1, "a+v100", 105),
            (1, "b+v110", 112),
        ]
        assert list(records[0].headers or []) == [("h", b"a")]
        store = j.driver.get_state_store("Grace-Buffer")
        assert store.num_records() == 1 and store.observed_stream_time() == 122


def test_grace_zero_joins_in_timestamp_order_as_stream_time_allows() -> None:
    with GraceJoin(0, left=True) as j:
        j.table.pipe_input(1, "t", 0)
        j.stream.pipe_input(1, "x", 5)
        j.stream.pipe_input(1, "y", 3)  # late: joins at once
        assert j.results() == [(1, "x+t", 5), (1, "y+t", 3)]


def test_buffer_changelog_is_written_and_names_match_java() -> None:
    with GraceJoin(2) as j:
        assert "grace-Grace-Buffer-changelog" in {
            j.topology.changelog_topic(s, "grace") for s in j.topology.state_stores
        }
        j.push_stream(3, "X")
        produced = j.driver.produced_topic_names()
    assert "grace-Grace-Buffer-changelog" in produced


# -- the buffer store ---------------------------------------------------------------------------


class _Collector:
    def __init__(self) -> None:
        self.records: list[tuple[str, bytes, bytes | None, int, int]] = []

    def send_changelog(
        self, topic: str, key: bytes, value: bytes | None, timestamp: int, partition: int
    ) -> None:
        self.records.append((topic, key, value, timestamp, partition))


def _buffer(collector: _Collector, grace: int = 10) -> TimeOrderedKeyValueJoinBuffer:
    buf = TimeOrderedKeyValueJoinBufferBuilder("j-Buffer", grace, Serdes.String(), Serdes.String())
    store = buf.build()
    store.init(
        StateStoreContext(
            "0_1", "app", 1, "", changelog_topic="app-j-Buffer-changelog", collector=collector
        )
    )
    return store


def _drain(buf: TimeOrderedKeyValueJoinBuffer) -> list[tuple[Any, Any, int]]:
    out: list[tuple[Any, Any, int]] = []
    buf.evict_expired(lambda r: out.append((r.key, r.value, r.context[0])))
    return out


def test_changelog_records_are_kafka_streams_layout() -> None:
    collector = _Collector()
    buf = _buffer(collector)
    ctx = (7, 42, "orders", 1, (("h", b"v"),))
    assert buf.put("k", "v", 7, ctx)
    buf.flush_changelog()
    buf.commit(0)
    ((topic, key, value, _ts, partition),) = collector.records
    assert (topic, partition) == ("app-j-Buffer-changelog", 1)
    assert key == b"\x00" + struct.pack(">q", 7) + b"k" + struct.pack(">i", 1)
    assert key == store_key(b"k", 7, 1)
    assert value == (
        serialize_context(ctx)
        + struct.pack(">i", -1)  # no prior value
        + struct.pack(">i", -1)  # no old value
        + struct.pack(">i", 1)
        + b"v"
        + struct.pack(">q", 0)  # buffer time: 0, as Java logs it
    )
    assert BufferValue(None, None, b"v", ctx).new == b"v"


def test_duplicates_kept_in_order_and_evictions_tombstoned() -> None:
    collector = _Collector()
    buf = _buffer(collector, grace=5)
    for i, ts in enumerate((10, 10, 6, 12)):
        assert buf.put("k", f"v{i}", ts, (ts, i, "s", 1, None))
    assert _drain(buf) == [("k", "v2", 6)]
    assert buf.put("a", "late-ish", 7, (7, 4, "s", 1, None))  # 12 - 5 > 7 is false
    assert not buf.put("a", "too-late", 6, (6, 5, "s", 1, None))
    buf.put("z", "v", 20, (20, 6, "s", 1, None))
    assert _drain(buf) == [("a", "late-ish", 7), ("k", "v0", 10), ("k", "v1", 10), ("k", "v3", 12)]
    buf.flush_changelog()
    buf.commit(9)
    values = [v for _, _, v, _, _ in collector.records]
    assert values.count(None) == 5 and len(values) == 11  # every put, then every eviction


def test_restore_brings_back_the_buffer_and_its_stream_time() -> None:
    collector = _Collector()
    buf = _buffer(collector, grace=5)
    buf.put("a", "1", 10, (10, 0, "s", 1, None))
    buf.put("b", "2", 14, (14, 1, "s", 1, (("h", b"x"),)))
    buf.put("c", "3", 16, (16, 2, "s", 1, None))
    _drain(buf)  # a (10 <= 11) leaves
    buf.flush_changelog()
    buf.commit(5)
    restored = _buffer(_Collector(), grace=5)
    assert restored.restore_offset() is None
    restored.restore_batch([(k, v, ts) for _, k, v, ts, _ in collector.records], 5)
    assert restored.restore_offset() == 5
    assert restored.observed_stream_time() == 16
    assert restored.num_records() == 2
    assert not restored.put("d", "4", 10, (10, 3, "s", 1, None))  # still beyond the grace
    restored.put("e", "5", 30, (30, 4, "s", 1, None))
    out: list[Any] = []
    restored.evict_expired(out.append)
    assert [(r.key, r.value, r.context) for r in out] == [
        ("b", "2", (14, 1, "s", 1, (("h", b"x"),))),
        ("c", "3", (16, 2, "s", 1, None)),
    ]


def test_abort_puts_back_the_committed_buffer() -> None:
    buf = _buffer(_Collector(), grace=5)
    buf.put("a", "1", 10, (10, 0, "s", 1, None))
    buf.flush_changelog()
    buf.commit(0)
    buf.put("b", "2", 30, (30, 1, "s", 1, None))
    assert _drain(buf) == [("a", "1", 10)]
    buf.flush_changelog()
    buf.abort()
    assert buf.num_records() == 1 and buf.observed_stream_time() == 10
    buf.put("c", "3", 20, (20, 2, "s", 1, None))
    assert _drain(buf) == [("a", "1", 10)]


def test_protocol_errors_are_named() -> None:
    buf = _buffer(_Collector())
    buf.put("a", "1", 10, (10, 0, "s", 1, None))
    with pytest.raises(IllegalStateError, match="not sent to its changelog"):
        buf.commit(1)
    with pytest.raises(IllegalStateError, match="uncommitted writes"):
        buf.restore_batch([], 1)
    buf.flush_changelog()
    buf.commit(1)
    with pytest.raises(StreamsError, match="not a time-ordered join buffer key"):
        buf.restore_batch([(b"bad", b"x", 0)], 2)
    with pytest.raises(StreamsError, match="not a join buffer entry"):
        buf.restore_batch([(store_key(b"k", 1, 1), b"\x00", 0)], 2)
    with pytest.raises(ValueError, match="must not be None"):
        buf.put(None, "x", 1, (1, 0, "s", 1, None))
