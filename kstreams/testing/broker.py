"""A real Apache Kafka broker for development and tests.

:func:`kafka_bootstrap_servers` yields the ``host:port`` of a real broker, taken in this order:

1. the environment variable ``KSTREAMS_BOOTSTRAP_SERVERS``, used as-is;
2. a ``apache/kafka`` container through testcontainers, when a Docker engine answers
   (``$KSTREAMS_KAFKA_IMAGE`` names another image with its contract);
3. a local single-node KRaft broker (:class:`LocalKafkaBroker`) run from Apache Kafka's Maven
   artifacts, which are resolved once with ``mvn`` into ``~/.cache/kstreams/kafka-<version>/libs``
   (or ``$KSTREAMS_CACHE_DIR/kafka-<version>/libs``).

From a shell: ``python -m kstreams.testing.broker start|stop|status`` runs a detached local broker
and prints its bootstrap address (see :func:`main`).

This module is the face of the broker helpers and holds the local broker itself; the rest
lives beside it: ``broker_env`` (Kafka version, environment variables, cache directory,
:class:`BrokerStartError`), ``kafka_jars`` (Maven resolution of the jars), ``kafka_admin``
(admin client, waiting for a broker, creating topics), ``processes`` (pids, signals, ports,
file locks) and ``broker_cli`` (the command line).
"""

from __future__ import annotations

import base64
import contextlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import weakref
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from kstreams.testing.broker_env import (
    BROKER_BACKENDS,
    ENV_BOOTSTRAP_SERVERS,
    ENV_BROKER_BACKEND,
    ENV_CACHE_DIR,
    ENV_KAFKA_IMAGE,
    ENV_KAFKA_LIBS,
    KAFKA_VERSION,
    TEST_BROKER_SETTINGS,
    BrokerStartError,
    cache_dir,
)
from kstreams.testing.kafka_admin import (
    admin_client,
    create_topic,
    wait_for_group_coordinator,
    wait_for_kafka,
)
from kstreams.testing.kafka_jars import SCALA_VERSION as SCALA_VERSION
from kstreams.testing.kafka_jars import kafka_libs_dir
from kstreams.testing.processes import _free_ports, _port_open, _terminate
from kstreams.testing.processes import _pid_alive as _pid_alive

__all__ = [
    "ENV_BOOTSTRAP_SERVERS",
    "ENV_BROKER_BACKEND",
    "ENV_CACHE_DIR",
    "ENV_KAFKA_IMAGE",
    "ENV_KAFKA_LIBS",
    "KAFKA_VERSION",
    "BrokerStartError",
    "KafkaHandle",
    "LocalKafkaBroker",
    "admin_client",
    "broker_backend",
    "cache_dir",
    "create_topic",
    "kafka_bootstrap_servers",
    "kafka_libs_dir",
    "open_kafka",
    "wait_for_kafka",
]

_log = logging.getLogger(__name__)

_LOG4J2_XML = """<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by kstreams.testing.broker: the broker logs to a file, never to the terminal. -->
<Configuration status="ERROR" shutdownHook="disable">
  <Appenders>
    <File name="file" fileName="${sys:kstreams.broker.log}" append="true">
      <PatternLayout pattern="[%d] %p %m (%c)%n"/>
    </File>
  </Appenders>
  <Loggers>
    <Logger name="kafka" level="INFO"/>
    <Logger name="org.apache.kafka" level="INFO"/>
    <Logger name="state.change.logger" level="WARN"/>
    <Logger name="kafka.request.logger" level="WARN"/>
    <Logger name="org.apache.kafka.controller" level="INFO"/>
    <Root level="INFO"><AppenderRef ref="file"/></Root>
  </Loggers>
</Configuration>
"""


def _die_with_parent() -> None:
    """In the broker's process before exec: Linux sends it SIGTERM when its parent dies
    (``prctl(PR_SET_PDEATHSIG)``), so a test session killed outright leaves no broker behind.
    Elsewhere a no-op (the weakref finalizer still stops it at a normal exit)."""
    if sys.platform != "linux":
        return
    import ctypes
    import signal

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG = 1


