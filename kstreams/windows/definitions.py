"""Window definitions the DSL groups by: :class:`TimeWindows`, :class:`SlidingWindows`, :class:`SessionWindows`.

``KGroupedStream.windowed_by(...)`` takes one of these (Java: ``kstream.TimeWindows``,
``SlidingWindows``, ``SessionWindows``). Durations are ``timedelta`` s or int milliseconds;
validation and defaults are Kafka Streams 4.4's: the ``..._with_no_grace`` factories have a
grace period of zero, ``..._and_grace`` take it explicitly.

Example::

    TimeWindows.of_size_with_no_grace(timedelta(minutes=1))                  # tumbling
    TimeWindows.of_size_and_grace(timedelta(minutes=5), timedelta(seconds=30)).advance_by(
        timedelta(minutes=1))                                                # hopping
    SlidingWindows.of_time_difference_with_no_grace(timedelta(seconds=10))
    SessionWindows.of_inactivity_gap_and_grace(timedelta(minutes=5), timedelta(minutes=1))
"""

from __future__ import annotations

from datetime import timedelta

from kstreams.windows.window import TimeWindow

Duration = timedelta | int
"""A duration: a ``timedelta`` or a number of milliseconds."""

_ONE_MS = timedelta(milliseconds=1)


def duration_ms(value: Duration, name: str) -> int:
    """Milliseconds of ``value`` (Java's ``ApiUtils.validateMillisecondDuration``).

    ``name`` is the parameter's name, used in the error for a value that is not a duration.
    """
    if isinstance(value, timedelta):
        return value // _ONE_MS
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise TypeError(
        f'Invalid value for parameter "{name}" (value was: {value!r}). '
        "It must be a datetime.timedelta or an int number of milliseconds."
    )


class TimeWindows:
    """Fixed-size windows ``[start, start + size)``, tumbling or hopping (Java: ``TimeWindows``).

    Windows start at multiples of the advance (epoch-aligned); a record belongs to every
    window whose range holds its timestamp. No window starts before 0.
    """

    __slots__ = ("advance_ms", "grace_period", "size_ms")

    def __init__(self, size_ms: int, advance_ms: int, grace_ms: int) -> None:
        if size_ms <= 0:
            raise ValueError("Window size (sizeMs) must be larger than zero.")
        if advance_ms <= 0 or advance_ms > size_ms:
            raise ValueError(
                "Window advancement interval should be more than zero and less than window "
                f"duration which is {size_ms} ms, but given advancement interval is: "
                f"{advance_ms} ms"
            )
        if grace_ms < 0:
            raise ValueError("Grace period must not be negative.")
        self.size_ms = size_ms
        self.advance_ms = advance_ms
        self.grace_period = grace_ms

    @classmethod
    def of_size_with_no_grace(cls, size: Duration) -> TimeWindows:
        """Tumbling windows of ``size`` and no grace period: a record after its window's end
        (by stream time) is dropped."""
        return cls.of_size_and_grace(size, 0)

    @classmethod
    def of_size_and_grace(cls, size: Duration, after_window_end: Duration) -> TimeWindows:
        """Tumbling windows of ``size`` accepting out-of-order records until stream time
        passes a window's end plus ``after_window_end``."""
        size_ms = duration_ms(size, "size")
        grace_ms = duration_ms(after_window_end, "afterWindowEnd")
        return cls(size_ms, size_ms, grace_ms)

    def advance_by(self, advance: Duration) -> TimeWindows:
        """Hopping windows: the same size and grace, a new window every ``advance``
        (``0 < advance <= size``)."""
        return TimeWindows(self.size_ms, duration_ms(advance, "advance"), self.grace_period)

    def windows_for(self, timestamp: int) -> dict[int, TimeWindow]:
        """The windows holding ``timestamp``, by start, earliest first."""
        size, advance = self.size_ms, self.advance_ms
        start = (max(0, timestamp - size + advance) // advance) * advance
        windows: dict[int, TimeWindow] = {}
        while start <= timestamp:
            windows[start] = TimeWindow(start, start + size)
            start += advance
        return windows

    def size(self) -> int:
        """The window size, ms."""
        return self.size_ms

    def grace_ms(self) -> int:
        """The grace period after a window's end, ms (Java: ``gracePeriodMs()``)."""
        return self.grace_period

    grace_period_ms = grace_ms

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TimeWindows) and (
            self.size_ms,
            self.advance_ms,
            self.grace_period,
        ) == (other.size_ms, other.advance_ms, other.grace_period)

    def __hash__(self) -> int:
        return hash((TimeWindows, self.size_ms, self.advance_ms, self.grace_period))

    def __repr__(self) -> str:
        return (
            f"TimeWindows(size_ms={self.size_ms}, advance_ms={self.advance_ms}, "
            f"grace_ms={self.grace_period})"
        )


