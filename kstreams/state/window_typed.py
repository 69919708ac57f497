"""The typed window and session store interfaces (Java: ``WindowStore``, ``TimestampedWindowStore``, ``SessionStore``).

What processors get from ``context.get_state_store(name)`` for a windowed store, in
snake_case. Times are epoch milliseconds, bounds inclusive, as in Java. Iterators yield
plain tuples: a window store's ``fetch(key, time_from, time_to)`` yields
``(window_start, value)``, the range fetches yield ``(Windowed(key, TimeWindow), value)``;
a session store yields ``(Windowed(key, SessionWindow), aggregate)``. Order is Java's,
which depends on the engine: the RocksDB stores iterate segment by segment (segments
span ``max(retention / 2, 60 s)`` of window starts, of session ends), by store-key bytes
within a segment (key bytes, then window start; sessions: key, end, start); the
in-memory window store by window start, then key bytes; the in-memory session store by
session end, then key bytes, then start. The windows of one key therefore come in time
order from either engine (sessions: by end). The ``backward_`` variants reverse it.

Example (inside a processor)::

    def init(self, context):
        self.counts = context.get_state_store("counts")     # a WindowStore

    def process(self, record):
        start = record.timestamp - record.timestamp % 60_000
        n = (self.counts.fetch(record.key, start) or 0) + 1
        self.counts.put(record.key, n, start)
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from kstreams.state.api import StateStore
from kstreams.state.value_and_timestamp import ValueAndTimestamp
from kstreams.windows.window import Windowed


class WindowStore(StateStore):
    """A store of values per key and window start (Java: ``WindowStore``).

    ``put(key, None, start)`` deletes (unless the store retains duplicates, where None is
    ignored, as in Java). Windows older than the store's retention, counted back from the
    largest timestamp the store has seen, are dropped: reads return nothing for them and
    their segments are deleted from disk.
    """

    key_serde: Any
    value_serde: Any

    @property
    @abstractmethod
    def retention_period(self) -> int:
        """How long windows are kept, ms."""

    @property
    @abstractmethod
    def window_size(self) -> int:
        """The size of the windows the store holds, ms (how ``Windowed`` keys get their end)."""

    @property
    @abstractmethod
    def retain_duplicates(self) -> bool:
        """Whether every put is kept (joins), rather than the latest per key and window."""

    @abstractmethod
    def put(self, key: Any, value: Any, window_start: int) -> None:
        """Set the value of ``key`` in the window starting at ``window_start``; None deletes."""

    def update_windows(
        self, key: Any, window_starts: Iterable[int], update: Callable[[Any], Any]
    ) -> None:
        """For each of ``window_starts`` in turn, ``put(key, update(fetch(key, start)), start)``.

        What a window aggregation does with every window a record falls in; a store with a
        record cache does it with one lookup of the key for all of them.

        Example::

            store.update_windows("alice", range(0, 60_001, 10_000),
                                 lambda old: 1 if old is None else old + 1)
        """
        fetch, put = self.fetch, self.put
        for start in window_starts:
            put(key, update(fetch(key, start)), start)

    @abstractmethod
    def fetch(self, key: Any, time: int, time_to: int | None = None) -> Any:
        """The value of ``key`` in the window starting exactly at ``time``, or None; with
        ``time_to``, Java's ``fetch(key, timeFrom, timeTo)``: :meth:`fetch_range`."""

    @abstractmethod
    def fetch_range(self, key: Any, time_from: int, time_to: int) -> Iterator[tuple[int, Any]]:
        """``(window_start, value)`` of ``key`` for windows starting in ``[time_from, time_to]``.

        Java's ``fetch(key, timeFrom, timeTo)``.
        """

    @abstractmethod
    def backward_fetch_range(
        self, key: Any, time_from: int, time_to: int
    ) -> Iterator[tuple[int, Any]]:
        """:meth:`fetch_range`, latest window first."""

    @abstractmethod
    def fetch_keys(
        self, key_from: Any, key_to: Any, time_from: int, time_to: int
    ) -> Iterator[tuple[Windowed[Any], Any]]:
        """Windows of keys in ``[key_from, key_to]`` (None: unbounded) starting in ``[time_from, time_to]``.

        Java's ``fetch(keyFrom, keyTo, timeFrom, timeTo)``.
        """

    @abstractmethod
    def backward_fetch_keys(
        self, key_from: Any, key_to: Any, time_from: int, time_to: int
    ) -> Iterator[tuple[Windowed[Any], Any]]:
        """:meth:`fetch_keys`, in reverse order."""

    @abstractmethod
    def fetch_all(self, time_from: int, time_to: int) -> Iterator[tuple[Windowed[Any], Any]]:
        """Windows of every key starting in ``[time_from, time_to]``."""

    @abstractmethod
    def backward_fetch_all(
        self, time_from: int, time_to: int
    ) -> Iterator[tuple[Windowed[Any], Any]]:
        """:meth:`fetch_all`, in reverse order."""

    @abstractmethod
    def all(self) -> Iterator[tuple[Windowed[Any], Any]]:
        """Every window of every key still retained."""

    @abstractmethod
    def backward_all(self) -> Iterator[tuple[Windowed[Any], Any]]:
        """:meth:`all`, in reverse order."""

    def _get_concurrent(self, key: Any, time: int) -> Any:
        """:meth:`fetch` from a thread other than the stream thread (interactive queries)."""
        return self.fetch(key, time)


