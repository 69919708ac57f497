"""The checkpoint check of an unclean exactly-once restart, against real transactions.

``committed_at`` reads with a read_committed consumer: a record of a committed transaction is
committed, and so is its marker (kstreams' checkpoint under exactly-once); a record or the
marker of an aborted transaction is not (whether records follow it or not).
"""

from __future__ import annotations

import uuid

import pytest
from confluent_kafka import Consumer, Producer

from kstreams.runtime.changelog_offsets import committed_at

pytestmark = pytest.mark.integration


def test_committed_and_aborted_records(kafka_bootstrap: str, new_topic) -> None:
    topic = new_topic(partitions=1)
    producer = Producer(
        {"bootstrap.servers": kafka_bootstrap, "transactional.id": f"it-{uuid.uuid4().hex}"}
    )
    producer.init_transactions(30)
    offsets: dict[str, list[int]] = {"committed": [], "aborted": [], "tail": []}

    def transaction(kind: str, n: int, commit: bool) -> None:
        producer.begin_transaction()
        for i in range(n):
            producer.produce(
                topic,
                key=f"{kind}-{i}",
                value=b"v",
                partition=0,
                on_delivery=lambda err, msg, kind=kind: offsets[kind].append(msg.offset()),
            )
        producer.flush(30)
        if commit:
            producer.commit_transaction(30)
        else:
            producer.abort_transaction(30)

    transaction("committed", 3, commit=True)
    transaction("aborted", 2, commit=False)
    transaction("tail", 1, commit=False)  # an aborted transaction is the last thing in the log
    consumer = Consumer(
        {
            "bootstrap.servers": kafka_bootstrap,
            "group.id": "unused",
            "isolation.level": "read_committed",
            "enable.auto.commit": False,
        }
    )
    try:
        for offset in offsets["committed"]:
            assert committed_at(consumer, topic, 0, offset, timeout_s=30)
        # the commit's marker: kstreams' checkpoint under exactly-once (the log end after it)
        assert committed_at(consumer, topic, 0, max(offsets["committed"]) + 1, timeout_s=30)
        aborted_markers = [max(offsets["aborted"]) + 1, max(offsets["tail"]) + 1]
        for offset in offsets["aborted"] + offsets["tail"] + aborted_markers:
            assert not committed_at(consumer, topic, 0, offset, timeout_s=30), offset
    finally:
        consumer.close()
