"""``StreamThread``: one consumer, one producer and the tasks of the partitions it owns.

The loop: consume a batch, run each record through its task, serve delivery
reports, fire wall-clock punctuations, and commit every
``commit.interval.ms``. At-least-once commit order: flush the producer (every
output and changelog record acknowledged), then commit the input offsets.
Partitions are assigned by the consumer group (``range`` assignor, so equal
partition numbers of co-partitioned topics land on the same thread). The
thread's :class:`~kstreams.runtime.task_manager.TaskManager` owns the tasks:
the rebalance callbacks record the assignment (and pause new partitions),
commit and suspend what is revoked, close what is lost; the loop creates and
resumes tasks after the poll that brought the assignment, and restores new tasks
in bounded steps between polls (:mod:`kstreams.runtime.changelog_reader`): the
thread keeps its place in the group and its running tasks keep processing while
others restore. The thread is ``PARTITIONS_ASSIGNED`` until every task runs, then
``RUNNING``. Committing and recovering from a failed commit live in
:mod:`kstreams.runtime.thread_commit`.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

from kstreams.errors import StreamsError, TaskMigratedError
from kstreams.processor.task_id import TaskId
from kstreams.runtime.changelog_offsets import consumer_committed_offsets
from kstreams.runtime.changelog_reader import ChangelogReader
from kstreams.runtime.client_diagnostics import ClientDiagnostics
from kstreams.runtime.clients import close_consumer
from kstreams.runtime.collector import KafkaRecordCollector, configure_delivery_reports
from kstreams.runtime.committer import (
    AtLeastOnceCommitter,
    ExactlyOnceCommitter,
    TransactionAbortedError,
)
from kstreams.runtime.group_protocol import choose_group_protocol
from kstreams.runtime.metrics import TaskMetrics
from kstreams.runtime.send_errors import TransactionCorruptedError
from kstreams.runtime.standby_tasks import standby_tasks_for
from kstreams.runtime.static_rejoin import UnreleasedInstanceId, is_unreleased_instance_id
from kstreams.runtime.streams_producer import StreamsProducer
from kstreams.runtime.task import StreamTask
from kstreams.runtime.task_manager import TaskManager
from kstreams.runtime.task_offsets import apply_offset_resets, initialize_tasks
from kstreams.runtime.thread_close import CLOSE_FLUSH_TIMEOUT_S as CLOSE_FLUSH_TIMEOUT_S
from kstreams.runtime.thread_close import ThreadClosing
from kstreams.runtime.thread_commit import ThreadCommitting
from kstreams.state.caching import ThreadCache
from kstreams.topology.topology import Topology

log = logging.getLogger("kstreams")
client_log = logging.getLogger("kstreams.client")
"""Where librdkafka's own log lines go (instead of stderr)."""


CONSUME_BATCH = 1000
"""Records asked of ``Consumer.consume`` per call."""

TASK_CREATE_BUDGET_S = 0.1
"""How long one loop iteration may spend creating new tasks (opening their stores, ~15-60 ms
each) before it polls again; the rest are created in the next iterations."""


def _wall_ms() -> int:
    return int(time.time() * 1000)


