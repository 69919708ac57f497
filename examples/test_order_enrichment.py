"""Testing order_enrichment.py's topology: a stream-table join, then a windowed stream-stream join.

1. ``test_paid_orders_in_the_test_driver``: through the ``TopologyTestDriver`` (no Kafka):
   an order takes its customer as the table holds it *when the order is processed* (a later
   customer update does not change it, later orders see the update), an order of an unknown
   customer goes on with ``"customer": None``, payments join their order within the window
   (also a payment stamped a little before its order, and one that arrives first), a payment
   outside the window or of no order gives nothing, and every output record carries the later
   of its order's and payment's timestamps.
2. ``test_paid_orders_on_a_real_broker``: the same topology run by ``KafkaStreams`` on a real
   broker with the pytest plugin's fixtures (see examples/test_word_count.py).
"""

from __future__ import annotations

from typing import Any

from order_enrichment import CUSTOMER_STORE, build_topology, config

from kstreams import Serdes
from kstreams.testing import TopologyTestDriver

MIN = 60_000

CUSTOMERS = [
    ("c-1", {"name": "Ada", "tier": "gold"}, 0),
    ("c-2", {"name": "Bob", "tier": "silver"}, 0),
]
ADA_PLATINUM = ("c-1", {"name": "Ada", "tier": "platinum"}, 5 * MIN)
ORDERS = [  # (customer id, order, timestamp)
    ("c-1", {"order_id": "o-1", "customer_id": "c-1", "amount": 40.0}, 1 * MIN),
    ("c-2", {"order_id": "o-2", "customer_id": "c-2", "amount": 30.0}, 2 * MIN),
    ("c-9", {"order_id": "o-3", "customer_id": "c-9", "amount": 10.0}, 3 * MIN),
    ("c-1", {"order_id": "o-4", "customer_id": "c-1", "amount": 25.0}, 4 * MIN),
]
LATER_ORDER = ("c-1", {"order_id": "o-5", "customer_id": "c-1", "amount": 99.0}, 6 * MIN)
PAYMENTS = [  # (order id, payment, timestamp)
    ("o-3", {"order_id": "o-3", "amount": 10.0, "method": "card"}, 3 * MIN - 30_000),  # early
    ("o-1", {"order_id": "o-1", "amount": 40.0, "method": "paypal"}, 6 * MIN),
    ("o-2", {"order_id": "o-2", "amount": 30.0, "method": "card"}, 13 * MIN),  # too late
    ("o-8", {"order_id": "o-8", "amount": 5.0, "method": "card"}, 13 * MIN),  # no such order
]
PAID_BEFORE_ORDER = ("o-5", {"order_id": "o-5", "amount": 50.0, "method": "card"}, 6 * MIN - 1)

ADA = {"name": "Ada", "tier": "gold"}


def paid(order: dict[str, Any], customer: Any, payment: dict[str, Any]) -> dict[str, Any]:
    """What the app writes for ``order`` paid by ``payment``."""
    return {
        **order,
        "customer": customer,
        "payment": {"amount": payment["amount"], "method": payment["method"]},
        "paid_in_full": payment["amount"] >= order["amount"],
    }


def test_paid_orders_in_the_test_driver() -> None:
    string, json = Serdes.String(), Serdes.JSON()
    with TopologyTestDriver(build_topology(), config("unused:9092")) as driver:
        customers = driver.create_input_topic("customers", string, json)
        orders = driver.create_input_topic("orders", string, json)
        payments = driver.create_input_topic("payments", string, json)
        out = driver.create_output_topic("paid-orders", string, json)
        for record in CUSTOMERS:
            customers.pipe_input(*record)
        for record in ORDERS:
            orders.pipe_input(*record)
        assert out.is_empty()  # nothing is paid yet

        customers.pipe_input(*ADA_PLATINUM)  # after o-1 and o-4 were joined: not theirs
        assert out.is_empty()  # a table update alone emits nothing
        assert driver.get_key_value_store(CUSTOMER_STORE).get("c-1")["tier"] == "platinum"

        for record in PAYMENTS:
            payments.pipe_input(*record)
        o1, o3 = ORDERS[0][1], ORDERS[2][1]

        payments.pipe_input(*PAID_BEFORE_ORDER)  # the payment arrives first: waits for o-5
        orders.pipe_input(*LATER_ORDER)

        records = [(r.key, r.value, r.timestamp) for r in out.read_records_to_list()]
        assert records == [
            # o-3 (unknown customer) paid 30 s before the order: the order's timestamp
            ("o-3", paid(o3, None, PAYMENTS[0][1]), 3 * MIN),
            # o-1 joined Ada as she was then (gold); the payment's timestamp, the later one
            ("o-1", paid(o1, ADA, PAYMENTS[1][1]), 6 * MIN),
            # o-5 came after Ada's update; its payment came first, a millisecond earlier
            (
                "o-5",
                paid(LATER_ORDER[1], ADA_PLATINUM[1], PAID_BEFORE_ORDER[1]),
                6 * MIN,
            ),
        ]
        # o-2 was paid 11 minutes after the order (outside the window), o-4 never, o-8 is
        # no order: no output for them
        assert out.is_empty()


def test_paid_orders_on_a_real_broker(kafka_bootstrap, new_topic, produce, read_topic, streams_app):
    # orders and customers must have the same partition count (co-partitioned)
    customers, orders, payments, paid_orders = (new_topic(partitions=2) for _ in range(4))
    app_config = config(kafka_bootstrap)
    del app_config["application.id"]  # streams_app makes one of this test's own
    app = streams_app(build_topology(customers, orders, payments, paid_orders), app_config)
    json = Serdes.JSON()
    produce(customers, CUSTOMERS, value_serde=json)
    # The table first: an order is joined with the customer the table holds when the order
    # is processed, so wait until the app has the customers before sending orders.
    store = app.streams.store(CUSTOMER_STORE)
    app.run_until(lambda: all(store.get(k) is not None for k, _, _ in CUSTOMERS), timeout=30)
    produce(orders, ORDERS, value_serde=json)
    produce(payments, PAYMENTS, value_serde=json)
    expected = {
        "o-3": paid(ORDERS[2][1], None, PAYMENTS[0][1]),
        "o-1": paid(ORDERS[0][1], ADA, PAYMENTS[1][1]),
    }

    def all_paid() -> bool:
        records = read_topic(paid_orders, key_serde=Serdes.String(), value_serde=json)
        assert dict(records) == expected
        return True

    app.run_until(all_paid, timeout=60)
