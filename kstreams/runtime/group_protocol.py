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
fallback when they do not say so. Unset with a classic-only consumer setting given
(``session.timeout.ms``, ``heartbeat.interval.ms``: under the consumer protocol the broker
owns them), classic is used, so that the setting takes effect.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from confluent_kafka.admin import ConfigResource, ResourceType

log = logging.getLogger("kstreams")

__all__ = ["broker_protocols", "choose_group_protocol"]

_CACHE: dict[str, str] = {}
_CACHE_LOCK = threading.Lock()

LOOKUP_TIMEOUT_S = 10.0
"""How long asking the brokers may take before the classic protocol is used."""


def broker_protocols(admin: Any, timeout_s: float = LOOKUP_TIMEOUT_S) -> set[str] | None:
    """The group protocols the cluster's group coordinators accept, from the config of one
    broker (``group.coordinator.rebalance.protocols``; brokers before 3.7 have no such key:
    ``{"classic"}``); None if it could not be read (e.g. no DESCRIBE_CONFIGS permission)."""
    try:
        cluster = admin.describe_cluster(request_timeout=timeout_s).result(timeout_s)
        broker = min(node.id for node in cluster.nodes)
        resource = ConfigResource(ResourceType.BROKER, str(broker))
        futures = admin.describe_configs([resource], request_timeout=timeout_s)
        configs = next(iter(futures.values())).result(timeout_s)
    except Exception as exc:
        log.info("Could not read the brokers' group protocols (%s)", exc)
        return None
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
                protocols = broker_protocols(admin)
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
