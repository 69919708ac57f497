"""The metadata publisher's rules without a broker: what it publishes and when, how it applies
records and tombstones, and how group membership decides who is live."""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

import pytest
from confluent_kafka import KafkaError

from kstreams import HostInfo, StreamsConfig, TaskId
from kstreams.runtime.metadata_publisher import MetadataPublisher, metadata_topic
from kstreams.runtime.streams_metadata import ClientRecord

ME = HostInfo("me", 1)
OTHER = HostInfo("other", 2)


class Msg:
    def __init__(self, key: bytes | None, value: bytes | None, error: Any = None) -> None:
        self._key, self._value, self._error = key, value, error

    def key(self) -> bytes | None:
        return self._key

    def value(self) -> bytes | None:
        return self._value

    def error(self) -> Any:
        return self._error


class Eof:
    def code(self) -> int:
        return KafkaError._PARTITION_EOF


class FakeConsumer:
    def __init__(self) -> None:
        self.batches: list[list[Msg]] = []

    def consume(self, n: int, timeout: float) -> list[Msg]:
        return self.batches.pop(0) if self.batches else []

    def close(self) -> None:
        pass


class FakeProducer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes, bytes | None]] = []

    def produce(self, topic: str, key: bytes, value: bytes | None, on_delivery=None) -> None:
        self.sent.append((topic, key, value))

    def poll(self, timeout: float) -> int:
        return 0

    def flush(self, timeout: float) -> int:
        return 0

    def purge(self) -> None:
        pass

    def close(self) -> None:
        pass


class Member:
    def __init__(self, client_id: str) -> None:
        self.client_id = client_id


class Group:
    def __init__(self, *client_ids: str) -> None:
        self.members = [Member(c) for c in client_ids]


class FakeAdmin:
    def __init__(self) -> None:
        self.group: Group | Exception = Group()
        self.calls = 0

    def describe_consumer_groups(self, groups: list[str], request_timeout: float) -> Any:
        self.calls += 1
        fut: Future[Any] = Future()
        if isinstance(self.group, Exception):
            fut.set_exception(self.group)
        else:
            fut.set_result(self.group)
        return {groups[0]: fut}


@pytest.fixture
def publisher():
    local: dict[str, Any] = {"consumers": frozenset({"me-consumer"}), "active": {}, "standby": {}}
    config = StreamsConfig({"application.id": "app", "bootstrap.servers": "127.0.0.1:1"})
    admin = FakeAdmin()
    p = MetadataPublisher(
        config,
        "app-client",
        "pid-me",
        ME,
        lambda: (local["consumers"], local["active"], local["standby"]),
        admin,
    )
    real = (p._consumer, p._producer)
    p._consumer, p._producer = FakeConsumer(), FakeProducer()
    for client in real:  # librdkafka clients never used here
        if hasattr(client, "close"):
            client.close()
    yield p, local, admin


def other_record(active: dict | None = None, at: int = 5) -> ClientRecord:
    return ClientRecord("pid-other", OTHER, frozenset({"other-consumer"}), active or {}, {}, at)


def test_topic_name() -> None:
    assert metadata_topic("orders") == "orders-metadata"


def test_publishes_at_start_and_on_change_only(publisher) -> None:
    p, local, _ = publisher
    p._publish_if_changed()
    p._publish_if_changed()
    assert len(p._producer.sent) == 1
    topic, key, value = p._producer.sent[0]
    assert (topic, key) == ("app-metadata", b"pid-me")
    first = ClientRecord.from_bytes(value)
    assert first.host_info == ME and first.active_tasks == {}
    local["active"] = {TaskId(0, 1): frozenset({("in", 1)})}
    p._publish_if_changed()
    assert len(p._producer.sent) == 2
    assert ClientRecord.from_bytes(p._producer.sent[1][2]).active_tasks == local["active"]
    # a failed delivery is published again next round
    p._delivered("broker down", None)
    p._publish_if_changed()
    assert len(p._producer.sent) == 3


def test_reads_records_and_tombstones_and_is_initialized_at_the_end(publisher) -> None:
    p, _, _ = publisher
    p._publish_if_changed()
    assert not p.initialized
    p._consumer.batches = [
        [Msg(b"pid-other", other_record().to_bytes()), Msg(b"junk", b"not json")],
        [Msg(None, None, Eof())],
    ]
    v = p.version
    p._read(0)
    assert p.version > v
    assert {r.process_id for r in p.live_records()} == {"pid-other", "pid-me"}
    p._read(0)
    assert p.initialized
    p._consumer.batches = [[Msg(b"pid-other", None)]]
    p._read(0)
    assert {r.process_id for r in p.live_records()} == {"pid-me"}


def test_own_record_comes_from_what_it_published_not_the_topic(publisher) -> None:
    p, _, _ = publisher
    p._publish_if_changed()
    stale = ClientRecord("pid-me", ME, frozenset(), {TaskId(0, 0): frozenset({("in", 0)})}, {}, 1)
    p._consumer.batches = [[Msg(b"pid-me", stale.to_bytes())]]
    p._read(0)
    (own,) = p.live_records()
    assert own.active_tasks == {}


def test_members_not_in_the_group_are_not_live(publisher) -> None:
    p, _, admin = publisher
    p._consumer.batches = [[Msg(b"pid-other", other_record().to_bytes())]]
    p._read(0)
    admin.group = Group("me-consumer", "other-consumer")
    p._refresh_membership()  # asks
    p._refresh_membership()  # reads the answer
    assert {r.process_id for r in p.live_records()} == {"pid-other"}
    admin.group = Group("me-consumer")  # the other one was expelled (killed)
    p._next_describe = 0
    p._refresh_membership()
    p._refresh_membership()
    assert p.live_records() == []  # nothing published by this one yet either
    assert admin.calls == 2


def test_membership_unknown_keeps_every_record(publisher, caplog) -> None:
    p, _, admin = publisher
    p._consumer.batches = [[Msg(b"pid-other", other_record().to_bytes())]]
    p._read(0)
    admin.group = RuntimeError("GROUP_AUTHORIZATION_FAILED")
    p._refresh_membership()
    p._refresh_membership()
    assert {r.process_id for r in p.live_records()} == {"pid-other"}
    assert "could not describe consumer group app" in caplog.text


def test_close_writes_a_tombstone(publisher) -> None:
    p, _, _ = publisher
    p.close(0)
    assert p._producer.sent[-1] == ("app-metadata", b"pid-me", None)
