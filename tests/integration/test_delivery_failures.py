"""A sink record the broker refuses stops the thread before its input offset is committed.

A record too large for its topic is refused before it is sent; one the broker refuses after
it was sent (a compressing producer is not checked before sending) comes back in a delivery
report. A stateless topology's producer reports failed deliveries only (no Python call per
successful record): failures must still be seen, and raised before any commit covers them.
"""

from __future__ import annotations

import os

import pytest
from helpers import committed_offsets, produce, streams_config, unique_app_id, wait_until

from kstreams import KafkaStreams, Serdes, StreamsBuilder

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("guarantee", ["at_least_once", "exactly_once_v2"])
def test_a_refused_record_fails_the_thread_without_committing_past_it(
    kafka_bootstrap: str, new_topic, guarantee: str
) -> None:
    src = new_topic()
    dst = new_topic(config={"max.message.bytes": "2000"})  # the broker refuses bigger batches
    records = [(f"k{i}", "x" * (20_000 if i == 5 else 10)) for i in range(10)]
    produce(kafka_bootstrap, src, records)
    builder = StreamsBuilder()
    (
        builder.stream(src, key_serde=Serdes.String(), value_serde=Serdes.String())
        .map_values(str.upper)
        .to(dst, key_serde=Serdes.String(), value_serde=Serdes.String())
    )
    app_id = unique_app_id("refused")
    config = streams_config(kafka_bootstrap, app_id, processing_guarantee=guarantee)
    streams = KafkaStreams(builder.build(), config)
    try:
        streams.start()
        wait_until(
            lambda: streams.state is KafkaStreams.State.ERROR, timeout=60, what="state ERROR"
        )
    finally:
        assert streams.close(30) is True
    message = str(streams.error)
    assert "MSG_SIZE_TOO_LARGE" in message and f"more than topic {dst} accepts" in message
    assert "production.exception.handler answered FAIL" in message
    assert committed_offsets(kafka_bootstrap, app_id, src).get(0, 0) <= 5


def test_a_refused_record_in_flight_at_commit_stops_the_thread_with_its_cause(
    kafka_bootstrap: str, new_topic, caplog: pytest.LogCaptureFixture
) -> None:
    """Exactly-once: the refusal arrives while the transaction commits. The commit aborts;
    retrying from the committed offsets would fail the same way forever (the thread used to
    rewind in a loop while the client stayed RUNNING): the thread stops, naming the cause."""
    src = new_topic()
    dst = new_topic(config={"max.message.bytes": "2000"})
    produce(kafka_bootstrap, src, [(f"k{i}", "big" if i == 5 else "small") for i in range(10)])
    incompressible = os.urandom(5000)
    builder = StreamsBuilder()
    (
        builder.stream(src, key_serde=Serdes.String(), value_serde=Serdes.Bytes())
        .map_values(lambda v: incompressible if v == b"big" else v)
        .to(dst, key_serde=Serdes.String(), value_serde=Serdes.Bytes())
    )
    app_id = unique_app_id("refused-eos")
    config = streams_config(
        kafka_bootstrap,
        app_id,
        processing_guarantee="exactly_once_v2",
        # records are still in flight when the transaction commits
        **{
            "commit.interval.ms": 10,
            "producer.linger.ms": 1000,
            "producer.compression.type": "lz4",
        },
    )
    streams = KafkaStreams(builder.build(), config)
    try:
        streams.start()
        wait_until(
            lambda: streams.state is KafkaStreams.State.ERROR, timeout=30, what="state ERROR"
        )
    finally:
        assert streams.close(30) is True
    message = str(streams.error)
    assert "the transaction was aborted because" in message
    assert "MSG_SIZE_TOO_LARGE" in message and f"topic {dst} partition 0" in message
    assert committed_offsets(kafka_bootstrap, app_id, src).get(0, 0) <= 5
    rewinds = [r for r in caplog.records if "rewinding tasks" in r.getMessage()]
    assert len(rewinds) <= 1, f"{len(rewinds)} rewinds: the thread looped"
