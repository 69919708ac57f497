"""Window stores (plain and timestamped), both engines: the typed API, Java's bounds and order,
retain-duplicates mode, expiry, the changelog and restoration, the commit protocol.

Stores are opened directly with a :class:`StateStoreContext` (and, where a processor
uses them, through the TopologyTestDriver). Java's orders: the RocksDB store iterates
segment by segment and by store-key bytes within one; the in-memory store by window
start, then key.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from kstreams import Processor, Record, Serdes, Topology
from kstreams.errors import IllegalStateError
from kstreams.state import (
    StateStoreContext,
    Stores,
    TimestampedWindowStore,
    ValueAndTimestamp,
    WindowStore,
)
from kstreams.state.window_schema import window_key, window_key_parts
from kstreams.testing import TopologyTestDriver
from kstreams.windows.window import TimeWindow, Windowed

TOPIC = "app-w-changelog"
S, L = Serdes.String(), Serdes.Long()
ENGINES = ["memory", "rocksdb"]


class FakeCollector:
    def __init__(self) -> None:
        self.records: list[tuple[bytes, bytes | None, int]] = []

    def send_changelog(
        self, topic: str, key: bytes, value: bytes | None, timestamp: int, partition: int
    ) -> None:
        assert topic == TOPIC and partition == 0
        self.records.append((key, value, timestamp))


def supplier(engine: str, retention: Any = 1000, size: Any = 10, dups: bool = False) -> Any:
    if engine == "memory":
        return Stores.in_memory_window_store("w", retention, size, dups)
    return Stores.persistent_window_store("w", retention, size, dups)


def open_store(
    tmp_path: Path,
    engine: str,
    *,
    retention: Any = 1000,
    size: Any = 10,
    dups: bool = False,
    timestamped: bool = False,
    collector: FakeCollector | None = None,
    logged: bool = True,
) -> Any:
    make = Stores.timestamped_window_store_builder if timestamped else Stores.window_store_builder
    builder = make(supplier(engine, retention, size, dups), S, L)
    if not logged:
        builder.with_logging_disabled()
    store = builder.build()
    store.init(
        StateStoreContext(
            "0_0",
            "app",
            0,
            str(tmp_path),
            changelog_topic=TOPIC if logged else None,
            collector=collector if collector is not None else FakeCollector(),
            record_timestamp=lambda: 5,
        )
    )
    return store


def commit(store: Any, offset: int | None = None) -> None:
    store.flush_changelog()
    store.commit(offset)


@pytest.fixture(params=ENGINES)
def engine(request: Any) -> str:
    return request.param  # type: ignore[no-any-return]


def test_put_fetch_and_delete(tmp_path: Path, engine: str) -> None:
    store = open_store(tmp_path, engine)
    assert isinstance(store, WindowStore) and not isinstance(store, TimestampedWindowStore)
    store.put("a", 1, 0)
    store.put("a", 2, 10)
    assert store.fetch("a", 0) == 1 and store.fetch("a", 10) == 2 and store.fetch("a", 5) is None
    commit(store, 1)
    store.put("a", None, 0)
    assert store.fetch("a", 0) is None
    assert list(store.fetch_range("a", 0, 100)) == [(10, 2)]
    assert (store.window_size, store.retention_period, store.retain_duplicates) == (10, 1000, False)


def test_fetch_bounds_are_inclusive_and_backward_is_reversed(tmp_path: Path, engine: str) -> None:
    store = open_store(tmp_path, engine)
    for start in (0, 10, 20, 30):
        store.put("a", start, start)
    store.put("b", 99, 10)
    commit(store, 1)
    store.put("a", 40, 40)  # buffered: merged into the iteration
    assert list(store.fetch_range("a", 10, 30)) == [(10, 10), (20, 20), (30, 30)]
    assert list(store.backward_fetch_range("a", 10, 40)) == [(40, 40), (30, 30), (20, 20), (10, 10)]
    assert list(store.fetch_range("a", 31, 39)) == []
    assert list(store.fetch_range("a", 30, 10)) == []


def test_range_fetches_in_the_engine_order(tmp_path: Path, engine: str) -> None:
    store = open_store(tmp_path, engine)
    store.put("b", 1, 0)
    store.put("a", 2, 10)
    store.put("a", 3, 0)
    store.put("c", 4, 10)
    commit(store, 1)
    got = [(w.key, w.window.start, v) for w, v in store.fetch_all(0, 10)]
    if engine == "memory":  # window start, then key
        assert got == [("a", 0, 3), ("b", 0, 1), ("a", 10, 2), ("c", 10, 4)]
    else:  # one segment: by key bytes, then start
        assert got == [("a", 0, 3), ("a", 10, 2), ("b", 0, 1), ("c", 10, 4)]
    assert [(w.key, w.window.start, v) for w, v in store.backward_fetch_all(0, 10)] == got[::-1]
    assert [(w, v) for w, v in store.all()] == [(w, v) for w, v in store.fetch_all(0, 10)]
    keys = [(w.key, w.window.start) for w, _ in store.fetch_keys("a", "b", 0, 10)]
    assert sorted(keys) == [("a", 0), ("a", 10), ("b", 0)]
    assert list(store.fetch_keys("b", "a", 0, 10)) == []  # from > to: empty, as in Java
    first = next(store.fetch_keys(None, "a", 10, 10))
    assert first == (Windowed("a", TimeWindow(10, 20)), 2)


def test_retain_duplicates_keeps_every_put_and_ignores_none(tmp_path: Path, engine: str) -> None:
    collector = FakeCollector()
    store = open_store(tmp_path, engine, dups=True, collector=collector)
    store.put("a", 1, 0)
    store.put("a", 1, 0)
    store.put("a", 2, 0)
    store.put("a", None, 0)
    assert list(store.fetch_range("a", 0, 0)) == [(0, 1), (0, 1), (0, 2)]
    commit(store, 1)
    assert [window_key_parts(k)[2] for k, _, _ in collector.records] == [1, 2, 3]
    assert list(store.fetch_range("a", 0, 0)) == [(0, 1), (0, 1), (0, 2)]


def test_windows_expire_with_the_store_s_stream_time(tmp_path: Path, engine: str) -> None:
    collector = FakeCollector()
    store = open_store(tmp_path, engine, retention=100, collector=collector)
    store.put("a", 1, 0)
    store.put("a", 2, 100)  # stream time 100: the window at 0 is expired (0 <= 100 - 100)
    assert store.fetch("a", 0) is None
    assert list(store.fetch_range("a", 0, 1000)) == [(100, 2)]
    store.put("a", 3, 0)  # dropped, but logged as Kafka Streams logs it
    assert store.fetch("a", 0) is None
    commit(store, 1)
    assert list(store.all()) == [(Windowed("a", TimeWindow(100, 110)), 2)]
    assert [(window_key_parts(k)[1], L.deserialize(TOPIC, v)) for k, v, _ in collector.records] == [
        (0, 3),
        (100, 2),
    ]


def test_changelog_keys_are_java_s_layout_and_carry_the_record_timestamp(
    tmp_path: Path, engine: str
) -> None:
    collector = FakeCollector()
    store = open_store(tmp_path, engine, collector=collector)
    store.put("a", 1, 60)
    store.put("a", 2, 60)
    store.put("b", None, 60)
    commit(store, 3)
    assert collector.records == [
        (b"a" + (60).to_bytes(8, "big") + bytes(4), L.serialize(TOPIC, 2), 5),
        (window_key(b"b", 60), None, 5),
    ]


def test_timestamped_store_logs_bare_values_with_their_timestamp(
    tmp_path: Path, engine: str
) -> None:
    collector = FakeCollector()
    store = open_store(tmp_path, engine, timestamped=True, collector=collector)
    assert isinstance(store, TimestampedWindowStore)
    store.put("a", ValueAndTimestamp(7, 42), 0)
    assert store.fetch("a", 0) == ValueAndTimestamp(7, 42)
    commit(store, 1)
    assert collector.records == [(window_key(b"a", 0), L.serialize(TOPIC, 7), 42)]
    assert list(store.fetch_all(0, 0)) == [
        (Windowed("a", TimeWindow(0, 10)), ValueAndTimestamp(7, 42))
    ]


def test_restore_from_the_changelog(tmp_path: Path, engine: str) -> None:
    collector = FakeCollector()
    store = open_store(tmp_path, engine, retention=100, collector=collector)
    for start in (0, 60, 120):
        store.put("a", start, start)
    commit(store, 2)
    store.close()
    records = [(k, v, ts) for k, v, ts in collector.records]
    fresh = open_store(tmp_path / "other", engine, retention=100)
    assert fresh.restore_offset() is None
    fresh.restore_batch(records, 2)
    # the newest record moves stream time to 120 first: the window at 0 is skipped
    assert list(fresh.fetch_range("a", 0, 1000)) == [(60, 60), (120, 120)]


def test_writes_between_flush_and_commit_fail_the_commit_and_abort_drops(
    tmp_path: Path, engine: str
) -> None:
    store = open_store(tmp_path, engine)
    store.put("a", 1, 0)
    store.flush_changelog()
    store.put("a", 2, 0)
    with pytest.raises(IllegalStateError, match="not sent to its changelog"):
        store.commit(1)
    store.abort()
    assert store.fetch("a", 0) is None


def test_mutating_a_stored_value_does_not_change_the_store(tmp_path: Path, engine: str) -> None:
    store = Stores.window_store_builder(supplier(engine), S, Serdes.JSON()).build()
    store.init(StateStoreContext("0_0", "app", 0, str(tmp_path)))
    value = {"n": [1]}
    store.put("a", value, 0)
    value["n"].append(2)
    got = store.fetch("a", 0)
    assert got == {"n": [1]}
    got["n"].append(3)
    assert store.fetch("a", 0) == {"n": [1]}


def test_builder_validation_is_java_s() -> None:
    with pytest.raises(ValueError, match="retentionPeriod cannot be negative"):
        Stores.in_memory_window_store("w", -1, 0)
    with pytest.raises(ValueError, match="windowSize cannot be negative"):
        Stores.in_memory_window_store("w", 10, -1)
    with pytest.raises(
        ValueError,
        match=r"must be no smaller than its window size. Got size=\[20\], retention=\[10\]",
    ):
        Stores.in_memory_window_store("w", 10, 20)
    with pytest.raises(TypeError, match="timedelta or an int"):
        Stores.in_memory_window_store("w", 10.5, 1)
    s = Stores.in_memory_window_store("w", timedelta(hours=1), timedelta(minutes=1), True)
    assert (s.retention_period, s.window_size, s.retain_duplicates) == (3_600_000, 60_000, True)
    with pytest.raises(TypeError, match="WindowBytesStoreSupplier"):
        Stores.window_store_builder(Stores.in_memory_key_value_store("x"), S, L)


class WindowCount(Processor):
    """Counts records per key in tumbling windows of 10 ms (window store "w")."""

    def init(self, context: Any) -> None:
        super().init(context)
        self.store = context.get_state_store("w")

    def process(self, record: Record) -> None:
        start = record.timestamp - record.timestamp % 10
        n = (self.store.fetch(record.key, start) or 0) + 1
        self.store.put(record.key, n, start)
        self.context.forward(record.with_value(n))


def test_a_processor_uses_a_window_store_through_the_driver(engine: str) -> None:
    topology = (
        Topology()
        .add_source("src", "in", key_serde=S, value_serde=S)
        .add_processor("p", WindowCount, "src")
        .add_state_store(Stores.window_store_builder(supplier(engine, 100, 10), S, L), "p")
        .add_sink("sink", "out", "p", key_serde=S, value_serde=L)
    )
    with TopologyTestDriver(topology, {"application.id": "app"}) as driver:
        inp = driver.create_input_topic("in", S, S)
        for key, ts in [("a", 1), ("a", 3), ("b", 4), ("a", 12)]:
            inp.pipe_input(key, "x", ts)
        out = driver.create_output_topic("out", S, L)
        assert [(r.key, r.value) for r in out.read_records_to_list()] == [
            ("a", 1),
            ("a", 2),
            ("b", 1),
            ("a", 1),
        ]
        store = driver.get_state_store("w")
        assert list(store.fetch_range("a", 0, 20)) == [(0, 2), (10, 1)]


# -- RocksDB segments, restart, crash ------------------------------------------------------------


def segment_dirs(tmp_path: Path, store: Any) -> list[str]:
    # expired segments are closed and deleted on a background thread: wait for it first
    store.inner.settle()
    return sorted(p.name for p in (tmp_path / "w").iterdir() if p.name.startswith("w."))


def test_segments_are_java_s_and_expired_ones_leave_the_disk(tmp_path: Path) -> None:
    # retention 4 min: segments of max(2 min, 60 s) = 120 s, named <store>.<segment start>
    store = open_store(tmp_path, "rocksdb", retention=timedelta(minutes=4), size=60_000)
    for minute in range(5):
        store.put("a", minute, minute * 60_000)
    commit(store, 1)
    # and the next one, opened ahead in the background
    assert segment_dirs(tmp_path, store) == ["w.0", "w.120000", "w.240000", "w.360000"]
    store.put("a", 10, 600_000)  # stream time 10 min: segments before segment(6 min) go
    commit(store, 2)
    assert segment_dirs(tmp_path, store) == ["w.600000", "w.720000"]
    assert list(store.fetch_range("a", 0, 10**9)) == [(600_000, 10)]
    sizes = sum(f.stat().st_size for f in (tmp_path / "w").rglob("*") if f.is_file())
    assert sizes < 10 * 1024 * 1024


def test_the_next_segment_is_opened_ahead_and_used_or_removed(tmp_path: Path) -> None:
    # segments of 120 s: the one after the stream time's is opened in the background
    store = open_store(tmp_path, "rocksdb", retention=timedelta(minutes=4), size=60_000)
    store.put("a", 1, 170_000)
    commit(store, 1)
    assert segment_dirs(tmp_path, store) == ["w.120000", "w.240000"]
    assert store.inner.segment_paths() == [str(tmp_path / "w" / "w.120000")]  # not in use yet
    store.put("a", 2, 250_000)  # lands in the segment opened ahead
    commit(store, 2)
    assert list(store.fetch_range("a", 0, 10**9)) == [(170_000, 1), (250_000, 2)]
    assert segment_dirs(tmp_path, store) == ["w.120000", "w.240000", "w.360000"]
    store.close()  # 360000 was opened ahead and never written: it goes
    assert segment_dirs(tmp_path, store) == ["w.120000", "w.240000"]
    again = open_store(tmp_path, "rocksdb", retention=timedelta(minutes=4), size=60_000)
    assert list(again.fetch_range("a", 0, 10**9)) == [(170_000, 1), (250_000, 2)]
    again.close()


def test_a_persistent_store_keeps_data_offset_and_stream_time_across_a_restart(
    tmp_path: Path,
) -> None:
    store = open_store(tmp_path, "rocksdb", retention=100)
    store.put("a", 1, 50)
    store.put("a", 2, 120)
    commit(store, 41)
    store.close()
    again = open_store(tmp_path, "rocksdb", retention=100)
    assert again.restore_offset() == 41
    assert again.observed_stream_time == 120
    assert list(again.fetch_range("a", 0, 1000)) == [(50, 1), (120, 2)]
    assert again.fetch("a", 10) is None


def test_a_crash_between_flush_changelog_and_commit_leaves_the_committed_state(
    tmp_path: Path,
) -> None:
    collector = FakeCollector()
    store = open_store(tmp_path, "rocksdb", collector=collector)
    store.put("a", 1, 0)
    commit(store, 1)
    store.put("a", 2, 0)
    store.put("b", 3, 10)
    store.flush_changelog()  # sent, but the task dies before commit()
    store.close()
    again = open_store(tmp_path, "rocksdb")
    assert again.restore_offset() == 1
    assert list(again.fetch_keys(None, None, 0, 100)) == [(Windowed("a", TimeWindow(0, 10)), 1)]
    # restoring the tail (the records after offset 1) brings it up to date
    again.restore_batch(collector.records[1:], 3)
    assert again.fetch("a", 0) == 2 and again.fetch("b", 10) == 3
    assert again.restore_offset() == 3


def test_a_store_opened_with_another_value_format_is_wiped(tmp_path: Path) -> None:
    store = open_store(tmp_path, "rocksdb")
    store.put("a", 1, 0)
    commit(store, 1)
    store.close()
    timestamped = open_store(tmp_path, "rocksdb", timestamped=True)
    assert timestamped.restore_offset() is None
    assert list(timestamped.all()) == []


def test_changelog_topics_of_windowed_stores_are_compact_delete_with_retention() -> None:
    from kstreams.runtime.topics import changelog_topics

    topology = (
        Topology()
        .add_source("src", "in")
        .add_processor("p", WindowCount, "src")
        .add_state_store(
            Stores.window_store_builder(supplier("rocksdb", 3_600_000, 60_000), S, L), "p"
        )
        .add_state_store(
            Stores.session_store_builder(
                Stores.in_memory_session_store("sess", 1000), S, L
            ).with_logging_enabled({"min.insync.replicas": "2"}),
            "p",
        )
        .add_state_store(
            Stores.window_store_builder(
                Stores.persistent_window_store("mine", 10_000, 10), S, L
            ).with_logging_enabled({"retention.ms": "5"}),
            "p",
        )
    )
    topics = changelog_topics(topology, "app", {"in": 2}, 1000)
    assert topics["app-w-changelog"] == (
        2,
        {
            "cleanup.policy": "compact,delete",
            "message.timestamp.type": "CreateTime",
            "retention.ms": str(3_600_000 + 1000),
        },
    )
    assert topics["app-sess-changelog"][1] == {
        "cleanup.policy": "compact,delete",
        "message.timestamp.type": "CreateTime",
        "retention.ms": "2000",
        "min.insync.replicas": "2",
    }
    assert topics["app-mine-changelog"][1]["retention.ms"] == "5"
    default = changelog_topics(topology, "app", {"in": 2})
    assert default["app-w-changelog"][1]["retention.ms"] == str(3_600_000 + 86_400_000)


# -- views ----------------------------------------------------------------------------------------


def test_read_only_view_and_driver_accessors(engine: str) -> None:
    from kstreams.state import ReadOnlyWindowStore

    topology = (
        Topology()
        .add_source("src", "in", key_serde=S, value_serde=S)
        .add_processor("p", WindowCount, "src")
        .add_state_store(Stores.window_store_builder(supplier(engine, 100, 10), S, L), "p")
    )
    with TopologyTestDriver(topology, {"application.id": "app"}) as driver:
        driver.create_input_topic("in", S, S).pipe_input("a", "x", 3)
        store = driver.get_window_store("w")
        view = ReadOnlyWindowStore(store)
        assert view.fetch("a", 0) == 1
        assert list(view.fetch("a", 0, 10)) == [(0, 1)]
        assert list(view.fetch_all(0, 10)) == [(Windowed("a", TimeWindow(0, 10)), 1)]
        with pytest.raises(ValueError, match="not a timestamped window store"):
            driver.get_timestamped_window_store("w")
        with pytest.raises(ValueError, match="not a session store"):
            driver.get_session_store("w")


def test_the_driver_shows_a_timestamped_window_store_with_plain_values(tmp_path: Path) -> None:
    class Stamp(Processor):
        def init(self, context: Any) -> None:
            super().init(context)
            self.store = context.get_state_store("w")

        def process(self, record: Record) -> None:
            self.store.put(record.key, ValueAndTimestamp(1, record.timestamp), 0)

    topology = (
        Topology()
        .add_source("src", "in", key_serde=S, value_serde=S)
        .add_processor("p", Stamp, "src")
        .add_state_store(
            Stores.timestamped_window_store_builder(
                Stores.persistent_timestamped_window_store("w", 100, 10), S, L
            ),
            "p",
        )
    )
    with TopologyTestDriver(topology, {"application.id": "app"}) as driver:
        driver.create_input_topic("in", S, S).pipe_input("a", "x", 3)
        assert driver.get_timestamped_window_store("w").fetch("a", 0) == ValueAndTimestamp(1, 3)
        plain = driver.get_window_store("w")
        assert plain.fetch("a", 0) == 1
        assert list(plain.all()) == [(Windowed("a", TimeWindow(0, 10)), 1)]
        # Java's fetch(key, timeFrom, timeTo) on both faces
        assert list(plain.fetch("a", 0, 10)) == [(0, 1)]
        stamped = driver.get_timestamped_window_store("w")
        assert list(stamped.fetch("a", 0, 10)) == [(0, ValueAndTimestamp(1, 3))]


@pytest.mark.parametrize("engine", ["rocksdb", "memory"])
@pytest.mark.parametrize("cached", [True, False])
def test_fetch_with_a_time_range_is_java_s_three_argument_fetch(engine: str, cached: bool) -> None:
    """``fetch(key, time_from, time_to)`` on the store a processor and the driver get, with
    and without the record cache: the windows of ``key`` starting in the bounds, as
    ``fetch_range`` (Java's ``WindowStore.fetch(key, timeFrom, timeTo)``)."""
    seen: list[Any] = []

    class Reader(WindowCount):
        def process(self, record: Record) -> None:
            super().process(record)
            seen.append(list(self.store.fetch(record.key, 0, 100)))

    builder = Stores.window_store_builder(supplier(engine, 100, 10), S, L)
    if cached:
        builder = builder.with_caching_enabled()
    topology = (
        Topology()
        .add_source("src", "in", key_serde=S, value_serde=S)
        .add_processor("p", Reader, "src")
        .add_state_store(builder, "p")
    )
    with TopologyTestDriver(topology, {"application.id": "app"}) as driver:
        topic = driver.create_input_topic("in", S, S)
        topic.pipe_input("a", "x", 3)
        topic.pipe_input("a", "x", 15)
        store = driver.get_window_store("w")
        assert list(store.fetch("a", 0, 10)) == [(0, 1), (10, 1)]
        assert list(store.fetch("a", 5, 10)) == [(10, 1)]
        assert store.fetch("a", 10) == 1
        assert list(store.fetch("b", 0, 10)) == []
    assert seen == [[(0, 1)], [(0, 1), (10, 1)]]


def test_time_ordered_store_iterates_time_first_and_keeps_windows_one_ms_longer(
    tmp_path: Path,
) -> None:
    from kstreams.state import persistent_time_ordered_window_store

    builder = Stores.window_store_builder(persistent_time_ordered_window_store("w", 100, 10), S, L)
    store = builder.build()
    store.init(StateStoreContext("0_0", "app", 0, str(tmp_path)))
    store.put("b", 1, 0)
    store.put("a", 2, 10)
    store.put("a", 3, 0)
    store.commit(None)
    store.put("c", 4, 0)  # buffered: merged in the same order
    assert [(w.key, w.window.start) for w, _ in store.all()] == [
        ("a", 0),
        ("b", 0),
        ("c", 0),
        ("a", 10),
    ]
    assert [(w.key, w.window.start) for w, _ in store.backward_fetch_all(0, 10)] == [
        ("a", 10),
        ("c", 0),
        ("b", 0),
        ("a", 0),
    ]
    store.put("a", 5, 100)  # stream time 100: Java's time-ordered store still reads start 0
    assert store.fetch("a", 0) == 3
    store.put("a", 6, 101)
    assert store.fetch("a", 0) is None


class LatePut(Processor):
    """Writes every record into its window of store "w", however late."""

    def init(self, context: Any) -> None:
        super().init(context)
        self.store = context.get_state_store("w")

    def process(self, record: Record) -> None:
        self.store.put(record.key, 1, record.timestamp - record.timestamp % 10)


@pytest.mark.parametrize(
    "engine, dropped",
    # Java: its in-memory store counts every expired write, RocksDB only a write to a
    # segment already dropped (segments of 60 s here: the write at 0 is still in a live one)
    [("memory", 2), ("rocksdb", 1)],
)
def test_expired_writes_count_as_dropped_records_as_in_java(engine: str, dropped: int) -> None:
    topology = (
        Topology()
        .add_source("src", "in", key_serde=S, value_serde=S)
        .add_processor("p", LatePut, "src")
        .add_state_store(Stores.window_store_builder(supplier(engine, 100, 10), S, L), "p")
    )
    with TopologyTestDriver(topology, {"application.id": "app"}) as driver:
        inp = driver.create_input_topic("in", S, S)
        for ts in (200, 0, 300_000, 150_000):  # 0: expired in a live segment; 150_000: gone
            inp.pipe_input("a", "x", ts)
        assert driver.metrics()["dropped-records-total"] == dropped
        assert list(driver.get_window_store("w").all()) == [
            (Windowed("a", TimeWindow(300_000, 300_010)), 1)
        ]


def test_segments_written_before_any_scan_of_one_key_do_not_track_keys_and_are_read(
    tmp_path: Path,
) -> None:
    store = open_store(tmp_path, "rocksdb", retention=timedelta(minutes=4), size=60_000)
    for key, ts in [("a", 10), ("ab", 20), ("a", 30)]:
        store.put(key, ts, ts)
    commit(store, 1)
    engine = store.inner
    assert engine._segments[0].record_keys is None  # a point-lookup store pays no tracking
    assert list(store.fetch_range("a", 0, 10**9)) == [(10, 10), (30, 30)]
    assert list(store.fetch_range("ab", 0, 10**9)) == [(20, 20)]
    assert list(store.fetch_range("b", 0, 10**9)) == []
    # after that first scan, a segment written fresh remembers its keys; the old one still
    # does not (it is read by iterator, with the same results)
    store.put("a", 1, 130_000)
    store.put("c", 2, 10)
    commit(store, 2)
    assert engine._segments[0].record_keys is None
    assert engine._segments[1].record_keys == {b"a": window_key(b"a", 130_000)}
    assert list(store.fetch_range("a", 0, 10**9)) == [(10, 10), (30, 30), (130_000, 1)]
    assert list(store.fetch_range("c", 0, 10**9)) == [(10, 2)]
    store.close()


def test_scans_of_one_key_skip_segments_without_it_and_read_the_others(
    tmp_path: Path, monkeypatch: Any
) -> None:
    from kstreams.state import segments

    store = open_store(tmp_path, "rocksdb", retention=timedelta(minutes=4), size=60_000)
    # a store scanned by key: the segments it writes from then on remember their keys
    assert list(store.fetch_range("a", 0, 10**9)) == []
    for key, ts in [("a", 10), ("ab", 20), ("b", 130_000), ("a", 140_000), ("a", 150_000)]:
        store.put(key, ts, ts)
    commit(store, 1)
    engine = store.inner
    assert [s.record_keys for s in (engine._segments[0], engine._segments[1])] == [
        {b"a": window_key(b"a", 10), b"ab": window_key(b"ab", 20)},  # one entry: read by key
        {b"a": None, b"b": window_key(b"b", 130_000)},  # "a" twice: scanned
    ]
    assert list(store.fetch_range("a", 0, 10**9)) == [
        (10, 10),
        (140_000, 140_000),
        (150_000, 150_000),
    ]
    assert list(store.backward_fetch_range("a", 0, 10**9)) == [
        (150_000, 150_000),
        (140_000, 140_000),
        (10, 10),
    ]
    assert list(store.fetch_range("ab", 0, 10**9)) == [(20, 20)]
    assert list(store.fetch_range("b", 0, 100_000)) == []
    assert list(store.fetch_range("c", 0, 10**9)) == []
    # a segment with too many keys to remember is always read
    monkeypatch.setattr(segments, "MAX_TRACKED_KEYS", 2)
    store.put("c", 1, 160_000)
    commit(store, 2)
    assert engine._segments[1].record_keys is None
    assert list(store.fetch_range("c", 0, 10**9)) == [(160_000, 1)]
    store.close()
    # segments opened from disk do not know their keys: read
    again = open_store(tmp_path, "rocksdb", retention=timedelta(minutes=4), size=60_000)
    assert all(s.record_keys is None for s in again.inner._segments.values())
    assert list(again.fetch_range("a", 0, 10**9)) == [
        (10, 10),
        (140_000, 140_000),
        (150_000, 150_000),
    ]
    again.close()
