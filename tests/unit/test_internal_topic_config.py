"""Internal topics get Kafka Streams' configs: replication.factor, ``topic.`` configs, store configs.

The order is Java's (``InternalTopicConfig.properties``): library defaults, then the
application's ``topic.``-prefixed configs, then the store's own log config; a window store's
``retention.ms`` and a versioned store's ``min.compaction.lag.ms`` are derived from the store
and win over the ``topic.`` configs, not over the store's log config. ``prepare_topics`` creates
every internal topic (repartition, changelog, foreign-key subscription and response topics)
with ``replication.factor`` and those configs, against a fake admin client here.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from kstreams import Grouped, Materialized, StreamsBuilder, StreamsConfig, TimeWindows
from kstreams.errors import StreamsError
from kstreams.runtime.topics import (
    REPARTITION_TOPIC_CONFIG,
    changelog_topics,
    internal_topic_config,
    prepare_topics,
)
from kstreams.state import Stores


def test_the_order_is_library_then_topic_prefix_then_store_then_derived() -> None:
    library = {"cleanup.policy": "compact", "message.timestamp.type": "CreateTime"}
    assert internal_topic_config(
        library,
        {"cleanup.policy": "compact,delete", "retention.ms": "1", "min.insync.replicas": "2"},
        {"min.insync.replicas": "3"},
        {"retention.ms": "100"},
    ) == {
        "cleanup.policy": "compact,delete",  # topic. over the library
        "message.timestamp.type": "CreateTime",
        "retention.ms": "100",  # derived over topic.
        "min.insync.replicas": "3",  # the store's over topic.
    }
    # the store's own retention.ms wins over the derived one
    assert (
        internal_topic_config(library, {}, {"retention.ms": "7"}, {"retention.ms": "100"})[
            "retention.ms"
        ]
        == "7"
    )


def word_count(windowed: bool = False, log_config: dict[str, str] | None = None) -> Any:
    b = StreamsBuilder()
    grouped = b.stream("words").group_by(lambda k, v: (v, v), Grouped.as_("by-word"))
    if windowed:
        grouped = grouped.windowed_by(TimeWindows.of_size_with_no_grace(60_000))
    materialized = Materialized.as_("counts")
    if log_config is not None:
        materialized = materialized.with_logging_enabled(log_config)
    grouped.count(materialized)
    return b.build()


def test_topic_prefixed_configs_reach_the_changelog_under_the_stores_own() -> None:
    topology = word_count(log_config={"min.insync.replicas": "3", "segment.ms": "1000"})
    topics = changelog_topics(
        topology,
        "app",
        {"words": 2, "app-by-word-repartition": 2},
        topic_defaults={"min.insync.replicas": "2", "cleanup.policy": "compact,delete"},
    )
    assert topics["app-counts-changelog"] == (
        2,
        {
            "cleanup.policy": "compact,delete",
            "message.timestamp.type": "CreateTime",
            "min.insync.replicas": "3",
            "segment.ms": "1000",
        },
    )


def test_a_window_stores_retention_wins_over_topic_retention_ms() -> None:
    topology = word_count(windowed=True)
    partitions = {"words": 1, "app-by-word-repartition": 1}
    ((_, config),) = changelog_topics(
        topology, "app", partitions, 1000, {"retention.ms": "5", "min.insync.replicas": "2"}
    ).values()
    assert config["cleanup.policy"] == "compact,delete"
    assert config["min.insync.replicas"] == "2"
    assert config["retention.ms"] == str(60_000 + 1000)  # store retention + additional
    # ... but topic.cleanup.policy overrides the window default, as in Java
    ((_, config),) = changelog_topics(
        topology, "app", partitions, 1000, {"cleanup.policy": "delete"}
    ).values()
    assert config["cleanup.policy"] == "delete"


def test_a_versioned_stores_compaction_lag_wins_over_the_topic_prefix() -> None:
    b = StreamsBuilder()
    b.table(
        "prices",
        Materialized.as_(Stores.persistent_versioned_key_value_store("prices-store", 60_000)),
    ).to_stream().to("out")
    ((_, config),) = changelog_topics(
        b.build(), "app", {"prices": 1}, topic_defaults={"min.compaction.lag.ms": "1"}
    ).values()
    assert config["min.compaction.lag.ms"] == str(60_000 + 86_400_000)
    assert config["cleanup.policy"] == "compact"


# -- prepare_topics: what the admin client is asked to create ------------------------------------


class FakeAdmin:
    """Enough of confluent_kafka's AdminClient for prepare_topics: topics and created topics."""

    def __init__(self, topics: dict[str, int]) -> None:
        self.topics = dict(topics)
        self.created: dict[str, Any] = {}

    def list_topics(self, timeout: float = 0, topic: str | None = None) -> Any:
        leader = SimpleNamespace(leader=1, error=None)
        return SimpleNamespace(
            topics={
                name: SimpleNamespace(error=None, partitions=dict.fromkeys(range(n), leader))
                for name, n in self.topics.items()
            },
            brokers={1: None, 2: None, 3: None},
        )

    def poll(self, timeout: float = 0) -> int:
        return 0

    def describe_consumer_groups(self, groups: list[str], request_timeout: float = 0) -> Any:
        raise RuntimeError("not needed here")  # prepare_topics leaves it to the consumers

    def create_topics(self, new_topics: list[Any], request_timeout: float = 0) -> dict[str, Any]:
        futures = {}
        for new in new_topics:
            self.created[new.topic] = new
            self.topics[new.topic] = new.num_partitions
            futures[new.topic] = SimpleNamespace(result=lambda: None)
        return futures


