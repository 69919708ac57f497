"""After an unclean exactly-once close, a store is kept only if its checkpoint is committed."""

from __future__ import annotations

from typing import Any

import pytest

from kstreams.runtime import changelog_offsets
from kstreams.runtime.changelog_offsets import committed_at
from kstreams.runtime.restore import restore_store


class Msg:
    def __init__(self, topic: str, offset: int) -> None:
        self._topic = topic
        self._offset = offset

    def error(self) -> None:
        return None

    def topic(self) -> str:
        return self._topic

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
    def __init__(self, topic: str, offset: int) -> None:
        self.topic = topic
        self.partition = 0
        self.offset = offset


class Log:
    def __init__(self, committed: set[int], end: int, stable: int | None, skips: bool) -> None:
        self.committed = committed
        self.end = end
        self.stable = end if stable is None else stable
        self.skips = skips
        self.next = -1001


class Changelog:
    """A read_committed view of changelogs (partition 0 of each topic): ``committed`` offsets
    are returned, others skipped; ``skips=False``: the position does not move past skipped
    records (only the quiet fetch tells)."""

    def __init__(
        self, committed: set[int], end: int, stable: int | None = None, skips: bool = True
    ) -> None:
        self.logs: dict[str, Log] = {}
        self.default = (committed, end, stable, skips)
        self.assigned: list[str] = []
        self.consumes = 0

    def add(self, topic: str, committed: set[int], end: int, stable: int | None = None) -> None:
        self.logs[topic] = Log(committed, end, stable, True)

    def _log(self, topic: str) -> Log:
        if topic not in self.logs:
            self.logs[topic] = Log(*self.default)
        return self.logs[topic]

    def get_watermark_offsets(self, tp: Any, timeout: float, cached: bool) -> tuple[int, int]:
        return 0, self._log(tp.topic).stable

    def assign(self, tps: list[Any]) -> None:
        self.assigned = [tp.topic for tp in tps]
        for tp in tps:
            self._log(tp.topic).next = tp.offset

    def resume(self, tps: Any) -> None:
        pass

    def pause(self, tps: Any) -> None:
        pass

    def consume(self, n: int, timeout: float) -> list[Msg]:
        self.consumes += 1
        out = []
        for topic in self.assigned:
            log = self.logs[topic]
            while log.next < log.stable and len(out) < n:
                if log.next in log.committed:
                    out.append(Msg(topic, log.next))
                    log.next += 1
                elif log.skips:
                    log.next += 1
                else:
                    break
        return out

    def position(self, tps: Any) -> list[Position]:
        return [Position(tp.topic, self.logs[tp.topic].next) for tp in tps]

    def list_topics(self, topic: str, timeout: float) -> None:
        pass

    def unassign(self) -> None:
        self.assigned = []


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
    changelog = Changelog(committed={0, 1, 2, 4, 5}, end=7)  # 3 and 6: commit markers
    assert committed_at(changelog, "t", 0, 2)  # committed data
    store = Store(checkpoint=2)
    assert restore_store(changelog, store, 0, verify_checkpoint=True) == 2
    assert not store.wiped and store.checkpoint == 5  # only the tail 4, 5 restored


def test_a_commit_marker_checkpoint_is_trusted() -> None:
    # under exactly-once a checkpoint is the log end read right after the commit: the
    # transaction's marker, whose previous record is that transaction's (committed) data
    changelog = Changelog(committed={0, 1, 2, 4, 5}, end=7)
    assert committed_at(changelog, "t", 0, 3)
    assert committed_at(changelog, "t", 0, 6)
    store = Store(checkpoint=3)
    assert restore_store(changelog, store, 0, verify_checkpoint=True) == 2
    assert not store.wiped and store.checkpoint == 5


