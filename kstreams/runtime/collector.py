"""Record collectors: where sinks send their serialized records.

The runtime's :class:`KafkaRecordCollector` produces through confluent-kafka;
the test driver's collector keeps records in memory. Sinks only know the
:class:`RecordCollector` protocol.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Collection
from typing import Any, Protocol

from confluent_kafka import OFFSET_END, KafkaError, KafkaException, TopicPartition
from confluent_kafka.admin import ConfigResource

from kstreams.errors import ProductionError, RecordTooLargeError, StreamsError
from kstreams.handlers.context import ProducerRecord
from kstreams.runtime.dead_letters import fit_dead_letter
from kstreams.runtime.record_size import CHECK_MARGIN, batch_size
from kstreams.runtime.send_errors import Failure, SendFailures, describe_failures
from kstreams.serde.base import Headers

log = logging.getLogger("kstreams")

_PURGED = {KafkaError._PURGE_QUEUE, KafkaError._PURGE_INFLIGHT}
"""Delivery errors of records an aborted transaction (or a closing producer) dropped."""

LIBRDKAFKA_MESSAGE_MAX_BYTES = 1_000_000
"""librdkafka's default ``message.max.bytes``: the largest record its ``produce`` accepts."""

_UNREAD: Any = object()
"""A topic whose record limit was not read yet."""

_UNCOMPRESSED = {None, "none"}


def delivery_error(errors: list[Failure]) -> ProductionError:
    """One error for failed deliveries ``(topic, partition, KafkaError, Message)``, naming the
    first and, where topics do not exist, what to do."""
    return ProductionError(describe_failures(errors))


UNASSIGNED = -1
"""librdkafka's ``RD_KAFKA_PARTITION_UA``: the producer's partitioner picks the partition.

``Producer.produce`` is called with positional arguments on the per-record path, in the
order of its C signature ``(topic, value, key, partition, callback, on_delivery, timestamp,
headers)``: keyword arguments cost a dict and a keyword lookup per call (~0.4 µs per record
measured). ``callback`` None means the producer's default ``on_delivery``; a per-record
callback must go in the ``callback`` slot (its alias ``on_delivery`` is only read when
``callback`` is not given at all).
"""

CHECKPOINT_RECORDS = 10_000
"""Changelog records sent after which a periodic commit reads the changelog ends again, so
that the stores' checkpoints move (Kafka Streams' ``OFFSET_DELTA_THRESHOLD_FOR_CHECKPOINT``);
commits that close or hand over tasks always read them."""


def produce_failed(topic: str, exc: KafkaException) -> ProductionError:
    """The error that stops the thread when ``produce`` itself raised (e.g. a fatal
    idempotent or transactional producer error): never a user-code error for the processing
    exception handler, since every record after it would be lost too.

    A record bigger than the producer's ``message.max.bytes`` (MSG_SIZE_TOO_LARGE) is a
    :class:`~kstreams.errors.RecordTooLargeError` instead: it concerns that record alone, and
    sinks hand it to ``production.exception.handler``.
    """
    err = exc.args[0]
    if err.code() == KafkaError.MSG_SIZE_TOO_LARGE:
        return RecordTooLargeError(
            f"A record for topic {topic} is larger than the producer's message.max.bytes "
            f"({err.str()}, MSG_SIZE_TOO_LARGE)",
            topic=topic,
            partition=None,
            size=-1,
            limit=-1,
        )
    kind = "fatal producer error" if err.fatal() else "producer error"
    return ProductionError(
        f"Producing to topic {topic} failed ({kind}: {err.str()}); the stream thread stops "
        "and the uncaught-exception handler decides (REPLACE_THREAD gets a new producer)"
    )


def too_large(topic: str, size: int, limit: int, partition: int | None) -> RecordTooLargeError:
    """The error of a record found bigger than ``topic`` accepts, before it was sent."""
    where = f"topic {topic}" if partition is None else f"topic {topic} partition {partition}"
    return RecordTooLargeError(
        f"The record is {size} bytes, more than {where} accepts ({limit} bytes: the topic's "
        "max.message.bytes or the producer's message.max.bytes; MSG_SIZE_TOO_LARGE)",
        topic=topic,
        partition=partition,
        size=size,
        limit=limit,
    )


