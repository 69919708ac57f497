"""The DSL's stateful stream operators: aggregate, reduce and count over a grouped stream.

Each reads and writes a timestamped key-value store through the Processor API
(``context.get_state_store``) and forwards a :class:`~kstreams.processor.change.Change`
(new aggregate, old aggregate) as a KTable does; the old aggregate only when
``send_old_values`` (a downstream operator needs it: Java's ``enableSendingOldValues``),
else None. As in Kafka Streams, records
with a null key or a null value are dropped (and counted in
``dropped-records-total``), and the result's timestamp is the largest timestamp
that contributed to it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from kstreams.processor.change import Change
from kstreams.processor.compiled import CompiledProcessor
from kstreams.processor.context import Forward, ProcessorContext
from kstreams.processor.fused import Step, fuse
from kstreams.processor.table_forwarder import forwards_on_flush
from kstreams.serde.base import Headers
from kstreams.state.immutable import IMMUTABLE_SCALARS, is_immutable

log = logging.getLogger("kstreams")


def snapshot(get: Callable[[Any], Any], key: Any, value: Any) -> Any:
    """``value`` (an old aggregate just read from a store) as the store holds it.

    The user's function may mutate the aggregate it is given and return it; the old value
    forwarded downstream must be the one before. A value that cannot change is its own
    snapshot; any other is read again (the store deserializes a fresh copy).
    """
    if type(value) in IMMUTABLE_SCALARS or is_immutable(value):
        return value
    return get(key).value


def drop_counter(context: ProcessorContext, what: str) -> Callable[[Any, Any], None]:
    """A function that logs (at debug) and counts a dropped record."""
    metrics = context.task_metrics
    node = context.node_name

    def dropped(key: Any, value: Any) -> None:
        metrics.dropped_records += 1
        log.debug("%s: skipping record due to null %s (key %r, value %r)", node, what, key, value)

    return dropped


class StreamAggregateProcessor(CompiledProcessor):
    """``KGroupedStream.aggregate``: ``agg = aggregator(key, value, agg or initializer())``."""

    def __init__(
        self,
        store_name: str,
        initializer: Callable[[], Any],
        aggregator: Callable[[Any, Any, Any], Any],
        send_old_values: bool = False,
    ) -> None:
        self.store_name = store_name
        self.initializer = initializer
        self.aggregator = aggregator
        self.send_old_values = send_old_values

    def compile(self, context: ProcessorContext) -> Forward:
        from kstreams.state.value_and_timestamp import ValueAndTimestamp as VT
        from kstreams.state.value_and_timestamp import new_value_and_timestamp as new_vt

        store = context.get_state_store(self.store_name)
        get, put = store.get, store.put
        forward = context.forward_fn
        send_old = self.send_old_values
        cached = forwards_on_flush(store, forward, send_old)
        snapshots = send_old and not cached
        initializer, aggregator = self.initializer, self.aggregator
        dropped = drop_counter(context, "key or value")
        merger = getattr(store, "merger", None) if cached else None
        if merger is not None:
            # the record cache forwards on flush: the processor is the cache's read-modify-
            # write (the same get and put, without their frames nor one of its own)
            counting = initializer is count_initializer and aggregator is count_aggregator
            return merger(initializer, aggregator, dropped, counting)  # type: ignore[no-any-return]

        def aggregate(key: Any, value: Any, ts: int, headers: Headers) -> None:
            if key is None or value is None:
                dropped(key, value)
                return
            old = get(key)
            if old is None:
                old_agg = None
                new_ts = ts
                new_agg = aggregator(key, value, initializer())
            else:
                old_agg = old.value
                new_ts = ts if ts > old.timestamp else old.timestamp
                new_agg = aggregator(key, value, old_agg)
                old_agg = snapshot(get, key, old_agg) if snapshots else None
            put(key, new_vt(VT, (new_agg, new_ts)))
            if not cached:
                forward(key, Change(new_agg, old_agg), new_ts, headers)

        return aggregate


class StreamReduceProcessor(CompiledProcessor):
    """``KGroupedStream.reduce``: the first value, then ``reducer(agg, value)``."""

    def __init__(
        self, store_name: str, reducer: Callable[[Any, Any], Any], send_old_values: bool = False
    ) -> None:
        self.store_name = store_name
        self.reducer = reducer
        self.send_old_values = send_old_values

    def compile(self, context: ProcessorContext) -> Forward:
        from kstreams.state.value_and_timestamp import ValueAndTimestamp as VT
        from kstreams.state.value_and_timestamp import new_value_and_timestamp as new_vt

        store = context.get_state_store(self.store_name)
        get, put = store.get, store.put
        forward = context.forward_fn
        send_old = self.send_old_values
        cached = forwards_on_flush(store, forward, send_old)
        snapshots = send_old and not cached
        reducer = self.reducer
        dropped = drop_counter(context, "key or value")

        def reduce(key: Any, value: Any, ts: int, headers: Headers) -> None:
            if key is None or value is None:
                dropped(key, value)
                return
            old = get(key)
            if old is None:
                old_agg, new_agg, new_ts = None, value, ts
            else:
                old_agg = old.value
                new_agg = reducer(old_agg, value)
                old_agg = snapshot(get, key, old_agg) if snapshots else None
                new_ts = ts if ts > old.timestamp else old.timestamp
            put(key, new_vt(VT, (new_agg, new_ts)))
            if not cached:
                forward(key, Change(new_agg, old_agg), new_ts, headers)

        return reduce


def count_initializer() -> int:
    """Counts start at 0."""
    return 0


def count_aggregator(key: Any, value: Any, count: int) -> int:
    """One more."""
    return count + 1


class DropNullKeysProcessor(CompiledProcessor):
    """Before a grouping repartition: records with a null key cannot be grouped; count and drop them."""

    def compile(self, context: ProcessorContext) -> Forward:
        code = """\
if key is None:
    dropped(key, value)
else:
    $forward
"""
        step = Step(context.node_name, code, {"dropped": drop_counter(context, "key")})
        return fuse(step, context.forward_fn)
