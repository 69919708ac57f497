"""Experiment: what each copy of the old restore path cost, measured alone (no broker).

The word count's store received restored records as ``(key, value, timestamp)`` tuples and
every layer copied them: the timestamped change-logging layer into ``(key, ts + value, ts)``,
the write buffer into ``(key, value)`` pairs, the engine into a ``WriteBatch``; then RocksDB
wrote the batch. This times each step on 200,000 records (CPU µs a record, best of 5) beside
one direct ``WriteBatch.put(key, pack(ts) + value)`` loop (what the reader does now), and
RocksDB's ``write`` of 10,000-record batches with and without the WAL.

    .venv/bin/python bench/experiments/restore_layers.py
"""

from __future__ import annotations

import struct
import tempfile
import time
from collections.abc import Callable
from typing import Any

from rocksdict import Options, Rdict, WriteBatch, WriteOptions

from kstreams.state.rocksdb import META_COLUMN_FAMILY, rocksdb_options

N = 200_000
pack = struct.Struct(">q").pack


def best(fn: Callable[[], Any]) -> tuple[float, Any]:
    """(best CPU µs a record over 5 runs, the last result)."""
    least, result = 1e9, None
    for _ in range(5):
        t0 = time.process_time()
        result = fn()
        least = min(least, time.process_time() - t0)
    return least / N * 1e6, result


def main() -> None:
    recs = [(b"word-%08d" % i, pack(7), 1_700_000_000_000 + i) for i in range(N)]
    us, conv = best(lambda: [(k, None if v is None else pack(ts) + v, ts) for k, v, ts in recs])
    print(f"change-logging copy (ts + value): {us:.3f} µs")
    us, pairs = best(lambda: [(k, v) for k, v, _ in conv])
    print(f"write buffer copy (pairs): {us:.3f} µs")

    def fill() -> WriteBatch:
        batch = WriteBatch(raw_mode=True)
        put, delete = batch.put, batch.delete
        for k, v in pairs:
            if v is None:
                delete(k)
            else:
                put(k, v)
        return batch

    print(f"engine loop into a WriteBatch: {best(fill)[0]:.3f} µs")

    def direct() -> WriteBatch:
        batch = WriteBatch(raw_mode=True)
        put = batch.put
        for k, v, ts in recs:
            put(k, pack(ts) + v)
        return batch

    print(f"direct put(key, pack(ts) + value): {best(direct)[0]:.3f} µs")
    for wal in (True, False):
        with tempfile.TemporaryDirectory(prefix="restore-layers-") as path:
            db = Rdict(
                path,
                rocksdb_options(),
                column_families={META_COLUMN_FAMILY: Options(raw_mode=True)},
            )
            opts = WriteOptions()
            opts.disable_wal = not wal
            least = 1e9
            for rnd in range(5):
                batches = []
                for start in range(0, N, 10_000):
                    batch = WriteBatch(raw_mode=True)
                    for k, v in pairs[start : start + 10_000]:
                        batch.put(k + bytes([rnd]), v)
                    batches.append(batch)
                t0 = time.process_time()
                for batch in batches:
                    db.write(batch, opts)
                least = min(least, time.process_time() - t0)
            print(f"RocksDB write, WAL {'on' if wal else 'off'}: {least / N * 1e6:.3f} µs")
            db.close()


if __name__ == "__main__":
    main()
