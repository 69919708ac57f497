"""The global thread: fills and updates the instance's global stores (Java: ``GlobalStreamThread``,
``GlobalStateManagerImpl``, ``GlobalStateUpdateTask``).

One per ``KafkaStreams`` instance whose topology has global stores (``builder.global_table``,
``Topology.add_global_store``). Its consumer (``<client.id>-global-consumer``, no consumer
group: ``assign`` only, ``read_committed`` under exactly-once) reads *every* partition of every
global topic. ``start()`` restores the stores fully (up to each partition's end as the thread
starts) before it returns, so no stream thread processes a record before the global tables
are loaded; then the thread keeps them up to date, flushing the stores and writing the
checkpoint every ``commit.interval.ms``.

The global topics are the stores' changelogs (no ``-changelog`` topic). The offsets reached
are kept in ``<state.dir>/<application.id>/global/.checkpoint`` in Kafka Streams' format
(``0``, the number of entries, then ``<topic> <partition> <offset>`` lines), for persistent
stores: a clean restart reads only the tail. In-memory stores are restored in full.

Records go through the same :class:`~kstreams.runtime.task.StreamTask` code as stream tasks:
a record that cannot be deserialized goes to ``deserialization.exception.handler`` (and a
processing error to ``processing.exception.handler``), during restoration as afterwards. An
error that escapes them stops the thread and the client (the uncaught-exception handler is
told; as in Kafka Streams, REPLACE_THREAD does not apply to the global thread: the client
shuts down).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, TopicPartition

from kstreams.errors import StreamsError
from kstreams.processor.task_id import TaskId
from kstreams.runtime.client_diagnostics import ClientDiagnostics
from kstreams.runtime.clients import close_consumer
from kstreams.runtime.queries import ReadOnlyCompositeStore
from kstreams.runtime.restore import _call as call_listener
from kstreams.runtime.task import StreamTask
from kstreams.state.errors import StreamsNotStartedError, StreamsStoppedError
from kstreams.topology.nodes import Subtopology
from kstreams.topology.topology import Topology

log = logging.getLogger("kstreams")
client_log = logging.getLogger("kstreams.client")

CHECKPOINT_FILE = ".checkpoint"
"""The global stores' checkpoint, in ``<state.dir>/<application.id>/global``."""

_CHECKPOINT_VERSION = 0


class GlobalTaskId(TaskId):
    """The id of the global stores' task: ``str()`` is ``"global"`` (its state directory)."""

    def __str__(self) -> str:
        return "global"


GLOBAL_TASK_ID = GlobalTaskId(-1, -1)


def global_subtopology(topology: Topology) -> Subtopology | None:
    """All the global stores' node groups as one (they run in one task), or None."""
    groups = topology.global_subtopologies()
    if not groups:
        return None
    nodes = [n for g in groups for n in g.nodes]
    topics = [t for g in groups for t in g.source_topics]
    return Subtopology(-1, nodes, topics, [])


class _NoOutput:
    """The global task's collector: a global store's processor has no sink; a record sent
    anyway (a dead-letter record of a handler) is refused loudly, never dropped silently."""

    def send(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        timestamp: int,
        headers: Any,
        partition: int | None,
    ) -> None:
        raise StreamsError(
            f"the global thread cannot produce records (a record for topic {topic!r}): global "
            "store processors have no sinks, and dead-letter records of the global topics are "
            "not produced; log them from the exception handler instead"
        )

    def send_changelog(self, topic: str, *args: Any, **kwargs: Any) -> None:
        raise StreamsError(f"global stores have no changelog (a record for {topic!r})")

    def partitions_for(self, topic: str) -> int:
        return 1


def create_global_task(
    topology: Topology, config: Any, wall_clock: Callable[[], int], collector: Any = None
) -> StreamTask | None:
    """The task that runs every global store's source and processor, or None without any.

    Its stores live in ``<state.dir>/<application.id>/global``.
    """
    sub = global_subtopology(topology)
    if sub is None:
        return None
    return StreamTask(GLOBAL_TASK_ID, topology, sub, config, collector or _NoOutput(), wall_clock)


