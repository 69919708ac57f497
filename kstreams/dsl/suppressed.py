"""``Suppressed`` and ``BufferConfig``: how ``KTable.suppress`` holds back updates (Java: ``Suppressed``).

Two kinds of suppression, as in Kafka Streams:

* :meth:`Suppressed.until_window_closes`: one final result per window, emitted when stream
  time passes the window's end plus its grace period. The buffer must be *strict*
  (:meth:`BufferConfig.unbounded`, or a bounded one with :meth:`BufferConfig.shut_down_when_full`):
  a final result is never emitted early.
* :meth:`Suppressed.until_time_limit`: the latest update of a key, emitted once stream time
  is ``limit`` past the key's first buffered update; any buffer config (an *eager* one,
  :meth:`BufferConfig.max_records` / :meth:`BufferConfig.max_bytes`, emits early when full).

Example::

    counts.suppress(Suppressed.until_window_closes(BufferConfig.unbounded()))
    table.suppress(
        Suppressed.until_time_limit(timedelta(seconds=30), BufferConfig.max_records(10_000))
    ).with_name("rate-limit")

The buffer is changelogged by default (``<application.id>-<name>-changelog``, compacted);
``with_logging_disabled()`` keeps it only in memory (it is empty after a restart).
"""

from __future__ import annotations

from datetime import timedelta
from enum import Enum
from typing import Any

MAX_LONG = (1 << 63) - 1
"""Java's ``Long.MAX_VALUE``: the limit of an unbounded buffer (as Kafka Streams reports it)."""


class BufferFullStrategy(Enum):
    """What a full buffer does (Java: ``BufferFullStrategy``)."""

    EMIT = "EMIT"
    """Emit the oldest records early (an eager buffer)."""
    SHUT_DOWN = "SHUT_DOWN"
    """Fail the application with an error naming the buffer (a strict buffer)."""


