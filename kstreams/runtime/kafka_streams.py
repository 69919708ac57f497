"""``KafkaStreams``: runs a topology against a Kafka cluster (Java: ``KafkaStreams``).

Example::

    streams = KafkaStreams(builder.build(), {
        "application.id": "order-router",
        "bootstrap.servers": "localhost:9092",
        "default.key.serde": Serdes.String(),
        "default.value.serde": Serdes.String(),
    })
    streams.start()
    ...
    streams.close()

Start more processes with the same ``application.id`` to share the work: they
form one consumer group and split the input partitions.

Lifecycle (as Kafka Streams): state changes happen under one lock; the state listener is
called outside it, by the thread that made the change. Shutting down (``close()``, or an
uncaught stream-thread error that shuts the client down) is done by a close thread: it tells
every stream thread to stop, joins them, releases the state directory and moves to
NOT_RUNNING (or ERROR). A replacement stream thread (``REPLACE_THREAD``) is created and
started under the lock only while the client is running, so none is started once shutting
down began and every one started is joined. ``close()`` waits for the close thread, except
where waiting could deadlock: called from a stream thread (a processor, the uncaught-exception
handler), from the close thread or from a state listener, it only starts the shutdown and
returns (False unless the client already stopped), and the calling thread stops afterwards.

What a stream thread's or the global thread's failure leads to (the uncaught-exception
handler, REPLACE_THREAD) lives in :mod:`kstreams.runtime.client_failures`; metrics, thread
metadata, health and ``store()`` (interactive queries) in
:mod:`kstreams.runtime.client_queries`; where the stores of every instance live
(``query_metadata_for_key()``...) in :mod:`kstreams.runtime.client_metadata`, published by
:mod:`kstreams.runtime.metadata_publisher` when ``application.server`` is set.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from kstreams.config import StreamsConfig
from kstreams.errors import ConfigError, IllegalStateError, StreamsError
from kstreams.runtime.client_diagnostics import ClientDiagnostics
from kstreams.runtime.client_failures import ClientFailures
from kstreams.runtime.client_metadata import ClientMetadata
from kstreams.runtime.client_queries import ClientQueries, seconds_of
from kstreams.runtime.client_state import (
    TRANSITIONS,
    State,
    StateListener,
    UncaughtExceptionHandler,
)
from kstreams.runtime.clients import ClosableAdmin
from kstreams.runtime.global_thread import GlobalStreamThread
from kstreams.runtime.metadata_publisher import MetadataPublisher, ensure_metadata_topic
from kstreams.runtime.shutdown_progress import describe_shutdown
from kstreams.runtime.standby_placement import StandbyPlacement
from kstreams.runtime.state_directory import StateDirectory
from kstreams.runtime.stream_thread import StreamThread, client_log
from kstreams.runtime.streams_metadata import HostInfo
from kstreams.runtime.topics import prepare_topics
from kstreams.topology.topology import Topology

log = logging.getLogger("kstreams")


class KafkaStreams(ClientFailures, ClientQueries, ClientMetadata):
    """A client that runs ``topology`` with ``num.stream.threads`` stream threads.

    Unknown or invalid settings raise :class:`~kstreams.errors.ConfigError` here,
    at construction, naming the key.
    """

    State = State

    def __init__(self, topology: Topology, config: Mapping[str, Any] | StreamsConfig) -> None:
        if not isinstance(topology, Topology):
            raise TypeError(f"topology must be a Topology (builder.build()), got {topology!r}")
        self.topology = topology
        self.config = config if isinstance(config, StreamsConfig) else StreamsConfig(config)
        # As Kafka Streams: only a topology with state owns (and locks) its state directory
        # and keeps its process id there; a stateless one gets a fresh id every start.
        self.state_directory = StateDirectory(
            self.config.state_dir, self.config.application_id, enabled=bool(topology.state_stores)
        )
        self.process_id = self.state_directory.process_id()
        base = self.config.get("client.id") or f"{self.config.application_id}-{self.process_id}"
        self.client_id: str = base
        self._lock = threading.RLock()
        self._state = State.CREATED
        self._state_listener: StateListener | None = None
        self._handler: UncaughtExceptionHandler | None = None
        self._thread_states: dict[int, str] = {}
        self.error: BaseException | None = None
        """The stream thread error that shut the client down (ERROR), if any."""
        self._closed = threading.Event()
        """Set once the close thread finished (NOT_RUNNING or ERROR reached and announced)."""
        self._close_step = "not started"
        """What the close thread is doing (a close() that times out logs it)."""
        self._own_threads: set[threading.Thread] = set()
        """Every stream thread and close thread of this client (close() never waits on them)."""
        self._callbacks = threading.local()
        """``depth``: how many of this client's user callbacks the current thread is inside."""
        self._replacing: dict[StreamThread, BaseException] = {}
        """Threads the uncaught-exception handler chose to replace, once they are DEAD."""
        self._threads: list[StreamThread] = []
        self._global_stores: dict[str, Any] = {}
        """The global stores (filled by the global thread before the stream threads start)."""
        self._global_thread: GlobalStreamThread | None = None
        self._host_info: HostInfo | None = HostInfo.build_from_endpoint(
            self.config.application_server
        )
        self._publisher: MetadataPublisher | None = None
        """Publishes and tails ``<application.id>-metadata`` (only with application.server)."""
        self._topic_partitions: dict[str, int] = {}
        """Partition counts of the topics (read at start; the key-to-partition math needs them)."""
        self.admin_client_id = f"{base}-admin"
        admin_config = self.config.admin_config(client_id=self.admin_client_id)
        # librdkafka's lines and errors reach kstreams.client during start-up too (the admin
        # is polled while start() waits), and an unreachable cluster's error quotes them.
        self._admin_diagnostics = ClientDiagnostics.install(admin_config, client_log)
        try:
            self.admin: ClosableAdmin = ClosableAdmin(AdminClient(admin_config), base)
        except KafkaException as exc:
            raise ConfigError(f"Invalid client configuration: {exc.args[0]}") from exc
        try:
            if topology.global_stores:
                self._global_thread = GlobalStreamThread(
                    topology, self.config, base, self._on_global_thread_error
                )
                self._own_threads.add(self._global_thread)
            num_threads = self.config.num_stream_threads
            if topology.global_stores and not topology.subtopologies():
                log.info(
                    "stream-client [%s] overriding number of StreamThreads to zero for "
                    "global-only topology",
                    base,
                )
                num_threads = 0  # as Kafka Streams: only the global thread runs
            for i in range(1, num_threads + 1):
                self._threads.append(self._new_thread(i))
        except BaseException as exc:
            self._release_clients()  # a client built so far would live on, reconnecting
            if isinstance(exc, KafkaException):
                raise ConfigError(f"Invalid client configuration: {exc.args[0]}") from exc
            raise
        self._next_thread_index = self.config.num_stream_threads + 1
        self._standby_placement = self._new_standby_placement()
        for t in self._threads:
            t.standby_placement = self._standby_placement
        for key, resolve in (
            ("default.key.serde", self.config.default_key_serde),
            ("default.value.serde", self.config.default_value_serde),
        ):
            if self.config.get(key) is not None:
                resolve()  # an unknown serde name fails here, naming the key

    def _new_standby_placement(self) -> StandbyPlacement | None:
        """Where this instance's standby tasks go (``num.standby.replicas`` > 0 and tasks with
        logged stores), derived from the consumer group: :mod:`~kstreams.runtime.standby_placement`."""
        if self.config.num_standby_replicas <= 0:
            return None
        placement = StandbyPlacement(
            self.admin,
            self.config.application_id,
            self.client_id,
            self.topology,
            self.config.num_standby_replicas,
            live_threads=lambda: [t.index for t in self._threads if t.thread_state != "DEAD"],
        )
        return placement if placement.shadows_anything else None

    def _new_thread(self, index: int) -> StreamThread:
        thread = StreamThread(
            index,
            self.topology,
            self.config,
            self.client_id,
            self.admin,
            self._on_thread_state,
            self._on_thread_error,
            str(self.process_id),
            self.config.num_stream_threads,
        )
        thread.restore_listener = getattr(self, "_restore_listener", None)
        thread.global_stores = self._global_stores
        thread.standby_placement = getattr(self, "_standby_placement", None)
        self._own_threads.add(thread)
        return thread

    def _call_back(self, callback: Callable[..., Any], *args: Any) -> Any:
        """Call a user callback (state listener, uncaught-exception handler), counting the depth."""
        depth = getattr(self._callbacks, "depth", 0)
        self._callbacks.depth = depth + 1
        try:
            return callback(*args)
        finally:
            self._callbacks.depth = depth

    def _must_not_wait(self) -> bool:
        """Whether close() on this thread must not wait: the shutdown may need this thread."""
        return (
            threading.current_thread() in self._own_threads
            or getattr(self._callbacks, "depth", 0) > 0
        )

    # -- state ----------------------------------------------------------------------------------
    @property
    def state(self) -> State:
        """The current :class:`State`."""
        return self._state

    def set_state_listener(self, listener: StateListener) -> None:
        """Call ``listener(new_state, old_state)`` on every state change. Only before ``start()``."""
        if self._state is not State.CREATED:
            raise IllegalStateError(
                "Can only set StateListener before calling start(). "
                f"Current state is: {self._state.value}"
            )
        self._state_listener = listener

    def set_uncaught_exception_handler(self, handler: UncaughtExceptionHandler) -> None:
        """Decide what happens when a stream thread dies: replace it or shut the client down."""
        if self._state is not State.CREATED:
            raise IllegalStateError(
                "Can only set UncaughtExceptionHandler before calling start(). "
                f"Current state is: {self._state.value}"
            )
        self._handler = handler

    def _transition(self, new: State, error: BaseException | None = None) -> State | None:
        """Move to ``new`` if that is a valid transition; the old state, else None.

        Takes the lock; call :meth:`_announce` afterwards, without holding it.
        """
        with self._lock:
            old = self._state
            if new is old and new is not State.REBALANCING:
                return None
            if new not in TRANSITIONS[old]:
                return None
            self._state = new
            if error is not None:
                self.error = error
        return old

    def _announce(self, new: State, old: State) -> None:
        """Log a transition and tell the state listener (never under the lock)."""
        log.info(
            "stream-client [%s] State transition from %s to %s",
            self.client_id,
            old.value,
            new.value,
        )
        if self._state_listener is not None and new is not old:
            try:
                self._call_back(self._state_listener, new, old)
            except Exception:
                log.exception("state listener failed")

    def _set_state(self, new: State) -> bool:
        old = self._transition(new)
        if old is None:
            return False
        self._announce(new, old)
        return True

    def _on_thread_state(self, thread: StreamThread, state: str) -> None:
        if state == "DEAD" and thread in self._replacing:
            self._replace_thread(thread, self._replacing.pop(thread))
            return
        with self._lock:
            self._thread_states[thread.index] = state
            states = set(self._thread_states.values()) - {"DEAD"}
            current = self._state
        if current.is_shutting_down():
            return
        if states and states <= {"RUNNING"}:
            self._set_state(State.RUNNING)
        elif (
            state in ("PARTITIONS_REVOKED", "PARTITIONS_ASSIGNED", "STARTING")
            and current is State.RUNNING
        ):
            self._set_state(State.REBALANCING)

    def _begin_shutdown(self, error: BaseException | None = None) -> bool:
        """Move to PENDING_SHUTDOWN (PENDING_ERROR with ``error``) and start the close thread.

        False if the client is already shutting down (or stopped).
        """
        new = State.PENDING_SHUTDOWN if error is None else State.PENDING_ERROR
        old = self._transition(new, error)
        if old is None:
            return False
        self._announce(new, old)
        closer = threading.Thread(
            target=self._shutdown,
            args=(error is not None,),
            name=f"{self.client_id}-CloseThread",
            daemon=True,
        )
        self._own_threads.add(closer)
        closer.start()
        return True

    def _shutdown(self, error: bool) -> None:
        """The close thread: stop and join every stream thread, release the state, stop."""
        with self._lock:  # no thread is added from here on: the state is PENDING_*
            threads = list(self._threads)
        for t in threads:
            t.shutdown()
        for t in threads:
            if t.is_alive():
                self._close_step = f"waiting for {t.name} to stop"
                t.join()
        global_thread = self._global_thread
        if global_thread is not None:  # stopped after the stream threads, as in Kafka Streams
            self._close_step = "waiting for the global thread to stop"
            global_thread.shutdown()
            if global_thread.is_alive() and global_thread is not threading.current_thread():
                global_thread.join()
        if self._publisher is not None:  # the threads left the group: retract this instance
            self._close_step = "closing the metadata publisher"
            self._publisher.close()
        self._close_step = "closing the clients and releasing the state directory"
        self._release_clients()
        try:
            self.state_directory.unlock()
        except Exception as exc:  # the client must still reach NOT_RUNNING / ERROR
            log.error(
                "stream-client [%s] could not release %s: %s",
                self.client_id,
                self.state_directory.path,
                exc,
            )
        self._set_state(State.ERROR if error else State.NOT_RUNNING)
        self._closed.set()

    def _release_clients(self) -> None:
        """Close the clients of the threads that never started, and the admin client.

        A thread that ran closed its own; without this a client closed after a failed
        ``start()`` (or never started) would keep its librdkafka clients reconnecting.
        """
        for t in self._threads:
            t.release()
        if self._global_thread is not None and not self._global_thread.is_alive():
            self._global_thread.release()
        self.admin.close()

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> None:
        """Check the cluster and the topics, create internal topics and start the stream threads.

        Raises:
            ClusterUnreachableError: no broker of ``bootstrap.servers`` answered within
                :data:`~kstreams.runtime.topics.CONNECT_TIMEOUT_S` (15 s); names the addresses
                and librdkafka's reason for each.
            MissingSourceTopicError: a source topic does not exist.
            MissingSinkTopicError: an output topic (a sink with a topic name, or the dead-letter
                queue topic) does not exist and the brokers do not auto-create topics.
        """
        with self._lock:
            if self._state is not State.CREATED:
                raise IllegalStateError(
                    f"The client is either already started or already stopped, cannot re-start. "
                    f"Current state: {self._state.value}"
                )
            # under the lock, while CREATED: a close() coming later unlocks it
            self.state_directory.lock()
        try:
            self._topic_partitions = prepare_topics(
                self.admin, self.topology, self.config, diagnostics=self._admin_diagnostics
            )
            if self._host_info is not None:
                ensure_metadata_topic(self.admin, self.config)
                self._publisher = MetadataPublisher(
                    self.config,
                    self.client_id,
                    str(self.process_id),
                    self._host_info,
                    self._local_tasks,
                    self.admin,
                )
        except BaseException:
            self.state_directory.unlock()
            raise
        if not self._set_state(State.REBALANCING):
            log.info("stream-client [%s] closed while starting", self.client_id)
            return
        if self._global_thread is not None:
            # as Kafka Streams: the global stores are restored before any stream thread starts
            try:
                self._global_thread.start_and_wait()
            except BaseException as exc:
                self._begin_shutdown(error=exc)
                raise
            self._global_stores.update(self._global_thread.stores)
            if not self._threads:
                self._set_state(State.RUNNING)  # a global-only topology
                return
        with self._lock:  # a state listener may have closed the client meanwhile
            if self._state.is_shutting_down():
                return
            if self._publisher is not None:
                self._publisher.start()
            for t in self._threads:
                t.start()

    def close(self, timeout: timedelta | float | None = None) -> bool:
        """Stop processing: each thread commits what it processed and leaves the group.

        Waits up to ``timeout`` (seconds or timedelta; None: as long as it takes; 0: not at
        all) for the client to reach NOT_RUNNING (or ERROR) and returns whether it did. If
        it does not get there in time, it logs what the shutdown waits for (each stream
        thread's step), the shutdown goes on in the background and a later ``close()`` waits
        for it again.

        Called from a stream thread (a processor or punctuator, the uncaught-exception
        handler), or from a state listener, it only starts the shutdown and returns at once
        (False unless the client already stopped): waiting there could deadlock. The calling
        stream thread stops once it returns to its loop, as in Kafka Streams.

        Raises:
            ValueError: ``timeout`` is negative.
        """
        seconds = seconds_of(timeout)
        if seconds is not None and seconds < 0:
            raise ValueError(f"close() timeout must not be negative, got {timeout!r}")
        self._begin_shutdown()
        if self._state.has_completed_shutdown() and (
            self._closed.is_set() or self._must_not_wait()
        ):
            return True
        if self._must_not_wait():
            log.info(
                "stream-client [%s] close() called from %s: shutting down without waiting",
                self.client_id,
                threading.current_thread().name,
            )
            return False
        if self._closed.wait(seconds):
            return True
        (log.warning if seconds else log.info)(
            "stream-client [%s] did not stop within the close timeout (%s s); the shutdown "
            "goes on: %s",
            self.client_id,
            seconds,
            describe_shutdown(self._close_step, self._threads, self._global_thread),
        )
        return False

    def __enter__(self) -> KafkaStreams:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def set_global_state_restore_listener(self, listener: Any) -> None:
        """Tell ``listener`` about store restoration (``on_restore_start``/``on_batch_restored``/``on_restore_end``)."""
        if self._state is not State.CREATED:
            raise IllegalStateError(
                "Can only set GlobalStateRestoreListener before calling start()."
            )
        for t in self._threads:
            t.restore_listener = listener
        if self._global_thread is not None:
            self._global_thread.restore_listener = listener
        self._restore_listener = listener

    def cleanup(self) -> None:
        """Delete this application's local state directory (Java: ``cleanUp``); only when not running."""
        if self._state.is_running_or_rebalancing() or self._state is State.PENDING_SHUTDOWN:
            raise IllegalStateError("Cannot clean up while running.")
        shutil.rmtree(
            os.path.join(self.config.state_dir, self.config.application_id), ignore_errors=True
        )

    def wait_until_running(self, timeout: float = 60.0) -> None:
        """Block until the client is RUNNING (handy in tests and examples)."""
        deadline = time.monotonic() + timeout
        while self._state is not State.RUNNING:
            if self._state in (State.ERROR, State.PENDING_ERROR, State.NOT_RUNNING):
                raise StreamsError(f"KafkaStreams stopped ({self._state.value}): {self.error}")
            if time.monotonic() > deadline:
                raise StreamsError(
                    f"KafkaStreams not RUNNING after {timeout}s ({self._state.value})"
                )
            time.sleep(0.05)
