"""examples/fk_join_orders.py on a real broker: two instances over topics with different
partition counts, and SIGKILLs under exactly_once_v2.

The app FK-joins ``orders`` (3 partitions) to ``products`` (2) and the result to
``categories`` (1): the subscription topics take the foreign tables' partition counts, the
response topics the left tables'. The input makes the output a function of the input: the
products and categories are loaded first, then every order is written once (unique keys), so
each order gives exactly one output record, ``max`` of its order's and product's (and
category's) timestamps, whatever the order in which tasks process their partitions. A lost
response would be a missing record, a response processed twice (or a write of an aborted
transaction read) a duplicate: both tests compare the committed output record for record.
"""

from __future__ import annotations

import random
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import eos.chaos as chaos
import orjson
import pytest
from confluent_kafka import Producer
from eos.chaos import EventLog, Instances
from helpers import (
    APPS_DIR,
    REPO_ROOT,
    app_caught_up,
    group_assignment,
    group_caught_up,
    partition_count,
    running_streams,
    unique_app_id,
    wait_until,
)
from test_order_enrichment_broker import CommittedOutput, _canonical, assert_exact, write

sys.path.insert(0, str(REPO_ROOT / "examples"))

from fk_join_orders import build_topology, config, with_category, with_product

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PRODUCTS = 30
CATEGORIES = 4
"""Products ``p-i`` are in category ``c-(i % 5)``: category ``c-4`` is missing (left join)."""


def make_input(
    n_orders: int, seed: int
) -> tuple[list[Any], list[Any], list[Any], Counter[tuple[str, bytes, int]]]:
    """Categories, products, orders and the expected output (key, canonical value, timestamp)."""
    rng = random.Random(seed)
    categories = [(f"c-{i}", {"name": f"category {i}"}, 1 + i) for i in range(CATEGORIES)]
    products = [
        (
            f"p-{i}",
            {"name": f"product {i}", "price": 1.0 + i, "category_id": f"c-{i % 5}"},
            100 + rng.randrange(1000),
        )
        for i in range(PRODUCTS)
    ]
    orders = [
        (
            f"o-{i}",
            {"product_id": f"p-{rng.randrange(PRODUCTS + 3)}", "quantity": 1 + rng.randrange(5)},
            500 + rng.randrange(2000),
        )
        for i in range(n_orders)
    ]
    by_product = {k: (v, ts) for k, v, ts in products}
    by_category = {k: (v, ts) for k, v, ts in categories}
    expected: Counter[tuple[str, bytes, int]] = Counter()
    for key, order, ts in orders:
        if order["product_id"] not in by_product:
            continue  # an inner join: an order of an unknown product gives nothing
        product, product_ts = by_product[order["product_id"]]
        row = with_product(order, product)
        category = by_category.get(row["category_id"])
        value = with_category(row, None if category is None else category[0])
        out_ts = max(ts, product_ts, 0 if category is None else category[1])
        expected[(key, _canonical(value), out_ts)] += 1
    return categories, products, orders, expected


def _topics(new_topic: Any) -> dict[str, str]:
    return {
        "orders": new_topic(partitions=3),
        "products": new_topic(partitions=2),
        "categories": new_topic(partitions=1),
        "output": new_topic(partitions=3),
    }


def _args(topics: dict[str, str]) -> list[str]:
    return [topics[t] for t in ("orders", "products", "categories", "output")]


def _config(bootstrap: str, app_id: str, state_dir: Path) -> dict[str, Any]:
    settings: dict[str, Any] = config(bootstrap, app_id)
    settings.update({"state.dir": str(state_dir), "commit.interval.ms": 100, "poll.ms": 50})
    return settings


