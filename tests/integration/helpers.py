"""Shared helpers of the runtime integration tests (real broker, no mocks).

* :func:`produce` writes records (Java's murmur2 partitioner) and returns where each one
  landed, and :func:`read_all` reads a topic up to its current end: the pytest plugin's
  :func:`kstreams.testing.produce` / :func:`kstreams.testing.read_topic`, which new tests take
  as the ``produce`` and ``read_topic`` fixtures (as they take ``new_topic`` and
  ``streams_app``, the plugin's ``KafkaStreams`` runner);
* :class:`TopicReader` reads topics from the beginning (``assign``, no group join) and waits
  for records to arrive with a deadline, failing at once when the app writing them stopped;
  ``settle_committed`` waits until the app committed its inputs and reads the outputs to their
  end (every record it will write for them: "nothing more arrives" without a fixed wait);
* :func:`java_partition` is Java's ``Utils.murmur2`` partition of a key;
* :class:`StreamsRunner` runs a :class:`~kstreams.KafkaStreams` in the test process and always
  closes it; :class:`AppProcess` runs an app script in a subprocess and always stops it
  (a stop that hangs fails with the app's thread stacks: :mod:`app_signals`);
* :func:`wait_until` polls a condition with a deadline.
* state tests: :func:`latest_counts` (latest Long per key of an output topic),
  :func:`topic_configs`, :func:`group_assignment`, :func:`group_caught_up`, :func:`app_caught_up`,
  :func:`delete_topics` and :class:`RestoreRecorder` (a state restore listener).
"""

from __future__ import annotations

import contextlib
import os
import signal
import struct
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app_signals import CLOSE_TIMEOUT_S, EXIT_GRACE_S, overrun_report, stacks_then_kill
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

from kstreams import KafkaStreams, Serdes, Topology
from kstreams.testing.topics import ConsumedRecord, ProducedRecord, read_topic
from kstreams.testing.topics import produce as produce_records

APPS_DIR = Path(__file__).parent / "apps"
REPO_ROOT = Path(__file__).resolve().parents[2]

Header = tuple[str, bytes | None]


# --------------------------------------------------------------------------- #
# Names and configs
# --------------------------------------------------------------------------- #


def unique_app_id(prefix: str) -> str:
    """An ``application.id`` no other test (or earlier run) uses."""
    return f"it-{prefix}-{uuid.uuid4().hex[:8]}"


def streams_config(bootstrap: str, app_id: str, **overrides: Any) -> dict[str, Any]:
    """A small-interval test config; ``overrides`` use dotted keys given with ``_`` (or a dict)."""
    config: dict[str, Any] = {
        "application.id": app_id,
        "bootstrap.servers": bootstrap,
        "commit.interval.ms": 200,
        "poll.ms": 50,
        "default.key.serde": Serdes.String,
        "default.value.serde": Serdes.String,
    }
    for key, value in overrides.items():
        config[key.replace("_", ".")] = value
    return config


# --------------------------------------------------------------------------- #
# Java's default partitioner
# --------------------------------------------------------------------------- #


