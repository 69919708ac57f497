"""A source table whose topic is its changelog (``topology.optimization=all``, Kafka Streams'
``reuse.ktable.source.topics``).

The topology, the test driver's produced topics, the store's checkpoint (the input offset
committed, no changelog record sent) and restoration up to the committed offset, not the log
end (Kafka Streams' ``StoreChangelogReader`` rule for source-topic changelogs). Expected
describe texts and produced topics are Kafka Streams 4.4.0's for the same topologies.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from kstreams import Materialized, StreamsBuilder
from kstreams.config import StreamsConfig
from kstreams.errors import ConfigError
from kstreams.processor.task_id import TaskId
from kstreams.runtime.restore import restore_store, restore_task
from kstreams.runtime.task_stores import TaskStores
from kstreams.serde import Serdes
from kstreams.state import ValueAndTimestamp
from kstreams.testing import TopologyTestDriver

S = Serdes.String()
ALL = {"topology.optimization": "all"}
CONFIG = {
    "application.id": "app",
    "default.key.serde": Serdes.String,
    "default.value.serde": Serdes.String,
}

NAMED_TABLE_TEXT = (
    "Topologies:\n"
    "   Sub-topology: 0\n"
    "    Source: KSTREAM-SOURCE-0000000000 (topics: [users])\n"
    "      --> KTABLE-SOURCE-0000000001\n"
    "    Processor: KTABLE-SOURCE-0000000001 (stores: [users-store])\n"
    "      --> KTABLE-TOSTREAM-0000000002\n"
    "      <-- KSTREAM-SOURCE-0000000000\n"
    "    Processor: KTABLE-TOSTREAM-0000000002 (stores: [])\n"
    "      --> KSTREAM-SINK-0000000003\n"
    "      <-- KTABLE-SOURCE-0000000001\n"
    "    Sink: KSTREAM-SINK-0000000003 (topic: out)\n"
    "      <-- KTABLE-TOSTREAM-0000000002\n"
    "\n"
)


def named_table(builder: StreamsBuilder) -> None:
    builder.table("users", Materialized.as_("users-store")).to_stream().to("out")


# -- the topology -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "config",
    [None, {}, {"topology.optimization": "none"}, ALL],
    ids=["no-config", "empty", "none", "all"],
)
def test_describe_is_the_same_with_and_without_the_optimization(config: Any) -> None:
    """Kafka Streams 4.4.0 prints this text for ``build()`` and ``build(props)`` with
    ``topology.optimization`` none or all: the changelog does not show in describe()."""
    builder = StreamsBuilder()
    named_table(builder)

    assert str(builder.build(config).describe()) == NAMED_TABLE_TEXT


def test_optimized_source_table_has_its_topic_as_changelog() -> None:
    builder = StreamsBuilder()
    named_table(builder)
    plain, optimized = builder.build(), builder.build(ALL)

    assert plain.changelog_topic("users-store", "app") == "app-users-store-changelog"
    assert plain.source_changelog_topic("users-store") is None
    # nothing for the application to create or write
    assert optimized.changelog_topic("users-store", "app") is None
    assert optimized.source_changelog_topic("users-store") == "users"


@pytest.mark.parametrize(
    "config",
    [
        {"topology.optimization": "reuse.ktable.source.topics"},
        {"topology.optimization": "reuse.ktable.source.topics,merge.repartition.topics"},
        StreamsConfig({"application.id": "a", "bootstrap.servers": "b:1", **ALL}),
    ],
    ids=["rule", "rules", "streams-config"],
)
def test_build_takes_the_rule_or_a_streams_config(config: Any) -> None:
    builder = StreamsBuilder()
    named_table(builder)

    assert builder.build(config).source_changelog_topic("users-store") == "users"


def test_other_rules_leave_the_changelog() -> None:
    builder = StreamsBuilder()
    named_table(builder)

    topology = builder.build({"topology.optimization": "merge.repartition.topics"})
    assert topology.source_changelog_topic("users-store") is None


def test_a_bad_optimization_value_is_refused() -> None:
    builder = StreamsBuilder()
    named_table(builder)

    with pytest.raises(ConfigError, match=r"topology\.optimization"):
        builder.build({"topology.optimization": "some"})


def test_an_unnamed_table_forced_to_materialize_reuses_its_topic_too() -> None:
    """Kafka Streams 4.4.0 with optimization all: ``users-STATE-STORE-0000000000`` (kept for
    the group_by) writes no changelog; the aggregation keeps its own."""
    builder = StreamsBuilder()
    builder.table("users").group_by(lambda k, v: (v, k)).count().to_stream().to("counts")
    topology = builder.build(ALL)

    assert topology.source_changelog_topic("users-STATE-STORE-0000000000") == "users"
    assert topology.changelog_topic("users-STATE-STORE-0000000000", "app") is None
    assert (
        topology.changelog_topic("KTABLE-AGGREGATE-STATE-STORE-0000000004", "app")
        == "app-KTABLE-AGGREGATE-STATE-STORE-0000000004-changelog"
    )


def test_a_stream_to_table_keeps_its_changelog() -> None:
    """Kafka Streams 4.4.0: the rule applies to ``builder.table`` only (``app-t-changelog``
    is written with optimization all)."""
    builder = StreamsBuilder()
    builder.stream("users").to_table(Materialized.as_("t")).to_stream().to("out")
    topology = builder.build(ALL)

    assert topology.source_changelog_topic("t") is None
    assert topology.changelog_topic("t", "app") == "app-t-changelog"


# -- the test driver ------------------------------------------------------------------------------


@pytest.mark.parametrize("optimized", [False, True])
def test_the_driver_writes_no_changelog_for_an_optimized_table(optimized: bool) -> None:
    """Kafka Streams 4.4.0's driver: produced ``[app-users-store-changelog, out]`` without the
    optimization, ``[out]`` with it; the same output records either way."""
    builder = StreamsBuilder()
    named_table(builder)
    config = {**CONFIG, **ALL} if optimized else CONFIG
    with TopologyTestDriver(builder.build(config if optimized else None), config) as driver:
        users = driver.create_input_topic("users", S, S)
        for key, value, ts in [("u1", "DE", 10), ("u2", "DE", 20), ("u1", "FR", 15)]:
            users.pipe_input(key, value, ts)
        out = driver.create_output_topic("out", S, S)

        assert out.read_key_values_to_list() == [("u1", "DE"), ("u2", "DE"), ("u1", "FR")]
        expected = {"out"} if optimized else {"out", "app-users-store-changelog"}
        assert driver.produced_topic_names() == expected
        assert driver.get_key_value_store("users-store").get("u1") == "FR"


# -- the task's stores: checkpoint ----------------------------------------------------------------


class Collector:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes]] = []
        self.changelog_offsets: dict[tuple[str, int], int] = {}

    def send_changelog(
        self, topic: str, key: bytes, value: bytes | None, timestamp: int, partition: int
    ) -> None:
        self.sent.append((topic, key))
        tp = (topic, partition)
        self.changelog_offsets[tp] = self.changelog_offsets.get(tp, -1) + 1


def open_stores(tmp_path: Path, collector: Collector, optimized: bool = True) -> TaskStores:
    builder = StreamsBuilder()
    builder.table(
        "users", Materialized.as_("users-store").with_caching_disabled(), key_serde=S, value_serde=S
    )
    topology = builder.build(ALL if optimized else None)
    config = StreamsConfig(
        {"application.id": "app", "bootstrap.servers": "unused:9092", "state.dir": str(tmp_path)}
    )
    return TaskStores(
        TaskId(0, 0), topology, topology.subtopologies()[0], config, collector, lambda: None
    )


def test_a_source_topic_changelog_store_sends_nothing_and_checkpoints_the_input_offset(
    tmp_path: Path,
) -> None:
    collector = Collector()
    stores = open_stores(tmp_path, collector)
    store: Any = stores.stores["users-store"]
    assert store.changelog_topic == "users"
    assert stores.is_source_changelog(store)
    assert stores.logged() == [store]

    store.put("u1", ValueAndTimestamp("DE", 10))
    stores.flush_changelog()
    stores.commit(collector.changelog_offsets, {("users", 0): 41, ("other", 0): 7})

    assert collector.sent == []
    assert store.restore_offset() == 41
    assert store.get("u1") == ValueAndTimestamp("DE", 10)

    # a caller without input offsets leaves the checkpoint where it was
    store.put("u1", ValueAndTimestamp("FR", 11))
    stores.flush_changelog()
    stores.commit(collector.changelog_offsets)
    assert store.restore_offset() == 41
    stores.close()


def test_without_the_optimization_the_store_logs_to_its_changelog(tmp_path: Path) -> None:
    collector = Collector()
    stores = open_stores(tmp_path, collector, optimized=False)
    store: Any = stores.stores["users-store"]
    store.put("u1", ValueAndTimestamp("DE", 10))
    stores.flush_changelog()
    stores.commit(collector.changelog_offsets, {("users", 0): 41})

    assert collector.sent == [("app-users-store-changelog", b"u1")]
    assert store.restore_offset() == 0
    assert not stores.is_source_changelog(store)
    stores.close()


# -- restoration up to the committed offset -------------------------------------------------------


class Message:
    def __init__(self, offset: int, key: bytes | None, value: bytes | None, ts: int) -> None:
        self._offset, self._key, self._value, self._ts = offset, key, value, ts

    def error(self) -> None:
        return None

    def topic(self) -> str:
        return "users"

    def partition(self) -> int:
        return 0

    def offset(self) -> int:
        return self._offset

    def key(self) -> bytes | None:
        return self._key

    def value(self) -> bytes | None:
        return self._value

    def timestamp(self) -> tuple[int, int]:
        return 1, self._ts


class Position:
    def __init__(self, offset: int) -> None:
        self.offset = offset


class SourceTopic:
    """A source topic of 6 records (one with a null key) whose log ends at 6."""

    def __init__(self) -> None:
        self.records = [
            Message(0, b"u1", b"DE", 10),
            Message(1, b"u2", b"DE", 20),
            Message(2, None, b"DE", 21),
            Message(3, b"u1", b"FR", 30),
            Message(4, b"u2", None, 40),
            Message(5, b"u3", b"US", 50),
        ]
        self.pos = 0
        self.assigned: list[Any] = []

    def get_watermark_offsets(self, tp: Any, timeout: float, cached: bool) -> tuple[int, int]:
        return 0, len(self.records)

    def list_topics(self, topic: str, timeout: float) -> None:
        self.metadata_asked = [*getattr(self, "metadata_asked", []), topic]

    def assign(self, tps: Any) -> None:
        self.assigned = tps
        self.pos = tps[0].offset

    def resume(self, tps: Any) -> None:
        pass

    def consume(self, n: int, timeout: float) -> list[Any]:
        out = self.records[self.pos : self.pos + n]
        self.pos += len(out)
        return out

    def position(self, tps: Any) -> list[Position]:
        return [Position(self.pos)]

    def unassign(self) -> None:
        pass


def test_restoration_of_a_source_topic_stops_at_the_committed_offset(tmp_path: Path) -> None:
    collector = Collector()
    stores = open_stores(tmp_path, collector)
    store: Any = stores.stores["users-store"]
    topic = SourceTopic()
    # the application committed offset 5: record 5 (u3) has not been processed yet
    restored = restore_store(topic, store, 0, end_offset=5)

    assert restored == 4  # offsets 0..4 less the null key
    assert store.restore_offset() == 4
    assert store.get("u1") == ValueAndTimestamp("FR", 30)
    assert store.get("u2") is None
    assert store.get("u3") is None
    stores.close()


class Task:
    def __init__(self, stores: TaskStores) -> None:
        self.id = TaskId(0, 0)
        self.stores = stores


@pytest.mark.parametrize(("committed", "restored"), [(3, 2), (None, 0)])
def test_restore_task_looks_up_the_committed_offset(
    tmp_path: Path, committed: int | None, restored: int
) -> None:
    """No committed offset: the application starts over from its reset policy, so nothing is
    restored (Kafka Streams takes 0 as the end then)."""
    collector = Collector()
    stores = open_stores(tmp_path, collector)
    asked: list[list[tuple[str, int]]] = []

    def committed_offsets(tps: list[tuple[str, int]]) -> dict[tuple[str, int], int | None]:
        asked.append(tps)
        return {tp: committed for tp in tps}

    assert (
        restore_task(SourceTopic(), Task(stores), committed_offsets=committed_offsets) == restored
    )
    assert asked == [[("users", 0)]]
    stores.close()


def test_a_store_ahead_of_the_committed_offset_is_wiped(tmp_path: Path) -> None:
    """The group's offsets were reset below what the store holds: it restores from the start."""
    collector = Collector()
    stores = open_stores(tmp_path, collector)
    store: Any = stores.stores["users-store"]
    store.put("zz", ValueAndTimestamp("old", 1))
    stores.flush_changelog()
    stores.commit(collector.changelog_offsets, {("users", 0): 5})

    assert restore_store(SourceTopic(), store, 0, end_offset=2) == 2
    assert store.get("zz") is None
    assert store.restore_offset() == 1
    stores.close()


