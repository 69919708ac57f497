"""Versioned stores and versioned tables (KIP-889 / KIP-914), against Java's TopologyTestDriver.

Table sources materialized with ``Stores.persistent_versioned_key_value_store``: what they
forward (out-of-order updates too, refused ones not), what ``group_by`` makes of them (it
skips out-of-order updates), their changelog (every version, byte for byte), and, through
the Processor API, what every store call returns (``put``'s validTo codes, ``get`` latest
and as of several times, ``delete``), as text. Java twins: the methods of
``VersionedScenarios.java`` named after the scenarios in camelCase.
"""

from __future__ import annotations

from typing import Any

from kstreams import Materialized, Processor, Record, Serdes, StreamsBuilder
from kstreams.state import Stores

from ..harness import pipes
from .common import SL, S, scenario

JAVA = "VersionedScenarios"
RETENTION = 10_000
"""History retention (and grace period) of the scenarios' stores: segments of 2 s."""
BYTES = ("ByteArray", "ByteArray")

# prices: out-of-order updates within the retention, a tombstone, an update older than the
# retention (refused, not forwarded), a repeated timestamp, a null key, a key first seen
# out of order, a tombstone for a key never seen
PRICES = [
    ("apple", "3", 1_000),
    ("pear", "5", 1_500),
    ("apple", "4", 3_000),
    ("apple", "2", 2_000),
    ("pear", None, 4_000),
    ("apple", "9", 3_000),
    ("fig", "1", 2_500),
    (None, "7", 5_000),
    ("apple", "6", 14_000),
    ("pear", "8", 3_500),
    ("kiwi", None, 6_000),
    ("apple", "1", 3_500),
    ("fig", "2", 15_000),
    ("apple", "5", 13_000),
]


def _versioned(name: str) -> Any:
    return Stores.persistent_versioned_key_value_store(name, RETENTION)


@scenario(
    inputs={"prices": S},
    steps=pipes("prices", PRICES),
    outputs={"out": S, "app-prices-store-changelog": BYTES},
    java_class=JAVA,
)
def versioned_table_to_stream(b: StreamsBuilder) -> None:
    b.table("prices", Materialized.as_(_versioned("prices-store"))).to_stream().to("out")


@scenario(
    inputs={"prices": S},
    steps=pipes("prices", PRICES),
    outputs={"out": SL},
    java_class=JAVA,
)
def versioned_table_group_by_count(b: StreamsBuilder) -> None:
    (
        b.table("prices", Materialized.as_(_versioned("prices-store")))
        .group_by(lambda fruit, price: (price, fruit))
        .count()
        .to_stream()
        .to("out", value_serde=Serdes.Long())
    )


@scenario(
    inputs={"prices": S},
    steps=pipes("prices", PRICES),
    outputs={"out": SL},
    java_class=JAVA,
)
def versioned_table_map_values_group_by(b: StreamsBuilder) -> None:
    (
        b.table("prices", Materialized.as_(_versioned("prices-store")))
        .map_values(lambda price: "p" + price)
        .group_by(lambda fruit, price: (price, fruit))
        .count()
        .to_stream()
        .to("out", value_serde=Serdes.Long())
    )


@scenario(
    inputs={"prices": S},
    steps=pipes("prices", PRICES),
    outputs={"out": S, "app-latest-changelog": BYTES},
    java_class=JAVA,
)
def versioned_to_table(b: StreamsBuilder) -> None:
    (
        b.stream("prices")
        .to_table(Materialized.as_(_versioned("latest")).with_caching_disabled())
        .to_stream()
        .to("out")
    )


class VersionedQueries(Processor):
    """Puts each record into versioned store "v" (value "DEL": deletes at its timestamp), then
    forwards what the call returned and what ``get`` answers (latest; as of several times)."""

    def init(self, context: Any) -> None:
        super().init(context)
        self.v = context.get_state_store("v")

    def process(self, record: Record) -> None:
        key, value, ts = record.key, record.value, record.timestamp
        v, fwd = self.v, self.context.forward
        result = _rec(v.delete(key, ts)) if value == "DEL" else str(v.put(key, value, ts))
        answers = [("result", result), ("latest", _rec(v.get(key)))]
        for at in (ts - 1, ts, ts + 1, 1_000, 2_500, 3_500, 12_000):
            answers.append((f"asof{at}", _rec(v.get(key, at))))
        for name, answer in answers:
            fwd(Record(f"{key}:{name}", answer, ts))


def _rec(r: Any) -> str:
    if r is None:
        return "null"
    valid_to = "-" if r.valid_to is None else str(r.valid_to)
    return f"{r.value}@{r.timestamp}/{valid_to}"


# puts across segments, out of order, tombstones (None and "DEL"), repeats, expired ones
STORE_RECORDS = [
    ("k", "a", 1_000),
    ("k", "b", 3_000),
    ("k", "c", 2_000),
    ("k", None, 2_500),
    ("k", "DEL", 3_500),
    ("k", "d", 3_200),
    ("j", "DEL", 1_500),
    ("j", "x", 1_200),
    ("k", "e", 12_000),
    ("k", "f", 1_999),
    ("j", "y", 2_500),
    ("k", "g", 14_500),
    ("k", "h", 4_000),
    ("j", "z", 4_600),
    ("k", "c2", 2_000),
]


@scenario(
    inputs={"in": S},
    steps=pipes("in", STORE_RECORDS),
    outputs={"out": S, "app-v-changelog": BYTES},
    java_class=JAVA,
)
def versioned_store_queries(b: StreamsBuilder) -> None:
    b.add_state_store(
        Stores.versioned_key_value_store_builder(
            Stores.persistent_versioned_key_value_store("v", RETENTION, 1_000),
            Serdes.String(),
            Serdes.String(),
        )
    )
    b.stream("in").process(VersionedQueries, "v").to("out")


@scenario(
    inputs={"prices": S},
    steps=pipes("prices", PRICES),
    outputs={"out": SL},
    java_class=JAVA,
)
def versioned_table_materialized_filter_group_by(b: StreamsBuilder) -> None:
    # a non-versioned materialization in between: group_by no longer skips out-of-order updates
    (
        b.table("prices", Materialized.as_(_versioned("prices-store")))
        .filter(lambda fruit, price: price != "9", Materialized.as_("plain"))
        .group_by(lambda fruit, price: (price, fruit))
        .count()
        .to_stream()
        .to("out", value_serde=Serdes.Long())
    )


@scenario(
    inputs={"in": S},
    steps=pipes("in", STORE_RECORDS),
    outputs={"out": S},
    java_class=JAVA,
)
def versioned_store_zero_retention_unlogged(b: StreamsBuilder) -> None:
    # no history at all: every out-of-order put is refused; no changelog topic
    b.add_state_store(
        Stores.versioned_key_value_store_builder(
            Stores.persistent_versioned_key_value_store("v", 0),
            Serdes.String(),
            Serdes.String(),
        ).with_logging_disabled()
    )
    b.stream("in").process(VersionedQueries, "v").to("out")
