"""Order enrichment: a stream-table join, then a windowed stream-stream join.

An online shop writes three topics:

* ``customers`` -- the customer records (key: the customer id; value: JSON such as
  ``{"name": "Ada", "tier": "gold", "country": "GB"}``), a changelog of the latest data per
  customer: read as a **table**;
* ``orders`` -- one record per order, keyed by the customer id (so all of a customer's orders
  are in one partition, in order), value ``{"order_id": "o-17", "amount": 42.5, ...}``;
* ``payments`` -- one record per payment, keyed by the order id, value
  ``{"order_id": "o-17", "amount": 42.5, "method": "card"}``.

The app writes every order that was paid within ten minutes (or a minute before it: the
payment service's clock may be a little ahead), enriched with its customer's data and its
payment, to ``paid-orders`` (key: the order id)::

    {"order_id": "o-17", "amount": 42.5, "customer_id": "c-3",
     "customer": {"name": "Ada", "tier": "gold", "country": "GB"},
     "payment": {"amount": 42.5, "method": "card"}, "paid_in_full": true}

How:

1. ``orders.left_join(customers, ...)`` -- a **stream-table join**: each order is joined with
   the customer's record *as the table holds it when the order is processed* (a later change
   to the customer does not touch orders already joined; a customer update does not emit
   anything by itself). ``left_join``: an order of an unknown customer still goes on, with
   ``"customer": null``. The output record keeps the order's timestamp. The table lives in the
   RocksDB store ``customers`` (queryable), changelogged.
2. ``select_key(order id)`` -- the orders are re-keyed by order id, so the next join goes
   through the repartition topic ``<application.id>-order-payments-left-repartition``,
   created with as many partitions as ``payments`` has.
3. ``.join(payments, ..., JoinWindows ...)`` -- a **stream-stream join**: an order and a payment
   with the same key whose timestamps are at most 10 minutes apart (the payment at most
   1 minute before the order) are joined, whichever of the two comes first. Both sides wait
   for their partner in window stores (``order-payments-this-join-store`` and
   ``order-payments-other-join-store``, changelogged) that keep a record for its window's
   span plus the grace period (1 minute) of stream time; an order or payment older than that
   is not kept (counted in ``dropped-records-total``). The output timestamp is the later of
   the two. ``join`` is an inner join: an order never paid (or paid too late) gives no
   output; ``left_join`` would emit it with ``payment = None`` once its window has closed.

Co-partitioning: ``orders`` and ``customers`` are read by the same tasks (partition ``p`` of
both), so they must have the same number of partitions -- kstreams checks it at start-up
and refuses to start otherwise, naming both topics and their counts -- and both must be
partitioned by the customer id with the same partitioner (Java's murmur2 default: kstreams
and Java Kafka Streams producers agree). The same holds for the repartition topic and
``payments``, which kstreams creates to match.

Run it against a broker (the three input topics and ``paid-orders`` must exist; ``orders``
and ``customers`` with the same partition count)::

    python examples/order_enrichment.py --bootstrap-servers 127.0.0.1:9092
"""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import Any

from kstreams import (
    Joined,
    JoinWindows,
    KafkaStreams,
    Materialized,
    Serdes,
    StreamJoined,
    StreamsBuilder,
    Topology,
    wait_for_shutdown_signal,
)

CUSTOMERS = "customers"
ORDERS = "orders"
PAYMENTS = "payments"
OUTPUT = "paid-orders"
CUSTOMER_STORE = "customers"
PAYMENT_JOIN = "order-payments"
PAY_WITHIN = timedelta(minutes=10)
PAID_EARLY = timedelta(minutes=1)
"""How long before the order a payment may be stamped (the payment service's clock)."""
GRACE = timedelta(minutes=1)
"""How late (in stream time) an order or a payment may still arrive for its window."""


def with_customer(order: dict[str, Any], customer: dict[str, Any] | None) -> dict[str, Any]:
    """The order with its customer's record (None: unknown customer). A new dict: the joiner
    must not change ``order`` or ``customer``, which may be held elsewhere."""
    return {**order, "customer": customer}


def with_payment(order: dict[str, Any], payment: dict[str, Any]) -> dict[str, Any]:
    """The enriched order with its payment."""
    return {
        **order,
        "payment": {"amount": payment["amount"], "method": payment["method"]},
        "paid_in_full": payment["amount"] >= order["amount"],
    }


def payment_windows() -> JoinWindows:
    """A payment joins an order stamped up to 10 minutes before it, or 1 minute after it."""
    return JoinWindows.of_time_difference_and_grace(PAY_WITHIN, GRACE).before(PAID_EARLY)


def build_topology(
    customers_topic: str = CUSTOMERS,
    orders_topic: str = ORDERS,
    payments_topic: str = PAYMENTS,
    output_topic: str = OUTPUT,
) -> Topology:
    """Orders, customers and payments in, enriched paid orders out."""
    string, json = Serdes.String(), Serdes.JSON()
    builder = StreamsBuilder()
    customers = builder.table(
        customers_topic,
        Materialized.as_(CUSTOMER_STORE).with_key_serde(string).with_value_serde(json),
    )
    orders = builder.stream(orders_topic, key_serde=string, value_serde=json)
    payments = builder.stream(payments_topic, key_serde=string, value_serde=json)
    (
        orders.left_join(customers, with_customer, Joined.with_(string, json, json))
        .select_key(lambda _customer_id, order: order["order_id"])
        .join(
            payments,
            with_payment,
            payment_windows(),
            StreamJoined.with_(string, json, json)
            .with_name(PAYMENT_JOIN)
            .with_store_name(PAYMENT_JOIN),
        )
        .to(output_topic, key_serde=string, value_serde=json)
    )
    return builder.build()


def config(bootstrap_servers: str, application_id: str = "order-enrichment") -> dict[str, object]:
    """The application's StreamsConfig."""
    return {
        "application.id": application_id,
        "bootstrap.servers": bootstrap_servers,
        "processing.guarantee": "exactly_once_v2",
    }


def main() -> None:
    """Run until Ctrl-C."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--bootstrap-servers", default="127.0.0.1:9092")
    parser.add_argument("--application-id", default="order-enrichment")
    args = parser.parse_args()
    topology = build_topology()
    print(topology.describe())
    with KafkaStreams(topology, config(args.bootstrap_servers, args.application_id)) as streams:
        streams.start()
        wait_for_shutdown_signal()  # SIGTERM or Ctrl-C; leaving the block closes


if __name__ == "__main__":
    main()