class _PortTaken(BrokerStartError):
    """The broker could not bind its port."""


# --------------------------------------------------------------------------- small helpers


def _random_cluster_id() -> str:
    """A random Kafka cluster id: a 16-byte UUID in URL-safe base64 without padding (22 chars).

    Like Kafka's ``Uuid.randomUuid()`` it never starts with ``-`` (the storage tool's argument
    parser would take it for an option).
    """
    while True:
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode("ascii")
        if not cid.startswith("-"):
            return cid


def _tail(path: Path | None, lines: int = 40) -> str:
    if path is None or not path.exists():
        return "(no log)"
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - 64 * 1024))
            text = fh.read().decode("utf-8", "replace")
    except OSError as exc:
        return f"(cannot read {path}: {exc})"
    return "\n".join(text.splitlines()[-lines:])


def _java() -> str:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").exists():
        return str(Path(java_home) / "bin" / "java")
    java = shutil.which("java")
    if not java:
        raise BrokerStartError(
            "no `java` found (PATH / JAVA_HOME): the local Kafka broker needs Java 17+. "
            f"Set {ENV_BOOTSTRAP_SERVERS}=host:port to use an existing broker instead."
        )
    return java


# --------------------------------------------------------------------------- the local broker


STARTUP_PROGRESS_S = 20.0
"""Past its ``startup_timeout``, a starting broker is waited for while its log grew within
this many seconds."""
STARTUP_PROGRESS_CAP = 3.0
"""... but no longer than this many times its ``startup_timeout`` in all."""


