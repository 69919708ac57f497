"""examples/order_enrichment.py on a real broker: one instance or two, SIGKILLs, co-partitioning.

The app joins ``orders`` (keyed by customer) with the ``customers`` table, re-keys them by order
id (a repartition topic) and joins them with ``payments`` within a window (stream-stream).
Its output is a function of its input when the table is loaded before the orders come (a
stream-table join reads the table as it is when the order is processed) and no window record
expires before its partner comes (every timestamp here lies within the join stores'
retention, 12 minutes): then every (order, payment) pair within the window gives exactly one
output record, ``max`` of the two timestamps, whatever the order in which the tasks process
their partitions. :func:`expected_outputs` computes that multiset from the input; every test
compares the app's output (read_committed) with it, record for record.

* one instance and two instances of one ``application.id`` (a real consumer group, the tasks
  split between them), side by side, give that output; ``payments`` has 3 partitions, the
  other inputs 4: the repartition topic is created with 3, as Kafka Streams does;
* under ``exactly_once_v2``, two instances in their own processes (tests/integration/apps/
  example_app.py, run by the EOS chaos harness ``eos.chaos.Instances``) are
  SIGKILLed and restarted while the input is written: the output is still exact;
* ``orders`` and ``customers`` with different partition counts: ``start()`` fails with a
  TopologyError naming both topics and their counts, before anything is consumed.
"""

from __future__ import annotations

import random
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import eos.chaos as chaos
import orjson
import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
from eos.chaos import EventLog, Instances
from helpers import (
    APPS_DIR,
    REPO_ROOT,
    app_caught_up,
    committed_offsets,
    group_assignment,
    group_caught_up,
    partition_count,
    produce,
    running_streams,
    unique_app_id,
    wait_until,
)

from kstreams import KafkaStreams, TopologyError
from kstreams.testing.broker import admin_client

sys.path.insert(0, str(REPO_ROOT / "examples"))

