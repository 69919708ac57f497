"""Time-windowed aggregation: ``TimeWindowedKStream.count / reduce / aggregate`` over ``TimeWindows``.

Kafka Streams' ``KStreamWindowAggregate``: each record updates every window ``[start, end)``
holding its timestamp (no window starts before 0) in a timestamped window store, unless stream
time has passed that window's end plus the grace period. The result's key is
``Windowed(key, TimeWindow(start, end))``, its value a :class:`~kstreams.processor.change.Change`
of the window's aggregate (the old aggregate only when a downstream operator needs it:
``send_old_values``, else None), its timestamp the largest record timestamp in the window. Records
with a null key are dropped; null values reach the aggregator, as in Java.

With ``EmitStrategy.on_window_close()`` no update is forwarded: each window is forwarded once,
with its final aggregate, when it closes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kstreams.processor.aggregate import count_aggregator, count_initializer
from kstreams.processor.change import Change
from kstreams.processor.compiled import CompiledProcessor
from kstreams.processor.context import Forward, ProcessorContext
from kstreams.processor.table_forwarder import forwards_on_flush
from kstreams.processor.window_support import (
    NO_TIMESTAMP,
    EmitPacer,
    expired_record_dropper,
    keep_observed_stream_time,
    null_key_dropper,
    unchanged,
)
from kstreams.serde.base import Headers
from kstreams.state.window_typed import aggregation
from kstreams.windows.definitions import TimeWindows
from kstreams.windows.emit import EmitStrategy
from kstreams.windows.window import TimeWindow, Windowed


def emit_closed_windows(
    store: Any,
    forward: Forward,
    lower: int,
    upper: int,
    headers: Headers,
) -> int:
    """Forward every window of ``store`` starting in ``[lower, upper]``, earliest start first,
    keys in store order within a start (the order of Java's time-ordered window store); the
    number forwarded."""
    windows = sorted(store.fetch_all(lower, upper), key=lambda kv: kv[0].window.start)
    for windowed, vat in windows:
        forward(windowed, Change(vat.value, None), vat.timestamp, headers)
    return len(windows)


class TimeWindowAggregateProcessor(CompiledProcessor):
    """``aggregate(window) = aggregator(key, value, aggregate or initializer())`` per window."""

    def __init__(
        self,
        store_name: str,
        windows: TimeWindows,
        emit_strategy: EmitStrategy,
        initializer: Callable[[], Any],
        aggregator: Callable[[Any, Any, Any], Any],
        send_old_values: bool = False,
        stream_time_name: str | None = None,
    ) -> None:
        self.store_name = store_name
        # what the observed stream time is committed under (default: the store's name);
        # cogrouped aggregations share one store, each keeps its own time (as in Java)
        self.stream_time_name = stream_time_name or store_name
        self.windows = windows
        self.emit_strategy = emit_strategy
        self.initializer = initializer
        self.aggregator = aggregator
        self.send_old_values = send_old_values

    def compile(self, context: ProcessorContext) -> Forward:
        from kstreams.state.value_and_timestamp import ValueAndTimestamp as VT
        from kstreams.state.value_and_timestamp import new_value_and_timestamp as new_vt

        store = context.get_state_store(self.store_name)
        fetch, put = store.fetch, store.put
        forward = context.forward_fn
        on_close = self.emit_strategy.on_close
        send_old = self.send_old_values
        cached = False if on_close else forwards_on_flush(store, forward, send_old)
        send_updates = not cached and not on_close
        snapshots = send_updates and send_old
        initializer, aggregator = self.initializer, self.aggregator
        # a count's fold, which the record cache does inline (old + 1, no call per window)
        counting = initializer is count_initializer and aggregator is count_aggregator
        windows = self.windows
        size, advance, grace = windows.size_ms, windows.advance_ms, windows.grace_period
        dropped_null = null_key_dropper(context)
        dropped_expired = expired_record_dropper(context)
        pacer = EmitPacer(context, self.store_name) if on_close else None
        observed = NO_TIMESTAMP

        def maybe_emit_final(close_time: int, headers: Headers) -> None:
            assert pacer is not None
            if not pacer.should_emit(close_time):
                return
            upper = close_time - size
            if upper < 0:
                return
            last = pacer.last_emit_close_time
            if last == NO_TIMESTAMP:
                lower = 0
            else:
                lower = max(0, last - size) + 1
                # no window ends in (last close, new close]: nothing new to emit
                if windows.windows_for(upper) == windows.windows_for(lower - 1):
                    return
            emitted = emit_closed_windows(store, forward, lower, upper, headers)
            pacer.emitted(close_time, emitted)

        def window_aggregate(key: Any, value: Any, ts: int, headers: Headers) -> None:
            nonlocal observed
            if key is None:
                dropped_null(key, value)
                return
            if ts > observed:
                observed = ts
            close_time = observed - grace
            start = (max(0, ts - size + advance) // advance) * advance
            while start <= ts:
                end = start + size
                if end > close_time:
                    old = fetch(key, start)
                    old_agg = None
                    if old is None:
                        new_ts = ts
                        new_agg = aggregator(key, value, initializer())
                    else:
                        old_ts = old[1]
                        new_ts = ts if ts > old_ts else old_ts
                        if snapshots:
                            old_agg = old[0]
                            new_agg = aggregator(key, value, old_agg)
                            if not unchanged(old_agg):
                                old_agg = fetch(key, start).value  # the aggregator may mutate
                        else:
                            new_agg = aggregator(key, value, old[0])
                    put(key, None if new_agg is None else new_vt(VT, (new_agg, new_ts)), start)
                    if send_updates:
                        forward(
                            Windowed(key, TimeWindow(start, end)),
                            Change(new_agg, old_agg),
                            new_ts,
                            headers,
                        )
                else:
                    dropped_expired(ts, f"[{start},{end})", close_time, observed)
                start += advance
            if on_close:
                maybe_emit_final(close_time, headers)

        aggregate_windows = getattr(store, "aggregate_windows", None)
        if cached and aggregate_windows is None:  # a cache over a store of another kind

            def aggregate_windows(
                key: Any, starts: Any, value: Any, ts: int, init: Any, agg: Any, counting: bool
            ) -> None:
                store.update_windows(key, starts, aggregation(key, value, ts, init, agg))

        def window_aggregate_cached(key: Any, value: Any, ts: int, headers: Headers) -> None:
            # the record cache forwards on flush and folds the aggregation into its update of
            # every live window of the record (the reads, aggregator calls and writes of
            # window_aggregate, in the same order, in one store call without a frame per window)
            nonlocal observed
            if key is None:
                dropped_null(key, value)
                return
            if ts > observed:
                observed = ts
            close_time = observed - grace
            start = (max(0, ts - size + advance) // advance) * advance
            while start <= ts and start + size <= close_time:  # the earliest windows close first
                dropped_expired(ts, f"[{start},{start + size})", close_time, observed)
                start += advance
            if start > ts:
                return
            aggregate_windows(
                key, range(start, ts + 1, advance), value, ts, initializer, aggregator, counting
            )

        def observed_time() -> int:
            return observed

        def resume(committed: int) -> None:
            nonlocal observed
            observed = committed

        keep_observed_stream_time(context, self.stream_time_name, observed_time, resume)
        return window_aggregate_cached if cached else window_aggregate


class TimeWindowedValueGetter:
    """Reads a time-windowed table's value (Java: ``KStreamWindowAggregateValueGetter``):
    ``get(Windowed(key, window))`` is the window store's ``ValueAndTimestamp`` for the window's
    start, for downstream lookups (joins, ``KTable`` operators that read their parent)."""

    def __init__(self, store_name: str) -> None:
        self.store_name = store_name
        self._store: Any = None

    def init(self, context: ProcessorContext) -> None:
        """Connect to the window store (the caller's processor must have it)."""
        self._store = context.get_state_store(self.store_name)

    def get(self, windowed: Windowed[Any]) -> Any:
        """The ``ValueAndTimestamp`` of ``windowed``, or None."""
        return self._store.fetch(windowed.key, windowed.window.start)