class SlidingWindows:
    """Windows of a fixed time difference aligned to the records (Java: ``SlidingWindows``).

    Two records are in a common window when their timestamps differ by at most the time
    difference; both bounds are inclusive. Each record creates its left window
    ``[t - difference, t]`` and, when a later record needs it, its right window
    ``[t + 1, t + 1 + difference]``: only windows with distinct contents exist.
    """

    __slots__ = ("_difference", "_grace")

    def __init__(self, time_difference_ms: int, grace_ms: int) -> None:
        if time_difference_ms < 0:
            raise ValueError("Window time difference must not be negative.")
        if grace_ms < 0:
            raise ValueError("Window grace period must not be negative.")
        self._difference = time_difference_ms
        self._grace = grace_ms

    @classmethod
    def of_time_difference_with_no_grace(cls, time_difference: Duration) -> SlidingWindows:
        """Sliding windows of ``time_difference`` and no grace period."""
        return cls.of_time_difference_and_grace(time_difference, 0)

    @classmethod
    def of_time_difference_and_grace(
        cls, time_difference: Duration, after_window_end: Duration
    ) -> SlidingWindows:
        """Sliding windows of ``time_difference`` accepting records until stream time passes a
        window's end plus ``after_window_end``."""
        return cls(
            duration_ms(time_difference, "timeDifference"),
            duration_ms(after_window_end, "afterWindowEnd"),
        )

    def time_difference_ms(self) -> int:
        """The maximum time difference of two records in one window, ms."""
        return self._difference

    def grace_ms(self) -> int:
        """The grace period after a window's end, ms (Java: ``gracePeriodMs()``)."""
        return self._grace

    grace_period_ms = grace_ms

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SlidingWindows) and (self._difference, self._grace) == (
            other._difference,
            other._grace,
        )

    def __hash__(self) -> int:
        return hash((SlidingWindows, self._difference, self._grace))

    def __repr__(self) -> str:
        return f"SlidingWindows(time_difference_ms={self._difference}, grace_ms={self._grace})"


class SessionWindows:
    """Sessions: periods of activity separated by an inactivity gap (Java: ``SessionWindows``).

    A record within ``gap`` of a key's session joins (and extends) it; a record that bridges
    two sessions merges them. A session ``[start, end]`` spans its first and last record.
    """

    __slots__ = ("_gap", "_grace")

    def __init__(self, gap_ms: int, grace_ms: int) -> None:
        if gap_ms <= 0:
            raise ValueError("Gap time cannot be zero or negative.")
        if grace_ms < 0:
            raise ValueError("Grace period must not be negative.")
        self._gap = gap_ms
        self._grace = grace_ms

    @classmethod
    def of_inactivity_gap_with_no_grace(cls, inactivity_gap: Duration) -> SessionWindows:
        """Sessions closed by ``inactivity_gap`` without records, no grace period."""
        return cls.of_inactivity_gap_and_grace(inactivity_gap, 0)

    @classmethod
    def of_inactivity_gap_and_grace(
        cls, inactivity_gap: Duration, after_window_end: Duration
    ) -> SessionWindows:
        """Sessions closed by ``inactivity_gap``, accepting records until stream time passes a
        session's end plus the gap plus ``after_window_end``."""
        return cls(
            duration_ms(inactivity_gap, "inactivityGap"),
            duration_ms(after_window_end, "afterWindowEnd"),
        )

    def inactivity_gap(self) -> int:
        """The inactivity gap, ms."""
        return self._gap

    def grace_ms(self) -> int:
        """The grace period, ms (Java: ``gracePeriodMs()``)."""
        return self._grace

    grace_period_ms = grace_ms

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SessionWindows) and (self._gap, self._grace) == (
            other._gap,
            other._grace,
        )

    def __hash__(self) -> int:
        return hash((SessionWindows, self._gap, self._grace))

    def __repr__(self) -> str:
        return f"SessionWindows(gap_ms={self._gap}, grace_ms={self._grace})"
