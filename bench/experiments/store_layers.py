"""Experiment: nanoseconds per operation of the state store stack, in process (no broker).

The per-record path of a stateful topology is a store ``get`` + ``put``; this measures it
through the stores a topology gets (``Stores`` builders, ``cached_store``), on RocksDB:

* ``cached get+put``: a cached timestamped store, ints on 5,000 hot keys (word count's
  pattern: ``old = get(k); put(k, ValueAndTimestamp(old.value + 1, ts))``), no commit;
* ``cached get+put, commits``: the same with a commit (cache flush, changelog, WriteBatch)
  every 25,000 operations, counted in;
* ``uncached put+get, commits``: a timestamped store without cache, ``put`` then ``get``
  of 5,000 keys, a commit every 25,000 operations;
* ``..., commit each``: a commit after every operation, as the ``TopologyTestDriver``
  commits after every record (the commit protocol through all the layers);
* ``range 50 keys`` (cached and uncached): ``range(from, to)`` over 50 of 5,000 committed
  keys while 200 keys are dirty, ns per call (entries consumed);
* ``all()`` uncached: ns per entry over 5,000 committed + 200 buffered keys.

Times are CPU time of the thread (other processes on a shared machine count less), over
many short runs of one warmed-up store each; the best and 10th-percentile runs show the
cost of the code, the median how noisy the machine was. ``--compare DIR`` loads a second
kstreams from ``DIR`` (e.g. an older tree exported with ``git archive``) into the same
process and interleaves the two, run by run, in alternating order::

    python bench/experiments/store_layers.py                            # the installed one
    git archive main kstreams | tar -x -C /tmp/base
    python bench/experiments/store_layers.py --compare /tmp/base
"""

from __future__ import annotations

import argparse
import gc
import importlib
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

HOT_KEYS = 5_000
COMMIT_EVERY = 25_000
TOPIC = "bench-counts-changelog"


class NullCollector:
    """Takes changelog records and drops them."""

    def send_changelog(
        self, topic: str, key: bytes, value: bytes | None, timestamp: int, partition: int
    ) -> None:
        return None


class RecordContext:
    """The record being processed, as the task's context offers it to the cache."""

    timestamp = 1_700_000_000_000
    headers = None
    topic = "words"
    partition = 0
    offset = 0


def load_kstreams(path: str | None) -> SimpleNamespace:
    """The parts of a kstreams package the benchmark uses: the installed one, or ``path``'s.

    Its modules are dropped from ``sys.modules`` afterwards, so a second one can be
    loaded next to it (its functions keep their own module globals).
    """
    for name in [m for m in sys.modules if m == "kstreams" or m.startswith("kstreams.")]:
        del sys.modules[name]
    if path is not None:
        sys.path.insert(0, path)
    try:
        ks = importlib.import_module("kstreams")
        state = importlib.import_module("kstreams.state")
        caching = importlib.import_module("kstreams.state.caching")
        serde = importlib.import_module("kstreams.serde")
        return SimpleNamespace(
            origin=ks.__file__,
            Stores=state.Stores,
            StateStoreContext=state.StateStoreContext,
            ValueAndTimestamp=state.ValueAndTimestamp,
            cached_store=caching.cached_store,
            ThreadCache=importlib.import_module("kstreams.state.thread_cache").ThreadCache,
            Serdes=serde.Serdes,
        )
    finally:
        if path is not None:
            sys.path.remove(path)
        for name in [m for m in sys.modules if m == "kstreams" or m.startswith("kstreams.")]:
            del sys.modules[name]


class Bench:
    """One store in a temporary directory, opened as a task would open it."""

    def __init__(self, ks: SimpleNamespace, cached: bool, engine: str) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="store-layers-")
        Stores = ks.Stores
        supplier = (
            Stores.persistent_timestamped_key_value_store("counts")
            if engine == "rocksdb"
            else Stores.in_memory_key_value_store("counts")
        )
        builder = Stores.timestamped_key_value_store_builder(
            supplier, ks.Serdes.String(), ks.Serdes.Long()
        )
        store: Any = builder.build()
        self.cache = ks.ThreadCache(10 * 1024 * 1024)
        if cached:
            store = ks.cached_store(builder.with_caching_enabled().build(), self.cache)
        self.vt = ks.ValueAndTimestamp
        record = RecordContext()
        store.init(
            ks.StateStoreContext(
                "0_0",
                "bench",
                0,
                self._dir.name,
                changelog_topic=TOPIC,
                collector=NullCollector(),
                record_timestamp=lambda: record.timestamp,
                thread_cache=self.cache,
                record_context=record,
            )
        )
        self.store = store
        self.offset = 0
        self.keys = [f"word-{i:05d}" for i in range(HOT_KEYS)]

    def commit(self) -> None:
        self.store.flush_changelog()
        self.offset += 1
        self.store.commit(self.offset)

    def close(self) -> None:
        self.store.close()
        self._dir.cleanup()


def get_put(bench: Bench, n: int, commit_every: int | None) -> float:
    """ns per ``get`` + ``put`` of a count (an aggregation's per-record store work)."""
    store = bench.store
    get, put = store.get, store.put
    keys = bench.keys
    nkeys = len(keys)
    ts = RecordContext.timestamp
    vt = bench.vt
    every = commit_every or n + 1
    t0 = time.thread_time_ns()
    for i in range(n):
        key = keys[i % nkeys]
        old = get(key)
        put(key, vt(1 if old is None else old.value + 1, ts))
        if i % every == every - 1:
            bench.commit()
    return (time.thread_time_ns() - t0) / n


