"""The Java side of the differential suite: build ``java/`` once into a cache, run it once.

Maven resolves the classpath (``dependency:build-classpath``, offline first, then online);
``javac`` compiles the sources into ``<cache_dir()>/differential/<hash>``, the hash covering the
pom and every source file, so a second session reuses the classes. One JVM runs every scenario.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kstreams.testing.broker_env import cache_dir

JAVA_DIR = Path(__file__).resolve().parent / "java"
RUNNER_CLASS = "kstreams.differential.Runner"
_DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"
_INSTALL_HINT = (
    "the differential tests need JDK 17+ (java, javac) and Maven (mvn) to run Kafka Streams' "
    "TopologyTestDriver: install them (Debian/Ubuntu: apt-get install openjdk-17-jdk-headless "
    "maven) and make sure they are on PATH"
)


class JavaBuildError(RuntimeError):
    """Maven or javac failed: the message carries their output."""


def missing_tools() -> str | None:
    """Why the Java side cannot run here (a sentence for pytest.skip), or None if it can."""
    missing = [tool for tool in ("java", "javac", "mvn") if shutil.which(tool) is None]
    if missing:
        return f"{', '.join(missing)} not found: {_INSTALL_HINT}"
    version = _java_major_version()
    if version is not None and version < 17:
        return f"java on PATH is version {version}: {_INSTALL_HINT}"
    return None


def _java_major_version() -> int | None:
    try:
        proc = subprocess.run(
            ["java", "-version"], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.search(r'version "(\d+)(?:\.(\d+))?', proc.stderr)
    if not m:
        return None
    major = int(m.group(1))
    return int(m.group(2) or 0) if major == 1 else major  # "1.8.0" is Java 8


def sources_hash() -> str:
    """A hash of the pom and the Java sources: the name of their build in the cache."""
    h = hashlib.sha256()
    for path in sorted([JAVA_DIR / "pom.xml", *JAVA_DIR.glob("src/**/*.java")]):
        h.update(path.relative_to(JAVA_DIR).as_posix().encode())
        h.update(b"\0")
        h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()[:20]


@contextmanager
def _lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def build() -> str:
    """The runner's classpath, compiling it first unless the cache already has this build."""
    root = cache_dir() / "differential"
    home = root / sources_hash()
    classpath_file = home / "classpath.txt"
    if not _complete(classpath_file):
        with _lock(root / f"{home.name}.lock"):
            if not _complete(classpath_file):  # another session built it while we waited
                _build_into(home)
    return f"{home / 'classes'}{os.pathsep}{classpath_file.read_text().strip()}"


def _complete(classpath_file: Path) -> bool:
    """Whether the build exists and the jars it names are still there (~/.m2 may be wiped)."""
    if not classpath_file.is_file():
        return False
    jars = classpath_file.read_text().strip().split(os.pathsep)
    return all(Path(jar).is_file() for jar in jars)


def _build_into(home: Path) -> None:
    home.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=home.parent, prefix=f".{home.name}-"))
    try:
        cp_file = tmp / "classpath.txt"
        base = [
            "mvn",
            "-B",
            "-q",
            "-Dstyle.color=never",
            "-f",
            str(JAVA_DIR / "pom.xml"),
            f"{_DEPENDENCY_PLUGIN}:build-classpath",
            f"-Dmdep.outputFile={cp_file}",
        ]
        # offline first (no network needed once ~/.m2 has the jars), else online
        offline = _run([*base[:1], "-o", *base[1:]], timeout=600)
        if offline.returncode != 0 or not cp_file.is_file():
            online = _run(base, timeout=900)
            if online.returncode != 0 or not cp_file.is_file():
                raise JavaBuildError(
                    "Maven could not resolve Kafka Streams 4.4.0's test utilities "
                    f"(exit {online.returncode}; needs Maven Central or a filled ~/.m2):\n"
                    f"$ {' '.join(base)}\n{online.stdout[-6000:]}"
                )
        sources = sorted(str(p) for p in JAVA_DIR.glob("src/**/*.java"))
        javac = _run(
            [
                "javac",
                "--release",
                "17",
                "-encoding",
                "UTF-8",
                "-nowarn",
                "-d",
                str(tmp / "classes"),
                "-cp",
                cp_file.read_text().strip(),
                *sources,
            ],
            timeout=300,
        )
        if javac.returncode != 0:
            raise JavaBuildError(f"javac failed on {JAVA_DIR}:\n{javac.stdout[-6000:]}")
        if home.exists():  # a stale build (its jars are gone)
            shutil.rmtree(home)
        os.rename(tmp, home)  # complete or not at all
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _run(cmd: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise JavaBuildError(f"did not finish within {timeout:.0f}s: {' '.join(cmd)}") from exc


def run(classpath: str, scenarios: list[dict[str, Any]]) -> dict[str, Any]:
    """Run every scenario request in one JVM; the runner's results by scenario name."""
    with tempfile.TemporaryDirectory(prefix="kstreams-differential-") as tmp:
        request = Path(tmp) / "request.json"
        results = Path(tmp) / "results.json"
        request.write_text(json.dumps({"scenarios": scenarios}))
        cmd = [
            "java",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",  # short run: start-up matters more than peak speed
            "-Djava.io.tmpdir=" + tmp,
            "-cp",
            classpath,
            RUNNER_CLASS,
            str(request),
            str(results),
        ]
        started = time.monotonic()
        try:
            proc = subprocess.run(
                cmd,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise JavaBuildError("Kafka Streams' runner did not finish within 600s") from exc
        if proc.returncode != 0 or not results.is_file():
            raise JavaBuildError(
                f"Kafka Streams' runner failed (exit {proc.returncode}) after "
                f"{time.monotonic() - started:.1f}s:\n{proc.stdout[-3000:]}{proc.stderr[-6000:]}"
            )
        return json.loads(results.read_text())
