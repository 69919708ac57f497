"""Failures on a real broker (issue 10 §3, §5): every fatal error reaches the uncaught-exception
handler and ERROR, is logged once with one traceback, and close() leaves no client alive."""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from helpers import StateRecorder, produce, streams_config, unique_app_id, wait_until

from kstreams import KafkaStreams, StreamsBuilder, StreamThreadExceptionResponse, Topology
from kstreams.errors import ClusterUnreachableError, MissingSourceTopicError, StreamsError
from kstreams.runtime import topics

pytestmark = pytest.mark.integration

State = KafkaStreams.State


def _passthrough(src: str, dst: str) -> Topology:
    builder = StreamsBuilder()
    builder.stream(src).to(dst)
    return builder.build()


def _error_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """kstreams' own ERROR records (``kstreams.client`` carries librdkafka's lines as it said
    them: a fatal error appears there too, in librdkafka's words, without a traceback)."""
    records = caplog.records
    with_traceback = [r for r in records if r.exc_info is not None and r.levelno >= logging.ERROR]
    errors = [r for r in records if r.name == "kstreams" and r.levelno >= logging.ERROR]
    assert with_traceback == errors[:1], "the failure's traceback is logged exactly once"
    return errors


def _librdkafka_threads() -> int:
    """How many librdkafka threads (``rdk:main``, ``rdk:broker…``) this process runs.

    Every librdkafka client has its own; they end only when the client is destroyed, so
    the count coming back down is what shows that no client of an app is left alive.
    """
    count = 0
    for tid in os.listdir("/proc/self/task"):
        with contextlib.suppress(OSError), open(f"/proc/self/task/{tid}/comm") as fh:
            count += fh.read().startswith("rdk:")
    return count


@pytest.fixture
def rdk_baseline() -> int:
    if not os.path.isdir("/proc/self/task"):
        pytest.skip("counting librdkafka threads needs Linux's /proc")
    gc.collect()  # clients of earlier tests that only wait for the collector
    return _librdkafka_threads()


# --------------------------------------------------------------------------- #
# any fatal error reaches the handler and ERROR
# --------------------------------------------------------------------------- #


