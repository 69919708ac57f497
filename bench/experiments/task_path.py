"""Micro-benchmark of a task's per-record path: ns per record, in process, no broker.

Messages (confluent-kafka ``Message`` objects made in Python) go through a ``StreamTask`` into
sinks whose producer does nothing: through ``run_for(topic)`` (the stream thread's batch entry
point, runs of ``--run`` messages) or ``process_message`` (the per-record entry point of the
TopologyTestDriver and of tasks with several partitions).

    .venv/bin/python bench/experiments/task_path.py                      # this checkout
    .venv/bin/python bench/experiments/task_path.py --compare 2b0b23c    # A/B against a commit

``--compare REV`` extracts ``kstreams/`` of REV into a temporary directory and starts one worker
process on it and one on the checkout; they run one pass of each variant in turn, ``--rounds``
times (the machine is shared: a slow second should hit both sides alike). It prints the best and
the median CPU ns/record of each side, and the median of the paired ratios (new/base, pass by
pass), the steadiest of the three.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
IN, OUT = "in", "out"

VARIANTS = {
    "passthrough": "stream(String, JSON).to(String, JSON), run_for",
    "strings": "stream(String, String).to(String, String), run_for: the least serde work",
    "map_values": "stream.map_values(add a field).to, run_for",
    "extractor": "passthrough with LogAndSkipOnInvalidTimestamp, run_for",
    "slow_serdes": "passthrough, serdes without a fast path, run_for",
    "punctuation": "process(a stream-time punctuation every 100 ms).to, run_for",
    "per_record": "passthrough through process_message, record by record",
}


class NullCollector:
    """A record collector whose producer takes everything and does nothing."""

    def __init__(self) -> None:
        self.changelog_offsets: dict[Any, int] = {}

    def produce_fn(self) -> Any:
        def produce(*args: Any) -> None:
            pass

        return produce

    def send(self, *args: Any) -> None:
        pass

    def send_changelog(self, *args: Any) -> None:
        raise AssertionError("no stores here")

    def partitions_for(self, topic: str) -> int:
        return 1


def topology(variant: str) -> Any:
    import orjson

    from kstreams import PunctuationType, Serdes, StreamsBuilder
    from kstreams.processor.api import Processor
    from kstreams.serde.base import FunctionSerde

    string, js = Serdes.String(), Serdes.JSON()
    if variant == "strings":
        js = string
    if variant == "slow_serdes":
        string = FunctionSerde(str.encode, bytes.decode)
        js = FunctionSerde(orjson.dumps, orjson.loads)
    b = StreamsBuilder()
    stream = b.stream(IN, key_serde=string, value_serde=js)
    if variant == "map_values":
        stream = stream.map_values(lambda v: {**v, "ok": True})
    if variant == "punctuation":

        class Ticking(Processor):
            def init(self, context: Any) -> None:
                self.context = context
                self.ticks = 0
                context.schedule(100, PunctuationType.STREAM_TIME, self.tick)

            def tick(self, ts: int) -> None:
                self.ticks += 1

            def process(self, record: Any) -> None:
                self.context.forward(record)

        stream = stream.process(Ticking)
    stream.to(OUT, key_serde=string, value_serde=js)
    return b.build()


def messages(n: int) -> list[Any]:
    import orjson
    from confluent_kafka import Message

    out = []
    for i in range(n):
        value = orjson.dumps(
            {
                "id": i,
                "user": f"user-{i * 7919 % 10_000}",
                "event": "click",
                "page": f"/p/{i % 5000}",
                "amount": 12.34,
                "ts": 1_700_000_000_000 + i,
            }
        )
        out.append(
            Message(
                topic=IN,
                partition=0,
                offset=i,
                key=f"user-{i * 7919 % 10_000}".encode(),
                value=value,
                timestamp=(1, 1_700_000_000_000 + i * 10),
                headers=None,
                error=None,
            )
        )
    return out


def make_task(variant: str) -> Any:
    from kstreams.config import StreamsConfig
    from kstreams.processor import LogAndSkipOnInvalidTimestamp
    from kstreams.processor.task_id import TaskId
    from kstreams.runtime.task import StreamTask

    props: dict[str, Any] = {
        "application.id": "task-path",
        "bootstrap.servers": "dummy:0",
        "state.dir": tempfile.mkdtemp(prefix="kstreams-task-path-"),
    }
    if variant == "extractor":
        props["default.timestamp.extractor"] = LogAndSkipOnInvalidTimestamp
    topo = topology(variant)
    sub = topo.subtopologies()[0]
    return StreamTask(
        TaskId(sub.id, 0), topo, sub, StreamsConfig(props), NullCollector(), lambda: 0, [(IN, 0)]
    )


def once(task: Any, variant: str, msgs: list[Any], run_size: int) -> float:
    """CPU ns per record for one pass over ``msgs`` (CPU time: less noise on a shared machine)."""
    gc.collect()
    if variant == "per_record":
        process = task.process_message
        t0 = time.process_time_ns()
        for m in msgs:
            process(m)
        return (time.process_time_ns() - t0) / len(msgs)
    run = task.run_for(IN)
    chunks = [msgs[i : i + run_size] for i in range(0, len(msgs), run_size)]
    t0 = time.process_time_ns()
    for chunk in chunks:
        it = iter(chunk)
        run(next(it), it)
    return (time.process_time_ns() - t0) / len(msgs)


class Bench:
    """Every variant's task, warmed up, and the messages they get."""

    def __init__(self, records: int, run_size: int, only: list[str]) -> None:
        self.msgs = messages(records)
        self.run_size = run_size
        self.tasks = {v: make_task(v) for v in only}
        for variant, task in self.tasks.items():
            once(task, variant, self.msgs[: records // 10], run_size)  # warm-up

    def once(self, variant: str) -> float:
        return once(self.tasks[variant], variant, self.msgs, self.run_size)


def serve(args: argparse.Namespace) -> None:
    """Worker of ``--compare``: one pass of the variant named on each stdin line."""
    bench = Bench(args.records, args.run, args.only)
    print("ready", flush=True)
    for line in sys.stdin:
        print(bench.once(line.strip()), flush=True)


def add_compare_args(p: argparse.ArgumentParser, rounds: int) -> None:
    """``--compare REV``, ``--rounds`` and the workers' hidden ``--serve``."""
    p.add_argument("--compare", metavar="REV", help="A/B against kstreams/ of this git revision")
    p.add_argument("--rounds", type=int, default=rounds, help="passes of each side with --compare")
    p.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)


@contextlib.contextmanager
def ab_workers(rev: str, cmd: list[str]) -> Iterator[Callable[[str, str], float]]:
    """Two workers running ``cmd``: "base" on ``kstreams/`` of git revision ``rev`` (extracted
    to a temporary directory), "new" on the checkout; each prints "ready", then one figure per
    line it reads. Yields ``ask(side, line) -> figure``; the workers stop on leaving."""
    with tempfile.TemporaryDirectory(prefix="kstreams-base-") as base:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", rev, "kstreams"], check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", base], input=archive, check=True)
        workers = {}
        for side, tree in (("base", base), ("new", str(ROOT))):
            workers[side] = subprocess.Popen(
                cmd,
                env={**os.environ, "PYTHONPATH": tree},
                cwd=tempfile.gettempdir(),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
        for w in workers.values():
            assert w.stdout is not None and w.stdout.readline().strip() == "ready"

        def ask(side: str, line: str) -> float:
            w = workers[side]
            assert w.stdin is not None and w.stdout is not None
            w.stdin.write(line + "\n")
            w.stdin.flush()
            return float(w.stdout.readline())

        try:
            yield ask
        finally:
            for w in workers.values():
                assert w.stdin is not None
                w.stdin.close()
                w.wait()


def compare(args: argparse.Namespace) -> None:
    """Both sides live at once, asked for one pass each in turn: noise hits both alike."""
    cmd = [sys.executable, __file__, "--serve", "--records", str(args.records)]
    cmd += ["--run", str(args.run), "--only", *args.only]
    ns: dict[str, dict[str, list[float]]] = {s: {v: [] for v in args.only} for s in ("base", "new")}
    with ab_workers(args.compare, cmd) as ask:
        for r in range(args.rounds):
            for variant in args.only:
                for side in ["base", "new"] if r % 2 == 0 else ["new", "base"]:
                    ns[side][variant].append(ask(side, variant))
    print(
        f"base = {args.compare}, new = the checkout; CPU ns/record over {args.rounds} passes "
        f"of {args.records} records each, the sides alternating"
    )
    print(
        f"{'variant':<14}{'base best':>10}{'new best':>10}{'Δ':>8}"
        f"{'base med':>10}{'new med':>10}{'Δ':>8}{'paired Δ':>10}"
    )
    for v in args.only:
        b, n = ns["base"][v], ns["new"][v]
        bb, nb, bm, nm = min(b), min(n), statistics.median(b), statistics.median(n)
        paired = statistics.median(y / x for x, y in zip(b, n, strict=True))
        print(
            f"{v:<14}{bb:>10.0f}{nb:>10.0f}{(nb / bb - 1) * 100:>+7.1f}%"
            f"{bm:>10.0f}{nm:>10.0f}{(nm / bm - 1) * 100:>+7.1f}%{(paired - 1) * 100:>+9.1f}%"
        )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--records", type=int, default=100_000, help="records per pass")
    p.add_argument("--repeat", type=int, default=5, help="passes per variant (best one counts)")
    p.add_argument("--run", type=int, default=1000, help="messages per run_for call")
    p.add_argument("--only", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    p.add_argument("--json", action="store_true", help="print the raw figures as JSON")
    add_compare_args(p, rounds=20)
    args = p.parse_args()
    if args.serve:
        serve(args)
        return
    if args.compare:
        compare(args)
        return
    bench = Bench(args.records, args.run, args.only)
    results = {v: [bench.once(v) for _ in range(args.repeat)] for v in args.only}
    if args.json:
        print(json.dumps(results))
        return
    import kstreams

    print(f"kstreams from {Path(kstreams.__file__).parent}; {args.records} records per pass")
    for variant, values in results.items():
        print(
            f"{variant:<14}{min(values):>7.0f} ns/record (best of {len(values)}, "
            f"median {statistics.median(values):.0f})  {VARIANTS[variant]}"
        )


if __name__ == "__main__":
    main()
