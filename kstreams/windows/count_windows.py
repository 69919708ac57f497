"""Count windows, a kstreams extension: windows of a fixed number of records per key.

Kafka Streams has no count windows; Flink (``countWindow``) and Quix Streams
(``tumbling_count_window`` / ``hopping_count_window``) do. Here:

* ``CountWindows.of(n)``: tumbling, the key's records 1..n, n+1..2n, ...: one result per key
  every n records;
* ``CountWindows.of(n).advance_by(m)`` (1 <= m <= n): hopping, a window of n records starts
  at every m-th record of the key, so a record is in up to ``ceil(n / m)`` windows.

A window's result is forwarded once, when its n-th record arrives (there is no grace period
nor late record: the order of a key's records is their offset order in the partition). The
result's key is ``Windowed(key, CountWindow(...))``: the window spans the earliest and latest
timestamps of its records (both inclusive, like a session) and knows its record numbers;
its timestamp is the latest record timestamp, as for time windows.

Example::

    (clicks.group_by_key()
        .windowed_by(CountWindows.of(100).advance_by(50))
        .count()
        .to_stream()
        .map(lambda w, n: (w.key, {"first": w.window.first_record, "clicks": n}))
        .to("clicks-per-100"))
"""

from __future__ import annotations

from typing import Any

from kstreams.windows.window import Window


def _positive(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int number of records, got {value!r}")
    if value <= 0:
        raise ValueError(f"{what} must be at least one record, got {value}")
    return value


class CountWindows:
    """Windows of ``size`` records per key, a new one every ``advance`` records (a kstreams extension).

    Use ``KGroupedStream.windowed_by(CountWindows.of(n))`` (tumbling) or
    ``CountWindows.of(n).advance_by(m)`` (hopping).
    """

    __slots__ = ("advance", "size")

    def __init__(self, size: int, advance: int) -> None:
        self.size = _positive(size, "CountWindows size")
        self.advance = _positive(advance, "CountWindows advance")
        if advance > size:
            raise ValueError(
                f"CountWindows advance must be no more than the window size ({size} records), "
                f"got {advance} (records between windows would belong to none)"
            )

    @staticmethod
    def of(size: int) -> CountWindows:
        """Tumbling windows of ``size`` records per key."""
        return CountWindows(size, size)

    def advance_by(self, advance: int) -> CountWindows:
        """Hopping windows: a window of ``size`` records starts at every ``advance``-th record."""
        return CountWindows(self.size, advance)

    def starts_for(self, record_number: int) -> range:
        """The first record numbers of the windows holding record ``record_number`` (0-based)."""
        size, advance = self.size, self.advance
        lowest = max(0, record_number - size + 1)
        first = -(-lowest // advance) * advance
        return range(first, record_number + 1, advance)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CountWindows) and (self.size, self.advance) == (
            other.size,
            other.advance,
        )

    def __hash__(self) -> int:
        return hash((CountWindows, self.size, self.advance))

    def __repr__(self) -> str:
        if self.advance == self.size:
            return f"CountWindows.of({self.size})"
        return f"CountWindows.of({self.size}).advance_by({self.advance})"


class CountWindow(Window):
    """One count window of a key: its records' timestamps ``[start, end]`` (both inclusive) and
    its record numbers ``first_record .. first_record + size - 1`` (0-based, per key).

    Two windows are equal when they hold the same records.
    """

    __slots__ = ("_first", "_size")

    def __init__(self, start: int, end: int, first_record: int, size: int) -> None:
        super().__init__(start, end)
        self._first = first_record
        self._size = size

    @property
    def first_record(self) -> int:
        """The number of the window's first record among the key's records (0-based)."""
        return self._first

    @property
    def last_record(self) -> int:
        """The number of the window's last record."""
        return self._first + self._size - 1

    @property
    def size(self) -> int:
        """How many records the window holds."""
        return self._size

    def overlap(self, other: Window) -> bool:
        """Whether the two windows share records."""
        if not isinstance(other, CountWindow):
            raise ValueError(
                f"cannot compare windows of different type: CountWindow and {type(other).__name__}"
            )
        return self._first <= other.last_record and other._first <= self.last_record

    def __eq__(self, other: object) -> bool:
        return type(other) is CountWindow and (self._start, self._end, self._first, self._size) == (
            other._start,
            other._end,
            other._first,
            other._size,
        )

    def __hash__(self) -> int:
        return hash((CountWindow, self._start, self._end, self._first, self._size))

    def __repr__(self) -> str:
        return (
            f"CountWindow(start={self._start}, end={self._end}, records="
            f"{self._first}..{self.last_record})"
        )
