"""The kstreams runtime on a real broker: end to end, lifecycle, config, restarts, repartition.

Every test uses its own topics (``new_topic``) and its own ``application.id``.
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections import Counter

import pytest
from helpers import (
    StateRecorder,
    TopicReader,
    high_watermarks,
    java_partition,
    murmur2,
    partition_count,
    produce,
    read_all,
    running_streams,
    streams_config,
    unique_app_id,
    wait_until,
)

from kstreams import (
    Branched,
    ConfigError,
    FixedKeyProcessor,
    KafkaStreams,
    MissingSourceTopicError,
    Named,
    Repartitioned,
    Serdes,
    StreamsBuilder,
)
from kstreams.errors import IllegalStateError
from kstreams.testing.broker import admin_client

pytestmark = pytest.mark.integration

BASE_TS = 1_700_000_000_000


def _delete_topics(bootstrap: str, topics: list[str]) -> None:
    """Best effort: drop internal topics an app created (new_topic only cleans its own)."""
    with contextlib.suppress(Exception):
        admin = admin_client(bootstrap)  # referenced until the futures are done
        futures = admin.delete_topics(topics, operation_timeout=10)
        for fut in futures.values():
            with contextlib.suppress(Exception):
                fut.result(timeout=15)


def _passthrough(input_topic: str, output_topic: str, slow_s: float = 0.0):
    builder = StreamsBuilder()
    stream = builder.stream(input_topic, key_serde=Serdes.String(), value_serde=Serdes.String())
    if slow_s:

        def slow(value: str) -> str:
            time.sleep(slow_s)
            return value

        stream = stream.map_values(slow)
    stream.to(output_topic)
    return builder.build()


# --------------------------------------------------------------------------- #
# 1. End to end: stateless topology, serdes, partitioning, timestamps
# --------------------------------------------------------------------------- #


def test_murmur2_matches_java_reference_values() -> None:
    # Values of Java's Utils.murmur2 (Kafka's UtilsTest): the helper the tests rely on.
    assert murmur2(b"21") == -973932308
    assert murmur2(b"foobar") == -790332482
    assert murmur2(b"a-little-bit-long-string") == -985981536
    assert murmur2(b"a-little-bit-longer-string") == -1486304829
    assert murmur2(b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8") == -58897971
    assert murmur2(b"abc") == 479470107


def test_stateless_topology_end_to_end(kafka_bootstrap: str, new_topic) -> None:
    orders_topic = new_topic(partitions=3)
    big_topic = new_topic(partitions=3)
    small_topic = new_topic(
        partitions=5
    )  # another count: partitions come from the key, not the input

    orders = []
    for i in range(60):
        key = f"order-{i:03d}" if i % 10 else f"ключ-{i}"  # some non-ASCII keys (UTF-8)
        value = {
            "id": i,
            "amount": (i * 37) % 250,
            "status": "cancelled" if i % 7 == 0 else "new",
            "note": "é" * (i % 3),
        }
        orders.append((key, value, BASE_TS + i * 1000))
    delivered = produce(
        kafka_bootstrap,
        orders_topic,
        [(k, json.dumps(v, ensure_ascii=False), ts) for k, v, ts in orders],
        headers=[("origin", b"e2e-test")],
    )
    # librdkafka's murmur2_random and our murmur2 agree (both are Java's partitioner).
    for (key, _, _), d in zip(orders, delivered, strict=True):
        assert d.partition == java_partition(key.encode(), 3), key

    builder = StreamsBuilder()
    branches = (
        builder.stream(orders_topic, key_serde=Serdes.String(), value_serde=Serdes.JSON())
        .filter(lambda _k, order: order["status"] != "cancelled")
        .map_values(lambda order: {**order, "amount_cents": order["amount"] * 100})
        .split(Named.as_("route-"))
        .branch(lambda _k, order: order["amount"] >= 100, Branched.as_("big"))
        .default_branch(Branched.as_("small"))
    )
    branches["route-big"].to(big_topic)
    branches["route-small"].to(small_topic)

    expected: dict[str, dict[str, tuple[dict, int]]] = {big_topic: {}, small_topic: {}}
    for key, value, ts in orders:
        if value["status"] == "cancelled":
            continue
        out = {**value, "amount_cents": value["amount"] * 100}
        topic = big_topic if value["amount"] >= 100 else small_topic
        expected[topic][key] = (out, ts)
    total = sum(len(v) for v in expected.values())
    assert expected[big_topic] and expected[small_topic]

    config = streams_config(
        kafka_bootstrap,
        unique_app_id("e2e"),
        **{"default.key.serde": Serdes.String, "default.value.serde": Serdes.JSON},
    )
    with (
        TopicReader(kafka_bootstrap, [big_topic, small_topic]) as reader,
        running_streams(builder.build(), config) as streams,
    ):
        reader.wait_for(total, timeout=60, what=f"{total} routed orders", streams=streams)
        reader.settle_committed(config["application.id"], orders_topic)

    got: dict[str, dict[str, tuple[dict, int]]] = {big_topic: {}, small_topic: {}}
    for r in reader.records:
        key = r.key.decode("utf-8")
        assert key not in got[r.topic], f"duplicate output for {key} on {r.topic}"
        # the same partition a Java producer would pick for the key
        n = 3 if r.topic == big_topic else 5
        assert r.partition == java_partition(r.key, n), (r.topic, key, r.partition)
        got[r.topic][key] = (json.loads(r.value.decode("utf-8")), r.timestamp)
        assert r.headers == (("origin", b"e2e-test"),)  # input headers are forwarded
    assert got == expected
    assert len(reader.records) == total


# --------------------------------------------------------------------------- #
# 2. State and lifecycle
# --------------------------------------------------------------------------- #


def test_state_transitions_and_close(kafka_bootstrap: str, new_topic) -> None:
    src, dst = new_topic(partitions=2), new_topic()
    streams = KafkaStreams(
        _passthrough(src, dst), streams_config(kafka_bootstrap, unique_app_id("lifecycle"))
    )
    states = StateRecorder()
    assert streams.state is KafkaStreams.State.CREATED
    streams.set_state_listener(states)
    try:
        streams.start()
        streams.wait_until_running(60)
        with pytest.raises(IllegalStateError):
            streams.set_state_listener(StateRecorder())
        with pytest.raises(IllegalStateError):
            streams.set_uncaught_exception_handler(lambda exc: None)
        with pytest.raises(IllegalStateError):
            streams.start()
        produce(kafka_bootstrap, src, [("k", "v")])
        with TopicReader(kafka_bootstrap, dst) as reader:
            reader.wait_for(1, timeout=30, streams=streams)
        assert streams.state is KafkaStreams.State.RUNNING
    finally:
        closed = streams.close(60)
    assert closed is True
    assert streams.state is KafkaStreams.State.NOT_RUNNING
    assert states.states == ["REBALANCING", "RUNNING", "PENDING_SHUTDOWN", "NOT_RUNNING"]
    assert [(new.value, old.value) for new, old in states.transitions] == [
        ("REBALANCING", "CREATED"),
        ("RUNNING", "REBALANCING"),
        ("PENDING_SHUTDOWN", "RUNNING"),
        ("NOT_RUNNING", "PENDING_SHUTDOWN"),
    ]
    assert streams.close() is True  # closing again is a no-op
    with pytest.raises(IllegalStateError):
        streams.start()


# --------------------------------------------------------------------------- #
# 3./4. Missing topics and bad configs
# --------------------------------------------------------------------------- #


def test_missing_source_topic_fails_start(kafka_bootstrap: str, new_topic) -> None:
    missing = f"no-such-topic-{uuid.uuid4().hex[:8]}"
    streams = KafkaStreams(
        _passthrough(missing, new_topic()),
        streams_config(kafka_bootstrap, unique_app_id("missing")),
    )
    try:
        with pytest.raises(MissingSourceTopicError) as info:
            streams.start()
        assert missing in str(info.value)
    finally:
        assert streams.close(30) is True
    assert streams.state is KafkaStreams.State.NOT_RUNNING


def test_unknown_streams_config_key_fails_construction(kafka_bootstrap: str, new_topic) -> None:
    config = streams_config(kafka_bootstrap, unique_app_id("badkey"))
    config["commit.interval.msec"] = 100
    with pytest.raises(ConfigError) as info:
        KafkaStreams(_passthrough(new_topic(), new_topic()), config)
    assert "commit.interval.msec" in str(info.value)


def test_unknown_client_config_key_fails_construction(kafka_bootstrap: str, new_topic) -> None:
    config = streams_config(kafka_bootstrap, unique_app_id("badclient"))
    config["consumer.no.such.thing"] = "1"
    with pytest.raises(ConfigError) as info:
        KafkaStreams(_passthrough(new_topic(), new_topic()), config)
    assert "no.such.thing" in str(info.value)


def test_unresolvable_default_serde_fails_construction(kafka_bootstrap: str, new_topic) -> None:
    # Java: default.value.serde is a CLASS config; an unknown class is a ConfigException
    # from the StreamsConfig constructor, not a dead stream thread later.
    config = streams_config(kafka_bootstrap, unique_app_id("badserde"))
    config["default.value.serde"] = "NoSuchSerde"
    with pytest.raises(ConfigError) as info:
        KafkaStreams(_passthrough(new_topic(), new_topic()), config)
    assert "default.value.serde" in str(info.value)


# --------------------------------------------------------------------------- #
# 5./6. Restarts resume from committed offsets; close() commits
# --------------------------------------------------------------------------- #


def test_restart_resumes_from_committed_offsets(kafka_bootstrap: str, new_topic) -> None:
    src, dst = new_topic(partitions=3), new_topic(partitions=3)
    app_id = unique_app_id("restart")
    first = [(f"k{i}", f"first-{i}") for i in range(30)]
    second = [(f"k{i}", f"second-{i}") for i in range(20)]
    produce(kafka_bootstrap, src, first)

    with (
        TopicReader(kafka_bootstrap, dst) as reader,
        running_streams(_passthrough(src, dst), streams_config(kafka_bootstrap, app_id)) as s,
    ):
        reader.wait_for(len(first), timeout=60, streams=s)
    assert s.state is KafkaStreams.State.NOT_RUNNING

    produce(kafka_bootstrap, src, second)
    with (
        TopicReader(kafka_bootstrap, dst) as reader,
        running_streams(_passthrough(src, dst), streams_config(kafka_bootstrap, app_id)) as s2,
    ):
        reader.wait_for(len(first) + len(second), timeout=60, streams=s2)
        reader.settle_committed(app_id, src)  # any reprocessed record shows up by then

    values = Counter(r.value_str for r in read_all(kafka_bootstrap, dst))
    assert values == Counter(v for _, v in first + second)


def test_close_loses_nothing_and_commits(kafka_bootstrap: str, new_topic) -> None:
    src, dst = new_topic(partitions=3), new_topic(partitions=3)
    app_id = unique_app_id("close")
    n = 2000
    inputs = [(f"k{i % 50}", f"v{i}") for i in range(n)]
    produce(kafka_bootstrap, src, inputs)
    topology = _passthrough(src, dst, slow_s=0.001)  # ~2 s of work: close() lands mid-stream

    with TopicReader(kafka_bootstrap, dst) as reader:
        streams = KafkaStreams(topology, streams_config(kafka_bootstrap, app_id))
        try:
            streams.start()
            reader.wait_for(1, timeout=60, streams=streams)
        finally:
            assert streams.close(60) is True
    after_first = read_all(kafka_bootstrap, dst)
    assert 0 < len(after_first) < n, "the first run should stop part-way"

    with (
        TopicReader(kafka_bootstrap, dst) as reader,
        running_streams(
            _passthrough(src, dst, slow_s=0.001), streams_config(kafka_bootstrap, app_id)
        ) as streams,
    ):
        reader.wait_for(
            lambda recs: {r.value_str for r in recs} >= {v for _, v in inputs},
            timeout=90,
            what=f"all {n} inputs",
            streams=streams,
        )
        reader.settle_committed(app_id, src)

    out = Counter(r.value_str for r in read_all(kafka_bootstrap, dst))
    missing = {v for _, v in inputs} - set(out)
    assert not missing, f"{len(missing)} input(s) never processed"
    dups = {v: c for v, c in out.items() if c > 1}
    assert not dups, (
        f"{len(dups)} record(s) processed twice despite a clean close: {list(dups)[:10]}"
    )
    assert sum(out.values()) == n


# --------------------------------------------------------------------------- #
# 9. repartition() on the real broker
# --------------------------------------------------------------------------- #


class _WhereFrom(FixedKeyProcessor):
    """Adds the topic and partition the record was read from to the (dict) value."""

    def process(self, record):  # type: ignore[no-untyped-def]
        value = {**record.value, "from": [self.context.topic, self.context.partition]}
        self.context.forward(record.with_value(value))


@pytest.mark.parametrize("num_partitions", [None, 2])
def test_repartition_topic_created_used_and_purged(
    kafka_bootstrap: str, new_topic, num_partitions: int | None
) -> None:
    src, dst = new_topic(partitions=3), new_topic(partitions=3)
    app_id = unique_app_id("repart")
    internal = f"{app_id}-by-user-repartition"
    events = [(f"e{i}", {"user": f"user-{i % 7}", "n": i}, BASE_TS + i) for i in range(70)]
    produce(kafka_bootstrap, src, [(k, json.dumps(v), ts) for k, v, ts in events])

    builder = StreamsBuilder()
    (
        builder.stream(src, key_serde=Serdes.String(), value_serde=Serdes.JSON())
        .select_key(lambda _k, v: v["user"])
        .repartition(Repartitioned.as_("by-user"), num_partitions=num_partitions)
        .process_values(_WhereFrom)
        .to(dst)
    )
    config = streams_config(
        kafka_bootstrap,
        app_id,
        **{
            "default.key.serde": Serdes.String,
            "default.value.serde": Serdes.JSON,
            "repartition.purge.interval.ms": 100,
        },
    )
    expected_partitions = num_partitions or 3
    try:
        with (
            TopicReader(kafka_bootstrap, dst) as reader,
            running_streams(builder.build(), config) as streams,
        ):
            assert partition_count(kafka_bootstrap, internal) == expected_partitions
            reader.wait_for(len(events), timeout=60, streams=streams)
            reader.settle_committed(app_id, src)

            # purged after commit: every partition's low watermark reaches its high watermark
            def purged() -> bool:
                marks = high_watermarks(kafka_bootstrap, internal)
                return any(high > 0 for _, high in marks.values()) and all(
                    low == high for low, high in marks.values()
                )

            wait_until(purged, timeout=30, interval=0.3, what=f"{internal} to be purged")
            marks = high_watermarks(kafka_bootstrap, internal)
            assert sum(high for _, high in marks.values()) == len(events)

        got = sorted(reader.records, key=lambda r: json.loads(r.value)["n"])
        assert len(got) == len(events)
        for r, (_, value, ts) in zip(got, events, strict=True):
            out = json.loads(r.value)
            user = value["user"]
            assert r.key_str == user
            assert out["n"] == value["n"]
            assert out["from"] == [internal, java_partition(user.encode(), expected_partitions)]
            assert r.partition == java_partition(user.encode(), 3)
            assert r.timestamp == ts
    finally:
        _delete_topics(kafka_bootstrap, [internal])
