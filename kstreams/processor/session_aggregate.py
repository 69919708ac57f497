"""Session aggregation: ``SessionWindowedKStream.count / reduce / aggregate``.

Kafka Streams' ``KStreamSessionWindowAggregate``: a record at ``t`` finds the key's sessions
ending at or after ``t - gap`` and starting at or before ``t + gap``, merges them (``merger``)
into one session spanning them all and the record, removes the merged ones (forwarding a
tombstone for each) and stores the new session. A session closes when observed stream time
passes its end plus the gap plus the grace period; records for closed sessions are dropped.
Results are keyed ``Windowed(key, SessionWindow(start, end))`` and stamped with the session's
end. Records with a null key are dropped; null values reach the aggregator, as in Java.
Updates carry the old aggregate only when a downstream operator needs it
(``send_old_values``), else None.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kstreams.processor.change import Change
from kstreams.processor.compiled import CompiledProcessor
from kstreams.processor.context import Forward, ProcessorContext
from kstreams.processor.window_support import (
    NO_TIMESTAMP,
    EmitPacer,
    expired_record_dropper,
    keep_observed_stream_time,
    null_key_dropper,
)
from kstreams.serde.base import Headers
from kstreams.windows.definitions import SessionWindows
from kstreams.windows.emit import EmitStrategy
from kstreams.windows.window import SessionWindow, Windowed


def session_forwarder(store: Any, forward: Forward, send_old_values: bool) -> bool:
    """Let the session store's record cache forward updates; True if it will.

    Without ``send_old_values`` old values are None (the cache reads none). The cache calls ``on_flush(windowed_key, new, old, timestamp, headers)`` with plain
    aggregates (session stores are not timestamped); the record's timestamp is the
    session's end, as Java's ``SessionCacheFlushListener`` sets it.
    """
    register = getattr(store, "set_flush_listener", None)
    if register is None:
        return False

    def on_flush(key: Any, new: Any, old: Any, ts: int, headers: Any) -> None:
        forward(key, Change(new, old), key.window.end, headers)

    return bool(register(on_flush, send_old_values))


class SessionWindowAggregateProcessor(CompiledProcessor):
    """Aggregates records into per-key sessions, merging sessions a record bridges."""

    def __init__(
        self,
        store_name: str,
        windows: SessionWindows,
        emit_strategy: EmitStrategy,
        initializer: Callable[[], Any],
        aggregator: Callable[[Any, Any, Any], Any],
        merger: Callable[[Any, Any, Any], Any],
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
        self.merger = merger
        self.send_old_values = send_old_values

    def compile(self, context: ProcessorContext) -> Forward:
        store = context.get_state_store(self.store_name)
        find_sessions, remove, put = store.find_sessions, store.remove, store.put
        forward = context.forward_fn
        on_close = self.emit_strategy.on_close
        send_old = self.send_old_values
        cached = False if on_close else session_forwarder(store, forward, send_old)
        send_updates = not on_close and not cached
        initializer, aggregator, merger = self.initializer, self.aggregator, self.merger
        gap = self.windows.inactivity_gap()
        grace = self.windows.grace_ms()
        dropped_null = null_key_dropper(context)
        dropped_expired = expired_record_dropper(context)
        pacer = EmitPacer(context, self.store_name) if on_close else None
        observed = NO_TIMESTAMP

        def maybe_emit_final(close_time: int, headers: Headers) -> None:
            assert pacer is not None
            if not pacer.should_emit(close_time):
                return
            upper = close_time - 1  # session ends are inclusive
            if upper < 0:
                return
            lower = max(0, pacer.last_emit_close_time)
            if upper < lower:
                return
            # Java's time-ordered session store: the sessions ending in [lower, upper], by end
            closed = list(store.find_sessions_by_end(lower, upper))
            for windowed, agg in closed:
                forward(windowed, Change(agg, None), windowed.window.end, headers)
            pacer.emitted(close_time, len(closed))

        def session_aggregate(key: Any, value: Any, ts: int, headers: Headers) -> None:
            nonlocal observed
            if key is None:
                dropped_null(key, value)
                return
            if ts > observed:
                observed = ts
            close_time = observed - grace - gap
            merged = list(find_sessions(key, ts - gap, ts + gap))
            start = end = ts
            agg = initializer()
            for windowed, session_agg in merged:
                agg = merger(key, agg, session_agg)
                window = windowed.window
                if window.start < start:
                    start = window.start
                if window.end > end:
                    end = window.end
            if end < close_time:
                dropped_expired(ts, f"[{start},{end}]", close_time, observed)
            else:
                if start != ts or end != ts:
                    for windowed, session_agg in merged:
                        remove(windowed)
                        if send_updates:
                            forward(
                                windowed,
                                Change(None, session_agg if send_old else None),
                                windowed.window.end,
                                headers,
                            )
                agg = aggregator(key, value, agg)
                session = Windowed(key, SessionWindow(start, end))
                put(session, agg)
                if send_updates:
                    forward(session, Change(agg, None), end, headers)
            if on_close:
                maybe_emit_final(close_time, headers)

        def observed_time() -> int:
            return observed

        def resume(committed: int) -> None:
            nonlocal observed
            observed = committed

        keep_observed_stream_time(context, self.stream_time_name, observed_time, resume)
        return session_aggregate


class SessionWindowedValueGetter:
    """Reads a session-windowed table's value (Java: ``KTableSessionWindowValueGetter``):
    ``get(Windowed(key, SessionWindow))`` is the session's aggregate stamped with its end."""

    def __init__(self, store_name: str) -> None:
        self.store_name = store_name
        self._store: Any = None

    def init(self, context: ProcessorContext) -> None:
        """Connect to the session store (the caller's processor must have it)."""
        self._store = context.get_state_store(self.store_name)

    def get(self, windowed: Windowed[Any]) -> Any:
        """The ``ValueAndTimestamp`` of the session ``windowed``, or None."""
        from kstreams.state import ValueAndTimestamp

        window = windowed.window
        agg = self._store.fetch_session(windowed.key, window.start, window.end)
        return ValueAndTimestamp.make(agg, window.end)
