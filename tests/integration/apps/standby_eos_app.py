"""The EOS chaos app (``eos/eos_app.py``, same arguments) reporting restoration and tasks.

Besides what ``eos_app.py`` prints, one per line and flushed:

* ``RESTORED <store> <topic> <partition> <records>``: the state restore listener's
  ``on_restore_end`` (an active task's store caught up, with the records it restored);
* ``TASKS active=<ids> standby=<ids> lag=<n>`` whenever this instance's active or standby
  tasks (``metadata_for_local_threads()``) or the sum of its store partitions' offset lags
  (``all_local_store_partition_lags()``, 0 once every standby caught up) change;
* ``RECYCLED <n>`` whenever the number of task role changes that kept the stores open
  (standby promoted, active task recycled into a standby: a debug hook into the stream
  threads' standby tasks) changes.

``--in-memory``: every DSL store of the topology is an in-memory store (still logged).
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "eos"))

import eos_app

from kstreams import KafkaStreams


class PrintingRestoreListener:
    def on_restore_end(self, topic_partition: tuple[str, int], store: str, total: int) -> None:
        print(f"RESTORED {store} {topic_partition[0]} {topic_partition[1]} {total}", flush=True)


class ReportingStreams(KafkaStreams):
    """``KafkaStreams`` with the restore listener set and a thread printing its tasks."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.set_global_state_restore_listener(PrintingRestoreListener())

    def start(self) -> None:
        super().start()
        threading.Thread(target=self._report, name="task-reporter", daemon=True).start()

    def _report(self) -> None:
        last = ""
        while self.state.is_running_or_rebalancing():
            try:
                meta = self.metadata_for_local_threads()
                lags = self.all_local_store_partition_lags()
            except Exception:  # shutting down meanwhile
                time.sleep(0.2)
                continue
            active = sorted(str(t.task_id) for m in meta for t in m.active_tasks)
            standby = sorted(str(t.task_id) for m in meta for t in m.standby_tasks)
            lag = sum(info.offset_lag for parts in lags.values() for info in parts.values())
            line = f"TASKS active={','.join(active)} standby={','.join(standby)} lag={lag}"
            recycled = sum(
                getattr(t.task_manager.standbys, "recycled", 0) for t in list(self._threads)
            )
            line += f"\nRECYCLED {recycled}"
            if line != last:
                print(line, flush=True)
                last = line
            time.sleep(0.3)


class InMemoryMaterialized(eos_app.Materialized):  # type: ignore[misc,name-defined]
    """``Materialized.as_(name)`` as an in-memory store (logged, as every DSL store)."""

    @classmethod
    def as_(cls, name_or_supplier: Any) -> Any:
        return super().as_(name_or_supplier).with_store_type("in_memory")


eos_app.KafkaStreams = ReportingStreams  # type: ignore[misc]

if __name__ == "__main__":
    if "--in-memory" in sys.argv:
        sys.argv.remove("--in-memory")
        eos_app.Materialized = InMemoryMaterialized  # type: ignore[misc]
    sys.exit(eos_app.main())
