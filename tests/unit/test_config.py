"""Unit tests of kstreams.config.StreamsConfig."""

from __future__ import annotations

import logging
import os
import re
import tempfile
from typing import Any

import pytest

from kstreams.config import (
    CONSUMER_DEFAULTS,
    PRODUCER_DEFAULTS,
    RESTORE_CONSUMER_OVERRIDES,
    StreamsConfig,
)
from kstreams.errors import ConfigError
from kstreams.handlers import (
    DefaultProductionExceptionHandler,
    DeserializationExceptionHandler,
    DeserializationHandlerResponse,
    LogAndContinueExceptionHandler,
    LogAndContinueProcessingExceptionHandler,
    LogAndFailExceptionHandler,
    LogAndFailProcessingExceptionHandler,
)
from kstreams.serde.base import FunctionSerde, Serde

BASE = {"application.id": "app", "bootstrap.servers": "127.0.0.1:9092"}


def make(settings: dict[str, Any]) -> StreamsConfig:
    return StreamsConfig({**BASE, **settings})


# --------------------------------------------------------------------------- #
# construction
# --------------------------------------------------------------------------- #


def test_minimal_config_and_defaults() -> None:
    c = StreamsConfig(BASE)
    assert c.application_id == "app"
    assert c.bootstrap_servers == "127.0.0.1:9092"
    assert c.processing_guarantee == "at_least_once"
    assert c.exactly_once is False
    assert c.commit_interval_ms == 30000
    assert c.num_stream_threads == 1
    assert c.num_standby_replicas == 0
    assert c.state_dir == os.path.join(tempfile.gettempdir(), "kafka-streams")
    assert c.client_id == ""
    assert c.poll_ms == 100
    assert c.max_task_idle_ms == -1  # what kstreams does (Java's default is 0)
    assert c.buffered_records_per_partition == 1000
    assert c.replication_factor == -1
    assert c.statestore_cache_max_bytes == 10 * 1024 * 1024
    assert c.repartition_purge_interval_ms == 30000
    assert c.task_timeout_ms == 300000
    assert c.topology_optimizations == frozenset()
    assert c.dead_letter_queue_topic is None
    assert c.timestamp_extractor is None
    assert c["metrics.recording.level"] == "INFO"
    assert c.get("state.cleanup.delay.ms") == 600000
    assert c.get("max.warmup.replicas") == 2


def test_keyword_arguments_in_python_spelling() -> None:
    c = StreamsConfig(
        application_id="app",
        bootstrap_servers="127.0.0.1:9092",
        num_stream_threads=3,
        consumer_fetch_min_bytes=10,
        sasl_password="s3cret",
        log_level=7,
    )
    assert c.application_id == "app"
    assert c.num_stream_threads == 3
    assert c["consumer.fetch.min.bytes"] == 10
    assert c["sasl.password"] == "s3cret"
    assert c["log_level"] == 7
    assert c.main_consumer_config("app", "c")["fetch.min.bytes"] == 10


def test_keyword_callbacks_keep_their_underscores() -> None:
    def on_error(err: Any) -> None:
        pass

    c = StreamsConfig(BASE, error_cb=on_error, producer_stats_cb=on_error)
    assert c.main_consumer_config("app", "c")["error_cb"] is on_error
    assert c.producer_config("p")["stats_cb"] is on_error


def test_copy_from_another_config_with_overrides() -> None:
    base = StreamsConfig(BASE, num_stream_threads=2)
    copy = StreamsConfig(base, poll_ms=50)
    assert copy.num_stream_threads == 2
    assert copy.poll_ms == 50
    assert base.poll_ms == 100
    assert StreamsConfig(base) == base


