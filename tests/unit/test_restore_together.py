"""Restoration reads every changelog partition of the restoring tasks at once."""

from __future__ import annotations

from typing import Any

import pytest
from changelog_fakes import Msg, Position

from kstreams.errors import StreamsError
from kstreams.runtime.restore import plan_restore, restore_stores


class Changelogs:
    """Changelog partitions ``{(topic, partition): (data offsets, end offset)}``; offsets not in
    the data are transaction markers (a read_committed consumer skips them). ``stuck``:
    partitions a fetch never gets past."""

    def __init__(
        self,
        logs: dict[tuple[str, int], tuple[list[int], int]],
        stuck: frozenset[tuple[str, int]] = frozenset(),
    ) -> None:
        self.logs = logs
        self.stuck = stuck
        self.pos: dict[tuple[str, int], int] = {}
        self.assigns: list[list[tuple[str, int]]] = []
        self.paused: set[tuple[str, int]] = set()
        self.consumes = 0

    def get_watermark_offsets(self, tp: Any, timeout: float, cached: bool) -> tuple[int, int]:
        return 0, self.logs[(tp.topic, tp.partition)][1]

    def list_topics(self, topic: str, timeout: float) -> None:
        self.metadata_asked = [*getattr(self, "metadata_asked", []), topic]

    def assign(self, tps: list[Any]) -> None:
        self.assigns.append([(tp.topic, tp.partition) for tp in tps])
        self.pos = {(tp.topic, tp.partition): tp.offset for tp in tps}

    def pause(self, tps: list[Any]) -> None:
        self.paused |= {(tp.topic, tp.partition) for tp in tps}

    def resume(self, tps: list[Any]) -> None:
        self.paused -= {(tp.topic, tp.partition) for tp in tps}

    def consume(self, n: int, timeout: float) -> list[Msg]:
        self.consumes += 1
        out = []
        for tp, start in self.pos.items():  # one fetch: every partition at once
            if tp in self.paused or tp in self.stuck:
                continue
            data, end = self.logs[tp]
            out.extend(Msg(tp[0], tp[1], o) for o in data if o >= start)
            self.pos[tp] = end
        return out[:n]

    def position(self, tps: list[Any]) -> list[Position]:
        return [Position(tp.topic, tp.partition, self.pos[(tp.topic, tp.partition)]) for tp in tps]

    def unassign(self) -> None:
        self.pos = {}


class Store:
    def __init__(self, name: str, checkpoint: int | None = None) -> None:
        self.name = name
        self.changelog_topic = f"app-{name}-changelog"
        self.checkpoint = checkpoint
        self.restored: list[tuple[bytes, int]] = []

    def restore_offset(self) -> int | None:
        return self.checkpoint

    def restore_batch(self, records: list[Any], last: int) -> None:
        self.restored.extend((k, ts) for k, _, ts in records)
        self.checkpoint = last

    def wipe(self) -> None:
        self.restored, self.checkpoint = [], None


def test_every_partition_is_read_in_one_assignment() -> None:
    a, b = Store("a"), Store("b", checkpoint=1)
    logs = Changelogs(
        {(a.changelog_topic, 0): ([0, 1, 2], 3), (b.changelog_topic, 1): ([0, 1, 2, 3], 4)}
    )
    jobs = [plan_restore(logs, a, 0), plan_restore(logs, b, 1)]
    assert restore_stores(logs, [j for j in jobs if j]) == 5
    assert logs.assigns == [[(a.changelog_topic, 0), (b.changelog_topic, 1)]]
    assert a.restored == [(b"k0", 7), (b"k1", 7), (b"k2", 7)]
    assert b.restored == [(b"k2", 7), (b"k3", 7)]  # from its checkpoint on
    assert logs.consumes == 1


def test_a_checkpoint_followed_only_by_a_transaction_marker_costs_one_fetch() -> None:
    """A clean exactly-once restart: the checkpoint is the last data record, its commit
    marker the only offset after it. Many such partitions are done in the same fetch."""
    stores = [Store(f"s{i}", checkpoint=4) for i in range(16)]
    logs = Changelogs({(s.changelog_topic, 0): ([0, 1, 2, 3, 4], 6) for s in stores})
    jobs = [plan_restore(logs, s, 0) for s in stores]
    assert all(jobs)
    assert restore_stores(logs, [j for j in jobs if j]) == 0
    assert logs.consumes == 1


def test_an_up_to_date_store_is_not_read() -> None:
    store = Store("a", checkpoint=2)
    logs = Changelogs({(store.changelog_topic, 0): ([0, 1, 2], 3)})
    assert plan_restore(logs, store, 0) is None


def test_a_stalled_partition_fails_the_restoration_naming_it() -> None:
    a, b = Store("a"), Store("b")
    logs = Changelogs(
        {(a.changelog_topic, 0): ([0, 1], 2), (b.changelog_topic, 3): ([0, 1], 5)},
        stuck=frozenset({(b.changelog_topic, 3)}),
    )
    jobs = [j for j in (plan_restore(logs, a, 0), plan_restore(logs, b, 3)) if j]
    with pytest.raises(
        StreamsError, match=r"Restoring b from app-b-changelog-3 stalled at offset 0 of 5"
    ):
        restore_stores(logs, jobs, timeout_s=0.3, stall_report_s=0.1)
    assert a.restored == [(b"k0", 7), (b"k1", 7)]  # the other partition finished
    assert (a.changelog_topic, 0) in logs.paused
