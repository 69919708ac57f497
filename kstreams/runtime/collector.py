"""Record collectors: where sinks send their serialized records.

The runtime's :class:`KafkaRecordCollector` produces through confluent-kafka;
the test driver's collector keeps records in memory. Sinks only know the
:class:`RecordCollector` protocol.
"""

from __future__ import annotations

import threading
from typing import Any, Protocol

from confluent_kafka import KafkaError, KafkaException

from kstreams.errors import ProductionError, StreamsError
from kstreams.serde.base import Headers

_PURGED = {KafkaError._PURGE_QUEUE, KafkaError._PURGE_INFLIGHT}
"""Delivery errors of records an aborted transaction (or a closing producer) dropped."""

_MISSING_TOPIC = {KafkaError._UNKNOWN_TOPIC, KafkaError.UNKNOWN_TOPIC_OR_PART}


def delivery_error(errors: list[tuple[str, int, Any]]) -> ProductionError:
    """One error for failed deliveries ``(topic, partition, KafkaError)``, naming the first
    and, where topics do not exist, what to do."""
    topic, partition, first = errors[0]
    text = (
        f"{len(errors)} record(s) could not be delivered; first: topic {topic} "
        f"partition {partition}: {first.str()} ({first.name()})"
    )
    missing = sorted({t for t, _, e in errors if e.code() in _MISSING_TOPIC})
    if missing:
        text += (
            f". Topics {missing} do not exist on the cluster (UNKNOWN_TOPIC_OR_PARTITION): "
            "create them, or fix the topic name in to()/add_sink()"
        )
    return ProductionError(text)


UNASSIGNED = -1
"""librdkafka's ``RD_KAFKA_PARTITION_UA``: the producer's partitioner picks the partition.

``Producer.produce`` is called with positional arguments on the per-record path, in the
order of its C signature ``(topic, value, key, partition, callback, on_delivery, timestamp,
headers)``: keyword arguments cost a dict and a keyword lookup per call (~0.4 µs per record
measured). ``callback`` None means the producer's default ``on_delivery``; a per-record
callback must go in the ``callback`` slot (its alias ``on_delivery`` is only read when
``callback`` is not given at all).
"""


def produce_failed(topic: str, exc: KafkaException) -> ProductionError:
    """The error that stops the thread when ``produce`` itself raised (e.g. a fatal
    idempotent or transactional producer error): never a user-code error for the processing
    exception handler, since every record after it would be lost too."""
    err = exc.args[0]
    kind = "fatal producer error" if err.fatal() else "producer error"
    return ProductionError(
        f"Producing to topic {topic} failed ({kind}: {err.str()}); the stream thread stops "
        "and the uncaught-exception handler decides (REPLACE_THREAD gets a new producer)"
    )


class RecordCollector(Protocol):
    """What a sink needs: send a record, and know a topic's partition count.

    A collector may also offer ``produce_fn()`` (see :meth:`KafkaRecordCollector.produce_fn`):
    sinks then hand records without headers straight to the producer.
    """

    def send(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        timestamp: int,
        headers: Headers,
        partition: int | None,
    ) -> None:
        """Send one serialized record (``partition`` None: the producer's partitioner decides)."""

    def partitions_for(self, topic: str) -> int:
        """How many partitions ``topic`` has."""
        ...

    def send_changelog(
        self, topic: str, key: bytes, value: bytes | None, timestamp: int, partition: int
    ) -> None:
        """Send a store's change; its offset is reported in ``changelog_offsets`` once acknowledged."""


