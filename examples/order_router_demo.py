"""Run the order-router example end to end on a real Kafka and print what it wrote.

Uses the broker named by ``KSTREAMS_BOOTSTRAP_SERVERS``, else starts a local
Apache Kafka (KRaft) for the duration of the demo and stops it afterwards.
Creates the topics, produces sample input, runs the app until every output
has arrived, prints the outputs and exits 0 (non-zero if anything is missing).
"""

from __future__ import annotations

import json
import random
import sys
import time
import uuid
from pathlib import Path

from confluent_kafka import Consumer, Producer

sys.path.insert(0, str(Path(__file__).parent))

import order_router

from kstreams import KafkaStreams
from kstreams.testing import create_topic, kafka_bootstrap_servers

ORDERS = 200


def sample_orders(n: int) -> list[tuple[str, dict[str, object]]]:
    """``n`` reproducible sample orders."""
    rng = random.Random(7)
    countries = ["de", " FR", "us", "jp", "it ", "br", "nl"]
    return [
        (
            f"order-{i:04d}",
            {
                "amount": rng.choice([15, 80, 250, 999, 1200, 4300]),
                "country": rng.choice(countries),
                "status": "cancelled" if rng.random() < 0.1 else "new",
            },
        )
        for i in range(n)
    ]


def expected_routes(
    orders: list[tuple[str, dict[str, object]]], topics: order_router.Topics
) -> dict[str, int]:
    """How many orders each output should receive (computed without kstreams)."""
    counts = {topics.priority: 0, topics.eu: 0, topics.other: 0}
    for _, o in orders:
        if o["status"] == "cancelled":
            continue
        country = str(o["country"]).strip().upper()
        if int(o["amount"]) >= 1000:  # type: ignore[call-overload]
            counts[topics.priority] += 1
        elif country in order_router.EU_COUNTRIES:
            counts[topics.eu] += 1
        else:
            counts[topics.other] += 1
    return counts


def main() -> int:
    """Run the order-router demo; 0 when every expected record arrived."""
    run = uuid.uuid4().hex[:8]
    with kafka_bootstrap_servers() as bootstrap:
        print(f"Kafka at {bootstrap}")
        topics = order_router.Topics.with_suffix(run)
        for topic in topics:
            create_topic(bootstrap, topic, partitions=3)
        orders = sample_orders(ORDERS)
        producer = Producer({"bootstrap.servers": bootstrap, "partitioner": "murmur2_random"})
        for key, order in orders:
            producer.produce(topics.orders, key=key, value=json.dumps(order))
        producer.flush()
        del producer
        print(f"Produced {ORDERS} orders to '{topics.orders}'")

        expected = expected_routes(orders, topics)
        want = sum(expected.values())
        topology = order_router.build_topology(topics)
        print(topology.describe())
        config = order_router.config(bootstrap, application_id=f"order-router-demo-{run}")
        consumer = Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": f"demo-reader-{run}",
                "auto.offset.reset": "earliest",
            }
        )
        consumer.subscribe(list(expected))
        got: dict[str, list[tuple[str, dict[str, object]]]] = {t: [] for t in expected}
        with KafkaStreams(topology, config) as streams:
            streams.start()
            deadline = time.monotonic() + 120
            while sum(len(v) for v in got.values()) < want and time.monotonic() < deadline:
                msg = consumer.poll(0.5)
                if msg is None or msg.error():
                    continue
                got[msg.topic()].append((msg.key().decode(), json.loads(msg.value())))
        consumer.close()

    print(f"\n{'topic':<28} {'records':>8}  sample")
    for topic, records in got.items():
        sample = records[0] if records else "-"
        print(f"{topic:<28} {len(records):>8}  {sample}")
    ok = all(len(got[t]) == n for t, n in expected.items())
    print("\nAll routed orders arrived." if ok else f"\nMISSING: expected {expected}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
