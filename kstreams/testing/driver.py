"""``TopologyTestDriver``: run a topology without Kafka, record by record (Java: same name).

It drives the very same :class:`~kstreams.runtime.task.StreamTask` code as
``KafkaStreams``, with an in-memory record collector and a mock wall clock.
Each piped record is processed to completion, including records that go
through repartition topics, before ``pipe_input`` returns.

Example::

    with TopologyTestDriver(builder.build()) as driver:
        inp = driver.create_input_topic("in", Serdes.String(), Serdes.String())
        out = driver.create_output_topic("out", Serdes.String(), Serdes.String())
        inp.pipe_input("k", "hello")
        assert out.read_key_value() == KeyValue("k", "HELLO")
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from kstreams.config import StreamsConfig
from kstreams.dsl.options import KeyValue
from kstreams.processor.task_id import TaskId
from kstreams.runtime.global_thread import create_global_task
from kstreams.runtime.metrics import merged as merged_metrics
from kstreams.runtime.task import StreamTask
from kstreams.serde.base import Headers, Serde, as_serde
from kstreams.state import (
    SessionStore,
    TimestampedKeyValueStore,
    TimestampedWindowStore,
    WindowStore,
)
from kstreams.state.caching import ThreadCache
from kstreams.state.versioned import VersionedKeyValueStore
from kstreams.state.window_views import PlainValueWindowStore
from kstreams.topology.topology import Topology

_MISSING: Any = object()


def _ms(value: timedelta | int | float) -> int:
    if isinstance(value, timedelta):
        return int(value.total_seconds() * 1000)
    return int(value)


def _epoch_ms(value: datetime | int | float | None) -> int:
    if value is None:
        return int(time.time() * 1000)
    if isinstance(value, datetime):
        return int(value.timestamp() * 1000)
    return int(value)


class EmptyTopicError(LookupError):
    """Reading from an output topic that holds no (more) records (Java: ``NoSuchElementException``)."""


@dataclass(frozen=True)
class TestRecord:
    """A record piped into or read from the test driver (Java: ``TestRecord``)."""

    __test__ = False  # not a pytest test class

    key: Any
    value: Any
    timestamp: int | None = None
    headers: Headers = None

    @property
    def record_time(self) -> int | None:
        """Java's ``getRecordTime``: the timestamp in milliseconds."""
        return self.timestamp


class _InMemoryCollector:
    """Collects what sinks send, in order."""

    def __init__(self) -> None:
        self.records: deque[tuple[str, bytes | None, bytes | None, int, Headers]] = deque()
        self.changelog_offsets: dict[tuple[str, int], int] = {}

    def send(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        timestamp: int,
        headers: Headers,
        partition: int | None,
    ) -> None:
        self.records.append((topic, key, value, timestamp, headers))

    def send_changelog(
        self,
        topic: str,
        key: bytes,
        value: bytes | None,
        timestamp: int,
        partition: int,
        headers: Headers = None,
    ) -> None:
        self.records.append((topic, key, value, timestamp, headers))
        tp = (topic, partition)
        self.changelog_offsets[tp] = self.changelog_offsets.get(tp, -1) + 1

    def partitions_for(self, topic: str) -> int:
        return 1


