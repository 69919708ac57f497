"""Experiment: the bench's restarts (``bench/run.py --extras restart``), A/B on the same changelogs.

For each partition count and guarantee: the word count over ``--lines`` lines runs once to the
end (the tree of the first ``--tree``), then ``--repeat`` times, for each tree in turn
(alternated: a slow minute of the machine hits both alike), a restart on a deleted state
directory and a clean restart, timed as ``bench/run.py`` times them (start() to RUNNING; the
rate: records restored over the longest partition's restoration, as kstreams logs it). Every
restart of one row restores the same changelog, unlike the bench's, which writes it anew.

    KSTREAMS_BOOTSTRAP_SERVERS=... .venv/bin/python bench/experiments/restore_restarts.py \
        --tree old=/tmp/ks-main --tree new=$PWD --partitions 4,16,64 --repeat 2

``--env NAME=VALUE`` is passed to the app (e.g. ``BENCH_KSTREAMS_PATCH``); ``--json`` writes the
raw figures.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(BENCH))

import run as bench_run  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--tree", action="append", required=True, help="NAME=PATH of a kstreams tree")
    p.add_argument("--partitions", default="4,16,64")
    p.add_argument("--guarantees", default="at_least_once,exactly_once_v2")
    p.add_argument("--lines", type=int, default=200_000)
    p.add_argument("--repeat", type=int, default=2)
    p.add_argument("--no-clean", action="store_true", help="wiped restarts only")
    p.add_argument("--env", action="append", default=[], help="NAME=VALUE for the app")
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args()
    trees = [tuple(t.split("=", 1)) for t in args.tree]
    bootstrap = os.environ[bench_run.ENV_BOOTSTRAP_SERVERS]
    bargs = bench_run.parse_args(["--workloads", "", "--contenders", "kstreams", "--runs", "1"])
    contenders = bench_run.Contenders(["kstreams"])
    bench = bench_run.Bench(bargs, bootstrap, contenders)
    base_env = dict(os.environ)
    extra = dict(e.split("=", 1) for e in args.env)

    def use(path: str) -> None:
        os.environ.clear()
        os.environ.update(base_env, PYTHONPATH=path, **extra)

    rows: list[dict[str, Any]] = []
    try:
        for parts in [int(x) for x in args.partitions.split(",") if x]:
            dataset, topic, end = bench.prefill("wordcount", args.lines, parts)
            for guarantee in [g for g in args.guarantees.split(",") if g]:
                label = f"rr-{parts}-{guarantee}"
                app_id = f"bench-{label}-{uuid.uuid4().hex[:6]}".replace("_", "-")
                use(trees[0][1])
                first = bench.run(
                    "kstreams", "wordcount", guarantee, 1, dataset, topic, end,
                    app_id=app_id, keep=True, label=label, partitions=parts,
                )  # fmt: skip
                if not first.ok:
                    print(f"{label}: first run failed: {first.error}", flush=True)
                    bench.cleanup(app_id)
                    continue
                state_dir = bench.scratch / "state" / app_id
                for rep in range(args.repeat):
                    order = trees if rep % 2 == 0 else trees[::-1]
                    for name, path in order:
                        use(path)
                        wiped = bench.restart(app_id, topic, guarantee, wipe=True)
                        clean = (
                            None
                            if args.no_clean
                            else bench.restart(app_id, topic, guarantee, False)
                        )
                        row = {
                            "tree": name, "partitions": parts, "guarantee": guarantee,
                            "rep": rep, "wiped": wiped, "clean": clean,
                            "load": os.getloadavg()[0],
                        }  # fmt: skip
                        rows.append(row)
                        print(
                            f"{label} {name:>4} rep {rep}: wiped {wiped['to_running_s']}s, "
                            f"{wiped['records']:,} records in {wiped['restore_s']:.3f}s = "
                            f"{wiped['rate']:,.0f}/s (CPU {wiped['cpu_us_per_record']} µs)"
                            + (f"; clean {clean['to_running_s']}s" if clean else "")
                            + f"; load {row['load']:.1f}; log {wiped['log']}",
                            flush=True,
                        )
                shutil.rmtree(state_dir, ignore_errors=True)
                bench.cleanup(app_id)
            bench_run.delete_topics(bootstrap, topic)
    finally:
        bench.watcher.close()
        os.environ.clear()
        os.environ.update(base_env)
    print("\nmedians (wiped rate records/s | wiped -> RUNNING s | clean -> RUNNING s):")
    keys = sorted({(r["partitions"], r["guarantee"]) for r in rows})
    for parts, guarantee in keys:
        for name, _ in trees:
            want = (parts, guarantee, name)
            mine = [r for r in rows if (r["partitions"], r["guarantee"], r["tree"]) == want]
            if not mine:
                continue
            rate = statistics.median(r["wiped"]["rate"] for r in mine)
            wiped = statistics.median(r["wiped"]["to_running_s"] or 0 for r in mine)
            clean = [r["clean"]["to_running_s"] or 0 for r in mine if r["clean"]]
            print(
                f"  {parts:>3} {guarantee:<16} {name:>4}: {rate:>9,.0f} | {wiped:.2f} | "
                + (f"{statistics.median(clean):.2f}" if clean else "-")
                + "  (rates "
                + ", ".join(f"{r['wiped']['rate']:,.0f}" for r in mine)
                + ")"
            )
    if args.json:
        args.json.write_text(json.dumps({"when": time.time(), "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
