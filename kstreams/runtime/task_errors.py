"""How a task asks the exception handlers (deserialization, processing, production).

:class:`TaskErrorHandling` is mixed into :class:`~kstreams.runtime.task.StreamTask`: one
helper (:meth:`TaskErrorHandling._ask_handler`) asks a handler, sends its dead letter records
and turns a handler that raises into a fatal error; each kind of error builds the handler's
context and acts on its answer (CONTINUE drops the record and counts it, FAIL stops the
thread), as Kafka Streams does (KIP-1033, KIP-1034, KIP-1065).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from kstreams.errors import DeserializationError, ProductionError, StreamsError
from kstreams.handlers import (
    DeserializationHandlerResponse,
    ErrorHandlerContext,
    ProcessingHandlerResponse,
    ProducerRecord,
    ProductionHandlerResponse,
    SerializationExceptionOrigin,
)
from kstreams.processor.record import Record
from kstreams.serde.base import Headers

log = logging.getLogger("kstreams")

DESERIALIZATION_HINT = (
    "To skip such records, set deserialization.exception.handler to log_and_continue "
    "(LogAndContinueExceptionHandler), or to a DeserializationExceptionHandler of your own "
    "whose handle() returns DeserializationHandlerResponse.CONTINUE; to keep a copy of each, "
    "also set errors.dead.letter.queue.topic.name (with log_and_fail the record is written "
    "there and the thread still stops)."
)
"""What the error of a failed deserialization says to do (every key and value is checked by
tests/unit/test_deserialization_hint.py)."""


class TaskErrorHandling:
    """The exception handler calls of a task (mixed into ``StreamTask``)."""

    id: Any
    context: Any
    collector: Any
    metrics: Any
    _deser_handler: Any
    _processing_handler: Any
    _production_handler: Any

    def failing_node(self, exc: BaseException) -> str | None:
        """The processor node whose code raised ``exc`` (``StreamTask`` finds it)."""
        return None

    def _sink_context(self, node: str) -> ErrorHandlerContext:
        """The handler's context for a sink's record: the source record being processed."""
        ctx = self.context
        return ErrorHandlerContext(
            topic=ctx.topic,
            partition=ctx.partition,
            offset=ctx.offset,
            headers=ctx.headers,
            processor_node_id=node,
            task_id=self.id,
            timestamp=ctx.timestamp,
        )

    def _on_serialization_error(
        self,
        node: str,
        topic: str,
        key: Any,
        value: Any,
        ts: int,
        headers: Headers,
        exc: Exception,
        origin: SerializationExceptionOrigin,
    ) -> None:
        """A sink could not serialize its record: ``production.exception.handler`` decides.

        CONTINUE drops the record (counted in ``dropped-records-total``), FAIL stops the
        thread; dead letter records are sent either way (KIP-1033/1065).
        """
        context = self._sink_context(node)
        record = ProducerRecord(topic, key, value, tuple(headers or ()), ts)
        response = self._ask_handler(
            "production",
            ts,
            lambda: self._production_handler.handle_serialization_error(
                context, record, exc, origin
            ),
        )
        if response.result is not ProductionHandlerResponse.CONTINUE:
            raise StreamsError(
                f"Sink {node}: could not serialize the record's {origin.value.lower()} "
                f"(key {key!r}) for topic {topic}: {type(exc).__name__}: {exc}. Check the "
                "serdes given to to()/Produced or the defaults, or set "
                "production.exception.handler to a handler that continues."
            ) from exc
        log.warning(
            "Sink %s: could not serialize the record's %s for topic %s, dropping it "
            "(production.exception.handler continues): %s",
            node,
            origin.value.lower(),
            topic,
            exc,
        )
        self.metrics.dropped_records += 1

    def _on_send_error(
        self,
        node: str,
        topic: str,
        kb: bytes | None,
        vb: bytes | None,
        ts: int,
        headers: Headers,
        exc: ProductionError,
    ) -> None:
        """A sink's record was refused before it was sent (too large for its topic):
        ``production.exception.handler`` decides, with the whole context of the source record.

        The transaction (exactly-once) is intact: CONTINUE drops this record alone (counted in
        ``dropped-records-total``), FAIL stops the thread; dead letter records either way.
        """
        context = self._sink_context(node)
        record = ProducerRecord(topic, kb, vb, tuple(headers or ()), ts)
        response = self._ask_handler(
            "production",
            ts,
            lambda: self._production_handler.handle_error(context, record, exc),
        )
        if response.result is not ProductionHandlerResponse.CONTINUE:
            raise ProductionError(
                f"Sink {node}: {exc}. production.exception.handler answered "
                f"{response.result.name}: the stream thread stops. Make the record smaller, "
                "raise the topic's max.message.bytes (and the producer's message.max.bytes), "
                "or set production.exception.handler to a handler that continues."
            ) from exc
        log.warning(
            "Sink %s: dropping a record (production.exception.handler continues): %s", node, exc
        )
        self.metrics.dropped_records += 1

    def _on_deserialization_error(
        self,
        node: str,
        topic: str,
        partition: int,
        offset: int,
        kb: Any,
        vb: Any,
        ts: int,
        headers: Headers,
        exc: Exception,
    ) -> None:
        error = (
            exc
            if isinstance(exc, DeserializationError)
            else DeserializationError(
                f"{type(exc).__name__}: {exc}", topic=topic, partition=partition, offset=offset
            )
        )
        if error.topic is None:
            error = DeserializationError(str(exc), topic=topic, partition=partition, offset=offset)
        if error is not exc:
            error.__cause__ = exc  # keep the serde's own exception and its traceback
        context = ErrorHandlerContext(
            topic=topic,
            partition=partition,
            offset=offset,
            headers=headers,
            processor_node_id=node,
            task_id=self.id,
            timestamp=ts,
            source_raw_key=kb,
            source_raw_value=vb,
        )
        self.metrics.dropped_records += 1
        response = self._ask_handler(
            "deserialization",
            ts,
            lambda: self._deser_handler.handle_error(context, kb, vb, error),
        )
        if response.result is not DeserializationHandlerResponse.CONTINUE:
            raise StreamsError(
                "Deserialization exception handler is set to fail upon a deserialization error "
                f"({error}). {DESERIALIZATION_HINT}"
            ) from error

    def _on_processing_error(
        self,
        topic: str,
        partition: int,
        offset: int,
        kb: Any,
        vb: Any,
        key: Any,
        value: Any,
        ts: int,
        headers: Headers,
        exc: Exception,
    ) -> None:
        """A processor raised: ask ``processing.exception.handler`` (KIP-1033) to continue or fail.

        The handler sees the source record (Kafka Streams shows the record as the failing
        processor received it); dead letter records carry the source bytes.
        """
        context = ErrorHandlerContext(
            topic=topic,
            partition=partition,
            offset=offset,
            headers=headers,
            processor_node_id=self.failing_node(exc),
            task_id=self.id,
            timestamp=ts,
            source_raw_key=kb,
            source_raw_value=vb,
        )
        response = self._ask_handler(
            "processing",
            ts,
            lambda: self._processing_handler.handle_error(
                context, Record(key, value, ts, headers), exc
            ),
        )
        if response.result is not ProcessingHandlerResponse.CONTINUE:
            raise StreamsError(
                f"Exception caught in process. taskId={self.id}, topic={topic}, "
                f"partition={partition}, offset={offset}: {type(exc).__name__}: {exc}"
            ) from exc
        self.metrics.dropped_records += 1

    def _ask_handler(self, kind: str, ts: int, ask: Callable[[], Any]) -> Any:
        """An exception handler's response, its dead letter records sent; a handler that
        raises stops the thread (Kafka Streams: "Fatal user code error in ... callback")."""
        try:
            response = ask()
        except StreamsError:
            raise
        except Exception as handler_exc:
            raise StreamsError(
                f"Fatal user code error in {kind} error callback: {handler_exc}"
            ) from handler_exc
        self._send_dead_letters(response.dead_letter_queue_records, ts)
        return response

    def _send_dead_letters(self, records: Any, ts: int) -> None:
        # the Kafka collector cuts a dead letter record to fit its topic (send_dead_letter)
        send_dead_letter = getattr(self.collector, "send_dead_letter", None)
        for rec in records:
            if send_dead_letter is not None:
                send_dead_letter(rec, ts)
                continue
            self.collector.send(
                rec.topic,
                rec.key,
                rec.value,
                ts if rec.timestamp is None else rec.timestamp,
                list(rec.headers),
                rec.partition,
            )
