"""Windows: the window values of windowed keys (:mod:`kstreams.windows.window`), the window
definitions the DSL groups by (:mod:`kstreams.windows.definitions`) and the emit strategies
of windowed aggregations (:mod:`kstreams.windows.emit`), and count windows, a kstreams
extension (:mod:`kstreams.windows.count_windows`)."""

from kstreams.windows.count_windows import CountWindow, CountWindows
from kstreams.windows.definitions import SessionWindows, SlidingWindows, TimeWindows
from kstreams.windows.emit import EmitStrategy, StrategyType
from kstreams.windows.window import SessionWindow, TimeWindow, Window, Windowed

__all__ = [
    "CountWindow",
    "CountWindows",
    "EmitStrategy",
    "SessionWindow",
    "SessionWindows",
    "SlidingWindows",
    "StrategyType",
    "TimeWindow",
    "TimeWindows",
    "Window",
    "Windowed",
]
