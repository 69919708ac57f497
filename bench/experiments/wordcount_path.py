"""Micro-benchmark of the word count's per-record path: both sub-topologies, in process, no broker.

The benchmark's word count (``bench/contenders/kstreams_app.py``: ``flat_map_values(words)
.group_by(word).count(Materialized.as_("counts")).to_stream().to(...)``) runs as two
``StreamTask`` s, as the stream thread runs them: stage 1 (lines → words → the repartition
sink) through its batch entry point ``run_for``; what its sink hands the producer becomes
confluent-kafka ``Message`` s of the repartition topic (made in Python, outside the timed part
unless ``--callgrind``), which stage 2 (the count over a cached RocksDB store with a changelog)
takes through its own ``run_for``. Every ``--commit-every`` lines both tasks commit as a stream
thread does (``prepare_commit``: the record cache flushes, forwarding to the output sink, and
the changelog records are written; ``commit_stores``: the RocksDB write). The producer takes
everything and does nothing; the input is the benchmark's (``bench/data.py``, Zipf-like words).

    .venv/bin/python bench/experiments/wordcount_path.py                 # CPU ns per line
    .venv/bin/python bench/experiments/wordcount_path.py --compare REV   # A/B against REV
    valgrind --tool=callgrind .venv/bin/python bench/experiments/wordcount_path.py --callgrind 20000

``--callgrind N`` builds the input of ``--records`` lines, then runs N of them through both
stages once and exits: the difference of two such runs' instruction counts (N and 2N, say)
divided by N is the instructions per line, start-up and input building left out
(``bench/experiments/callgrind_diff.sh`` does that; ``commit_callgrind.sh`` also splits it into
the commits and the rest). ``--collector kafka`` gives stage 2 the stream thread's
``KafkaRecordCollector`` over a producer that counts and drops records, so the changelog
sends run the app's code (the default, ``capture``, is session 10's no-op collector). ``--compare REV`` works as in
``task_path.py``: one worker on ``kstreams/`` of REV, one on the checkout, passes alternating.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from operator import call
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "bench" / "contenders"))
sys.path.insert(0, str(ROOT / "bench" / "experiments"))

LINES, OUT = "lines", "counts-out"


class CapturingCollector:
    """A record collector whose producer keeps the records of one topic and drops the rest."""

    def __init__(self, keep: str | None) -> None:
        self.keep = keep
        self.records: list[tuple[Any, Any, int]] = []
        self.changelog_records = 0
        self.changelog_offsets: dict[Any, int] = {}

    def produce_fn(self) -> Any:
        keep, records = self.keep, self.records

        def produce(topic: str, value: Any, key: Any, partition: int, *rest: Any) -> None:
            if topic == keep:
                records.append((key, value, rest[-1]))

        return produce

    def send(self, topic: str, key: Any, value: Any, ts: int, headers: Any, partition: Any) -> None:
        if topic == self.keep:
            self.records.append((key, value, ts))

    def send_changelog(self, *args: Any, **kwargs: Any) -> None:
        self.changelog_records += 1

    def partitions_for(self, topic: str) -> int:
        return 1


class NullProducer:
    """What :class:`~kstreams.runtime.collector.KafkaRecordCollector` calls of a confluent-kafka
    ``Producer``: ``produce`` counts output and changelog records and drops them."""

    def __init__(self) -> None:
        self.output = 0
        self.changelog = 0

    def produce(
        self,
        topic: str,
        value: Any = None,
        key: Any = None,
        partition: int = -1,
        callback: Any = None,
        on_delivery: Any = None,
        timestamp: int = 0,
        headers: Any = None,
    ) -> None:
        if topic[-10:] == "-changelog":
            self.changelog += 1
        else:
            self.output += 1

    def poll(self, timeout: float = 0) -> int:
        return 0

    def flush(self, timeout: float = 0) -> int:
        return 0


def kafka_collector() -> Any:
    """Stage 2's collector as the stream thread has it (changelog offsets from the log ends,
    as with the default ``delivery.report.only.error``), over a :class:`NullProducer`."""
    from kstreams.runtime.collector import KafkaRecordCollector

    collector = KafkaRecordCollector(NullProducer())
    collector.offsets_from_log = True
    return collector


def as_messages(topic: str, records: list[tuple[Any, Any, int]], start: int) -> list[Any]:
    """``records`` as the consumer would hand them over: ``Message`` s of ``topic``."""
    from confluent_kafka import Message

    return [
        Message(
            topic=topic,
            partition=0,
            offset=start + i,
            key=k,
            value=v,
            timestamp=(1, ts),
            headers=None,
            error=None,
        )
        for i, (k, v, ts) in enumerate(records)
    ]


class WordCount:
    """The word count's two tasks, their collectors and their input."""

    def __init__(self, guarantee: str, state_dir: str, collector: str = "capture") -> None:
        from kstreams_app import topology

        from kstreams.config import StreamsConfig
        from kstreams.processor.task_id import TaskId
        from kstreams.runtime.task import StreamTask
        from kstreams.state.caching import ThreadCache

        props = {
            "application.id": "wordcount-path",
            "bootstrap.servers": "dummy:0",
            "state.dir": state_dir,
            "processing.guarantee": guarantee,
        }
        config = StreamsConfig(props)
        topo = topology("wordcount", LINES, OUT)
        first, second = topo.subtopologies()[:2]
        self.repartition = next(
            topo.resolve_topic(t, "wordcount-path") for t in second.source_topics
        )
        self.c1 = CapturingCollector(self.repartition)
        self.c2 = CapturingCollector(None) if collector == "capture" else kafka_collector()
        cache = ThreadCache(config.get("statestore.cache.max.bytes"))
        now = lambda: 0  # noqa: E731
        self.t1 = StreamTask(
            TaskId(first.id, 0), topo, first, config, self.c1, now, [(LINES, 0)], None, cache
        )
        self.t2 = StreamTask(
            TaskId(second.id, 0),
            topo,
            second,
            config,
            self.c2,
            now,
            [(self.repartition, 0)],
            None,
            cache,
        )
        self.run1 = self.t1.run_for(LINES)
        self.run2 = self.t2.run_for(self.repartition)
        self.offset2 = 0

    def stage1(self, chunk: list[Any]) -> list[tuple[Any, Any, int]]:
        """Lines through stage 1; the repartition records it produced."""
        it = iter(chunk)
        self.run1(next(it), it)
        out, self.c1.records[:] = list(self.c1.records), []
        return out

    def stage2(self, msgs: list[Any]) -> None:
        if msgs:
            it = iter(msgs)
            self.run2(next(it), it)

    def commit(self) -> None:
        for task in (self.t1, self.t2):
            task.prepare_commit()
            task.commit_stores({})


