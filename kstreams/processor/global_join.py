"""The KStream-GlobalKTable join processor (Java: ``KStreamGlobalKTableJoin`` /
``KStreamKTableJoinProcessor`` with a key mapper).

Each stream record maps itself to a table key with ``key_selector(key, value)`` and looks
that key up in the global store *when it is processed* (table updates trigger nothing). An
inner join forwards ``joiner(value, table_value)`` only when the table has the key; a left
join forwards for every record, with None for a missing row or a None mapped key. The
result keeps the stream record's key, timestamp and headers.

Dropped, counted in ``dropped-records`` and logged at WARN (as Kafka Streams): a record
with a None value, and for an inner join a record whose mapped key is None. The stream
record's own key may be None: only the mapped key matters. As in Kafka Streams the key
selector sees every record, a None value too, before it is dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from kstreams.processor.compiled import CompiledProcessor
from kstreams.processor.context import Forward, ProcessorContext
from kstreams.processor.value_getters import ValueGetter, ValueGetterSupplier
from kstreams.serde.base import Headers

log = logging.getLogger("kstreams")


class KStreamGlobalKTableJoinProcessor(CompiledProcessor):
    """One stream-global-table join node.

    Args:
        getter_supplier: How to read the global table (its store is a global store: the
            node is not connected to it).
        key_selector: ``key_selector(key, value) -> table key``.
        joiner: ``joiner(value, table_value)``, or ``joiner(key, value, table_value)`` when
            ``with_key``.
        left: A left join (every record with a value produces a result).
    """

    def __init__(
        self,
        getter_supplier: ValueGetterSupplier,
        key_selector: Callable[[Any, Any], Any],
        joiner: Callable[..., Any],
        with_key: bool,
        left: bool,
    ) -> None:
        self.getter_supplier = getter_supplier
        self.key_selector = key_selector
        self.joiner = joiner
        self.with_key = with_key
        self.left = left
        self._getter: ValueGetter | None = None

    def close(self) -> None:
        if self._getter is not None:
            self._getter.close()
            self._getter = None

    def compile(self, context: ProcessorContext) -> Forward:
        getter = self.getter_supplier.get()
        getter.init(context)
        self._getter = getter
        versioned = getter.is_versioned()
        get_as_of, get = (getter.get_as_of if versioned else None), getter.get
        forward = context.forward_fn
        task = context._task
        metrics = context.task_metrics
        selector, joiner, with_key, left = self.key_selector, self.joiner, self.with_key, self.left

        def dropped() -> None:
            metrics.dropped_records += 1
            if task.topic is not None:
                log.warning(
                    "Skipping record due to null join key or value. "
                    "topic=[%s] partition=[%s] offset=[%s]",
                    task.topic,
                    task.partition,
                    task.offset,
                )
            else:
                log.warning(
                    "Skipping record due to null join key or value. "
                    "Topic, partition, and offset not known."
                )

        def global_table_join(key: Any, value: Any, ts: int, headers: Headers) -> None:
            mapped = selector(key, value)  # as Kafka Streams: before a None value is dropped
            if value is None:
                dropped()
                return
            if mapped is None:
                if not left:
                    dropped()
                    return
                other = None
            else:
                found = get_as_of(mapped, ts) if get_as_of is not None else get(mapped)
                other = None if found is None else found.value
                if other is None and not left:
                    return
            result = joiner(key, value, other) if with_key else joiner(value, other)
            forward(key, result, ts, headers)

        return global_table_join
