"""The processors of a ``KStream``-``KStream`` join (Java: ``KStreamJoinWindow``, ``KStreamKStreamJoin``
and its left / right sides).

Each side's records first go through a *windowed* processor that forwards the record and
then puts it in the side's window store (retain-duplicates: every record is kept, for
``size + grace`` of stream time). The side's *join* processor then looks up the other
side's store for records of the same key within the join window
(``[t - before, t + after]`` for the left side, ``[t - after, t + before]`` for the right)
and forwards ``joiner(key, left, right)`` for each, with the larger of the two timestamps.

Left and outer joins (Kafka Streams 3.1+): a record with no match is not forwarded with a
None partner at once. It waits in the shared *outer-join store* (keys and values of
:mod:`kstreams.processor.join_side`) until its window has closed -- stream time (the
largest timestamp either side has seen in the task) past ``t + after + grace`` for a left
record, ``t + before + grace`` for a right one -- and is dropped from it if a match comes
first. Records already outside the window when they arrive are forwarded at once. The
store is scanned for closed windows when a record advances stream time, at most once per
``__emit.interval.ms.kstreams.outer.join.spurious.results.fix__`` ms of wall-clock time
(default 1000), in store order: by timestamp, right side before left, then key.

Records with a null key or a null value are dropped (counted in ``dropped-records-total``,
logged at warning), except that the outer side(s) of a left/outer join forward a null-key
record at once as ``joiner(None, value, None)`` (KIP-962). A record too late for its
window store (its segment expired) is counted as dropped by the store, as in Java, and
still joined with what the other store has.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from kstreams.processor.compiled import CompiledProcessor
from kstreams.processor.context import Forward, ProcessorContext
from kstreams.processor.join_side import (
    append_value,
    join_side_key,
    join_side_key_parts,
    left_or_right_value,
    stored_values,
)
from kstreams.serde.base import Headers, as_serde
from kstreams.state.immutable import IMMUTABLE_SCALARS, is_immutable
from kstreams.windows.join_windows import JoinWindows

log = logging.getLogger("kstreams")

EMIT_INTERVAL_CONFIG = "__emit.interval.ms.kstreams.outer.join.spurious.results.fix__"
"""Java's ``InternalConfig.EMIT_INTERVAL_MS_KSTREAMS_OUTER_JOIN_SPURIOUS_RESULTS_FIX``."""

_NO_TIMESTAMP = -1
_MAX_LONG = (1 << 63) - 1


def _long(value: int) -> int:
    """``value`` as a Java long (wrapping), for sums with ``Long.MAX_VALUE``."""
    return value - (1 << 64) if value > _MAX_LONG else value


class TimeTracker:
    """The stream time both sides of one join share in one task (Java: ``KStreamImplJoin.TimeTracker``)."""

    __slots__ = ("emit_interval", "min_time", "next_time_to_emit", "stream_time")

    def __init__(self) -> None:
        self.emit_interval = 1000
        self.stream_time = _NO_TIMESTAMP
        self.min_time = _MAX_LONG
        """The earliest timestamp that may be in the outer-join store."""
        self.next_time_to_emit = 0


class TimeTrackerSupplier:
    """One :class:`TimeTracker` per task of a left/outer join, shared by its two processors.

    Java keys them by task id; here by the task's outer-join store (both processors of a task
    have the same one), so two runs of one ``Topology`` at once (two test drivers) do not
    share a tracker.
    """

    def __init__(self) -> None:
        self._trackers: dict[int, TimeTracker] = {}

    def get(self, key: int) -> TimeTracker:
        """The tracker of ``key`` (made on first use)."""
        tracker = self._trackers.get(key)
        if tracker is None:
            tracker = self._trackers[key] = TimeTracker()
        return tracker

    def remove(self, key: int) -> None:
        """Forget the tracker of a closed task (a reopened task starts from no time, as Java)."""
        self._trackers.pop(key, None)


def _mutable(value: Any) -> bool:
    return type(value) not in IMMUTABLE_SCALARS and not is_immutable(value)


class JoinWindowProcessor(CompiledProcessor):
    """Forwards each record, then keeps it in the side's window store (Java: ``KStreamJoinWindow``).

    The value is serialized before it is forwarded, so a joiner that changes its arguments in
    place cannot change what is stored after it ran; the record itself is forwarded, as in
    Java. A store without ``put_raw`` gets a mutable value (a dict, a list) forwarded as a
    copy instead.
    """

    def __init__(self, store_name: str) -> None:
        self.store_name = store_name

    def compile(self, context: ProcessorContext) -> Forward:
        store = context.get_state_store(self.store_name)
        put, encode, decode = store.put, store.encode_value, store.decode_value
        put_raw = getattr(store, "put_raw", None)
        forward = context.forward_fn

        def join_window_raw(key: Any, value: Any, ts: int, headers: Headers) -> None:
            if key is None:
                forward(key, value, ts, headers)
                return
            raw = encode(value)  # the bytes put would make, before the joiner sees the value
            forward(key, value, ts, headers)
            put_raw(key, raw, ts)

        def join_window(key: Any, value: Any, ts: int, headers: Headers) -> None:
            if key is None:
                forward(key, value, ts, headers)
                return
            if value is not None and _mutable(value):
                raw = encode(value)  # a copy forwarded: the joiner cannot change what is put
                forward(key, value if raw is None else decode(raw), ts, headers)
            else:
                forward(key, value, ts, headers)
            put(key, value, ts)

        return join_window if put_raw is None else join_window_raw


