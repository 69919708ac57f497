"""``KafkaStreams.close()`` races on a real broker, and the idempotent at-least-once producer.

* a replacement stream thread (``REPLACE_THREAD``) never outlives ``close()`` and none is
  started once ``close()`` began;
* ``close()`` from the uncaught-exception handler, from a processor or from a state listener
  does not deadlock: from a stream thread it returns without waiting, and the thread stops
  afterwards;
* ``close(timeout)`` that runs out returns False in time and logs where the shutdown waits;
* under at_least_once the producer is idempotent (librdkafka's statistics show the producer
  id the broker assigned) and a word count is exact.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

import pytest
from helpers import (
    StateRecorder,
    TopicReader,
    latest_counts,
    produce,
    streams_config,
    text_lines,
    unique_app_id,
    wait_until,
)

from kstreams import (
    KafkaStreams,
    Materialized,
    Processor,
    Record,
    Serdes,
    StreamsBuilder,
    StreamThreadExceptionResponse,
    Topology,
)
from kstreams.runtime.stream_thread import StreamThread

pytestmark = pytest.mark.integration

State = KafkaStreams.State


class Boom(RuntimeError):
    pass


def _failing_on(src: str, dst: str, poison: str) -> Topology:
    def upper(value: str) -> str:
        if value == poison:
            raise Boom(f"failing on {poison}")
        return value.upper()

    builder = StreamsBuilder()
    builder.stream(src).map_values(upper).to(dst)
    return builder.build()


def _stream_threads(streams: KafkaStreams) -> list[StreamThread]:
    """The client's current stream threads (a replacement takes the place of the dead one)."""
    return list(streams._threads)


def _alive(streams: KafkaStreams) -> list[str]:
    """The names of this client's threads still running (stream threads, close thread)."""
    return [t.name for t in threading.enumerate() if t.name.startswith(streams.client_id)]


def _closed_and_stopped(streams: KafkaStreams, closed: bool, state: State) -> None:
    """close() returned True, the client is in ``state``, and none of its threads runs."""
    assert closed is True
    assert streams.state is state
    wait_until(lambda: not _alive(streams), 10, what="every thread of the client stopped")


# --------------------------------------------------------------------------- #
# close() while a thread is being replaced
# --------------------------------------------------------------------------- #


def test_close_while_the_handler_decides_starts_no_replacement(
    kafka_bootstrap: str, new_topic: Any
) -> None:
    """The handler returns REPLACE_THREAD only after close() began: no thread is started."""
    src, dst = new_topic(), new_topic()
    streams = KafkaStreams(
        _failing_on(src, dst, "v-poison"),
        streams_config(kafka_bootstrap, unique_app_id("close-replace")),
    )
    in_handler = threading.Event()

    def handler(exc: BaseException) -> StreamThreadExceptionResponse:
        in_handler.set()
        wait_until(lambda: streams.state.is_shutting_down(), 20, what="close() to begin")
        return StreamThreadExceptionResponse.REPLACE_THREAD

    streams.set_uncaught_exception_handler(handler)
    try:
        streams.start()
        streams.wait_until_running(60)
        produce(kafka_bootstrap, src, [("k", "v-poison")])
        assert in_handler.wait(30), "the stream thread did not fail"
        started = time.monotonic()
        closed = streams.close(30)
    finally:
        streams.close(30)
    _closed_and_stopped(streams, closed, State.NOT_RUNNING)
    assert time.monotonic() - started < 25
    threads = _stream_threads(streams)
    assert [t.name for t in threads] == [f"{streams.client_id}-StreamThread-1"], (
        "a replacement was created after close() began"
    )


def test_close_right_after_a_replacement_leaves_no_thread_running(
    kafka_bootstrap: str, new_topic: Any
) -> None:
    """close() as soon as the handler returned REPLACE_THREAD: the replacement is joined too."""
    src, dst = new_topic(), new_topic()
    streams = KafkaStreams(
        _failing_on(src, dst, "v-poison"),
        streams_config(kafka_bootstrap, unique_app_id("close-replaced")),
    )
    replaced = threading.Event()

    def handler(exc: BaseException) -> StreamThreadExceptionResponse:
        replaced.set()
        return StreamThreadExceptionResponse.REPLACE_THREAD

    streams.set_uncaught_exception_handler(handler)
    try:
        streams.start()
        streams.wait_until_running(60)
        produce(kafka_bootstrap, src, [("k", "v-poison")])
        assert replaced.wait(30), "the stream thread did not fail"
        # the replacement starts while (or before) close() begins
        wait_until(
            lambda: _stream_threads(streams)[-1].name.endswith("-StreamThread-2"),
            10,
            0.01,
            "the replacement",
        )
        closed = streams.close(30)
    finally:
        streams.close(30)
    _closed_and_stopped(streams, closed, State.NOT_RUNNING)
    assert all(not t.is_alive() for t in _stream_threads(streams))


# --------------------------------------------------------------------------- #
# close() from inside: handler, processor, state listener
# --------------------------------------------------------------------------- #


