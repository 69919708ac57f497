"""Windowed aggregations through the TopologyTestDriver: results, stores, drops, validation, mutation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from kstreams import (
    EmitStrategy,
    Materialized,
    Serdes,
    SessionWindow,
    SessionWindows,
    SlidingWindows,
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


def test_old_values_stay_right_when_the_aggregator_mutates() -> None:
    # a filter downstream reads the old values: the mutated aggregate must not leak into them
    seen: list[Any] = []

    def add(k: Any, v: Any, agg: dict[str, Any]) -> dict[str, Any]:
        agg["n"] += 1
        return agg

    def build(s: Any) -> None:
        table = (
            s.group_by_key()
            .windowed_by(TimeWindows.of_size_with_no_grace(10))
            .aggregate(
                lambda: {"n": 0},
                add,
                Materialized.as_("agg").with_value_serde(Serdes.JSON()).with_caching_disabled(),
            )
        )
        table.filter(lambda w, agg: agg["n"] % 2 == 1).to_stream().peek(
            lambda w, agg: seen.append(agg)
        ).to("out", value_serde=Serdes.JSON())

    out, driver = run(build, [("a", "x", 1), ("a", "y", 2), ("a", "z", 3)], tw(10), Serdes.JSON())
    with driver:
        # n=1 passes, n=2 is filtered out (a tombstone: its old value n=1 passed), n=3 passes
        assert [v for _, v, _ in out] == [{"n": 1}, None, {"n": 3}]
        assert driver.get_timestamped_window_store("agg").fetch("a", 0).value == {"n": 3}


def test_sessions_merge_with_tombstones() -> None:
    def build(s: Any) -> None:
        s.group_by_key().windowed_by(SessionWindows.of_inactivity_gap_and_grace(5, 10)).count(
            Materialized.as_("s").with_caching_disabled()
        ).to_stream().to("out", value_serde=Serdes.Long())

    ses = WindowedSerdes.session_windowed_serde_from(Serdes.String())
    out, driver = run(build, [("k", "1", 0), ("k", "2", 10), ("k", "3", 5)], ses)
    with driver:
        S = lambda a, b: Windowed("k", SessionWindow(a, b))  # noqa: E731
        assert out == [
            (S(0, 0), 1, 0),
            (S(10, 10), 1, 10),
            (S(0, 0), None, 0),  # merged away
            (S(10, 10), None, 10),
            (S(0, 10), 3, 10),  # stamped with the session's end
        ]
        assert list(driver.get_session_store("s").fetch("k")) == [(S(0, 10), 3)]


def test_sliding_windows_inclusive_bounds() -> None:
    def build(s: Any) -> None:
        s.group_by_key().windowed_by(SlidingWindows.of_time_difference_with_no_grace(10)).count(
            Materialized.as_("s").with_caching_disabled()
        ).to_stream().to("out", value_serde=Serdes.Long())

    out, driver = run(build, [("k", "1", 10), ("k", "2", 20)], tw(10))
    with driver:
        # 20 - 10 = 10: both records are in [10, 20]; the first's right window starts at 11
        assert out == [(W("k", 0, 10), 1, 10), (W("k", 11, 21), 1, 20), (W("k", 10, 20), 2, 20)]


def test_expired_records_counted_and_logged_once_per_window(caplog: Any) -> None:
    def build(s: Any) -> None:
        s.group_by_key().windowed_by(TimeWindows.of_size_and_grace(10, 5)).count().to_stream().to(
            "out", value_serde=Serdes.Long()
        )

    rows = [("k", "a", 30), ("k", "b", 1), ("k", "c", 2), ("j", "d", 3), ("k", "e", 24)]
    with caplog.at_level("DEBUG", logger="kstreams"):
        out, driver = run(build, rows, tw(10))
    with driver:
        assert driver.metrics()["dropped-records-total"] == 3  # [0,10) closed at 15
        lines = [r.getMessage() for r in caplog.records if "expired window" in r.getMessage()]
        assert len(lines) == 1 and "[0,10)" in lines[0]
        assert out[-1] == (W("k", 20, 30), 1, 24)  # [20,30) still open: 30 < 30 + 5


def test_on_window_close_emits_final_results_once() -> None:
    def build(s: Any) -> None:
        s.group_by_key().windowed_by(TimeWindows.of_size_with_no_grace(10)).emit_strategy(
            EmitStrategy.on_window_close()
        ).count().to_stream().to("out", value_serde=Serdes.Long())

    rows = [("k", "a", 1), ("k", "b", 2), ("j", "c", 5), ("k", "d", 10), ("k", "e", 25)]
    out, driver = run(build, rows, tw(10))
    with driver:
        # each window once, when stream time passes its end; by window start, then key
        assert out == [(W("j", 0, 10), 1, 5), (W("k", 0, 10), 2, 2), (W("k", 10, 20), 1, 10)]


def test_retention_shorter_than_size_plus_grace_is_an_error() -> None:
    grouped = StreamsBuilder().stream("in").group_by_key()
    with pytest.raises(ValueError, match=r"window store w must be no smaller.*retention=\[5\]"):
        grouped.windowed_by(TimeWindows.of_size_and_grace(10, 1)).count(
            Materialized.as_("w").with_retention(5)
        )
    with pytest.raises(ValueError, match="2 \\* time difference"):
        grouped.windowed_by(SlidingWindows.of_time_difference_with_no_grace(10)).count(
            Materialized.as_("s").with_retention(15)
        )
    with pytest.raises(ValueError, match="session store x must be no smaller"):
        grouped.windowed_by(SessionWindows.of_inactivity_gap_and_grace(10, 5)).count(
            Materialized.as_("x").with_retention(timedelta(milliseconds=14))
        )
    with pytest.raises(ValueError, match="Retention must not be negative"):
        Materialized.as_("x").with_retention(-1)


def test_bad_arguments_are_named() -> None:
    grouped = StreamsBuilder().stream("in").group_by_key()
    with pytest.raises(TypeError, match="windowed_by takes TimeWindows"):
        grouped.windowed_by(10)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="emit_strategy takes"):
        grouped.windowed_by(TimeWindows.of_size_with_no_grace(5)).emit_strategy("close")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="merger must be callable"):
        grouped.windowed_by(SessionWindows.of_inactivity_gap_with_no_grace(5)).aggregate(
            lambda: 0,
            lambda k, v, a: a,
            None,  # type: ignore[arg-type]
        )


def test_describe_names_as_java() -> None:
    b = StreamsBuilder()
    b.stream("in").group_by_key().windowed_by(TimeWindows.of_size_with_no_grace(5)).count(
        Materialized.with_(Serdes.String(), Serdes.Long())
    ).to_stream().to("out")
    text = str(b.build().describe())
    # the unnamed Materialized draws a store name more, as Java's count(Materialized) does
    assert (
        "KSTREAM-AGGREGATE-0000000003 (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000002])" in text
    )


def test_in_memory_windowed_store_and_default_key_serde() -> None:
    def build(s: Any) -> None:
        s.group_by_key().windowed_by(TimeWindows.of_size_with_no_grace(10)).reduce(
            lambda a, v: a + v, Materialized.as_("r").with_store_type("in_memory")
        ).to_stream().to("out")

    out, driver = run(build, [("k", "a", 1), ("k", "b", 2)], tw(10), Serdes.String())
    with driver:
        assert out == [(W("k", 0, 10), "a", 1), (W("k", 0, 10), "ab", 2)]
        assert driver.get_timestamped_window_store("r").fetch("k", 0).value == "ab"


def test_window_grace_found_up_the_graph() -> None:
    from kstreams.dsl.grace import find_and_verify_window_grace
    from kstreams.errors import TopologyError

    b = StreamsBuilder()
    grouped = b.stream("in").group_by_key()
    hop = grouped.windowed_by(TimeWindows.of_size_and_grace(10, 3).advance_by(5)).count()
    sessions = grouped.windowed_by(SessionWindows.of_inactivity_gap_and_grace(7, 2)).count()
    filtered = hop.filter(lambda w, n: n > 1)
    assert find_and_verify_window_grace(b.graph, filtered.name) == 3
    assert find_and_verify_window_grace(b.graph, sessions.name) == 9
    plain = grouped.count()
    with pytest.raises(TopologyError, match="only defined for windowed computations"):
        find_and_verify_window_grace(b.graph, plain.name)


def test_value_getters_read_the_windowed_stores() -> None:
    from kstreams.processor.session_aggregate import SessionWindowedValueGetter
    from kstreams.processor.window_aggregate import TimeWindowedValueGetter

    def build(s: Any) -> None:
        g = s.group_by_key()
        g.windowed_by(TimeWindows.of_size_with_no_grace(10)).count(Materialized.as_("w"))
        g.windowed_by(SessionWindows.of_inactivity_gap_with_no_grace(5)).count(
            Materialized.as_("s")
        ).to_stream().to("out", value_serde=Serdes.Long())

    ses = WindowedSerdes.session_windowed_serde_from(Serdes.String())
    _, driver = run(build, [("k", "a", 3), ("k", "b", 6)], ses)
    with driver:

        class Context:
            def get_state_store(self, name: str) -> Any:
                return {
                    "w": driver.get_timestamped_window_store("w"),
                    "s": driver.get_session_store("s"),
                }[name]

        tg, sg = TimeWindowedValueGetter("w"), SessionWindowedValueGetter("s")
        tg.init(Context())  # type: ignore[arg-type]
        sg.init(Context())  # type: ignore[arg-type]
        assert tg.get(W("k", 0, 10)) == (2, 6)
        assert tg.get(W("k", 10, 20)) is None
        assert sg.get(Windowed("k", SessionWindow(3, 6))) == (2, 6)
        assert sg.get(Windowed("k", SessionWindow(3, 3))) is None


def test_materialized_with_a_window_store_supplier() -> None:
    from kstreams.state import Stores

    def build(s: Any) -> None:
        supplier = Stores.in_memory_window_store("mine", timedelta(minutes=5), 10)
        s.group_by_key().windowed_by(TimeWindows.of_size_with_no_grace(10)).count(
            Materialized.as_(supplier).with_caching_disabled()
        ).to_stream().to("out", value_serde=Serdes.Long())

    out, driver = run(build, [("k", "a", 1), ("k", "b", 2)], tw(10))
    with driver:
        assert [n for _, n, _ in out] == [1, 2]
        assert driver.get_timestamped_window_store("mine").retention_period == 300_000