def murmur2(data: bytes) -> int:
    """Java's ``org.apache.kafka.common.utils.Utils.murmur2`` (a signed 32-bit int)."""
    mask = 0xFFFFFFFF
    m = 0x5BD1E995
    length = len(data)
    h = (0x9747B28C ^ length) & mask
    for i in range(length // 4):
        k = int.from_bytes(data[4 * i : 4 * i + 4], "little")
        k = (k * m) & mask
        k ^= k >> 24
        k = (k * m) & mask
        h = (h * m) & mask
        h ^= k
    tail = length & ~3
    rest = length % 4
    if rest == 3:
        h ^= data[tail + 2] << 16
    if rest >= 2:
        h ^= data[tail + 1] << 8
    if rest >= 1:
        h ^= data[tail]
        h = (h * m) & mask
    h ^= h >> 13
    h = (h * m) & mask
    h ^= h >> 15
    return h - (1 << 32) if h & 0x80000000 else h


def java_partition(key: bytes, num_partitions: int) -> int:
    """The partition Java's producer picks for a non-null ``key``: ``toPositive(murmur2) % n``."""
    return (murmur2(key) & 0x7FFFFFFF) % num_partitions


# --------------------------------------------------------------------------- #
# Producing
# --------------------------------------------------------------------------- #


Produced = ProducedRecord
"""Where a produced record landed (the plugin's :class:`~kstreams.testing.ProducedRecord`)."""


def produce(
    bootstrap: str,
    topic: str,
    records: Iterable[tuple[Any, Any] | tuple[Any, Any, int | None]],
    *,
    partition: int | None = None,
    headers: Sequence[Header] | None = None,
) -> list[Produced]:
    """Produce ``(key, value[, timestamp])`` records (str is UTF-8 encoded) and wait for all.

    The plugin's :func:`kstreams.testing.produce` (the ``produce`` fixture, unbound): Java's
    murmur2 partitioner, acks=all, idempotent. Returns the delivery reports in the order of
    ``records``; raises if any failed.
    """
    return produce_records(bootstrap, topic, records, partition=partition, headers=headers)


# --------------------------------------------------------------------------- #
# Consuming
# --------------------------------------------------------------------------- #


@dataclass(frozen=True)
class Received(ConsumedRecord):
    """A record read back from Kafka: the plugin's :class:`~kstreams.testing.ConsumedRecord`
    with its key and value as bytes, and their text."""

    @property
    def key_str(self) -> str | None:
        return None if self.key is None else self.key.decode()

    @property
    def value_str(self) -> str | None:
        return None if self.value is None else self.value.decode()


def partition_count(bootstrap: str, topic: str, timeout: float = 10.0) -> int:
    """How many partitions ``topic`` has (0 if it does not exist)."""
    from kstreams.testing.broker import admin_client

    md = admin_client(bootstrap).list_topics(topic, timeout=timeout)
    t = md.topics.get(topic)
    if t is None or t.error is not None:
        return 0
    return len(t.partitions)


class TopicReader:
    """Reads every partition of ``topics`` from the beginning, without joining a group.

    Records accumulate in :attr:`records`; :meth:`wait_for` polls until a condition holds.
    Use as a context manager (closes the consumer).
    """

    def __init__(self, bootstrap: str, topics: str | Sequence[str]) -> None:
        self.topics = [topics] if isinstance(topics, str) else list(topics)
        self.bootstrap = bootstrap
        self.records: list[Received] = []
        self.consumer = Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": f"it-reader-{uuid.uuid4().hex[:8]}",
                "enable.auto.commit": False,
                # if the initial OFFSET_BEGINNING lookup fails (e.g. right after a broker
                # restart) librdkafka falls back to auto.offset.reset: never skip to the end
                "auto.offset.reset": "earliest",
                "enable.partition.eof": False,
                "fetch.wait.max.ms": 50,
            }
        )
        assignment = []
        for topic in self.topics:
            n = partition_count(bootstrap, topic)
            assert n > 0, f"topic {topic} does not exist"
            assignment.extend(TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(n))
        self.consumer.assign(assignment)

    def __enter__(self) -> TopicReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.consumer.close()

    def poll(self, timeout: float = 0.2) -> int:
        """Read what is available now; returns how many records came in."""
        msgs = self.consumer.consume(1000, timeout)
        n = 0
        for msg in msgs:
            err = msg.error()
            assert err is None, f"consumer error: {err}"
            self.records.append(
                Received(
                    msg.topic(),
                    msg.partition(),
                    msg.offset(),
                    msg.key(),
                    msg.value(),
                    msg.timestamp()[1],
                    tuple(msg.headers() or ()),
                )
            )
            n += 1
        return n

    def wait_for(
        self,
        condition: int | Callable[[list[Received]], bool],
        timeout: float = 30.0,
        what: str = "",
        streams: KafkaStreams | None = None,
    ) -> list[Received]:
        """Poll until ``len(records) >= condition`` (an int) or ``condition(records)``.

        Raises AssertionError (with what arrived) when the deadline passes, or at once when
        ``streams`` (the app expected to write the records) stopped.
        """
        check = (lambda recs: len(recs) >= condition) if isinstance(condition, int) else condition
        deadline = time.monotonic() + timeout
        while not check(self.records):
            if streams is not None and streams.state.name in (
                "ERROR",
                "PENDING_ERROR",
                "NOT_RUNNING",
                "PENDING_SHUTDOWN",
            ):
                raise AssertionError(
                    f"KafkaStreams is {streams.state.name} ({streams.error!r}) while waiting for "
                    f"{what or condition} on {self.topics}; got {len(self.records)} record(s)"
                )
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"timed out after {timeout}s waiting for {what or condition} on "
                    f"{self.topics}; got {len(self.records)} record(s): "
                    f"{[(r.key, r.value) for r in self.records[:20]]}"
                    + ("" if streams is None else f"; app metrics {streams.metrics()}")
                )
            self.poll(0.2)
        return self.records

    def settle(self, seconds: float) -> list[Received]:
        """Keep reading for ``seconds`` (to see late duplicates or unexpected records)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.poll(0.1)
        return self.records

    def read_to_end(self, timeout: float = 30.0) -> list[Received]:
        """Read until every partition's position reached its high watermark (taken now).

        The reader is read_committed (librdkafka's default): a position passes a transaction
        only once it is decided. AssertionError naming the partitions behind after ``timeout``.
        """
        tps = self.consumer.assignment()
        ends = {
            (tp.topic, tp.partition): self.consumer.get_watermark_offsets(
                TopicPartition(tp.topic, tp.partition), timeout=15, cached=False
            )[1]
            for tp in tps
        }
        deadline = time.monotonic() + timeout
        while True:
            positions = self.consumer.position([TopicPartition(t, p) for t, p in ends])
            behind = {
                f"{tp.topic}-{tp.partition}": (tp.offset, ends[(tp.topic, tp.partition)])
                for tp in positions
                if ends[(tp.topic, tp.partition)] > 0 and tp.offset < ends[(tp.topic, tp.partition)]
            }
            if not behind:
                return self.records
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{self.topics} not read to their end within {timeout}s: "
                    f"(position, high watermark) {behind}"
                )
            self.poll(0.1)

    def settle_committed(
        self, group: str, inputs: str | Sequence[str], timeout: float = 30.0
    ) -> list[Received]:
        """What :meth:`settle` waits for, on a signal instead of a fixed time: every record
        the app ``group`` (its ``application.id``) will write for the records in ``inputs``.

        Waits until the group committed the end of every non-empty partition of ``inputs``
        and of its repartition topics (Kafka Streams flushes its caches and its producer
        before it commits offsets, so every output of those inputs -- late duplicates and
        unexpected records too -- is in the output topics by then), then reads the outputs
        to their end.
        """
        inputs = [inputs] if isinstance(inputs, str) else list(inputs)
        wait_until(
            lambda: app_caught_up(self.bootstrap, group, inputs),
            timeout,
            interval=0.2,
            what=f"{group} to commit the end of {inputs} and of its internal topics",
        )
        return self.read_to_end(timeout)

    def values(self) -> list[str | None]:
        return [r.value_str for r in self.records]


def high_watermarks(bootstrap: str, topic: str) -> dict[int, tuple[int, int]]:
    """``{partition: (low, high)}`` watermarks of ``topic``."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"it-wm-{uuid.uuid4().hex}"})
    try:
        out = {}
        for p in range(partition_count(bootstrap, topic)):
            out[p] = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
        return out
    finally:
        consumer.close()


def committed_offsets(bootstrap: str, group: str, topic: str) -> dict[int, int]:
    """``{partition: committed offset}`` of consumer group ``group`` on ``topic`` (-1001: none)."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
    try:
        tps = [TopicPartition(topic, p) for p in range(partition_count(bootstrap, topic))]
        return {tp.partition: tp.offset for tp in consumer.committed(tps, timeout=10)}
    finally:
        consumer.close()


def read_all(bootstrap: str, topic: str, timeout: float = 30.0) -> list[Received]:
    """Every record ``topic`` holds now (up to its current end), by partition and offset.

    The plugin's :func:`kstreams.testing.read_topic` (``records=True``, bytes).
    """
    return [
        Received(r.topic, r.partition, r.offset, r.key, r.value, r.timestamp, r.headers)
        for r in read_topic(bootstrap, topic, timeout=timeout, records=True)
    ]


# --------------------------------------------------------------------------- #
# Waiting
# --------------------------------------------------------------------------- #


def wait_until(
    condition: Callable[[], Any], timeout: float = 30.0, interval: float = 0.1, what: str = ""
) -> Any:
    """Poll ``condition()`` until it returns something truthy; AssertionError on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or condition}")
        time.sleep(interval)


