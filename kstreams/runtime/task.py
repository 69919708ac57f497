"""``StreamTask``: one sub-topology running on one partition number.

The task compiles its nodes into closures once (sources deserialize: their
entry points are generated from the stages in :mod:`kstreams.runtime.record_path`;
sinks serialize and hand bytes to the record collector), then processes records
one at a time to completion. The same class runs under ``KafkaStreams`` and
the ``TopologyTestDriver``: there is no second implementation of semantics. Stream time,
commit metadata and the commit steps live in :mod:`kstreams.runtime.task_commit`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from kstreams.errors import ConfigError, RecordTooLargeError, StreamsError
from kstreams.handlers import SerializationExceptionOrigin
from kstreams.processor.change import ChangeSerde
from kstreams.processor.compiled import compile_processor
from kstreams.processor.context import Forward, ProcessorContext, TaskContext, fan_out
from kstreams.processor.fused import derived, fuse, node_at
from kstreams.processor.task_id import TaskId
from kstreams.processor.timestamps import FailOnInvalidTimestamp
from kstreams.runtime import record_path
from kstreams.runtime.collector import RecordCollector
from kstreams.runtime.global_store_view import ReadOnlyGlobalStoreView
from kstreams.runtime.metrics import TaskMetrics
from kstreams.runtime.record_path import RawProcess, RunProcess, Shape, SourcePath
from kstreams.runtime.record_size import CHECK_MARGIN
from kstreams.runtime.sink_step import fast_sink_step, produce_refusal
from kstreams.runtime.task_commit import TaskCommitting
from kstreams.runtime.task_errors import TaskErrorHandling
from kstreams.runtime.task_stores import TaskStores, open_task_stores, recycle
from kstreams.runtime.windowed_sink import windowed_fast_sink
from kstreams.serde.base import Headers, as_serde
from kstreams.serde.windowed import WindowedPartitioner, WindowedSerde
from kstreams.state.caching import ThreadCache
from kstreams.topology.nodes import ProcessorNode, SinkNode, SourceNode, Subtopology
from kstreams.topology.topology import Topology


class StreamTask(TaskCommitting, TaskErrorHandling):
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
        global_stores: dict[str, Any] | None = None,
        recycled: TaskStores | None = None,
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
        self._partition_times: dict[str, dict[int, int]] = {}
        """Per source topic, its partitions' times (see :meth:`partition_time`)."""
        self._tracks_partition_times = (
            self.multi_partition or len(set(subtopology.source_topics)) > 1
        )
        """Whether the record path keeps each partition's time (else it is the stream time)."""
        self._start_offsets: dict[tuple[str, int], int] = {}
        """The committed offsets the task started from (see :meth:`initialize_metadata`)."""
        self._encoded: dict[tuple[str, int], tuple[int, int, str]] = {}
        """Per partition, (partition time, metadata version, commit metadata string) last encoded."""
        self._serialized: tuple[int, bytes] = (-1, b"")
        """(version, bytes) of the processor metadata last serialized (the same for every partition)."""
        if recycled is None:
            recycled = open_task_stores(
                task_id,
                topology,
                subtopology,
                config,
                wall_clock,
                self.metrics,
                thread_cache,
                collector,
            )
        else:  # a standby's open stores (Kafka Streams' recycling): its context comes along
            assert recycled.changelog_target is not None and recycled.context is not None
            recycled.changelog_target.point(collector)
            recycled.context.metrics = self.metrics
        self.stores = recycled
        assert recycled.context is not None
        self.context: TaskContext = recycled.context
        self._processors: list[Any] = []
        self._node_fns: list[tuple[str, Any]] = []
        """(node name, compiled function) of every processor and sink: see failing_node."""
        self._sources: dict[str, RawProcess] = {}
        self._runs: dict[str, RunProcess] = {}
        self._paths: dict[str, SourcePath] = {}
        self._consumed: dict[tuple[str, int], int] = {}
        self._committed: dict[tuple[str, int], int] = {}
        self._queues: dict[tuple[str, int], deque[Any]] = {}
        self._deser_handler = config.deserialization_exception_handler
        self._processing_handler = config.processing_exception_handler
        self._production_handler = config.production_exception_handler
        bind = getattr(collector, "bind", None)
        self._send_failures = None if bind is None else bind(config, self.metrics)
        """Asks the production handler about records the broker refused (Kafka collector)."""
        self.context.stores = self.stores.stores
        if global_stores:
            # as Kafka Streams: stream processors read global stores, never write them
            self.context.global_stores = {
                n: ReadOnlyGlobalStoreView(s) for n, s in global_stores.items()
            }
        self.context.state_dir = self.stores.directory
        try:
            self._build()
        except BaseException:
            self.stores.close()
            raise

    def _request_commit(self) -> None:
        self.context.commit_requested = True

    # -- building -----------------------------------------------------------------------------
    def _serde(self, serde: Any, is_key: bool, node: Any = None) -> Any:
        """The node's serde, else the configured default; without either, a ConfigError that
        names the node and its topic."""
        serde = as_serde(serde)
        if isinstance(serde, ChangeSerde) and as_serde(serde.inner) is None:
            return ChangeSerde(self._serde(None, is_key, node))
        if isinstance(serde, ChangeSerde):
            return ChangeSerde(as_serde(serde.inner))
        resolve_defaults = getattr(serde, "with_default_serdes", None)
        if resolve_defaults is not None:  # a wrapping serde (FK-join wrappers) with inner defaults
            return resolve_defaults(self.config.default_key_serde, self.config.default_value_serde)
        if isinstance(serde, WindowedSerde) and serde.inner is None:
            # a windowed table of a grouping without a key serde: windows of the default serde
            return serde.with_inner(self._serde(None, is_key, node))
        if serde is None:
            try:
                if is_key:
                    return self.config.default_key_serde()
                return self.config.default_value_serde()
            except ConfigError as exc:
                if node is None:
                    raise
                raise ConfigError(
                    f"{_where(node)} has no {'key' if is_key else 'value'} serde: {exc}"
                ) from exc
        return serde

    def failing_node(self, exc: BaseException) -> str | None:
        """The processor node whose code raised ``exc``: the innermost frame of its traceback
        that runs one of this task's node functions.

        Found after the fact from the frames (their code object, then their closure, since
        nodes of one kind share code), so that no node pays a wrapper per record.
        """
        by_code: dict[Any, list[tuple[str, Any]]] = {}
        for name, fn in self._node_fns:
            for f in (fn, *derived(fn)):  # a flush listener made from the node's chain
                code = getattr(f, "__code__", None)
                if code is not None:
                    by_code.setdefault(code, []).append((name, f))
        found = None
        tb = exc.__traceback__
        while tb is not None:
            frame = tb.tb_frame
            candidates = by_code.get(frame.f_code)
            if candidates:
                name = _frame_node(frame, candidates)
                # a fused chain runs several nodes in one frame: its line says which
                found = node_at(dict(candidates).get(name), tb.tb_lineno) or name or found
            tb = tb.tb_next
        return found

    def _build(self) -> None:
        topo = self.topology
        fns: dict[str, Forward] = {}
        for name in reversed(topo.topological_order(self.subtopology.nodes)):
            node = topo.nodes[name]
            if isinstance(node, SinkNode):
                fns[name] = self._build_sink(node)
                self._node_fns.append((name, fns[name]))
                continue
            children = {c: fns[c] for c in topo.children_of(name) if c in fns}
            if isinstance(node, SourceNode):
                forward = fan_out(tuple(children.values()))
                for topic in node.topics:
                    real = topo.resolve_topic(topic, self.app_id)
                    path = self._build_source(node, real, forward)
                    self._paths[real] = path
                    self._sources[real] = path.source
                    self._runs[real] = path.run
                continue
            assert isinstance(node, ProcessorNode)
            ctx = ProcessorContext(self.context, name, children, tuple(node.stores))
            processor = node.supplier()
            self._processors.append(processor)
            fns[name] = compile_processor(processor, ctx)
            self._node_fns.append((name, fns[name]))

    def _build_source(self, node: SourceNode, topic: str, forward: Forward) -> SourcePath:
        """The entry points of ``topic``, from the stages of :mod:`kstreams.runtime.record_path`."""
        key_serde = self._serde(node.key_serde, True, node)
        value_serde = self._serde(node.value_serde, False, node)
        kfast = key_serde.fast_deserializer()
        vfast = value_serde.fast_deserializer()
        extractor = node.timestamp_extractor or self.config.timestamp_extractor
        if type(extractor) is FailOnInvalidTimestamp:
            extractor = None  # the timestamp stage does the same inline, without a call per record
        if extractor is not None and hasattr(extractor, "extract"):
            extractor = extractor.extract
        ctx = self.context
        shape = Shape(
            key_fast=kfast is not None,
            value_fast=vfast is not None,
            extractor=extractor is not None,
            partition_times=self._tracks_partition_times,
        )
        return record_path.build(
            shape,
            {
                "topic": topic,
                "name": node.name,
                "ctx": ctx,
                "consumed": self._consumed,
                "metrics": self.metrics,
                "kdes": key_serde.deserialize,
                "vdes": value_serde.deserialize,
                "kfast": kfast,
                "vfast": vfast,
                "extractor": extractor,
                "partition_time": self._partition_times.setdefault(topic, {}),
                "forward": forward,
                "on_deserialization_error": self._on_deserialization_error,
                "on_processing_error": self._on_processing_error,
                "processing_failure": self.processing_failure,
                "stream_punctuations": ctx.stream_punctuations.entries,
                "punctuate_stream_time": self.punctuate_stream_time,
            },
        )

    def _build_sink(self, node: SinkNode) -> Forward:
        key_serde = self._serde(node.key_serde, True, node)
        value_serde = self._serde(node.value_serde, False, node)
        kser = key_serde.serialize
        vser = value_serde.serialize
        collector = self.collector
        send = collector.send
        partitioner = node.partitioner
        if isinstance(partitioner, WindowedPartitioner) and isinstance(key_serde, WindowedSerde):
            partitioner = partitioner.bind(key_serde)  # its inner serde may be the default
        extractor = node.topic_extractor
        topo = self.topology
        app_id = self.app_id
        static_topic = None if node.topic is None else topo.resolve_topic(node.topic, app_id)
        record_context = ProcessorContext(self.context, node.name, {})
        name = node.name

        on_serialization_error = self._on_serialization_error

        def serialize(
            topic: str, key: Any, value: Any, ts: int, headers: Headers
        ) -> tuple[Any, Any] | None:
            # the slow path after a failed fast one: the full serializers, and if they fail
            # too, production.exception.handler decides (None: drop the record)
            origin = SerializationExceptionOrigin.KEY
            try:
                kb = kser(topic, key, headers)
                origin = SerializationExceptionOrigin.VALUE
                return kb, vser(topic, value, headers)
            except Exception as exc:
                on_serialization_error(name, topic, key, value, ts, headers, exc, origin)
                return None

        on_send_error = self._on_send_error

        def deliver(
            topic: str, kb: Any, vb: Any, ts: int, headers: Headers, partition: int | None
        ) -> None:
            # the collector refuses a record too large for its topic before sending it:
            # production.exception.handler decides about it
            try:
                send(topic, kb, vb, ts, headers, partition)
            except RecordTooLargeError as exc:
                on_send_error(name, topic, kb, vb, ts, headers, exc)

        kfast = key_serde.fast_serializer()
        vfast = value_serde.fast_serializer()
        produce_fn = getattr(collector, "produce_fn", None)
        produce = None if produce_fn is None else produce_fn()
        record_limit = getattr(collector, "record_limit", None)
        if static_topic is not None and self._send_failures is not None:
            self._send_failures.add_sink(static_topic, name)
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
            limit = None if record_limit is None else record_limit(topic_)

            refused = produce_refusal(name, topic_, on_send_error)
            cap = None if limit is None else limit - CHECK_MARGIN
            step = fast_sink_step(
                name, topic_, kfast, vfast, produce, serialize, refused, deliver, cap
            )
            return fuse(step, None)  # the last step: it forwards nowhere

        def sink(key: Any, value: Any, ts: int, headers: Headers) -> None:
            topic = static_topic
            if topic is None:
                topic = topo.resolve_topic(extractor(key, value, record_context), app_id)  # type: ignore[misc]
            try:
                kb = kser(topic, key, headers)
                vb = vser(topic, value, headers)
            except Exception:
                pair = serialize(topic, key, value, ts, headers)
                if pair is None:
                    return
                kb, vb = pair
            partition = None
            if partitioner is not None:
                partition = partitioner(topic, key, value, collector.partitions_for(topic))
            try:
                send(topic, kb, vb, ts, headers, partition)
            except RecordTooLargeError as exc:
                on_send_error(name, topic, kb, vb, ts, headers, exc)

        place = None
        if isinstance(partitioner, WindowedPartitioner) and partitioner.serde is key_serde:
            place = partitioner.fast_placer()  # the sink's own key serde: its bytes are the key's
        if (
            static_topic is not None
            and place is not None
            and vfast is not None
            and produce is not None
        ):
            limit = None if record_limit is None else record_limit(static_topic)
            return windowed_fast_sink(
                name,
                static_topic,
                place,
                vfast,
                produce,
                limit,
                collector.partitions_for,
                sink,
                deliver,
                on_send_error,
            )
        return sink

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

        Generated from the same stages as :meth:`run_for`; without :meth:`process`'s wrapper.
        """
        return self._sources[topic]

    def record_path_source(self, topic: str) -> str:
        """The Python code of ``topic``'s entry points (see :mod:`kstreams.runtime.record_path`)."""
        return self._paths[topic].text

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

    # -- closing ------------------------------------------------------------------------------
    def close(self, clean: bool = False) -> None:
        """Close every processor and store of the task (``clean``: after a successful commit)."""
        errors = self._close_processors()
        try:
            self.stores.close(clean)
        except StreamsError as exc:
            errors.append(exc)
        if errors:
            raise StreamsError(
                f"Task {self.id}: error while closing processors: {errors[0]}"
            ) from errors[0]

    def recycle(self) -> TaskStores:
        """Close the processors and hand the stores over open, with their checkpoints and
        uncommitted writes dropped, to a standby task of this instance (Kafka Streams'
        recycling of an active task into a standby; call it right after a commit). A
        processor that fails to close closes the stores too, then raises."""
        errors = self._close_processors()
        if errors:
            try:
                self.stores.close()
            finally:
                raise StreamsError(
                    f"Task {self.id}: error while closing processors: {errors[0]}"
                ) from errors[0]
        return recycle(self.stores)

    def _close_processors(self) -> list[Exception]:
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
        return errors

    def __repr__(self) -> str:
        return f"StreamTask({self.id})"


_NOT_SET: Any = object()


def _frame_node(frame: Any, candidates: list[tuple[str, Any]]) -> str | None:
    """Which of the node functions sharing ``frame``'s code the frame runs (by its closure)."""
    if len(candidates) == 1:
        return candidates[0][0]
    names = frame.f_code.co_freevars
    local = frame.f_locals
    for name, fn in candidates:
        cells = fn.__closure__ or ()
        if all(
            local.get(n, _NOT_SET) is c.cell_contents for n, c in zip(names, cells, strict=False)
        ):
            return name
    return None


def _where(node: Any) -> str:
    """``source node X (topics a, b)`` / ``sink node Y (topic t)`` for error messages."""
    if isinstance(node, SinkNode):
        target = "a topic extractor" if node.topic is None else f"topic {node.topic}"
        return f"Sink node {node.name} ({target})"
    return f"Source node {node.name} (topics {', '.join(node.topics)})"
