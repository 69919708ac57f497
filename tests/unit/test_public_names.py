"""What users import: every public name of the DSL, windows and stores comes from ``kstreams``."""

from __future__ import annotations

import kstreams

WINDOWED = [
    "TimeWindows", "SlidingWindows", "SessionWindows", "CountWindows", "EmitStrategy",
    "Window", "TimeWindow", "SessionWindow", "CountWindow", "Windowed", "WindowedSerdes",
    "TimeWindowedKStream", "SessionWindowedKStream", "Suppressed", "BufferConfig",
]  # fmt: skip
STORES = [
    "Stores", "KeyValueStore", "TimestampedKeyValueStore", "ReadOnlyKeyValueStore",
    "WindowStore", "TimestampedWindowStore", "ReadOnlyWindowStore", "SessionStore",
    "ReadOnlySessionStore", "ValueAndTimestamp",
]  # fmt: skip


def test_windowed_and_store_names_are_importable_from_kstreams() -> None:
    missing = [n for n in WINDOWED + STORES if n not in kstreams.__all__]
    assert missing == []
    for name in kstreams.__all__:
        assert getattr(kstreams, name) is not None, name


def test_the_top_level_names_are_the_modules_own() -> None:
    from kstreams.dsl.suppressed import Suppressed
    from kstreams.state import Stores
    from kstreams.windows.count_windows import CountWindows

    assert kstreams.Suppressed is Suppressed
    assert kstreams.Stores is Stores
    assert kstreams.CountWindows is CountWindows
