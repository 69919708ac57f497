"""The librdkafka configs of the clients kstreams creates, built from a StreamsConfig.

:class:`ClientConfigsMixin` is the part of :class:`~kstreams.config.StreamsConfig` that
builds the main, restore and global consumers', the producer's and the admin client's
settings, and the internal topics' configs, each from kstreams' defaults, the user's
settings (unprefixed, then prefixed) and what Kafka Streams controls.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from kstreams.config.client_properties import _CLIENT_ALL, _CLIENT_CONSUMER, _CLIENT_PRODUCER

__all__ = [
    "CLASSIC_ONLY",
    "CONSUMER_DEFAULTS",
    "PRODUCER_DEFAULTS",
    "RESTORE_CONSUMER_DEFAULTS",
    "RESTORE_CONSUMER_OVERRIDES",
    "ClientConfigsMixin",
]

# --------------------------------------------------------------------------- #
# Client defaults (throughput knobs; the user's settings always win)
# --------------------------------------------------------------------------- #

CONSUMER_DEFAULTS: dict[str, Any] = {
    # librdkafka waits this long before fetching again once its local queue is
    # full (default 1000 ms); a stream thread drains its queue quickly.
    "fetch.queue.backoff.ms": 20,
    # librdkafka pre-fetches until each partition's local queue holds this many records
    # (default 100,000): with many partitions that is most of a process' memory (1M
    # distinct keys on 4 partitions: 260 MB peak RSS, 206 MB with 10,000). Kafka Streams
    # bounds its buffered records the same way (input.buffer.max.bytes); 10,000 records are
    # still tens of milliseconds of work for a stream thread.
    "queued.min.messages": 10000,
}
"""librdkafka settings every kstreams consumer starts from (before user settings)."""

PRODUCER_DEFAULTS: dict[str, Any] = {
    "linger.ms": 5,
    "batch.num.messages": 10000,
    "queue.buffering.max.messages": 100000,
}
"""librdkafka settings the kstreams producer starts from (before user settings).
Java Kafka Streams uses ``linger.ms=100``."""

RESTORE_CONSUMER_DEFAULTS: dict[str, Any] = {
    # Restoration reads every changelog partition to its end: librdkafka's 500 ms default
    # is how long each fetch at the end waits for more, e.g. for the transaction marker
    # that is all a clean exactly-once restart finds after its checkpoint.
    "fetch.wait.max.ms": 10,
    # The consumer's queue (one for all its partitions) is refilled only when it holds fewer
    # records than this: at the 10,000 of CONSUMER_DEFAULTS every restoration round (50,000
    # records, kstreams.runtime.restore.RESTORE_BATCH) emptied it and then waited for a fetch
    # (1M-record restore: 9-46 rounds found it empty, 1-4 with 100,000). The queue's size
    # stays bounded by queued.max.messages.kbytes (64 MB).
    "queued.min.messages": 100000,
}
"""Settings the restore consumer starts from (over :data:`CONSUMER_DEFAULTS`; user settings win)."""

RESTORE_CONSUMER_OVERRIDES: dict[str, Any] = {
    # Java forces auto.offset.reset=none on restore/global consumers; "error" is
    # librdkafka's equivalent: an out-of-range position is reported as an
    # error event (KafkaError._AUTO_OFFSET_RESET) instead of silently jumping.
    "auto.offset.reset": "error",
}
"""Settings forced on the restore and global consumers after user settings."""

_DEFAULT_TRANSACTION_TIMEOUT_MS = 10000

CLASSIC_ONLY = ("partition.assignment.strategy", "session.timeout.ms", "heartbeat.interval.ms")
"""Consumer settings of the classic group protocol only: under the consumer protocol the
broker assigns and sets the session timeout and heartbeat interval
(``group.consumer.session.timeout.ms``, ``group.consumer.heartbeat.interval.ms``)."""


class ClientConfigsMixin:
    """Client-config builders of :class:`~kstreams.config.StreamsConfig` (one of its bases)."""

    # Set by StreamsConfig: unprefixed librdkafka properties, prefixed ones by prefix.
    _client: dict[str, Any]
    _prefixed: dict[str, dict[str, Any]]

    CONSUMER_PREFIX: ClassVar[str]
    MAIN_CONSUMER_PREFIX: ClassVar[str]
    RESTORE_CONSUMER_PREFIX: ClassVar[str]
    GLOBAL_CONSUMER_PREFIX: ClassVar[str]
    PRODUCER_PREFIX: ClassVar[str]
    ADMIN_CLIENT_PREFIX: ClassVar[str]
    TOPIC_PREFIX: ClassVar[str]

    if TYPE_CHECKING:

        @property
        def application_id(self) -> str: ...

        @property
        def bootstrap_servers(self) -> str: ...

        @property
        def exactly_once(self) -> bool: ...

        def get(self, key: str, default: Any = None) -> Any: ...

    def _client_settings(self, scope: frozenset[str]) -> dict[str, Any]:
        return {k: v for k, v in self._client.items() if k in _CLIENT_ALL or k in scope}

    def _consumer_base(self, prefix: str, defaults: dict[str, Any] | None = None) -> dict[str, Any]:
        conf: dict[str, Any] = {}
        conf.update(CONSUMER_DEFAULTS)
        conf.update(defaults or {})
        conf["auto.offset.reset"] = "earliest"
        conf["allow.auto.create.topics"] = False
        conf["isolation.level"] = "read_committed" if self.exactly_once else "read_uncommitted"
        conf.update(self._client_settings(_CLIENT_CONSUMER))
        conf.update(self._prefixed[self.CONSUMER_PREFIX])
        conf.update(self._prefixed[prefix])
        # Settings kstreams controls (kstreams/config/controlled.py): StreamsConfig refused any
        # user value that differs, so these only fill in what the user left unset.
        conf.pop("auto.commit.enable", None)
        conf["enable.auto.commit"] = False
        conf["enable.auto.offset.store"] = False
        conf["group.protocol"] = "classic"
        if self.exactly_once:
            conf["isolation.level"] = "read_committed"
        conf["bootstrap.servers"] = self.bootstrap_servers
        return conf

    @property
    def group_protocol(self) -> str | None:
        """The ``group.protocol`` the user chose (``classic`` or ``consumer``), or None:
        automatic (the consumer protocol where the brokers support it)."""
        value = self.get("group.protocol")
        return None if value is None else str(value)

    def classic_only_settings(self) -> list[str]:
        """The :data:`CLASSIC_ONLY` settings the user gave the main consumer (unprefixed,
        ``consumer.``, ``main.consumer.``): they have no effect under the consumer protocol."""
        scopes = [
            self._client_settings(_CLIENT_CONSUMER),
            self._prefixed[self.CONSUMER_PREFIX],
            self._prefixed[self.MAIN_CONSUMER_PREFIX],
        ]
        return [key for key in CLASSIC_ONLY if any(key in scope for scope in scopes)]

    def main_consumer_config(
        self,
        group_id: str,
        client_id: str,
        thread_index: int | None = None,
        group_protocol: str = "classic",
    ) -> dict[str, Any]:
        """librdkafka settings of a stream thread's main consumer.

        Precedence, lowest first: :data:`CONSUMER_DEFAULTS`, Streams defaults
        (``auto.offset.reset=earliest``, isolation level), unprefixed client
        settings, ``consumer.``, ``main.consumer.``; then what Streams controls:
        ``group.id``, ``client.id``, no auto commit / offset store,
        ``read_committed`` under EOS, and the group protocol with an assignor that keeps
        equal partitions of co-partitioned topics on one member: ``classic`` with
        ``partition.assignment.strategy=range``, or ``consumer`` (KIP-848) with the broker's
        ``group.remote.assignor=range`` (the broker then owns the session timeout and the
        heartbeat interval: librdkafka refuses them on the client).

        Args:
            group_id: The consumer group (the application id).
            client_id: The consumer's client id.
            thread_index: Suffixes a user ``group.instance.id`` so threads differ.
            group_protocol: ``classic`` or ``consumer``.
        """
        conf = self._consumer_base(self.MAIN_CONSUMER_PREFIX)
        conf["group.id"] = group_id
        conf["client.id"] = client_id
        if group_protocol == "consumer":
            conf["group.protocol"] = "consumer"
            conf["group.remote.assignor"] = "range"
            for key in CLASSIC_ONLY:
                conf.pop(key, None)
        else:
            conf["partition.assignment.strategy"] = "range"
            conf.pop("group.remote.assignor", None)
        instance_id = conf.get("group.instance.id")
        if instance_id is not None and thread_index is not None:
            conf["group.instance.id"] = f"{instance_id}-{thread_index}"
        return conf

    def restore_consumer_config(self, client_id: str) -> dict[str, Any]:
        """librdkafka settings of the restore consumer (``assign()`` only, never commits).

        Kafka Streams' restore consumer has no group. confluent-kafka's consumer cannot be
        created without a ``group.id`` (an empty one aborts the process), and librdkafka looks
        up the coordinator of the group it names. So the restore consumer is given the
        application's own group, ``application.id``: it never subscribes, joins or commits,
        and reads every partition from an explicit offset, so all it does with the group is
        that lookup, which the ACL an application needs anyway (READ on group
        ``application.id``) allows. A group of its own (``<application.id>-restore-consumer``)
        would need an ACL of its own, Kafka Streams' documented ACLs would fail every restore.
        ``restore.consumer.`` settings win over ``consumer.`` ones;
        :data:`RESTORE_CONSUMER_OVERRIDES` applies last.
        """
        conf = self._consumer_base(self.RESTORE_CONSUMER_PREFIX, RESTORE_CONSUMER_DEFAULTS)
        conf.pop("group.instance.id", None)
        conf.update(RESTORE_CONSUMER_OVERRIDES)
        conf["group.id"] = self.application_id
        conf["client.id"] = client_id
        return conf

    def global_consumer_config(self, client_id: str) -> dict[str, Any]:
        """librdkafka settings of the global-table consumer (``assign()`` only).

        Like :meth:`restore_consumer_config` with the ``global.consumer.`` prefix and client
        id ``<client_id>-global-consumer`` (as Java); its ``group.id`` is the
        ``application.id`` for the same reason (Java's global consumer has no group).
        """
        conf = self._consumer_base(self.GLOBAL_CONSUMER_PREFIX)
        conf.pop("group.instance.id", None)
        conf.update(RESTORE_CONSUMER_OVERRIDES)
        conf["group.id"] = self.application_id
        conf["client.id"] = f"{client_id}-global-consumer"
        return conf

    def producer_config(
        self, client_id: str, transactional_id: str | None = None
    ) -> dict[str, Any]:
        """librdkafka settings of a producer.

        Precedence, lowest first: :data:`PRODUCER_DEFAULTS`,
        ``partitioner=murmur2_random`` (Java's default partitioner), under EOS
        ``transaction.timeout.ms=10000``; unprefixed client settings;
        ``producer.``; then what Streams controls: ``client.id``,
        ``enable.idempotence=True`` (under at_least_once unless the user set it false, as
        Kafka Streams since 3.0) and ``transactional.id`` (when given). Settings that
        conflict with these were refused by :class:`~kstreams.config.StreamsConfig`.

        Args:
            client_id: The producer's client id.
            transactional_id: The transactional id (exactly-once only).
        """
        conf: dict[str, Any] = {}
        conf.update(PRODUCER_DEFAULTS)
        conf["partitioner"] = "murmur2_random"
        if self.exactly_once:
            conf["transaction.timeout.ms"] = _DEFAULT_TRANSACTION_TIMEOUT_MS
        conf.update(self._client_settings(_CLIENT_PRODUCER))
        conf.update(self._prefixed[self.PRODUCER_PREFIX])
        if self.exactly_once:
            conf["enable.idempotence"] = True
        else:
            conf.setdefault("enable.idempotence", True)
        if transactional_id is not None:
            conf["transactional.id"] = transactional_id
        conf["bootstrap.servers"] = self.bootstrap_servers
        conf["client.id"] = client_id
        return conf

    def admin_config(self, client_id: str) -> dict[str, Any]:
        """librdkafka settings of the admin client: generic client settings, then ``admin.``."""
        conf: dict[str, Any] = self._client_settings(frozenset())
        conf.update(self._prefixed[self.ADMIN_CLIENT_PREFIX])
        conf["bootstrap.servers"] = self.bootstrap_servers
        conf["client.id"] = client_id
        return conf

    def topic_config(self) -> dict[str, str]:
        """Configs for internal topics: the ``topic.`` keys, prefix stripped, values as text."""
        return {
            key: _topic_value(value) for key, value in self._prefixed[self.TOPIC_PREFIX].items()
        }


def _topic_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