def lines(n: int) -> list[Any]:
    """The benchmark's word-count input, as ``Message`` s of the input topic."""
    from data import generate

    return as_messages(
        LINES,
        [(k, v, 1_700_000_000_000 + i) for i, (k, v) in enumerate(generate("wordcount", n))],
        0,
    )


def run(wc: WordCount, msgs: list[Any], run_size: int, commit_every: int) -> float:
    """One pass: CPU ns per line, both stages and the commits (building stage 2's messages left
    out)."""
    gc.collect() if gc.isenabled() else None
    spent = 0
    since_commit = 0
    for i in range(0, len(msgs), run_size):
        chunk = msgs[i : i + run_size]
        t0 = time.process_time_ns()
        records = wc.stage1(chunk)
        spent += time.process_time_ns() - t0
        second = as_messages(wc.repartition, records, wc.offset2)
        wc.offset2 += len(second)
        t0 = time.process_time_ns()
        wc.stage2(second)
        since_commit += len(chunk)
        if since_commit >= commit_every:
            wc.commit()
            since_commit = 0
        spent += time.process_time_ns() - t0
    t0 = time.process_time_ns()
    wc.commit()
    spent += time.process_time_ns() - t0
    return spent / len(msgs)


def run_callgrind(wc: WordCount, msgs: list[Any], n: int, run_size: int, commit_every: int) -> None:
    """Stage 1 over the first ``n`` lines, then stage 2 over their words, in runs, with commits.

    Stage 2's messages of every line are built first (from a dry run of stage 1 on a second
    pair of tasks), so the instructions of two runs differ by the processing of lines only.
    Commits are called through ``operator.call``, which nothing else calls: its inclusive
    cost in the callgrind output is the commits' (``commit_callgrind.sh`` reads it)."""
    with tempfile.TemporaryDirectory(prefix="kstreams-wc-dry-") as d:
        dry = WordCount(wc.t1.config.get("processing.guarantee"), d)
        chunks = []
        offset = 0
        for i in range(0, len(msgs), run_size):
            records = dry.stage1(msgs[i : i + run_size])
            chunks.append(as_messages(wc.repartition, records, offset))
            offset += len(records)
        dry.t1.close()
        dry.t2.close()
    since = 0
    for idx, i in enumerate(range(0, n, run_size)):
        wc.stage1(msgs[i : i + run_size])
        wc.stage2(chunks[idx])
        since += run_size
        if since >= commit_every:
            call(wc.commit)
            since = 0
    call(wc.commit)
    c2 = wc.c2
    if isinstance(c2, CapturingCollector):
        print(f"changelog records {c2.changelog_records}", file=sys.stderr)
    else:
        p = c2.producer
        print(f"changelog records {p.changelog} output records {p.output}", file=sys.stderr)


