"""Session fixtures: the Java side builds (once, cached) and runs every scenario in one JVM."""

from __future__ import annotations

import time
from typing import Any

import pytest

from . import jvm
from .harness import Result, Scenario, decode_java, run_kstreams
from .scenarios import SCENARIOS


@pytest.fixture(scope="session")
def java_raw_results() -> dict[str, Any]:
    """Kafka Streams' raw results for every scenario (skips when Java or Maven is missing)."""
    reason = jvm.missing_tools()
    if reason:
        pytest.skip(reason)
    started = time.monotonic()
    try:
        classpath = jvm.build()
        built = time.monotonic()
        raw = jvm.run(classpath, [s.to_request() for s in SCENARIOS])
    except jvm.JavaBuildError as exc:
        pytest.fail(str(exc), pytrace=False)
    print(  # shown with -s / -rA: where the time goes
        f"\ndifferential: Java build {built - started:.1f}s (cached when unchanged), "
        f"{len(SCENARIOS)} scenarios in one JVM {time.monotonic() - built:.1f}s"
    )
    return raw


@pytest.fixture(scope="session")
def results(java_raw_results: dict[str, Any]) -> Any:
    """``results(scenario)`` -> (Java's Result, kstreams' Result), each computed once."""
    cache: dict[str, tuple[Result, Result]] = {}

    def get(s: Scenario) -> tuple[Result, Result]:
        if s.name not in cache:
            cache[s.name] = (decode_java(s, java_raw_results[s.name]), run_kstreams(s))
        return cache[s.name]

    return get
