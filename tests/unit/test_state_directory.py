"""The application's state directory: persisted process id and the one-instance lock."""

from __future__ import annotations

import pytest

from kstreams.errors import StreamsError
from kstreams.runtime.state_directory import PROCESS_METADATA, StateDirectory


def test_process_id_is_persisted_and_reused(tmp_path) -> None:
    first = StateDirectory(str(tmp_path), "app").process_id()
    assert (tmp_path / "app" / PROCESS_METADATA).exists()
    assert StateDirectory(str(tmp_path), "app").process_id() == first


def test_unreadable_metadata_is_replaced(tmp_path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / PROCESS_METADATA).write_text("not json")
    pid = StateDirectory(str(tmp_path), "app").process_id()
    assert StateDirectory(str(tmp_path), "app").process_id() == pid


def test_second_instance_on_the_same_directory_is_refused(tmp_path) -> None:
    a, b = StateDirectory(str(tmp_path), "app"), StateDirectory(str(tmp_path), "app")
    a.lock()
    with pytest.raises(StreamsError, match="same state directory"):
        b.lock()
    a.unlock()
    b.lock()  # free again
    b.unlock()


def test_stateless_topologies_neither_persist_nor_lock(tmp_path) -> None:
    a = StateDirectory(str(tmp_path), "app", enabled=False)
    b = StateDirectory(str(tmp_path), "app", enabled=False)
    assert a.process_id() != a.process_id()
    a.lock()
    b.lock()
    assert not (tmp_path / "app").exists()
