"""The stream threads' group protocol: the user's choice, else what the brokers support."""

from __future__ import annotations

import concurrent.futures
import logging
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException

from kstreams.config import StreamsConfig
from kstreams.errors import StreamsError
from kstreams.runtime import group_protocol
from kstreams.runtime.group_protocol import broker_protocols, choose_group_protocol


class Done:
    def __init__(self, value: Any) -> None:
        self.value = value

    def result(self, timeout: float | None = None) -> Any:
        if isinstance(self.value, Exception):
            raise self.value
        return self.value


class Node:
    def __init__(self, node_id: int) -> None:
        self.id = node_id


class Cluster:
    def __init__(self, ids: list[int]) -> None:
        self.nodes = [Node(i) for i in ids]


class Entry:
    def __init__(self, value: str) -> None:
        self.value = value


class Admin:
    """Answers describe_cluster / describe_configs; ``protocols`` None: no such config key."""

    def __init__(
        self, protocols: str | None, fail: bool = False, unanswered: list[Exception] | None = None
    ) -> None:
        self.protocols = protocols
        self.fail = fail
        self.unanswered = list(unanswered or [])
        """What the next questions fail with (the brokers unreachable), one each."""
        self.asked: list[str] = []

    def describe_cluster(self, request_timeout: float) -> Done:
        if self.fail:
            return Done(
                KafkaException(KafkaError(KafkaError.CLUSTER_AUTHORIZATION_FAILED, "denied"))
            )
        if self.unanswered:
            return Done(self.unanswered.pop(0))
        return Done(Cluster([3, 1, 2]))

    def describe_configs(self, resources: list[Any], request_timeout: float) -> dict[Any, Done]:
        self.asked.append(resources[0].name)
        configs = (
            {}
            if self.protocols is None
            else {"group.coordinator.rebalance.protocols": Entry(self.protocols)}
        )
        return {resources[0]: Done(configs)}


def config(servers: str, **extra: Any) -> StreamsConfig:
    return StreamsConfig({"application.id": "app", "bootstrap.servers": servers, **extra})


@pytest.fixture(autouse=True)
def fresh_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(group_protocol, "_CACHE", {})


def test_the_brokers_say_which_protocols_their_coordinators_speak() -> None:
    admin = Admin("classic,consumer")
    assert broker_protocols(admin) == {"classic", "consumer"}
    assert admin.asked == ["1"]  # one broker's config (the lowest id)
    assert broker_protocols(Admin(None)) == {"classic"}  # before Kafka 3.7: no such key
    assert broker_protocols(Admin("x", fail=True)) is None


def test_automatic_consumer_where_supported_classic_otherwise() -> None:
    assert choose_group_protocol(config("a:1"), Admin("classic,consumer,streams")) == "consumer"
    assert choose_group_protocol(config("b:1"), Admin("classic")) == "classic"
    assert choose_group_protocol(config("c:1"), Admin(None)) == "classic"
    assert choose_group_protocol(config("d:1"), Admin("x", fail=True)) == "classic"


def test_the_brokers_are_asked_once_per_cluster() -> None:
    admin = Admin("classic,consumer")
    for _ in range(3):
        assert choose_group_protocol(config("a:1"), admin) == "consumer"
    assert admin.asked == ["1"]


def test_a_chosen_protocol_is_honoured_without_asking() -> None:
    admin = Admin("classic")
    assert choose_group_protocol(config("a:1", **{"group.protocol": "consumer"}), admin) == (
        "consumer"
    )
    assert choose_group_protocol(config("a:1", **{"group.protocol": "classic"}), admin) == (
        "classic"
    )
    assert admin.asked == []


def test_classic_only_settings_are_said_to_have_no_effect_under_the_consumer_protocol(
    caplog: pytest.LogCaptureFixture,
) -> None:
    chosen = config("a:1", **{"session.timeout.ms": 6000, "group.protocol": "consumer"})
    with caplog.at_level(logging.WARNING, logger="kstreams"):
        assert choose_group_protocol(chosen, Admin("consumer")) == "consumer"
    assert "session.timeout.ms has no effect under the consumer group protocol" in caplog.text


def test_unset_with_a_classic_only_setting_is_classic(caplog: pytest.LogCaptureFixture) -> None:
    admin = Admin("classic,consumer")
    with caplog.at_level(logging.INFO, logger="kstreams"):
        assert choose_group_protocol(config("a:1", **{"session.timeout.ms": 6000}), admin) == (
            "classic"
        )
    assert admin.asked == [] and "session.timeout.ms set" in caplog.text


def timed_out() -> KafkaException:
    return KafkaException(KafkaError(KafkaError._TIMED_OUT, "Failed while waiting for controller"))


def test_an_unanswered_question_is_asked_again(monkeypatch: pytest.MonkeyPatch) -> None:
    # the brokers restarting: falling back to classic would make this the group's only
    # classic member
    monkeypatch.setattr(group_protocol, "LOOKUP_RETRY_S", 0.0)
    unanswered = [timed_out(), TimeoutError(), concurrent.futures.TimeoutError(), ValueError()]
    admin = Admin("classic,consumer", unanswered=unanswered)  # ValueError: min() of no nodes
    assert choose_group_protocol(config("a:1"), admin) == "consumer"
    assert admin.unanswered == []


def test_a_question_unanswered_for_task_timeout_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(group_protocol, "LOOKUP_RETRY_S", 0.01)
    admin = Admin("classic,consumer", unanswered=[timed_out() for _ in range(1000)])
    with pytest.raises(StreamsError, match=r"set group\.protocol"):
        choose_group_protocol(config("a:1", **{"task.timeout.ms": 50}), admin)
    assert group_protocol._CACHE == {}  # nothing decided: the next thread asks again
