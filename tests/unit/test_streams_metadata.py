"""Interactive-query metadata math: HostInfo, the published records, StreamsMetadata and the
partition / hosts of a key (Kafka Streams' ``StreamsMetadataState``), and ``KafkaStreams``'
metadata methods over a stand-in publisher (no broker)."""

from __future__ import annotations

import pytest

from kstreams import (
    HostInfo,
    KafkaStreams,
    KeyQueryMetadata,
    Materialized,
    Serdes,
    StreamsBuilder,
    StreamsMetadata,
    StreamsNotStartedError,
    StreamsStoppedError,
    TaskId,
    UnknownStateStoreError,
)
from kstreams.errors import ConfigError
from kstreams.runtime.client_state import State
from kstreams.runtime.streams_metadata import (
    ClientRecord,
    build_metadata,
    default_partition,
    key_query_metadata,
    partition_for_key,
)

A = HostInfo("a", 1)
B = HostInfo("b", 2)
C = HostInfo("c", 3)


def record(pid: str, host: HostInfo, active=None, standby=None, at: int = 0) -> ClientRecord:
    return ClientRecord(
        pid,
        host,
        frozenset({f"{pid}-StreamThread-1-consumer"}),
        active or {},
        standby or {},
        at,
    )


# -- HostInfo ----------------------------------------------------------------------------------
def test_host_info_from_endpoint() -> None:
    assert HostInfo.build_from_endpoint("orders-1.internal:7070") == HostInfo(
        "orders-1.internal", 7070
    )
    assert HostInfo.build_from_endpoint("[::1]:80") == HostInfo("::1", 80)
    assert HostInfo("::1", 80).endpoint == "[::1]:80"
    assert str(HostInfo("h", 9)) == "h:9"
    assert HostInfo.build_from_endpoint("") is None
    assert HostInfo.build_from_endpoint(None) is None
    for bad in ("host", "host:", ":80", "host:x", "host:70000"):
        with pytest.raises(ConfigError, match="Expected format host:port"):
            HostInfo.build_from_endpoint(bad)


def test_unavailable_host_and_not_available_key() -> None:
    assert HostInfo.unavailable() == HostInfo("unavailable", -1)
    na = KeyQueryMetadata.NOT_AVAILABLE
    assert na == KeyQueryMetadata(HostInfo.unavailable(), frozenset(), -1)
    assert not na.available
    assert na.all_hosts() == [HostInfo.unavailable()]
    meta = KeyQueryMetadata(A, frozenset({C, B}), 4)
    assert meta.available and meta.all_hosts() == [A, B, C]


def test_application_server_config_is_parsed() -> None:
    from kstreams import StreamsConfig

    base = {"application.id": "app", "bootstrap.servers": "127.0.0.1:9092"}
    assert StreamsConfig({**base, "application.server": "h:7070"}).application_server == "h:7070"
    assert StreamsConfig(base).application_server == ""
    with pytest.raises(ConfigError, match=r"application\.server.*Expected format host:port"):
        StreamsConfig({**base, "application.server": "no-port"})


# -- the published record ------------------------------------------------------------------------
def test_client_record_round_trip_and_bad_values() -> None:
    r = record(
        "p1",
        A,
        {TaskId(0, 1): frozenset({("t", 1), ("u", 1)})},
        {TaskId(1, 0): frozenset({("r", 0)})},
        at=1234,
    )
    assert ClientRecord.from_bytes(r.to_bytes()) == r
    assert r.same_tasks(record("p1", A, dict(r.active_tasks), dict(r.standby_tasks), at=99))
    assert not r.same_tasks(record("p1", A, {}, dict(r.standby_tasks)))
    assert not r.same_tasks(None)
    for bad in (b"not json", b"{}", b'{"version": 99}', b"[]"):
        with pytest.raises(ValueError):
            ClientRecord.from_bytes(bad)


# -- StreamsMetadata ---------------------------------------------------------------------------------
STORE_TOPICS = {"counts": frozenset({"app-counts-repartition"}), "other": frozenset({"in2"})}


