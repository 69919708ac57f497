"""Windows as values: :class:`Window`, :class:`TimeWindow`, :class:`SessionWindow` and :class:`Windowed`.

These are the keys of windowed results (``KTable[Windowed[K], V]``) and of window and
session stores (Java: ``org.apache.kafka.streams.kstream.Window`` / ``Windowed`` and
``internals.TimeWindow`` / ``SessionWindow``). Times are epoch milliseconds; ``start_time``
and ``end_time`` give them as UTC ``datetime`` s.

Example::

    w = Windowed("alice", TimeWindow(60_000, 120_000))
    w.key, w.window.start, w.window.end      # ('alice', 60000, 120000)
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import namedtuple
from datetime import datetime, timezone
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Generic, TypeVar

K = TypeVar("K")

# C-level getters: reading a window's bounds or a windowed key's parts runs no Python frame
# (a windowed sink reads all three per record it places)
_start_of, _end_of = attrgetter("_start"), attrgetter("_end")
_FIELDS = namedtuple("_FIELDS", ("key", "window"))  # its fields' getters are Windowed's


class Window(ABC):
    """A window ``[start, end]`` in epoch milliseconds; whether ``end`` is inside depends on the kind.

    Subclasses say how windows overlap (:meth:`overlap`). Equal when of the same class with
    the same bounds, as in Java.
    """

    __slots__ = ("_end", "_start")

    def __init__(self, start: int, end: int) -> None:
        if start < 0:
            raise ValueError(f"window start time cannot be negative (got {start})")
        if end < start:
            raise ValueError(
                f"window end time cannot be smaller than window start time (got {start}, {end})"
            )
        self._start = start
        self._end = end

    if TYPE_CHECKING:

        @property
        def start(self) -> int:
            """The start, epoch ms (inclusive)."""

        @property
        def end(self) -> int:
            """The end, epoch ms."""

    else:
        start = property(_start_of, doc="The start, epoch ms (inclusive).")
        end = property(_end_of, doc="The end, epoch ms.")

    @property
    def start_time(self) -> datetime:
        """The start as a UTC ``datetime``."""
        return datetime.fromtimestamp(self._start / 1000, tz=timezone.utc)

    @property
    def end_time(self) -> datetime:
        """The end as a UTC ``datetime``."""
        return datetime.fromtimestamp(self._end / 1000, tz=timezone.utc)

    @abstractmethod
    def overlap(self, other: Window) -> bool:
        """Whether this window and ``other`` (of the same kind) overlap."""

    def __eq__(self, other: object) -> bool:
        return (
            type(other) is type(self)
            and self._start == other._start  # type: ignore[attr-defined]
            and self._end == other._end  # type: ignore[attr-defined]
        )

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._start, self._end))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(start={self._start}, end={self._end})"


class TimeWindow(Window):
    """A time window ``[start, end)``: ``end`` is not part of it (tumbling and hopping windows).

    Example::

        TimeWindow(0, 60_000).overlap(TimeWindow(30_000, 90_000))   # True
    """

    __slots__ = ()

    def __init__(self, start: int, end: int) -> None:
        if start == end:
            raise ValueError("window end time must be greater than window start time")
        super().__init__(start, end)

    def overlap(self, other: Window) -> bool:
        """Whether the half-open windows share a moment."""
        if not isinstance(other, TimeWindow):
            raise ValueError(
                f"cannot compare windows of different type: TimeWindow and {type(other).__name__}"
            )
        return self._start < other._end and other._start < self._end


class SessionWindow(Window):
    """A session ``[start, end]``, both inclusive: the first and last record's timestamps."""

    __slots__ = ()

    def overlap(self, other: Window) -> bool:
        """Whether the closed intervals share a moment."""
        if not isinstance(other, SessionWindow):
            raise ValueError(
                f"cannot compare windows of different type: SessionWindow and {type(other).__name__}"
            )
        return not (other._end < self._start or self._end < other._start)


class Windowed(tuple[Any, Any], Generic[K]):
    """A key and its window: the key of windowed results (Java: ``Windowed``).

    Example::

        for windowed, count in store.fetch_all(0, 120_000):
            print(windowed.key, windowed.window.start, count)

    Immutable. Under the hood a ``(key, window)`` tuple, as cheap to make and read as a
    ``NamedTuple`` (a windowed result's key is made and read once per record forwarded), but
    equal only to another ``Windowed``: not to the plain tuple of its parts.
    """

    __slots__ = ()

    def __new__(cls, key: K, window: Window) -> Windowed[K]:
        return tuple.__new__(cls, (key, window))

    if TYPE_CHECKING:

        @property
        def key(self) -> K:
            """The record key."""

        @property
        def window(self) -> Window:
            """The window."""

    else:
        key = _FIELDS.key
        key.__doc__ = "The record key."
        window = _FIELDS.window
        window.__doc__ = "The window."

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Windowed) and tuple.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    __hash__ = tuple.__hash__  # hash((key, window))

    def __repr__(self) -> str:
        return f"[{self[0]}@{self[1].start}/{self[1].end}]"

    def __reduce__(self) -> tuple[Any, ...]:
        return (Windowed, (self[0], self[1]))