def fk_join_topology() -> Any:
    b = StreamsBuilder()
    orders = b.table("orders")
    customers = b.table("customers")
    orders.join(customers, lambda order: order["customer"], lambda o, c: (o, c)).to_stream().to(
        "enriched"
    )
    return b.build()


def streams_config(**extra: Any) -> StreamsConfig:
    return StreamsConfig({"application.id": "app", "bootstrap.servers": "127.0.0.1:9092", **extra})


def test_every_internal_topic_gets_the_replication_factor_and_topic_configs() -> None:
    admin = FakeAdmin({"orders": 3, "customers": 3, "enriched": 3, "words": 2})
    config = streams_config(
        **{"replication.factor": 3, "topic.min.insync.replicas": 2, "topic.segment.ms": 600_000}
    )
    prepare_topics(admin, fk_join_topology(), config)
    names = sorted(admin.created)
    # the subscription and response topics, the changelogs of both tables and of the
    # subscription store
    assert sum("-FK-JOIN-SUBSCRIPTION-REGISTRATION-" in n for n in names) == 1, names
    assert sum("-FK-JOIN-SUBSCRIPTION-RESPONSE-" in n for n in names) == 1, names
    assert sum(n.endswith("-changelog") for n in names) == 3, names
    for name, new in admin.created.items():
        assert new.replication_factor == 3, name
        assert new.config["min.insync.replicas"] == "2", name
        assert new.config["segment.ms"] == "600000", name
        assert new.config["message.timestamp.type"] == "CreateTime", name
        expected = "compact" if name.endswith("-changelog") else "delete"
        assert new.config["cleanup.policy"] == expected, name

    admin = FakeAdmin({"words": 2})
    prepare_topics(admin, word_count(), streams_config(**{"topic.retention.ms": 1000}))
    repartition = admin.created["app-by-word-repartition"]
    assert repartition.replication_factor == -1  # Kafka Streams' default: the broker's
    assert repartition.config == {**REPARTITION_TOPIC_CONFIG, "retention.ms": "1000"}
    assert admin.created["app-counts-changelog"].config["retention.ms"] == "1000"


def test_min_insync_replicas_above_the_replication_factor_is_refused() -> None:
    admin = FakeAdmin({"words": 2})
    config = streams_config(**{"replication.factor": 2, "topic.min.insync.replicas": 3})
    with pytest.raises(StreamsError, match=r"min.insync.replicas=3 .* replication.factor=2"):
        prepare_topics(admin, word_count(), config)
    assert admin.created == {}
    # with the broker's default replication (-1) the broker decides
    prepare_topics(admin, word_count(), streams_config(**{"topic.min.insync.replicas": 3}))
    assert admin.created["app-counts-changelog"].config["min.insync.replicas"] == "3"
