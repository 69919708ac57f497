"""What one exactly-once commit cycle waits for, call by call, against a real broker.

A transactional producer runs the stream thread's cycle ``--commits`` times: produce
``--records`` records over ``--partitions`` partitions of a topic, ``send_offsets_to_transaction``
(offsets of a consumer group, as a stream thread's input offsets), ``commit_transaction``,
``begin_transaction``, with ``--gap-ms`` of "processing" (a sleep) after each begin. Prints the
median and 90th percentile wall time of each call and how often librdkafka logged a
``CONCURRENT_TRANSACTIONS`` retry (the coordinator still writing the previous transaction's
markers), from its ``eos`` debug log.

    .venv/bin/python bench/experiments/txn_probe.py --bootstrap 127.0.0.1:PORT
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
import uuid

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic


class _Counter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.concurrent = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "CONCURRENT_TRANSACTIONS" in record.getMessage():
            self.concurrent += 1


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--bootstrap", required=True)
    p.add_argument("--commits", type=int, default=100)
    p.add_argument("--records", type=int, default=2000, help="records per transaction")
    p.add_argument("--partitions", type=int, default=4)
    p.add_argument("--gap-ms", type=float, default=50.0, help="processing time per transaction")
    p.add_argument("--offsets-first", action="store_true", help="send_offsets before producing")
    args = p.parse_args()
    topic = f"txn-probe-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": args.bootstrap})
    admin.create_topics([NewTopic(topic, args.partitions, 1)])[topic].result(30)
    counter = _Counter()
    logger = logging.getLogger("txn-probe")
    logger.setLevel(logging.DEBUG)
    logger.addHandler(counter)
    producer = Producer(
        {
            "bootstrap.servers": args.bootstrap,
            "transactional.id": f"{topic}-txn",
            "debug": "eos",
            "logger": logger,
        }
    )
    group = f"{topic}-group"
    consumer = Consumer({"bootstrap.servers": args.bootstrap, "group.id": group})
    consumer.subscribe([topic])
    consumer.poll(1.0)
    meta = consumer.consumer_group_metadata()
    producer.init_transactions(30)
    producer.begin_transaction()
    times: dict[str, list[float]] = {"send_offsets": [], "commit": [], "begin": []}
    value = b"x" * 20
    for i in range(args.commits):
        time.sleep(args.gap_ms / 1000.0)
        offsets = [TopicPartition(topic, p, i + 1) for p in range(args.partitions)]
        if args.offsets_first:
            t = time.perf_counter()
            producer.send_offsets_to_transaction(offsets, meta, 30)
            times["send_offsets"].append(time.perf_counter() - t)
        for r in range(args.records):
            producer.produce(topic, value, None, r % args.partitions)
        producer.poll(0)
        if not args.offsets_first:
            t = time.perf_counter()
            producer.send_offsets_to_transaction(offsets, meta, 30)
            times["send_offsets"].append(time.perf_counter() - t)
        t = time.perf_counter()
        producer.commit_transaction(30)
        times["commit"].append(time.perf_counter() - t)
        t = time.perf_counter()
        producer.begin_transaction()
        times["begin"].append(time.perf_counter() - t)
    producer.commit_transaction(30)
    consumer.close()
    admin.delete_topics([topic])
    for name, xs in times.items():
        xs.sort()
        print(
            f"{name:14s} median {statistics.median(xs) * 1e3:7.2f} ms  "
            f"p90 {xs[int(len(xs) * 0.9)] * 1e3:7.2f} ms  total {sum(xs):6.2f} s"
        )
    print(f"CONCURRENT_TRANSACTIONS retries logged: {counter.concurrent} in {args.commits} commits")


if __name__ == "__main__":
    main()
