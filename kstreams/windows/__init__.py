"""Windows: the window values of windowed keys (:mod:`kstreams.windows.window`) and the window
definitions the DSL groups by."""

from kstreams.windows.window import SessionWindow, TimeWindow, Window, Windowed

__all__ = ["SessionWindow", "TimeWindow", "Window", "Windowed"]
