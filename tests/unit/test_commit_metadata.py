"""The offset-commit metadata string (Kafka Streams' ``TopicPartitionMetadata``): vectors Java
4.4 produced, round trips, and what a broken or foreign string decodes to.

``tests/differential/test_commit_metadata_java.py`` checks the same against a live JVM.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from kstreams.processor.metadata import ProcessorMetadata
from kstreams.runtime.commit_metadata import (
    UNKNOWN,
    TopicPartitionMetadata,
    decode,
    encode,
    java_hashmap_order,
)

# printed by kstreams.differential.CommitMetadataVectors (Kafka Streams 4.4.0)
JAVA_VECTORS: list[tuple[int, list[tuple[str, int]], str]] = [
    (-1, [], "Av//////////"),
    (1_700_000_000_123, [], "AgAAAYvP5Wh7"),
    (
        60_000,
        [("KSTREAM-AGGREGATE-STATE-STORE-0000000001", 59_000)],
        "AgAAAAAAAOpgAAAAAQAAAChLU1RSRUFNLUFHR1JFR0FURS1TVEFURS1TVE9SRS0wMDAwMDAwMDAxAAAAAAAA5ng=",
    ),
    (
        1000,
        [("counts", 900), ("b", 3), ("sessions", -1)],
        "AgAAAAAAAAPoAAAAAwAAAAFiAAAAAAAAAAMAAAAIc2Vzc2lvbnP//////////wAAAAZjb3VudHMAAAAAAAADhA==",
    ),
]


def _meta(entries: list[tuple[str, int]]) -> ProcessorMetadata:
    meta = ProcessorMetadata()
    for k, v in entries:
        meta.put(k, v)
    return meta


@pytest.mark.parametrize(("time", "entries", "java"), JAVA_VECTORS)
def test_encoding_matches_java(time: int, entries: list[tuple[str, int]], java: str) -> None:
    assert encode(time, _meta(entries)) == java
    assert decode(java) == TopicPartitionMetadata(time, dict(entries))


def test_round_trip_keeps_extremes_and_unicode_keys() -> None:
    entries = {"ä-store": -(1 << 63), "z": (1 << 63) - 1, "": 0}
    text = encode((1 << 63) - 1, ProcessorMetadata(entries))
    assert decode(text) == TopicPartitionMetadata((1 << 63) - 1, entries)


def test_entries_follow_javas_hashmap_order() -> None:
    # Java's HashMap iterates by bucket: "b" (hash 98) before "counts" and "sessions"
    assert java_hashmap_order(["counts", "b", "sessions"]) == ["b", "sessions", "counts"]
    keys = [f"store-{i}" for i in range(20)]  # past 12 entries the table has 32 buckets
    assert sorted(java_hashmap_order(keys)) == sorted(keys)


def test_version_one_and_unpadded_strings_are_read_as_java_reads_them() -> None:
    assert decode("AQAAAAAAAAPo") == TopicPartitionMetadata(1000, {})  # version 1: time only
    assert decode("AgAAAAAAAAPo") == TopicPartitionMetadata(1000, {})
    # Java's base64 decoder does not need the padding
    padded = JAVA_VECTORS[3][2]
    assert decode(padded.rstrip("=")) == decode(padded)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", None),
        (None, None),
        ("AwAAAAAAAAPo", "version"),  # version 3: unknown
        ("!!", "Unsupported offset metadata found"),
        ("AgAAAAAAAAP", "Unsupported offset metadata found"),  # truncated time
    ],
)
def test_empty_foreign_or_broken_strings_mean_no_time(
    text: str | None, why: str | None, caplog: Any
) -> None:
    with caplog.at_level(logging.WARNING, logger="kstreams"):
        assert decode(text) == TopicPartitionMetadata(UNKNOWN, {})
    warnings = [r.getMessage() for r in caplog.records]
    if why is None:
        assert warnings == []
    else:
        assert len(warnings) == 1 and why in warnings[0]


def test_broken_processor_metadata_keeps_the_partition_time(caplog: Any) -> None:
    # Java decodes the time first; a truncated entry after it loses only the entries
    with caplog.at_level(logging.WARNING, logger="kstreams"):
        assert decode("AgAAAAAAAAPoAAAAAQAAAAVh") == TopicPartitionMetadata(1000, {})
    assert "Unsupported offset metadata found" in caplog.records[0].getMessage()


def test_processor_metadata_merges_the_largest_value_per_key() -> None:
    meta = ProcessorMetadata({"a": 5, "b": 1})
    assert not meta.needs_commit
    meta.update({"a": 3, "b": 7, "c": -1})
    assert meta.as_dict() == {"a": 5, "b": 7, "c": -1}
    assert not meta.needs_commit  # merging committed values is not a change to commit
    meta.put("a", 1)  # a put overwrites, smaller or not
    assert meta.get("a") == 1 and meta.needs_commit


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (1, 2, "keys are strings"),
        ("k", 1.5, "64-bit integers"),
        ("k", True, "64-bit integers"),
        ("k", 1 << 63, "64-bit integers"),
    ],
)
def test_processor_metadata_refuses_what_java_cannot_hold(
    key: Any, value: Any, message: str
) -> None:
    with pytest.raises(TypeError, match=message):
        ProcessorMetadata().put(key, value)
