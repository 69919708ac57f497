"""Processor contexts: what a processor sees of its task while it runs.

A :class:`TaskContext` holds what all nodes of one task share: the metadata of
the record being processed, stream time, the task's stores and punctuation
queues. Each node gets its own :class:`ProcessorContext` over it, which knows
that node's children, so ``forward`` needs no "current node" bookkeeping.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from kstreams.errors import StreamsError, TopologyError
from kstreams.processor.metadata import ProcessorMetadata
from kstreams.processor.punctuation import (
    Cancellable,
    PunctuationQueue,
    PunctuationType,
    Punctuator,
    interval_ms,
)
from kstreams.processor.record import Record
from kstreams.serde.base import Headers

if TYPE_CHECKING:
    from kstreams.processor.task_id import TaskId

Forward = Callable[[Any, Any, int, Headers], None]
"""The per-record call between nodes: ``forward(key, value, timestamp, headers)``."""


class RecordMetadata(NamedTuple):
    """Where the current record came from (Java: ``RecordMetadata``)."""

    topic: str
    partition: int
    offset: int


class TaskContext:
    """State shared by every node of one task. Internal: user code sees :class:`ProcessorContext`."""

    __slots__ = (
        "application_id",
        "commit_requested",
        "config",
        "global_stores",
        "headers",
        "metrics",
        "offset",
        "on_commit",
        "on_start",
        "partition",
        "processor_metadata",
        "state_dir",
        "stores",
        "stream_punctuations",
        "stream_time",
        "task_id",
        "timestamp",
        "topic",
        "wall_clock",
        "wall_punctuations",
    )

    def __init__(
        self,
        task_id: TaskId,
        application_id: str,
        config: Mapping[str, Any],
        wall_clock: Callable[[], int],
        state_dir: str | None = None,
    ) -> None:
        self.task_id = task_id
        self.application_id = application_id
        self.config = config
        self.wall_clock = wall_clock
        self.state_dir = state_dir
        self.stores: dict[str, Any] = {}
        self.global_stores: dict[str, Any] = {}
        """The instance's global stores: every processor reads them without being connected."""
        self.metrics: Any = None
        self.topic: str | None = None
        self.partition = -1
        self.offset = -1
        self.headers: Headers = None
        self.timestamp = -1
        self.stream_time = -1
        self.commit_requested = False
        self.processor_metadata = ProcessorMetadata()
        """Committed with the task's offsets; merged from the committed ones when it starts."""
        self.on_commit: list[Callable[[], None]] = []
        """Called before each commit (processors put what they keep in the metadata)."""
        self.on_start: list[Callable[[], None]] = []
        """Called once the task started from its committed metadata (processors read it)."""
        self.stream_punctuations = PunctuationQueue()
        self.wall_punctuations = PunctuationQueue()

    def set_record(
        self, topic: str | None, partition: int, offset: int, timestamp: int, headers: Headers
    ) -> None:
        """Make this the current record's metadata."""
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.timestamp = timestamp
        self.headers = headers


