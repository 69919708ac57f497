"""Checks the cluster and the topics and creates internal topics before the application starts.

The cluster must answer within :data:`CONNECT_TIMEOUT_S` (a broker refusing the credentials or
the TLS handshake fails it at once: ``AuthenticationError``); source topics and static sink
topics must exist and be visible to the application's principal (else
``MissingSourceTopicError`` / ``MissingSinkTopicError``, saying whether the broker answered
unknown or not authorized). Repartition topics are named ``<application.id>-<name>-repartition``; their
partition count is given by ``Repartitioned`` or, as in Kafka Streams, taken
from the topics feeding the sub-topology that writes them.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from confluent_kafka import KafkaError, KafkaException, TopicCollection
from confluent_kafka.admin import ConfigResource, NewTopic

from kstreams.errors import (
    AuthenticationError,
    ClusterUnreachableError,
    MissingSinkTopicError,
    MissingSourceTopicError,
    StreamsError,
)
from kstreams.runtime.copartition import enforce_copartitioning
from kstreams.topology.topology import Topology

log = logging.getLogger("kstreams")

INTERNAL_TOPIC_CONFIG = {"message.timestamp.type": "CreateTime"}
"""What Kafka Streams gives every internal topic (``InternalTopicConfig``)."""

REPARTITION_TOPIC_CONFIG = {
    **INTERNAL_TOPIC_CONFIG,
    "cleanup.policy": "delete",
    "segment.bytes": str(50 * 1024 * 1024),
    "retention.ms": "-1",
}
"""Kafka Streams' settings for repartition topics (records are purged after commit)."""


CONNECT_TIMEOUT_S = 15.0
"""How long ``start()`` waits for a broker of ``bootstrap.servers`` to answer the first metadata
request before raising :class:`~kstreams.errors.ClusterUnreachableError`. librdkafka has no
setting of its own for this (Java's admin ``default.api.timeout.ms`` is not a librdkafka one)."""

_ATTEMPT_S = 2.0
"""One metadata request's timeout: between attempts the admin client is polled, so its log lines
and errors reach ``kstreams.client`` (and the diagnostics) while start-up waits."""


def existing_topics(
    admin: Any,
    timeout: float | None = None,
    *,
    bootstrap_servers: str = "",
    diagnostics: Any = None,
) -> dict[str, int]:
    """Every topic of the cluster with its partition count.

    Raises:
        AuthenticationError: a broker refused the credentials or the TLS handshake (seen by
            ``diagnostics``): raised after the first failed attempt, no retry can succeed.
        ClusterUnreachableError: no broker answered within ``timeout`` seconds; the message
            names the addresses and librdkafka's last reason for each (from ``diagnostics``).
    """
    if timeout is None:
        timeout = CONNECT_TIMEOUT_S
    deadline = time.monotonic() + timeout
    while True:
        attempt = time.monotonic()
        try:
            md = admin.list_topics(timeout=max(0.1, min(_ATTEMPT_S, deadline - attempt)))
            break
        except KafkaException as exc:
            admin.poll(0)  # serves the log lines and errors queued meanwhile
            refused = diagnostics.authentication_failures() if diagnostics is not None else []
            if refused:
                raise AuthenticationError(
                    _authentication_message(bootstrap_servers, refused, exc)
                ) from exc
            if time.monotonic() - attempt < 0.2:  # failed at once: do not spin
                time.sleep(0.2)
            if time.monotonic() >= deadline:
                raise ClusterUnreachableError(
                    _unreachable_message(bootstrap_servers, timeout, exc, diagnostics)
                ) from exc
    admin.poll(0)
    return {
        name: len(t.partitions)
        for name, t in md.topics.items()
        if t.error is None or t.error.code() == KafkaError.NO_ERROR
    }


def _unreachable_message(
    bootstrap_servers: str, timeout: float, exc: KafkaException, diagnostics: Any
) -> str:
    reasons = diagnostics.reasons() if diagnostics is not None else []
    said = exc.args[0].str() if exc.args and hasattr(exc.args[0], "str") else str(exc)
    lines = [
        f"Could not reach the Kafka cluster at bootstrap.servers={bootstrap_servers!r} within "
        f"{timeout:g}s: the admin client asked for the cluster's metadata (topics and brokers) "
        f"and got no answer ({said}).",
    ]
    if reasons:
        lines.append("librdkafka reported:")
        lines.extend(f"  {r}" for r in reasons)
    lines.append(
        "Check that bootstrap.servers names running brokers reachable from this host (host and "
        "port of a listener), and that security.protocol / SASL / SSL settings match the "
        "listener. librdkafka's log lines are on the 'kstreams.client' logger."
    )
    return "\n".join(lines)


