"""One run of one contender: start it cold in its own process, watch Kafka until it is done.

Done means:

* the output topic holds the expected number of records (the sum of its partitions' end
  offsets), for contenders that forward every update; and, where that count cannot tell
  (exactly-once: transaction markers take offsets too; Kafka Streams' record cache forwards
  fewer updates than words),
* the contender's consumer group has committed the input topic's end offsets: everything is
  processed and, under exactly-once, its transaction (outputs, changelogs, offsets) committed;
  for the record-cache word counts also its repartition topics' end offsets (the last words
  have gone through the second stage, whose commit flushed its cache).

Wall time runs from the process spawn (interpreter/JVM start, group join, topic checks
included: a cold start) to done. Then the contender gets SIGTERM (SIGKILL after 60 s); its
CPU time (user + system) comes from ``wait4()``'s rusage of that very process, its peak RSS
from its ``VmHWM``, read while it runs.

The steady state leaves start-up and warm-up out: from the moment :data:`STEADY_FROM` of the
input has been processed to done, the input records processed in between divided by the time
(and the process' CPU seconds in between, read from ``/proc/<pid>/stat``). "Processed" is
counted alike for every contender: for passthrough its output records (one per input); for
word count the mean of its stages' shares done, read from the group's committed offsets: the
input topic's (the first stage: split, re-key) and, where the contender has one, its
repartition topic's (the second: count; one record per word); for the windowed counts its
output records (one per window a record falls in) where every update is forwarded, else the
committed offsets of the input (one stage); for the stream-stream join the committed offsets
of both its inputs (the stream-table join forwards one output per event: its outputs). One
stage's progress alone
would mislead: a single thread that reads a prefilled input runs ahead in the first stage and
catches up in the second later. Every contender commits at the same interval.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

POLL_S = 0.05
STEADY_FROM = 0.2
"""The steady-state window starts once this share of the input has been processed."""
_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class RunResult:
    """What one run measured."""

    contender: str
    workload: str
    guarantee: str
    run: int
    records: int
    ok: bool = False
    error: str = ""
    wall_s: float = 0.0
    first_output_s: float | None = None
    cpu_s: float = 0.0
    max_rss_mb: float = 0.0
    output_records: int = 0
    expected_outputs: int = 0
    committed_records: int | None = None
    loadavg: float = 0.0
    steady_from_s: float | None = None
    """When the steady-state window began (seconds after the spawn)."""
    steady_records: int = 0
    """Input records processed in the steady-state window."""
    steady_cpu_s: float | None = None
    """The process' CPU seconds in the steady-state window."""
    log: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        """Input records per second of wall time."""
        return self.records / self.wall_s if self.ok and self.wall_s > 0 else 0.0

    @property
    def steady_rate(self) -> float | None:
        """Input records per second in the steady-state window (None: no window)."""
        if not self.ok or self.steady_from_s is None or self.wall_s <= self.steady_from_s:
            return None
        if self.steady_records <= 0:  # done before a poll saw the window begin
            return None
        return self.steady_records / (self.wall_s - self.steady_from_s)

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["rate"] = self.rate
        d["steady_rate"] = self.steady_rate
        return d


class Watcher:
    """Reads end offsets and a group's committed offsets (no group membership, no commits)."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        self.repartition_topics: dict[str, dict[str, int]] = {}
        """Each application's repartition topics and their partition counts, once seen."""
        self.consumer = Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": "bench-watcher",
                "enable.auto.commit": False,
            }
        )

    def end_offsets(self, topic: str, partitions: int) -> list[int]:
        return [self._high(topic, p) for p in range(partitions)]

    def _high(self, topic: str, partition: int) -> int:
        # Metadata of a new topic reaches this client a moment after its creation.
        for attempt in range(50):
            try:
                tp = TopicPartition(topic, partition)
                return self.consumer.get_watermark_offsets(tp, timeout=10, cached=False)[1]
            except KafkaException:
                if attempt == 49:
                    raise
                time.sleep(0.1)
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.consumer.close()


