"""The store stack as layers: which layers a builder stacks, the bytes protocol they share.

Each layer wraps the one below through its public interface; the change-logging and
write-buffer layers work over any engine of the bytes protocol (a window or session
store's engine later), shown here with a minimal engine of the test's own.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from kstreams.errors import IllegalStateError
from kstreams.serde import Serdes
from kstreams.state import (
    BufferedBytesStore,
    ChangeLoggingKeyValueBytesStore,
    ChangeLoggingTimestampedKeyValueBytesStore,
    InMemoryStore,
    KeyValueBytesEngine,
    KeyValueBytesStore,
    MeteredKeyValueStore,
    MeteredTimestampedKeyValueStore,
    RocksDBStore,
    StateStoreContext,
    Stores,
    TimestampedKeyValueStore,
    ValueAndTimestamp,
    WrappedStateStore,
    find_layer,
)
from kstreams.state.caching import (
    CachingKeyValueStore,
    CachingStore,
    CachingTimestampedKeyValueStore,
    ThreadCache,
    cached_store,
)

STATE = Path(__file__).resolve().parents[2] / "kstreams" / "state"
TOPIC = "app-s-changelog"
S = Serdes.String()
L = Serdes.Long()

INTERFACE_HOOKS = {"_get_concurrent", "_range", "_prefix_scan"}
"""The typed interface's hooks for interactive queries (ReadOnlyKeyValueStore calls them)."""


class FakeCollector:
    def __init__(self) -> None:
        self.records: list[tuple[str, bytes, bytes | None, int, int]] = []

    def send_changelog(
        self, topic: str, key: bytes, value: bytes | None, timestamp: int, partition: int
    ) -> None:
        self.records.append((topic, key, value, timestamp, partition))


def context(tmp_path: Path, collector: Any = None, topic: str | None = TOPIC) -> StateStoreContext:
    return StateStoreContext(
        "0_2",
        "app",
        2,
        str(tmp_path),
        changelog_topic=topic,
        collector=collector if collector is not None else FakeCollector(),
        record_timestamp=lambda: 77,
    )


def layers(store: Any) -> list[type]:
    out = [type(store)]
    while isinstance(store, WrappedStateStore):
        store = store.wrapped
        out.append(type(store))
    return out


def test_no_layer_reaches_into_another_s_private_fields() -> None:
    bad = []
    for path in sorted(STATE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Attribute):
                continue
            name = node.attr
            if not name.startswith("_") or name.startswith("__") or name in INTERFACE_HOOKS:
                continue
            owner = node.value
            if isinstance(owner, ast.Name) and owner.id in ("self", "cls"):
                continue
            bad.append(f"{path.name}:{node.lineno} .{name}")
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize(
    "timestamped, logged, want",
    [
        (
            True,
            True,
            [
                MeteredTimestampedKeyValueStore,
                ChangeLoggingTimestampedKeyValueBytesStore,
                BufferedBytesStore,
                RocksDBStore,
            ],
        ),
        (
            False,
            True,
            [
                MeteredKeyValueStore,
                ChangeLoggingKeyValueBytesStore,
                BufferedBytesStore,
                RocksDBStore,
            ],
        ),
        (False, False, [MeteredKeyValueStore, BufferedBytesStore, RocksDBStore]),
    ],
)
def test_builders_stack_the_layers_in_kafka_streams_order(
    timestamped: bool, logged: bool, want: list[type]
) -> None:
    supplier = Stores.persistent_key_value_store("s")
    builder: Any = (
        Stores.timestamped_key_value_store_builder(supplier, S, L)
        if timestamped
        else Stores.key_value_store_builder(supplier, S, L)
    )
    if not logged:
        builder.with_logging_disabled()
    store = builder.build()
    assert layers(store) == want
    assert isinstance(store.inner, RocksDBStore)
    cached = cached_store(store, ThreadCache(1 << 20))
    assert layers(cached) == [
        CachingTimestampedKeyValueStore if timestamped else CachingKeyValueStore,
        *want,
    ]
    assert isinstance(cached, CachingStore)
    assert isinstance(cached, TimestampedKeyValueStore) is timestamped
    assert find_layer(cached, BufferedBytesStore) is find_layer(store, BufferedBytesStore)
    assert find_layer(store, CachingStore) is None
    for layer in (find_layer(store, BufferedBytesStore), store.inner):
        assert isinstance(layer, KeyValueBytesStore)


def test_the_metered_store_offers_its_bytes_level_half(tmp_path: Path) -> None:
    store = Stores.timestamped_key_value_store_builder(
        Stores.in_memory_key_value_store("s"), S, L
    ).build()
    store.init(context(tmp_path))
    assert store.serde_topic == TOPIC
    kb = store.serialize_key("a")
    raw = store.encode_value(ValueAndTimestamp(5, 9))
    assert kb == S.serialize(TOPIC, "a") and raw is not None
    assert store.decode_value(raw) == ValueAndTimestamp(5, 9)
    store.put_bytes(kb, raw)
    assert store.get("a") == ValueAndTimestamp(5, 9)
    assert store.get_bytes(kb) == raw
    assert list(store.decode_entries(store.bytes_range(None, None, False, False))) == [
        ("a", ValueAndTimestamp(5, 9))
    ]
    with pytest.raises(ValueError, match="key cannot be null"):
        store.serialize_key(None)
    store.close()


