"""Experiment patch: a timeline of a stream thread's start and restoration, in its log.

Run with the bench's kstreams app (``BENCH_KSTREAMS_PATCH=bench/experiments/restore_trace.py``,
e.g. through ``restore_restarts.py --env``): every call of the functions below logs
``TRACE <name> <start> +<duration ms> <details>`` (start: seconds since the patch loaded), and
each restoration round logs how many records ``consume()`` returned, of how many partitions.
"""

from __future__ import annotations

import functools
import logging
import time
from typing import Any

log = logging.getLogger("kstreams.trace")
T0 = time.monotonic()


def _wrap(owner: Any, name: str, detail: Any = None) -> None:
    fn = getattr(owner, name)

    @functools.wraps(fn)
    def traced(*args: Any, **kwargs: Any) -> Any:
        began = time.monotonic()
        out = fn(*args, **kwargs)
        took = (time.monotonic() - began) * 1000
        extra = detail(args, out) if detail is not None else ""
        if took >= 1.0 or extra:
            log.warning(
                "TRACE %s.%s %.3f +%.1fms %s",
                getattr(owner, "__name__", owner),
                name,
                began - T0,
                took,
                extra,
            )
        return out

    setattr(owner, name, traced)


def _patch() -> None:
    from kstreams.runtime import changelog_reader, restore, stream_thread, task_manager

    def consumed(args: Any, out: Any) -> str:
        return f"{len(out)} msgs of {len({(m.topic(), m.partition()) for m in out})} partitions"

    def consumer_wrapper(consumer: Any) -> Any:
        class Traced:
            def __init__(self, inner: Any) -> None:
                self._inner = inner

            def __getattr__(self, attr: str) -> Any:
                return getattr(self._inner, attr)

            def consume(self, n: int, t: float) -> Any:
                began = time.monotonic()
                out = self._inner.consume(n, t)
                log.warning(
                    "TRACE restore.consume %.3f +%.1fms asked %d: %s",
                    began - T0,
                    (time.monotonic() - began) * 1000,
                    n,
                    consumed((), out),
                )
                return out

        return Traced(consumer)

    original_init = restore.Restoration.__init__

    def init(self: Any, consumer: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, consumer_wrapper(consumer), *args, **kwargs)

    restore.Restoration.__init__ = init  # type: ignore[method-assign]
    for owner, name in [
        (task_manager.TaskManager, "handle_assignment"),
        (task_manager.TaskManager, "_start"),
        (task_manager.TaskManager, "restore_step"),
        (changelog_reader.ChangelogReader, "add"),
        (changelog_reader.ChangelogReader, "step"),
        (restore.Restoration, "add"),
        (restore.Restoration, "round"),
        (restore.Restoration, "_assign"),
        (stream_thread.StreamThread, "_initialize_tasks"),
        (stream_thread.StreamThread, "_new_task"),
        (stream_thread.StreamThread, "_on_assign"),
        (stream_thread.StreamThread, "_process_batch"),
        (stream_thread.StreamThread, "_choose_group_protocol"),
        (stream_thread.StreamThread, "_subscribe"),
        (stream_thread.StreamThread, "commit"),
    ]:
        _wrap(owner, name)
    for mod in (restore, changelog_reader):
        for name in ("plan_tasks", "log_offsets", "check_checkpoints", "watermarks"):
            if hasattr(mod, name):
                _wrap(mod, name)


_patch()
