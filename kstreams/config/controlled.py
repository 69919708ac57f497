"""The client settings kstreams controls: a user's conflicting value is refused, never replaced.

Kafka Streams sets some consumer and producer settings itself (``StreamsConfig``'s
non-configurable configs: ``enable.auto.commit``, ``group.protocol``, ``group.id``,
``partition.assignment.strategy``, ``client.id``, ``bootstrap.servers``, under exactly-once
``isolation.level``, ``enable.idempotence`` and ``transactional.id``) and logs or silently
overrides a user's value. kstreams follows that list, plus librdkafka's own settings it relies
on, but refuses a conflicting value with a :class:`~kstreams.errors.ConfigError` naming the
key, the cause and what to do. A value equal to kstreams' own is accepted; for
``partition.assignment.strategy`` and ``group.protocol`` it is warned about as redundant.

The producer is idempotent under both guarantees (``enable.idempotence=true``, Kafka Streams'
default since 3.0; under at_least_once a user may set it false); its settings must then
agree with librdkafka's idempotent producer: ``acks=all``, ``max.in.flight <= 5``,
``retries >= 1``, ``queuing.strategy=fifo``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from kstreams.config.client_properties import _CLIENT_ALL, _CLIENT_CONSUMER, _CLIENT_PRODUCER
from kstreams.config.secrets import is_sensitive
from kstreams.config.secrets import shown as _shown_secret

__all__ = ["ClientChecks", "check_client_settings", "producer_is_idempotent"]

CONSUMER_SCOPES = ("", "consumer.", "main.consumer.", "restore.consumer.", "global.consumer.")
"""Where consumer settings come from: unprefixed, then by prefix."""
PRODUCER_SCOPES = ("", "producer.")
ASSIGNING_SCOPES = ("restore.consumer.", "global.consumer.")
"""Consumers that ``assign()`` partitions themselves (no group membership)."""


@dataclass(frozen=True)
class _Context:
    application_id: str
    bootstrap_servers: str
    exactly_once: bool


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip().lower()


def _is(*allowed: str) -> Callable[[Any, str, _Context], bool]:
    return lambda value, _scope, _ctx: _text(value) in allowed


def _never(_value: Any, _scope: str, _ctx: _Context) -> bool:
    return False


def _servers(value: Any) -> list[str]:
    return [part.strip() for part in str(value).split(",") if part.strip()]


@dataclass(frozen=True)
class _Controlled:
    """A client setting kstreams sets itself."""

    key: str
    allowed: Callable[[Any, str, _Context], bool]
    """Whether a user's ``value`` in ``scope`` (a prefix, "" unprefixed) agrees with kstreams."""
    why: str
    """What kstreams uses and why (completes "...is controlled by kstreams: ")."""
    advice: str = "Remove it."
    redundant_warning: bool = False
    """Warn (no effect) when the user's value agrees."""
    scopes: tuple[str, ...] | None = None
    """The scopes it is checked in (None: every scope of its client kind)."""
    eos_only: bool = False


_COMMITS = (
    "kstreams sets it to false and commits input offsets itself, after the records they "
    "caused are acknowledged (at_least_once) or in the same transaction (exactly_once_v2)"
)

