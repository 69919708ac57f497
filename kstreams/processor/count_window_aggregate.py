"""Count-windowed aggregation (a kstreams extension): ``windowed_by(CountWindows...)`` count / reduce / aggregate.

Each key's records are numbered 0, 1, 2, ... in the order the task processes them. A window
holds ``size`` consecutive records of its key, starting at every ``advance``-th record; its
state lives in a timestamped window store under ``(key, first record number)``:
``ValueAndTimestamp(CountWindowState(count, earliest timestamp, aggregate), latest timestamp)``.
When a window's last record arrives its result is forwarded once, as
``Windowed(key, CountWindow(earliest, latest, first record, size))`` -> ``Change(aggregate, None)``
with the latest timestamp, and the window is deleted -- except the key's newest window, kept
until the next window starts, since the newest window's first record number plus its count is
how many records the key has had. The store never expires windows by time (its changelog is
compacted, not deleted): an open count window waits for its records however long it takes.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any, NamedTuple

from kstreams.errors import SerializationError
from kstreams.processor.change import Change
from kstreams.processor.compiled import CompiledProcessor
from kstreams.processor.context import Forward, ProcessorContext
from kstreams.processor.window_support import null_key_dropper
from kstreams.serde.base import Headers, Serde
from kstreams.windows.count_windows import CountWindow, CountWindows
from kstreams.windows.window import Windowed

MAX_RECORD_NUMBER = (1 << 63) - 1

_STATE = struct.Struct(">qqB")


class CountWindowState(NamedTuple):
    """What a count window's store entry holds besides its latest timestamp."""

    count: int
    """How many records the window has so far."""
    start: int
    """The earliest timestamp among them."""
    value: Any
    """The aggregate."""


class CountWindowStateSerde(Serde[CountWindowState]):
    """``CountWindowState`` as bytes: 8-byte count, 8-byte earliest timestamp, a flag byte
    (1: an aggregate follows), the aggregate's bytes in ``inner``'s format."""

    def __init__(self, inner: Serde[Any]) -> None:
        self.inner = inner

    def serialize(
        self, topic: str, data: CountWindowState | None, headers: Headers = None
    ) -> bytes | None:
        if data is None:
            return None
        raw = None if data.value is None else self.inner.serialize(topic, data.value, headers)
        head = _STATE.pack(data.count, data.start, 0 if raw is None else 1)
        return head if raw is None else head + raw

    def deserialize(
        self, topic: str, data: bytes | None, headers: Headers = None
    ) -> CountWindowState | None:
        if data is None:
            return None
        if len(data) < _STATE.size:
            raise SerializationError(
                f"count window state on {topic} is too short ({len(data)} bytes)"
            )
        count, start, has_value = _STATE.unpack_from(data)
        value = self.inner.deserialize(topic, data[_STATE.size :], headers) if has_value else None
        return CountWindowState(count, start, value)


class CountWindowAggregateProcessor(CompiledProcessor):
    """``aggregate(window) = aggregator(key, value, aggregate or initializer())`` per count window.

    Records with a null key are dropped (counted in ``dropped-records-total``); null values
    reach the aggregator, as for time windows.
    """

    def __init__(
        self,
        store_name: str,
        windows: CountWindows,
        initializer: Callable[[], Any],
        aggregator: Callable[[Any, Any, Any], Any],
    ) -> None:
        self.store_name = store_name
        self.windows = windows
        self.initializer = initializer
        self.aggregator = aggregator

    def compile(self, context: ProcessorContext) -> Forward:
        from kstreams.state.value_and_timestamp import ValueAndTimestamp as VT
        from kstreams.state.value_and_timestamp import new_value_and_timestamp as new_vt

        store = context.get_state_store(self.store_name)
        fetch_range, put = store.fetch_range, store.put
        forward = context.forward_fn
        initializer, aggregator = self.initializer, self.aggregator
        size, advance = self.windows.size, self.windows.advance
        dropped_null = null_key_dropper(context)

        def count_window_aggregate(key: Any, value: Any, ts: int, headers: Headers) -> None:
            if key is None:
                dropped_null(key, value)
                return
            windows = list(fetch_range(key, 0, MAX_RECORD_NUMBER))
            if windows:
                newest_first, newest = windows[-1]
                number = newest_first + newest.value.count
            else:
                number = 0
            if number % advance == 0:
                windows.append((number, None))
            newest_first = windows[-1][0]
            for first, vat in windows:
                if vat is None:
                    count, start, agg, latest = 1, ts, aggregator(key, value, initializer()), ts
                else:
                    state = vat.value
                    if state.count >= size:  # complete: it was kept only to number the records
                        put(key, None, first)
                        continue
                    count = state.count + 1
                    start = ts if ts < state.start else state.start
                    latest = ts if ts > vat.timestamp else vat.timestamp
                    agg = aggregator(
                        key, value, initializer() if state.value is None else state.value
                    )
                if count < size or first == newest_first:
                    put(key, new_vt(VT, (CountWindowState(count, start, agg), latest)), first)
                else:
                    put(key, None, first)
                if count == size:
                    forward(
                        Windowed(key, CountWindow(start, latest, first, size)),
                        Change(agg, None),
                        latest,
                        headers,
                    )

        return count_window_aggregate
