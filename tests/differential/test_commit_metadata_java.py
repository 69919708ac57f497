"""kstreams' offset-commit metadata is the string Kafka Streams 4.4 writes and reads.

Java's ``TopicPartitionMetadata`` encodes the cases below (``CommitMetadataVectors.java``); ours
must be the same string, and each side must decode the other's.
"""

from __future__ import annotations

import subprocess

import pytest

from kstreams.processor.metadata import ProcessorMetadata
from kstreams.runtime.commit_metadata import decode, encode

from . import jvm

CASES: list[tuple[int, list[tuple[str, int]]]] = [
    (-1, []),
    (0, []),
    (1_700_000_000_123, []),
    (42, [("KSTREAM-AGGREGATE-STATE-STORE-0000000001", 60_000)]),
    (9_223_372_036_854_775_807, [("a", -9_223_372_036_854_775_808)]),
    # several keys: written in the order Java's HashMap iterates them
    (1000, [("counts", 900), ("b", 3), ("sessions", -1), ("zz-store", 12), ("ä-store", 5)]),
    (5, [(f"store-{i}", i * 1000) for i in range(20)]),  # the map grows past 16 buckets
]


def _spec(time: int, entries: list[tuple[str, int]]) -> str:
    return f"encode:{time};" + ",".join(f"{k}={v}" for k, v in entries)


def _java(args: list[str]) -> list[str]:
    reason = jvm.missing_tools()
    if reason:
        pytest.skip(reason)
    classpath = jvm.build()
    proc = subprocess.run(
        ["java", "-cp", classpath, "kstreams.differential.CommitMetadataVectors", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout.splitlines()


def test_encoding_is_javas() -> None:
    java = _java([_spec(t, e) for t, e in CASES])
    ours = [encode(t, _metadata(e)) for t, e in CASES]
    assert ours == java


def test_each_side_decodes_the_other() -> None:
    ours = [encode(t, _metadata(e)) for t, e in CASES]
    odd = [
        "",
        "AQAAAAAAAAPo",
        "AwAAAAAAAAPo",
        "AgAAAAAAAAP",
        "AgAAAAAAAAPoAAAAAQAAAAVh",
        "AgAAAAAAAAPo",
    ]
    java_decoded = _java([f"decode:{s}" for s in ours + odd])
    expected = [f"{t};" + ",".join(f"{k}={v}" for k, v in sorted(e)) for t, e in CASES]
    for text in odd:  # empty, version 1, unknown version, truncated time / entry, no entries
        got = decode(text)
        expected.append(
            f"{got.partition_time};"
            + ",".join(f"{k}={v}" for k, v in sorted(got.processor_metadata.items()))
        )
    assert java_decoded == expected
    for (t, e), text in zip(CASES, _java([_spec(t, e) for t, e in CASES]), strict=True):
        got = decode(text)
        assert got.partition_time == t
        assert got.processor_metadata == dict(e)


def _metadata(entries: list[tuple[str, int]]) -> ProcessorMetadata:
    meta = ProcessorMetadata()
    for k, v in entries:
        meta.put(k, v)
    return meta
