"""Sliding-window aggregation: ``TimeWindowedKStream`` over ``SlidingWindows``.

Kafka Streams' ``KStreamSlidingWindowAggregate``: windows ``[start, start + difference]`` with
both bounds inclusive, kept in a window store by start. Updates carry the old aggregate only
when a downstream operator needs it (``send_old_values``), else None. A record at ``t`` updates every
existing window holding it, creates its left window ``[t - difference, t]`` (holding the
records before it within the difference) and, if a later record is within the difference, its
right window ``[t + 1, t + 1 + difference]``; it also creates the right window of the record
before it when it falls there. Records before ``difference`` share the window
``[0, difference]``. Null keys and null values are dropped, as in Java.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kstreams.processor.change import Change
from kstreams.processor.compiled import CompiledProcessor
from kstreams.processor.context import Forward, ProcessorContext
from kstreams.processor.table_forwarder import forwards_on_flush
from kstreams.processor.window_aggregate import emit_closed_windows
from kstreams.processor.window_support import (
    NO_TIMESTAMP,
    EmitPacer,
    expired_record_dropper,
    keep_observed_stream_time,
    null_key_dropper,
    unchanged,
)
from kstreams.serde.base import Headers
from kstreams.windows.definitions import SlidingWindows
from kstreams.windows.emit import EmitStrategy
from kstreams.windows.window import TimeWindow, Windowed


class SlidingWindowAggregateProcessor(CompiledProcessor):
    """Aggregates into sliding windows (the store holds one entry per window start)."""

    def __init__(
        self,
        store_name: str,
        windows: SlidingWindows,
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
        from kstreams.state import ValueAndTimestamp
        from kstreams.state.value_and_timestamp import ValueAndTimestamp as VT
        from kstreams.state.value_and_timestamp import new_value_and_timestamp as new_vt

        store = context.get_state_store(self.store_name)
        fetch, put = store.fetch, store.put
        backward_fetch, forward_fetch = store.backward_fetch_range, store.fetch_range
        forward = context.forward_fn
        on_close = self.emit_strategy.on_close
        send_old = self.send_old_values
        cached = False if on_close else forwards_on_flush(store, forward, send_old)
        send_updates = not on_close and not cached
        snapshots = send_updates and send_old
        initializer, aggregator = self.initializer, self.aggregator
        diff = self.windows.time_difference_ms()
        grace = self.windows.grace_ms()
        dropped_null = null_key_dropper(context, "key or value")
        dropped_expired = expired_record_dropper(context)
        pacer = EmitPacer(context, self.store_name) if on_close else None
        observed = NO_TIMESTAMP

        def copy_of(key: Any, start: int, vat: Any) -> Any:
            """``vat`` of the window at ``start`` as the store holds it, safe from aggregators
            that mutate their argument."""
            if unchanged(vat.value):
                return vat
            return fetch(key, start)

        def update(
            key: Any,
            value: Any,
            ts: int,
            headers: Headers,
            start: int,
            vat: Any,
            close_time: int,
            existing: bool,
        ) -> None:
            """Java's ``updateWindowAndForward``: add the record to the window at ``start``."""
            end = start + diff
            if end < close_time:
                dropped_expired(ts, f"[{start},{end}]", close_time, observed)
                return
            old_agg = vat.value
            new_ts = ts if old_agg is None or ts > vat.timestamp else vat.timestamp
            new_agg = aggregator(key, value, old_agg)
            if snapshots and existing and not unchanged(old_agg):
                old_agg = fetch(key, start).value  # the aggregator may have mutated it
            put(key, new_vt(VT, (new_agg, new_ts)), start)
            if send_updates:
                forward(
                    Windowed(key, TimeWindow(start, end)),
                    Change(new_agg, old_agg if existing and send_old else None),
                    new_ts,
                    headers,
                )

        def put_right_window(key: Any, ts: int, right_agg: Any, headers: Headers) -> None:
            """The record's right window, holding what the later records aggregated."""
            start = ts + 1
            put(key, right_agg, start)
            if send_updates:
                forward(
                    Windowed(key, TimeWindow(start, start + diff)),
                    Change(right_agg.value, None),
                    right_agg.timestamp,
                    headers,
                )

        def new_window(
            key: Any, value: Any, ts: int, headers: Headers, start: int, close_time: int
        ) -> None:
            update(
                key,
                value,
                ts,
                headers,
                start,
                ValueAndTimestamp(initializer(), ts),
                close_time,
                False,
            )

        def process_early(key: Any, value: Any, ts: int, headers: Headers, close: int) -> None:
            """Records before ``diff``: they share the window ``[0, diff]``."""
            combined: tuple[int, Any] | None = None
            right_agg = None
            right_exists = False
            starts: set[int] = set()
            previous_ts: int | None = None
            for start, vat in list(forward_fetch(key, 0, ts + 1)):
                starts.add(start)
                if start == 0:
                    combined = (start, vat)
                    if vat.timestamp < ts:
                        previous_ts = vat.timestamp
                elif start <= ts:
                    right_agg = copy_of(key, start, vat)
                    update(key, value, ts, headers, start, vat, close, True)
                elif start == ts + 1:
                    right_exists = True
                else:
                    raise RuntimeError(
                        f"Unexpected window with start {start} found when processing record "
                        f"at {ts} in a sliding window aggregation"
                    )
            if right_agg is None and combined is not None and combined[1].timestamp > ts:
                right_agg = copy_of(key, 0, combined[1])
            if not right_exists and right_agg is not None and right_agg.timestamp > ts:
                put_right_window(key, ts, right_agg, headers)
            if previous_ts is not None and previous_ts + 1 not in starts:
                new_window(key, value, ts, headers, previous_ts + 1, close)
            if combined is None:
                new_window(key, value, ts, headers, 0, close)
            else:
                update(key, value, ts, headers, 0, combined[1], close, True)

        def process(key: Any, value: Any, ts: int, headers: Headers, close: int) -> None:
            """Java's ``processReverse``: the key's windows from the latest back."""
            starts: set[int] = set()
            left_agg = None
            right_agg = None
            left_exists = False
            right_exists = False
            previous_ts: int | None = None
            for start, vat in list(backward_fetch(key, max(0, ts - 2 * diff), ts + 1)):
                starts.add(start)
                end = start + diff
                if start == ts + 1:
                    right_exists = True
                elif end > ts:
                    if right_agg is None:
                        right_agg = copy_of(key, start, vat)
                    update(key, value, ts, headers, start, vat, close, True)
                elif end == ts:
                    left_exists = True
                    update(key, value, ts, headers, start, vat, close, True)
                    if vat.timestamp < ts:
                        previous_ts = vat.timestamp
                    else:
                        return
                else:  # end < ts
                    left_agg = vat
                    previous_ts = vat.timestamp
                    break
            # the right window of the record before, if this record falls in it
            if previous_ts is not None:
                previous_right = previous_ts + 1
                if previous_right not in starts and previous_right + diff >= ts:
                    new_window(key, value, ts, headers, previous_right, close)
            if not left_exists:
                if previous_ts is not None and ts - diff <= previous_ts:
                    assert left_agg is not None
                    left = ValueAndTimestamp(left_agg.value, ts)
                else:
                    left = ValueAndTimestamp(initializer(), ts)
                update(key, value, ts, headers, ts - diff, left, close, False)
            if not right_exists and right_agg is not None and right_agg.timestamp > ts:
                put_right_window(key, ts, right_agg, headers)

        def maybe_emit_final(close_time: int, headers: Headers) -> None:
            assert pacer is not None
            if not pacer.should_emit(close_time):
                return
            upper = close_time - diff - 1  # both ends inclusive
            if upper < 0:
                return
            last = pacer.last_emit_close_time
            lower = 0 if last == NO_TIMESTAMP else max(0, last - diff)
            emitted = emit_closed_windows(store, forward, lower, upper, headers)
            pacer.emitted(close_time, emitted)

        def sliding_aggregate(key: Any, value: Any, ts: int, headers: Headers) -> None:
            nonlocal observed
            if key is None or value is None:
                dropped_null(key, value)
                return
            if ts > observed:
                observed = ts
            close = observed - grace
            if ts + diff < close:
                dropped_expired(ts, f"[{ts},{ts + diff}]", close, observed)
                return
            if ts < diff:
                process_early(key, value, ts, headers, close)
                return
            process(key, value, ts, headers, close)
            if on_close:
                maybe_emit_final(close, headers)

        def observed_time() -> int:
            return observed

        def resume(committed: int) -> None:
            nonlocal observed
            observed = committed

        keep_observed_stream_time(context, self.stream_time_name, observed_time, resume)
        return sliding_aggregate
