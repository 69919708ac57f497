"""Processor API with state stores, through the TopologyTestDriver.

Stores come from ``Stores`` builders and are connected with ``Topology.add_state_store``,
``connect_processor_and_state_stores`` or ``StreamsBuilder.add_state_store`` plus
``KStream.process(supplier, "store")``; processors read and write them, scan them and emit
them from punctuations. Changelog records are what Kafka Streams 4.4 writes for the same
processors (its TopologyTestDriver, ``statestore.cache.max.bytes=0``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from kstreams import (
    FixedKeyProcessor,
    Materialized,
    Processor,
    PunctuationType,
    Record,
    Serdes,
    StreamsBuilder,
    Topology,
    TopologyError,
)
from kstreams.state import KeyValueStore, Stores, TimestampedKeyValueStore, ValueAndTimestamp
from kstreams.testing import TopologyTestDriver

APP = "app"
CONFIG = {
    "application.id": APP,
    "default.key.serde": Serdes.String,
    "default.value.serde": Serdes.String,
}
S, L = Serdes.String(), Serdes.Long()


def counts_store(name: str = "s", supplier: Any = None):
    """String -> Long key-value store (RocksDB unless another supplier is given)."""
    return Stores.key_value_store_builder(
        supplier or Stores.persistent_key_value_store(name), Serdes.String(), Serdes.Long()
    )


class Counter(Processor):
    """Counts records per key in store "s" and forwards the count; a None value deletes."""

    def init(self, context) -> None:
        super().init(context)
        self.store = context.get_state_store("s")

    def process(self, record: Record) -> None:
        if record.value is None:
            self.store.delete(record.key)
            return
        n = (self.store.get(record.key) or 0) + 1
        self.store.put(record.key, n)
        self.context.forward(record.with_value(n))


def counter_topology(store_builder: Any = None) -> Topology:
    return (
        Topology()
        .add_source("src", "in", key_serde=S, value_serde=S)
        .add_processor("proc", Counter, "src")
        .add_state_store(store_builder or counts_store(), "proc")
        .add_sink("sink", "out", "proc", key_serde=S, value_serde=L)
    )


def pipe(
    driver: TopologyTestDriver, records: list[tuple[Any, Any, int]], topic: str = "in"
) -> None:
    inp = driver.create_input_topic(topic, S, S)
    for key, value, ts in records:
        inp.pipe_input(key, value, ts)


def read(
    driver: TopologyTestDriver, topic: str = "out", value_serde=L
) -> list[tuple[Any, Any, int]]:
    out = driver.create_output_topic(topic, S, value_serde)
    return [(r.key, r.value, r.timestamp) for r in out.read_records_to_list()]


RECORDS = [("a", "x", 10), ("b", "x", 20), ("a", "x", 5), ("a", None, 30)]


# -- a counting processor -----------------------------------------------------------------------


def test_topology_add_state_store_and_a_counting_processor() -> None:
    with TopologyTestDriver(counter_topology(), CONFIG) as driver:
        pipe(driver, RECORDS)

        assert read(driver) == [("a", 1, 10), ("b", 1, 20), ("a", 2, 5)]
        store = driver.get_key_value_store("s")
        assert isinstance(store, KeyValueStore)
        assert not isinstance(store, TimestampedKeyValueStore)
        assert list(store.all()) == [("b", 1)]
        assert driver.produced_topic_names() == {"out", f"{APP}-s-changelog"}
        changelog = read(driver, f"{APP}-s-changelog")
        assert [(k, v) for k, v, _ in changelog] == [("a", 1), ("b", 1), ("a", 2), ("a", None)]


def test_changelog_records_of_a_plain_store_carry_the_record_timestamp() -> None:
    with TopologyTestDriver(
        counter_topology(), CONFIG, initial_wall_clock_time=1_000_000
    ) as driver:
        pipe(driver, RECORDS)

        assert [ts for _, _, ts in read(driver, f"{APP}-s-changelog")] == [10, 20, 5, 30]


def test_streams_builder_add_state_store_and_process() -> None:
    builder = StreamsBuilder()
    builder.add_state_store(counts_store())
    builder.stream("in").process(Counter, "s").to("out", value_serde=L)
    with TopologyTestDriver(builder.build(), CONFIG) as driver:
        pipe(driver, RECORDS)

        assert read(driver) == [("a", 1, 10), ("b", 1, 20), ("a", 2, 5)]
        assert list(driver.get_key_value_store("s").all()) == [("b", 1)]


def test_process_values_with_a_store() -> None:
    class Tally(FixedKeyProcessor):
        def init(self, context) -> None:
            super().init(context)
            self.store = context.get_state_store("s")

        def process(self, record: Record) -> None:
            n = (self.store.get(record.key) or 0) + len(record.value)
            self.store.put(record.key, n)
            self.context.forward(record.with_value(n))

    builder = StreamsBuilder()
    builder.add_state_store(counts_store())
    builder.stream("in").process_values(Tally, "s").to("out", value_serde=L)
    with TopologyTestDriver(builder.build(), CONFIG) as driver:
        pipe(driver, [("a", "xy", 1), ("a", "z", 2)])

        assert read(driver) == [("a", 2, 1), ("a", 3, 2)]


def test_store_serdes_default_to_the_config() -> None:
    builder = Stores.key_value_store_builder(Stores.persistent_key_value_store("s"), None, None)

    class Last(Processor):
        def init(self, context) -> None:
            super().init(context)
            self.store = context.get_state_store("s")

        def process(self, record: Record) -> None:
            self.store.put(record.key, record.value)

    topology = Topology().add_source("src", "in").add_processor("p", Last, "src")
    topology.add_state_store(builder, "p")
    with TopologyTestDriver(topology, CONFIG) as driver:
        pipe(driver, [("a", "x", 1), ("a", "y", 2)])

        assert driver.get_key_value_store("s").get("a") == "y"
        changelog = read(driver, f"{APP}-s-changelog", S)
        assert [(k, v) for k, v, _ in changelog] == [("a", "x"), ("a", "y")]


def test_in_memory_store_without_logging() -> None:
    store_builder = counts_store(supplier=Stores.in_memory_key_value_store("s"))
    with TopologyTestDriver(
        counter_topology(store_builder.with_logging_disabled()), CONFIG
    ) as driver:
        pipe(driver, RECORDS)

        assert read(driver) == [("a", 1, 10), ("b", 1, 20), ("a", 2, 5)]
        assert driver.produced_topic_names() == {"out"}
        assert not driver.get_state_store("s").persistent
        assert driver.get_state_store("s").changelog_topic is None


def test_timestamped_store_in_a_processor() -> None:
    class Latest(Processor):
        def init(self, context) -> None:
            super().init(context)
            self.store = context.get_state_store("latest")

        def process(self, record: Record) -> None:
            old = self.store.get(record.key)
            if old is None or record.timestamp >= old.timestamp:
                self.store.put(record.key, ValueAndTimestamp.make(record.value, record.timestamp))

    topology = (
        Topology()
        .add_source("src", "in")
        .add_processor("p", Latest, "src")
        .add_state_store(
            Stores.timestamped_key_value_store_builder(
                Stores.persistent_timestamped_key_value_store("latest"), S, S
            ),
            "p",
        )
    )
    with TopologyTestDriver(topology, CONFIG) as driver:
        pipe(driver, [("a", "new", 20), ("a", "late", 10), ("b", "x", 5)])

        store = driver.get_timestamped_key_value_store("latest")
        assert list(store.all()) == [("a", ValueAndTimestamp("new", 20)), ("b", ("x", 5))]
        assert driver.get_key_value_store("latest").get("a") == "new"
        # the changelog of a timestamped store carries each value's own timestamp
        assert read(driver, f"{APP}-latest-changelog", S) == [("a", "new", 20), ("b", "x", 5)]


def test_store_operations_from_a_processor() -> None:
    results: list[Any] = []

    class Ops(Processor):
        def init(self, context) -> None:
            super().init(context)
            self.store = context.get_state_store("s")

        def process(self, record: Record) -> None:
            store = self.store
            results.append(store.put_if_absent("a", 1))
            results.append(store.put_if_absent("a", 2))
            store.put_all([("b", 2), ("c", 3)])
            results.append(store.delete("b"))
            results.append(store.delete("missing"))
            store.put("c", None)  # put None deletes
            results.append(list(store.all()))
            results.append(store.approximate_num_entries() >= 1)

    topology = Topology().add_source("src", "in").add_processor("p", Ops, "src")
    topology.add_state_store(counts_store(), "p")
    with TopologyTestDriver(topology, CONFIG) as driver:
        pipe(driver, [("k", "v", 1)])

        assert results == [None, 1, 2, None, [("a", 1)], True]
        # one changelog record per key written: its latest value after the record (a delete
        # of an absent key is logged too, as in Java)
        changelog = read(driver, f"{APP}-s-changelog")
        assert [(k, v) for k, v, _ in changelog] == [
            ("a", 1),
            ("b", None),
            ("c", None),
            ("missing", None),
        ]


# -- range, all, prefix scan ----------------------------------------------------------------------


class KeyValueQuery(Processor):
    """Stores ``key -> value``; a record with key ``?`` runs the query in its value and forwards
    the entries found: ``range b d``, ``reverse_range b d``, ``all``, ``reverse_all``, ``prefix user-``."""

    def init(self, context) -> None:
        super().init(context)
        self.store = context.get_state_store("kv")

    def process(self, record: Record) -> None:
        if record.key != "?":
            self.store.put(record.key, record.value)
            return
        op, *args = record.value.split()
        if op == "prefix":
            found = self.store.prefix_scan(args[0], Serdes.String())
        else:
            found = getattr(self.store, op)(*[None if a == "-" else a for a in args])
        for key, value in found:
            self.context.forward(Record(key, value, record.timestamp))


@pytest.fixture
def kv_driver():
    topology = (
        Topology()
        .add_source("src", "in")
        .add_processor("query", KeyValueQuery, "src")
        .add_state_store(
            Stores.key_value_store_builder(Stores.persistent_key_value_store("kv"), S, S), "query"
        )
        .add_sink("sink", "out", "query")
    )
    with TopologyTestDriver(topology, CONFIG) as driver:
        keys = ["user-2", "a", "user-1", "c", "b", "d", "user", "usera"]
        pipe(driver, [(k, k.upper(), 1) for k in keys])
        yield driver


def query(driver: TopologyTestDriver, q: str) -> list[str]:
    pipe(driver, [("?", q, 2)])
    return [k for k, _, _ in read(driver, value_serde=S)]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("range b d", ["b", "c", "d"]),
        ("range b bb", ["b"]),
        ("range - b", ["a", "b"]),
        ("range user -", ["user", "user-1", "user-2", "usera"]),
        ("range d b", []),  # from > to: nothing (and a warning), as Java
        ("reverse_range b d", ["d", "c", "b"]),
        ("all", ["a", "b", "c", "d", "user", "user-1", "user-2", "usera"]),
        ("reverse_all", ["usera", "user-2", "user-1", "user", "d", "c", "b", "a"]),
        ("prefix user-", ["user-1", "user-2"]),
        ("prefix user", ["user", "user-1", "user-2", "usera"]),
        ("prefix x", []),
    ],
)
def test_scans_from_a_processor(kv_driver: TopologyTestDriver, q: str, expected: list[str]) -> None:
    assert query(kv_driver, q) == expected


def test_scans_see_the_values(kv_driver: TopologyTestDriver) -> None:
    pipe(kv_driver, [("?", "range a b", 2)])

    assert read(kv_driver, value_serde=S) == [("a", "A", 2), ("b", "B", 2)]


def test_scans_see_writes_of_the_same_record(kv_driver: TopologyTestDriver) -> None:
    """Writes not yet committed are part of ranges (the store's write buffer is merged in)."""
    seen: list[list[tuple[str, str]]] = []

    class WriteThenScan(Processor):
        def init(self, context) -> None:
            super().init(context)
            self.store = context.get_state_store("kv")

        def process(self, record: Record) -> None:
            self.store.put(record.key, record.value)
            self.store.delete("a")
            seen.append(list(self.store.all()))

    topology = Topology().add_source("src", "in").add_processor("p", WriteThenScan, "src")
    topology.add_state_store(
        Stores.key_value_store_builder(Stores.persistent_key_value_store("kv"), S, S), "p"
    )
    with TopologyTestDriver(topology, CONFIG) as driver:
        pipe(driver, [("a", "1", 1), ("b", "2", 2), ("a", "3", 3)])

    assert seen == [[], [("b", "2")], [("b", "2")]]


# -- punctuation ------------------------------------------------------------------------------


class EmitOnStreamTime(Processor):
    """Counts per key; every 10 ms of stream time forwards the whole store."""

    def init(self, context) -> None:
        super().init(context)
        self.store = context.get_state_store("s")
        context.schedule(timedelta(milliseconds=10), PunctuationType.STREAM_TIME, self.emit)

    def process(self, record: Record) -> None:
        self.store.put(record.key, (self.store.get(record.key) or 0) + 1)

    def emit(self, timestamp: int) -> None:
        for key, count in self.store.all():
            self.context.forward(Record(key, count, timestamp))


def test_stream_time_punctuator_emits_the_store() -> None:
    topology = (
        Topology()
        .add_source("src", "in")
        .add_processor("p", EmitOnStreamTime, "src")
        .add_state_store(counts_store(), "p")
        .add_sink("sink", "out", "p", value_serde=L)
    )
    with TopologyTestDriver(topology, CONFIG) as driver:
        pipe(driver, [("a", "x", 1)])
        assert read(driver) == [("a", 1, 1)]  # aligned to 0: the first record fires it

        pipe(driver, [("b", "x", 5), ("a", "x", 9), ("c", "x", 3)])
        assert read(driver) == []  # stream time 9 < 10

        pipe(driver, [("c", "x", 12)])
        assert read(driver) == [("a", 2, 12), ("b", 1, 12), ("c", 2, 12)]

        driver.advance_wall_clock_time(timedelta(hours=1))
        assert read(driver) == []  # wall-clock time does not move stream time


class FlushOnWallClock(Processor):
    """Buffers values per key in the store; every second of wall-clock time forwards and
    deletes them."""

    def init(self, context) -> None:
        super().init(context)
        self.store = context.get_state_store("buffer")
        context.schedule(timedelta(seconds=1), PunctuationType.WALL_CLOCK_TIME, self.flush)

    def process(self, record: Record) -> None:
        old = self.store.get(record.key)
        self.store.put(record.key, record.value if old is None else f"{old},{record.value}")

    def flush(self, timestamp: int) -> None:
        for key, values in list(self.store.all()):
            self.context.forward(Record(key, values, timestamp))
            self.store.delete(key)
        self.context.commit()


def test_wall_clock_punctuator_flushes_the_store() -> None:
    topology = (
        Topology()
        .add_source("src", "in")
        .add_processor("p", FlushOnWallClock, "src")
        .add_state_store(
            Stores.key_value_store_builder(Stores.in_memory_key_value_store("buffer"), S, S), "p"
        )
        .add_sink("sink", "out", "p")
    )
    with TopologyTestDriver(topology, CONFIG, initial_wall_clock_time=0) as driver:
        pipe(driver, [("a", "1", 100), ("b", "2", 200), ("a", "3", 300)])
        driver.advance_wall_clock_time(999)
        assert read(driver, value_serde=S) == []

        driver.advance_wall_clock_time(1)
        assert read(driver, value_serde=S) == [("a", "1,3", 1000), ("b", "2", 1000)]
        assert list(driver.get_key_value_store("buffer").all()) == []
        # the punctuation's deletes reach the changelog when the driver commits after it
        changelog = read(driver, f"{APP}-buffer-changelog", S)
        assert [(k, v) for k, v, _ in changelog] == [
            ("a", "1"),
            ("b", "2"),
            ("a", "1,3"),
            ("a", None),
            ("b", None),
        ]

        driver.advance_wall_clock_time(timedelta(seconds=1))
        assert read(driver, value_serde=S) == []


def test_context_commit_from_process() -> None:
    class CommitEveryRecord(Counter):
        def process(self, record: Record) -> None:
            super().process(record)
            self.context.commit()

    topology = (
        Topology()
        .add_source("src", "in", key_serde=S, value_serde=S)
        .add_processor("proc", CommitEveryRecord, "src")
        .add_state_store(counts_store(), "proc")
        .add_sink("sink", "out", "proc", key_serde=S, value_serde=L)
    )
    with TopologyTestDriver(topology, CONFIG) as driver:
        pipe(driver, RECORDS[:2])

        assert read(driver) == [("a", 1, 10), ("b", 1, 20)]
        assert [(k, v) for k, v, _ in read(driver, f"{APP}-s-changelog")] == [("a", 1), ("b", 1)]


# -- connecting stores --------------------------------------------------------------------------


def test_get_state_store_of_an_unconnected_store_is_a_topology_error() -> None:
    class Peeker(Processor):
        def init(self, context) -> None:
            context.get_state_store("s")

    topology = (
        Topology()
        .add_source("src", "in")
        .add_processor("proc", Counter, "src")
        .add_processor("peeker", Peeker, "src")
        .add_state_store(counts_store(), "proc")
    )
    with pytest.raises(TopologyError, match="peeker has no access to StateStore s"):
        TopologyTestDriver(topology, CONFIG)


def test_get_state_store_of_an_unknown_store_is_a_topology_error() -> None:
    class Unknown(Processor):
        def init(self, context) -> None:
            context.get_state_store("nope")

    topology = Topology().add_source("src", "in").add_processor("p", Unknown, "src")
    with pytest.raises(TopologyError, match="no access to StateStore nope"):
        TopologyTestDriver(topology, CONFIG)


def test_store_shared_by_two_processors_of_one_subtopology() -> None:
    class Reader(Processor):
        def init(self, context) -> None:
            super().init(context)
            self.store = context.get_state_store("s")

        def process(self, record: Record) -> None:
            self.context.forward(record.with_value(self.store.get(record.key) or 0))

    topology = (
        Topology()
        .add_source("writes", "in", key_serde=S, value_serde=S)
        .add_processor("writer", Counter, "writes")
        .add_source("reads", "queries", key_serde=S, value_serde=S)
        .add_processor("reader", Reader, "reads")
        .add_state_store(counts_store(), "writer")
        .connect_processor_and_state_stores("reader", store_names=["s"])
        .add_sink("answers", "out", "reader", key_serde=S, value_serde=L)
    )

    assert len(topology.subtopologies()) == 1  # the shared store joins the two sources
    with TopologyTestDriver(topology, CONFIG) as driver:
        pipe(driver, [("a", "x", 1), ("a", "x", 2)])
        pipe(driver, [("a", "?", 3), ("b", "?", 4)], topic="queries")

        assert read(driver) == [("a", 2, 3), ("b", 0, 4)]


def test_store_connected_to_several_processors_at_once() -> None:
    topology = (
        Topology()
        .add_source("src", "in")
        .add_processor("p1", Counter, "src")
        .add_processor("p2", Counter, "src")
        .add_state_store(counts_store(), "p1", "p2")
    )

    assert topology.nodes["p1"].stores == ["s"] and topology.nodes["p2"].stores == ["s"]
    with TopologyTestDriver(topology, CONFIG) as driver:
        pipe(driver, [("a", "x", 1)])

        assert driver.get_key_value_store("s").get("a") == 2  # both counted


def test_adding_a_store_twice_or_connecting_unknown_names_fails() -> None:
    topology = Topology().add_source("src", "in").add_processor("p", Counter, "src")
    topology.add_state_store(counts_store(), "p")

    with pytest.raises(TopologyError, match="already added"):
        topology.add_state_store(counts_store())
    with pytest.raises(TopologyError, match="StateStore other is not added yet"):
        topology.connect_processor_and_state_stores("p", store_names=["other"])
    with pytest.raises(TopologyError, match="Processor ghost is not added yet"):
        topology.connect_processor_and_state_stores("ghost", store_names=["s"])


def test_a_store_used_by_no_processor_is_not_created() -> None:
    topology = Topology().add_source("src", "in").add_processor("p", Counter, "src")
    topology.add_state_store(counts_store("s"), "p")
    topology.add_state_store(counts_store("unused"))

    with TopologyTestDriver(topology, CONFIG) as driver:
        assert set(driver.get_all_state_stores()) == {"s"}


# -- the driver's store accessors -----------------------------------------------------------------


def test_driver_store_accessors() -> None:
    with TopologyTestDriver(counter_topology(), CONFIG) as driver:
        store = driver.get_state_store("s")

        assert driver.get_key_value_store("s") is store
        assert driver.get_all_state_stores() == {"s": store}
        with pytest.raises(ValueError, match="not a timestamped key-value store"):
            driver.get_timestamped_key_value_store("s")  # Java: null
        with pytest.raises(ValueError, match="Unknown state store 'nope'"):
            driver.get_key_value_store("nope")  # Java: null


def test_writes_through_the_driver_are_seen_by_processors() -> None:
    with TopologyTestDriver(counter_topology(), CONFIG) as driver:
        driver.get_key_value_store("s").put("a", 41)
        pipe(driver, [("a", "x", 1)])

        assert read(driver) == [("a", 42, 1)]


def test_plain_view_of_a_timestamped_store() -> None:
    """``get_key_value_store`` of a timestamped store hides the timestamps (Java's facade)."""
    builder = StreamsBuilder()
    builder.table("t", materialized=Materialized.as_("t-store"))
    with TopologyTestDriver(builder.build(), CONFIG, initial_wall_clock_time=77) as driver:
        pipe(driver, [("a", "1", 5), ("b", "2", 6)], topic="t")
        plain = driver.get_key_value_store("t-store")

        assert plain.name == "t-store"
        assert list(plain.range("a", "a")) == [("a", "1")]
        assert list(plain.reverse_all()) == [("b", "2"), ("a", "1")]
        assert list(plain.reverse_range("a", "b")) == [("b", "2"), ("a", "1")]
        plain.put("c", "3")  # the mock wall-clock time becomes its timestamp
        assert driver.get_timestamped_key_value_store("t-store").get("c") == ("3", 77)
        assert plain.delete("c") == "3"
        assert plain.approximate_num_entries() >= 2
