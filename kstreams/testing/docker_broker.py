"""Kafka in Docker through testcontainers: the official ``apache/kafka`` image in KRaft mode.

Used by :func:`kstreams.testing.broker.open_kafka` when a Docker engine answers (or when
``KSTREAMS_BROKER_BACKEND=docker``). testcontainers' ``KafkaContainer`` is written for
Confluent's ``cp-kafka`` image, so :class:`ApacheKafkaContainer` keeps its start-up handshake
(the container waits for a start script that knows the mapped port) and configures the
``apache/kafka`` image instead, through its ``KAFKA_*`` environment variables and its
``/etc/kafka/docker/run`` entry point. ``KSTREAMS_KAFKA_IMAGE`` names another image with that
contract (kstreams' CI builds one locally: ``docker/kafka-image.sh``).

Whatever :func:`kafka_container` starts it removes by id, also when the test session fails, is
interrupted (Ctrl-C) or terminated (SIGTERM): with testcontainers' reaper (Ryuk) disabled,
``TESTCONTAINERS_RYUK_DISABLED=true``, nothing else would.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import signal
import threading
import time
import weakref
from collections.abc import Iterator, Mapping
from types import FrameType
from typing import Any

from kstreams.testing.broker_env import (
    ENV_KAFKA_IMAGE,
    KAFKA_VERSION,
    TEST_BROKER_SETTINGS,
    BrokerStartError,
)
from kstreams.testing.kafka_admin import wait_for_kafka
from kstreams.testing.processes import _port_open

__all__ = [
    "DOCKER_IMAGE",
    "ApacheKafkaContainer",
    "docker_available",
    "kafka_container",
    "kafka_image",
    "running_kafka_container",
]

_log = logging.getLogger("kstreams.testing.broker")

#: The official image of the Kafka release the local broker's jars come from.
DOCKER_IMAGE = f"apache/kafka:{KAFKA_VERSION}"
#: The label every container started here carries (``docker ps --filter label=...``).
CONTAINER_LABEL = "org.kstreams.testing"

#: The broker settings of every test broker (:data:`TEST_BROKER_SETTINGS`), as the image's
#: ``KAFKA_*`` variables (``log.retention.ms`` → ``KAFKA_LOG_RETENTION_MS``), and its heap.
_TEST_SETTINGS = {
    **{
        "KAFKA_" + key.upper().replace(".", "_"): value
        for key, value in TEST_BROKER_SETTINGS.items()
    },
    "KAFKA_HEAP_OPTS": "-Xmx512m -Xms128m",
}


def kafka_image() -> str:
    """The image to run: ``$KSTREAMS_KAFKA_IMAGE``, else the official ``apache/kafka:<version>``."""
    return os.environ.get(ENV_KAFKA_IMAGE, "").strip() or DOCKER_IMAGE


@functools.lru_cache(maxsize=1)
def docker_available(timeout: float = 2.0) -> bool:
    """Return True if a Docker engine answers a ping within ``timeout`` seconds.

    Needs the ``docker`` package (a testcontainers dependency); the answer is cached for the
    process (``docker_available.cache_clear()`` to ask again).
    """
    try:
        import docker
    except ImportError:
        return False
    try:
        client = docker.from_env(timeout=max(1, round(timeout)))
    except Exception:  # no socket, no DOCKER_HOST, bad TLS settings...
        return False
    try:
        return bool(client.ping())
    except Exception:
        return False
    finally:
        with contextlib.suppress(Exception):
            client.close()


try:  # testcontainers is a test extra: without it docker_available() still answers.
    from testcontainers.community.kafka import KafkaContainer as _KafkaContainer
except ImportError:  # pragma: no cover - older testcontainers, or none
    try:
        from testcontainers.kafka import KafkaContainer as _KafkaContainer  # type: ignore
    except ImportError:
        _KafkaContainer = None  # type: ignore[assignment, misc]

_Base: Any = _KafkaContainer if _KafkaContainer is not None else object


class ApacheKafkaContainer(_Base):
    """testcontainers' ``KafkaContainer``, configured for the ``apache/kafka`` image (KRaft).

    Clients reach it at :meth:`get_bootstrap_server`, ``127.0.0.1:<mapped port>`` for a local
    engine, which is also the advertised listener: subprocesses of the tests reach it too.
    """

    def __init__(self, image: str | None = None, **kwargs: Any) -> None:
        if _KafkaContainer is None:
            raise ImportError("the Docker broker needs testcontainers: pip install testcontainers")
        super().__init__(
            image=image or kafka_image(),
            port=9093,
            wait_strategy_check_string=r".*Kafka Server started.*",
            **kwargs,
        )
        self.kraft_enabled = True
        self._client_host: str | None = None
        env = {
            "CLUSTER_ID": self.cluster_id,
            "KAFKA_NODE_ID": "1",
            "KAFKA_BROKER_ID": "1",
            "KAFKA_PROCESS_ROLES": "broker,controller",
            "KAFKA_LISTENERS": (
                "PLAINTEXT://0.0.0.0:9093,BROKER://0.0.0.0:9092,CONTROLLER://0.0.0.0:9094"
            ),
            "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": (
                "PLAINTEXT:PLAINTEXT,BROKER:PLAINTEXT,CONTROLLER:PLAINTEXT"
            ),
            "KAFKA_INTER_BROKER_LISTENER_NAME": "BROKER",
            "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
            "KAFKA_CONTROLLER_QUORUM_VOTERS": "1@localhost:9094",
            **_TEST_SETTINGS,
        }
        for key, value in env.items():
            self.with_env(key, value)
        self.with_kwargs(labels={CONTAINER_LABEL: "kafka", "org.kstreams.pid": str(os.getpid())})

    def configure(self) -> None:
        """Nothing to do: the KRaft settings are environment variables set in ``__init__``."""

    def host(self) -> str:
        """The address clients use: ``127.0.0.1`` when the mapped port answers there.

        testcontainers says ``localhost`` for a local engine (librdkafka would try ``::1`` first,
        where nothing may listen), or the bridge's gateway when ``/.dockerenv`` exists, which
        some machines have outside any container. A port published by an engine in this
        network namespace accepts connections on 127.0.0.1 as soon as the container runs; one
        of an engine elsewhere does not, and then testcontainers' answer stands.
        """
        if self._client_host is None:
            port = int(self.get_exposed_port(self.port))
            if _port_open("127.0.0.1", port):
                self._client_host = "127.0.0.1"
            else:
                self._client_host = self.get_container_host_ip()
        return self._client_host

    def get_bootstrap_server(self) -> str:
        """``host:port`` of the PLAINTEXT listener as mapped on the Docker host."""
        return f"{self.host()}:{self.get_exposed_port(self.port)}"

    def tc_start(self) -> None:
        """Write the start script: advertise the mapped port, then run the image's entry point."""
        script = (
            "#!/bin/sh\n"
            f"export KAFKA_ADVERTISED_LISTENERS=PLAINTEXT://{self.get_bootstrap_server()},"
            "BROKER://localhost:9092\n"
            "exec /etc/kafka/docker/run\n"
        )
        self.create_file(script.encode("utf-8"), self.TC_START_SCRIPT)

    @property
    def container_id(self) -> str | None:
        """The Docker id of the container once created, else None."""
        wrapped = getattr(self, "_container", None)
        return getattr(wrapped, "id", None)


