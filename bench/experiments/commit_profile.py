"""Where a stream thread's time goes, commit step by commit step: a ``BENCH_KSTREAMS_PATCH``.

Wraps the stream thread's loop steps with timers (wall time, and the calling thread's CPU
time): the consume calls (those that wait for input apart), ``_process_batch``, the commit
and its steps (every task's ``prepare_commit``: cache flushes and changelog sends; the
committer: at-least-once ``flush`` + ``consumer.commit``, exactly-once
``consumer_group_metadata``, ``send_offsets_to_transaction``, ``commit_transaction``,
``begin_transaction``; reading the changelog ends; ``commit_stores``: the RocksDB writes) and
the cyclic GC's pauses on the stream thread; every thread's CPU (``/proc/self/task``, sampled
every 0.2 s: the stream thread against librdkafka's ``rdk:`` threads) and the requests the
thread's producer and main consumer sent, by type (librdkafka statistics). At exit it appends one JSON line (totals per
step, lines and words consumed) to ``$BENCH_COMMIT_PROFILE_OUT``; ``--report FILE`` prints
them per input line:

    BENCH_KSTREAMS_PATCH=bench/experiments/commit_profile.py \\
    BENCH_COMMIT_PROFILE_OUT=/tmp/profile.jsonl \\
        .venv/bin/python bench/run.py --workloads wordcount --contenders kstreams --runs 1 \\
        --wordcount-records 250000 --extras none --no-write-docs
    .venv/bin/python bench/experiments/commit_profile.py --report /tmp/profile.jsonl
"""

from __future__ import annotations

import argparse
import atexit
import gc
import json
import os
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

_wall = time.perf_counter_ns
_cpu = time.thread_time_ns

STEPS: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
"""Step name -> [calls, wall ns, CPU ns of the calling thread]."""

COUNTS: dict[str, int] = defaultdict(int)


def _timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        w, c = _wall(), _cpu()
        try:
            return fn(*args, **kwargs)
        finally:
            s = STEPS[name]
            s[0] += 1
            s[1] += _wall() - w
            s[2] += _cpu() - c

    return wrapper


def install() -> None:
    """Wrap the stream thread's steps (called when this file runs as a patch)."""
    import confluent_kafka

    from kstreams.runtime import committer, stream_thread, streams_producer, task, thread_commit

    class TimedConsumer(confluent_kafka.Consumer):  # type: ignore[misc]
        timed = False

        def consume(self, num: int = 1, timeout: float = -1) -> Any:
            if not self.timed:
                return super().consume(num, timeout)
            name = "consume (waiting)" if timeout else "consume"
            w, c = _wall(), _cpu()
            msgs = super().consume(num, timeout)
            s = STEPS[name]
            s[0] += 1
            s[1] += _wall() - w
            s[2] += _cpu() - c
            for m in msgs:
                COUNTS[m.topic()] += 1
            return msgs

    stream_thread.Consumer = TimedConsumer  # type: ignore[misc]
    main_consumer = stream_thread.StreamThread._main_consumer

    def _main_consumer(self: Any, protocol: str) -> Any:
        consumer = main_consumer(self, protocol)
        consumer.timed = True
        return consumer

    stream_thread.StreamThread._main_consumer = _main_consumer  # type: ignore[method-assign]
    from kstreams.runtime import collector

    eos = committer.ExactlyOnceCommitter
    try_ = eos._try

    def _try(self: Any, what: str, *args: Any) -> None:
        return _timed(f"commit: committer: {what}", try_)(self, what, *args)

    eos._try = _try  # type: ignore[method-assign]
    for cls, attr, name in (
        (stream_thread.StreamThread, "_run_loop", "loop (total)"),
        (stream_thread.StreamThread, "_process_batch", "process"),
        (thread_commit.ThreadCommitting, "commit", "commit (total)"),
        (task.StreamTask, "prepare_commit", "commit: prepare (cache flush, changelog sends)"),
        (task.StreamTask, "commit_stores", "commit: commit_stores (RocksDB)"),
        (task.StreamTask, "committable_offsets", "commit: committable_offsets"),
        (task.StreamTask, "mark_committed", "commit: mark_committed"),
        (eos, "commit", "commit: committer"),
        (eos, "send_offsets", "commit: send_offsets ahead (start)"),
        (committer.AtLeastOnceCommitter, "commit", "commit: committer"),
        (collector.KafkaRecordCollector, "flush", "commit: committer: flush"),
        (collector.KafkaRecordCollector, "read_changelog_offsets", "commit: read changelog ends"),
        (collector.KafkaRecordCollector, "check_errors", "loop: check_errors"),
        (collector.KafkaRecordCollector, "poll", "loop: producer poll"),
    ):
        if hasattr(cls, attr):  # send_offsets: not on main before session 9
            setattr(cls, attr, _timed(name, getattr(cls, attr)))

    gc_start: dict[int, tuple[int, int]] = {}

    def on_gc(phase: str, info: dict[str, Any]) -> None:
        if not threading.current_thread().name.endswith("StreamThread-1"):
            return
        if phase == "start":
            gc_start[0] = (_wall(), _cpu())
        elif 0 in gc_start:
            w, c = gc_start.pop(0)
            s = STEPS[f"gc gen{info['generation']}"]
            s[0] += 1
            s[1] += _wall() - w
            s[2] += _cpu() - c

    gc.callbacks.append(on_gc)
    _count_requests(streams_producer, stream_thread)
    threading.Thread(target=_sample_threads, name="commit-profile-sampler", daemon=True).start()
    atexit.register(_dump)