def configure_delivery_reports(producer_config: dict[str, Any], logged: bool) -> bool:
    """Set ``delivery.report.only.error`` in a stream thread's ``producer_config``; return
    whether changelog offsets must then be read from the log ends
    (:meth:`KafkaRecordCollector.read_changelog_offsets`).

    Failures only (the default), which spares a Python call per record: a successful
    delivery report carries nothing the thread needs but changelog offsets, and those are
    read from the log ends instead, with one ListOffsets request for the partitions written
    since the last commit (only the task writes its changelog partitions). Under
    at-least-once that is after the commit's flush; under exactly-once after a flush inside
    the transaction, before it commits, so the ends are those of its last records (its
    marker comes later). Failures still reach ``on_delivery``, and ``flush()`` /
    ``check_errors()`` raise them before offsets are committed. A user's
    ``delivery.report.only.error=false`` keeps every report (and the offsets come from them).
    """
    producer_config.setdefault("delivery.report.only.error", True)
    return logged and producer_config["delivery.report.only.error"] in (True, "true")


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
        self,
        topic: str,
        key: bytes,
        value: bytes | None,
        timestamp: int,
        partition: int,
        headers: Headers = None,
    ) -> None:
        """Send a store's change (``headers``: the record's, e.g. the suppression buffer's
        format version); its offset is reported in ``changelog_offsets`` once acknowledged."""


