"""The windowed-count benchmark's pieces agree with kstreams (and so with Kafka Streams).

bench/ is no package: its modules are imported the way bench/run.py imports them.
"""

from __future__ import annotations

import itertools
import sys
from collections import Counter
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path[:0] = [str(BENCH), str(BENCH / "contenders")]

import common  # noqa: E402
import data  # noqa: E402
import kstreams_app  # noqa: E402

from kstreams import Serdes, TimeWindows, Windowed, WindowedSerdes  # noqa: E402
from kstreams.testing import TopologyTestDriver  # noqa: E402
from kstreams.windows.window import TimeWindow  # noqa: E402

N = 3000


@pytest.mark.parametrize("workload", data.WINDOWED)
def test_window_starts_are_kstreams_windows(workload: str) -> None:
    size, advance = common.WINDOW_SIZE_MS, common.WINDOW_ADVANCE_MS[workload]
    windows = TimeWindows.of_size_with_no_grace(size)
    if advance != size:
        windows = windows.advance_by(advance)
    for ts in (0, 1, 9_999, 10_000, 59_999, 60_000, 61_234, 1_796_143_985_005):
        assert list(common.window_starts(ts, size, advance)) == sorted(windows.windows_for(ts))
    assert len(common.window_starts(1_796_143_985_005, size, advance)) == (
        data.windows_per_record(workload)
    )


def test_windowed_key_is_the_time_windowed_serde() -> None:
    serde = WindowedSerdes.time_windowed_serde_from(Serdes.String(), common.WINDOW_SIZE_MS)
    window = Windowed("/p/17", TimeWindow(120_000, 180_000))
    assert common.windowed_key(b"/p/17", 120_000) == serde.serialize("t", window)


def test_the_input_is_keyed_by_page_in_event_time_order() -> None:
    records = list(data.generate("windowed-tumbling", N))
    assert records == list(data.generate("windowed-hopping", N))  # one input for both
    assert all(key.startswith(b"/p/") for key, _value in records)
    stamps = list(data.timestamps("windowed-tumbling", N))
    assert stamps[0] % common.WINDOW_SIZE_MS == 0
    assert all(b - a == data.WINDOWED_STEP_MS for a, b in itertools.pairwise(stamps))
    assert list(data.timestamps("wordcount", 2)) == [None, None]


@pytest.mark.parametrize("workload", data.WINDOWED)
def test_the_kstreams_contender_counts_every_window(workload: str) -> None:
    """What every contender computes: a count per page and window (here the final value of
    each window; the driver forwards every update)."""
    size, advance = common.WINDOW_SIZE_MS, common.WINDOW_ADVANCE_MS[workload]
    # a step of 50 ms: N records span 150 s, so windows open and close in this test (from
    # 10 minutes on: no window would start before 0)
    stamps = [600_000 + i * 50 for i in range(N)]
    records = list(data.generate(workload, N))
    expected: Counter[tuple[str, int]] = Counter()
    for (key, _value), ts in zip(records, stamps, strict=True):
        for start in common.window_starts(ts, size, advance):
            expected[(key.decode(), start)] += 1
    serde = WindowedSerdes.time_windowed_serde_from(Serdes.String(), size)
    topology = kstreams_app.topology(workload, "in", "out")
    with TopologyTestDriver(topology, {"application.id": "bench-windowed"}) as driver:
        source = driver.create_input_topic("in", Serdes.String(), Serdes.String())
        out = driver.create_output_topic("out", serde, Serdes.Long())
        for (key, value), ts in zip(records, stamps, strict=True):
            source.pipe_input(key.decode(), value.decode(), ts)
        updates = out.read_records_to_list()
        assert driver.metrics()["dropped-records-total"] == 0
    assert len(updates) == N * data.windows_per_record(workload)
    final = {(r.key.key, r.key.window.start): r.value for r in updates}
    assert final == dict(expected)