class StreamThread(ThreadCommitting, ThreadClosing, threading.Thread):
    """Runs the tasks of one consumer-group member. Internal: ``KafkaStreams`` manages these."""

    def __init__(
        self,
        index: int,
        topology: Topology,
        config: Any,
        client_id: str,
        admin: Any,
        on_state: Callable[[StreamThread, str], None],
        on_error: Callable[[StreamThread, BaseException], None],
        process_id: str = "",
        num_threads: int = 1,
    ) -> None:
        self.client_id = f"{client_id}-StreamThread-{index}"
        super().__init__(name=self.client_id, daemon=True)
        self.index = index
        self.topology = topology
        self.config = config
        self.admin = admin
        # the main consumer's reads (retried): not the admin client's, which crashes on a
        # moving coordinator (see consumer_committed_offsets)
        self._committed_offsets = consumer_committed_offsets(
            lambda tps: self._committed_retrying(tps), config.application_id
        )
        self._on_state = on_state
        self._on_error = on_error
        self.app_id: str = config.application_id
        # the group protocol the user chose, else classic until the loop asked the brokers
        # (run(): a consumer of the other protocol replaces this one before it subscribes)
        self.group_protocol = config.group_protocol or "classic"
        self._unreleased = UnreleasedInstanceId(
            f"stream-thread [{self.client_id}]", config.task_timeout_ms / 1000.0
        )
        self._refused: Any = None
        """The consumer's UNRELEASED_INSTANCE_ID error, for the loop to join again."""
        self.consumer = self._main_consumer(self.group_protocol)
        transactional_id = f"{self.app_id}-{process_id}-{index}" if config.exactly_once else None
        producer_config = config.producer_config(
            client_id=f"{self.client_id}-producer", transactional_id=transactional_id
        )
        ClientDiagnostics.install(producer_config, client_log)
        self.collector = KafkaRecordCollector(None)
        self.collector.admin = admin  # topic configs (record limits), closed with the client
        logged = any(topology.changelog_topic(s, self.app_id) for s in topology.state_stores)
        self.collector.offsets_from_log = configure_delivery_reports(producer_config, logged)
        self._streams_producer = StreamsProducer(
            producer_config, self.collector.on_delivery, f"stream-thread [{self.client_id}]"
        )
        self.producer = self._streams_producer.producer
        self.collector.producer = self.producer
        if config.exactly_once:
            self.committer: ExactlyOnceCommitter | AtLeastOnceCommitter = ExactlyOnceCommitter(
                self.consumer,
                self.producer,
                self.collector,
                self.client_id,
                stall_timeout_s=config.task_timeout_ms / 1000.0,
                replace_producer=self._replace_producer,
            )
        else:
            self.committer = AtLeastOnceCommitter(
                self.consumer, self.producer, self.collector, self.client_id
            )
        restore_config = config.restore_consumer_config(
            client_id=f"{self.client_id}-restore-consumer"
        )
        # read_uncommitted: its high watermark is the log end even while a transaction is open
        end_config = dict(restore_config, **{"isolation.level": "read_uncommitted"})
        end_config["client.id"] = f"{self.client_id}-restore-end-consumer"
        ClientDiagnostics.install(restore_config, client_log)
        ClientDiagnostics.install(end_config, client_log)
        self.restore_consumer = Consumer(restore_config)
        self.end_consumer = Consumer(end_config)
        self.restore_listener: Any = None
        self.global_stores: dict[str, Any] = {}
        """The client's global stores (set by ``KafkaStreams`` before the thread starts)."""
        self.changelog_reader = ChangelogReader(
            self.restore_consumer,
            self.end_consumer,
            self._committed_offsets,
            listener=lambda: self.restore_listener,
            timeout_s=config.task_timeout_ms / 1000.0,
            client_id=self.client_id,
            admin=admin,
        )
        self.task_manager = TaskManager(
            topology,
            self.app_id,
            self._new_task,
            self.changelog_reader,
            self.client_id,
            initialize_tasks=self._initialize_tasks,
            create_budget_s=TASK_CREATE_BUDGET_S,
            lock_scope=os.path.join(os.path.abspath(config.state_dir), self.app_id),
        )
        self.standby_placement: Any = None
        """Where this instance's standby tasks go (set by ``KafkaStreams``; None: none)."""
        if config.num_standby_replicas > 0 and logged:
            self.task_manager.standbys = standby_tasks_for(self, self.end_consumer)
        self._stop_event = threading.Event()
        self._dirty = False
        self.thread_state = "CREATED"
        self.close_step: str | None = None
        """What its shutdown is doing (None: still in its loop); a close that times out says."""
        self._topic_sub = {
            topology.resolve_topic(t, self.app_id): topology.subtopology_of_topic(t)
            for t in topology.source_topics()
        }
        self._resets = {
            topology.resolve_topic(t, self.app_id): topology.source_for_topic(t).offset_reset
            for t in topology.source_topics()
            if topology.source_for_topic(t).offset_reset is not None
        }
        self._internal_sources = {
            topology.resolve_topic(t, self.app_id)
            for t in topology.source_topics()
            if topology.is_internal(t)
        }
        self._purge_offsets: dict[tuple[str, int], int] = {}
        self._last_purge = time.monotonic()
        self.metrics = TaskMetrics()
        self.commits = 0
        # progress, as time.monotonic() readings (None: not yet); written by the loop once per
        # iteration or commit, never per record, and read by metadata() on other threads
        self.last_poll: float | None = None
        self.last_processed: float | None = None
        self.last_commit: float | None = None
        self.wall_offset = time.time() - time.monotonic()
        # statestore.cache.max.bytes is shared by the threads (Kafka Streams divides it too)
        self.cache = ThreadCache(config.statestore_cache_max_bytes // max(1, num_threads))

    def _main_consumer(self, protocol: str) -> Any:
        consumer_config = self.config.main_consumer_config(
            group_id=self.app_id,
            client_id=f"{self.client_id}-consumer",
            thread_index=self.index,
            group_protocol=protocol,
        )
        # librdkafka's lines go to kstreams.client, a line repeated within 10 s once
        ClientDiagnostics.install(consumer_config, client_log)
        self._default_reset = str(consumer_config.get("auto.offset.reset", "earliest"))
        self._instance_id = consumer_config.get("group.instance.id")
        return Consumer(consumer_config)

    def _choose_group_protocol(self) -> None:
        """Ask the brokers for the group protocol (unless the user chose it); replace the
        main consumer (not subscribed yet) if it was made for the other one."""
        protocol = choose_group_protocol(
            self.config, self.admin, f"stream-thread [{self.client_id}]"
        )
        log.info(
            "stream-thread [%s] joins its group with group.protocol=%s", self.client_id, protocol
        )
        if protocol == self.group_protocol:
            return
        old = self.consumer
        self.consumer = self._main_consumer(protocol)
        self.committer.consumer = self.consumer
        self.group_protocol = protocol
        err = close_consumer(old)
        if err is not None:
            log.debug("stream-thread [%s] closing the unused consumer: %s", self.client_id, err)

    @property
    def incremental(self) -> bool:
        """Whether rebalances are incremental (the consumer protocol): a callback names only
        the partitions added or revoked."""
        return self.group_protocol == "consumer"

    @property
    def tasks(self) -> dict[TaskId, StreamTask]:
        """The running tasks of this thread."""
        return self.task_manager.running()

    @property
    def _tp_entries(self) -> dict[tuple[str, int], tuple[Any, StreamTask]]:
        # per input partition of a running task: its batch entry point (None: buffer) and task
        return self.task_manager.entries

    @property
    def _multi(self) -> list[StreamTask]:
        return self.task_manager.multi

    # -- lifecycle ----------------------------------------------------------------------------
    def shutdown(self) -> None:
        """Ask the loop to stop; it commits and closes its tasks on the way out."""
        self._stop_event.set()

    def _set_state(self, state: str) -> None:
        self.thread_state = state
        self._on_state(self, state)

    def run(self) -> None:
        """The thread's life: the loop, then the clean-up; whatever fails reaches ``on_error``.

        An exception anywhere in the loop (start-up, processing, commit, rebalance callbacks)
        goes to ``on_error`` first (the client logs it once and asks the uncaught-exception
        handler), then the thread closes its tasks and clients; the clean-up never raises
        over that error (:meth:`_close_all`).
        """
        failure: BaseException | None = None
        try:
            self._run_loop()
        except BaseException as exc:
            failure = exc
        if failure is not None:
            self._dirty = True
            try:
                self._on_error(self, failure)
            except BaseException as exc:  # a bug of ours: the failure must still be seen
                log.error(
                    "stream-thread [%s] failed (reporting it failed too: %s): %s",
                    self.client_id,
                    exc,
                    failure,
                    exc_info=failure,
                )
        try:
            self._set_state("PENDING_SHUTDOWN")
            self._close_all(clean=failure is None, failure=failure)
        except BaseException as exc:  # a bug of ours: still end DEAD, and say so once
            log.error(
                "stream-thread [%s] failed while shutting down: %s",
                self.client_id,
                exc,
                exc_info=exc,
            )
        finally:
            self._set_state("DEAD")

    def _run_loop(self) -> None:
        self.last_poll = time.monotonic()  # started: the loop's first round is under way
        self._set_state("STARTING")
        self._choose_group_protocol()
        self.committer.start()
        topics = sorted(self._topic_sub)
        self._subscribe(topics)
        cfg = self.config
        max_records = CONSUME_BATCH
        poll_s = cfg.poll_ms / 1000.0
        commit_s = cfg.commit_interval_ms / 1000.0
        next_commit = time.monotonic() + commit_s
        consume = self.consumer.consume
        collector = self.collector
        manager = self.task_manager
        metrics = self.metrics
        processed = metrics.processed
        while not self._stop_event.is_set():
            # take what is ready; if nothing is, wait for the first record only (consume(n, t)
            # would wait for n records or the whole timeout), then take the rest that is ready
            msgs = consume(max_records, 0)
            if not msgs and not manager.restoring() and not manager.creating:
                # restoring or creating tasks: no waiting for input
                msgs = consume(1, poll_s)
                if msgs:
                    msgs.extend(consume(max_records - 1, 0))
            if msgs:
                # before the assignment is acted on: a record goes to the task that ran when
                # it was fetched, or to none. A rebalance callback (or the rewind of a lost
                # partition under exactly-once) in the second consume above may have closed
                # its task and moved its partition back to the committed offset; a task
                # created for it now would process the first call's record, fetched from the
                # old position, then again when the partition is read again from there
                self._process_batch(msgs)
                if self._refused is not None:  # a new consumer: its instance id was still held
                    self._join_again(topics)
                    consume = self.consumer.consume
            if manager.pending:
                self._handle_assignment()
            elif manager.restoring():
                self._restore_step()
            if self.standby_placement is not None:
                manager.standby_round(self.standby_placement.standbys_for(self.index))
            collector.poll()
            try:
                collector.check_errors()
            except TransactionCorruptedError as exc:
                self._recover_corrupted(exc)
            running = manager.running().values()
            for task in running:
                task.punctuate_wall_clock()
            now = time.monotonic()
            self.last_poll = now
            if metrics.processed != processed:
                processed = metrics.processed
                self.last_processed = now
            if now >= next_commit or any(t.commit_requested for t in running):
                self.commit_or_recover()
                # counted from the commit's end, as Kafka Streams' maybeCommit: a slow commit
                # (an exactly-once transaction's round trips) leaves a full interval of work
                next_commit = time.monotonic() + commit_s
                self._maybe_purge()

    def _subscribe(self, topics: list[str]) -> None:
        if self.incremental:
            # the consumer learns its topics (and their ids) first: under the consumer protocol
            # the broker assigns partitions by topic id, and librdkafka holds back those of a
            # topic its metadata does not know yet, e.g. a repartition topic start() just
            # created, until a later metadata refresh (seconds)
            for topic in topics:
                self.consumer.list_topics(topic, timeout=10)
        self.consumer.subscribe(
            topics, on_assign=self._on_assign, on_revoke=self._on_revoke, on_lost=self._on_lost
        )

    def _join_again(self, topics: list[str]) -> None:
        """Replace the consumer the coordinator refused (UNRELEASED_INSTANCE_ID made it fatal)
        with a new one after a backoff (:mod:`kstreams.runtime.static_rejoin`)."""
        err, self._refused = self._refused, None
        wait_s = self._unreleased.refused(err, self._instance_id)  # raises after task.timeout.ms
        old = self.consumer
        self.consumer = self._main_consumer(self.group_protocol)
        self.committer.consumer = self.consumer
        close_err = close_consumer(old)
        if close_err is not None:
            log.debug(
                "stream-thread [%s] closing the refused consumer: %s", self.client_id, close_err
            )
        if not self._stop_event.wait(wait_s):
            self._subscribe(topics)

    def _process_batch(self, msgs: list[Any]) -> None:
        """Run each message through its task.

        ``consume`` returns messages in runs of one partition: each run goes to its task's
        batch entry point (:meth:`StreamTask.run_for`), which takes the messages of that
        partition that follow and hands back the first one of another partition.
        """
        entries = self._tp_entries
        rest = iter(msgs)
        msg = next(rest, None)
        try:
            while msg is not None:
                entry = entries.get((msg.topic(), msg.partition()))
                if entry is None or msg.error() is not None:
                    self._unroutable(msg)
                else:
                    run, task = entry
                    if run is not None:
                        msg = run(msg, rest)  # raises StreamsError only
                        continue
                    task.buffer(msg)
                msg = next(rest, None)
        except StreamsError:
            raise
        except Exception as exc:
            assert msg is not None
            task = entries[(msg.topic(), msg.partition())][1]
            raise task.processing_failure(msg.topic(), msg.partition(), msg.offset(), exc) from exc
        for task in self._multi:
            task.process_buffered()

    def _unroutable(self, msg: Any) -> None:
        err = msg.error()
        if err is not None:
            self._consumer_error(err)
            return
        # a record fetched before its partition was revoked, lost or rewound (or its task
        # suspended): it is not processed, and its offset is not committed, so its next owner
        # (or this thread, from the committed offset) reads it again
        log.debug(
            "stream-thread [%s] no running task for %s-%s; record left for its owner",
            self.client_id,
            msg.topic(),
            msg.partition(),
        )

    def _consumer_error(self, err: Any) -> None:
        if err.code() == KafkaError._PARTITION_EOF:
            return
        manager = self.task_manager
        if is_unreleased_instance_id(err) and not manager.tasks and not manager.assignment:
            self._refused = err  # the loop joins again with a new consumer
            return
        if err.fatal() or err.code() == KafkaError._FATAL:  # a message's error is not .fatal()
            raise KafkaException(err)
        if err.code() in (KafkaError.UNKNOWN_TOPIC_OR_PART, KafkaError.TOPIC_AUTHORIZATION_FAILED):
            raise StreamsError(
                f"The consumer cannot read its input: {err}. Check that the topic exists "
                "and that the principal may read it."
            )
        log.warning("stream-thread [%s] consumer error (retrying): %s", self.client_id, err)

    # -- rebalancing --------------------------------------------------------------------------
    def _on_assign(self, consumer: Any, partitions: list[Any]) -> None:
        # record the assignment and pause the partitions whose task does not run yet; the
        # loop creates and restores the tasks after this poll (_handle_assignment)
        self._set_state("PARTITIONS_ASSIGNED")
        self._unreleased.joined()
        if self._resets:
            apply_offset_resets(consumer, partitions, self._resets)
        tps = [(tp.topic, tp.partition) for tp in partitions]
        if self.incremental:  # only what is added: the rest keeps running
            consumer.incremental_assign(partitions)
            paused = self.task_manager.added(tps)
        else:
            consumer.assign(partitions)
            paused = self.task_manager.assigned(tps)
            # every partition starts again from its committed offset: a rewind left for
            # the next commit interval has nothing left to do (it would close the new tasks)
            self._rewind_due = False
        if paused:
            consumer.pause([TopicPartition(t, p) for t, p in paused])

    def _handle_assignment(self) -> None:
        if self._rewind_due:
            # the partitions waiting for their rewind (paused) get no task before it: one
            # would process them from where the closed tasks left off, past records whose
            # offsets were never committed. The next commit interval rewinds, then creates
            return
        started = self.task_manager.handle_assignment()
        if started:
            self.consumer.resume([TopicPartition(t, p) for t, p in started])
        if self.task_manager.restoring() or self.task_manager.pending:
            self._set_state("PARTITIONS_ASSIGNED")  # running once every task caught up
        else:
            self._set_state("RUNNING")

    def _restore_step(self) -> None:
        """Restore for a bounded time (between polls); resume the tasks that caught up."""
        manager = self.task_manager
        started = manager.restore_step()
        if started:
            self.consumer.resume([TopicPartition(t, p) for t, p in started])
        if not manager.restoring() and not manager.pending:
            self._set_state("RUNNING")

    def _new_task(
        self, task_id: TaskId, partitions: list[tuple[str, int]], recycled: Any = None
    ) -> StreamTask:
        """The task; ``recycled``: the open stores of its standby here, which it adopts."""
        sub = self.topology.subtopology(task_id.subtopology)
        return StreamTask(
            task_id,
            self.topology,
            sub,
            self.config,
            self.collector,
            _wall_ms,
            partitions,
            self.metrics,
            self.cache,
            global_stores=self.global_stores,
            recycled=recycled,
        )

    def _initialize_tasks(self, tasks: list[StreamTask]) -> None:
        initialize_tasks(
            self._committed_retrying,
            tasks,
            self.client_id,
            self._seek_start,
            self._reset_start,
        )

    def _on_revoke(self, consumer: Any, partitions: list[Any]) -> None:
        # as in Kafka Streams, the tasks losing partitions are committed here, the last moment
        # their offsets can be, and suspended (their stores stay open: under the eager
        # protocol most come straight back in the next assignment)
        self._set_state("PARTITIONS_REVOKED")
        manager = self.task_manager
        losing = manager.revoked((tp.topic, tp.partition) for tp in partitions)
        self._forget_rewind_if_unassigned()
        committed = False
        if not self._dirty and losing:
            try:
                self.commit()
                committed = True
            except (TaskMigratedError, TransactionAbortedError) as exc:
                log.warning(
                    "stream-thread [%s] commit on revocation failed: %s", self.client_id, exc
                )
                self.committer.abort()
        if committed:
            manager.suspend(losing, clean=True)
        else:
            manager.close(losing)
            if losing and self.incremental and self.committer.exactly_once:
                # the aborted transaction held the output of the tasks that stay too: they
                # start again from their committed offsets
                self._rewind()
        self._pause_orphans()
        if self.incremental:
            # no assignment need follow: the loop closes the suspended tasks (under the eager
            # protocol they wait for the next assignment, which most of them are part of)
            manager.pending = True

    def _on_lost(self, consumer: Any, partitions: list[Any]) -> None:
        log.warning(
            "stream-thread [%s] partitions lost %s; closing their tasks without commit",
            self.client_id,
            [(tp.topic, tp.partition) for tp in partitions],
        )
        lost_tps = [(tp.topic, tp.partition) for tp in partitions]
        lost = self.task_manager.lost(lost_tps)
        self._forget_rewind_if_unassigned()
        if lost and self.committer.exactly_once:
            # the open transaction holds the lost tasks' output: abort it, and with it the
            # uncommitted work of every other task, which therefore starts again too
            self._rewind()
            return
        self.task_manager.close(lost)
        self._pause_orphans()

    def _forget_rewind_if_unassigned(self) -> None:
        """A rewind left for the next commit interval concerns the partitions assigned then:
        once none is left, it is dropped (the next assignment starts from the committed
        offsets; a late rewind would close its new tasks and process their records again)."""
        if self._rewind_due and not self.task_manager.assignment:
            self._rewind_due = False

    def release(self) -> None:
        """Close the clients of a thread never started (one that ran closed its own)."""
        if self.ident is not None:
            return
        for what, exc in self._close_clients():
            log.warning("stream-thread [%s] %s failed: %s", self.client_id, what, exc)
        self.thread_state = "DEAD"
