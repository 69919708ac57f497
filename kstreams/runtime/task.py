"""``StreamTask``: one sub-topology running on one partition number.

The task compiles its nodes into closures once (sources deserialize, sinks
serialize and hand bytes to the record collector), then processes records
one at a time to completion. The same class runs under ``KafkaStreams`` and
the ``TopologyTestDriver``: there is no second implementation of semantics.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterator
from itertools import chain
from typing import Any

from kstreams.errors import DeserializationError, StreamsError
from kstreams.handlers import (
    DeserializationHandlerResponse,
    ErrorHandlerContext,
    ProcessingHandlerResponse,
)
from kstreams.processor.change import ChangeSerde
from kstreams.processor.compiled import compile_processor
from kstreams.processor.context import Forward, ProcessorContext, TaskContext, fan_out
from kstreams.processor.record import Record
from kstreams.processor.task_id import TaskId
from kstreams.processor.timestamps import ConsumedRecord, FailOnInvalidTimestamp
from kstreams.runtime.collector import UNASSIGNED, RecordCollector
from kstreams.runtime.metrics import TaskMetrics
from kstreams.runtime.task_stores import TaskStores
from kstreams.serde.base import Headers, as_serde
from kstreams.state.caching import ThreadCache
from kstreams.topology.nodes import ProcessorNode, SinkNode, SourceNode, Subtopology
from kstreams.topology.topology import Topology

log = logging.getLogger("kstreams")

RawProcess = Callable[[int, int, Any, Any, int, Headers], None]
"""A source's entry point: ``(partition, offset, key_bytes, value_bytes, timestamp, headers)``."""

RunProcess = Callable[[Any, Iterator[Any]], Any]
"""A source's batch entry point: ``run(first_message, rest) -> first message not processed``.

It processes ``first_message`` (a confluent-kafka ``Message``) and the messages of
``rest`` that follow it on the same topic-partition, and returns the first message it
did not take (another partition, or one carrying an error), or None when ``rest`` is
exhausted.
"""


def invalid_timestamp(topic: str, partition: int, offset: int, ts: int) -> StreamsError:
    """The error for a record with a negative timestamp (no timestamp extractor that skips it)."""
    return StreamsError(
        f"Input record {topic}-{partition}@{offset} has invalid (negative) "
        f"timestamp {ts}. Use a different timestamp extractor "
        "(e.g. LogAndSkipOnInvalidTimestamp) to process such records."
    )


