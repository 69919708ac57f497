"""Shared by the secured-cluster integration tests: users, topics, records and configs on a
:class:`~kstreams.testing.secure_broker.SecureKafkaBroker` (the harness acts as its super user)."""

from __future__ import annotations

import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
from confluent_kafka.admin import NewTopic
from helpers import wait_until

from kstreams.testing.secure_broker import SecureKafkaBroker

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples"))
import word_count  # the example's topology: a repartition and a count store

PLAIN_USER, PLAIN_PASSWORD = "plain-user", "plain-user-secret"


def secured_broker() -> Iterator[SecureKafkaBroker]:
    """One secured broker (use as a module fixture), stopped by its pid at the end."""
    with SecureKafkaBroker(plain_users={PLAIN_USER: PLAIN_PASSWORD}) as secured:
        yield secured


def make_user(broker: SecureKafkaBroker, prefix: str) -> tuple[str, str]:
    name, password = f"{prefix}-{uuid.uuid4().hex[:6]}", uuid.uuid4().hex
    broker.create_scram_user(name, password)
    return name, password


def secured_topic(broker: SecureKafkaBroker, prefix: str, partitions: int = 2) -> str:
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    admin = broker.admin()
    admin.create_topics([NewTopic(name, partitions, 1)])[name].result(30)
    wait_until(lambda: name in admin.list_topics(timeout=10).topics, 30, what=f"topic {name}")
    return name


def produce_lines(broker: SecureKafkaBroker, topic: str, lines: list[str]) -> None:
    producer = Producer({**broker.admin_config(), "acks": "all"})
    for i, line in enumerate(lines):
        producer.produce(topic, key=str(i).encode(), value=line.encode())
    assert producer.flush(30) == 0


def latest_counts(broker: SecureKafkaBroker, topic: str, timeout: float = 30.0) -> dict[str, int]:
    """The latest count per word on ``topic`` (read_committed, up to its current end)."""
    conf = {
        **broker.admin_config(),
        "group.id": f"reader-{uuid.uuid4().hex[:8]}",
        "enable.auto.commit": False,
        "isolation.level": "read_committed",
    }
    consumer = Consumer(conf)
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        ends = {
            p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
            for p in partitions
        }
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        counts: dict[str, int] = {}
        positions = dict.fromkeys(partitions, 0)
        deadline = time.monotonic() + timeout
        while any(positions[p] < ends[p] for p in partitions):
            assert time.monotonic() < deadline, f"{topic}: read {positions} of {ends}"
            for msg in consumer.consume(500, timeout=0.5):
                if msg.error() is None:
                    counts[msg.key().decode()] = int.from_bytes(msg.value(), "big", signed=True)
                    positions[msg.partition()] = msg.offset() + 1
            for p in partitions:  # transaction markers advance the position past the last record
                position = consumer.position([TopicPartition(topic, p)])[0].offset
                if position >= 0:
                    positions[p] = max(positions[p], position)
        return counts
    finally:
        consumer.close()


def expected(lines: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for line in lines:
        for word in word_count.words(line):
            counts[word] = counts.get(word, 0) + 1
    return counts


def streams_settings(
    client: dict[str, Any], app_id: str, state_dir: Path, **extra: Any
) -> dict[str, Any]:
    config = word_count.config(client.pop("bootstrap.servers"), app_id)
    config.update(client)
    config.update({"state.dir": str(state_dir), "commit.interval.ms": 200, "poll.ms": 50})
    config.update(extra)
    return config
