"""kstreams benchmarks: kstreams against the ceiling (plain confluent-kafka) and its peers.

    make bench                                   # the full suite (~35 min on 2 cores)
    make bench BENCH_ARGS=--quick                # a smoke run: 50k records, 1 run, no extras
    .venv/bin/python bench/run.py --workloads wordcount --contenders kstreams,java --runs 1

Starts a local Kafka broker (or uses ``$KSTREAMS_BOOTSTRAP_SERVERS``), writes each workload's
input once (4 partitions), then runs every contender from a cold start (fresh application id,
group, state directory and output topic; its own process) until the output is complete, at
least ``--runs`` times, interleaved. Prints a table; a full run also writes
``docs/benchmarks.md`` (the part between its ``bench:results`` markers),
``docs/benchmarks.png`` and the raw figures, ``bench/results.json``. Peers run in their own virtual environments under
``~/.cache/kstreams/bench-venvs``; the Java contender is built under ``~/.cache/kstreams/bench-java``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import data  # noqa: E402
import envs  # noqa: E402
import profiling  # noqa: E402
import report  # noqa: E402
from runner import RunResult, Spec, Watcher, count_committed, run_once  # noqa: E402

from kstreams.testing.broker import (  # noqa: E402
    ENV_BOOTSTRAP_SERVERS,
    LocalKafkaBroker,
    admin_client,
    create_topic,
)

WORKLOADS = ("passthrough", "wordcount", *data.WINDOWED, *data.JOINS)
CONTENDERS = ("ceiling", "ceiling-repartition", "kstreams", "quixstreams", "faust", "java")
WORKLOADS_OF = {"faust": ("passthrough", "wordcount"), "ceiling-repartition": ("wordcount",)}
"""Contenders that implement only some workloads (Faust has no windowed counts nor joins here;
``ceiling-repartition`` is the word count's floor through a repartition topic)."""
GUARANTEES = ("at_least_once", "exactly_once_v2")
PARTITIONS = 4
COMMIT_INTERVAL_MS = {"at_least_once": 1000, "exactly_once_v2": 100}
"""The one setting every contender gets alike (Kafka Streams' exactly-once default is 100 ms;
at-least-once uses examples/word_count.py's 1 s: with Kafka Streams' 30 s default, its record
cache would hold the counts back for 30 s)."""

SLOW = {"faust": "Faust", "quixstreams": "Quix Streams"}
"""Contenders too slow for the full input within the suite's time: they get a prefix of it
(``--faust-records``, ``--quix-records``), still long enough for a steady state (Quix Streams:
~40 s of processing) except Faust's (~15 s, at 1-2k records/s)."""
WINDOWED_HOPPING_SLOW_SHARE = 12
"""A slow contender's windowed-hopping prefix is ``--quix-records`` / this (word count and
windowed-tumbling: / 4): each record updates 6 windows there, and Quix Streams moves 2-4x fewer
records a second than on the tumbling windows."""
CONTENDER_DIR = HERE / "contenders"
_RUNNING = re.compile(r"BENCH RUNNING ([\d.]+)")
_RESTORED = re.compile(
    r"Restored (\d+) records into (\S+) from (\S+) in ([\d.]+)s \(([\d.]+) records/s\)"
)
_RESTORATION_CPU = re.compile(r"restoration done: .*; ([\d.]+) µs CPU a record\)")
"""The stream thread's last restoration line: the process' CPU time per record restored."""


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- the broker


@contextlib.contextmanager
def kafka(heap: str) -> Iterator[tuple[str, str]]:
    """``(bootstrap, description)`` of the broker to use; a started one is stopped on exit."""
    env = os.environ.get(ENV_BOOTSTRAP_SERVERS, "").strip()
    if env:
        yield env, f"the broker at ${ENV_BOOTSTRAP_SERVERS} ({env})"
        return
    # The broker's own defaults suit a benchmark; only log retention is cut so that the runs'
    # topics do not fill the disk before the harness deletes them.
    broker = LocalKafkaBroker(heap=heap, config={"log.retention.bytes": str(8 << 30)})
    broker.start()
    log(f"local Kafka broker up at {broker.bootstrap_servers}")
    try:
        yield broker.bootstrap_servers, f"a local single-node KRaft broker (-Xmx{heap})"
    finally:
        broker.close()
        log("local Kafka broker stopped")


def delete_topics(bootstrap: str, *needles: str) -> None:
    """Delete every topic whose name contains one of ``needles`` (a run's own topics)."""
    admin = admin_client(bootstrap)
    names = [t for t in admin.list_topics(timeout=30).topics if any(n in t for n in needles)]
    if not names:
        return
    for fut in admin.delete_topics(names, operation_timeout=60).values():
        with contextlib.suppress(Exception):
            fut.result(timeout=60)


# --------------------------------------------------------------------------- contenders


def _byte_compile(package: Path) -> None:
    """Byte-compile ``package`` (and the contenders' shared module), as ``pip install`` does.

    The peers run from regular installs, whose modules pip compiled; kstreams runs from the
    editable install of this checkout, whose ``__pycache__`` a process writes only on first
    import, and never where ``PYTHONDONTWRITEBYTECODE`` is set (as on the benchmark machine):
    every run would then compile kstreams again (~0.6 s of start-up on 2 slow cores).
    """
    import compileall

    for folder in (package, CONTENDER_DIR):
        if not compileall.compile_dir(str(folder), quiet=1):
            raise SystemExit(f"could not byte-compile {folder}")


class Contenders:
    """Knows how to start each contender, and whether it can run a guarantee."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        self.versions: dict[str, str] = {}
        self.unavailable: dict[str, str] = {}
        self.python: dict[str, Path] = {}
        self.java_cmd: list[str] = []
        import importlib.metadata

        import confluent_kafka

        ck = (
            f"confluent-kafka {importlib.metadata.version('confluent-kafka')}, "
            f"librdkafka {confluent_kafka.libversion()[0]}"
        )
        for name in names:
            try:
                if name in ("ceiling", "ceiling-repartition", "kstreams"):
                    self.python[name] = Path(sys.executable)
                    if name == "kstreams":
                        import kstreams

                        _byte_compile(Path(kstreams.__file__).parent)
                        self.versions[name] = f"kstreams {kstreams.__version__} ({ck})"
                    else:
                        self.versions[name] = ck
                elif name == "quixstreams":
                    py = envs.venv_python("quixstreams")
                    self.python[name] = py
                    self.versions[name] = (
                        f"quixstreams {envs.package_version(py, 'quixstreams')} "
                        f"(confluent-kafka {envs.package_version(py, 'confluent-kafka')})"
                    )
                elif name == "faust":
                    py = envs.venv_python("faust")
                    self.python[name] = py
                    self.versions[name] = (
                        f"faust-streaming {envs.package_version(py, 'faust-streaming')} "
                        f"(aiokafka {envs.package_version(py, 'aiokafka')})"
                    )
                elif name == "java":
                    self.java_cmd, version = envs.java_app()
                    java_v = subprocess.run(
                        ["java", "-version"], capture_output=True, text=True
                    ).stderr.splitlines()[0]
                    self.versions[name] = f"Kafka Streams {version} ({java_v})"
                else:
                    raise ValueError(f"unknown contender {name!r}")
            except envs.EnvError as exc:
                self.unavailable[name] = str(exc)
                log(f"{name} is unavailable: {exc}")

    def available(self) -> list[str]:
        return [n for n in self.names if n not in self.unavailable]

    def command(self, name: str, args: list[str]) -> list[str]:
        if name == "java":
            return [*self.java_cmd, *args]
        if name == "ceiling-repartition":
            script = str(CONTENDER_DIR / "ceiling.py")
            return [str(self.python[name]), script, "--repartition", *args]
        script = {
            "ceiling": "ceiling.py",
            "kstreams": "kstreams_app.py",
            "quixstreams": "quix_app.py",
            "faust": "faust_app.py",
        }[name]
        return [str(self.python[name]), str(CONTENDER_DIR / script), *args]


def counts_exact(contender: str, workload: str) -> bool:
    """Whether the output count is the number of updates (record caches dedup counts).

    Kafka Streams' and kstreams' record caches forward the latest count per word per commit.
    The stream-table join (a left join) forwards one output per event, for every contender;
    the stream-stream join's outputs are the pairs within the window, which every contender
    must write (checked after the run), but whose count cannot tell progress: it is done when
    the group has committed both inputs' end offsets.
    """
    if workload == "stream-table":
        return True
    if workload == "stream-stream":
        return False
    return not (
        contender in ("java", "kstreams", "ceiling-repartition") and workload != "passthrough"
    )


# --------------------------------------------------------------------------- one run


class Bench:
    def __init__(self, args: argparse.Namespace, bootstrap: str, contenders: Contenders) -> None:
        self.args = args
        self.bootstrap = bootstrap
        self.contenders = contenders
        self.reused: set[tuple[str, str]] = set()
        """(contender, workload) pairs taken from ``--reuse-from`` instead of run."""
        for pair in filter(None, (args.reuse or "").split(",")):
            contender, _, workload = pair.partition(":")
            self.reused.add((contender, workload))
        self.watcher = Watcher(bootstrap)
        self.scratch = envs.bench_cache() / "bench-runs"
        self.session = time.strftime("%Y%m%d-%H%M%S")
        self.logs = self.scratch / self.session
        self.logs.mkdir(parents=True, exist_ok=True)
        self.other_inputs: dict[str, tuple[str, list[int]]] = {}
        """Join workloads: input topic -> (second input topic, its end offsets)."""

    def run(
        self,
        contender: str,
        workload: str,
        guarantee: str,
        run: int,
        dataset: data.Dataset,
        input_topic: str,
        input_end: list[int],
        *,
        app_id: str | None = None,
        keep: bool = False,
        profile_to: Path | None = None,
        verify: bool = False,
        label: str | None = None,
        partitions: int = PARTITIONS,
    ) -> RunResult:
        tag = label or f"{workload}-{contender}-{guarantee}-{run}"
        app_id = app_id or f"bench-{tag}-{uuid.uuid4().hex[:6]}".replace("_", "-")
        output = f"{app_id}-out"
        state_dir = self.scratch / "state" / app_id
        create_topic(self.bootstrap, output, partitions)
        exact = counts_exact(contender, workload)
        cargs = [
            "--bootstrap", self.bootstrap, "--workload", "wordcount" if workload == "distinct" else workload,
            "--guarantee", guarantee, "--input", input_topic, "--output", output,
            "--app-id", app_id, "--state-dir", str(state_dir),
            "--commit-interval-ms", str(COMMIT_INTERVAL_MS[guarantee]),
        ]  # fmt: skip
        other = self.other_inputs.get(input_topic)
        if other is not None:
            cargs += ["--other-input", other[0]]
        on_start = None
        if profile_to is not None:
            on_start = profiling.attach(envs.venv_python("tools").parent / "py-spy", profile_to)
        spec = Spec(
            name=contender,
            cmd=self.contenders.command(contender, cargs),
            cwd=CONTENDER_DIR,
            log_path=self.logs / f"{tag}.log",
            output_topic=output,
            input_topic=input_topic,
            group=app_id,
            partitions=partitions,
            expected_outputs=dataset.expected_outputs,
            counts_exact=exact,
            check_commit=guarantee == "exactly_once_v2" or not exact,
            progress_by_outputs=exact,
            transactional=guarantee == "exactly_once_v2",
            input_end=input_end,
            other_inputs=(other,) if other is not None and workload == "stream-stream" else (),
            timeout_s=self.args.timeout,
            on_start=on_start,
        )
        result = RunResult(contender, workload, guarantee, run, dataset.records)
        log(f"run {tag} ...")
        run_once(spec, self.watcher, result)
        if result.ok and verify and guarantee == "exactly_once_v2":
            result.committed_records = count_committed(self.bootstrap, output, partitions)
        if result.ok and workload in data.JOINS:
            # every contender must write exactly the join's results: a lost (or repeated)
            # pair fails the run rather than flatter its rate
            written = (
                result.committed_records
                if guarantee == "exactly_once_v2"
                else result.output_records
            )
            if written is not None and written != dataset.expected_outputs:
                result.ok = False
                result.error = (
                    f"wrote {written:,} join results, expected {dataset.expected_outputs:,}"
                )
        status = (
            f"{result.rate:,.0f} rec/s, wall {result.wall_s:.1f}s, cpu {result.cpu_s:.1f}s, "
            f"rss {result.max_rss_mb:.0f} MB, outputs {result.output_records:,}"
            + (
                f" (read_committed {result.committed_records:,})"
                if result.committed_records is not None
                else ""
            )
            if result.ok
            else f"FAILED: {result.error}"
        )
        log(f"run {tag}: {status}")
        result.extra["app_id"] = app_id
        if not keep:
            self.cleanup(app_id)
        return result

    def cleanup(self, app_id: str) -> None:
        delete_topics(self.bootstrap, app_id)
        shutil.rmtree(self.scratch / "state" / app_id, ignore_errors=True)
        with contextlib.suppress(Exception):
            admin_client(self.bootstrap).delete_consumer_groups([app_id], request_timeout=30)

    def prefill(
        self, workload: str, records: int, partitions: int = PARTITIONS
    ) -> tuple[data.Dataset, str, list[int]]:
        topic = f"bench-input-{workload}-{records}-{partitions}-{self.session}"
        create_topic(self.bootstrap, topic, partitions)
        if workload in data.JOINS:
            # the table (or payments) topic: its name holds the input's, so that deleting the
            # input's topics deletes it too
            other = f"{topic}-other"
            create_topic(self.bootstrap, other, partitions)
            dataset = data.prefill_join(self.bootstrap, topic, other, workload, records)
            other_end = self.watcher.end_offsets(other, partitions)
            assert sum(other_end) == dataset.other_records, (other_end, dataset.other_records)
            self.other_inputs[topic] = (other, other_end)
            end = self.watcher.end_offsets(topic, partitions)
            return dataset, topic, end
        dataset = data.prefill(self.bootstrap, topic, workload, records)
        end = self.watcher.end_offsets(topic, partitions)
        assert sum(end) == records, (end, records)
        return dataset, topic, end

    # ----------------------------------------------------------------------- the suites

    def records_for(self, workload: str, contender: str | None = None) -> int:
        """Input records of ``workload`` (for a :data:`SLOW` ``contender``: a prefix of them)."""
        if workload == "passthrough":
            n = self.args.records
        elif workload in data.WINDOWED:
            n = self.args.windowed_records
        elif workload in data.JOINS:
            n = self.args.join_records
        else:
            n = self.args.wordcount_records
        if contender in SLOW:
            cap = self.args.faust_records if contender == "faust" else self.args.quix_records
            share = {"passthrough": 1, "windowed-hopping": WINDOWED_HOPPING_SLOW_SHARE}
            n = min(n, max(cap // share.get(workload, 4), 1))
        return n

    def matrix(self, workloads: list[str], guarantees: list[str]) -> dict[str, Any]:
        results: list[RunResult] = []
        datasets: dict[str, Any] = {}
        available = self.contenders.available()
        reused = self.reused
        for workload in workloads:
            inputs = {}
            running = [
                c
                for c in available
                if (c, workload) not in reused and workload in WORKLOADS_OF.get(c, WORKLOADS)
            ]
            for contender in running:
                n = self.records_for(workload, contender)
                if n not in inputs:
                    inputs[n] = self.prefill(workload, n)
                    main_input = n == self.records_for(workload)
                    if main_input:
                        key = workload
                    else:
                        name = SLOW[contender]
                        possessive = "'" if name.endswith("s") else "'s"
                        key = f"{workload} ({name}{possessive} prefix)"
                    datasets[key] = asdict(inputs[n][0])
            for guarantee in guarantees:
                for run in range(1, self.args.runs + 1):
                    # Interleaved: a slow minute of the machine hits every contender alike.
                    order = running if run % 2 else running[::-1]
                    for contender in order:
                        if contender == "faust" and run > self.args.faust_runs:
                            continue
                        dataset, topic, end = inputs[self.records_for(workload, contender)]
                        results.append(
                            self.run(
                                contender, workload, guarantee, run, dataset, topic, end,
                                verify=run == 1 and not self.args.no_verify,
                            )
                        )  # fmt: skip
            for _, topic, _ in inputs.values():
                delete_topics(self.bootstrap, topic)
        runs = [r.as_dict() for r in results]
        if reused:
            # runs an earlier suite made, of contenders whose figures do not depend on
            # kstreams (--reuse): copied as they are, with their datasets
            taken: set[tuple[str, str]] = set()
            for path in self.args.reuse_from:  # the first file holding a pair gives its runs
                earlier = json.loads(path.read_text())
                pairs = {(r["contender"], r["workload"]) for r in earlier["runs"]}
                for r in earlier["runs"]:
                    pair = (r["contender"], r["workload"])
                    if pair in reused and pair not in taken and r["guarantee"] in guarantees:
                        runs.append({**r, "reused_from": earlier["date"]})
                taken |= pairs & reused
                for key, d in earlier.get("datasets", {}).items():
                    if key not in datasets and any(key.startswith(w) for _, w in reused):
                        datasets[key] = d
        return {"datasets": datasets, "runs": runs}

    def memory_and_restore(self, records: int) -> dict[str, Any]:
        """kstreams word count over ``records`` distinct words: peak RSS, then a full restore."""
        dataset, topic, end = self.prefill("distinct", records)
        app_id = f"bench-distinct-kstreams-{uuid.uuid4().hex[:6]}"
        out: dict[str, Any] = {"records": records, "distinct_keys": dataset.distinct_keys}
        try:
            first = self.run(
                "kstreams", "distinct", "at_least_once", 1, dataset, topic, end,
                app_id=app_id, keep=True, label="distinct-kstreams",
            )  # fmt: skip
            out["process"] = first.as_dict()
            if not first.ok:
                return out
            # The state directory goes; the changelog stays: a restart restores every key.
            out["restore"] = self.restart(app_id, topic, "at_least_once", wipe=True)
            r = out["restore"]
            log(
                f"restored {r['records']:,} records from {r['partitions']} changelog partitions "
                f"in {r['restore_s']:.1f}s ({r['rate']:,.0f} records/s; process "
                f"{r['process_wall_s']:.1f}s; CPU {r['cpu_us_per_record']} µs a record restored)"
            )
        finally:
            self.cleanup(app_id)
            delete_topics(self.bootstrap, topic)
        return out

    def restart(self, app_id: str, topic: str, guarantee: str, wipe: bool) -> dict[str, Any]:
        """Start kstreams' word count again under ``app_id`` (its state directory deleted
        first if ``wipe``) until it is RUNNING: how long that took, and what it restored.

        kstreams restores every changelog partition of its tasks together and logs each
        partition's records and time from the common start; the rate is all records over
        the longest of them.
        """
        state_dir = self.scratch / "state" / app_id
        if wipe:
            shutil.rmtree(state_dir, ignore_errors=True)
        log_path = self.logs / f"{app_id}-restart-{'wiped' if wipe else 'clean'}.log"
        cmd = self.contenders.command(
            "kstreams",
            [
                "--bootstrap", self.bootstrap, "--workload", "wordcount",
                "--guarantee", guarantee, "--input", topic,
                "--output", f"{app_id}-out", "--app-id", app_id,
                "--state-dir", str(state_dir), "--exit-when-running",
                "--commit-interval-ms", str(COMMIT_INTERVAL_MS[guarantee]),
            ],
        )  # fmt: skip
        started = time.monotonic()
        with open(log_path, "wb") as fh:
            proc = subprocess.run(
                cmd, cwd=CONTENDER_DIR, stdout=fh, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, timeout=self.args.timeout,
            )  # fmt: skip
        wall = time.monotonic() - started
        text = log_path.read_text(errors="replace")
        restored = [
            (int(m.group(1)), float(m.group(4)), float(m.group(5)))
            for m in _RESTORED.finditer(text)
        ]
        total = sum(r[0] for r in restored)
        took = max((r[1] for r in restored), default=0.0)
        running = _RUNNING.search(text)
        cpu = [float(m.group(1)) for m in _RESTORATION_CPU.finditer(text)]
        return {
            "exit_code": proc.returncode,
            "records": total,
            "partitions": len(restored),
            "restore_s": took,
            "rate": total / took if took else 0.0,
            "per_partition_rates": [r[2] for r in restored],
            "cpu_us_per_record": cpu[-1] if cpu else None,
            "to_running_s": float(running.group(1)) if running else None,
            "process_wall_s": wall,
            "log": str(log_path),
        }

    def restarts(
        self, partition_counts: list[int], lines: int, guarantees: list[str]
    ) -> dict[str, Any]:
        """kstreams' word count over ``lines`` lines on each partition count and guarantee:
        a clean restart and a restart on a deleted state directory, start() to RUNNING."""
        rows = []
        for parts in partition_counts:
            dataset, topic, end = self.prefill("wordcount", lines, parts)
            for guarantee in guarantees:
                label = f"restart-{parts}-{guarantee}"
                app_id = f"bench-{label}-{uuid.uuid4().hex[:6]}".replace("_", "-")
                row: dict[str, Any] = {"partitions": parts, "guarantee": guarantee}
                try:
                    first = self.run(
                        "kstreams", "wordcount", guarantee, 1, dataset, topic, end,
                        app_id=app_id, keep=True, label=label, partitions=parts,
                    )  # fmt: skip
                    if not first.ok:
                        row["error"] = first.error
                        continue
                    row["clean"] = self.restart(app_id, topic, guarantee, wipe=False)
                    row["wiped"] = self.restart(app_id, topic, guarantee, wipe=True)
                    log(
                        f"{label}: clean restart RUNNING after {row['clean']['to_running_s']}s, "
                        f"wiped {row['wiped']['to_running_s']}s "
                        f"({row['wiped']['records']:,} records at {row['wiped']['rate']:,.0f}/s, "
                        f"CPU {row['wiped']['cpu_us_per_record']} µs a record)"
                    )
                finally:
                    rows.append(row)
                    self.cleanup(app_id)
            delete_topics(self.bootstrap, topic)
        return {"lines": lines, "rows": rows}

    def profiles(self, workloads: list[str]) -> dict[str, Any]:
        """One kstreams run per workload under py-spy (not counted in the table), under
        ``--profile-guarantee`` (at-least-once by default)."""
        out: dict[str, Any] = {}
        for workload in workloads:
            n = self.args.profile_records
            dataset, topic, end = self.prefill(workload, n if workload == "passthrough" else n // 4)
            raw = self.logs / f"profile-{workload}.txt"
            result = self.run(
                "kstreams", workload, self.args.profile_guarantee, 1, dataset, topic, end,
                profile_to=raw, label=f"profile-{workload}-kstreams",
            )  # fmt: skip
            delete_topics(self.bootstrap, topic)
            summary = profiling.summarize(raw) if raw.exists() else {"samples": 0}
            summary["raw"] = str(raw)
            summary["rate"] = result.rate
            summary["records"] = dataset.records
            out[workload] = summary
        return out


# --------------------------------------------------------------------------- main


def machine() -> dict[str, str]:
    cpu = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = "?"
    with contextlib.suppress(OSError, IndexError, ValueError):
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024 / 1024:.0f} GiB"
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "memory": mem,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--records", type=int, default=3_000_000, help="passthrough input records")
    p.add_argument(
        "--wordcount-records",
        type=int,
        default=None,
        help="word count input lines (default: records/4, ~4 words a line: as many words)",
    )
    p.add_argument(
        "--windowed-records",
        type=int,
        default=None,
        help="windowed-tumbling/-hopping input records, page views (default: records/4)",
    )
    p.add_argument(
        "--join-records",
        type=int,
        default=None,
        help="stream-table events (plus its 100k-key table) and stream-stream orders + payments "
        "(default: records/4)",
    )
    p.add_argument(
        "--faust-records",
        type=int,
        default=20_000,
        help="Faust's passthrough input (a prefix; its word count gets a quarter as many lines)",
    )
    p.add_argument("--faust-runs", type=int, default=1, help="Faust's runs (it is slow)")
    p.add_argument(
        "--quix-records",
        type=int,
        default=1_000_000,
        help="Quix Streams' passthrough input (a prefix; its word count gets a quarter as many lines)",
    )
    p.add_argument("--runs", type=int, default=3, help="runs per contender (median, min-max)")
    p.add_argument("--workloads", default=",".join(WORKLOADS))
    p.add_argument("--contenders", default=",".join(CONTENDERS))
    p.add_argument("--guarantees", default=",".join(GUARANTEES))
    p.add_argument("--quick", action="store_true", help="smoke run: 50k records, 1 run, no extras")
    p.add_argument(
        "--extras",
        default=None,
        help="comma list of memory,restore,restart,profile (default: all; none with --quick)",
    )
    p.add_argument(
        "--reuse-from",
        type=Path,
        action="append",
        default=[],
        help="an earlier results.json whose runs of the --reuse pairs are taken instead of run "
        "(repeatable: the first file holding a pair gives its runs)",
    )
    p.add_argument(
        "--reuse",
        default="",
        help="comma list of contender:workload pairs taken from --reuse-from (peers' figures "
        "that kstreams' changes cannot move, e.g. quixstreams:wordcount)",
    )
    p.add_argument("--distinct-records", type=int, default=1_000_000, help="keys of the memory run")
    p.add_argument(
        "--restart-partitions",
        default="4,16,64",
        help="partition counts of the restart runs (extra 'restart')",
    )
    p.add_argument(
        "--restart-lines", type=int, default=200_000, help="word count lines of the restart runs"
    )
    p.add_argument("--profile-records", type=int, default=None, help="records of a profile run")
    p.add_argument(
        "--profile-guarantee",
        default="at_least_once",
        choices=["at_least_once", "exactly_once_v2"],
        help="processing guarantee of the profile runs",
    )
    p.add_argument("--timeout", type=float, default=600.0, help="seconds before a run fails")
    p.add_argument("--no-verify", action="store_true", help="skip read_committed output counts")
    p.add_argument("--heap", default="1g", help="local broker -Xmx")
    p.add_argument(
        "--write-docs",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="write docs/benchmarks.md and .png (default: yes, unless --quick)",
    )
    p.add_argument("--results", type=Path, default=None, help="also write the raw results here")
    p.add_argument(
        "--report-from",
        type=Path,
        default=None,
        help="run nothing: print (and with --write-docs publish) the results in this JSON file",
    )
    args = p.parse_args(argv)
    if args.quick:
        if "--records" not in (argv or sys.argv):
            args.records = 50_000
        if "--runs" not in (argv or sys.argv):
            args.runs = 1
        if args.extras is None:
            args.extras = ""
        if "--distinct-records" not in (argv or sys.argv):
            args.distinct_records = 50_000
    if args.extras is None:
        args.extras = "memory,restore,restart,profile"
    if args.wordcount_records is None:
        args.wordcount_records = max(args.records // 4, 1)
    if args.windowed_records is None:
        args.windowed_records = max(args.records // 4, 1)
    if args.join_records is None:
        args.join_records = max(args.records // 4, 2)
    if args.profile_records is None:
        args.profile_records = min(args.records, 500_000)
    if args.write_docs is None:
        args.write_docs = not args.quick
    return args


def _reuse_date(args: argparse.Namespace) -> str | None:
    if args.reuse and not args.reuse_from:
        raise SystemExit("--reuse needs --reuse-from (an earlier results.json)")
    dates = [json.loads(p.read_text())["date"] for p in args.reuse_from]
    return " and ".join(dict.fromkeys(dates)) if args.reuse else None


def publish(out: dict[str, Any]) -> None:
    """Write bench/results.json, docs/benchmarks.md (its generated part) and the chart."""
    (HERE / "results.json").write_text(json.dumps(out, indent=1) + "\n")
    report.write_docs(out, REPO / "docs" / "benchmarks.md")
    report.chart(out, REPO / "docs" / "benchmarks.png", envs.venv_python("tools"))
    log("wrote bench/results.json, docs/benchmarks.md and docs/benchmarks.png")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.report_from:
        out = json.loads(args.report_from.read_text())
        print(report.console(out))
        if args.write_docs:
            publish(out)
        return 0
    workloads = [w for w in args.workloads.split(",") if w]
    guarantees = [g for g in args.guarantees.split(",") if g]
    names = [c for c in args.contenders.split(",") if c]
    extras = {e for e in args.extras.split(",") if e}
    for w in workloads:
        if w not in WORKLOADS:
            raise SystemExit(f"unknown workload {w!r} (known: {', '.join(WORKLOADS)})")
    for g in guarantees:
        if g not in GUARANTEES:
            raise SystemExit(f"unknown guarantee {g!r} (known: {', '.join(GUARANTEES)})")
    started = time.monotonic()
    contenders = Contenders(names)
    out: dict[str, Any] = {
        "args": " ".join(argv if argv is not None else sys.argv[1:]),
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "machine": machine(),
        "records": args.records,
        "runs_per_contender": args.runs,
        "guarantees": guarantees,
        "workloads": workloads,
        "commit_interval_ms": COMMIT_INTERVAL_MS,
        "versions": contenders.versions,
        "reused": {"from": args.reuse, "date": _reuse_date(args)} if args.reuse else None,
        "unavailable": contenders.unavailable,
    }
    if args.reuse:  # the reused contenders' versions, as that suite recorded them
        earlier_versions: dict[str, str] = {}
        for path in reversed(args.reuse_from):
            earlier_versions.update(json.loads(path.read_text()).get("versions", {}))
        for pair in args.reuse.split(","):
            c = pair.partition(":")[0]
            if c and c not in out["versions"] and c in earlier_versions:
                out["versions"][c] = earlier_versions[c]
    with kafka(args.heap) as (bootstrap, broker):
        out["broker"] = broker
        bench = Bench(args, bootstrap, contenders)
        try:
            out.update(bench.matrix(workloads, guarantees))
            if "memory" in extras or "restore" in extras:
                out["distinct"] = bench.memory_and_restore(args.distinct_records)
            if "restart" in extras:
                counts = [int(x) for x in args.restart_partitions.split(",") if x]
                out["restarts"] = bench.restarts(counts, args.restart_lines, guarantees)
            if "profile" in extras:
                out["profiles"] = bench.profiles(workloads)
        finally:
            bench.watcher.close()
    if args.reuse:  # extras this suite did not run, from the first earlier suite that did
        taken_extras = []
        for path in args.reuse_from:  # profiles per workload: this suite's, then earlier ones
            earlier = json.loads(path.read_text())
            for workload, profile in earlier.get("profiles", {}).items():
                if workload not in out.setdefault("profiles", {}):
                    out["profiles"][workload] = profile
                    taken_extras.append(f"the {workload} profile ({earlier['date']})")
        for key in ("distinct", "restarts"):
            if key in out:
                continue
            for path in args.reuse_from:
                earlier = json.loads(path.read_text())
                if key in earlier:
                    out[key] = earlier[key]
                    taken_extras.append(f"{key} ({earlier['date']})")
                    break
        out["reused"]["extras"] = taken_extras
    out["elapsed_s"] = time.monotonic() - started
    results_path = bench.logs / "results.json"
    results_path.write_text(json.dumps(out, indent=2))
    if args.results:
        args.results.write_text(json.dumps(out, indent=2))
    print(report.console(out))
    if args.write_docs:
        publish(out)
    log(f"results in {results_path}; took {out['elapsed_s'] / 60:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
