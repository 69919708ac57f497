"""``EmitStrategy``: when a windowed aggregation forwards its results (KIP-825).

``on_window_update()`` (the default) forwards every update of a window, through the store's
record cache when it has one; ``on_window_close()`` forwards each window once, with its final
value, when stream time passes its end plus the grace period.

Example::

    counts = (
        clicks.group_by_key()
        .windowed_by(TimeWindows.of_size_with_no_grace(timedelta(minutes=1)))
        .emit_strategy(EmitStrategy.on_window_close())
        .count()
    )
"""

from __future__ import annotations

from enum import Enum


class StrategyType(Enum):
    """The kinds of emit strategy (Java: ``EmitStrategy.StrategyType``)."""

    ON_WINDOW_UPDATE = 0
    ON_WINDOW_CLOSE = 1


class EmitStrategy:
    """When windowed results are forwarded (Java: ``EmitStrategy``)."""

    __slots__ = ("_type",)

    def __init__(self, strategy_type: StrategyType) -> None:
        if not isinstance(strategy_type, StrategyType):
            raise TypeError(f"expected a StrategyType, got {strategy_type!r}")
        self._type = strategy_type

    StrategyType = StrategyType

    @classmethod
    def on_window_close(cls) -> EmitStrategy:
        """Forward each window once, when it closes (stream time > end + grace)."""
        return cls(StrategyType.ON_WINDOW_CLOSE)

    @classmethod
    def on_window_update(cls) -> EmitStrategy:
        """Forward every update of a window (the default)."""
        return cls(StrategyType.ON_WINDOW_UPDATE)

    @property
    def type(self) -> StrategyType:
        """This strategy's kind."""
        return self._type

    @property
    def on_close(self) -> bool:
        """Whether results are emitted only when their window closes."""
        return self._type is StrategyType.ON_WINDOW_CLOSE

    def __eq__(self, other: object) -> bool:
        return isinstance(other, EmitStrategy) and other._type is self._type

    def __hash__(self) -> int:
        return hash(self._type)

    def __repr__(self) -> str:
        return f"EmitStrategy.{self._type.name.lower()}()"
