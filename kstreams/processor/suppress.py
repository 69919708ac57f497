"""``KTable.suppress``: hold back a table's updates in a time-ordered buffer (Java: ``KTableSuppressProcessor``).

Each update is buffered by key at its *buffer time*: the record's timestamp
(``until_time_limit``) or its window's end (``until_window_closes``). After each record, the
processor evicts, oldest first, every entry whose buffer time is at most the stream time it
has observed minus the suppression time (the time limit, or the window's grace): so a window
is final when stream time reaches its end plus grace. An eager buffer over its limits emits
its oldest entries early; a strict one fails with a :class:`~kstreams.errors.StreamsError`.

An evicted entry is forwarded as the ``Change(new, old)`` of the latest buffered update, with
that update's timestamp, headers and record metadata, as Kafka Streams does; a final-results
suppression drops evicted tombstones (a window that was merged away, say). The observed
stream time is the processor's own (the largest timestamp it saw) and starts again after a
restart, as in Kafka Streams.
"""

from __future__ import annotations

from typing import Any

from kstreams.errors import StreamsError
from kstreams.processor.change import Change
from kstreams.processor.compiled import CompiledProcessor
from kstreams.processor.context import Forward, ProcessorContext
from kstreams.serde.base import Headers


class KTableSuppressProcessor(CompiledProcessor):
    """The suppression of one ``KTable.suppress`` node.

    Args:
        store_name: The buffer's store (an
            :class:`~kstreams.state.time_ordered_buffer.InMemoryTimeOrderedKeyValueChangeBuffer`).
        suppress_ms: How long an entry waits: the time limit, or the window's grace.
        window_end_time: Buffer by window end (``until_window_closes``) instead of record time.
        max_records, max_bytes: The buffer's limits.
        shut_down_when_full: A full buffer fails (strict) instead of emitting early (eager).
        safe_to_drop_tombstones: Drop evicted deletes (final results only).
    """

    def __init__(
        self,
        store_name: str,
        suppress_ms: int,
        window_end_time: bool,
        max_records: int,
        max_bytes: int,
        shut_down_when_full: bool,
        safe_to_drop_tombstones: bool,
    ) -> None:
        self.store_name = store_name
        self.suppress_ms = suppress_ms
        self.window_end_time = window_end_time
        self.max_records = max_records
        self.max_bytes = max_bytes
        self.shut_down_when_full = shut_down_when_full
        self.safe_to_drop_tombstones = safe_to_drop_tombstones

    def compile(self, context: ProcessorContext) -> Forward:
        buffer = context.get_state_store(self.store_name)
        task = context._task
        forward = context.forward_fn
        node = context.node_name
        suppress_ms = self.suppress_ms
        window_end_time = self.window_end_time
        max_records, max_bytes = self.max_records, self.max_bytes
        shut_down = self.shut_down_when_full
        drop_tombstones = self.safe_to_drop_tombstones
        put, evict_while = buffer.put, buffer.evict_while
        num_records, buffer_size, min_timestamp = (
            buffer.num_records,
            buffer.buffer_size,
            buffer.min_timestamp,
        )
        observed = -1
        expiry = 0
        metrics = context.task_metrics
        if metrics is not None:
            metrics.suppression = True
        evicted = 0

        def emit(eviction: Any) -> None:
            nonlocal evicted
            evicted += 1
            new = eviction.new_value
            if new is None and drop_tombstones:
                return
            ts, offset, topic, partition, headers = eviction.context
            prev = (task.topic, task.partition, task.offset, task.timestamp, task.headers)
            task.set_record(topic, partition, offset, ts, headers)
            try:
                forward(eviction.key, Change(new, eviction.old_value), ts, headers)
            finally:
                task.set_record(*prev)
            if metrics is not None:  # Java's suppression-emit sensor: forwarded records
                metrics.suppression_emits += 1

        def sample() -> None:
            if metrics is not None:
                metrics.record_suppression_buffer(buffer_size(), num_records())

        def evict(predicate: Any) -> None:
            nonlocal evicted
            evicted = 0
            evict_while(predicate, emit)
            if evicted:
                sample()

        def expired() -> bool:
            return bool(min_timestamp() <= expiry)

        def over_capacity() -> bool:
            return bool(num_records() > max_records or buffer_size() > max_bytes)

        def suppress(key: Any, change: Change, ts: int, headers: Headers) -> None:
            nonlocal observed, expiry
            if ts > observed:
                observed = ts
            if window_end_time:
                try:
                    buffer_time = key.window.end
                except AttributeError:
                    raise StreamsError(
                        f"{node}: Suppressed.until_window_closes needs windowed keys "
                        f"(Windowed), got {key!r}"
                    ) from None
            else:
                buffer_time = ts
            put(
                buffer_time,
                key,
                change,
                (
                    ts,
                    task.offset,
                    task.topic,
                    task.partition,
                    None if headers is None else tuple(headers),
                ),
            )
            sample()
            expiry = observed - suppress_ms
            evict(expired)
            if over_capacity():
                if not shut_down:
                    evict(over_capacity)
                    return
                raise StreamsError(
                    f"{node} buffer exceeded its max capacity. Currently "
                    f"[{num_records()}/{max_records}] records and [{buffer_size()}/{max_bytes}] "
                    "bytes. (The suppression's BufferConfig shuts down when full: raise its "
                    "max_records / max_bytes, or use emit_early_when_full() where early "
                    "results are acceptable.)"
                )

        return suppress
