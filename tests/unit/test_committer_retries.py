"""Transactional calls retry with backoff, log rarely, and give up in bounded time."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException, TopicPartition

from kstreams.errors import StreamsError
from kstreams.runtime import committer as committer_module
from kstreams.runtime.committer import ExactlyOnceCommitter, TransactionAbortedError


def conflict() -> KafkaException:
    return KafkaException(
        KafkaError(
            KafkaError._CONFLICT,
            "abort_transaction API call is already in progress",
            retriable=True,
        )
    )


class Producer:
    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0

    def begin_transaction(self) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise conflict()


def test_retries_back_off_and_are_logged_rarely(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    sleeps: list[float] = []
    monkeypatch.setattr(committer_module.time, "sleep", sleeps.append)
    producer = Producer(failures=8)
    c = ExactlyOnceCommitter(None, producer, None, "t")
    with caplog.at_level(logging.INFO, logger="kstreams"):
        c._begin()
    assert producer.calls == 9
    assert sleeps == [0.05, 0.1, 0.2, 0.4, 0.8, 1.0, 1.0, 1.0]
    retries = [r for r in caplog.records if "retrying" in r.getMessage()]
    assert len(retries) == 1  # not one line per try


def test_a_call_that_keeps_failing_gives_up(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = fake_clock(monkeypatch)
    c = ExactlyOnceCommitter(None, Producer(failures=10**9), None, "t")
    with pytest.raises(StreamsError, match="begin_transaction failed"):
        c._begin()
    assert clock[0] <= committer_module.TXN_TIMEOUT_S + 1.0


def timed_out() -> KafkaException:
    return KafkaException(
        KafkaError(
            KafkaError._TIMED_OUT,
            "Timed out waiting for operation to finish, retry call to resume",
            retriable=True,
        )
    )


class TxnProducer:
    """A transactional producer whose abort times out ``stuck`` times (forever: None)."""

    def __init__(self, stuck: int | None = 0) -> None:
        self.stuck = stuck
        self.aborts = self.inits = self.begins = 0

    def init_transactions(self, timeout: float) -> None:
        self.inits += 1

    def begin_transaction(self) -> None:
        self.begins += 1

    def abort_transaction(self, timeout: float) -> None:
        self.aborts += 1
        if self.stuck is None or self.aborts <= self.stuck:
            raise timed_out()


class Collector:
    def discard_errors(self) -> None:
        pass

    def delivery_failure(self) -> None:
        return None


def fake_clock(
    monkeypatch: pytest.MonkeyPatch,
    module: Any = committer_module,
    sleeps: list[float] | None = None,
) -> list[float]:
    """``module``'s ``time.sleep`` advances its ``time.monotonic`` (the waits in ``sleeps``)."""
    clock = [0.0]

    def sleep(s: float) -> None:
        clock[0] += s
        if sleeps is not None:
            sleeps.append(s)

    monkeypatch.setattr(module.time, "sleep", sleep)
    monkeypatch.setattr(module.time, "monotonic", lambda: clock[0])
    return clock


