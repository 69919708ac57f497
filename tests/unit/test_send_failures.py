"""Records the broker refused: what ``SendFailures`` asks the production handler and answers.

The failures are confluent-kafka's own ``KafkaError`` objects with the message the delivery
report carries (topic, partition, key, value); the broker's side is in
tests/integration/test_production_handler_broker.py.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

import pytest
from confluent_kafka import KafkaError

from kstreams.errors import SendError, StreamsError
from kstreams.handlers import (
    DefaultProductionExceptionHandler,
    ErrorHandlerContext,
    ProducerRecord,
    ProductionExceptionHandler,
    ProductionHandlerResponse,
    ProductionResponse,
)
from kstreams.runtime.metrics import TaskMetrics
from kstreams.runtime.send_errors import SendFailures, TransactionCorruptedError


class Message:
    """What a failed delivery report hands over (confluent-kafka's ``Message`` accessors)."""

    def __init__(self, key: bytes | None, value: bytes | None) -> None:
        self._key, self._value = key, value

    def key(self) -> bytes | None:
        return self._key

    def value(self) -> bytes | None:
        return self._value


class Answering(ProductionExceptionHandler):
    answer: ClassVar[ProductionHandlerResponse] = ProductionHandlerResponse.CONTINUE
    seen: ClassVar[list[tuple[ErrorHandlerContext, ProducerRecord[Any, Any], Exception]]] = []

    def handle(self, context, record, exception):  # type: ignore[no-untyped-def]
        Answering.seen.append((context, record, exception))
        return Answering.answer


def failure(code: int, topic: str = "out", partition: int = 3) -> Any:
    return (topic, partition, KafkaError(code), Message(b"k", b"v" * 10))


def make(
    handler: Any, exactly_once: bool = False
) -> tuple[SendFailures, TaskMetrics, list[ProducerRecord[bytes, bytes]]]:
    metrics = TaskMetrics()
    sent: list[ProducerRecord[bytes, bytes]] = []
    failures = SendFailures(handler, metrics, exactly_once, sent.append)
    failures.add_sink("out", "KSTREAM-SINK-0000000001")
    return failures, metrics, sent


@pytest.fixture(autouse=True)
def _reset() -> None:
    Answering.seen = []
    Answering.answer = ProductionHandlerResponse.CONTINUE


def test_continue_drops_and_counts_and_the_handler_gets_the_refused_record() -> None:
    failures, metrics, _ = make(Answering())
    assert failures.resolve([failure(KafkaError.MSG_SIZE_TOO_LARGE)]) is None
    assert metrics.dropped_records == 1
    [(context, record, exc)] = Answering.seen
    assert (record.topic, record.partition, record.key, record.value) == ("out", 3, b"k", b"v" * 10)
    assert context.processor_node_id == "KSTREAM-SINK-0000000001"
    assert isinstance(exc, SendError) and exc.code == "MSG_SIZE_TOO_LARGE"
    assert (exc.topic, exc.partition) == ("out", 3)


def test_fail_names_the_topic_partition_and_cause() -> None:
    Answering.answer = ProductionHandlerResponse.FAIL
    failures, metrics, _ = make(Answering())
    error = failures.resolve([failure(KafkaError.MSG_SIZE_TOO_LARGE)])
    assert error is not None and metrics.dropped_records == 0
    text = str(error)
    assert "topic out partition 3" in text and "MSG_SIZE_TOO_LARGE" in text
    assert "answered FAIL" in text


def test_retry_is_fail() -> None:
    Answering.answer = ProductionHandlerResponse.RETRY
    failures, _, _ = make(Answering())
    error = failures.resolve([failure(KafkaError._MSG_TIMED_OUT)])
    assert error is not None and "answered FAIL" in str(error)


@pytest.mark.parametrize(
    "code",
    [
        KafkaError.TOPIC_AUTHORIZATION_FAILED,
        KafkaError.CLUSTER_AUTHORIZATION_FAILED,
        KafkaError.TOPIC_EXCEPTION,
        KafkaError.UNKNOWN,
        KafkaError.SASL_AUTHENTICATION_FAILED,
    ],
)
def test_fatal_errors_never_reach_the_handler(code: int) -> None:
    failures, metrics, _ = make(Answering())
    error = failures.resolve([failure(code)])
    assert error is not None and "is fatal" in str(error)
    assert Answering.seen == [] and metrics.dropped_records == 0


@pytest.mark.parametrize(
    "code",
    [
        KafkaError.PRODUCER_FENCED,
        KafkaError.INVALID_PRODUCER_EPOCH,
        KafkaError.OUT_OF_ORDER_SEQUENCE_NUMBER,
    ],
)
def test_a_fenced_producer_never_reaches_the_handler(code: int) -> None:
    failures, _, _ = make(Answering())
    error = failures.resolve([failure(code)])
    assert error is not None and "fenced" in str(error) and Answering.seen == []


def test_dead_letters_are_sent_at_least_once() -> None:
    handler = DefaultProductionExceptionHandler()
    handler.configure({"errors.dead.letter.queue.topic.name": "dlq"})
    failures, _, sent = make(handler)
    assert failures.resolve([failure(KafkaError.MSG_SIZE_TOO_LARGE)]) is not None
    [dead] = sent
    # no source record is known for a delivery report: the refused record's bytes
    assert (dead.topic, dead.key, dead.value) == ("dlq", b"k", b"v" * 10)


def test_exactly_once_stops_even_on_continue_and_sends_no_dead_letter() -> None:
    class ContinueWithDeadLetter(ProductionExceptionHandler):
        def handle_error(self, context, record, exception):  # type: ignore[no-untyped-def]
            return ProductionResponse.resume([ProducerRecord("dlq", record.key, record.value)])

    failures, metrics, sent = make(ContinueWithDeadLetter(), exactly_once=True)
    error = failures.resolve([failure(KafkaError.MSG_SIZE_TOO_LARGE)])
    assert error is not None
    assert "the transaction was aborted because" in str(error)
    assert "answered CONTINUE" in str(error)
    assert sent == [] and metrics.dropped_records == 0


def test_a_handler_that_raises_is_a_fatal_user_code_error() -> None:
    class Broken(ProductionExceptionHandler):
        def handle(self, context, record, exception):  # type: ignore[no-untyped-def]
            raise RuntimeError("boom")

    failures, _, _ = make(Broken())
    with pytest.raises(StreamsError, match="Fatal user code error in production error callback"):
        failures.resolve([failure(KafkaError.MSG_SIZE_TOO_LARGE)])


def test_dropped_records_are_logged_once_then_rate_limited(
    caplog: pytest.LogCaptureFixture,
) -> None:
    failures, metrics, _ = make(Answering())
    with caplog.at_level(logging.WARNING, logger="kstreams"):
        for _ in range(50):
            assert failures.resolve([failure(KafkaError.MSG_SIZE_TOO_LARGE)]) is None
    lines = [r for r in caplog.records if "was dropped" in r.getMessage()]
    assert metrics.dropped_records == 50
    assert len(lines) == 1


def test_a_topic_written_by_two_sinks_names_no_node() -> None:
    failures, _, _ = make(Answering())
    failures.add_sink("out", "KSTREAM-SINK-0000000002")
    failures.resolve([failure(KafkaError.MSG_SIZE_TOO_LARGE)])
    assert Answering.seen[0][0].processor_node_id is None


@pytest.mark.parametrize("code", [KafkaError._MSG_TIMED_OUT, KafkaError._TIMED_OUT])
def test_exactly_once_timed_out_records_rewind_the_tasks_instead_of_stopping(code: int) -> None:
    # Kafka Streams: a retriable send error is a TaskCorruptedException (the task is revived)
    failures, metrics, sent = make(Answering(), exactly_once=True)
    error = failures.resolve([failure(code), failure(code, partition=1)])
    assert isinstance(error, TransactionCorruptedError)
    assert "go back to their committed offsets" in str(error)
    assert Answering.seen == [] and sent == [] and metrics.dropped_records == 0


def test_a_timed_out_record_with_a_refused_one_still_stops_the_thread() -> None:
    failures, _, _ = make(Answering(), exactly_once=True)
    error = failures.resolve(
        [failure(KafkaError._MSG_TIMED_OUT), failure(KafkaError.MSG_SIZE_TOO_LARGE)]
    )
    assert error is not None and not isinstance(error, TransactionCorruptedError)
    assert "the transaction was aborted because" in str(error)
