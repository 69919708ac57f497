"""Versioned key-value stores: Kafka Streams' RocksDBVersionedStoreTest cases as data, the segment
row format, segments expiring, the changelog (every version, in order), restoration from it,
close/reopen, abort, the builder and supplier rules.

The cases of ``CASES`` are RocksDBVersionedStoreTest's (history retention 300 s, segment
interval 100 s, base timestamp 10), run through the typed store:
``("put", key, value, timestamp, expected return)``, ``("latest", key, value, timestamp)``
(value None: no latest version), ``("as_of", key, as_of, value, valid_from, valid_to)``
(valid_to ``U``: the latest; value None: nothing valid then), ``("delete", key, timestamp,
expected value, expected timestamp)``, ``("restore", [(key, value, timestamp), ...])`` (one
changelog batch into the store) and ``("dropped", n)`` (expired writes counted).
"""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from kstreams import Serdes
from kstreams.errors import IllegalStateError
from kstreams.state import (
    PUT_RETURN_CODE_NOT_PUT,
    PUT_RETURN_CODE_VALID_TO_UNDEFINED,
    StateStoreContext,
    Stores,
    VersionedKeyValueStore,
    VersionedRecord,
    find_layer,
)
from kstreams.state.versioned import ReadOnlyVersionedKeyValueStore, UnsupportedOperationError
from kstreams.state.versioned_builders import default_segment_interval
from kstreams.state.versioned_rocksdb import RocksDBVersionedStore
from kstreams.state.versioned_segment_value import SegmentValue

HR = 300_000
SI = HR // 3
BASE = 10
U = PUT_RETURN_CODE_VALID_TO_UNDEFINED
NOT_PUT = PUT_RETURN_CODE_NOT_PUT
TOPIC = "app-v-changelog"
S = Serdes.String()


class Metrics:
    dropped_records = 0


class Collector:
    def __init__(self) -> None:
        self.records: list[tuple[bytes, bytes | None, int]] = []

    def send_changelog(
        self,
        topic: str,
        key: bytes,
        value: bytes | None,
        timestamp: int,
        partition: int,
        headers: Any = None,
    ) -> None:
        assert topic == TOPIC and partition == 0
        self.records.append((key, value, timestamp))


def open_store(
    path: Path,
    retention: Any = HR,
    interval: Any = SI,
    *,
    logged: bool = True,
    collector: Collector | None = None,
    metrics: Any = None,
) -> Any:
    supplier = Stores.persistent_versioned_key_value_store("v", retention, interval)
    builder = Stores.versioned_key_value_store_builder(supplier, S, S)
    if not logged:
        builder.with_logging_disabled()
    store = builder.build()
    store.init(
        StateStoreContext(
            "0_0",
            "app",
            0,
            str(path),
            changelog_topic=TOPIC if logged else None,
            collector=collector if collector is not None else Collector(),
            metrics=metrics,
        )
    )
    return store


def run_ops(store: Any, ops: list[tuple[Any, ...]], metrics: Metrics) -> None:
    offset = 0
    for op in ops:
        kind = op[0]
        if kind == "put":
            _, key, value, ts, expected = op
            assert store.put(key, value, ts) == expected, op
        elif kind == "latest":
            key, *rest = op[1:]
            got = store.get(key)
            if rest == [None]:
                assert got is None, op
            else:
                assert got == VersionedRecord(rest[0], rest[1]), op
        elif kind == "as_of":
            key, at, *rest = op[1:]
            got = store.get(key, at)
            if rest == [None]:
                assert got is None, (op, got)
            else:
                value, valid_from, valid_to = rest
                want = VersionedRecord(value, valid_from, None if valid_to == U else valid_to)
                assert got == want, (op, got)
        elif kind == "delete":
            _, key, ts, *want = op
            got = store.delete(key, ts)
            if want == [None]:
                assert got is None, op
            else:
                assert got is not None and (got.value, got.timestamp) == tuple(want), (op, got)
        elif kind == "restore":
            records = [(k.encode(), None if v is None else v.encode(), ts) for k, v, ts in op[1]]
            offset += len(records)
            store.restore_batch(records, offset)
        elif kind == "dropped":
            assert metrics.dropped_records == op[1], op
        else:
            raise AssertionError(f"unknown op {op}")


