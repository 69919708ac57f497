"""Bad input and failing user code on a real broker: the exception handlers and the DLQ."""

from __future__ import annotations

import json
import threading

import pytest
from helpers import (
    StateRecorder,
    TopicReader,
    committed_offsets,
    produce,
    read_all,
    running_streams,
    streams_config,
    unique_app_id,
    wait_until,
)

from kstreams import KafkaStreams, Serdes, StreamsBuilder, StreamThreadExceptionResponse
from kstreams.handlers import (
    HEADER_ERRORS_EXCEPTION_MESSAGE_NAME,
    HEADER_ERRORS_EXCEPTION_NAME,
    HEADER_ERRORS_OFFSET_NAME,
    HEADER_ERRORS_PARTITION_NAME,
    HEADER_ERRORS_STACKTRACE_NAME,
    HEADER_ERRORS_TOPIC_NAME,
)

pytestmark = pytest.mark.integration

POISON = b'{"n": 5, oops this is not json'


def _json_app(src: str, dst: str):
    """Reads JSON values, adds ``"seen": true``, writes JSON."""
    builder = StreamsBuilder()
    (
        builder.stream(src, key_serde=Serdes.String(), value_serde=Serdes.JSON())
        .map_values(lambda v: {**v, "seen": True})
        .to(dst, value_serde=Serdes.JSON())
    )
    return builder.build()


def _records_with_poison(n: int = 10, poison_at: int = 5) -> list[tuple[str, bytes]]:
    return [
        (f"k{i}", POISON if i == poison_at else json.dumps({"n": i}).encode()) for i in range(n)
    ]


def _good_ns(records: list[tuple[str, bytes]]) -> list[int]:
    return [json.loads(v)["n"] for _, v in records if v != POISON]


def test_poison_pill_with_default_handler_stops_the_client(kafka_bootstrap: str, new_topic) -> None:
    src, dst = new_topic(), new_topic()
    records = _records_with_poison()
    produce(kafka_bootstrap, src, records)
    states = StateRecorder()
    streams = KafkaStreams(
        _json_app(src, dst), streams_config(kafka_bootstrap, unique_app_id("poison-fail"))
    )
    streams.set_state_listener(states)
    try:
        streams.start()
        wait_until(
            lambda: streams.state is KafkaStreams.State.ERROR, timeout=60, what="state ERROR"
        )
    finally:
        assert streams.close(30) is True
    assert streams.state is KafkaStreams.State.ERROR
    assert states.states[-2:] == ["PENDING_ERROR", "ERROR"]
    assert streams.error is not None
    assert "eserializ" in str(streams.error)  # the deserialization failure is what stopped it

    # the records before the poison pill were processed; nothing after it was
    out = read_all(kafka_bootstrap, dst)
    assert [json.loads(r.value) for r in out] == [{"n": i, "seen": True} for i in range(5)]


def test_poison_pill_with_log_and_continue(kafka_bootstrap: str, new_topic) -> None:
    src, dst = new_topic(partitions=2), new_topic()
    records = _records_with_poison(20, poison_at=7)
    produce(kafka_bootstrap, src, records)
    config = streams_config(
        kafka_bootstrap,
        unique_app_id("poison-continue"),
        **{"deserialization.exception.handler": "log_and_continue"},
    )
    with (
        TopicReader(kafka_bootstrap, dst) as reader,
        running_streams(_json_app(src, dst), config) as streams,
    ):
        reader.wait_for(19, timeout=60, streams=streams)
        reader.settle_committed(config["application.id"], src)
        assert streams.state is KafkaStreams.State.RUNNING
    metrics = streams.metrics()
    assert sorted(json.loads(r.value)["n"] for r in reader.records) == _good_ns(records)
    assert metrics["dropped-records-total"] == 1
    assert metrics["process-total"] == 19