def test_constants_match_java() -> None:
    assert StreamsConfig.APPLICATION_ID_CONFIG == "application.id"
    assert StreamsConfig.BOOTSTRAP_SERVERS_CONFIG == "bootstrap.servers"
    assert StreamsConfig.PROCESSING_GUARANTEE_CONFIG == "processing.guarantee"
    assert StreamsConfig.EXACTLY_ONCE_V2 == "exactly_once_v2"
    assert StreamsConfig.COMMIT_INTERVAL_MS_CONFIG == "commit.interval.ms"
    assert StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG == "default.key.serde"
    assert (
        StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG
        == "errors.dead.letter.queue.topic.name"
    )
    assert StreamsConfig.consumer_prefix("fetch.min.bytes") == "consumer.fetch.min.bytes"
    assert StreamsConfig.topic_prefix("retention.ms") == "topic.retention.ms"
    assert "commit.interval.ms" in StreamsConfig.config_names()
    assert "exactly_once_v2" in StreamsConfig.doc("commit.interval.ms")
    assert StreamsConfig.doc("default.deserialization.exception.handler") == StreamsConfig.doc(
        "deserialization.exception.handler"
    )


# --------------------------------------------------------------------------- #
# validation
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("missing", ["application.id", "bootstrap.servers"])
def test_required_keys(missing: str) -> None:
    settings = dict(BASE)
    del settings[missing]
    with pytest.raises(ConfigError, match=missing):
        StreamsConfig(settings)


def test_application_id_must_be_non_empty_and_topic_safe() -> None:
    with pytest.raises(ConfigError, match=re.escape("application.id")):
        make({"application.id": ""})
    with pytest.raises(ConfigError, match=re.escape("application.id")):
        make({"application.id": "my app"})


def test_unknown_key_suggests_close_match() -> None:
    with pytest.raises(ConfigError) as info:
        make({"comit.interval.ms": 100})
    message = str(info.value)
    assert "'comit.interval.ms'" in message
    assert "Did you mean 'commit.interval.ms'" in message


def test_unknown_java_client_name_suggests_librdkafka_name() -> None:
    with pytest.raises(ConfigError, match=re.escape("fetch.wait.max.ms")):
        make({"fetch.max.wait.ms": 100})


def test_all_unknown_keys_are_reported() -> None:
    with pytest.raises(ConfigError) as info:
        make({"foo.bar": 1, "pol.ms": 5})
    assert "'foo.bar'" in str(info.value)
    assert "'pol.ms'" in str(info.value)
    assert "'poll.ms'" in str(info.value)


def test_unsupported_java_key_has_specific_message() -> None:
    with pytest.raises(ConfigError, match=r"'upgrade\.from'.*is not supported by kstreams"):
        make({"upgrade.from": "3.9"})


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("commit.interval.ms", "soon"),
        ("commit.interval.ms", -1),
        ("num.stream.threads", 0),
        ("num.stream.threads", True),
        ("num.stream.threads", 1.5),
        ("num.standby.replicas", -1),
        ("replication.factor", 0),
        ("poll.ms", [1]),
        ("max.task.idle.ms", -2),
        ("buffered.records.per.partition", 0),
        ("probing.rebalance.interval.ms", 1000),
        ("topology.optimization", "some"),
        ("topology.optimization", "all,none"),
        ("metrics.recording.level", "LOUD"),
        ("default.dsl.store", "leveldb"),
        ("state.dir", ""),
        ("client.id", 5),
        ("default.key.serde", 42),
        ("default.key.serde", int),
        ("deserialization.exception.handler", "log_and_maybe"),
        ("deserialization.exception.handler", object()),
        ("production.exception.handler", LogAndFailExceptionHandler),
        ("errors.dead.letter.queue.topic.name", "bad topic!"),
        ("security.protocol", "TLS"),
        ("default.timestamp.extractor", 5),
    ],
)
def test_bad_values_name_key_and_value(key: str, value: Any) -> None:
    with pytest.raises(ConfigError) as info:
        make({key: value})
    assert key in str(info.value)
    assert repr(value) in str(info.value)


@pytest.mark.parametrize("removed", ["exactly_once", "exactly_once_beta"])
def test_removed_processing_guarantees_point_to_v2(removed: str) -> None:
    with pytest.raises(ConfigError, match="use 'exactly_once_v2'"):
        make({"processing.guarantee": removed})


