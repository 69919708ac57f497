"""Interactive queries of window and session stores across this instance's tasks
(Java: ``CompositeReadOnlyWindowStore``, ``CompositeReadOnlySessionStore``).

What ``KafkaStreams.store(name)`` returns for a window or session store. Reads answer from
a complete, running set of the store's local tasks, or raise why not (see
:class:`~kstreams.runtime.queries.LocalStores`). A key lives in one partition, so a
single-key read asks each task's store until one answers; a key-range or time-range read
goes through the tasks' stores one after the other, as Java's composite iterators do.
Timestamped window stores answer with plain values, like Java's
``QueryableStoreTypes.windowStore()``.

Example::

    view = streams.store("page-views-per-minute")
    for start, count in view.fetch("home", 0, now_ms):
        ...
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from kstreams.runtime.queries import LocalStores
from kstreams.state import TimestampedWindowStore
from kstreams.state.window_schema import MAX_TIMESTAMP
from kstreams.windows.window import Windowed


def _plain(store: Any, entries: Iterator[tuple[Any, Any]]) -> Iterator[tuple[Any, Any]]:
    if not isinstance(store, TimestampedWindowStore):
        return entries
    return ((k, v[0]) for k, v in entries)


class _Concatenated(LocalStores):
    def _each(self, read: Callable[[Any], Iterator[tuple[Any, Any]]]) -> Iterator[tuple[Any, Any]]:
        stores = self._stores()

        def chained() -> Iterator[tuple[Any, Any]]:
            for store in stores:
                yield from read(store)

        return self._checked(stores, chained())

    def _first_nonempty(
        self, read: Callable[[Any], Iterator[tuple[Any, Any]]]
    ) -> Iterator[tuple[Any, Any]]:
        def first(store: Any) -> list[tuple[Any, Any]] | None:
            found = list(read(store))
            return found or None

        return iter(self._first(first) or ())


class ReadOnlyCompositeWindowStore(_Concatenated):
    """A read-only window-store view over the local tasks' instances of one store.

    Bounds are inclusive, times epoch milliseconds; ``fetch(key, time)`` is one window,
    ``fetch(key, time_from, time_to)`` (or ``fetch_range``) yields ``(window start, value)``,
    the reads of several keys (``fetch_keys``, ``fetch_all``, ``all``) ``(Windowed, value)``.
    """

    def fetch(self, key: Any, time_from: int, time_to: int | None = None) -> Any:
        """The value of ``key``'s window starting at ``time_from`` (no ``time_to``), or
        ``(start, value)`` of its windows starting in ``[time_from, time_to]``."""
        if time_to is None:

            def one(store: Any) -> Any:
                value = store._get_concurrent(key, time_from)
                if value is not None and isinstance(store, TimestampedWindowStore):
                    return value[0]
                return value

            return self._first(one)
        return self._first_nonempty(lambda s: _plain(s, s.fetch_range(key, time_from, time_to)))

    def backward_fetch(self, key: Any, time_from: int, time_to: int) -> Iterator[tuple[int, Any]]:
        """``fetch(key, time_from, time_to)``, latest window first."""
        return self._first_nonempty(
            lambda s: _plain(s, s.backward_fetch_range(key, time_from, time_to))
        )

    def fetch_range(self, key: Any, time_from: int, time_to: int) -> Iterator[tuple[int, Any]]:
        """``(start, value)`` of ``key``'s windows starting in ``[time_from, time_to]``."""
        return self.fetch(key, time_from, time_to)  # type: ignore[no-any-return]

    def backward_fetch_range(
        self, key: Any, time_from: int, time_to: int
    ) -> Iterator[tuple[int, Any]]:
        """:meth:`fetch_range`, latest window first."""
        return self.backward_fetch(key, time_from, time_to)

    def fetch_keys(
        self, key_from: Any, key_to: Any, time_from: int, time_to: int
    ) -> Iterator[tuple[Windowed[Any], Any]]:
        """Windows of keys in ``[key_from, key_to]`` (None: unbounded) starting in ``[time_from, time_to]``."""
        return self._each(lambda s: _plain(s, s.fetch_keys(key_from, key_to, time_from, time_to)))

    def backward_fetch_keys(
        self, key_from: Any, key_to: Any, time_from: int, time_to: int
    ) -> Iterator[tuple[Windowed[Any], Any]]:
        """:meth:`fetch_keys`, in reverse order within each task."""
        return self._each(
            lambda s: _plain(s, s.backward_fetch_keys(key_from, key_to, time_from, time_to))
        )

    def fetch_all(self, time_from: int, time_to: int) -> Iterator[tuple[Windowed[Any], Any]]:
        """Windows of every key starting in ``[time_from, time_to]``."""
        return self._each(lambda s: _plain(s, s.fetch_all(time_from, time_to)))

    def backward_fetch_all(
        self, time_from: int, time_to: int
    ) -> Iterator[tuple[Windowed[Any], Any]]:
        """:meth:`fetch_all`, in reverse order within each task."""
        return self._each(lambda s: _plain(s, s.backward_fetch_all(time_from, time_to)))

    def all(self) -> Iterator[tuple[Windowed[Any], Any]]:
        """Every retained window on this instance."""
        return self._each(lambda s: _plain(s, s.fetch_all(0, MAX_TIMESTAMP)))

    def backward_all(self) -> Iterator[tuple[Windowed[Any], Any]]:
        """:meth:`all`, in reverse order within each task."""
        return self._each(lambda s: _plain(s, s.backward_fetch_all(0, MAX_TIMESTAMP)))


