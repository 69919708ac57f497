"""Checks source topics and creates internal topics before the application starts.

Repartition topics are named ``<application.id>-<name>-repartition``; their
partition count is given by ``Repartitioned`` or, as in Kafka Streams, taken
from the topics feeding the sub-topology that writes them.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import NewTopic

from kstreams.errors import MissingSourceTopicError, StreamsError
from kstreams.runtime.copartition import enforce_copartitioning
from kstreams.topology.topology import Topology

log = logging.getLogger("kstreams")

REPARTITION_TOPIC_CONFIG = {
    "cleanup.policy": "delete",
    "segment.bytes": str(50 * 1024 * 1024),
    "retention.ms": "-1",
}
"""Kafka Streams' settings for repartition topics (records are purged after commit)."""


def existing_topics(admin: Any, timeout: float = 15.0) -> dict[str, int]:
    """Every topic of the cluster with its partition count."""
    md = admin.list_topics(timeout=timeout)
    return {
        name: len(t.partitions)
        for name, t in md.topics.items()
        if t.error is None or t.error.code() == KafkaError.NO_ERROR
    }


def internal_topic_partitions(
    topology: Topology, app_id: str, known: dict[str, int]
) -> dict[str, int]:
    """The partition count of every internal topic (real names), resolved from upstream topics.

    Then co-partitioned (:mod:`kstreams.runtime.copartition`): a repartition topic read by a
    sub-topology together with other topics takes their partition count, and the counts of
    the topics downstream of it are resolved again.
    """
    decided: dict[str, int] = {}
    for _ in range(len(topology.internal_topics) + 1):
        result = _resolve_internal(topology, app_id, known, decided)
        if not enforce_copartitioning(topology, app_id, known, result, decided):
            return result
    raise StreamsError(
        f"Could not co-partition the internal topics {sorted(topology.internal_topics)}"
    )


def _resolve_internal(
    topology: Topology, app_id: str, known: dict[str, int], decided: dict[str, int]
) -> dict[str, int]:
    result: dict[str, int] = {}
    pending = dict(topology.internal_topics)
    while pending:
        progressed = False
        for name, spec in list(pending.items()):
            real = topology.resolve_topic(name, app_id)
            count = spec.num_partitions
            if count is None:
                count = decided.get(name)
            if count is None:
                count = _upstream_partitions(topology, app_id, name, result, known)
            if count is not None:
                result[real] = count
                del pending[name]
                progressed = True
        if not progressed:
            raise StreamsError(
                f"Could not determine the number of partitions of internal topics {sorted(pending)}"
            )
    return result


CHANGELOG_TOPIC_CONFIG = {"cleanup.policy": "compact", "message.timestamp.type": "CreateTime"}
"""Kafka Streams' settings for changelog topics."""


def changelog_topics(
    topology: Topology, app_id: str, partitions: dict[str, int]
) -> dict[str, tuple[int, dict[str, str]]]:
    """Every changelog topic with its partition count (its sub-topology's task count) and config."""
    result: dict[str, tuple[int, dict[str, str]]] = {}
    for sub in topology.subtopologies():
        counts = [partitions.get(topology.resolve_topic(t, app_id)) for t in sub.source_topics]
        if not counts or None in counts:
            raise StreamsError(
                f"Unknown partition count for the source topics of sub-topology {sub.id}"
            )
        n = max(c for c in counts if c is not None)
        for store in topology.stores_of(sub):
            topic = topology.changelog_topic(store, app_id)
            if topic is None:
                continue
            config = dict(CHANGELOG_TOPIC_CONFIG)
            config.update(getattr(topology.state_stores[store], "log_config", None) or {})
            result[topic] = (n, config)
    return result


def _upstream_partitions(
    topology: Topology, app_id: str, topic: str, resolved: dict[str, int], known: dict[str, int]
) -> int | None:
    """Max partitions of the topics read by the sub-topologies writing ``topic``; None if unknown yet."""
    counts = []
    for sub in topology.subtopologies():
        if topic not in sub.sink_topics:
            continue
        for t in sub.source_topics:
            real = topology.resolve_topic(t, app_id)
            n = resolved.get(real) if topology.is_internal(t) else known.get(real)
            if n is None:
                return None
            counts.append(n)
    return max(counts) if counts else None


def prepare_topics(
    admin: Any, topology: Topology, config: Any, timeout: float = 30.0
) -> dict[str, int]:
    """Fail on missing source topics, create missing internal topics; return all partition counts."""
    app_id = config.application_id
    known = existing_topics(admin)
    user_sources = [t for t in topology.source_topics() if not topology.is_internal(t)]
    missing = sorted(t for t in user_sources if t not in known)
    if missing:
        raise MissingSourceTopicError(
            f"Source topics {missing} of application {app_id!r} do not exist on "
            f"{config.bootstrap_servers}. Create them before starting the application."
        )
    repartition = internal_topic_partitions(topology, app_id, known)
    wanted = {t: (n, dict(REPARTITION_TOPIC_CONFIG)) for t, n in repartition.items()}
    wanted.update(changelog_topics(topology, app_id, {**known, **repartition}))
    to_create = []
    for topic, (partitions, topic_cfg) in wanted.items():
        have = known.get(topic)
        if have is None:
            cfg = dict(topic_cfg)
            cfg.update(config.topic_config())
            to_create.append(
                NewTopic(
                    topic,
                    num_partitions=partitions,
                    replication_factor=config.replication_factor,
                    config=cfg,
                )
            )
        elif have != partitions:
            raise StreamsError(
                f"Existing internal topic {topic} has {have} partitions, but {partitions} "
                "are required. Reset the application (delete its internal topics) to change it."
            )
    if to_create:
        futures = admin.create_topics(to_create, request_timeout=timeout)
        for topic, fut in futures.items():
            try:
                fut.result()
                log.info("Created internal topic %s", topic)
            except KafkaException as exc:
                if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                    raise StreamsError(f"Could not create internal topic {topic}: {exc}") from exc
        _await_topics(admin, [t.topic for t in to_create], timeout)
    known.update({t: n for t, (n, _) in wanted.items()})
    return known


def _await_topics(admin: Any, topics: list[str], timeout: float) -> None:
    """Wait until every topic exists and each of its partitions has a leader."""
    deadline = time.monotonic() + timeout
    while True:
        md = admin.list_topics(timeout=timeout)
        ready = True
        for topic in topics:
            t = md.topics.get(topic)
            if t is None or t.error is not None or not t.partitions:
                ready = False
                break
            if any(p.leader < 0 or p.error is not None for p in t.partitions.values()):
                ready = False
                break
        if ready:
            return
        if time.monotonic() > deadline:
            raise StreamsError(f"Internal topics {topics} were not ready within {timeout}s")
        time.sleep(0.1)
