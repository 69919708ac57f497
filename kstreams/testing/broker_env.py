"""What every Kafka broker helper shares: the Kafka version, the environment, the cache, the error.

The environment variables steer :mod:`kstreams.testing.broker` (which cluster to use or start),
:mod:`kstreams.testing.kafka_jars` (where the jars come from) and the command line (where
its state file lives).
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "BROKER_BACKENDS",
    "ENV_BOOTSTRAP_SERVERS",
    "ENV_BROKER_BACKEND",
    "ENV_CACHE_DIR",
    "ENV_KAFKA_IMAGE",
    "ENV_KAFKA_LIBS",
    "KAFKA_VERSION",
    "TEST_BROKER_SETTINGS",
    "BrokerStartError",
    "cache_dir",
]

#: The Apache Kafka release used everywhere (Maven artifacts, Docker image, docker-compose.yml).
KAFKA_VERSION = "4.4.0"

#: An existing cluster to use instead of starting one ("host:port[,host:port...]").
ENV_BOOTSTRAP_SERVERS = "KSTREAMS_BOOTSTRAP_SERVERS"
#: Where the Kafka jars and the CLI state file live (default ``~/.cache/kstreams``).
ENV_CACHE_DIR = "KSTREAMS_CACHE_DIR"
#: A directory of Kafka jars to use as-is (e.g. the ``libs/`` of a Kafka distribution).
ENV_KAFKA_LIBS = "KSTREAMS_KAFKA_LIBS"
#: ``auto`` (default: env, then Docker, then local), ``local`` or ``docker``.
ENV_BROKER_BACKEND = "KSTREAMS_BROKER_BACKEND"
#: The Docker image of the Docker backend (default ``apache/kafka:<KAFKA_VERSION>``); any image
#: with the official image's contract (``KAFKA_*`` variables, ``/etc/kafka/docker/run``).
ENV_KAFKA_IMAGE = "KSTREAMS_KAFKA_IMAGE"
#: The values ``ENV_BROKER_BACKEND`` takes.
BROKER_BACKENDS = ("auto", "local", "docker")

#: The broker settings of every test broker (local node, cluster node, Docker container), besides
#: its listeners and quorum: one copy, so that a test behaves the same on each.
TEST_BROKER_SETTINGS: dict[str, str] = {
    "num.partitions": "1",
    "default.replication.factor": "1",
    "min.insync.replicas": "1",
    "offsets.topic.replication.factor": "1",
    "offsets.topic.num.partitions": "4",
    "transaction.state.log.replication.factor": "1",
    "transaction.state.log.min.isr": "1",
    "transaction.state.log.num.partitions": "4",
    "share.coordinator.state.topic.replication.factor": "1",
    "share.coordinator.state.topic.min.isr": "1",
    "share.coordinator.state.topic.num.partitions": "1",
    "group.initial.rebalance.delay.ms": "0",
    # consumer-protocol groups (KIP-848): the broker owns heartbeats and sessions; Kafka's
    # 5 s / 45 s would make every first assignment of a just-created topic wait a heartbeat
    # and every failover a long session
    "group.consumer.heartbeat.interval.ms": "1000",
    "group.consumer.min.heartbeat.interval.ms": "1000",
    "group.consumer.session.timeout.ms": "10000",
    "group.consumer.min.session.timeout.ms": "6000",
    "auto.create.topics.enable": "false",
    "delete.topic.enable": "true",
    # Tests write records with fixed timestamps years in the past (the outputs of windows and
    # joins depend on them): under Kafka's 7-day log.retention the broker's retention check
    # (30 s after start, then every 5 min) deleted whatever such a test had written and not yet
    # read, and the test saw an empty topic. Topics that set retention.ms (windowed changelogs)
    # keep theirs.
    "log.retention.ms": "-1",
    # broker.session.timeout.ms / broker.heartbeat.interval.ms stay Kafka's (9 s, 2 s): with
    # 4 s a loaded machine's broker fenced itself right after a restart (its heartbeat late),
    # its partitions went leaderless in the middle of transactions and one was left open for
    # good (read_committed readers stalled at it). A SIGKILLed broker re-registers once its
    # old session expired: up to 9 s.
    "num.network.threads": "2",
    "num.io.threads": "4",
    "num.recovery.threads.per.data.dir": "1",
}


class BrokerStartError(RuntimeError):
    """The local broker (or the download of its jars) failed; the message carries the log tail."""


def cache_dir() -> Path:
    """Return kstreams' cache directory: ``$KSTREAMS_CACHE_DIR`` or ``~/.cache/kstreams``."""
    env = os.environ.get(ENV_CACHE_DIR)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "kstreams"
