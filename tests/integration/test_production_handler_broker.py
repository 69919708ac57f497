"""``production.exception.handler`` on a real broker: records the broker refuses (KIP-1065).

* A record too large for its topic is refused before it is sent: CONTINUE drops it alone and
  the thread runs on, under exactly-once too (the transaction is intact).
* A record the broker refuses after it was sent (a compressing producer's record that does
  not compress) reaches the handler from its delivery report: at-least-once CONTINUE drops
  and counts it; under exactly-once the transaction is aborted and the thread stops.
* A dead letter record too large for the dead letter topic is cut to fit, with the
  ``__streams.errors.truncated`` header: one oversized poison pill with log_and_continue and
  a dead letter topic never stops the thread.
"""

from __future__ import annotations

import json
import os
from typing import Any, ClassVar

import pytest
from confluent_kafka import Producer
from helpers import (
    TopicReader,
    committed_offsets,
    produce,
    running_streams,
    streams_config,
    unique_app_id,
    wait_until,
)

from kstreams import KafkaStreams, Serdes, StreamsBuilder
from kstreams.errors import RecordTooLargeError, SendError
from kstreams.handlers import (
    HEADER_ERRORS_EXCEPTION_NAME,
    HEADER_ERRORS_OFFSET_NAME,
    HEADER_ERRORS_TRUNCATED_NAME,
    ProductionExceptionHandler,
    ProductionHandlerResponse,
)
from kstreams.runtime.record_size import batch_size

pytestmark = pytest.mark.integration

GUARANTEES = ["at_least_once", "exactly_once_v2"]
LIMIT = 2000
"""max.message.bytes of the topics that refuse records."""


class Continue(ProductionExceptionHandler):
    """Continues, remembering what it was told (topic, record value size, exception)."""

    seen: ClassVar[list[tuple[str, int, Exception, str | None]]] = []

    def handle(self, context, record, exception):  # type: ignore[no-untyped-def]
        Continue.seen.append(
            (record.topic, len(record.value or b""), exception, context.processor_node_id)
        )
        return ProductionHandlerResponse.CONTINUE


def _upper_app(src: str, dst: str, big: bytes | None = None) -> Any:
    """Copies values upper-cased; the value ``big`` becomes ``big``'s bytes (the refused one)."""
    builder = StreamsBuilder()
    (
        builder.stream(src, key_serde=Serdes.String(), value_serde=Serdes.Bytes())
        .map_values(lambda v: big if v == b"big" and big is not None else v.upper())
        .to(dst, key_serde=Serdes.String(), value_serde=Serdes.Bytes())
    )
    return builder.build()


def test_batch_size_is_what_the_broker_measures(kafka_bootstrap: str, new_topic) -> None:
    """A record of exactly the topic's limit is accepted, one byte more is refused."""
    topic = new_topic(config={"max.message.bytes": str(LIMIT)})
    headers = [("trace", b"t-1"), ("empty", None)]
    value_len = LIMIT - batch_size(b"key", b"", headers)
    while batch_size(b"key", b"v" * value_len, headers) > LIMIT:
        value_len -= 1
    assert batch_size(b"key", b"v" * value_len, headers) == LIMIT
    results: list[Any] = []
    producer = Producer({"bootstrap.servers": kafka_bootstrap, "linger.ms": 0})
    for n in (value_len, value_len + 1):
        producer.produce(
            topic, b"v" * n, b"key", headers=headers, on_delivery=lambda e, m: results.append(e)
        )
        producer.flush(30)
    assert results[0] is None
    assert results[1] is not None and results[1].name() == "MSG_SIZE_TOO_LARGE"