def test_poison_pill_goes_to_dead_letter_queue(kafka_bootstrap: str, new_topic) -> None:
    src, dst, dlq = new_topic(partitions=2), new_topic(), new_topic()
    good_p0 = [(f"a{i}", json.dumps({"n": i}).encode(), 1_700_000_000_000 + i) for i in range(5)]
    good_p1 = [
        (f"b{i}", json.dumps({"n": 100 + i}).encode(), 1_700_000_001_000 + i) for i in range(3)
    ]
    produce(kafka_bootstrap, src, good_p0, partition=0)
    produce(kafka_bootstrap, src, good_p1, partition=1)
    [bad] = produce(
        kafka_bootstrap,
        src,
        [("bad-key", POISON, 1_700_000_009_999)],
        partition=1,
        headers=[("trace-id", b"t-42")],
    )
    more = [(f"c{i}", json.dumps({"n": 200 + i}).encode(), 1_700_000_002_000 + i) for i in range(2)]
    produce(kafka_bootstrap, src, more, partition=1)
    assert (bad.partition, bad.offset) == (1, 3)

    config = streams_config(
        kafka_bootstrap,
        unique_app_id("poison-dlq"),
        **{
            "deserialization.exception.handler": "log_and_continue",
            "errors.dead.letter.queue.topic.name": dlq,
        },
    )
    good = good_p0 + good_p1 + more
    with (
        TopicReader(kafka_bootstrap, [dst, dlq]) as reader,
        running_streams(_json_app(src, dst), config) as streams,
    ):
        reader.wait_for(len(good) + 1, timeout=60, streams=streams)
        reader.settle_committed(config["application.id"], src)
    outputs = [r for r in reader.records if r.topic == dst]
    assert sorted(json.loads(r.value)["n"] for r in outputs) == sorted(
        json.loads(v)["n"] for _, v, _ in good
    )
    dead = [r for r in reader.records if r.topic == dlq]
    assert len(dead) == 1
    [d] = dead
    assert d.key == b"bad-key"
    assert d.value == POISON  # the original bytes
    assert d.timestamp == 1_700_000_009_999
    assert d.header("trace-id") == b"t-42"  # the source record's headers are kept
    assert d.header(HEADER_ERRORS_TOPIC_NAME) == src.encode()
    assert d.header(HEADER_ERRORS_PARTITION_NAME) == b"1"
    assert d.header(HEADER_ERRORS_OFFSET_NAME) == b"3"
    assert d.header(HEADER_ERRORS_EXCEPTION_NAME)
    assert d.header(HEADER_ERRORS_EXCEPTION_MESSAGE_NAME)
    assert d.header(HEADER_ERRORS_STACKTRACE_NAME)
    assert streams.metrics()["dropped-records-total"] == 1


# --------------------------------------------------------------------------- #
# Uncaught exception handler: REPLACE_THREAD
# --------------------------------------------------------------------------- #

_FAILED_ONCE = threading.Event()
"""Set when the flaky mapper has raised its one exception (module level: survives the thread)."""


class FlakyError(RuntimeError):
    pass


def _flaky(value: str) -> str:
    if value == "v-15" and not _FAILED_ONCE.is_set():
        _FAILED_ONCE.set()
        raise FlakyError("failing on v-15 once")
    return value.upper()