def _resolve(serde: Any, context: ProcessorContext, is_key: bool) -> Any:
    serde = as_serde(serde)
    if serde is not None:
        return serde
    config = context.app_configs
    return config.default_key_serde() if is_key else config.default_value_serde()  # type: ignore[attr-defined]


class StreamStreamJoinProcessor(CompiledProcessor):
    """One side of a stream-stream join (Java: ``KStreamKStreamJoinLeftSide`` / ``RightSide``).

    Args:
        other_store_name: The other side's window store.
        windows: The join windows.
        joiner: ``joiner(key, left_value, right_value)`` (for both sides: not reversed).
        left_side: Whether this is the left (``this``) stream's processor.
        outer: Whether this side's unmatched records are forwarded (with a None partner).
        outer_store_name: The shared outer-join store (left and outer joins), or None.
        trackers: The join's :class:`TimeTrackerSupplier`.
        key_serde, left_serde, right_serde: The serdes of the outer-join store's keys and
            values (None: the configured defaults).
    """

    def __init__(
        self,
        other_store_name: str,
        windows: JoinWindows,
        joiner: Callable[[Any, Any, Any], Any],
        left_side: bool,
        outer: bool,
        outer_store_name: str | None,
        trackers: TimeTrackerSupplier,
        key_serde: Any = None,
        left_serde: Any = None,
        right_serde: Any = None,
    ) -> None:
        self.other_store_name = other_store_name
        self.windows = windows
        self.joiner = joiner
        self.left_side = left_side
        self.outer = outer
        self.outer_store_name = outer_store_name
        self.trackers = trackers
        self.key_serde = key_serde
        self.left_serde = left_serde
        self.right_serde = right_serde
        self._tracker_key: int | None = None

    def compile(self, context: ProcessorContext) -> Forward:
        other_store = context.get_state_store(self.other_store_name)
        fetch_list = getattr(other_store, "fetch_range_list", None)  # the metered store's
        if fetch_list is None:
            fetch = other_store.fetch_range

            def fetch_list(key: Any, time_from: int, time_to: int) -> list[tuple[int, Any]]:
                return list(fetch(key, time_from, time_to))

        forward = context.forward_fn
        user_joiner = self.joiner
        left_side, outer = self.left_side, self.outer
        windows = self.windows
        join: Callable[[Any, Any, Any], Any]
        if left_side:
            join_before, join_after = windows.before_ms, windows.after_ms
            join = user_joiner
        else:
            join_before, join_after = windows.after_ms, windows.before_ms

            def join(key: Any, this: Any, other: Any) -> Any:
                return user_joiner(key, other, this)

        grace = windows.grace_ms()
        lookback_left, lookback_right = windows.after_ms, windows.before_ms
        metrics = context.task_metrics
        node = context.node_name
        outer_store: Any = None
        tracker = TimeTracker()  # an inner join keeps its own: only outer results need it
        if self.outer_store_name is not None:
            outer_store = context.get_state_store(self.outer_store_name)
            # the two sides of one task share the outer-join store, and so the tracker
            self._tracker_key = id(outer_store)
            tracker = self.trackers.get(self._tracker_key)
            configs = context.app_configs
            interval = configs.get(EMIT_INTERVAL_CONFIG) if configs is not None else None
            tracker.emit_interval = 1000 if interval is None else int(interval)
            topic = self.outer_store_name
            key_serde = _resolve(self.key_serde, context, True)
            left_serde = _resolve(self.left_serde, context, False)
            right_serde = _resolve(self.right_serde, context, False)
            kser, kde = key_serde.serialize, key_serde.deserialize
            this_ser = (left_serde if left_side else right_serde).serialize
            lde, rde = left_serde.deserialize, right_serde.deserialize
            outer_get, outer_put, outer_all = outer_store.get, outer_store.put, outer_store.all
            clock = context.current_system_time_ms

        def skip(key: Any, value: Any) -> None:
            metrics.dropped_records += 1
            meta = context.record_metadata()
            if meta is not None:
                log.warning(
                    "%s: Skipping record due to null key or value. topic=[%s] partition=[%s] "
                    "offset=[%s]",
                    node,
                    meta.topic,
                    meta.partition,
                    meta.offset,
                )
            else:
                log.warning(
                    "%s: Skipping record due to null key or value. Topic, partition, and "
                    "offset not known.",
                    node,
                )

        def emit_non_joined(headers: Headers) -> None:
            # Java's emitNonJoinedOuterRecords: only when a record might have closed
            if _long(tracker.min_time + join_after + grace) >= tracker.stream_time:
                return
            now = clock()
            if now < tracker.next_time_to_emit:
                return
            tracker.next_time_to_emit = now + tracker.emit_interval
            tracker.min_time = _MAX_LONG
            stream_time = tracker.stream_time
            left_open = right_open = False
            prev: bytes | None = None
            emitted: list[bytes] = []
            for store_key, stored in outer_all():
                ts, is_left, kb = join_side_key_parts(store_key)
                done = False
                for _, raw in stored_values(stored):
                    tracker.min_time = ts
                    if left_open and right_open:
                        done = True  # both sides' windows are open: nothing more has closed
                        break
                    lookback = lookback_left if is_left else lookback_right
                    if ts + lookback + grace >= stream_time:
                        if is_left:
                            left_open = True
                        else:
                            right_open = True
                        continue
                    key = kde(topic, kb)
                    if is_left:
                        result = user_joiner(key, lde(topic, raw), None)
                    else:
                        result = user_joiner(key, None, rde(topic, raw))
                    forward(key, result, ts, headers)
                    if prev is not None and prev != store_key:
                        emitted.append(prev)
                    prev = store_key
                if done:
                    break
            if prev is not None:
                emitted.append(prev)
            for store_key in emitted:  # deleted after the scan: the iterator stays valid
                outer_put(store_key, None)

        def stream_join(key: Any, value: Any, ts: int, headers: Headers) -> None:
            if ts > tracker.stream_time:
                tracker.stream_time = ts
            if key is None or value is None:
                if outer and key is None and value is not None:
                    forward(key, join(key, value, None), ts, headers)
                else:
                    skip(key, value)
                return
            if outer_store is not None and ts == tracker.stream_time:
                emit_non_joined(headers)
            time_from = ts - join_before
            time_to = ts + join_after
            if time_from < 0:
                time_from = 0
            if time_to < 0:
                time_to = 0
            matches = fetch_list(key, time_from, time_to)
            if matches:
                if outer_store is not None:
                    kb = kser(topic, key)
                    for other_ts, _ in matches:
                        # Java's putIfAbsent(otherKey, null) on the list store: the other
                        # record found a partner, so it is no longer waiting
                        other_key = join_side_key(kb, other_ts, not left_side)
                        if outer_get(other_key) is not None:
                            outer_put(other_key, None)
                for other_ts, other_value in matches:
                    forward(
                        key,
                        join(key, value, other_value),
                        ts if ts > other_ts else other_ts,
                        headers,
                    )
                return
            if not outer:
                return
            if outer_store is None or time_to < tracker.stream_time:
                forward(key, join(key, value, None), ts, headers)
                return
            if ts < tracker.min_time:
                tracker.min_time = ts
            store_key = join_side_key(kser(topic, key), ts, left_side)
            raw = this_ser(topic, value)
            if raw is None:  # Java's serializer gives a null list entry: the put deletes
                outer_put(store_key, None)
                return
            outer_put(
                store_key, append_value(outer_get(store_key), left_or_right_value(raw, left_side))
            )

        return stream_join

    def close(self) -> None:
        if self._tracker_key is not None:
            self.trackers.remove(self._tracker_key)
            self._tracker_key = None


