"""The ceiling: a plain confluent-kafka consume -> process -> produce loop, no framework.

The fastest a Python process can move these records through Kafka with the same client
library: batch consume, asynchronous produce, periodic commit.

* passthrough: orjson decode, :func:`common.passthrough`, orjson encode (kstreams' JsonSerde
  uses orjson too);
* wordcount: split, count in a plain ``dict``, produce ``(word, count)`` as String/Long
  straight to the output topic. It keeps **no durable state** (no changelog, no RocksDB) and
  needs no repartition topic (one process owns every partition), so it does less than any
  streams framework can: it is a ceiling, not a peer;
* windowed-tumbling / windowed-hopping: per partition, the stream time (the largest record
  timestamp seen) and a plain ``dict`` of (key, window start) -> count; each record adds one
  to each of its windows that is still open (end > stream time, no grace, as Kafka Streams)
  and produces every update (windowed key + 8-byte start, Long count); closed windows leave
  the dict as stream time passes them. No durable state either;
* wordcount with ``--repartition`` (the contender ``ceiling-repartition``): the least work of
  the word count's shape in Kafka Streams, and so the floor for any framework that keeps its
  semantics on this client library. Each word goes to a repartition topic (key and value the
  word, 4 partitions), the same consumer reads it back, a plain ``dict`` counts it, and at each
  commit every word counted since the last one is produced once to the output (String/Long)
  and once to a changelog topic: the latest count per word per commit, as a record cache
  flushes. No RocksDB, no serdes beyond ``encode``, no record context, no handlers;
* stream-table: first reads the whole table topic (``--other-input``) into a plain ``dict``
  (key -> parsed customer), then per event: orjson decode, a dict lookup,
  :func:`common.enrich`, orjson encode. The table is not changelogged, not kept in RocksDB;
* stream-stream: both topics in one consumer; per partition and side a ``dict`` key ->
  ``[(timestamp, parsed value)]``; each record is joined with the other side's records of
  its key at most :data:`common.JOIN_WINDOW_MS` apart (:func:`common.paid`, the order
  first), then kept; records older than stream time minus twice the window leave the dicts.

At-least-once: every commit interval, flush the producer, then commit the consumer's
positions. Exactly-once: a transactional producer, the positions sent in the transaction
(``send_offsets_to_transaction``) and committed with it every commit interval.
"""

from __future__ import annotations

import struct
import time
from typing import Any

import orjson
from common import (
    JOIN_WINDOW_MS,
    WINDOW_ADVANCE_MS,
    WINDOW_SIZE_MS,
    enrich,
    paid,
    parse_args,
    passthrough,
    stop_event,
    window_starts,
    windowed_key,
    words,
)
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

BATCH = 1000


def load_table(bootstrap: str, topic: str) -> dict[bytes, Any]:
    """Every record of ``topic`` up to its current end: key -> parsed value (None deletes)."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": "ceiling-table-loader",
            "enable.auto.commit": False,
            "fetch.queue.backoff.ms": 10,
        }
    )
    partitions = consumer.list_topics(topic, timeout=30).topics[topic].partitions
    ends = {}
    for p in partitions:
        ends[p] = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=30)[1]
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
    table: dict[bytes, Any] = {}
    left = {p for p, end in ends.items() if end > 0}
    loads = orjson.loads
    while left:
        for msg in consumer.consume(BATCH, 0.5):
            if msg.error() is not None:
                continue
            value = msg.value()
            if value is None:
                table.pop(msg.key(), None)
            else:
                table[msg.key()] = loads(value)
            if msg.offset() + 1 >= ends[msg.partition()]:
                left.discard(msg.partition())
    consumer.close()
    return table


def create_topics(bootstrap: str, topics: list[str], partitions: int) -> None:
    """Create ``topics`` (``partitions`` each, replication 1), waiting until they exist."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for future in admin.create_topics([NewTopic(t, partitions, 1) for t in topics]).values():
        future.result(30)