def test_committed_offsets_are_read_through_the_consumer_not_an_admin_client() -> None:
    """librdkafka's admin ListConsumerGroupOffsets crashes the process on NOT_COORDINATOR
    (confluentinc/librdkafka#5040): the lookup reads through a consumer's committed()."""
    from confluent_kafka import KafkaError, KafkaException, TopicPartition

    from kstreams.errors import StreamsError
    from kstreams.runtime.changelog_offsets import consumer_committed_offsets

    asked: list[list[tuple[str, int]]] = []

    def committed(tps: list[TopicPartition]) -> list[TopicPartition]:
        asked.append([(tp.topic, tp.partition) for tp in tps])
        return [TopicPartition("users", 0, 5), TopicPartition("users", 1, -1001)]

    lookup = consumer_committed_offsets(committed, "app")
    assert lookup([("users", 0), ("users", 1)]) == {("users", 0): 5, ("users", 1): None}
    assert asked == [[("users", 0), ("users", 1)]]

    def failing(tps: list[TopicPartition]) -> list[TopicPartition]:
        raise KafkaException(KafkaError(KafkaError._TIMED_OUT, "coordinator gone"))

    with pytest.raises(StreamsError, match=r"committed offsets of group app .*coordinator gone"):
        consumer_committed_offsets(failing, "app")([("users", 0)])

    def partition_error(tps: list[TopicPartition]) -> list[Any]:
        # a partition answered with an error of its own (TopicPartition.error is read-only)
        error = KafkaError(KafkaError.UNSTABLE_OFFSET_COMMIT)
        return [SimpleNamespace(topic="users", partition=0, offset=-1001, error=error)]

    with pytest.raises(StreamsError, match="users-0"):
        consumer_committed_offsets(partition_error, "app")([("users", 0)])


def test_the_stream_thread_reads_committed_offsets_stable_under_exactly_once() -> None:
    """The lookup goes through the main consumer, read_committed under exactly-once: librdkafka
    then asks for stable offsets only (require_stable), as an open transaction's offsets must
    not count."""
    from kstreams.config import StreamsConfig

    config = StreamsConfig(
        {
            "application.id": "app",
            "bootstrap.servers": "127.0.0.1:1",
            "processing.guarantee": "exactly_once_v2",
        }
    )
    assert config.main_consumer_config("app", "c")["isolation.level"] == "read_committed"