class GroupOffsets:
    """The committed offsets of one consumer group (a consumer that never joins it)."""

    def __init__(self, bootstrap: str, group: str) -> None:
        self.consumer = Consumer(
            {"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False}
        )

    def committed(self, topic: str, partitions: int) -> list[int]:
        tps = self.consumer.committed(
            [TopicPartition(topic, p) for p in range(partitions)], timeout=10
        )
        return [max(tp.offset, 0) for tp in tps]

    def close(self) -> None:
        self.consumer.close()


def repartitions_done(
    watcher: Watcher, groups: GroupOffsets, app_id: str, transactional: bool
) -> bool:
    """Whether the group has committed the end offsets of its repartition topics."""
    topics = watcher.consumer.list_topics(timeout=10).topics
    for name, meta in topics.items():
        if not (name.startswith(f"{app_id}-") and name.endswith("-repartition")):
            continue
        partitions = len(meta.partitions)
        ends = watcher.end_offsets(name, partitions)
        # under exactly-once a partition ends with a commit marker (one offset past the
        # last record, which is as far as a commit reaches)
        slack = 1 if transactional else 0
        committed = groups.committed(name, partitions)
        if any(c < e - slack for c, e in zip(committed, ends, strict=True)):
            return False
    return True


def repartition_committed(watcher: Watcher, groups: GroupOffsets, app_id: str) -> int | None:
    """How many records of its repartition topics the group has committed (their sum); None
    if it has none (yet). Kafka Streams and kstreams name them ``<app>-...-repartition``,
    Quix Streams ``repartition__<app>--...``."""
    topics = watcher.repartition_topics.get(app_id)
    if not topics:
        names = watcher.consumer.list_topics(timeout=10).topics
        topics = {
            name: len(meta.partitions)
            for name, meta in names.items()
            if app_id in name and "repartition" in name
        }
        if not topics:
            return None
        watcher.repartition_topics[app_id] = topics
    return sum(sum(groups.committed(name, n)) for name, n in topics.items())


def count_committed(bootstrap: str, topic: str, partitions: int, timeout: float = 300) -> int:
    """How many records a read_committed consumer sees in ``topic`` (exactly-once checks)."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": "bench-verify",
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
            "enable.partition.eof": True,
            "fetch.queue.backoff.ms": 10,
        }
    )
    try:
        consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
        eof: set[int] = set()
        n = 0
        deadline = time.monotonic() + timeout
        while len(eof) < partitions and time.monotonic() < deadline:
            for msg in consumer.consume(100_000, 0.5):
                err = msg.error()
                if err is None:
                    n += 1
                elif err.code() == KafkaError._PARTITION_EOF:
                    eof.add(msg.partition())
        return n
    finally:
        consumer.close()


def vm_hwm_mb(pid: int) -> float:
    """Peak resident set of ``pid`` so far (``VmHWM``), 0 if it is gone.

    Not ``wait4()``'s ``ru_maxrss``: Linux carries the parent's high-water mark over the
    fork/exec into the child's, so every child would weigh at least as much as the harness.
    """
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except (OSError, ValueError, IndexError):
        pass
    return 0.0


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of ``pid`` (all its threads) so far; None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime (fields 14, 15)
    except (OSError, ValueError, IndexError):
        return None


def _reap(pid: int, timeout: float) -> tuple[int, Any] | None:
    deadline = time.monotonic() + timeout
    while True:
        wpid, status, rusage = os.wait4(pid, os.WNOHANG)
        if wpid == pid:
            return status, rusage
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.05)


def stop_process(proc: subprocess.Popen[bytes], grace: float = 60.0) -> tuple[int, Any]:
    """SIGTERM, wait ``grace`` s, SIGKILL; returns (wait status, rusage) of that process."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(proc.pid, signal.SIGTERM)
    reaped = _reap(proc.pid, grace)
    if reaped is None:
        print(f"[bench] pid {proc.pid} ignored SIGTERM for {grace:.0f}s: SIGKILL", file=sys.stderr)
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGKILL)
        _, status, rusage = os.wait4(proc.pid, 0)
        reaped = status, rusage
    proc.returncode = os.waitstatus_to_exitcode(reaped[0])
    return reaped


@dataclass
class Spec:
    """How to run one contender once."""

    name: str
    cmd: list[str]
    cwd: Path
    log_path: Path
    output_topic: str
    input_topic: str
    group: str
    partitions: int
    expected_outputs: int
    counts_exact: bool
    """Whether the output count alone tells the run is done (every update forwarded)."""
    check_commit: bool
    transactional: bool
    """Exactly-once: partitions written in transactions end with a commit marker."""
    """Whether the group must also have committed the input's end offsets."""
    input_end: list[int]
    timeout_s: float
    progress_by_outputs: bool = True
    """Count progress by output records, else by the group's committed offsets of its input
    and repartition topics (see the module docstring)."""
    other_inputs: tuple[tuple[str, list[int]], ...] = ()
    """Further inputs ``(topic, end offsets)`` (the stream-stream join's second stream): they
    count in the committed offsets of the commit check and of the progress by commits."""
    env: dict[str, str] | None = None
    on_start: Any = None
    """Called with the Popen once started (the profiler attaches there); returns a stopper."""