def test_an_abort_that_keeps_timing_out_gets_a_new_producer(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # librdkafka can keep a transactional request queued for a coordinator connection that
    # never comes back after a broker restart: the abort times out for as long as it lives
    clock = fake_clock(monkeypatch)
    stuck, fresh = TxnProducer(stuck=None), TxnProducer()
    c = ExactlyOnceCommitter(None, stuck, Collector(), "t", replace_producer=lambda: fresh)
    c._in_txn = True
    with caplog.at_level(logging.WARNING, logger="kstreams"):
        c.abort()
    assert c.producer is fresh
    assert fresh.inits == 1 and fresh.begins == 1  # init_transactions fences the stuck one
    assert stuck.aborts > 1
    assert committer_module.TXN_TIMEOUT_S <= clock[0] <= committer_module.TXN_TIMEOUT_S + 1.0
    assert any("replacing the producer" in r.getMessage() for r in caplog.records)


def test_an_abort_that_recovers_keeps_its_producer(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_clock(monkeypatch)
    producer = TxnProducer(stuck=3)
    c = ExactlyOnceCommitter(None, producer, Collector(), "t", replace_producer=lambda: None)
    c._in_txn = True
    c.abort()
    assert c.producer is producer and producer.aborts == 4 and producer.begins == 1


def test_without_a_replacement_a_stuck_abort_stops_the_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake_clock(monkeypatch)
    c = ExactlyOnceCommitter(None, TxnProducer(stuck=None), Collector(), "t")
    c._in_txn = True
    with pytest.raises(StreamsError, match="could not abort the transaction"):
        c.abort()


def test_init_transactions_waits_for_the_brokers_up_to_task_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = fake_clock(monkeypatch)

    class Down(TxnProducer):
        def init_transactions(self, timeout: float) -> None:
            self.inits += 1
            if clock[0] < 100.0:  # the brokers are back after 100 s
                raise timed_out()

    producer = Down()
    ExactlyOnceCommitter(None, producer, Collector(), "t", stall_timeout_s=300.0).start()
    assert producer.begins == 1 and 100.0 <= clock[0] < 102.0
    clock[0] = 0.0
    down = Down()
    with pytest.raises(StreamsError, match="init_transactions failed"):
        ExactlyOnceCommitter(None, down, Collector(), "t", stall_timeout_s=60.0).start()


def fatal(code: int, text: str) -> KafkaException:
    return KafkaException(KafkaError(code, text, fatal=True))


def test_a_fatal_abort_after_a_broker_restart_gets_a_new_producer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the coordinator aborted the transaction while the broker was away; librdkafka makes
    # the client's own abort fatal (INVALID_TXN_STATE): a new producer carries on
    fake_clock(monkeypatch)

    class Invalid(TxnProducer):
        def abort_transaction(self, timeout: float) -> None:
            self.aborts += 1
            raise fatal(KafkaError.INVALID_TXN_STATE, "Failed to end transaction")

    fresh = TxnProducer()
    c = ExactlyOnceCommitter(None, Invalid(), Collector(), "t", replace_producer=lambda: fresh)
    c._in_txn = True
    c.abort()
    assert c.producer is fresh and fresh.inits == 1 and fresh.begins == 1


def test_a_fatal_commit_rewinds_on_a_new_producer(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_clock(monkeypatch)

    class Invalid(TxnProducer):
        def commit_transaction(self, timeout: float) -> None:
            raise fatal(KafkaError.INVALID_TXN_STATE, "Failed to end transaction")

    fresh = TxnProducer()
    c = ExactlyOnceCommitter(None, Invalid(), Collector(), "t", replace_producer=lambda: fresh)
    c._in_txn = True
    with pytest.raises(committer_module.TransactionAbortedError, match="producer was replaced"):
        c.commit([])
    assert c.producer is fresh and fresh.inits == 1


def test_a_settings_error_is_not_cured_by_a_new_producer(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_clock(monkeypatch)

    class Unauthorized(TxnProducer):
        def begin_transaction(self) -> None:
            raise fatal(KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, "not authorized")

    c = ExactlyOnceCommitter(
        None, Unauthorized(), Collector(), "t", replace_producer=lambda: TxnProducer()
    )
    with pytest.raises(StreamsError, match="grant it WRITE"):
        c._begin()


def test_send_offsets_retries_never_outlast_the_transaction_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # after the transaction coordinator's broker died, send_offsets_to_transaction can time
    # out try after try: every try gets only what is left of the 30 s, then the transaction
    # is given up (the tasks rewind) instead of the thread waiting a full timeout per try
    clock = fake_clock(monkeypatch)
    given: list[float] = []

    class Coordinatorless(TxnProducer):
        def send_offsets_to_transaction(self, offsets: Any, group: Any, timeout: float) -> None:
            given.append(timeout)
            clock[0] += min(timeout, 20.0)  # a try that waits 20 s, or as long as it may
            raise timed_out()

    class Consumer:
        def consumer_group_metadata(self) -> object:
            return object()

    producer = Coordinatorless()
    c = ExactlyOnceCommitter(Consumer(), producer, Collector(), "t")
    c._in_txn = True
    with pytest.raises(TransactionAbortedError, match="send_offsets_to_transaction kept failing"):
        c.commit([TopicPartition("in", 0, 5)])
    limit = committer_module.TXN_TIMEOUT_S
    assert given[0] == limit and given[1] < limit - 19.0  # the second try gets what is left
    assert clock[0] <= limit + 1.0  # not 20 s + a full 30 s
    assert producer.aborts == 1


def test_a_transaction_whose_records_timed_out_is_followed_on_a_new_producer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # records that timed out while the transaction coordinator's broker was away leave
    # librdkafka's idempotence state suspect: the next transaction on the same producer failed
    # with OUT_OF_ORDER_SEQUENCE_NUMBER, which produce() reports as _STATE (the thread stopped)
    fake_clock(monkeypatch)
    old, fresh = TxnProducer(), TxnProducer()
    c = ExactlyOnceCommitter(None, old, Collector(), "t", replace_producer=lambda: fresh)
    c._in_txn = True
    c.abort(renew=True)
    assert old.aborts == 1 and old.begins == 0  # aborted first, then retired
    assert c.producer is fresh and fresh.inits == 1 and fresh.begins == 1


def test_renewing_needs_a_thread_that_can_give_a_producer(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_clock(monkeypatch)
    producer = TxnProducer()
    c = ExactlyOnceCommitter(None, producer, Collector(), "t")
    c._in_txn = True
    c.abort(renew=True)
    assert c.producer is producer and producer.aborts == 1 and producer.begins == 1


def test_a_corrupted_transaction_rewinds_on_a_renewed_producer_other_aborts_do_not() -> None:
    from kstreams.runtime.send_errors import TransactionCorruptedError
    from kstreams.runtime.thread_commit import ThreadCommitting

    class Committer:
        exactly_once = True

        def __init__(self) -> None:
            self.renews: list[bool] = []

        def send_offsets(self, offsets: list[TopicPartition], in_poll: bool = False) -> None:
            pass

        def commit(self, offsets: list[TopicPartition]) -> None:
            raise TransactionAbortedError("send_offsets_to_transaction failed")

        def abort(self, renew: bool = False) -> None:
            self.renews.append(renew)

    class Manager:
        assignment: set[tuple[str, int]] = set()  # nothing left to seek

        def close_all(self) -> None:
            pass

    class Thread(ThreadCommitting):
        def __init__(self) -> None:
            self.client_id = "t"
            self.committer = Committer()
            self.task_manager = Manager()
            self.collector = None  # the failing commit does not get to it
            self.tasks = {}

    thread = Thread()
    thread._recover_corrupted(TransactionCorruptedError("3 record(s) could not be delivered"))
    thread.commit_or_recover()  # an aborted transaction: same producer
    assert thread.committer.renews == [True, False]


def test_a_send_offsets_that_never_returns_gets_a_new_producer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # librdkafka's send_offsets_to_transaction waits for its operation without a limit; after
    # the coordinator's broker died it stayed in there for minutes (the cluster test's stall)
    import threading

    monkeypatch.setattr(committer_module, "STUCK_GRACE_S", 0.05)
    monkeypatch.setattr(committer_module, "TXN_TIMEOUT_S", 0.05)
    release, closed = threading.Event(), threading.Event()

    class Stuck(TxnProducer):
        def send_offsets_to_transaction(self, offsets: Any, group: Any, timeout: float) -> None:
            release.wait(10)  # far past its timeout

        def flush(self, timeout: float) -> int:
            return 0

        def purge(self) -> None:
            pass

        def close(self) -> None:
            closed.set()

    class Consumer:
        def consumer_group_metadata(self) -> object:
            return object()

    stuck, fresh = Stuck(), TxnProducer()
    replaced: list[bool] = []

    def replace(close_old: bool = True) -> TxnProducer:
        replaced.append(close_old)
        return fresh

    c = ExactlyOnceCommitter(Consumer(), stuck, Collector(), "t", replace_producer=replace)
    c._in_txn = True
    with pytest.raises(TransactionAbortedError, match=r"did not return.*producer was replaced"):
        c.commit([TopicPartition("in", 0, 5)])
    assert c.producer is fresh and fresh.inits == 1  # its init_transactions fences the old
    assert replaced == [False]  # not closed while the call is inside it ...
    assert not closed.is_set()
    release.set()
    assert closed.wait(5)  # ... but once the call returns