@pytest.mark.parametrize("guarantee", GUARANTEES)
def test_continue_drops_a_record_too_large_for_its_topic_alone(
    kafka_bootstrap: str, new_topic, guarantee: str
) -> None:
    src = new_topic()
    dst = new_topic(config={"max.message.bytes": str(LIMIT)})
    produce(kafka_bootstrap, src, [(f"k{i}", b"big" if i == 5 else b"v%d" % i) for i in range(10)])
    Continue.seen = []
    app_id = unique_app_id("too-large-continue")
    config = streams_config(
        kafka_bootstrap,
        app_id,
        processing_guarantee=guarantee,
        **{"production.exception.handler": Continue},
    )
    with (
        TopicReader(kafka_bootstrap, dst) as reader,
        running_streams(_upper_app(src, dst, b"x" * 5000), config) as streams,
    ):
        reader.wait_for(9, timeout=60, streams=streams)
        wait_until(
            lambda: committed_offsets(kafka_bootstrap, app_id, src).get(0) == 10,
            timeout=30,
            what="input committed to its end",
        )
        reader.read_to_end()
        assert streams.state is KafkaStreams.State.RUNNING
        metrics = streams.metrics()
    # every other record of the transaction is there (read_committed), the big one is not
    assert sorted(reader.values()) == sorted(f"V{i}" for i in range(10) if i != 5)
    assert metrics["dropped-records-total"] == 1
    [(topic, size, exc, node)] = Continue.seen
    assert (topic, size) == (dst, 5000)
    assert isinstance(exc, RecordTooLargeError) and exc.limit == LIMIT and exc.size > LIMIT
    assert "MSG_SIZE_TOO_LARGE" in str(exc) and node is not None and "SINK" in node


def _compressing(config: dict[str, Any]) -> dict[str, Any]:
    # a compressing producer's records are not measured before sending: the broker decides
    return {**config, "producer.compression.type": "lz4", "producer.linger.ms": 0}


def test_at_least_once_continue_drops_what_the_broker_refused_and_commits(
    kafka_bootstrap: str, new_topic
) -> None:
    src = new_topic()
    dst = new_topic(config={"max.message.bytes": str(LIMIT)})
    produce(kafka_bootstrap, src, [(f"k{i}", b"big" if i == 5 else b"v%d" % i) for i in range(10)])
    Continue.seen = []
    app_id = unique_app_id("refused-continue")
    config = _compressing(
        streams_config(kafka_bootstrap, app_id, **{"production.exception.handler": Continue})
    )
    incompressible = os.urandom(5000)
    with (
        TopicReader(kafka_bootstrap, dst) as reader,
        running_streams(_upper_app(src, dst, incompressible), config) as streams,
    ):
        wait_until(
            lambda: committed_offsets(kafka_bootstrap, app_id, src).get(0) == 10,
            timeout=60,
            what="input committed to its end",
        )
        reader.read_to_end()
        assert streams.state is KafkaStreams.State.RUNNING
        metrics = streams.metrics()
    # the broker refuses a whole batch: the big record and any sent in the same batch
    refused = [s for s in Continue.seen if s[0] == dst]
    assert (dst, 5000) in [(t, n) for t, n, _, _ in refused]
    assert len(reader.records) + len(refused) == 10
    assert metrics["dropped-records-total"] == len(refused)
    exc = refused[0][2]
    assert isinstance(exc, SendError) and exc.code == "MSG_SIZE_TOO_LARGE" and exc.partition == 0


def test_at_least_once_fail_stops_the_thread_naming_what_the_broker_refused(
    kafka_bootstrap: str, new_topic
) -> None:
    src = new_topic()
    dst = new_topic(config={"max.message.bytes": str(LIMIT)})
    produce(kafka_bootstrap, src, [(f"k{i}", b"big" if i == 5 else b"v%d" % i) for i in range(10)])
    app_id = unique_app_id("refused-fail")
    config = _compressing(streams_config(kafka_bootstrap, app_id))
    streams = KafkaStreams(_upper_app(src, dst, os.urandom(5000)), config)
    try:
        streams.start()
        wait_until(
            lambda: streams.state is KafkaStreams.State.ERROR, timeout=60, what="state ERROR"
        )
    finally:
        assert streams.close(30) is True
    message = str(streams.error)
    assert "could not be delivered" in message and "answered FAIL" in message
    assert f"topic {dst} partition 0" in message and "MSG_SIZE_TOO_LARGE" in message
    assert committed_offsets(kafka_bootstrap, app_id, src).get(0, 0) <= 5