def test_unknown_processing_guarantee() -> None:
    with pytest.raises(ConfigError, match="at_least_once, exactly_once_v2"):
        make({"processing.guarantee": "at_most_once"})


def test_values_coerced_like_java() -> None:
    c = make(
        {
            "commit.interval.ms": " 250 ",
            "num.stream.threads": "4",
            "poll.ms": 20.0,
            "replication.factor": "-1",
            "bootstrap.servers": ["b1:9092", " b2:9092 "],
            "state.dir": tempfile.gettempdir(),
            "metrics.recording.level": "info",
            "topology.optimization": "reuse.ktable.source.topics, merge.repartition.topics",
        }
    )
    assert c.commit_interval_ms == 250
    assert c.num_stream_threads == 4
    assert c.poll_ms == 20
    assert c.replication_factor == -1
    assert c.bootstrap_servers == "b1:9092,b2:9092"
    assert c["metrics.recording.level"] == "INFO"
    assert c.topology_optimizations == {"reuse.ktable.source.topics", "merge.repartition.topics"}
    assert make({"topology.optimization": "all"}).topology_optimizations == {
        "reuse.ktable.source.topics",
        "merge.repartition.topics",
        "single.store.self.join",
    }


def test_non_string_key_rejected() -> None:
    with pytest.raises(ConfigError, match="strings"):
        StreamsConfig({**BASE, 1: 2})  # type: ignore[dict-item]


# --------------------------------------------------------------------------- #
# exactly-once
# --------------------------------------------------------------------------- #


def test_eos_default_commit_interval() -> None:
    c = make({"processing.guarantee": "exactly_once_v2"})
    assert c.exactly_once is True
    assert c.commit_interval_ms == 100
    assert c.repartition_purge_interval_ms == 30000


def test_eos_keeps_explicit_commit_interval() -> None:
    c = make({"processing.guarantee": "exactly_once_v2", "commit.interval.ms": 1000})
    assert c.commit_interval_ms == 1000


def test_eos_transaction_timeout_must_cover_commit_interval() -> None:
    with pytest.raises(ConfigError, match="Transaction timeout 10000"):
        make({"processing.guarantee": "exactly_once_v2", "commit.interval.ms": 20000})
    c = make(
        {
            "processing.guarantee": "exactly_once_v2",
            "commit.interval.ms": 20000,
            "producer.transaction.timeout.ms": 30000,
        }
    )
    assert c.producer_config("p", "t")["transaction.timeout.ms"] == 30000


def test_eos_max_in_flight_at_most_5() -> None:
    with pytest.raises(ConfigError, match=r"'producer\.max\.in\.flight'.*at most 5"):
        make({"processing.guarantee": "exactly_once_v2", "producer.max.in.flight": 6})
    # under at_least_once only without idempotence (see test_config_refusals.py)
    make({"max.in.flight.requests.per.connection": 6, "producer.enable.idempotence": False})


# --------------------------------------------------------------------------- #
# client configs and routing
# --------------------------------------------------------------------------- #


def test_main_consumer_config_alos() -> None:
    conf = StreamsConfig(BASE).main_consumer_config("app", "app-StreamThread-1-consumer")
    for key, value in CONSUMER_DEFAULTS.items():
        assert conf[key] == value
    assert conf["bootstrap.servers"] == "127.0.0.1:9092"
    assert conf["group.id"] == "app"
    assert conf["client.id"] == "app-StreamThread-1-consumer"
    assert conf["enable.auto.commit"] is False
    assert conf["enable.auto.offset.store"] is False
    assert conf["auto.offset.reset"] == "earliest"
    assert conf["partition.assignment.strategy"] == "range"
    assert conf["isolation.level"] == "read_uncommitted"


def test_main_consumer_config_eos_read_committed() -> None:
    c = make({"processing.guarantee": "exactly_once_v2"})
    assert c.main_consumer_config("app", "c")["isolation.level"] == "read_committed"


