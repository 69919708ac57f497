"""KTable.suppress: the option objects, the processor through the driver, the durable buffer."""

from __future__ import annotations

import struct
from datetime import timedelta
from typing import Any

import pytest

from kstreams import Grouped, Materialized, Serdes, StreamsBuilder, StreamsError, TopologyError
from kstreams.dsl.suppressed import MAX_LONG, BufferConfig, BufferFullStrategy, Suppressed
from kstreams.errors import IllegalStateError
from kstreams.processor.change import Change
from kstreams.state import StateStoreContext
from kstreams.state.buffer_value import (
    MAX_TIMESTAMP,
    BufferValue,
    deserialize_entry,
    record_size,
    serialize_entry,
)
from kstreams.state.time_ordered_buffer import (
    InMemoryTimeOrderedKeyValueChangeBuffer,
    TimeOrderedKeyValueBufferBuilder,
)
from kstreams.testing import TopologyTestDriver

CONFIG = {
    "application.id": "sup",
    "default.key.serde": Serdes.String(),
    "default.value.serde": Serdes.String(),
}

# -- Suppressed / BufferConfig -------------------------------------------------------------------


def test_buffer_configs_as_java() -> None:
    assert BufferConfig.unbounded().is_strict
    assert BufferConfig.unbounded().record_limit == MAX_LONG
    eager = BufferConfig.max_records(5)
    assert eager.buffer_full_strategy is BufferFullStrategy.EMIT
    assert (eager.record_limit, eager.byte_limit) == (5, MAX_LONG)
    strict = eager.with_max_bytes(100).shut_down_when_full()
    assert strict.is_strict
    assert (strict.record_limit, strict.byte_limit) == (5, 100)
    assert strict.emit_early_when_full() == BufferConfig.max_records(5).with_max_bytes(100)
    assert BufferConfig.max_bytes(7).with_no_bound() == BufferConfig.unbounded()
    assert BufferConfig.unbounded().logging_enabled
    off = BufferConfig.unbounded().with_logging_disabled()
    assert not off.logging_enabled and off.log_config == {}
    on = off.with_logging_enabled({"segment.ms": 1000})
    assert on.logging_enabled and on.log_config == {"segment.ms": "1000"}


@pytest.mark.parametrize("bad", [-1, 1.5, "10", True])
def test_buffer_limits_checked(bad: Any) -> None:
    with pytest.raises((TypeError, ValueError), match=r"record_limit|max_records"):
        BufferConfig.max_records(bad)


def test_until_window_closes_needs_a_strict_buffer() -> None:
    with pytest.raises(ValueError, match="strict buffer"):
        Suppressed.until_window_closes(BufferConfig.max_records(10))
    s = Suppressed.until_window_closes(BufferConfig.max_records(10).shut_down_when_full())
    assert s.final_results and s.time_limit_ms is None


def test_until_time_limit_takes_timedelta_or_ms() -> None:
    a = Suppressed.until_time_limit(timedelta(seconds=2), BufferConfig.unbounded())
    b = Suppressed.until_time_limit(2000, BufferConfig.unbounded())
    assert a == b and a.time_limit_ms == 2000
    assert a.with_name("x") != a and a.with_name("x").name == "x"
    with pytest.raises(ValueError, match="must not be negative"):
        Suppressed.until_time_limit(timedelta(seconds=-1), BufferConfig.unbounded())
    with pytest.raises(TypeError, match="timedelta or int"):
        Suppressed.until_time_limit(1.5, BufferConfig.unbounded())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="BufferConfig"):
        Suppressed.until_time_limit(1, 10)  # type: ignore[arg-type]


# -- through the driver ----------------------------------------------------------------------------


def _run(build: Any, rows: list[tuple[Any, Any, int]], value_serde: Any = None) -> list[Any]:
    b = StreamsBuilder()
    build(b)
    with TopologyTestDriver(b.build(), CONFIG) as driver:
        topic = driver.create_input_topic("in", Serdes.String(), Serdes.String())
        for k, v, ts in rows:
            topic.pipe_input(k, v, ts)
        out = driver.create_output_topic("out", Serdes.String(), value_serde or Serdes.String())
        return [(r.key, r.value, r.timestamp) for r in out.read_records_to_list()]


def test_time_limit_emits_latest_update_per_key() -> None:
    def build(b: StreamsBuilder) -> None:
        b.table("in").suppress(
            Suppressed.until_time_limit(timedelta(milliseconds=10), BufferConfig.unbounded())
        ).to_stream().to("out")

    rows = [("a", "1", 0), ("a", "2", 5), ("b", "1", 7), ("a", "3", 9), ("t", "t", 10)]
    # a was first buffered at 0: it is due at 10, with its latest value and timestamp
    assert _run(build, rows) == [("a", "3", 9)]
    assert _run(build, [*rows, ("t", "t", 17)]) == [("a", "3", 9), ("b", "1", 7)]