class KafkaRecordCollector:
    """Sends records with a confluent-kafka ``Producer`` and remembers delivery failures.

    Delivery reports arrive through the producer's ``on_delivery`` callback;
    :meth:`flush` waits for every outstanding record and raises
    :class:`ProductionError` if any failed, so offsets are never committed past
    a lost record.
    """

    def __init__(self, producer: Any, metadata_timeout: float = 10.0) -> None:
        self.producer = producer
        self._partitions: dict[str, int] = {}
        self._errors: list[tuple[str, int, Any]] = []
        self._lock = threading.Lock()
        self._metadata_timeout = metadata_timeout
        self.changelog_offsets: dict[tuple[str, int], int] = {}
        """The offset of the last acknowledged changelog record of each changelog partition."""

    def on_delivery(self, err: Any, msg: Any) -> None:
        """Delivery callback (set as the producer's ``on_delivery``); records failures.

        Records purged by an aborted transaction are no failure of their own: the error that
        made the transaction abort is reported instead.
        """
        if err is not None and err.code() not in _PURGED:
            with self._lock:
                self._errors.append((msg.topic(), msg.partition(), err))

    def delivery_failure(self) -> ProductionError | None:
        """The failures reported so far as one error (and forget them); None if there are none."""
        self.producer.poll(0)  # serve the delivery reports that are in
        if not self._errors:
            return None
        with self._lock:
            errors, self._errors = self._errors, []
        return delivery_error(errors)

    def send(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        timestamp: int,
        headers: Headers,
        partition: int | None,
    ) -> None:
        produce = self.producer.produce
        while True:
            try:
                produce(
                    topic,
                    value,
                    key,
                    UNASSIGNED if partition is None else partition,
                    None,
                    None,
                    timestamp,
                    headers or None,  # empty headers: none
                )
                break
            except BufferError:
                # The local queue is full: serve delivery reports until there is room.
                self.producer.poll(0.05)
            except KafkaException as exc:
                raise produce_failed(topic, exc) from exc

    def produce_fn(self) -> Any:
        """The producer's ``produce``, for sinks that send records without headers themselves.

        Called as ``produce(topic, value, key, UNASSIGNED, None, None, timestamp)`` (see
        :data:`UNASSIGNED`); on ``BufferError`` (the local queue is full) the caller falls
        back to :meth:`send`, which waits for room. Delivery failures are reported like
        those of :meth:`send`.
        """
        return self.producer.produce

    def _on_changelog_delivery(self, err: Any, msg: Any) -> None:
        if err is not None:
            self.on_delivery(err, msg)
            return
        tp = (msg.topic(), msg.partition())
        offset = msg.offset()
        if offset > self.changelog_offsets.get(tp, -1):
            self.changelog_offsets[tp] = offset

    def send_changelog(
        self, topic: str, key: bytes, value: bytes | None, timestamp: int, partition: int
    ) -> None:
        """Send a store's change to its changelog partition, tracking the acknowledged offset."""
        while True:
            try:
                # the callback goes in the ``callback`` slot: when it is given (None too),
                # produce ignores its ``on_delivery`` alias
                self.producer.produce(
                    topic, value, key, partition, self._on_changelog_delivery, None, timestamp
                )
                break
            except BufferError:
                self.producer.poll(0.05)
            except KafkaException as exc:
                raise produce_failed(topic, exc) from exc

    def partitions_for(self, topic: str) -> int:
        n = self._partitions.get(topic)
        if n is None:
            md = self.producer.list_topics(topic, timeout=self._metadata_timeout)
            t = md.topics.get(topic)
            if t is None or t.error is not None or not t.partitions:
                raise StreamsError(
                    f"Could not get partition information for topic {topic}: "
                    f"{None if t is None else t.error}"
                )
            n = len(t.partitions)
            self._partitions[topic] = n
        return n

    def poll(self) -> None:
        """Serve delivery callbacks without waiting."""
        self.producer.poll(0)

    def check_errors(self) -> None:
        """Raise :class:`ProductionError` if a record failed to be delivered."""
        if self._errors:
            with self._lock:
                errors, self._errors = self._errors, []
            raise delivery_error(errors)

    def discard_errors(self) -> None:
        """Forget delivery failures of records whose transaction was aborted."""
        with self._lock:
            self._errors = []

    def flush(self, timeout: float = 60.0) -> None:
        """Wait until every record sent so far is acknowledged, then check for failures."""
        remaining = self.producer.flush(timeout)
        if remaining:
            raise ProductionError(
                f"{remaining} record(s) were still not acknowledged after {timeout}s"
            )
        self.check_errors()