class StreamTask:
    """Runs one sub-topology for one partition number.

    ``process(topic, partition, offset, key, value, timestamp, headers)`` takes
    raw bytes as read from Kafka; ``committable_offsets()`` tells what may be
    committed once the collector has flushed.
    """

    def __init__(
        self,
        task_id: TaskId,
        topology: Topology,
        subtopology: Subtopology,
        config: Any,
        collector: RecordCollector,
        wall_clock: Callable[[], int],
        partitions: list[tuple[str, int]] | None = None,
        metrics: TaskMetrics | None = None,
        thread_cache: ThreadCache | None = None,
    ) -> None:
        self.id = task_id
        self.topology = topology
        self.subtopology = subtopology
        self.config = config
        self.collector = collector
        self.app_id: str = config.application_id
        self.metrics = metrics if metrics is not None else TaskMetrics()
        self.partitions = partitions or []
        self.multi_partition = len(self.partitions) > 1
        self.context = TaskContext(task_id, self.app_id, config, wall_clock)
        self.context.metrics = self.metrics
        self._processors: list[Any] = []
        self._sources: dict[str, RawProcess] = {}
        self._runs: dict[str, RunProcess] = {}
        self._consumed: dict[tuple[str, int], int] = {}
        self._committed: dict[tuple[str, int], int] = {}
        self._queues: dict[tuple[str, int], deque[Any]] = {}
        self._deser_handler = config.deserialization_exception_handler
        self._processing_handler = config.processing_exception_handler
        ctx = self.context
        self.stores = TaskStores(
            task_id,
            topology,
            subtopology,
            config,
            collector,
            self._request_commit,
            # changelog records carry the timestamp of the record being processed (Java)
            lambda: ctx.timestamp if ctx.timestamp >= 0 else wall_clock(),
            thread_cache,
            ctx,
        )
        self.context.stores = self.stores.stores
        self.context.state_dir = self.stores.directory
        try:
            self._build()
        except BaseException:
            self.stores.close()
            raise

    def _request_commit(self) -> None:
        self.context.commit_requested = True

    # -- building -----------------------------------------------------------------------------
    def _serde(self, serde: Any, is_key: bool) -> Any:
        serde = as_serde(serde)
        if isinstance(serde, ChangeSerde) and as_serde(serde.inner) is None:
            return ChangeSerde(self._serde(None, is_key))
        if isinstance(serde, ChangeSerde):
            return ChangeSerde(as_serde(serde.inner))
        if serde is None:
            return self.config.default_key_serde() if is_key else self.config.default_value_serde()
        return serde

    def _build(self) -> None:
        topo = self.topology
        fns: dict[str, Forward] = {}
        for name in reversed(topo.topological_order(self.subtopology.nodes)):
            node = topo.nodes[name]
            if isinstance(node, SinkNode):
                fns[name] = self._build_sink(node)
                continue
            children = {c: fns[c] for c in topo.children_of(name) if c in fns}
            if isinstance(node, SourceNode):
                forward = fan_out(tuple(children.values()))
                for topic in node.topics:
                    real = topo.resolve_topic(topic, self.app_id)
                    source = self._build_source(node, real, forward)
                    self._sources[real] = source
                    self._runs[real] = self._build_run(node, real, forward, source)
                continue
            assert isinstance(node, ProcessorNode)
            ctx = ProcessorContext(self.context, name, children, tuple(node.stores))
            processor = node.supplier()
            self._processors.append(processor)
            fns[name] = compile_processor(processor, ctx)

    def _build_source(self, node: SourceNode, topic: str, forward: Forward) -> RawProcess:
        kdes = self._serde(node.key_serde, True).deserialize
        vdes = self._serde(node.value_serde, False).deserialize
        extractor = node.timestamp_extractor or self.config.timestamp_extractor
        if type(extractor) is FailOnInvalidTimestamp:
            extractor = None  # the inline check below does the same, without a call per record
        if extractor is not None and hasattr(extractor, "extract"):
            extractor = extractor.extract
        ctx = self.context
        consumed = self._consumed
        on_error = self._on_deserialization_error
        on_processing_error = self._on_processing_error
        stream_punctuations = ctx.stream_punctuations.entries
        punctuate_stream_time = self.punctuate_stream_time
        metrics = self.metrics
        partition_time: dict[int, int] = {}

        def source(
            partition: int, offset: int, kb: Any, vb: Any, ts: int, headers: Headers
        ) -> None:
            try:
                key = kdes(topic, kb, headers)
                value = vdes(topic, vb, headers)
            except Exception as exc:
                consumed[(topic, partition)] = offset
                on_error(node.name, topic, partition, offset, kb, vb, ts, headers, exc)
                return
            if extractor is not None:
                ts = extractor(
                    ConsumedRecord(topic, partition, offset, ts, key, value, headers),
                    partition_time.get(partition, -1),
                )
                if ts < 0:
                    consumed[(topic, partition)] = offset
                    metrics.dropped_records += 1
                    return
                if ts > partition_time.get(partition, -1):
                    partition_time[partition] = ts
            elif ts < 0:
                raise invalid_timestamp(topic, partition, offset, ts)
            ctx.topic = topic
            ctx.partition = partition
            ctx.offset = offset
            ctx.timestamp = ts
            ctx.headers = headers
            if ts > ctx.stream_time:
                ctx.stream_time = ts
            try:
                forward(key, value, ts, headers)
            except StreamsError:
                raise
            except Exception as exc:  # user code failed: the processing exception handler decides
                on_processing_error(topic, partition, offset, kb, vb, key, value, ts, headers, exc)
            consumed[(topic, partition)] = offset
            metrics.processed += 1
            if stream_punctuations:
                punctuate_stream_time()

        return source

    def _build_run(
        self, node: SourceNode, topic: str, forward: Forward, source: RawProcess
    ) -> RunProcess:
        """The batch entry point of ``topic``: the source's work for a run of one partition.

        Per record it does what ``source`` does; what is the same for the whole run is done
        once: the context's topic and partition, the consumed offset (the run's last
        record) and the ``processed`` metric. Commits only happen between batches, so the
        offsets are up to date whenever they are read; should a record fail, the offset
        recorded is the last record's that completed (the thread dies without committing).
        """
        ctx = self.context
        consumed = self._consumed
        metrics = self.metrics
        processing_failure = self.processing_failure
        key_serde = self._serde(node.key_serde, True)
        value_serde = self._serde(node.value_serde, False)
        kdes = key_serde.deserialize
        vdes = value_serde.deserialize
        kfast = key_serde.fast_deserializer()
        vfast = value_serde.fast_deserializer()
        extractor = node.timestamp_extractor or self.config.timestamp_extractor
        if extractor is not None and type(extractor) is not FailOnInvalidTimestamp:
            # a timestamp extractor: the per-record source, message after message
            def run_each(first: Any, rest: Iterator[Any]) -> Any:
                partition = first.partition()
                msg = first
                try:
                    for msg in chain((first,), rest):
                        if (
                            msg.partition() != partition
                            or msg.error() is not None
                            or msg.topic() != topic
                        ):
                            return msg
                        source(
                            partition,
                            msg.offset(),
                            msg.key(),
                            msg.value(),
                            msg.timestamp()[1],
                            msg.headers(),
                        )
                except StreamsError:
                    raise
                except Exception as exc:
                    raise processing_failure(topic, partition, msg.offset(), exc) from exc
                return None

            return run_each

        on_error = self._on_deserialization_error
        on_processing_error = self._on_processing_error
        stream_punctuations = ctx.stream_punctuations.entries
        punctuate_stream_time = self.punctuate_stream_time
        name = node.name

        def run(first: Any, rest: Iterator[Any]) -> Any:
            partition = first.partition()
            ctx.topic = topic
            ctx.partition = partition
            last = -1
            processed = 0
            offset = -1
            try:
                for msg in chain((first,), rest):
                    if (
                        msg.partition() != partition
                        or msg.error() is not None
                        or msg.topic() != topic
                    ):
                        return msg
                    offset = msg.offset()
                    kb = msg.key()
                    vb = msg.value()
                    headers = msg.headers()
                    ts = msg.timestamp()[1]
                    try:
                        # a serde's fast path takes non-None bytes; if it fails, the full
                        # deserializer decides (the same value, or its own error)
                        if kfast is None or kb is None:
                            key = kdes(topic, kb, headers)
                        else:
                            try:
                                key = kfast(kb)
                            except Exception:
                                key = kdes(topic, kb, headers)
                        if vfast is None or vb is None:
                            value = vdes(topic, vb, headers)
                        else:
                            try:
                                value = vfast(vb)
                            except Exception:
                                value = vdes(topic, vb, headers)
                    except Exception as exc:
                        last = offset
                        on_error(name, topic, partition, offset, kb, vb, ts, headers, exc)
                        continue
                    if ts < 0:
                        raise invalid_timestamp(topic, partition, offset, ts)
                    ctx.offset = offset
                    ctx.timestamp = ts
                    ctx.headers = headers
                    if ts > ctx.stream_time:
                        ctx.stream_time = ts
                    try:
                        forward(key, value, ts, headers)
                    except StreamsError:
                        raise
                    except Exception as exc:  # the processing exception handler decides
                        on_processing_error(
                            topic, partition, offset, kb, vb, key, value, ts, headers, exc
                        )
                    last = offset
                    processed += 1
                    if stream_punctuations and punctuate_stream_time():
                        # a punctuation ran with its own record context: restore the run's
                        ctx.topic = topic
                        ctx.partition = partition
                return None
            except StreamsError:
                raise
            except Exception as exc:
                raise processing_failure(topic, partition, offset, exc) from exc
            finally:
                if last >= 0:
                    consumed[(topic, partition)] = last
                metrics.processed += processed

        return run

    def _build_sink(self, node: SinkNode) -> Forward:
        key_serde = self._serde(node.key_serde, True)
        value_serde = self._serde(node.value_serde, False)
        kser = key_serde.serialize
        vser = value_serde.serialize
        collector = self.collector
        send = collector.send
        partitioner = node.partitioner
        extractor = node.topic_extractor
        topo = self.topology
        app_id = self.app_id
        static_topic = None if node.topic is None else topo.resolve_topic(node.topic, app_id)
        record_context = ProcessorContext(self.context, node.name, {})
        name = node.name

        def serialize(topic: str, key: Any, value: Any, headers: Headers) -> tuple[Any, Any]:
            try:
                return kser(topic, key, headers), vser(topic, value, headers)
            except Exception as exc:
                raise StreamsError(
                    f"Sink {name}: could not serialize the record (key {key!r}) for topic "
                    f"{topic}: {exc}. Check the serdes given to to()/Produced or the defaults."
                ) from exc

        kfast = key_serde.fast_serializer()
        vfast = value_serde.fast_serializer()
        produce_fn = getattr(collector, "produce_fn", None)
        produce = None if produce_fn is None else produce_fn()
        if (
            static_topic is not None
            and partitioner is None
            and kfast is not None
            and vfast is not None
            and produce is not None
        ):
            # The common case, without a Python call between the sink and the producer: both
            # serdes have a fast path (see Serde.fast_serializer) and the producer gets the
            # record straight away unless it has headers or its queue is full.
            topic_ = static_topic

            def fast_sink(key: Any, value: Any, ts: int, headers: Headers) -> None:
                try:
                    kb = None if key is None else kfast(key)
                    vb = None if value is None else vfast(value)
                except Exception:
                    kb, vb = serialize(topic_, key, value, headers)
                if headers is None:
                    try:
                        # positional, see KafkaRecordCollector.produce_fn
                        produce(topic_, vb, kb, UNASSIGNED, None, None, ts)
                        return
                    except BufferError:
                        pass  # the collector waits for room
                send(topic_, kb, vb, ts, headers, None)

            return fast_sink

        def sink(key: Any, value: Any, ts: int, headers: Headers) -> None:
            topic = static_topic
            if topic is None:
                topic = topo.resolve_topic(extractor(key, value, record_context), app_id)  # type: ignore[misc]
            try:
                kb = kser(topic, key, headers)
                vb = vser(topic, value, headers)
            except Exception:
                kb, vb = serialize(topic, key, value, headers)  # raises the sink's error
            partition = None
            if partitioner is not None:
                partition = partitioner(topic, key, value, collector.partitions_for(topic))
            send(topic, kb, vb, ts, headers, partition)

        return sink

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
        try:
            response = self._deser_handler.handle_error(context, kb, vb, error)
        except StreamsError:
            raise
        except Exception as handler_exc:
            raise StreamsError(
                f"Fatal user code error in deserialization error callback: {handler_exc}"
            ) from handler_exc
        self._send_dead_letters(response.dead_letter_queue_records, ts)
        if response.result is not DeserializationHandlerResponse.CONTINUE:
            raise StreamsError(
                "Deserialization exception handler is set to fail upon a deserialization error "
                f"({error}). If you would rather have the streaming pipeline continue after a "
                "deserialization error, set deserialization.exception.handler to "
                "log_and_continue, or configure errors.dead.letter.queue.topic.name."
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
            processor_node_id=None,
            task_id=self.id,
            timestamp=ts,
            source_raw_key=kb,
            source_raw_value=vb,
        )
        try:
            response = self._processing_handler.handle_error(
                context, Record(key, value, ts, headers), exc
            )
        except StreamsError:
            raise
        except Exception as handler_exc:
            raise StreamsError(
                f"Fatal user code error in processing error callback: {handler_exc}"
            ) from handler_exc
        self._send_dead_letters(response.dead_letter_queue_records, ts)
        if response.result is not ProcessingHandlerResponse.CONTINUE:
            raise StreamsError(
                f"Exception caught in process. taskId={self.id}, topic={topic}, "
                f"partition={partition}, offset={offset}: {type(exc).__name__}: {exc}"
            ) from exc
        self.metrics.dropped_records += 1

    def _send_dead_letters(self, records: Any, ts: int) -> None:
        for rec in records:
            self.collector.send(
                rec.topic,
                rec.key,
                rec.value,
                ts if rec.timestamp is None else rec.timestamp,
                list(rec.headers),
                rec.partition,
            )

    # -- processing ---------------------------------------------------------------------------
    def process(
        self,
        topic: str,
        partition: int,
        offset: int,
        key: bytes | None,
        value: bytes | None,
        timestamp: int,
        headers: Headers,
    ) -> None:
        """Process one record read from ``topic``/``partition`` at ``offset`` to completion."""
        try:
            self._sources[topic](partition, offset, key, value, timestamp, headers)
        except StreamsError:
            raise
        except Exception as exc:
            raise self.processing_failure(topic, partition, offset, exc) from exc

    def processing_failure(
        self, topic: str, partition: int, offset: int, exc: BaseException
    ) -> StreamsError:
        """The error to raise when processing a record failed outside the exception handlers."""
        return StreamsError(
            f"Exception caught in process. taskId={self.id}, topic={topic}, "
            f"partition={partition}, offset={offset}: {type(exc).__name__}: {exc}"
        )

    def source_for(self, topic: str) -> RawProcess:
        """The entry point of ``topic``: ``fn(partition, offset, key, value, timestamp, headers)``.

        The stream thread calls it directly, without :meth:`process`'s wrapper.
        """
        return self._sources[topic]

    def run_for(self, topic: str) -> RunProcess:
        """The batch entry point of ``topic``: ``run(first_message, rest) -> next message``.

        The stream thread hands it each run of messages of one partition that ``consume``
        returned (see :data:`RunProcess`); it stops at the first message of another
        partition or carrying an error, and returns it.
        """
        return self._runs[topic]

    def process_message(self, msg: Any) -> None:
        """Process one confluent-kafka ``Message``."""
        self.process(
            msg.topic(),
            msg.partition(),
            msg.offset(),
            msg.key(),
            msg.value(),
            msg.timestamp()[1],
            msg.headers(),
        )

    def buffer(self, msg: Any) -> None:
        """Queue a message for :meth:`process_buffered` (tasks with several input partitions)."""
        tp = (msg.topic(), msg.partition())
        q = self._queues.get(tp)
        if q is None:
            q = self._queues[tp] = deque()
        q.append(msg)

    def process_buffered(self) -> int:
        """Process queued messages, always taking the one with the lowest timestamp first."""
        queues = [q for q in self._queues.values() if q]
        n = 0
        while queues:
            best = min(queues, key=lambda q: q[0].timestamp()[1])
            self.process_message(best.popleft())
            n += 1
            if not best:
                queues = [q for q in queues if q]
        return n

    def buffered(self) -> int:
        """How many messages wait in the queues."""
        return sum(len(q) for q in self._queues.values())

    # -- punctuation --------------------------------------------------------------------------
    def _punctuate(self, queue: Any, now: int) -> bool:
        try:
            return queue.may_punctuate(now)
        except StreamsError:
            raise
        except Exception as exc:
            raise StreamsError(
                f"Exception caught while punctuating. taskId={self.id}: {type(exc).__name__}: {exc}"
            ) from exc

    def punctuate_stream_time(self) -> bool:
        """Fire stream-time punctuations that are due; True if any fired."""
        ctx = self.context
        if ctx.stream_time < 0:
            return False
        return self._punctuate(ctx.stream_punctuations, ctx.stream_time)

    def punctuate_wall_clock(self) -> bool:
        """Fire wall-clock punctuations that are due; True if any fired."""
        ctx = self.context
        if not ctx.wall_punctuations:
            return False
        return self._punctuate(ctx.wall_punctuations, ctx.wall_clock())

    # -- committing and closing ---------------------------------------------------------------
    def committable_offsets(self) -> dict[tuple[str, int], int]:
        """Offsets to commit (next offset to read) for partitions that moved since the last commit."""
        out = {}
        for tp, offset in self._consumed.items():
            if self._committed.get(tp) != offset:
                out[tp] = offset + 1
        return out

    def mark_committed(self, offsets: dict[tuple[str, int], int]) -> None:
        """Record that ``offsets`` (as returned by :meth:`committable_offsets`) were committed."""
        for tp, offset in offsets.items():
            self._committed[tp] = offset - 1
        self.context.commit_requested = False

    def prepare_commit(self) -> None:
        """First step of a commit: the stores send their buffered changes to their changelogs."""
        self.stores.flush_changelog()

    def commit_stores(self, changelog_offsets: dict[tuple[str, int], int]) -> None:
        """Last step of a commit (outputs and changelogs acknowledged): stores write to disk.

        Stores whose changelog is their source topic take the committed input offsets.
        """
        self.stores.commit(changelog_offsets, self._committed)

    @property
    def commit_requested(self) -> bool:
        """Whether a processor asked for a commit."""
        return self.context.commit_requested

    def close(self, clean: bool = False) -> None:
        """Close every processor and store of the task (``clean``: after a successful commit)."""
        errors = []
        for p in self._processors:
            close = getattr(p, "close", None)
            if close is None:
                continue
            try:
                close()
            except Exception as exc:
                errors.append(exc)
        self._processors.clear()
        try:
            self.stores.close(clean)
        except StreamsError as exc:
            errors.append(exc)
        if errors:
            raise StreamsError(
                f"Task {self.id}: error while closing processors: {errors[0]}"
            ) from errors[0]

    def __repr__(self) -> str:
        return f"StreamTask({self.id})"
