"""GlobalKTables and global stores through the driver: names, describe(), the Processor API's
add_global_store, store lookups, handlers on the global topic and the checkpoint format."""

from __future__ import annotations

import os
from typing import Any

import pytest

from kstreams import (
    Consumed,
    GlobalKTable,
    LogAndContinueExceptionHandler,
    Materialized,
    Serdes,
    Stores,
    StreamsBuilder,
    StreamsError,
    Topology,
    TopologyError,
)
from kstreams.processor.api import Processor
from kstreams.runtime.global_thread import read_checkpoint, write_checkpoint
from kstreams.testing import TopologyTestDriver

SS = Consumed.with_(Serdes.String(), Serdes.String())
CONFIG = {"application.id": "gt"}


def test_global_table_names_and_describe() -> None:
    b = StreamsBuilder()
    table = b.global_table("rates", SS)
    assert isinstance(table, GlobalKTable)
    assert table.queryable_store_name is None
    assert table.store_name == "rates-STATE-STORE-0000000000"
    assert str(b.build().describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0 for global store (will not generate tasks)\n"
        "    Source: KSTREAM-SOURCE-0000000001 (topics: [rates])\n"
        "      --> KTABLE-SOURCE-0000000002\n"
        "    Processor: KTABLE-SOURCE-0000000002 (stores: [rates-STATE-STORE-0000000000])\n"
        "      --> none\n"
        "      <-- KSTREAM-SOURCE-0000000001\n"
    )


def test_named_materialized_and_consumed() -> None:
    b = StreamsBuilder()
    table = b.global_table("rates", SS.with_name("rates-table"), Materialized.as_("rates-store"))
    assert table.queryable_store_name == "rates-store"
    text = str(b.build().describe())
    assert "Source: rates-table-source (topics: [rates])" in text
    assert "Processor: rates-table (stores: [rates-store])" in text


def test_materialized_alone_gives_the_serdes() -> None:
    b = StreamsBuilder()
    b.global_table("rates", Materialized.as_("r").with_key_serde(Serdes.String()))
    topology = b.build()
    assert topology.global_stores["r"].topic == "rates"
    assert not topology.state_stores["r"].logging_enabled  # the topic is the changelog


def test_global_store_is_filled_at_once_and_found_by_the_driver() -> None:
    b = StreamsBuilder()
    b.global_table("rates", SS, Materialized.as_("rates-store"))
    with TopologyTestDriver(b.build(), CONFIG) as driver:
        rates = driver.create_input_topic("rates", Serdes.String(), Serdes.String())
        rates.pipe_input("eur", "1.0", 10)
        rates.pipe_input("usd", "1.1", 11)
        rates.pipe_input("eur", None, 12)
        store = driver.get_key_value_store("rates-store")
        assert list(store.all()) == [("usd", "1.1")]
        timestamped = driver.get_timestamped_key_value_store("rates-store")
        assert timestamped.get("usd").timestamp == 11
        assert "rates-store" in driver.get_all_state_stores()


def test_global_tables_cannot_be_versioned_and_topics_register_once() -> None:
    b = StreamsBuilder()
    with pytest.raises(TopologyError, match="GlobalTables cannot be versioned"):
        b.global_table(
            "v", SS, Materialized.as_(Stores.persistent_versioned_key_value_store("v", 1000))
        )
    b.stream("s")
    with pytest.raises(TopologyError, match="already been registered"):
        b.global_table("s")
    b.global_table("g")
    with pytest.raises(TopologyError, match="already been registered"):
        b.table("g")


class RateUpdater(Processor):
    """A Processor API state update processor: stores values upper-cased."""

    def init(self, context: Any) -> None:
        self.store = context.get_state_store("upper")

    def process(self, record: Any) -> None:
        self.store.put(record.key, None if record.value is None else record.value.upper())


class Lookup(Processor):
    """Reads the global store without being connected to it."""

    def init(self, context: Any) -> None:
        self.context = context
        self.store = context.get_state_store("upper")

    def process(self, record: Any) -> None:
        self.context.forward(record.with_value(f"{record.value}:{self.store.get(record.value)}"))


def _upper_builder(logged: bool = False) -> Any:
    builder = Stores.key_value_store_builder(
        Stores.in_memory_key_value_store("upper"), Serdes.String(), Serdes.String()
    )
    return builder if logged else builder.with_logging_disabled()


def _processor_api_topology() -> Topology:
    t = Topology()
    t.add_global_store(
        _upper_builder(),
        "gsource",
        Serdes.String(),
        Serdes.String(),
        "gtopic",
        "gproc",
        RateUpdater,
    )
    t.add_source("in", "input", key_serde=Serdes.String(), value_serde=Serdes.String())
    t.add_processor("lookup", Lookup, "in")
    t.add_sink("out", "output", "lookup", key_serde=Serdes.String(), value_serde=Serdes.String())
    return t