def test_exactly_once_stops_once_when_the_broker_refuses_a_sent_record(
    kafka_bootstrap: str, new_topic, caplog: pytest.LogCaptureFixture
) -> None:
    """CONTINUE cannot drop a record the broker refused from its aborted transaction (Kafka
    Streams fails the commit the same way): the thread stops at once, with the cause, and
    nothing of the transaction is committed."""
    src = new_topic()
    dst = new_topic(config={"max.message.bytes": str(LIMIT)})
    produce(kafka_bootstrap, src, [(f"k{i}", b"big" if i == 5 else b"v%d" % i) for i in range(10)])
    Continue.seen = []
    app_id = unique_app_id("refused-eos")
    config = _compressing(
        streams_config(
            kafka_bootstrap,
            app_id,
            processing_guarantee="exactly_once_v2",
            **{"production.exception.handler": Continue},
        )
    )
    streams = KafkaStreams(_upper_app(src, dst, os.urandom(5000)), config)
    try:
        streams.start()
        wait_until(
            lambda: streams.state is KafkaStreams.State.ERROR, timeout=30, what="state ERROR"
        )
    finally:
        assert streams.close(30) is True
    message = str(streams.error)
    assert "the transaction was aborted because" in message
    assert "answered CONTINUE" in message and "MSG_SIZE_TOO_LARGE" in message
    assert f"topic {dst} partition 0" in message
    assert (dst, 5000) in [(t, n) for t, n, _, _ in Continue.seen]
    assert committed_offsets(kafka_bootstrap, app_id, src).get(0, 0) <= 5
    with TopicReader(kafka_bootstrap, dst) as reader:
        committed = reader.settle(1.0)
    assert all(r.value != b"V6" for r in committed)  # nothing after the refused record
    rewinds = [r for r in caplog.records if "rewinding tasks" in r.getMessage()]
    assert rewinds == [], "the thread rewound instead of stopping"


POISON = b"{not json " + b"x" * 20_000


@pytest.mark.parametrize("guarantee", GUARANTEES)
def test_an_oversized_poison_pill_is_cut_to_fit_the_dead_letter_topic(
    kafka_bootstrap: str, new_topic, guarantee: str
) -> None:
    src = new_topic()  # accepts the 20 kB record (the broker's default limit)
    dst = new_topic()
    dlq = new_topic(config={"max.message.bytes": str(LIMIT)})
    records = [(f"k{i}", POISON if i == 5 else json.dumps({"n": i}).encode()) for i in range(10)]
    produce(kafka_bootstrap, src, records)
    # the premise: the poison pill as it is cannot be written to the dead letter topic
    producer = Producer({"bootstrap.servers": kafka_bootstrap, "linger.ms": 0})
    results: list[Any] = []
    producer.produce(dlq, POISON, b"k5", on_delivery=lambda e, m: results.append(e))
    producer.flush(30)
    assert results[0] is not None and results[0].name() == "MSG_SIZE_TOO_LARGE"
    app_id = unique_app_id("dlq-too-large")
    config = streams_config(
        kafka_bootstrap,
        app_id,
        processing_guarantee=guarantee,
        **{
            "deserialization.exception.handler": "log_and_continue",
            "errors.dead.letter.queue.topic.name": dlq,
        },
    )
    builder = StreamsBuilder()
    builder.stream(src, key_serde=Serdes.String(), value_serde=Serdes.JSON()).to(
        dst, value_serde=Serdes.JSON()
    )
    with (
        TopicReader(kafka_bootstrap, [dst, dlq]) as reader,
        running_streams(builder.build(), config) as streams,
    ):
        reader.wait_for(10, timeout=60, streams=streams)
        wait_until(
            lambda: committed_offsets(kafka_bootstrap, app_id, src).get(0) == 10,
            timeout=30,
            what="input committed to its end",
        )
        reader.read_to_end()
        assert streams.state is KafkaStreams.State.RUNNING
    outputs = [r for r in reader.records if r.topic == dst]
    assert sorted(json.loads(r.value)["n"] for r in outputs) == [0, 1, 2, 3, 4, 6, 7, 8, 9]
    [dead] = [r for r in reader.records if r.topic == dlq]
    assert dead.key == b"k5"
    assert dead.value is not None and POISON.startswith(dead.value) and len(dead.value) < LIMIT
    assert dead.header(HEADER_ERRORS_OFFSET_NAME) == b"5"
    assert dead.header(HEADER_ERRORS_EXCEPTION_NAME) is not None
    truncated = dead.header(HEADER_ERRORS_TRUNCATED_NAME)
    assert truncated is not None and truncated.startswith(f"value {len(POISON)}->".encode())
    assert batch_size(dead.key, dead.value, list(dead.headers)) <= LIMIT
