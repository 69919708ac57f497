"""Each scenario through Kafka Streams' TopologyTestDriver and kstreams', compared aspect by aspect.

One test per (aspect, scenario): output records (key, value, timestamp, headers) in order per
topic, store contents (``all()`` and ``get()``), ``describe()`` text, the topics written and
the ``dropped-records-total`` metric.
A difference the README documents is checked exactly: kstreams must equal Java's result adjusted
by that rule (DIFFERENCES.md). A known kstreams bug is ``xfail(strict=True)``.
"""

from __future__ import annotations

import difflib
import pprint
from typing import Any

import pytest

from .harness import Scenario
from .scenarios import SCENARIOS

pytestmark = pytest.mark.differential


def _params(aspect: str) -> list[Any]:
    params = []
    for s in SCENARIOS:
        if aspect == "stores" and not s.stores:
            continue
        marks = []
        if aspect in s.bugs:
            marks.append(pytest.mark.xfail(strict=True, reason=s.bugs[aspect]))
        params.append(pytest.param(s, id=s.name, marks=marks))
    return params


def _show(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "\n".join(
            f"  {name}:\n" + "\n".join(f"    {item!r}" for item in items)
            if isinstance(items, list)
            else f"  {name}: {pprint.pformat(items, width=96)}"
            for name, items in value.items()
        )
    return pprint.pformat(value, width=96)


def _compare(s: Scenario, aspect: str, results: Any) -> None:
    java, ours = results(s)
    expected = java.aspect(aspect)
    got = ours.aspect(aspect)
    how = "Kafka Streams"
    if aspect in s.deliberate:
        rule = s.deliberate[aspect]
        adjusted = rule.adjust(expected)
        assert adjusted != expected, (
            f"{s.name}: the documented difference {rule.difference!r} no longer shows in "
            f"{aspect}: remove it from the scenario and from DIFFERENCES.md"
        )
        expected = adjusted
        how = f"Kafka Streams, adjusted by the documented difference {rule.difference!r}"
    if got == expected:
        return
    diff = "\n".join(
        difflib.unified_diff(
            _show(expected).splitlines(), _show(got).splitlines(), how, "kstreams", lineterm=""
        )
    )
    pytest.fail(
        f"{s.name}: {aspect} differ\n--- {how}:\n{_show(expected)}\n--- kstreams:\n{_show(got)}\n"
        f"--- diff:\n{diff}",
        pytrace=False,
    )


@pytest.mark.parametrize("scenario", _params("outputs"))
def test_outputs(scenario: Scenario, results: Any) -> None:
    _compare(scenario, "outputs", results)


@pytest.mark.parametrize("scenario", _params("stores"))
def test_stores(scenario: Scenario, results: Any) -> None:
    _compare(scenario, "stores", results)


@pytest.mark.parametrize("scenario", _params("describe"))
def test_describe(scenario: Scenario, results: Any) -> None:
    _compare(scenario, "describe", results)


@pytest.mark.parametrize("scenario", _params("produced_topics"))
def test_produced_topics(scenario: Scenario, results: Any) -> None:
    _compare(scenario, "produced_topics", results)


@pytest.mark.parametrize("scenario", _params("dropped_records"))
def test_dropped_records(scenario: Scenario, results: Any) -> None:
    _compare(scenario, "dropped_records", results)