def test_two_instances_over_differently_partitioned_topics(
    kafka_bootstrap: str, new_topic: Any, tmp_path: Path
) -> None:
    topics = _topics(new_topic)
    categories, products, orders, expected = make_input(300, seed=15)
    write(kafka_bootstrap, topics["categories"], categories)
    write(kafka_bootstrap, topics["products"], products)
    app_id = unique_app_id("fk-two")
    topology = build_topology(*_args(topics))
    with (
        running_streams(topology, _config(kafka_bootstrap, app_id, tmp_path / "x")),
        running_streams(
            build_topology(*_args(topics)), _config(kafka_bootstrap, app_id, tmp_path / "y")
        ),
    ):

        def ready() -> bool:
            members = group_assignment(kafka_bootstrap, app_id)
            return bool(
                members
                and len(members) == 2
                and all(members.values())
                and group_caught_up(
                    kafka_bootstrap, app_id, [topics["products"], topics["categories"]]
                )
            )

        wait_until(ready, timeout=90, interval=0.5, what="both instances stable, tables loaded")
        members = group_assignment(kafka_bootstrap, app_id)
        assert members is not None
        owned = list(members.values())
        assert all(owned) and set.isdisjoint(*owned), members  # the tasks are split
        write(kafka_bootstrap, topics["orders"], orders)
        with CommittedOutput(kafka_bootstrap, topics["output"]) as output:
            output.wait_for(sum(expected.values()), timeout=90)
            # anything beyond the expected records is written before the inputs are committed
            wait_until(
                lambda: app_caught_up(
                    kafka_bootstrap,
                    app_id,
                    [topics[t] for t in ("orders", "products", "categories")],
                ),
                timeout=60,
                interval=0.2,
                what="the inputs committed",
            )
            output.read_to_end()
            assert_exact(output, expected, "two instances")

    # subscriptions are partitioned like the foreign table, responses like the left table
    prefix = f"{app_id}-order-product-subscription"
    assert partition_count(kafka_bootstrap, f"{prefix}-registration-topic") == 2
    assert partition_count(kafka_bootstrap, f"{prefix}-response-topic") == 3
    prefix = f"{app_id}-product-category-subscription"
    assert partition_count(kafka_bootstrap, f"{prefix}-registration-topic") == 1
    assert partition_count(kafka_bootstrap, f"{prefix}-response-topic") == 3


CHAOS_ORDERS = 1200
CHAOS_WRITE_S = 15.0
CHAOS_KILLS = 3


def test_exactly_once_with_instances_killed_and_restarted(
    kafka_bootstrap: str, new_topic: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(chaos, "APP", APPS_DIR / "example_app.py")
    topics = _topics(new_topic)
    app_id = unique_app_id("fk-eos")
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    categories, products, orders, expected = make_input(CHAOS_ORDERS, seed=seed)
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    log = EventLog()
    log(f"seed {seed}, application.id {app_id}, {sum(expected.values())} expected outputs")
    write(kafka_bootstrap, topics["categories"], categories)
    write(kafka_bootstrap, topics["products"], products)
    stop_writing = threading.Event()

    def writer() -> None:
        producer = Producer(
            {
                "bootstrap.servers": kafka_bootstrap,
                "partitioner": "murmur2_random",  # Java's: the keys' partitions as kstreams'
                "enable.idempotence": True,
                "linger.ms": 5,
            }
        )
        chunks = 30
        per = -(-len(orders) // chunks)
        for c in range(chunks):
            if stop_writing.is_set():
                break
            for key, value, ts in orders[c * per : (c + 1) * per]:
                producer.produce(topics["orders"], orjson.dumps(value), key.encode(), timestamp=ts)
            assert producer.flush(30) == 0, "the input was not all written"
            stop_writing.wait(CHAOS_WRITE_S / chunks)

    with (
        Instances(
            [kafka_bootstrap, app_id, *_args(topics), "--example", "fk_join_orders"],
            tmp_path / "state",
            log_dir,
            log,
        ) as instances,
        CommittedOutput(kafka_bootstrap, topics["output"]) as output,
    ):
        for name in ("a", "b"):
            instances.start(name)
        wait_until(
            lambda: (
                all(instances.current[n].state() == "RUNNING" for n in ("a", "b"))
                and group_caught_up(
                    kafka_bootstrap, app_id, [topics["products"], topics["categories"]]
                )
            ),
            timeout=90,
            interval=0.5,
            what="both instances RUNNING, tables loaded",
        )
        thread = threading.Thread(target=writer, name="order-writer", daemon=True)
        thread.start()
        log("writing orders")
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
                lambda: group_caught_up(kafka_bootstrap, app_id, [topics["orders"]]),
                timeout=30,
                what="the input committed",
            )
            log(f"outputs committed: {len(output.records)}")
        finally:
            stop_writing.set()
            codes = instances.stop_all()
        output.read_to_end()  # every instance stopped: nothing comes after the end taken now
        failures = instances.failures()
        report = f"exit codes {codes}\nevents:\n{log.text()}\nlogs: {log_dir}"
        assert instances.kills == CHAOS_KILLS
        assert not failures, "\n".join(failures) + "\n" + report
        assert_exact(output, expected, f"after {CHAOS_KILLS} SIGKILLs (seed {seed})")