def test_consumer_prefix_precedence() -> None:
    c = make(
        {
            "fetch.min.bytes": 1,
            "consumer.fetch.min.bytes": 2,
            "main.consumer.fetch.min.bytes": 3,
            "restore.consumer.fetch.min.bytes": 4,
            "global.consumer.fetch.min.bytes": 5,
            "consumer.auto.offset.reset": "latest",
            "consumer.fetch.queue.backoff.ms": 500,
        }
    )
    main = c.main_consumer_config("app", "c")
    assert main["fetch.min.bytes"] == 3
    assert main["auto.offset.reset"] == "latest"
    assert main["fetch.queue.backoff.ms"] == 500
    assert c.restore_consumer_config("r")["fetch.min.bytes"] == 4
    assert c.global_consumer_config("g")["fetch.min.bytes"] == 5
    assert (
        make({"consumer.fetch.min.bytes": 2}).restore_consumer_config("r")["fetch.min.bytes"] == 2
    )


def test_streams_controlled_consumer_settings_are_refused() -> None:
    with pytest.raises(ConfigError) as info:
        make(
            {
                "processing.guarantee": "exactly_once_v2",
                "consumer.enable.auto.commit": True,
                "main.consumer.group.id": "other",
                "consumer.isolation.level": "read_uncommitted",
                "bootstrap.servers": "real:9092",
                "consumer.bootstrap.servers": "elsewhere:9092",
            }
        )
    text = str(info.value)
    assert "'consumer.enable.auto.commit' (set to True) is controlled by kstreams" in text
    assert "'main.consumer.group.id'" in text
    assert "'consumer.isolation.level'" in text
    assert "'consumer.bootstrap.servers'" in text


def test_streams_controlled_consumer_settings_equal_to_kstreams_are_kept() -> None:
    c = make(
        {
            "processing.guarantee": "exactly_once_v2",
            "consumer.enable.auto.commit": False,
            "main.consumer.group.id": "app",
            "consumer.isolation.level": "read_committed",
            "consumer.bootstrap.servers": "127.0.0.1:9092",
        }
    )
    conf = c.main_consumer_config("app", "c")
    assert conf["enable.auto.commit"] is False
    assert conf["group.id"] == "app"
    assert conf["isolation.level"] == "read_committed"
    assert conf["bootstrap.servers"] == "127.0.0.1:9092"


def test_same_value_for_controlled_setting_does_not_warn(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="kstreams"):
        make({"consumer.enable.auto.commit": "false"})
    assert caplog.text == ""


def test_group_instance_id_suffixed_per_thread() -> None:
    c = make({"main.consumer.group.instance.id": "pod-1"})
    assert c.main_consumer_config("app", "c", thread_index=2)["group.instance.id"] == "pod-1-2"
    assert c.main_consumer_config("app", "c")["group.instance.id"] == "pod-1"
    assert "group.instance.id" not in make(
        {"consumer.group.instance.id": "pod-1"}
    ).restore_consumer_config("r")


def test_restore_and_global_consumer_config() -> None:
    c = StreamsConfig(BASE)
    restore = c.restore_consumer_config("app-restore")
    # assign-only consumers name the application's group: its ACL (READ on group
    # application.id) covers them, no group of their own needs one (issue 10 §3)
    assert restore["group.id"] == BASE["application.id"]
    assert restore["client.id"] == "app-restore"
    assert restore["enable.auto.commit"] is False
    for key, value in RESTORE_CONSUMER_OVERRIDES.items():
        assert restore[key] == value
    glob = c.global_consumer_config("app-client")
    assert glob["group.id"] == BASE["application.id"]
    assert glob["client.id"] == "app-client-global-consumer"
    assert glob["enable.auto.commit"] is False


def test_producer_config_alos() -> None:
    conf = StreamsConfig(BASE).producer_config("app-producer")
    for key, value in PRODUCER_DEFAULTS.items():
        assert conf[key] == value
    assert conf["bootstrap.servers"] == "127.0.0.1:9092"
    assert conf["client.id"] == "app-producer"
    assert conf["partitioner"] == "murmur2_random"
    assert "transactional.id" not in conf
    assert "transaction.timeout.ms" not in conf
    assert conf["enable.idempotence"] is True  # Kafka Streams' default since 3.0