CASES: dict[str, list[tuple[Any, ...]]] = {
    "shouldPutLatest": [
        ("put", "k", "v", BASE, U),
        ("put", "k", "v2", BASE + 1, U),
        ("latest", "k", "v2", BASE + 1),
        ("as_of", "k", BASE, "v", BASE, BASE + 1),
        ("as_of", "k", BASE + 1, "v2", BASE + 1, U),
        ("as_of", "k", BASE + 2, "v2", BASE + 1, U),
    ],
    "shouldPutNullAsLatest": [
        ("put", "k", None, BASE, U),
        ("put", "k", None, BASE + 1, U),
        ("latest", "k", None),
        ("as_of", "k", BASE, None),
        ("as_of", "k", BASE + 1, None),
        ("as_of", "k", BASE + 2, None),
    ],
    "shouldPutOlderWithNonNullLatest": [
        ("put", "k", "v", BASE, U),
        ("put", "k", "v2", BASE - 2, BASE),
        ("put", "k", "v1", BASE - 1, BASE),
        ("put", "k", "v4", BASE - 4, BASE - 2),
        ("latest", "k", "v", BASE),
        ("as_of", "k", BASE, "v", BASE, U),
        ("as_of", "k", BASE - 1, "v1", BASE - 1, BASE),
        ("as_of", "k", BASE - 2, "v2", BASE - 2, BASE - 1),
        ("as_of", "k", BASE - 3, "v4", BASE - 4, BASE - 2),
    ],
    "shouldPutOlderWithNullLatest": [
        ("put", "k", None, BASE, U),
        ("put", "k", "v2", BASE - 2, BASE),
        ("put", "k", "v1", BASE - 1, BASE),
        ("put", "k", "v4", BASE - 4, BASE - 2),
        ("latest", "k", None),
        ("as_of", "k", BASE, None),
        ("as_of", "k", BASE - 1, "v1", BASE - 1, BASE),
        ("as_of", "k", BASE - 2, "v2", BASE - 2, BASE - 1),
        ("as_of", "k", BASE - 3, "v4", BASE - 4, BASE - 2),
    ],
    "shouldPutOlderNullWithNonNullLatest": [
        ("put", "k", "v", BASE, U),
        ("put", "k", None, BASE - 2, BASE),
        ("put", "k", None, BASE - 1, BASE),
        ("put", "k", None, BASE - 4, BASE - 2),
        ("put", "k", "v5", BASE - 5, BASE - 4),
        ("put", "k", "v3", BASE - 3, BASE - 2),
        ("put", "k", None, BASE - 6, BASE - 5),
        ("latest", "k", "v", BASE),
        ("as_of", "k", BASE, "v", BASE, U),
        ("as_of", "k", BASE - 1, None),
        ("as_of", "k", BASE - 2, None),
        ("as_of", "k", BASE - 3, "v3", BASE - 3, BASE - 2),
        ("as_of", "k", BASE - 4, None),
        ("as_of", "k", BASE - 5, "v5", BASE - 5, BASE - 4),
        ("as_of", "k", BASE - 6, None),
    ],
    "shouldPutOlderNullWithNullLatest": [
        ("put", "k", None, BASE, U),
        ("put", "k", None, BASE - 2, BASE),
        ("put", "k", None, BASE - 1, BASE),
        ("put", "k", None, BASE - 4, BASE - 2),
        ("put", "k", "v3", BASE - 3, BASE - 2),
        ("put", "k", "v5", BASE - 5, BASE - 4),
        ("put", "k", None, BASE - 6, BASE - 5),
        ("latest", "k", None),
        ("as_of", "k", BASE, None),
        ("as_of", "k", BASE - 1, None),
        ("as_of", "k", BASE - 2, None),
        ("as_of", "k", BASE - 3, "v3", BASE - 3, BASE - 2),
        ("as_of", "k", BASE - 4, None),
        ("as_of", "k", BASE - 5, "v5", BASE - 5, BASE - 4),
        ("as_of", "k", BASE - 6, None),
    ],
    "shouldPutRepeatTimestampAsLatest": [
        ("put", "k", "to_be_replaced", BASE, U),
        ("put", "k", "b", BASE, U),
        ("latest", "k", "b", BASE),
        ("as_of", "k", BASE, "b", BASE, U),
        ("as_of", "k", BASE - 1, None),
        ("put", "k", None, BASE, U),
        ("latest", "k", None),
        ("as_of", "k", BASE, None),
        ("as_of", "k", BASE - 1, None),
        ("put", "k", None, BASE, U),
        ("latest", "k", None),
        ("as_of", "k", BASE, None),
        ("as_of", "k", BASE - 1, None),
        ("put", "k", "b", BASE, U),
        ("latest", "k", "b", BASE),
        ("as_of", "k", BASE, "b", BASE, U),
        ("as_of", "k", BASE - 1, None),
    ],
    "shouldPutRepeatTimestamps": [
        ("put", "k", "to_be_replaced", SI + 20, U),
        ("put", "k", None, SI - 10, SI + 20),
        ("put", "k", "to_be_replaced", SI - 10, SI + 20),
        ("put", "k", None, SI - 10, SI + 20),
        ("put", "k", "to_be_replaced", SI - 1, SI + 20),
        ("put", "k", "to_be_replaced", SI + 1, SI + 20),
        ("put", "k", None, SI - 1, SI + 1),
        ("put", "k", None, SI + 1, SI + 20),
        ("put", "k", None, SI + 10, SI + 20),
        ("put", "k", None, SI + 5, SI + 10),
        ("put", "k", "vp5", SI + 5, SI + 10),
        ("put", "k", "to_be_replaced", SI - 5, SI - 1),
        ("put", "k", "vn5", SI - 5, SI - 1),
        ("put", "k", None, SI + 20, U),
        ("put", "k", None, SI + 20, U),
        ("put", "k", "vn6", SI - 6, SI - 5),
        ("latest", "k", None),
        ("as_of", "k", SI + 30, None),
        ("as_of", "k", SI + 15, None),
        ("as_of", "k", SI + 6, "vp5", SI + 5, SI + 10),
        ("as_of", "k", SI + 2, None),
        ("as_of", "k", SI, None),
        ("as_of", "k", SI - 1, None),
        ("as_of", "k", SI - 5, "vn5", SI - 5, SI - 1),
        ("as_of", "k", SI - 6, "vn6", SI - 6, SI - 5),
        ("as_of", "k", SI - 8, None),
    ],
    "shouldPutIntoMultipleSegments": [
        ("put", "k", None, SI - 20, U),
        ("put", "k", "vn10", SI - 10, U),
        ("put", "k", None, SI - 1, U),
        ("put", "k", None, SI + 1, U),
        ("put", "k", "vp10", SI + 10, U),
        ("put", "k", None, SI + 20, U),
        ("latest", "k", None),
        ("as_of", "k", SI + 30, None),
        ("as_of", "k", SI + 15, "vp10", SI + 10, SI + 20),
        ("as_of", "k", SI + 5, None),
        ("as_of", "k", SI + 2, None),
        ("as_of", "k", SI, None),
        ("as_of", "k", SI - 1, None),
        ("as_of", "k", SI - 5, "vn10", SI - 10, SI - 1),
        ("as_of", "k", SI - 15, None),
    ],
    "shouldMoveRecordToOlderSegmentDuringPut": [
        ("put", "k", "vp20", SI + 20, U),
        ("put", "k", "vp10", SI + 10, SI + 20),
        ("put", "k", "vn10", SI - 10, SI + 10),
        ("put", "k", "vn2", SI - 2, SI + 10),
        ("put", "k", "vn1", SI - 1, SI + 10),
        ("put", "k", "vp1", SI + 1, SI + 10),
        ("latest", "k", "vp20", SI + 20),
        ("as_of", "k", SI + 30, "vp20", SI + 20, U),
        ("as_of", "k", SI + 15, "vp10", SI + 10, SI + 20),
        ("as_of", "k", SI + 5, "vp1", SI + 1, SI + 10),
        ("as_of", "k", SI, "vn1", SI - 1, SI + 1),
        ("as_of", "k", SI - 1, "vn1", SI - 1, SI + 1),
        ("as_of", "k", SI - 2, "vn2", SI - 2, SI - 1),
        ("as_of", "k", SI - 5, "vn10", SI - 10, SI - 2),
    ],
    "shouldMoveRecordToOlderSegmentWithNullsDuringPut": [
        ("put", "k", None, SI + 20, U),
        ("put", "k", None, SI - 1, SI + 20),
        ("put", "k", None, SI + 1, SI + 20),
        ("put", "k", None, SI - 10, SI - 1),
        ("put", "k", None, SI + 10, SI + 20),
        ("put", "k", "vp5", SI + 5, SI + 10),
        ("put", "k", "vn5", SI - 5, SI - 1),
        ("put", "k", "vn6", SI - 6, SI - 5),
        ("latest", "k", None),
        ("as_of", "k", SI + 30, None),
        ("as_of", "k", SI + 15, None),
        ("as_of", "k", SI + 6, "vp5", SI + 5, SI + 10),
        ("as_of", "k", SI + 2, None),
        ("as_of", "k", SI, None),
        ("as_of", "k", SI - 1, None),
        ("as_of", "k", SI - 5, "vn5", SI - 5, SI - 1),
        ("as_of", "k", SI - 6, "vn6", SI - 6, SI - 5),
        ("as_of", "k", SI - 8, None),
    ],
    "shouldFallThroughToExistingOlderSegmentAsLatestDuringPut": [
        ("put", "k", None, SI - 5, U),
        ("put", "k", "vn6", SI - 6, SI - 5),
        ("put", "k", "vp20", SI + 20, U),
        ("put", "k", None, SI + 10, SI + 20),
        ("put", "k", None, SI - 1, SI + 10),
        ("put", "k", "vn2", SI - 2, SI - 1),
        ("latest", "k", "vp20", SI + 20),
        ("as_of", "k", SI + 30, "vp20", SI + 20, U),
        ("as_of", "k", SI + 12, None),
        ("as_of", "k", SI, None),
        ("as_of", "k", SI - 1, None),
        ("as_of", "k", SI - 2, "vn2", SI - 2, SI - 1),
        ("as_of", "k", SI - 5, None),
        ("as_of", "k", SI - 6, "vn6", SI - 6, SI - 5),
    ],
    "shouldPutNonLatestTombstoneIntoNewSegmentWithValidTo": [
        ("put", "k", "vp30", SI + 30, U),
        ("put", "k", None, SI - 10, SI + 30),
        ("put", "k", "vn5", SI - 5, SI + 30),
        ("put", "k", "vn1", SI - 1, SI + 30),
        ("put", "k", None, SI - 2, SI - 1),
        ("latest", "k", "vp30", SI + 30),
        ("as_of", "k", SI + 10, "vn1", SI - 1, SI + 30),
        ("as_of", "k", SI - 1, "vn1", SI - 1, SI + 30),
        ("as_of", "k", SI - 2, None),
        ("as_of", "k", SI - 5, "vn5", SI - 5, SI - 2),
        ("as_of", "k", SI - 10, None),
    ],
    "shouldNotPutExpired": [
        ("put", "k", "v", HR + 10, U),
        ("put", "k1", "v1", HR + 10 - HR, U),
        ("latest", "k1", "v1", HR + 10 - HR),
        ("put", "k2", "v2", HR + 9 - HR, NOT_PUT),
        ("latest", "k2", None),
        ("dropped", 1),
    ],
    "shouldGetFromOlderSegments": [
        ("put", "ko", None, SI - 10, U),
        ("put", "ko", None, 2 * SI - 10, U),
        ("put", "ko", None, 3 * SI - 10, U),
        ("as_of", "k", SI - 20, None),
        ("put", "k", "v", SI - 20, U),
        ("put", "k", None, SI - 10, U),
        ("as_of", "k", SI - 30, None),
        ("as_of", "k", SI - 15, "v", SI - 20, SI - 10),
        ("as_of", "k", SI - 5, None),
        ("put", "k", "v2", 3 * SI - 20, U),
        ("put", "k", None, 3 * SI - 10, U),
        ("as_of", "k", SI - 30, None),
        ("as_of", "k", SI - 15, "v", SI - 20, SI - 10),
        ("as_of", "k", SI - 5, None),
    ],
    "shouldNotGetExpired": [
        ("put", "k", "v_old", 0, U),
        ("put", "k", "v", SI - 10, U),
        ("as_of", "k", SI - 11, "v_old", 0, SI - 10),
        ("put", "ko", "vo", HR + SI - 11, U),
        ("as_of", "k", SI - 11, "v_old", 0, SI - 10),
        ("put", "ko", "vo2", HR + SI - 10, U),
        ("as_of", "k", SI - 11, None),
    ],
    "shouldGetExpiredIfLatestValue": [
        ("put", "k", "v", 1, U),
        ("put", "ko", "vo_old", 1, U),
        ("put", "ko", "vo_new", HR + 12, U),
        ("as_of", "k", 10, "v", 1, U),
        ("as_of", "ko", 10, None),
    ],
    "shouldDistinguishEmptyAndNull": [
        ("put", "k", None, SI + 20, U),
        ("put", "k", None, SI - 10, SI + 20),
        ("put", "k", None, SI - 1, SI + 20),
        ("put", "k", None, SI + 1, SI + 20),
        ("put", "k", None, SI + 10, SI + 20),
        ("put", "k", "", SI + 5, SI + 10),
        ("put", "k", "", SI - 5, SI - 1),
        ("put", "k", "", SI - 6, SI - 5),
        ("latest", "k", None),
        ("as_of", "k", SI + 30, None),
        ("as_of", "k", SI + 15, None),
        ("as_of", "k", SI + 6, "", SI + 5, SI + 10),
        ("as_of", "k", SI + 2, None),
        ("as_of", "k", SI, None),
        ("as_of", "k", SI - 1, None),
        ("as_of", "k", SI - 5, "", SI - 5, SI - 1),
        ("as_of", "k", SI - 6, "", SI - 6, SI - 5),
        ("as_of", "k", SI - 8, None),
    ],
    "shouldRestore": [
        (
            "restore",
            [
                ("k", "vp20", SI + 20),
                ("k", "vp10", SI + 10),
                ("k", "vn10", SI - 10),
                ("k", "vn2", SI - 2),
                ("k", "vn1", SI - 1),
                ("k", "vp1", SI + 1),
            ],
        ),
        ("latest", "k", "vp20", SI + 20),
        ("as_of", "k", SI + 30, "vp20", SI + 20, U),
        ("as_of", "k", SI + 15, "vp10", SI + 10, SI + 20),
        ("as_of", "k", SI + 5, "vp1", SI + 1, SI + 10),
        ("as_of", "k", SI, "vn1", SI - 1, SI + 1),
        ("as_of", "k", SI - 1, "vn1", SI - 1, SI + 1),
        ("as_of", "k", SI - 2, "vn2", SI - 2, SI - 1),
        ("as_of", "k", SI - 5, "vn10", SI - 10, SI - 2),
    ],
    "shouldRestoreWithNulls": [
        (
            "restore",
            [
                ("k", None, SI + 20),
                ("k", None, SI - 1),
                ("k", None, SI + 1),
                ("k", None, SI - 10),
                ("k", None, SI + 10),
                ("k", "vp5", SI + 5),
                ("k", "vn5", SI - 5),
                ("k", "vn6", SI - 6),
            ],
        ),
        ("latest", "k", None),
        ("as_of", "k", SI + 30, None),
        ("as_of", "k", SI + 15, None),
        ("as_of", "k", SI + 6, "vp5", SI + 5, SI + 10),
        ("as_of", "k", SI + 2, None),
        ("as_of", "k", SI, None),
        ("as_of", "k", SI - 1, None),
        ("as_of", "k", SI - 5, "vn5", SI - 5, SI - 1),
        ("as_of", "k", SI - 6, "vn6", SI - 6, SI - 5),
        ("as_of", "k", SI - 8, None),
    ],
    "shouldRestoreWithNullsAndRepeatTimestamps": [
        (
            "restore",
            [
                ("k", "to_be_replaced", SI + 20),
                ("k", None, SI - 10),
                ("k", "to_be_replaced", SI - 10),
                ("k", None, SI - 10),
                ("k", "to_be_replaced", SI - 1),
                ("k", "to_be_replaced", SI + 1),
                ("k", None, SI - 1),
                ("k", None, SI + 1),
                ("k", None, SI + 10),
                ("k", None, SI + 5),
                ("k", "vp5", SI + 5),
                ("k", "to_be_replaced", SI - 5),
                ("k", "vn5", SI - 5),
                ("k", None, SI + 20),
                ("k", None, SI + 20),
                ("k", "vn6", SI - 6),
            ],
        ),
        ("latest", "k", None),
        ("as_of", "k", SI + 30, None),
        ("as_of", "k", SI + 15, None),
        ("as_of", "k", SI + 6, "vp5", SI + 5, SI + 10),
        ("as_of", "k", SI + 2, None),
        ("as_of", "k", SI, None),
        ("as_of", "k", SI - 1, None),
        ("as_of", "k", SI - 5, "vn5", SI - 5, SI - 1),
        ("as_of", "k", SI - 6, "vn6", SI - 6, SI - 5),
        ("as_of", "k", SI - 8, None),
    ],
    "shouldRestoreMultipleBatches": [
        (
            "restore",
            [
                ("k", None, SI - 20),
                ("k", "vn10", SI - 10),
                ("k", None, SI - 1),
                ("k", None, SI + 1),
                ("k", "vp10", SI + 10),
                ("k", None, SI + 20),
            ],
        ),
        ("restore", []),
        ("latest", "k", None),
        ("as_of", "k", SI + 30, None),
        ("as_of", "k", SI + 15, "vp10", SI + 10, SI + 20),
        ("as_of", "k", SI + 5, None),
        ("as_of", "k", SI + 2, None),
        ("as_of", "k", SI, None),
        ("as_of", "k", SI - 1, None),
        ("as_of", "k", SI - 5, "vn10", SI - 10, SI - 1),
        ("as_of", "k", SI - 15, None),
    ],
    "shouldNotRestoreExpired": [
        ("restore", [("k", "v", HR + 10), ("k1", "v1", HR + 10 - HR), ("k2", "v2", HR + 9 - HR)]),
        ("latest", "k", "v", HR + 10),
        ("latest", "k1", "v1", HR + 10 - HR),
        ("latest", "k2", None),
        ("dropped", 0),
    ],
    "shouldRestoreEvenIfRecordWouldBeExpiredByEndOfBatch": [
        ("restore", [("k2", "v2", HR - HR), ("k", "v", HR + 10)]),
        ("latest", "k2", "v2", HR - HR),
        ("latest", "k", "v", HR + 10),
    ],
}