def run_once(spec: Spec, watcher: Watcher, result: RunResult) -> RunResult:
    """Run ``spec`` and fill ``result`` (ok/error, wall, first output, CPU, RSS, outputs)."""
    need_groups = spec.check_commit or not spec.progress_by_outputs
    groups = GroupOffsets(watcher.bootstrap, spec.group) if need_groups else None
    result.expected_outputs = spec.expected_outputs
    result.log = str(spec.log_path)
    result.loadavg = os.getloadavg()[0]
    target_commit = sum(spec.input_end) + sum(sum(end) for _, end in spec.other_inputs)
    spec.log_path.parent.mkdir(parents=True, exist_ok=True)
    stopper = None
    with open(spec.log_path, "wb") as log:
        started = time.monotonic()
        proc = subprocess.Popen(
            spec.cmd,
            cwd=spec.cwd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=spec.env,
            start_new_session=True,
        )
        try:
            if spec.on_start is not None:
                stopper = spec.on_start(proc)
            done_at = None
            steady_cpu = None
            steady_done = 0  # input records processed when the steady window began
            while True:
                reaped = _reap(proc.pid, 0)
                if reaped is not None:
                    proc.returncode = os.waitstatus_to_exitcode(reaped[0])
                    result.error = f"exited early with code {proc.returncode} (log {spec.log_path})"
                    _fill_usage(result, reaped[1])
                    return result
                result.max_rss_mb = max(result.max_rss_mb, vm_hwm_mb(proc.pid))
                now = time.monotonic()
                outputs = sum(watcher.end_offsets(spec.output_topic, spec.partitions))
                if outputs > 0 and result.first_output_s is None:
                    result.first_output_s = now - started
                if result.steady_from_s is None:
                    if spec.progress_by_outputs:
                        share = outputs / max(spec.expected_outputs, 1)
                    else:
                        assert groups is not None
                        stages = [_committed_inputs(groups, spec)]
                        stages[0] /= max(target_commit, 1)
                        repartitioned = repartition_committed(watcher, groups, spec.group)
                        if repartitioned is not None:
                            stages.append(repartitioned / max(spec.expected_outputs, 1))
                        share = sum(stages) / len(stages)
                    done = int(share * result.records)
                    if done >= STEADY_FROM * result.records:
                        steady_cpu = cpu_seconds(proc.pid)
                        result.steady_from_s, steady_done = now - started, done
                count_ok = not spec.counts_exact or outputs >= spec.expected_outputs
                commit_ok = True
                if count_ok and spec.check_commit and groups is not None:
                    committed = _committed_inputs(groups, spec)
                    commit_ok = committed >= target_commit
                    if commit_ok and not spec.counts_exact:
                        # the last words may still wait in the repartition topic: done when the
                        # group has committed its end offsets too (the input is done, so they
                        # no longer move)
                        commit_ok = repartitions_done(
                            watcher, groups, spec.group, spec.transactional
                        )
                if count_ok and commit_ok:
                    done_at = now
                    end_cpu = cpu_seconds(proc.pid)
                    if steady_cpu is not None and end_cpu is not None:
                        result.steady_cpu_s = end_cpu - steady_cpu
                    result.steady_records = result.records - min(steady_done, result.records)
                    break
                if now - started > spec.timeout_s:
                    result.error = (
                        f"timed out after {spec.timeout_s:.0f}s with {outputs:,} of "
                        f"{spec.expected_outputs:,} outputs"
                    )
                    break
                time.sleep(POLL_S)
            if done_at is not None:
                result.ok = True
                result.wall_s = done_at - started
        finally:
            if proc.returncode is None:
                result.max_rss_mb = max(result.max_rss_mb, vm_hwm_mb(proc.pid))
                _status, rusage = stop_process(proc)
                _fill_usage(result, rusage)
                if stopper is not None:
                    stopper()
            if groups is not None:
                groups.close()
    result.output_records = sum(watcher.end_offsets(spec.output_topic, spec.partitions))
    return result


def _committed_inputs(groups: GroupOffsets, spec: Spec) -> int:
    """The group's committed offsets of all the run's inputs, summed."""
    total = sum(groups.committed(spec.input_topic, spec.partitions))
    for topic, end in spec.other_inputs:
        total += sum(groups.committed(topic, len(end)))
    return total


def _fill_usage(result: RunResult, rusage: Any) -> None:
    result.cpu_s = rusage.ru_utime + rusage.ru_stime
