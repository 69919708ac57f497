"""Admin-client helpers for any Kafka cluster: a quiet client, waiting for it, creating topics.

They work against whatever :func:`kstreams.testing.broker.open_kafka` found (an existing
cluster, a Docker container or a :class:`~kstreams.testing.broker.LocalKafkaBroker`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

__all__ = ["admin_client", "create_topic", "wait_for_kafka"]

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
