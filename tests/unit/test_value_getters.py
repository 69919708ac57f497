"""KTable value getters: every table kind read by key, through a Processor API lookup in the driver."""

from __future__ import annotations

from typing import Any

import pytest

from kstreams import Materialized, Serdes, StreamsBuilder, TimeWindows
from kstreams.dsl.suppressed import BufferConfig, Suppressed
from kstreams.processor.api import Processor
from kstreams.processor.value_getters import (
    FilterValueGetterSupplier,
    MapValuesValueGetterSupplier,
    StoreValueGetterSupplier,
    SuppressValueGetterSupplier,
    ValueGetter,
    ValueGetterSupplier,
)
from kstreams.testing import TopologyTestDriver
from kstreams.windows.window import TimeWindow, Windowed

CONFIG = {
    "application.id": "getters",
    "default.key.serde": Serdes.String(),
    "default.value.serde": Serdes.String(),
}


class Lookup(Processor):
    """Forwards ``(key, getter.get(key))`` for every lookup record."""

    def __init__(self, supplier: ValueGetterSupplier, windowed: int | None = None) -> None:
        self.getter: ValueGetter = supplier.get()
        self.windowed = windowed

    def init(self, context: Any) -> None:
        super().init(context)
        self.getter.init(context)

    def process(self, record: Any) -> None:
        key = record.key
        if self.windowed is not None:
            start = int(record.value)
            key = Windowed(key, TimeWindow(start, start + self.windowed))
        found = self.getter.get(key)
        value = None if found is None else f"{found.value}@{found.timestamp}"
        self.context.forward(record.with_value(value))


def _lookups(b: StreamsBuilder, supplier: ValueGetterSupplier, windowed: int | None = None) -> None:
    b.stream("lookups").process(lambda: Lookup(supplier, windowed), *supplier.store_names()).to(
        "out", value_serde=Serdes.String()
    )


def _run(b: StreamsBuilder, table_rows: list[tuple[Any, Any, int]], keys: list[Any]) -> list[Any]:
    with TopologyTestDriver(b.build(), CONFIG) as driver:
        table = driver.create_input_topic("t")
        for k, v, ts in table_rows:
            table.pipe_input(k, v, ts)
        lookups = driver.create_input_topic("lookups")
        for k in keys:
            lookups.pipe_input(k, "0", 100)
        return [v for _, v in driver.create_output_topic("out").read_key_values_to_list()]


ROWS = [("a", "apple", 1), ("b", "banana", 2), ("c", "cherry", 3), ("b", None, 4)]


def test_source_table_is_materialized_for_its_getter() -> None:
    b = StreamsBuilder()
    table = b.table("t")
    assert table.queryable_store_name is None
    supplier = table._value_getter_supplier()
    assert isinstance(supplier, StoreValueGetterSupplier)
    assert supplier.store_names() == ("t-STATE-STORE-0000000000",)
    assert table.queryable_store_name == "t-STATE-STORE-0000000000"  # as Java's materialize()
    _lookups(b, supplier)
    assert _run(b, ROWS, ["a", "b", "c", "z"]) == ["apple@1", None, "cherry@3", None]


def test_unmaterialized_filter_and_map_values_compute_through_the_parent() -> None:
    b = StreamsBuilder()
    t = b.table("t")
    filtered = t.filter(lambda k, v: v != "cherry").map_values(lambda k, v: f"{k}:{v.upper()}")
    supplier = filtered._value_getter_supplier()
    assert isinstance(supplier, MapValuesValueGetterSupplier)
    assert isinstance(supplier.parent, FilterValueGetterSupplier)
    assert supplier.store_names() == ("t-STATE-STORE-0000000000",)  # no store of their own
    _lookups(b, supplier)
    assert _run(b, ROWS, ["a", "b", "c"]) == ["a:APPLE@1", None, None]


def test_map_values_to_none_reads_as_no_row_and_filter_not() -> None:
    b = StreamsBuilder()
    t = b.table("t")
    mapped = t.filter_not(lambda k, v: v == "apple").map_values(
        lambda v: None if v == "cherry" else len(v)
    )
    _lookups(b, mapped._value_getter_supplier())
    rows = [*ROWS, ("d", "durian", 9)]
    assert _run(b, rows, ["a", "c", "d"]) == [None, None, "6@9"]


