"""Bad input: deserialization handlers, the dead letter queue, dropped-records metrics, sink serialization."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from kstreams import (
    DeserializationError,
    DeserializationHandlerResponse,
    KeyValue,
    LogAndContinueExceptionHandler,
    Serdes,
    StreamsBuilder,
    StreamsError,
)
from kstreams.handlers import DeserializationExceptionHandler, ErrorHandlerContext
from kstreams.processor import LogAndSkipOnInvalidTimestamp
from kstreams.testing import TopologyTestDriver

LONG_VALUES = {"default.key.serde": Serdes.String, "default.value.serde": Serdes.Long}
DLQ = "bad-records"
DLQ_HEADER_NAMES = [
    "__streams.errors.exception",
    "__streams.errors.message",
    "__streams.errors.stacktrace",
    "__streams.errors.topic",
    "__streams.errors.partition",
    "__streams.errors.offset",
]


def doubler(config: dict[str, Any]) -> TopologyTestDriver:
    """input (String keys, Long values) -> value * 2 -> output."""
    builder = StreamsBuilder()
    builder.stream("input").map_values(lambda v: v * 2).to("output", value_serde=Serdes.Long())
    return TopologyTestDriver(builder.build(), {**LONG_VALUES, **config})


def pipe_good_bad_good(driver: TopologyTestDriver, bad_headers: Any = None) -> None:
    """Offsets 0 and 2 hold longs; offset 1 holds 3 bytes a LongDeserializer rejects."""
    longs = driver.create_input_topic("input", Serdes.String(), Serdes.Long())
    raw = driver.create_input_topic("input", Serdes.String(), Serdes.ByteArray())
    longs.pipe_input("a", 1, 100)
    raw.pipe_input("b", b"bad", 200, headers=bad_headers)
    longs.pipe_input("c", 3, 300)


def output_of(driver: TopologyTestDriver) -> list[KeyValue]:
    return driver.create_output_topic(
        "output", Serdes.String(), Serdes.Long()
    ).read_key_values_to_list()


# -- log and fail (the default) ---------------------------------------------------------------------


def test_default_handler_fails_naming_topic_partition_and_offset(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with doubler({}) as driver:
        longs = driver.create_input_topic("input", Serdes.String(), Serdes.Long())
        raw = driver.create_input_topic("input", Serdes.String(), Serdes.ByteArray())
        longs.pipe_input("a", 1)
        with caplog.at_level(logging.ERROR, logger="kstreams"), pytest.raises(StreamsError) as info:
            raw.pipe_input("b", b"bad")
        assert output_of(driver) == [KeyValue("a", 2)]

    message = str(info.value)
    assert "topic 'input', partition 0, offset 1" in message
    assert "deserialization.exception.handler" in message  # says how to change it
    cause = info.value.__cause__
    assert isinstance(cause, DeserializationError)
    assert (cause.topic, cause.partition, cause.offset) == ("input", 0, 1)
    assert "LongDeserializer" in str(cause)
    assert any(
        r.levelno == logging.ERROR and "Deserialization" in r.getMessage() for r in caplog.records
    )


def test_a_serde_raising_a_plain_exception_is_wrapped_with_its_cause() -> None:
    class Picky(Serdes.String):
        def deserialize(self, topic: str, data: Any, headers: Any = None) -> Any:
            if data == b"boom":
                raise ValueError("no boom allowed")
            return super().deserialize(topic, data, headers)

    builder = StreamsBuilder()
    builder.stream("input", value_serde=Picky()).to("output", value_serde=Serdes.String())
    with TopologyTestDriver(builder.build(), {"default.key.serde": Serdes.String}) as driver:
        inp = driver.create_input_topic("input", Serdes.String(), Serdes.String())
        with pytest.raises(StreamsError) as info:
            inp.pipe_input("k", "boom")
    error = info.value.__cause__
    assert isinstance(error, DeserializationError)
    assert "ValueError: no boom allowed" in str(error)
    assert "partition 0, offset 0" in str(error)
    assert isinstance(error.__cause__, ValueError)  # the serde's own exception is kept


# -- log and continue --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "handler",
    ["log_and_continue", LogAndContinueExceptionHandler, LogAndContinueExceptionHandler()],
)
def test_log_and_continue_skips_the_bad_record(
    handler: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        caplog.at_level(logging.WARNING, logger="kstreams"),
        doubler({"deserialization.exception.handler": handler}) as driver,
    ):
        pipe_good_bad_good(driver)
        assert output_of(driver) == [KeyValue("a", 2), KeyValue("c", 6)]
        assert driver.metrics() == {
            "process-total": 2,
            "dropped-records-total": 1,
            "record-lateness-avg": 0.0,
            "record-lateness-max": 0.0,
        }
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert any("offset: 1" in r.getMessage() for r in warnings)


def test_dropped_records_counter_increases_with_each_bad_record() -> None:
    with doubler({"deserialization.exception.handler": "log_and_continue"}) as driver:
        raw = driver.create_input_topic("input", Serdes.String(), Serdes.ByteArray())
        for i in range(3):
            raw.pipe_input("k", b"x" * i)
            assert driver.metrics()["dropped-records-total"] == i + 1
        assert output_of(driver) == []


def test_a_bad_key_is_handled_like_a_bad_value() -> None:
    builder = StreamsBuilder()
    builder.stream("input", key_serde=Serdes.Integer()).to("output", key_serde=Serdes.Integer())
    config = {**LONG_VALUES, "deserialization.exception.handler": "log_and_continue"}
    with TopologyTestDriver(builder.build(), config) as driver:
        driver.create_input_topic("input", Serdes.String(), Serdes.Long()).pipe_input("bad", 1)
        driver.create_input_topic("input", Serdes.Integer(), Serdes.Long()).pipe_input(7, 2)
        out = driver.create_output_topic("output", Serdes.Integer(), Serdes.Long())
        assert out.read_key_values_to_list() == [KeyValue(7, 2)]
        assert driver.metrics()["dropped-records-total"] == 1


# -- dead letter queue ---------------------------------------------------------------------------------


def test_dead_letter_queue_gets_the_original_bytes_and_error_headers() -> None:
    config = {
        "deserialization.exception.handler": "log_and_continue",
        "errors.dead.letter.queue.topic.name": DLQ,
    }
    with doubler(config) as driver:
        pipe_good_bad_good(driver, bad_headers=[("trace", b"t-1")])
        assert output_of(driver) == [KeyValue("a", 2), KeyValue("c", 6)]
        dlq = driver.create_output_topic(DLQ, Serdes.ByteArray(), Serdes.ByteArray())
        record = dlq.read_record()
        assert dlq.is_empty()

    assert (record.key, record.value, record.timestamp) == (b"b", b"bad", 200)
    names = [name for name, _ in record.headers]
    assert names == ["trace", *DLQ_HEADER_NAMES]  # the source headers come first
    headers = dict(record.headers)
    assert headers["trace"] == b"t-1"
    assert headers["__streams.errors.topic"] == b"input"
    assert headers["__streams.errors.partition"] == b"0"
    assert headers["__streams.errors.offset"] == b"1"
    assert headers["__streams.errors.exception"].endswith(b"DeserializationError")
    assert b"LongDeserializer" in headers["__streams.errors.message"]
    assert b"Traceback" in headers["__streams.errors.stacktrace"]
    assert b"LongDeserializer" in headers["__streams.errors.stacktrace"]


def test_dead_letter_queue_with_the_fail_handler_still_gets_the_record() -> None:
    with doubler({"errors.dead.letter.queue.topic.name": DLQ}) as driver:
        raw = driver.create_input_topic("input", Serdes.String(), Serdes.ByteArray())
        with pytest.raises(StreamsError, match="offset 0"):
            raw.pipe_input("k", b"oops", 50)
        dlq = driver.create_output_topic(DLQ, Serdes.ByteArray(), Serdes.ByteArray())
        record = dlq.read_record()
    assert (record.key, record.value, record.timestamp) == (b"k", b"oops", 50)
    assert dict(record.headers)["__streams.errors.offset"] == b"0"


def test_dead_letter_records_of_a_null_key_and_headers() -> None:
    config = {
        "deserialization.exception.handler": "log_and_continue",
        "errors.dead.letter.queue.topic.name": DLQ,
    }
    with doubler(config) as driver:
        driver.create_input_topic("input", Serdes.String(), Serdes.ByteArray()).pipe_input(b"xy")
        record = driver.create_output_topic(
            DLQ, Serdes.ByteArray(), Serdes.ByteArray()
        ).read_record()
    assert (record.key, record.value) == (None, b"xy")
    assert [name for name, _ in record.headers] == DLQ_HEADER_NAMES


# -- custom handlers ------------------------------------------------------------------------------------


class Recording(DeserializationExceptionHandler):
    seen: list[tuple[ErrorHandlerContext, Any, Any, Exception]] = []

    def handle(
        self, context: ErrorHandlerContext, key: Any, value: Any, exception: Exception
    ) -> DeserializationHandlerResponse:
        Recording.seen.append((context, key, value, exception))
        return DeserializationHandlerResponse.CONTINUE


def test_a_custom_handler_sees_the_context_and_raw_bytes() -> None:
    Recording.seen = []
    with doubler({"deserialization.exception.handler": Recording}) as driver:
        pipe_good_bad_good(driver, bad_headers=[("h", b"v")])
        assert output_of(driver) == [KeyValue("a", 2), KeyValue("c", 6)]

    [(context, key, value, exception)] = Recording.seen
    assert (context.topic, context.partition, context.offset) == ("input", 0, 1)
    assert context.timestamp == 200
    assert context.headers == [("h", b"v")]
    assert context.processor_node_id == "KSTREAM-SOURCE-0000000000"
    assert str(context.task_id) == "0_0"
    assert (context.source_raw_key, context.source_raw_value) == (b"b", b"bad")
    assert (key, value) == (b"b", b"bad")
    assert isinstance(exception, DeserializationError)


def test_a_handler_that_raises_is_a_fatal_error() -> None:
    class Broken(DeserializationExceptionHandler):
        def handle(self, context: Any, key: Any, value: Any, exception: Exception) -> Any:
            raise RuntimeError("handler bug")

    with doubler({"deserialization.exception.handler": Broken}) as driver:
        raw = driver.create_input_topic("input", Serdes.String(), Serdes.ByteArray())
        with pytest.raises(StreamsError, match=r"Fatal user code error.*handler bug"):
            raw.pipe_input("k", b"x")


# -- invalid timestamps -------------------------------------------------------------------------------


def test_a_negative_timestamp_fails_by_default() -> None:
    with doubler({}) as driver:
        longs = driver.create_input_topic("input", Serdes.String(), Serdes.Long())
        with pytest.raises(StreamsError, match=r"input-0@0 has invalid \(negative\) timestamp -1"):
            longs.pipe_input("k", 1, -1)


def test_log_and_skip_on_invalid_timestamp_drops_and_counts() -> None:
    config = {"default.timestamp.extractor": LogAndSkipOnInvalidTimestamp}
    with doubler(config) as driver:
        longs = driver.create_input_topic("input", Serdes.String(), Serdes.Long())
        longs.pipe_input("k", 1, -1)
        longs.pipe_input("k", 2, 10)
        assert output_of(driver) == [KeyValue("k", 4)]
        assert driver.metrics() == {
            "process-total": 1,
            "dropped-records-total": 1,
            "record-lateness-avg": 0.0,
            "record-lateness-max": 0.0,
        }


# -- serialization in sinks ----------------------------------------------------------------------------


def test_a_sink_serialization_failure_names_the_sink_and_topic() -> None:
    builder = StreamsBuilder()
    builder.stream("input").map_values(str).to("output", name="to-output")  # a str into a Long
    with TopologyTestDriver(builder.build(), LONG_VALUES) as driver:
        longs = driver.create_input_topic("input", Serdes.String(), Serdes.Long())
        with pytest.raises(StreamsError) as info:
            longs.pipe_input("k", 5)
        assert driver.produced_topic_names() == set()
    message = str(info.value)
    assert "Sink to-output" in message
    assert "topic output" in message
    assert "key 'k'" in message
    assert info.value.__cause__ is not None


def test_a_sink_serialization_failure_with_a_dynamic_topic() -> None:
    builder = StreamsBuilder()
    builder.stream("input").map_values(str).to(lambda k, v, ctx: f"out-{k}")
    with TopologyTestDriver(builder.build(), LONG_VALUES) as driver:
        longs = driver.create_input_topic("input", Serdes.String(), Serdes.Long())
        with pytest.raises(StreamsError, match=r"Sink KSTREAM-SINK-0000000002.*topic out-k"):
            longs.pipe_input("k", 5)