class ProcessorContext:
    """What a processor uses to forward records, schedule punctuations and reach stores.

    Mirrors Java's ``api.ProcessorContext`` in snake_case.
    """

    __slots__ = (
        "_children",
        "_forward_all",
        "_task",
        "key_serde",
        "node_name",
        "stores",
        "value_serde",
    )

    def __init__(
        self,
        task: TaskContext,
        node_name: str,
        children: dict[str, Forward],
        store_names: tuple[str, ...] = (),
        key_serde: Any = None,
        value_serde: Any = None,
    ) -> None:
        self._task = task
        self.node_name = node_name
        self._children = children
        self.stores = store_names
        self.key_serde = key_serde
        self.value_serde = value_serde
        fns = tuple(children.values())
        self._forward_all = fan_out(fns)

    # -- forwarding -------------------------------------------------------------------------
    @property
    def forward_fn(self) -> Forward:
        """The function that passes ``(key, value, timestamp, headers)`` to every child."""
        return self._forward_all

    def child(self, name: str) -> Forward:
        """The forward function of the child node called ``name``."""
        try:
            return self._children[name]
        except KeyError:
            raise StreamsError(
                f"Unknown downstream node {name!r}; {self.node_name} has children "
                f"{sorted(self._children)}"
            ) from None

    def forward(self, record: Record, child: str | None = None) -> None:
        """Send ``record`` to all children, or only to the child named ``child``."""
        fn = self._forward_all if child is None else self.child(child)
        fn(record.key, record.value, record.timestamp, record.headers)

    # -- scheduling -------------------------------------------------------------------------
    def schedule(
        self,
        interval: timedelta | int,
        punctuation_type: PunctuationType,
        callback: Punctuator,
    ) -> Cancellable:
        """Call ``callback(timestamp)`` every ``interval`` of stream or wall-clock time.

        Example::

            context.schedule(timedelta(seconds=10), PunctuationType.WALL_CLOCK_TIME, self.flush)
        """
        ms = interval_ms(interval)
        task = self._task

        def enter() -> None:
            task.set_record(None, -1, -1, now_of(), None)

        if punctuation_type is PunctuationType.STREAM_TIME:

            def now_of() -> int:
                return task.stream_time

            return task.stream_punctuations.schedule(0, ms, callback, enter)
        if punctuation_type is PunctuationType.WALL_CLOCK_TIME:
            now_of = task.wall_clock
            return task.wall_punctuations.schedule(task.wall_clock() + ms, ms, callback, enter)
        raise TypeError(f"punctuation_type must be a PunctuationType, got {punctuation_type!r}")

    # -- state --------------------------------------------------------------------------------
    def get_state_store(self, name: str) -> Any:
        """The state store ``name``: a global store, or a store connected to this processor."""
        if name not in self.stores:
            found = self._task.global_stores.get(name)
            if found is not None:
                return found
            raise TopologyError(
                f"Processor {self.node_name} has no access to StateStore {name} as the store "
                "is not connected to the processor. Connect it with Topology.add_state_store / "
                "connect_processor_and_state_stores or pass the store name to process()."
            )
        try:
            return self._task.stores[name]
        except KeyError:
            raise TopologyError(
                f"State store {name} is not initialized in task {self.task_id}"
            ) from None

    def commit(self) -> None:
        """Ask for a commit as soon as possible (after the current record)."""
        self._task.commit_requested = True

    # -- metadata -----------------------------------------------------------------------------
    @property
    def task_metrics(self) -> Any:
        """The task's counters (``dropped-records-total`` and friends)."""
        return self._task.metrics

    @property
    def task_id(self) -> TaskId:
        """The id of the task this processor runs in."""
        return self._task.task_id

    @property
    def application_id(self) -> str:
        """The ``application.id``."""
        return self._task.application_id

    @property
    def app_configs(self) -> Mapping[str, Any]:
        """The application's configuration."""
        return self._task.config

    @property
    def state_dir(self) -> str | None:
        """The task's state directory."""
        return self._task.state_dir

    @property
    def topic(self) -> str | None:
        """Topic of the current record; None inside a punctuation."""
        return self._task.topic

    @property
    def partition(self) -> int:
        """Partition of the current record; -1 inside a punctuation."""
        return self._task.partition

    @property
    def offset(self) -> int:
        """Offset of the current record; -1 inside a punctuation."""
        return self._task.offset

    @property
    def headers(self) -> Headers:
        """Headers of the current record."""
        return self._task.headers

    @property
    def timestamp(self) -> int:
        """Timestamp of the current record (or the punctuation time)."""
        return self._task.timestamp

    def record_metadata(self) -> RecordMetadata | None:
        """Topic, partition and offset of the current record, or None inside a punctuation."""
        t = self._task
        if t.topic is None:
            return None
        return RecordMetadata(t.topic, t.partition, t.offset)

    def current_stream_time_ms(self) -> int:
        """The task's stream time: the largest timestamp it has processed (-1 before any)."""
        return self._task.stream_time

    def current_system_time_ms(self) -> int:
        """Wall-clock time in milliseconds (the test driver's mock clock in tests)."""
        return self._task.wall_clock()

    # -- processor metadata (internal, as in Java's InternalProcessorContext) -------------------
    def processor_metadata_for_key(self, key: str) -> int | None:
        """The value a processor of this task put under ``key``, or None.

        Processor metadata is committed with the task's input offsets and read back when the
        task starts again (after a restart or a rebalance), the largest value per key over its
        partitions: Kafka Streams' windowed aggregations keep their last emitted window close
        time there, under their store's name. Internal, as in Java.
        """
        return self._task.processor_metadata.get(key)

    def add_processor_metadata_key_value(self, key: str, value: int) -> None:
        """Put ``key`` -> ``value`` (64-bit) in the processor metadata the next commit writes.

        Example (a processor remembering how far it got)::

            context.add_processor_metadata_key_value("my-store", last_emitted_ms)
        """
        self._task.processor_metadata.put(key, value)

    def on_commit(self, hook: Callable[[], None]) -> None:
        """Call ``hook()`` before each commit of the task (internal: to put processor metadata
        once per commit rather than once per record)."""
        self._task.on_commit.append(hook)

    def on_task_start(self, hook: Callable[[], None]) -> None:
        """Call ``hook()`` once the task has read its committed metadata, before it processes
        records (internal: processors are built before that)."""
        self._task.on_start.append(hook)


def fan_out(fns: tuple[Forward, ...]) -> Forward:
    """One forward function that calls each of ``fns`` in turn."""
    if not fns:

        def drop(key: Any, value: Any, ts: int, headers: Headers) -> None:
            return None

        return drop
    if len(fns) == 1:
        return fns[0]

    def all_children(key: Any, value: Any, ts: int, headers: Headers) -> None:
        for fn in fns:
            fn(key, value, ts, headers)

    return all_children
