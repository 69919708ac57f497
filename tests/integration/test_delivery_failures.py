"""A sink record the broker refuses stops the thread before its input offset is committed.

A stateless topology's producer reports failed deliveries only (no Python call per
successful record): failures must still be seen, and raised before any commit covers them.
"""

from __future__ import annotations

import pytest
from helpers import committed_offsets, produce, streams_config, unique_app_id, wait_until

from kstreams import KafkaStreams, Serdes, StreamsBuilder

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("guarantee", ["at_least_once", "exactly_once_v2"])
def test_a_refused_record_fails_the_thread_without_committing_past_it(
    kafka_bootstrap: str, new_topic, guarantee: str
) -> None:
    src = new_topic()
    dst = new_topic(config={"max.message.bytes": "2000"})  # the broker refuses bigger batches
    records = [(f"k{i}", "x" * (20_000 if i == 5 else 10)) for i in range(10)]
    produce(kafka_bootstrap, src, records)
    builder = StreamsBuilder()
    (
        builder.stream(src, key_serde=Serdes.String(), value_serde=Serdes.String())
        .map_values(str.upper)
        .to(dst, key_serde=Serdes.String(), value_serde=Serdes.String())
    )
    app_id = unique_app_id("refused")
    config = streams_config(kafka_bootstrap, app_id, processing_guarantee=guarantee)
    streams = KafkaStreams(builder.build(), config)
    try:
        streams.start()
        wait_until(
            lambda: streams.state is KafkaStreams.State.ERROR, timeout=60, what="state ERROR"
        )
    finally:
        assert streams.close(30) is True
    assert "could not be delivered" in str(streams.error)
    assert committed_offsets(kafka_bootstrap, app_id, src)[0] <= 5