CASES.update(
    {
        "shouldDelete": [
            ("put", "k", "vp20", SI + 20, U),
            ("put", "k", "vp10", SI + 10, SI + 20),
            ("put", "k", "vn10", SI - 10, SI + 10),
            ("put", "k", "vn2", SI - 2, SI + 10),
            ("delete", "k", SI - 5, "vn10", SI - 10),  # delete from a segment
            ("delete", "k", SI + 10, "vp10", SI + 10),  # delete an existing timestamp
            ("delete", "k", SI + 10, None),  # the same timestamp again
            ("delete", "k", SI + 25, "vp20", SI + 20),  # delete from the latest value store
        ],
        "shouldNotDeleteExpired": [
            ("put", "k1", "v1", 1, U),
            ("put", "k2", "v2", 1, U),
            ("put", "kother", "vother", HR + 10, U),
            ("delete", "k1", HR + 10 - HR, "v1", 1),  # grace period not elapsed
            ("latest", "k1", None),
            ("delete", "k2", HR + 9 - HR, None),  # elapsed: no delete, None returned
            ("latest", "k2", "v2", 1),
            ("dropped", 1),
        ],
    }
)


@pytest.mark.parametrize("case", sorted(CASES))
def test_rocksdb_versioned_store_case(tmp_path: Path, case: str) -> None:
    metrics = Metrics()
    store = open_store(tmp_path, logged=False, metrics=metrics)
    try:
        run_ops(store, CASES[case], metrics)
    finally:
        store.close()


