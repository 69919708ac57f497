"""Machinery of the EOS chaos test: app instances that get SIGKILLed, and a read_committed reader.

* :class:`Instances` runs named instances of ``eos_app.py`` (one process each, its own
  ``state.dir``, one log file per run), kills and restarts them, notices instances that
  died on their own, stops them all (always: use it as a context manager) and lists every
  run's failures (:meth:`Instances.failures`: a dead stream thread, ERROR, an exit on its
  own, a close that did not finish) for the test to fail on;
* :class:`CommittedReader` reads the input and output topics from the beginning with
  ``isolation.level=read_committed`` and decodes them into :class:`verifier.Rec`;
* :class:`EventLog` timestamps what the chaos loop did, for failure reports.
"""

from __future__ import annotations

import os
import signal
import struct
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from app_signals import overrun_report, stacks_then_kill
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition

from .status import describe_exit, run_failures
from .verifier import Rec

APP = Path(__file__).resolve().parent / "eos_app.py"
REPO_ROOT = Path(__file__).resolve().parents[3]
RUN_HEADER = "eos-run"

_INT = struct.Struct(">i")
_LONG = struct.Struct(">q")


KILL_REAP_TIMEOUT_S = 120.0
"""How long a SIGKILLed instance may take to be gone on a loaded machine."""


class EventLog:
    """``(seconds since start, text)`` of what happened, printed as it goes."""

    def __init__(self) -> None:
        self.t0 = time.monotonic()
        self.events: list[tuple[float, str]] = []

    def __call__(self, text: str) -> None:
        t = time.monotonic() - self.t0
        self.events.append((t, text))
        print(f"[eos-chaos {t:7.2f}s] {text}", flush=True)

    def text(self) -> str:
        return "\n".join(f"  {t:7.2f}s {e}" for t, e in self.events)


class _Run:
    """One process of one instance."""

    def __init__(self, name: str, number: int, args: Sequence[str], log_path: Path) -> None:
        self.name = f"{name}#{number}"
        self.killed = False
        self.wait_timed_out: float | None = None
        """Set to the timeout when :meth:`wait` had to SIGKILL it."""
        self.overrun = ""
        """Then: its threads' stacks and the tail of its log (:func:`app_signals.overrun_report`)."""
        self.log_path = log_path
        self._log = open(log_path, "wb")  # noqa: SIM115 - closed in close()
        self.proc = subprocess.Popen(
            [sys.executable, str(APP), *args, "--run", self.name],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=dict(os.environ, PYTHONUNBUFFERED="1"),
            cwd=REPO_ROOT,
        )

    def alive(self) -> bool:
        return self.proc.poll() is None

    def output(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def state(self) -> str:
        """The last ``STATE`` it printed (``STARTING`` before the first)."""
        states = [line for line in self.output().splitlines() if line.startswith("STATE ")]
        return states[-1].split()[1] if states else "STARTING"

    def kill(self) -> None:
        if self.alive():
            self.proc.send_signal(signal.SIGKILL)
        # SIGKILL cannot be ignored, but each of the process' threads (librdkafka's too)
        # exits in its own context, on the CPU it gets: at load ~100 on two cores the
        # teardown took over 10 s once. The kill is certain; this only waits for the reaping.
        self.proc.wait(KILL_REAP_TIMEOUT_S)

    def terminate(self) -> None:
        """SIGTERM, once it can handle it (a fresh process may still be starting Python)."""
        deadline = time.monotonic() + 20
        while self.alive() and "CLIENT_ID" not in self.output() and time.monotonic() < deadline:
            time.sleep(0.05)
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)

    def wait(self, timeout: float) -> int | None:
        """Wait for the exit (after ``timeout``: its threads' stacks, SIGKILL); the exit code."""
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.wait_timed_out = timeout
            before, stacks = stacks_then_kill(self.proc, self.output)
            self.overrun = overrun_report(self.name, timeout, before, stacks)
        return self.proc.returncode

    def close(self) -> None:
        if self.alive():
            self.proc.kill()
            self.proc.wait(10)
        self._log.close()


