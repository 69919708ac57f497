"""Sampling profiles of a contender process with py-spy (from the harness' tools environment).

``attach(py_spy, out)`` returns an ``on_start`` hook for :class:`runner.Spec`: py-spy records
the process from its start, in py-spy's raw (collapsed stacks) format, until it exits.
:func:`summarize` turns such a file into the top frames by self and by inclusive time.
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

_LINE = re.compile(r"^(?P<stack>.*) (?P<count>\d+)$")
_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^():]*)(?::\d+)?\)$")


def attach(py_spy: Path, out: Path, rate: int = 100, native: bool = True) -> Any:
    """An ``on_start(proc)`` hook that profiles ``proc`` into ``out``; it returns a waiter."""

    def on_start(proc: subprocess.Popen[bytes]) -> Any:
        out.parent.mkdir(parents=True, exist_ok=True)
        cmd = [str(py_spy), "record", "--pid", str(proc.pid), "--rate", str(rate)]
        cmd += ["--format", "raw", "--output", str(out)]
        if native:
            cmd.append("--native")
        log = open(out.with_suffix(".log"), "wb")  # noqa: SIM115 (closed by the waiter)
        spy = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)

        def wait() -> None:
            try:
                spy.wait(timeout=60)
            except subprocess.TimeoutExpired:
                spy.terminate()
                spy.wait(timeout=30)
            finally:
                log.close()

        return wait

    return on_start


_HEX = re.compile(r"^0x[0-9a-f]+ \((?P<lib>[^)]*)\)$")


def _frame_name(frame: str) -> str:
    frame = frame.strip()
    hexed = _HEX.match(frame)
    if hexed:  # a native frame without symbols (libc's futex waits, mostly)
        return f"<{hexed.group('lib')}>"
    m = _FRAME.match(frame)
    if not m:
        return frame
    file = m.group("file")
    short = "/".join(Path(file).parts[-2:]) if file else ""
    return f"{m.group('func')} ({short})" if short else m.group("func")


def summarize(path: Path, top: int = 15, thread: str = "StreamThread._run_loop") -> dict[str, Any]:
    """Self and inclusive sample shares per function, from a py-spy raw file.

    Only the stacks that pass through ``thread`` count (the stream thread's loop: not the
    main thread waiting for SIGTERM, nor start-up imports); shares are of those samples.
    """
    self_counts: Counter[str] = Counter()
    incl_counts: Counter[str] = Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        m = _LINE.match(line)
        if not m:
            continue
        n = int(m.group("count"))
        frames = [_frame_name(f) for f in m.group("stack").split(";") if f]
        if not frames or not any(f.startswith(thread) for f in frames):
            continue
        # The first frames name the process and thread ("process 123:..."; "thread (0x..)").
        frames = [f for f in frames if not f.startswith(("process ", "thread "))] or frames
        total += n
        self_counts[frames[-1]] += n
        for name in set(frames):
            incl_counts[name] += n
    if total == 0:
        return {"samples": 0, "self": [], "inclusive": []}
    return {
        "samples": total,
        "self": [(name, n / total) for name, n in self_counts.most_common(top)],
        "inclusive": [(name, n / total) for name, n in incl_counts.most_common(top * 2)],
    }
