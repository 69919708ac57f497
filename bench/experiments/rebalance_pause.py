"""Experiment: the pause in output when an instance joins, leaves or dies; restore after failover.

A count by key (``rebalance_app.py``: RocksDB store, no cache, one output record per input
record, each tagged with the writing instance) runs as separate processes on ``--partitions``
input partitions while a producer writes ``--rate`` records/s for the whole run. The output
topic has ``message.timestamp.type=LogAppendTime``: an output record's timestamp is when the
broker appended it, so the gaps do not depend on how fast this harness reads. For each
guarantee x group protocol x ``num.standby.replicas``, one sequence:

1. instance ``a`` alone, until it has output for ``--warm`` s;
2. **join**: ``b`` starts; the window runs until ``b`` is RUNNING plus ``--settle`` s;
3. **close**: ``b`` is closed cleanly (SIGTERM);
4. ``b`` starts again (not measured) and runs ``--settle`` s;
5. **kill**: ``b`` is SIGKILLed; the window runs until ``a`` wrote to every partition ``b``
   wrote to last ("moved"), plus ``--settle`` s.

Each step reports the longest gap with no output record at all (``all``), the longest gap of
one partition (``part``), and for close and kill the time from the signal to the survivor's
first output on the last moved partition (``moved``). Then the **restore** figure: ``a`` and
``b`` count ``--store-keys`` distinct keys (a store of that many keys), ``b`` is SIGKILLed and
``a`` restores ``b``'s store partitions: records restored and the restore listener's time.

A configuration kstreams refuses (``num.standby.replicas`` > 0 before standby replicas
exist) is reported as "not available". The classic protocol's ``session.timeout.ms`` is set to
the consumer protocol's session on the broker (``--session-timeout-ms``, 10 s on kstreams'
test brokers) so that the two detect a dead member alike; another ``--session-timeout-ms``
starts the local broker with that consumer-group session (not with
``$KSTREAMS_BOOTSTRAP_SERVERS``).

    .venv/bin/python bench/experiments/rebalance_pause.py --quick       # <= 2 min
    .venv/bin/python bench/experiments/rebalance_pause.py --standbys 0,1 --json out.json

Uses ``$KSTREAMS_BOOTSTRAP_SERVERS`` or starts a local broker (stopped at the end).
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, Producer, TopicPartition

from kstreams.testing.broker import ENV_BOOTSTRAP_SERVERS, LocalKafkaBroker
from kstreams.testing.kafka_admin import admin_client, create_topic

HERE = Path(__file__).resolve().parent
APP = HERE / "rebalance_app.py"
EXIT_REFUSED = 4
HEADER = "inst"
PRODUCER = {"partitioner": "murmur2_random"}
"""Java's partitioner, as kstreams' sinks use: a key's output partition is its input partition
(so the partitions a dead instance wrote are the ones it owned)."""
VISIBLE_AFTER_S = 2.0
"""How long after a signal the records appended before it are surely visible to the reader."""


def log(msg: str) -> None:
    print(f"[rebalance {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- input and output


class Feeder(threading.Thread):
    """Writes ``rate`` records/s (keys ``k0``..``k<keys-1>`` in turn) until stopped."""

    def __init__(self, bootstrap: str, topic: str, rate: int, keys: int) -> None:
        super().__init__(name="feeder", daemon=True)
        self.producer = Producer(PRODUCER | {"bootstrap.servers": bootstrap, "linger.ms": 5})
        self.topic, self.rate, self.keys = topic, rate, keys
        self.stop = threading.Event()
        self.sent = 0

    def run(self) -> None:
        start = time.monotonic()
        while not self.stop.is_set():
            due = int((time.monotonic() - start) * self.rate)
            while self.sent < due:
                self.producer.produce(self.topic, b"x", f"k{self.sent % self.keys}".encode())
                self.sent += 1
            self.producer.poll(0)
            time.sleep(0.005)
        self.producer.flush(30)


def fill(bootstrap: str, topic: str, keys: int) -> None:
    """``keys`` records, one per distinct key, as fast as the producer goes."""
    producer = Producer(PRODUCER | {"bootstrap.servers": bootstrap, "linger.ms": 20})
    for i in range(keys):
        while True:
            try:
                producer.produce(topic, b"x", f"s{i}".encode())
                break
            except BufferError:
                producer.poll(0.05)
    producer.flush(120)


@dataclass
class Out:
    """One output record: broker append time (s), partition, writing instance."""

    t: float
    partition: int
    inst: str


class Watcher(threading.Thread):
    """Reads the output topic (read_committed) from the beginning, keeping :class:`Out`."""

    def __init__(self, bootstrap: str, topic: str, partitions: int) -> None:
        super().__init__(name="watcher", daemon=True)
        self.consumer = Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": f"watch-{uuid.uuid4().hex[:8]}",
                "isolation.level": "read_committed",
                "enable.auto.commit": False,
            }
        )
        self.consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
        self.records: list[Out] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            batch = []
            for m in self.consumer.consume(1000, 0.2):
                if m.error() is None:
                    inst = dict(m.headers() or ()).get(HEADER, b"?").decode()
                    batch.append(Out(m.timestamp()[1] / 1000.0, m.partition(), inst))
            if batch:
                with self.lock:
                    self.records.extend(batch)
        self.consumer.close()

    def since(self, t: float) -> list[Out]:
        with self.lock:
            return [r for r in self.records if r.t >= t]

    def between(self, t0: float, t1: float) -> list[Out]:
        """The records appended in ``[t0, t1]`` plus the last one before ``t0`` (a gap that
        started before the window counts from that record)."""
        with self.lock:
            before = [r for r in self.records if r.t < t0]
            inside = [r for r in self.records if t0 <= r.t <= t1]
        head = [max(before, key=lambda r: r.t)] if before else []
        return head + sorted(inside, key=lambda r: r.t)

    def last_writer(self, t: float) -> dict[int, str]:
        """Per partition, the instance that wrote its last record before ``t``."""
        out: dict[int, tuple[float, str]] = {}
        with self.lock:
            for r in self.records:
                if r.t < t and (r.partition not in out or r.t >= out[r.partition][0]):
                    out[r.partition] = (r.t, r.inst)
        return {p: inst for p, (_t, inst) in out.items()}


def longest_gap(records: list[Out], t1: float) -> float:
    """The longest time without a record among ``records`` (sorted), up to ``t1``."""
    return gap_at(records, t1)[0]


def gap_at(records: list[Out], t1: float) -> tuple[float, float]:
    """The longest gap among ``records`` (sorted) up to ``t1``, and when it began."""
    times = [r.t for r in records] + [t1]
    return max(((b - a, a) for a, b in itertools.pairwise(times)), default=(0.0, t1))


def longest_partition_gap(records: list[Out], t0: float, t1: float) -> float:
    """The longest gap of any one partition inside ``[t0, t1]``."""
    by_part: dict[int, list[Out]] = {}
    for r in records:
        by_part.setdefault(r.partition, []).append(r)
    return max(
        (
            longest_gap([Out(t0, p, "")] + [r for r in rs if r.t >= t0], t1)
            for p, rs in by_part.items()
        ),
        default=0.0,
    )


# --------------------------------------------------------------------------- instances


class Instance:
    """One app process; its stdout (STATE / RESTORED / REFUSED lines) and stderr (logs) in files."""

    def __init__(self, name: str, args: list[str], workdir: Path, number: int) -> None:
        self.name = name
        self.out_path = workdir / f"{name}-{number}.out"
        self.log_path = workdir / f"{name}-{number}.log"
        state = workdir / f"state-{name}"
        state.mkdir(exist_ok=True)
        self._out = open(self.out_path, "wb")  # noqa: SIM115 - closed in wait()
        self._log = open(self.log_path, "wb")  # noqa: SIM115
        bootstrap, app_id, input_topic, output_topic, *rest = args
        cmd = [sys.executable, str(APP), bootstrap, app_id, str(state), input_topic, output_topic]
        self.proc = subprocess.Popen(
            [*cmd, "--name", name, *rest],
            stdout=self._out,
            stderr=self._log,
            env=dict(os.environ, PYTHONUNBUFFERED="1"),
        )

    def lines(self, prefix: str) -> list[list[str]]:
        text = self.out_path.read_text(errors="replace")
        return [ln.split(" ", 2)[1:] for ln in text.splitlines() if ln.startswith(prefix + " ")]

    def refused(self) -> str | None:
        text = self.out_path.read_text(errors="replace")
        for line in text.splitlines():
            if line.startswith("REFUSED "):
                return line[len("REFUSED ") :]
        return None

    def running_at(self) -> float | None:
        """Unix time of its last transition to RUNNING, if it is RUNNING now."""
        states = self.lines("STATE")
        if states and states[-1][0] == "RUNNING":
            return float(states[-1][1])
        return None

    def rebalanced_after(self, t: float) -> float | None:
        """Unix time of its first move to REBALANCING after ``t`` (it learned of the new
        assignment), if any."""
        times = [float(at) for state, at in self.lines("STATE") if state == "REBALANCING"]
        return next((at for at in times if at >= t), None)

    def wait_running(self, timeout: float) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            at = self.running_at()
            if at is not None:
                return at
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited ({self.proc.returncode}) before RUNNING: "
                    f"{self.refused() or self.log_path.read_text(errors='replace')[-800:]}"
                )
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} not RUNNING after {timeout:.0f}s (log {self.log_path})")

    def terminate(self, timeout: float = 60) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.wait(timeout)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.wait(10)

    def wait(self, timeout: float) -> int:
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait(10)
        self._out.close()
        self._log.close()
        return code


# --------------------------------------------------------------------------- one sequence


@dataclass
class Row:
    """The figures of one guarantee x protocol x standbys."""

    guarantee: str
    protocol: str
    standbys: int
    available: bool = True
    reason: str = ""
    failed: str = ""
    """Why the sequence stopped early (the figures it reached are kept)."""
    steps: dict[str, dict[str, float]] = field(default_factory=dict)
    restore: dict[str, float] = field(default_factory=dict)


class Sequence:
    """Topics, feeder, watcher and instances of one configuration (a context manager)."""

    def __init__(
        self,
        bootstrap: str,
        opts: argparse.Namespace,
        row: Row,
        workdir: Path,
        watch_input: bool = True,
    ) -> None:
        self.bootstrap, self.opts, self.row = bootstrap, opts, row
        tag = f"rb-{row.guarantee[:4]}-{row.protocol}-{row.standbys}-{uuid.uuid4().hex[:6]}"
        self.app_id = tag
        self.input = create_topic(
            bootstrap, f"{tag}-in", opts.partitions, {"message.timestamp.type": "LogAppendTime"}
        )
        self.output = create_topic(
            bootstrap,
            f"{tag}-out",
            opts.partitions,
            {"message.timestamp.type": "LogAppendTime"},
        )
        self.workdir = workdir / tag
        self.workdir.mkdir(parents=True)
        self.numbers: dict[str, int] = {}
        self.instances: dict[str, Instance] = {}
        self.watcher = Watcher(bootstrap, self.output, opts.partitions)
        self.input_watcher = Watcher(bootstrap, self.input, opts.partitions if watch_input else 0)
        self.feeder: Feeder | None = None

    def __enter__(self) -> Sequence:
        self.watcher.start()
        self.input_watcher.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for inst in self.instances.values():
            if inst.proc.poll() is None:
                inst.terminate(30)
        if self.feeder is not None:
            self.feeder.stop.set()
            self.feeder.join(60)
        for watcher in (self.watcher, self.input_watcher):
            watcher.stop.set()
            watcher.join(30)
        admin = admin_client(self.bootstrap)
        names = [t for t in admin.list_topics(timeout=30).topics if t.startswith(f"{self.app_id}-")]
        for fut in admin.delete_topics(names, operation_timeout=60).values():
            with contextlib.suppress(Exception):
                fut.result(timeout=60)

    def feed(self) -> None:
        self.feeder = Feeder(self.bootstrap, self.input, self.opts.rate, self.opts.keys)
        self.feeder.start()

    def start(self, name: str) -> Instance:
        row, opts = self.row, self.opts
        self.numbers[name] = self.numbers.get(name, 0) + 1
        args = [self.bootstrap, self.app_id, self.input, self.output]
        args += ["--guarantee", row.guarantee, "--group-protocol", row.protocol]
        args += ["--standbys", str(row.standbys)]
        if row.protocol == "classic":
            args += ["--session-timeout-ms", str(opts.session_timeout_ms)]
        inst = Instance(name, args, self.workdir, self.numbers[name])
        self.instances[name] = inst
        return inst

    def wait_output(
        self,
        since: float,
        timeout: float,
        partitions: set[int] | None = None,
        writer: str | None = None,
    ) -> float:
        """Until a record after ``since`` (of ``writer``) appeared on each of ``partitions``
        (None: any); the unix time of the last of those first records."""
        deadline = time.monotonic() + timeout
        while True:
            firsts: dict[int, float] = {}
            for r in self.watcher.since(since):
                if writer is None or r.inst == writer:
                    firsts[r.partition] = min(firsts.get(r.partition, r.t), r.t)
            if partitions is None and firsts:
                return min(firsts.values())
            if partitions is not None and partitions <= firsts.keys():
                return max(firsts[p] for p in partitions)
            if time.monotonic() > deadline:
                raise RuntimeError(f"no output on {partitions} by {writer} in {timeout:.0f}s")
            time.sleep(0.1)

    def moved(self, t0: float, name: str) -> set[int]:
        """The partitions ``name`` wrote to last before ``t0``. Asked a little after ``t0``:
        what was appended before it must be visible first (under exactly-once, the records
        of a transaction are read once it commits, up to ``commit.interval.ms`` later)."""
        time.sleep(VISIBLE_AFTER_S)
        return {p for p, w in self.watcher.last_writer(t0).items() if w == name}

    def measure(self, step: str, t0: float, t1: float, **extra: float) -> None:
        records = self.watcher.between(t0, t1)
        gap, began = gap_at(records, t1)
        figures = {
            "all_s": round(gap, 3),
            "all_began_s": round(began - t0, 3),
            # the input's own longest gap (the feeder shares this process and the machine):
            # an output gap no longer than it is not the app's
            "input_s": round(longest_gap(self.input_watcher.between(t0, t1), t1), 3),
            "part_s": round(longest_partition_gap(records, t0, t1), 3),
            **{k: round(v, 3) for k, v in extra.items()},
        }
        self.row.steps[step] = figures
        log(f"  {step}: {figures}")


def running_or_refused(inst: Instance, row: Row, timeout: float) -> bool:
    """Until ``inst`` is RUNNING (True); False, with ``row`` marked "not available", when
    kstreams refused the configuration."""
    try:
        inst.wait_running(timeout)
    except RuntimeError:
        refused = inst.refused()
        if refused is None:
            raise
        row.available, row.reason = False, refused
        log(f"  not available: {refused[:160]}")
        return False
    return True


def pauses(bootstrap: str, opts: argparse.Namespace, row: Row, workdir: Path) -> None:
    """Steps 1-5 of the module notes for ``row``."""
    settle = opts.settle
    with Sequence(bootstrap, opts, row, workdir) as seq:
        seq.feed()
        a = seq.start("a")
        if not running_or_refused(a, row, 120):
            return
        seq.wait_output(time.time(), 60)
        time.sleep(opts.warm)
        # 2. join
        t0 = time.time()
        b = seq.start("b")
        running = b.wait_running(120)
        first = seq.wait_output(t0, 120, writer="b")
        time.sleep(settle)
        seq.measure("join", t0, time.time(), to_running_s=running - t0, to_output_s=first - t0)
        # 3. clean close
        t0 = time.time()
        b.terminate()
        moved = seq.moved(t0, "b")
        first = seq.wait_output(t0, 120, moved, "a") if moved else t0
        time.sleep(settle)
        seq.measure("close", t0, time.time(), moved_s=first - t0, moved_partitions=len(moved))
        # 4. back again
        t1 = time.time()
        b = seq.start("b")
        b.wait_running(120)
        seq.wait_output(t1, 120, writer="b")
        time.sleep(settle)
        # 5. kill
        t0 = time.time()
        b.kill()
        moved = seq.moved(t0, "b")
        first = seq.wait_output(t0, 180, moved, "a") if moved else t0
        time.sleep(min(settle, 3))
        # the survivor hears of the death after the session timeout: from then on
        noticed = a.rebalanced_after(t0) or t0
        seq.measure(
            "kill",
            t0,
            time.time(),
            moved_s=first - t0,
            noticed_s=noticed - t0,
            moved_after_noticed_s=first - noticed,
            moved_partitions=len(moved),
        )


def restore(bootstrap: str, opts: argparse.Namespace, row: Row, workdir: Path) -> None:
    """The restore figure: a store of ``--store-keys`` keys, one of two instances killed."""
    with Sequence(bootstrap, opts, row, workdir, watch_input=False) as seq:
        fill(bootstrap, seq.input, opts.store_keys)
        a, b = seq.start("a"), seq.start("b")
        if not all(running_or_refused(inst, row, 180) for inst in (a, b)):
            return
        deadline = time.monotonic() + 900
        while len(seq.watcher.since(0)) < opts.store_keys:
            if time.monotonic() > deadline:
                raise RuntimeError("the store was not filled in 900 s")
            time.sleep(0.5)
        time.sleep(2)  # a commit (and its checkpoint) after the last record
        before = len(a.lines("RESTORED"))
        t0 = time.time()
        b.kill()
        moved = len(seq.moved(t0, "b"))
        deadline = time.monotonic() + 300
        restored = []
        while len(restored) < moved and time.monotonic() < deadline:
            time.sleep(0.2)
            restored = a.lines("RESTORED")[before:]
            if a.rebalanced_after(t0) and (a.running_at() or 0) > t0:
                # RUNNING again after the move: what was restored has been reported (a
                # standby caught up restores nothing, and the listener then says nothing)
                break
        # a line's fields after RESTORED: store, then "partition records seconds"
        records = sum(int(r[1].split()[1]) for r in restored)
        seconds = max((float(r[1].split()[2]) for r in restored), default=0.0)
        done = a.running_at() or time.time()
        row.restore = {
            "records": records,
            "restore_s": round(seconds, 3),
            "kill_to_running_s": round(done - t0, 3),
            "partitions": len(restored),
        }
        log(f"  restore: {row.restore}")


def attempt(step: Any, bootstrap: str, opts: argparse.Namespace, row: Row, work: Path) -> None:
    """``step(...)``; a step that fails (an instance not RUNNING in time, no output) leaves
    the row marked failed, with the reason, and the other rows still run."""
    try:
        step(bootstrap, opts, row, work)
    except RuntimeError as exc:
        row.failed = str(exc)
        log(f"  FAILED: {exc}")


# --------------------------------------------------------------------------- main


@contextlib.contextmanager
def kafka(session_ms: int) -> Iterator[str]:
    """``$KSTREAMS_BOOTSTRAP_SERVERS``, or a local test broker whose consumer-group session
    is ``session_ms`` (the test broker's 10 s unless told otherwise)."""
    env = os.environ.get(ENV_BOOTSTRAP_SERVERS, "").strip()
    if env:
        yield env
        return
    config: dict[str, str] = {}
    if session_ms != 10000:
        heartbeat = min(1000, session_ms // 3)
        config = {
            "group.consumer.session.timeout.ms": str(session_ms),
            "group.consumer.min.session.timeout.ms": str(min(6000, session_ms)),
            "group.consumer.heartbeat.interval.ms": str(heartbeat),
            "group.consumer.min.heartbeat.interval.ms": str(heartbeat),
            "group.min.session.timeout.ms": str(min(6000, session_ms)),
        }
    broker = LocalKafkaBroker(config=config)
    broker.start()
    try:
        yield broker.bootstrap_servers
    finally:
        broker.close()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--quick", action="store_true", help="exactly_once_v2 x consumer, <= 2 min")
    p.add_argument("--guarantees", default="at_least_once,exactly_once_v2")
    p.add_argument("--protocols", default="classic,consumer")
    p.add_argument("--standbys", default="0,1", help="num.standby.replicas values")
    p.add_argument("--partitions", type=int, default=6)
    p.add_argument("--rate", type=int, default=3000, help="input records/s")
    p.add_argument("--keys", type=int, default=5000)
    p.add_argument("--warm", type=float, default=5.0)
    p.add_argument("--settle", type=float, default=8.0)
    p.add_argument("--session-timeout-ms", type=int, default=10000)
    p.add_argument("--store-keys", type=int, default=1_000_000)
    p.add_argument("--no-restore", action="store_true")
    p.add_argument("--json", type=Path, help="write the rows here")
    opts = p.parse_args()
    if opts.quick:
        opts.guarantees, opts.protocols, opts.standbys = "exactly_once_v2", "consumer", "0"
        opts.warm, opts.settle, opts.no_restore = 3.0, 5.0, True
    combos = [
        (g, pr, int(s))
        for s in opts.standbys.split(",")
        for g in opts.guarantees.split(",")
        for pr in opts.protocols.split(",")
    ]
    rows: list[Row] = []
    restores: list[Row] = []
    started = time.monotonic()
    load = os.getloadavg()
    # kept afterwards: the instances' logs (timestamps of every state change and rebalance)
    # are where a long pause is explained
    work = Path(tempfile.mkdtemp(prefix="rebalance-"))
    with kafka(opts.session_timeout_ms) as bootstrap:
        log(f"broker {bootstrap}; load average {load[0]:.1f}; logs in {work}")
        for g, pr, s in combos:
            row = Row(g, pr, s)
            log(f"{g} {pr} num.standby.replicas={s}")
            attempt(pauses, bootstrap, opts, row, work)
            rows.append(row)
        if not opts.no_restore:
            for s in sorted({int(s) for s in opts.standbys.split(",")}):
                row = Row("at_least_once", "consumer", s)
                log(f"restore of {opts.store_keys} keys, num.standby.replicas={s}")
                attempt(restore, bootstrap, opts, row, work)
                restores.append(row)
    elapsed = time.monotonic() - started
    end_load = os.getloadavg()
    print(table(rows, restores, opts.store_keys))
    print(f"\n{elapsed:.0f} s; load average at start {load[0]:.1f}, at end {end_load[0]:.1f}")
    if opts.json:
        result = {
            "args": {k: str(v) for k, v in vars(opts).items()},
            "pauses": [asdict(r) for r in rows],
            "restores": [asdict(r) for r in restores],
            "elapsed_s": round(elapsed, 1),
            "load_average": [list(load), list(end_load)],
        }
        opts.json.write_text(json.dumps(result, indent=1))
    return 0


def table(rows: list[Row], restores: list[Row], keys: int) -> str:
    """Markdown tables: the pauses, then the restores."""
    out = [
        "| guarantee | protocol | standbys | join: all / one partition "
        "| close: all / moved | kill: all / moved |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        head = f"| {r.guarantee} | {r.protocol} | {r.standbys} "
        if not r.available:
            out.append(head + "| not available | | |")
            continue
        j, c, k = (r.steps.get(s, {}) for s in ("join", "close", "kill"))
        out.append(
            head + f"| {j.get('all_s', '-')} s / {j.get('part_s', '-')} s "
            f"| {c.get('all_s', '-')} s / {c.get('moved_s', '-')} s "
            f"| {k.get('all_s', '-')} s / {k.get('moved_s', '-')} s "
            f"({k.get('moved_after_noticed_s', '-')} s after noticed) |"
            + (f" failed: {r.failed[:120]}" if r.failed else "")
        )
    if restores:
        out += [
            "",
            f"| store of {keys} keys | records restored | restore (listener) "
            "| kill to survivor RUNNING |",
            "|---|---|---|---|",
        ]
        for r in restores:
            head = f"| num.standby.replicas={r.standbys} "
            if not r.available:
                out.append(head + "| not available | | |")
                continue
            x = r.restore
            if not x:
                out.append(head + f"| failed: {r.failed[:120]} | | |")
                continue
            out.append(
                head + f"| {x['records']} | {x['restore_s']} s | {x['kill_to_running_s']} s |"
            )
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
