"""Faust (faust-streaming): the benchmark's workloads as Faust agents.

* passthrough: one agent over the JSON input, ``await out.send(key, passthrough(value))``;
* wordcount: Faust's own word-count pattern: an agent splits lines and sends each word, keyed
  by the word, to a 4-partition ``<app>-words`` topic (the repartition step), a second agent
  counts them in a ``Table`` (RocksDB store through rocksdict, changelogged) and sends
  ``(word, count)`` to the output topic.

Only ``processing_guarantee``, ``broker_commit_interval`` (the same for every contender),
``datadir``, ``topic_partitions=4``, earliest offset reset, the RocksDB store and no web
server are set. Runs in its own virtual environment (faust-streaming from PyPI; its Kafka
client is aiokafka, pure Python).
"""

from __future__ import annotations

import struct
from typing import Any

import faust
from common import parse_args, passthrough, words


def build(args: Any) -> faust.App:
    app = faust.App(
        args.app_id,
        broker=f"kafka://{args.bootstrap}",
        datadir=args.state_dir,
        store="rocksdb://",
        topic_partitions=args.partitions,
        consumer_auto_offset_reset="earliest",
        broker_commit_interval=args.commit_interval_ms / 1000.0,
        processing_guarantee=(
            "exactly_once" if args.guarantee == "exactly_once_v2" else "at_least_once"
        ),
        web_enabled=False,
    )
    if args.workload == "passthrough":
        source = app.topic(args.input, key_serializer="raw", value_serializer="json")
        sink = app.topic(args.output, key_serializer="raw", value_serializer="json")

        @app.agent(source)
        async def process(stream: Any) -> None:
            async for key, value in stream.items():
                await sink.send(key=key, value=passthrough(value))

    else:
        long = struct.Struct(">q").pack
        source = app.topic(args.input, key_serializer="raw", value_serializer="raw")
        shuffle = app.topic(
            f"{args.app_id}-words",
            key_serializer="raw",
            value_serializer="raw",
            partitions=args.partitions,
            internal=True,
        )
        sink = app.topic(args.output, key_serializer="raw", value_serializer="raw")
        counts = app.Table("counts", default=int, partitions=args.partitions)

        @app.agent(source)
        async def split(stream: Any) -> None:
            async for line in stream:
                for word in words(line.decode()):
                    await shuffle.send(key=word.encode(), value=b"")

        @app.agent(shuffle)
        async def count(stream: Any) -> None:
            async for key, _ in stream.items():
                word = key.decode()
                n = counts[word] + 1
                counts[word] = n
                await sink.send(key=key, value=long(n))

    return app


def main() -> None:
    args = parse_args(__doc__ or "")
    app = build(args)
    worker = faust.Worker(app, loglevel="warning", quiet=True)
    worker.execute_from_commandline()


if __name__ == "__main__":
    main()
