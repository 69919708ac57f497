"""KTable-KTable joins on a real broker: at-least-once and exactly_once_v2, and a restart.

Orders (order id -> order) are left-joined with order statuses (order id -> status) into a
materialized table, which is regrouped by status and summed with a subtractor: the totals are
right only if the join forwards each order's previous joined row as the old value. After a
restart on an empty state directory every store (both source tables, the joined table, the
sums) is restored from its changelog; later updates then subtract what the restored stores say.
"""

from __future__ import annotations

from typing import Any

import pytest

from kstreams import Grouped, Materialized, Serdes, StreamsBuilder
from kstreams.serde import JsonSerde

pytestmark = pytest.mark.integration

J = JsonSerde()
CONFIG = {"default.key.serde": Serdes.String, "default.value.serde": Serdes.String, "poll.ms": 50}


def topology(orders: str, status: str, out: str, totals: str) -> Any:
    b = StreamsBuilder()
    order_table = b.table(orders, value_serde=J)
    status_table = b.table(status)
    enriched = order_table.left_join(
        status_table,
        lambda order, st: {**order, "status": st},
        Materialized.as_("enriched").with_value_serde(J),
    )
    enriched.to_stream().to(out, value_serde=J)
    (
        enriched.group_by(
            lambda k, v: (v["status"] or "none", v["amount"]),
            Grouped.with_(Serdes.String(), Serdes.Long()),
        )
        .reduce(
            lambda a, v: a + v,
            lambda a, v: a - v,
            Materialized.as_("per-status").with_value_serde(Serdes.Long()),
        )
        .to_stream()
        .to(totals, value_serde=Serdes.Long())
    )
    return b.build()


@pytest.mark.parametrize("guarantee", ["at_least_once", "exactly_once_v2"])
def test_left_join_regrouped_across_restart(
    new_topic, produce, read_topic, streams_app, guarantee: str
) -> None:
    orders, status = new_topic(partitions=2), new_topic(partitions=2)
    out, totals = new_topic(partitions=2), new_topic(partitions=2)
    config = {**CONFIG, "processing.guarantee": guarantee}

    def latest(topic: str, serde: Any) -> dict[str, Any]:
        return dict(read_topic(topic, key_serde=Serdes.String(), value_serde=serde))

    def until(expected_out: dict[str, Any], expected_totals: dict[str, int], app: Any) -> None:
        app.run_until(
            lambda: (
                latest(out, J) == expected_out and latest(totals, Serdes.Long()) == expected_totals
            ),
            what=lambda: (
                f"joined {expected_out} and totals {expected_totals} "
                f"(last read {latest(out, J)}, {latest(totals, Serdes.Long())})"
            ),
        )

    app = streams_app(topology(orders, status, out, totals), config)
    produce(
        orders,
        [("o1", {"amount": 10}), ("o2", {"amount": 5}), ("o3", {"amount": 7})],
        value_serde=J,
    )
    produce(status, [("o1", "paid"), ("o3", "open"), ("o9", "paid")])
    until(
        {
            "o1": {"amount": 10, "status": "paid"},
            "o2": {"amount": 5, "status": None},
            "o3": {"amount": 7, "status": "open"},
        },
        {"paid": 10, "none": 5, "open": 7},
        app,
    )
    assert app.streams.store("enriched").get("o2") == {"amount": 5, "status": None}
    app.close()

    restarted = streams_app(
        topology(orders, status, out, totals), {**config, "application.id": app.application_id}
    )
    assert restarted.config["state.dir"] != app.config["state.dir"]
    assert restarted.streams.store("enriched").get("o1") == {"amount": 10, "status": "paid"}
    assert restarted.streams.store("per-status").get("open") == 7
    produce(status, [("o3", "paid"), ("o1", None)])
    produce(orders, [("o2", {"amount": 6}), ("o3", None)], value_serde=J)
    until(
        {
            "o1": {"amount": 10, "status": None},
            "o2": {"amount": 6, "status": None},
            "o3": None,
        },
        {"paid": 0, "none": 16, "open": 0},
        restarted,
    )
    assert restarted.streams.store("enriched").get("o3") is None
