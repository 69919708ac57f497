"""Tables, target checks and the chart from the results of ``bench/run.py``.

:func:`write_docs` rewrites only the part of ``docs/benchmarks.md`` between the
``<!-- bench:results:begin -->`` and ``<!-- bench:results:end -->`` markers: the analysis
written around it by people stays.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import tempfile
from pathlib import Path
from typing import Any

BEGIN = "<!-- bench:results:begin -->"
END = "<!-- bench:results:end -->"
LABELS = {
    "ceiling": "ceiling (confluent-kafka loop)",
    "ceiling-repartition": "ceiling through a repartition topic (word count's floor)",
    "kstreams": "kstreams",
    "quixstreams": "Quix Streams",
    "faust": "Faust",
    "java": "Kafka Streams (Java, 1 thread)",
}
GUARANTEE_LABELS = {"at_least_once": "at-least-once", "exactly_once_v2": "exactly-once v2"}
WINDOWED = ("windowed-tumbling", "windowed-hopping")
"""The windowed-count workloads (bench/data.py), each with its own targets."""
JOINS = ("stream-table", "stream-stream")
"""The join workloads (bench/data.py, issue 14): kstreams ≥ Kafka Streams (one thread), ≥ 3x
Quix Streams."""


def summarize(out: dict[str, Any]) -> dict[tuple[str, str, str], dict[str, Any]]:
    """(workload, guarantee, contender) -> median/min/max rate, medians of the rest."""
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for r in out.get("runs", []):
        groups.setdefault((r["workload"], r["guarantee"], r["contender"]), []).append(r)
    summary = {}
    for key, runs in groups.items():
        ok = [r for r in runs if r["ok"]]
        errors = sorted({r["error"] for r in runs if not r["ok"]})
        if not ok:
            summary[key] = {"ok": 0, "runs": len(runs), "errors": errors}
            continue
        rates = [r["rate"] for r in ok]
        summary[key] = {
            "ok": len(ok),
            "runs": len(runs),
            "errors": errors,
            "rate": statistics.median(rates),
            "min": min(rates),
            "max": max(rates),
            "wall_s": statistics.median(r["wall_s"] for r in ok),
            "first_output_s": statistics.median(
                r["first_output_s"] for r in ok if r["first_output_s"] is not None
            )
            if any(r["first_output_s"] is not None for r in ok)
            else None,
            **_steady(ok),
            "cpu_s": statistics.median(r["cpu_s"] for r in ok),
            "load": statistics.median(r["loadavg"] for r in ok),
            "rss_mb": statistics.median(r["max_rss_mb"] for r in ok),
            "outputs": statistics.median(r["output_records"] for r in ok),
            "expected": ok[0]["expected_outputs"],
            "records": ok[0]["records"],
            "committed": [r["committed_records"] for r in ok if r["committed_records"] is not None],
        }
    return summary


def _steady(ok: list[dict[str, Any]]) -> dict[str, Any]:
    """Median, min and max of the runs' steady-state rates; median CPU s per million records."""
    rates = [r["steady_rate"] for r in ok if r.get("steady_rate")]
    cpu = [
        r["steady_cpu_s"] / r["steady_records"] * 1e6
        for r in ok
        if r.get("steady_cpu_s") is not None and r.get("steady_records")
    ]
    if not rates:
        return {"steady": None, "steady_min": None, "steady_max": None, "steady_cpu_m": None}
    return {
        "steady": statistics.median(rates),
        "steady_min": min(rates),
        "steady_max": max(rates),
        "steady_cpu_m": statistics.median(cpu) if cpu else None,
    }


def _ratio(a: float | None, b: float | None) -> str:
    if not a or not b:
        return "-"
    return f"{a / b:.2f}x"


def _rate(x: float) -> str:
    return f"{x / 1000:,.1f}k" if x < 1_000_000 else f"{x / 1e6:,.2f}M"


