"""Scale-out under exactly-once: incremental rebalances (KIP-848) and static membership.

Two instances of ``eos/eos_app.py`` (the chaos test's app: echo, running sums and counts,
a running max through a repartition topic, sums through a record cache) share a 4-partition
input while it is written:

* under the consumer group protocol, the second instance joins while the first processes:
  the first gives up only the tasks that move (it never suspends or closes a task it keeps);
  then the second is SIGKILLed and restarted;
* under the classic protocol with static membership (``group.instance.id``), a SIGKILLed
  instance restarted at once takes its tasks back without waiting for its session to
  expire.

Both end with ``eos/verifier.py``'s checks: nothing missing, nothing duplicated, every
aggregate exact.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from eos.chaos import CommittedReader, EventLog, Instances
from eos.generator import Generator
from helpers import unique_app_id
from test_eos_chaos import (
    EVERY_RECORD_OUTPUTS,
    LONG_OUTPUTS,
    OUTPUTS,
    Pacer,
    _app_args,
    _delete_internal_topics,
    finish_and_verify,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PARTITIONS = 4
N = 6000
KEYS = 40
GENERATE_S = 40.0
COMPLETE_TIMEOUT_S = 150.0

_TASKS = re.compile(r": (running|suspended|closing) tasks \[([^\]]*)\]")


def _task_events(text: str) -> list[tuple[str, set[str]]]:
    """``(running | suspended | closing, {task ids})`` in the order the log has them."""
    return [
        (m.group(1), {t.strip(" '") for t in m.group(2).split(",") if t.strip()})
        for m in _TASKS.finditer(text)
    ]


def _running_now(text: str) -> set[str]:
    """The tasks running at the end of ``text``: each ``running`` line lists every running
    task of the thread (a snapshot); later ``suspended`` / ``closing`` lines take some away."""
    owned: set[str] = set()
    for kind, ids in _task_events(text):
        owned = set(ids) if kind == "running" else owned - ids
    return owned


def _setup(new_topic: Any, tmp_path: Path, prefix: str) -> tuple[dict[str, str], str, EventLog]:
    topics = {"input": new_topic(partitions=PARTITIONS)}
    for name in OUTPUTS:
        topics[name] = new_topic(partitions=PARTITIONS)
    app_id = unique_app_id(prefix)
    (tmp_path / "logs").mkdir()
    log = EventLog()
    log(f"application.id {app_id}, logs in {tmp_path / 'logs'}")
    return topics, app_id, log


def _until_complete(pace: Pacer, reader: CommittedReader) -> None:
    end = time.monotonic() + COMPLETE_TIMEOUT_S
    while time.monotonic() < end:
        if all(reader.counts()[name] >= N for name in EVERY_RECORD_OUTPUTS):
            return
        pace.wait(0.5)


def test_an_instance_joins_without_stopping_the_other_and_a_killed_one_comes_back(
    kafka_bootstrap: str, new_topic: Any, tmp_path: Path
) -> None:
    topics, app_id, log = _setup(new_topic, tmp_path, "kip848")
    args = [*_app_args(kafka_bootstrap, app_id, topics), "--group-protocol", "consumer"]
    generator = Generator(kafka_bootstrap, topics["input"], N, KEYS, GENERATE_S, seed=848)
    started = time.monotonic()
    try:
        with (
            Instances(args, tmp_path / "state", tmp_path / "logs", log) as instances,
            CommittedReader(kafka_bootstrap, topics, LONG_OUTPUTS, PARTITIONS) as reader,
        ):
            pace = Pacer(instances, reader)
            a = instances.start("a")
            pace.until_running(["a"], 90)
            generator.start()

            def all_running() -> bool:
                runs = [ids for kind, ids in _task_events(a.output()) if kind == "running"]
                return bool(runs) and len(runs[-1]) == 2 * PARTITIONS

            deadline = time.monotonic() + 60
            while (reader.counts()["echo"] < 500 or not all_running()) and (
                time.monotonic() < deadline
            ):
                pace.wait(0.5)
            assert all_running(), "the first instance runs every task before the second joins"
            assert reader.counts()["echo"] >= 500, "the first instance processes alone first"
            joined_at = len(a.output())
            log(f"b joins; committed {reader.counts()}")
            instances.start("b")
            pace.until_running(["a", "b"], 90)
            pace.wait(3.0)
            # the first instance gave up the tasks that moved, and only those
            events = _task_events(a.output()[joined_at:])
            before = _task_events(a.output()[:joined_at])
            owned = set().union(*(ids for kind, ids in before if kind == "running"))
            lost = set().union(*(ids for kind, ids in events if kind != "running"))
            assert "group.protocol=consumer" in a.output()
            assert owned and lost, (owned, events)
            kept = owned - lost
            assert kept, f"a kept none of {sorted(owned)}: {events}"
            assert all(kind != "running" or not ids & kept for kind, ids in events), events
            b_log = instances.current["b"].output()
            b_tasks = set().union(*(ids for kind, ids in _task_events(b_log) if kind == "running"))
            assert b_tasks == lost, (b_tasks, lost)
            log(f"a kept {sorted(kept)}, gave b {sorted(lost)}; committed {reader.counts()}")

            instances.kill("b")
            pace.wait(0.5)
            instances.start("b")
            generator.result()
            _until_complete(pace, reader)
            log(f"outputs committed: {reader.counts()}")
            finish_and_verify(
                bootstrap=kafka_bootstrap,
                app_id=app_id,
                topics=topics,
                partitions=PARTITIONS,
                expected=N,
                instances=instances,
                reader=reader,
                log=log,
                tmp_path=tmp_path,
                started=started,
            )
    finally:
        generator.stop()
    _delete_internal_topics(kafka_bootstrap, app_id)


def test_a_static_member_killed_and_restarted_takes_its_tasks_back_at_once(
    kafka_bootstrap: str, new_topic: Any, tmp_path: Path
) -> None:
    topics, app_id, log = _setup(new_topic, tmp_path, "static")
    session_s = 30
    args = [
        *_app_args(kafka_bootstrap, app_id, topics),
        "--group-protocol",
        "classic",
        "--static",
        "--session-timeout-ms",
        str(session_s * 1000),
    ]
    generator = Generator(kafka_bootstrap, topics["input"], N, KEYS, GENERATE_S, seed=345)
    started = time.monotonic()
    try:
        with (
            Instances(args, tmp_path / "state", tmp_path / "logs", log) as instances,
            CommittedReader(kafka_bootstrap, topics, LONG_OUTPUTS, PARTITIONS) as reader,
        ):
            pace = Pacer(instances, reader)
            instances.start("a")
            instances.start("b")
            pace.until_running(["a", "b"], 90)
            generator.start()
            pace.wait(3.0)
            first_b = instances.current["b"].output()
            # what b runs when it is killed (it may have run every task before a joined)
            b_tasks = _running_now(first_b)
            assert b_tasks, f"b runs no task: {_task_events(first_b)}"
            instances.kill("b")
            killed_at = time.monotonic()
            b = instances.start("b")
            while b.state() != "RUNNING" and time.monotonic() - killed_at < session_s:
                pace.wait(0.2)
            took = time.monotonic() - killed_at
            log(f"restarted b RUNNING after {took:.1f}s")
            assert b.state() == "RUNNING" and took < session_s / 2, (
                f"the restarted static member took {took:.1f}s (session timeout {session_s}s)"
            )
            again = _running_now(b.output())
            assert again == b_tasks, (again, b_tasks)
            generator.result()
            _until_complete(pace, reader)
            finish_and_verify(
                bootstrap=kafka_bootstrap,
                app_id=app_id,
                topics=topics,
                partitions=PARTITIONS,
                expected=N,
                instances=instances,
                reader=reader,
                log=log,
                tmp_path=tmp_path,
                started=started,
            )
    finally:
        generator.stop()
    _delete_internal_topics(kafka_bootstrap, app_id)