# --------------------------------------------------------------------------- #
# KafkaStreams in this process
# --------------------------------------------------------------------------- #


class StateRecorder:
    """A state listener that remembers every ``(new, old)`` transition."""

    def __init__(self) -> None:
        self.transitions: list[tuple[Any, Any]] = []
        self._lock = threading.Lock()

    def __call__(self, new: Any, old: Any) -> None:
        with self._lock:
            self.transitions.append((new, old))

    @property
    def states(self) -> list[str]:
        """Every state entered, in order (names)."""
        with self._lock:
            return [new.value for new, _ in self.transitions]


@contextlib.contextmanager
def running_streams(
    topology: Topology,
    config: Mapping[str, Any],
    *,
    wait_running: bool = True,
    listener: StateRecorder | None = None,
    handler: Callable[[BaseException], Any] | None = None,
    close_timeout: float = 60.0,
) -> Iterator[KafkaStreams]:
    """Start a ``KafkaStreams`` (optionally waiting for RUNNING); always close it afterwards."""
    streams = KafkaStreams(topology, config)
    if listener is not None:
        streams.set_state_listener(listener)
    if handler is not None:
        streams.set_uncaught_exception_handler(handler)
    try:
        streams.start()
        if wait_running:
            streams.wait_until_running(60)
        yield streams
    finally:
        streams.close(close_timeout)


