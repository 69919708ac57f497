"""After an unclean exactly-once close, a store is kept only if its checkpoint is committed."""

from __future__ import annotations

from typing import Any

import pytest

from kstreams.runtime import changelog_offsets
from kstreams.runtime.changelog_offsets import committed_at
from kstreams.runtime.restore import restore_store


class Msg:
    def __init__(self, offset: int) -> None:
        self._offset = offset

    def error(self) -> None:
        return None

    def topic(self) -> str:
        return "app-counts-changelog"

    def partition(self) -> int:
        return 0

    def offset(self) -> int:
        return self._offset

    def key(self) -> bytes:
        return b"k"

    def value(self) -> bytes:
        return b"v"

    def timestamp(self) -> tuple[int, int]:
        return (1, 5)


class Position:
    def __init__(self, offset: int) -> None:
        self.offset = offset


class Changelog:
    """A read_committed view of a changelog: ``committed`` offsets are returned, others skipped."""

    def __init__(self, committed: set[int], end: int, stable: int | None = None) -> None:
        self.committed = committed
        self.end = end
        self.stable = end if stable is None else stable
        self.next = 0

    def get_watermark_offsets(self, tp: Any, timeout: float, cached: bool) -> tuple[int, int]:
        return 0, self.stable

    def assign(self, tps: list[Any]) -> None:
        self.next = tps[0].offset

    def resume(self, tps: Any) -> None:
        pass

    def consume(self, n: int, timeout: float) -> list[Msg]:
        out = []
        while self.next < self.stable and len(out) < n:
            if self.next in self.committed:
                out.append(Msg(self.next))
            self.next += 1
        return out

    def position(self, tps: Any) -> list[Position]:
        return [Position(self.next)]

    def list_topics(self, topic: str, timeout: float) -> None:
        pass

    def unassign(self) -> None:
        pass


class Store:
    name = "counts"
    changelog_topic = "app-counts-changelog"

    def __init__(self, checkpoint: int | None) -> None:
        self.checkpoint = checkpoint
        self.wiped = False
        self.restored: list[Any] = []

    def restore_offset(self) -> int | None:
        return self.checkpoint

    def wipe(self) -> None:
        self.wiped = True
        self.checkpoint = None

    def restore_batch(self, records: Any, last: int) -> None:
        self.restored.extend(records)
        self.checkpoint = last


def test_a_committed_checkpoint_is_trusted() -> None:
    changelog = Changelog(committed={0, 1, 2, 4, 5}, end=7)  # 3 and 6: transaction markers
    assert committed_at(changelog, "t", 0, 2)
    store = Store(checkpoint=2)
    assert restore_store(changelog, store, 0, verify_checkpoint=True) == 2
    assert not store.wiped and store.checkpoint == 5  # only the tail 4, 5 restored


def test_an_aborted_checkpoint_wipes_the_store(caplog: pytest.LogCaptureFixture) -> None:
    changelog = Changelog(committed={0, 1, 4}, end=6)  # 2 and 3 belong to an aborted transaction
    assert not committed_at(changelog, "t", 0, 2)
    store = Store(checkpoint=2)
    assert restore_store(changelog, store, 0, verify_checkpoint=True) == 3
    assert store.wiped and store.checkpoint == 4
    assert "is not a committed record" in caplog.text


def test_an_aborted_last_record_wipes_the_store(monkeypatch: pytest.MonkeyPatch) -> None:
    # nothing at or after the checkpoint is committed data: the consumer returns nothing
    monkeypatch.setattr(changelog_offsets, "QUIET_FETCH_S", 0.3)
    changelog = Changelog(committed={0, 1}, end=4)
    assert not committed_at(changelog, "t", 0, 2)


def test_an_undecided_transaction_is_waited_for() -> None:
    changelog = Changelog(committed={0, 1, 2}, end=4, stable=1)  # open from offset 1
    with pytest.raises(Exception, match="still undecided"):
        committed_at(changelog, "t", 0, 2, timeout_s=0.3)


def test_without_verification_the_checkpoint_is_trusted() -> None:
    changelog = Changelog(committed={0, 1, 4}, end=6)
    store = Store(checkpoint=2)
    restore_store(changelog, store, 0)
    assert not store.wiped