class DictEngine(KeyValueBytesEngine):
    """The least an engine implements: a sorted view of a dict, atomic batches, metadata."""

    persistent = True

    def __init__(self, name: str) -> None:
        self.name = name
        self.data: dict[bytes, bytes] = {}
        self.meta: dict[bytes, bytes] = {}
        self.batches = 0
        self.opened = False

    def init(self, context: StateStoreContext) -> None:
        self.opened = True

    def is_open(self) -> bool:
        return self.opened

    def close(self) -> None:
        self.opened = False

    def get(self, key: bytes) -> bytes | None:
        return self.data.get(key)

    def range(
        self, lo: bytes | None, hi: bytes | None, reverse: bool = False, concurrent: bool = False
    ) -> Iterator[tuple[bytes, bytes]]:
        keys = sorted(k for k in self.data if (lo is None or k >= lo) and (hi is None or k < hi))
        return iter([(k, self.data[k]) for k in (reversed(keys) if reverse else keys)])

    def approximate_num_entries(self) -> int:
        return len(self.data)

    def write(
        self,
        items: Iterable[tuple[bytes, bytes | None]],
        meta: Mapping[bytes, bytes] | None = None,
    ) -> None:
        self.batches += 1
        for key, value in items:
            if value is None:
                self.data.pop(key, None)
            else:
                self.data[key] = value
        self.meta.update(meta or {})

    def get_meta(self, key: bytes) -> bytes | None:
        return self.meta.get(key)

    def wipe(self) -> None:
        self.data.clear()
        self.meta.clear()


def test_change_logging_and_write_buffer_work_over_any_engine(tmp_path: Path) -> None:
    engine = DictEngine("w")
    collector = FakeCollector()
    store = ChangeLoggingKeyValueBytesStore(BufferedBytesStore(engine))
    store.init(context(tmp_path, collector))
    batches = engine.batches  # the value format was recorded
    assert store.logged and store.changelog_topic == TOPIC
    store.put(b"b", b"2")
    store.put(b"a", b"1")
    store.put(b"a", b"11")
    store.delete(b"b")
    assert store.get(b"a") == b"11" and store.get(b"b") is None
    assert list(store.range(None, None)) == [(b"a", b"11")]
    assert engine.data == {}  # nothing applied before the commit
    store.put(b"c", b"3")
    with pytest.raises(IllegalStateError, match="flush_changelog"):
        store.commit(5)
    assert store.flush_changelog() is True
    assert collector.records == [
        (TOPIC, b"b", None, 77, 2),
        (TOPIC, b"a", b"11", 77, 2),
        (TOPIC, b"c", b"3", 77, 2),
    ]
    store.commit(5)
    assert engine.batches == batches + 1  # data and offset in one batch
    assert engine.data == {b"a": b"11", b"c": b"3"}
    assert store.restore_offset() == 5
    store.put(b"a", b"x")
    store.flush_changelog()
    store.abort()
    assert store.get(b"a") == b"11"
    store.commit(4)  # an older offset: the checkpoint stays
    assert store.restore_offset() == 5
    store.restore_batch([(b"d", b"4", 1), (b"a", None, 2)], 9)
    assert engine.data == {b"c": b"3", b"d": b"4"} and store.restore_offset() == 9
    store.close()


def test_timestamped_change_logging_sends_bare_values_and_restores_the_layout(
    tmp_path: Path,
) -> None:
    engine = DictEngine("t")
    collector = FakeCollector()
    store = ChangeLoggingTimestampedKeyValueBytesStore(BufferedBytesStore(engine))
    store.init(context(tmp_path, collector))
    stored = (20).to_bytes(8, "big") + b"v"
    store.put(b"a", stored)
    store.put(b"b", stored)
    store.delete(b"b")  # at the deleting record's timestamp (77)
    store.flush_changelog()
    assert collector.records == [(TOPIC, b"a", b"v", 20, 2), (TOPIC, b"b", None, 77, 2)]
    store.commit(1)
    store.restore_batch([(b"c", b"w", 30)], 2)
    assert engine.data[b"c"] == (30).to_bytes(8, "big") + b"w"
    store.close()


def test_change_logging_without_a_changelog_topic_passes_through(tmp_path: Path) -> None:
    engine = InMemoryStore("m")
    collector = FakeCollector()
    store = ChangeLoggingKeyValueBytesStore(BufferedBytesStore(engine))
    assert store.logged  # until a context says otherwise
    store.init(context(tmp_path, collector, topic=None))
    assert not store.logged and store.changelog_topic is None
    store.put(b"a", b"1")
    assert store.flush_changelog() is False
    store.commit(None)
    assert collector.records == [] and engine.get(b"a") == b"1"
    store.close()


def test_engines_write_single_keys_directly(tmp_path: Path) -> None:
    for engine in (InMemoryStore("e"), RocksDBStore("e")):
        engine.init(context(tmp_path / type(engine).__name__))
        engine.put(b"a", b"1")
        engine.put(b"b", b"2")
        engine.delete(b"b")
        engine.put(b"c", None)
        assert list(engine.range(None, None)) == [(b"a", b"1")]
        engine.close()
