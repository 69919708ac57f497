"""Exactly-once offsets sent from a helper thread while a revocation callback runs (KIP-848).

Member A (``group.protocol=consumer``, or ``--protocol classic``) of a group commits a transaction in its ``on_revoke``
callback, as a kstreams stream thread does: a few records produced (the cache flush),
``send_offsets_to_transaction`` of the revoked partitions on a helper thread, then
``commit_transaction`` and ``begin_transaction``. Member B joins and leaves the group
``--cycles`` times, each join revoking some of A's partitions. ``--ahead`` reads A's group
metadata on the helper thread (kstreams' periodic commits, what session 10 turned off for
revocations); without it the callback reads it and hands it to the helper (kstreams'
commits on revocation). Prints each revocation's ``send_offsets_to_transaction`` wait and
outcome, and keeps librdkafka's debug log (consumer ``cgrp``, producer ``eos``) of A.

    .venv/bin/python bench/experiments/revoke_offsets_probe.py --bootstrap 127.0.0.1:PORT --ahead
"""

from __future__ import annotations

import argparse
import faulthandler
import logging
import statistics
import sys
import threading
import time
import uuid
from typing import Any

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--bootstrap", required=True)
    p.add_argument("--cycles", type=int, default=8)
    p.add_argument("--partitions", type=int, default=4)
    p.add_argument("--ahead", action="store_true", help="group metadata read on the helper")
    p.add_argument("--protocol", choices=("consumer", "classic"), default="consumer")
    p.add_argument("--log", default="/tmp/revoke_offsets_probe.log")
    p.add_argument("--stacks", action="store_true", help="thread stacks 5 s into each call")
    p.add_argument(
        "--stderr-log", action="store_true", help="librdkafka logs to stderr as they happen"
    )
    args = p.parse_args()
    topic = f"revoke-probe-{uuid.uuid4().hex[:8]}"
    group = f"{topic}-group"
    admin = AdminClient({"bootstrap.servers": args.bootstrap})
    admin.create_topics([NewTopic(topic, args.partitions, 1)])[topic].result(30)
    handler = logging.FileHandler(args.log, mode="w")
    handler.setFormatter(logging.Formatter("%(asctime)s %(threadName)s %(message)s"))
    rdlog = logging.getLogger("rdkafka")
    rdlog.setLevel(logging.DEBUG)
    rdlog.addHandler(handler)
    producer = Producer(
        {
            "bootstrap.servers": args.bootstrap,
            "transactional.id": f"{topic}-txn",
            "debug": "eos,protocol",
            **({} if args.stderr_log else {"logger": rdlog}),
        }
    )
    producer.init_transactions(30)
    producer.begin_transaction()
    consumer = Consumer(
        {
            "bootstrap.servers": args.bootstrap,
            "group.id": group,
            "group.protocol": args.protocol,
            "client.id": "member-a",
            "debug": "cgrp",
            **({} if args.stderr_log else {"logger": rdlog}),
            "enable.auto.commit": False,
        }
    )
    waits: list[tuple[float, str]] = []

    def on_revoke(c: Any, partitions: list[TopicPartition]) -> None:
        if not partitions:
            return
        rdlog.info("PROBE revoking %s", [(tp.topic, tp.partition) for tp in partitions])
        offsets = [TopicPartition(tp.topic, tp.partition, 1 + len(waits)) for tp in partitions]
        outcome: list[str] = []
        meta = None if args.ahead else c.consumer_group_metadata()

        def send() -> None:
            try:
                group_meta = c.consumer_group_metadata() if meta is None else meta
                producer.send_offsets_to_transaction(offsets, group_meta, 30)
                outcome.append("ok")
            except KafkaException as exc:
                outcome.append(str(exc.args[0]))

        started = time.monotonic()
        if args.stacks:  # where the threads are 5 s into the call (a watchdog thread: no GIL)
            faulthandler.dump_traceback_later(5, file=sys.stderr)
        helper = threading.Thread(target=send, name="transactional-calls")
        helper.start()
        for i in range(100):  # the cache flush: records into the transaction meanwhile
            producer.produce(topic, b"v", str(i).encode(), partition=i % args.partitions)
        helper.join(60)
        faulthandler.cancel_dump_traceback_later()
        wait = time.monotonic() - started
        result = outcome[0] if outcome else "no return within 60 s"
        waits.append((wait, result))
        rdlog.info("PROBE send_offsets %.3f s: %s", wait, result)
        print(f"revocation {len(waits)}: send_offsets_to_transaction {wait:.3f} s: {result}")
        try:
            if result == "ok":
                producer.commit_transaction(30)
            else:
                producer.abort_transaction(30)
        finally:
            producer.begin_transaction()

    consumer.subscribe([topic], on_revoke=on_revoke)
    stop = threading.Event()

    def member_b() -> None:
        for _ in range(args.cycles):
            b = Consumer(
                {
                    "bootstrap.servers": args.bootstrap,
                    "group.id": group,
                    "group.protocol": args.protocol,
                    "client.id": "member-b",
                }
            )
            b.subscribe([topic])
            deadline = time.monotonic() + 20
            while not b.assignment() and time.monotonic() < deadline:
                b.poll(0.1)
            end = time.monotonic() + 3
            while time.monotonic() < end:
                b.poll(0.1)
            b.close()
            time.sleep(3)
        stop.set()

    threading.Thread(target=member_b, name="member-b", daemon=True).start()
    while not stop.is_set():
        consumer.consume(100, 0.1)
    consumer.close()
    producer.abort_transaction(30)
    if waits:
        times = [w for w, _ in waits]
        print(
            f"{len(waits)} revocations ({'ahead' if args.ahead else 'metadata on the callback'}):"
            f" median {statistics.median(times):.3f} s, max {max(times):.3f} s, failures "
            f"{[r for _, r in waits if r != 'ok']}; librdkafka log {args.log}"
        )


if __name__ == "__main__":
    main()