def test_suppression_metrics_as_java() -> None:
    # Java: suppression-emit-total counts forwarded records; the buffer's size and count are
    # sampled after every put and after every eviction
    b = StreamsBuilder()
    b.table("in").suppress(
        Suppressed.until_time_limit(timedelta(milliseconds=10), BufferConfig.unbounded())
    ).to_stream().to("out")
    with TopologyTestDriver(b.build(), CONFIG) as driver:
        assert driver.metrics()["suppression-emit-total"] == 0
        topic = driver.create_input_topic("in", Serdes.String(), Serdes.String())
        for k, v, ts in [
            ("a", "1", 0),
            ("a", "2", 5),
            ("b", "1", 7),
            ("a", "3", 9),
            ("t", "t", 10),
        ]:
            topic.pipe_input(k, v, ts)
        m = driver.metrics()
    assert m["suppression-emit-total"] == 1
    assert m["suppression-buffer-count-max"] == 3
    assert m["suppression-buffer-count-avg"] == pytest.approx((1 + 1 + 2 + 2 + 3 + 2) / 6)
    assert 0 < m["suppression-buffer-size-avg"] < m["suppression-buffer-size-max"]
    plain = StreamsBuilder()
    plain.table("in").to_stream().to("out")
    with TopologyTestDriver(plain.build(), CONFIG) as driver:
        assert not any(name.startswith("suppression-") for name in driver.metrics())


def test_time_limit_on_counts_with_mutable_values() -> None:
    # the buffer holds bytes: an aggregator mutating its dict in place changes nothing buffered
    def build(b: StreamsBuilder) -> None:
        (
            b.stream("in")
            .group_by_key()
            .aggregate(
                dict,
                lambda k, v, agg: (agg.__setitem__(v, agg.get(v, 0) + 1), agg)[1],
                Materialized.with_(Serdes.String(), Serdes.JSON()).with_caching_disabled(),
            )
            .suppress(Suppressed.until_time_limit(5, BufferConfig.unbounded()))
            .to_stream()
            .to("out", value_serde=Serdes.JSON())
        )

    got = _run(build, [("k", "x", 0), ("k", "y", 1), ("j", "x", 6)], Serdes.JSON())
    assert got == [("k", {"x": 1, "y": 1}, 1)]


def test_emit_early_when_full_evicts_oldest() -> None:
    def build(b: StreamsBuilder) -> None:
        b.table("in").suppress(
            Suppressed.until_time_limit(
                timedelta(hours=1), BufferConfig.max_records(2).emit_early_when_full()
            )
        ).to_stream().to("out")

    assert _run(build, [("a", "1", 3), ("b", "1", 1), ("c", "1", 2), ("a", "2", 4)]) == [
        ("b", "1", 1)
    ]


def test_shut_down_when_full_fails_naming_the_node_and_limits() -> None:
    b = StreamsBuilder()
    b.table("in").suppress(
        Suppressed.until_time_limit(
            timedelta(hours=1), BufferConfig.max_records(1).shut_down_when_full()
        ).with_name("limiter")
    ).to_stream().to("out")
    with TopologyTestDriver(b.build(), CONFIG) as driver:
        topic = driver.create_input_topic("in", Serdes.String(), Serdes.String())
        topic.pipe_input("a", "1", 0)
        with pytest.raises(
            StreamsError,
            match=r"limiter buffer exceeded its max capacity\. "
            r"Currently \[2/1\] records and \[\d+/9223372036854775807\] bytes",
        ):
            topic.pipe_input("b", "1", 1)


def test_until_window_closes_on_a_plain_table_is_refused() -> None:
    b = StreamsBuilder()
    counts = b.stream("in").group_by_key().count()
    with pytest.raises(
        TopologyError,
        match="only defined for windowed computations. Got "
        r"\[KSTREAM-SOURCE-0000000000->KSTREAM-AGGREGATE-0000000002\]",
    ):
        counts.suppress(Suppressed.until_window_closes(BufferConfig.unbounded()))


def test_suppress_takes_only_suppressed() -> None:
    b = StreamsBuilder()
    with pytest.raises(TypeError, match="takes a Suppressed"):
        b.table("in").suppress(BufferConfig.unbounded())  # type: ignore[arg-type]


