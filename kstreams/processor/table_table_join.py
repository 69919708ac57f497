"""KTable-KTable joins: the two join processors, the merger and the joined table's value getter.

Kafka Streams' ``KTableKTableInnerJoin`` / ``LeftJoin`` / ``RightJoin`` / ``OuterJoin`` and
``KTableKTableJoinMerger``. Each side's updates go to a join processor that looks the key up
in the other table (through that table's value getter) and forwards ``Change(new result, old
result)`` with the larger of the two timestamps; the merge processor (both join processors
are its parents) forwards them on, and writes them to the result's store when the joined
table is materialized. Old results are computed only when the joined table sends old values
(a downstream ``group_by``, ``filter``, join, ...): otherwise every old value is None.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from kstreams.processor.change import Change
from kstreams.processor.compiled import CompiledProcessor
from kstreams.processor.context import Forward, ProcessorContext
from kstreams.processor.table_forwarder import forwards_on_flush
from kstreams.serde.base import Headers
from kstreams.state.immutable import IMMUTABLE_SCALARS, is_immutable

log = logging.getLogger(__name__)

Joiner = Callable[[Any, Any], Any]

INNER = "inner"
LEFT = "left"
RIGHT = "right"
OUTER = "outer"
KINDS = (INNER, LEFT, RIGHT, OUTER)
"""The join processors: ``left`` is the left side of a left join, ``right`` its other side."""

UNKNOWN = -1
"""Java's ``RecordQueue.UNKNOWN``: the timestamp of a missing row."""


def reverse(joiner: Joiner) -> Joiner:
    """``joiner`` with its arguments swapped, for the other side's processor (Java's
    ``reverseJoiner``): that processor gets its own table's value first."""

    def reversed_joiner(other_value: Any, this_value: Any) -> Any:
        return joiner(this_value, other_value)

    return reversed_joiner


def _fresh(getter: Any, key: Any, value: Any) -> Any:
    """``value`` (the other side's row, given to the joiner once already) as its table holds
    it: the joiner may have mutated it. A value that cannot change is its own copy."""
    if type(value) in IMMUTABLE_SCALARS or is_immutable(value):
        return value
    again = getter.get(key)
    return None if again is None else again.value