def put_get(bench: Bench, n: int, commit_every: int | None) -> float:
    """ns per ``put`` then ``get`` of one key (a store written, then read back)."""
    store = bench.store
    get, put = store.get, store.put
    keys = bench.keys
    nkeys = len(keys)
    ts = RecordContext.timestamp
    vt = bench.vt
    every = commit_every or n + 1
    t0 = time.thread_time_ns()
    for i in range(n):
        key = keys[i % nkeys]
        put(key, vt(i, ts))
        get(key)
        if i % every == every - 1:
            bench.commit()
    return (time.thread_time_ns() - t0) / n


def prepare_ranges(bench: Bench) -> None:
    """5,000 committed keys, then 200 dirty (cache) or buffered (write buffer) ones."""
    store = bench.store
    ts = RecordContext.timestamp
    vt = bench.vt
    for i, key in enumerate(bench.keys):
        store.put(key, vt(i, ts))
    bench.commit()
    for key in bench.keys[::25]:
        store.put(key, vt(-1, ts))


def range_small(bench: Bench, n: int) -> float:
    """ns per ``range(from, to)`` of 50 keys, consumed."""
    store = bench.store
    keys = bench.keys
    spans = [(keys[i], keys[i + 49]) for i in range(0, HOT_KEYS - 50, 97)]
    t0 = time.thread_time_ns()
    for i in range(n):
        lo, hi = spans[i % len(spans)]
        for _ in store.range(lo, hi):
            pass
    return (time.thread_time_ns() - t0) / n


def scan_all(bench: Bench, n: int) -> float:
    """ns per entry of ``all()``."""
    store = bench.store
    count = 0
    t0 = time.thread_time_ns()
    for _ in range(n):
        for _ in store.all():
            count += 1
    return (time.thread_time_ns() - t0) / count


Case = tuple[bool, Callable[[Bench], None], Callable[[Bench], float]]
"""(cached, prepare(bench), measure(bench) -> ns per operation)."""


def _nothing(bench: Bench) -> None:
    return None


CASES: dict[str, Case] = {
    "cached get+put": (True, _nothing, lambda b: get_put(b, 50_000, None)),
    "cached get+put, commits": (True, _nothing, lambda b: get_put(b, 50_000, COMMIT_EVERY)),
    "uncached put+get, commits": (False, _nothing, lambda b: put_get(b, 50_000, COMMIT_EVERY)),
    "cached get+put, commit each": (True, _nothing, lambda b: get_put(b, 2_000, 1)),
    "uncached put+get, commit each": (False, _nothing, lambda b: put_get(b, 2_000, 1)),
    "cached range 50 keys": (True, prepare_ranges, lambda b: range_small(b, 400)),
    "uncached range 50 keys": (False, prepare_ranges, lambda b: range_small(b, 400)),
    "uncached all() per entry": (False, prepare_ranges, lambda b: scan_all(b, 4)),
}


def run_case(
    contenders: dict[str, SimpleNamespace], name: str, engine: str, rounds: int
) -> dict[str, list[float]]:
    """ns per operation of each contender, ``rounds`` short runs each, interleaved ABBA.

    Each contender's store is made once and warmed up (keys cached, buffers at their
    steady size); the runs then alternate between the contenders, so a burst of load on
    the machine hits both alike, and the best runs show the cost of the code.
    """
    cached, prepare, measure = CASES[name]
    benches = {label: Bench(ks, cached, engine) for label, ks in contenders.items()}
    runs: dict[str, list[float]] = {label: [] for label in contenders}
    try:
        for bench in benches.values():
            prepare(bench)
            measure(bench)
            measure(bench)
        order = list(benches.items())
        gc.collect()
        gc.disable()
        try:
            for _ in range(rounds):
                for label, bench in order:
                    runs[label].append(measure(bench))
                order.reverse()  # ABBA: neither side always runs first
        finally:
            gc.enable()
    finally:
        for bench in benches.values():
            bench.close()
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=30, help="short runs of each case and side")
    parser.add_argument("--engine", choices=["rocksdb", "memory"], default="rocksdb")
    parser.add_argument("--case", action="append", choices=list(CASES), help="only these cases")
    parser.add_argument("--compare", metavar="DIR", help="also run the kstreams found in DIR")
    args = parser.parse_args()
    contenders = {"this": load_kstreams(None)}
    if args.compare:
        contenders["compared"] = load_kstreams(args.compare)
    for label, ks in contenders.items():
        print(f"{label}: kstreams from {ks.origin}")
    print(
        f"engine {args.engine}; ns per operation (CPU time): best / 10th percentile / median "
        f"of {args.rounds} runs"
    )
    for name in args.case or list(CASES):
        runs = run_case(contenders, name, args.engine, args.rounds)
        parts = []
        for label, r in runs.items():
            r.sort()
            parts.append(
                f"{label} {r[0]:7.0f} /{r[len(r) // 10]:7.0f} /{statistics.median(r):7.0f}"
            )
        shown = "   ".join(parts)
        if args.compare:
            this, other = runs["this"], runs["compared"]
            ratios = (this[0] / other[0], this[len(this) // 10] / other[len(other) // 10])
            shown += f"   this/compared {ratios[0]:5.3f} / {ratios[1]:5.3f}"
        print(f"{name:30s} {shown}", flush=True)


if __name__ == "__main__":
    main()
