"""Health on a real broker (issue 10 §5): per-thread metadata shows progress, so a stuck
client cannot look healthy."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from helpers import (
    TopicReader,
    produce,
    running_streams,
    streams_config,
    unique_app_id,
    wait_until,
)

from kstreams import KafkaStreams, StreamsBuilder, TaskId

pytestmark = pytest.mark.integration


def test_progress_advances_while_input_flows(kafka_bootstrap: str, new_topic: Any) -> None:
    src, dst = new_topic(partitions=2), new_topic()
    builder = StreamsBuilder()
    builder.stream(src).to(dst)
    config = streams_config(kafka_bootstrap, unique_app_id("health-flow"))
    streams = KafkaStreams(builder.build(), config)
    assert streams.is_healthy() is False  # CREATED
    [idle] = streams.metadata_for_local_threads()
    assert (idle.thread_state, idle.last_poll_at, idle.last_processed_at) == ("CREATED", None, None)
    streams.close(30)

    with (
        TopicReader(kafka_bootstrap, dst) as reader,
        running_streams(builder.build(), config) as streams,
    ):
        produce(kafka_bootstrap, src, [(f"k{i}", f"v{i}") for i in range(20)])
        reader.wait_for(20, timeout=60, streams=streams)
        [first] = wait_until(
            lambda: [
                m
                for m in streams.metadata_for_local_threads()
                if m.records_processed == 20 and m.last_commit_at is not None
            ],
            30,
            what="the records processed and a commit",
        )
        name = f"{streams.client_id}-StreamThread-1"
        assert first.thread_name == name
        assert first.thread_state == "RUNNING"
        assert {t.task_id for t in first.active_tasks} == {TaskId(0, 0), TaskId(0, 1)}
        assert {p for t in first.active_tasks for p in t.topic_partitions} == {(src, 0), (src, 1)}
        assert first.standby_tasks == frozenset()
        assert first.main_consumer_client_id == f"{name}-consumer"
        assert first.restore_consumer_client_id == f"{name}-restore-consumer"
        assert first.producer_client_ids == {f"{name}-producer"}
        assert first.admin_client_id == f"{streams.client_id}-admin"
        assert first.records_processed == 20
        assert first.last_processed_at is not None and first.last_commit_at is not None
        assert streams.is_healthy(timedelta(seconds=30))

        produce(kafka_bootstrap, src, [(f"k{i}", f"w{i}") for i in range(10)])
        reader.wait_for(30, timeout=60, streams=streams)
        [later] = wait_until(
            lambda: [
                m
                for m in streams.metadata_for_local_threads()
                if m.records_processed == 30 and m.commits > first.commits
            ],
            30,
            what="the next records processed and committed",
        )
        assert later.last_processed_at > first.last_processed_at
        assert later.last_commit_at > first.last_commit_at
        assert later.last_poll_at >= later.last_processed_at
    assert streams.metrics()["process-total"] == 30
    assert streams.is_healthy() is False  # stopped
    [gone] = streams.metadata_for_local_threads()
    assert gone.thread_state == "DEAD"


def test_a_blocked_thread_stops_progressing_while_the_state_says_running(
    kafka_bootstrap: str, new_topic: Any
) -> None:
    src, dst = new_topic(), new_topic()
    entered, release = threading.Event(), threading.Event()

    def maybe_block(value: str) -> str:
        if value == "block":
            entered.set()
            release.wait(120)
        return value

    builder = StreamsBuilder()
    builder.stream(src).map_values(maybe_block).to(dst)
    config = streams_config(kafka_bootstrap, unique_app_id("health-stuck"))
    with (
        TopicReader(kafka_bootstrap, dst) as reader,
        running_streams(builder.build(), config) as streams,
    ):
        try:
            produce(kafka_bootstrap, src, [("k", "one")])
            reader.wait_for(1, timeout=60, streams=streams)
            [before] = wait_until(
                lambda: [m for m in streams.metadata_for_local_threads() if m.records_processed]
            )
            produce(kafka_bootstrap, src, [("k", "block"), ("k", "after")])
            assert entered.wait(60), "the blocking record was not processed"
            # the thread is inside the processor: the client still says RUNNING, but the
            # loop no longer polls, so the client stops looking healthy
            wait_until(lambda: not streams.is_healthy(timedelta(seconds=1)), 30, what="unhealthy")
            [stuck] = streams.metadata_for_local_threads()
            assert streams.state is KafkaStreams.State.RUNNING
            assert stuck.thread_state == "RUNNING"
            assert stuck.last_processed_at == before.last_processed_at
            assert stuck.records_processed == before.records_processed == 1
            assert streams.is_healthy(timedelta(minutes=10))  # a bound above the blocking

            release.set()
            reader.wait_for(3, timeout=60, streams=streams)
            [moving] = wait_until(
                lambda: [
                    m for m in streams.metadata_for_local_threads() if m.records_processed == 3
                ],
                30,
                what="the records after the blocking one",
            )
            assert moving.last_processed_at > stuck.last_processed_at
            wait_until(lambda: streams.is_healthy(timedelta(seconds=1)), 30, what="healthy")
        finally:
            release.set()  # before the client closes: it waits for the thread
