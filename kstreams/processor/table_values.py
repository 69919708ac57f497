"""``KTable.filter`` / ``map_values`` with Kafka Streams' old-value rules (``KTableFilter``, ``KTableMapValues``).

``send_old_values`` is decided when the topology is built (see
:mod:`kstreams.dsl.table_values`): when False every forwarded ``Change`` has None as
old value, whatever the parent sent, and a filter forwards a tombstone for every update
it filters out, as it cannot know whether the key was in the table. A ``store_name``
materializes the result (``Materialized.as_(...)``): the processor writes it, takes old
values from it, and forwards through its record cache when it has one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kstreams.processor.change import Change
from kstreams.processor.compiled import CompiledProcessor
from kstreams.processor.context import Forward, ProcessorContext
from kstreams.processor.table_forwarder import forwards_on_flush
from kstreams.serde.base import Headers


def table_forwarder(context: ProcessorContext, store: Any, send_old_values: bool) -> bool:
    """Let ``store``'s record cache forward the processor's updates; True if it will
    (Java's ``TimestampedTupleForwarder``); without ``send_old_values`` it forwards None as
    every old value."""
    return forwards_on_flush(store, context.forward_fn, send_old_values)


class KTableFilterProcessor(CompiledProcessor):
    """``KTable.filter`` / ``filter_not``: values failing the predicate become None (deletes).

    With old values, an update that is filtered out and was not in the result either is
    not forwarded; without, it is forwarded as a tombstone.
    """

    def __init__(
        self,
        predicate: Callable[[Any, Any], bool],
        negate: bool = False,
        send_old_values: bool = False,
        store_name: str | None = None,
    ) -> None:
        self.predicate = predicate
        self.negate = negate
        self.send_old_values = send_old_values
        self.store_name = store_name

    def compile(self, context: ProcessorContext) -> Forward:
        pred, negate, send_old = self.predicate, self.negate, self.send_old_values
        forward = context.forward_fn

        def keep(key: Any, value: Any) -> Any:
            if value is None:
                return None
            return value if bool(pred(key, value)) is not negate else None

        if self.store_name is None:
            if send_old:

                def table_filter(key: Any, change: Change, ts: int, headers: Headers) -> None:
                    new = keep(key, change.new_value)
                    old = keep(key, change.old_value)
                    if new is None and old is None:
                        return
                    forward(key, Change(new, old, change.is_latest), ts, headers)

                return table_filter

            def table_filter_new(key: Any, change: Change, ts: int, headers: Headers) -> None:
                forward(
                    key, Change(keep(key, change.new_value), None, change.is_latest), ts, headers
                )

            return table_filter_new

        from kstreams.state import ValueAndTimestamp

        store = context.get_state_store(self.store_name)
        get, put = store.get, store.put
        cached = table_forwarder(context, store, send_old)

        def materialized_filter(key: Any, change: Change, ts: int, headers: Headers) -> None:
            new = keep(key, change.new_value)
            old = None
            if send_old:
                stored = get(key)
                old = None if stored is None else stored.value
                if new is None and old is None:
                    return
            put(key, None if new is None else ValueAndTimestamp(new, ts))
            if not cached:
                forward(key, Change(new, old, change.is_latest), ts, headers)

        return materialized_filter


class KTableMapValuesProcessor(CompiledProcessor):
    """``KTable.map_values``: the new value (and, when sent, the old one) mapped; None stays None."""

    def __init__(
        self,
        mapper: Callable[..., Any],
        with_key: bool,
        send_old_values: bool = False,
        store_name: str | None = None,
    ) -> None:
        self.mapper = mapper
        self.with_key = with_key
        self.send_old_values = send_old_values
        self.store_name = store_name

    def compile(self, context: ProcessorContext) -> Forward:
        mapper, with_key, send_old = self.mapper, self.with_key, self.send_old_values
        forward = context.forward_fn

        def apply(key: Any, value: Any) -> Any:
            if value is None:
                return None
            return mapper(key, value) if with_key else mapper(value)

        if self.store_name is None:
            if send_old:

                def table_map_values(key: Any, change: Change, ts: int, headers: Headers) -> None:
                    forward(
                        key,
                        Change(
                            apply(key, change.new_value),
                            apply(key, change.old_value),
                            change.is_latest,
                        ),
                        ts,
                        headers,
                    )

                return table_map_values

            def table_map_new(key: Any, change: Change, ts: int, headers: Headers) -> None:
                forward(
                    key, Change(apply(key, change.new_value), None, change.is_latest), ts, headers
                )

            return table_map_new

        from kstreams.state import ValueAndTimestamp

        store = context.get_state_store(self.store_name)
        get, put = store.get, store.put
        cached = table_forwarder(context, store, send_old)

        def materialized_map_values(key: Any, change: Change, ts: int, headers: Headers) -> None:
            new = apply(key, change.new_value)
            old = None
            if send_old:
                stored = get(key)
                old = None if stored is None else stored.value
            put(key, None if new is None else ValueAndTimestamp(new, ts))
            if not cached:
                forward(key, Change(new, old, change.is_latest), ts, headers)

        return materialized_map_values