def test_zero_history_retention(tmp_path: Path) -> None:
    # RocksDBVersionedStoreTest.shouldAllowZeroHistoryRetention
    metrics = Metrics()
    store = open_store(tmp_path, 0, SI, logged=False, metrics=metrics)
    run_ops(
        store,
        [
            ("put", "k", "v", BASE, U),
            ("latest", "k", "v", BASE),
            ("as_of", "k", BASE, "v", BASE, U),
            ("as_of", "k", BASE + 1, "v", BASE, U),  # a query in the "future" is allowed
            ("put", "k", "updated", BASE, U),
            ("latest", "k", "updated", BASE),
            ("put", "k", "v2", BASE + 2, U),
            ("as_of", "k", BASE + 2, "v2", BASE + 2, U),
            ("as_of", "k", BASE + 1, None),  # history retention expired
            ("delete", "k", BASE + 3, "v2", BASE + 2),
            ("latest", "k", None),
            ("put", "k2", "v", BASE + 2, NOT_PUT),  # grace period expired
            ("latest", "k2", None),
            ("dropped", 1),
        ],
        metrics,
    )
    store.close()


# -- the segment row -------------------------------------------------------------------------
def test_segment_value_layout_is_javas() -> None:
    row = SegmentValue.with_record(b"ab", 10, 20)
    row.insert_as_latest(20, 30, None)
    row.insert_as_latest(30, 40, b"c")
    raw = row.encode()
    # next_ts, min_ts, (ts, size) newest first, then the values oldest first
    assert raw == (
        (40).to_bytes(8, "big")
        + (10).to_bytes(8, "big")
        + (30).to_bytes(8, "big")
        + (1).to_bytes(4, "big")
        + (20).to_bytes(8, "big")
        + (-1).to_bytes(4, "big", signed=True)
        + (10).to_bytes(8, "big")
        + (2).to_bytes(4, "big")
        + b"ab"
        + b"c"
    )
    back = SegmentValue.decode(raw)
    assert back.next_ts == 40 and back.versions == [(30, b"c"), (20, None), (10, b"ab")]
    assert back.find(25).value is None and back.find(35).value == b"c"
    assert [r.valid_from for r in back.find_all(0, 100)] == [30, 10]


