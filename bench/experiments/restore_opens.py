"""Experiment: what opening a task's RocksDB store costs, and whether opens can overlap.

A wiped restart of many partitions spends most of its time opening one RocksDB database per
store (``kstreams.state.rocksdb``'s options and meta column family, as a task opens it).
Three measurements, each on ``--stores`` databases in a fresh directory under ``--dir``:

* ``serial`` / ``threads``: wall and CPU time (``time.process_time``: every thread, kernel
  time included) of opening them one after another, and from ``--threads`` threads at once;
* ``gil``: how often a Python thread that sleeps 1 ms in a loop gets to run while the main
  thread opens stores, against the same thread on an idle interpreter: near zero means the
  open holds the GIL throughout (no Python work, restoration included, overlaps it);
* ``reopen``: the same databases closed and opened again (a clean restart's open).

    .venv/bin/python bench/experiments/restore_opens.py --stores 64 --threads 4

Count the file syncs of one open with ``strace -f -c -e trace=fsync,fdatasync`` around
``--stores 1 --only serial``.
"""

from __future__ import annotations

import argparse
import functools
import os
import shutil
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from rocksdict import Options, Rdict

from kstreams.state.rocksdb import META_COLUMN_FAMILY, rocksdb_options


def open_db(path: str) -> Any:
    """A store's database, opened as ``RocksDBStore`` opens it."""
    os.makedirs(path, exist_ok=True)
    return Rdict(
        path, rocksdb_options(), column_families={META_COLUMN_FAMILY: Options(raw_mode=True)}
    )


def timed_opens(paths: list[str], threads: int) -> tuple[list[Any], float, float]:
    """The open databases, wall s and CPU s of opening them (``threads`` > 1: in parallel)."""
    c0, w0 = time.process_time(), time.monotonic()
    if threads > 1:
        with ThreadPoolExecutor(threads) as pool:
            dbs = list(pool.map(open_db, paths))
    else:
        dbs = [open_db(p) for p in paths]
    return dbs, time.monotonic() - w0, time.process_time() - c0


class Ticker:
    """A thread that sleeps 1 ms in a loop and counts its wake-ups."""

    def __init__(self) -> None:
        self.ticks = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.ticks += 1
            time.sleep(0.001)

    def rate_during(self, work: Any) -> tuple[float, Any]:
        before, began = self.ticks, time.monotonic()
        out = work()
        return (self.ticks - before) / max(time.monotonic() - began, 1e-9), out

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def report(name: str, n: int, wall: float, cpu: float) -> None:
    print(
        f"{name:>8}: {n} opens in {wall * 1000:,.0f} ms wall ({wall / n * 1000:.1f} ms each), "
        f"CPU {cpu / n * 1000:.1f} ms each",
        flush=True,
    )


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--stores", type=int, default=64)
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--dir", default=tempfile.gettempdir())
    p.add_argument("--only", choices=("serial", "threads", "gil", "reopen"), action="append")
    args = p.parse_args()
    wanted = args.only or ["serial", "threads", "gil", "reopen"]
    root = tempfile.mkdtemp(dir=args.dir, prefix="restore-opens-")
    try:
        for what in wanted:
            base = os.path.join(root, what)
            paths = [os.path.join(base, f"1_{i}", "rocksdb", "counts") for i in range(args.stores)]
            if what == "gil":
                ticker = Ticker()
                time.sleep(0.1)
                idle, _ = ticker.rate_during(lambda: time.sleep(0.5))
                busy, (dbs, wall, cpu) = ticker.rate_during(
                    functools.partial(timed_opens, paths, 1)
                )
                ticker.stop()
                report(what, len(paths), wall, cpu)
                print(
                    f"{'':>8}  a 1 ms sleeper ran {idle:.0f}/s idle, {busy:.0f}/s during the opens"
                )
            elif what == "reopen":
                dbs, _, _ = timed_opens(paths, 1)
                for db in dbs:
                    db.close()
                dbs, wall, cpu = timed_opens(paths, 1)
                report(what, len(paths), wall, cpu)
            else:
                dbs, wall, cpu = timed_opens(paths, args.threads if what == "threads" else 1)
                report(
                    f"{what}" if what == "serial" else f"{args.threads} thr", len(paths), wall, cpu
                )
            for db in dbs:
                db.close()
            shutil.rmtree(base, ignore_errors=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