def test_fatal_init_transactions_error_reaches_the_handler_and_error(
    kafka_bootstrap: str, new_topic: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """A transaction timeout above the brokers' transaction.max.timeout.ms (15 min by default)
    makes init_transactions fail fatally (INVALID_TRANSACTION_TIMEOUT); the clean-up's
    producer calls raise that error again and must not hide it."""
    src, dst = new_topic(), new_topic()
    config = streams_config(
        kafka_bootstrap,
        unique_app_id("fatal-init"),
        **{
            "processing.guarantee": "exactly_once_v2",
            "producer.transaction.timeout.ms": 3_600_000,
        },
    )
    states = StateRecorder()
    handled: list[BaseException] = []

    def handler(exc: BaseException) -> StreamThreadExceptionResponse:
        handled.append(exc)
        return StreamThreadExceptionResponse.SHUTDOWN_CLIENT

    streams = KafkaStreams(_passthrough(src, dst), config)
    streams.set_state_listener(states)
    streams.set_uncaught_exception_handler(handler)
    with caplog.at_level(logging.INFO, logger="kstreams"):
        try:
            streams.start()
            wait_until(lambda: streams.state is State.ERROR, 60, what="state ERROR")
        finally:
            assert streams.close(30) is True
    assert states.states == ["REBALANCING", "PENDING_ERROR", "ERROR"]
    [error] = handled
    assert streams.error is error
    assert isinstance(error, StreamsError)
    message = str(error)
    assert "init_transactions" in message and "INVALID_TRANSACTION_TIMEOUT" in message
    assert "transaction.max.timeout.ms" in message  # what to do
    [logged] = _error_records(caplog)  # the failure, once; the clean-up's repeats are not
    assert logged.exc_info is not None and logged.exc_info[1] is error
    thread = f"{streams.client_id}-StreamThread-1"
    assert logged.getMessage().count(thread) == 1
    assert "SHUTDOWN_CLIENT" in logged.getMessage()


def test_a_processing_error_is_logged_once_and_the_client_reaches_error(
    kafka_bootstrap: str, new_topic: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Default handlers: log_and_fail logs the error with its traceback; the thread's failure
    line refers to it instead of a second traceback, and names the thread once."""
    src, dst = new_topic(), new_topic()

    def check(value: str) -> str:
        if value == "poison":
            raise ValueError("no poison allowed")
        return value

    builder = StreamsBuilder()
    builder.stream(src).map_values(check).to(dst)
    streams = KafkaStreams(builder.build(), streams_config(kafka_bootstrap, unique_app_id("once")))
    states = StateRecorder()
    streams.set_state_listener(states)
    with caplog.at_level(logging.INFO, logger="kstreams"):
        try:
            streams.start()
            streams.wait_until_running(60)
            produce(kafka_bootstrap, src, [("k", "fine"), ("k", "poison")])
            wait_until(lambda: streams.state is State.ERROR, 60, what="state ERROR")
        finally:
            assert streams.close(30) is True
    assert states.states[-3:] == ["RUNNING", "PENDING_ERROR", "ERROR"]
    assert "no poison allowed" in str(streams.error)
    errors = _error_records(caplog)
    assert len(errors) == 1, [r.getMessage() for r in errors]
    [logged] = errors
    assert logged.exc_info is not None
    assert "no poison allowed" in logged.getMessage()
    thread = f"{streams.client_id}-StreamThread-1"
    assert all(r.getMessage().count(thread) <= 1 for r in caplog.records), [
        r.getMessage() for r in caplog.records if r.getMessage().count(thread) > 1
    ]
    [stopped] = [r for r in caplog.records if "stopped by the error logged above" in r.getMessage()]
    assert stopped.levelno == logging.WARNING and stopped.exc_info is None
    assert thread in stopped.getMessage() and "SHUTDOWN_CLIENT" in stopped.getMessage()


# --------------------------------------------------------------------------- #
# close() leaves no client alive
# --------------------------------------------------------------------------- #


class SilentBroker:
    """A TCP listener that accepts connections and never answers (a broker that hangs)."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self.server.getsockname()[1]}"
        self.connections: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                conn, _ = self.server.accept()
                self.connections.append(conn)

    def all_closed_by_clients(self) -> bool:
        """Whether every connection accepted so far was closed by its client (EOF read)."""
        for conn in list(self.connections):
            conn.setblocking(False)
            try:
                while conn.recv(65536):
                    pass  # requests the client sent; EOF ends the loop
            except BlockingIOError:
                return False  # still open
            except OSError:
                pass  # reset by the client: closed as well
        return True

    def close(self) -> None:
        self.server.close()
        for conn in self.connections:
            conn.close()


@pytest.fixture
def silent_broker() -> Iterator[SilentBroker]:
    broker = SilentBroker()
    yield broker
    broker.close()


def test_close_after_a_failed_start_closes_every_client(
    rdk_baseline: int, silent_broker: SilentBroker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(topics, "CONNECT_TIMEOUT_S", 3.0)
    streams = KafkaStreams(
        _passthrough("in", "out"),
        streams_config(silent_broker.address, unique_app_id("leak-start"), num_stream_threads=2),
    )
    assert _librdkafka_threads() > rdk_baseline  # admin + 2 x (consumer, producer, 2 restore)
    with pytest.raises(ClusterUnreachableError):
        streams.start()
    wait_until(lambda: silent_broker.connections, 10, what="a client to connect")
    assert streams.close(30) is True
    assert streams.state is State.NOT_RUNNING
    # each client's librdkafka threads end when it is destroyed: no client is left alive...
    wait_until(lambda: _librdkafka_threads() <= rdk_baseline, 10, what="no librdkafka thread left")
    # ...and every connection it opened was closed by it
    wait_until(silent_broker.all_closed_by_clients, 10, what="every connection closed")


def test_close_without_start_closes_every_client(
    kafka_bootstrap: str, new_topic: Any, rdk_baseline: int
) -> None:
    streams = KafkaStreams(
        _passthrough(new_topic(), new_topic()),
        streams_config(kafka_bootstrap, unique_app_id("leak-unstarted")),
    )
    assert _librdkafka_threads() > rdk_baseline
    assert streams.close(30) is True
    wait_until(lambda: _librdkafka_threads() <= rdk_baseline, 10, what="no librdkafka thread left")


def test_the_context_manager_closes_every_client_after_a_failed_start(
    kafka_bootstrap: str, new_topic: Any, rdk_baseline: int
) -> None:
    missing = f"no-such-topic-{unique_app_id('t')}"
    with (
        pytest.raises(MissingSourceTopicError),
        KafkaStreams(
            _passthrough(missing, new_topic()),
            streams_config(kafka_bootstrap, unique_app_id("leak-with")),
        ) as streams,
    ):
        streams.start()
    assert streams.state is State.NOT_RUNNING
    wait_until(lambda: _librdkafka_threads() <= rdk_baseline, 10, what="no librdkafka thread left")
