"""Mistakes at start-up (issue 10 §2): an unreachable cluster and a missing output topic are
reported by ``start()`` as kstreams errors naming the address or topic and librdkafka's reason."""

from __future__ import annotations

import logging
import socket
import time
import uuid

import pytest
from helpers import (
    app_topics,
    delete_topics,
    produce,
    read_all,
    streams_config,
    unique_app_id,
    wait_until,
)

from kstreams import KafkaStreams, Serdes, StreamsBuilder
from kstreams.errors import ClusterUnreachableError, MissingSinkTopicError, StreamsError
from kstreams.runtime import topics

pytestmark = pytest.mark.integration


def _closed_port() -> int:
    """A 127.0.0.1 port nothing listens on (bound once to find it, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _passthrough(source: str, sink: str | object) -> object:
    builder = StreamsBuilder()
    builder.stream(source, key_serde=Serdes.String(), value_serde=Serdes.String()).to(sink)
    return builder.build()


def _start_failure(streams: KafkaStreams, error: type[StreamsError]) -> tuple[str, float]:
    started = time.monotonic()
    try:
        with pytest.raises(error) as info:
            streams.start()
        return str(info.value), time.monotonic() - started
    finally:
        assert streams.close(30) is True


# -- 1. bootstrap.servers that answers nothing ------------------------------------------------


def test_unreachable_bootstrap_fails_within_bounded_time_naming_address_and_reason(
    caplog: pytest.LogCaptureFixture,
) -> None:
    address = f"127.0.0.1:{_closed_port()}"
    streams = KafkaStreams(
        _passthrough("in", "out"), streams_config(address, unique_app_id("unreachable"))
    )
    with caplog.at_level(logging.INFO, logger="kstreams.client"):
        message, took = _start_failure(streams, ClusterUnreachableError)
    assert topics.CONNECT_TIMEOUT_S - 1 <= took < topics.CONNECT_TIMEOUT_S + 5
    assert f"bootstrap.servers={address!r}" in message
    assert f"within {topics.CONNECT_TIMEOUT_S:g}s" in message
    assert "metadata" in message  # what was tried
    assert f"{address}/bootstrap: Connect to ipv4#{address} failed: Connection refused" in message
    assert "Check that bootstrap.servers" in message  # what to do
    client_lines = [r.getMessage() for r in caplog.records if r.name == "kstreams.client"]
    assert any(f"Connect to ipv4#{address} failed" in line for line in client_lines)
    # librdkafka retries several times a second; a repeated line is forwarded once per 10 s
    assert len(client_lines) <= 6, client_lines


def test_each_bootstrap_address_gets_its_own_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(topics, "CONNECT_TIMEOUT_S", 4.0)
    refused = f"127.0.0.1:{_closed_port()}"
    unknown = f"no-such-host-{uuid.uuid4().hex[:6]}.invalid:9092"
    errors: list[object] = []
    config = streams_config(f"{refused},{unknown}", unique_app_id("unreachable2"))
    config["error_cb"] = errors.append  # the user's own callback keeps getting the errors
    streams = KafkaStreams(_passthrough("in", "out"), config)
    message, took = _start_failure(streams, ClusterUnreachableError)
    assert took < 9
    assert f"{refused}/bootstrap: Connect to ipv4#{refused} failed: Connection refused" in message
    assert f"{unknown}/bootstrap: Failed to resolve '{unknown}'" in message
    assert errors


def test_reachable_cluster_starts_as_before(kafka_bootstrap: str, new_topic) -> None:
    source, sink = new_topic(), new_topic()
    streams = KafkaStreams(
        _passthrough(source, sink), streams_config(kafka_bootstrap, unique_app_id("reachable"))
    )
    try:
        streams.start()
        streams.wait_until_running(60)
        produce(kafka_bootstrap, source, [("k", "v")])
        wait_until(lambda: len(read_all(kafka_bootstrap, sink, timeout=2)) == 1, 30)
    finally:
        assert streams.close(30) is True


# -- 2. an output topic that does not exist ---------------------------------------------------


def test_missing_output_topic_is_named_at_start(kafka_bootstrap: str, new_topic) -> None:
    source = new_topic()
    missing = f"missing-out-{uuid.uuid4().hex[:8]}"
    streams = KafkaStreams(
        _passthrough(source, missing), streams_config(kafka_bootstrap, unique_app_id("nosink"))
    )
    message, _ = _start_failure(streams, MissingSinkTopicError)
    assert repr(missing) in message
    assert "auto.create.topics.enable=false" in message
    assert "Create them before starting" in message
    assert streams.state is KafkaStreams.State.NOT_RUNNING


def test_missing_dead_letter_topic_is_named_at_start(kafka_bootstrap: str, new_topic) -> None:
    source, sink = new_topic(), new_topic()
    dlq = f"missing-dlq-{uuid.uuid4().hex[:8]}"
    config = streams_config(kafka_bootstrap, unique_app_id("nodlq"))
    config["errors.dead.letter.queue.topic.name"] = dlq
    streams = KafkaStreams(_passthrough(source, sink), config)
    message, _ = _start_failure(streams, MissingSinkTopicError)
    assert f"{dlq!r} (errors.dead.letter.queue.topic.name)" in message
    assert repr(sink) not in message


def test_topic_extractor_and_internal_topics_are_not_checked(
    kafka_bootstrap: str, new_topic, tmp_path
) -> None:
    source, sink = new_topic(), new_topic()
    builder = StreamsBuilder()
    (
        builder.stream(source, key_serde=Serdes.String(), value_serde=Serdes.String())
        .select_key(lambda k, v: v)
        .group_by_key()
        .count()
        .to_stream()
        .map_values(str)
        .to(lambda key, value, context: sink)
    )
    app_id = unique_app_id("extractor")
    config = streams_config(kafka_bootstrap, app_id, state_dir=str(tmp_path))
    streams = KafkaStreams(builder.build(), config)
    try:
        streams.start()  # repartition/changelog topics are created, the extractor not checked
        streams.wait_until_running(60)
    finally:
        assert streams.close(30) is True
        delete_topics(kafka_bootstrap, app_topics(kafka_bootstrap, app_id))