def test_close_from_the_uncaught_exception_handler_does_not_deadlock(
    kafka_bootstrap: str, new_topic: Any
) -> None:
    src, dst = new_topic(), new_topic()
    streams = KafkaStreams(
        _failing_on(src, dst, "v-poison"),
        streams_config(kafka_bootstrap, unique_app_id("close-handler")),
    )
    results: list[tuple[bool, float]] = []

    def handler(exc: BaseException) -> StreamThreadExceptionResponse:
        began = time.monotonic()
        results.append((streams.close(), time.monotonic() - began))
        return StreamThreadExceptionResponse.SHUTDOWN_CLIENT

    streams.set_uncaught_exception_handler(handler)
    try:
        streams.start()
        streams.wait_until_running(60)
        produce(kafka_bootstrap, src, [("k", "v-1"), ("k", "v-poison")])
        wait_until(lambda: streams.state is State.NOT_RUNNING, 30, what="NOT_RUNNING")
    finally:
        closed = streams.close(30)
    [(inner, seconds)] = results
    assert inner is False  # the calling thread was still running
    assert seconds < 5
    # close() came first: the client shuts down cleanly, SHUTDOWN_CLIENT changes nothing
    _closed_and_stopped(streams, closed, State.NOT_RUNNING)


def test_close_from_a_processor_returns_at_once_and_the_thread_stops(
    kafka_bootstrap: str, new_topic: Any
) -> None:
    src, dst = new_topic(), new_topic()
    holder: dict[str, KafkaStreams] = {}
    results: list[tuple[bool, float]] = []

    def stop_on(_key: str, value: str) -> None:
        if value == "stop":
            began = time.monotonic()
            results.append((holder["streams"].close(), time.monotonic() - began))

    builder = StreamsBuilder()
    builder.stream(src).peek(stop_on).to(dst)
    streams = holder["streams"] = KafkaStreams(
        builder.build(), streams_config(kafka_bootstrap, unique_app_id("close-processor"))
    )
    try:
        streams.start()
        streams.wait_until_running(60)
        with TopicReader(kafka_bootstrap, dst) as reader:
            produce(kafka_bootstrap, src, [("k", "a"), ("k", "b"), ("k", "stop")])
            wait_until(lambda: streams.state is State.NOT_RUNNING, 30, what="NOT_RUNNING")
            reader.wait_for(3, timeout=30)  # the thread finished its batch and committed
    finally:
        closed = streams.close(30)
    [(inner, seconds)] = results
    assert inner is False
    assert seconds < 5
    assert reader.values() == ["a", "b", "stop"]
    _closed_and_stopped(streams, closed, State.NOT_RUNNING)


def _passthrough(src: str, dst: str) -> Topology:
    builder = StreamsBuilder()
    builder.stream(src).to(dst)
    return builder.build()


def test_close_from_a_state_listener_on_a_stream_thread(
    kafka_bootstrap: str, new_topic: Any
) -> None:
    """The listener hears RUNNING (on the stream thread) and closes the client."""
    src, dst = new_topic(), new_topic()
    streams = KafkaStreams(
        _passthrough(src, dst), streams_config(kafka_bootstrap, unique_app_id("close-listener"))
    )
    states = StateRecorder()
    results: list[tuple[str, bool, float]] = []

    def listener(new: State, old: State) -> None:
        states(new, old)
        if new is State.RUNNING:
            began = time.monotonic()
            results.append(
                (threading.current_thread().name, streams.close(), time.monotonic() - began)
            )

    streams.set_state_listener(listener)
    try:
        streams.start()
        wait_until(lambda: streams.state is State.NOT_RUNNING, 60, what="NOT_RUNNING")
    finally:
        closed = streams.close(30)
    [(thread_name, inner, seconds)] = results
    assert "StreamThread" in thread_name
    assert inner is False
    assert seconds < 5
    assert states.states == ["REBALANCING", "RUNNING", "PENDING_SHUTDOWN", "NOT_RUNNING"]
    _closed_and_stopped(streams, closed, State.NOT_RUNNING)


def test_close_from_state_listeners_while_closing(kafka_bootstrap: str, new_topic: Any) -> None:
    """close() hears PENDING_SHUTDOWN (same thread) and NOT_RUNNING (close thread): both call close()."""
    src, dst = new_topic(), new_topic()
    streams = KafkaStreams(
        _passthrough(src, dst), streams_config(kafka_bootstrap, unique_app_id("close-nested"))
    )
    results: dict[str, tuple[bool, float]] = {}

    def listener(new: State, _old: State) -> None:
        if new in (State.PENDING_SHUTDOWN, State.NOT_RUNNING):
            began = time.monotonic()
            results[new.value] = (streams.close(), time.monotonic() - began)

    streams.set_state_listener(listener)
    try:
        streams.start()
        streams.wait_until_running(60)
        began = time.monotonic()
        closed = streams.close(30)
        seconds = time.monotonic() - began
    finally:
        streams.close(30)
    assert results["PENDING_SHUTDOWN"][0] is False  # nested: shutting down, not stopped yet
    assert results["NOT_RUNNING"][0] is True
    assert all(s < 5 for _, s in results.values())
    assert seconds < 25
    _closed_and_stopped(streams, closed, State.NOT_RUNNING)