# -- the checkpoint ------------------------------------------------------------------------------
def read_checkpoint(path: str) -> dict[tuple[str, int], int]:
    """The offsets of a checkpoint file (``{}`` when there is none)."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        return {}
    if not lines:
        return {}
    version = int(lines[0])
    if version != _CHECKPOINT_VERSION:
        raise StreamsError(f"Unknown offset checkpoint version {version} in {path}")
    count = int(lines[1])
    offsets: dict[tuple[str, int], int] = {}
    for line in lines[2 : 2 + count]:
        topic, partition, offset = line.rsplit(" ", 2)
        offsets[(topic, int(partition))] = int(offset)
    if len(offsets) != count:
        raise StreamsError(f"Expected {count} entries in {path} but found {len(offsets)}")
    return offsets


def write_checkpoint(path: str, offsets: dict[tuple[str, int], int]) -> None:
    """Write ``offsets`` atomically (a temporary file, then a rename), as Java's ``OffsetCheckpoint``."""
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(f"{_CHECKPOINT_VERSION}\n{len(offsets)}\n")
        for (topic, partition), offset in sorted(offsets.items()):
            f.write(f"{topic} {partition} {offset}\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


# -- the thread ----------------------------------------------------------------------------------
class GlobalStreamThread(threading.Thread):
    """Keeps the global stores of one client up to date. Internal: ``KafkaStreams`` runs it.

    Args:
        topology: The topology (with global stores).
        config: The client's ``StreamsConfig``.
        client_id: The client id (the thread is ``<client_id>-GlobalStreamThread``).
        on_error: Told of an error that stops the thread (before it closes).
    """

    def __init__(
        self,
        topology: Topology,
        config: Any,
        client_id: str,
        on_error: Callable[[GlobalStreamThread, BaseException], None],
    ) -> None:
        self.client_id = f"{client_id}-GlobalStreamThread"
        super().__init__(name=self.client_id, daemon=True)
        self.topology = topology
        self.config = config
        self._on_error = on_error
        consumer_config = config.global_consumer_config(client_id)
        if config.exactly_once:
            consumer_config["isolation.level"] = "read_committed"
        consumer_config["enable.partition.eof"] = True
        ClientDiagnostics.install(consumer_config, client_log)
        self.consumer = Consumer(consumer_config)
        self.stores: dict[str, Any] = {}
        """The global stores by name, once :meth:`initialize` ran (shared with stream tasks)."""
        self.thread_state = "CREATED"
        self.restore_listener: Any = None
        self.task: StreamTask | None = None
        self._positions: dict[tuple[str, int], int] = {}
        """Per partition, the next offset to read (what the checkpoint keeps)."""
        self._stopping = threading.Event()
        self._initialized = threading.Event()
        self._startup_error: BaseException | None = None
        self._store_of: dict[tuple[str, int], str] = {}
        """The global store each partition restores."""
        self._checkpoint_path = ""
        self._persistent = False
        self._last_flush = 0.0
        self.restored_records = 0
        """How many records restoration read (the tail after a clean restart)."""

    # -- start: initialize and restore ------------------------------------------------------------
    def start_and_wait(self) -> None:
        """Start the thread and return once the global stores are restored (Java's
        ``GlobalStreamThread.start``); raise what made restoration fail."""
        self.start()
        while not self._initialized.wait(0.05):
            if not self.is_alive():
                break
        if self._startup_error is not None:
            raise self._startup_error

    def _initialize(self) -> None:
        self.task = create_global_task(self.topology, self.config, _wall_ms)
        if self.task is None:
            raise StreamsError("the topology has no global stores")
        self.stores.update(self.task.stores.stores)
        directory = self.task.stores.directory
        assert directory is not None
        self._checkpoint_path = os.path.join(directory, CHECKPOINT_FILE)
        self._persistent = all(
            getattr(s, "persistent", False) for s in self.task.stores.stores.values()
        )
        checkpoint = read_checkpoint(self._checkpoint_path) if self._persistent else {}
        app_id = self.config.application_id
        partitions: list[TopicPartition] = []
        for spec in self.topology.global_stores.values():
            topic = spec.topic
            real = self.topology.resolve_topic(topic, app_id)
            meta = self.consumer.list_topics(real, timeout=15.0).topics.get(real)
            if meta is None or meta.error is not None or not meta.partitions:
                raise StreamsError(
                    f"Global store topic {real} does not exist or has no partitions "
                    f"({None if meta is None else meta.error})"
                )
            for p in sorted(meta.partitions):
                start = checkpoint.get((real, p))
                self._positions[(real, p)] = start if start is not None else OFFSET_BEGINNING
                partitions.append(
                    TopicPartition(real, p, start if start is not None else OFFSET_BEGINNING)
                )
                self._store_of[(real, p)] = spec.store_name
                if self.restore_listener is not None:
                    low, high = self.consumer.get_watermark_offsets(
                        TopicPartition(real, p), timeout=15.0
                    )
                    call_listener(
                        self.restore_listener,
                        "on_restore_start",
                        (real, p),
                        spec.store_name,
                        low if start is None else start,
                        high,
                    )
        self.consumer.assign(partitions)
        self._restore({(tp.topic, tp.partition) for tp in partitions})
        self._flush()

    def _restore(self, pending: set[tuple[str, int]]) -> None:
        """Read every partition up to its end (a partition-EOF event each)."""
        started = time.monotonic()
        timeout_s = max(60.0, self.config.task_timeout_ms / 1000.0)
        last_progress = started
        listener = self.restore_listener
        totals = dict.fromkeys(pending, 0)
        while pending and not self._stopping.is_set():
            msgs = self.consumer.consume(1000, 0.1)
            if msgs:
                last_progress = time.monotonic()
            batch: dict[tuple[str, int], int] = {}
            for msg in msgs:
                err = msg.error()
                if err is not None:
                    if err.code() == KafkaError._PARTITION_EOF:
                        tp = (msg.topic(), msg.partition())
                        self._positions[tp] = msg.offset()
                        if tp in pending:
                            pending.discard(tp)
                            self._report(listener, tp, batch.pop(tp, 0), totals[tp], True)
                        continue
                    self._consumer_error(err)
                    continue
                self._process(msg)
                self.restored_records += 1
                tp = (msg.topic(), msg.partition())
                if tp in pending:
                    batch[tp] = batch.get(tp, 0) + 1
                    totals[tp] += 1
            for tp, n in batch.items():
                self._report(listener, tp, n, totals[tp], False)
            if time.monotonic() - last_progress > timeout_s:
                raise StreamsError(
                    f"Global state restoration made no progress for {timeout_s:.0f}s; still "
                    f"waiting for {sorted(pending)}"
                )
        log.info(
            "global-stream-thread [%s] restored %d records of the global stores in %.2fs",
            self.client_id,
            self.restored_records,
            time.monotonic() - started,
        )

    def _report(
        self, listener: Any, tp: tuple[str, int], batch: int, total: int, end: bool
    ) -> None:
        """Tell the global state restore listener about a batch (and the end) of ``tp``."""
        if listener is None:
            return
        store = self._store_of[tp]
        if batch:
            position = self._positions[tp]
            call_listener(listener, "on_batch_restored", tp, store, position - 1, batch)
        if end:
            call_listener(listener, "on_restore_end", tp, store, total)

    def _consumer_error(self, err: Any) -> None:
        if err.fatal() or not err.retriable():
            if err.code() in (KafkaError._TRANSPORT, KafkaError._ALL_BROKERS_DOWN):
                log.warning("global-stream-thread [%s] %s", self.client_id, err)
                return
            raise KafkaException(err)
        log.warning("global-stream-thread [%s] %s", self.client_id, err)

    def _process(self, msg: Any) -> None:
        assert self.task is not None
        self.task.process_message(msg)
        self._positions[(msg.topic(), msg.partition())] = msg.offset() + 1

    def _flush(self) -> None:
        """Flush the stores to disk and write the checkpoint (Java's ``flushState``)."""
        assert self.task is not None
        self.task.prepare_commit()
        self.task.commit_stores({})
        if self._persistent:
            offsets = {tp: o for tp, o in self._positions.items() if o >= 0}
            write_checkpoint(self._checkpoint_path, offsets)
        self._last_flush = time.monotonic()

    # -- the loop -------------------------------------------------------------------------------
    def run(self) -> None:
        try:
            self.thread_state = "STARTING"
            try:
                self._initialize()
            except BaseException as exc:
                self._startup_error = exc
                raise
            finally:
                self._initialized.set()
            self.thread_state = "RUNNING"
            interval = self.config.commit_interval_ms / 1000.0
            while not self._stopping.is_set():
                for msg in self.consumer.consume(1000, 0.1):
                    err = msg.error()
                    if err is not None:
                        if err.code() == KafkaError._PARTITION_EOF:
                            self._positions[(msg.topic(), msg.partition())] = msg.offset()
                        else:
                            self._consumer_error(err)
                        continue
                    self._process(msg)
                if time.monotonic() - self._last_flush >= interval:
                    self._flush()
            self._flush()
            self._close(clean=True)
        except BaseException as exc:
            self.thread_state = "PENDING_SHUTDOWN"
            if self._startup_error is None:
                try:
                    self._on_error(self, exc)
                except Exception:
                    log.exception("global-stream-thread [%s] error callback failed", self.client_id)
            self._close(clean=False)
        finally:
            self.thread_state = "DEAD"

    def _close(self, clean: bool) -> None:
        if self.task is not None:
            try:
                self.task.close(clean)
            except Exception as exc:
                log.error("global-stream-thread [%s] closing the stores: %s", self.client_id, exc)
            self.task = None
        self.release()

    def release(self) -> None:
        """Close the consumer (also for a thread that never started)."""
        consumer, self.consumer = self.consumer, None  # type: ignore[assignment]
        if consumer is not None:
            close_consumer(consumer)

    def shutdown(self) -> None:
        """Ask the thread to stop (it flushes, checkpoints and closes its stores)."""
        self._stopping.set()


def _wall_ms() -> int:
    return int(time.time() * 1000)


class ReadOnlyGlobalStore(ReadOnlyCompositeStore):
    """An interactive-query view of a global store: the local store holds every key, so it
    answers for all of them (Java's ``GlobalStateStoreProvider``)."""

    def __init__(self, name: str, client_state: Callable[[], str], stores: dict[str, Any]) -> None:
        super().__init__(name, client_state)
        self._global = stores

    def _stores(self) -> list[Any]:
        state = self._client_state()
        if state == "CREATED":
            raise StreamsNotStartedError(
                f"KafkaStreams has not been started: store {self.name!r} cannot be queried; "
                "retry after calling start()"
            )
        if state not in ("RUNNING", "REBALANCING"):
            raise StreamsStoppedError(
                f"KafkaStreams is {state}: store {self.name!r} cannot be queried any more"
            )
        store = self._global.get(self.name)
        if store is None:
            raise StreamsNotStartedError(
                f"The global store {self.name!r} is not initialized yet; retry"
            )
        return [store]