def test_segment_value_degenerate_and_gap() -> None:
    row = SegmentValue.with_record(None, 50, 50)  # a lone tombstone
    assert row.degenerate
    row.insert_as_latest(60, 70, b"x")  # the gap [50, 60) becomes a tombstone
    assert not row.degenerate and row.versions == [(60, b"x"), (50, None)]
    with pytest.raises(ValueError, match="too large"):
        row.find(70)
    with pytest.raises(ValueError, match="too small"):
        row.find(49)
    empty = SegmentValue.with_record(b"", 1, 2)
    assert SegmentValue.decode(empty.encode()).versions == [(1, b"")]


# -- segments expire -------------------------------------------------------------------------
def test_segments_expire_with_stream_time(tmp_path: Path) -> None:
    store = open_store(tmp_path, 10_000, 2_000)
    inner = find_layer(store, RocksDBVersionedStore)
    assert inner is not None
    for ts in range(0, 30_000, 500):
        store.put("k", f"v{ts}", ts)
    # history segments are filed by validTo; those ending before 29_500 - 10_000 are gone
    assert inner.live_segments == list(range(19_500 // 2_000, 29_500 // 2_000 + 1))
    assert store.get("k", 19_600) == VersionedRecord("v19500", 19_500, 20_000)
    assert store.get("k", 19_000) is None  # older than the history retention
    store.flush_changelog()
    store.commit(None)
    engine_keys = list(inner.wrapped.range(None, None))
    assert len(engine_keys) < 40  # one row per live segment + the latest + bookkeeping
    store.close()


# -- changelog, restore, reopen, abort --------------------------------------------------------
def test_changelog_holds_every_version_in_put_order(tmp_path: Path) -> None:
    collector = Collector()
    store = open_store(tmp_path, 1_000, collector=collector)
    assert store.put("k", "a", 5_000) == U
    assert store.put("k", "b", 4_500) == 5_000
    assert store.put("k", "old", 1_000) == NOT_PUT  # logged too, as Kafka Streams does
    assert store.delete("k", 6_000) == VersionedRecord("a", 5_000)
    with pytest.raises(IllegalStateError, match="not sent to its changelog"):
        store.commit(3)
    assert store.flush_changelog()
    assert collector.records == [
        (b"k", b"a", 5_000),
        (b"k", b"b", 4_500),
        (b"k", b"old", 1_000),
        (b"k", None, 6_000),
    ]
    store.commit(3)
    assert not store.flush_changelog()
    store.close()


def test_restore_from_changelog_matches_the_store(tmp_path: Path) -> None:
    rnd = random.Random(7)
    collector = Collector()
    live = open_store(tmp_path / "live", 5_000, 1_000, collector=collector)
    keys = ["a", "b", "c"]
    t = 0
    for _ in range(600):
        t += rnd.randint(-800, 300)
        t = max(t, 0)
        key = rnd.choice(keys)
        if rnd.random() < 0.2:
            live.delete(key, t)
        else:
            live.put(key, None if rnd.random() < 0.1 else f"v{t}", t)
    live.flush_changelog()
    records = collector.records
    live.commit(len(records) - 1)
    restored = open_store(tmp_path / "restored", 5_000, 1_000, collector=Collector())
    for start in range(0, len(records), 97):  # in batches, as the changelog reader sends them
        restored.restore_batch(records[start : start + 97], start + 96)
    top = max(ts for _, _, ts in records)
    for key in keys:
        assert restored.get(key) == live.get(key)
        for at in range(top - 5_000, top + 10, 37):
            assert restored.get(key, at) == live.get(key, at), (key, at)
    live.close()
    restored.close()


def test_close_and_reopen_keeps_versions_and_stream_time(tmp_path: Path) -> None:
    store = open_store(tmp_path, 1_000, 500)
    store.put("k", "a", 1_000)
    store.put("k", "b", 2_000)
    store.flush_changelog()
    store.commit(1)
    store.close()
    assert not store.is_open()
    with pytest.raises(Exception, match="closed"):
        store.get("k")
    again = open_store(tmp_path, 1_000, 500)
    assert again.restore_offset() == 1
    assert again.get("k") == VersionedRecord("b", 2_000)
    assert again.get("k", 1_500) == VersionedRecord("a", 1_000, 2_000)
    # the observed stream time survived: a put older than the grace period is refused
    assert again.put("k", "late", 999) == NOT_PUT
    again.close()


def test_abort_drops_uncommitted_versions(tmp_path: Path) -> None:
    store = open_store(tmp_path, 1_000, 500)
    store.put("k", "a", 1_000)
    store.flush_changelog()
    store.commit(0)
    store.put("k", "b", 50_000)
    store.abort()
    assert store.get("k") == VersionedRecord("a", 1_000)
    assert store.put("k", "c", 500) == 1_000  # stream time is back at 1000: accepted
    store.close()


def test_wipe_empties_the_store(tmp_path: Path) -> None:
    store = open_store(tmp_path, 1_000, 500)
    store.put("k", "a", 1_000)
    store.flush_changelog()
    store.commit(0)
    store.wipe()
    assert store.get("k") is None and store.restore_offset() is None
    assert store.put("k", "z", 1) == U
    store.close()


# -- typed API, builder and supplier -----------------------------------------------------------
def test_typed_api_checks(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    assert isinstance(store, VersionedKeyValueStore)
    assert store.history_retention == HR
    with pytest.raises(ValueError, match="key cannot be null"):
        store.put(None, "v", 1)
    with pytest.raises(TypeError, match="timestamp must be an int"):
        store.put("k", "v", 1.5)
    with pytest.raises(ValueError, match="key cannot be null"):
        store.get(None)
    view = store.read_only()
    assert isinstance(view, ReadOnlyVersionedKeyValueStore)
    store.put("k", "v", 5)
    assert view.get("k") == VersionedRecord("v", 5) and view.get("k", 4) is None
    with pytest.raises(UnsupportedOperationError):
        view.put("k", "w", 6)
    with pytest.raises(UnsupportedOperationError):
        view.delete("k", 6)
    store.close()


def test_versioned_record() -> None:
    assert VersionedRecord("v", 1) == VersionedRecord("v", 1, None)
    assert VersionedRecord("v", 1, 2) != VersionedRecord("v", 1)
    assert repr(VersionedRecord("v", 1, 2)) == "VersionedRecord(value='v', timestamp=1, valid_to=2)"
    with pytest.raises(ValueError, match="value cannot be null"):
        VersionedRecord(None, 1)
    with pytest.raises(ValueError, match="validTo"):
        VersionedRecord("v", 5, 4)


def test_supplier_rules_and_default_segment_intervals() -> None:
    s = Stores.persistent_versioned_key_value_store("v", timedelta(minutes=10))
    assert (s.history_retention_ms, s.segment_interval_ms) == (600_000, 60_000)
    assert [default_segment_interval(ms) for ms in (0, 60_000, 300_000, 3_600_000, 86_400_000)] == [
        2_000,
        20_000,
        60_000,
        300_000,
        3_600_000,
    ]
    assert Stores.persistent_versioned_key_value_store("v", 1_000, 7).segment_interval_ms == 7
    with pytest.raises(ValueError, match="historyRetention cannot be negative"):
        Stores.persistent_versioned_key_value_store("v", -1)
    with pytest.raises(ValueError, match="segmentInterval cannot be zero or negative"):
        Stores.persistent_versioned_key_value_store("v", 1_000, 0)
    with pytest.raises(TypeError, match="historyRetention must be"):
        Stores.persistent_versioned_key_value_store("v", "1h")  # type: ignore[arg-type]


def test_builder_refuses_caching_and_configures_the_changelog() -> None:
    supplier = Stores.persistent_versioned_key_value_store("v", 60_000)
    builder = Stores.versioned_key_value_store_builder(supplier, S, S)
    with pytest.raises(IllegalStateError, match="Versioned stores do not support caching"):
        builder.with_caching_enabled()
    assert builder.changelog_config(0) == {
        "cleanup.policy": "compact",
        "min.compaction.lag.ms": str(60_000 + 86_400_000),
    }
    builder.with_logging_enabled({"min.compaction.lag.ms": "5", "segment.ms": "100"})
    assert builder.changelog_config(0) == {
        "cleanup.policy": "compact",
        "min.compaction.lag.ms": "5",
        "segment.ms": "100",
    }
    with pytest.raises(TypeError, match="VersionedBytesStoreSupplier"):
        Stores.versioned_key_value_store_builder(Stores.persistent_key_value_store("x"), S, S)  # type: ignore[arg-type]
