"""Records the broker refused: ``production.exception.handler`` decides, as in Kafka Streams.

Failed delivery reports reach :class:`SendFailures` (through the record collector) as Kafka
Streams' ``RecordCollectorImpl.recordSendError`` sees its send callbacks' exceptions:

* fatal errors (authentication, authorization, invalid topic, the broker's unknown error, a
  fatal producer error) and fenced producers never reach the handler: the thread stops;
* otherwise the handler is asked about each refused record; its dead letter records are sent
  (cut to fit their topic); CONTINUE drops the record and counts it in
  ``dropped-records-total``, FAIL stops the thread naming the topic, partition and cause;
  RETRY is FAIL (kstreams cannot send a refused record again: librdkafka's delivery report
  has no headers; librdkafka has already retried what is retriable for
  ``delivery.timeout.ms``).
* Under exactly-once a refused record has aborted its transaction (librdkafka, like Java's
  producer, cannot commit a transaction with a failed send): the handler is asked and the
  thread stops whatever it answers, as Kafka Streams' commit does; nothing of the transaction
  is committed, so nothing is lost. Records too large for their topic are refused *before*
  they are sent (see :mod:`kstreams.runtime.record_size`), where CONTINUE drops them alone.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from confluent_kafka import KafkaError

from kstreams.errors import ProductionError, SendError, StreamsError
from kstreams.handlers import (
    ErrorHandlerContext,
    ProducerRecord,
    ProductionHandlerResponse,
)

log = logging.getLogger("kstreams")

FATAL_CODES = frozenset(
    {
        KafkaError.TOPIC_AUTHORIZATION_FAILED,
        KafkaError.CLUSTER_AUTHORIZATION_FAILED,
        KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
        KafkaError.SASL_AUTHENTICATION_FAILED,
        KafkaError._AUTHENTICATION,
        KafkaError.SECURITY_DISABLED,
        KafkaError.TOPIC_EXCEPTION,  # InvalidTopicException
        KafkaError.UNKNOWN,  # UnknownServerException
        KafkaError.OFFSET_METADATA_TOO_LARGE,
    }
)
"""Send errors that never reach the handler (Java's ``RecordCollectorImpl.isFatalException``)."""

FENCED_CODES = frozenset(
    {
        KafkaError.PRODUCER_FENCED,
        KafkaError._FENCED,
        KafkaError.INVALID_PRODUCER_EPOCH,
        KafkaError.INVALID_PRODUCER_ID_MAPPING,
        KafkaError.OUT_OF_ORDER_SEQUENCE_NUMBER,
    }
)
"""Send errors meaning this producer may send no more (Java: a ``TaskMigratedException``)."""

MISSING_TOPIC_CODES = frozenset({KafkaError._UNKNOWN_TOPIC, KafkaError.UNKNOWN_TOPIC_OR_PART})

TIMED_OUT_CODES = frozenset({KafkaError._MSG_TIMED_OUT, KafkaError._TIMED_OUT})
"""Records the broker never answered for (it was away longer than ``message.timeout.ms``)."""


class TransactionCorruptedError(StreamsError):
    """Under exactly-once, records timed out: the transaction is aborted and the tasks go back
    to their committed offsets, the thread carries on (Kafka Streams: a retriable send error is
    a ``TaskCorruptedException``, the task is revived, not a failure for the handler)."""


CONTINUE_LOG_EVERY_S = 5.0
"""Records dropped by CONTINUE are logged once, then at most this often (with a count)."""

Failure = tuple[str, int, Any, Any]
"""A failed delivery: (topic, partition, KafkaError, confluent-kafka Message)."""


def describe_failures(failures: list[Failure]) -> str:
    """``"N record(s) could not be delivered; first: topic T partition P: <error> (<NAME>)"``,
    and where topics do not exist, what to do."""
    topic, partition, first, _ = failures[0]
    text = (
        f"{len(failures)} record(s) could not be delivered; first: topic {topic} "
        f"partition {partition}: {first.str()} ({first.name()})"
    )
    missing = sorted({t for t, _, e, _ in failures if e.code() in MISSING_TOPIC_CODES})
    if missing:
        text += (
            f". Topics {missing} do not exist on the cluster (UNKNOWN_TOPIC_OR_PARTITION): "
            "create them, or fix the topic name in to()/add_sink()"
        )
    return text


class SendFailures:
    """Asks ``production.exception.handler`` about the records the broker refused.

    One per stream thread's record collector; the tasks bind it (:meth:`add_sink` tells which
    sink node writes a topic, for the handler's context).
    """

    def __init__(
        self,
        handler: Any,
        metrics: Any,
        exactly_once: bool,
        send_dead_letter: Callable[[ProducerRecord[bytes, bytes]], None],
    ) -> None:
        self.handler = handler
        self.metrics = metrics
        self.exactly_once = exactly_once
        self._send_dead_letter = send_dead_letter
        self._sink_nodes: dict[str, str | None] = {}
        self._logged_at = -CONTINUE_LOG_EVERY_S
        self._unlogged = 0

    def add_sink(self, topic: str, node: str) -> None:
        """``node`` writes to ``topic`` (a topic written by several sinks names none)."""
        known = self._sink_nodes.get(topic, node)
        self._sink_nodes[topic] = node if known == node else None

    def resolve(self, failures: list[Failure]) -> StreamsError | None:
        """The error that stops the thread, or None when the handler continued for all.

        Raises:
            StreamsError: the handler itself raised (a fatal user code error).
        """
        described = describe_failures(failures)
        if self.exactly_once and all(f[2].code() in TIMED_OUT_CODES for f in failures):
            return TransactionCorruptedError(
                f"{described}; the transaction is aborted and the tasks go back to their "
                "committed offsets (the records are processed again once the broker answers)"
            )
        fail_code: str | None = None
        for topic, partition, err, msg in failures:
            code = err.code()
            if err.fatal() or code in FATAL_CODES:
                return self._error(
                    f"{described}. {err.name()} is fatal: the production exception handler is "
                    "not asked (as in Kafka Streams) and no more records are sent"
                )
            if code in FENCED_CODES:
                return self._error(
                    f"{described}. The producer was fenced ({err.name()}): another producer "
                    "with the same transactional.id took over, or the producer lost its "
                    "sequence; the stream thread stops (REPLACE_THREAD starts a new producer)"
                )
            result = self._ask(topic, partition, err, msg)
            if result is ProductionHandlerResponse.CONTINUE:
                if not self.exactly_once:
                    self.metrics.dropped_records += 1
                    self._log_dropped(topic, partition, err)
            elif fail_code is None:
                fail_code = err.name()
        if self.exactly_once:
            answer = (
                "production.exception.handler answered FAIL"
                if fail_code is not None
                else "production.exception.handler answered CONTINUE, but a record the broker "
                "refused aborts its whole transaction (as in Kafka Streams)"
            )
            return self._error(
                f"the transaction was aborted because {described}; {answer}. The stream thread "
                "stops; nothing of the transaction is committed, so its records are processed "
                "again by the next owner. Records too large for their topic's "
                "max.message.bytes are refused before they are sent (where CONTINUE drops them "
                "alone) unless the producer compresses; fix the record or the topic's limits"
            )
        if fail_code is not None:
            return self._error(
                f"{described}. production.exception.handler answered FAIL: the stream thread "
                "stops and nothing after the failed record is committed"
            )
        return None

    def _error(self, text: str) -> ProductionError:
        return ProductionError(text)

    def _ask(self, topic: str, partition: int, err: Any, msg: Any) -> ProductionHandlerResponse:
        exc = SendError(
            f"Topic {topic} partition {partition}: {err.str()} ({err.name()})",
            topic=topic,
            partition=partition,
            code=err.name(),
            kafka_error=err,
        )
        context = ErrorHandlerContext(processor_node_id=self._sink_nodes.get(topic), timestamp=-1)
        record = ProducerRecord(topic, msg.key(), msg.value(), (), None, partition)
        try:
            response = self.handler.handle_error(context, record, exc)
        except StreamsError:
            raise
        except Exception as handler_exc:
            raise StreamsError(
                f"Fatal user code error in production error callback: {handler_exc}"
            ) from handler_exc
        if self.exactly_once:
            if response.dead_letter_queue_records:
                log.warning(
                    "Not sending %d dead letter record(s) for the record refused by topic %s: "
                    "its transaction is aborted (exactly-once)",
                    len(response.dead_letter_queue_records),
                    topic,
                )
        else:
            for dead_letter in response.dead_letter_queue_records:
                self._send_dead_letter(dead_letter)
        result = response.result
        if result is ProductionHandlerResponse.RETRY:
            log.warning(
                "production.exception.handler answered RETRY for a record refused by topic %s "
                "(%s); treated as FAIL: librdkafka has already retried for delivery.timeout.ms",
                topic,
                err.name(),
            )
            return ProductionHandlerResponse.FAIL
        return result  # type: ignore[no-any-return]

    def _log_dropped(self, topic: str, partition: int, err: Any) -> None:
        now = time.monotonic()
        if now - self._logged_at < CONTINUE_LOG_EVERY_S:
            self._unlogged += 1
            return
        more = (
            f" ({self._unlogged} more dropped since the last such line)" if self._unlogged else ""
        )
        self._logged_at = now
        self._unlogged = 0
        log.warning(
            "A record refused by topic %s partition %d was dropped (production.exception.handler "
            "continues): %s (%s)%s",
            topic,
            partition,
            err.str(),
            err.name(),
            more,
        )
