"""Restoration that makes no progress (an open or hanging transaction) says so, then gives up."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from kstreams.errors import StreamsError
from kstreams.runtime.restore import restore_store


class Position:
    def __init__(self, offset: int) -> None:
        self.offset = offset


class StuckConsumer:
    """A changelog whose log ends at 10 while read_committed never gets past offset 3."""

    def get_watermark_offsets(self, tp: Any, timeout: float, cached: bool) -> tuple[int, int]:
        return 0, 10

    def assign(self, tps: Any) -> None:
        pass

    def resume(self, tps: Any) -> None:
        pass

    def consume(self, n: int, timeout: float) -> list[Any]:
        return []

    def position(self, tps: Any) -> list[Position]:
        return [Position(3)]

    def list_topics(self, topic: str, timeout: float) -> None:
        pass

    def unassign(self) -> None:
        pass


class Store:
    name = "counts"
    changelog_topic = "app-counts-changelog"

    def restore_offset(self) -> int:
        return 2

    def restore_batch(self, records: Any, last: int) -> None:
        raise AssertionError("nothing to restore")


def test_a_stalled_restoration_warns_then_fails(caplog: pytest.LogCaptureFixture) -> None:
    with (
        caplog.at_level(logging.WARNING, logger="kstreams"),
        pytest.raises(StreamsError, match="stalled at offset 3 of 10"),
    ):
        restore_store(StuckConsumer(), Store(), 0, timeout_s=0.5, stall_report_s=0.2)
    warnings = [r.getMessage() for r in caplog.records if "no progress" in r.getMessage()]
    assert warnings, caplog.text
    assert "at offset 3 of 10" in warnings[0] and "hanging transaction" in warnings[0]