def _authentication_message(bootstrap_servers: str, refused: list[str], exc: Exception) -> str:
    said = exc.args[0].str() if exc.args and hasattr(exc.args[0], "str") else str(exc)
    sasl = any("SASL" in r for r in refused)
    lines = [
        f"Authentication with the Kafka cluster at bootstrap.servers={bootstrap_servers!r} "
        f"failed: the admin client's metadata request got no answer ({said}) and librdkafka "
        "reported:",
        *(f"  {r}" for r in refused),
    ]
    if sasl:
        lines.append(
            "Check sasl.mechanism (it must be one the broker's listener enables, e.g. PLAIN or "
            "SCRAM-SHA-256, and the one the user's credential was created for), sasl.username "
            "and sasl.password, and security.protocol (SASL_PLAINTEXT or SASL_SSL)."
        )
    else:
        lines.append(
            "Check ssl.ca.location (the CA that signed the broker's certificate), the client "
            "certificate and key (ssl.certificate.location, ssl.key.location) if the listener "
            "requires one, ssl.endpoint.identification.algorithm, and security.protocol."
        )
    lines.append("librdkafka's log lines are on the 'kstreams.client' logger.")
    return "\n".join(lines)


_NOT_AUTHORIZED = "not authorized"
_UNKNOWN = "unknown"


def _why_invisible(admin: Any, topics: list[str], timeout: float = 10.0) -> dict[str, str]:
    """Why each of ``topics`` is missing from the cluster's metadata: :data:`_UNKNOWN` (the
    broker says it does not exist), :data:`_NOT_AUTHORIZED` (TOPIC_AUTHORIZATION_FAILED: the
    principal may not describe it, whether it exists or not, as Kafka does not tell), or
    another error's text. Empty when the broker could not be asked."""
    if not topics:
        return {}
    try:
        futures = admin.describe_topics(TopicCollection(topics), request_timeout=timeout)
    except Exception as exc:  # an old broker / client: say what the metadata told
        log.debug("Could not describe topics %s: %s", topics, exc)
        return {}
    why: dict[str, str] = {}
    for topic, future in futures.items():
        try:
            future.result(timeout=timeout)
            why[topic] = "exists now"
        except KafkaException as exc:
            error = exc.args[0]
            code = error.code() if hasattr(error, "code") else None
            if code == KafkaError.TOPIC_AUTHORIZATION_FAILED:
                why[topic] = _NOT_AUTHORIZED
            elif code == KafkaError.UNKNOWN_TOPIC_OR_PART:
                why[topic] = _UNKNOWN
            else:
                why[topic] = error.str() if hasattr(error, "str") else str(error)
        except Exception as exc:
            why[topic] = str(exc)
    return why


def _principal(config: Any) -> str:
    user = config.get("sasl.username") if hasattr(config, "get") else None
    return (
        f"the application's principal (sasl.username={user!r})"
        if user
        else ("the application's principal")
    )


def _invisible_message(
    kind: str, topics: list[str], why: dict[str, str], config: Any, operation: str
) -> str:
    """The start-up error text for source or sink ``topics`` the metadata does not list."""
    unknown = [t for t in topics if why.get(t, _UNKNOWN) == _UNKNOWN]
    refused = [t for t in topics if why.get(t) == _NOT_AUTHORIZED]
    other = [t for t in topics if t not in unknown and t not in refused]
    where = f"of application {config.application_id!r} on {config.bootstrap_servers}"
    parts = []
    if unknown:
        known_missing = all(t in why for t in unknown)
        parts.append(
            f"{kind} topics {unknown} {where} do not exist"
            + (
                ""
                if known_missing
                else " (or are not authorized: the metadata lists only topics the principal "
                "may describe)"
            )
            + ". Create them before starting the application."
        )
    if refused:
        parts.append(
            f"{kind} topics {refused} {where} may be missing or not authorized: the broker "
            f"answered TOPIC_AUTHORIZATION_FAILED, so {_principal(config)} may not describe "
            f"them (Kafka does not tell whether they exist). Grant it {operation} on them "
            "(a topic ACL), or create them if they do not exist."
        )
    if other:
        parts.append(
            f"{kind} topics {other} {where} are not in the cluster's metadata: "
            + "; ".join(f"{t}: {why[t]}" for t in other)
            + "."
        )
    return " ".join(parts)


