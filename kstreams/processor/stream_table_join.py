"""The KStream-KTable join processor (Java: ``KStreamKTableJoin`` / ``KStreamKTableJoinProcessor``).

Each stream record looks its key up in the table *when it is processed*: table updates that
arrive later do not trigger anything. An inner join forwards ``joiner(value, table_value)``
only when the table has the key; a left join forwards for every record, with None for a
missing row. The result keeps the stream record's key, timestamp and headers.

Records that cannot join are dropped, counted in ``dropped-records`` and logged (at WARN, as
Kafka Streams does): a None value, and for an inner join a None key. A left join keeps a
record with a None key and a value (``joiner(value, None)``), as Kafka Streams does since 3.7.

A versioned table is read *as of* the stream record's timestamp. With a grace period
(KIP-923) records first wait in a time-ordered buffer until stream time passes their
timestamp plus the grace, then join, oldest first, each with its own record context; a
record already older than that joins at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from kstreams.errors import StreamsError
from kstreams.processor.compiled import CompiledProcessor
from kstreams.processor.context import Forward, ProcessorContext
from kstreams.processor.value_getters import ValueGetter, ValueGetterSupplier
from kstreams.serde.base import Headers

log = logging.getLogger("kstreams")

NOT_VERSIONED = "KTable must be versioned to use a grace period in a stream table join."
"""Kafka Streams' error for a grace period over a table that is not versioned."""


class KStreamKTableJoinProcessor(CompiledProcessor):
    """One stream-table join node.

    Args:
        getter_supplier: How to read the table (its stores are connected to this node).
        joiner: ``joiner(value, table_value)``, or ``joiner(key, value, table_value)`` when
            ``with_key``.
        left: A left join (every stream record produces a result).
        buffer_store: The grace buffer's store, when the join has a grace period.
    """

    def __init__(
        self,
        getter_supplier: ValueGetterSupplier,
        joiner: Callable[..., Any],
        with_key: bool,
        left: bool,
        buffer_store: str | None = None,
    ) -> None:
        self.getter_supplier = getter_supplier
        self.joiner = joiner
        self.with_key = with_key
        self.left = left
        self.buffer_store = buffer_store
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
        if self.buffer_store is not None and not versioned:
            raise StreamsError(f"{context.node_name}: {NOT_VERSIONED}")
        forward = context.forward_fn
        task = context._task
        metrics = context.task_metrics
        joiner, with_key, left = self.joiner, self.with_key, self.left
        get = getter.get_as_of if versioned else None
        get_current = getter.get

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

        def do_join(key: Any, value: Any, ts: int, headers: Headers) -> None:
            if key is None:
                other = None
            else:
                found = get(key, ts) if get is not None else get_current(key)
                other = None if found is None else found.value
            if other is None and not left:
                return
            result = joiner(key, value, other) if with_key else joiner(value, other)
            forward(key, result, ts, headers)

        if self.buffer_store is None:

            def stream_table_join(key: Any, value: Any, ts: int, headers: Headers) -> None:
                if value is None or (key is None and not left):
                    dropped()
                    return
                do_join(key, value, ts, headers)

            return stream_table_join

        buffer = context.get_state_store(self.buffer_store)
        put, evict_expired = buffer.put, buffer.evict_expired

        def emit(record: Any) -> None:
            ts, offset, topic, partition, headers = record.context
            prev = (task.topic, task.partition, task.offset, task.timestamp, task.headers)
            task.set_record(topic, partition, offset, ts, headers)
            try:
                do_join(record.key, record.value, ts, headers)
            finally:
                task.set_record(*prev)

        def buffered_stream_table_join(key: Any, value: Any, ts: int, headers: Headers) -> None:
            if value is None or (key is None and not left):
                dropped()
                return
            if key is None:
                # a left join's record without a key has no row to wait for (Kafka Streams
                # fails on it: its buffer does not take null keys)
                do_join(key, value, ts, headers)
                return
            context_of_record = (
                ts,
                task.offset,
                task.topic,
                task.partition,
                None if headers is None else tuple(headers),
            )
            if not put(key, value, ts, context_of_record):
                do_join(key, value, ts, headers)  # beyond the grace period: join now
                return
            evict_expired(emit)

        return buffered_stream_table_join