def _remove_container(container_id: str) -> None:
    """Remove container ``container_id`` (and its anonymous volumes), whatever its state."""
    import docker

    client = docker.from_env(timeout=30)
    try:
        with contextlib.suppress(docker.errors.NotFound):
            client.containers.get(container_id).remove(force=True, v=True)
    finally:
        client.close()


def _logs_tail(container: ApacheKafkaContainer, lines: int = 40) -> str:
    with contextlib.suppress(Exception):
        wrapped = container.get_wrapped_container()
        if wrapped is not None:
            return wrapped.logs(tail=lines).decode("utf-8", "replace")
    return "(no container logs)"


def _start_error(image: str, exc: BaseException) -> BrokerStartError:
    """A start failure in kstreams' words: what failed and what to do."""
    text = str(exc)
    if "ryuk" in text.lower():
        what = (
            "testcontainers could not start its reaper (Ryuk); without a registry set "
            "TESTCONTAINERS_RYUK_DISABLED=true (kstreams removes its containers itself)"
        )
    elif type(exc).__name__ in ("ImageNotFound", "NotFound") or "pull access denied" in text:
        what = (
            f"the image {image!r} is neither present nor pullable; pull it, or build a local one "
            f"(`make kafka-image`) and set {ENV_KAFKA_IMAGE} to its tag"
        )
    else:
        what = f"the Kafka container ({image}) did not start"
    return BrokerStartError(f"{what}: {type(exc).__name__}: {text}")


