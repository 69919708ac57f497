"""Interactive-query metadata through Kafka: each instance publishes where it is and what it
hosts to ``<application.id>-metadata``, and every instance tails that topic.

Kafka Streams carries ``application.server`` and the task assignment in the classic
protocol's subscription user data; the consumer group protocol of KIP-848 carries none, so
kstreams uses a compacted internal topic of one partition instead. Each instance writes one
record keyed by its process id (the state directory's, as Java's ``processId``): its
``application.server``, its stream threads' consumer client ids, its active and standby tasks
with their source partitions (:class:`~kstreams.runtime.streams_metadata.ClientRecord`).
It writes it at start, whenever its tasks change (the publisher's own thread compares
``metadata_for_local_threads()`` every :data:`CHECK_INTERVAL_S`), and a tombstone on close.

Liveness: an instance killed without closing leaves its record behind. Every
:data:`MEMBERSHIP_INTERVAL_S` the publisher describes the consumer group (admin client,
``describe_consumer_groups``, READ on the group, which an application has anyway); a record
whose consumers are none of the group's members is not live and is left out of the metadata.
If the group cannot be described, every record counts as live (logged once).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import NewTopic

from kstreams.errors import StreamsError
from kstreams.runtime.clients import close_consumer, close_producer
from kstreams.runtime.streams_metadata import ClientRecord, HostInfo
from kstreams.runtime.topics import create_internal_topics

log = logging.getLogger("kstreams.metadata")

CHECK_INTERVAL_S = 0.2
"""How often the publisher compares the local tasks with what it published."""

MEMBERSHIP_INTERVAL_S = 2.0
"""How often it describes the consumer group to tell live instances from departed ones."""

METADATA_TOPIC_CONFIG = {"cleanup.policy": "compact", "message.timestamp.type": "CreateTime"}
"""Settings of ``<application.id>-metadata`` (compacted: one record per instance)."""

LocalSnapshot = Callable[[], tuple[frozenset[str], dict[Any, Any], dict[Any, Any]]]
"""Returns this instance's (consumer client ids, active tasks, standby tasks)."""


def metadata_topic(application_id: str) -> str:
    """The internal topic of the interactive-query metadata: ``<application.id>-metadata``."""
    return f"{application_id}-metadata"


def ensure_metadata_topic(admin: Any, config: Any, timeout: float = 30.0) -> str:
    """Create ``<application.id>-metadata`` unless it exists (1 partition, compacted, with the
    application's ``replication.factor`` and ``topic.`` settings); its name.

    Raises:
        StreamsError: It could not be created, or exists with more than one partition.
    """
    topic = metadata_topic(config.application_id)
    md = admin.list_topics(topic=topic, timeout=timeout)
    existing = md.topics.get(topic)
    if existing is not None and existing.error is None:
        if len(existing.partitions) != 1:
            raise StreamsError(
                f"Internal topic {topic} has {len(existing.partitions)} partitions, but 1 is "
                "required. Delete it (it is rebuilt at the next start)."
            )
        return topic
    cfg = dict(METADATA_TOPIC_CONFIG)
    cfg.update(config.topic_config())
    new = NewTopic(
        topic, num_partitions=1, replication_factor=config.replication_factor, config=cfg
    )
    create_internal_topics(admin, [new], timeout)
    return topic


