"""Windowed aggregations through the TopologyTestDriver: results, stores, drops, validation, mutation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from kstreams import (
    Materialized,
    Serdes,
    StreamsBuilder,
    TimeWindow,
    TimeWindows,
    Windowed,
    WindowedSerdes,
)
from kstreams.testing import TopologyTestDriver

CONFIG: dict[str, Any] = {
    "application.id": "windows",
    "default.key.serde": Serdes.String,
    "default.value.serde": Serdes.String,
}


def run(
    build: Any,
    rows: list[tuple[Any, Any, int]],
    key_serde: Any,
    value_serde: Any = None,
    config: dict[str, Any] | None = None,
) -> tuple[list[tuple[Any, Any, int]], TopologyTestDriver]:
    b = StreamsBuilder()
    build(b.stream("in"))
    driver = TopologyTestDriver(b.build(), {**CONFIG, **(config or {})})
    topic = driver.create_input_topic("in", Serdes.String(), Serdes.String())
    for k, v, ts in rows:
        topic.pipe_input(k, v, ts)
    out = driver.create_output_topic("out", key_serde, value_serde or Serdes.Long())
    return [(r.key, r.value, r.timestamp) for r in out.read_records_to_list()], driver


def tw(size: int) -> Any:
    return WindowedSerdes.time_windowed_serde_from(Serdes.String(), size)


def W(key: str, start: int, end: int) -> Windowed[str]:
    return Windowed(key, TimeWindow(start, end))


def test_tumbling_count_end_to_end() -> None:
    def build(s: Any) -> None:
        s.group_by_key().windowed_by(TimeWindows.of_size_with_no_grace(timedelta(seconds=1))).count(
            Materialized.as_("counts")
        ).to_stream().to("out", value_serde=Serdes.Long())

    rows = [("a", "x", 0), ("a", "y", 999), ("b", "z", 500), ("a", "w", 1000), ("a", "late", 10)]
    out, driver = run(build, rows, tw(1000))
    with driver:
        assert out == [
            (W("a", 0, 1000), 1, 0),
            (W("a", 0, 1000), 2, 999),
            (W("b", 0, 1000), 1, 500),
            (W("a", 1000, 2000), 1, 1000),
        ]
        assert driver.metrics()["dropped-records-total"] == 1  # "late": its window closed
        store = driver.get_timestamped_window_store("counts")
        assert store.fetch("a", 1000).value == 1