def static_sink_topics(topology: Topology, config: Any) -> list[str]:
    """The user topics records are written to, known before start: sink nodes with a topic name
    (not a topic extractor), not internal, and the dead-letter queue topic if configured."""
    topics = {
        t
        for sub in topology.subtopologies()
        for t in sub.sink_topics
        if not topology.is_internal(t)
    }
    dlq = getattr(config, "dead_letter_queue_topic", None)
    if dlq:
        topics.add(dlq)
    return sorted(topics)


def check_sink_topics(admin: Any, topology: Topology, config: Any, known: dict[str, int]) -> None:
    """Raise :class:`~kstreams.errors.MissingSinkTopicError` naming every static sink topic that
    does not exist, unless the brokers create topics on first use (``auto.create.topics.enable``).

    Kafka Streams checks nothing at start for sink topics; its stream thread dies on the first
    send (``UNKNOWN_TOPIC_OR_PARTITION``). kstreams says it before processing anything.
    """
    missing = [t for t in static_sink_topics(topology, config) if t not in known]
    if not missing:
        return
    why = _why_invisible(admin, missing)
    invisible = [t for t in missing if why.get(t, _UNKNOWN) != _UNKNOWN]
    if invisible:  # no ACL to describe them: auto-creation would be refused too
        raise MissingSinkTopicError(_invisible_message("Output", invisible, why, config, "WRITE"))
    auto_create = _brokers_auto_create_topics(admin)
    if auto_create:
        log.warning(
            "Output topics %s do not exist on %s; the broker creates them on the first record "
            "(auto.create.topics.enable=true) with its default partitions and replication.",
            missing,
            config.bootstrap_servers,
        )
        return
    dlq = getattr(config, "dead_letter_queue_topic", None)
    named = ", ".join(
        f"{t!r} (errors.dead.letter.queue.topic.name)" if t == dlq else repr(t) for t in missing
    )
    raise MissingSinkTopicError(
        f"Output topics {named} of application {config.application_id!r} do not exist on "
        f"{config.bootstrap_servers} "
        + (
            "(the broker does not create topics: auto.create.topics.enable=false). "
            if auto_create is False
            else "(and the broker's auto.create.topics.enable could not be read). "
        )
        + "Create them before starting the application."
    )


def check_group_access(admin: Any, config: Any, timeout: float = 10.0) -> None:
    """Raise :class:`~kstreams.errors.StreamsError` naming the group if the broker refuses this
    principal the application's consumer group (``application.id``): GROUP_AUTHORIZATION_FAILED
    on describing it, which READ on the group allows.

    Every consumer of the application names that group (the restore consumer too); without the
    ACL the stream threads would die on their first coordinator lookup. Other errors (an old
    broker, a coordinator still loading, a timeout) are left for the consumers to meet.
    (DescribeGroups, not OffsetFetch: librdkafka 2.16's admin client crashes on an OffsetFetch
    answered "coordinator loading", as a group's first request right after a broker starts is.)
    """
    group = config.application_id
    try:
        futures = admin.describe_consumer_groups([group], request_timeout=timeout)
        next(iter(futures.values())).result(timeout=timeout)
    except KafkaException as exc:
        error = exc.args[0]
        if getattr(error, "code", lambda: None)() != KafkaError.GROUP_AUTHORIZATION_FAILED:
            log.debug("Could not describe group %s: %s", group, exc)
            return
        raise StreamsError(
            f"The broker refused the consumer group {group!r} (the application.id) to "
            f"{_principal(config)}: GROUP_AUTHORIZATION_FAILED. Every consumer of the "
            f"application uses this group; grant READ on group {group!r} (a LITERAL group "
            "ACL, or a PREFIXED one on the application.id)."
        ) from exc
    except Exception as exc:  # never block start-up on the check itself
        log.debug("Could not describe group %s: %s", group, exc)