# --------------------------------------------------------------------------- #
# Apps in subprocesses
# --------------------------------------------------------------------------- #


class AppProcess:
    """An app script of ``tests/integration/apps`` run as a separate Python process.

    Its stdout and stderr go to ``log_path`` (unbuffered: a SIGKILL loses nothing it printed);
    :meth:`stop` sends SIGTERM, and if it does not exit in time asks for its threads' stacks
    and kills it (:mod:`app_signals`). Use as a context manager so the process never outlives
    the test.
    """

    def __init__(
        self,
        script: str,
        *args: str,
        log_path: Path,
        env: Mapping[str, str] | None = None,
        stop_timeout: float = CLOSE_TIMEOUT_S + EXIT_GRACE_S,
    ) -> None:
        self.script = APPS_DIR / script if not os.path.isabs(script) else Path(script)
        self.args = [str(a) for a in args]
        self.log_path = log_path
        self.env = dict(os.environ, PYTHONUNBUFFERED="1", **(env or {}))
        self.stop_timeout = stop_timeout
        """How long :meth:`stop` waits for the exit by default (the app's close timeout and more)."""
        self.proc: subprocess.Popen[bytes] | None = None
        self._log_file: Any = None

    def start(self) -> AppProcess:
        self._log_file = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, str(self.script), *self.args],
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            env=self.env,
            cwd=REPO_ROOT,
        )
        return self

    def __enter__(self) -> AppProcess:
        return self.start()

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        try:
            self.stop()
        except AssertionError as overrun:
            if exc is None:
                raise
            exc.add_note(str(overrun))  # the test's own failure stays the one reported

    @property
    def output(self) -> str:
        """Everything the process printed so far."""
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def lines(self, prefix: str) -> list[str]:
        """Printed lines starting with ``prefix`` (the prefix removed)."""
        return [
            line[len(prefix) :].strip()
            for line in self.output.splitlines()
            if line.startswith(prefix)
        ]

    def wait_for_line(self, text: str, timeout: float = 60.0) -> None:
        """Wait until the process printed a line containing ``text``."""

        def seen() -> bool:
            if text in self.output:
                return True
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"{self.script.name} exited ({self.proc.returncode}) before printing "
                    f"{text!r}:\n{self.output[-4000:]}"
                )
            return False

        try:
            wait_until(seen, timeout, what=f"{text!r} from {self.script.name}")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n--- output ---\n{self.output[-4000:]}") from None

    @property
    def returncode(self) -> int | None:
        return None if self.proc is None else self.proc.poll()

    def stop(self, timeout: float | None = None) -> int | None:
        """SIGTERM and wait up to ``timeout`` s (:attr:`stop_timeout`) for the exit; its exit code.

        Raises AssertionError if it did not exit in time: it is asked for its threads' stacks
        (SIGUSR1) and SIGKILLed, and the message holds them and the tail of its log.
        """
        if self.proc is None:
            return None
        timeout = self.stop_timeout if timeout is None else timeout
        try:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    before, stacks = stacks_then_kill(self.proc, lambda: self.output)
                    raise AssertionError(
                        overrun_report(self.script.name, timeout, before, stacks)
                    ) from None
            return self.proc.returncode
        finally:
            if self._log_file is not None:
                self._log_file.close()
                self._log_file = None

    def kill(self) -> None:
        """SIGKILL (a crash: no close, no commit)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


# --------------------------------------------------------------------------- #
# State: counts, topic configs, consumer groups (added for the state tests)
# --------------------------------------------------------------------------- #

_LONG = struct.Struct(">q")


def decode_long(value: bytes) -> int:
    """A Java ``Long`` serialized by ``Serdes.Long`` (8 bytes, big-endian, signed)."""
    return _LONG.unpack(value)[0]


def latest_counts(records: Iterable[Received]) -> dict[str, int]:
    """The latest Long value per String key, in the order the records were read.

    Per partition records are in offset order, so the last one seen for a key is its latest
    value, as long as every key stays in one partition (asserted). A ``None`` value (a
    tombstone) removes the key.
    """
    latest: dict[str, int] = {}
    where: dict[str, int] = {}
    for r in records:
        key = r.key_str
        assert key is not None, f"record without key at {r.topic}-{r.partition}@{r.offset}"
        home = where.setdefault(key, r.partition)
        assert home == r.partition, (
            f"key {key!r} in partitions {home} and {r.partition} of {r.topic}"
        )
        if r.value is None:
            latest.pop(key, None)
        else:
            latest[key] = decode_long(r.value)
    return latest


def topic_configs(bootstrap: str, topic: str, timeout: float = 15.0) -> dict[str, str | None]:
    """Every config of ``topic`` as the broker reports it (``describe_configs``)."""
    from confluent_kafka.admin import ConfigResource, ResourceType

    from kstreams.testing.broker import admin_client

    admin = admin_client(bootstrap)  # referenced until the future is done
    resource = ConfigResource(ResourceType.TOPIC, topic)
    entries = admin.describe_configs([resource], request_timeout=timeout)[resource].result(
        timeout=timeout
    )
    return {name: entry.value for name, entry in entries.items()}


def group_assignment(bootstrap: str, group: str) -> dict[str, set[tuple[str, int]]] | None:
    """``{member client id: {(topic, partition)}}`` of consumer group ``group`` when Stable, else None."""
    from kstreams.testing.broker import admin_client

    admin = admin_client(bootstrap)  # referenced until the future is done
    desc = admin.describe_consumer_groups([group], request_timeout=10)[group].result(timeout=15)
    if desc.state.name != "STABLE":
        return None
    return {
        m.client_id: {(tp.topic, tp.partition) for tp in m.assignment.topic_partitions}
        for m in desc.members
    }


def group_caught_up(bootstrap: str, group: str, topics: Iterable[str]) -> bool:
    """Whether ``group`` has committed the end offset of every non-empty partition of ``topics``."""
    for topic in topics:
        committed = committed_offsets(bootstrap, group, topic)
        for partition, (_, high) in high_watermarks(bootstrap, topic).items():
            if high > 0 and committed.get(partition) != high:
                return False
    return True


def app_caught_up(bootstrap: str, app_id: str, inputs: Iterable[str]) -> bool:
    """Whether the app ``app_id`` committed the end of every partition of ``inputs`` and of the
    internal topics it reads (every ``<app_id>-`` topic but its changelogs: repartition
    topics, foreign-key subscription topics), as a read_committed consumer sees the end.

    Kafka Streams flushes its caches and its producer before it commits, so by then every
    output of those records is in its output topics. Under exactly-once an internal topic
    ends with a transaction marker (and may hold aborted records) after the last offset a
    task can commit: a committed offset below the high watermark counts as the end when a
    read_committed consumer finds no record from it on.
    """
    internal = [t for t in app_topics(bootstrap, app_id) if not t.endswith("-changelog")]
    behind: list[tuple[TopicPartition, int]] = []
    for topic in [*inputs, *internal]:
        committed = committed_offsets(bootstrap, app_id, topic)
        for partition, (_, high) in high_watermarks(bootstrap, topic).items():
            offset = committed.get(partition, -1)
            if high > 0 and offset != high:
                if offset < 0:
                    return False
                behind.append((TopicPartition(topic, partition, offset), high))
    return not behind or _only_markers_from(bootstrap, behind)


def _only_markers_from(bootstrap: str, starts: list[tuple[TopicPartition, int]]) -> bool:
    """Whether a read_committed consumer reads no record from each ``TopicPartition``'s
    offset to its high watermark (only transaction markers and aborted records are there)."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"it-ends-{uuid.uuid4().hex[:8]}",
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
            "enable.partition.eof": False,
            "fetch.wait.max.ms": 50,
        }
    )
    try:
        consumer.assign([tp for tp, _ in starts])
        ends = {(tp.topic, tp.partition): high for tp, high in starts}
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline:
            if consumer.consume(100, 0.1):
                return False  # a record the group has not committed past
            positions = consumer.position([tp for tp, _ in starts])
            if all(tp.offset >= ends[(tp.topic, tp.partition)] for tp in positions):
                return True
        return False
    finally:
        consumer.close()