def test_names_and_store_as_java() -> None:
    b = StreamsBuilder()
    t = b.table("in")
    t.suppress(Suppressed.until_time_limit(1, BufferConfig.unbounded())).to_stream().to("o1")
    t.suppress(
        Suppressed.until_time_limit(1, BufferConfig.unbounded().with_logging_disabled()).with_name(
            "mine"
        )
    ).to_stream().to("o2")
    topo = b.build()
    text = str(topo.describe())
    assert (
        "Processor: KTABLE-SUPPRESS-0000000003 (stores: [KTABLE-SUPPRESS-STATE-STORE-0000000004])"
        in text
    )
    assert "Processor: mine (stores: [mine-store])" in text
    # the source table is materialized (the buffer needs old values); the named buffer is unlogged
    assert "Processor: KTABLE-SOURCE-0000000002 (stores: [in-STATE-STORE-0000000000])" in text
    assert topo.changelog_topic("KTABLE-SUPPRESS-STATE-STORE-0000000004", "app") == (
        "app-KTABLE-SUPPRESS-STATE-STORE-0000000004-changelog"
    )
    assert topo.changelog_topic("mine-store", "app") is None


# -- the buffer: changelog format, commit protocol, restoration --------------------------------------


class _Collector:
    def __init__(self) -> None:
        self.records: list[tuple[str, bytes, bytes | None, int, int]] = []

    def send_changelog(
        self, topic: str, key: bytes, value: bytes | None, timestamp: int, partition: int
    ) -> None:
        self.records.append((topic, key, value, timestamp, partition))


def _buffer(collector: _Collector, logged: bool = True) -> InMemoryTimeOrderedKeyValueChangeBuffer:
    builder = TimeOrderedKeyValueBufferBuilder("buf", Serdes.String(), Serdes.Long())
    if not logged:
        builder.with_logging_disabled()
    buf = builder.build()
    buf.init(
        StateStoreContext(
            "0_2",
            "app",
            2,
            "",
            changelog_topic="app-buf-changelog" if logged else None,
            collector=collector,
        )
    )
    return buf


def _evict_all(buf: InMemoryTimeOrderedKeyValueChangeBuffer) -> list[Any]:
    out: list[Any] = []
    buf.evict_while(lambda: buf.num_records() > 0, out.append)
    return out


def test_changelog_value_is_kafka_streams_v3_layout() -> None:
    ctx = (7, 42, "t", 3, (("h", b"v"),))
    value = BufferValue(b"\x01", b"\x01", b"\x02\x03", ctx)
    data = serialize_entry(value, 99)
    expected = (
        struct.pack(">qq", 7, 42)
        + struct.pack(">i", 1)
        + b"t"
        + struct.pack(">i", 3)
        + struct.pack(">i", 1)
        + struct.pack(">i", 1)
        + b"h"
        + struct.pack(">i", 1)
        + b"v"
        + struct.pack(">i", 1)
        + b"\x01"  # prior
        + struct.pack(">i", -2)  # old: the same as prior
        + struct.pack(">i", 2)
        + b"\x02\x03"  # new
        + struct.pack(">q", 99)  # buffer time
    )
    assert data == expected
    back, time = deserialize_entry(data)
    assert time == 99 and back == value
    # Kafka Streams' size: 8 (time) + key + prior + new (old is prior) + 8 + 8 + 4 + topic + header
    assert record_size(b"kk", value) == 8 + 2 + 1 + 2 + 20 + 1 + 1 + 1


def test_flush_commit_and_restore_bring_back_the_same_buffer() -> None:
    collector = _Collector()
    buf = _buffer(collector)
    buf.put(5, "a", Change(1, None), (5, 0, "in", 2, None))
    buf.put(3, "b", Change(1, None), (3, 1, "in", 2, (("h", b"x"),)))
    buf.put(9, "a", Change(2, 1), (9, 2, "in", 2, None))  # keeps a's place at 5
    assert buf.flush_changelog()
    buf.commit(1)
    assert buf.restore_offset() == 1
    assert [(r[0], r[1], r[4]) for r in collector.records] == [
        ("app-buf-changelog", b"a", 2),
        ("app-buf-changelog", b"b", 2),
    ]
    assert buf.prior_value_for_buffered("a") == (True, None)
    assert buf.prior_value_for_buffered("zz") == (False, None)

    restored = _buffer(_Collector())
    assert restored.restore_offset() is None
    restored.restore_batch([(k, v, ts) for _, k, v, ts, _ in collector.records], 1)
    assert restored.restore_offset() == 1
    assert list(restored.entries()) == list(buf.entries())
    assert restored.buffer_size() == buf.buffer_size()
    assert restored.min_timestamp() == 3
    evicted = _evict_all(restored)
    assert [(e.key, e.new_value, e.old_value, e.context) for e in evicted] == [
        ("b", 1, None, (3, 1, "in", 2, (("h", b"x"),))),
        ("a", 2, 1, (9, 2, "in", 2, None)),
    ]
    assert restored.min_timestamp() == MAX_TIMESTAMP and restored.buffer_size() == 0


