"""The pytest plugin's fixtures users test their apps with, on the real broker.

``new_topic``, ``produce``, ``read_topic`` and ``streams_app`` (kstreams/testing/pytest_plugin.py):
serdes, timestamps, headers and partitions round trip; ``read_topic`` waits for ``n`` records
and shows what it read when they do not come; ``read_committed`` hides aborted transactions;
``streams_app`` fills in the test-only settings, runs until a condition holds and fails with
what it last saw, or at once when the app stopped.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from confluent_kafka import Producer
from helpers import java_partition, topic_configs

from kstreams import KafkaStreams, Serdes, StreamsBuilder
from kstreams.testing import ConsumedRecord, TestRecord

pytestmark = pytest.mark.integration


def _upper(source: str, sink: str):
    builder = StreamsBuilder()
    builder.stream(source, key_serde=Serdes.String(), value_serde=Serdes.String()).map_values(
        str.upper
    ).to(sink, key_serde=Serdes.String(), value_serde=Serdes.String())
    return builder.build()


def test_produce_and_read_topic_round_trip(new_topic, produce, read_topic) -> None:
    topic = new_topic(partitions=3)
    when = datetime.datetime(2024, 5, 1, 12, 0, tzinfo=datetime.timezone.utc)
    landed = produce(
        topic,
        [
            ("alice", {"n": 1}),
            ("bob", {"n": 2}, 1_000),
            TestRecord("carol", {"n": 3}, when, [("trace", b"42")]),
            ("dave", None),
        ],
        key_serde=Serdes.String(),
        value_serde=Serdes.JSON,  # a class works too
        headers=[("origin", b"test")],
    )
    assert [r.partition for r in landed] == [
        java_partition(k.encode(), 3) for k in ("alice", "bob", "carol", "dave")
    ]
    assert landed[1].timestamp == 1_000 and landed[2].timestamp == int(when.timestamp() * 1000)

    pairs = read_topic(topic, key_serde=Serdes.String(), value_serde=Serdes.JSON())
    assert sorted(pairs, key=lambda kv: kv[0]) == [
        ("alice", {"n": 1}),
        ("bob", {"n": 2}),
        ("carol", {"n": 3}),
        ("dave", None),
    ]
    records = read_topic(topic, 4, key_serde=bytes.decode, records=True)  # a plain function
    assert all(isinstance(r, ConsumedRecord) for r in records)
    assert records == sorted(records, key=lambda r: (r.partition, r.offset))
    carol = next(r for r in records if r.key == "carol")
    assert carol.value == b'{"n":3}' and carol.timestamp == int(when.timestamp() * 1000)
    assert carol.header("trace") == b"42" and carol.header("origin") == b"test"
    with pytest.raises(KeyError, match="no header 'nope'"):
        carol.header("nope")


def test_produce_refuses_bad_input_and_sends_nothing(new_topic, produce, read_topic) -> None:
    topic = new_topic()
    with pytest.raises(TypeError, match=r"value of record #1 is 7 \(int\).*value_serde="):
        produce(topic, [("a", "ok"), ("b", 7)])
    with pytest.raises(TypeError, match=r"record #0 is 'abc': give \(key, value\)"):
        produce(topic, ["abc"])
    with pytest.raises(TypeError, match="timestamp '1000': give epoch milliseconds"):
        produce(topic, [("a", "b", "1000")])
    assert read_topic(topic) == []


def test_read_topic_waits_for_n_and_says_what_it_read(new_topic, produce, read_topic) -> None:
    topic = new_topic(partitions=2)
    produce(topic, [("k1", "v1")])
    assert read_topic(topic, 1) == [(b"k1", b"v1")]
    with pytest.raises(AssertionError) as failure:
        read_topic(topic, 3, timeout=1)
    message = str(failure.value)
    assert f"read_topic({topic!r}, read_committed): 1 of 3 record(s) arrived" in message
    assert "[(b'k1', b'v1')]" in message
    with pytest.raises(ValueError, match="does not exist"):
        read_topic(topic + "-missing")
    with pytest.raises(TypeError, match=r"deserialized.*value_serde="):
        read_topic(topic, value_serde=Serdes.Long())  # b"v1" is no 8-byte Long


def test_read_committed_hides_aborted_and_open_transactions(
    kafka_bootstrap: str, new_topic, read_topic
) -> None:
    topic = new_topic()
    producer = Producer({"bootstrap.servers": kafka_bootstrap, "transactional.id": f"tx-{topic}"})
    producer.init_transactions(30)
    producer.begin_transaction()
    producer.produce(topic, key=b"committed", value=b"1")
    producer.commit_transaction(30)
    producer.begin_transaction()
    producer.produce(topic, key=b"aborted", value=b"2")
    producer.flush(30)
    producer.abort_transaction(30)
    producer.begin_transaction()
    producer.produce(topic, key=b"open", value=b"3")
    producer.flush(30)
    try:
        assert read_topic(topic) == [(b"committed", b"1")]  # not held up by the open one
        assert read_topic(topic, read_committed=False) == [
            (b"committed", b"1"),
            (b"aborted", b"2"),
            (b"open", b"3"),
        ]
    finally:
        producer.abort_transaction(30)


def test_new_topic_partitions_config_and_refusals(kafka_bootstrap: str, new_topic) -> None:
    topic = new_topic(partitions=4, config={"cleanup.policy": "compact", "retention.ms": "60000"})
    configs = topic_configs(kafka_bootstrap, topic)
    assert configs["cleanup.policy"] == "compact" and configs["retention.ms"] == "60000"
    from helpers import partition_count

    assert partition_count(kafka_bootstrap, topic) == 4
    with pytest.raises(ValueError, match="partitions must be a positive int"):
        new_topic(partitions=0)
    with pytest.raises(RuntimeError, match=r"already exists.*pick another name"):
        new_topic(name=topic)


def test_streams_app_fills_in_the_test_settings_and_runs_until(
    new_topic, produce, read_topic, streams_app, tmp_path: Path
) -> None:
    source, sink = new_topic(partitions=2), new_topic(partitions=2)
    produce(source, [(f"k{i}", f"v{i}") for i in range(5)])
    app = streams_app(_upper(source, sink))
    assert app.streams.state is KafkaStreams.State.RUNNING
    assert app.application_id.startswith("test_streams_app_fills_in_the_test_settings")
    assert Path(app.config["state.dir"]).parent == tmp_path
    assert app.config["commit.interval.ms"] == 100
    out = app.run_until(lambda: len(read_topic(sink)) >= 5 and read_topic(sink))
    assert sorted(out) == [(f"k{i}".encode(), f"V{i}".encode()) for i in range(5)]

    given = streams_app(_upper(source, sink), {"application.id": app.application_id + "-b"})
    assert given.application_id == app.application_id + "-b" and not given.generated_application_id
    assert given.config["state.dir"] != app.config["state.dir"]


def test_run_until_fails_saying_what_it_last_saw(new_topic, produce, read_topic, streams_app):
    source, sink = new_topic(), new_topic()
    app = streams_app(_upper(source, sink))
    produce(source, [("k", "hello")])

    def check() -> bool:
        assert read_topic(sink, 1, timeout=10) == [(b"k", b"hi")]
        return True

    with pytest.raises(AssertionError) as failure:
        app.run_until(check, timeout=1)
    message = str(failure.value)
    assert message.startswith("check() did not hold within 1s; last seen: ")
    assert "b'HELLO'" in message and "is RUNNING" in message

    with pytest.raises(AssertionError, match=r"^lambda: read_topic\(sink\) == \[\] did not hold"):
        app.run_until(lambda: read_topic(sink) == [], timeout=1)
    with pytest.raises(AssertionError, match=r"^the sink holding \[\(b'k', b'HELLO'\)\] did not"):
        app.run_until(
            lambda: read_topic(sink) == [],
            timeout=1,
            what=lambda: f"the sink holding {read_topic(sink)}",
        )


def test_run_until_retries_store_reads_that_meet_a_rebalance(new_topic, streams_app) -> None:
    from kstreams.state.errors import StateStoreMigratedError, StreamsRebalancingError

    source, sink = new_topic(), new_topic()
    app = streams_app(_upper(source, sink))
    raised = iter([StreamsRebalancingError("moving"), StateStoreMigratedError("moved")])

    def read() -> str:
        error = next(raised, None)
        if error is not None:
            raise error  # as store.get() does while a task's partitions are (re)assigned
        return "found"

    assert app.run_until(read, timeout=10, interval=0.01) == "found"
    with pytest.raises(AssertionError, match="StreamsRebalancingError: still"):

        def never() -> None:
            raise StreamsRebalancingError("still")

        app.run_until(never, timeout=0.3, interval=0.05)


def test_run_until_fails_at_once_when_the_app_stopped(new_topic, produce, streams_app) -> None:
    source, sink = new_topic(), new_topic()

    def explode(value: str) -> str:
        raise ValueError(f"cannot take {value!r}")

    builder = StreamsBuilder()
    builder.stream(source, key_serde=Serdes.String(), value_serde=Serdes.String()).map_values(
        explode
    ).to(sink, value_serde=Serdes.String())
    app = streams_app(builder.build())
    produce(source, [("k", "boom")])
    with pytest.raises(AssertionError, match=r"stopped \((PENDING_)?ERROR") as failure:
        app.run_until(lambda: False, timeout=120, what="output that never comes")
    assert "while waiting for output that never comes" in str(failure.value)
    assert failure.value.__cause__ is app.streams.error is not None