def delete_topics(bootstrap: str, topics: Iterable[str]) -> None:
    """Best effort: delete topics an app created (``new_topic`` only deletes its own)."""
    from kstreams.testing.broker import admin_client

    topics = list(topics)
    if not topics:
        return
    with contextlib.suppress(Exception):
        admin = admin_client(bootstrap)  # referenced until the futures are done
        futures = admin.delete_topics(topics, operation_timeout=10)
        for fut in futures.values():
            with contextlib.suppress(Exception):
                fut.result(timeout=15)


class RestoreRecorder:
    """A state restore listener that remembers every callback, thread-safely.

    :attr:`events` holds ``("start", topic, partition, store, start_offset, end_offset)``,
    ``("batch", topic, partition, store, batch_end_offset, num_restored)`` and
    ``("end", topic, partition, store, total_restored)`` tuples in call order.
    """

    def __init__(self) -> None:
        self.events: list[tuple[Any, ...]] = []
        self._lock = threading.Lock()

    def _add(self, *event: Any) -> None:
        with self._lock:
            self.events.append(event)

    def on_restore_start(
        self, topic_partition: tuple[str, int], store_name: str, start_offset: int, end_offset: int
    ) -> None:
        self._add("start", *topic_partition, store_name, start_offset, end_offset)

    def on_batch_restored(
        self,
        topic_partition: tuple[str, int],
        store_name: str,
        batch_end_offset: int,
        num_restored: int,
    ) -> None:
        self._add("batch", *topic_partition, store_name, batch_end_offset, num_restored)

    def on_restore_end(
        self, topic_partition: tuple[str, int], store_name: str, total_restored: int
    ) -> None:
        self._add("end", *topic_partition, store_name, total_restored)

    def of(self, kind: str) -> list[tuple[Any, ...]]:
        """The events of one kind (``"start"``, ``"batch"`` or ``"end"``)."""
        with self._lock:
            return [e for e in self.events if e[0] == kind]


