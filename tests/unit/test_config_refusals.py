"""Config that would have no effect is refused: unsupported Streams keys, client settings kstreams controls.

The table of known but unsupported keys (``kstreams/config/unsupported.py``), the client
settings kstreams sets itself (``kstreams/config/controlled.py``) and the idempotent producer
under at_least_once with the librdkafka settings it needs.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest

from kstreams.config import StreamsConfig
from kstreams.config.unsupported import UNSUPPORTED
from kstreams.errors import ConfigError

BASE = {"application.id": "app", "bootstrap.servers": "127.0.0.1:9092"}


def make(settings: dict[str, Any]) -> StreamsConfig:
    return StreamsConfig({**BASE, **settings})


# --------------------------------------------------------------------------- #
# known but unsupported keys
# --------------------------------------------------------------------------- #

# a valid value of each key that kstreams cannot honour
REFUSED_VALUES: dict[str, Any] = {
    "max.warmup.replicas": 2,
    "acceptable.recovery.lag": 10000,
    "probing.rebalance.interval.ms": 600000,
    "state.cleanup.delay.ms": 600000,
    "max.task.idle.ms": 0,
    "buffered.records.per.partition": 500,
    "metrics.recording.level": "DEBUG",
    "log.summary.interval.ms": 120000,
    "default.dsl.store": "in_memory",
    "rocksdb.config.setter": "my_app.rocks:Setter",
    "group.protocol": "streams",
    "upgrade.from": "3.9",
    "default.client.supplier": "my.Supplier",
    "task.assignor.class": "my.Assignor",
    "rack.aware.assignment.strategy": "min_traffic",
    "rack.aware.assignment.tags": "zone",
    "rack.aware.assignment.traffic_cost": 10,
    "rack.aware.assignment.non_overlap_cost": 10,
    "client.tag.": ("client.tag.zone", "eu-1"),
    "dsl.store.suppliers.class": "my.Suppliers",
    "processor.wrapper.class": "my.Wrapper",
    "ensure.explicit.internal.resource.naming": True,
    "built.in.metrics.version": "latest",
    "metric.reporters": "my.Reporter",
    "metrics.num.samples": 2,
    "metrics.sample.window.ms": 30000,
    "window.size.ms": 1000,
    "windowed.inner.class.serde": "my.Serde",
    "default.list.key.serde.inner": "my.Serde",
    "default.list.key.serde.type": "java.util.ArrayList",
    "default.list.value.serde.inner": "my.Serde",
    "default.list.value.serde.type": "java.util.ArrayList",
    "receive.buffer.bytes": 65536,
    "send.buffer.bytes": 131072,
}

# values equal to kstreams' fixed behaviour, as users write them
ACCEPTED_VALUES: list[tuple[str, Any]] = [
    ("max.task.idle.ms", -1),
    ("buffered.records.per.partition", 1000),
    ("metrics.recording.level", "INFO"),
    ("metrics.recording.level", "info"),
    ("default.dsl.store", "rocksDB"),
    ("rocksdb.config.setter", None),
    ("group.protocol", "classic"),
    ("group.protocol", "CLASSIC"),
    ("rack.aware.assignment.strategy", "none"),
    ("ensure.explicit.internal.resource.naming", False),
    ("ensure.explicit.internal.resource.naming", "false"),
]


def test_every_unsupported_key_has_a_refused_value_here() -> None:
    assert set(REFUSED_VALUES) == set(UNSUPPORTED)


@pytest.mark.parametrize("table_key", sorted(UNSUPPORTED))
def test_unsupported_key_is_refused_naming_key_cause_and_advice(table_key: str) -> None:
    sample = REFUSED_VALUES[table_key]
    key, value = sample if isinstance(sample, tuple) else (table_key, sample)
    entry = UNSUPPORTED[table_key]
    with pytest.raises(ConfigError) as info:
        make({key: value})
    message = str(info.value)
    assert f"Configuration {key!r} (set to {value!r}) is not supported by kstreams" in message
    assert entry.why in message
    assert entry.advice in message


@pytest.mark.parametrize(("key", "value"), ACCEPTED_VALUES)
def test_value_equal_to_kstreams_behaviour_is_accepted(key: str, value: Any) -> None:
    make({key: value})


def test_unsupported_keys_in_python_spelling_and_together() -> None:
    with pytest.raises(ConfigError) as info:
        StreamsConfig(BASE, max_warmup_replicas=2, upgrade_from="3.9")
    message = str(info.value)
    for key in ("max.warmup.replicas", "upgrade.from"):
        assert repr(key) in message


def test_invalid_value_of_an_unsupported_key_is_still_an_invalid_value() -> None:
    with pytest.raises(
        ConfigError, match=re.escape("Invalid value -2 for configuration max.task.idle.ms")
    ):
        make({"max.task.idle.ms": -2})


def test_doc_of_an_unsupported_key_says_so() -> None:
    doc = StreamsConfig.doc("max.task.idle.ms")
    assert "Not supported by kstreams: a task with several input partitions" in doc
    assert "(accepted: -1)" in doc
    assert "Not supported" not in StreamsConfig.doc("num.standby.replicas")
    assert "Not supported" not in StreamsConfig.doc("commit.interval.ms")


def test_group_protocol_is_consumer_or_classic_or_automatic() -> None:
    assert make({"group.protocol": "consumer"}).group_protocol == "consumer"
    assert make({"group.protocol": "Classic"}).group_protocol == "classic"
    assert make({}).group_protocol is None  # automatic: asked of the brokers
    with pytest.raises(ConfigError, match="must be one of classic, consumer, streams"):
        make({"group.protocol": "eager"})
    with pytest.raises(ConfigError, match=r"streams rebalance protocol \(KIP-1071\)"):
        make({"group.protocol": "streams"})
    assert StreamsConfig.GROUP_PROTOCOL_CONFIG == "group.protocol"


def test_the_consumer_protocol_uses_the_brokers_range_assignor() -> None:
    c = make({"session.timeout.ms": 20000, "main.consumer.heartbeat.interval.ms": 2000})
    conf = c.main_consumer_config("app", "c", thread_index=2, group_protocol="consumer")
    assert conf["group.protocol"] == "consumer" and conf["group.remote.assignor"] == "range"
    for key in ("partition.assignment.strategy", "session.timeout.ms", "heartbeat.interval.ms"):
        assert key not in conf  # librdkafka refuses them under the consumer protocol
    assert c.classic_only_settings() == ["session.timeout.ms", "heartbeat.interval.ms"]
    classic = c.main_consumer_config("app", "c", group_protocol="classic")
    assert classic["group.protocol"] == "classic"
    assert classic["partition.assignment.strategy"] == "range"
    assert classic["session.timeout.ms"] == 20000 and "group.remote.assignor" not in classic


# --------------------------------------------------------------------------- #
# client settings kstreams controls
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("prefix", ["", "consumer.", "main.consumer."])
@pytest.mark.parametrize("strategy", ["roundrobin", "cooperative-sticky", "range,roundrobin"])
def test_partition_assignment_strategy_other_than_range_is_refused(
    prefix: str, strategy: str
) -> None:
    key = prefix + "partition.assignment.strategy"
    with pytest.raises(ConfigError) as info:
        make({key: strategy})
    message = str(info.value)
    assert f"Configuration {key!r} (set to {strategy!r}) is controlled by kstreams" in message
    assert "range assignor" in message
    assert "Remove it." in message


@pytest.mark.parametrize("prefix", ["", "consumer.", "main.consumer."])
def test_partition_assignment_strategy_range_warns_it_has_no_effect(
    prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    key = prefix + "partition.assignment.strategy"
    with caplog.at_level(logging.WARNING, logger="kstreams"):
        c = make({key: "range"})
    assert f"Configuration {key!r} (set to 'range') has no effect" in caplog.text
    assert c.main_consumer_config("app", "c")["partition.assignment.strategy"] == "range"


@pytest.mark.parametrize("prefix", ["consumer.", "main.consumer.", "restore.consumer."])
def test_consumer_group_protocol_is_refused_or_warned(
    prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    key = prefix + "group.protocol"
    for value in ("consumer", "classic"):
        with pytest.raises(ConfigError, match=f"{key!r} \\(set to '{value}'\\).*unprefixed"):
            make({key: value})


def test_unprefixed_group_protocol_is_the_streams_key(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="kstreams"):
        c = make({"group.protocol": "classic"})
    assert caplog.text == ""
    assert c.main_consumer_config("app", "c")["group.protocol"] == "classic"


@pytest.mark.parametrize(
    ("key", "value", "cause"),
    [
        ("consumer.group.remote.assignor", "uniform", "consumer group protocol (KIP-848)"),
        ("enable.auto.commit", True, "commits input offsets itself"),
        ("main.consumer.enable.auto.offset.store", True, "commits input offsets itself"),
        ("restore.consumer.enable.auto.commit", "true", "commits input offsets itself"),
        ("group.id", "mine", "group id is the application.id"),
        ("restore.consumer.group.id", "app-restore-consumer", "restore and global consumers"),
        ("restore.consumer.auto.offset.reset", "latest", "auto.offset.reset=error"),
        ("global.consumer.auto.offset.reset", "earliest", "auto.offset.reset=error"),
        ("consumer.client.id", "mine", "unprefixed client.id"),
        ("producer.client.id", "mine", "unprefixed client.id"),
        ("admin.client.id", "mine", "unprefixed client.id"),
        ("producer.bootstrap.servers", "other:9092", "one cluster"),
        ("admin.bootstrap.servers", "other:9092", "one cluster"),
        ("transactional.id", "mine", "not transactional"),
        ("producer.on_delivery", print, "delivery reports"),
    ],
)
def test_controlled_client_setting_is_refused(key: str, value: Any, cause: str) -> None:
    with pytest.raises(ConfigError) as info:
        make({key: value})
    message = str(info.value)
    assert f"Configuration {key!r}" in message
    assert "is controlled by kstreams" in message
    assert cause in message


def test_controlled_settings_kstreams_agrees_with_are_accepted() -> None:
    c = make(
        {
            "group.id": "app",
            "consumer.auto.offset.reset": "latest",  # the input topics' reset policy
            "restore.consumer.auto.offset.reset": "error",
            "producer.bootstrap.servers": "127.0.0.1:9092",
            "producer.delivery.report.only.error": False,
        }
    )
    assert c.main_consumer_config("app", "c")["auto.offset.reset"] == "latest"
    assert c.restore_consumer_config("r")["auto.offset.reset"] == "error"


def test_isolation_level_is_free_under_at_least_once() -> None:
    c = make({"consumer.isolation.level": "read_committed"})
    assert c.main_consumer_config("app", "c")["isolation.level"] == "read_committed"


def test_all_controlled_conflicts_are_reported_together() -> None:
    with pytest.raises(ConfigError) as info:
        make({"consumer.partition.assignment.strategy": "roundrobin", "enable.auto.commit": True})
    assert "'consumer.partition.assignment.strategy'" in str(info.value)
    assert "'enable.auto.commit'" in str(info.value)


# --------------------------------------------------------------------------- #
# the idempotent producer under at_least_once
# --------------------------------------------------------------------------- #


def test_at_least_once_producer_is_idempotent_by_default() -> None:
    assert StreamsConfig(BASE).producer_config("p")["enable.idempotence"] is True


def test_at_least_once_idempotence_can_be_turned_off() -> None:
    for value in (False, "false"):
        c = make({"producer.enable.idempotence": value, "acks": 1, "max.in.flight": 100})
        conf = c.producer_config("p")
        assert conf["enable.idempotence"] == value
        assert conf["acks"] == 1


@pytest.mark.parametrize(
    ("key", "value", "need"),
    [
        ("acks", 1, "acks=all"),
        ("producer.acks", "0", "acks=all"),
        ("producer.request.required.acks", 1, "acks=all"),
        ("max.in.flight", 6, "max.in.flight of at most 5"),
        ("producer.max.in.flight.requests.per.connection", 10, "max.in.flight of at most 5"),
        ("producer.retries", 0, "retries of at least 1"),
        ("message.send.max.retries", 0, "retries of at least 1"),
        ("producer.queuing.strategy", "lifo", "queuing.strategy=fifo"),
    ],
)
def test_setting_conflicting_with_idempotence_is_refused(key: str, value: Any, need: str) -> None:
    with pytest.raises(ConfigError) as info:
        make({key: value})
    message = str(info.value)
    assert f"Configuration {key!r} (set to {value!r}) conflicts with the idempotent producer" in (
        message
    )
    assert "under at_least_once" in message
    assert need in message
    assert "producer.enable.idempotence=false" in message
    with pytest.raises(ConfigError) as eos:
        make({key: value, "processing.guarantee": "exactly_once_v2"})
    assert "under exactly_once_v2" in str(eos.value)
    assert "enable.idempotence=false" not in str(eos.value)


def test_idempotence_compatible_settings_are_accepted() -> None:
    for settings in (
        {"acks": "all"},
        {"acks": -1, "max.in.flight": 5, "retries": 3},
        {"acks": 1, "producer.acks": "all"},  # the producer. setting is the effective one
        {"producer.queuing.strategy": "fifo"},
    ):
        make(settings)


def test_idempotent_at_least_once_config_is_accepted_by_librdkafka() -> None:
    confluent_kafka = pytest.importorskip("confluent_kafka")
    c = make({"bootstrap.servers": "127.0.0.1:1", "acks": "all", "max.in.flight": 5})
    conf = c.producer_config("p")
    assert conf["enable.idempotence"] is True
    confluent_kafka.Producer(conf).flush(0)


def test_task_timeout_ms_is_the_restoration_stall_timeout() -> None:
    # implemented: any value is accepted (restoration without progress fails after it)
    assert StreamsConfig({**BASE, "task.timeout.ms": 60000}).task_timeout_ms == 60000
