"""The window cache's record path alone: a count's update of 6 hopping windows of hot keys.

A cached timestamped window store (RocksDB below), 50 keys whose 6 windows are all cached and
dirty (no flush), ``aggregate_windows`` called N times as a hopping count calls it. Prints the
thread's CPU µs per call; under callgrind, two runs (N and 2N) give the instructions per call:

    valgrind --tool=callgrind --callgrind-out-file=/tmp/u.1 .venv/bin/python \\
        bench/experiments/window_update.py 20000            # and 40000: (B - A) / 20000
"""

from __future__ import annotations

import sys
import tempfile
import time
from typing import Any

from kstreams.processor.aggregate import count_aggregator, count_initializer
from kstreams.serde import Serdes
from kstreams.state import StateStoreContext, Stores
from kstreams.state.caching import ThreadCache, cached_store


class _Collector:
    def send_changelog(self, *args: Any) -> None:
        pass


class _Record:
    timestamp = 0
    headers = None
    topic = "in"
    partition = 0
    offset = 0


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    supplier = Stores.persistent_window_store("w", 60_000, 60_000, False)
    builder = Stores.timestamped_window_store_builder(supplier, Serdes.String(), Serdes.Long())
    store = cached_store(builder.build(), ThreadCache(100 << 20))
    store.init(
        StateStoreContext(
            "0_0",
            "app",
            0,
            tempfile.mkdtemp(prefix="kstreams-window-update-"),
            changelog_topic="x",
            collector=_Collector(),
            record_context=_Record(),
            record_timestamp=lambda: 0,
        )
    )
    store.set_flush_listener(lambda *args: None, False)
    keys = [f"/p/{i}" for i in range(50)]
    update = store.aggregate_windows
    windows = range(0, 60_001, 10_000)[:6]
    for key in keys:
        update(key, windows, None, 1, count_initializer, count_aggregator, True)
    t0 = time.thread_time()
    for i in range(n):
        update(keys[i % 50], windows, None, 1 + i, count_initializer, count_aggregator, True)
    print(f"{(time.thread_time() - t0) / n * 1e6:.2f} µs per call (6 windows)")
    store.close()


if __name__ == "__main__":
    main()
