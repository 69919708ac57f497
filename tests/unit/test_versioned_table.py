"""Versioned tables through the TopologyTestDriver (KIP-914): what the table source forwards, as-of
queries of its store, group_by skipping out-of-order updates, Java's refusals, the changelog
topic config, and the interactive-query view over the tasks' versioned stores.
"""

from __future__ import annotations

import logging
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from kstreams import Materialized, Serdes, StreamsBuilder, VersionedRecord
from kstreams.dsl.suppressed import BufferConfig, Suppressed
from kstreams.errors import TopologyError
from kstreams.processor.task_id import TaskId
from kstreams.runtime.queries import StoreQueryParameters
from kstreams.runtime.task_manager import TaskState
from kstreams.runtime.topics import changelog_topics
from kstreams.runtime.versioned_queries import ReadOnlyCompositeVersionedStore
from kstreams.state import StateStoreContext, Stores, VersionedKeyValueStore
from kstreams.testing import TopologyTestDriver

S = Serdes.String()
CONFIG = {"application.id": "app", "default.key.serde": S, "default.value.serde": S}


def versioned(name: str, retention: int = 10_000) -> Any:
    return Stores.persistent_versioned_key_value_store(name, retention)


def run(builder: StreamsBuilder, rows: list[tuple[Any, Any, int]], out_serde: Any = S) -> Any:
    driver = TopologyTestDriver(builder.build(), CONFIG)
    pipe = driver.create_input_topic("prices", S, S)
    for key, value, ts in rows:
        pipe.pipe_input(key, value, timestamp=ts)
    out = driver.create_output_topic("out", S, out_serde)
    return driver, [(r.key, r.value, r.timestamp) for r in out.read_records_to_list()]


def test_out_of_order_updates_are_forwarded_and_expired_ones_are_not() -> None:
    b = StreamsBuilder()
    b.table("prices", Materialized.as_(versioned("prices-store"))).to_stream().to("out")
    rows = [
        ("apple", "3", 1_000),
        ("apple", "4", 3_000),
        ("apple", "2", 2_000),  # out of order, within the history retention: forwarded
        ("apple", "6", 14_000),
        ("apple", "1", 3_500),  # older than 14_000 - 10_000: refused, not forwarded
        (None, "x", 5_000),  # a null key: dropped and counted
    ]
    driver, out = run(b, rows)
    with driver:
        assert out == [
            ("apple", "3", 1_000),
            ("apple", "4", 3_000),
            ("apple", "2", 2_000),
            ("apple", "6", 14_000),
        ]
        store = driver.get_versioned_key_value_store("prices-store")
        assert isinstance(store, VersionedKeyValueStore)
        assert store.get("apple") == VersionedRecord("6", 14_000)
        assert store.get("apple", 13_999) == VersionedRecord("4", 3_000)
        assert store.get("apple", 4_000) == VersionedRecord("4", 3_000)
        assert store.get("apple", 3_999) is None  # older than the history retention
        assert driver.metrics()["dropped-records-total"] == 2


def test_as_of_reads_see_out_of_order_history() -> None:
    b = StreamsBuilder()
    b.table("prices", Materialized.as_(versioned("prices-store", 60_000))).to_stream().to("out")
    b.table("other", Materialized.as_("plain"))
    rows = [("pear", "5", 1_000), ("pear", "7", 3_000), ("pear", "6", 2_000), ("pear", None, 4_000)]
    driver, out = run(b, rows)
    with driver:
        assert out[-1] == ("pear", None, 4_000)
        store = driver.get_versioned_key_value_store("prices-store")
        assert [store.get("pear", t) for t in (999, 1_500, 2_500, 3_500, 4_500)] == [
            None,
            VersionedRecord("5", 1_000),
            VersionedRecord("6", 2_000),
            VersionedRecord("7", 3_000),
            None,
        ]
        assert store.get("pear") is None
        assert store.query_as_of("pear", 2_500) == VersionedRecord("6", 2_000, 3_000)
        with pytest.raises(ValueError, match="not a versioned key-value store"):
            driver.get_versioned_key_value_store("plain")


def test_group_by_skips_out_of_order_updates() -> None:
    b = StreamsBuilder()
    (
        b.table("prices", Materialized.as_(versioned("prices-store")))
        .group_by(lambda fruit, price: (price, fruit))
        .count()
        .to_stream()
        .to("out", value_serde=Serdes.Long())
    )
    rows = [("apple", "3", 1_000), ("apple", "4", 3_000), ("apple", "2", 2_000)]
    driver, out = run(b, rows, Serdes.Long())
    with driver:
        # the update at 2_000 is older than the latest (3_000): no "2" group, "4" keeps apple
        assert out == [("3", 1, 1_000), ("3", 0, 3_000), ("4", 1, 3_000)]