def tables(out: dict[str, Any]) -> str:
    """One markdown table per workload and guarantee."""
    summary = summarize(out)
    contenders = [c for c in LABELS if any(k[2] == c for k in summary)]
    lines = []
    for workload in out.get("workloads", []):
        for guarantee in out.get("guarantees", []):
            rows = {c: summary.get((workload, guarantee, c)) for c in contenders}
            if not any(rows.values()):
                continue
            ceiling = (rows.get("ceiling") or {}).get("rate")
            ks = (rows.get("kstreams") or {}).get("rate")
            ceiling_st = (rows.get("ceiling") or {}).get("steady")
            ks_st = (rows.get("kstreams") or {}).get("steady")
            lines.append(f"### {workload}, {GUARANTEE_LABELS[guarantee]}\n")
            lines.append(
                "| contender | steady-state records/s (median) | spread (min-max) | x ceiling "
                "| kstreams / it | steady CPU s per M records | cold-start records/s (median) "
                "| spread (min-max) | x ceiling | kstreams / it | wall s | first output s | CPU s "
                "| peak RSS MB | input records | output records | load avg |"
            )
            lines.append(
                "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
            )
            for c, s in rows.items():
                if s is None:
                    continue
                if not s["ok"]:
                    why = "; ".join(s["errors"])[:300]
                    lines.append(f"| {LABELS[c]} | failed | {why} |" + " |" * 14)
                    continue
                outputs = f"{s['outputs']:,.0f}"
                if s["outputs"] != s["expected"]:
                    outputs += f" (expected {s['expected']:,})"
                if s["committed"]:
                    outputs += f"; read_committed {s['committed'][0]:,}"
                first = "-" if s["first_output_s"] is None else f"{s['first_output_s']:.1f}"
                if s["steady"] is None:
                    steady = "- | - | - | - | -"
                else:
                    cpu_m = "-" if s["steady_cpu_m"] is None else f"{s['steady_cpu_m']:.1f}"
                    steady = (
                        f"**{_rate(s['steady'])}** | {_rate(s['steady_min'])}-"
                        f"{_rate(s['steady_max'])} "
                        f"| {_ratio(s['steady'], ceiling_st) if c != 'ceiling' else '1.00x'} "
                        f"| {_ratio(ks_st, s['steady']) if c != 'kstreams' else '-'} | {cpu_m}"
                    )
                lines.append(
                    f"| {LABELS[c]} | {steady} "
                    f"| {_rate(s['rate'])} | {_rate(s['min'])}-{_rate(s['max'])} "
                    f"| {_ratio(s['rate'], ceiling) if c != 'ceiling' else '1.00x'} "
                    f"| {_ratio(ks, s['rate']) if c != 'kstreams' else '-'} "
                    f"| {s['wall_s']:.1f} | {first} | {s['cpu_s']:.1f} | {s['rss_mb']:.0f} "
                    f"| {s['records']:,} | {outputs} | {s['load']:.1f} |"
                )
            lines.append("")
    return "\n".join(lines)