class Instances:
    """Instances of the app, by name, killed and restarted on demand."""

    def __init__(self, app_args: Sequence[str], state_root: Path, log_dir: Path, log: EventLog):
        self.app_args = list(app_args)
        self.state_root = state_root
        self.log_dir = log_dir
        self.log = log
        self.current: dict[str, _Run] = {}
        self.runs: list[_Run] = []
        self.kills = 0
        self.kills_while_running = 0
        self.unexpected_exits: list[str] = []
        self.stop_codes: dict[str, int | None] = {}

    def __enter__(self) -> Instances:
        return self

    def __exit__(self, *exc: object) -> None:
        for run in self.runs:
            run.close()

    def start(self, name: str) -> _Run:
        assert name not in self.current or not self.current[name].alive(), name
        number = sum(1 for r in self.runs if r.name.startswith(f"{name}#")) + 1
        state_dir = self.state_root / name
        state_dir.mkdir(parents=True, exist_ok=True)
        args = [*self.app_args[:2], str(state_dir), *self.app_args[2:]]
        run = _Run(name, number, args, self.log_dir / f"{name}-run{number}.log")
        self.runs.append(run)
        self.current[name] = run
        self.log(f"started {run.name} (pid {run.proc.pid}, log {run.log_path.name})")
        return run

    def kill(self, name: str) -> None:
        run = self.current[name]
        state = run.state() if run.alive() else "already dead"
        run.killed = True
        run.kill()
        self.kills += 1
        if state == "RUNNING":
            self.kills_while_running += 1
        self.log(f"SIGKILL {run.name} (kill {self.kills}, it was {state})")

    def stop(self, name: str, timeout: float = 60.0) -> int | None:
        """Stop ``name`` cleanly (SIGTERM); its exit code (also in :attr:`stop_codes`)."""
        run = self.current.pop(name)
        run.killed = True  # not an exit on its own
        run.terminate()
        code = self.stop_codes[run.name] = run.wait(timeout)
        self.log(f"stopped {run.name} (SIGTERM): exit code {code}")
        return code

    def supervise(self) -> None:
        """Restart instances that exited on their own (as a supervisor would), remembering them."""
        for name, run in list(self.current.items()):
            if not run.killed and not run.alive():
                code = run.proc.returncode
                tail = " | ".join(run.output().strip().splitlines()[-3:])
                self.unexpected_exits.append(
                    f"{run.name} exited on its own: {describe_exit(code)} (log "
                    f"{run.log_path.name}; last lines: {tail[:500]})"
                )
                self.log(f"{run.name} exited on its own ({describe_exit(code)}); restarting it")
                self.start(name)

    def stop_all(self, timeout: float = 60.0) -> dict[str, int | None]:
        """SIGTERM every current run (in parallel), wait; exit codes by run name."""
        for run in self.current.values():
            run.terminate()  # once: a second SIGTERM could hit the interpreter's exit
        deadline = time.monotonic() + timeout
        for run in self.current.values():
            self.stop_codes[run.name] = run.wait(max(1.0, deadline - time.monotonic()))
        self.log(f"stopped (SIGTERM): exit codes {self.stop_codes}")
        return self.stop_codes

    def failures(self) -> list[str]:
        """Everything that went wrong besides the kills, naming the run and what happened.

        A stream thread that died or a client in ERROR (also in a run killed later), a run
        that exited on its own, a run that did not close cleanly on SIGTERM.
        """
        out = []
        for run in self.runs:
            out.extend(run_failures(run.name, run.output(), run.log_path.name))
        out.extend(self.unexpected_exits)
        for run in self.runs:
            code = self.stop_codes.get(run.name, 0)
            if run.wait_timed_out is not None:
                out.append(f"{run.overrun}\n(log {run.log_path.name})")
            elif code != 0:
                out.append(
                    f"{run.name} did not close cleanly on SIGTERM: {describe_exit(code)} (log "
                    f"{run.log_path.name})"
                )
        return out

    def problems_in_logs(self) -> str:
        """Per run log: its kstreams ERROR / WARNING and Traceback lines (not librdkafka's own)."""
        out = []
        for run in self.runs:
            lines = [
                f"{line[11:23]} {line.split(' kstreams ', 1)[-1]}" if " kstreams " in line else line
                for line in run.output().splitlines()
                if ((" ERROR " in line or " WARNING " in line) and " kstreams.client " not in line)
                or "Traceback" in line
            ]
            if lines:
                distinct = list(dict.fromkeys(lines))
                out.append(
                    f"{run.log_path.name}: {len(lines)} line(s): "
                    + " | ".join(line[:300] for line in distinct[:4])
                )
        return "\n".join(out)


