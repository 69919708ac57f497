"""Which consumer group protocol the stream threads use: KIP-848's ``consumer`` or ``classic``.

With the consumer protocol (Kafka 4.0+ brokers) the broker assigns partitions with its
``range`` assignor, which keeps equal partitions of co-partitioned topics on one member, and
rebalances are incremental: a member is told only which partitions it gains or loses, and
every other partition keeps being processed through the rebalance. The classic protocol
(eager, the client's ``range`` assignor) revokes everything on every rebalance.

``group.protocol`` chooses: ``consumer`` or ``classic`` are honoured as they are (the consumer
protocol on a broker without it fails the thread with the broker's error, never falls back
silently); unset, the brokers are asked whether their group coordinator speaks the consumer
protocol (broker config ``group.coordinator.rebalance.protocols``) and classic is the
fallback when they refuse to say (no permission: every instance hears the same). A question
that goes unanswered (the brokers restarting) is asked again, up to ``task.timeout.ms``, then
the thread fails: a fallback there would make this instance the group's only classic member.
Unset with a classic-only consumer setting given (``session.timeout.ms``,
``heartbeat.interval.ms``: under the consumer protocol the broker owns them), classic is used,
so that the setting takes effect.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import ConfigResource, ResourceType

from kstreams.errors import StreamsError

log = logging.getLogger("kstreams")

__all__ = ["broker_protocols", "choose_group_protocol"]

_CACHE: dict[str, str] = {}
_CACHE_LOCK = threading.Lock()

LOOKUP_TIMEOUT_S = 10.0
"""How long one question to the brokers may take."""

LOOKUP_RETRY_S = 1.0
"""The pause between two questions when the brokers could not be reached."""


def _refused(exc: BaseException) -> bool:
    """Whether the brokers refused to say (e.g. no DESCRIBE_CONFIGS permission: every
    instance gets the same answer) rather than failed to answer (a timeout, a broker
    restarting, an empty cluster description: another instance, asking a moment later, would
    hear ``consumer``). Only a Kafka error that is neither retriable nor a sign of brokers out
    of reach is a refusal."""
    if not isinstance(exc, KafkaException):
        return False  # concurrent.futures.TimeoutError (not TimeoutError before 3.11), ...
    err = exc.args[0] if exc.args else None
    if not isinstance(err, KafkaError):
        return False
    return not (err.retriable() or err.code() in _UNREACHED)


_UNREACHED = {
    KafkaError._TIMED_OUT,
    KafkaError._TRANSPORT,
    KafkaError._ALL_BROKERS_DOWN,
    KafkaError.REQUEST_TIMED_OUT,
    KafkaError.NOT_CONTROLLER,
    KafkaError.BROKER_NOT_AVAILABLE,
    KafkaError.LEADER_NOT_AVAILABLE,
}


def broker_protocols(
    admin: Any, timeout_s: float = LOOKUP_TIMEOUT_S, deadline_s: float = 300.0
) -> set[str] | None:
    """The group protocols the cluster's group coordinators accept, from the config of one
    broker (``group.coordinator.rebalance.protocols``; brokers before 3.7 have no such key:
    ``{"classic"}``); None if the brokers refuse to say (e.g. no DESCRIBE_CONFIGS permission).

    A question that goes unanswered (a timeout, the brokers restarting) is asked again for up
    to ``deadline_s``, then :class:`~kstreams.errors.StreamsError`: falling back to classic
    there would put this instance in a group whose other members speak the consumer protocol.
    """
    deadline = time.monotonic() + deadline_s
    tries = 0
    while True:
        try:
            cluster = admin.describe_cluster(request_timeout=timeout_s).result(timeout_s)
            broker = min(node.id for node in cluster.nodes)
            resource = ConfigResource(ResourceType.BROKER, str(broker))
            futures = admin.describe_configs([resource], request_timeout=timeout_s)
            configs = next(iter(futures.values())).result(timeout_s)
            break
        except Exception as exc:
            if _refused(exc):
                log.warning(
                    "The brokers did not say which group protocols they accept (%s); set "
                    "group.protocol to choose one (else classic)",
                    exc,
                )
                return None
            tries += 1
            if time.monotonic() >= deadline:
                raise StreamsError(
                    f"Could not ask the brokers which group protocols they accept ({tries} "
                    f"tries in {deadline_s:.0f}s, task.timeout.ms): {exc}. Check that they "
                    "are reachable, or set group.protocol (consumer or classic)"
                ) from exc
            log.info(
                "Could not ask the brokers which group protocols they accept (try %d): %s; "
                "asking again",
                tries,
                exc,
            )
            time.sleep(LOOKUP_RETRY_S)
    entry = configs.get("group.coordinator.rebalance.protocols")
    if entry is None or entry.value is None:
        return {"classic"}
    return {p.strip().lower() for p in str(entry.value).split(",") if p.strip()}


def choose_group_protocol(config: Any, admin: Any, client_id: str = "") -> str:
    """``consumer`` or ``classic`` for a stream thread's main consumer (see the module notes).

    The brokers are asked once per ``bootstrap.servers`` and process.
    """
    chosen = config.group_protocol
    classic_only = config.classic_only_settings()
    if chosen is None and classic_only:
        log.info(
            "%s: %s set (a classic group protocol setting: under the consumer protocol the "
            "broker owns it): stream threads use group.protocol=classic; set "
            "group.protocol=consumer for KIP-848 rebalancing",
            client_id,
            ", ".join(classic_only),
        )
        return "classic"
    if chosen is None:
        key = str(config.bootstrap_servers)
        with _CACHE_LOCK:
            chosen = _CACHE.get(key)
            if chosen is None:
                protocols = broker_protocols(admin, deadline_s=config.task_timeout_ms / 1000)
                chosen = "consumer" if protocols and "consumer" in protocols else "classic"
                _CACHE[key] = chosen
                log.info(
                    "%s: the brokers %s the consumer group protocol (KIP-848): stream threads "
                    "use group.protocol=%s",
                    client_id,
                    "support" if chosen == "consumer" else "do not say they support",
                    chosen,
                )
    if chosen == "consumer":
        for key in classic_only:
            log.warning(
                "%s: %s has no effect under the consumer group protocol (KIP-848): the broker "
                "assigns (range) and sets the session timeout and heartbeat interval "
                "(group.consumer.session.timeout.ms, group.consumer.heartbeat.interval.ms); "
                "set group.protocol=classic to use it",
                client_id,
                key,
            )
    return chosen
