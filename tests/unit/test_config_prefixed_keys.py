"""Misspelled or misplaced prefixed client keys are refused at construction, named with their
prefix and a close match; the unknown-key text does not call prefixed keys unchecked."""

from __future__ import annotations

import pytest

from kstreams import StreamsConfig
from kstreams.errors import ConfigError

BASE = {"application.id": "app", "bootstrap.servers": "127.0.0.1:9092"}


def _error(key: str, value: object = 1) -> str:
    with pytest.raises(ConfigError) as info:
        StreamsConfig({**BASE, key: value})
    return str(info.value)


@pytest.mark.parametrize(
    ("key", "suggestion"),
    [
        ("consumer.sesion.timeout.ms", "'consumer.session.timeout.ms'"),
        ("main.consumer.fetch.min.byte", "'main.consumer.fetch.min.bytes'"),
        (
            "restore.consumer.max.partition.fetch.byte",
            "'restore.consumer.max.partition.fetch.bytes'",
        ),
        ("producer.lingr.ms", "'producer.linger.ms'"),
        ("admin.socket.timeout.msec", "'admin.socket.timeout.ms'"),
    ],
)
def test_misspelled_prefixed_key_is_named_with_prefix_and_suggestion(
    key: str, suggestion: str
) -> None:
    message = _error(key)
    assert f"Unknown configuration {key!r}" in message
    assert f"Did you mean {suggestion}" in message
    assert "librdkafka" in message
    assert "unchecked" not in message


def test_property_of_the_other_client_kind_is_refused_with_where_it_belongs() -> None:
    message = _error("consumer.linger.ms", 5)
    assert "'consumer.linger.ms'" in message and "producer property" in message
    assert "'producer.linger.ms'" in message
    message = _error("producer.session.timeout.ms", 6000)
    assert "consumer property" in message and "'consumer.session.timeout.ms'" in message


def test_unprefixed_unknown_key_suggests_streams_and_client_keys() -> None:
    assert "Did you mean 'commit.interval.ms'" in _error("comit.interval.ms", 100)
    message = _error("sesion.timeout.ms", 6000)
    assert "Did you mean 'session.timeout.ms'" in message
    assert "unchecked" not in message


def test_all_unknown_keys_are_reported_together() -> None:
    with pytest.raises(ConfigError) as info:
        StreamsConfig({**BASE, "consumer.sesion.timeout.ms": 1, "producer.lingr.ms": 1})
    assert "'consumer.sesion.timeout.ms'" in str(info.value)
    assert "'producer.lingr.ms'" in str(info.value)


def test_valid_prefixed_keys_and_topic_configs_still_pass() -> None:
    config = StreamsConfig(
        {
            **BASE,
            "consumer.session.timeout.ms": 6000,
            "main.consumer.fetch.min.bytes": 2,
            "producer.linger.ms": 20,
            "admin.socket.timeout.ms": 5000,
            "topic.retention.ms": 1000,
            "consumer.debug": "broker",
        }
    )
    assert config.main_consumer_config("g", "c")["session.timeout.ms"] == 6000
    assert config.producer_config("p")["linger.ms"] == 20
    assert config.admin_config("a")["socket.timeout.ms"] == 5000
    assert config.topic_config() == {"retention.ms": "1000"}