# --------------------------------------------------------------------------- #
# Reading back
# --------------------------------------------------------------------------- #


class CommittedReader:
    """Reads ``topics`` (name -> topic) from the beginning, read_committed, decoding as it goes.

    ``long_topics`` are the names whose values are Longs (else Integers). Keys are Strings.
    """

    def __init__(
        self,
        bootstrap: str,
        topics: dict[str, str],
        long_topics: set[str],
        partitions: int,
    ) -> None:
        self.names = {topic: name for name, topic in topics.items()}
        self.long_topics = long_topics
        self.records: dict[str, list[Rec]] = {name: [] for name in topics}
        self.consumer = Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": f"eos-verifier-{uuid.uuid4().hex[:8]}",
                "isolation.level": "read_committed",
                "enable.auto.commit": False,
                "enable.partition.eof": False,
                "fetch.wait.max.ms": 100,
                "auto.offset.reset": "earliest",
            }
        )
        self.tps = [
            TopicPartition(topic, p, OFFSET_BEGINNING)
            for topic in topics.values()
            for p in range(partitions)
        ]
        self.consumer.assign(self.tps)

    def close(self) -> None:
        self.consumer.close()

    def __enter__(self) -> CommittedReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def counts(self) -> dict[str, int]:
        return {name: len(recs) for name, recs in self.records.items()}

    def poll(self, timeout: float = 0.1) -> int:
        """Read what is there; returns the records read."""
        total = 0
        while True:
            msgs = self.consumer.consume(5000, timeout)
            for msg in msgs:
                err = msg.error()
                if err is not None:
                    if err.code() == KafkaError._PARTITION_EOF:
                        continue
                    if err.retriable() or not err.fatal():
                        continue  # the broker may be restarting
                    raise AssertionError(f"verifier consumer error: {err}")
                self._add(msg)
            total += len(msgs)
            if len(msgs) < 5000:
                return total
            timeout = 0

    def _add(self, msg: Any) -> None:
        name = self.names[msg.topic()]
        key = msg.key()
        value = msg.value()
        fmt = _LONG if name in self.long_topics else _INT
        if key is None or value is None or len(value) != fmt.size:
            raise AssertionError(
                f"{name}: undecodable record at partition {msg.partition()} offset "
                f"{msg.offset()}: key {key!r} value {value!r}"
            )
        origin = ""
        for h, v in msg.headers() or ():
            if h == RUN_HEADER and v is not None:
                origin = v.decode()
        self.records[name].append(
            Rec(
                msg.partition(),
                msg.offset(),
                key.decode(),
                fmt.unpack(value)[0],
                msg.timestamp()[1],
                origin,
            )
        )

    def read_to_end(self, timeout: float = 90.0) -> dict[str, Any]:
        """Read until every partition's position reached its high watermark (taken now).

        Under read_committed the position only passes a transaction once it is decided, so
        this also waits for every open transaction (a killed instance's is aborted by the
        broker after ``transaction.timeout.ms``). Returns the partitions that did not get
        there in time, ``{"topic-p": (position, high watermark)}`` (empty when all did).
        """
        ends = {}
        for tp in self.tps:
            _low, high = self.consumer.get_watermark_offsets(
                TopicPartition(tp.topic, tp.partition), timeout=15, cached=False
            )
            ends[(tp.topic, tp.partition)] = high
        deadline = time.monotonic() + timeout
        while True:
            self.poll(0.2)
            positions = self.consumer.position([TopicPartition(t, p) for (t, p) in ends])
            behind = {
                f"{tp.topic}-{tp.partition}": (tp.offset, ends[(tp.topic, tp.partition)])
                for tp in positions
                if ends[(tp.topic, tp.partition)] > 0 and tp.offset < ends[(tp.topic, tp.partition)]
            }
            if not behind or time.monotonic() > deadline:
                return behind


def committed_offsets(bootstrap: str, group: str, topic: str, partitions: int) -> dict[int, int]:
    """``{partition: committed offset}`` of ``group`` on ``topic``."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
    try:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        return {tp.partition: tp.offset for tp in consumer.committed(tps, timeout=15)}
    finally:
        consumer.close()


def origins(recs: Sequence[Rec]) -> str:
    """How many records each app run wrote (from the ``eos-run`` header)."""
    return ", ".join(f"{k or '?'}={v}" for k, v in sorted(Counter(r.origin for r in recs).items()))