def _limit(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int, got {value!r}")
    if value < 0:
        raise ValueError(f"{what} must not be negative, got {value}")
    return value


def _duration_ms(value: timedelta | int, what: str) -> int:
    if isinstance(value, timedelta):
        ms = value // timedelta(milliseconds=1)
    elif isinstance(value, int) and not isinstance(value, bool):
        ms = value
    else:
        raise TypeError(f"{what} must be a timedelta or int milliseconds, got {value!r}")
    if ms < 0:
        raise ValueError(f"{what} must not be negative, got {value!r}")
    return min(ms, MAX_LONG)


class BufferConfig:
    """The suppression buffer's limits, what happens when it is full, and its changelog.

    Made with the static factories :meth:`max_records`, :meth:`max_bytes` (eager: emit early
    when full) and :meth:`unbounded` (strict); immutable, every ``with_*`` returns a new one.
    """

    __slots__ = ("_log_config", "_max_bytes", "_max_records", "_strategy")

    def __init__(
        self,
        max_records: int = MAX_LONG,
        max_bytes: int = MAX_LONG,
        strategy: BufferFullStrategy = BufferFullStrategy.SHUT_DOWN,
        log_config: dict[str, str] | None = None,
    ) -> None:
        self._max_records = _limit(max_records, "max_records")
        self._max_bytes = _limit(max_bytes, "max_bytes")
        if not isinstance(strategy, BufferFullStrategy):
            raise TypeError(f"strategy must be a BufferFullStrategy, got {strategy!r}")
        self._strategy = strategy
        self._log_config = (
            None if log_config is None else {str(k): str(v) for k, v in log_config.items()}
        )

    # -- factories (Java's static BufferConfig methods) -----------------------------------------
    @staticmethod
    def max_records(record_limit: int) -> BufferConfig:
        """An eager buffer of at most ``record_limit`` keys: when full it emits the oldest."""
        return BufferConfig(record_limit, MAX_LONG, BufferFullStrategy.EMIT, {})

    @staticmethod
    def max_bytes(byte_limit: int) -> BufferConfig:
        """An eager buffer of at most ``byte_limit`` bytes (Kafka Streams' size estimate of
        keys, values and record metadata): when full it emits the oldest."""
        return BufferConfig(MAX_LONG, byte_limit, BufferFullStrategy.EMIT, {})

    @staticmethod
    def unbounded() -> BufferConfig:
        """A strict buffer without limit (memory is the limit)."""
        return BufferConfig(MAX_LONG, MAX_LONG, BufferFullStrategy.SHUT_DOWN, {})

    # -- builders ---------------------------------------------------------------------------------
    def with_max_records(self, record_limit: int) -> BufferConfig:
        """This config with a record limit."""
        return BufferConfig(record_limit, self._max_bytes, self._strategy, self._log_config)

    def with_max_bytes(self, byte_limit: int) -> BufferConfig:
        """This config with a byte limit."""
        return BufferConfig(self._max_records, byte_limit, self._strategy, self._log_config)

    def with_no_bound(self) -> BufferConfig:
        """A strict buffer without limits (keeps the changelog settings)."""
        return BufferConfig(MAX_LONG, MAX_LONG, BufferFullStrategy.SHUT_DOWN, self._log_config)

    def shut_down_when_full(self) -> BufferConfig:
        """Strict: a full buffer fails the application (a ``StreamsError`` naming the
        suppression and its limits) rather than emit a result early."""
        return BufferConfig(
            self._max_records, self._max_bytes, BufferFullStrategy.SHUT_DOWN, self._log_config
        )

    def emit_early_when_full(self) -> BufferConfig:
        """Eager: a full buffer emits its oldest records early."""
        return BufferConfig(
            self._max_records, self._max_bytes, BufferFullStrategy.EMIT, self._log_config
        )

    def with_logging_disabled(self) -> BufferConfig:
        """No changelog: the buffer is lost on a restart or a task migration."""
        return BufferConfig(self._max_records, self._max_bytes, self._strategy, None)

    def with_logging_enabled(self, config: dict[str, str] | None = None) -> BufferConfig:
        """A changelog (the default), created with the topic ``config`` given."""
        return BufferConfig(self._max_records, self._max_bytes, self._strategy, config or {})

    # -- reading ----------------------------------------------------------------------------------
    @property
    def record_limit(self) -> int:
        """The most keys the buffer holds (``MAX_LONG``: no limit)."""
        return self._max_records

    @property
    def byte_limit(self) -> int:
        """The most bytes the buffer holds (``MAX_LONG``: no limit)."""
        return self._max_bytes

    @property
    def buffer_full_strategy(self) -> BufferFullStrategy:
        """What a full buffer does."""
        return self._strategy

    @property
    def is_strict(self) -> bool:
        """Whether the buffer never emits early (it shuts down when full instead)."""
        return self._strategy is BufferFullStrategy.SHUT_DOWN

    @property
    def logging_enabled(self) -> bool:
        """Whether the buffer has a changelog."""
        return self._log_config is not None

    @property
    def log_config(self) -> dict[str, str]:
        """Topic configs of the changelog ({} when logging is disabled)."""
        return dict(self._log_config or {})

    def _key(self) -> tuple[Any, ...]:
        return (
            self._max_records,
            self._max_bytes,
            self._strategy,
            None if self._log_config is None else tuple(sorted(self._log_config.items())),
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BufferConfig):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        kind = "Strict" if self.is_strict else "Eager"
        return (
            f"{kind}BufferConfig(max_records={self._max_records}, max_bytes={self._max_bytes}, "
            f"strategy={self._strategy.value}, log_config={self._log_config})"
        )


class Suppressed:
    """A suppression: when buffered updates are emitted, and the buffer (Java: ``Suppressed``).

    Make one with :meth:`until_window_closes` or :meth:`until_time_limit`; ``with_name``
    names the processor (and its store ``<name>-store``).
    """

    __slots__ = ("_buffer", "_final", "_name", "_time_limit_ms")

    def __init__(
        self,
        name: str | None,
        time_limit_ms: int | None,
        buffer_config: BufferConfig,
        final_results: bool,
    ) -> None:
        if not isinstance(buffer_config, BufferConfig):
            raise TypeError(
                f"buffer_config must be a BufferConfig (BufferConfig.unbounded(), "
                f"max_records(n), max_bytes(n)), got {buffer_config!r}"
            )
        if name is not None and (not isinstance(name, str) or not name):
            raise ValueError(f"name must be a non-empty string, got {name!r}")
        self._name = name
        self._time_limit_ms = time_limit_ms
        self._buffer = buffer_config
        self._final = final_results

    @staticmethod
    def until_window_closes(buffer_config: BufferConfig) -> Suppressed:
        """Only the final result of each window, once stream time passes its end plus grace.

        For windowed tables only (``windowed_by(...).count()`` and friends). The buffer must
        be strict: :meth:`BufferConfig.unbounded` or ``....shut_down_when_full()``.
        """
        if not isinstance(buffer_config, BufferConfig):
            raise TypeError(f"buffer_config must be a BufferConfig, got {buffer_config!r}")
        if not buffer_config.is_strict:
            raise ValueError(
                "Suppressed.until_window_closes needs a strict buffer that never emits early: "
                "BufferConfig.unbounded() or BufferConfig.max_records(n).shut_down_when_full() "
                f"(got {buffer_config!r})"
            )
        return Suppressed(None, None, buffer_config, True)

    @staticmethod
    def until_time_limit(time_limit: timedelta | int, buffer_config: BufferConfig) -> Suppressed:
        """The latest update of a key once stream time is ``time_limit`` (a ``timedelta`` or
        milliseconds) past the key's first buffered update, or earlier if an eager buffer fills."""
        ms = _duration_ms(time_limit, "time_limit")
        return Suppressed(None, ms, buffer_config, False)

    def with_name(self, name: str) -> Suppressed:
        """Name the suppression processor; its buffer store is ``<name>-store``."""
        return Suppressed(name, self._time_limit_ms, self._buffer, self._final)

    @property
    def name(self) -> str | None:
        """The processor name given, if any."""
        return self._name

    @property
    def buffer_config(self) -> BufferConfig:
        """The buffer's limits, full strategy and changelog settings."""
        return self._buffer

    @property
    def final_results(self) -> bool:
        """Whether this is :meth:`until_window_closes` (its time limit is the window's grace)."""
        return self._final

    @property
    def time_limit_ms(self) -> int | None:
        """The time limit of :meth:`until_time_limit`; None for :meth:`until_window_closes`."""
        return self._time_limit_ms

    def _key(self) -> tuple[Any, ...]:
        return (self._name, self._time_limit_ms, self._buffer, self._final)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Suppressed):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        if self._final:
            return f"Suppressed.until_window_closes({self._buffer!r}, name={self._name!r})"
        return (
            f"Suppressed.until_time_limit({self._time_limit_ms}ms, {self._buffer!r}, "
            f"name={self._name!r})"
        )
