"""Count windows (a kstreams extension): definitions, count / reduce / aggregate through the driver, restart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kstreams import Materialized, Serdes, StreamsBuilder
from kstreams.processor.count_window_aggregate import CountWindowState, CountWindowStateSerde
from kstreams.testing import TopologyTestDriver
from kstreams.windows.count_windows import CountWindow, CountWindows
from kstreams.windows.window import Windowed

CONFIG = {
    "application.id": "cw",
    "default.key.serde": Serdes.String(),
    "default.value.serde": Serdes.String(),
}


def test_definitions() -> None:
    assert CountWindows.of(3) == CountWindows(3, 3)
    assert repr(CountWindows.of(4).advance_by(2)) == "CountWindows.of(4).advance_by(2)"
    assert list(CountWindows.of(3).advance_by(2).starts_for(4)) == [2, 4]
    assert list(CountWindows.of(3).starts_for(5)) == [3]
    with pytest.raises(ValueError, match="at least one record"):
        CountWindows.of(0)
    with pytest.raises(ValueError, match="no more than the window size"):
        CountWindows.of(2).advance_by(3)
    with pytest.raises(TypeError, match="int number of records"):
        CountWindows.of(2.5)  # type: ignore[arg-type]
    a, b = CountWindow(5, 9, 0, 3), CountWindow(5, 9, 3, 3)
    assert a != b and a == CountWindow(5, 9, 0, 3) and len({a, b}) == 2
    assert not a.overlap(b) and a.overlap(CountWindow(1, 2, 2, 3))
    assert (a.first_record, a.last_record, a.size) == (0, 2, 3)


def test_state_serde_round_trip() -> None:
    serde = CountWindowStateSerde(Serdes.JSON())
    for state in (CountWindowState(2, 17, {"a": [1]}), CountWindowState(1, 0, None)):
        assert serde.deserialize("t", serde.serialize("t", state)) == state


def _run(
    build: Any, rows: list[tuple[Any, Any, int]], value_serde: Any = None, config: Any = None
) -> list[Any]:
    b = StreamsBuilder()
    build(b)
    with TopologyTestDriver(b.build(), config or CONFIG) as driver:
        topic = driver.create_input_topic("in", Serdes.String(), Serdes.String())
        for k, v, ts in rows:
            topic.pipe_input(k, v, ts)
        out = driver.create_output_topic("out", Serdes.String(), value_serde or Serdes.String())
        return [(r.key, r.value, r.timestamp) for r in out.read_records_to_list()]


def _window_key(w: Windowed[Any]) -> str:
    win = w.window
    assert isinstance(win, CountWindow)
    return f"{w.key}#{win.first_record}-{win.last_record}@{win.start}/{win.end}"


def test_tumbling_count_one_result_per_n_records() -> None:
    def build(b: StreamsBuilder) -> None:
        b.stream("in").group_by_key().windowed_by(CountWindows.of(2)).count().to_stream().map(
            lambda w, n: (_window_key(w), n)
        ).to("out", value_serde=Serdes.Long())

    rows = [
        ("a", "x", 10),
        ("b", "x", 11),
        ("a", "x", 5),
        ("a", "x", 20),
        (None, "x", 21),
        ("b", "x", 30),
        ("a", "x", 25),
        ("a", "x", 26),
    ]
    assert _run(build, rows, Serdes.Long()) == [
        ("a#0-1@5/10", 2, 10),  # the latest timestamp; bounds are the earliest and latest
        ("b#0-1@11/30", 2, 30),
        ("a#2-3@20/25", 2, 25),
    ]


def test_hopping_reduce_and_a_record_in_several_windows() -> None:
    def build(b: StreamsBuilder) -> None:
        b.stream("in").group_by_key().windowed_by(CountWindows.of(3).advance_by(1)).reduce(
            lambda agg, v: agg + v
        ).to_stream().map(lambda w, v: (_window_key(w), v)).to("out")

    rows = [("k", c, i) for i, c in enumerate("abcde")]
    assert _run(build, rows) == [
        ("k#0-2@0/2", "abc", 2),
        ("k#1-3@1/3", "bcd", 3),
        ("k#2-4@2/4", "cde", 4),
    ]


def test_aggregate_with_mutable_values_and_json() -> None:
    def build(b: StreamsBuilder) -> None:
        def add(key: Any, value: Any, agg: dict[str, Any]) -> dict[str, Any]:
            agg.setdefault("values", []).append(value)  # mutated in place, as users do
            return agg

        (
            b.stream("in")
            .group_by_key()
            .windowed_by(CountWindows.of(2).advance_by(1))
            .aggregate(dict, add, Materialized.with_(Serdes.String(), Serdes.JSON()))
            .to_stream()
            .map(lambda w, v: (_window_key(w), v))
            .to("out", value_serde=Serdes.JSON())
        )

    rows = [("k", "1", 1), ("k", "2", 2), ("k", "3", 3)]
    assert _run(build, rows, Serdes.JSON()) == [
        ("k#0-1@1/2", {"values": ["1", "2"]}, 2),
        ("k#1-2@2/3", {"values": ["2", "3"]}, 3),
    ]


def test_null_keys_dropped_and_counted() -> None:
    b = StreamsBuilder()
    b.stream("in").group_by_key().windowed_by(CountWindows.of(1)).count().to_stream().to(
        "out", value_serde=Serdes.Long()
    )
    with TopologyTestDriver(b.build(), CONFIG) as driver:
        driver.create_input_topic("in", Serdes.String(), Serdes.String()).pipe_input(None, "v", 1)
        assert driver.metrics()["dropped-records-total"] == 1


def test_store_holds_open_windows_only_and_names_as_time_windows() -> None:
    b = StreamsBuilder()
    b.stream("in").group_by_key().windowed_by(CountWindows.of(3).advance_by(2)).count(
        Materialized.as_("counts")
    ).to_stream().map(lambda w, n: (w.key, n)).to("out", value_serde=Serdes.Long())
    topo = b.build()
    assert "Processor: KSTREAM-AGGREGATE-0000000001 (stores: [counts])" in str(topo.describe())
    with TopologyTestDriver(topo, CONFIG) as driver:
        topic = driver.create_input_topic("in", Serdes.String(), Serdes.String())
        for ts in range(5):
            topic.pipe_input("k", "v", ts)
        store = driver.get_window_store("counts")
        # windows starting at records 0, 2, 4: 0..2 and 2..4 complete (emitted, gone), 4 open
        assert [(w.window.start, v.count) for w, v in store.all()] == [(4, 1)]
        out = driver.create_output_topic("out", Serdes.String(), Serdes.Long())
        assert [(r.key, r.value, r.timestamp) for r in out.read_records_to_list()] == [
            ("k", 3, 2),
            ("k", 3, 4),
        ]
    builder = topo.state_stores["counts"]
    assert builder.changelog_config(86_400_000)["cleanup.policy"] == "compact"


def test_retention_and_suppliers_refused() -> None:
    b = StreamsBuilder()
    windowed = b.stream("in").group_by_key().windowed_by(CountWindows.of(3))
    with pytest.raises(ValueError, match="with_retention does not apply"):
        windowed.count(Materialized.as_("c").with_retention(1000))
    with pytest.raises(TypeError, match="CountWindows"):
        b.stream("in2").group_by_key().windowed_by(3)  # type: ignore[arg-type]


def test_restart_continues_open_windows(tmp_path: Path) -> None:
    config = {**CONFIG, "state.dir": str(tmp_path)}

    def build(b: StreamsBuilder) -> None:
        b.stream("in").group_by_key().windowed_by(CountWindows.of(3)).reduce(
            lambda a, v: a + v, Materialized.as_("letters")
        ).to_stream().map(lambda w, v: (_window_key(w), v)).to("out")

    first = _run(build, [("k", "a", 1), ("k", "b", 2), ("k", "c", 3), ("k", "d", 4)], config=config)
    assert first == [("k#0-2@1/3", "abc", 3)]
    # a new driver on the same state directory: the open window (d) is still there
    second = _run(build, [("k", "e", 5), ("k", "f", 6), ("k", "g", 7)], config=config)
    assert second == [("k#3-5@4/6", "def", 6)]


def test_until_window_closes_refused_with_a_reason() -> None:
    from kstreams import TopologyError
    from kstreams.dsl.suppressed import BufferConfig, Suppressed

    counts = StreamsBuilder().stream("in").group_by_key().windowed_by(CountWindows.of(2)).count()
    with pytest.raises(TopologyError, match="does not apply to count windows"):
        counts.suppress(Suppressed.until_window_closes(BufferConfig.unbounded()))
    # a time limit works on them as on any table
    counts.suppress(Suppressed.until_time_limit(10, BufferConfig.unbounded()))


def test_default_to_writes_session_windowed_keys() -> None:
    from kstreams import WindowedSerdes

    b = StreamsBuilder()
    b.stream("in").group_by_key().windowed_by(CountWindows.of(2)).count().to_stream().to("out")
    with TopologyTestDriver(b.build(), CONFIG) as driver:
        topic = driver.create_input_topic("in", Serdes.String(), Serdes.String())
        for ts in (5, 7, 9):
            topic.pipe_input("k", "v", ts)
        keys = WindowedSerdes.session_windowed_serde_from(Serdes.String())
        out = driver.create_output_topic("out", keys, Serdes.Long())
        ((key, value),) = [(r.key, r.value) for r in out.read_records_to_list()]
        assert (key.key, key.window.start, key.window.end, value) == ("k", 5, 7, 2)


def test_until_time_limit_emits_count_windows_with_their_record_numbers() -> None:
    from kstreams.dsl.suppressed import BufferConfig, Suppressed

    def build(b: StreamsBuilder) -> None:
        (
            b.stream("in")
            .group_by_key()
            .windowed_by(CountWindows.of(2))
            .count()
            .suppress(Suppressed.until_time_limit(10, BufferConfig.unbounded()))
            .to_stream()
            .map(lambda w, n: (_window_key(w), n))
            .to("out", value_serde=Serdes.Long())
        )

    rows = [("k", "a", 1), ("k", "b", 2), ("k", "c", 3), ("k", "d", 4)]
    # both windows wait in the buffer until stream time passes their buffering time + 10
    assert _run(build, rows, Serdes.Long()) == []
    # a result at 21 (j's first window) moves the suppression's stream time past them: they
    # come out as the CountWindows the aggregation made (record numbers kept)
    assert _run(build, [*rows, ("j", "x", 20), ("j", "y", 21)], Serdes.Long()) == [
        ("k#0-1@1/2", 2, 2),
        ("k#2-3@3/4", 2, 4),
    ]


def test_count_windowed_buffer_keys_round_trip() -> None:
    from kstreams.serde.windowed import CountWindowedSerde

    serde = CountWindowedSerde(Serdes.String())
    key = Windowed("k", CountWindow(5, 9, 3, 2))
    raw = serde.serialize("t", key)
    assert raw == b"k" + (9).to_bytes(8, "big") + (5).to_bytes(8, "big") + (3).to_bytes(
        8, "big"
    ) + (2).to_bytes(8, "big")
    assert serde.deserialize("t", raw) == key
