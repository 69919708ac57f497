"""KGroupedStream ``count`` / ``reduce`` / ``aggregate`` through the TopologyTestDriver.

Expected outputs are Kafka Streams 4.4's for the same topology and input (its
TopologyTestDriver commits after every record, so the record caches forward every update
made by a different record; ``test_state_caching`` covers the merging). Result timestamps are the largest timestamp that contributed
to the aggregate. Where kstreams deliberately differs, the test says so.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kstreams import (
    Grouped,
    KeyValue,
    Materialized,
    Named,
    Serdes,
    StreamsBuilder,
    StreamsError,
)
from kstreams.state import TimestampedKeyValueStore, ValueAndTimestamp
from kstreams.state.builders import InMemoryKeyValueBytesStoreSupplier
from kstreams.testing import TestRecord, TopologyTestDriver

APP = "app"
CONFIG = {
    "application.id": APP,
    "default.key.serde": Serdes.String,
    "default.value.serde": Serdes.String,
}
S, L = Serdes.String(), Serdes.Long()

# (key, value, timestamp): out of order, a null key and a null value
RECORDS = [
    ("a", "x", 10),
    ("b", "y", 5),
    ("a", "z", 3),
    (None, "v", 20),
    ("a", None, 30),
    ("b", "w", 7),
]


def driver_for(build: Callable[[StreamsBuilder], None], **config: Any) -> TopologyTestDriver:
    builder = StreamsBuilder()
    build(builder)
    return TopologyTestDriver(builder.build(), {**CONFIG, **config})


def pipe(driver: TopologyTestDriver, records=RECORDS, topic: str = "in") -> None:
    inp = driver.create_input_topic(topic, S, S)
    for key, value, ts in records:
        inp.pipe_input(key, value, ts)


def read(driver: TopologyTestDriver, topic: str, value_serde=L) -> list[tuple[Any, Any, int]]:
    out = driver.create_output_topic(topic, S, value_serde)
    return [(r.key, r.value, r.timestamp) for r in out.read_records_to_list()]


def dropped(driver: TopologyTestDriver) -> int:
    return driver.metrics()["dropped-records-total"]


def load_example(name: str):
    path = Path(__file__).resolve().parents[2] / "examples" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- after group_by_key: no repartition ---------------------------------------------------------


def test_count_after_group_by_key() -> None:
    with driver_for(
        lambda b: (
            b.stream("in")
            .group_by_key()
            .count(Materialized.as_("counts"))
            .to_stream()
            .to("out", value_serde=L)
        )
    ) as driver:
        pipe(driver)

        # the timestamp of a result is the largest that contributed: a/3 keeps 10
        assert read(driver, "out") == [("a", 1, 10), ("b", 1, 5), ("a", 2, 10), ("b", 2, 7)]
        assert dropped(driver) == 2  # the null key and the null value
        assert driver.produced_topic_names() == {"out", f"{APP}-counts-changelog"}

        plain = driver.get_key_value_store("counts")
        assert (plain.get("a"), plain.get("b"), plain.get("c")) == (2, 2, None)
        assert list(plain.all()) == [("a", 2), ("b", 2)]
        timestamped = driver.get_timestamped_key_value_store("counts")
        assert timestamped.get("a") == ValueAndTimestamp(2, 10)
        assert list(timestamped.all()) == [("a", ValueAndTimestamp(2, 10)), ("b", (2, 7))]


def test_reduce_after_group_by_key() -> None:
    with driver_for(
        lambda b: b.stream("in").group_by_key().reduce(lambda agg, v: agg + v).to_stream().to("out")
    ) as driver:
        pipe(driver)

        assert read(driver, "out", S) == [
            ("a", "x", 10),
            ("b", "y", 5),
            ("a", "xz", 10),
            ("b", "yw", 7),
        ]
        assert dropped(driver) == 2
        assert f"{APP}-KSTREAM-REDUCE-STATE-STORE-0000000001-changelog" in (
            driver.produced_topic_names()
        )
        store = driver.get_key_value_store("KSTREAM-REDUCE-STATE-STORE-0000000001")
        assert list(store.all()) == [("a", "xz"), ("b", "yw")]


def test_aggregate_after_group_by_key() -> None:
    with driver_for(
        lambda b: (
            b.stream("in")
            .group_by_key()
            .aggregate(lambda: "", lambda key, value, agg: agg + value)
            .to_stream()
            .to("out")
        )
    ) as driver:
        pipe(driver)

        assert read(driver, "out", S) == [
            ("a", "x", 10),
            ("b", "y", 5),
            ("a", "xz", 10),
            ("b", "yw", 7),
        ]
        assert dropped(driver) == 2
        store = driver.get_key_value_store("KSTREAM-AGGREGATE-STATE-STORE-0000000001")
        assert list(store.all()) == [("a", "xz"), ("b", "yw")]


def test_aggregator_sees_key_value_and_aggregate_and_initializer_runs_per_new_key() -> None:
    calls: list[tuple[Any, Any, Any]] = []
    inits: list[int] = []

    def initializer() -> list[str]:
        inits.append(1)
        return []

    def aggregator(key: str, value: str, agg: list[str]) -> list[str]:
        calls.append((key, value, list(agg)))
        return [*agg, value]

    with driver_for(
        lambda b: (
            b.stream("in")
            .group_by_key()
            .aggregate(initializer, aggregator, Materialized.with_(value_serde=Serdes.JSON()))
            .to_stream()
            .to("out", value_serde=Serdes.JSON())
        )
    ) as driver:
        pipe(driver, [("a", "1", 1), ("b", "2", 2), ("a", "3", 3)])

        assert calls == [("a", "1", []), ("b", "2", []), ("a", "3", ["1"])]
        assert len(inits) == 2
        assert read(driver, "out", Serdes.JSON()) == [
            ("a", ["1"], 1),
            ("b", ["2"], 2),
            ("a", ["1", "3"], 3),
        ]


def test_aggregate_with_materialized_serdes() -> None:
    """The aggregate's serde comes from Materialized (Long sums over String input)."""
    with driver_for(
        lambda b: (
            b.stream("in")
            .group_by_key()
            .aggregate(
                lambda: 0,
                lambda key, value, total: total + len(value),
                Materialized.as_("lengths").with_key_serde(S).with_value_serde(L),
            )
            .to_stream()
            .to("out", value_serde=L)
        )
    ) as driver:
        pipe(driver)

        assert read(driver, "out") == [("a", 1, 10), ("b", 1, 5), ("a", 2, 10), ("b", 2, 7)]
        # the changelog is written with the store's serdes
        assert read(driver, f"{APP}-lengths-changelog") == [
            ("a", 1, 10),
            ("b", 1, 5),
            ("a", 2, 10),
            ("b", 2, 7),
        ]
        assert driver.get_key_value_store("lengths").get("a") == 2