class TopologyTestDriver:
    """Feeds records into a topology and collects what it writes, with no broker.

    ``config`` is a StreamsConfig dict; ``application.id`` and
    ``bootstrap.servers`` get dummy values when missing. Every topic has one
    partition (0).
    """

    def __init__(
        self,
        topology: Topology,
        config: Mapping[str, Any] | StreamsConfig | None = None,
        initial_wall_clock_time: datetime | int | None = None,
    ) -> None:
        props = dict(config.originals() if isinstance(config, StreamsConfig) else (config or {}))
        props.setdefault("application.id", "dummy-topology-test-driver-app-id")
        props.setdefault("bootstrap.servers", "dummy-bootstrap-host:0")
        # as Java's driver: on_window_close aggregations and left/outer stream-stream joins emit
        # on every record, not once a second
        props.setdefault("__emit.interval.ms.kstreams.windowed.aggregation__", 0)
        props.setdefault("__emit.interval.ms.kstreams.outer.join.spurious.results.fix__", 0)
        self._temp_state_dir: str | None = None
        if "state.dir" not in props:
            self._temp_state_dir = tempfile.mkdtemp(prefix="kstreams-ttd-")
            props["state.dir"] = self._temp_state_dir
        self.config = StreamsConfig(props)
        self.topology = topology
        self._wall = _epoch_ms(initial_wall_clock_time)
        self._collector = _InMemoryCollector()
        self._outputs: dict[str, deque[tuple[bytes | None, bytes | None, int, Headers]]] = {}
        self._offsets: dict[str, int] = {}
        self._committed: dict[tuple[str, int], tuple[int, str]] = {}
        """The last committed (offset, metadata string) of each input partition."""
        self._tasks: list[StreamTask] = []
        self._task_of_topic: dict[str, StreamTask] = {}
        self._cache = ThreadCache(self.config.statestore_cache_max_bytes)
        app_id = self.config.application_id
        # as Java's driver: global stores are updated at once by the records piped to their
        # topics (one task for all of them), and every task reads them
        global_task = create_global_task(topology, self.config, self.wall_clock_ms)
        global_stores: dict[str, Any] = {}
        if global_task is not None:
            self._tasks.append(global_task)
            global_stores = global_task.stores.stores
            for topic in global_task.subtopology.source_topics:
                self._task_of_topic[topology.resolve_topic(topic, app_id)] = global_task
        for sub in topology.subtopologies():
            task = StreamTask(
                TaskId(sub.id, 0),
                topology,
                sub,
                self.config,
                self._collector,
                self.wall_clock_ms,
                thread_cache=self._cache,
                global_stores=global_stores,
            )
            self._tasks.append(task)
            for topic in sub.source_topics:
                self._task_of_topic[topology.resolve_topic(topic, app_id)] = task
        self._closed = False

    # -- time ---------------------------------------------------------------------------------
    def wall_clock_ms(self) -> int:
        """The mock wall clock, in epoch milliseconds."""
        return self._wall

    def advance_wall_clock_time(self, advance: timedelta | int) -> None:
        """Move the mock wall clock forward and fire due wall-clock punctuations."""
        ms = _ms(advance)
        if ms < 0:
            raise ValueError("advance must not be negative")
        self._wall += ms
        for task in self._tasks:
            task.punctuate_wall_clock()
            self._capture()
        self._commit()
        self._capture()

    # -- topics -------------------------------------------------------------------------------
    def create_input_topic(
        self,
        topic: str,
        key_serde: Serde[Any] | None = None,
        value_serde: Serde[Any] | None = None,
        start_timestamp: datetime | int | None = None,
        auto_advance: timedelta | int = 0,
    ) -> TestInputTopic:
        """A handle to pipe records into ``topic`` (a source topic of the topology)."""
        if topic not in self._task_of_topic:
            raise ValueError(
                f"Unknown topic: {topic}. The topology reads {sorted(self._task_of_topic)}"
            )
        start = self._wall if start_timestamp is None else _epoch_ms(start_timestamp)
        return TestInputTopic(
            self,
            topic,
            self._serde(key_serde, True),
            self._serde(value_serde, False),
            start,
            _ms(auto_advance),
        )

    def create_output_topic(
        self,
        topic: str,
        key_serde: Serde[Any] | None = None,
        value_serde: Serde[Any] | None = None,
    ) -> TestOutputTopic:
        """A handle to read what the topology wrote to ``topic``."""
        return TestOutputTopic(
            self, topic, self._serde(key_serde, True), self._serde(value_serde, False)
        )

    def produced_topic_names(self) -> set[str]:
        """Every topic the topology has written to so far."""
        return set(self._outputs)

    def _serde(self, serde: Any, is_key: bool) -> Serde[Any]:
        s = as_serde(serde)
        if s is None:
            return self.config.default_key_serde() if is_key else self.config.default_value_serde()
        return s

    # -- the record path ----------------------------------------------------------------------
    def pipe_raw(
        self, topic: str, key: bytes | None, value: bytes | None, timestamp: int, headers: Headers
    ) -> None:
        """Process one serialized record read from ``topic``, and everything it causes."""
        if self._closed:
            raise RuntimeError("The TopologyTestDriver is closed")
        task = self._task_of_topic.get(topic)
        if task is None:
            raise ValueError(f"Unknown topic: {topic}")
        offset = self._offsets.get(topic, 0)
        self._offsets[topic] = offset + 1
        try:
            task.process(topic, 0, offset, key, value, timestamp, headers)
        except BaseException:
            self._capture()  # what was sent before a failure (a dead letter record, say)
            raise
        # Like Kafka Streams' driver: a commit after every record, so record caches forward
        # each record's updates (merging only updates made while processing one record)
        self._commit()
        self._capture()

    def _commit(self) -> None:
        """Commit every task's stores, as the runtime does (caches flush, changelogs are sent),
        and keep its offsets and their metadata (partition time, processor metadata) in memory,
        as Java's driver commits them to its mock consumer."""
        for task in self._tasks:
            task.prepare_commit()
            offsets = task.committable_offsets()
            if offsets:
                for (t, p), offset in offsets.items():
                    self._committed[(t, p)] = (offset, task.commit_metadata(t, p))
                task.mark_committed(offsets)
        for task in self._tasks:
            task.commit_stores(self._collector.changelog_offsets)

    def _capture(self) -> None:
        records = self._collector.records
        while records:
            topic, key, value, ts, headers = records.popleft()
            self._outputs.setdefault(topic, deque()).append((key, value, ts, headers))
            if topic in self._task_of_topic:
                self.pipe_raw(topic, key, value, ts, headers)

    def _read(self, topic: str) -> tuple[bytes | None, bytes | None, int, Headers]:
        q = self._outputs.get(topic)
        if not q:
            raise EmptyTopicError(f"Empty topic: {topic}")
        return q.popleft()

    def _queue_size(self, topic: str) -> int:
        return len(self._outputs.get(topic, ()))

    # -- state stores ---------------------------------------------------------------------------
    def get_all_state_stores(self) -> dict[str, Any]:
        """Every state store of the topology by name."""
        out: dict[str, Any] = {}
        for task in self._tasks:
            out.update(task.stores.stores)
        return out

    def get_state_store(self, name: str) -> Any:
        """The store ``name`` as the processors see it."""
        stores = self.get_all_state_stores()
        if name not in stores:
            raise ValueError(f"Unknown state store {name!r}; the topology has {sorted(stores)}")
        return stores[name]

    def get_timestamped_key_value_store(self, name: str) -> Any:
        """A timestamped key-value store: values are ``ValueAndTimestamp``.

        A plain key-value store is an error (Java returns null): use :meth:`get_key_value_store`.
        """
        store = self.get_state_store(name)
        if not isinstance(store, TimestampedKeyValueStore):
            raise ValueError(
                f"State store {name!r} is not a timestamped key-value store; "
                "use get_key_value_store()"
            )
        return store

    def get_key_value_store(self, name: str) -> Any:
        """A key-value store with plain values (timestamps of timestamped stores are hidden)."""
        store = self.get_state_store(name)
        if isinstance(store, TimestampedKeyValueStore):
            return PlainValueStore(store, self.wall_clock_ms)
        return store

    def get_versioned_key_value_store(self, name: str) -> Any:
        """A versioned key-value store (Java: ``getVersionedKeyValueStore``).

        Example::

            store = driver.get_versioned_key_value_store("prices")
            store.get("apple", 1_500)     # VersionedRecord(value=3, timestamp=1000)
        """
        store = self.get_state_store(name)
        if not isinstance(store, VersionedKeyValueStore):
            raise ValueError(f"State store {name!r} is not a versioned key-value store")
        return store

    def get_window_store(self, name: str) -> Any:
        """A window store with plain values (a timestamped one is seen through Java's facade:
        values without their timestamps, ``put`` with timestamp -1).

        Example::

            store = driver.get_window_store("counts")
            list(store.fetch_range("alice", 0, 60_000))     # [(0, 3)]
        """
        store = self.get_state_store(name)
        if not isinstance(store, WindowStore):
            raise ValueError(f"State store {name!r} is not a window store")
        if isinstance(store, TimestampedWindowStore):
            return PlainValueWindowStore(store)
        return store

    def get_timestamped_window_store(self, name: str) -> Any:
        """A timestamped window store: values are ``ValueAndTimestamp``."""
        store = self.get_state_store(name)
        if not isinstance(store, TimestampedWindowStore):
            raise ValueError(
                f"State store {name!r} is not a timestamped window store; use get_window_store()"
            )
        return store

    def get_session_store(self, name: str) -> Any:
        """A session store (keys ``Windowed(key, SessionWindow)``)."""
        store = self.get_state_store(name)
        if not isinstance(store, SessionStore):
            raise ValueError(f"State store {name!r} is not a session store")
        return store

    def metrics(self) -> dict[str, float]:
        """Task metrics over the tasks (``process-total``, ``dropped-records-total``,
        ``record-lateness-avg`` / ``-max``, and for on-window-close aggregations
        ``window-aggregate-final-emit-total`` and its latency)."""
        return merged_metrics(task.metrics for task in self._tasks)

    # -- lifecycle ----------------------------------------------------------------------------
    def close(self) -> None:
        """Close every task (and so every processor)."""
        if self._closed:
            return
        self._closed = True
        try:
            for task in self._tasks:
                task.close()
        finally:
            if self._temp_state_dir is not None:
                shutil.rmtree(self._temp_state_dir, ignore_errors=True)

    def __enter__(self) -> TopologyTestDriver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class PlainValueStore:
    """A timestamped store seen with plain values (Java's ``KeyValueStoreFacade``)."""

    def __init__(self, inner: Any, clock: Callable[[], int]) -> None:
        self._inner = inner
        self._clock = clock
        self.name = inner.name

    def get(self, key: Any) -> Any:
        """The value of ``key`` or None."""
        vat = self._inner.get(key)
        return None if vat is None else vat.value

    def put(self, key: Any, value: Any) -> None:
        """Write ``value`` with the mock wall-clock time as its timestamp."""
        from kstreams.state import ValueAndTimestamp

        self._inner.put(key, None if value is None else ValueAndTimestamp(value, self._clock()))

    def delete(self, key: Any) -> Any:
        """Delete ``key``; returns its old value."""
        vat = self._inner.delete(key)
        return None if vat is None else vat.value

    def _plain(self, it: Iterable[tuple[Any, Any]]) -> Iterator[tuple[Any, Any]]:
        for k, vat in it:
            yield k, vat.value

    def range(self, from_key: Any = None, to_key: Any = None) -> Iterator[tuple[Any, Any]]:
        """Keys from ``from_key`` to ``to_key`` (inclusive), in serialized-key order."""
        return self._plain(self._inner.range(from_key, to_key))

    def reverse_range(self, from_key: Any = None, to_key: Any = None) -> Iterator[tuple[Any, Any]]:
        """:meth:`range` backwards."""
        return self._plain(self._inner.reverse_range(from_key, to_key))

    def all(self) -> Iterator[tuple[Any, Any]]:
        """Every entry."""
        return self._plain(self._inner.all())

    def reverse_all(self) -> Iterator[tuple[Any, Any]]:
        """Every entry, backwards."""
        return self._plain(self._inner.reverse_all())

    def approximate_num_entries(self) -> int:
        """About how many entries the store holds."""
        return self._inner.approximate_num_entries()


