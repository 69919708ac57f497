"""Views of window and session stores: read-only ones for interactive queries, and the
plain-value face of a timestamped window store.

:class:`ReadOnlyWindowStore` and :class:`ReadOnlySessionStore` (Java: the interfaces of
the same names) only read, and read without changing the store's own state, so they are
safe from threads other than the stream thread. :class:`PlainValueWindowStore` shows a
:class:`~kstreams.state.window_typed.TimestampedWindowStore` with bare values (Java's
``WindowStoreFacade``, what ``TopologyTestDriver.getWindowStore`` returns for one).

Example::

    view = ReadOnlyWindowStore(store)
    for start, count in view.fetch("alice", 0, 3_600_000):
        ...
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kstreams.state.value_and_timestamp import ValueAndTimestamp
from kstreams.state.window_schema import MAX_TIMESTAMP
from kstreams.windows.window import Windowed

NO_TIMESTAMP = -1


class ReadOnlyWindowStore:
    """A read-only view of a window store (Java: ``ReadOnlyWindowStore``).

    ``fetch(key, time)`` is one window; ``fetch(key, time_from, time_to)`` (or
    ``fetch_range``, the store's name) the windows of ``key`` starting in those bounds, as
    ``(start, value)``; ``fetch_keys`` those of a key range, as ``(Windowed, value)``.
    Bounds are inclusive.
    """

    def __init__(self, store: Any) -> None:
        self._store = store

    def __repr__(self) -> str:
        return f"ReadOnlyWindowStore({self._store.name!r})"

    @property
    def name(self) -> str:
        """The store's name."""
        return self._store.name  # type: ignore[no-any-return]

    def fetch(self, key: Any, time_from: int, time_to: int | None = None) -> Any:
        """The value of ``key``'s window starting at ``time_from`` (no ``time_to``), or
        ``(start, value)`` of its windows starting in ``[time_from, time_to]``."""
        if time_to is None:
            return self._store._get_concurrent(key, time_from)
        return self._store.fetch_range(key, time_from, time_to)

    def backward_fetch(self, key: Any, time_from: int, time_to: int) -> Iterator[tuple[int, Any]]:
        """``fetch(key, time_from, time_to)``, latest window first."""
        return self._store.backward_fetch_range(key, time_from, time_to)  # type: ignore[no-any-return]

    def fetch_range(self, key: Any, time_from: int, time_to: int) -> Iterator[tuple[int, Any]]:
        """``(start, value)`` of ``key``'s windows starting in ``[time_from, time_to]``."""
        return self._store.fetch_range(key, time_from, time_to)  # type: ignore[no-any-return]

    def backward_fetch_range(
        self, key: Any, time_from: int, time_to: int
    ) -> Iterator[tuple[int, Any]]:
        """:meth:`fetch_range`, latest window first."""
        return self._store.backward_fetch_range(key, time_from, time_to)  # type: ignore[no-any-return]

    def fetch_keys(
        self, key_from: Any, key_to: Any, time_from: int, time_to: int
    ) -> Iterator[tuple[Windowed[Any], Any]]:
        """Windows of keys in ``[key_from, key_to]`` (None: unbounded) starting in ``[time_from, time_to]``."""
        return self._store.fetch_keys(key_from, key_to, time_from, time_to)  # type: ignore[no-any-return]

    def backward_fetch_keys(
        self, key_from: Any, key_to: Any, time_from: int, time_to: int
    ) -> Iterator[tuple[Windowed[Any], Any]]:
        """:meth:`fetch_keys`, in reverse order."""
        return self._store.backward_fetch_keys(key_from, key_to, time_from, time_to)  # type: ignore[no-any-return]

    def fetch_all(self, time_from: int, time_to: int) -> Iterator[tuple[Windowed[Any], Any]]:
        """Windows of every key starting in ``[time_from, time_to]``."""
        return self._store.fetch_all(time_from, time_to)  # type: ignore[no-any-return]

    def backward_fetch_all(
        self, time_from: int, time_to: int
    ) -> Iterator[tuple[Windowed[Any], Any]]:
        """:meth:`fetch_all`, in reverse order."""
        return self._store.backward_fetch_all(time_from, time_to)  # type: ignore[no-any-return]

    def all(self) -> Iterator[tuple[Windowed[Any], Any]]:
        """Every retained window."""
        return self._store.all()  # type: ignore[no-any-return]

    def backward_all(self) -> Iterator[tuple[Windowed[Any], Any]]:
        """:meth:`all`, in reverse order."""
        return self._store.backward_all()  # type: ignore[no-any-return]


class ReadOnlySessionStore:
    """A read-only view of a session store (Java: ``ReadOnlySessionStore``)."""

    def __init__(self, store: Any) -> None:
        self._store = store

    def __repr__(self) -> str:
        return f"ReadOnlySessionStore({self._store.name!r})"

    @property
    def name(self) -> str:
        """The store's name."""
        return self._store.name  # type: ignore[no-any-return]

    def fetch_session(self, key: Any, session_start: int, session_end: int) -> Any:
        """The aggregate of ``key``'s session with exactly these bounds, or None."""
        return self._store._get_concurrent(key, session_start, session_end)

    def find_sessions(
        self, key: Any, earliest_session_end: int, latest_session_start: int
    ) -> Iterator[tuple[Windowed[Any], Any]]:
        """``key``'s sessions ending at or after ``earliest_session_end`` and starting at or before ``latest_session_start``."""
        return self._store.find_sessions(key, earliest_session_end, latest_session_start)  # type: ignore[no-any-return]

    def backward_find_sessions(
        self, key: Any, earliest_session_end: int, latest_session_start: int
    ) -> Iterator[tuple[Windowed[Any], Any]]:
        """:meth:`find_sessions`, in reverse order."""
        return self._store.backward_find_sessions(key, earliest_session_end, latest_session_start)  # type: ignore[no-any-return]

    def find_sessions_range(
        self, key_from: Any, key_to: Any, earliest_session_end: int, latest_session_start: int
    ) -> Iterator[tuple[Windowed[Any], Any]]:
        """:meth:`find_sessions` over keys in ``[key_from, key_to]`` (None: unbounded)."""
        return self._store.find_sessions_range(  # type: ignore[no-any-return]
            key_from, key_to, earliest_session_end, latest_session_start
        )

    def fetch(self, key: Any) -> Iterator[tuple[Windowed[Any], Any]]:
        """Every retained session of ``key``."""
        return self._store.fetch(key)  # type: ignore[no-any-return]

    def backward_fetch(self, key: Any) -> Iterator[tuple[Windowed[Any], Any]]:
        """:meth:`fetch`, in reverse order."""
        return self._store.backward_fetch(key)  # type: ignore[no-any-return]

    def fetch_range(self, key_from: Any, key_to: Any) -> Iterator[tuple[Windowed[Any], Any]]:
        """Every retained session of keys in ``[key_from, key_to]`` (None: unbounded)."""
        return self._store.fetch_range(key_from, key_to)  # type: ignore[no-any-return]


def _plain(entries: Iterator[tuple[Any, Any]]) -> Iterator[tuple[Any, Any]]:
    for k, vt in entries:
        yield k, vt[0]


class PlainValueWindowStore:
    """A timestamped window store with bare values (Java: ``WindowStoreFacade``).

    ``put`` stores the value with timestamp -1 (Java's ``NO_TIMESTAMP``), as Java's facade does.
    """

    def __init__(self, store: Any) -> None:
        self._store = store

    def __repr__(self) -> str:
        return f"PlainValueWindowStore({self._store.name!r})"

    def __getattr__(self, name: str) -> Any:
        # identity and the commit protocol (name, retention_period, flush...) are the store's
        return getattr(self._store, name)

    def put(self, key: Any, value: Any, window_start: int) -> None:
        """Store ``value`` (None: delete) for ``key``'s window at ``window_start``."""
        self._store.put(key, ValueAndTimestamp.make(value, NO_TIMESTAMP), window_start)

    def fetch(self, key: Any, time: int, time_to: int | None = None) -> Any:
        if time_to is not None:
            return self.fetch_range(key, time, time_to)
        return ValueAndTimestamp.get_value_or_null(self._store.fetch(key, time))

    def fetch_range(self, key: Any, time_from: int, time_to: int) -> Iterator[tuple[int, Any]]:
        return _plain(self._store.fetch_range(key, time_from, time_to))

    def backward_fetch_range(
        self, key: Any, time_from: int, time_to: int
    ) -> Iterator[tuple[int, Any]]:
        return _plain(self._store.backward_fetch_range(key, time_from, time_to))

    def fetch_keys(
        self, key_from: Any, key_to: Any, time_from: int, time_to: int
    ) -> Iterator[tuple[Windowed[Any], Any]]:
        return _plain(self._store.fetch_keys(key_from, key_to, time_from, time_to))

    def backward_fetch_keys(
        self, key_from: Any, key_to: Any, time_from: int, time_to: int
    ) -> Iterator[tuple[Windowed[Any], Any]]:
        return _plain(self._store.backward_fetch_keys(key_from, key_to, time_from, time_to))

    def fetch_all(self, time_from: int, time_to: int) -> Iterator[tuple[Windowed[Any], Any]]:
        return _plain(self._store.fetch_all(time_from, time_to))

    def backward_fetch_all(
        self, time_from: int, time_to: int
    ) -> Iterator[tuple[Windowed[Any], Any]]:
        return _plain(self._store.backward_fetch_all(time_from, time_to))

    def all(self) -> Iterator[tuple[Windowed[Any], Any]]:
        return _plain(self._store.fetch_all(0, MAX_TIMESTAMP))

    def backward_all(self) -> Iterator[tuple[Windowed[Any], Any]]:
        return _plain(self._store.backward_fetch_all(0, MAX_TIMESTAMP))
