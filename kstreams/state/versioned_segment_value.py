"""The row of a versioned store's history segment: every version of one key in one segment.

Layout (Kafka Streams' ``RocksDBVersionedStoreSegmentValueFormatter``)::

    next_timestamp (8) + min_timestamp (8)
    + (timestamp (8), value_size (4)) per version, newest first (size -1: a tombstone)
    + the values, oldest first

``next_timestamp`` is the validTo of the newest version of the row, ``min_timestamp``
the validFrom of the oldest. A row whose ``next_timestamp`` equals its
``min_timestamp`` is *degenerate*: a lone tombstone put when the key had no version
the put could see (it keeps the key's history right for out-of-order puts to come).
Here a row is decoded whole into a :class:`SegmentValue` (a list of versions), changed
and encoded again: rows are small, and Python slices cost more than they save.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from kstreams.errors import IllegalStateError

_HEADER = struct.Struct(">qq")
_ENTRY = struct.Struct(">qi")
_TS = struct.Struct(">q")


def next_timestamp(raw: bytes) -> int:
    """The validTo of the newest version of an encoded row."""
    return _TS.unpack_from(raw, 0)[0]  # type: ignore[no-any-return]


def min_timestamp(raw: bytes) -> int:
    """The validFrom of the oldest version of an encoded row."""
    return _TS.unpack_from(raw, 8)[0]  # type: ignore[no-any-return]


@dataclass(frozen=True)
class SegmentSearchResult:
    """A version found in a row: its index (0 = newest), validity interval and value."""

    index: int
    valid_from: int
    valid_to: int
    value: bytes | None


class SegmentValue:
    """One decoded row: ``next_ts`` and ``versions`` as ``(valid_from, value or None)``, newest first.

    Example::

        row = SegmentValue.with_record(b"v1", 10, 20)     # v1 valid in [10, 20)
        row.insert_as_latest(20, 30, b"v2")               # v2 valid in [20, 30)
        row.find(25).value                                # b"v2"
        SegmentValue.decode(row.encode()).versions         # [(20, b"v2"), (10, b"v1")]
    """

    __slots__ = ("next_ts", "versions")

    def __init__(self, next_ts: int, versions: list[tuple[int, bytes | None]]) -> None:
        self.next_ts = next_ts
        self.versions = versions

    # -- codec --------------------------------------------------------------------------------
    @classmethod
    def with_record(cls, value: bytes | None, valid_from: int, valid_to: int) -> SegmentValue:
        """A row of one version (``valid_from == valid_to``: a degenerate tombstone row)."""
        return cls(valid_to, [(valid_from, value)])

    @classmethod
    def decode(cls, raw: bytes) -> SegmentValue:
        """The row encoded in ``raw``."""
        next_ts, min_ts = _HEADER.unpack_from(raw, 0)
        entries: list[tuple[int, int]] = []
        pos = _HEADER.size
        while True:
            ts, size = _ENTRY.unpack_from(raw, pos)
            pos += _ENTRY.size
            entries.append((ts, size))
            if ts == min_ts:
                break
        # values are stored oldest first: the newest version's value is at the very end
        end = len(raw)
        versions: list[tuple[int, bytes | None]] = []
        for ts, size in entries:
            if size < 0:
                versions.append((ts, None))
            else:
                versions.append((ts, raw[end - size : end]))
                end -= size
        return cls(next_ts, versions)

    def encode(self) -> bytes:
        """The row's bytes."""
        versions = self.versions
        parts = [_HEADER.pack(self.next_ts, versions[-1][0])]
        parts.extend(_ENTRY.pack(ts, -1 if v is None else len(v)) for ts, v in versions)
        parts.extend(v for _, v in reversed(versions) if v is not None)
        return b"".join(parts)

    # -- reads --------------------------------------------------------------------------------
    @property
    def min_ts(self) -> int:
        """The validFrom of the oldest version."""
        return self.versions[-1][0]

    @property
    def degenerate(self) -> bool:
        """Whether the row is a lone tombstone with validFrom == validTo."""
        return self.next_ts == self.versions[-1][0]

    def find(self, timestamp: int) -> SegmentSearchResult:
        """The newest version with validFrom <= ``timestamp`` (which must lie in [min_ts, next_ts))."""
        if timestamp < self.min_ts:
            raise ValueError("Timestamp is too small to be found in this segment.")
        if timestamp >= self.next_ts:
            raise ValueError("Timestamp is too large to be found in this segment.")
        valid_to = self.next_ts
        for i, (ts, value) in enumerate(self.versions):
            if ts <= timestamp:
                return SegmentSearchResult(i, ts, valid_to, value)
            valid_to = ts
        raise IllegalStateError("Search in segment expected to find result but did not.")

    def find_all(self, from_ts: int, to_ts: int) -> list[SegmentSearchResult]:
        """Every non-tombstone version valid at some time in [``from_ts``, ``to_ts``], newest first."""
        out = []
        valid_to = self.next_ts
        for i, (ts, value) in enumerate(self.versions):
            if value is not None and ts <= to_ts and valid_to > from_ts:
                out.append(SegmentSearchResult(i, ts, valid_to, value))
            valid_to = ts
        return out

    # -- writes -------------------------------------------------------------------------------
    def insert_as_latest(self, valid_from: int, valid_to: int, value: bytes | None) -> None:
        """Add a version newer than all others (a gap since ``next_ts`` becomes a tombstone).

        A ``valid_from`` before ``next_ts`` first truncates the row to it: the repair of
        a row left inconsistent by an earlier failed write, as Kafka Streams does.
        """
        if valid_from < self.next_ts:
            self._truncate_to(valid_from)
        if self.next_ts == valid_from:
            if self.degenerate:
                self.versions = [(valid_from, value)]
            else:
                self.versions.insert(0, (valid_from, value))
        else:
            if self.degenerate:
                self.versions = [(self.next_ts, None)]
            else:
                self.versions.insert(0, (self.next_ts, None))
            self.versions.insert(0, (valid_from, value))
        self.next_ts = valid_to

    def insert_as_earliest(self, timestamp: int, value: bytes | None) -> None:
        """Add a version older than all others (valid until the current oldest one)."""
        if self.degenerate:
            self.versions = [(timestamp, value)]
        else:
            self.versions.append((timestamp, value))

    def insert(self, timestamp: int, value: bytes | None, index: int) -> None:
        """Insert a version at ``index`` (0 = newest)."""
        self.versions.insert(index, (timestamp, value))

    def update_record(self, timestamp: int, value: bytes | None, index: int) -> None:
        """Replace the version at ``index``."""
        self.versions[index] = (timestamp, value)

    def _truncate_to(self, timestamp: int) -> None:
        # drop every version newer than (or at) timestamp; next_ts becomes timestamp
        if timestamp <= self.min_ts:
            self.next_ts = timestamp
            self.versions = [(timestamp, None)]
            return
        found = self.find(timestamp)
        drop = found.index + (1 if found.valid_from == timestamp else 0)
        del self.versions[:drop]
        self.next_ts = timestamp
