"""Instructions per record of the window and join path, split by component (callgrind zones).

callgrind sees every Python frame as the interpreter's eval loop, so it cannot say which
module a cost belongs to. This puts each component's entry points behind a C function of its
own (``cg_zones.c``, built here with gcc into ``/tmp``): ``zone_zNN(fn, *args)`` calls ``fn``,
and callgrind's inclusive cost of ``zone_zNN`` is what the component cost, the Python code
inside it included. Zones nest (the flush's writes are inside the flush), so read each as
"this call and everything under it". Each zone adds a Python wrapper and a C call (~0.3-0.5k
instructions per call) to its caller: the zoned total is above ``window_callgrind.sh``'s.

    bench/experiments/window_zones.py windowed-hopping [N] [--commit-every C]
    bench/experiments/window_zones.py stream-stream 2000

Two callgrind runs (N and 2N records of the same input) as ``window_callgrind.sh``; the
figures are the differences divided by N: instructions per input record.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
BUILD = Path(tempfile.gettempdir()) / "kstreams-cg-zones"


def build() -> Path:
    """The compiled ``cg_zones`` module's directory (built once per source change)."""
    src = HERE / "cg_zones.c"
    BUILD.mkdir(exist_ok=True)
    suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
    out = BUILD / f"cg_zones{suffix}"
    if not out.exists() or out.stat().st_mtime < src.stat().st_mtime:
        include = sysconfig.get_paths()["include"]
        subprocess.run(
            ["gcc", "-O1", "-g", "-fPIC", "-shared", f"-I{include}", str(src), "-o", str(out)],
            check=True,
        )
    return BUILD


# (zone label, "module:Class.method" or a special name) in zone order z00, z01, ...
WINDOW_ZONES = [
    (
        "cache: a count's window updates (_count)",
        "kstreams.state.window_cache:SegmentedCache._count",
    ),
    (
        "cache: a record's window updates (_update)",
        "kstreams.state.window_cache:SegmentedCache._update",
    ),
    ("cache: flush (all of it)", "kstreams.state.window_cache:SegmentedCache.flush_cache"),
    (
        "  flush -> change-logging put (incl. buffer)",
        "kstreams.state.window_changelogging:ChangeLoggingSegmentedStore.put",
    ),
    ("    write buffer put", "kstreams.state.window_buffered:BufferedSegmentedStore.put"),
    ("  flush -> listener (to_stream + sink)", "listener"),
    ("    windowed sink", "windowed_sink"),
    ("store reads: buffer get", "kstreams.state.window_buffered:BufferedSegmentedStore.get"),
    ("  segments get", "kstreams.state.segments:RocksDBSegmentedEngine.get"),
    ("commit: changelog send (_send)", "changelog_send"),
    ("commit: buffer commit", "kstreams.state.window_buffered:BufferedSegmentedStore.commit"),
    ("  segments write", "kstreams.state.segments:RocksDBSegmentedEngine.write"),
    ("    segment write (WriteBatch)", "kstreams.state.segments:Segment.write"),
    ("    segment track", "kstreams.state.segments:Segment.track"),
    ("task: prepare_commit", "kstreams.runtime.task:StreamTask.prepare_commit"),
]

JOIN_ZONES = [
    ("join window processor (forward + put)", "join_window"),
    ("  metered put_raw", "kstreams.state.window_metered:MeteredWindowStore.put_raw"),
    (
        "    change-logging put (incl. buffer)",
        "kstreams.state.window_changelogging:ChangeLoggingSegmentedStore.put",
    ),
    ("      write buffer put", "kstreams.state.window_buffered:BufferedSegmentedStore.put"),
    ("join processor (stream_join)", "stream_join"),
    (
        "  other store fetch_range (metered)",
        "kstreams.state.window_metered:MeteredWindowStore.fetch_range",
    ),
    ("    write buffer fetch", "kstreams.state.window_buffered:BufferedSegmentedStore.fetch"),
    ("      segments scan", "kstreams.state.segments:RocksDBSegmentedEngine.scan"),
    ("  joiner (user code)", "joiner"),
    ("  sink", "sink"),
    ("commit: changelog send (_send)", "changelog_send"),
    ("commit: buffer commit", "kstreams.state.window_buffered:BufferedSegmentedStore.commit"),
    ("  segments write", "kstreams.state.segments:RocksDBSegmentedEngine.write"),
    ("    segment write (WriteBatch)", "kstreams.state.segments:Segment.write"),
    ("    segment track", "kstreams.state.segments:Segment.track"),
    ("task: prepare_commit", "kstreams.runtime.task:StreamTask.prepare_commit"),
]


def _method_wrapper(zone: Any, fn: Any) -> Any:
    def zoned(*args: Any, **kwargs: Any) -> Any:
        return zone(fn, *args, **kwargs)

    zoned.__wrapped__ = fn  # type: ignore[attr-defined]
    return zoned