THREAD_CPU: dict[int, list[Any]] = {}
"""Thread id -> [name, CPU ticks] at its last sample: librdkafka's threads are named
(``rdk:main``, ``rdk:broker1``, ...), Python's by their ``threading`` name."""

STATS: dict[str, dict[str, Any]] = {}
"""Client name -> its last librdkafka statistics (requests sent by type, messages)."""


def _sample_threads() -> None:
    """Every 0.2 s, each live thread's CPU ticks (utime + stime), kept past its end."""
    while True:
        names = {t.native_id: t.name for t in threading.enumerate()}
        for tid in os.listdir("/proc/self/task"):
            try:
                with open(f"/proc/self/task/{tid}/stat") as f:
                    stat = f.read()
                with open(f"/proc/self/task/{tid}/comm") as f:
                    comm = f.read().strip()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            ticks = int(fields[11]) + int(fields[12])
            name = names.get(int(tid)) or comm
            entry = THREAD_CPU.setdefault(int(tid), [name, 0])
            entry[1] = ticks
            if not entry[0].startswith(("rdk:", "StreamThread")) and name != comm:
                entry[0] = name
        time.sleep(0.2)


def _count_requests(streams_producer: Any, stream_thread: Any) -> None:
    """The thread's producer and main consumer report librdkafka statistics every second."""

    def with_stats(cls: Any, label: str) -> Any:
        class WithStats(cls):  # type: ignore[misc, valid-type]
            def __init__(self, conf: dict[str, Any], *args: Any, **kwargs: Any) -> None:
                name = f"{label}-{len(STATS)}"
                STATS[name] = {}

                def on_stats(raw: str) -> None:
                    STATS[name] = json.loads(raw)

                conf = dict(conf, **{"statistics.interval.ms": 1000, "stats_cb": on_stats})
                super().__init__(conf, *args, **kwargs)

        return WithStats

    streams_producer.Producer = with_stats(streams_producer.Producer, "producer")
    stream_thread.Consumer = with_stats(stream_thread.Consumer, "consumer")


def _requests(stats: dict[str, Any]) -> dict[str, Any]:
    """Requests sent, by type, summed over the client's brokers, and its message totals."""
    reqs: dict[str, int] = defaultdict(int)
    for broker in (stats.get("brokers") or {}).values():
        for kind, n in (broker.get("req") or {}).items():
            if n:
                reqs[kind] += n
    return {
        "requests": dict(reqs),
        "txmsgs": stats.get("txmsgs", 0),
        "rxmsgs": stats.get("rxmsgs", 0),
        "tx": stats.get("tx", 0),
        "rx": stats.get("rx", 0),
    }