def test_to_table_with_a_versioned_store() -> None:
    b = StreamsBuilder()
    b.stream("prices").to_table(Materialized.as_(versioned("latest"))).to_stream().to("out")
    driver, out = run(b, [("fig", "1", 5_000), ("fig", "0", 4_000)])
    with driver:
        assert out == [("fig", "1", 5_000), ("fig", "0", 4_000)]
        assert driver.get_versioned_key_value_store("latest").get("fig", 4_500) == VersionedRecord(
            "0", 4_000
        )


def test_caching_is_not_applied_to_versioned_stores(caplog: pytest.LogCaptureFixture) -> None:
    b = StreamsBuilder()
    b.table("prices", Materialized.as_(versioned("prices-store"))).to_stream().to("out")
    with caplog.at_level(logging.INFO, logger="kstreams.dsl.versioned"):
        driver, out = run(b, [("a", "1", 1), ("a", "2", 2)])
    with driver:
        assert out == [("a", "1", 1), ("a", "2", 2)]  # every update at once, no cache
    assert "versioned stores do not support caching" in caplog.text


def test_suppress_refuses_a_versioned_table() -> None:
    b = StreamsBuilder()
    table = b.table("prices", Materialized.as_(versioned("prices-store")))
    with pytest.raises(TopologyError, match="suppress\\(\\) is only supported for non-versioned"):
        table.suppress(Suppressed.until_time_limit(1_000, BufferConfig.unbounded()))
    # inherited through an unmaterialized operator, as Java's isVersionedUpstream
    with pytest.raises(TopologyError, match="might be inherited from upstream"):
        table.filter(lambda k, v: True).suppress(
            Suppressed.until_time_limit(1_000, BufferConfig.unbounded())
        )
    # a materialized (non-versioned) table in between ends the versioned semantics
    plain = table.filter(lambda k, v: True, Materialized.as_("plain"))
    plain.suppress(Suppressed.until_time_limit(1_000, BufferConfig.unbounded()))


def test_versioned_supplier_refused_where_kstreams_cannot_use_it() -> None:
    b = StreamsBuilder()
    b.stream("prices").group_by_key().count(Materialized.as_(versioned("counts"))).to_stream().to(
        "out"
    )
    with pytest.raises(TopologyError, match="versioned store can materialize a table source"):
        b.build()


def test_changelog_topic_config_is_javas() -> None:
    b = StreamsBuilder()
    b.table("prices", Materialized.as_(versioned("prices-store", 60_000))).to_stream().to("out")
    partitions, config = changelog_topics(b.build(), "app", {"prices": 3})[
        "app-prices-store-changelog"
    ]
    assert partitions == 3
    assert config["cleanup.policy"] == "compact"
    assert config["min.compaction.lag.ms"] == str(60_000 + 86_400_000)


# -- interactive queries -------------------------------------------------------------------------
class FakeThread:
    """A running stream thread whose tasks hold real versioned stores."""

    def __init__(self) -> None:
        self.client_id = "t1"
        self.thread_state = "RUNNING"
        self.tasks: dict[TaskId, Any] = {}
        self.task_manager = self

    def snapshot(self) -> Any:
        entries = [
            (i, TaskState.RUNNING, SimpleNamespace(stores=SimpleNamespace(stores={"v": st})))
            for i, st in self.tasks.items()
        ]
        return entries, {("in", i.partition) for i in self.tasks}


def test_interactive_query_view(tmp_path: Path) -> None:
    thread = FakeThread()
    for p in (0, 1):
        store = Stores.versioned_key_value_store_builder(versioned("v"), S, S)
        store = store.with_logging_disabled().build()
        store.init(StateStoreContext(f"0_{p}", "app", p, str(tmp_path / str(p))))
        thread.tasks[TaskId(0, p)] = store
    thread.tasks[TaskId(0, 0)].put("a", "1", 1_000)
    thread.tasks[TaskId(0, 0)].put("a", "2", 2_000)
    thread.tasks[TaskId(0, 1)].put("b", "9", 5_000)
    view = ReadOnlyCompositeVersionedStore(
        StoreQueryParameters("v"), lambda: "RUNNING", lambda: [thread], 0, frozenset({"in"})
    )
    assert view.get("a") == VersionedRecord("2", 2_000)
    assert view.get("a", 1_500) == VersionedRecord("1", 1_000, 2_000)
    assert view.get("b", 4_999) is None and view.get("b") == VersionedRecord("9", 5_000)
    assert view.get("zz") is None
    with pytest.raises(ValueError, match="key cannot be null"):
        view.get(None)
    for store in thread.tasks.values():
        store.close()
