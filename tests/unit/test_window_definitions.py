"""TimeWindows, SlidingWindows, SessionWindows and EmitStrategy: Java's windows_for, defaults and validation."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kstreams import EmitStrategy, SessionWindows, SlidingWindows, TimeWindow, TimeWindows


def starts(windows: TimeWindows, ts: int) -> list[tuple[int, int]]:
    return [(s, w.end) for s, w in windows.windows_for(ts).items()]


def test_tumbling_windows_for() -> None:
    w = TimeWindows.of_size_with_no_grace(timedelta(seconds=10))
    assert w.size() == 10_000 and w.advance_ms == 10_000 and w.grace_ms() == 0
    assert starts(w, 0) == [(0, 10_000)]
    assert starts(w, 9_999) == [(0, 10_000)]
    assert starts(w, 10_000) == [(10_000, 20_000)]
    assert isinstance(w.windows_for(5)[0], TimeWindow)


def test_hopping_windows_for_as_java() -> None:
    # TimeWindowsTest: size 12, advance 5 -> a record at 21 is in the windows at 10, 15 and 20
    w = TimeWindows.of_size_with_no_grace(12).advance_by(5)
    assert starts(w, 21) == [(10, 22), (15, 27), (20, 32)]
    # no window starts before 0
    assert starts(w, 3) == [(0, 12)]
    assert starts(w, 7) == [(0, 12), (5, 17)]


def test_grace_and_equality() -> None:
    a = TimeWindows.of_size_and_grace(timedelta(minutes=1), timedelta(seconds=30))
    assert a.grace_ms() == a.grace_period_ms() == 30_000
    assert a == TimeWindows.of_size_and_grace(60_000, 30_000)
    assert a != a.advance_by(timedelta(seconds=10))
    assert hash(a) == hash(TimeWindows.of_size_and_grace(60_000, 30_000))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: TimeWindows.of_size_with_no_grace(0), "Window size"),
        (lambda: TimeWindows.of_size_with_no_grace(-1), "Window size"),
        (lambda: TimeWindows.of_size_with_no_grace(10).advance_by(11), "advancement interval"),
        (lambda: TimeWindows.of_size_with_no_grace(10).advance_by(0), "advancement interval"),
        (lambda: TimeWindows.of_size_and_grace(10, -1), "Grace period must not be negative"),
        (lambda: SlidingWindows.of_time_difference_with_no_grace(-1), "time difference"),
        (lambda: SlidingWindows.of_time_difference_and_grace(5, -1), "grace period"),
        (lambda: SessionWindows.of_inactivity_gap_with_no_grace(0), "Gap time"),
        (lambda: SessionWindows.of_inactivity_gap_and_grace(5, -1), "Grace period"),
    ],
)
def test_validation(make, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=message):
        make()


def test_durations_must_be_timedelta_or_int() -> None:
    with pytest.raises(TypeError, match='"size"'):
        TimeWindows.of_size_with_no_grace(1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match='"inactivityGap"'):
        SessionWindows.of_inactivity_gap_with_no_grace("5s")  # type: ignore[arg-type]


def test_sliding_and_session_accessors() -> None:
    s = SlidingWindows.of_time_difference_and_grace(timedelta(seconds=5), timedelta(seconds=1))
    assert (s.time_difference_ms(), s.grace_ms()) == (5_000, 1_000)
    g = SessionWindows.of_inactivity_gap_with_no_grace(timedelta(minutes=5))
    assert (g.inactivity_gap(), g.grace_ms()) == (300_000, 0)


def test_emit_strategy() -> None:
    close, update = EmitStrategy.on_window_close(), EmitStrategy.on_window_update()
    assert close.on_close and not update.on_close
    assert close.type is EmitStrategy.StrategyType.ON_WINDOW_CLOSE
    assert close == EmitStrategy.on_window_close() and close != update