def test_an_aborted_checkpoint_wipes_the_store(caplog: pytest.LogCaptureFixture) -> None:
    # 0, 1 committed (2 their marker), 3, 4 aborted (5 the abort marker), 6 committed (7)
    changelog = Changelog(committed={0, 1, 6}, end=8)
    assert not committed_at(changelog, "t", 0, 3)  # aborted data
    assert not committed_at(changelog, "t", 0, 4)
    assert not committed_at(changelog, "t", 0, 5)  # the abort marker
    assert committed_at(changelog, "t", 0, 2)  # the commit marker before them
    store = Store(checkpoint=4)
    assert restore_store(changelog, store, 0, verify_checkpoint=True) == 3
    assert store.wiped and store.checkpoint == 6
    assert "is not a committed record" in caplog.text


def test_an_aborted_last_record_is_told_by_the_position(monkeypatch: pytest.MonkeyPatch) -> None:
    # nothing at or after the checkpoint is committed data: the consumer returns nothing, but
    # its position passes the aborted records; no waiting for a quiet fetch
    monkeypatch.setattr(changelog_offsets, "QUIET_FETCH_S", 3600.0)
    changelog = Changelog(committed={0, 1}, end=6)  # 2 a commit marker, 3-5 aborted
    assert not committed_at(changelog, "t", 0, 4)
    assert changelog.consumes == 1


def test_an_aborted_last_record_is_told_by_a_quiet_fetch(monkeypatch: pytest.MonkeyPatch) -> None:
    # a consumer whose position does not move past skipped records: the quiet fetch decides
    monkeypatch.setattr(changelog_offsets, "QUIET_FETCH_S", 0.3)
    changelog = Changelog(committed={0, 1}, end=6, skips=False)
    assert not committed_at(changelog, "t", 0, 4)


def test_the_read_starts_no_earlier_than_the_log_start() -> None:
    changelog = Changelog(committed={3, 4}, end=6)  # 0-2 deleted (log start 3), 5 a marker
    assert committed_at(changelog, "t", 0, 3, low=3)
    assert changelog.logs["t"].next == 4  # read from 3, not 2


def test_many_checkpoints_are_checked_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(changelog_offsets, "QUIET_FETCH_S", 3600.0)
    changelog = Changelog(committed=set(), end=0)
    changelog.add("a", committed={0, 1, 2}, end=4)  # 3: a commit marker
    changelog.add("b", committed={0, 1}, end=6)  # 2 a marker, 3, 4 aborted, 5 a marker
    changelog.add("c", committed={0, 1, 6}, end=8)  # 3, 4 aborted
    checks = [("a", 0, 3, 0), ("b", 0, 4, 0), ("c", 0, 3, 0)]
    assert changelog_offsets.committed_records(changelog, checks) == {
        ("a", 0): True,
        ("b", 0): False,
        ("c", 0): False,
    }
    assert changelog.consumes == 1
    assert changelog.assigned == []  # left unassigned


def test_an_undecided_transaction_is_waited_for() -> None:
    changelog = Changelog(committed={0, 1, 2}, end=4, stable=1)  # open from offset 1
    with pytest.raises(Exception, match="still undecided"):
        committed_at(changelog, "t", 0, 2, timeout_s=0.3)


def test_without_verification_the_checkpoint_is_trusted() -> None:
    changelog = Changelog(committed={0, 1, 4}, end=6)
    store = Store(checkpoint=2)
    restore_store(changelog, store, 0)
    assert not store.wiped


def test_a_read_before_the_log_start_counts_as_not_committed() -> None:
    # retention moved the log start past the checkpoint after the lookup: the restore
    # consumer (auto.offset.reset=error) reports it; the store is wiped, the thread goes on
    from confluent_kafka import KafkaError

    class ResetError:
        def code(self) -> int:
            return KafkaError._AUTO_OFFSET_RESET

    class Reset(Msg):
        def error(self) -> Any:  # type: ignore[override]
            return ResetError()

    class Consumer(Changelog):
        def consume(self, n: int, timeout: float) -> list[Msg]:
            return [Reset("t", 2)]

    consumer = Consumer(committed={5}, end=8)
    assert not committed_at(consumer, "t", 0, 3, low=2)
