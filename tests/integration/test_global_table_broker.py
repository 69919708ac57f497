"""GlobalKTables on a real broker: the global table is loaded in full before the first stream
record is processed, a clean restart reads only the tail (the checkpoint), two instances each
hold the whole table, and a poison record on the global topic goes to the handler."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
from helpers import (
    RestoreRecorder,
    TopicReader,
    produce,
    running_streams,
    streams_config,
    unique_app_id,
    wait_until,
)

from kstreams import (
    Consumed,
    KafkaStreams,
    LogAndContinueExceptionHandler,
    Materialized,
    Serdes,
    Stores,
    StreamsBuilder,
    StreamThreadExceptionResponse,
    Topology,
)
from kstreams.runtime.global_thread import CHECKPOINT_FILE, read_checkpoint

pytestmark = [pytest.mark.integration]

BASE_TS = 1_700_000_000_000
TABLE_ROWS = 3000


def _enrichment(orders: str, products: str, out: str, value_serde: Any = None) -> Topology:
    b = StreamsBuilder()
    table = b.global_table(
        products,
        Consumed.with_(Serdes.String(), value_serde or Serdes.String()),
        Materialized.as_("products"),
    )
    b.stream(orders).join(table, lambda k, v: v, lambda v, p: f"{v}={p}").to(out)
    return b.build()


def _global_thread(streams: KafkaStreams) -> Any:
    return streams._global_thread  # the restore counter is the checkpoint's observable effect


@pytest.mark.slow
def test_loaded_before_processing_then_tail_only_restart_and_two_instances(
    kafka_bootstrap: str, new_topic: Any, tmp_path: Path
) -> None:
    products = new_topic(partitions=3)
    orders = new_topic(partitions=2)
    out = new_topic(partitions=2)
    # the table is written before start, the orders too: if a stream thread processed before
    # the global table was loaded, some orders would find no product and produce nothing
    produce(
        kafka_bootstrap,
        products,
        [(f"p{i}", f"product{i}", BASE_TS + i) for i in range(TABLE_ROWS)],
    )
    order_rows = [(f"o{i}", f"p{TABLE_ROWS - 1 - i}", BASE_TS + i) for i in range(300)]
    produce(kafka_bootstrap, orders, order_rows)
    app_id = unique_app_id("global")
    state = tmp_path / "state"
    config = streams_config(kafka_bootstrap, app_id, state_dir=str(state))
    with TopicReader(kafka_bootstrap, out) as reader:
        with running_streams(_enrichment(orders, products, out), config) as streams:
            reader.wait_for(300, timeout=60, what="300 joined orders")
            assert _global_thread(streams).restored_records == TABLE_ROWS
            view = streams.store("products")
            assert view.get("p0") == "product0"
            assert view.approximate_num_entries() == TABLE_ROWS
        got = {r.key_str: r.value_str for r in reader.records}
        assert got == {k: f"{v}=product{v[1:]}" for k, v, _ in order_rows}
    checkpoint = read_checkpoint(os.path.join(state, app_id, "global", CHECKPOINT_FILE))
    assert sorted(p for _, p in checkpoint) == [0, 1, 2]
    assert sum(checkpoint.values()) == TABLE_ROWS

    # a clean restart reads only what was written meanwhile
    produce(kafka_bootstrap, products, [(f"p{i}", f"new{i}", BASE_TS + 10_000) for i in range(5)])
    recorder = RestoreRecorder()
    streams = KafkaStreams(_enrichment(orders, products, out), config)
    streams.set_global_state_restore_listener(recorder)
    try:
        streams.start()
        streams.wait_until_running(60)
        assert _global_thread(streams).restored_records == 5
        assert streams.store("products").get("p3") == "new3"
        assert streams.store("products").get("p2999") == "product2999"
        starts, ends = recorder.of("start"), recorder.of("end")
        assert sorted(e[2] for e in starts) == [0, 1, 2]
        assert {e[3] for e in starts + ends} == {"products"}
        assert sum(e[4] for e in ends) == 5  # the tail only
        assert sum(e[5] for e in recorder.of("batch")) == 5
    finally:
        streams.close(60)

    # two instances of the application: each holds the whole table
    second = streams_config(kafka_bootstrap, app_id, state_dir=str(tmp_path / "state2"))
    with (
        running_streams(_enrichment(orders, products, out), config) as a,
        running_streams(_enrichment(orders, products, out), second) as b,
    ):
        produce(kafka_bootstrap, products, [("late", "arrival", BASE_TS + 20_000)])
        for streams in (a, b):
            wait_until(
                lambda s=streams: s.store("products").get("late") == "arrival",
                30,
                what="the update on both instances",
            )
            assert streams.store("products").approximate_num_entries() == TABLE_ROWS + 1
        assert _global_thread(b).restored_records == TABLE_ROWS + 5


@pytest.mark.slow
def test_a_poison_record_on_the_global_topic_goes_to_the_handler(
    kafka_bootstrap: str, new_topic: Any, tmp_path: Path
) -> None:
    products = new_topic(partitions=1)
    orders = new_topic(partitions=1)
    out = new_topic(partitions=1)
    produce(kafka_bootstrap, products, [("p1", b"\x00\x00\x00\x01"), ("bad", b"xyz")])
    produce(kafka_bootstrap, products, [("p2", b"\x00\x00\x00\x02")])
    topology = _enrichment(orders, products, out, value_serde=Serdes.Integer())
    # the handler skips it: the table holds the good records, the client runs
    config = streams_config(
        kafka_bootstrap,
        unique_app_id("global-poison"),
        state_dir=str(tmp_path / "ok"),
        **{"deserialization.exception.handler": LogAndContinueExceptionHandler},
    )
    with running_streams(topology, config) as streams:
        assert streams.store("products").get("p2") == 2
        assert streams.store("products").get("bad") is None
        assert streams.metrics().get("dropped-records-total", 0) >= 0
    # the default handler fails: start() raises it and the client stops in ERROR
    config = streams_config(
        kafka_bootstrap, unique_app_id("global-fail"), state_dir=str(tmp_path / "fail")
    )
    streams = KafkaStreams(_enrichment(orders, products, out, Serdes.Integer()), config)
    try:
        with pytest.raises(Exception, match="Deserialization exception handler is set to fail"):
            streams.start()
        wait_until(lambda: streams.state.value == "ERROR", 30, what="the client in ERROR")
    finally:
        streams.close(30)
    # a poison record once running: the uncaught-exception handler is told, REPLACE_THREAD
    # cannot replace the global thread, the client stops in ERROR
    good = new_topic(partitions=1)
    produce(kafka_bootstrap, good, [("p1", b"\x00\x00\x00\x01")])
    config = streams_config(
        kafka_bootstrap, unique_app_id("global-late"), state_dir=str(tmp_path / "late")
    )
    told: list[BaseException] = []

    def handler(exc: BaseException) -> StreamThreadExceptionResponse:
        told.append(exc)
        return StreamThreadExceptionResponse.REPLACE_THREAD

    streams = KafkaStreams(_enrichment(orders, good, out, Serdes.Integer()), config)
    streams.set_uncaught_exception_handler(handler)
    try:
        streams.start()
        streams.wait_until_running(60)
        produce(kafka_bootstrap, good, [("bad", b"xyz")])
        wait_until(lambda: streams.state.value == "ERROR", 30, what="the client in ERROR")
        assert len(told) == 1 and "Deserialization exception handler" in str(told[0])
    finally:
        streams.close(30)


class _SlowUpdater:
    """A Processor API state-update processor that takes 2 ms a record: restoring 2000
    records takes 4 s, longer than a consumer group needs to assign the stream partitions."""

    def init(self, context: Any) -> None:
        self.store = context.get_state_store("slow")

    def process(self, record: Any) -> None:
        time.sleep(0.002)
        self.store.put(record.key, record.value)

    def close(self) -> None:
        pass


class _SizeAtProcessing:
    """Forwards how many rows the global store held when each stream record was processed."""

    def init(self, context: Any) -> None:
        self.context = context
        self.store = context.get_state_store("slow")

    def process(self, record: Any) -> None:
        self.context.forward(record.with_value(str(self.store.approximate_num_entries())))

    def close(self) -> None:
        pass


@pytest.mark.slow
def test_stream_threads_wait_for_a_slow_global_restore(
    kafka_bootstrap: str, new_topic: Any, tmp_path: Path
) -> None:
    rows = 2000
    table_topic = new_topic(partitions=2)
    inp = new_topic(partitions=1)
    out = new_topic(partitions=1)
    produce(kafka_bootstrap, table_topic, [(f"k{i}", f"v{i}") for i in range(rows)])
    produce(kafka_bootstrap, inp, [(f"s{i}", "x") for i in range(20)])
    t = Topology()
    t.add_global_store(
        Stores.key_value_store_builder(
            Stores.persistent_key_value_store("slow"), Serdes.String(), Serdes.String()
        ).with_logging_disabled(),
        "slow-source",
        Serdes.String(),
        Serdes.String(),
        table_topic,
        "slow-updater",
        _SlowUpdater,
    )
    t.add_source("in", inp)
    t.add_processor("size", _SizeAtProcessing, "in")
    t.add_sink("out", out, "size")
    config = streams_config(kafka_bootstrap, unique_app_id("global-slow"), state_dir=str(tmp_path))
    with TopicReader(kafka_bootstrap, out) as reader:
        with running_streams(t, config):
            reader.wait_for(20, timeout=60, what="20 records")
        assert {r.value_str for r in reader.records} == {str(rows)}


@pytest.mark.slow
def test_exactly_once_reads_only_committed_global_records(
    kafka_bootstrap: str, new_topic: Any, tmp_path: Path
) -> None:
    from confluent_kafka import Producer

    products = new_topic(partitions=1)
    orders = new_topic(partitions=1)
    out = new_topic(partitions=1)
    producer = Producer(
        {"bootstrap.servers": kafka_bootstrap, "transactional.id": unique_app_id("txn")}
    )
    producer.init_transactions(30)
    for rows, commit in (([("p1", "a"), ("p2", "b")], True), ([("bad", "x")], False)):
        producer.begin_transaction()
        for k, v in rows:
            producer.produce(products, key=k.encode(), value=v.encode())
        producer.flush(30)
        if commit:
            producer.commit_transaction(30)
        else:
            producer.abort_transaction(30)
    producer.begin_transaction()
    producer.produce(products, key=b"p3", value=b"c")
    producer.commit_transaction(30)
    config = streams_config(
        kafka_bootstrap,
        unique_app_id("global-eos"),
        state_dir=str(tmp_path),
        **{"processing.guarantee": "exactly_once_v2"},
    )
    for restored in (3, 0):  # the restart reads nothing: the checkpoint is past the markers
        with running_streams(_enrichment(orders, products, out), config) as streams:
            assert _global_thread(streams).restored_records == restored
            view = streams.store("products")
            assert sorted(view.all()) == [("p1", "a"), ("p2", "b"), ("p3", "c")]


def test_a_global_only_topology_runs_with_no_stream_thread(
    kafka_bootstrap: str, new_topic: Any, tmp_path: Path
) -> None:
    topic = new_topic(partitions=2)
    produce(kafka_bootstrap, topic, [("a", "1"), ("b", "2")])
    b = StreamsBuilder()
    b.global_table(topic, Consumed.with_(Serdes.String(), Serdes.String()), Materialized.as_("g"))
    config = streams_config(kafka_bootstrap, unique_app_id("global-only"), state_dir=str(tmp_path))
    with running_streams(b.build(), config) as streams:
        assert streams.metadata_for_local_threads() == []
        assert streams.store("g").get("b") == "2"
        produce(kafka_bootstrap, topic, [("c", "3")])
        wait_until(lambda: streams.store("g").get("c") == "3", 30, what="the update")
    assert streams.state.value == "NOT_RUNNING"
