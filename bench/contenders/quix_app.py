"""Quix Streams: the benchmark's workloads as StreamingDataFrame code (Quix's defaults).

* passthrough: JSON values (Quix's default serializer, orjson) ``.apply(passthrough)``
  ``.to_topic(out)``;
* wordcount: ``.apply(words, expand=True).group_by(word)`` (a repartition topic, as in
  Kafka Streams), then a stateful ``apply`` keeping the count in Quix's RocksDB state
  (changelogged), ``.to_topic(out)`` with String keys and Integer values.

Only ``processing_guarantee``, ``commit_interval`` (the same for every contender),
``state_dir``, ``auto_offset_reset="earliest"`` and a quiet log level are set.
Runs in its own virtual environment (quixstreams from PyPI).
"""

from __future__ import annotations

from typing import Any

from common import parse_args, passthrough, words
from quixstreams import Application, State


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
    if args.workload == "passthrough":
        source = app.topic(args.input, key_deserializer="str", value_deserializer="json")
        sink = app.topic(args.output, key_serializer="str", value_serializer="json")
        sdf = app.dataframe(source)
        sdf = sdf.apply(passthrough)
        sdf.to_topic(sink)
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
