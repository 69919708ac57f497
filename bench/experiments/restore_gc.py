"""Experiment patch: garbage collections during a stream thread's restoration steps.

Run with the bench's kstreams app (``BENCH_KSTREAMS_PATCH=bench/experiments/restore_gc.py``,
e.g. through ``restore_restarts.py --env``): at exit the app logs how many collections of each
generation ran inside ``ChangelogReader.step`` and the time they took, and how many objects the
collector tracks (what a full collection walks).
"""

from __future__ import annotations

import atexit
import gc
import logging
import time
from typing import Any

from kstreams.runtime import changelog_reader

_stats = {0: [0, 0.0], 1: [0, 0.0], 2: [0, 0.0]}
_inside = [False]
_began = [0.0]


def _on_gc(phase: str, info: dict[str, Any]) -> None:
    if not _inside[0]:
        return
    if phase == "start":
        _began[0] = time.perf_counter()
    else:
        entry = _stats[info["generation"]]
        entry[0] += 1
        entry[1] += time.perf_counter() - _began[0]


_step = changelog_reader.ChangelogReader.step


def _traced_step(self: Any) -> list[Any]:
    _inside[0] = True
    try:
        return _step(self)
    finally:
        _inside[0] = False


def _report() -> None:
    logging.getLogger("kstreams.trace").warning(
        "GC during restoration steps (generation: collections, ms): %s; tracked objects %d",
        {g: (n, round(t * 1000, 1)) for g, (n, t) in _stats.items()},
        len(gc.get_objects()),
    )


gc.callbacks.append(_on_gc)
changelog_reader.ChangelogReader.step = _traced_step  # type: ignore[method-assign]
atexit.register(_report)
