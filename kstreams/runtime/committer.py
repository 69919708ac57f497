"""How a stream thread commits: at-least-once or exactly-once (Kafka transactions).

* :class:`AtLeastOnceCommitter` -- flush the producer (every output and
  changelog record acknowledged), then commit the input offsets with the
  consumer. A crash replays what came after the last commit.
* :class:`ExactlyOnceCommitter` -- one transactional producer per thread
  (``transactional.id = <application.id>-<process id>-<thread index>``, as in
  Kafka Streams' exactly_once_v2). Outputs, repartition and changelog records
  and the input offsets (``send_offsets_to_transaction`` with the consumer's
  group metadata, so a zombie from an old generation is fenced) are committed
  atomically; a crash leaves the transaction to abort.

Both raise :class:`~kstreams.errors.TaskMigratedError` when the group moved on
(the tasks must be closed without committing and rejoin), and
:class:`TransactionAbortedError` when a transaction had to be aborted (the
tasks must be rewound to their last committed offsets).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from confluent_kafka import KafkaError, KafkaException, TopicPartition

from kstreams.errors import StreamsError, TaskMigratedError
from kstreams.runtime.bounded_call import BoundedCall, CallThread, StuckCall
from kstreams.runtime.clients import close_producer

log = logging.getLogger("kstreams")

MIGRATED_CODES = {
    KafkaError.REBALANCE_IN_PROGRESS,
    KafkaError.ILLEGAL_GENERATION,
    KafkaError.UNKNOWN_MEMBER_ID,
    KafkaError.FENCED_INSTANCE_ID,
    KafkaError._ASSIGNMENT_LOST,
    KafkaError.STALE_MEMBER_EPOCH,
    KafkaError.FENCED_MEMBER_EPOCH,
}
"""Errors that mean the consumer group has moved on without this member (or, under the
consumer protocol, past the member epoch the commit carried: Java's CommitFailedException,
which Kafka Streams turns into TaskMigratedException)."""

STALE_EPOCH_RETRY_S = 5.0
"""How long an offset commit refused for a stale member epoch (KIP-848: the epoch moved while
the commit was on its way; librdkafka retries its own commits then, not the application's) is
tried again before the tasks count as migrated."""

FENCED_CODES = {
    KafkaError._FENCED,
    KafkaError.PRODUCER_FENCED,
    KafkaError.INVALID_PRODUCER_EPOCH,
    KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
}
"""Errors that mean this producer can never commit again."""

TXN_TIMEOUT_S = 30.0
"""How long one transactional call (and its retries) may take before the transaction is given up."""

RETRY_BACKOFF_S = (0.05, 1.0)
"""First and longest wait between two tries of a transactional call (doubling in between)."""

RETRY_LOG_EVERY_S = 5.0
"""A call that keeps being retried is logged once, then at most this often."""

STUCK_GRACE_S = 10.0
"""How long past its own timeout ``send_offsets_to_transaction`` may block before its producer
counts as stuck (see :class:`~kstreams.runtime.bounded_call.BoundedCall`)."""

FATAL_HINTS = {
    KafkaError.INVALID_TRANSACTION_TIMEOUT: (
        "producer.transaction.timeout.ms is larger than the brokers' "
        "transaction.max.timeout.ms: lower it, or raise the brokers' limit"
    ),
    KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED: (
        "the principal may not use the thread's transactional.id "
        "(<application.id>-<process id>-<thread index>): grant it WRITE and DESCRIBE on that "
        "TransactionalId (a PREFIXED ACL on the application.id covers every thread)"
    ),
}
"""What to do about a fatal transactional error, by code; others: fenced or a duplicate id."""

FENCED_HINT = "Another instance may use the same transactional.id, or the producer was fenced."


class TransactionAbortedError(StreamsError):
    """The open transaction was aborted; the tasks must be rewound to their committed offsets."""


def _offsets_key(offsets: list[TopicPartition]) -> list[tuple[str, int, int, str | None]]:
    return [(tp.topic, tp.partition, tp.offset, tp.metadata) for tp in offsets]


class _OffsetsAhead:
    """A ``send_offsets_to_transaction`` started before the commit (see
    :meth:`ExactlyOnceCommitter.send_offsets`)."""

    __slots__ = ("call", "fn", "key")

    def __init__(
        self, offsets: list[TopicPartition], fn: Callable[[float], Any], call: BoundedCall
    ):
        self.key = _offsets_key(offsets)
        self.fn = fn
        self.call = call


class AtLeastOnceCommitter:
    """Flush, then commit offsets through the consumer."""

    exactly_once = False

    def send_offsets(self, offsets: list[TopicPartition], in_poll: bool = False) -> None:
        """Nothing to send ahead: offsets are committed after the flush."""

    def __init__(self, consumer: Any, producer: Any, collector: Any, name: str) -> None:
        self.consumer = consumer
        self.producer = producer
        self.collector = collector
        self.name = name

    def start(self) -> None:
        """Nothing to prepare."""

    def commit(self, offsets: list[TopicPartition]) -> None:
        """Make every sent record durable, then commit ``offsets``."""
        self.collector.flush()
        if not offsets:
            return
        deadline = time.monotonic() + STALE_EPOCH_RETRY_S
        backoff, longest = RETRY_BACKOFF_S
        while True:
            try:
                self.consumer.commit(offsets=offsets, asynchronous=False)
                return
            except KafkaException as exc:
                err = exc.args[0]
                if err.code() == KafkaError.STALE_MEMBER_EPOCH and time.monotonic() < deadline:
                    # the heartbeat that librdkafka sends at once brings the current epoch;
                    # the partitions are still this member's (it revokes before its epoch moves)
                    time.sleep(backoff)
                    backoff = min(backoff * 2, longest)
                    continue
                if err.code() in MIGRATED_CODES:
                    raise TaskMigratedError(
                        f"offset commit failed because the group rebalanced: {err}"
                    ) from exc
                raise

    def abort(self, renew: bool = False) -> None:
        """Nothing to abort: records already sent stay sent (at-least-once); ``renew`` is
        for the transactional producer only."""

    def close(self) -> None:
        """Nothing to close."""


class ExactlyOnceCommitter:
    """Commit outputs, changelogs and input offsets in one Kafka transaction."""

    exactly_once = True

    def __init__(
        self,
        consumer: Any,
        producer: Any,
        collector: Any,
        name: str,
        stall_timeout_s: float = TXN_TIMEOUT_S,
        replace_producer: Callable[[], Any] | None = None,
    ) -> None:
        self.consumer = consumer
        self.producer = producer
        self.collector = collector
        self.name = name
        self.stall_timeout_s = max(stall_timeout_s, TXN_TIMEOUT_S)
        """How long ``init_transactions`` may keep failing for a retriable reason
        (``task.timeout.ms``): the thread waits for the brokers rather than dying while one
        restarts."""
        self.replace_producer = replace_producer
        """Returns a new producer (with the same ``transactional.id``) in place of one whose
        abort keeps timing out (see :mod:`kstreams.runtime.streams_producer`); the caller's
        tasks must then be closed and rewound, since they hold the old producer."""
        self._in_txn = False
        self._initializing = False
        self._ahead: _OffsetsAhead | None = None
        self._helper: CallThread | None = None
        """Runs the bounded calls (:meth:`_try`); replaced when one of them got stuck."""

    def start(self) -> None:
        """``init_transactions`` (fencing an older producer with the same id), then begin one."""
        self._init()
        self._begin()

    def _init(self) -> None:
        self._initializing = True
        try:
            self._call(
                "init_transactions",
                lambda t: self.producer.init_transactions(t),
                self.stall_timeout_s,
            )
        finally:
            self._initializing = False

    def _begin(self) -> None:
        self._call("begin_transaction", lambda _t: self.producer.begin_transaction())
        self._in_txn = True

    def _replaceable(self, err: Any) -> bool:
        """Whether a fatal or fencing ``err`` is cured by a new producer: not a settings or
        authorization problem (the new one would fail the same way), nor one of a producer
        that was just created."""
        return (
            self.replace_producer is not None
            and not self._initializing
            and err.code() not in FATAL_HINTS
        )

    def _replace(self, reason: str, close_old: bool = True) -> None:
        """A new producer (same ``transactional.id``) in place of this one; its
        ``init_transactions`` fences the old one, whose transaction the broker aborts.
        ``close_old=False``: a call still runs inside the old one, which closes it after."""
        log.warning(
            "stream-thread [%s] %s: replacing the producer; the new one's init_transactions "
            "fences this one and the broker aborts its transaction",
            self.name,
            reason,
        )
        assert self.replace_producer is not None
        self._in_txn = False
        self.producer = self.replace_producer() if close_old else self.replace_producer(False)
        self._init()

    def send_offsets(self, offsets: list[TopicPartition], in_poll: bool = False) -> None:
        """Start adding ``offsets`` to the transaction, on a helper thread, and return at once.

        The stream thread calls this before it flushes its caches: the input offsets of a
        commit are known before the flush (which sends changelog and output records, but
        consumes nothing), so the two round trips of ``send_offsets_to_transaction``
        (AddOffsetsToTxn to the transaction coordinator, TxnOffsetCommit to the group
        coordinator) overlap the flush instead of following it. The transaction commits the
        offsets, the flush's records and everything before atomically all the same.
        :meth:`commit` waits for the call (and sends the offsets it is given again if they
        differ); no other transactional call runs beside it (:meth:`abort`, :meth:`close`
        wait for it first).

        The consumer's group metadata is read on the helper (~1 ms per commit off the stream
        thread under load), unless ``in_poll``: the caller is inside the consumer's poll (a
        rebalance callback) and reads it here. confluent-kafka 2.16+ lets one thread at a time
        into a consumer (other threads wait at its gate until the call in progress returns;
        the thread inside it and its callbacks get in), so the helper's read would wait for
        the poll, which waits for this commit: ``send_offsets_to_transaction`` "stalled" until
        the bounded call gave up and the producer was replaced (docs/benchmarks.md).
        """
        self._settle_ahead()
        if not offsets:
            return
        producer, consumer = self.producer, self.consumer
        group = consumer.consumer_group_metadata() if in_poll else None

        def fn(t: float) -> None:
            # a few milliseconds later than the stream thread would have, in the same commit
            # (a retry reads it again only if the helper read it the first time)
            meta = consumer.consumer_group_metadata() if group is None else group
            producer.send_offsets_to_transaction(offsets, meta, t)

        self._ahead = _OffsetsAhead(offsets, fn, self._start_call(fn, TXN_TIMEOUT_S))

    def _start_call(self, fn: Callable[[float], Any], timeout_s: float) -> BoundedCall:
        """``fn(timeout_s)`` handed to the helper thread (started on first use): the stream
        thread does not wait for a thread to start."""
        if self._helper is None:
            self._helper = CallThread(f"{self.name}-transactional-calls")
        call = BoundedCall(fn, timeout_s)
        self._helper.submit(call)
        return call

    def _settle_ahead(self) -> None:
        """Wait for a ``send_offsets_to_transaction`` started ahead whose commit will not come
        (an abort, a close, a commit that failed before it): no other transactional call may
        run beside it, and its outcome no longer matters."""
        ahead, self._ahead = self._ahead, None
        if ahead is None:
            return
        try:
            self._try("send_offsets_to_transaction", ahead.fn, TXN_TIMEOUT_S, True, ahead.call)
        except Exception as exc:  # the transaction is given up anyway
            log.debug(
                "stream-thread [%s] send_offsets_to_transaction of a transaction given up: %s",
                self.name,
                exc,
            )

    def commit(self, offsets: list[TopicPartition]) -> None:
        """Add ``offsets`` to the transaction (waiting for :meth:`send_offsets` if it sent
        them ahead) and commit it; then open the next one."""
        ahead, self._ahead = self._ahead, None
        if ahead is not None:
            # its outcome first: a failure makes the transaction abort, whatever comes next
            self._call("send_offsets_to_transaction", ahead.fn, bounded=True, started=ahead.call)
            if ahead.key == _offsets_key(offsets):
                offsets = []  # sent
        if offsets:
            group = self.consumer.consumer_group_metadata()
            self._call(
                "send_offsets_to_transaction",
                lambda t: self.producer.send_offsets_to_transaction(offsets, group, t),
                bounded=True,
            )
        try:
            self._call("commit_transaction", lambda t: self.producer.commit_transaction(t))
        except TransactionAbortedError as exc:
            # a record the broker refused (too large, unknown topic, ...) fails the commit:
            # that is the cause to report (production.exception.handler is asked about it,
            # see kstreams.runtime.send_errors), and retrying from the committed offsets
            # would fail the same way forever
            failure = self.collector.delivery_failure()
            if failure is not None:
                raise failure from exc  # it says the transaction was aborted, and why
            raise
        self._in_txn = False
        self.collector.check_errors()
        self._begin()

    def abort(self, renew: bool = False) -> None:
        """Abort the open transaction (nothing of it becomes visible) and open a new one.

        ``renew``: the transaction failed because records could not be delivered (they timed
        out while a broker was away); the next one begins on a new producer (when the thread
        can give one). librdkafka's idempotence state after such timeouts can fail the next
        transaction too (OUT_OF_ORDER_SEQUENCE_NUMBER, "requires epoch bump", seen after a
        transaction coordinator's broker died), and that failure reaches the thread through
        ``produce()`` (``_STATE``), which stops it; a new producer starts with a new epoch
        from its ``init_transactions``, which also fences this one.
        """
        self._settle_ahead()
        if self._in_txn:
            self._abort_quietly()
        self.collector.discard_errors()
        if renew and self.replace_producer is not None:
            self._replace("records of the aborted transaction could not be delivered")
        self._begin()

    def close(self) -> None:
        """Abort whatever is open (used when closing without a commit); end the helper thread."""
        self._settle_ahead()
        if self._helper is not None:
            self._helper.stop()
            self._helper = None
        if self._in_txn:
            try:
                self.producer.abort_transaction(10)
            except KafkaException as exc:
                log.debug("stream-thread [%s] abort at close: %s", self.name, exc)
            self._in_txn = False

    def _try(
        self,
        what: str,
        fn: Any,
        timeout_s: float,
        bounded: bool,
        started: BoundedCall | None = None,
    ) -> None:
        """One try: ``fn(timeout_s)``; ``bounded``: on a helper thread, given up (the producer
        replaced, the transaction aborted) when it has not returned ``STUCK_GRACE_S`` after
        ``timeout_s``; ``started``: that helper thread, started already (its outcome is this
        try's)."""
        if not bounded:
            fn(timeout_s)
            return
        producer, name = self.producer, f"stream-thread [{self.name}]"
        call = started or self._start_call(fn, timeout_s)
        try:
            call.result(
                timeout_s + STUCK_GRACE_S,
                lambda: close_producer(producer, 0.0, log, f"{name} (stuck producer)"),
            )
        except StuckCall as exc:
            self._helper = None  # inside the stuck call: it ends after it, if ever, returns
            if self.replace_producer is None:
                raise StreamsError(f"{what} did not return ({exc}) and cannot be given up") from exc
            self._replace(f"{what} did not return ({exc})", close_old=False)
            raise TransactionAbortedError(
                f"{what} did not return ({exc}); the producer was replaced"
            ) from exc

    def _call(
        self,
        what: str,
        fn: Any,
        timeout_s: float = TXN_TIMEOUT_S,
        bounded: bool = False,
        started: BoundedCall | None = None,
    ) -> None:
        """``fn(seconds)``, retried on retriable errors until ``timeout_s`` passed; each try
        gets at most what is left of it (at least 1 s), so retries never outlast it.
        ``bounded``, ``started`` (the first try, under way): see :meth:`_try`."""
        start = time.monotonic()
        deadline = start + timeout_s
        backoff, longest = RETRY_BACKOFF_S
        tries = 0
        logged_at = -RETRY_LOG_EVERY_S
        while True:
            try:
                first, started = started, None
                self._try(
                    what,
                    fn,
                    max(1.0, min(TXN_TIMEOUT_S, deadline - time.monotonic())),
                    bounded,
                    first,
                )
                return
            except KafkaException as exc:
                err = exc.args[0]
                if err.code() in MIGRATED_CODES:
                    self._abort_quietly()
                    raise TaskMigratedError(f"{what} failed: {err}") from exc
                if err.fatal() or err.code() in FENCED_CODES:
                    if self._replaceable(err):
                        # e.g. INVALID_TXN_STATE after the coordinator timed the transaction
                        # out while a broker was away: librdkafka makes that fatal, Kafka
                        # Streams resets its producer after such errors (fencing) too
                        self._replace(f"{what} failed: {err}")
                        if what == "begin_transaction":
                            continue  # nothing was in the transaction: begin on the new one
                        raise TransactionAbortedError(
                            f"{what} failed ({err}); the producer was replaced"
                        ) from exc
                    hint = FATAL_HINTS.get(err.code(), FENCED_HINT)
                    raise StreamsError(
                        f"fatal transactional producer error in {what}: {err}. {hint}"
                    ) from exc
                if err.txn_requires_abort():
                    self._abort_quietly()
                    raise TransactionAbortedError(
                        f"{what} failed and the transaction was aborted: {err}"
                    ) from exc
                if err.retriable() and time.monotonic() < deadline:
                    tries += 1
                    now = time.monotonic()
                    if now - logged_at >= RETRY_LOG_EVERY_S:
                        logged_at = now
                        log.info(
                            "stream-thread [%s] %s failed (try %d, retrying for up to %.0fs): %s",
                            self.name,
                            what,
                            tries,
                            deadline - now,
                            err,
                        )
                    time.sleep(backoff)
                    backoff = min(backoff * 2, longest)
                    continue
                if err.retriable() and self._in_txn:
                    # retried long enough: give the transaction up and start again from the
                    # committed offsets (the coordinator aborts it anyway after its timeout)
                    self._abort_quietly()
                    raise TransactionAbortedError(
                        f"{what} kept failing for {timeout_s:.0f}s: {err}"
                    ) from exc
                raise StreamsError(f"{what} failed: {err}") from exc

    def _abort_quietly(self) -> None:
        # an abort that fails for a retriable reason must be retried (librdkafka refuses a
        # new transaction while an abort is in progress); one that keeps failing for
        # TXN_TIMEOUT_S gets a new producer (if the thread can give one), whose
        # init_transactions fences this one: the broker aborts its transaction
        self._in_txn = False
        start = time.monotonic()
        deadline = start + TXN_TIMEOUT_S
        backoff, longest = RETRY_BACKOFF_S
        tries = 0
        logged_at = -RETRY_LOG_EVERY_S
        while True:
            try:
                self.producer.abort_transaction(TXN_TIMEOUT_S)
                if tries:
                    log.info(
                        "stream-thread [%s] abort_transaction succeeded after %d tries (%.0fs)",
                        self.name,
                        tries + 1,
                        time.monotonic() - start,
                    )
                return
            except KafkaException as exc:
                err = exc.args[0]
                now = time.monotonic()
                if err.retriable() and now < deadline:
                    tries += 1
                    if now - logged_at >= RETRY_LOG_EVERY_S:
                        logged_at = now
                        log.info(
                            "stream-thread [%s] abort_transaction failed (try %d, retrying for "
                            "up to %.0fs): %s",
                            self.name,
                            tries,
                            deadline - now,
                            err,
                        )
                    time.sleep(backoff)
                    backoff = min(backoff * 2, longest)
                    continue
                if not err.fatal() and not err.retriable():
                    log.warning("stream-thread [%s] abort_transaction failed: %s", self.name, err)
                    return
                if self._replaceable(err):
                    # retriable: it kept timing out; fatal: e.g. INVALID_TXN_STATE for a
                    # transaction the coordinator already aborted (librdkafka#3297)
                    self._replace(
                        f"abort_transaction kept failing for {now - start:.0f}s ({err})"
                        if err.retriable()
                        else f"abort_transaction failed ({err})"
                    )
                    return
                raise StreamsError(
                    f"could not abort the transaction (tried for {now - start:.0f}s): {err}. "
                    "The stream thread stops (REPLACE_THREAD starts one with a new producer)."
                ) from exc