def test_aggregate_without_a_value_serde_for_the_aggregate_fails_to_serialize() -> None:
    """No Materialized serde: the default value serde (String) cannot write an int."""
    with (
        driver_for(
            lambda b: b.stream("in").group_by_key().aggregate(lambda: 0, lambda k, v, n: n + 1)
        ) as driver,
        pytest.raises(StreamsError),
    ):
        pipe(driver, [("a", "x", 1)])


def test_reduce_with_materialized_value_serde() -> None:
    with driver_for(
        lambda b: (
            b.stream("in", value_serde=L)
            .group_by_key()
            .reduce(max, Materialized.as_("max").with_value_serde(L))
            .to_stream()
            .to("out", value_serde=L)
        )
    ) as driver:
        inp = driver.create_input_topic("in", S, L)
        for key, value, ts in [("a", 5, 1), ("a", 3, 2), ("a", 9, 3), ("b", 1, 4)]:
            inp.pipe_input(key, value, ts)

        assert read(driver, "out") == [("a", 5, 1), ("a", 5, 2), ("a", 9, 3), ("b", 1, 4)]
        assert list(driver.get_key_value_store("max").all()) == [("a", 9), ("b", 1)]


def test_result_timestamp_is_the_largest_contributing_timestamp() -> None:
    with driver_for(
        lambda b: b.stream("in").group_by_key().count().to_stream().to("out", value_serde=L)
    ) as driver:
        pipe(driver, [("k", "v", 50), ("k", "v", 20), ("k", "v", 60), ("k", "v", 0)])

        assert read(driver, "out") == [("k", 1, 50), ("k", 2, 50), ("k", 3, 60), ("k", 4, 60)]