def test_evicted_keys_are_tombstoned_and_restore_drops_them() -> None:
    collector = _Collector()
    buf = _buffer(collector)
    buf.put(1, "a", Change(1, None), (1, 0, "in", 2, None))
    buf.put(2, "b", Change(1, None), (2, 1, "in", 2, None))
    buf.flush_changelog()
    buf.commit(1)
    buf.evict_while(lambda: buf.min_timestamp() <= 1, lambda e: None)
    buf.flush_changelog()
    buf.commit(2)
    assert collector.records[-1][1:3] == (b"a", None)
    restored = _buffer(_Collector())
    restored.restore_batch([(k, v, ts) for _, k, v, ts, _ in collector.records], 2)
    assert [e.key for e in _evict_all(restored)] == ["b"]


def test_abort_puts_back_the_committed_buffer() -> None:
    buf = _buffer(_Collector())
    buf.put(1, "a", Change(1, None), (1, 0, "in", 2, None))
    buf.flush_changelog()
    buf.commit(0)
    size = buf.buffer_size()
    buf.put(4, "a", Change(2, 1), (4, 1, "in", 2, None))
    buf.put(2, "b", Change(1, None), (2, 2, "in", 2, None))
    buf.evict_while(lambda: buf.min_timestamp() <= 1, lambda e: None)  # a emitted...
    buf.flush_changelog()
    buf.abort()  # ...but the transaction aborted
    assert buf.buffer_size() == size and buf.num_records() == 1
    (e,) = _evict_all(buf)
    assert (e.key, e.new_value, e.context[0]) == ("a", 1, 1)


def test_commit_refuses_unsent_changes_and_restore_refuses_uncommitted() -> None:
    buf = _buffer(_Collector())
    buf.put(1, "a", Change(1, None), (1, 0, "in", 2, None))
    with pytest.raises(IllegalStateError, match="not sent to its changelog"):
        buf.commit(0)
    with pytest.raises(IllegalStateError, match="uncommitted writes"):
        buf.restore_batch([], 0)


def test_unlogged_buffer_sends_nothing() -> None:
    collector = _Collector()
    buf = _buffer(collector, logged=False)
    buf.put(1, "a", Change(1, None), (1, 0, "in", 2, None))
    assert not buf.flush_changelog()
    buf.commit(None)
    assert collector.records == [] and buf.changelog_topic is None and not buf.logged


def test_restore_refuses_foreign_records() -> None:
    buf = _buffer(_Collector())
    with pytest.raises(StreamsError, match="not a suppression buffer entry"):
        buf.restore_batch([(b"a", b"garbage", 0)], 0)


def test_group_by_after_suppress_counts_emitted_values() -> None:
    def build(b: StreamsBuilder) -> None:
        (
            b.table("in")
            .suppress(Suppressed.until_time_limit(10, BufferConfig.unbounded()))
            .group_by(lambda k, v: (v, k), Grouped.with_(Serdes.String(), Serdes.String()))
            .count()
            .to_stream()
            .to("out", value_serde=Serdes.Long())
        )

    got = _run(build, [("a", "x", 0), ("a", "y", 1), ("t", "t", 10)], Serdes.Long())
    # a's buffered update is Change("y", "x"): Java subtracts the old value it carries
    assert got[-1] == ("y", 1, 1)


def test_changelog_records_carry_the_version_header_as_java() -> None:
    b = StreamsBuilder()
    b.table("in").suppress(Suppressed.until_time_limit(1, BufferConfig.unbounded())).to_stream().to(
        "out"
    )
    with TopologyTestDriver(b.build(), CONFIG) as driver:
        topic = driver.create_input_topic("in", Serdes.String(), Serdes.String())
        topic.pipe_input("a", "1", 0)
        topic.pipe_input("b", "1", 5)
        changelog = driver.create_output_topic(
            "sup-KTABLE-SUPPRESS-STATE-STORE-0000000004-changelog",
            Serdes.String(),
            Serdes.ByteArray(),
        )
        records = [(r.key, r.value, r.headers) for r in changelog.read_records_to_list()]
    assert [(k, v is None, h) for k, v, h in records] == [
        ("a", False, [("v", b"\x03")]),
        ("a", True, None),  # evicted: a tombstone, without headers as in Kafka Streams
        ("b", False, [("v", b"\x03")]),
    ]
    entry, buffer_time = deserialize_entry(records[0][1])
    assert buffer_time == 0 and entry.new == b"1" and entry.context[2] == "in"
