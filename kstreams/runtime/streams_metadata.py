"""Where the stores of an application live: Kafka Streams' ``HostInfo``, ``StreamsMetadata``,
``KeyQueryMetadata`` and the math that finds the instance hosting a key.

:class:`ClientRecord` is what each instance publishes about itself (see
:mod:`kstreams.runtime.metadata_publisher`); :func:`build_metadata` turns the live records into
``StreamsMetadata`` as Kafka Streams' ``StreamsMetadataState`` does, and
:func:`key_query_metadata` / :func:`partition_for_key` answer ``query_metadata_for_key``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from kstreams.errors import ConfigError
from kstreams.processor.task_id import TaskId
from kstreams.serde.windowed import murmur2

__all__ = [
    "ClientRecord",
    "HostInfo",
    "KeyQueryMetadata",
    "StreamsMetadata",
    "build_metadata",
    "default_partition",
    "key_query_metadata",
    "partition_for_key",
]

TopicPartition = tuple[str, int]


@dataclass(frozen=True, order=True)
class HostInfo:
    """An instance's ``application.server`` endpoint (Java: ``HostInfo``).

    Example::

        HostInfo.build_from_endpoint("orders-1.internal:7070")  # HostInfo('orders-1.internal', 7070)
    """

    host: str
    port: int

    @classmethod
    def build_from_endpoint(cls, endpoint: str | None) -> HostInfo | None:
        """Parse ``host:port`` (IPv6 as ``[::1]:7070``); None for an empty endpoint.

        Raises:
            ConfigError: The endpoint is not ``host:port`` with a port in 0-65535.
        """
        if endpoint is None or not endpoint.strip():
            return None
        text = endpoint.strip()
        host, sep, port = text.rpartition(":")
        if host.startswith("[") and host.endswith("]"):
            host = host[1:-1]
        if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
            raise ConfigError(
                f"Error parsing host address {endpoint!r} of 'application.server'. "
                "Expected format host:port (for example localhost:7070)."
            )
        return cls(host, int(port))

    @classmethod
    def unavailable(cls) -> HostInfo:
        """The sentinel for a host not known right now, e.g. during a rebalance (Java's)."""
        return _UNAVAILABLE

    @property
    def endpoint(self) -> str:
        """``host:port`` (IPv6 hosts in brackets): what goes into a URL."""
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    def __str__(self) -> str:
        return self.endpoint


_UNAVAILABLE = HostInfo("unavailable", -1)


@dataclass(frozen=True)
class StreamsMetadata:
    """One instance of the application (Java: ``StreamsMetadata``).

    Attributes:
        host_info: Its ``application.server``.
        state_store_names: Stores of its active tasks (and every global store).
        topic_partitions: Source partitions of its active tasks.
        standby_state_store_names: Stores of its standby tasks.
        standby_topic_partitions: Source partitions of its standby tasks.
        process_id: Its process id (the state directory's, as Java's ``processId``).
    """

    host_info: HostInfo
    state_store_names: frozenset[str]
    topic_partitions: frozenset[TopicPartition]
    standby_state_store_names: frozenset[str] = frozenset()
    standby_topic_partitions: frozenset[TopicPartition] = frozenset()
    process_id: str = ""

    @property
    def host(self) -> str:
        """The host of :attr:`host_info`."""
        return self.host_info.host

    @property
    def port(self) -> int:
        """The port of :attr:`host_info`."""
        return self.host_info.port


@dataclass(frozen=True)
class KeyQueryMetadata:
    """Where a key's store partition lives (Java: ``KeyQueryMetadata``).

    ``active_host`` is :meth:`HostInfo.unavailable` when no instance hosts the partition right
    now (a rebalance moves it); :data:`NOT_AVAILABLE` (partition -1) while this instance does
    not know the application's metadata yet.
    """

    active_host: HostInfo
    standby_hosts: frozenset[HostInfo]
    partition: int

    NOT_AVAILABLE: ClassVar[KeyQueryMetadata]
    """``KeyQueryMetadata(HostInfo.unavailable(), frozenset(), -1)``."""

    def all_hosts(self) -> list[HostInfo]:
        """The active host then the standby hosts (Java: ``allHosts``)."""
        return [self.active_host, *sorted(self.standby_hosts)]

    @property
    def available(self) -> bool:
        """Whether an instance hosts the key's partition now (the active host is known)."""
        return self.active_host != _UNAVAILABLE


KeyQueryMetadata.NOT_AVAILABLE = KeyQueryMetadata(_UNAVAILABLE, frozenset(), -1)


@dataclass(frozen=True)
class ClientRecord:
    """What one instance publishes about itself in ``<application.id>-metadata``.

    Attributes:
        process_id: The instance's process id (the record key).
        host_info: Its ``application.server``.
        consumers: The client ids of its stream threads' consumers (how its group
            membership is recognised).
        active_tasks: Its active tasks and their source partitions.
        standby_tasks: Its standby tasks and their source partitions.
        updated_ms: Wall-clock time (ms) of the last change of its tasks.
    """

    process_id: str
    host_info: HostInfo
    consumers: frozenset[str]
    active_tasks: Mapping[TaskId, frozenset[TopicPartition]]
    standby_tasks: Mapping[TaskId, frozenset[TopicPartition]]
    updated_ms: int

    VERSION: ClassVar[int] = 1

    def same_tasks(self, other: ClientRecord | None) -> bool:
        """Whether ``other`` says the same (everything but the time)."""
        return (
            other is not None
            and other.host_info == self.host_info
            and other.consumers == self.consumers
            and dict(other.active_tasks) == dict(self.active_tasks)
            and dict(other.standby_tasks) == dict(self.standby_tasks)
        )

    def to_bytes(self) -> bytes:
        """The record value (JSON, versioned)."""

        def tasks(t: Mapping[TaskId, frozenset[TopicPartition]]) -> list[Any]:
            return [
                [str(task_id), sorted([topic, p] for topic, p in parts)]
                for task_id, parts in sorted(t.items())
            ]

        return json.dumps(
            {
                "version": self.VERSION,
                "process_id": self.process_id,
                "host": self.host_info.host,
                "port": self.host_info.port,
                "consumers": sorted(self.consumers),
                "active": tasks(self.active_tasks),
                "standby": tasks(self.standby_tasks),
                "updated_ms": self.updated_ms,
            },
            separators=(",", ":"),
        ).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> ClientRecord:
        """Parse a record value written by :meth:`to_bytes`.

        Raises:
            ValueError: It is not such a record (or of a newer, unknown version).
        """
        try:
            obj = json.loads(data)
            if obj.get("version") != cls.VERSION:
                raise ValueError(f"unknown metadata record version {obj.get('version')!r}")

            def tasks(items: list[Any]) -> dict[TaskId, frozenset[TopicPartition]]:
                return {
                    TaskId.parse(t): frozenset((str(topic), int(p)) for topic, p in parts)
                    for t, parts in items
                }

            return cls(
                process_id=str(obj["process_id"]),
                host_info=HostInfo(str(obj["host"]), int(obj["port"])),
                consumers=frozenset(str(c) for c in obj["consumers"]),
                active_tasks=tasks(obj["active"]),
                standby_tasks=tasks(obj["standby"]),
                updated_ms=int(obj["updated_ms"]),
            )
        except (KeyError, TypeError, AttributeError, json.JSONDecodeError) as exc:
            raise ValueError(f"not a kstreams metadata record: {exc}") from exc


def _stores_on(
    partitions: Iterable[TopicPartition], store_topics: Mapping[str, frozenset[str]]
) -> frozenset[str]:
    topics = {topic for topic, _ in partitions}
    return frozenset(store for store, sources in store_topics.items() if sources & topics)


def build_metadata(
    records: Iterable[ClientRecord],
    store_topics: Mapping[str, frozenset[str]],
    global_stores: Iterable[str] = (),
) -> list[StreamsMetadata]:
    """Every instance with tasks, as ``StreamsMetadata`` sorted by host and port (as Java).

    ``store_topics``: each store's source topics (resolved names). An instance without any
    active or standby task is left out, as in Kafka Streams. When two records claim the same
    active partition (a task moving between instances, for the moment both published), the
    one updated last keeps it.
    """
    live = sorted(records, key=lambda r: r.updated_ms)
    owner: dict[TopicPartition, str] = {}
    for r in live:  # the newest claim wins
        for parts in r.active_tasks.values():
            for tp in parts:
                owner[tp] = r.process_id
    globals_ = frozenset(global_stores)
    result = []
    for r in live:
        active = frozenset(
            tp for parts in r.active_tasks.values() for tp in parts if owner[tp] == r.process_id
        )
        standby = frozenset(tp for parts in r.standby_tasks.values() for tp in parts)
        if not active and not standby:
            continue
        result.append(
            StreamsMetadata(
                host_info=r.host_info,
                state_store_names=_stores_on(active, store_topics) | globals_,
                topic_partitions=active,
                standby_state_store_names=_stores_on(standby, store_topics),
                standby_topic_partitions=standby,
                process_id=r.process_id,
            )
        )
    result.sort(key=lambda m: (m.host_info.host, m.host_info.port, m.process_id))
    return result


def default_partition(key_bytes: bytes, num_partitions: int) -> int:
    """The partition the default producer partitioner gives a key's bytes (murmur2, as Java)."""
    return (murmur2(key_bytes) & 0x7FFFFFFF) % num_partitions


def partition_for_key(
    key: Any,
    topic: str,
    num_partitions: int,
    key_serializer: Any = None,
    partitioner: Callable[[str, Any, Any, int], Any] | None = None,
) -> int:
    """The partition of ``key`` in ``topic`` (``num_partitions`` of them).

    ``partitioner(topic, key, value, num_partitions)``: a custom ``StreamPartitioner`` (the
    one the store's input was written with); it may return one partition or a set of exactly
    one. Without it, the default partitioner over ``key_serializer`` (a ``Serde`` or a
    ``serialize(topic, key)`` callable).

    Raises:
        ValueError: The partitioner gave no partition, several, or one out of range.
    """
    if partitioner is not None:
        got = partitioner(topic, key, None, num_partitions)
        if isinstance(got, (set, frozenset, list, tuple)):
            if len(got) != 1:
                raise ValueError(
                    "The partitions returned by the partitioner when used for fetching "
                    f"KeyQueryMetadata for key {key!r} should be a singleton set, got {got!r}"
                )
            (got,) = tuple(got)
        if got is None or not isinstance(got, int) or not 0 <= got < num_partitions:
            raise ValueError(
                f"The partitioner returned {got!r} for key {key!r} of topic {topic!r}: "
                f"expected a partition in 0..{num_partitions - 1}"
            )
        return got
    if key_serializer is None:
        raise ValueError("partition_for_key needs a key_serializer (or a partitioner)")
    serialize = getattr(key_serializer, "serialize", key_serializer)
    raw = serialize(topic, key)
    if raw is None:
        raise ValueError(f"Key {key!r} serialized to null: it has no partition")
    return default_partition(bytes(raw), num_partitions)


def key_query_metadata(
    store_name: str,
    key: Any,
    metadata: Iterable[StreamsMetadata],
    source_topics: Iterable[str],
    partition_counts: Mapping[str, int],
    key_serializer: Any = None,
    partitioner: Callable[[str, Any, Any, int], Any] | None = None,
) -> KeyQueryMetadata:
    """``KeyQueryMetadata`` of ``key`` in ``store_name`` (Java's ``keyQueryMetadataForKey``).

    The key's partition is computed for the store's source topic with the most partitions
    (the task count of its sub-topology); the active host is the instance whose active
    tasks read that partition of a source topic and have the store (unavailable if none),
    the standby hosts those whose standby tasks do.
    """
    sources = sorted(source_topics)
    if not sources:
        raise ValueError(f"Store {store_name!r} is not fed by any source topic")
    counts = [(partition_counts.get(t, 0), t) for t in sources]
    most, topic = max(counts, key=lambda c: c[0])
    if most <= 0:
        return KeyQueryMetadata.NOT_AVAILABLE
    partition = partition_for_key(key, topic, most, key_serializer, partitioner)
    matching = {(t, partition) for t in sources}
    active = _UNAVAILABLE
    standbys: set[HostInfo] = set()
    for m in metadata:
        if store_name in m.state_store_names and matching & m.topic_partitions:
            active = m.host_info
        if store_name in m.standby_state_store_names and matching & m.standby_topic_partitions:
            standbys.add(m.host_info)
    return KeyQueryMetadata(active, frozenset(standbys), partition)
