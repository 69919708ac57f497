"""What the windowed aggregations share: observed stream time, late-record drops, emit-on-close pacing.

Kafka Streams' ``AbstractKStreamTimeWindowAggregateProcessor`` and the session aggregate keep
their own *observed stream time*: the largest timestamp the processor has seen in its task,
never going back. A window closes when that time passes its end plus the grace period (stream
time + grace is Kafka Streams' watermark); a record for a closed window is dropped, counted in
``dropped-records-total`` and logged at debug, once per window.

With ``EmitStrategy.on_window_close()`` closed windows are looked up and forwarded at most once
per ``__emit.interval.ms.kstreams.windowed.aggregation__`` of wall-clock time (default 1000 ms),
as in Java. The last close time emitted is kept in the task's processor metadata under the
store's name (Java: ``addProcessorMetadataKeyValue(storeName, windowCloseTime)``), committed with
the input offsets: a restarted aggregation does not emit a window it emitted before.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from kstreams.processor.context import ProcessorContext
from kstreams.state.immutable import IMMUTABLE_SCALARS, is_immutable

log = logging.getLogger("kstreams")

EMIT_INTERVAL_CONFIG = "__emit.interval.ms.kstreams.windowed.aggregation__"
"""Java's ``StreamsConfig.InternalConfig.EMIT_INTERVAL_MS_KSTREAMS_WINDOWED_AGGREGATION``."""

NO_TIMESTAMP = -1
"""Java's ``ConsumerRecord.NO_TIMESTAMP``: no time observed yet."""

_MAX_LOGGED_WINDOWS = 4096


def unchanged(value: Any) -> bool:
    """Whether ``value`` cannot be changed by user code (so it is its own snapshot)."""
    return type(value) in IMMUTABLE_SCALARS or is_immutable(value)


def expired_record_dropper(context: ProcessorContext) -> Callable[[int, str, int, int], None]:
    """``dropped(timestamp, window, close_time, stream_time)``: count a record for a closed
    window in ``dropped-records-total`` and log it at debug, the first time for each window."""
    metrics = context.task_metrics
    node = context.node_name
    logged: set[str] = set()

    def dropped(timestamp: int, window: str, close_time: int, stream_time: int) -> None:
        metrics.dropped_records += 1
        if window in logged:
            return
        if len(logged) >= _MAX_LOGGED_WINDOWS:
            logged.clear()
        logged.add(window)
        meta = context.record_metadata()
        where = (
            f"topic=[{meta.topic}] partition=[{meta.partition}] offset=[{meta.offset}] "
            if meta is not None
            else ""
        )
        log.debug(
            "%s: skipping record for expired window. %stimestamp=[%d] window=%s "
            "expiration=[%d] streamTime=[%d] (further records for this window are dropped "
            "without a log line; dropped-records-total counts them all)",
            node,
            where,
            timestamp,
            window,
            close_time,
            stream_time,
        )

    return dropped


OBSERVED_STREAM_TIME_SUFFIX = ":observed-stream-time"
"""A windowed aggregation's observed stream time is committed in the processor metadata under
its store's name and this suffix (a character no store name has: no clash with Java's key)."""


def keep_observed_stream_time(
    context: ProcessorContext,
    store_name: str,
    get: Callable[[], int],
    resume: Callable[[int], None],
) -> None:
    """Commit the aggregation's observed stream time (``get()``) with the task's offsets, and
    when the task starts again from them, ``resume(time)`` from the committed one.

    A kstreams difference from Kafka Streams 4.4, whose window processors start from no time
    after a restart: there a record that was too late before the restart is taken after it
    (its closed window re-opens and is emitted again). Without a committed time (the first
    start, the TopologyTestDriver, offsets a Java app committed) nothing changes.
    """
    key = store_name + OBSERVED_STREAM_TIME_SUFFIX
    saved = NO_TIMESTAMP

    def on_commit() -> None:
        nonlocal saved
        observed = get()
        if observed > saved:
            context.add_processor_metadata_key_value(key, observed)
            saved = observed

    def on_start() -> None:
        nonlocal saved
        committed = context.processor_metadata_for_key(key)
        if committed is not None and committed > get():
            resume(committed)
            saved = committed

    context.on_commit(on_commit)
    context.on_task_start(on_start)


def null_key_dropper(context: ProcessorContext, what: str = "key") -> Callable[[Any, Any], None]:
    """``dropped(key, value)``: count and log (debug) a record with a null ``what``."""
    metrics = context.task_metrics
    node = context.node_name

    def dropped(key: Any, value: Any) -> None:
        metrics.dropped_records += 1
        log.debug("%s: skipping record due to null %s (key %r, value %r)", node, what, key, value)

    return dropped


class EmitPacer:
    """Java's ``shouldEmitFinal``: whether to look for newly closed windows now.

    At most once per emit interval of wall-clock time (the test driver's mock clock), and only
    when the close time moved past the last emitted one, which lives in the task's processor
    metadata under ``store_name`` (so it survives a restart: see the module notes).
    """

    __slots__ = (
        "_clock",
        "_context",
        "_interval",
        "_key",
        "_metrics",
        "_started",
        "next_time_to_emit",
    )

    def __init__(self, context: ProcessorContext, store_name: str) -> None:
        configs = context.app_configs
        interval = configs.get(EMIT_INTERVAL_CONFIG) if configs is not None else None
        self._interval = 1000 if interval is None else int(interval)
        self._clock = context.current_system_time_ms
        self._context = context
        self._key = store_name
        self._metrics = context.task_metrics
        if self._metrics is not None:
            self._metrics.window_final_emit = True
        self._started = 0.0
        self.next_time_to_emit = 0

    @property
    def last_emit_close_time(self) -> int:
        """The window close time of the last emission (-1: none yet), committed or not."""
        last = self._context.processor_metadata_for_key(self._key)
        return NO_TIMESTAMP if last is None else last

    def should_emit(self, close_time: int) -> bool:
        """Whether to emit the windows closed by ``close_time`` (advances the pacing)."""
        now = self._clock()
        if now < self.next_time_to_emit:
            return False
        self.next_time_to_emit = now + self._interval
        last = self.last_emit_close_time
        if last == NO_TIMESTAMP or last < close_time:
            self._started = time.perf_counter()
            return True
        return False

    def emitted(self, close_time: int, records: int) -> None:
        """The windows closed by ``close_time`` were forwarded (``records`` of them)."""
        self._context.add_processor_metadata_key_value(self._key, close_time)
        if self._metrics is not None:
            self._metrics.record_final_emit(records, (time.perf_counter() - self._started) * 1000)
