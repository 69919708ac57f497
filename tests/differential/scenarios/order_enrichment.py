"""examples/order_enrichment.py's topology; twins in OrderEnrichmentScenarios.java.

A stream-table left join (orders with their customer), a re-key (a repartition topic named
after the ``StreamJoined``), then a windowed stream-stream join with payments (asymmetric
``JoinWindows`` with grace, named stores), JSON values. The steps are the example test's: a
customer update after some orders, an unknown customer, a payment stamped before its order,
one arriving before its order, one outside the window, one of no order, a null-key order (the
left join keeps it), a null-key payment (dropped and counted), and an order and its payment
older than the join stores' retention.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from kstreams import Joined, JoinWindows, Materialized, Serdes, StreamJoined, StreamsBuilder

from ..harness import Pipe, StoreQuery
from .common import SJ
from .common import scenario as _scenario

MIN = 60_000


def scenario(**data: Any) -> Any:
    """A scenario whose Java twin is in ``OrderEnrichmentScenarios.java``."""
    return _scenario(java_class="OrderEnrichmentScenarios", **data)


def _order(order_id: str, customer: str | None, amount: float) -> dict[str, Any]:
    return {"order_id": order_id, "customer_id": customer, "amount": amount}


def _payment(order_id: str, amount: float, method: str) -> dict[str, Any]:
    return {"order_id": order_id, "amount": amount, "method": method}


STEPS = [
    Pipe("customers", "c-1", {"name": "Ada", "tier": "gold"}, 0),
    Pipe("customers", "c-2", {"name": "Bob", "tier": "silver"}, 0),
    Pipe("orders", "c-1", _order("o-1", "c-1", 40.0), 1 * MIN),
    Pipe("orders", "c-2", _order("o-2", "c-2", 30.0), 2 * MIN),
    Pipe("orders", "c-9", _order("o-3", "c-9", 10.0), 3 * MIN),
    Pipe("orders", "c-1", _order("o-4", "c-1", 25.0), 4 * MIN),
    Pipe("customers", "c-1", {"name": "Ada", "tier": "platinum"}, 5 * MIN),
    Pipe("payments", "o-3", _payment("o-3", 10.0, "card"), 3 * MIN - 30_000),
    Pipe("payments", "o-1", _payment("o-1", 40.0, "paypal"), 6 * MIN),
    Pipe("payments", "o-2", _payment("o-2", 30.0, "card"), 13 * MIN),
    Pipe("payments", "o-8", _payment("o-8", 5.0, "card"), 13 * MIN),
    Pipe("payments", "o-5", _payment("o-5", 50.0, "card"), 6 * MIN - 1),
    Pipe("orders", "c-1", _order("o-5", "c-1", 99.0), 6 * MIN),
    Pipe("orders", None, _order("o-6", None, 5.0), 7 * MIN),
    Pipe("payments", "o-6", _payment("o-6", 5.0, "card"), 7 * MIN + 1),
    Pipe("payments", None, _payment("o-6", 5.0, "card"), 7 * MIN + 2),
    Pipe("payments", "o-4", _payment("o-4", 20.0, "transfer"), 14 * MIN),
    # stream time 100 min: a payment and its order 20 and 25 minutes older than that are past
    # the stores' retention (12 minutes)
    Pipe("payments", "o-9", _payment("o-9", 5.0, "card"), 100 * MIN),
    Pipe("payments", "o-7", _payment("o-7", 5.0, "card"), 80 * MIN),
    Pipe("orders", "c-2", _order("o-7", "c-2", 5.0), 75 * MIN),
]


def with_customer(order: dict[str, Any], customer: dict[str, Any] | None) -> dict[str, Any]:
    return {**order, "customer": customer}


def with_payment(order: dict[str, Any], payment: dict[str, Any]) -> dict[str, Any]:
    return {
        **order,
        "payment": {"amount": payment["amount"], "method": payment["method"]},
        "paid_in_full": payment["amount"] >= order["amount"],
    }


@scenario(
    inputs={"customers": SJ, "orders": SJ, "payments": SJ},
    steps=STEPS,
    outputs={"paid-orders": SJ},
    stores=(StoreQuery("customers", "String", "JSON", gets=("c-1", "c-2", "c-9")),),
)
def order_enrichment(b: StreamsBuilder) -> None:
    string, json = Serdes.String(), Serdes.JSON()
    customers = b.table(
        "customers", Materialized.as_("customers").with_key_serde(string).with_value_serde(json)
    )
    payments = b.stream("payments", key_serde=string, value_serde=json)
    windows = JoinWindows.of_time_difference_and_grace(
        timedelta(minutes=10), timedelta(minutes=1)
    ).before(timedelta(minutes=1))
    (
        b.stream("orders", key_serde=string, value_serde=json)
        .left_join(customers, with_customer, Joined.with_(string, json, json))
        .select_key(lambda _customer, order: order["order_id"])
        .join(
            payments,
            with_payment,
            windows,
            StreamJoined.with_(string, json, json)
            .with_name("order-payments")
            .with_store_name("order-payments"),
        )
        .to("paid-orders", key_serde=string, value_serde=json)
    )
