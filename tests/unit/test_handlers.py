"""Unit tests of kstreams.handlers."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest

from kstreams.errors import StreamsError
from kstreams.handlers import (
    ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG,
    DefaultProductionExceptionHandler,
    DeserializationExceptionHandler,
    DeserializationHandlerResponse,
    DeserializationResponse,
    ErrorHandlerContext,
    LogAndContinueExceptionHandler,
    LogAndContinueProcessingExceptionHandler,
    LogAndFailExceptionHandler,
    LogAndFailProcessingExceptionHandler,
    ProcessingExceptionHandler,
    ProcessingHandlerResponse,
    ProcessingResponse,
    ProducerRecord,
    ProductionExceptionHandler,
    ProductionExceptionHandlerResponse,
    ProductionHandlerResponse,
    ProductionResponse,
    SerializationExceptionOrigin,
    StreamThreadExceptionResponse,
    build_dead_letter_record,
    dead_letter_headers,
    default_uncaught_exception_handler,
    exception_class_name,
    maybe_build_dead_letter_records,
)

CONTEXT = ErrorHandlerContext(
    topic="orders",
    partition=3,
    offset=1234,
    headers=[("trace", b"abc")],
    processor_node_id="KSTREAM-SOURCE-0000000000",
    task_id="0_3",
    timestamp=1700000000000,
    source_raw_key=b"raw-k",
    source_raw_value=b"raw-v",
)


def _raised(exc: Exception) -> Exception:
    """``exc`` with a traceback, as handlers receive it."""
    try:
        raise exc
    except Exception as caught:
        return caught


class BadBytes(ValueError):
    pass


def headers_of(record: ProducerRecord[bytes, bytes]) -> dict[str, bytes | None]:
    return dict(record.headers)


# --------------------------------------------------------------------------- #
# enums and responses
# --------------------------------------------------------------------------- #


def test_response_enums_have_java_ids() -> None:
    assert DeserializationHandlerResponse.CONTINUE.value == 0
    assert DeserializationHandlerResponse.FAIL.value == 1
    assert ProcessingHandlerResponse.CONTINUE.value == 0
    assert ProductionHandlerResponse.RETRY.value == 2
    assert ProductionExceptionHandlerResponse is ProductionHandlerResponse
    assert [r.name for r in StreamThreadExceptionResponse] == [
        "REPLACE_THREAD",
        "SHUTDOWN_CLIENT",
        "SHUTDOWN_APPLICATION",
    ]
    assert [o.name for o in SerializationExceptionOrigin] == ["KEY", "VALUE"]


def test_response_factories() -> None:
    record = ProducerRecord("dlq", b"k", b"v")
    assert DeserializationResponse.resume().result is DeserializationHandlerResponse.CONTINUE
    assert DeserializationResponse.fail([record]).dead_letter_queue_records == (record,)
    assert ProcessingResponse.fail().result is ProcessingHandlerResponse.FAIL
    assert ProcessingResponse.resume(None).dead_letter_queue_records == ()
    assert ProductionResponse.retry().result is ProductionHandlerResponse.RETRY
    assert ProductionResponse.resume([record]).result is ProductionHandlerResponse.CONTINUE
    assert DeserializationExceptionHandler.Response is DeserializationResponse


def test_default_uncaught_exception_handler_shuts_down_client() -> None:
    assert (
        default_uncaught_exception_handler(RuntimeError("x"))
        is StreamThreadExceptionResponse.SHUTDOWN_CLIENT
    )


def test_context_defaults_are_java_not_available_values() -> None:
    context = ErrorHandlerContext()
    assert context.topic is None
    assert (context.partition, context.offset, context.timestamp) == (-1, -1, -1)


# --------------------------------------------------------------------------- #
# deserialization handlers
# --------------------------------------------------------------------------- #


def test_log_and_fail_logs_error_and_fails(caplog: pytest.LogCaptureFixture) -> None:
    handler = LogAndFailExceptionHandler()
    with caplog.at_level(logging.DEBUG, logger="kstreams"):
        response = handler.handle(CONTEXT, b"k", b"v", _raised(BadBytes("not json")))
    assert response is DeserializationHandlerResponse.FAIL
    [entry] = caplog.records
    assert entry.name == "kstreams"
    assert entry.levelno == logging.ERROR
    message = entry.getMessage()
    for part in ("topic: orders", "partition: 3", "offset: 1234", "taskId: 0_3", "not json"):
        assert part in message
    assert entry.exc_info is not None


def test_log_and_continue_logs_warning_and_continues(caplog: pytest.LogCaptureFixture) -> None:
    handler = LogAndContinueExceptionHandler()
    with caplog.at_level(logging.DEBUG, logger="kstreams"):
        response = handler.handle_error(CONTEXT, b"k", b"v", _raised(BadBytes("boom")))
    assert response.result is DeserializationHandlerResponse.CONTINUE
    assert response.dead_letter_queue_records == ()
    [entry] = caplog.records
    assert entry.levelno == logging.WARNING
    assert "orders" in entry.getMessage()
    assert "boom" in entry.getMessage()


@pytest.mark.parametrize(
    ("handler_cls", "expected"),
    [
        (LogAndFailExceptionHandler, DeserializationHandlerResponse.FAIL),
        (LogAndContinueExceptionHandler, DeserializationHandlerResponse.CONTINUE),
    ],
)
def test_builtin_deserialization_handlers_build_dlq_records(
    handler_cls: type[DeserializationExceptionHandler],
    expected: DeserializationHandlerResponse,
) -> None:
    handler = handler_cls()
    handler.configure({ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG: "app-dlq"})
    response = handler.handle_error(CONTEXT, b"k", b"v", _raised(BadBytes("bad")))
    assert response.result is expected
    [record] = response.dead_letter_queue_records
    assert record.topic == "app-dlq"
    assert (record.key, record.value) == (b"k", b"v")
    assert record.timestamp == CONTEXT.timestamp
    assert record.partition is None
    headers = headers_of(record)
    assert headers["trace"] == b"abc"
    assert headers["__streams.errors.topic"] == b"orders"


def test_custom_deserialization_handler_uses_handle() -> None:
    class Skip(DeserializationExceptionHandler):
        def handle(self, context: Any, key: Any, value: Any, exception: Exception) -> Any:
            return DeserializationHandlerResponse.CONTINUE

    handler = Skip()
    handler.configure({ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG: "dlq"})
    response = handler.handle_error(CONTEXT, None, None, ValueError("x"))
    assert response == DeserializationResponse(DeserializationHandlerResponse.CONTINUE)
    # as in Java, only the built-in handlers fill the DLQ on their own
    assert response.dead_letter_queue_records == ()


def test_handler_returning_garbage_is_a_streams_error() -> None:
    class Broken(DeserializationExceptionHandler):
        def handle(self, context: Any, key: Any, value: Any, exception: Exception) -> Any:
            return None

    with pytest.raises(StreamsError, match="Fatal user code error in deserialization"):
        Broken().handle_error(CONTEXT, None, None, ValueError("x"))


def test_handler_without_override_says_so() -> None:
    with pytest.raises(NotImplementedError, match="handle"):
        DeserializationExceptionHandler().handle_error(CONTEXT, None, None, ValueError("x"))


# --------------------------------------------------------------------------- #
# processing handlers
# --------------------------------------------------------------------------- #


def test_processing_handlers(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="kstreams"):
        fail = LogAndFailProcessingExceptionHandler().handle_error(
            CONTEXT, object(), _raised(KeyError("missing"))
        )
        resume = LogAndContinueProcessingExceptionHandler().handle_error(
            CONTEXT, object(), _raised(KeyError("missing"))
        )
    assert fail.result is ProcessingHandlerResponse.FAIL
    assert resume.result is ProcessingHandlerResponse.CONTINUE
    assert [r.levelno for r in caplog.records] == [logging.ERROR, logging.WARNING]
    assert "KSTREAM-SOURCE-0000000000" in caplog.records[0].getMessage()


def test_processing_handler_dlq_uses_source_raw_bytes() -> None:
    handler = LogAndContinueProcessingExceptionHandler()
    handler.configure({ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG: "dlq"})
    [record] = handler.handle_error(
        CONTEXT, {"parsed": 1}, ValueError("x")
    ).dead_letter_queue_records
    assert (record.key, record.value) == (b"raw-k", b"raw-v")


def test_custom_processing_handler() -> None:
    class Resume(ProcessingExceptionHandler):
        def handle(self, context: Any, record: Any, exception: Exception) -> Any:
            return ProcessingHandlerResponse.CONTINUE

    assert Resume().handle_error(CONTEXT, None, ValueError()).result is (
        ProcessingHandlerResponse.CONTINUE
    )


# --------------------------------------------------------------------------- #
# production handlers
# --------------------------------------------------------------------------- #


def test_default_production_handler_fails() -> None:
    handler = DefaultProductionExceptionHandler()
    handler.configure({})
    record = ProducerRecord("out", b"k", b"v")
    assert handler.handle(CONTEXT, record, RuntimeError("x")) is ProductionHandlerResponse.FAIL
    response = handler.handle_error(CONTEXT, record, RuntimeError("x"))
    assert response.result is ProductionHandlerResponse.FAIL
    assert response.dead_letter_queue_records == ()
    serialization = handler.handle_serialization_error(
        CONTEXT,
        ProducerRecord("out", "k", object()),
        TypeError("x"),
        SerializationExceptionOrigin.VALUE,
    )
    assert serialization.result is ProductionHandlerResponse.FAIL


def test_default_production_handler_dlq() -> None:
    handler = DefaultProductionExceptionHandler()
    handler.configure({ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG: "dlq"})
    response = handler.handle_error(CONTEXT, ProducerRecord("out", b"k", b"v"), RuntimeError("x"))
    [record] = response.dead_letter_queue_records
    assert (record.topic, record.key, record.value) == ("dlq", b"raw-k", b"raw-v")


def test_custom_production_handler_retry_and_serialization_default() -> None:
    class Retry(ProductionExceptionHandler):
        def handle(self, context: Any, record: Any, exception: Exception) -> Any:
            return ProductionHandlerResponse.RETRY

    handler = Retry()
    record = ProducerRecord("out", b"k", b"v")
    assert handler.handle_error(CONTEXT, record, TimeoutError()).result is (
        ProductionHandlerResponse.RETRY
    )
    assert (
        handler.handle_serialization_error(
            CONTEXT, record, TypeError(), SerializationExceptionOrigin.KEY
        ).result
        is ProductionHandlerResponse.FAIL
    )


# --------------------------------------------------------------------------- #
# dead letter queue helpers
# --------------------------------------------------------------------------- #


def test_dead_letter_headers_names_and_values() -> None:
    exc = _raised(BadBytes("unexpected byte 0xff"))
    headers = dead_letter_headers(CONTEXT, exc)
    assert [name for name, _ in headers] == [
        "__streams.errors.exception",
        "__streams.errors.message",
        "__streams.errors.stacktrace",
        "__streams.errors.topic",
        "__streams.errors.partition",
        "__streams.errors.offset",
    ]
    values = dict(headers)
    assert values["__streams.errors.exception"] == f"{__name__}.BadBytes".encode()
    assert values["__streams.errors.message"] == b"unexpected byte 0xff"
    stack = values["__streams.errors.stacktrace"]
    assert stack is not None
    assert b"Traceback" in stack
    assert b"BadBytes: unexpected byte 0xff" in stack
    assert values["__streams.errors.topic"] == b"orders"
    assert values["__streams.errors.partition"] == b"3"
    assert values["__streams.errors.offset"] == b"1234"
    assert all(isinstance(v, bytes) for v in values.values())


def test_dead_letter_headers_without_topic() -> None:
    values = dict(dead_letter_headers(ErrorHandlerContext(), ValueError()))
    assert values["__streams.errors.topic"] is None
    assert values["__streams.errors.partition"] == b"-1"
    assert values["__streams.errors.message"] == b""


def test_exception_class_name() -> None:
    assert exception_class_name(ValueError()) == "ValueError"
    assert exception_class_name(StreamsError()) == "kstreams.errors.StreamsError"


def test_build_dead_letter_record() -> None:
    record = build_dead_letter_record("dlq", None, b"v", CONTEXT, ValueError("x"))
    assert record.topic == "dlq"
    assert record.key is None
    assert record.headers[0] == ("trace", b"abc")
    assert len(record.headers) == 7
    no_time = build_dead_letter_record("dlq", b"k", b"v", ErrorHandlerContext(), ValueError())
    assert no_time.timestamp is None
    with pytest.raises(ValueError, match=re.escape("errors.dead.letter.queue.topic.name")):
        build_dead_letter_record("", b"k", b"v", CONTEXT, ValueError())
    assert maybe_build_dead_letter_records(None, b"k", b"v", CONTEXT, ValueError()) == []
    assert len(maybe_build_dead_letter_records("dlq", b"k", b"v", CONTEXT, ValueError())) == 1


def test_producer_record_headers_normalized_to_tuple() -> None:
    record = ProducerRecord("t", b"k", b"v", headers=[("a", b"1")])  # type: ignore[arg-type]
    assert record.headers == (("a", b"1"),)