def test_producer_config_eos() -> None:
    c = make({"processing.guarantee": "exactly_once_v2", "producer.linger.ms": 50})
    conf = c.producer_config("p", transactional_id="app-0_1")
    assert conf["enable.idempotence"] is True
    assert conf["transactional.id"] == "app-0_1"
    assert conf["transaction.timeout.ms"] == 10000
    assert conf["linger.ms"] == 50


def test_producer_controlled_settings_are_refused() -> None:
    with pytest.raises(ConfigError) as info:
        make(
            {
                "processing.guarantee": "exactly_once_v2",
                "producer.enable.idempotence": False,
                "producer.transactional.id": "mine",
            }
        )
    assert "'producer.enable.idempotence' (set to False)" in str(info.value)
    assert "'producer.transactional.id'" in str(info.value)
    with pytest.raises(ConfigError, match=re.escape("'producer.transactional.id'")):
        make({"producer.transactional.id": "x"})
    c = make({"processing.guarantee": "exactly_once_v2", "producer.enable.idempotence": True})
    conf = c.producer_config("p", "app-0_0")
    assert conf["enable.idempotence"] is True
    assert conf["transactional.id"] == "app-0_0"


def test_unprefixed_client_settings_routed_by_client_kind() -> None:
    c = make(
        {
            "security.protocol": "SASL_SSL",
            "sasl.mechanism": "PLAIN",
            "sasl.username": "u",
            "sasl.password": "p",
            "client.rack": "rack-1",
            "socket.keepalive.enable": True,
            "metadata.max.age.ms": 60000,
            "request.timeout.ms": 20000,  # producer-only in librdkafka
            "session.timeout.ms": 10000,  # consumer-only
            "topic.metadata.refresh.interval.ms": 1000,  # librdkafka client setting
        }
    )
    common = {
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": "PLAIN",
        "sasl.username": "u",
        "sasl.password": "p",
        "client.rack": "rack-1",
        "socket.keepalive.enable": True,
        "metadata.max.age.ms": 60000,
        "topic.metadata.refresh.interval.ms": 1000,
    }
    clients = {
        "main": c.main_consumer_config("app", "c"),
        "restore": c.restore_consumer_config("r"),
        "global": c.global_consumer_config("g"),
        "producer": c.producer_config("p"),
        "admin": c.admin_config("a"),
    }
    for conf in clients.values():
        for key, value in common.items():
            assert conf[key] == value
    assert clients["producer"]["request.timeout.ms"] == 20000
    assert "request.timeout.ms" not in clients["main"]
    assert "request.timeout.ms" not in clients["admin"]
    assert clients["main"]["session.timeout.ms"] == 10000
    assert "session.timeout.ms" not in clients["producer"]
    assert "session.timeout.ms" not in clients["admin"]
    assert c.topic_config() == {}


def test_admin_prefix_and_topic_config() -> None:
    c = make(
        {
            "admin.socket.timeout.ms": 5000,
            "topic.min.insync.replicas": 2,
            "topic.cleanup.policy": "compact",
            "topic.message.downconversion.enable": False,
        }
    )
    assert c.admin_config("a")["socket.timeout.ms"] == 5000
    assert "socket.timeout.ms" not in c.producer_config("p")
    assert c.topic_config() == {
        "min.insync.replicas": "2",
        "cleanup.policy": "compact",
        "message.downconversion.enable": "false",
    }


def test_client_configs_are_fresh_dicts() -> None:
    c = StreamsConfig(BASE)
    first = c.producer_config("p")
    first["linger.ms"] = 999
    assert c.producer_config("p")["linger.ms"] == PRODUCER_DEFAULTS["linger.ms"]