def test_metadata_lists_hosts_with_tasks_sorted_with_their_stores() -> None:
    records = [
        record("pb", B, {TaskId(1, 0): frozenset({("app-counts-repartition", 0)})}),
        record(
            "pa",
            A,
            {TaskId(0, 1): frozenset({("in", 1)})},
            {TaskId(1, 0): frozenset({("app-counts-repartition", 0)})},
        ),
        record("pc", C),  # no task: left out, as Java
    ]
    got = build_metadata(records, STORE_TOPICS, ["global-store"])
    assert [m.host_info for m in got] == [A, B]
    a, b = got
    assert a == StreamsMetadata(
        A,
        frozenset({"global-store"}),
        frozenset({("in", 1)}),
        frozenset({"counts"}),
        frozenset({("app-counts-repartition", 0)}),
        "pa",
    )
    assert b.state_store_names == {"counts", "global-store"}
    assert (b.host, b.port) == ("b", 2)


def test_a_partition_claimed_twice_goes_to_the_newest_claim() -> None:
    tp = ("app-counts-repartition", 0)
    old = record("pa", A, {TaskId(1, 0): frozenset({tp})}, at=100)
    new = record("pb", B, {TaskId(1, 0): frozenset({tp})}, at=200)
    for records in ([old, new], [new, old]):
        got = build_metadata(records, STORE_TOPICS)
        assert [(m.host_info, m.topic_partitions) for m in got] == [(B, frozenset({tp}))]


# -- the partition and hosts of a key ------------------------------------------------------------
def test_default_partition_is_javas_murmur2() -> None:
    # Kafka's UtilsTest.testMurmur2 values, through the default partitioner's formula
    for data, h in {
        b"21": -973932308,
        b"foobar": -790332482,
        b"a-little-bit-long-string": -985981536,
        b"a-little-bit-longer-string": -1486304829,
        b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
        b"abc": 479470107,
    }.items():
        for n in (1, 3, 12):
            assert default_partition(data, n) == (h & 0x7FFFFFFF) % n


def test_partition_for_key_with_serde_and_custom_partitioner() -> None:
    serde = Serdes.String()
    assert partition_for_key("foobar", "t", 12, serde) == (-790332482 & 0x7FFFFFFF) % 12
    assert partition_for_key("foobar", "t", 12, serde.serialize) == partition_for_key(
        "foobar", "t", 12, serde
    )
    assert partition_for_key("k", "t", 4, partitioner=lambda t, k, v, n: 3) == 3
    assert partition_for_key("k", "t", 4, partitioner=lambda t, k, v, n: {2}) == 2
    with pytest.raises(ValueError, match="singleton set"):
        partition_for_key("k", "t", 4, partitioner=lambda t, k, v, n: {1, 2})
    for bad in (None, 4, -1, "1"):
        with pytest.raises(ValueError, match=r"expected a partition in 0\.\.3"):
            partition_for_key("k", "t", 4, partitioner=lambda t, k, v, n, bad=bad: bad)
    with pytest.raises(ValueError, match="serialized to null"):
        partition_for_key("k", "t", 4, lambda topic, key: None)
    with pytest.raises(ValueError, match="needs a key_serializer"):
        partition_for_key("k", "t", 4)


def test_key_query_metadata_finds_active_and_standby_hosts() -> None:
    topic = "app-counts-repartition"
    p = default_partition(b"apple", 3)
    q = (p + 1) % 3
    metadata = build_metadata(
        [
            record("pa", A, {TaskId(1, p): frozenset({(topic, p)})}),
            record(
                "pb",
                B,
                {TaskId(1, q): frozenset({(topic, q)})},
                {TaskId(1, p): frozenset({(topic, p)})},
            ),
        ],
        STORE_TOPICS,
    )
    meta = key_query_metadata("counts", "apple", metadata, {topic}, {topic: 3}, Serdes.String())
    assert meta == KeyQueryMetadata(A, frozenset({B}), p)
    # a partition nobody hosts now: unavailable active host, the partition still known
    lone = [m for m in metadata if m.host_info == B]
    meta = key_query_metadata("counts", "apple", lone, {topic}, {topic: 3}, Serdes.String())
    assert meta == KeyQueryMetadata(HostInfo.unavailable(), frozenset({B}), p)
    # the partition count is not known: not available
    assert (
        key_query_metadata("counts", "apple", metadata, {topic}, {}, Serdes.String())
        is KeyQueryMetadata.NOT_AVAILABLE
    )


def test_key_query_metadata_uses_the_source_topic_with_most_partitions() -> None:
    seen = []

    def partitioner(topic, key, value, n):
        seen.append((topic, n))
        return 0

    key_query_metadata("s", "k", [], {"few", "many"}, {"few": 2, "many": 6}, None, partitioner)
    assert seen == [("many", 6)]


