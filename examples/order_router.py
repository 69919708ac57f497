"""Order router: a stateless kstreams application.

Reads JSON orders from ``orders``, drops cancelled ones, normalises the
country code and routes each order by value: large orders to
``orders-priority``, EU orders to ``orders-eu``, the rest to ``orders-other``.
Keys are order ids (String), values JSON.

Run it against a broker (topics must exist)::

    python examples/order_router.py --bootstrap-servers 127.0.0.1:9092
"""

from __future__ import annotations

import argparse
from typing import NamedTuple

from kstreams import (
    Branched,
    KafkaStreams,
    Named,
    Serdes,
    StreamsBuilder,
    Topology,
    wait_for_shutdown_signal,
)


class Topics(NamedTuple):
    """The router's topic names."""

    orders: str = "orders"
    priority: str = "orders-priority"
    eu: str = "orders-eu"
    other: str = "orders-other"

    @classmethod
    def with_suffix(cls, suffix: str) -> Topics:
        """The same names with ``-<suffix>`` appended (one set per demo run)."""
        return cls(*(f"{name}-{suffix}" for name in cls()))


DEFAULT_TOPICS = Topics()
EU_COUNTRIES = {"DE", "FR", "IT", "ES", "NL", "BE", "AT", "PL", "SE", "IE"}


def build_topology(topics: Topics = DEFAULT_TOPICS) -> Topology:
    """The router's topology."""
    builder = StreamsBuilder()
    orders = builder.stream(topics.orders, key_serde=Serdes.String(), value_serde=Serdes.JSON())
    branches = (
        orders.filter_not(lambda order_id, order: order.get("status") == "cancelled")
        .map_values(lambda order: {**order, "country": order["country"].strip().upper()})
        .split(Named.as_("route-"))
        .branch(lambda _id, order: order["amount"] >= 1000, Branched.as_("priority"))
        .branch(lambda _id, order: order["country"] in EU_COUNTRIES, Branched.as_("eu"))
        .default_branch(Branched.as_("other"))
    )
    branches["route-priority"].to(topics.priority)
    branches["route-eu"].to(topics.eu)
    branches["route-other"].to(topics.other)
    return builder.build()


def config(bootstrap_servers: str, application_id: str = "order-router") -> dict[str, object]:
    """The application's StreamsConfig."""
    return {
        "application.id": application_id,
        "bootstrap.servers": bootstrap_servers,
        "default.key.serde": Serdes.String,
        "default.value.serde": Serdes.JSON,
        "commit.interval.ms": 1000,
    }


def main() -> None:
    """Run until Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bootstrap-servers", default="127.0.0.1:9092")
    args = parser.parse_args()
    topology = build_topology()
    print(topology.describe())
    with KafkaStreams(topology, config(args.bootstrap_servers)) as streams:
        streams.start()
        wait_for_shutdown_signal()  # SIGTERM or Ctrl-C; leaving the block closes


if __name__ == "__main__":
    main()