def _brokers_auto_create_topics(admin: Any, timeout: float = 10.0) -> bool | None:
    """Whether a broker of the cluster has ``auto.create.topics.enable=true`` (None if unknown)."""
    try:
        brokers = admin.list_topics(timeout=timeout).brokers
        if not brokers:
            return None
        resource = ConfigResource(ConfigResource.Type.BROKER, str(next(iter(brokers))))
        futures = admin.describe_configs([resource], request_timeout=timeout)
        configs = next(iter(futures.values())).result(timeout=timeout)
    except Exception as exc:  # no permission to describe configs: say what we can
        log.debug("Could not read the broker's auto.create.topics.enable: %s", exc)
        return None
    entry = configs.get("auto.create.topics.enable")
    if entry is None or entry.value is None:
        return None
    return str(entry.value).lower() == "true"


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
    partial = False
    while pending:
        progressed = False
        for name, spec in list(pending.items()):
            real = topology.resolve_topic(name, app_id)
            count = spec.num_partitions
            if count is None:
                count = decided.get(name)
            if count is None:
                count = _upstream_partitions(topology, app_id, name, result, known, partial)
            if count is not None:
                result[real] = count
                del pending[name]
                progressed = True
        if progressed:
            partial = False
        elif not partial:
            # internal topics that feed each other (a foreign-key join's subscription and
            # response topics): as Kafka Streams, count the upstream topics already known
            partial = True
        else:
            raise StreamsError(
                f"Could not determine the number of partitions of internal topics {sorted(pending)}"
            )
    return result


CHANGELOG_TOPIC_CONFIG = {**INTERNAL_TOPIC_CONFIG, "cleanup.policy": "compact"}
"""Kafka Streams' settings for changelog topics."""

WINDOW_CHANGELOG_ADDITIONAL_RETENTION_MS = 24 * 60 * 60 * 1000
"""Default of ``windowstore.changelog.additional.retention.ms``: one day."""

_STORE_DERIVED = ("retention.ms", "min.compaction.lag.ms")
"""Changelog configs Kafka Streams derives from the store (a window store's retention, a
versioned store's history retention): they win over the ``topic.`` configs, not over the
store's own log config."""


def internal_topic_config(
    library: dict[str, str],
    topic_defaults: dict[str, str] | None = None,
    store: dict[str, str] | None = None,
    derived: dict[str, str] | None = None,
) -> dict[str, str]:
    """An internal topic's configs, in Kafka Streams' order (``InternalTopicConfig.properties``):
    the library's defaults, then the ``topic.``-prefixed configs of the application
    (``topic_defaults``), then the store's own log config (``with_logging_enabled(config)``);
    last the configs ``derived`` from the store, unless its log config sets them."""
    config = dict(library)
    config.update(topic_defaults or {})
    config.update(store or {})
    for key, value in (derived or {}).items():
        if key not in (store or {}):
            config[key] = value
    return config


def changelog_topics(
    topology: Topology,
    app_id: str,
    partitions: dict[str, int],
    window_additional_retention_ms: int = WINDOW_CHANGELOG_ADDITIONAL_RETENTION_MS,
    topic_defaults: dict[str, str] | None = None,
) -> dict[str, tuple[int, dict[str, str]]]:
    """Every changelog topic with its partition count (its sub-topology's task count) and config.

    A window or session store's changelog gets Kafka Streams' ``WindowedChangelogTopicConfig``:
    ``cleanup.policy=compact,delete`` and ``retention.ms`` = the store's retention +
    ``window_additional_retention_ms`` (``windowstore.changelog.additional.retention.ms``),
    unless the store's log config sets ``retention.ms``; a versioned store's its
    ``min.compaction.lag.ms``. ``topic_defaults`` (the ``topic.`` configs) come between the
    library's defaults and the store's log config, as in :func:`internal_topic_config`.
    """
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
            builder = topology.state_stores[store]
            log_config = dict(getattr(builder, "log_config", None) or {})
            library = dict(CHANGELOG_TOPIC_CONFIG)
            derived: dict[str, str] = {}
            by_kind = getattr(builder, "changelog_config", None)
            if by_kind is not None:  # window, session and versioned store builders
                for key, value in by_kind(window_additional_retention_ms).items():
                    if key in _STORE_DERIVED:
                        derived[key] = value
                    elif key not in log_config:
                        library[key] = value
            config = internal_topic_config(library, topic_defaults, log_config, derived)
            result[topic] = (n, config)
    return result