class KafkaRecordCollector:
    """Sends records with a confluent-kafka ``Producer`` and remembers delivery failures.

    Delivery reports arrive through the producer's ``on_delivery`` callback;
    :meth:`check_errors` (called by the thread's loop and by :meth:`flush`) asks
    ``production.exception.handler`` about the failed records (see
    :mod:`kstreams.runtime.send_errors`) and raises :class:`ProductionError` unless it
    continued for all of them, so offsets are never committed past a lost record.

    Records bigger than their topic's ``max.message.bytes`` are refused before they are sent
    (:meth:`record_limit`, read once per topic with ``describe_configs``):
    :meth:`send` raises :class:`~kstreams.errors.RecordTooLargeError`, which sinks hand to
    the handler, and dead letter records are cut to fit (:meth:`send_dead_letter`).
    """

    def __init__(self, producer: Any, metadata_timeout: float = 10.0) -> None:
        self.producer = producer
        self._partitions: dict[str, int] = {}
        self._errors: list[Failure] = []
        self._lock = threading.Lock()
        self._metadata_timeout = metadata_timeout
        self.changelog_offsets: dict[tuple[str, int], int] = {}
        """The offset of the last acknowledged changelog record of each changelog partition."""
        self.offsets_from_log = False
        """Whether changelog offsets are read from the log ends after a flush
        (:meth:`read_changelog_offsets`) rather than from delivery reports (the producer
        reports failures only: ``delivery.report.only.error``)."""
        self._changelog_written: set[tuple[str, int]] = set()
        self._changelog_unread = 0
        """Changelog records sent since the ends were last read."""
        self.send_failures: SendFailures | None = None
        """Asks the production exception handler about refused records (set by :meth:`bind`)."""
        self._config: Any = None
        self._limits: dict[str, int | None] = {}
        self._message_max_bytes = LIBRDKAFKA_MESSAGE_MAX_BYTES
        self._check_sizes = False
        self.admin: Any = None
        """The client's admin client (set by the stream thread): topic configs are read with
        it; closing the client closes it, so the collector owns no client of its own."""

    def bind(self, config: Any, metrics: Any) -> SendFailures:
        """Called by each task of the thread: the first one sets up the production handler.

        ``config`` is the StreamsConfig (the handler, the guarantee, the producer's
        compression and ``message.max.bytes``); ``metrics`` counts dropped records.
        """
        if self.send_failures is None:
            self._config = config
            producer_config = config.producer_config(client_id="kstreams-limits")
            self._message_max_bytes = int(
                producer_config.get("message.max.bytes", LIBRDKAFKA_MESSAGE_MAX_BYTES)
            )
            compression = producer_config.get(
                "compression.type", producer_config.get("compression.codec")
            )
            # a compressing producer's batches may be smaller than their records: the broker
            # decides (an uncompressed size check would refuse records it accepts)
            self._check_sizes = compression in _UNCOMPRESSED
            self.send_failures = SendFailures(
                config.production_exception_handler,
                metrics,
                bool(config.exactly_once),
                self.send_dead_letter,
            )
        return self.send_failures

    def record_limit(self, topic: str) -> int | None:
        """The largest record ``topic`` accepts (bytes of a batch holding it alone), or None
        when it is not checked before sending (a compressing producer, or unknown).

        The topic's ``max.message.bytes`` is read once with ``describe_configs``.
        """
        if topic in self._limits:
            return self._limits[topic]
        limit: int | None = None
        if self._check_sizes:
            limit = self._describe_limit(topic)
        self._limits[topic] = limit
        return limit

    def _describe_limit(self, topic: str) -> int | None:
        try:
            if self.admin is None:
                raise StreamsError("no admin client")
            resource = ConfigResource("topic", topic)
            entries = self.admin.describe_configs([resource])[resource].result(
                timeout=self._metadata_timeout
            )
            return min(int(entries["max.message.bytes"].value), self._message_max_bytes)
        except Exception as exc:
            log.warning(
                "Could not read max.message.bytes of topic %s (%s): its records are not "
                "checked before sending; the broker refuses those that are too large",
                topic,
                exc,
            )
            return None

    def on_delivery(self, err: Any, msg: Any) -> None:
        """Delivery callback (set as the producer's ``on_delivery``); records failures.

        Records purged by an aborted transaction are no failure of their own: the error that
        made the transaction abort is reported instead.
        """
        if err is not None and err.code() not in _PURGED:
            with self._lock:
                self._errors.append((msg.topic(), msg.partition(), err, msg))

    def delivery_failure(self) -> StreamsError | None:
        """The error the failures reported so far stop the thread with (and forget them); None
        if there are none or the production handler continued for all of them."""
        self.producer.poll(0)  # serve the delivery reports that are in
        if not self._errors:
            return None
        with self._lock:
            errors, self._errors = self._errors, []
        if self.send_failures is None:
            return delivery_error(errors)
        return self.send_failures.resolve(errors)

    def send(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        timestamp: int,
        headers: Headers,
        partition: int | None,
    ) -> None:
        """Send one record; raises :class:`~kstreams.errors.RecordTooLargeError` if it is bigger
        than ``topic`` accepts (it is not sent)."""
        limit = self._limits.get(topic, _UNREAD)
        if limit is _UNREAD:
            limit = self.record_limit(topic)
        # as the fast sinks: only a record near the limit (or with headers) is measured exactly
        if limit is not None and (
            headers or len(key or b"") + len(value or b"") > limit - CHECK_MARGIN
        ):
            size = batch_size(key, value, headers)
            if size > limit:
                raise too_large(topic, size, limit, partition)
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

    def send_dead_letter(self, record: ProducerRecord[bytes, bytes], timestamp: int = -1) -> None:
        """Send a dead letter record, cut to fit its topic (see
        :func:`~kstreams.runtime.dead_letters.fit_dead_letter`): writing it never fails for
        its size."""
        limit = self.record_limit(record.topic)
        record = fit_dead_letter(record, self._message_max_bytes if limit is None else limit)
        ts = record.timestamp
        self.send(
            record.topic,
            record.key,
            record.value,
            (timestamp if timestamp >= 0 else 0) if ts is None else ts,
            list(record.headers),
            record.partition,
        )

    def produce_fn(self) -> Any:
        """The producer's ``produce``, for sinks that send records without headers themselves.

        Called as ``produce(topic, value, key, UNASSIGNED, None, None, timestamp)`` (see
        :data:`UNASSIGNED`); on ``BufferError`` (the local queue is full) the caller falls
        back to :meth:`send`, which waits for room. Delivery failures are reported like
        those of :meth:`send`. Such a sink checks the record's size against
        :meth:`record_limit` itself.
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
        self,
        topic: str,
        key: bytes,
        value: bytes | None,
        timestamp: int,
        partition: int,
        headers: Headers = None,
    ) -> None:
        """Send a store's change to its changelog partition, tracking the acknowledged offset."""
        if self.offsets_from_log:
            self._changelog_written.add((topic, partition))
            self._changelog_unread += 1
            callback = None  # failures reach on_delivery
        else:
            callback = self._on_changelog_delivery
        while True:
            try:
                # the callback goes in the ``callback`` slot: when it is given (None too),
                # produce ignores its ``on_delivery`` alias
                self.producer.produce(
                    topic, value, key, partition, callback, None, timestamp, headers
                )
                break
            except BufferError:
                self.producer.poll(0.05)
            except KafkaException as exc:
                raise produce_failed(topic, exc) from exc

    def send_changelogs(
        self, topic: str, partition: int, records: Collection[tuple[bytes, bytes | None, int]]
    ) -> None:
        """Send a store's changes to its changelog partition in one call: each ``(key, value,
        timestamp)`` of ``records`` in turn, as :meth:`send_changelog` would (no headers).

        A commit's flush sends every changed key of a store this way: one Python call per
        store and commit instead of one per record (the producer's ``produce`` is called
        positionally, see :data:`UNASSIGNED`).
        """
        if not records:
            return
        if self.offsets_from_log:
            self._changelog_written.add((topic, partition))
            self._changelog_unread += len(records)
            callback = None  # failures reach on_delivery
        else:
            callback = self._on_changelog_delivery
        produce = self.producer.produce
        try:
            for key, value, ts in records:
                try:
                    produce(topic, value, key, partition, callback, None, ts, None)
                except BufferError:
                    self._produce_when_room(topic, value, key, partition, callback, ts)
        except KafkaException as exc:
            raise produce_failed(topic, exc) from exc

    def _produce_when_room(
        self, topic: str, value: Any, key: Any, partition: int, callback: Any, ts: int
    ) -> None:
        # The local queue is full: serve delivery reports until there is room.
        producer = self.producer
        while True:
            producer.poll(0.05)
            try:
                producer.produce(topic, value, key, partition, callback, None, ts, None)
                return
            except BufferError:
                continue

    def read_changelog_offsets(self, consumer: Any, timeout: float = 30.0) -> None:
        """After a flush, with :attr:`offsets_from_log`: the offset of the last record (or
        transaction marker) of each changelog partition written since the last call, read from its log end with one
        ListOffsets request per broker through ``consumer``. Only this task writes those
        partitions and every record sent is acknowledged, so the last offset is its own."""
        if not self._changelog_written:
            return
        asked = [TopicPartition(t, p, OFFSET_END) for t, p in sorted(self._changelog_written)]
        try:
            ends = consumer.offsets_for_times(asked, timeout)
        except KafkaException as exc:
            raise StreamsError(
                f"Could not read the end offsets of changelogs {sorted(self._changelog_written)}"
                f" after a commit: {exc.args[0]}"
            ) from exc
        for tp in ends:
            if tp.error is not None or tp.offset <= 0:
                raise StreamsError(
                    f"Could not read the end offset of changelog {tp.topic}-{tp.partition} "
                    f"after a commit: {tp.error or f'offset {tp.offset}'}"
                )
            self.changelog_offsets[(tp.topic, tp.partition)] = tp.offset - 1
        self._changelog_written.clear()
        self._changelog_unread = 0

    def changelog_offsets_due(self) -> bool:
        """Whether :data:`CHECKPOINT_RECORDS` changelog records or more were sent since the
        ends were last read: a periodic commit reads them again only then (Kafka Streams
        writes a checkpoint when a store's offset moved by that much)."""
        return self._changelog_unread >= CHECKPOINT_RECORDS

    def read_changelog_offsets_after_transaction(
        self, consumer: Any, timeout: float = 30.0
    ) -> None:
        """Under exactly-once, after the transaction committed (every record acknowledged):
        read the changelog ends as :meth:`read_changelog_offsets` does; each is then the
        offset after the transaction's marker, so a checkpoint there restores nothing.

        When the ends cannot be read the offsets stay where they were: checkpoints behind
        the stores' data cost a longer restoration after a crash (the changelog's committed
        values are replayed over the same values), never a wrong one; a later commit reads
        the ends again.
        """
        try:
            self.read_changelog_offsets(consumer, timeout)
        except StreamsError as exc:
            log.warning("%s; the changelog checkpoints stay behind until the next commit", exc)

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
        """Ask the production handler about records that failed to be delivered; raise
        :class:`ProductionError` unless it continued for all of them."""
        if self._errors:
            with self._lock:
                errors, self._errors = self._errors, []
            error = (
                delivery_error(errors)
                if self.send_failures is None
                else self.send_failures.resolve(errors)
            )
            if error is not None:
                raise error

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