def test_close_from_the_state_listener_during_start_starts_no_thread(
    kafka_bootstrap: str, new_topic: Any
) -> None:
    src, dst = new_topic(), new_topic()
    streams = KafkaStreams(
        _passthrough(src, dst), streams_config(kafka_bootstrap, unique_app_id("close-start"))
    )

    def listener(new: State, _old: State) -> None:
        if new is State.REBALANCING:
            streams.close()

    streams.set_state_listener(listener)
    streams.start()
    closed = streams.close(30)
    _closed_and_stopped(streams, closed, State.NOT_RUNNING)
    assert all(t.ident is None for t in _stream_threads(streams)), "a stream thread started"


# --------------------------------------------------------------------------- #
# close(timeout) that runs out: False in time, and where the shutdown waits
# --------------------------------------------------------------------------- #


def test_a_close_that_times_out_returns_false_in_time_and_says_where_it_waits(
    kafka_bootstrap: str, new_topic: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """A stream thread held in a processor, then in the processor's close(): each close(1)
    returns False within its timeout and logs the thread's step; once let go it stops."""
    src = new_topic()
    in_process, in_close = threading.Event(), threading.Event()
    release_process, release_close = threading.Event(), threading.Event()

    class Holding(Processor):
        def process(self, record: Record) -> None:
            in_process.set()
            release_process.wait(60)

        def close(self) -> None:
            in_close.set()
            release_close.wait(60)

    builder = StreamsBuilder()
    builder.stream(src).process(Holding)
    streams = KafkaStreams(
        builder.build(), streams_config(kafka_bootstrap, unique_app_id("close-timeout"))
    )
    [thread] = _stream_threads(streams)
    try:
        streams.start()
        streams.wait_until_running(60)
        produce(kafka_bootstrap, src, [("k", "v")])
        assert in_process.wait(30), "the record never reached the processor"
        timings = []
        for entered, release in ((in_process, release_process), (in_close, release_close)):
            assert entered.wait(30)
            caplog.clear()
            began = time.monotonic()
            with caplog.at_level(logging.WARNING, logger="kstreams"):
                assert streams.close(1.0) is False
            timings.append(time.monotonic() - began)
            [said] = [
                r.getMessage() for r in caplog.records if "did not stop within" in r.getMessage()
            ]
            assert f"the close thread is waiting for {thread.name} to stop" in said
            if release is release_process:
                assert f"{thread.name} (RUNNING) has not left its loop, its last poll" in said
            else:
                assert f"{thread.name} (PENDING_SHUTDOWN) is at: closing the tasks" in said
            release.set()
        assert all(1.0 <= t < 3.0 for t in timings), timings
    finally:
        release_process.set()
        release_close.set()
        closed = streams.close(30)
    _closed_and_stopped(streams, closed, State.NOT_RUNNING)


# --------------------------------------------------------------------------- #
# the idempotent producer under at_least_once
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("idempotent", [True, False], ids=["default", "idempotence-off"])
def test_at_least_once_producer_is_idempotent_and_word_count_is_exact(
    kafka_bootstrap: str, new_topic: Any, tmp_path: Any, idempotent: bool
) -> None:
    lines_topic, counts_topic = new_topic(partitions=2), new_topic(partitions=2)
    lines, expected = text_lines(seed=3, n=200)
    produce(kafka_bootstrap, lines_topic, lines)
    builder = StreamsBuilder()
    (
        builder.stream(lines_topic, key_serde=Serdes.String(), value_serde=Serdes.String())
        .flat_map_values(lambda line: [w.strip(",.!?-").lower() for w in line.split()])
        .filter(lambda _k, word: bool(word))
        .group_by(lambda _k, word: word)
        .count(Materialized.as_("counts"))
        .to_stream()
        .to(counts_topic, value_serde=Serdes.Long())
    )
    eos_stats: list[dict[str, Any]] = []
    config = streams_config(kafka_bootstrap, unique_app_id("alos-idempotent"))
    config["state.dir"] = str(tmp_path)
    config["producer.statistics.interval.ms"] = 200
    config["producer.stats_cb"] = lambda text: eos_stats.append(json.loads(text).get("eos") or {})
    if not idempotent:
        config["producer.enable.idempotence"] = False
    streams = KafkaStreams(builder.build(), config)
    try:
        streams.start()
        streams.wait_until_running(60)
        with TopicReader(kafka_bootstrap, counts_topic) as reader:
            reader.wait_for(
                lambda recs: latest_counts(recs) == expected, 60, "exact counts", streams
            )
        wait_until(lambda: eos_stats, 10, what="the producer's statistics")
    finally:
        closed = streams.close(30)
    assert closed is True
    last = eos_stats[-1]
    if idempotent:
        # the broker gave the producer an id (InitProducerId): librdkafka's idempotent producer
        assert last.get("idemp_state") == "Assigned", last
        assert last.get("producer_id", -1) >= 0, last
    else:
        assert last.get("producer_id", -1) == -1, last
