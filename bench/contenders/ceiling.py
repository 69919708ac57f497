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
  the dict as stream time passes them. No durable state either.

At-least-once: every commit interval, flush the producer, then commit the consumer's
positions. Exactly-once: a transactional producer, the positions sent in the transaction
(``send_offsets_to_transaction``) and committed with it every commit interval.
"""

from __future__ import annotations

import struct
import time

import orjson
from common import (
    WINDOW_ADVANCE_MS,
    WINDOW_SIZE_MS,
    parse_args,
    passthrough,
    stop_event,
    window_starts,
    windowed_key,
    words,
)
from confluent_kafka import Consumer, KafkaError, Producer

BATCH = 1000


def main() -> None:
    args = parse_args(__doc__ or "")
    stop = stop_event()
    eos = args.guarantee == "exactly_once_v2"
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
    consumer.subscribe([args.input])
    out = args.output
    produce = producer.produce
    long = struct.Struct(">q").pack
    counts: dict[str, int] = {}
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

    def send(key: bytes | None, value: bytes) -> None:
        while True:
            try:
                produce(out, value, key)
                return
            except BufferError:
                producer.poll(0.05)

    def commit() -> None:
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
            if windowed:
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
