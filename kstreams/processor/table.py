"""The DSL's KTable operators: source, to-table, to_stream, group_by, aggregate.

``filter`` and ``map_values`` live in :mod:`kstreams.processor.table_values`.

Values between these operators are :class:`~kstreams.processor.change.Change`
pairs (new, old), so a downstream aggregation can subtract what a key
contributed before and add what it contributes now.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kstreams.processor.aggregate import drop_counter, snapshot
from kstreams.processor.change import Change
from kstreams.processor.compiled import CompiledProcessor
from kstreams.processor.context import Forward, ProcessorContext
from kstreams.processor.fused import Step, fuse
from kstreams.processor.stateless import _pair
from kstreams.processor.table_forwarder import forwards_on_flush
from kstreams.processor.versioned_table import versioned_table_source
from kstreams.serde.base import Headers
from kstreams.state.versioned import VersionedKeyValueStore


class TableSourceProcessor(CompiledProcessor):
    """A stream of updates as a table (``builder.table``, ``KStream.to_table``; Java: ``KTableSource``).

    A None value deletes the key (a tombstone). Records with a null key are dropped.
    With ``store_name`` None the table is not materialized and forwards each update
    with an unknown (None) old value; materialized, it keeps the latest value per key
    and, when ``send_old_values``, forwards the value it replaced.
    """

    def __init__(self, store_name: str | None, send_old_values: bool = False) -> None:
        self.store_name = store_name
        self.send_old_values = send_old_values

    def compile(self, context: ProcessorContext) -> Forward:
        from kstreams.processor.table_values import table_forwarder
        from kstreams.state import ValueAndTimestamp

        forward = context.forward_fn
        dropped = drop_counter(context, "key")
        if self.store_name is None:

            def unmaterialized_table_source(
                key: Any, value: Any, ts: int, headers: Headers
            ) -> None:
                if key is None:
                    dropped(key, value)
                    return
                forward(key, Change(value, None), ts, headers)

            return unmaterialized_table_source

        store = context.get_state_store(self.store_name)
        if isinstance(store, VersionedKeyValueStore):
            return versioned_table_source(context, store, self.send_old_values, dropped)
        get, put = store.get, store.put
        cached = table_forwarder(context, store, self.send_old_values)
        if not self.send_old_values:

            def table_source_new(key: Any, value: Any, ts: int, headers: Headers) -> None:
                if key is None:
                    dropped(key, value)
                    return
                put(key, None if value is None else ValueAndTimestamp(value, ts))
                if not cached:
                    forward(key, Change(value, None), ts, headers)

            return table_source_new

        def table_source(key: Any, value: Any, ts: int, headers: Headers) -> None:
            if key is None:
                dropped(key, value)
                return
            old = get(key)
            put(key, None if value is None else ValueAndTimestamp(value, ts))
            if not cached:
                forward(key, Change(value, None if old is None else old.value), ts, headers)

        return table_source


class TableToStreamProcessor(CompiledProcessor):
    """``KTable.to_stream``: each update as a record with the new value (None = tombstone)."""

    def compile(self, context: ProcessorContext) -> Forward:
        # a fused step: one call with the sink after it (processor/fused.py)
        step = Step(
            context.node_name,
            "new_value = value.new_value\n$forward",
            changes_value=True,
            unwraps_change=True,
        )
        return fuse(step, context.forward_fn)


class TableRepartitionMapProcessor(CompiledProcessor):
    """``KTable.group_by``: sends ``Change(None, old)`` to the old group and ``Change(new, None)`` to the new.

    When the row stays in its group, one ``Change(new, old)`` goes to that group,
    so the aggregate subtracts and adds in one update (Kafka Streams since 3.5,
    KIP-904). Pairs with a null key or value are skipped. With ``versioned`` (the table is
    versioned), out-of-order updates (``is_latest`` False) are skipped, as Kafka Streams'
    versioned semantics do.
    """

    def __init__(self, selector: Callable[[Any, Any], Any], versioned: bool = False) -> None:
        self.selector = selector
        self.versioned = versioned

    def compile(self, context: ProcessorContext) -> Forward:
        selector = self.selector
        versioned = self.versioned
        forward = context.forward_fn
        node = context.node_name

        def table_select(key: Any, change: Change, ts: int, headers: Headers) -> None:
            if versioned and not change.is_latest:
                return  # an out-of-order update of a versioned table
            old_key = old_value = new_key = new_value = None
            if change.old_value is not None:
                old_key, old_value = _pair(selector(key, change.old_value), node)
                if old_value is None:
                    old_key = None
            if change.new_value is not None:
                new_key, new_value = _pair(selector(key, change.new_value), node)
                if new_value is None:
                    new_key = None
            if old_key is not None and new_key is not None and old_key == new_key:
                forward(new_key, Change(new_value, old_value), ts, headers)
                return
            if old_key is not None:
                forward(old_key, Change(None, old_value), ts, headers)
            if new_key is not None:
                forward(new_key, Change(new_value, None), ts, headers)

        return table_select


class TableAggregateProcessor(CompiledProcessor):
    """``KGroupedTable.aggregate``: subtract the old value, add the new one.

    Forwards ``Change(new aggregate, old aggregate)``, the old one only when
    ``send_old_values`` (Java's ``KTableAggregate.enableSendingOldValues``), else None.
    """

    def __init__(
        self,
        store_name: str,
        initializer: Callable[[], Any],
        adder: Callable[[Any, Any, Any], Any],
        subtractor: Callable[[Any, Any, Any], Any],
        send_old_values: bool = False,
    ) -> None:
        self.store_name = store_name
        self.initializer = initializer
        self.adder = adder
        self.subtractor = subtractor
        self.send_old_values = send_old_values

    def compile(self, context: ProcessorContext) -> Forward:
        from kstreams.state import ValueAndTimestamp

        store = context.get_state_store(self.store_name)
        get, put = store.get, store.put
        forward = context.forward_fn
        cached = forwards_on_flush(store, forward, self.send_old_values)
        snapshots = self.send_old_values and not cached
        initializer, adder, subtractor = self.initializer, self.adder, self.subtractor
        dropped = drop_counter(context, "key")

        def table_aggregate(key: Any, change: Change, ts: int, headers: Headers) -> None:
            if key is None:
                dropped(key, change)
                return
            old = get(key)
            old_agg = None if old is None else old.value
            agg = old_agg
            if change.old_value is not None and agg is not None:
                agg = subtractor(key, change.old_value, agg)
            if change.new_value is not None:
                agg = adder(key, change.new_value, initializer() if agg is None else agg)
            if old_agg is not None:
                # the functions may have mutated it
                old_agg = snapshot(get, key, old_agg) if snapshots else None
            new_ts = ts if old is None or ts > old.timestamp else old.timestamp
            put(key, None if agg is None else ValueAndTimestamp(agg, new_ts))
            if not cached:
                forward(key, Change(agg, old_agg), new_ts, headers)

        return table_aggregate


class TableReduceProcessor(CompiledProcessor):
    """``KGroupedTable.reduce``: ``subtractor(agg, old)`` then ``adder(agg, new)``.

    Old aggregates are forwarded only when ``send_old_values`` (Java's ``KTableReduce``).
    """

    def __init__(
        self,
        store_name: str,
        adder: Callable[[Any, Any], Any],
        subtractor: Callable[[Any, Any], Any],
        send_old_values: bool = False,
    ) -> None:
        self.store_name = store_name
        self.adder = adder
        self.subtractor = subtractor
        self.send_old_values = send_old_values

    def compile(self, context: ProcessorContext) -> Forward:
        from kstreams.state import ValueAndTimestamp

        store = context.get_state_store(self.store_name)
        get, put = store.get, store.put
        forward = context.forward_fn
        cached = forwards_on_flush(store, forward, self.send_old_values)
        snapshots = self.send_old_values and not cached
        adder, subtractor = self.adder, self.subtractor
        dropped = drop_counter(context, "key")

        def table_reduce(key: Any, change: Change, ts: int, headers: Headers) -> None:
            if key is None:
                dropped(key, change)
                return
            old = get(key)
            old_agg = None if old is None else old.value
            agg = old_agg
            if change.old_value is not None and agg is not None:
                agg = subtractor(agg, change.old_value)
            if change.new_value is not None:
                agg = change.new_value if agg is None else adder(agg, change.new_value)
            if old_agg is not None:
                # the functions may have mutated it
                old_agg = snapshot(get, key, old_agg) if snapshots else None
            new_ts = ts if old is None or ts > old.timestamp else old.timestamp
            put(key, None if agg is None else ValueAndTimestamp(agg, new_ts))
            if not cached:
                forward(key, Change(agg, old_agg), new_ts, headers)

        return table_reduce
