"""Punctuation: callbacks scheduled on stream time or wall-clock time.

Semantics follow Kafka Streams' ``PunctuationQueue``/``PunctuationSchedule``:
stream-time schedules are aligned to multiples of the interval and fire when
stream time reaches them; wall-clock schedules first fire one interval after
they were made. Missed intervals are skipped, not replayed.
"""

from __future__ import annotations

import enum
import heapq
import itertools
from collections.abc import Callable
from datetime import timedelta

Punctuator = Callable[[int], None]
"""A punctuation callback; it receives the stream or wall-clock time in milliseconds."""


class PunctuationType(enum.Enum):
    """What drives a punctuation (Java: ``PunctuationType``)."""

    STREAM_TIME = "stream_time"
    WALL_CLOCK_TIME = "wall_clock_time"


class Cancellable:
    """Returned by ``ProcessorContext.schedule``; ``cancel()`` stops the schedule."""

    __slots__ = ("cancelled",)

    def __init__(self) -> None:
        self.cancelled = False

    def cancel(self) -> None:
        """Stop the punctuation; it will not fire again."""
        self.cancelled = True


def interval_ms(interval: timedelta | int | float) -> int:
    """Milliseconds of a ``timedelta`` (or a number already in milliseconds); must be >= 1."""
    ms = int(interval.total_seconds() * 1000) if isinstance(interval, timedelta) else int(interval)
    if ms < 1:
        raise ValueError(
            f"The minimum supported scheduling interval is 1 millisecond, got {interval!r}"
        )
    return ms


class PunctuationQueue:
    """The schedules of one punctuation type in one task, earliest first."""

    def __init__(self) -> None:
        self._heap: list[tuple[int, int, int, Punctuator, Cancellable, Callable[[], None]]] = []
        self.entries = self._heap
        """The schedules (a heap; empty when nothing is scheduled): cheap to test per record."""
        self._seq = itertools.count()

    def __bool__(self) -> bool:
        return bool(self._heap)

    def schedule(
        self,
        first_time: int,
        interval: int,
        callback: Punctuator,
        enter: Callable[[], None],
    ) -> Cancellable:
        """Add a schedule that first fires at ``first_time``; ``enter`` sets the record context."""
        handle = Cancellable()
        heapq.heappush(self._heap, (first_time, next(self._seq), interval, callback, handle, enter))
        return handle

    def next_time(self) -> int | None:
        """When the earliest live schedule fires, or None."""
        while self._heap and self._heap[0][4].cancelled:
            heapq.heappop(self._heap)
        return self._heap[0][0] if self._heap else None

    def may_punctuate(self, now: int) -> bool:
        """Fire every schedule due at ``now``; return whether any fired."""
        fired = False
        heap = self._heap
        while heap and heap[0][0] <= now:
            due, _, interval, callback, handle, enter = heapq.heappop(heap)
            if handle.cancelled:
                continue
            nxt = due + interval
            if now >= nxt:
                nxt = due + ((now - due) // interval + 1) * interval
            heapq.heappush(heap, (nxt, next(self._seq), interval, callback, handle, enter))
            enter()
            callback(now)
            fired = True
        return fired