class TimestampedWindowStore(WindowStore):
    """A window store whose values are :class:`~kstreams.state.ValueAndTimestamp` (Java: ``TimestampedWindowStore``).

    Stored bytes are Java's: 8-byte big-endian timestamp + serialized value.
    """

    def aggregate_windows(
        self,
        key: Any,
        window_starts: Iterable[int],
        value: Any,
        ts: int,
        initializer: Callable[[], Any],
        aggregator: Callable[[Any, Any, Any], Any],
        counting: bool = False,
    ) -> None:
        """A window aggregation's update of every window of one record (Java's
        ``KStreamWindowAggregate``): for each of ``window_starts`` in turn, the window's
        aggregate becomes ``aggregator(key, value, its aggregate or initializer())`` with the
        larger of ``ts`` and its timestamp (a None aggregate deletes the window).

        :meth:`update_windows` of that update; a store with a record cache folds it into its
        own update, without a frame per window. ``counting``: ``initializer`` and
        ``aggregator`` are a count's (0, one more), which a record cache may do inline.
        """
        self.update_windows(
            key, window_starts, aggregation(key, value, ts, initializer, aggregator)
        )


def aggregation(
    key: Any,
    value: Any,
    ts: int,
    initializer: Callable[[], Any],
    aggregator: Callable[[Any, Any, Any], Any],
) -> Callable[[Any], Any]:
    """The update of one window's ``ValueAndTimestamp`` by a record (``key``, ``value``,
    ``ts``) of a window aggregation (see :meth:`TimestampedWindowStore.aggregate_windows`)."""

    def update(old: Any) -> Any:
        if old is None:
            agg, new_ts = aggregator(key, value, initializer()), ts
        else:
            agg, new_ts = aggregator(key, value, old[0]), max(ts, old[1])
        return None if agg is None else ValueAndTimestamp(agg, new_ts)

    return update


class SessionStore(StateStore):
    """A store of aggregates per key and session (Java: ``SessionStore``).

    Keys are ``Windowed(key, SessionWindow(start, end))``; ``put(windowed, None)`` removes.
    """

    key_serde: Any
    value_serde: Any

    @property
    @abstractmethod
    def retention_period(self) -> int:
        """How long sessions are kept after their end, ms."""

    @abstractmethod
    def put(self, session: Windowed[Any], aggregate: Any) -> None:
        """Store ``aggregate`` for ``session``; None removes it."""

    @abstractmethod
    def remove(self, session: Windowed[Any]) -> None:
        """Remove ``session``."""

    @abstractmethod
    def fetch_session(self, key: Any, session_start: int, session_end: int) -> Any:
        """The aggregate of ``key``'s session with exactly these bounds, or None."""

    def _get_concurrent(self, key: Any, session_start: int, session_end: int) -> Any:
        """:meth:`fetch_session` from a thread other than the stream thread (interactive queries)."""
        return self.fetch_session(key, session_start, session_end)

    @abstractmethod
    def find_sessions(
        self, key: Any, earliest_session_end: int, latest_session_start: int
    ) -> Iterator[tuple[Windowed[Any], Any]]:
        """``key``'s sessions ending at or after ``earliest_session_end`` and starting at or before ``latest_session_start``."""

    @abstractmethod
    def backward_find_sessions(
        self, key: Any, earliest_session_end: int, latest_session_start: int
    ) -> Iterator[tuple[Windowed[Any], Any]]:
        """:meth:`find_sessions`, in reverse order."""

    @abstractmethod
    def find_sessions_range(
        self, key_from: Any, key_to: Any, earliest_session_end: int, latest_session_start: int
    ) -> Iterator[tuple[Windowed[Any], Any]]:
        """:meth:`find_sessions` over keys in ``[key_from, key_to]`` (None: unbounded)."""

    @abstractmethod
    def backward_find_sessions_range(
        self, key_from: Any, key_to: Any, earliest_session_end: int, latest_session_start: int
    ) -> Iterator[tuple[Windowed[Any], Any]]:
        """:meth:`find_sessions_range`, in reverse order."""

    @abstractmethod
    def find_sessions_by_end(
        self, earliest_session_end: int, latest_session_end: int
    ) -> Iterator[tuple[Windowed[Any], Any]]:
        """Sessions of every key ending in ``[earliest_session_end, latest_session_end]``.

        Java's ``SessionStore.findSessions(earliestSessionEndTime, latestSessionEndTime)``.
        """

    @abstractmethod
    def fetch(self, key: Any) -> Iterator[tuple[Windowed[Any], Any]]:
        """Every retained session of ``key``."""

    @abstractmethod
    def backward_fetch(self, key: Any) -> Iterator[tuple[Windowed[Any], Any]]:
        """:meth:`fetch`, in reverse order."""

    @abstractmethod
    def fetch_range(self, key_from: Any, key_to: Any) -> Iterator[tuple[Windowed[Any], Any]]:
        """Every retained session of keys in ``[key_from, key_to]`` (None: unbounded)."""

    @abstractmethod
    def backward_fetch_range(
        self, key_from: Any, key_to: Any
    ) -> Iterator[tuple[Windowed[Any], Any]]:
        """:meth:`fetch_range`, in reverse order."""