def targets(out: dict[str, Any]) -> list[tuple[str, str, bool | None]]:
    """(target, measured, holds) for the targets; None where it could not be measured.

    The cold-start targets are the first benchmarks' (rates over the whole run, start-up
    included); the steady-state ones are issue 11's (rates after warm-up, see runner.py).
    """
    s = summarize(out)

    def rate(w: str, g: str, c: str, field: str = "rate") -> float | None:
        v = s.get((w, g, c))
        return v.get(field) if v and v.get("ok") else None

    def check(what: str, a: float | None, b: float | None, factor: float) -> None:
        checks.append((what, _ratio(a, b), None if not (a and b) else a >= factor * b))

    checks: list[tuple[str, str, bool | None]] = []
    for g in out.get("guarantees", []):
        gl = GUARANTEE_LABELS[g]
        ks, ceil = rate("passthrough", g, "kstreams"), rate("passthrough", g, "ceiling")
        check(f"passthrough ({gl}, cold start): kstreams ≥ 0.8x the ceiling", ks, ceil, 0.8)
        ks, quix = rate("wordcount", g, "kstreams"), rate("wordcount", g, "quixstreams")
        check(f"word count ({gl}, cold start): kstreams ≥ 1.5x Quix Streams", ks, quix, 1.5)
        java = rate("wordcount", g, "java")
        check(
            f"word count ({gl}, cold start): kstreams ≥ Kafka Streams (Java, 1 thread)",
            ks,
            java,
            1.0,
        )
    for w in out.get("workloads", []):
        alos = rate(w, "at_least_once", "kstreams")
        eos = rate(w, "exactly_once_v2", "kstreams")
        check(f"{w} (cold start): kstreams exactly-once ≥ 0.8x at-least-once", eos, alos, 0.8)
    for g in out.get("guarantees", []):
        gl = GUARANTEE_LABELS[g]
        ks = rate("passthrough", g, "kstreams", "steady")
        ceil = rate("passthrough", g, "ceiling", "steady")
        check(f"passthrough ({gl}, steady state): kstreams ≥ 0.9x the ceiling", ks, ceil, 0.9)
        factor = 1.3 if g == "at_least_once" else 1.2
        ks = rate("wordcount", g, "kstreams", "steady")
        java = rate("wordcount", g, "java", "steady")
        check(
            f"word count ({gl}, steady state): kstreams ≥ {factor}x Kafka Streams (Java, 1 thread)",
            ks,
            java,
            factor,
        )
    for w in WINDOWED:
        if w not in out.get("workloads", []):
            continue
        kind = w.removeprefix("windowed-")
        for g in out.get("guarantees", []):
            gl = GUARANTEE_LABELS[g]
            ks = rate(w, g, "kstreams", "steady")
            java = rate(w, g, "java", "steady")
            check(
                f"windowed ({kind}, {gl}, steady state): kstreams ≥ Kafka Streams (Java, 1 thread)",
                ks,
                java,
                1.0,
            )
            quix = rate(w, g, "quixstreams", "steady")
            check(
                f"windowed ({kind}, {gl}, steady state): kstreams ≥ 5x Quix Streams", ks, quix, 5.0
            )
    for w in JOINS:
        if w not in out.get("workloads", []):
            continue
        for g in out.get("guarantees", []):
            gl = GUARANTEE_LABELS[g]
            ks = rate(w, g, "kstreams", "steady")
            java = rate(w, g, "java", "steady")
            check(
                f"{w} join ({gl}, steady state): kstreams ≥ Kafka Streams (Java, 1 thread)",
                ks,
                java,
                1.0,
            )
            quix = rate(w, g, "quixstreams", "steady")
            check(f"{w} join ({gl}, steady state): kstreams ≥ 3x Quix Streams", ks, quix, 3.0)
    for row in (out.get("restarts") or {}).get("rows", []):
        gl = GUARANTEE_LABELS[row["guarantee"]]
        clean = (row.get("clean") or {}).get("to_running_s")
        if row["partitions"] == max(r["partitions"] for r in out["restarts"]["rows"]):
            checks.append(
                (
                    f"clean restart, {row['partitions']} partitions ({gl}): RUNNING in < 2 s",
                    _secs(clean),
                    None if clean is None else clean < 2.0,
                )
            )
        wiped = row.get("wiped") or {}
        if wiped.get("records"):
            checks.append(
                (
                    f"restore rate, {row['partitions']} partitions ({gl}): ≥ 500k records/s",
                    f"{wiped['rate'] / 1000:,.0f}k",
                    wiped["rate"] >= 500_000,
                )
            )
    distinct = (out.get("distinct") or {}).get("process") or {}
    if distinct.get("ok"):
        rss = distinct["max_rss_mb"]
        checks.append(
            (
                f"peak RSS, {out['distinct']['distinct_keys']:,} distinct keys: ≤ 250 MB",
                f"{rss:.0f} MB",
                rss <= 250,
            )
        )
    return checks


def _targets_md(out: dict[str, Any]) -> str:
    lines = ["| target | measured | holds |", "|---|---:|:---:|"]
    for what, measured, holds in targets(out):
        mark = "-" if holds is None else ("yes" if holds else "**no**")
        lines.append(f"| {what} | {measured} | {mark} |")
    return "\n".join(lines)


