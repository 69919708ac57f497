"""Exactly-once trusts a task's local state after a clean close; after an unclean one it has
restoration verify each store's checkpoint against the changelog first (Kafka Streams wipes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kstreams import Materialized, StreamsBuilder
from kstreams.config import StreamsConfig
from kstreams.processor.task_id import TaskId
from kstreams.runtime.task_stores import CLEAN_CLOSE_MARKER, TaskStores
from kstreams.serde import Serdes
from kstreams.state import ValueAndTimestamp


class Collector:
    def __init__(self) -> None:
        self.changelog_offsets: dict[tuple[str, int], int] = {}

    def send_changelog(
        self, topic: str, key: bytes, value: bytes | None, timestamp: int, partition: int
    ) -> None:
        tp = (topic, partition)
        self.changelog_offsets[tp] = self.changelog_offsets.get(tp, -1) + 1


def open_stores(tmp_path: Path, guarantee: str, collector: Collector) -> TaskStores:
    builder = StreamsBuilder()
    builder.stream(
        "in", key_serde=Serdes.String(), value_serde=Serdes.String()
    ).group_by_key().count(Materialized.as_("counts").with_caching_disabled())
    topology = builder.build()
    config = StreamsConfig(
        {
            "application.id": "app",
            "bootstrap.servers": "unused:9092",
            "state.dir": str(tmp_path),
            "processing.guarantee": guarantee,
        }
    )
    return TaskStores(
        TaskId(0, 0), topology, topology.subtopologies()[0], config, collector, lambda: None
    )


def write_and_commit(stores: TaskStores, collector: Collector) -> None:
    store: Any = stores.stores["counts"]
    store.put("a", ValueAndTimestamp(1, 5))
    stores.flush_changelog()
    stores.commit(collector.changelog_offsets)


@pytest.mark.parametrize("clean", [True, False])
def test_exactly_once_verifies_local_state_after_an_unclean_close(
    tmp_path: Path, clean: bool
) -> None:
    collector = Collector()
    stores = open_stores(tmp_path, "exactly_once_v2", collector)
    write_and_commit(stores, collector)
    stores.close(clean=clean)
    marker = Path(stores.directory or "") / CLEAN_CLOSE_MARKER
    assert marker.exists() is clean

    again = open_stores(tmp_path, "exactly_once_v2", collector)
    store: Any = again.stores["counts"]
    # kept either way: local state is never ahead of a committed transaction
    assert store.get("a") == ValueAndTimestamp(1, 5)
    assert store.restore_offset() == 0  # only the changelog's tail is restored
    # ... but after an unclean close restoration checks the checkpoint first
    assert again.unverified == (set() if clean else {"counts"})
    assert not marker.exists()  # a crash from now on must not count as clean
    again.close()


def test_at_least_once_keeps_local_state_after_any_close(tmp_path: Path) -> None:
    collector = Collector()
    stores = open_stores(tmp_path, "at_least_once", collector)
    write_and_commit(stores, collector)
    stores.close(clean=False)
    again = open_stores(tmp_path, "at_least_once", collector)
    assert again.stores["counts"].get("a") == ValueAndTimestamp(1, 5)
    assert again.unverified == set()
    again.close()