WORDS = [
    "kafka",
    "streams",
    "python",
    "state",
    "store",
    "changelog",
    "table",
    "stream",
    "topic",
    "partition",
    "commit",
    "offset",
    "restore",
    "rocksdb",
    "count",
    "word",
    "group",
    "task",
    "thread",
    "broker",
    "consumer",
    "producer",
    "record",
    "key",
    "value",
]
"""The vocabulary of :func:`text_lines` (lower-case ASCII words)."""


def text_lines(
    seed: int, n: int, key_prefix: str = "line"
) -> tuple[list[tuple[str, str]], dict[str, int]]:
    """``n`` reproducible lines of text and the word counts they hold, computed as they are made.

    Words come from :data:`WORDS` with random capitalisation, separated by spaces and
    punctuation; the counts are of the lower-cased words. Returns ``([(key, line)], counts)``.
    """
    import random
    from collections import Counter

    rng = random.Random(seed)
    counts: Counter[str] = Counter()
    lines = []
    for i in range(n):
        words = [rng.choice(WORDS) for _ in range(rng.randint(1, 9))]
        counts.update(words)
        shown = [
            w.upper() if rng.random() < 0.1 else w.capitalize() if rng.random() < 0.2 else w
            for w in words
        ]
        text = shown[0]
        for w in shown[1:]:
            text += rng.choice((" ", " ", " ", ", ", ". ", "! ", " - ", "  ")) + w
        lines.append((f"{key_prefix}-{i}", text + rng.choice(("", ".", "!", "?"))))
    return lines, dict(counts)


def add_counts(*counts: Mapping[str, int]) -> dict[str, int]:
    """The sum of word-count dicts."""
    total: dict[str, int] = {}
    for c in counts:
        for word, n in c.items():
            total[word] = total.get(word, 0) + n
    return total


def app_topics(bootstrap: str, app_id: str) -> list[str]:
    """The topics named ``<app_id>-...`` (an app's internal topics)."""
    from kstreams.testing.broker import admin_client

    md = admin_client(bootstrap).list_topics(timeout=10)
    return sorted(t for t in md.topics if t.startswith(f"{app_id}-"))