class KTableKTableJoinProcessor(CompiledProcessor):
    """One side of a table-table join: each update of this side joined with the other's row.

    ``kind`` is ``inner``, ``left`` (this side of a left join), ``right`` (the other side of
    a left join: ``joiner`` already reversed) or ``outer``. ``other`` supplies the other
    table's value getter (``get()`` -> a getter with ``init(context)``, ``get(key)`` ->
    ``ValueAndTimestamp | None``). ``send_old_values`` and ``versioned`` are decided when
    the topology is built; with ``versioned`` (the input comes from a versioned table,
    KIP-914) out-of-order updates are dropped and counted.
    """

    def __init__(
        self,
        kind: str,
        joiner: Joiner,
        other: Any,
        send_old_values: bool = False,
        versioned: bool = False,
    ) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown table-table join kind {kind!r}; expected one of {KINDS}")
        self.kind = kind
        self.joiner = joiner
        self.other = other
        self.send_old_values = send_old_values
        self.versioned = versioned
        self._getter: Any = None

    def compile(self, context: ProcessorContext) -> Forward:
        getter = self.other.get()
        getter.init(context)
        self._getter = getter
        get = getter.get
        joiner, send_old, kind = self.joiner, self.send_old_values, self.kind
        forward_downstream = context.forward_fn
        task = context._task

        def forward(key: Any, change: Change, ts: int, headers: Headers) -> None:
            # downstream sees the result's timestamp as the record's (Java forwards a record
            # with it): a store's cache and changelog take a delete's timestamp from there
            prev = task.timestamp
            if ts == prev:
                forward_downstream(key, change, ts, headers)
                return
            task.timestamp = ts
            try:
                forward_downstream(key, change, ts, headers)
            finally:
                task.timestamp = prev

        metrics = context.task_metrics
        node = context.node_name
        versioned = self.versioned

        def skip(key: Any, change: Change) -> bool:
            if key is None:
                metrics.dropped_records += 1
                meta = context.record_metadata()
                if meta is None:
                    log.warning(
                        "%s: Skipping record due to null key. Topic, partition, and offset "
                        "not known.",
                        node,
                    )
                else:
                    log.warning(
                        "%s: Skipping record due to null key. topic=[%s] partition=[%d] "
                        "offset=[%d]",
                        node,
                        meta.topic,
                        meta.partition,
                        meta.offset,
                    )
                return True
            if versioned and not change.is_latest:
                metrics.dropped_records += 1
                log.info(
                    "%s: Skipping out-of-order record from versioned table while performing "
                    "table-table join.",
                    node,
                )
                return True
            return False

        if kind == INNER:

            def inner_join(key: Any, change: Change, ts: int, headers: Headers) -> None:
                if (key is None or versioned) and skip(key, change):
                    return
                other = get(key)
                if other is None or other.value is None:
                    return
                other_value = other.value
                new_value, old_value = change.new_value, change.old_value
                result_ts = ts if ts > other.timestamp else other.timestamp
                new = None if new_value is None else joiner(new_value, other_value)
                old = None
                if send_old and old_value is not None:
                    if new_value is not None:
                        other_value = _fresh(getter, key, other_value)
                    old = joiner(old_value, other_value)
                forward(key, Change(new, old, change.is_latest), result_ts, headers)

            return inner_join

        if kind == LEFT:

            def left_join(key: Any, change: Change, ts: int, headers: Headers) -> None:
                if (key is None or versioned) and skip(key, change):
                    return
                new_value, old_value = change.new_value, change.old_value
                other = get(key)
                other_value = None if other is None else other.value
                if other_value is None:
                    if new_value is None and old_value is None:
                        return
                    result_ts = ts if ts > UNKNOWN else UNKNOWN
                else:
                    result_ts = ts if ts > other.timestamp else other.timestamp
                new = None if new_value is None else joiner(new_value, other_value)
                old = None
                if send_old and old_value is not None:
                    if new_value is not None and other_value is not None:
                        other_value = _fresh(getter, key, other_value)
                    old = joiner(old_value, other_value)
                forward(key, Change(new, old, change.is_latest), result_ts, headers)

            return left_join

        if kind == RIGHT:

            def right_join(key: Any, change: Change, ts: int, headers: Headers) -> None:
                if (key is None or versioned) and skip(key, change):
                    return
                this = get(key)
                if this is None or this.value is None:
                    return
                this_value = this.value
                result_ts = ts if ts > this.timestamp else this.timestamp
                # joiner is reversed: joiner(other side's value, this side's value)
                new = joiner(change.new_value, this_value)
                old = None
                if send_old:
                    old = joiner(change.old_value, _fresh(getter, key, this_value))
                forward(key, Change(new, old, change.is_latest), result_ts, headers)

            return right_join

        def outer_join(key: Any, change: Change, ts: int, headers: Headers) -> None:
            if (key is None or versioned) and skip(key, change):
                return
            new_value, old_value = change.new_value, change.old_value
            other = get(key)
            other_value = None if other is None else other.value
            if other_value is None:
                if new_value is None and old_value is None:
                    return
                result_ts = ts
            else:
                result_ts = ts if ts > other.timestamp else other.timestamp
            new = None
            computed = False
            if other_value is not None or new_value is not None:
                new = joiner(new_value, other_value)
                computed = True
            old = None
            if send_old and (other_value is not None or old_value is not None):
                if computed and other_value is not None:
                    other_value = _fresh(getter, key, other_value)
                old = joiner(old_value, other_value)
            forward(key, Change(new, old, change.is_latest), result_ts, headers)

        return outer_join

    def close(self) -> None:
        getter, self._getter = self._getter, None
        close = getattr(getter, "close", None)
        if close is not None:
            close()


