"""The TopologyTestDriver's API: input and output topics, time, lifecycle (Java: same names)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from kstreams import (
    KeyValue,
    Processor,
    PunctuationType,
    Record,
    Serdes,
    StreamsBuilder,
    StreamsConfig,
    StreamsError,
    Topology,
)
from kstreams.testing import EmptyTopicError, TestRecord, TopologyTestDriver

STRINGS = {"default.key.serde": Serdes.String, "default.value.serde": Serdes.String}


def passthrough() -> Topology:
    builder = StreamsBuilder()
    builder.stream("input").to("output")
    return builder.build()


@pytest.fixture
def driver() -> Any:
    with TopologyTestDriver(passthrough(), STRINGS, initial_wall_clock_time=1_000_000) as d:
        yield d


# -- piping ----------------------------------------------------------------------------------------


def test_pipe_input_forms(driver: TopologyTestDriver) -> None:
    inp = driver.create_input_topic("input", start_timestamp=500)
    out = driver.create_output_topic("output")

    inp.pipe_input("only-value")
    inp.pipe_input("k", "v")
    inp.pipe_input("k", "v", 1234)
    inp.pipe_input(TestRecord("rk", "rv", 99, [("h", b"1")]))
    inp.pipe_input("k", "v", headers=[("x", b"y")])

    assert out.read_records_to_list() == [
        TestRecord(None, "only-value", 500),
        TestRecord("k", "v", 500),
        TestRecord("k", "v", 1234),
        TestRecord("rk", "rv", 99, [("h", b"1")]),
        TestRecord("k", "v", 500, [("x", b"y")]),
    ]


def test_pipe_input_with_a_datetime_timestamp(driver: TopologyTestDriver) -> None:
    inp = driver.create_input_topic("input")
    when = datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=timezone.utc)
    inp.pipe_input("k", "v", when)
    assert driver.create_output_topic("output").read_record().timestamp == int(
        when.timestamp() * 1000
    )


def test_test_record_without_timestamp_takes_the_topic_time(driver: TopologyTestDriver) -> None:
    inp = driver.create_input_topic("input", start_timestamp=10, auto_advance=5)
    inp.pipe_input(TestRecord("k", "a"))
    inp.pipe_input(TestRecord("k", "b"))
    assert [r.timestamp for r in driver.create_output_topic("output").read_records_to_list()] == [
        10,
        15,
    ]


def test_test_record_record_time_is_its_timestamp() -> None:
    assert TestRecord("k", "v", 42).record_time == 42


def test_pipe_input_needs_a_value(driver: TopologyTestDriver) -> None:
    with pytest.raises(TypeError):
        driver.create_input_topic("input").pipe_input()


def test_pipe_key_value_list_with_rising_timestamps(driver: TopologyTestDriver) -> None:
    inp = driver.create_input_topic("input")
    inp.pipe_key_value_list(
        [("a", "1"), KeyValue("b", "2"), ("c", "3")],
        start_timestamp=1000,
        advance=timedelta(seconds=1),
    )
    records = driver.create_output_topic("output").read_records_to_list()
    assert [(r.key, r.value, r.timestamp) for r in records] == [
        ("a", "1", 1000),
        ("b", "2", 2000),
        ("c", "3", 3000),
    ]


def test_pipe_value_list_has_null_keys(driver: TopologyTestDriver) -> None:
    driver.create_input_topic("input").pipe_value_list(["x", "y"])
    assert driver.create_output_topic("output").read_key_values_to_list() == [
        KeyValue(None, "x"),
        KeyValue(None, "y"),
    ]


def test_pipe_record_list(driver: TopologyTestDriver) -> None:
    driver.create_input_topic("input").pipe_record_list(
        [TestRecord("a", "1", 5), TestRecord("b", "2", 6)]
    )
    assert driver.create_output_topic("output").read_records_to_list() == [
        TestRecord("a", "1", 5),
        TestRecord("b", "2", 6),
    ]


def test_auto_advance_and_advance_time(driver: TopologyTestDriver) -> None:
    inp = driver.create_input_topic(
        "input", start_timestamp=1000, auto_advance=timedelta(milliseconds=100)
    )
    inp.pipe_input("a")
    inp.pipe_input("b")
    inp.advance_time(timedelta(seconds=1))
    inp.pipe_input("c")
    inp.pipe_input("d", "e", 5)  # an explicit timestamp does not move the topic's time
    inp.pipe_input("f")
    stamps = [r.timestamp for r in driver.create_output_topic("output").read_records_to_list()]
    assert stamps == [1000, 1100, 2200, 5, 2300]
    with pytest.raises(ValueError):
        inp.advance_time(-1)


def test_input_topic_time_starts_at_the_mock_wall_clock(driver: TopologyTestDriver) -> None:
    driver.create_input_topic("input").pipe_input("v")
    assert driver.create_output_topic("output").read_record().timestamp == 1_000_000


def test_start_timestamp_as_datetime(driver: TopologyTestDriver) -> None:
    start = datetime(2020, 5, 1, tzinfo=timezone.utc)
    driver.create_input_topic("input", start_timestamp=start).pipe_input("v")
    assert driver.create_output_topic("output").read_record().timestamp == int(
        start.timestamp() * 1000
    )


def test_input_topic_serdes_override_the_defaults(driver: TopologyTestDriver) -> None:
    builder = StreamsBuilder()
    builder.stream("input", key_serde=Serdes.Integer(), value_serde=Serdes.Long()).to("output")
    with TopologyTestDriver(builder.build(), STRINGS) as d:
        d.create_input_topic("input", Serdes.Integer(), Serdes.Long()).pipe_input(7, 8)
        out = d.create_output_topic("output", Serdes.Integer(), Serdes.Long())
        assert out.read_key_value() == KeyValue(7, 8)


def test_unknown_input_topic_is_an_error(driver: TopologyTestDriver) -> None:
    with pytest.raises(ValueError, match="Unknown topic: nope"):
        driver.create_input_topic("nope")
    with pytest.raises(ValueError, match="Unknown topic: nope"):
        driver.pipe_raw("nope", None, b"v", 0, None)


def test_config_may_be_a_streams_config() -> None:
    config = StreamsConfig({**STRINGS, "application.id": "app", "bootstrap.servers": "x:1"})
    with TopologyTestDriver(passthrough(), config) as d:
        assert d.config.application_id == "app"
        d.create_input_topic("input").pipe_input("k", "v")
        assert d.create_output_topic("output").read_value() == "v"


def test_default_application_id_is_javas() -> None:
    with TopologyTestDriver(passthrough(), STRINGS) as d:
        assert d.config.application_id == "dummy-topology-test-driver-app-id"


# -- reading -------------------------------------------------------------------------------------


def test_output_readers(driver: TopologyTestDriver) -> None:
    inp = driver.create_input_topic("input")
    out = driver.create_output_topic("output")
    inp.pipe_key_value_list(
        [("a", "1"), ("b", "2"), ("c", "3"), ("d", "4"), ("e", "5"), ("f", "6")],
        start_timestamp=10,
        advance=1,
    )

    assert out.get_queue_size() == 6
    assert not out.is_empty()
    assert out.read_value() == "1"
    assert out.read_key_value() == KeyValue("b", "2")
    assert out.read_record() == TestRecord("c", "3", 12)
    assert out.get_queue_size() == 3
    assert out.read_values_to_list() == ["4", "5", "6"]
    assert out.is_empty()
    assert out.get_queue_size() == 0
    assert out.read_values_to_list() == []


def test_read_key_values_to_list(driver: TopologyTestDriver) -> None:
    driver.create_input_topic("input").pipe_key_value_list([("a", "1"), ("a", "2")])
    out = driver.create_output_topic("output")
    assert out.read_key_values_to_list() == [KeyValue("a", "1"), KeyValue("a", "2")]
    assert out.read_key_values_to_list() == []


def test_read_key_values_to_map_keeps_the_latest_value(driver: TopologyTestDriver) -> None:
    driver.create_input_topic("input").pipe_key_value_list(
        [("a", "1"), ("b", "2"), ("a", "3"), ("b", None)]
    )
    assert driver.create_output_topic("output").read_key_values_to_map() == {"a": "3", "b": None}


def test_read_key_values_to_map_rejects_null_keys(driver: TopologyTestDriver) -> None:
    driver.create_input_topic("input").pipe_input("no-key")
    with pytest.raises(ValueError, match="Null keys"):
        driver.create_output_topic("output").read_key_values_to_map()


def test_read_records_to_list_has_timestamps_and_headers(driver: TopologyTestDriver) -> None:
    driver.create_input_topic("input").pipe_input("k", "v", 7, headers=[("h", b"x")])
    assert driver.create_output_topic("output").read_records_to_list() == [
        TestRecord("k", "v", 7, [("h", b"x")])
    ]


@pytest.mark.parametrize(
    "read", ["read_value", "read_key_value", "read_record"], ids=lambda name: name
)
def test_reading_an_empty_topic_raises(driver: TopologyTestDriver, read: str) -> None:
    out = driver.create_output_topic("output")
    with pytest.raises(EmptyTopicError, match="Empty topic: output"):
        getattr(out, read)()
    driver.create_input_topic("input").pipe_input("v")
    getattr(out, read)()
    with pytest.raises(EmptyTopicError):
        getattr(out, read)()


def test_reading_a_topic_never_written_raises(driver: TopologyTestDriver) -> None:
    out = driver.create_output_topic("never")
    assert out.is_empty()
    with pytest.raises(EmptyTopicError):
        out.read_value()
    assert isinstance(EmptyTopicError("x"), LookupError)


def test_two_readers_of_one_topic_share_its_records(driver: TopologyTestDriver) -> None:
    driver.create_input_topic("input").pipe_value_list(["a", "b"])
    first = driver.create_output_topic("output")
    second = driver.create_output_topic("output")
    assert first.read_value() == "a"
    assert second.read_value() == "b"
    assert first.is_empty() and second.is_empty()


def test_output_topic_with_other_serdes_reads_the_raw_bytes(driver: TopologyTestDriver) -> None:
    driver.create_input_topic("input").pipe_input("k", "v")
    raw = driver.create_output_topic("output", Serdes.ByteArray(), Serdes.ByteArray())
    assert raw.read_key_value() == KeyValue(b"k", b"v")


def test_produced_topic_names(driver: TopologyTestDriver) -> None:
    assert driver.produced_topic_names() == set()
    driver.create_input_topic("input").pipe_input("v")
    assert driver.produced_topic_names() == {"output"}


def test_records_written_to_a_source_topic_are_processed_again() -> None:
    # As Java's driver: output to a topic the topology reads is piped back in.
    builder = StreamsBuilder()
    builder.stream("input").map_values(str.upper).to("middle")
    builder.stream("middle").map_values(lambda v: v + "!").to("output")
    with TopologyTestDriver(builder.build(), STRINGS) as driver:
        driver.create_input_topic("input").pipe_input("k", "v")
        assert driver.create_output_topic("middle").read_value() == "V"
        assert driver.create_output_topic("output").read_value() == "V!"


def test_records_through_internal_topics_are_processed_in_order() -> None:
    builder = StreamsBuilder()
    (
        builder.stream("input")
        .flat_map_values(lambda v: [v + "1", v + "2"])
        .repartition()
        .flat_map_values(lambda v: [v + "a", v + "b"])
        .to("output")
    )
    with TopologyTestDriver(builder.build(), STRINGS) as driver:
        inp = driver.create_input_topic("input")
        inp.pipe_input("k", "x")
        inp.pipe_input("k", "y")
        inp.pipe_input(None, "z")  # repartition() drops null keys, as Java's does (KIP-962)
        assert driver.create_output_topic("output").read_values_to_list() == [
            "x1a",
            "x1b",
            "x2a",
            "x2b",
            "y1a",
            "y1b",
            "y2a",
            "y2b",
        ]


# -- wall-clock time -------------------------------------------------------------------------------


class WallClockTicker(Processor):
    """Forwards a record on each wall-clock punctuation."""

    def init(self, context: Any) -> None:
        super().init(context)
        context.schedule(timedelta(seconds=10), PunctuationType.WALL_CLOCK_TIME, self.tick)

    def tick(self, timestamp: int) -> None:
        self.context.forward(Record("tick", str(timestamp), timestamp))

    def process(self, record: Record) -> None:
        self.context.forward(record)


def ticker_topology() -> Topology:
    return (
        Topology()
        .add_source("src", "input")
        .add_processor("ticker", WallClockTicker, "src")
        .add_sink("sink", "output", "ticker")
    )


def test_advance_wall_clock_time_fires_wall_clock_punctuations() -> None:
    with TopologyTestDriver(ticker_topology(), STRINGS, initial_wall_clock_time=0) as driver:
        out = driver.create_output_topic("output")
        driver.advance_wall_clock_time(timedelta(seconds=5))
        assert out.is_empty()
        driver.advance_wall_clock_time(timedelta(seconds=5))
        assert out.read_key_value() == KeyValue("tick", "10000")
        # missed intervals are not replayed: one punctuation, then aligned to the schedule
        driver.advance_wall_clock_time(timedelta(seconds=25))
        assert out.read_values_to_list() == ["35000"]
        driver.advance_wall_clock_time(5000)
        assert out.read_record() == TestRecord("tick", "40000", 40000)
        assert driver.wall_clock_ms() == 40000


def test_wall_clock_does_not_move_with_records() -> None:
    with TopologyTestDriver(ticker_topology(), STRINGS, initial_wall_clock_time=0) as driver:
        driver.create_input_topic("input").pipe_input("k", "v", 999_999)
        out = driver.create_output_topic("output")
        assert out.read_values_to_list() == ["v"]
        assert driver.wall_clock_ms() == 0


def test_advance_wall_clock_time_rejects_negative_advances() -> None:
    with TopologyTestDriver(ticker_topology(), STRINGS) as driver, pytest.raises(ValueError):
        driver.advance_wall_clock_time(-1)


def test_initial_wall_clock_time_as_datetime() -> None:
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    with TopologyTestDriver(ticker_topology(), STRINGS, initial_wall_clock_time=start) as driver:
        assert driver.wall_clock_ms() == int(start.timestamp() * 1000)


# -- lifecycle ---------------------------------------------------------------------------------


class Closing(Processor):
    closed: list[str] = []

    def process(self, record: Record) -> None:
        self.context.forward(record)

    def close(self) -> None:
        Closing.closed.append(self.context.task_id.__str__())


def test_context_manager_closes_every_processor() -> None:
    Closing.closed = []
    builder = StreamsBuilder()
    builder.stream("input").process(Closing).repartition().process(Closing).to("output")
    with TopologyTestDriver(builder.build(), STRINGS) as driver:
        driver.create_input_topic("input").pipe_input("k", "v")
        assert Closing.closed == []
    assert sorted(Closing.closed) == ["0_0", "1_0"]  # one task per sub-topology


def test_close_is_idempotent_and_the_driver_refuses_work_after_it() -> None:
    Closing.closed = []
    topology = Topology().add_source("s", "input").add_processor("p", Closing, "s")
    driver = TopologyTestDriver(topology, STRINGS)
    inp = driver.create_input_topic("input")
    driver.close()
    driver.close()
    assert Closing.closed == ["0_0"]
    with pytest.raises(RuntimeError, match="closed"):
        inp.pipe_input("v")


def test_a_processor_failure_is_a_streams_error_naming_the_record() -> None:
    builder = StreamsBuilder()
    builder.stream("input").map_values(lambda v: 1 // 0).to("output")
    with TopologyTestDriver(builder.build(), STRINGS) as driver:
        inp = driver.create_input_topic("input")
        with pytest.raises(StreamsError) as info:
            inp.pipe_input("k", "v")
    message = str(info.value)
    assert "taskId=0_0" in message
    assert "topic=input" in message
    assert "offset=0" in message
    assert "ZeroDivisionError" in message
    assert isinstance(info.value.__cause__, ZeroDivisionError)


def test_metrics_count_processed_records(driver: TopologyTestDriver) -> None:
    driver.create_input_topic("input").pipe_value_list(["a", "b", "c"])
    assert driver.metrics() == {
        "process-total": 3,
        "dropped-records-total": 0,
        "record-lateness-avg": 0.0,
        "record-lateness-max": 0.0,
    }