def _distinct_md(out: dict[str, Any]) -> str:
    d = out.get("distinct")
    if not d:
        return ""
    lines = ["### Memory and restoration (kstreams, word count over distinct words)\n"]
    p = d.get("process") or {}
    if p.get("ok"):
        lines.append(
            f"- {d['records']:,} input records, {d['distinct_keys']:,} distinct keys: "
            f"**{p['rate']:,.0f} records/s**, peak RSS **{p['max_rss_mb']:.0f} MB**, "
            f"CPU {p['cpu_s']:.1f} s, {p['output_records']:,} output records."
        )
    elif p:
        lines.append(f"- the run failed: {p.get('error')}")
    r = d.get("restore")
    if r:
        lines.append(
            f"- restoration after deleting the state directory: **{r['records']:,} changelog "
            f"records in {r['restore_s']:.1f} s = {r['rate']:,.0f} records/s** "
            f"({r['partitions']} partitions, restored together; per partition "
            f"{', '.join(f'{x:,.0f}' for x in r['per_partition_rates'])} records/s as kstreams "
            f"logs them). start() to RUNNING: {_secs(r.get('to_running_s'))}; the whole "
            f"restart, process start to exit: {r['process_wall_s']:.1f} s."
        )
    return "\n".join(lines) + "\n"


def _secs(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f} s"