def test_client_configs_accepted_by_librdkafka() -> None:
    confluent_kafka = pytest.importorskip("confluent_kafka")
    from confluent_kafka.admin import AdminClient

    for guarantee in ("at_least_once", "exactly_once_v2"):
        c = make(
            {
                "bootstrap.servers": "127.0.0.1:1",
                "processing.guarantee": guarantee,
                "main.consumer.group.instance.id": "i",
                "log_level": 0,
            }
        )
        for conf in (
            c.main_consumer_config("app", "c", thread_index=0),
            c.restore_consumer_config("r"),
            c.global_consumer_config("g"),
        ):
            confluent_kafka.Consumer(conf).close()
        confluent_kafka.Producer(c.producer_config("p", "app-0_0")).flush(0)
        AdminClient(c.admin_config("a"))


# --------------------------------------------------------------------------- #
# repr / get
# --------------------------------------------------------------------------- #


def test_repr_masks_secrets() -> None:
    c = make(
        {
            "sasl.password": "hunter2",
            "ssl.key.password": "kp",
            "producer.sasl.password": "pp",
            "sasl.oauthbearer.client.secret": "cs",
            "ssl.key.pem": "-----BEGIN PRIVATE KEY-----",
            "sasl.username": "alice",
        }
    )
    text = repr(c)
    for secret in ("hunter2", "kp", "'pp'", "'cs'", "BEGIN PRIVATE KEY"):
        assert secret not in text
    assert "alice" in text
    assert "********" in text
    assert str(c) == text
    # the client configs still carry the real values
    assert c.producer_config("p")["sasl.password"] == "pp"
    assert c.originals()["sasl.password"] == "hunter2"


def test_get_and_getitem() -> None:
    c = make({"consumer.fetch.min.bytes": 7, "poll.ms": "5"})
    assert c["poll.ms"] == 5
    assert c.get("poll.ms") == 5
    assert c["consumer.fetch.min.bytes"] == 7
    assert c.get("num.stream.threads") == 1
    assert c.get("nope", "dflt") == "dflt"
    assert "poll.ms" in c
    assert "consumer.fetch.min.bytes" in c
    assert "nope" not in c
    with pytest.raises(KeyError):
        c["producer.linger.ms"]


# --------------------------------------------------------------------------- #
# serdes, handlers, extractors
# --------------------------------------------------------------------------- #


class _Upper(Serde[str]):
    def serialize(self, topic: str, data: str | None, headers: Any = None) -> bytes | None:
        return None if data is None else data.upper().encode()

    def deserialize(self, topic: str, data: bytes | None, headers: Any = None) -> str | None:
        return None if data is None else data.decode()


def test_default_serdes_have_no_default() -> None:
    c = StreamsConfig(BASE)
    with pytest.raises(ConfigError, match="Please specify a key serde"):
        c.default_key_serde()
    with pytest.raises(ConfigError, match="DEFAULT_VALUE_SERDE_CLASS_CONFIG"):
        c.default_value_serde()


def test_default_serde_instance_class_and_name() -> None:
    instance = FunctionSerde(str.encode, bytes.decode)
    c = make({"default.key.serde": instance, "default.value.serde": _Upper})
    assert c.default_key_serde() is instance
    assert isinstance(c.default_value_serde(), _Upper)

    named = make(
        {"default.key.serde": f"{__name__}._Upper", "default.value.serde": f"{__name__}:_Upper"}
    )
    assert isinstance(named.default_key_serde(), _Upper)
    assert isinstance(named.default_value_serde(), _Upper)


def test_default_serde_java_name() -> None:
    primitives = pytest.importorskip("kstreams.serde.primitives")
    c = make(
        {
            "default.key.serde": "org.apache.kafka.common.serialization.Serdes$StringSerde",
            "default.value.serde": "ByteArraySerde",
        }
    )
    assert isinstance(c.default_key_serde(), primitives.StringSerde)
    assert isinstance(c.default_value_serde(), primitives.ByteArraySerde)


def test_unresolvable_serde_name() -> None:
    c = make({"default.key.serde": "no.such.module.Serde"})
    with pytest.raises(ConfigError, match=re.escape("default.key.serde")):
        c.default_key_serde()


def test_default_handlers() -> None:
    c = StreamsConfig(BASE)
    assert type(c.deserialization_exception_handler) is LogAndFailExceptionHandler
    assert type(c.production_exception_handler) is DefaultProductionExceptionHandler
    assert type(c.processing_exception_handler) is LogAndFailProcessingExceptionHandler


