"""Testing fk_join_orders.py's topology: orders FK-joined to products, then to categories.

1. ``test_enriched_orders_in_the_test_driver``: through the ``TopologyTestDriver`` (no
   Kafka): an order waits for its product (inner join), a product update reaches every
   order of it, an order moving to another product follows it, an unknown category gives
   ``"category": None`` (left join) until it arrives, and deletes of an order or of its
   product delete the enriched row; each record carries the latest timestamp of the rows
   it was made from.
2. ``test_enriched_orders_on_a_real_broker``: the same topology run by ``KafkaStreams`` on a
   real broker with the pytest plugin's fixtures, the topics with different partition counts
   (a foreign-key join needs no co-partitioning).
"""

from __future__ import annotations

from typing import Any

from fk_join_orders import ENRICHED_STORE, build_topology, config

from kstreams import Serdes
from kstreams.testing import TopologyTestDriver

PEN = {"name": "Pen", "price": 1.5, "category_id": "c-1"}
INK = {"name": "Ink", "price": 4.0, "category_id": "c-2"}
OFFICE = {"name": "Office"}


def enriched(order: dict[str, Any], product: dict[str, Any], category: Any) -> dict[str, Any]:
    return {
        **order,
        "product": product["name"],
        "total": round(product["price"] * order["quantity"], 2),
        "category_id": product["category_id"],
        "category": None if category is None else category["name"],
    }


def test_enriched_orders_in_the_test_driver() -> None:
    string, json = Serdes.String(), Serdes.JSON()
    with TopologyTestDriver(build_topology(), config("unused:9092")) as driver:
        orders = driver.create_input_topic("orders", string, json)
        products = driver.create_input_topic("products", string, json)
        categories = driver.create_input_topic("categories", string, json)
        out = driver.create_output_topic("orders-enriched", string, json)

        o1 = {"product_id": "p-1", "quantity": 2}
        orders.pipe_input("o-1", o1, 1)
        assert out.is_empty()  # no product yet: an inner join waits
        categories.pipe_input("c-1", OFFICE, 2)
        products.pipe_input("p-1", PEN, 3)
        orders.pipe_input("o-2", {"product_id": "p-1", "quantity": 1}, 4)
        products.pipe_input("p-1", {**PEN, "price": 2.0}, 5)  # reaches both orders
        o1_ink = {"product_id": "p-2", "quantity": 2}
        orders.pipe_input("o-1", o1_ink, 6)  # to a product not there yet: deleted
        products.pipe_input("p-2", INK, 7)  # category c-2 unknown: left join
        categories.pipe_input("c-2", {"name": "Supplies"}, 8)
        orders.pipe_input("o-2", None, 9)
        products.pipe_input("p-2", None, 10)

        records = [(r.key, r.value, r.timestamp) for r in out.read_records_to_list()]
        pen2 = {**PEN, "price": 2.0}
        o2 = {"product_id": "p-1", "quantity": 1}
        assert records == [
            ("o-1", enriched(o1, PEN, OFFICE), 3),
            ("o-2", enriched(o2, PEN, OFFICE), 4),
            ("o-1", enriched(o1, pen2, OFFICE), 5),
            ("o-2", enriched(o2, pen2, OFFICE), 5),
            ("o-1", None, 6),
            ("o-1", enriched(o1_ink, INK, None), 7),
            ("o-1", enriched(o1_ink, INK, {"name": "Supplies"}), 8),
            ("o-2", None, 9),
            ("o-1", None, 10),
        ]
        store = driver.get_key_value_store(ENRICHED_STORE)
        assert list(store.all()) == []


def test_enriched_orders_on_a_real_broker(
    kafka_bootstrap, new_topic, produce, read_topic, streams_app
):
    # different partition counts: a foreign-key join needs no co-partitioning
    orders, products, categories = new_topic(partitions=3), new_topic(partitions=2), new_topic()
    output = new_topic(partitions=3)
    app_config = config(kafka_bootstrap)
    del app_config["application.id"]  # streams_app makes one of this test's own
    app = streams_app(build_topology(orders, products, categories, output), app_config)
    json = Serdes.JSON()
    produce(categories, [("c-1", OFFICE, 1)], value_serde=json)
    produce(products, [("p-1", PEN, 2), ("p-2", INK, 3)], value_serde=json)
    order_rows = [
        (f"o-{i}", {"product_id": f"p-{1 + i % 2}", "quantity": i}, 10 + i) for i in range(8)
    ]
    produce(orders, order_rows, value_serde=json)
    expected = {
        key: enriched(
            order,
            PEN if order["product_id"] == "p-1" else INK,
            OFFICE if order["product_id"] == "p-1" else None,
        )
        for key, order, _ in order_rows
    }

    def all_enriched() -> bool:
        records = read_topic(output, key_serde=Serdes.String(), value_serde=json)
        latest = dict(records)
        assert latest == expected
        return True

    app.run_until(all_enriched, timeout=90)
