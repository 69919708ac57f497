"""How a KTable-producing processor forwards its updates: at once, or when its store's cache flushes.

Kafka Streams' ``TimestampedTupleForwarder``: a processor that writes a
materialized table (an aggregation, a table source) registers a flush listener
on its store. If the store has a record cache (``kstreams.state.caching``), the
cache forwards the latest value of each changed key when it flushes (at commit
or eviction), and the processor forwards nothing itself; otherwise the processor
forwards every update as it makes it.
"""

from __future__ import annotations

from typing import Any

from kstreams.processor.change import Change
from kstreams.processor.context import Forward
from kstreams.processor.fused import flush_listener


def forwards_on_flush(store: Any, forward: Forward, send_old_values: bool) -> bool:
    """Let ``store``'s record cache forward ``Change(new, old)`` updates; True if it will.

    ``forward`` gets ``(key, Change(new value, old value), timestamp, headers)``:
    the timestamp of the new ``ValueAndTimestamp`` (for a delete, the deleting
    record's), the headers of the last record that changed the key. Without
    ``send_old_values`` the old value is None, and the cache reads the store below
    only for deletes (Java's ``sendOldValues`` of the caching stores).

    Example (in a processor's ``compile``)::

        cached = forwards_on_flush(store, forward, send_old)
        ...
        store.put(key, ValueAndTimestamp(agg, ts))
        if not cached:
            forward(key, Change(agg, old_agg if send_old else None), ts, headers)
    """
    register = getattr(store, "set_flush_listener", None)
    if register is None:
        return False

    unwrapped = flush_listener(forward)
    if unwrapped is not None:  # to_stream first: the Change would only be unwrapped
        return bool(register(unwrapped, send_old_values))

    new_change = tuple.__new__  # Change(new, old) without the NamedTuple's Python __new__

    def on_flush(key: Any, new: Any, old: Any, ts: int, headers: Any) -> None:
        forward(
            key,
            new_change(
                Change, (None if new is None else new[0], None if old is None else old[0], True)
            ),
            ts if new is None else new[1],
            headers,
        )

    return bool(register(on_flush, send_old_values))