class LocalKafkaBroker:
    """A single-node Apache Kafka broker (KRaft, broker+controller) run as a local ``java`` process.

    Listens on PLAINTEXT ``127.0.0.1:<free port>``; settings fit for tests (replication factors
    and min ISR 1, ``group.initial.rebalance.delay.ms=0``, ``auto.create.topics.enable=false``).
    Use it as a context manager, or call :meth:`start` and :meth:`close`. :meth:`stop` /
    :meth:`start`, :meth:`kill` / :meth:`start` and :meth:`restart` bring the same broker back on
    the same ports with the same data (for broker-failure tests).

    Args:
        port: client port; a free one by default (kept across restarts).
        controller_port: KRaft controller port; a free one by default.
        data_dir: where data, config and logs go; a fresh temporary directory by default,
            which :meth:`close` removes (a given ``data_dir`` is never removed).
        heap: JVM ``-Xmx``.
        startup_timeout: seconds to wait for the broker to answer.
        config: extra/overriding ``server.properties`` entries.
        jvm_args: extra JVM arguments.
        detach: leave the broker running when this Python process exits (the CLI's mode);
            otherwise, should :meth:`close` never be called, the broker is stopped and its
            temporary data directory removed at interpreter exit.
        version: Apache Kafka version whose jars are used.
    """

    def __init__(
        self,
        *,
        port: int | None = None,
        controller_port: int | None = None,
        data_dir: str | os.PathLike[str] | None = None,
        heap: str = "512m",
        startup_timeout: float = 90.0,
        config: Mapping[str, str] | None = None,
        jvm_args: Sequence[str] = (),
        detach: bool = False,
        version: str = KAFKA_VERSION,
    ) -> None:
        self._port = port
        self._controller_port = controller_port
        self._auto_ports = port is None and controller_port is None
        self._given_data_dir = Path(data_dir) if data_dir is not None else None
        self._data_dir: Path | None = self._given_data_dir
        self.heap = heap
        self.startup_timeout = startup_timeout
        self.extra_config = dict(config or {})
        self.jvm_args = list(jvm_args)
        self.detach = detach
        self.version = version
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.RLock()
        self._finalizer: weakref.finalize | None = None

    # ---- public properties

    @property
    def host(self) -> str:
        """The address the broker listens on (always ``127.0.0.1``)."""
        return "127.0.0.1"

    @property
    def port(self) -> int:
        """The client (PLAINTEXT) port; chosen on first :meth:`start` unless given."""
        if self._port is None:
            raise RuntimeError("the broker has not been started yet")
        return self._port

    @property
    def controller_port(self) -> int:
        """The KRaft controller port."""
        if self._controller_port is None:
            raise RuntimeError("the broker has not been started yet")
        return self._controller_port

    @property
    def bootstrap_servers(self) -> str:
        """``"127.0.0.1:<port>"``, for ``bootstrap.servers``."""
        return f"{self.host}:{self.port}"

    @property
    def data_dir(self) -> Path:
        """The directory holding ``server.properties``, ``kraft/`` (the log dir) and ``logs/``."""
        if self._data_dir is None:
            raise RuntimeError("the broker has not been started yet")
        return self._data_dir

    @property
    def log_path(self) -> Path:
        """The broker's log4j log file (``<data_dir>/logs/server.log``)."""
        return self.data_dir / "logs" / "server.log"

    @property
    def stdout_path(self) -> Path:
        """The JVM's stdout/stderr (``<data_dir>/logs/kafka.out``)."""
        return self.data_dir / "logs" / "kafka.out"

    @property
    def pid(self) -> int | None:
        """The broker process id while it runs, else None."""
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    @property
    def is_running(self) -> bool:
        """True while the broker process is alive (it may still be booting)."""
        return self._proc is not None and self._proc.poll() is None

    # ---- lifecycle

    def __enter__(self) -> LocalKafkaBroker:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> LocalKafkaBroker:
        """Start the broker (a no-op if running) and wait until it answers; return ``self``.

        On failure the process is gone but the data directory is kept so that its log can be
        read; :meth:`close` removes it.

        Raises:
            BrokerStartError: the jars could not be resolved, or the broker did not answer within
                ``startup_timeout`` (the message names the log file and shows its last lines).
        """
        with self._lock:
            if self.is_running:
                return self
            for attempt in (1, 2, 3):
                fresh = self._data_dir is None or not self._formatted()
                try:
                    self._await_launch(self._launch())
                    return self
                except _PortTaken:
                    # A free port was taken between our choice and the JVM's bind: retry a new
                    # cluster on new ports, unless the ports were given or the data is not new.
                    if not (fresh and self._auto_ports) or attempt == 3:
                        raise
                    _log.info("Kafka port taken meanwhile; retrying on other ports")
                    shutil.rmtree(self.data_dir / "kraft", ignore_errors=True)
                    self._port = self._controller_port = None
            raise AssertionError("unreachable")

    def _formatted(self) -> bool:
        return (self.data_dir / "kraft" / "meta.properties").exists()

    def _launch(self) -> tuple[float, int]:
        """Start the JVM, formatting the storage first if it is new, without waiting for it to
        answer; return what :meth:`_await_launch` needs. The process is started from the calling
        thread: its parent-death signal follows that thread (a cluster launches all its nodes
        from one thread, then waits for each)."""
        libs = kafka_libs_dir(self.version)
        java = _java()
        if self._data_dir is None:
            self._data_dir = Path(tempfile.mkdtemp(prefix="kstreams-kafka-"))
        (self.data_dir / "logs").mkdir(parents=True, exist_ok=True)
        if self._port is None or self._controller_port is None:
            free = _free_ports(2)
            self._port = self._port or free[0]
            self._controller_port = self._controller_port or free[1]
        props = self._write_config()
        base = [java, *self._log_args(), "-cp", f"{libs}{os.sep}*"]
        if not self._formatted():
            self._format_storage(base, props)
        cmd = [
            java,
            f"-Xmx{self.heap}",
            "-Xms128m",
            "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20",
            "-XX:+ExplicitGCInvokesConcurrent",
            "-Djava.awt.headless=true",
            *self.jvm_args,
            *base[1:],
            "kafka.Kafka",  # what bin/kafka-server-start.sh runs
            str(props),
        ]
        started = time.monotonic()
        log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with open(self.stdout_path, "ab") as out:
            self._proc = subprocess.Popen(
                cmd,
                cwd=self.data_dir,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a terminal's Ctrl-C is for us, not for the broker
                # a broker of this process dies with it, even when it is killed (no atexit)
                preexec_fn=None if self.detach else _die_with_parent,
            )
        if self._finalizer is not None:
            self._finalizer.detach()
        # Not detached: stop the broker and remove its data at interpreter exit should close()
        # never be called.
        owned = self.data_dir if self._given_data_dir is None else None
        self._finalizer = (
            None
            if self.detach
            else weakref.finalize(self, LocalKafkaBroker._cleanup_at_exit, self._proc, owned)
        )
        return started, log_offset

    def _await_launch(self, launched: tuple[float, int]) -> None:
        """Wait until the broker :meth:`_launch` started answers (BrokerStartError if not)."""
        started, log_offset = launched
        try:
            self._await_ready(started, log_offset)
        except BrokerStartError:
            # The process is gone; keep the data directory (and its log) for a post-mortem.
            if self._finalizer is not None:
                self._finalizer.detach()
                self._finalizer = None
            raise
        _log.info(
            "Kafka %s broker up at %s in %.1fs (log: %s)",
            self.version,
            self.bootstrap_servers,
            time.monotonic() - started,
            self.log_path,
        )

    def stop(self, *, timeout: float = 30.0) -> None:
        """Stop the broker process: SIGTERM, wait up to ``timeout`` s, SIGKILL if needed.

        The data directory is kept: a later :meth:`start` brings back the same cluster on the
        same ports. :meth:`close` (or leaving the ``with`` block) also removes it.
        """
        with self._lock:
            if self._proc is not None:
                _terminate(self._proc.pid, self._proc, timeout)
                self._proc = None

    def close(self, *, timeout: float = 30.0) -> None:
        """Stop the broker and remove the data directory this object created (not a given one)."""
        with self._lock:
            self.stop(timeout=timeout)
            if self._finalizer is not None:
                self._finalizer.detach()
                self._finalizer = None
            if self._given_data_dir is None and self._data_dir is not None:
                shutil.rmtree(self._data_dir, ignore_errors=True)
                self._data_dir = None

    def kill(self) -> None:
        """Crash the broker with SIGKILL, keeping its data (a later :meth:`start` recovers it)."""
        with self._lock:
            if self._proc is not None:
                _terminate(self._proc.pid, self._proc, 30.0, hard=True)
                self._proc = None

    def restart(self, *, hard: bool = False, timeout: float = 30.0) -> None:
        """Stop the broker (SIGTERM, or SIGKILL if ``hard``) and start it again.

        Same ports, same data directory, same cluster: committed data and offsets survive.
        Returns once the broker answers and its group coordinator has loaded the groups
        (committed offsets can be read and written), or after ``startup_timeout``.
        """
        with self._lock:
            if hard:
                self.kill()
            else:
                self.stop(timeout=timeout)
            self.start()
            partitions = int(self.server_properties().get("offsets.topic.num.partitions", 50))
            wait_for_group_coordinator(self.bootstrap_servers, partitions, self.startup_timeout)

    # ---- internals

    @staticmethod
    def _cleanup_at_exit(proc: subprocess.Popen[bytes], owned_dir: Path | None) -> None:
        # Runs at interpreter exit (or garbage collection) if close() was never called.
        with contextlib.suppress(Exception):
            _terminate(proc.pid, proc, 10.0)
        if owned_dir is not None:
            shutil.rmtree(owned_dir, ignore_errors=True)

    def _log_args(self) -> list[str]:
        return [
            f"-Dlog4j2.configurationFile={self.data_dir / 'log4j2.xml'}",
            f"-Dkstreams.broker.log={self.log_path}",
            f"-Dkafka.logs.dir={self.data_dir / 'logs'}",
        ]

    def server_properties(self) -> dict[str, str]:
        """The ``server.properties`` this broker runs with (defaults, then ``config``)."""
        props = self._default_properties()
        props.update(self.extra_config)
        return props

    def _default_properties(self) -> dict[str, str]:
        """The ``server.properties`` of a single test node, before ``config``."""
        port, cport = self.port, self.controller_port
        return {
            "process.roles": "broker,controller",
            "node.id": "1",
            "listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{cport}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{port}",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "inter.broker.listener.name": "PLAINTEXT",
            "controller.listener.names": "CONTROLLER",
            "controller.quorum.bootstrap.servers": f"127.0.0.1:{cport}",
            "log.dirs": str(self.data_dir / "kraft"),
            **TEST_BROKER_SETTINGS,
        }

    def _write_config(self) -> Path:
        path = self.data_dir / "server.properties"
        lines = ["# Written by kstreams.testing.broker.LocalKafkaBroker"]
        lines += [f"{k}={v}" for k, v in self.server_properties().items()]
        path.write_text("\n".join(lines) + "\n")
        (self.data_dir / "log4j2.xml").write_text(_LOG4J2_XML)
        return path

    def _storage_format_args(self) -> list[str]:
        """The ``kafka-storage format`` arguments besides ``--config``: ``--standalone`` makes
        this node the single voter of a dynamic KRaft quorum (``controller.quorum.bootstrap.servers``);
        a node of a cluster (:mod:`kstreams.testing.cluster`) gives its cluster's id instead."""
        return ["--standalone", "--cluster-id", _random_cluster_id()]

    def _format_storage(self, base: list[str], props: Path) -> None:
        # bin/kafka-storage.sh runs kafka.tools.StorageTool
        cmd = [
            *base,
            "kafka.tools.StorageTool",
            "format",
            *self._storage_format_args(),
            "--config",
            str(props),
        ]
        proc = subprocess.run(
            cmd,
            cwd=self.data_dir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=120,
        )
        if proc.returncode != 0:
            raise BrokerStartError(
                f"formatting Kafka storage in {self.data_dir / 'kraft'} failed "
                f"(exit {proc.returncode}):\n{proc.stdout[-4000:]}\nlog: {self.log_path}"
            )

    def _await_ready(self, started: float, log_offset: int) -> None:
        """Until the broker answers, for ``startup_timeout`` s; and past that, for as long as
        its log keeps growing (up to :data:`STARTUP_PROGRESS_CAP` times the timeout): a node
        restarted after SIGKILL on a loaded machine recovers every partition's log first,
        which can take minutes, and is not stuck while it logs the recovery."""
        assert self._proc is not None
        deadline = started + self.startup_timeout
        cap = started + self.startup_timeout * STARTUP_PROGRESS_CAP
        logged, grew_at = self._log_size(), time.monotonic()
        while True:
            now = time.monotonic()
            size = self._log_size()
            if size > logged:
                logged, grew_at = size, now
            if now >= deadline and (now >= cap or now - grew_at > STARTUP_PROGRESS_S):
                break
            if self._proc.poll() is not None:
                code = self._proc.returncode
                self._proc = None
                message = self._failure(f"the broker exited with code {code}")
                with open(self.log_path, "rb") as fh:
                    fh.seek(log_offset)
                    if b"Address already in use" in fh.read():
                        raise _PortTaken(message)
                raise BrokerStartError(message)
            if _port_open(self.host, self.port) and self._answers(
                min(5.0, max(0.5, max(deadline, grew_at + STARTUP_PROGRESS_S) - now))
            ):
                return
            time.sleep(0.1)
        waited = time.monotonic() - started
        message = self._failure(
            f"the broker did not answer within {self.startup_timeout:.0f}s"
            + (
                f" (waited {waited:.0f}s while its log grew)"
                if waited > self.startup_timeout + 1
                else ""
            )
        )
        _terminate(self._proc.pid, self._proc, 10.0)
        self._proc = None
        raise BrokerStartError(message)

    def _log_size(self) -> int:
        try:
            return self.log_path.stat().st_size
        except OSError:
            return 0

    def _answers(self, timeout: float) -> bool:
        """Whether the broker answers a metadata request within ``timeout`` s (a subclass with
        secured listeners asks with its credentials)."""
        return wait_for_kafka(self.bootstrap_servers, timeout=timeout)

    def _failure(self, what: str) -> str:
        return (
            f"{what} ({self.bootstrap_servers}).\n"
            f"Broker log: {self.log_path}\n--- last lines of {self.log_path.name} ---\n"
            f"{_tail(self.log_path)}\n--- last lines of {self.stdout_path} ---\n"
            f"{_tail(self.stdout_path, 20)}"
        )

    def __repr__(self) -> str:
        where = self.bootstrap_servers if self._port is not None else "not started"
        state = "running" if self.is_running else "stopped"
        return f"<LocalKafkaBroker {self.version} {where} {state}>"