def main() -> None:
    args = parse_args(__doc__ or "", repartition=True)
    stop = stop_event()
    eos = args.guarantee == "exactly_once_v2"
    repartition = f"{args.app_id}-repartition" if args.repartition else None
    changelog = f"{args.app_id}-counts-changelog"
    if repartition is not None:
        if args.workload != "wordcount":
            raise SystemExit("--repartition is a word count's: use --workload wordcount")
        create_topics(args.bootstrap, [repartition, changelog], args.partitions)
    consumer = Consumer(
        {
            "bootstrap.servers": args.bootstrap,
            "group.id": args.app_id,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "enable.auto.offset.store": False,
            "fetch.queue.backoff.ms": 10,
            "isolation.level": "read_committed" if eos else "read_uncommitted",
        }
    )
    pconf = {
        "bootstrap.servers": args.bootstrap,
        "linger.ms": 5,
        "batch.num.messages": 10000,
        "queue.buffering.max.messages": 100000,
    }
    if eos:
        pconf["transactional.id"] = f"{args.app_id}-ceiling"
    producer = Producer(pconf)
    if eos:
        producer.init_transactions(60)
        producer.begin_transaction()
    enrichment = args.workload == "stream-table"
    joining = args.workload == "stream-stream"
    table = load_table(args.bootstrap, args.other_input) if enrichment else {}
    topics = [args.input, args.other_input] if joining else [args.input]
    consumer.subscribe([*topics, repartition] if repartition else topics)
    # stream-stream: partition -> key -> [(timestamp, value)], per side (True: the orders)
    sides: dict[bool, dict[int, dict[bytes, list[tuple[int, Any]]]]] = {True: {}, False: {}}
    join_time: dict[int, int] = {}
    join_purged: dict[int, int] = {}
    window = JOIN_WINDOW_MS
    left_topic = args.input
    out = args.output
    produce = producer.produce
    long = struct.Struct(">q").pack
    counts: dict[Any, int] = {}
    wordcount = args.workload == "wordcount"
    windowed = args.workload in WINDOW_ADVANCE_MS
    size = WINDOW_SIZE_MS
    advance = WINDOW_ADVANCE_MS.get(args.workload, size)
    windows: dict[int, dict[tuple[bytes, int], int]] = {}  # partition -> (key, start) -> count
    stream_time: dict[int, int] = {}
    purged: dict[int, int] = {}  # partition -> stream time of its last purge
    loads, dumps = orjson.loads, orjson.dumps
    commit_s = args.commit_interval_ms / 1000.0
    next_commit = time.monotonic() + commit_s
    dirty = False
    updated: dict[bytes, int] = {}  # --repartition: word -> count, since the last commit

    def send(key: bytes | None, value: bytes) -> None:
        send_to(out, key, value)

    def send_to(topic: str, key: bytes | None, value: bytes) -> None:
        while True:
            try:
                produce(topic, value, key)
                return
            except BufferError:
                producer.poll(0.05)

    def commit() -> None:
        if updated:  # --repartition: the record cache's flush
            for word, n in updated.items():
                count = long(n)
                send(word, count)
                send_to(changelog, word, count)
            updated.clear()
        assignment = consumer.assignment()
        if eos:
            positions = [tp for tp in consumer.position(assignment) if tp.offset >= 0]
            if positions:
                producer.send_offsets_to_transaction(
                    positions, consumer.consumer_group_metadata(), 60
                )
            producer.commit_transaction(60)
            producer.begin_transaction()
        else:
            producer.flush(60)
            positions = [tp for tp in consumer.position(assignment) if tp.offset >= 0]
            if positions:
                consumer.commit(offsets=positions, asynchronous=False)

    while not stop.is_set():
        msgs = consumer.consume(BATCH, 0.1)
        for msg in msgs:
            if msg.error() is not None:
                if msg.error().code() != KafkaError._PARTITION_EOF:
                    raise SystemExit(f"consumer error: {msg.error()}")
                continue
            dirty = True
            if enrichment:
                event = loads(msg.value())
                send(msg.key(), dumps(enrich(event, table.get(msg.key()))))
            elif joining:
                p = msg.partition()
                ts = msg.timestamp()[1]
                is_left = msg.topic() == left_topic
                key = msg.key()
                value = loads(msg.value())
                for other_ts, other in sides[not is_left].get(p, {}).get(key, ()):
                    if abs(other_ts - ts) <= window:
                        joined = paid(value, other) if is_left else paid(other, value)
                        send(key, dumps(joined))
                sides[is_left].setdefault(p, {}).setdefault(key, []).append((ts, value))
                now_p = max(join_time.get(p, ts), ts)
                join_time[p] = now_p
                if now_p - join_purged.get(p, 0) >= window:
                    join_purged[p] = now_p
                    horizon = now_p - 2 * window
                    for side in sides.values():
                        by_key = side.get(p, {})
                        for k in [k for k, recs in by_key.items() if recs[-1][0] < horizon]:
                            del by_key[k]
            elif windowed:
                p = msg.partition()
                ts = msg.timestamp()[1]
                now_p = max(stream_time.get(p, ts), ts)
                stream_time[p] = now_p
                counts_p = windows.setdefault(p, {})
                key = msg.key()
                for start in window_starts(ts, size, advance):
                    if start + size <= now_p:
                        continue  # closed: Kafka Streams drops the record for it
                    n = counts_p.get((key, start), 0) + 1
                    counts_p[(key, start)] = n
                    send(windowed_key(key, start), long(n))
                if now_p - purged.get(p, 0) >= advance:
                    purged[p] = now_p
                    for wk in [wk for wk in counts_p if wk[1] + size <= now_p]:
                        del counts_p[wk]
            elif repartition is not None:
                if msg.topic() == repartition:
                    word = msg.key()
                    n = counts.get(word, 0) + 1
                    counts[word] = n
                    updated[word] = n
                    continue
                for word in words(msg.value().decode()):
                    encoded = word.encode()
                    send_to(repartition, encoded, encoded)
            elif wordcount:
                for word in words(msg.value().decode()):
                    n = counts.get(word, 0) + 1
                    counts[word] = n
                    send(word.encode(), long(n))
            else:
                send(msg.key(), dumps(passthrough(loads(msg.value()))))
        producer.poll(0)
        now = time.monotonic()
        if now >= next_commit:
            if dirty:
                commit()
                dirty = False
            next_commit = now + commit_s
    if dirty:
        commit()
    if eos:
        producer.abort_transaction(10)
    producer.flush(30)
    consumer.close()


if __name__ == "__main__":
    main()