class TestInputTopic:
    """Pipes records into one source topic (Java: ``TestInputTopic``)."""

    __test__ = False

    def __init__(
        self,
        driver: TopologyTestDriver,
        topic: str,
        key_serde: Serde[Any],
        value_serde: Serde[Any],
        start_ms: int,
        auto_advance_ms: int,
    ) -> None:
        self._driver = driver
        self.topic = topic
        self._kser = key_serde.serialize
        self._vser = value_serde.serialize
        self._time = start_ms
        self._advance = auto_advance_ms

    def advance_time(self, advance: timedelta | int) -> None:
        """Move this topic's record time forward."""
        ms = _ms(advance)
        if ms < 0:
            raise ValueError("advance must not be negative")
        self._time += ms

    def _next_time(self) -> int:
        t = self._time
        self._time += self._advance
        return t

    def pipe_input(
        self,
        key: Any = _MISSING,
        value: Any = _MISSING,
        timestamp: datetime | int | None = None,
        headers: Headers = None,
    ) -> None:
        """Pipe one record: ``pipe_input(key, value)``, ``pipe_input(value)`` (null key),
        ``pipe_input(key, value, timestamp)`` or ``pipe_input(TestRecord(...))``."""
        if isinstance(key, TestRecord) and value is _MISSING:
            rec = key
            key, value, headers = rec.key, rec.value, rec.headers
            timestamp = rec.timestamp
        elif value is _MISSING:
            key, value = None, key
        if value is _MISSING:
            raise TypeError("pipe_input needs a value")
        ts = self._next_time() if timestamp is None else _epoch_ms(timestamp)
        topic = self.topic
        kb = self._kser(topic, key, headers)
        vb = self._vser(topic, value, headers)
        self._driver.pipe_raw(topic, kb, vb, ts, headers)

    def pipe_value_list(self, values: Iterable[Any]) -> None:
        """Pipe one record per value, with null keys."""
        for v in values:
            self.pipe_input(None, v)

    def pipe_key_value_list(
        self,
        pairs: Iterable[tuple[Any, Any]],
        start_timestamp: datetime | int | None = None,
        advance: timedelta | int = 0,
    ) -> None:
        """Pipe ``(key, value)`` pairs (or ``KeyValue``s), optionally with rising timestamps."""
        ts = None if start_timestamp is None else _epoch_ms(start_timestamp)
        step = _ms(advance)
        for k, v in pairs:
            self.pipe_input(k, v, ts)
            if ts is not None:
                ts += step

    def pipe_record_list(self, records: Iterable[TestRecord]) -> None:
        """Pipe each :class:`TestRecord`."""
        for r in records:
            self.pipe_input(r)


