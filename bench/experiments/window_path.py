"""Micro-benchmark of the window stores' per-record path: CPU µs per record, in process, no broker.

The harness' windowed-hopping, windowed-tumbling and stream-stream topologies
(``bench/contenders/kstreams_app.py``) in one ``StreamTask`` each, as one of four partitions
sees the harness' inputs (every fourth record: timestamps 4 ms apart), into a collector that
drops what it is given; a commit (flush the record caches, send the changelogs, write the
stores) every ``--commit-every`` records, as the stream thread commits every interval.

    .venv/bin/python bench/experiments/window_path.py                   # every workload
    .venv/bin/python bench/experiments/window_path.py --only windowed-hopping --profile
    valgrind --tool=callgrind .venv/bin/python bench/experiments/window_path.py --records 20000
    bench/experiments/window_callgrind.sh windowed-hopping 5000     # instructions per record

``--callgrind N`` builds the input of ``--records`` records, then runs the first N of them
(commits included) through one workload's task and exits: the difference of two such runs'
instruction counts (N and 2N) divided by N is the instructions per record, start-up and input
building left out (``bench/experiments/window_callgrind.sh`` does that).

The windowed workloads go through ``run_for`` (one partition: the stream thread's batch entry
point, runs of 500 records); the join's task has two input partitions, so its records go through
``process_message``, lowest timestamp first (as the thread's ``process_buffered``).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import sys
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "bench" / "contenders"))

WORKLOADS = ("windowed-hopping", "windowed-tumbling", "stream-stream")
IN, OTHER, OUT = "in", "other", "out"


class NullCollector:
    """A record collector whose producer takes everything and does nothing."""

    def __init__(self) -> None:
        self.changelog_offsets: dict[Any, int] = {}
        self.sent = 0

    def produce_fn(self) -> Any:
        def produce(*args: Any) -> None:
            pass

        return produce

    def send(self, *args: Any, **kwargs: Any) -> None:
        self.sent += 1

    def send_changelog(self, topic: str, key: Any, value: Any, ts: int, partition: int) -> None:
        tp = (topic, partition)
        self.changelog_offsets[tp] = self.changelog_offsets.get(tp, -1) + 1

    def partitions_for(self, topic: str) -> int:
        return 4


def inputs(workload: str, n: int) -> list[Any]:
    """One partition's messages of ``workload`` (``n`` records, or about for the join)."""
    from confluent_kafka import Message
    from data import generate, generate_join, join_base

    out: list[Any] = []
    if workload == "stream-stream":
        orders, payments, _ = generate_join(workload, 4 * n, join_base(4 * n))
        mine = [(IN, k, v, ts) for k, v, ts in orders if zlib.crc32(k) % 4 == 0]
        mine += [(OTHER, k, v, ts) for k, v, ts in payments if zlib.crc32(k) % 4 == 0]
        mine.sort(key=lambda r: r[3])  # the task takes the lowest timestamp first
    else:
        base = 1_700_000_000_000 // 60_000 * 60_000
        pairs = generate(workload, 4 * n)
        mine = [
            (IN, k, v, base + i) for i, (k, v) in enumerate(pairs) if zlib.crc32(k or b"") % 4 == 0
        ][:n]
    offsets = {IN: 0, OTHER: 0}
    for topic, k, v, ts in mine[:n]:
        offsets[topic] += 1
        out.append(
            Message(
                topic=topic,
                partition=0,
                offset=offsets[topic] - 1,
                key=k,
                value=v,
                timestamp=(1, ts),
                headers=None,
                error=None,
            )
        )
    return out


def make_task(workload: str) -> Any:
    from kstreams_app import topology

    from kstreams.config import StreamsConfig
    from kstreams.processor.task_id import TaskId
    from kstreams.runtime.task import StreamTask
    from kstreams.state.thread_cache import ThreadCache

    props: dict[str, Any] = {
        "application.id": "window-path",
        "bootstrap.servers": "dummy:0",
        "state.dir": tempfile.mkdtemp(prefix="kstreams-window-path-"),
    }
    topo = topology(workload, IN, OUT, OTHER)
    sub = topo.subtopologies()[0]
    config = StreamsConfig(props)
    parts = [(IN, 0), (OTHER, 0)] if workload == "stream-stream" else [(IN, 0)]
    return StreamTask(
        TaskId(sub.id, 0),
        topo,
        sub,
        config,
        NullCollector(),
        lambda: 0,
        parts,
        thread_cache=ThreadCache(config.statestore_cache_max_bytes),
    )


def commit(task: Any) -> None:
    task.prepare_commit()
    offsets = task.committable_offsets()
    if offsets:
        task.mark_committed(offsets)
    task.commit_stores(task.collector.changelog_offsets)


def run(task: Any, workload: str, msgs: list[Any], commit_every: int) -> tuple[float, float]:
    """CPU seconds of the process and of this thread (the stream thread's share: segments
    are opened and removed on another) for ``msgs``, committing every ``commit_every``
    records and at the end."""
    gc.collect()
    t0 = time.process_time()
    th0 = time.thread_time()
    if workload == "stream-stream":
        process = task.process_message
        for i in range(0, len(msgs), commit_every):
            for m in msgs[i : i + commit_every]:
                process(m)
            commit(task)
    else:
        run_for = task.run_for(IN)
        for i in range(0, len(msgs), commit_every):
            chunk = msgs[i : i + commit_every]
            for j in range(0, len(chunk), 500):
                it = iter(chunk[j : j + 500])
                run_for(next(it), it)
            commit(task)
    return time.process_time() - t0, time.thread_time() - th0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--records", type=int, default=100_000, help="records per workload")
    p.add_argument("--commit-every", type=int, default=2000, help="records between commits")
    p.add_argument("--only", nargs="+", default=list(WORKLOADS), choices=WORKLOADS)
    p.add_argument("--profile", action="store_true", help="cProfile the run, top 30 by tottime")
    p.add_argument("--callgrind", type=int, metavar="N", help="run N records of one workload, exit")
    args = p.parse_args()
    import kstreams

    print(f"kstreams from {Path(kstreams.__file__).parent}", file=sys.stderr)
    if args.callgrind is not None:
        if len(args.only) != 1:
            p.error("--callgrind runs one workload: name it with --only")
        msgs = inputs(args.only[0], args.records)
        if len(msgs) < args.callgrind:
            p.error(f"--records {args.records} gives {len(msgs)} records, fewer than N")
        task = make_task(args.only[0])
        run(task, args.only[0], msgs[: args.callgrind], args.commit_every)
        return
    for workload in args.only:
        msgs = inputs(workload, args.records)
        task = make_task(workload)
        if args.profile:
            prof = cProfile.Profile()
            prof.enable()
        cpu, thread_cpu = run(task, workload, msgs, args.commit_every)
        if args.profile:
            prof.disable()
            pstats.Stats(prof).sort_stats("tottime").print_stats(30)
        print(
            f"{workload:<18} {cpu / len(msgs) * 1e6:7.2f} µs/record CPU, "
            f"{thread_cpu / len(msgs) * 1e6:7.2f} of the stream thread "
            f"({len(msgs)} records, commit every {args.commit_every})"
        )
        task.close(clean=True) if hasattr(task, "close") else None


if __name__ == "__main__":
    main()
