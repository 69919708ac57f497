"""Admin-client helpers for any Kafka cluster: a quiet client, waiting for it, creating topics.

They work against whatever :func:`kstreams.testing.broker.open_kafka` found (an existing
cluster, a Docker container or a :class:`~kstreams.testing.broker.LocalKafkaBroker`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

__all__ = ["admin_client", "create_topic", "wait_for_group_coordinator", "wait_for_kafka"]

# librdkafka's connection errors while a broker boots are expected: keep them off the terminal.
# (The logger keeps the name it had when these helpers lived in kstreams.testing.broker.)
_quiet_client_log = logging.getLogger("kstreams.testing.broker.client")
_quiet_client_log.addHandler(logging.NullHandler())
_quiet_client_log.propagate = False


def admin_client(bootstrap_servers: str, **conf: Any) -> Any:
    """A confluent_kafka ``AdminClient`` whose librdkafka log lines stay off the terminal."""
    from confluent_kafka.admin import AdminClient

    settings: dict[str, Any] = {
        "bootstrap.servers": bootstrap_servers,
        "logger": _quiet_client_log,
        "socket.connection.setup.timeout.ms": 5000,
    }
    settings.update(conf)
    return AdminClient(settings)


def wait_for_kafka(bootstrap_servers: str, timeout: float = 30.0) -> bool:
    """Return True as soon as a broker at ``bootstrap_servers`` answers a metadata request.

    Returns False if none answered within ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    admin = admin_client(bootstrap_servers)
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        try:
            md = admin.list_topics(timeout=min(5.0, max(left, 0.1)))
            if md.brokers:
                return True
        except Exception:  # KafkaException while the broker is not there yet
            pass
        time.sleep(min(0.2, max(deadline - time.monotonic(), 0)))


def _offsets_partition(group_id: str, partitions: int) -> int:
    """The partition of ``__consumer_offsets`` a group's coordinator keeps it in: Kafka's
    ``Utils.abs(groupId.hashCode()) % partitions`` (Java's ``String.hashCode``)."""
    units = group_id.encode("utf-16-be")
    h = 0
    for i in range(0, len(units), 2):
        h = (31 * h + (units[i] << 8 | units[i + 1])) & 0xFFFFFFFF
    return (h & 0x7FFFFFFF) % partitions


def wait_for_group_coordinator(
    bootstrap_servers: str, offsets_partitions: int, timeout: float = 30.0
) -> bool:
    """Return True once the group coordinator answers for groups of every partition of
    ``__consumer_offsets`` (``offsets_partitions`` of them): after a restart the broker answers
    metadata before it has loaded them, and until then reading or committing a group's
    offsets fails with ``NOT_COORDINATOR`` or ``COORDINATOR_LOAD_IN_PROGRESS``.

    Asks with a consumer's ``committed()``, not the admin client's
    ``list_consumer_group_offsets``: librdkafka's admin ``ListConsumerGroupOffsets`` crashes
    the process (SIGSEGV) on a ``NOT_COORDINATOR`` answer (confluentinc/librdkafka#5040).
    Returns False if some partition still did not answer within ``timeout`` seconds.
    """
    from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

    loading = {
        KafkaError.COORDINATOR_LOAD_IN_PROGRESS,
        KafkaError.NOT_COORDINATOR,
        KafkaError.COORDINATOR_NOT_AVAILABLE,
    }

    probes: dict[int, str] = {}
    n = 0
    while len(probes) < offsets_partitions:
        name = f"kstreams-coordinator-probe-{n}"
        probes.setdefault(_offsets_partition(name, offsets_partitions), name)
        n += 1
    deadline = time.monotonic() + timeout
    for group in sorted(probes.values()):
        consumer = Consumer(
            {
                "bootstrap.servers": bootstrap_servers,
                "group.id": group,
                "logger": _quiet_client_log,
                "enable.auto.commit": False,
            }
        )
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                try:
                    [answer] = consumer.committed(
                        [TopicPartition("kstreams-coordinator-probe", 0)],
                        timeout=min(5.0, max(left, 0.5)),
                    )
                    if answer.error is None or answer.error.code() not in loading:
                        break
                except KafkaException:  # not loaded yet, or not answering yet
                    pass
                time.sleep(min(0.2, max(deadline - time.monotonic(), 0)))
        finally:
            consumer.close()
    return True


def create_topic(
    bootstrap_servers: str,
    name: str,
    partitions: int = 1,
    config: Mapping[str, str] | None = None,
    *,
    replication_factor: int = 1,
    timeout: float = 30.0,
) -> str:
    """Create topic ``name`` and wait until every partition has a leader; return the name."""
    from confluent_kafka.admin import NewTopic

    admin = admin_client(bootstrap_servers)
    new = NewTopic(
        name,
        num_partitions=partitions,
        replication_factor=replication_factor,
        config=dict(config or {}),
    )
    futures = admin.create_topics([new], operation_timeout=timeout, request_timeout=timeout)
    futures[name].result(timeout=timeout)
    deadline = time.monotonic() + timeout
    while True:
        md = admin.list_topics(topic=name, timeout=timeout)
        tmd = md.topics.get(name)
        if (
            tmd is not None
            and tmd.error is None
            and len(tmd.partitions) == partitions
            and all(p.leader >= 0 and p.error is None for p in tmd.partitions.values())
        ):
            return name
        if time.monotonic() > deadline:
            raise TimeoutError(f"topic {name!r} did not become available within {timeout}s")
        time.sleep(0.05)