from order_enrichment import (
    GRACE,
    PAID_EARLY,
    PAY_WITHIN,
    PAYMENT_JOIN,
    build_topology,
    config,
    with_customer,
    with_payment,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

MIN = 60_000
CUSTOMERS = 40
UNKNOWN_CUSTOMERS = 5
"""Orders also come from customers ``c-40`` .. ``c-44``, who are not in the table."""
ORDERS_SPAN_MS = 20_000
"""The orders' timestamps span 20 s; payments come up to 10 min 10 s after their order and up
to 50 s before it: 11 min 20 s in all, within the join stores' 12-minute retention."""
BEFORE_MS = int(PAID_EARLY.total_seconds() * 1000)
AFTER_MS = int(PAY_WITHIN.total_seconds() * 1000)
assert BEFORE_MS + AFTER_MS + int(GRACE.total_seconds() * 1000) == 12 * MIN


# --------------------------------------------------------------------------- the input


@dataclass(frozen=True)
class Input:
    """One run's input: ``(key, value, timestamp)`` records of each topic."""

    customers: list[tuple[str, dict[str, Any], int]]
    orders: list[tuple[str, dict[str, Any], int]]
    payments: list[tuple[str, dict[str, Any], int]]


def make_input(n_orders: int, seed: int) -> Input:
    """Customers, ``n_orders`` orders and their payments (some in the window, some not).

    Per order: 55% one payment up to 10 minutes after it, 10% one up to 50 s before it, 10%
    two partial payments within the window, 10% a payment too late (10 min + up to 10 s
    after), 15% none.
    """
    rng = random.Random(seed)
    base = (int(time.time() * 1000) - 3_600_000) // MIN * MIN
    tiers = ("bronze", "silver", "gold", "platinum")
    customers = [
        (f"c-{i}", {"name": f"customer {i}", "tier": rng.choice(tiers)}, base - MIN)
        for i in range(CUSTOMERS)
    ]
    orders, payments = [], []
    step = max(ORDERS_SPAN_MS // n_orders, 1)
    for i in range(n_orders):
        customer = f"c-{rng.randrange(CUSTOMERS + UNKNOWN_CUSTOMERS)}"
        ts = base + i * step
        amount = round(rng.uniform(5, 300), 2)
        order_id = f"o-{i}"
        orders.append(
            (customer, {"order_id": order_id, "customer_id": customer, "amount": amount}, ts)
        )
        kind = rng.random()
        if kind < 0.55:
            delays = [rng.randrange(0, AFTER_MS + 1)]
        elif kind < 0.65:
            delays = [-rng.randrange(1, 50_001)]
        elif kind < 0.75:
            delays = sorted(rng.randrange(0, AFTER_MS + 1) for _ in range(2))
        elif kind < 0.85:
            delays = [AFTER_MS + rng.randrange(1, 10_001)]
        else:
            delays = []
        for k, delay in enumerate(delays):
            paid = amount if len(delays) == 1 else round(amount / 2, 2)
            method = rng.choice(("card", "paypal", "transfer"))
            payment = {"order_id": order_id, "amount": paid, "method": method, "n": k}
            payments.append((order_id, payment, ts + delay))
    return Input(customers, orders, payments)


def expected_outputs(data: Input) -> Counter[tuple[str, bytes, int]]:
    """``(order id, JSON value, timestamp)`` of every output the app must write, once each."""
    table = {key: value for key, value, _ in data.customers}
    by_order: dict[str, list[tuple[dict[str, Any], int]]] = {}
    for key, payment, ts in data.payments:
        by_order.setdefault(key, []).append((payment, ts))
    out: Counter[tuple[str, bytes, int]] = Counter()
    for customer, order, ts in data.orders:
        enriched = with_customer(order, table.get(customer))
        for payment, pts in by_order.get(order["order_id"], ()):
            if ts - BEFORE_MS <= pts <= ts + AFTER_MS:
                out[
                    (order["order_id"], _canonical(with_payment(enriched, payment)), max(ts, pts))
                ] += 1
    return out


def _canonical(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def write(bootstrap: str, topic: str, records: Iterable[tuple[str, Any, int]]) -> None:
    produce(bootstrap, topic, [(k, orjson.dumps(v), ts) for k, v, ts in records])


# --------------------------------------------------------------------------- the output


class CommittedOutput:
    """Reads an output topic from the beginning, read_committed, as (key, value, timestamp)."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.records: list[tuple[str, bytes, int, int, int]] = []
        self.consumer = Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": f"it-enrichment-reader-{uuid.uuid4().hex[:8]}",
                "isolation.level": "read_committed",
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
                "fetch.wait.max.ms": 100,
            }
        )
        self.tps = [
            TopicPartition(topic, p, OFFSET_BEGINNING)
            for p in range(partition_count(bootstrap, topic))
        ]
        self.consumer.assign(self.tps)

    def __enter__(self) -> CommittedOutput:
        return self

    def __exit__(self, *exc: object) -> None:
        self.consumer.close()

    def poll(self, timeout: float = 0.2) -> None:
        for msg in self.consumer.consume(5000, timeout):
            err = msg.error()
            if err is not None:
                if err.retriable() or not err.fatal():
                    continue
                raise AssertionError(f"output consumer error: {err}")
            self.records.append(
                (
                    msg.key().decode(),
                    _canonical(orjson.loads(msg.value())),
                    msg.timestamp()[1],
                    msg.partition(),
                    msg.offset(),
                )
            )

    def wait_for(self, n: int, timeout: float, tick: Any = None) -> None:
        """Until ``n`` records came (``tick()`` between polls, e.g. supervising instances)."""
        deadline = time.monotonic() + timeout
        while len(self.records) < n and time.monotonic() < deadline:
            self.poll()
            if tick is not None:
                tick()

    def read_to_end(self, timeout: float = 60.0) -> None:
        """Until every partition's position reached its high watermark (taken now)."""
        ends = {
            tp.partition: self.consumer.get_watermark_offsets(
                TopicPartition(tp.topic, tp.partition), timeout=15, cached=False
            )[1]
            for tp in self.tps
        }
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.poll()
            positions = self.consumer.position(
                [TopicPartition(tp.topic, tp.partition) for tp in self.tps]
            )
            if all(tp.offset >= ends[tp.partition] or ends[tp.partition] == 0 for tp in positions):
                return

    def problems(self, expected: Counter[tuple[str, bytes, int]]) -> list[str]:
        """How the output differs from ``expected``: missing and unexpected records."""
        got = Counter((k, v, ts) for k, v, ts, _, _ in self.records)
        where = {(k, v, ts): f"partition {p} offset {o}" for k, v, ts, p, o in self.records}
        out = []
        for record, n in sorted((expected - got).items()):
            out.append(f"missing {n}x: order {record[0]} at {record[2]}: {record[1].decode()}")
        for record, n in sorted((got - expected).items()):
            extra = "duplicated" if record in expected else "unexpected"
            out.append(
                f"{extra} {n}x: order {record[0]} at {record[2]} ({where[record]}): "
                f"{record[1].decode()}"
            )
        return out


def assert_exact(
    output: CommittedOutput, expected: Counter[tuple[str, bytes, int]], what: str
) -> None:
    problems = output.problems(expected)
    assert not problems, (
        f"{what}: {len(problems)} difference(s) from the {sum(expected.values())} expected "
        f"records (got {len(output.records)}):\n" + "\n".join(problems[:20])
    )


# --------------------------------------------------------------------------- tests


def _topics(
    new_topic: Any, customers: int = 4, orders: int = 4, payments: int = 4
) -> dict[str, str]:
    return {
        "customers": new_topic(partitions=customers),
        "orders": new_topic(partitions=orders),
        "payments": new_topic(partitions=payments),
        "output": new_topic(partitions=4),
    }


def _topology(topics: dict[str, str]) -> Any:
    return build_topology(
        topics["customers"], topics["orders"], topics["payments"], topics["output"]
    )


def _config(bootstrap: str, app_id: str, state_dir: Path) -> dict[str, Any]:
    settings: dict[str, Any] = config(bootstrap, app_id)
    settings.update({"state.dir": str(state_dir), "commit.interval.ms": 100, "poll.ms": 50})
    return settings


def test_one_instance_and_two_instances_give_the_same_output(
    kafka_bootstrap: str, new_topic: Any, tmp_path: Path
) -> None:
    single = _topics(new_topic, payments=3)
    pair = {**single, "output": new_topic(partitions=4)}
    data = make_input(400, seed=14)
    expected = expected_outputs(data)
    assert sum(expected.values()) > 250  # most orders are paid in time
    write(kafka_bootstrap, single["customers"], data.customers)
    one_id, two_id = unique_app_id("enrich-one"), unique_app_id("enrich-two")
    with (
        running_streams(_topology(single), _config(kafka_bootstrap, one_id, tmp_path / "one")),
        running_streams(_topology(pair), _config(kafka_bootstrap, two_id, tmp_path / "x")),
        running_streams(_topology(pair), _config(kafka_bootstrap, two_id, tmp_path / "y")),
    ):

        def ready() -> bool:
            members = group_assignment(kafka_bootstrap, two_id)
            return bool(
                members
                and len(members) == 2
                and all(members.values())
                and group_caught_up(kafka_bootstrap, one_id, [single["customers"]])
                and group_caught_up(kafka_bootstrap, two_id, [single["customers"]])
            )

        # the table first (the stream-table join reads it as it is when an order comes)
        wait_until(ready, timeout=60, interval=0.5, what="both groups stable, customers loaded")
        members = group_assignment(kafka_bootstrap, two_id)
        assert members is not None
        owned = list(members.values())
        assert all(owned) and set.isdisjoint(*owned), members  # the tasks are split

        write(kafka_bootstrap, single["orders"], data.orders)
        write(kafka_bootstrap, single["payments"], data.payments)
        total = sum(expected.values())
        with (
            CommittedOutput(kafka_bootstrap, single["output"]) as one,
            CommittedOutput(kafka_bootstrap, pair["output"]) as two,
        ):
            one.wait_for(total, timeout=60)
            two.wait_for(total, timeout=60)
            # anything beyond the expected records is written before both commit every input
            inputs = [single[t] for t in ("customers", "orders", "payments")]
            wait_until(
                lambda: (
                    app_caught_up(kafka_bootstrap, one_id, inputs)
                    and app_caught_up(kafka_bootstrap, two_id, inputs)
                ),
                timeout=60,
                interval=0.2,
                what="both apps to commit every input",
            )
            one.read_to_end()
            two.read_to_end()
            assert_exact(one, expected, "one instance")
            assert_exact(two, expected, "two instances")

    # the re-keyed orders reach the payments through a repartition topic named after the
    # StreamJoined (Kafka Streams' "<name>-left-repartition"), with payments' partition count
    for app_id in (one_id, two_id):
        repartition = f"{app_id}-{PAYMENT_JOIN}-left-repartition"
        assert partition_count(kafka_bootstrap, repartition) == 3, repartition


CHAOS_ORDERS = 1500
CHAOS_WRITE_S = 20.0
CHAOS_KILLS = 3


def test_exactly_once_with_instances_killed_and_restarted(
    kafka_bootstrap: str, new_topic: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # eos.chaos.Instances runs its APP: here the order-enrichment app (same status protocol)
    monkeypatch.setattr(chaos, "APP", APPS_DIR / "example_app.py")
    topics = _topics(new_topic)
    app_id = unique_app_id("enrich-eos")
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    data = make_input(CHAOS_ORDERS, seed=seed)
    expected = expected_outputs(data)
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    log = EventLog()
    log(f"seed {seed}, application.id {app_id}, {sum(expected.values())} expected outputs")
    write(kafka_bootstrap, topics["customers"], data.customers)
    args = [
        kafka_bootstrap,
        app_id,
        *(topics[t] for t in ("customers", "orders", "payments", "output")),
        "--example",
        "order_enrichment",
    ]
    stop_writing = threading.Event()

    def writer() -> None:
        """Orders and their payments, in order, spread over CHAOS_WRITE_S seconds."""
        payments: dict[str, list[tuple[str, dict[str, Any], int]]] = {}
        for record in data.payments:
            payments.setdefault(record[0], []).append(record)
        producer = Producer(
            {
                "bootstrap.servers": kafka_bootstrap,
                "partitioner": "murmur2_random",  # Java's: the keys' partitions as kstreams'
                "enable.idempotence": True,
                "linger.ms": 5,
            }
        )
        chunks = 40
        per = -(-len(data.orders) // chunks)
        for c in range(chunks):
            if stop_writing.is_set():
                break
            orders = data.orders[c * per : (c + 1) * per]
            paid = [p for _, o, _ in orders for p in payments.get(o["order_id"], ())]
            for topic, records in ((topics["orders"], orders), (topics["payments"], paid)):
                for key, value, ts in records:
                    producer.produce(topic, orjson.dumps(value), key.encode(), timestamp=ts)
            assert producer.flush(30) == 0, "the input was not all written"
            stop_writing.wait(CHAOS_WRITE_S / chunks)

    with (
        Instances(args, tmp_path / "state", log_dir, log) as instances,
        CommittedOutput(kafka_bootstrap, topics["output"]) as output,
    ):
        for name in ("a", "b"):
            instances.start(name)
        wait_until(
            lambda: (
                all(instances.current[n].state() == "RUNNING" for n in ("a", "b"))
                and group_caught_up(kafka_bootstrap, app_id, [topics["customers"]])
            ),
            timeout=90,
            interval=0.5,
            what="both instances RUNNING, customers loaded",
        )
        thread = threading.Thread(target=writer, name="order-writer", daemon=True)
        thread.start()
        log("writing orders and payments")
        try:
            for k in range(CHAOS_KILLS):
                victim = ("a", "b")[k % 2]
                wait_until(
                    lambda v=victim: (
                        instances.supervise() or instances.current[v].state() == "RUNNING"
                    ),
                    timeout=60,
                    interval=0.2,
                    what=f"{victim} RUNNING",
                )
                time.sleep(rng.uniform(0.5, 3.0))  # a random moment while it processes
                instances.kill(victim)
                log(f"  committed outputs so far: {len(output.records)}")
                output.poll(0)
                time.sleep(rng.uniform(0.0, 0.5))
                instances.start(victim)
            thread.join(CHAOS_WRITE_S + 30)
            log("input written")
            output.wait_for(sum(expected.values()), timeout=90, tick=instances.supervise)
            wait_until(
                lambda: group_caught_up(
                    kafka_bootstrap, app_id, [topics["orders"], topics["payments"]]
                ),
                timeout=30,
                what="the inputs committed",
            )
            log(f"outputs committed: {len(output.records)}")
        finally:
            stop_writing.set()
            codes = instances.stop_all()
        output.read_to_end()
        failures = instances.failures()
        report = f"exit codes {codes}\nevents:\n{log.text()}\nlogs: {log_dir}"
        assert instances.kills == CHAOS_KILLS
        assert not failures, "\n".join(failures) + "\n" + report
        assert_exact(output, expected, f"after {CHAOS_KILLS} SIGKILLs (seed {seed})")


def test_joined_topics_with_different_partition_counts_are_refused_before_consuming(
    kafka_bootstrap: str, new_topic: Any, tmp_path: Path
) -> None:
    topics = _topics(new_topic, customers=4, orders=2)
    data = make_input(20, seed=3)
    write(kafka_bootstrap, topics["customers"], data.customers)
    write(kafka_bootstrap, topics["orders"], data.orders)
    app_id = unique_app_id("enrich-copart")
    streams = KafkaStreams(_topology(topics), _config(kafka_bootstrap, app_id, tmp_path))
    try:
        with pytest.raises(TopologyError) as info:
            streams.start()
        message = str(info.value)
        assert f"{topics['customers']} (4 partitions)" in message, message
        assert f"{topics['orders']} (2 partitions)" in message, message
        assert streams.state is not KafkaStreams.State.RUNNING
    finally:
        streams.close()
    # nothing was consumed: no offsets committed, no output
    for topic in (topics["customers"], topics["orders"]):
        assert all(o < 0 for o in committed_offsets(kafka_bootstrap, app_id, topic).values())
    with CommittedOutput(kafka_bootstrap, topics["output"]) as output:
        output.read_to_end(10)
        assert output.records == []
    admin = admin_client(kafka_bootstrap)  # referenced until the future is done
    group = admin.describe_consumer_groups([app_id], request_timeout=10)[app_id].result(15)
    assert not group.members, group.members  # no consumer ever joined