@contextlib.contextmanager
def _sigterm_raises() -> Iterator[None]:
    """While the container runs, SIGTERM raises KeyboardInterrupt so that ``finally`` removes it.

    KeyboardInterrupt, as for Ctrl-C: pytest then stops the session and tears its fixtures
    down (a SystemExit would fail one test and go on). Only in the main thread and only over
    Python's default handler (a handler of the application's own stays).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGTERM)
    if previous not in (signal.SIG_DFL, None):
        yield
        return

    def _raise(signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, _raise)
    try:
        yield
    finally:
        with contextlib.suppress(ValueError):
            signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def running_kafka_container(
    image: str | None = None,
    startup_timeout: int = 120,
    env: Mapping[str, str] | None = None,
) -> Iterator[ApacheKafkaContainer]:
    """Run a Kafka container (KRaft, single node) and yield it once its broker answers.

    ``image`` defaults to :func:`kafka_image` (``$KSTREAMS_KAFKA_IMAGE`` or the official
    ``apache/kafka``); ``env`` adds or overrides ``KAFKA_*`` variables. The container is
    removed by id on exit, also after a failed start, an exception, Ctrl-C or SIGTERM, and at
    interpreter exit should the generator never be closed.

    Raises:
        BrokerStartError: the engine, the image or the broker failed; the message says which,
            with the container's last log lines when it ran.
    """
    image = image or kafka_image()
    started = time.monotonic()
    container = ApacheKafkaContainer(image=image)
    for key, value in (env or {}).items():
        container.with_env(key, value)
    finalizer: weakref.finalize | None = None
    try:
        with _sigterm_raises():
            try:
                container.start(timeout=startup_timeout)
            except Exception as exc:
                error = _start_error(image, exc)
                if container.container_id is not None:
                    error = BrokerStartError(
                        f"{error}\n--- last lines of the container's log ---\n"
                        f"{_logs_tail(container)}"
                    )
                raise error from exc
            finally:
                if container.container_id is not None:
                    finalizer = weakref.finalize(
                        container, _remove_container, container.container_id
                    )
            bootstrap = container.get_bootstrap_server()
            if not wait_for_kafka(bootstrap, timeout=60):
                raise BrokerStartError(
                    f"the Kafka container ({image}) at {bootstrap} does not answer\n"
                    f"--- last lines of the container's log ---\n{_logs_tail(container)}"
                )
            _log.info(
                "Kafka container %s (%s) up at %s in %.1fs",
                (container.container_id or "?")[:12],
                image,
                bootstrap,
                time.monotonic() - started,
            )
            yield container
    finally:
        if finalizer is not None and finalizer.alive:
            finalizer()  # removes the container by id, once
        with contextlib.suppress(Exception):
            container.get_docker_client().client.close()


@contextlib.contextmanager
def kafka_container(
    image: str | None = None,
    startup_timeout: int = 120,
    env: Mapping[str, str] | None = None,
) -> Iterator[str]:
    """:func:`running_kafka_container`, yielding the bootstrap address (``127.0.0.1:<port>``)."""
    with running_kafka_container(image, startup_timeout, env) as container:
        yield container.get_bootstrap_server()