def _restarts_md(out: dict[str, Any]) -> str:
    r = out.get("restarts")
    if not r:
        return ""
    lines = [
        f"### Restarts (kstreams, word count over {r['lines']:,} lines, one stream thread)\n",
        "start() to RUNNING after a clean close, and after deleting the state directory "
        "(every store restored from its changelog); the restore rate is all changelog records "
        "over the restoration's time.\n",
        "| partitions | guarantee | clean restart → RUNNING | wiped restart → RUNNING "
        "| records restored | restore rate |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for row in r["rows"]:
        g = GUARANTEE_LABELS[row["guarantee"]]
        if "error" in row or "wiped" not in row:
            lines.append(f"| {row['partitions']} | {g} | failed: {row.get('error', '?')} | | | |")
            continue
        w = row["wiped"]
        lines.append(
            f"| {row['partitions']} | {g} | {_secs(row['clean']['to_running_s'])} "
            f"| {_secs(w['to_running_s'])} | {w['records']:,} | {w['rate']:,.0f} records/s |"
        )
    return "\n".join(lines) + "\n"


def _profiles_md(out: dict[str, Any]) -> str:
    profiles = out.get("profiles")
    if not profiles:
        return ""
    lines = ["### Where kstreams' time goes (py-spy, at-least-once)\n"]
    for workload, p in profiles.items():
        if not p.get("samples"):
            lines.append(f"- {workload}: no samples ({p.get('raw')})")
            continue
        lines.append(
            f"**{workload}** ({p['records']:,} records, {p['rate']:,.0f} records/s under the "
            f"profiler, {p['samples']:,} samples of the stream thread at 100 Hz; native frames "
            "included; `<lib>`: frames of a library without symbols; the inclusive column leaves "
            "out the thread's own frames, 100% by definition)\n"
        )
        lines.append("| self time | frame | | inclusive | frame |")
        lines.append("|---:|---|---|---:|---|")
        trivial = (
            "<",
            "Thread._bootstrap",
            "StreamThread.run",
            "StreamThread._run_loop",
            "thread_run",
        )
        incl = [x for x in p["inclusive"] if not x[0].startswith(trivial)]
        for i in range(max(len(p["self"]), 15)):
            a = p["self"][i] if i < len(p["self"]) else ("", 0.0)
            b = incl[i] if i < len(incl) else ("", 0.0)
            if not a[0] and not b[0]:
                break
            lines.append(
                f"| {a[1] * 100:.1f}% | `{a[0]}` | | {b[1] * 100:.1f}% | `{b[0]}` |"
                if a[0]
                else f"| | | | {b[1] * 100:.1f}% | `{b[0]}` |"
            )
        lines.append("")
    return "\n".join(lines)


def _setup_md(out: dict[str, Any]) -> str:
    m = out["machine"]
    lines = [
        f"Measured {out['date']} on {m['cpu']}, {m['cores']} cores, {m['memory']} RAM, "
        f"{m['os']}, Python {m['python']}; broker: {out['broker']}, on the same machine. "
        f"{out['runs_per_contender']} run(s) per contender (Faust: fewer, see above), interleaved; "
        f"the suite took "
        f"{out['elapsed_s'] / 60:.0f} min."
        + (
            f" The runs of {out['reused']['from'].replace(',', ', ')} are those of the suite of "
            f"{out['reused']['date']} (`--reuse`: peers whose figures kstreams' changes cannot "
            "move)."
            + (
                " Taken from earlier suites too: " + ", ".join(out["reused"]["extras"]) + "."
                if out["reused"].get("extras")
                else ""
            )
            if out.get("reused")
            else ""
        ),
        "",
        "Reproduce with:",
        "",
        "```",
        "make bench" + (f' BENCH_ARGS="{out["args"]}"' if out.get("args") else ""),
        f"# = .venv/bin/python bench/run.py {out.get('args', '')}".rstrip(),
        "```",
        "",
        "| contender | version |",
        "|---|---|",
    ]
    for c, v in out.get("versions", {}).items():
        lines.append(f"| {LABELS.get(c, c)} | {v} |")
    for c, why in out.get("unavailable", {}).items():
        lines.append(f"| {LABELS.get(c, c)} | unavailable: {why.splitlines()[0][:200]} |")
    lines.append("")
    for w, d in out.get("datasets", {}).items():
        other = d.get("other_records") or 0
        size = d["bytes"] / (d["records"] + (other if w.startswith("stream-table") else 0))
        extra = ""
        if w.startswith("stream-table"):
            extra = f" (events; plus a table of {other:,} customers, loaded first)"
        elif w.startswith("stream-stream"):
            extra = f" ({d['records'] - other:,} orders and {other:,} payments)"
        lines.append(
            f"- **{w}** input: {d['records']:,} records{extra}, {size:.0f} bytes "
            f"on average, {d['distinct_keys']:,} distinct "
            f"{_key_noun(w)}; expected outputs "
            f"{d['expected_outputs']:,}."
        )
    return "\n".join(lines) + "\n"


def _key_noun(dataset: str) -> str:
    if dataset.startswith("passthrough"):
        return "keys"
    if dataset.startswith("windowed"):
        return "pages (keys)"
    if dataset.startswith("stream-table"):
        return "customers (event keys)"
    if dataset.startswith("stream-stream"):
        return "orders (keys)"
    return "words"


def render(out: dict[str, Any]) -> str:
    parts = [
        BEGIN,
        "<!-- Generated by bench/run.py: edits between these markers are overwritten. -->",
        "",
        "## Results",
        "",
        _setup_md(out),
        "![records/s by contender](benchmarks.png)",
        "",
        "### Targets",
        "",
        _targets_md(out),
        "",
        tables(out),
        _distinct_md(out),
        _restarts_md(out),
        _profiles_md(out),
        END,
    ]
    return "\n".join(parts)


def write_docs(out: dict[str, Any], path: Path) -> None:
    """Replace the generated section of ``path`` (created with a stub if missing)."""
    block = render(out)
    if path.exists():
        text = path.read_text()
        if BEGIN in text and END in text:
            head, rest = text.split(BEGIN, 1)
            tail = rest.split(END, 1)[1]
            path.write_text(head + block + tail)
            return
        path.write_text(text.rstrip() + "\n\n" + block + "\n")
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("# Benchmarks\n\n" + block + "\n")


def console(out: dict[str, Any]) -> str:
    """A plain-text summary for the terminal."""
    lines = ["", "Targets:"]
    for what, measured, holds in targets(out):
        mark = "n/a" if holds is None else ("OK" if holds else "MISSED")
        lines.append(f"  {mark:6} {what}: {measured}")
    lines.append("")
    lines.append(tables(out))
    lines.append(_distinct_md(out))
    lines.append(_restarts_md(out))
    return "\n".join(lines)


def chart(out: dict[str, Any], png: Path, python: Path) -> None:
    """Draw ``png`` (steady-state rates) with matplotlib, in the harness' tools environment
    (``chart.py``)."""
    summary = summarize(out)
    rows = [
        {
            "workload": w,
            "guarantee": GUARANTEE_LABELS[g],
            "contender": LABELS[c],
            "rate": s.get("steady") or 0.0,
            "min": s.get("steady_min") or 0.0,
            "max": s.get("steady_max") or 0.0,
        }
        for (w, g, c), s in summary.items()
    ]
    order = [LABELS[c] for c in LABELS]
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump({"rows": rows, "order": order, "workloads": out.get("workloads", [])}, fh)
    subprocess.run(
        [str(python), str(Path(__file__).with_name("chart.py")), fh.name, str(png)], check=True
    )
    Path(fh.name).unlink()
