"""KTable through the TopologyTestDriver: tables from topics and streams, filter, map_values,
to_stream, and re-grouping (``KTable.group_by``) with count / reduce / aggregate.

Expected outputs are Kafka Streams 4.4's for the same topology and input (TopologyTestDriver).
As in Kafka Streams, an unnamed source table has no store unless a downstream ``group_by``
needs its old values: its updates carry no old value, so a filter forwards a tombstone for
every filtered-out update; a named (materialized) source table lets the filter forward a
tombstone only when a row stops matching.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kstreams import (
    Consumed,
    Grouped,
    KeyValue,
    Materialized,
    Named,
    Serdes,
    StreamsBuilder,
)
from kstreams.state import ValueAndTimestamp
from kstreams.testing import TopologyTestDriver

APP = "app"
CONFIG = {
    "application.id": APP,
    "default.key.serde": Serdes.String,
    "default.value.serde": Serdes.String,
}
S, L = Serdes.String(), Serdes.Long()

# users -> country: u1 moves from DE to FR, is updated to FR again, u2 is deleted, u3 is
# deleted before it exists, a null key, and a late record
USERS = [
    ("u1", "DE", 10),
    ("u2", "DE", 20),
    ("u1", "FR", 15),
    ("u1", "FR", 25),
    ("u2", None, 30),
    ("u3", None, 35),
    (None, "DE", 40),
    ("u3", "US", 5),
]


def driver_for(build: Callable[[StreamsBuilder], None]) -> TopologyTestDriver:
    builder = StreamsBuilder()
    build(builder)
    return TopologyTestDriver(builder.build(), CONFIG)


def pipe(driver: TopologyTestDriver, records=USERS, topic: str = "users", value_serde=S) -> None:
    inp = driver.create_input_topic(topic, S, value_serde)
    for key, value, ts in records:
        inp.pipe_input(key, value, ts)


def read(
    driver: TopologyTestDriver, topic: str = "out", value_serde=S
) -> list[tuple[Any, Any, int]]:
    out = driver.create_output_topic(topic, S, value_serde)
    return [(r.key, r.value, r.timestamp) for r in out.read_records_to_list()]


def dropped(driver: TopologyTestDriver) -> int:
    return driver.metrics()["dropped-records-total"]


# -- builder.table ----------------------------------------------------------------------------


def test_table_to_stream_forwards_every_update_and_tombstone() -> None:
    with driver_for(lambda b: b.table("users").to_stream().to("out")) as driver:
        pipe(driver)

        assert read(driver) == [
            ("u1", "DE", 10),
            ("u2", "DE", 20),
            ("u1", "FR", 15),
            ("u1", "FR", 25),
            ("u2", None, 30),
            ("u3", None, 35),  # deleting an absent key forwards a tombstone too
            ("u3", "US", 5),
        ]
        assert dropped(driver) == 1  # the null key


def test_table_keeps_the_latest_value_per_key() -> None:
    with driver_for(lambda b: b.table("users", Materialized.as_("s"))) as driver:
        pipe(driver)

        store = driver.get_timestamped_key_value_store("s")
        # latest by arrival, not by timestamp: u3/US at 5 came last
        assert list(store.all()) == [
            ("u1", ValueAndTimestamp("FR", 25)),
            ("u3", ValueAndTimestamp("US", 5)),
        ]
        plain = driver.get_key_value_store("s")
        assert (plain.get("u1"), plain.get("u2"), plain.get("u3")) == ("FR", None, "US")


def test_unnamed_table_has_no_store() -> None:
    """Java: ``KTABLE-SOURCE-0000000002 (stores: [])``, nothing written but the output."""
    builder = StreamsBuilder()
    table = builder.table("users")
    table.to_stream().to("out")
    topology = builder.build()

    assert table.queryable_store_name is None
    assert topology.state_stores == {}
    with TopologyTestDriver(topology, CONFIG) as driver:
        pipe(driver)

        assert driver.produced_topic_names() == {"out"}
        assert driver.get_all_state_stores() == {}


def test_table_materialized_by_name() -> None:
    builder = StreamsBuilder()
    table = builder.table("users", materialized=Materialized.as_("users-store"))
    table.to_stream().to("out")

    assert table.queryable_store_name == "users-store"
    with TopologyTestDriver(builder.build(), CONFIG) as driver:
        pipe(driver)

        assert list(driver.get_key_value_store("users-store").all()) == [("u1", "FR"), ("u3", "US")]
        assert driver.produced_topic_names() == {"out", f"{APP}-users-store-changelog"}
        changelog = read(driver, f"{APP}-users-store-changelog")
        assert [(k, v) for k, v, _ in changelog] == [
            ("u1", "DE"),
            ("u2", "DE"),
            ("u1", "FR"),
            ("u1", "FR"),
            ("u2", None),
            # as Java's caching store: the delete of u3, which the store does not hold,
            # is neither written nor forwarded
            ("u3", "US"),
        ]
        assert [ts for k, v, ts in changelog if v is not None] == [10, 20, 15, 25, 5]


def test_table_changelog_tombstones_carry_the_record_timestamp() -> None:
    with driver_for(lambda b: b.table("users", materialized=Materialized.as_("s"))) as driver:
        pipe(driver)

        tombstones = [(k, ts) for k, v, ts in read(driver, f"{APP}-s-changelog") if v is None]
        # u3's delete at 35 deleted nothing: the caching store writes none (as Java's)
        assert tombstones == [("u2", 30)]


def test_table_with_serdes_and_logging_disabled() -> None:
    with driver_for(
        lambda b: (
            b.table(
                "scores",
                Consumed.with_(S, L),
                Materialized.as_("scores").with_logging_disabled(),
            )
            .to_stream()
            .to("out", value_serde=L)
        )
    ) as driver:
        pipe(driver, [("a", 1, 1), ("a", 5, 2)], topic="scores", value_serde=L)

        assert read(driver, value_serde=L) == [("a", 1, 1), ("a", 5, 2)]
        assert driver.produced_topic_names() == {"out"}
        assert driver.get_key_value_store("scores").get("a") == 5


def test_table_in_memory_store() -> None:
    with driver_for(
        lambda b: b.table("users", materialized=Materialized.as_("u").with_store_type("in_memory"))
    ) as driver:
        pipe(driver)

        store = driver.get_state_store("u")
        assert not store.persistent
        assert list(driver.get_key_value_store("u").all()) == [("u1", "FR"), ("u3", "US")]


def test_table_with_a_named_consumed() -> None:
    builder = StreamsBuilder()
    table = builder.table("users", Consumed.as_("users-src"))
    table.to_stream().to("out")
    topology = builder.build()

    assert table.name == "users-src"
    assert topology.nodes["users-src-source"].topics == ["users"]
    with TopologyTestDriver(topology, CONFIG) as driver:
        pipe(driver, USERS[:2])

        assert read(driver) == [("u1", "DE", 10), ("u2", "DE", 20)]


# -- filter / filter_not / map_values --------------------------------------------------------


def test_filter_of_an_unnamed_table_forwards_a_tombstone_for_every_filtered_out_update() -> None:
    """Kafka Streams 4.4.0: the table sends no old values, so the filter cannot tell whether a
    filtered-out key was in its result and forwards a tombstone each time."""
    with driver_for(
        lambda b: b.table("users").filter(lambda k, v: v == "DE").to_stream().to("out")
    ) as driver:
        pipe(driver)

        assert read(driver) == [
            ("u1", "DE", 10),
            ("u2", "DE", 20),
            ("u1", None, 15),
            ("u1", None, 25),
            ("u2", None, 30),
            ("u3", None, 35),
            ("u3", None, 5),
        ]


def test_filter_of_a_named_table_forwards_a_tombstone_when_a_row_stops_matching() -> None:
    """Kafka Streams 4.4.0: a materialized table sends old values to the filter."""
    with driver_for(
        lambda b: (
            b.table("users", Materialized.as_("s"))
            .filter(lambda k, v: v == "DE")
            .to_stream()
            .to("out")
        )
    ) as driver:
        pipe(driver)

        # u1 DE -> FR stops matching: tombstone; FR -> FR and US never matched: nothing
        assert read(driver) == [
            ("u1", "DE", 10),
            ("u2", "DE", 20),
            ("u1", None, 15),
            ("u2", None, 30),
        ]


def _users_table(b: StreamsBuilder, named: bool) -> Any:
    return b.table("users", Materialized.as_("s")) if named else b.table("users")


@pytest.mark.parametrize("named", [False, True])
def test_filter_predicate_sees_key_and_value(named: bool) -> None:
    """Kafka Streams 4.4.0 calls the predicate on the new value, then (when the table sends
    old values: it is materialized) on the old one: the same calls as here."""
    seen: list[tuple[str, str]] = []

    def predicate(key: str, value: str) -> bool:
        seen.append((key, value))
        return key == "u1"

    with driver_for(
        lambda b: _users_table(b, named).filter(predicate).to_stream().to("out")
    ) as driver:
        pipe(driver)

        if named:
            assert read(driver) == [("u1", "DE", 10), ("u1", "FR", 15), ("u1", "FR", 25)]
            assert seen == [
                ("u1", "DE"),
                ("u2", "DE"),
                ("u1", "FR"),
                ("u1", "DE"),
                ("u1", "FR"),
                ("u1", "FR"),
                ("u2", "DE"),
                ("u3", "US"),
            ]
        else:
            assert read(driver) == [
                ("u1", "DE", 10),
                ("u2", None, 20),
                ("u1", "FR", 15),
                ("u1", "FR", 25),
                ("u2", None, 30),
                ("u3", None, 35),
                ("u3", None, 5),
            ]
            assert seen == [("u1", "DE"), ("u2", "DE"), ("u1", "FR"), ("u1", "FR"), ("u3", "US")]


@pytest.mark.parametrize("named", [False, True])
def test_filter_not_and_key_aware_map_values(named: bool) -> None:
    """Kafka Streams 4.4.0, unnamed and named source table."""
    with driver_for(
        lambda b: (
            _users_table(b, named)
            .filter_not(lambda k, v: v == "DE")
            .map_values(lambda k, v: f"{k}:{v}")
            .to_stream()
            .to("out")
        )
    ) as driver:
        pipe(driver)

        matching = [("u1", "u1:FR", 15), ("u1", "u1:FR", 25), ("u3", "u3:US", 5)]
        if named:
            assert read(driver) == matching
        else:
            assert read(driver) == [
                ("u1", None, 10),
                ("u2", None, 20),
                *matching[:2],
                ("u2", None, 30),
                ("u3", None, 35),
                matching[2],
            ]


def test_map_values_maps_values_and_keeps_tombstones() -> None:
    with driver_for(
        lambda b: b.table("users").map_values(str.lower).to_stream().to("out")
    ) as driver:
        pipe(driver)

        assert read(driver) == [
            ("u1", "de", 10),
            ("u2", "de", 20),
            ("u1", "fr", 15),
            ("u1", "fr", 25),
            ("u2", None, 30),
            ("u3", None, 35),
            ("u3", "us", 5),
        ]


def test_map_values_with_key_keyword() -> None:
    with driver_for(
        lambda b: (
            b.table("users")
            .map_values(lambda *kv: "+".join(kv), with_key=True)
            .to_stream()
            .to("out")
        )
    ) as driver:
        pipe(driver, USERS[:1])

        assert read(driver) == [("u1", "u1+DE", 10)]


def test_named_table_operations() -> None:
    builder = StreamsBuilder()
    (
        builder.table("users")
        .filter(lambda k, v: True, Named.as_("keep"))
        .map_values(str.lower, Named.as_("lower"))
        .to_stream(Named.as_("changes"))
        .to("out")
    )
    topology = builder.build()

    assert {"keep", "lower", "changes"} <= set(topology.nodes)
    with TopologyTestDriver(topology, CONFIG) as driver:
        pipe(driver, USERS[:1])

        assert read(driver) == [("u1", "de", 10)]


# -- KStream.to_table ---------------------------------------------------------------------------


def test_stream_to_table() -> None:
    with driver_for(lambda b: b.stream("users").to_table().to_stream().to("out")) as driver:
        pipe(driver)

        assert read(driver) == [
            ("u1", "DE", 10),
            ("u2", "DE", 20),
            ("u1", "FR", 15),
            ("u1", "FR", 25),
            ("u2", None, 30),
            ("u3", None, 35),
            ("u3", "US", 5),
        ]
        assert dropped(driver) == 1
        assert driver.get_all_state_stores() == {}  # Java: no store for an unnamed to_table()


def test_stream_to_table_materialized() -> None:
    with driver_for(lambda b: b.stream("users").to_table(Materialized.as_("t"))) as driver:
        pipe(driver)

        assert driver.get_timestamped_key_value_store("t").get("u1") == ValueAndTimestamp("FR", 25)
        changelog = read(driver, f"{APP}-t-changelog")
        assert [(k, v) for k, v, _ in changelog] == [
            ("u1", "DE"),
            ("u2", "DE"),
            ("u1", "FR"),
            ("u1", "FR"),
            ("u2", None),
            ("u3", "US"),  # the delete of u3 deleted nothing: not written (as Java)
        ]


def test_stream_to_table_after_a_key_change_repartitions() -> None:
    """The topic is named after the to_table processor (Java: ``KSTREAM-TOTABLE-0000000002``)."""
    topic = f"{APP}-KSTREAM-TOTABLE-0000000002-repartition"
    with driver_for(
        lambda b: b.stream("users").select_key(lambda k, v: v).to_table().to_stream().to("out")
    ) as driver:
        pipe(driver)

        assert read(driver) == [
            ("DE", "DE", 10),
            ("DE", "DE", 20),
            ("FR", "FR", 15),
            ("FR", "FR", 25),
            ("DE", "DE", 40),
            ("US", "US", 5),
        ]
        assert topic in driver.produced_topic_names()
        # the two records whose new key is null: Java drops them without counting them
        assert dropped(driver) == 2


def test_named_stream_to_table_after_a_key_change() -> None:
    with driver_for(
        lambda b: (
            b.stream("users")
            .select_key(lambda k, v: v)
            .to_table(Named.as_("tt"), Materialized.as_("t"))
        )
    ) as driver:
        pipe(driver, USERS[:2])

        assert f"{APP}-tt-repartition" in driver.produced_topic_names()
        assert driver.get_key_value_store("t").get("DE") == "DE"


# -- KTable.group_by: count / reduce / aggregate -----------------------------------------------


def by_country(user: str, country: str) -> tuple[str, str]:
    return country, user


def test_group_by_count_moves_rows_between_groups() -> None:
    """user1 DE, user2 DE, user1 moves to FR -> DE=1, FR=1."""
    with driver_for(
        lambda b: b.table("users").group_by(by_country).count().to_stream().to("out", value_serde=L)
    ) as driver:
        pipe(driver)

        assert read(driver, value_serde=L) == [
            ("DE", 1, 10),
            ("DE", 2, 20),
            ("DE", 1, 20),  # u1 leaves DE (subtractor); the timestamp stays the group's max
            ("FR", 1, 15),  # ... and joins FR (adder)
            ("FR", 1, 25),  # u1 FR -> FR: one update, subtract and add (Kafka Streams 3.5+)
            ("DE", 0, 30),  # u2 deleted: its group is decremented, the count stays at 0
            ("US", 1, 5),
        ]
        store = driver.get_key_value_store("KTABLE-AGGREGATE-STATE-STORE-0000000004")
        assert list(store.all()) == [("DE", 0), ("FR", 1), ("US", 1)]
        assert driver.produced_topic_names() == {
            "out",
            f"{APP}-KTABLE-AGGREGATE-STATE-STORE-0000000004-repartition",
            f"{APP}-KTABLE-AGGREGATE-STATE-STORE-0000000004-changelog",
            f"{APP}-users-STATE-STORE-0000000000-changelog",
        }


def test_group_by_reduce_with_adder_and_subtractor() -> None:
    with driver_for(
        lambda b: (
            b.table("users")
            .group_by(by_country)
            .reduce(lambda agg, v: f"{agg}+{v}", lambda agg, v: f"{agg}-{v}")
            .to_stream()
            .to("out")
        )
    ) as driver:
        pipe(driver)

        assert read(driver) == [
            ("DE", "u1", 10),
            ("DE", "u1+u2", 20),
            ("DE", "u1+u2-u1", 20),
            ("FR", "u1", 15),
            ("FR", "u1-u1+u1", 25),
            ("DE", "u1+u2-u1-u2", 30),
            ("US", "u3", 5),
        ]


def test_group_by_reduce_sums() -> None:
    with driver_for(
        lambda b: (
            b.table("accounts", Consumed.with_(S, L))
            .group_by(lambda k, v: (k[:2], v), Grouped.with_(S, L))
            .reduce(lambda agg, v: agg + v, lambda agg, v: agg - v, Materialized.as_("totals"))
            .to_stream()
            .to("out", value_serde=L)
        )
    ) as driver:
        pipe(
            driver,
            [
                ("eu-1", 100, 1),
                ("eu-2", 50, 2),
                ("us-1", 10, 3),
                ("eu-1", 70, 4),
                ("eu-2", None, 5),
                ("eu-1", None, 6),
            ],
            topic="accounts",
            value_serde=L,
        )

        assert read(driver, value_serde=L) == [
            ("eu", 100, 1),
            ("eu", 150, 2),
            ("us", 10, 3),
            ("eu", 120, 4),
            ("eu", 70, 5),
            ("eu", 0, 6),
        ]
        assert list(driver.get_key_value_store("totals").all()) == [("eu", 0), ("us", 10)]


def test_group_by_aggregate_with_initializer_adder_and_subtractor() -> None:
    with driver_for(
        lambda b: (
            b.table("users")
            .group_by(by_country)
            .aggregate(lambda: "", lambda k, v, agg: f"{agg}+{v}", lambda k, v, agg: f"{agg}-{v}")
            .to_stream()
            .to("out")
        )
    ) as driver:
        pipe(driver)

        assert read(driver) == [
            ("DE", "+u1", 10),
            ("DE", "+u1+u2", 20),
            ("DE", "+u1+u2-u1", 20),
            ("FR", "+u1", 15),
            ("FR", "+u1-u1+u1", 25),
            ("DE", "+u1+u2-u1-u2", 30),
            ("US", "+u3", 5),
        ]


def test_group_by_aggregate_adder_and_subtractor_see_the_group_key() -> None:
    calls: list[tuple[str, str, str, int]] = []

    def adder(key: str, value: str, agg: int) -> int:
        calls.append(("add", key, value, agg))
        return agg + 1

    def subtractor(key: str, value: str, agg: int) -> int:
        calls.append(("sub", key, value, agg))
        return agg - 1

    with driver_for(
        lambda b: (
            b.table("users")
            .group_by(by_country)
            .aggregate(lambda: 0, adder, subtractor, Materialized.with_(value_serde=L))
        )
    ) as driver:
        pipe(driver, USERS[:4])

        assert calls == [
            ("add", "DE", "u1", 0),
            ("add", "DE", "u2", 1),
            ("sub", "DE", "u1", 2),
            ("add", "FR", "u1", 0),
            ("sub", "FR", "u1", 1),  # same group: subtract first, then add, in one update
            ("add", "FR", "u1", 0),
        ]


def test_group_by_selector_returning_a_null_key_skips_the_row() -> None:
    with driver_for(
        lambda b: (
            b.table("users")
            .group_by(lambda k, v: (None if v == "US" else v, k))
            .count()
            .to_stream()
            .to("out", value_serde=L)
        )
    ) as driver:
        pipe(driver)

        assert read(driver, value_serde=L) == [
            ("DE", 1, 10),
            ("DE", 2, 20),
            ("DE", 1, 20),
            ("FR", 1, 15),
            ("FR", 1, 25),
            ("DE", 0, 30),
        ]
        assert dropped(driver) == 1  # only the null key of the source; as Java


def test_filter_then_group_by() -> None:
    with driver_for(
        lambda b: (
            b.table("users")
            .filter(lambda k, v: v != "US")
            .group_by(by_country)
            .count()
            .to_stream()
            .to("out", value_serde=L)
        )
    ) as driver:
        pipe(driver)

        assert read(driver, value_serde=L) == [
            ("DE", 1, 10),
            ("DE", 2, 20),
            ("DE", 1, 20),
            ("FR", 1, 15),
            ("FR", 1, 25),
            ("DE", 0, 30),
        ]


def test_row_leaving_its_group_through_a_filter_is_subtracted() -> None:
    with driver_for(
        lambda b: (
            b.table("users")
            .filter(lambda k, v: v != "XX")
            .group_by(by_country)
            .count()
            .to_stream()
            .to("out", value_serde=L)
        )
    ) as driver:
        pipe(driver, [("u1", "DE", 1), ("u1", "XX", 2), ("u1", "DE", 3)])

        assert read(driver, value_serde=L) == [("DE", 1, 1), ("DE", 0, 2), ("DE", 1, 3)]


def test_group_by_with_grouped_name_and_materialized() -> None:
    with driver_for(
        lambda b: (
            b.table("users")
            .group_by(by_country, Grouped.as_("by-country"))
            .count(Named.as_("country-count"), Materialized.as_("country-store"))
            .to_stream()
            .to("out", value_serde=L)
        )
    ) as driver:
        pipe(driver, USERS[:3])

        assert read(driver, value_serde=L) == [
            ("DE", 1, 10),
            ("DE", 2, 20),
            ("DE", 1, 20),
            ("FR", 1, 15),
        ]
        assert driver.produced_topic_names() == {
            "out",
            f"{APP}-by-country-repartition",
            f"{APP}-country-store-changelog",
            f"{APP}-users-STATE-STORE-0000000000-changelog",
        }
        assert driver.get_timestamped_key_value_store("country-store").get("DE") == (1, 20)
        assert {"by-country", "country-count", "country-count-sink", "country-count-source"} <= set(
            driver.topology.nodes
        )


def test_group_by_of_an_aggregation_result() -> None:
    """Counts per word, then how many words have each count.

    Java differs: its KStreamAggregate sends the initializer's value (0) as the old value of a
    new key, so Java's output also has ``("0", None)`` tombstones at 1 and 2.
    """
    with driver_for(
        lambda b: (
            b.stream("words")
            .group_by_key()
            .count()
            .group_by(lambda word, n: (str(n), word), Grouped.with_(S, S))
            .count()
            .to_stream()
            .to("out", value_serde=L)
        )
    ) as driver:
        pipe(driver, [("a", "", 1), ("b", "", 2), ("a", "", 3)], topic="words")

        assert read(driver, value_serde=L) == [("1", 1, 1), ("1", 2, 2), ("1", 1, 3), ("2", 1, 3)]


def test_group_by_serdes_by_keyword() -> None:
    with driver_for(
        lambda b: (
            b.table("users")
            .group_by(lambda k, v: (len(v), k), key_serde=Serdes.Integer(), value_serde=S)
            .count(Materialized.as_("by-length"))
        )
    ) as driver:
        pipe(driver)

        assert list(driver.get_key_value_store("by-length").all()) == [(2, 2)]


def test_ktable_group_by_repartition_record_holds_old_and_new() -> None:
    """The repartition topic carries the change (kstreams' own format), one record per group."""
    from kstreams.processor.change import Change, ChangeSerde

    with driver_for(lambda b: b.table("users").group_by(by_country).count()) as driver:
        pipe(driver, USERS[:4])

        topic = f"{APP}-KTABLE-AGGREGATE-STATE-STORE-0000000004-repartition"
        out = driver.create_output_topic(topic, S, ChangeSerde(S))
        assert out.read_key_values_to_list() == [
            KeyValue("DE", Change("u1", None)),
            KeyValue("DE", Change("u2", None)),
            KeyValue("DE", Change(None, "u1")),
            KeyValue("FR", Change("u1", None)),
            KeyValue("FR", Change("u1", "u1")),
        ]


def test_aggregations_of_a_named_table_grouping_share_its_repartition_topic() -> None:
    builder = StreamsBuilder()
    grouped = builder.table("users").group_by(by_country, Grouped.as_("g"))
    grouped.count().to_stream().to("counts", value_serde=L)
    grouped.reduce(lambda agg, v: f"{agg}+{v}", lambda agg, v: f"{agg}-{v}").to_stream().to(
        "reduced"
    )
    with TopologyTestDriver(builder.build(), CONFIG) as driver:
        pipe(driver, USERS[:3])

        assert read(driver, "counts", L) == [
            ("DE", 1, 10),
            ("DE", 2, 20),
            ("DE", 1, 20),
            ("FR", 1, 15),
        ]
        assert read(driver, "reduced") == [
            ("DE", "u1", 10),
            ("DE", "u1+u2", 20),
            ("DE", "u1+u2-u1", 20),
            ("FR", "u1", 15),
        ]
        assert [k for k, _, _ in read(driver, f"{APP}-g-repartition")] == ["DE", "DE", "DE", "FR"]


def test_repartitioned_rows_keep_the_timestamp_extracted_at_the_source() -> None:
    def from_value(record: Any, partition_time: int) -> int:
        return int(record.value.split("@")[1])

    builder = StreamsBuilder()
    (
        builder.table("users")
        .map_values(lambda v: v.split("@")[0])
        .group_by(by_country)
        .count()
        .to_stream()
        .to("out", value_serde=L)
    )
    config = {**CONFIG, "default.timestamp.extractor": from_value}
    with TopologyTestDriver(builder.build(), config) as driver:
        pipe(driver, [("u1", "DE@100", 1), ("u2", "DE@50", 2)])

        assert read(driver, value_serde=L) == [("DE", 1, 100), ("DE", 2, 100)]
