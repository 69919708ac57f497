"""Quix Streams: the benchmark's workloads as StreamingDataFrame code (Quix's defaults).

* passthrough: JSON values (Quix's default serializer, orjson) ``.apply(passthrough)``
  ``.to_topic(out)``;
* wordcount: ``.apply(words, expand=True).group_by(word)`` (a repartition topic, as in
  Kafka Streams), then a stateful ``apply`` keeping the count in Quix's RocksDB state
  (changelogged), ``.to_topic(out)`` with String keys and Integer values;
* windowed-tumbling / windowed-hopping: ``.tumbling_window(1 min)`` /
  ``.hopping_window(1 min, step_ms=10 s)``, ``.count().current()``: Quix's emit-on-update,
  one result per updated window per record (Quix has no record cache, so it forwards every
  update Kafka Streams' cache would fold; ``.final()`` would forward only closed windows,
  which is Kafka Streams' ``suppress``/``on_window_close``, not its default), written in
  Kafka Streams' time-windowed key layout (key + 8-byte start) with 8-byte Long counts, as
  every contender writes them. Quix keeps its windows in its RocksDB windowed state
  (changelogged);
* stream-table: ``events.join_asof(customers, how="left", on_merge=enrich)``: Quix's
  stream-table join (the right side's records kept per key and timestamp in its RocksDB
  state, changelogged; an event joins the latest customer record not newer than itself: the
  table's records are all older than the events). Quix's ``join_lookup`` joins with external
  stores (SQLite, PostgreSQL, its configuration service), not with a topic: not this workload;
* stream-stream: ``orders.join_interval(payments, how="inner", on_merge=paid,
  backward_ms=1 min, forward_ms=1 min)``: Quix's windowed stream-stream join (both sides in
  its RocksDB state), the same pairs as Kafka Streams' 1-minute ``JoinWindows``.

Only ``processing_guarantee``, ``commit_interval`` (the same for every contender),
``state_dir``, ``auto_offset_reset="earliest"`` and a quiet log level are set.
Runs in its own virtual environment (quixstreams from PyPI).
"""

from __future__ import annotations

import struct
from datetime import timedelta
from typing import Any

from common import (
    JOIN_WINDOW_MS,
    WINDOW_ADVANCE_MS,
    WINDOW_SIZE_MS,
    enrich,
    paid,
    parse_args,
    passthrough,
    windowed_key,
    words,
)
from quixstreams import Application, State
from quixstreams.models.serializers import SerializationContext, Serializer

_LONG = struct.Struct(">q").pack


class WindowCountSerializer(Serializer):
    """The count of a ``(windowed key, count)`` value as an 8-byte big-endian long (Kafka's
    LongSerializer; Quix's ``int`` writes 4 bytes); ``to_topic(key=...)`` takes the key."""

    def __call__(self, value: tuple[bytes, int], ctx: SerializationContext) -> bytes:
        return _LONG(value[1])


def count(_word: str, state: State) -> int:
    n = state.get("count", 0) + 1
    state.set("count", n)
    return n


def main() -> None:
    args = parse_args(__doc__ or "")
    guarantee = "exactly-once" if args.guarantee == "exactly_once_v2" else "at-least-once"
    app = Application(
        broker_address=args.bootstrap,
        consumer_group=args.app_id,
        auto_offset_reset="earliest",
        commit_interval=args.commit_interval_ms / 1000.0,
        state_dir=args.state_dir,
        processing_guarantee=guarantee,
        loglevel="WARNING",
    )
    sdf: Any
    if args.workload in ("stream-table", "stream-stream"):
        left = app.dataframe(
            app.topic(args.input, key_deserializer="str", value_deserializer="json")
        )
        right = app.dataframe(
            app.topic(args.other_input, key_deserializer="str", value_deserializer="json")
        )
        sink = app.topic(args.output, key_serializer="str", value_serializer="json")
        if args.workload == "stream-table":
            sdf = left.join_asof(right, how="left", on_merge=enrich)
        else:
            window = timedelta(milliseconds=JOIN_WINDOW_MS)
            sdf = left.join_interval(
                right, how="inner", on_merge=paid, backward_ms=window, forward_ms=window
            )
        sdf.to_topic(sink)
    elif args.workload == "passthrough":
        source = app.topic(args.input, key_deserializer="str", value_deserializer="json")
        sink = app.topic(args.output, key_serializer="str", value_serializer="json")
        sdf = app.dataframe(source)
        sdf = sdf.apply(passthrough)
        sdf.to_topic(sink)
    elif args.workload in WINDOW_ADVANCE_MS:
        source = app.topic(args.input, key_deserializer="bytes", value_deserializer="str")
        sink = app.topic(
            args.output, key_serializer="bytes", value_serializer=WindowCountSerializer()
        )
        size = timedelta(milliseconds=WINDOW_SIZE_MS)
        step = timedelta(milliseconds=WINDOW_ADVANCE_MS[args.workload])
        sdf = app.dataframe(source)
        if step == size:
            sdf = sdf.tumbling_window(size).count().current()
        else:
            sdf = sdf.hopping_window(size, step_ms=step).count().current()
        # the window's result is {"start", "end", "value"}, its key the page: out as
        # (page + start, count), Kafka Streams' time-windowed layout
        sdf = sdf.apply(
            lambda window, key, _ts, _headers: (
                windowed_key(key, window["start"]),
                window["value"],
            ),
            metadata=True,
        )
        sdf.to_topic(sink, key=lambda kv: kv[0])
    else:
        source = app.topic(args.input, key_deserializer="str", value_deserializer="str")
        sink = app.topic(args.output, key_serializer="str", value_serializer="int")
        sdf = app.dataframe(source)
        sdf = sdf.apply(words, expand=True)
        sdf = sdf.group_by(
            lambda word: word,
            name="word",
            key_serializer="str",
            key_deserializer="str",
            value_serializer="str",
            value_deserializer="str",
        )
        sdf = sdf.apply(count, stateful=True)
        sdf.to_topic(sink)
    app.run()


if __name__ == "__main__":
    main()
