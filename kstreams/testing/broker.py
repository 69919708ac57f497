"""A real Apache Kafka broker for development and tests.

:func:`kafka_bootstrap_servers` yields the ``host:port`` of a real broker, taken in this order:

1. the environment variable ``KSTREAMS_BOOTSTRAP_SERVERS``, used as-is;
2. a ``apache/kafka`` container through testcontainers, when a Docker engine answers;
3. a local single-node KRaft broker (:class:`LocalKafkaBroker`) run from Apache Kafka's Maven
   artifacts, which are resolved once with ``mvn`` into ``~/.cache/kstreams/kafka-<version>/libs``
   (or ``$KSTREAMS_CACHE_DIR/kafka-<version>/libs``).

From a shell: ``python -m kstreams.testing.broker start|stop|status`` runs a detached local broker
and prints its bootstrap address (see :func:`main`).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import logging
import os
import shutil
import signal
import socket
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

__all__ = [
    "ENV_BOOTSTRAP_SERVERS",
    "ENV_BROKER_BACKEND",
    "ENV_CACHE_DIR",
    "ENV_KAFKA_LIBS",
    "KAFKA_VERSION",
    "BrokerStartError",
    "KafkaHandle",
    "LocalKafkaBroker",
    "admin_client",
    "cache_dir",
    "create_topic",
    "kafka_bootstrap_servers",
    "kafka_libs_dir",
    "open_kafka",
    "wait_for_kafka",
]

#: The Apache Kafka release used everywhere (Maven artifacts, Docker image, docker-compose.yml).
KAFKA_VERSION = "4.4.0"
SCALA_VERSION = "2.13"
#: log4j2 version of Kafka 4.4.0's own dependencies; its slf4j 1.x binding is added to the jars.
_LOG4J_VERSION = "2.25.5"
_DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"

#: An existing cluster to use instead of starting one ("host:port[,host:port...]").
ENV_BOOTSTRAP_SERVERS = "KSTREAMS_BOOTSTRAP_SERVERS"
#: Where the Kafka jars and the CLI state file live (default ``~/.cache/kstreams``).
ENV_CACHE_DIR = "KSTREAMS_CACHE_DIR"
#: A directory of Kafka jars to use as-is (e.g. the ``libs/`` of a Kafka distribution).
ENV_KAFKA_LIBS = "KSTREAMS_KAFKA_LIBS"
#: ``auto`` (default: env, then Docker, then local), ``local`` or ``docker``.
ENV_BROKER_BACKEND = "KSTREAMS_BROKER_BACKEND"

_log = logging.getLogger(__name__)

# librdkafka's connection errors while a broker boots are expected: keep them off the terminal.
_quiet_client_log = logging.getLogger(__name__ + ".client")
_quiet_client_log.addHandler(logging.NullHandler())
_quiet_client_log.propagate = False

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

_POM_XML = """<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>kstreams.testing</groupId>
  <artifactId>kafka-broker-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_{scala}</artifactId>
      <version>{kafka}</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-slf4j-impl</artifactId>
      <version>{log4j}</version>
    </dependency>
  </dependencies>