class SelfJoinProcessor(CompiledProcessor):
    """A stream joined with itself in one store (Java: ``KStreamKStreamSelfJoin``), built under
    ``topology.optimization`` ``single.store.self.join``: the same results as the two-store
    join, in the same order, from the one window store.

    Args:
        store_name: The stream's window store (written by its windowed processor, after this).
        windows: The join windows.
        joiner: ``joiner(key, left_value, right_value)``.
    """

    def __init__(
        self, store_name: str, windows: JoinWindows, joiner: Callable[[Any, Any, Any], Any]
    ) -> None:
        self.store_name = store_name
        self.windows = windows
        self.joiner = joiner

    def compile(self, context: ProcessorContext) -> Forward:
        fetch = context.get_state_store(self.store_name).fetch_range
        forward = context.forward_fn
        joiner = self.joiner
        windows = self.windows
        this_before, this_after = windows.before_ms, windows.after_ms
        retention = windows.size() + windows.grace_ms()
        metrics = context.task_metrics
        node = context.node_name
        stream_time = _NO_TIMESTAMP

        def self_join(key: Any, value: Any, ts: int, headers: Headers) -> None:
            nonlocal stream_time
            if key is None or value is None:
                metrics.dropped_records += 1
                log.warning("%s: Skipping record due to null key or value.", node)
                return
            self_result = joiner(key, value, value)
            if ts > stream_time:
                stream_time = ts
            emit_self = ts > stream_time - retention + 1
            for other_ts, other in fetch(key, max(0, ts - this_before), max(0, ts + this_after)):
                forward(key, joiner(key, value, other), ts if ts > other_ts else other_ts, headers)
            emitted_self = False
            for other_ts, other in fetch(key, max(0, ts - this_after), max(0, ts + this_before)):
                top = ts if ts > other_ts else other_ts
                if ts < top and not emitted_self and emit_self:
                    emitted_self = True  # in timestamp order, as the inner join gives them
                    forward(key, self_result, ts, headers)
                forward(key, joiner(key, other, value), top, headers)
            if not emitted_self and emit_self:
                forward(key, self_result, ts, headers)

        return self_join
