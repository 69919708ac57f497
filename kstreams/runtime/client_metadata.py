"""Where the application's stores live, across its instances (Kafka Streams' metadata queries).

:class:`ClientMetadata` is mixed into :class:`~kstreams.runtime.kafka_streams.KafkaStreams`:
``metadata_for_all_clients()``, ``streams_metadata_for_store()`` and
``query_metadata_for_key()`` answer from the records every instance publishes to
``<application.id>-metadata`` (:mod:`kstreams.runtime.metadata_publisher`) when
``application.server`` is set; ``all_local_store_partition_lags()`` reads this instance's
changelog positions against the changelogs' ends.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from confluent_kafka import TopicPartition as KafkaTopicPartition
from confluent_kafka.admin import OffsetSpec

from kstreams.processor.task_id import TaskId
from kstreams.runtime.client_state import State
from kstreams.runtime.metadata_publisher import MetadataPublisher
from kstreams.runtime.streams_metadata import (
    HostInfo,
    KeyQueryMetadata,
    StreamsMetadata,
    build_metadata,
    key_query_metadata,
)
from kstreams.runtime.task_manager import TaskState
from kstreams.state.errors import (
    StreamsNotStartedError,
    StreamsStoppedError,
    UnknownStateStoreError,
)
from kstreams.topology.topology import Topology

LATEST = -2
"""Position of a store that is caught up (Java's ``Task.LATEST_OFFSET``): lag 0."""

UNKNOWN_PARTITION = -1
"""The partition of ``KeyQueryMetadata`` for a global store (every instance has every key)."""


@dataclass(frozen=True)
class LagInfo:
    """How far a local store partition is behind its changelog (Java: ``LagInfo``).

    ``current_offset_position``: the changelog offset the local store reached;
    ``end_offset_position``: the changelog's end; ``offset_lag``: the difference (never < 0).
    """

    current_offset_position: int
    end_offset_position: int

    @property
    def offset_lag(self) -> int:
        """``end_offset_position - current_offset_position`` (at least 0)."""
        return max(0, self.end_offset_position - self.current_offset_position)


class ClientMetadata:
    """The metadata-query methods of ``KafkaStreams`` (mixed into it)."""

    topology: Topology
    config: Any
    process_id: Any
    _lock: threading.RLock
    _state: State
    _threads: list[Any]
    _publisher: MetadataPublisher | None
    _host_info: HostInfo | None
    _topic_partitions: dict[str, int]

    @property
    def host_info(self) -> HostInfo | None:
        """This instance's ``application.server`` (None when it is not set)."""
        return self._host_info

    def _validate_is_running_or_rebalancing(self) -> None:
        state = self._state
        if state is State.CREATED:
            raise StreamsNotStartedError(
                "KafkaStreams has not been started, you can retry after calling start()"
            )
        if not state.is_running_or_rebalancing():
            raise StreamsStoppedError(f"KafkaStreams is not running. State is {state.value}.")

    def _local_tasks(
        self,
    ) -> tuple[
        frozenset[str],
        dict[TaskId, frozenset[tuple[str, int]]],
        dict[TaskId, frozenset[tuple[str, int]]],
    ]:
        """This instance's consumers and its active and standby tasks (for the publisher)."""
        consumers: set[str] = set()
        active: dict[TaskId, frozenset[tuple[str, int]]] = {}
        standby: dict[TaskId, frozenset[tuple[str, int]]] = {}
        for m in self.metadata_for_local_threads():  # type: ignore[attr-defined]
            if m.thread_state == "DEAD":
                continue
            consumers.add(m.main_consumer_client_id)
            for t in m.active_tasks:
                active[t.task_id] = frozenset(t.topic_partitions)
            for t in m.standby_tasks:
                standby[t.task_id] = frozenset(t.topic_partitions)
        return frozenset(consumers), active, standby

    def _store_sources(self) -> dict[str, frozenset[str]]:
        """Each store's source topics (resolved), as Kafka Streams' ``sourceTopicsForStore``."""
        cached: dict[str, frozenset[str]] | None = getattr(self, "_store_sources_cache", None)
        if cached is not None:
            return cached
        topology, app_id = self.topology, self.config.application_id
        out: dict[str, frozenset[str]] = {}
        for sub in topology.subtopologies():
            topics = frozenset(topology.resolve_topic(t, app_id) for t in sub.source_topics)
            for store in topology.stores_of(sub):
                out[store] = out.get(store, frozenset()) | topics
        self._store_sources_cache = out  # the topology never changes
        return out

    def _all_metadata(self) -> list[StreamsMetadata] | None:
        """Every instance's metadata; None while it is not known (not read to the end yet)."""
        publisher = self._publisher
        if publisher is None:
            return []  # as Kafka Streams without application.server: no endpoints known
        if not publisher.initialized:
            return None
        version = publisher.version
        cached = getattr(self, "_metadata_cache", None)
        if cached is not None and cached[0] is publisher and cached[1] == version:
            return list(cached[2])
        metadata = build_metadata(
            publisher.live_records(), self._store_sources(), self.topology.global_stores
        )
        self._metadata_cache = (publisher, version, metadata)
        return list(metadata)

    def metadata_for_all_clients(self) -> list[StreamsMetadata]:
        """Every instance of the application that hosts tasks (Java: ``metadataForAllClients``).

        From the records the instances publish through ``<application.id>-metadata`` (set
        ``application.server`` on each); empty without ``application.server``, and until this
        instance read that topic once after ``start()``. Sorted by host and port.

        Raises:
            StreamsNotStartedError: The client is CREATED.
            StreamsStoppedError: The client is shutting down or stopped.
        """
        self._validate_is_running_or_rebalancing()
        return self._all_metadata() or []

    def streams_metadata_for_store(self, store_name: str) -> list[StreamsMetadata]:
        """The instances hosting ``store_name``, active or standby (Java:
        ``streamsMetadataForStore``); every instance for a global store.

        Raises:
            UnknownStateStoreError: The topology has no such store.
            StreamsNotStartedError: The client is CREATED.
            StreamsStoppedError: The client is shutting down or stopped.
        """
        self._validate_is_running_or_rebalancing()
        self._check_store(store_name)
        metadata = self._all_metadata() or []
        if store_name in self.topology.global_stores:
            return metadata
        return [
            m
            for m in metadata
            if store_name in m.state_store_names or store_name in m.standby_state_store_names
        ]

    def query_metadata_for_key(
        self,
        store_name: str,
        key: Any,
        key_serializer: Any = None,
        partitioner: Callable[[str, Any, Any, int], Any] | None = None,
    ) -> KeyQueryMetadata:
        """Which instance hosts ``key`` of ``store_name`` (Java: ``queryMetadataForKey``).

        Example::

            meta = streams.query_metadata_for_key("counts", "apple", Serdes.String())
            if meta.active_host == streams.host_info:
                value = streams.store("counts").get("apple")
            else:
                ...  # ask http://{meta.active_host.endpoint}/stores/counts/apple

        The key's partition is the one the default producer partitioner (murmur2 over
        ``key_serializer``'s bytes, a ``Serde`` or a ``serialize(topic, key)`` callable;
        default: the store's key serde) gives it in the store's source topic with the most
        partitions, or ``partitioner(topic, key, value, num_partitions)``'s when the input
        was written with a custom one. The key need not exist.

        Returns :attr:`KeyQueryMetadata.NOT_AVAILABLE` until this instance read the
        application's metadata once, and an ``active_host`` of :meth:`HostInfo.unavailable`
        while no instance hosts the partition (a rebalance is moving it: retry). Without
        ``application.server`` every host is unavailable, as in Kafka Streams.

        Raises:
            UnknownStateStoreError: The topology has no such store.
            StreamsNotStartedError: The client is CREATED.
            StreamsStoppedError: The client is shutting down or stopped.
        """
        if key is None:
            raise ValueError("query_metadata_for_key: key must not be None")
        self._validate_is_running_or_rebalancing()
        self._check_store(store_name)
        metadata = self._all_metadata()
        if metadata is None:
            return KeyQueryMetadata.NOT_AVAILABLE
        if store_name in self.topology.global_stores:
            host = self._host_info or (metadata[0].host_info if metadata else None)
            return KeyQueryMetadata(host or HostInfo.unavailable(), frozenset(), UNKNOWN_PARTITION)
        sources = self._store_sources().get(store_name, frozenset())
        counts = self._partition_counts(sources)
        if key_serializer is None and partitioner is None:
            key_serializer = self._store_key_serde(store_name)
        return key_query_metadata(
            store_name, key, metadata, sources, counts, key_serializer, partitioner
        )

    def store_partition_hosts(self, store_name: str) -> tuple[int, dict[int, HostInfo]] | None:
        """The store's partition count and the active host of each partition that has one.

        What a caller reading a whole store across instances needs to ask each partition of
        exactly one instance (the HTTP server's ``GET /stores/<store>``); None while the
        metadata is not known yet.

        Raises:
            UnknownStateStoreError: The topology has no such store (or it is global).
            StreamsNotStartedError: The client is CREATED.
            StreamsStoppedError: The client is shutting down or stopped.
        """
        self._validate_is_running_or_rebalancing()
        if store_name not in self.topology.state_stores:
            raise UnknownStateStoreError(
                f"Store {store_name!r} is not a partitioned store of the topology (it has "
                f"{sorted(self.topology.state_stores)})"
            )
        metadata = self._all_metadata()
        if metadata is None:
            return None
        sources = self._store_sources().get(store_name, frozenset())
        counts = self._partition_counts(sources)
        count = max(counts.values(), default=0)
        owners: dict[int, HostInfo] = {}
        for m in metadata:
            if store_name in m.state_store_names:
                for topic, partition in m.topic_partitions:
                    if topic in sources:
                        owners[partition] = m.host_info
        return count, owners

    def _check_store(self, store_name: str) -> None:
        topology = self.topology
        if store_name not in topology.state_stores and store_name not in topology.global_stores:
            raise UnknownStateStoreError(
                f"Cannot get metadata of state store {store_name!r}: no such store is "
                f"registered in the topology (it has {sorted(topology.state_stores)})"
            )

    def _partition_counts(self, topics: frozenset[str]) -> dict[str, int]:
        known = self._topic_partitions
        missing = [t for t in topics if t not in known]
        if missing:
            md = self.admin.list_topics(timeout=10)  # type: ignore[attr-defined]
            for t in missing:
                info = md.topics.get(t)
                if info is not None and info.error is None and info.partitions:
                    known[t] = len(info.partitions)
        return {t: known[t] for t in topics if t in known}

    def _store_key_serde(self, store_name: str) -> Any:
        builder = self.topology.state_stores[store_name]
        serde = getattr(builder, "key_serde", None)
        return serde if serde is not None else self.config.default_key_serde()

    def all_local_store_partition_lags(self) -> dict[str, dict[int, LagInfo]]:
        """Per store and partition, how far each local store is behind its changelog (Java:
        ``allLocalStorePartitionLags``): ``{store: {partition: LagInfo}}``.

        For every task of this instance that has the store. As in Kafka Streams, a running
        active task's store is caught up (lag 0); a restoring one is at the changelog offset
        its restoration reached, and a standby task's store at the one it read up to.
        Reads the changelogs' ends from the brokers on every call:
        call it every few seconds at most. Stores without a changelog are left out.
        """
        tasks: list[tuple[TaskId, TaskState, Any]] = []
        positions: dict[tuple[str, int], tuple[str, int]] = {}
        for thread in list(self._threads):
            manager = getattr(thread, "task_manager", None)
            if manager is None:
                continue
            tasks.extend(manager.snapshot()[0])
            for task_id, standby in manager.standby_tasks().items():
                for store_name, (topic, position) in standby.positions().items():
                    positions[(topic, task_id.partition)] = (store_name, position)
        for task_id, state, task in tasks:
            stores = getattr(task.stores, "stores", {})
            for store_name, store in list(stores.items()):
                topic = getattr(store, "changelog_topic", None)
                if not topic:
                    continue
                if state is TaskState.RUNNING:
                    position = LATEST  # as Java: a running active store is caught up
                else:  # restoring: the next changelog offset to read (0: from the start)
                    stored = store.restore_offset()
                    position = 0 if stored is None else stored + 1
                positions[(topic, task_id.partition)] = (store_name, position)
        if not positions:
            return {}
        request = {KafkaTopicPartition(t, p): OffsetSpec.latest() for t, p in positions}
        futures = self.admin.list_offsets(request, request_timeout=10)  # type: ignore[attr-defined]
        out: dict[str, dict[int, LagInfo]] = {}
        for ktp, fut in futures.items():
            end = fut.result().offset
            store_name, position = positions[(ktp.topic, ktp.partition)]
            current = end if position == LATEST else min(position, end)
            out.setdefault(store_name, {})[ktp.partition] = LagInfo(current, end)
        return {s: dict(sorted(v.items())) for s, v in sorted(out.items())}