# -- KafkaStreams' methods over a stand-in publisher -----------------------------------------------
class FakePublisher:
    def __init__(self, records: list[ClientRecord], initialized: bool = True) -> None:
        self.records = records
        self.initialized = initialized
        self.version = 0

    def live_records(self) -> list[ClientRecord]:
        return self.records

    def close(self) -> None:
        self.records = []


def word_count_streams(tmp_path, server: str = "a:1") -> KafkaStreams:
    builder = StreamsBuilder()
    (
        builder.stream("lines")
        .flat_map_values(str.split)
        .group_by(lambda k, v: v)
        .count(Materialized.as_("counts"))
        .to_stream()
        .to("out")
    )
    config = {
        "application.id": "wc",
        "bootstrap.servers": "127.0.0.1:1",
        "state.dir": str(tmp_path),
        "default.key.serde": Serdes.String(),
        "default.value.serde": Serdes.String(),
    }
    if server:
        config["application.server"] = server
    return KafkaStreams(builder.build(), config)


def test_kafka_streams_metadata_methods(tmp_path) -> None:
    streams = word_count_streams(tmp_path)
    try:
        assert streams.host_info == A
        with pytest.raises(StreamsNotStartedError):
            streams.query_metadata_for_key("counts", "apple")
        with pytest.raises(StreamsNotStartedError):
            streams.metadata_for_all_clients()
        streams._state = State.RUNNING
        topic = "wc-counts-repartition"
        streams._topic_partitions = {topic: 3, "lines": 3}
        p = default_partition(b"apple", 3)
        streams._publisher = FakePublisher([], initialized=False)
        assert streams.query_metadata_for_key("counts", "apple") is KeyQueryMetadata.NOT_AVAILABLE
        assert streams.store_partition_hosts("counts") is None
        assert streams.metadata_for_all_clients() == []
        streams._publisher = FakePublisher(
            [
                record("pa", A, {TaskId(1, p): frozenset({(topic, p)})}),
                record("pb", B, {TaskId(0, 0): frozenset({("lines", 0)})}),
            ]
        )
        # the store's key serde (default.key.serde) places the key when none is given
        assert streams.query_metadata_for_key("counts", "apple") == KeyQueryMetadata(
            A, frozenset(), p
        )
        assert streams.query_metadata_for_key(
            "counts", "apple", Serdes.String()
        ) == KeyQueryMetadata(A, frozenset(), p)
        assert [m.host_info for m in streams.metadata_for_all_clients()] == [A, B]
        assert [m.host_info for m in streams.streams_metadata_for_store("counts")] == [A]
        assert streams.store_partition_hosts("counts") == (3, {p: A})
        with pytest.raises(UnknownStateStoreError):
            streams.store_partition_hosts("nope")
        # built once per version of the publisher's records
        streams._publisher.records = streams._publisher.records[:1]
        assert [m.host_info for m in streams.metadata_for_all_clients()] == [A, B]
        streams._publisher.version += 1
        assert [m.host_info for m in streams.metadata_for_all_clients()] == [A]
        with pytest.raises(UnknownStateStoreError, match="nope"):
            streams.query_metadata_for_key("nope", "apple")
        with pytest.raises(UnknownStateStoreError):
            streams.streams_metadata_for_store("nope")
        with pytest.raises(ValueError, match="key must not be None"):
            streams.query_metadata_for_key("counts", None)
        streams._state = State.NOT_RUNNING
        with pytest.raises(StreamsStoppedError, match="not running"):
            streams.streams_metadata_for_store("counts")
    finally:
        streams._state = State.CREATED
        streams._publisher = None
        assert streams.close(10)


def test_without_application_server_no_host_is_known(tmp_path) -> None:
    streams = word_count_streams(tmp_path, server="")
    try:
        assert streams.host_info is None
        streams._state = State.RUNNING
        streams._topic_partitions = {"wc-counts-repartition": 4}
        assert streams.metadata_for_all_clients() == []
        meta = streams.query_metadata_for_key("counts", "apple")
        assert meta == KeyQueryMetadata(
            HostInfo.unavailable(), frozenset(), default_partition(b"apple", 4)
        )
    finally:
        streams._state = State.CREATED
        streams._publisher = None
        assert streams.close(10)