def test_aggregation_output_keeps_the_input_headers() -> None:
    with driver_for(
        lambda b: b.stream("in").group_by_key().count().to_stream().to("out", value_serde=L)
    ) as driver:
        driver.create_input_topic("in", S, S).pipe_input(TestRecord("k", "v", 5, [("h", b"1")]))

        record = driver.create_output_topic("out", S, L).read_record()
        assert record == TestRecord("k", 1, 5, [("h", b"1")])


# -- Materialized: name, store type, logging ----------------------------------------------------


def test_count_with_generated_store_name_is_reachable() -> None:
    with driver_for(lambda b: b.stream("in").group_by_key().count()) as driver:
        pipe(driver)

        store = driver.get_key_value_store("KSTREAM-AGGREGATE-STATE-STORE-0000000001")
        assert list(store.all()) == [("a", 2), ("b", 2)]


def test_count_materialized_positionally() -> None:
    with driver_for(lambda b: b.stream("in").group_by_key().count(Materialized.as_("c"))) as driver:
        pipe(driver)

        assert list(driver.get_key_value_store("c").all()) == [("a", 2), ("b", 2)]


def test_count_named_names_the_processor_and_keeps_a_generated_store() -> None:
    builder = StreamsBuilder()
    builder.stream("in").group_by_key().count(Named.as_("counter")).to_stream().to("out")
    topology = builder.build()

    assert topology.nodes["counter"].stores == ["KSTREAM-AGGREGATE-STATE-STORE-0000000001"]
    with TopologyTestDriver(topology, CONFIG) as driver:
        pipe(driver)

        assert read(driver, "out")[-1] == ("b", 2, 7)
        store = driver.get_key_value_store("KSTREAM-AGGREGATE-STATE-STORE-0000000001")
        assert store.get("a") == 2


@pytest.mark.parametrize(
    "args",
    [
        (Named.as_("counter"), Materialized.as_("c")),
        (Materialized.as_("c"), Named.as_("counter")),
        ("counter", Materialized.as_("c")),
    ],
    ids=["named-materialized", "materialized-named", "str-materialized"],
)
def test_count_named_and_materialized_in_either_order(args: tuple[Any, Any]) -> None:
    builder = StreamsBuilder()
    builder.stream("in").group_by_key().count(*args)
    topology = builder.build()

    assert topology.nodes["counter"].stores == ["c"]


def test_count_rejects_other_option_objects() -> None:
    with pytest.raises(TypeError, match="Named or Materialized"):
        StreamsBuilder().stream("in").group_by_key().count(Grouped.as_("g"))


def test_in_memory_store_type() -> None:
    with driver_for(
        lambda b: (
            b.stream("in")
            .group_by_key()
            .count(Materialized.as_("counts").with_store_type("in_memory"))
            .to_stream()
            .to("out", value_serde=L)
        )
    ) as driver:
        pipe(driver)

        store = driver.get_timestamped_key_value_store("counts")
        assert isinstance(store, TimestampedKeyValueStore)
        assert not store.persistent
        assert isinstance(
            driver.topology.state_stores["counts"].supplier, InMemoryKeyValueBytesStoreSupplier
        )
        assert list(store.all()) == [("a", (2, 10)), ("b", (2, 7))]
        assert read(driver, "out") == [("a", 1, 10), ("b", 1, 5), ("a", 2, 10), ("b", 2, 7)]
        assert f"{APP}-counts-changelog" in driver.produced_topic_names()


def test_default_store_type_is_persistent() -> None:
    with driver_for(lambda b: b.stream("in").group_by_key().count(Materialized.as_("c"))) as driver:
        assert driver.get_state_store("c").persistent


def test_logging_disabled_writes_no_changelog() -> None:
    with driver_for(
        lambda b: (
            b.stream("in")
            .group_by_key()
            .count(Materialized.as_("counts").with_logging_disabled())
            .to_stream()
            .to("out", value_serde=L)
        )
    ) as driver:
        pipe(driver)

        assert driver.produced_topic_names() == {"out"}
        assert driver.get_state_store("counts").changelog_topic is None
        assert driver.get_key_value_store("counts").get("a") == 2


def test_changelog_gets_the_latest_value_per_key_after_each_record() -> None:
    with driver_for(
        lambda b: b.stream("in").group_by_key().count(Materialized.as_("counts"))
    ) as driver:
        pipe(driver)

        assert read(driver, f"{APP}-counts-changelog") == [
            ("a", 1, 10),
            ("b", 1, 5),
            ("a", 2, 10),
            ("b", 2, 7),
        ]
        assert driver.get_state_store("counts").changelog_topic == f"{APP}-counts-changelog"


