"""``JoinWindows``: how far apart in time two records of a stream-stream join may be (Java: ``JoinWindows``).

A record of the left stream at time ``t`` joins the right stream's records of the same key
in ``[t - before, t + after]``; ``of_time_difference_...`` sets both bounds to the same
difference, :meth:`JoinWindows.before` / :meth:`JoinWindows.after` make the window
asymmetric. The grace period is how long after a window ends (by stream time) out-of-order
records are still joined; left and outer joins emit their unmatched records once it has
passed. Durations are ``timedelta`` s or int milliseconds.

Example::

    JoinWindows.of_time_difference_with_no_grace(timedelta(minutes=5))
    JoinWindows.of_time_difference_and_grace(timedelta(seconds=10), timedelta(seconds=2)).after(0)
"""

from __future__ import annotations

from kstreams.windows.definitions import Duration, duration_ms


class JoinWindows:
    """The join window of a ``KStream``-``KStream`` join: ``[t - before_ms, t + after_ms]``.

    ``before_ms`` may be negative if ``after_ms`` is larger (and the other way round): the
    window only has to be non-empty (``before_ms + after_ms >= 0``), as in Kafka Streams.
    """

    __slots__ = ("after_ms", "before_ms", "grace_period")

    def __init__(self, before_ms: int, after_ms: int, grace_ms: int) -> None:
        if before_ms + after_ms < 0:
            raise ValueError("Window interval (ie, beforeMs+afterMs) must not be negative.")
        if grace_ms < 0:
            raise ValueError("Grace period must not be negative.")
        self.before_ms = before_ms
        self.after_ms = after_ms
        self.grace_period = grace_ms

    @classmethod
    def of_time_difference_and_grace(
        cls, time_difference: Duration, after_window_end: Duration
    ) -> JoinWindows:
        """Join records at most ``time_difference`` apart (either way); out-of-order records
        are joined until stream time passes the window's end plus ``after_window_end``."""
        difference = duration_ms(time_difference, "timeDifference")
        return cls(difference, difference, duration_ms(after_window_end, "afterWindowEnd"))

    @classmethod
    def of_time_difference_with_no_grace(cls, time_difference: Duration) -> JoinWindows:
        """Join records at most ``time_difference`` apart, with no grace period."""
        return cls.of_time_difference_and_grace(time_difference, 0)

    def before(self, time_difference: Duration) -> JoinWindows:
        """The same window, but joining other-side records up to ``time_difference`` *before*
        a record (Java: ``before(Duration)``)."""
        return JoinWindows(
            duration_ms(time_difference, "timeDifference"), self.after_ms, self.grace_period
        )

    def after(self, time_difference: Duration) -> JoinWindows:
        """The same window, but joining other-side records up to ``time_difference`` *after*
        a record (Java: ``after(Duration)``)."""
        return JoinWindows(
            self.before_ms, duration_ms(time_difference, "timeDifference"), self.grace_period
        )

    def size(self) -> int:
        """The window's size, ``before_ms + after_ms`` (the join stores' window size), ms."""
        return self.before_ms + self.after_ms

    def grace_ms(self) -> int:
        """The grace period after a window's end, ms (Java: ``gracePeriodMs()``)."""
        return self.grace_period

    grace_period_ms = grace_ms

    def __eq__(self, other: object) -> bool:
        return isinstance(other, JoinWindows) and (
            self.before_ms,
            self.after_ms,
            self.grace_period,
        ) == (other.before_ms, other.after_ms, other.grace_period)

    def __hash__(self) -> int:
        return hash((JoinWindows, self.before_ms, self.after_ms, self.grace_period))

    def __repr__(self) -> str:
        return (
            f"JoinWindows(before_ms={self.before_ms}, after_ms={self.after_ms}, "
            f"grace_ms={self.grace_period})"
        )