class TestOutputTopic:
    """Reads what the topology wrote to one topic (Java: ``TestOutputTopic``)."""

    __test__ = False

    def __init__(
        self,
        driver: TopologyTestDriver,
        topic: str,
        key_serde: Serde[Any],
        value_serde: Serde[Any],
    ) -> None:
        self._driver = driver
        self.topic = topic
        self._kdes = key_serde.deserialize
        self._vdes = value_serde.deserialize

    def read_record(self) -> TestRecord:
        """The next record, with key, value, timestamp and headers."""
        kb, vb, ts, headers = self._driver._read(self.topic)
        topic = self.topic
        return TestRecord(
            self._kdes(topic, kb, headers), self._vdes(topic, vb, headers), ts, headers
        )

    def read_value(self) -> Any:
        """The next record's value."""
        return self.read_record().value

    def read_key_value(self) -> KeyValue:
        """The next record as a ``KeyValue``."""
        r = self.read_record()
        return KeyValue(r.key, r.value)

    def read_records_to_list(self) -> list[TestRecord]:
        """Every remaining record."""
        out = []
        while not self.is_empty():
            out.append(self.read_record())
        return out

    def read_values_to_list(self) -> list[Any]:
        """Every remaining value."""
        return [r.value for r in self.read_records_to_list()]

    def read_key_values_to_list(self) -> list[KeyValue]:
        """Every remaining record as a ``KeyValue``."""
        return [KeyValue(r.key, r.value) for r in self.read_records_to_list()]

    def read_key_values_to_map(self) -> dict[Any, Any]:
        """The latest value of each key among the remaining records (null keys are an error)."""
        out: dict[Any, Any] = {}
        for r in self.read_records_to_list():
            if r.key is None:
                raise ValueError("Null keys not allowed with read_key_values_to_map")
            out[r.key] = r.value
        return out

    def get_queue_size(self) -> int:
        """How many records are left to read."""
        return self._driver._queue_size(self.topic)

    def is_empty(self) -> bool:
        """Whether every record was read."""
        return self.get_queue_size() == 0