# --------------------------------------------------------------------------- choosing a broker


@dataclass(frozen=True)
class KafkaHandle:
    """A running Kafka cluster: where it is, where it came from, and the local broker if any."""

    bootstrap_servers: str
    source: Literal["env", "docker", "local"]
    broker: LocalKafkaBroker | None = None


def broker_backend(backend: str | None = None) -> str:
    """``backend``, else ``$KSTREAMS_BROKER_BACKEND``, else ``auto`` (ValueError if unknown)."""
    where = "backend" if backend is not None else ENV_BROKER_BACKEND
    value = backend if backend is not None else os.environ.get(ENV_BROKER_BACKEND, "")
    value = value.strip().lower() or "auto"
    if value not in BROKER_BACKENDS:
        raise ValueError(f"{where} must be auto, local or docker, not {value!r}")
    return value


@contextlib.contextmanager
def open_kafka(backend: str | None = None, **broker_kwargs: Any) -> Iterator[KafkaHandle]:
    """Provide a real Kafka cluster: ``$KSTREAMS_BOOTSTRAP_SERVERS``, else Docker, else local.

    ``backend`` (or ``$KSTREAMS_BROKER_BACKEND``): ``auto`` takes a testcontainers Kafka
    container where a Docker engine answers and a :class:`LocalKafkaBroker` otherwise;
    ``docker`` insists on the container (no engine is an error, never a silent fallback);
    ``local`` insists on the local broker. ``$KSTREAMS_BOOTSTRAP_SERVERS`` wins over all three.
    Whatever this starts, it stops on exit. ``broker_kwargs`` go to :class:`LocalKafkaBroker`.
    Raises :class:`BrokerStartError` when the chosen backend cannot provide a broker.
    """
    env = os.environ.get(ENV_BOOTSTRAP_SERVERS, "").strip()
    if env:
        yield KafkaHandle(env, "env")
        return
    chosen = broker_backend(backend)
    if chosen != "local":
        from kstreams.testing.docker_broker import docker_available, kafka_container

        if chosen == "docker" and not docker_available():
            raise BrokerStartError(
                f"{ENV_BROKER_BACKEND}=docker but no Docker engine answers (DOCKER_HOST="
                f"{os.environ.get('DOCKER_HOST', '(unset)')}): start one (as root: "
                f"docker/engine.sh start), or use {ENV_BROKER_BACKEND}=local"
            )
        if chosen == "docker" or docker_available():
            with kafka_container() as bootstrap:
                yield KafkaHandle(bootstrap, "docker")
            return
    with LocalKafkaBroker(**broker_kwargs) as broker:
        yield KafkaHandle(broker.bootstrap_servers, "local", broker)


@contextlib.contextmanager
def kafka_bootstrap_servers(**broker_kwargs: Any) -> Iterator[str]:
    """Yield the ``host:port`` of a real Kafka broker, stopping on exit whatever was started.

    Order: ``$KSTREAMS_BOOTSTRAP_SERVERS`` as-is; a testcontainers ``apache/kafka`` container if
    a Docker engine answers; a :class:`LocalKafkaBroker` otherwise.
    """
    with open_kafka(**broker_kwargs) as handle:
        yield handle.bootstrap_servers


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m kstreams.testing.broker start|stop|status`` (see :mod:`.broker_cli`)."""
    from kstreams.testing.broker_cli import main as cli_main  # it imports this module

    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