_CONSUMER_RULES: tuple[_Controlled, ...] = (
    _Controlled("enable.auto.commit", _is("false"), _COMMITS),
    _Controlled("auto.commit.enable", _is("false"), _COMMITS),
    _Controlled("enable.auto.offset.store", _is("false"), _COMMITS),
    _Controlled(
        "group.protocol",
        _never,
        "the stream threads' group protocol is the Streams key group.protocol (consumer or "
        "classic; unset: consumer where the brokers support it), which also sets the "
        "assignor that keeps co-partitioned partitions together",
        "Remove it; set group.protocol (unprefixed) instead.",
        scopes=("consumer.", "main.consumer.", "restore.consumer.", "global.consumer."),
    ),
    _Controlled(
        "group.remote.assignor",
        _is("range"),
        "with the consumer group protocol (KIP-848) kstreams uses the broker's range assignor "
        "(group.remote.assignor=range), which gives equal partitions of co-partitioned topics "
        "to one member (one task)",
        redundant_warning=True,
    ),
    _Controlled(
        "partition.assignment.strategy",
        _is("range"),
        "kstreams' main consumers always use the range assignor "
        "(partition.assignment.strategy=range), which gives equal partitions of co-partitioned "
        "topics to one member (one task); the restore and global consumers assign partitions "
        "themselves",
        redundant_warning=True,
    ),
    _Controlled(
        "group.id",
        lambda value, _scope, ctx: str(value).strip() == ctx.application_id,
        "every consumer's group id is the application.id: the main consumers' group, which the "
        "restore and global consumers (assign() only: they never join it nor commit) name too, "
        "so that READ on group application.id is the only group ACL the application needs",
        "Remove it; application.id names the group.",
    ),
    _Controlled(
        "isolation.level",
        _is("read_committed"),
        "under exactly_once_v2 every consumer reads committed records only "
        "(isolation.level=read_committed)",
        "Remove it, or use processing.guarantee=at_least_once.",
        eos_only=True,
    ),
    _Controlled(
        "auto.offset.reset",
        _is("error"),
        "the restore and global consumers use auto.offset.reset=error (Kafka Streams' 'none'): "
        "an out-of-range position is reported instead of skipping records of a changelog or "
        "global topic",
        "Remove it; consumer.auto.offset.reset or main.consumer.auto.offset.reset sets the "
        "reset policy of the input topics.",
        scopes=ASSIGNING_SCOPES,
    ),
)

_COMMON_RULES: tuple[_Controlled, ...] = (
    _Controlled(
        "client.id",
        _never,
        "kstreams names every client after the unprefixed client.id "
        "(<client.id>-StreamThread-<n>-consumer, -producer, -restore-consumer; <client.id>-admin)",
        "Set the unprefixed client.id instead.",
    ),
    _Controlled(
        "bootstrap.servers",
        lambda value, _scope, ctx: _servers(value) == _servers(ctx.bootstrap_servers),
        "every kstreams client talks to the one cluster of the unprefixed bootstrap.servers",
    ),
)

_PRODUCER_RULES: tuple[_Controlled, ...] = (
    _Controlled(
        "transactional.id",
        _never,
        "under exactly_once_v2 kstreams gives each stream thread's producer its own "
        "transactional.id (<application.id>-<process id>-<thread index>); under at_least_once "
        "the producer is not transactional",
    ),
    _Controlled(
        "enable.idempotence",
        _is("true"),
        "exactly_once_v2 needs the idempotent, transactional producer (enable.idempotence=true)",
        "Remove it, or use processing.guarantee=at_least_once.",
        eos_only=True,
    ),
    _Controlled(
        "on_delivery",
        _never,
        "kstreams reads the producer's delivery reports: a failed record stops the commit",
    ),
)


@dataclass(frozen=True)
class _IdempotenceNeed:
    keys: tuple[str, ...]
    """librdkafka's names (aliases) of the setting."""
    ok: Callable[[Any], bool]
    need: str
    fix: str