class MetadataPublisher(threading.Thread):
    """Publishes this instance's :class:`ClientRecord` and keeps everyone's (see module notes).

    Args:
        config: The application's ``StreamsConfig``.
        client_id: The client's id (its clients are ``<client_id>-metadata-producer`` /
            ``-consumer``).
        process_id: The record key.
        host_info: This instance's ``application.server``.
        local: Returns the local consumers and tasks (from the stream threads' metadata).
        admin: The client's admin client (group descriptions).
    """

    def __init__(
        self,
        config: Any,
        client_id: str,
        process_id: str,
        host_info: HostInfo,
        local: LocalSnapshot,
        admin: Any,
    ) -> None:
        super().__init__(name=f"{client_id}-MetadataPublisher", daemon=True)
        self.topic = metadata_topic(config.application_id)
        self.group_id = config.application_id
        self.process_id = process_id
        self.host_info = host_info
        self._local = local
        self._admin = admin
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._records: dict[str, ClientRecord] = {}
        """Every instance's last record, by process id (tombstones remove)."""
        self._members: frozenset[str] | None = None
        """Client ids of the group's members at the last description (None: unknown)."""
        self._describe: Any = None
        self._next_describe = 0.0
        self._warned_describe = False
        self._published: ClientRecord | None = None
        self._caught_up = threading.Event()
        self.version = 0
        """Bumped after every change of the records or the membership: readers cache what
        they built from :meth:`live_records` until it moves."""
        producer_config = config.producer_config(client_id=f"{client_id}-metadata-producer")
        producer_config.pop("transactional.id", None)
        producer_config["linger.ms"] = 0
        self._producer = Producer(producer_config)
        consumer_config = config.global_consumer_config(client_id)
        consumer_config["client.id"] = f"{client_id}-metadata-consumer"
        consumer_config["isolation.level"] = "read_uncommitted"
        consumer_config["enable.partition.eof"] = True
        self._consumer = Consumer(consumer_config)

    # -- reading (any thread) -------------------------------------------------------------------
    @property
    def initialized(self) -> bool:
        """Whether the topic was read to its end once (the metadata is complete)."""
        return self._caught_up.is_set()

    def live_records(self) -> list[ClientRecord]:
        """The records of instances in the group now (and this instance's own, as published)."""
        with self._lock:
            records = list(self._records.values())
            members = self._members
            own = self._published
        out = [r for r in records if r.process_id != self.process_id]
        if members is not None:
            out = [r for r in out if r.consumers & members]
        if own is not None:
            out.append(own)
        return out

    # -- the loop ---------------------------------------------------------------------------------
    def run(self) -> None:
        self._consumer.assign([TopicPartition(self.topic, 0, 0)])  # from the beginning
        last_error = ""
        while not self._stopping.is_set():
            try:
                self._read(CHECK_INTERVAL_S)
                self._publish_if_changed()
                self._refresh_membership()
                self._producer.poll(0)
            except Exception as exc:  # keep going: the metadata must not freeze for good
                text = f"{type(exc).__name__}: {exc}"
                if text != last_error:  # once per distinct error, not every round
                    log.error(
                        "metadata publisher of %s: %s (retrying every second)",
                        self.process_id,
                        text,
                        exc_info=exc,
                    )
                last_error = text
                self._stopping.wait(1.0)

    def _read(self, timeout: float) -> None:
        msgs = self._consumer.consume(500, timeout)
        changed = False
        for msg in msgs:
            err = msg.error()
            if err is not None:
                if err.code() == KafkaError._PARTITION_EOF:
                    self._caught_up.set()
                else:
                    log.warning("metadata consumer: %s", err)
                continue
            key = msg.key()
            if key is None:
                continue
            pid = key.decode("utf-8", "replace")
            value = msg.value()
            with self._lock:
                if value is None:
                    changed |= self._records.pop(pid, None) is not None
                    continue
                try:
                    record = ClientRecord.from_bytes(value)
                except ValueError as exc:
                    log.warning("skipping metadata record of %s in %s: %s", pid, self.topic, exc)
                    continue
                self._records[pid] = record
                changed = True
        if changed:
            self.version += 1

    def _publish_if_changed(self) -> None:
        consumers, active, standby = self._local()
        record = ClientRecord(
            self.process_id,
            self.host_info,
            frozenset(consumers),
            active,
            standby,
            int(time.time() * 1000),
        )
        if record.same_tasks(self._published):
            return
        self._producer.produce(
            self.topic,
            key=self.process_id.encode(),
            value=record.to_bytes(),
            on_delivery=self._delivered,
        )
        with self._lock:
            self._published = record
        self.version += 1
        log.debug("published metadata of %s: %s", self.process_id, record)

    def _delivered(self, err: Any, msg: Any) -> None:
        if err is None:
            return
        log.error(
            "could not publish the interactive-query metadata of %s to %s: %s (retrying)",
            self.process_id,
            self.topic,
            err,
        )
        with self._lock:
            self._published = None  # the next round publishes it again

    def _refresh_membership(self) -> None:
        fut = self._describe
        now = time.monotonic()
        if fut is None:
            if now < self._next_describe:
                return
            self._next_describe = now + MEMBERSHIP_INTERVAL_S
            try:
                self._describe = self._admin.describe_consumer_groups(
                    [self.group_id], request_timeout=10
                )[self.group_id]
            except Exception as exc:  # the admin client closed, or the call was refused
                self._describe_failed(exc)
            return
        if not fut.done():
            return
        self._describe = None
        try:
            group = fut.result()
        except Exception as exc:
            self._describe_failed(exc)
            return
        members = frozenset(m.client_id for m in group.members)
        with self._lock:
            changed = members != self._members
            self._members = members
        if changed:
            self.version += 1

    def _describe_failed(self, exc: BaseException) -> None:
        if not self._warned_describe:
            self._warned_describe = True
            log.warning(
                "could not describe consumer group %s (%s): the interactive-query metadata "
                "keeps every published instance, including any that died without closing",
                self.group_id,
                exc,
            )

    def close(self, timeout: float = 5.0) -> None:
        """Stop the loop, write this instance's tombstone, close the clients."""
        self._stopping.set()
        if self.is_alive() and self is not threading.current_thread():
            self.join(timeout)
        try:
            self._producer.produce(self.topic, key=self.process_id.encode(), value=None)
        except Exception as exc:
            log.warning("could not write the metadata tombstone of %s: %s", self.process_id, exc)
        close_producer(self._producer, timeout, log, f"{self.name} producer")
        close_consumer(self._consumer)