def test_logging_config_is_kept_for_the_changelog_topic() -> None:
    builder = StreamsBuilder()
    builder.stream("in").group_by_key().count(
        Materialized.as_("counts").with_logging_enabled({"retention.ms": "1000"})
    )
    store_builder = builder.build().state_stores["counts"]

    assert store_builder.logging_enabled
    assert store_builder.log_config == {"retention.ms": "1000"}


def test_materialized_rejects_unknown_store_types_and_empty_names() -> None:
    from kstreams import TopologyError

    with pytest.raises(TopologyError, match="Unknown store type"):
        Materialized.as_("x").with_store_type("lmdb")
    with pytest.raises(TopologyError, match="must not be empty"):
        Materialized.as_("")


# -- after a key change: repartition ------------------------------------------------------------


def first_letter(key: Any, value: Any) -> Any:
    return None if value is None or value == "v" else value[0]


def test_group_by_repartitions_through_the_store_named_topic() -> None:
    topic = f"{APP}-KSTREAM-AGGREGATE-STATE-STORE-0000000002-repartition"
    with driver_for(
        lambda b: b.stream("in").group_by(first_letter).count().to_stream().to("out", value_serde=L)
    ) as driver:
        pipe(driver)

        assert read(driver, "out") == [("x", 1, 10), ("y", 1, 5), ("z", 1, 3), ("w", 1, 7)]
        assert read(driver, topic, S) == [
            ("x", "x", 10),
            ("y", "y", 5),
            ("z", "z", 3),
            ("w", "w", 7),
        ]
        assert driver.produced_topic_names() == {
            "out",
            topic,
            f"{APP}-KSTREAM-AGGREGATE-STATE-STORE-0000000002-changelog",
        }
        # kstreams counts the records whose new key is null, dropped before the repartition
        # topic (Java drops them without counting: its dropped-records-total is 0 here)
        assert dropped(driver) == 2


def test_null_values_cross_the_repartition_topic_and_are_dropped_by_the_aggregation() -> None:
    topic = f"{APP}-KSTREAM-AGGREGATE-STATE-STORE-0000000002-repartition"
    with driver_for(
        lambda b: (
            b.stream("in").group_by(lambda k, v: k).count().to_stream().to("out", value_serde=L)
        )
    ) as driver:
        pipe(driver)

        assert read(driver, "out") == [("a", 1, 10), ("b", 1, 5), ("a", 2, 10), ("b", 2, 7)]
        assert read(driver, topic, S) == [
            ("a", "x", 10),
            ("b", "y", 5),
            ("a", "z", 3),
            ("a", None, 30),
            ("b", "w", 7),
        ]
        assert dropped(driver) == 2  # Java: 1 (the null value; the null key is not counted)


def test_select_key_then_group_by_key_repartitions() -> None:
    with driver_for(
        lambda b: (
            b.stream("in")
            .select_key(lambda k, v: v)
            .group_by_key()
            .reduce(lambda agg, v: agg + v)
            .to_stream()
            .to("out")
        )
    ) as driver:
        pipe(driver, [("1", "a", 1), ("2", "b", 2), ("3", "a", 3)])

        assert read(driver, "out", S) == [("a", "a", 1), ("b", "b", 2), ("a", "aa", 3)]
        assert f"{APP}-KSTREAM-REDUCE-STATE-STORE-0000000002-repartition" in (
            driver.produced_topic_names()
        )


def test_map_then_group_by_key_with_grouped_name() -> None:
    with driver_for(
        lambda b: (
            b.stream("in")
            .map(lambda k, v: (v, k))
            .group_by_key(Grouped.as_("rekey"))
            .count()
            .to_stream()
            .to("out", value_serde=L)
        )
    ) as driver:
        pipe(driver, [("1", "a", 1), ("2", "b", 2), ("3", "a", 3)])

        assert read(driver, "out") == [("a", 1, 1), ("b", 1, 2), ("a", 2, 3)]
        assert read(driver, f"{APP}-rekey-repartition", S) == [
            ("a", "1", 1),
            ("b", "2", 2),
            ("a", "3", 3),
        ]