def test_processor_api_global_store() -> None:
    t = _processor_api_topology()
    assert str(t.describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0 for global store (will not generate tasks)\n"
        "    Source: gsource (topics: [gtopic])\n"
        "      --> gproc\n"
        "    Processor: gproc (stores: [upper])\n"
        "      --> none\n"
        "      <-- gsource\n"
        "  Sub-topology: 1\n"
        "    Source: in (topics: [input])\n"
        "      --> lookup\n"
        "    Processor: lookup (stores: [])\n"
        "      --> out\n"
        "      <-- in\n"
        "    Sink: out (topic: output)\n"
        "      <-- lookup\n\n"
    )
    assert t.source_topics() == ["input"]
    assert t.global_source_topics() == ["gtopic"]
    with TopologyTestDriver(t, CONFIG) as driver:
        driver.create_input_topic("gtopic", Serdes.String(), Serdes.String()).pipe_input("a", "x")
        driver.create_input_topic("input", Serdes.String(), Serdes.String()).pipe_input("k", "a")
        out = driver.create_output_topic("output", Serdes.String(), Serdes.String())
        assert out.read_value() == "a:X"
        assert driver.get_key_value_store("upper").get("a") == "X"


def test_add_global_store_validation() -> None:
    def base() -> Topology:
        return _processor_api_topology()

    with pytest.raises(TopologyError, match="must not have logging enabled"):
        Topology().add_global_store(
            _upper_builder(logged=True), "s", None, None, "t", "p", RateUpdater
        )
    with pytest.raises(TopologyError, match="sourceName and processorName must be different"):
        Topology().add_global_store(_upper_builder(), "s", None, None, "t", "s", RateUpdater)
    with pytest.raises(TopologyError, match="Processor gsource is already added"):
        base().add_global_store(_upper_builder(), "gsource", None, None, "t2", "p", RateUpdater)
    with pytest.raises(TopologyError, match="different GlobalStateStore"):
        base().add_global_store(_upper_builder(), "s2", None, None, "t2", "p2", RateUpdater)
    with pytest.raises(TopologyError, match="already been registered"):
        base().add_global_store(
            Stores.key_value_store_builder(
                Stores.in_memory_key_value_store("other"), None, None
            ).with_logging_disabled(),
            "s2",
            None,
            None,
            "input",
            "p2",
            RateUpdater,
        )
    with pytest.raises(TopologyError, match="should not be explicitly passed"):
        base().connect_processor_and_state_stores("lookup", store_names=("upper",))
    with pytest.raises(TopologyError, match="supplier must be callable"):
        Topology().add_global_store(_upper_builder(), "s", None, None, "t", "p", 42)


def test_a_poison_record_on_the_global_topic_goes_to_the_handler() -> None:
    b = StreamsBuilder()
    b.global_table("rates", Consumed.with_(Serdes.String(), Serdes.Long()), Materialized.as_("r"))
    handler = {"deserialization.exception.handler": LogAndContinueExceptionHandler}
    with TopologyTestDriver(b.build(), {**CONFIG, **handler}) as driver:
        raw = driver.create_input_topic("rates", Serdes.String(), Serdes.ByteArray())
        longs = driver.create_input_topic("rates", Serdes.String(), Serdes.Long())
        longs.pipe_input("a", 1, 1)
        raw.pipe_input("b", b"bad", 2)
        longs.pipe_input("c", 3, 3)
        assert list(driver.get_key_value_store("r").all()) == [("a", 1), ("c", 3)]
        assert driver.metrics()["dropped-records-total"] == 1
    with TopologyTestDriver(b.build(), CONFIG) as driver:
        raw = driver.create_input_topic("rates", Serdes.String(), Serdes.ByteArray())
        with pytest.raises(StreamsError, match="Deserialization exception handler is set to fail"):
            raw.pipe_input("b", b"bad", 2)


def test_checkpoint_format_round_trip(tmp_path: Any) -> None:
    path = os.path.join(tmp_path, ".checkpoint")
    assert read_checkpoint(path) == {}
    write_checkpoint(path, {("rates", 1): 42, ("rates", 0): 7, ("my topic", 0): 1})
    with open(path) as f:
        assert f.read() == "0\n3\nmy topic 0 1\nrates 0 7\nrates 1 42\n"
    assert read_checkpoint(path) == {("rates", 0): 7, ("rates", 1): 42, ("my topic", 0): 1}
    with open(path, "w") as f:
        f.write("1\n0\n")
    with pytest.raises(StreamsError, match="Unknown offset checkpoint version 1"):
        read_checkpoint(path)


class Writer(Processor):
    """Tries to write the global store from a stream processor."""

    def init(self, context: Any) -> None:
        self.store = context.get_state_store("upper")

    def process(self, record: Any) -> None:
        assert list(self.store.all()) == [("a", "X")]
        assert list(self.store.range("a", "a")) == [("a", "X")]
        self.store.put(record.key, record.value)


def test_stream_processors_see_global_stores_read_only() -> None:
    t = Topology()
    t.add_global_store(
        _upper_builder(),
        "gsource",
        Serdes.String(),
        Serdes.String(),
        "gtopic",
        "gproc",
        RateUpdater,
    )
    t.add_source("in", "input", key_serde=Serdes.String(), value_serde=Serdes.String())
    t.add_processor("writer", Writer, "in")
    with TopologyTestDriver(t, CONFIG) as driver:
        driver.create_input_topic("gtopic", Serdes.String(), Serdes.String()).pipe_input("a", "x")
        with pytest.raises(StreamsError, match="Global store is read only"):
            driver.create_input_topic("input", Serdes.String(), Serdes.String()).pipe_input(
                "k", "v"
            )
