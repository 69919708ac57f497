"""Orders → products → categories: two KTable-KTable foreign-key joins.

A shop keeps three compacted topics, each the latest record per key (read as **tables**):

* ``orders`` -- key: the order id; value ``{"product_id": "p-1", "quantity": 2}``;
* ``products`` -- key: the product id; value ``{"name": "Pen", "price": 1.5, "category_id": "c-1"}``;
* ``categories`` -- key: the category id; value ``{"name": "Office"}``.

The app keeps ``orders-enriched`` (key: the order id) up to date::

    {"product_id": "p-1", "quantity": 2, "product": "Pen", "total": 3.0,
     "category_id": "c-1", "category": "Office"}

How:

1. ``orders.join(products, lambda order: order["product_id"], ...)`` -- a **foreign-key
   join**: each order subscribes to its product through the internal topic
   ``<application.id>-order-product-subscription-registration-topic`` (partitioned like
   ``products``); a product update reaches every order that references it, and the answers
   come back through ``<application.id>-order-product-subscription-response-topic``
   (partitioned like ``orders``). The result is keyed by the order id and changes when the
   order or its product changes -- also when an order moves to another product, and a
   deleted order or product deletes the joined row (an inner join). Unlike a primary-key
   join, the tables need not be co-partitioned. ``Materialized.with_(string, json)`` gives
   the joined rows' serdes (the joiner's result has no serde of its own): the next join
   serializes them to hash them and keeps them in a store.
2. ``.left_join(categories, lambda row: row["category_id"], ...)`` -- the joined table
   FK-joined again: an order whose product's category is unknown still appears, with
   ``"category": None``. Its result lives in the queryable store ``orders-enriched``.

Each answer carries a hash of the order value it was computed for; an answer for an older
value of the order (the order changed while the answer was on its way) is dropped, so the
output never goes back to a stale result.

Run it against a broker (the three input topics and ``orders-enriched`` must exist)::

    python examples/fk_join_orders.py --bootstrap-servers 127.0.0.1:9092
"""

from __future__ import annotations

import argparse
from typing import Any

from kstreams import (
    KafkaStreams,
    Materialized,
    Serdes,
    StreamsBuilder,
    TableJoined,
    Topology,
    wait_for_shutdown_signal,
)

ORDERS = "orders"
PRODUCTS = "products"
CATEGORIES = "categories"
OUTPUT = "orders-enriched"
ENRICHED_STORE = "orders-enriched"


def with_product(order: dict[str, Any], product: dict[str, Any]) -> dict[str, Any]:
    """The order with its product's name, total and category id (a new dict: the joiner must
    not change what the tables hold)."""
    return {
        **order,
        "product": product["name"],
        "total": round(product["price"] * order["quantity"], 2),
        "category_id": product["category_id"],
    }


def with_category(row: dict[str, Any], category: dict[str, Any] | None) -> dict[str, Any]:
    """The enriched order with its category's name (None: unknown category)."""
    return {**row, "category": None if category is None else category["name"]}


def build_topology(
    orders_topic: str = ORDERS,
    products_topic: str = PRODUCTS,
    categories_topic: str = CATEGORIES,
    output_topic: str = OUTPUT,
) -> Topology:
    """Orders, products and categories in, enriched orders out."""
    string, json = Serdes.String(), Serdes.JSON()
    builder = StreamsBuilder()
    orders = builder.table(orders_topic, key_serde=string, value_serde=json)
    products = builder.table(products_topic, key_serde=string, value_serde=json)
    categories = builder.table(categories_topic, key_serde=string, value_serde=json)
    (
        orders.join(
            products,
            lambda order: order["product_id"],
            with_product,
            TableJoined.as_("order-product"),
            # the joined rows' serdes: the next join hashes and stores them
            Materialized.with_(string, json),
        )
        .left_join(
            categories,
            lambda row: row["category_id"],
            with_category,
            TableJoined.as_("product-category"),
            Materialized.as_(ENRICHED_STORE).with_key_serde(string).with_value_serde(json),
        )
        .to_stream()
        .to(output_topic, key_serde=string, value_serde=json)
    )
    return builder.build()


def config(bootstrap_servers: str, application_id: str = "fk-join-orders") -> dict[str, object]:
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
    parser.add_argument("--application-id", default="fk-join-orders")
    args = parser.parse_args()
    topology = build_topology()
    print(topology.describe())
    with KafkaStreams(topology, config(args.bootstrap_servers, args.application_id)) as streams:
        streams.start()
        wait_for_shutdown_signal()  # SIGTERM or Ctrl-C; leaving the block closes


if __name__ == "__main__":
    main()