def test_grouped_name_names_the_repartition_topic() -> None:
    with driver_for(
        lambda b: (
            b.stream("in")
            .group_by(lambda k, v: v, Grouped.as_("by-word"))
            .count(Materialized.as_("counts"))
        )
    ) as driver:
        pipe(driver, [("1", "a", 1)])

        assert driver.produced_topic_names() == {
            f"{APP}-by-word-repartition",
            f"{APP}-counts-changelog",
        }


def test_store_name_names_the_repartition_topic_without_a_grouped_name() -> None:
    with driver_for(
        lambda b: b.stream("in").group_by(lambda k, v: v).count(Materialized.as_("counts"))
    ) as driver:
        pipe(driver, [("1", "a", 1)])

        assert driver.produced_topic_names() == {
            f"{APP}-counts-repartition",
            f"{APP}-counts-changelog",
        }


def test_group_by_key_without_key_change_ignores_the_grouped_name() -> None:
    with driver_for(
        lambda b: b.stream("in").group_by_key(Grouped.as_("unused")).count(Materialized.as_("c"))
    ) as driver:
        pipe(driver, [("1", "a", 1)])

        assert driver.produced_topic_names() == {f"{APP}-c-changelog"}


def test_grouped_serdes_write_the_repartition_topic() -> None:
    with driver_for(
        lambda b: (
            b.stream("in")
            .group_by(lambda k, v: len(v), Grouped.with_(Serdes.Integer(), S))
            .count(Materialized.as_("by-length"))
            .to_stream()
            .to("out", key_serde=Serdes.Integer(), value_serde=L)
        )
    ) as driver:
        pipe(driver, [("1", "ab", 1), ("2", "cd", 2), ("3", "efg", 3)])

        out = driver.create_output_topic("out", Serdes.Integer(), L)
        assert out.read_key_values_to_list() == [KeyValue(2, 1), KeyValue(2, 2), KeyValue(3, 1)]
        repartition = driver.create_output_topic(
            f"{APP}-by-length-repartition", Serdes.Integer(), S
        )
        assert repartition.read_key_values_to_list() == [
            KeyValue(2, "ab"),
            KeyValue(2, "cd"),
            KeyValue(3, "efg"),
        ]
        assert driver.get_key_value_store("by-length").get(2) == 2


def test_group_by_key_serde_keyword() -> None:
    with driver_for(
        lambda b: (
            b.stream("in")
            .group_by(lambda k, v: len(v), key_serde=Serdes.Integer())
            .count(Materialized.as_("by-length"))
        )
    ) as driver:
        pipe(driver, [("1", "ab", 1), ("2", "cd", 2)])

        assert list(driver.get_key_value_store("by-length").all()) == [(2, 2)]


def test_aggregations_of_a_named_grouping_share_its_repartition_topic() -> None:
    builder = StreamsBuilder()
    grouped = builder.stream("in").group_by(lambda k, v: v[0], Grouped.as_("g"))
    grouped.count().to_stream().to("counts", value_serde=L)
    grouped.reduce(lambda agg, v: agg + v).to_stream().to("reduced")
    with TopologyTestDriver(builder.build(), CONFIG) as driver:
        pipe(driver, [("1", "ab", 1), ("2", "ac", 2), ("3", "bd", 3)])

        assert read(driver, "counts") == [("a", 1, 1), ("a", 2, 2), ("b", 1, 3)]
        assert read(driver, "reduced", S) == [("a", "ab", 1), ("a", "abac", 2), ("b", "bd", 3)]
        assert read(driver, f"{APP}-g-repartition", S) == [
            ("a", "ab", 1),
            ("a", "ac", 2),
            ("b", "bd", 3),
        ]


def test_aggregations_of_an_unnamed_grouping_repartition_each() -> None:
    builder = StreamsBuilder()
    grouped = builder.stream("in").group_by(lambda k, v: v[0])
    grouped.count().to_stream().to("counts", value_serde=L)
    grouped.reduce(lambda agg, v: agg + v).to_stream().to("reduced")
    with TopologyTestDriver(builder.build(), CONFIG) as driver:
        pipe(driver, [("1", "ab", 1), ("2", "ac", 2)])

        assert read(driver, "counts") == [("a", 1, 1), ("a", 2, 2)]
        assert read(driver, "reduced", S) == [("a", "ab", 1), ("a", "abac", 2)]
        assert {
            f"{APP}-KSTREAM-AGGREGATE-STATE-STORE-0000000002-repartition",
            f"{APP}-KSTREAM-REDUCE-STATE-STORE-0000000009-repartition",
        } <= driver.produced_topic_names()