def _int_or_none(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except ValueError:
        return None


_IDEMPOTENCE_NEEDS = (
    _IdempotenceNeed(
        ("acks", "request.required.acks"), lambda v: _text(v) in ("all", "-1"), "acks=all", "all"
    ),
    _IdempotenceNeed(
        ("max.in.flight", "max.in.flight.requests.per.connection"),
        lambda v: (n := _int_or_none(v)) is not None and 1 <= n <= 5,
        "max.in.flight of at most 5",
        "5 or less",
    ),
    _IdempotenceNeed(
        ("retries", "message.send.max.retries"),
        lambda v: (n := _int_or_none(v)) is not None and n >= 1,
        "retries of at least 1",
        "1 or more",
    ),
    _IdempotenceNeed(
        ("queuing.strategy",), lambda v: _text(v) == "fifo", "queuing.strategy=fifo", "fifo"
    ),
)


@dataclass
class ClientChecks:
    """What :func:`check_client_settings` found: refusals and warnings (messages)."""

    errors: list[str]
    warnings: list[str]


def _scope_settings(
    client: Mapping[str, Any],
    prefixed: Mapping[str, Mapping[str, Any]],
    scopes: tuple[str, ...],
    kind: frozenset[str],
) -> dict[str, Mapping[str, Any]]:
    out: dict[str, Mapping[str, Any]] = {}
    for scope in scopes:
        if scope:
            out[scope] = prefixed[scope]
        else:
            out[scope] = {k: v for k, v in client.items() if k in kind or k in _CLIENT_ALL}
    return out


def _shown(key: str, value: Any) -> str:
    if is_sensitive(key):
        return _shown_secret(key, value)
    return repr(value) if isinstance(value, (str, int, float, bool)) else type(value).__name__


def _refusal(key: str, value: Any, rule: _Controlled) -> str:
    return (
        f"Configuration {key!r} (set to {_shown(key, value)}) is controlled by kstreams: {rule.why}. "
        f"{rule.advice}"
    )


def producer_is_idempotent(
    client: Mapping[str, Any], prefixed: Mapping[str, Mapping[str, Any]], exactly_once: bool
) -> bool:
    """Whether the producer is idempotent: always under exactly-once, else unless set false."""
    if exactly_once:
        return True
    effective = {**client, **prefixed["producer."]}
    return "enable.idempotence" not in effective or _text(effective["enable.idempotence"]) != (
        "false"
    )


def check_client_settings(
    client: Mapping[str, Any],
    prefixed: Mapping[str, Mapping[str, Any]],
    *,
    application_id: str,
    bootstrap_servers: str,
    exactly_once: bool,
) -> ClientChecks:
    """Check the user's client settings against what kstreams controls.

    Args:
        client: Unprefixed librdkafka properties.
        prefixed: Prefixed settings by prefix (prefix stripped).
        application_id: The application id (the main consumers' group id).
        bootstrap_servers: The cluster every client talks to.
        exactly_once: Whether ``processing.guarantee`` is ``exactly_once_v2``.
    """
    ctx = _Context(application_id, bootstrap_servers, exactly_once)
    checks = ClientChecks([], [])
    kinds = (
        (_scope_settings(client, prefixed, CONSUMER_SCOPES, _CLIENT_CONSUMER), _CONSUMER_RULES),
        (_scope_settings(client, prefixed, PRODUCER_SCOPES, _CLIENT_PRODUCER), _PRODUCER_RULES),
    )
    for scopes, rules in kinds:
        for scope, settings in scopes.items():
            for rule in (*rules, *(_COMMON_RULES if scope else ())):
                if rule.key not in settings or (rule.eos_only and not exactly_once):
                    continue
                if rule.scopes is not None and scope not in rule.scopes:
                    continue
                value = settings[rule.key]
                if not rule.allowed(value, scope, ctx):
                    checks.errors.append(_refusal(scope + rule.key, value, rule))
                elif rule.redundant_warning:
                    checks.warnings.append(
                        f"Configuration {scope + rule.key!r} (set to {_shown(scope + rule.key, value)}) has no "
                        f"effect: {rule.why}. Remove it."
                    )
    for rule in _COMMON_RULES:
        if rule.key in prefixed["admin."] and not rule.allowed(
            prefixed["admin."][rule.key], "admin.", ctx
        ):
            checks.errors.append(_refusal("admin." + rule.key, prefixed["admin."][rule.key], rule))
    if producer_is_idempotent(client, prefixed, exactly_once):
        checks.errors.extend(_idempotence_conflicts(client, prefixed, exactly_once))
    return checks


def _idempotence_conflicts(
    client: Mapping[str, Any], prefixed: Mapping[str, Mapping[str, Any]], exactly_once: bool
) -> list[str]:
    errors = []
    producer = prefixed["producer."]
    if exactly_once:
        reason = "under exactly_once_v2"
        opt_out = ""
    else:
        reason = (
            "under at_least_once (Kafka Streams' default since 3.0: producer retries write no "
            "duplicates)"
        )
        opt_out = ", or set producer.enable.idempotence=false to give up idempotence"
    for need in _IDEMPOTENCE_NEEDS:
        for key in need.keys:
            # the effective value: producer. wins over the unprefixed setting
            if key in producer:
                name, value = "producer." + key, producer[key]
            elif key in client:
                name, value = key, client[key]
            else:
                continue
            if not need.ok(value):
                errors.append(
                    f"Configuration {name!r} (set to {_shown(name, value)}) conflicts with the "
                    f"idempotent producer kstreams uses {reason}: librdkafka's idempotent "
                    f"producer needs {need.need}. Remove it or set it to {need.fix}{opt_out}."
                )
    return errors