class KTableKTableJoinMergeProcessor(CompiledProcessor):
    """Joins both join processors' results into one table (Java: ``KTableKTableJoinMerger``).

    With ``store_name`` (a ``Materialized`` result) it writes each result to that store and
    forwards through the store's record cache when it has one; without, it forwards each
    result as it comes, its old value only when ``send_old_values``.
    """

    def __init__(self, store_name: str | None, send_old_values: bool = False) -> None:
        self.store_name = store_name
        self.send_old_values = send_old_values

    def compile(self, context: ProcessorContext) -> Forward:
        forward = context.forward_fn
        send_old = self.send_old_values
        if self.store_name is None:
            if send_old:
                return forward

            def merge_new(key: Any, change: Change, ts: int, headers: Headers) -> None:
                forward(key, Change(change.new_value, None, change.is_latest), ts, headers)

            return merge_new

        from kstreams.processor.value_getters import is_versioned_store
        from kstreams.state import ValueAndTimestamp

        store = context.get_state_store(self.store_name)
        put = store.put
        if is_versioned_store(store):
            from kstreams.state.versioned import (
                PUT_RETURN_CODE_NOT_PUT,
                PUT_RETURN_CODE_VALID_TO_UNDEFINED,
            )

            def versioned_merge(key: Any, change: Change, ts: int, headers: Headers) -> None:
                # no record cache on a versioned store; a put older than its history
                # retention is refused and not forwarded; an older version is not the latest
                new_value = change.new_value
                code = put(key, new_value, ts)
                if code == PUT_RETURN_CODE_NOT_PUT:
                    return
                old = change.old_value if send_old else None
                forward(
                    key,
                    Change(new_value, old, code == PUT_RETURN_CODE_VALID_TO_UNDEFINED),
                    ts,
                    headers,
                )

            return versioned_merge

        cached = forwards_on_flush(store, forward, send_old)

        def materialized_merge(key: Any, change: Change, ts: int, headers: Headers) -> None:
            new_value = change.new_value
            put(key, None if new_value is None else ValueAndTimestamp(new_value, ts))
            if not cached:
                # a timestamped store: every put is the key's latest value
                old = change.old_value if send_old else None
                forward(key, Change(new_value, old), ts, headers)

        return materialized_merge


class KTableKTableJoinValueGetter:
    """The joined value of a key, computed from both tables' getters (Java's
    ``KTableKTable{Inner,Left,Outer}JoinValueGetter``): for a joined table that has no store
    of its own, when a downstream join or lookup reads it. Never versioned (KIP-914)."""

    def __init__(self, kind: str, joiner: Joiner, this: Any, other: Any) -> None:
        self.kind = kind
        self.joiner = joiner
        self.this = this
        self.other = other

    def init(self, context: ProcessorContext) -> None:
        self.this.init(context)
        self.other.init(context)

    def is_versioned(self) -> bool:
        return False

    def get_as_of(self, key: Any, timestamp: int) -> Any:
        from kstreams.errors import StreamsError

        raise StreamsError(
            "get(key, timestamp) is only supported for versioned stores; a table-table join "
            "result is not versioned (KIP-914): materialize it with a versioned store"
        )

    def get(self, key: Any) -> Any:
        from kstreams.state import ValueAndTimestamp

        kind, joiner = self.kind, self.joiner
        this = self.this.get(key)
        this_value = None if this is None else this.value
        if kind == OUTER:
            other = self.other.get(key)
            other_value = None if other is None else other.value
            if this_value is None and other_value is None:
                return None
            this_ts = UNKNOWN if this is None else this.timestamp
            other_ts = UNKNOWN if other is None else other.timestamp
            result = joiner(this_value, other_value)
            if result is None:
                return None
            return ValueAndTimestamp(result, max(this_ts, other_ts))
        if this_value is None:
            return None
        other = self.other.get(key)
        other_value = None if other is None else other.value
        if other_value is None and kind == INNER:
            return None
        ts = this.timestamp if other is None else max(this.timestamp, other.timestamp)
        result = joiner(this_value, other_value)
        return None if result is None else ValueAndTimestamp(result, ts)

    def close(self) -> None:
        for getter in (self.this, self.other):
            close = getattr(getter, "close", None)
            if close is not None:
                close()