def test_replace_thread_reprocesses_from_last_commit(kafka_bootstrap: str, new_topic) -> None:
    _FAILED_ONCE.clear()
    src, dst = new_topic(), new_topic()
    app_id = unique_app_id("replace")
    builder = StreamsBuilder()
    builder.stream(src).map_values(_flaky).to(dst)
    errors: list[BaseException] = []

    def handler(exc: BaseException) -> StreamThreadExceptionResponse:
        errors.append(exc)
        return StreamThreadExceptionResponse.REPLACE_THREAD

    states = StateRecorder()
    with (
        TopicReader(kafka_bootstrap, dst) as reader,
        running_streams(
            builder.build(),
            streams_config(kafka_bootstrap, app_id),
            listener=states,
            handler=handler,
        ) as streams,
    ):
        produce(kafka_bootstrap, src, [(f"k{i}", f"v-{i}") for i in range(10)])
        reader.wait_for(10, timeout=60, streams=streams)
        wait_until(
            lambda: committed_offsets(kafka_bootstrap, app_id, src) == {0: 10},
            timeout=30,
            what="the first 10 records committed",
        )
        produce(kafka_bootstrap, src, [(f"k{i}", f"v-{i}") for i in range(10, 30)])
        expected = {f"V-{i}" for i in range(30)}
        reader.wait_for(
            lambda recs: {r.value_str for r in recs} >= expected,
            timeout=60,
            what="all 30 records",
            streams=streams,
        )
        wait_until(lambda: streams.state is KafkaStreams.State.RUNNING, timeout=30, what="RUNNING")
        reader.settle_committed(app_id, src)
        assert streams.state is KafkaStreams.State.RUNNING
    assert _FAILED_ONCE.is_set()
    assert len(errors) == 1
    assert "failing on v-15 once" in str(errors[0])
    # the client rebalanced when the replacement thread joined, then ran again
    seen = states.states
    first_running = seen.index("RUNNING")
    assert "REBALANCING" in seen[first_running + 1 :]
    assert seen[-3:] == ["RUNNING", "PENDING_SHUTDOWN", "NOT_RUNNING"]
    # records 0..9 were committed before the failure: not reprocessed
    counts = {v: sum(1 for r in reader.records if r.value_str == v) for v in expected}
    assert all(counts[f"V-{i}"] == 1 for i in range(10)), counts
    assert counts["V-15"] >= 1


# --------------------------------------------------------------------------- #
# Processing exception handler (KIP-1033/1034)
# --------------------------------------------------------------------------- #


def _fails_on_13(value: dict) -> dict:
    if value["n"] == 13:
        raise ValueError("no thirteen")
    return {**value, "seen": True}


@pytest.mark.parametrize("with_dlq", [False, True], ids=["log_and_continue", "dlq"])
def test_processing_error_with_log_and_continue(
    kafka_bootstrap: str, new_topic, with_dlq: bool
) -> None:
    src, dst, dlq = new_topic(), new_topic(), new_topic()
    records = [(f"k{i}", json.dumps({"n": i})) for i in range(20)]
    produce(kafka_bootstrap, src, records)
    builder = StreamsBuilder()
    (
        builder.stream(src, key_serde=Serdes.String(), value_serde=Serdes.JSON())
        .map_values(_fails_on_13)
        .to(dst, value_serde=Serdes.JSON())
    )
    overrides: dict[str, object] = {"processing.exception.handler": "log_and_continue"}
    if with_dlq:
        overrides["errors.dead.letter.queue.topic.name"] = dlq
    config = streams_config(kafka_bootstrap, unique_app_id("proc-continue"), **overrides)
    with (
        TopicReader(kafka_bootstrap, [dst, dlq]) as reader,
        running_streams(builder.build(), config) as streams,
    ):
        reader.wait_for(20 if with_dlq else 19, timeout=30, streams=streams)
        reader.settle_committed(config["application.id"], src)
        assert streams.state is KafkaStreams.State.RUNNING
    outputs = [json.loads(r.value)["n"] for r in reader.records if r.topic == dst]
    assert sorted(outputs) == [i for i in range(20) if i != 13]
    assert streams.metrics()["dropped-records-total"] == 1
    dead = [r for r in reader.records if r.topic == dlq]
    if not with_dlq:
        assert dead == []
        return
    [d] = dead
    assert (d.key, d.value) == (b"k13", json.dumps({"n": 13}).encode())  # source raw bytes
    assert d.header(HEADER_ERRORS_TOPIC_NAME) == src.encode()
    assert d.header(HEADER_ERRORS_PARTITION_NAME) == b"0"
    assert d.header(HEADER_ERRORS_OFFSET_NAME) == b"13"
    assert b"no thirteen" in d.header(HEADER_ERRORS_EXCEPTION_MESSAGE_NAME)
