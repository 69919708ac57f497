"""The contenders' runtimes: virtual environments for the Python peers, a compiled Java app.

Everything lives under ``<cache>/bench-venvs/<name>`` and ``<cache>/bench-java`` (``<cache>``
is kstreams' cache directory, ``~/.cache/kstreams``), never in the repository and never as a
dependency of kstreams. Each is made once and reused while its recipe is unchanged (a stamp
file holds the recipe).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from kstreams.testing.broker import KAFKA_VERSION, cache_dir

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

VENVS: dict[str, list[str]] = {
    # matplotlib for the chart, py-spy for the profiles: tools of the harness, not of kstreams.
    "tools": ["matplotlib", "py-spy"],
    "quixstreams": ["quixstreams"],
    # Faust's RocksDB store uses rocksdict (python-rocksdb does not build on 3.11).
    "faust": ["faust-streaming", "rocksdict"],
}

JACKSON_VERSION = "2.21.7"  # the version Kafka 4.4.0's own jars use
SLF4J_VERSION = "1.7.36"  # kafka-clients 4.4.0's slf4j-api

_POM = """<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>kstreams.bench</groupId>
  <artifactId>kafka-streams-bench</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka-streams</artifactId>
      <version>{kafka}</version>
    </dependency>
    <dependency>
      <groupId>com.fasterxml.jackson.core</groupId>
      <artifactId>jackson-databind</artifactId>
      <version>{jackson}</version>
    </dependency>
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-simple</artifactId>
      <version>{slf4j}</version>
    </dependency>
  </dependencies>
</project>
"""


class EnvError(RuntimeError):
    """A contender's runtime could not be made; the message says why."""


def bench_cache() -> Path:
    """Where the harness keeps its virtual environments, Java build and scratch state."""
    return cache_dir()


def _run(cmd: list[str], what: str, timeout: float = 1800, cwd: Path | None = None) -> str:
    proc = subprocess.run(
        cmd,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
    )
    if proc.returncode != 0:
        raise EnvError(f"{what} failed (exit {proc.returncode}):\n{proc.stdout[-3000:]}")
    return proc.stdout


def venv_python(name: str, log: bool = True) -> Path:
    """The Python of the virtual environment ``name`` (see :data:`VENVS`), made if needed."""
    packages = VENVS[name]
    home = bench_cache() / "bench-venvs" / name
    python = home / "bin" / "python"
    stamp = home / ".bench-stamp"
    recipe = " ".join(packages)
    if python.exists() and stamp.exists() and stamp.read_text() == recipe:
        return python
    if log:
        print(f"[bench] installing {recipe} into {home} (once)", file=sys.stderr, flush=True)
    shutil.rmtree(home, ignore_errors=True)
    home.parent.mkdir(parents=True, exist_ok=True)
    # The base interpreter of the running Python: the peers get the same Python version.
    base = getattr(sys, "_base_executable", sys.executable)
    _run([base, "-m", "venv", str(home)], f"creating the {name} virtual environment")
    _run(
        [str(python), "-m", "pip", "install", "--quiet", "--upgrade", *packages],
        f"pip install {recipe} (venv {name})",
    )
    stamp.write_text(recipe)
    return python


def package_version(python: Path, dist: str) -> str:
    """The installed version of distribution ``dist`` in the environment of ``python``."""
    code = f"import importlib.metadata as m; print(m.version({dist!r}))"
    try:
        return _run([str(python), "-c", code], f"version of {dist}", timeout=60).strip()
    except EnvError:
        return "?"


def java_app() -> tuple[list[str], str]:
    """``java`` command prefix (classpath set) for ``BenchApp``, and the Kafka Streams version.

    Resolves ``org.apache.kafka:kafka-streams`` (plus Jackson for the JSON workload and
    slf4j-simple for its log) with Maven into ``<cache>/bench-java/libs`` and compiles
    ``bench/java/BenchApp.java`` with ``javac`` into ``<cache>/bench-java/classes``.
    """
    java = shutil.which("java")
    javac = shutil.which("javac")
    mvn = shutil.which("mvn")
    if not (java and javac and mvn):
        raise EnvError("the Java contender needs java, javac and mvn on PATH")
    home = bench_cache() / "bench-java"
    source = HERE / "java" / "BenchApp.java"
    pom = _POM.format(kafka=KAFKA_VERSION, jackson=JACKSON_VERSION, slf4j=SLF4J_VERSION)
    digest = hashlib.sha256((pom + source.read_text()).encode()).hexdigest()[:16]
    libs, classes, stamp = home / "libs", home / "classes", home / ".bench-stamp"
    if not (stamp.exists() and stamp.read_text() == digest):
        print("[bench] building the Kafka Streams contender (once)", file=sys.stderr, flush=True)
        shutil.rmtree(home, ignore_errors=True)
        home.mkdir(parents=True)
        (home / "pom.xml").write_text(pom)
        _run(
            [
                mvn,
                "-B",
                "-q",
                "-f",
                str(home / "pom.xml"),
                "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies",
                "-DincludeScope=runtime",
                f"-DoutputDirectory={libs}",
            ],
            "resolving kafka-streams with Maven",
        )
        _run(
            [javac, "-d", str(classes), "-cp", f"{libs}{os.sep}*", str(source)],
            "compiling BenchApp.java",
        )
        stamp.write_text(digest)
    cmd = [
        java,
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
        "-cp",
        f"{classes}{os.pathsep}{libs}{os.sep}*",
        "BenchApp",
    ]
    return cmd, KAFKA_VERSION
