"""Stores factory, suppliers and builders."""

from __future__ import annotations

from pathlib import Path

import pytest

from kstreams.errors import StreamsError
from kstreams.serde import Serdes
from kstreams.state import (
    InMemoryStore,
    KeyValueStore,
    RocksDBStore,
    StateStoreContext,
    Stores,
    TimestampedKeyValueStore,
)


def test_suppliers() -> None:
    rocks = Stores.persistent_key_value_store("a")
    assert rocks.name == "a" and rocks.metrics_scope == "rocksdb"
    assert isinstance(rocks.get(), RocksDBStore)
    assert rocks.get() is not rocks.get()
    ts = Stores.persistent_timestamped_key_value_store("t")
    assert ts.timestamped is True  # type: ignore[attr-defined]
    mem = Stores.in_memory_key_value_store("m")
    assert mem.metrics_scope == "in-memory"
    assert isinstance(mem.get(), InMemoryStore)
    with pytest.raises(ValueError):
        Stores.persistent_key_value_store("")


def test_builder_defaults_and_flags() -> None:
    b = Stores.key_value_store_builder(
        Stores.persistent_key_value_store("counts"), Serdes.String(), Serdes.Long
    )
    assert b.name == "counts"
    assert b.logging_enabled is True and b.log_config == {}
    assert b.caching_enabled is False
    assert b.with_logging_enabled({"retention.ms": 100}) is b  # type: ignore[dict-item]
    assert b.log_config == {"retention.ms": "100"}
    assert b.with_caching_enabled().caching_enabled is True
    assert b.with_caching_disabled().caching_enabled is False
    b.with_logging_disabled()
    assert b.logging_enabled is False and b.log_config == {}
    store = b.build()
    assert isinstance(store, KeyValueStore) and not isinstance(store, TimestampedKeyValueStore)
    assert store.name == "counts" and store.persistent and not store.logged


def test_build_makes_a_new_store_each_time(tmp_path: Path) -> None:
    b = Stores.timestamped_key_value_store_builder(
        Stores.in_memory_key_value_store("s"), Serdes.String(), Serdes.Long()
    )
    one, two = b.build(), b.build()
    assert isinstance(one, TimestampedKeyValueStore)
    assert one is not two and one.bytes_store.inner is not two.bytes_store.inner
    assert not one.persistent and one.logged
    ctx = StateStoreContext("0_0", "app", 0, str(tmp_path), changelog_topic=None)
    one.init(ctx)
    two.init(ctx)
    one.put("k", None)
    assert not one.logged and one.changelog_topic is None


def test_default_serdes_come_from_the_context(tmp_path: Path) -> None:
    store = Stores.key_value_store_builder(
        Stores.in_memory_key_value_store("s"), None, None
    ).build()
    with pytest.raises(StreamsError, match=r"default\.key\.serde"):
        store.init(StateStoreContext("0_0", "app", 0, str(tmp_path)))
    store.init(
        StateStoreContext(
            "0_0",
            "app",
            0,
            str(tmp_path),
            default_key_serde=Serdes.String(),
            default_value_serde=Serdes.Long(),
        )
    )
    store.put("a", 1)
    assert store.get("a") == 1


def test_logged_store_needs_a_collector(tmp_path: Path) -> None:
    store = Stores.key_value_store_builder(
        Stores.in_memory_key_value_store("s"), Serdes.String(), Serdes.Long()
    ).build()
    with pytest.raises(StreamsError, match="collector"):
        store.init(StateStoreContext("0_0", "app", 0, str(tmp_path), changelog_topic="t"))


def test_builder_rejects_non_supplier() -> None:
    with pytest.raises(TypeError):
        Stores.key_value_store_builder("store", Serdes.String(), Serdes.Long())  # type: ignore[arg-type]