</project>
"""


class BrokerStartError(RuntimeError):
    """The local broker (or the download of its jars) failed; the message carries the log tail."""


class _PortTaken(BrokerStartError):
    """The broker could not bind its port."""


# --------------------------------------------------------------------------- small helpers


def cache_dir() -> Path:
    """Return kstreams' cache directory: ``$KSTREAMS_CACHE_DIR`` or ``~/.cache/kstreams``."""
    env = os.environ.get(ENV_CACHE_DIR)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "kstreams"


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` (created if missing) while the block runs."""
    import fcntl  # POSIX only; imported here so that importing this module works everywhere.

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _free_ports(count: int) -> list[int]:
    """Return ``count`` distinct TCP ports on 127.0.0.1 that are free right now."""
    socks: list[socket.socket] = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


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


# --------------------------------------------------------------------------- the jars


def kafka_libs_dir(version: str = KAFKA_VERSION) -> Path:
    """Return a directory holding Apache Kafka ``version``'s broker jars, resolving them if needed.

    ``$KSTREAMS_KAFKA_LIBS`` (an existing directory of jars) wins. Otherwise the jars are copied by
    Maven (``mvn dependency:copy-dependencies`` on a generated pom: ``kafka_2.13`` plus the
    log4j2 slf4j binding) into ``<cache_dir()>/kafka-<version>/libs``. The copy is made in a
    temporary directory and renamed into place when complete, under a file lock, so concurrent
    processes neither see a half-filled directory nor download twice.
    """
    env = os.environ.get(ENV_KAFKA_LIBS)
    if env:
        libs = Path(env).expanduser()
        if not any(libs.glob("kafka_*.jar")):
            raise BrokerStartError(f"{ENV_KAFKA_LIBS}={env} holds no kafka_*.jar")
        return libs
    home = cache_dir() / f"kafka-{version}"
    libs = home / "libs"
    if libs.is_dir():
        return libs
    with _file_lock(cache_dir() / f"kafka-{version}.lock"):
        if libs.is_dir():  # another process finished while we waited for the lock
            return libs
        for stale in home.glob(".resolve-*"):  # left by a process killed while resolving
            shutil.rmtree(stale, ignore_errors=True)
        _resolve_with_maven(version, home, libs)
    return libs


def _resolve_with_maven(version: str, home: Path, libs: Path) -> None:
    mvn = shutil.which("mvn")
    if not mvn:
        raise BrokerStartError(
            "Maven (`mvn`) is needed once to fetch Apache Kafka's jars for the local broker. "
            f"Install it, or set {ENV_BOOTSTRAP_SERVERS}=host:port, or {ENV_KAFKA_LIBS}=<dir of "
            "Kafka jars>."
        )
    home.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(dir=home, prefix=".resolve-") as tmp:
        tmpdir = Path(tmp)
        (tmpdir / "pom.xml").write_text(
            _POM_XML.format(scala=SCALA_VERSION, kafka=version, log4j=_LOG4J_VERSION)
        )
        out = tmpdir / "libs"
        cmd = [
            mvn,
            "-B",
            "-q",
            "-Dstyle.color=never",
            "-f",
            str(tmpdir / "pom.xml"),
            f"{_DEPENDENCY_PLUGIN}:copy-dependencies",
            "-DincludeScope=runtime",
            f"-DoutputDirectory={out}",
        ]
        _log.info("resolving Apache Kafka %s jars with Maven into %s", version, libs)
        try:
            proc = subprocess.run(
                cmd,
                cwd=tmpdir,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=900,
            )
        except subprocess.TimeoutExpired as exc:
            raise BrokerStartError(f"Maven did not finish within 900s: {' '.join(cmd)}") from exc
        if proc.returncode != 0 or not any(out.glob(f"kafka_{SCALA_VERSION}-*.jar")):
            raise BrokerStartError(
                f"Maven could not resolve org.apache.kafka:kafka_{SCALA_VERSION}:{version} "
                f"(exit {proc.returncode}):\n{proc.stdout[-4000:]}"
            )
        os.rename(out, libs)  # atomic: libs/ appears complete or not at all
    _log.info("Kafka %s jars ready in %.1fs", version, time.monotonic() - started)


# --------------------------------------------------------------------------- the local broker


def _pid_alive(pid: int) -> bool:
    """True if ``pid`` exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _pid_cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _terminate(
    pid: int, popen: subprocess.Popen[bytes] | None, timeout: float, *, hard: bool = False
) -> None:
    """SIGTERM (or SIGKILL if ``hard``) ``pid``, wait ``timeout`` s, then SIGKILL and wait."""

    def alive() -> bool:
        if popen is not None:
            return popen.poll() is None
        return _pid_alive(pid)

    def wait(seconds: float) -> bool:
        if popen is not None:
            try:
                popen.wait(timeout=seconds)
                return True
            except subprocess.TimeoutExpired:
                return False
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if not _pid_alive(pid):
                return True
            time.sleep(0.1)
        return not _pid_alive(pid)

    if not alive():
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL if hard else signal.SIGTERM)
    if wait(timeout):
        return
    _log.warning("Kafka broker pid %d ignored SIGTERM for %.0fs; sending SIGKILL", pid, timeout)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    wait(30)


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
            libs = kafka_libs_dir(self.version)
            java = _java()
            if self._data_dir is None:
                self._data_dir = Path(tempfile.mkdtemp(prefix="kstreams-kafka-"))
            (self.data_dir / "logs").mkdir(parents=True, exist_ok=True)
            for attempt in (1, 2, 3):
                fresh = not (self.data_dir / "kraft" / "meta.properties").exists()
                if self._port is None or self._controller_port is None:
                    free = _free_ports(2)
                    self._port = self._port or free[0]
                    self._controller_port = self._controller_port or free[1]
                try:
                    self._launch(libs, java, format_storage=fresh)
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

    def _launch(self, libs: Path, java: str, *, format_storage: bool) -> None:
        props = self._write_config()
        base = [java, *self._log_args(), "-cp", f"{libs}{os.sep}*"]
        if format_storage:
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
        """
        with self._lock:
            if hard:
                self.kill()
            else:
                self.stop(timeout=timeout)
            self.start()

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
        port, cport = self.port, self.controller_port
        props = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{cport}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{port}",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "inter.broker.listener.name": "PLAINTEXT",
            "controller.listener.names": "CONTROLLER",
            "controller.quorum.bootstrap.servers": f"127.0.0.1:{cport}",
            "log.dirs": str(self.data_dir / "kraft"),
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
            "auto.create.topics.enable": "false",
            "delete.topic.enable": "true",
            # A SIGKILLed broker can only re-register once its old session expired (default 9 s).
            "broker.session.timeout.ms": "4000",
            "broker.heartbeat.interval.ms": "1000",
            "num.network.threads": "2",
            "num.io.threads": "4",
            "num.recovery.threads.per.data.dir": "1",
        }
        props.update(self.extra_config)
        return props

    def _write_config(self) -> Path:
        path = self.data_dir / "server.properties"
        lines = ["# Written by kstreams.testing.broker.LocalKafkaBroker"]
        lines += [f"{k}={v}" for k, v in self.server_properties().items()]
        path.write_text("\n".join(lines) + "\n")
        (self.data_dir / "log4j2.xml").write_text(_LOG4J2_XML)
        return path

    def _format_storage(self, base: list[str], props: Path) -> None:
        # bin/kafka-storage.sh runs kafka.tools.StorageTool; --standalone makes this node the
        # single voter of a dynamic KRaft quorum (controller.quorum.bootstrap.servers).
        cmd = [
            *base,
            "kafka.tools.StorageTool",
            "format",
            "--standalone",
            "--cluster-id",
            _random_cluster_id(),
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
        assert self._proc is not None
        deadline = started + self.startup_timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                code = self._proc.returncode
                self._proc = None
                message = self._failure(f"the broker exited with code {code}")
                with open(self.log_path, "rb") as fh:
                    fh.seek(log_offset)
                    if b"Address already in use" in fh.read():
                        raise _PortTaken(message)
                raise BrokerStartError(message)
            if _port_open(self.host, self.port) and wait_for_kafka(
                self.bootstrap_servers, timeout=min(5.0, max(0.1, deadline - time.monotonic()))
            ):
                return
            time.sleep(0.1)
        message = self._failure(f"the broker did not answer within {self.startup_timeout:.0f}s")
        _terminate(self._proc.pid, self._proc, 10.0)
        self._proc = None
        raise BrokerStartError(message)

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


@contextlib.contextmanager
def open_kafka(**broker_kwargs: Any) -> Iterator[KafkaHandle]:
    """Provide a real Kafka cluster: ``$KSTREAMS_BOOTSTRAP_SERVERS``, else Docker, else local.

    ``$KSTREAMS_BROKER_BACKEND`` (``auto``/``local``/``docker``) skips the choice. Whatever this
    starts, it stops on exit. ``broker_kwargs`` go to :class:`LocalKafkaBroker`.
    """
    env = os.environ.get(ENV_BOOTSTRAP_SERVERS, "").strip()
    if env:
        yield KafkaHandle(env, "env")
        return
    backend = os.environ.get(ENV_BROKER_BACKEND, "auto").strip().lower() or "auto"
    if backend not in ("auto", "local", "docker"):
        raise ValueError(f"{ENV_BROKER_BACKEND} must be auto, local or docker, not {backend!r}")
    if backend != "local":
        from kstreams.testing.docker_broker import docker_available, kafka_container

        if backend == "docker" or docker_available():
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


# --------------------------------------------------------------------------- command line


def _state_file(arg: str | None) -> Path:
    if arg:
        return Path(arg).expanduser()
    return cache_dir() / "broker-state.json"


def _read_state(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _state_running(state: dict[str, Any]) -> bool:
    """True if the recorded broker process is alive and is the one we started."""
    pid = int(state.get("pid", 0))
    return pid > 0 and _pid_alive(pid) and str(state.get("data_dir", "\0")) in _pid_cmdline(pid)


def _stop_recorded(state: dict[str, Any], timeout: float = 30.0) -> None:
    if _state_running(state):
        _terminate(int(state["pid"]), None, timeout)
    if state.get("owns_data_dir") and state.get("data_dir"):
        shutil.rmtree(state["data_dir"], ignore_errors=True)


def _cli_start(state_path: Path, args: argparse.Namespace) -> int:
    env = os.environ.get(ENV_BOOTSTRAP_SERVERS, "").strip()
    if env:
        print(env)
        return 0
    with _file_lock(state_path.with_name(state_path.name + ".lock")):
        state = _read_state(state_path)
        if state is not None:
            if _state_running(state) and wait_for_kafka(state["bootstrap_servers"], timeout=10):
                print(state["bootstrap_servers"])
                return 0
            _stop_recorded(state)  # stale or not answering: clean it up and start anew
            state_path.unlink(missing_ok=True)
        broker = LocalKafkaBroker(
            port=args.port, detach=True, startup_timeout=args.timeout, heap=args.heap
        )
        try:
            broker.start()
        except BrokerStartError as exc:
            print(str(exc), file=sys.stderr)
            with contextlib.suppress(Exception):
                broker.close()
            return 1
        state = {
            "pid": broker.pid,
            "bootstrap_servers": broker.bootstrap_servers,
            "port": broker.port,
            "controller_port": broker.controller_port,
            "data_dir": str(broker.data_dir),
            "owns_data_dir": True,
            "log_path": str(broker.log_path),
            "version": broker.version,
            "started_at": time.time(),
        }
        state_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = state_path.with_name(state_path.name + ".tmp")
        tmp.write_text(json.dumps(state, indent=2) + "\n")
        os.replace(tmp, state_path)
        print(broker.bootstrap_servers)
        return 0


def _cli_stop(state_path: Path) -> int:
    with _file_lock(state_path.with_name(state_path.name + ".lock")):
        state = _read_state(state_path)
        if state is None:
            print("no kstreams Kafka broker recorded in " + str(state_path), file=sys.stderr)
            return 0
        _stop_recorded(state)
        state_path.unlink(missing_ok=True)
        print(f"stopped Kafka broker at {state.get('bootstrap_servers')}", file=sys.stderr)
        return 0


def _cli_status(state_path: Path) -> int:
    env = os.environ.get(ENV_BOOTSTRAP_SERVERS, "").strip()
    if env:
        if wait_for_kafka(env, timeout=5):
            print(env)
            return 0
        return 1
    state = _read_state(state_path)
    if state and _state_running(state) and wait_for_kafka(state["bootstrap_servers"], timeout=5):
        print(state["bootstrap_servers"])
        print(f"pid {state['pid']}, log {state.get('log_path')}", file=sys.stderr)
        return 0
    print("no kstreams Kafka broker running", file=sys.stderr)
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m kstreams.testing.broker start|stop|status``: a detached local broker.

    ``start`` prints only the bootstrap address on stdout (idempotent: a running broker's address
    if one answers); ``stop`` stops it and removes its data; ``status`` prints the address and
    exits 0 if it runs, else exits 1. State lives in ``<cache_dir()>/broker-state.json``
    (``--state-file`` to change). With ``$KSTREAMS_BOOTSTRAP_SERVERS`` set, ``start`` just
    prints it.
    """
    parser = argparse.ArgumentParser(prog="python -m kstreams.testing.broker", description=__doc__)
    parser.add_argument("command", choices=["start", "stop", "status"])
    parser.add_argument("--state-file", help="state file (default: <cache>/broker-state.json)")
    parser.add_argument("--port", type=int, default=None, help="client port (default: free)")
    parser.add_argument("--heap", default="512m", help="JVM -Xmx (default 512m)")
    parser.add_argument("--timeout", type=float, default=90.0, help="startup timeout, seconds")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    state_path = _state_file(args.state_file)
    if args.command == "start":
        return _cli_start(state_path, args)
    if args.command == "stop":
        return _cli_stop(state_path)
    return _cli_status(state_path)


if __name__ == "__main__":
    sys.exit(main())