class ReadOnlyCompositeSessionStore(_Concatenated):
    """A read-only session-store view over the local tasks' instances of one store."""

    def fetch_session(self, key: Any, session_start: int, session_end: int) -> Any:
        """The aggregate of ``key``'s session with exactly these bounds, or None."""
        return self._first(lambda s: s._get_concurrent(key, session_start, session_end))

    def find_sessions(
        self, key: Any, earliest_session_end: int, latest_session_start: int
    ) -> Iterator[tuple[Windowed[Any], Any]]:
        """``key``'s sessions ending at or after ``earliest_session_end`` and starting at or
        before ``latest_session_start``."""
        return self._first_nonempty(
            lambda s: s.find_sessions(key, earliest_session_end, latest_session_start)
        )

    def backward_find_sessions(
        self, key: Any, earliest_session_end: int, latest_session_start: int
    ) -> Iterator[tuple[Windowed[Any], Any]]:
        """:meth:`find_sessions`, in reverse order."""
        return self._first_nonempty(
            lambda s: s.backward_find_sessions(key, earliest_session_end, latest_session_start)
        )

    def find_sessions_range(
        self, key_from: Any, key_to: Any, earliest_session_end: int, latest_session_start: int
    ) -> Iterator[tuple[Windowed[Any], Any]]:
        """:meth:`find_sessions` over keys in ``[key_from, key_to]`` (None: unbounded)."""
        return self._each(
            lambda s: s.find_sessions_range(
                key_from, key_to, earliest_session_end, latest_session_start
            )
        )

    def fetch(self, key: Any) -> Iterator[tuple[Windowed[Any], Any]]:
        """Every retained session of ``key``."""
        return self._first_nonempty(lambda s: s.fetch(key))

    def backward_fetch(self, key: Any) -> Iterator[tuple[Windowed[Any], Any]]:
        """:meth:`fetch`, in reverse order."""
        return self._first_nonempty(lambda s: s.backward_fetch(key))

    def fetch_range(self, key_from: Any, key_to: Any) -> Iterator[tuple[Windowed[Any], Any]]:
        """Every retained session of keys in ``[key_from, key_to]`` (None: unbounded)."""
        return self._each(lambda s: s.fetch_range(key_from, key_to))
