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


class BrokerStartError(RuntimeError):
    """The local broker (or the download of its jars) failed; the message carries the log tail."""


def cache_dir() -> Path:
    """Return kstreams' cache directory: ``$KSTREAMS_CACHE_DIR`` or ``~/.cache/kstreams``."""
    env = os.environ.get(ENV_CACHE_DIR)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "kstreams"
