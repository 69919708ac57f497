"""Apache Kafka's broker jars for the local broker, resolved once with Maven into the cache.

:func:`kafka_libs_dir` answers a directory of jars: ``$KSTREAMS_KAFKA_LIBS`` if set, else
``<cache_dir()>/kafka-<version>/libs``, filled by ``mvn dependency:copy-dependencies`` on the
first call.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from kstreams.testing.broker_env import (
    ENV_BOOTSTRAP_SERVERS,
    ENV_KAFKA_LIBS,
    KAFKA_VERSION,
    BrokerStartError,
    cache_dir,
)
from kstreams.testing.processes import _file_lock

__all__ = ["SCALA_VERSION", "kafka_libs_dir"]

SCALA_VERSION = "2.13"
#: log4j2 version of Kafka 4.4.0's own dependencies; its slf4j 1.x binding is added to the jars.
_LOG4J_VERSION = "2.25.5"
_DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"

# Log as the broker helpers always have (one logger for all of them).
_log = logging.getLogger("kstreams.testing.broker")

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