def test_the_timestamp_extractor_is_not_applied_to_the_repartition_topic() -> None:
    """Repartitioned records keep the timestamp extracted at the source (Java reads internal
    topics with FailOnInvalidTimestamp); the configured extractor could not parse them."""

    def from_value(record: Any, partition_time: int) -> int:
        return int(record.value.split("@")[1])

    with driver_for(
        lambda b: (
            b.stream("in")
            .map_values(lambda v: v.split("@")[0])
            .group_by(lambda k, v: v)
            .count()
            .to_stream()
            .to("out", value_serde=L)
        ),
        **{"default.timestamp.extractor": from_value},
    ) as driver:
        pipe(driver, [("1", "x@100", 5), ("2", "x@50", 6)])

        assert read(driver, "out") == [("x", 1, 100), ("x", 2, 100)]


# -- the resulting KTable -----------------------------------------------------------------------


def test_filter_on_a_count_forwards_only_matching_rows() -> None:
    """As Java (the aggregation sends old values, so the filter drops (None, None) changes)."""
    with driver_for(
        lambda b: (
            b.stream("in")
            .group_by_key()
            .count()
            .filter(lambda k, n: n > 1)
            .to_stream()
            .to("out", value_serde=L)
        )
    ) as driver:
        pipe(driver)

        assert read(driver, "out") == [("a", 2, 10), ("b", 2, 7)]


def test_filter_on_a_count_sends_a_tombstone_when_a_row_stops_matching() -> None:
    with driver_for(
        lambda b: (
            b.stream("in")
            .group_by_key()
            .count()
            .filter(lambda k, n: n % 2 == 1)
            .to_stream()
            .to("out", value_serde=L)
        )
    ) as driver:
        pipe(driver, [("a", "x", 1), ("a", "x", 2), ("a", "x", 3)])

        assert read(driver, "out") == [("a", 1, 1), ("a", None, 2), ("a", 3, 3)]


def test_map_values_on_a_count() -> None:
    with driver_for(
        lambda b: (
            b.stream("in")
            .group_by_key()
            .count()
            .map_values(lambda k, n: f"{k}={n}")
            .to_stream()
            .to("out")
        )
    ) as driver:
        pipe(driver, [("a", "x", 1), ("b", "x", 2), ("a", "x", 3)])

        assert read(driver, "out", S) == [("a", "a=1", 1), ("b", "b=1", 2), ("a", "a=2", 3)]


def test_queryable_store_name_of_the_result() -> None:
    """kstreams also gives the generated store name (Java's ``queryableStoreName()`` is null then)."""
    builder = StreamsBuilder()
    grouped = builder.stream("in").group_by_key()

    assert grouped.count(Materialized.as_("c")).queryable_store_name == "c"
    assert grouped.reduce(lambda a, b: a).queryable_store_name == (
        "KSTREAM-REDUCE-STATE-STORE-0000000002"
    )


# -- word count -----------------------------------------------------------------------------------


def test_word_count_example() -> None:
    """As the example's own config, the default value serde reads the repartitioned words."""
    topology = load_example("word_count").build_topology()
    with TopologyTestDriver(topology, CONFIG) as driver:
        lines = driver.create_input_topic("text-lines", S, S)
        lines.pipe_input(None, "Hello Kafka hello", 100)
        lines.pipe_input(None, "kafka streams", 200)

        assert read(driver, "word-counts") == [
            ("hello", 1, 100),
            ("kafka", 1, 100),
            ("hello", 2, 100),
            ("kafka", 2, 200),
            ("streams", 1, 200),
        ]
        assert read(driver, f"{APP}-counts-repartition", S) == [
            ("hello", "hello", 100),
            ("kafka", "kafka", 100),
            ("hello", "hello", 100),
            ("kafka", "kafka", 200),
            ("streams", "streams", 200),
        ]
        # as Kafka Streams' driver, a commit after every record (repartitioned ones included):
        # every count reaches the changelog
        assert read(driver, f"{APP}-counts-changelog") == [
            ("hello", 1, 100),
            ("kafka", 1, 100),
            ("hello", 2, 100),
            ("kafka", 2, 200),
            ("streams", 1, 200),
        ]
        store = driver.get_key_value_store("counts")
        assert list(store.all()) == [("hello", 2), ("kafka", 2), ("streams", 1)]