def serve(args: argparse.Namespace) -> None:
    """Worker of ``--compare``: one pass on each stdin line."""
    with tempfile.TemporaryDirectory(prefix="kstreams-wc-") as d:
        wc = WordCount(args.guarantee, d, args.collector)
        msgs = lines(args.records)
        run(wc, msgs[: args.records // 5], args.run, args.commit_every)  # warm-up
        print("ready", flush=True)
        for _ in sys.stdin:
            print(run(wc, msgs, args.run, args.commit_every), flush=True)


def compare(args: argparse.Namespace) -> None:
    from task_path import ab_workers

    cmd = [sys.executable, __file__, "--serve", "--records", str(args.records)]
    cmd += ["--run", str(args.run), "--commit-every", str(args.commit_every)]
    cmd += ["--guarantee", args.guarantee, "--collector", args.collector]
    ns: dict[str, list[float]] = {"base": [], "new": []}
    with ab_workers(args.compare, cmd) as ask:
        for r in range(args.rounds):
            for side in ["base", "new"] if r % 2 == 0 else ["new", "base"]:
                ns[side].append(ask(side, "pass"))
    b, n = ns["base"], ns["new"]
    paired = statistics.median(y / x for x, y in zip(b, n, strict=True))
    print(
        f"base = {args.compare}, new = the checkout, {args.guarantee}; CPU ns/line over "
        f"{args.rounds} passes of {args.records} lines: base best {min(b):.0f} median "
        f"{statistics.median(b):.0f}, new best {min(n):.0f} median {statistics.median(n):.0f}, "
        f"paired {(paired - 1) * 100:+.1f}%"
    )


def main() -> None:
    from task_path import add_compare_args

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--records", type=int, default=50_000, help="lines per pass")
    p.add_argument("--repeat", type=int, default=5, help="passes (best and median printed)")
    p.add_argument("--run", type=int, default=500, help="lines per run_for call")
    p.add_argument(
        "--commit-every", type=int, default=5000, help="lines between commits (a commit interval)"
    )
    p.add_argument(
        "--guarantee", default="at_least_once", choices=["at_least_once", "exactly_once_v2"]
    )
    p.add_argument(
        "--collector",
        default="capture",
        choices=["capture", "kafka"],
        help="stage 2's collector: a no-op capture (session 10's figures), or the stream "
        "thread's KafkaRecordCollector over a producer that drops records",
    )
    add_compare_args(p, rounds=10)
    p.add_argument("--callgrind", type=int, metavar="N", help="run N lines once and exit")
    p.add_argument("--gc-off", action="store_true", help="with --callgrind: no cyclic GC")
    args = p.parse_args()
    if args.serve:
        serve(args)
        return
    if args.compare:
        compare(args)
        return
    with tempfile.TemporaryDirectory(prefix="kstreams-wc-") as d:
        wc = WordCount(args.guarantee, d, args.collector)
        msgs = lines(args.records)
        if args.callgrind is not None:
            import kstreams

            print(f"kstreams from {Path(kstreams.__file__).parent}", file=sys.stderr)
            if args.gc_off:
                gc.disable()
            run_callgrind(wc, msgs, args.callgrind, args.run, args.commit_every)
            return
        run(wc, msgs[: args.records // 5], args.run, args.commit_every)
        values = [run(wc, msgs, args.run, args.commit_every) for _ in range(args.repeat)]
        words = wc.offset2 / ((args.repeat + 0.2) * args.records)
        print(
            f"{min(values):.0f} ns/line best of {len(values)}, median "
            f"{statistics.median(values):.0f}; {words:.2f} words per line"
        )


if __name__ == "__main__":
    main()