def test_materialized_filter_reads_its_own_store() -> None:
    b = StreamsBuilder()
    filtered = b.table("t").filter(lambda k, v: v != "apple", Materialized.as_("kept"))
    supplier = filtered._value_getter_supplier()
    assert supplier.store_names() == ("kept",)
    _lookups(b, supplier)
    assert _run(b, ROWS, ["a", "c"]) == [None, "cherry@3"]


def test_aggregation_getter_reads_the_aggregate() -> None:
    b = StreamsBuilder()
    counts = b.stream("t").group_by_key().count()
    supplier = counts._value_getter_supplier()
    assert supplier.store_names() == (counts._supplier.store_name,)  # type: ignore[union-attr]
    _lookups(b, supplier)
    rows = [("a", "1", 1), ("a", "2", 7), ("b", "3", 2)]
    assert _run(b, rows, ["a", "b", "z"]) == ["2@7", "1@2", None]


def test_windowed_aggregation_getter_fetches_the_window() -> None:
    b = StreamsBuilder()
    counts = b.stream("t").group_by_key().windowed_by(TimeWindows.of_size_with_no_grace(10)).count()
    supplier = counts._value_getter_supplier()
    b.stream("lookups").process(lambda: Lookup(supplier, windowed=10), *supplier.store_names()).to(
        "out", value_serde=Serdes.String()
    )
    with TopologyTestDriver(b.build(), CONFIG) as driver:
        table = driver.create_input_topic("t")
        for k, ts in [("a", 1), ("a", 4), ("a", 12), ("b", 15)]:
            table.pipe_input(k, "x", ts)
        lookups = driver.create_input_topic("lookups")
        for k, start in [("a", "0"), ("a", "10"), ("b", "0"), ("b", "10")]:
            lookups.pipe_input(k, start, 15)
        out = [v for _, v in driver.create_output_topic("out").read_key_values_to_list()]
    assert out == ["2@4", "1@12", None, "1@15"]


def test_suppressed_table_shows_the_prior_value_of_buffered_keys() -> None:
    b = StreamsBuilder()
    counts = b.stream("t").group_by_key().count(Materialized.as_("counts"))
    suppressed = counts.suppress(Suppressed.until_time_limit(100, BufferConfig.unbounded()))
    supplier = suppressed._value_getter_supplier()
    assert isinstance(supplier, SuppressValueGetterSupplier)
    assert supplier.store_names() == ("KTABLE-SUPPRESS-STATE-STORE-0000000003", "counts")
    _lookups(b, supplier)
    with TopologyTestDriver(b.build(), {**CONFIG, "statestore.cache.max.bytes": 0}) as driver:
        table = driver.create_input_topic("t")
        lookups = driver.create_input_topic("lookups")
        table.pipe_input("a", "x", 1)  # buffered: the suppressed table has no "a" yet
        lookups.pipe_input("a", "0", 2)
        table.pipe_input("a", "x", 150)  # "a" (now 2) leaves the buffer
        lookups.pipe_input("a", "0", 150)
        table.pipe_input("a", "x", 160)  # buffered again: the suppressed table still shows 2
        lookups.pipe_input("a", "0", 160)
        table.pipe_input("b", "x", 300)  # "a" (3) leaves the buffer
        lookups.pipe_input("a", "0", 300)
        out = [v for _, v in driver.create_output_topic("out").read_key_values_to_list()]
    assert out == [None, "2@150", "2@-1", "3@160"]


def test_a_getter_refuses_as_of_reads_on_an_unversioned_table() -> None:
    b = StreamsBuilder()
    t = b.table("t")
    supplier = t.filter(lambda k, v: True)._value_getter_supplier()
    seen: list[Any] = []

    class AsOf(Lookup):
        def process(self, record: Any) -> None:
            seen.append(self.getter.is_versioned())
            try:
                self.getter.get_as_of(record.key, 5)
            except Exception as exc:
                seen.append(str(exc))

    b.stream("lookups").process(lambda: AsOf(supplier), *supplier.store_names())
    with TopologyTestDriver(b.build(), CONFIG) as driver:
        driver.create_input_topic("lookups").pipe_input("a", "0", 1)
    assert seen[0] is False
    assert "only supported for versioned stores" in seen[1]


def test_getter_before_init_says_so() -> None:
    getter = StoreValueGetterSupplier("s").get()
    with pytest.raises(Exception, match="before init"):
        getter.get("k")