@pytest.mark.parametrize(
    "spec",
    [
        "log_and_continue",
        "LOG_AND_CONTINUE",
        "LogAndContinueExceptionHandler",
        "org.apache.kafka.streams.errors.LogAndContinueExceptionHandler",
        "kstreams.handlers.LogAndContinueExceptionHandler",
        LogAndContinueExceptionHandler,
    ],
)
def test_deserialization_handler_specs(spec: Any) -> None:
    for key in ("deserialization.exception.handler", "default.deserialization.exception.handler"):
        c = make({key: spec})
        assert type(c.deserialization_exception_handler) is LogAndContinueExceptionHandler


def test_handler_instance_is_kept_and_configured() -> None:
    class Mine(DeserializationExceptionHandler):
        def __init__(self) -> None:
            self.seen: dict[str, Any] = {}

        def configure(self, configs: Any) -> None:
            super().configure(configs)
            self.seen = dict(configs)

        def handle(self, context: Any, key: Any, value: Any, exception: Exception) -> Any:
            return DeserializationHandlerResponse.CONTINUE

    mine = Mine()
    c = make(
        {"deserialization.exception.handler": mine, "errors.dead.letter.queue.topic.name": "dlq"}
    )
    handler = c.deserialization_exception_handler
    assert handler is mine
    assert mine.seen["application.id"] == "app"
    assert mine.dead_letter_queue_topic == "dlq"


def test_new_handler_key_wins_over_deprecated(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="kstreams"):
        c = make(
            {
                "deserialization.exception.handler": "log_and_continue",
                "default.deserialization.exception.handler": "log_and_fail",
            }
        )
    assert type(c.deserialization_exception_handler) is LogAndContinueExceptionHandler
    assert "deprecated" in caplog.text


def test_processing_and_production_handler_specs() -> None:
    c = make(
        {
            "processing.exception.handler": "log_and_continue",
            "default.production.exception.handler": "fail",
        }
    )
    assert type(c.processing_exception_handler) is LogAndContinueProcessingExceptionHandler
    assert type(c.production_exception_handler) is DefaultProductionExceptionHandler


def test_dead_letter_queue_topic_reaches_handlers() -> None:
    c = make({"errors.dead.letter.queue.topic.name": "app-dlq"})
    assert c.dead_letter_queue_topic == "app-dlq"
    assert c.deserialization_exception_handler.dead_letter_queue_topic == "app-dlq"
    assert c.production_exception_handler.dead_letter_queue_topic == "app-dlq"
    assert c.processing_exception_handler.dead_letter_queue_topic == "app-dlq"
    assert StreamsConfig(BASE).deserialization_exception_handler.dead_letter_queue_topic is None


def test_cache_max_bytes_buffering_is_deprecated_alias() -> None:
    assert make({"cache.max.bytes.buffering": 1024}).statestore_cache_max_bytes == 1024


class _Extractor:
    def extract(self, record: Any, partition_time: int) -> int:
        return 42


def test_timestamp_extractor_forms() -> None:
    instance = _Extractor()
    assert make({"default.timestamp.extractor": instance}).timestamp_extractor is instance
    assert isinstance(
        make({"default.timestamp.extractor": _Extractor}).timestamp_extractor, _Extractor
    )
    named = make({"default.timestamp.extractor": f"{__name__}._Extractor"}).timestamp_extractor
    assert isinstance(named, _Extractor)
    wrapped = make({"default.timestamp.extractor": lambda record, pt: pt + 1}).timestamp_extractor
    assert wrapped is not None
    assert wrapped.extract(None, 9) == 10


def test_timestamp_extractor_java_name() -> None:
    timestamps = pytest.importorskip("kstreams.processor.timestamps")
    c = make(
        {
            "default.timestamp.extractor": (
                "org.apache.kafka.streams.processor.WallclockTimestampExtractor"
            )
        }
    )
    assert isinstance(c.timestamp_extractor, timestamps.WallclockTimestampExtractor)
