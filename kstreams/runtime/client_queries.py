"""What a running client answers: metrics, thread metadata, health and interactive queries.

:class:`ClientQueries` is mixed into :class:`~kstreams.runtime.kafka_streams.KafkaStreams`:
``metrics()``, ``metadata_for_local_threads()`` and ``is_healthy()`` read the stream threads'
progress (from any thread, without stopping them); ``store()`` gives the read-only view of a
store over every local task (Kafka Streams' ``store(StoreQueryParameters)``), or of a global
store.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

from kstreams.runtime.client_state import State
from kstreams.runtime.global_thread import ReadOnlyGlobalStore
from kstreams.runtime.metrics import merged as merged_metrics
from kstreams.runtime.queries import LocalStores, ReadOnlyCompositeStore, StoreQueryParameters
from kstreams.runtime.thread_metadata import ThreadMetadata, thread_metadata
from kstreams.runtime.versioned_queries import ReadOnlyCompositeVersionedStore
from kstreams.runtime.window_queries import (
    ReadOnlyCompositeSessionStore,
    ReadOnlyCompositeWindowStore,
)
from kstreams.state.errors import (
    StreamsNotStartedError,
    StreamsStoppedError,
    UnknownStateStoreError,
)
from kstreams.state.versioned_builders import VersionedKeyValueStoreBuilder
from kstreams.state.window_builders import SessionStoreBuilder, WindowStoreBuilder
from kstreams.topology.topology import Topology


def seconds_of(timeout: timedelta | float | None) -> float | None:
    """``timeout`` in seconds (a ``timedelta`` or a number; None stays None)."""
    if timeout is None:
        return None
    if isinstance(timeout, timedelta):
        return timeout.total_seconds()
    return float(timeout)


class ClientQueries:
    """The introspection and interactive-query methods of ``KafkaStreams`` (mixed into it)."""

    topology: Topology
    config: Any
    admin_client_id: str
    _lock: threading.RLock
    _state: State
    _threads: list[Any]
    _global_stores: dict[str, Any]

    def metrics(self) -> dict[str, float]:
        """Metrics over the stream threads (Kafka Streams metric names): ``process-total``,
        ``dropped-records-total``, ``commit-total``, ``record-lateness-avg`` / ``-max`` (NaN
        before any record), and for on-window-close aggregations
        ``window-aggregate-final-emit-total`` and ``-latency-avg`` / ``-max``."""
        threads = list(self._threads)
        out = merged_metrics(t.metrics for t in threads)
        out["commit-total"] = sum(t.commits for t in threads)
        return out

    def metadata_for_local_threads(self) -> list[ThreadMetadata]:
        """One :class:`~kstreams.runtime.thread_metadata.ThreadMetadata` per stream thread.

        As Kafka Streams' ``metadataForLocalThreads()`` (thread name and state, active tasks,
        client ids), plus progress: when each thread last polled, processed a record and
        committed, and how many records and commits it made. A replaced thread is not listed.
        """
        with self._lock:
            threads = list(self._threads)
        return [thread_metadata(t, self.admin_client_id) for t in threads]

    def is_healthy(self, max_idle: timedelta | float = timedelta(seconds=60)) -> bool:
        """Whether the client is running and none of its stream threads is stuck or dead.

        True when the state is RUNNING or REBALANCING and every stream thread is alive and
        its loop polled the consumer within ``max_idle`` (seconds or timedelta). A thread
        without input still polls (every ``poll.ms``), so it stays healthy; one blocked in
        user code, a commit or any call for longer than ``max_idle`` does not, nor does a
        client that is CREATED, shutting down, stopped or in ERROR. Choose ``max_idle`` above
        the longest a record (or a commit) may take.
        """
        seconds = seconds_of(max_idle)
        if seconds is None or seconds <= 0:
            raise ValueError(f"is_healthy() max_idle must be positive, got {max_idle!r}")
        if not self._state.is_running_or_rebalancing():
            return False
        idle = timedelta(seconds=seconds)
        return all(m.polled_within(idle) for m in self.metadata_for_local_threads())

    def store(self, name: str | StoreQueryParameters) -> Any:
        """A read-only view of a store over every local task (interactive queries).

        A key-value store gives a :class:`~kstreams.runtime.queries.ReadOnlyCompositeStore`,
        a versioned store a
        :class:`~kstreams.runtime.versioned_queries.ReadOnlyCompositeVersionedStore`
        (``get(key)``, ``get(key, as_of_timestamp)``),
        a window store a :class:`~kstreams.runtime.window_queries.ReadOnlyCompositeWindowStore`
        (``fetch(key, time_from, time_to)``...), a session store a
        :class:`~kstreams.runtime.window_queries.ReadOnlyCompositeSessionStore`
        (``find_sessions``, ``fetch``...).

        ``name``: a store name, or :class:`~kstreams.runtime.queries.StoreQueryParameters`
        (one partition, stale stores). Only keys of partitions this instance owns are
        visible. Each read raises an :class:`~kstreams.state.InvalidStateStoreError` while
        the store cannot answer truthfully (Kafka Streams' exceptions in Python's spelling):
        ``StreamsNotStartedError`` before ``start()``, ``StreamsRebalancingError`` while a
        rebalance is under way or the store's tasks here are restoring or suspended (retry),
        ``StateStoreMigratedError`` when no task here hosts it, ``StreamsStoppedError`` once
        the client shuts down.

        Raises:
            UnknownStateStoreError: The topology has no store ``name``.
            StreamsNotStartedError: The client is CREATED.
            StreamsStoppedError: The client is shutting down or stopped.
        """
        params = StoreQueryParameters(name) if isinstance(name, str) else name
        store_name = params.store_name
        topology = self.topology
        if store_name in topology.global_stores:
            # every key is local: the global store answers for all of them
            view = ReadOnlyGlobalStore(store_name, lambda: self._state.value, self._global_stores)
            view._stores()  # not started / stopped: raise now, as for other stores
            return view
        if store_name not in topology.state_stores:
            raise UnknownStateStoreError(
                f"Cannot get state store {store_name!r}: no such store is registered in the "
                f"topology (it has {sorted(topology.state_stores)})"
            )
        state = self._state
        if state is State.CREATED:
            raise StreamsNotStartedError(
                f"KafkaStreams has not been started: store {store_name!r} cannot be queried; "
                "retry after calling start()"
            )
        if not state.is_running_or_rebalancing():
            raise StreamsStoppedError(
                f"KafkaStreams is not running. State is {state.value}; store {store_name!r} "
                "cannot be queried."
            )
        sub = next(
            (s for s in topology.subtopologies() if store_name in topology.stores_of(s)), None
        )
        topics = frozenset(
            topology.resolve_topic(t, self.config.application_id)
            for t in (sub.source_topics if sub is not None else ())
        )
        builder = topology.state_stores[store_name]
        view: type[LocalStores] = ReadOnlyCompositeStore
        if isinstance(builder, WindowStoreBuilder):
            view = ReadOnlyCompositeWindowStore
        elif isinstance(builder, SessionStoreBuilder):
            view = ReadOnlyCompositeSessionStore
        elif isinstance(builder, VersionedKeyValueStoreBuilder):
            view = ReadOnlyCompositeVersionedStore
        return view(  # type: ignore[return-value]
            params,
            lambda: self._state.value,
            lambda: list(self._threads),
            None if sub is None else sub.id,
            topics,
        )