def _upstream_partitions(
    topology: Topology,
    app_id: str,
    topic: str,
    resolved: dict[str, int],
    known: dict[str, int],
    partial: bool = False,
) -> int | None:
    """Max partitions of the topics read by the sub-topologies writing ``topic``; None if unknown yet.

    ``partial``: internal upstream topics not resolved yet are left out (None if all are)."""
    counts = []
    for sub in topology.subtopologies():
        if topic not in sub.sink_topics:
            continue
        for t in sub.source_topics:
            real = topology.resolve_topic(t, app_id)
            n = resolved.get(real) if topology.is_internal(t) else known.get(real)
            if n is None:
                if partial and topology.is_internal(t):
                    continue
                return None
            counts.append(n)
    return max(counts) if counts else None


def prepare_topics(
    admin: Any,
    topology: Topology,
    config: Any,
    timeout: float = 30.0,
    *,
    diagnostics: Any = None,
    connect_timeout: float | None = None,
) -> dict[str, int]:
    """Fail on an unreachable cluster and on missing source or sink topics, create missing
    internal topics; return all partition counts.

    ``diagnostics`` (a :class:`~kstreams.runtime.client_diagnostics.ClientDiagnostics` installed
    on ``admin``) supplies librdkafka's reasons when the cluster does not answer.
    """
    app_id = config.application_id
    known = existing_topics(
        admin,
        CONNECT_TIMEOUT_S if connect_timeout is None else connect_timeout,
        bootstrap_servers=config.bootstrap_servers,
        diagnostics=diagnostics,
    )
    user_sources = [t for t in topology.source_topics() if not topology.is_internal(t)]
    missing = sorted(t for t in user_sources if t not in known)
    if missing:
        why = _why_invisible(admin, missing)
        raise MissingSourceTopicError(_invisible_message("Source", missing, why, config, "READ"))
    check_sink_topics(admin, topology, config, known)
    check_group_access(admin, config)
    repartition = internal_topic_partitions(topology, app_id, known)
    topic_defaults = config.topic_config()
    wanted = {
        t: (n, internal_topic_config(REPARTITION_TOPIC_CONFIG, topic_defaults))
        for t, n in repartition.items()
    }
    wanted.update(
        changelog_topics(
            topology,
            app_id,
            {**known, **repartition},
            config.window_store_changelog_additional_retention_ms,
            topic_defaults,
        )
    )
    to_create = []
    for topic, (partitions, topic_cfg) in wanted.items():
        have = known.get(topic)
        if have is None:
            check_min_insync_replicas(topic, topic_cfg, config.replication_factor)
            to_create.append(
                NewTopic(
                    topic,
                    num_partitions=partitions,
                    replication_factor=config.replication_factor,
                    config=topic_cfg,
                )
            )
        elif have != partitions:
            raise StreamsError(
                f"Existing internal topic {topic} has {have} partitions, but {partitions} "
                "are required. Reset the application (delete its internal topics) to change it."
            )
    if to_create:
        create_internal_topics(admin, to_create, timeout)
    known.update({t: n for t, (n, _) in wanted.items()})
    return known


def create_internal_topics(admin: Any, topics: list[NewTopic], timeout: float) -> None:
    """Create ``topics`` (one that exists already is fine) and wait until every partition of
    each has a leader."""
    futures = admin.create_topics(topics, request_timeout=timeout)
    for topic, fut in futures.items():
        try:
            fut.result()
            log.info("Created internal topic %s", topic)
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise StreamsError(f"Could not create internal topic {topic}: {exc}") from exc
    _await_topics(admin, [t.topic for t in topics], timeout)


def check_min_insync_replicas(topic: str, topic_cfg: dict[str, str], replication: int) -> None:
    """Refuse an internal topic whose ``min.insync.replicas`` exceeds ``replication.factor``
    (when that is set, not -1): the broker would create it, and every write to it would then
    fail with NOT_ENOUGH_REPLICAS."""
    raw = topic_cfg.get("min.insync.replicas")
    if raw is None or replication < 1:
        return
    try:
        wanted = int(raw)
    except ValueError:
        return  # the broker names a bad value itself when it refuses the topic
    if wanted > replication:
        raise StreamsError(
            f"Internal topic {topic} would get min.insync.replicas={wanted} (topic. config or "
            f"the store's log config) with replication.factor={replication}: no write to it "
            "could ever succeed (NOT_ENOUGH_REPLICAS). Lower topic.min.insync.replicas or raise "
            "replication.factor."
        )


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