def install(zones: list[tuple[str, str]]) -> None:
    """Put every zone's entry points behind its C function (before the task is built)."""
    import importlib

    sys.path.insert(0, str(build()))
    import cg_zones  # type: ignore[import-not-found]

    def zone_fn(i: int) -> Any:
        return getattr(cg_zones, f"z{i:02d}")

    for i, (_, target) in enumerate(zones):
        zone = zone_fn(i)
        if ":" in target:
            mod, qual = target.split(":")
            cls_name, meth = qual.split(".")
            cls = getattr(importlib.import_module(mod), cls_name)
            fn = getattr(cls, meth, None)
            if fn is None:  # not in this tree (an older or newer kstreams): the zone stays 0
                print(f"window_zones: no {target}", file=sys.stderr)
                continue
            setattr(cls, meth, _method_wrapper(zone, fn))
            continue
        if target == "listener":
            from kstreams.state.window_cache import SegmentedCache

            orig_set = SegmentedCache.set_flush_listener

            def set_flush_listener(
                self: Any, listener: Any, *a: Any, _z: Any = zone, _o: Any = orig_set
            ) -> Any:
                return _o(self, functools.partial(_z, listener), *a)

            SegmentedCache.set_flush_listener = set_flush_listener  # type: ignore[method-assign]
        elif target == "windowed_sink":
            import kstreams.runtime.task as task_mod

            orig_ws = task_mod.windowed_fast_sink

            def windowed_fast_sink(*a: Any, _z: Any = zone, _o: Any = orig_ws) -> Any:
                return functools.partial(_z, _o(*a))

            task_mod.windowed_fast_sink = windowed_fast_sink
        elif target == "changelog_send":
            from kstreams.state import window_changelogging as wc

            for cls in (wc.ChangeLoggingSegmentedStore, wc.ChangeLoggingTimestampedSegmentedStore):
                cls._send = _method_wrapper(zone, cls.__dict__["_send"])  # type: ignore[method-assign]
        elif target in ("join_window", "stream_join", "joiner"):
            from kstreams.processor import stream_stream_join as ssj

            cls = (
                ssj.JoinWindowProcessor
                if target == "join_window"
                else ssj.StreamStreamJoinProcessor
            )
            orig_compile = cls.__dict__["compile"]

            def compile(
                self: Any, context: Any, _z: Any = zone, _o: Any = orig_compile, _t: str = target
            ) -> Any:
                if _t == "joiner":
                    self.joiner = functools.partial(_z, self.joiner)
                    return _o(self, context)
                return functools.partial(_z, _o(self, context))

            cls.compile = compile  # type: ignore[method-assign]
        elif target == "sink":
            from kstreams.runtime.task import StreamTask

            orig_sink = StreamTask.__dict__["_build_sink"]

            def _build_sink(self: Any, node: Any, _z: Any = zone, _o: Any = orig_sink) -> Any:
                return functools.partial(_z, _o(self, node))

            StreamTask._build_sink = _build_sink  # type: ignore[method-assign]
        else:
            raise ValueError(target)


def child(workload: str, n: int, records: int, commit_every: int) -> None:
    zones = JOIN_ZONES if workload == "stream-stream" else WINDOW_ZONES
    install(zones)
    sys.argv = [
        "window_path.py",
        "--only",
        workload,
        "--records",
        str(records),
        "--callgrind",
        str(n),
        "--commit-every",
        str(commit_every),
    ]
    sys.path.insert(0, str(HERE))
    import window_path

    window_path.main()


def inclusive(out_file: str) -> dict[str, int]:
    text = subprocess.run(
        ["callgrind_annotate", "--inclusive=yes", "--threshold=100", out_file],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    found: dict[str, int] = {}
    for line in text.splitlines():
        m = re.match(r"\s*([\d,]+)\s.*\bzone_(z\d\d)\b", line)
        if m and m.group(2) not in found:
            found[m.group(2)] = int(m.group(1).replace(",", ""))
    summary = re.search(r"([\d,]+) \(100\.0%\)\s+PROGRAM TOTALS", text)
    if summary:
        found["total"] = int(summary.group(1).replace(",", ""))
    return found


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("workload", choices=["windowed-hopping", "windowed-tumbling", "stream-stream"])
    p.add_argument("n", type=int, nargs="?", default=2000)
    p.add_argument("--commit-every", type=int, default=2000)
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--json", help="write the figures to this file")
    p.add_argument("--records", type=int, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        child(args.workload, args.n, args.records, args.commit_every)
        return
    build()
    out = tempfile.mkdtemp(prefix="cg-zones-")
    totals = []
    for n in (args.n, 2 * args.n):
        f = os.path.join(out, f"cg.{n}")
        with open(os.path.join(out, f"log.{n}"), "w") as log:
            subprocess.run(
                [
                    "valgrind",
                    "--tool=callgrind",
                    f"--callgrind-out-file={f}",
                    sys.executable,
                    __file__,
                    args.workload,
                    str(n),
                    "--commit-every",
                    str(args.commit_every),
                    "--child",
                    "--records",
                    str(3 * args.n),
                ],
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        totals.append(inclusive(f))
    zones = JOIN_ZONES if args.workload == "stream-stream" else WINDOW_ZONES
    a, b = totals
    rows = {"total (zoned run)": (b.get("total", 0) - a.get("total", 0)) // args.n}
    for i, (label, _) in enumerate(zones):
        z = f"z{i:02d}"
        rows[label] = (b.get(z, 0) - a.get(z, 0)) // args.n
    print(f"{args.workload}, N={args.n}, commit every {args.commit_every}: instructions per record")
    for label, v in rows.items():
        print(f"  {label:<48} {v:>9,}")
    print(f"(files in {out})")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