def _dump() -> None:
    out = os.environ.get("BENCH_COMMIT_PROFILE_OUT")
    if not out:
        return
    record = {
        "guarantee": _guarantee(),
        "label": os.environ.get("BENCH_COMMIT_PROFILE_LABEL", ""),
        "steps": dict(STEPS),
        "counts": dict(COUNTS),
        "threads": {f"{name} ({tid})": ticks for tid, (name, ticks) in THREAD_CPU.items()},
        "clients": {name: _requests(stats) for name, stats in STATS.items()},
    }
    with open(out, "a") as f:
        f.write(json.dumps(record) + "\n")


def _guarantee() -> str:
    argv = sys.argv
    return argv[argv.index("--guarantee") + 1] if "--guarantee" in argv else "?"


def report(path: str) -> None:
    """Per input line: calls, wall µs, CPU µs of each step of each run in ``path``."""
    with open(path) as f:
        runs = [json.loads(line) for line in f]
    for r in runs:
        counts = r["counts"]
        lines = sum(n for t, n in counts.items() if not t.endswith("-repartition"))
        words = sum(n for t, n in counts.items() if t.endswith("-repartition"))
        print(
            f"\n== {r['guarantee']} {r['label']}: {lines} lines, {words} repartition records "
            f"({words / max(1, lines):.2f} per line)"
        )
        print(f"{'step':52s} {'calls':>8s} {'wall µs/line':>13s} {'CPU µs/line':>12s}")
        for name, (calls, wall, cpu) in sorted(r["steps"].items()):
            print(f"{name:52s} {calls:8d} {wall / 1e3 / lines:13.2f} {cpu / 1e3 / lines:12.2f}")
        tick_us = 1e6 / os.sysconf("SC_CLK_TCK")
        threads = sorted(r.get("threads", {}).items(), key=lambda kv: -kv[1])
        if threads:
            total = sum(t for _, t in threads)
            print(f"threads' CPU, µs per line (all: {total * tick_us / lines:.2f}):")
            for name, ticks in threads:
                if ticks:
                    print(f"  {name:50s} {ticks * tick_us / lines:8.2f}")
        for name, c in sorted(r.get("clients", {}).items()):
            if c.get("requests"):
                reqs = ", ".join(f"{k} {v}" for k, v in sorted(c["requests"].items()))
                print(f"  {name}: tx msgs {c['txmsgs']}, rx msgs {c['rxmsgs']}; requests: {reqs}")


def summary(path: str) -> None:
    """One line per run: the stream thread's CPU and the commits' share, per input line."""
    with open(path) as f:
        runs = [json.loads(line) for line in f]
    print(
        f"{'run':24s} {'commits':>7s} {'lines/commit':>12s} {'thread CPU':>10s} "
        f"{'commit CPU':>10s} {'commit wall':>11s} {'txn waits':>9s}   (µs per line)"
    )
    for r in runs:
        counts, steps = r["counts"], r["steps"]
        lines = sum(n for t, n in counts.items() if not t.endswith("-repartition"))

        def per_line(name: str, i: int, steps: dict = steps, lines: int = lines) -> float:
            return steps.get(name, [0, 0, 0])[i] / 1e3 / lines

        txn = [n for n in steps if n.startswith("commit: committer: ") and "init" not in n]
        waits = sum(per_line(n, 1) - per_line(n, 2) for n in txn)
        commits = steps["commit (total)"][0]
        print(
            f"{r['guarantee'] + ' ' + r['label']:24s} {commits:7d} {lines / commits:12.0f} "
            f"{per_line('loop (total)', 2):10.2f} {per_line('commit (total)', 2):10.2f} "
            f"{per_line('commit (total)', 1):11.2f} {waits:9.2f}"
        )


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--report", required=True, help="the JSON lines file the runs appended to")
    p.add_argument("--summary", action="store_true", help="one line per run")
    a = p.parse_args()
    summary(a.report) if a.summary else report(a.report)
else:
    install()
