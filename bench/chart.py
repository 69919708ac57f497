"""Bar charts of steady-state records/s (median, min-max whiskers): one panel per workload.

Run by ``bench/report.py`` in the harness' tools environment (matplotlib is no kstreams
dependency): ``python chart.py rows.json out.png``.
"""

from __future__ import annotations

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

COLORS = ["#888888", "#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd"]


def main() -> None:
    with open(sys.argv[1]) as fh:
        spec = json.load(fh)
    rows = spec["rows"]
    seen = {r["workload"] for r in rows}
    workloads = [w for w in spec.get("workloads", []) if w in seen] or sorted(seen)
    contenders = [c for c in spec["order"] if any(r["contender"] == c for r in rows)]
    width = 0.8 / max(len(contenders), 1)
    fig, axes = plt.subplots(
        1, len(workloads), figsize=(max(12, 3.4 * len(workloads)), 5.2), dpi=110, squeeze=False
    )
    for ax, workload in zip(axes[0], workloads, strict=True):
        guarantees = sorted({r["guarantee"] for r in rows if r["workload"] == workload})
        for i, contender in enumerate(contenders):
            xs, ys, lo, hi = [], [], [], []
            for g, guarantee in enumerate(guarantees):
                r = next(
                    (
                        r
                        for r in rows
                        if (r["workload"], r["guarantee"], r["contender"])
                        == (workload, guarantee, contender)
                    ),
                    None,
                )
                if r is None or not r["rate"]:
                    continue
                xs.append(g + (i - (len(contenders) - 1) / 2) * width)
                ys.append(r["rate"] / 1000)
                lo.append((r["rate"] - r["min"]) / 1000)
                hi.append((r["max"] - r["rate"]) / 1000)
            bars = ax.bar(
                xs, ys, width * 0.95, yerr=[lo, hi], capsize=2, label=contender,
                color=COLORS[i % len(COLORS)], error_kw={"elinewidth": 0.8},
            )  # fmt: skip
            for bar, y in zip(bars, ys, strict=True):
                ax.annotate(
                    f"{y:,.0f}k" if y >= 10 else f"{y:,.1f}k",
                    (bar.get_x(), y),
                    ha="left", va="bottom", fontsize=7, xytext=(0, 1), textcoords="offset points",
                )  # fmt: skip
        ax.set_xticks(range(len(guarantees)))
        ax.set_xticklabels(guarantees)
        ax.set_title(workload)
        ax.grid(axis="y", alpha=0.3)
    axes[0][0].set_ylabel("steady-state input records/s (thousands): median, min-max")
    axes[0][-1].legend(fontsize=8, loc="upper right")
    fig.suptitle("kstreams and its peers: one process, 4 partitions, a local broker, 2 cores")
    fig.tight_layout()
    fig.savefig(sys.argv[2])


if __name__ == "__main__":
    main()
