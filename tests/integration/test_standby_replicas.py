"""Standby replicas under exactly-once: a failover restores only the tail.

Two instances of the EOS chaos app (``apps/standby_eos_app.py``: ``eos/eos_app.py``
reporting its restore listener's counts and its tasks) share a 2-partition input. With
``num.standby.replicas=1`` (under the consumer group protocol of KIP-848) each instance's
standby tasks are the other's active tasks; once the input is processed and the standbys
caught up, one instance is SIGKILLed: the survivor
takes its tasks over restoring at most 10% of their stores' records, processes more input,
and ``eos/verifier.py`` finds the outputs exact. With three instances the same holds: the
standbys sit where the brokers' range assignment sends each task when its owner dies (with
``num.standby.replicas=2`` on both other instances). With two standbys and four instances, two
SIGKILLed at once: every task that moves finds a copy where it lands (the second standby goes
where the task lands when its owner and one other instance leave together). Without standbys
the same scenario restores every record of the moved stores (run under the classic protocol,
whose shorter session timeout makes the failover quicker). And scaling 1 → 3 → 1 instances
while input flows, with standbys and without: every task has its standby, never where it runs,
and the outputs stay exact.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer, TopicPartition
from eos import chaos
from eos.chaos import CommittedReader, EventLog, Instances
from eos.generator import Generator
from helpers import APPS_DIR, unique_app_id
from test_eos_chaos import (
    LONG_OUTPUTS,
    OUTPUTS,
    Pacer,
    _app_args,
    _delete_internal_topics,
    finish_and_verify,
)

from kstreams.runtime.changelog_offsets import watermarks

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PARTITIONS = 2
FIRST = 4000  # before the kill: about 2,000 changelog records per store partition
SECOND = 500  # after it, processed by the survivor alone
KEYS = 4000  # about one record per key: every record reaches the changelogs

_TASKS = re.compile(r"^TASKS active=(\S*) standby=(\S*) lag=(\d+)$", re.M)
_RESTORED = re.compile(r"^RESTORED (\S+) (\S+) (\d+) (\d+)$", re.M)


def _tasks(text: str) -> tuple[set[str], set[str], int] | None:
    """The last ``TASKS`` line: (active, standby, lag)."""
    found = _TASKS.findall(text)
    if not found:
        return None
    active, standby, lag = found[-1]
    return set(filter(None, active.split(","))), set(filter(None, standby.split(","))), int(lag)


_LOG_TIME = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}) ", re.M)


def _log_ms(line: str) -> float:
    """The time of a log line (``asctime``), in ms since the epoch."""
    found = _LOG_TIME.match(line)
    assert found, line
    stamp = time.mktime(time.strptime(found.group(1), "%Y-%m-%d %H:%M:%S"))
    return stamp * 1000 + int(found.group(2))


def _promotion_ms(text: str) -> float | None:
    """From the first promotion of standby tasks in ``text`` to the next ``running tasks``
    log line (the promoted tasks restored their tails and run); None without a promotion."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if "promoting standby tasks" in line), None)
    if start is None:
        return None
    end = next((line for line in lines[start:] if ": running tasks [" in line), None)
    return None if end is None else _log_ms(end) - _log_ms(lines[start])


def _recycled(text: str) -> int:
    """The last ``RECYCLED`` count in ``text`` (0 if none)."""
    found = re.findall(r"^RECYCLED (\d+)$", text, re.M)
    return int(found[-1]) if found else 0


def _committed_records(bootstrap: str, partitions: list[tuple[str, int]]) -> int:
    """The committed records (read_committed) of changelog partitions, start to end."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": "standby-test-counter",
            "isolation.level": "read_committed",
            "enable.auto.commit": False,
        }
    )
    try:
        # retrying timeouts (a loaded machine): kstreams' own lookup
        ends = {tp: watermarks(consumer, TopicPartition(*tp))[1] for tp in partitions}
        consumer.assign([TopicPartition(t, p, 0) for t, p in partitions])
        count = 0
        deadline = time.monotonic() + 60
        left = {tp for tp, end in ends.items() if end > 0}
        while left and time.monotonic() < deadline:
            count += sum(1 for m in consumer.consume(1000, 0.2) if m.error() is None)
            positions = consumer.position([TopicPartition(*tp) for tp in left])
            left = {
                (p.topic, p.partition) for p in positions if p.offset < ends[(p.topic, p.partition)]
            }
        assert not left, f"could not read {sorted(left)} to the end"
        return count
    finally:
        consumer.close()


def _setup(
    bootstrap: str,
    new_topic: Any,
    tmp_path: Path,
    *,
    prefix: str,
    partitions: int,
    standbys: int,
    protocol: str,
) -> tuple[dict[str, str], str, Path, EventLog, list[str]]:
    """The input and output topics, application id, log directory, event log and app
    arguments of one scenario."""
    topics = {"input": new_topic(partitions=partitions)}
    for name in OUTPUTS:
        topics[name] = new_topic(partitions=partitions)
    app_id = unique_app_id(prefix)
    logs = tmp_path / "logs"
    logs.mkdir()
    args = [
        *_app_args(bootstrap, app_id, topics),
        "--config",
        f"num.standby.replicas={standbys}",
        "--group-protocol",
        protocol,
    ]
    return topics, app_id, logs, EventLog(), args


def _failover(
    bootstrap: str,
    new_topic: Any,
    tmp_path: Path,
    standbys: int,
    protocol: str,
    names: tuple[str, ...] = ("a", "b"),
    partitions: int = PARTITIONS,
    extra_args: tuple[str, ...] = (),
    after_kill: dict[str, tuple[str, str]] | None = None,
    victims: int = 1,
) -> tuple[int, int]:
    """Run the scenario with the instances ``names``, the last ``victims`` of them SIGKILLed
    at once; (records the survivors restored, records of the stores of the tasks that moved).
    ``after_kill``, if given, gets each survivor's output before the kill and from the kill on."""
    topics, app_id, logs, log, args = _setup(
        bootstrap,
        new_topic,
        tmp_path,
        prefix=f"standby{standbys}",
        partitions=partitions,
        standbys=standbys,
        protocol=protocol,
    )
    args = [*args, *extra_args]
    first_n = FIRST * partitions // PARTITIONS  # about 2,000 records per store partition
    started = time.monotonic()
    first = Generator(bootstrap, topics["input"], first_n, KEYS, 4.0, seed=11)
    second = Generator(bootstrap, topics["input"], SECOND, KEYS, 1.0, seed=12, first=first_n)
    every = {f"{sub}_{p}" for sub in (0, 1) for p in range(partitions)}
    killed, survivors = names[-victims:], names[:-victims]
    copies = min(standbys, len(names) - 1)  # standbys per task: at most one per other instance
    try:
        with (
            Instances(args, tmp_path / "state", logs, log) as instances,
            CommittedReader(bootstrap, topics, LONG_OUTPUTS, partitions) as reader,
        ):
            pace = Pacer(instances, reader)
            runs = {name: instances.start(name) for name in names}
            pace.until_running(list(names), 90)
            first.start()
            first.result()
            assert pace.until_complete(first_n, 90), f"first input not processed: {reader.counts()}"

            def seen() -> dict[str, tuple[set[str], set[str], int] | None]:
                return {name: _tasks(runs[name].output()) for name in names}

            def settled() -> bool:
                now = seen()
                if any(t is None or not t[0] for t in now.values()):
                    return False
                actives = [t[0] for t in now.values()]  # type: ignore[index]
                if set().union(*actives) != every or sum(map(len, actives)) != len(every):
                    return False
                if standbys == 0:
                    return not any(t[1] for t in now.values())  # type: ignore[index]
                # every task its standbys, never where it runs, all caught up
                placed = sorted(task for t in now.values() for task in t[1])  # type: ignore[index]
                return placed == sorted(list(every) * copies) and all(
                    not (t[0] & t[1]) and t[2] == 0  # type: ignore[index]
                    for t in now.values()
                )

            deadline = time.monotonic() + 60
            while not settled() and time.monotonic() < deadline:
                pace.wait(0.3)
            assert settled(), seen()
            before = seen()
            log(f"{before}; SIGKILL {', '.join(killed)}")
            killed_at = {name: len(runs[name].output()) for name in survivors}
            for victim in killed:  # at once: no rebalance between the kills
                instances.kill(victim)
            for victim in killed:
                instances.current.pop(victim)  # stays dead: no stop at the end

            def after() -> dict[str, set[str]]:
                out = {}
                for name in survivors:
                    now = _tasks(runs[name].output()[killed_at[name] :])
                    out[name] = now[0] if now else before[name][0]  # type: ignore[index]
                return out

            def taken_over() -> bool:
                owned = after()
                return set().union(*owned.values()) == every and sum(
                    map(len, owned.values())
                ) == len(every)

            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if taken_over() and all(runs[n].state() == "RUNNING" for n in survivors):
                    break
                pace.wait(0.3)
            assert taken_over(), after()
            assert all(runs[n].state() == "RUNNING" for n in survivors), "survivors run"
            moved = {
                task
                for name, owned in after().items()
                for task in owned - before[name][0]  # type: ignore[index]
            }
            restored = sum(
                int(n)
                for name in survivors
                for *_, n in _RESTORED.findall(runs[name].output()[killed_at[name] :])
            )
            changelogs = [
                (f"{app_id}-{store}-changelog", int(task.split("_")[1]))
                for task in moved
                for store in (("max",) if task.startswith("1_") else ("sum", "total", "cnt"))
            ]
            records = _committed_records(bootstrap, changelogs)
            log(f"moved {sorted(moved)}: survivors restored {restored} of their {records} records")
            for name in survivors:
                out = runs[name].output()[killed_at[name] :]
                promotion = _promotion_ms(out)
                log(f"{name}: promotion to RUNNING took {promotion} ms; {_recycled(out)} recycled")
                if after_kill is not None:
                    after_kill[name] = (runs[name].output()[: killed_at[name]], out)
            second.start()
            second.result()
            assert pace.until_complete(first_n + SECOND, 90), reader.counts()
            finish_and_verify(
                bootstrap=bootstrap,
                app_id=app_id,
                topics=topics,
                partitions=partitions,
                expected=first_n + SECOND,
                instances=instances,
                reader=reader,
                log=log,
                tmp_path=tmp_path,
                started=started,
            )
    finally:
        first.stop()
        second.stop()
    _delete_internal_topics(bootstrap, app_id)
    return restored, records


def test_a_failover_with_a_standby_restores_only_the_tail(
    kafka_bootstrap: str, new_topic: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(chaos, "APP", APPS_DIR / "standby_eos_app.py")
    (tmp_path / "with").mkdir()
    (tmp_path / "without").mkdir()
    after_kill: dict[str, tuple[str, str]] = {}
    restored, records = _failover(
        kafka_bootstrap,
        new_topic,
        tmp_path / "with",
        standbys=1,
        protocol="consumer",
        after_kill=after_kill,
    )
    assert records >= 2000, "a good amount moved"
    assert restored <= records // 10, f"restored {restored} of {records} with a standby"
    # the survivor's standbys were promoted with their stores open (recycled), not reopened
    ((before, out),) = after_kill.values()
    assert "their stores stay open" in out
    assert _recycled(out) > _recycled(before), "the promotions recycled the standbys"
    # the contrast: without standbys the survivor restores every record of the moved stores
    restored, records = _failover(
        kafka_bootstrap, new_topic, tmp_path / "without", standbys=0, protocol="classic"
    )
    assert restored == records, f"restored {restored} of {records} without a standby"


def test_a_failover_with_in_memory_stores_restores_only_the_tail(
    kafka_bootstrap: str, new_topic: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # in-memory (logged) stores are shadowed too, as in Kafka Streams: the standby keeps them
    # up to date in memory and hands them over open when promoted (an in-memory store does not
    # survive a close, so without recycling the survivor would restore every record)
    monkeypatch.setattr(chaos, "APP", APPS_DIR / "standby_eos_app.py")
    after_kill: dict[str, tuple[str, str]] = {}
    restored, records = _failover(
        kafka_bootstrap,
        new_topic,
        tmp_path,
        standbys=1,
        protocol="consumer",
        extra_args=("--in-memory",),
        after_kill=after_kill,
    )
    ((before, out),) = after_kill.values()
    state = tmp_path / "state"
    assert state.is_dir() and not list(state.rglob("rocksdb")), "every store is in memory"
    assert records >= 2000, "a good amount moved"
    assert restored <= records // 10, f"restored {restored} of {records} with a standby"
    assert _recycled(out) > _recycled(before), "the promotions recycled the standbys"


@pytest.mark.parametrize(
    ("protocol", "standbys"),
    [("consumer", 1), ("classic", 1), ("consumer", 2)],
    ids=["consumer", "classic", "consumer-two-standbys"],
)
def test_with_three_instances_the_failover_lands_on_the_standbys(
    kafka_bootstrap: str,
    new_topic: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    protocol: str,
    standbys: int,
) -> None:
    # The brokers choose the new owners (range); the standbys are placed where the range
    # assignment sends a task when its owner leaves (runtime/range_successors.py), so after a
    # SIGKILL of one of three instances every task that moved finds its standby there. With
    # num.standby.replicas=2 every task has a copy on both other instances.
    monkeypatch.setattr(chaos, "APP", APPS_DIR / "standby_eos_app.py")
    restored, records = _failover(
        kafka_bootstrap,
        new_topic,
        tmp_path,
        standbys=standbys,
        protocol=protocol,
        names=("a", "b", "c"),
        partitions=6,
    )
    assert records >= 2000, "a good amount moved"
    assert restored <= records // 10, f"restored {restored} of {records} with standbys"


def test_two_of_four_instances_killed_at_once_land_on_the_second_standbys(
    kafka_bootstrap: str, new_topic: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # num.standby.replicas=2: a task's second standby goes where the range assignment sends it
    # when its owner and one other instance leave together (range_successors.fallbacks). Two of
    # four instances SIGKILLed at once: every task that moves, the two survivors' own among
    # them, lands on a copy (with four instances and four partitions, whichever two die; with
    # the second standby on the ring instead, 1-3 tasks of most pairs would land on none), so
    # the survivors restore only the tails.
    monkeypatch.setattr(chaos, "APP", APPS_DIR / "standby_eos_app.py")
    restored, records = _failover(
        kafka_bootstrap,
        new_topic,
        tmp_path,
        standbys=2,
        protocol="consumer",
        names=("a", "b", "c", "d"),
        partitions=4,
        victims=2,
    )
    assert records >= 4000, "a good amount moved"
    assert restored <= records // 10, f"restored {restored} of {records} with two standbys"


@pytest.mark.parametrize("standbys", [1, 0], ids=["with-standbys", "without-standbys"])
def test_scaling_one_to_three_to_one_stays_exact(
    kafka_bootstrap: str,
    new_topic: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    standbys: int,
) -> None:
    # Issue 16 §6: 1 → 3 → 1 instances while input flows, exactly_once_v2 (consumer protocol),
    # with num.standby.replicas=1 and without: while three run, every task has its standby (if
    # any), never on the instance running it; the verifier stays exact through both scale steps.
    monkeypatch.setattr(chaos, "APP", APPS_DIR / "standby_eos_app.py")
    bootstrap = kafka_bootstrap
    partitions, total = 4, 6000
    topics, app_id, logs, log, args = _setup(
        bootstrap,
        new_topic,
        tmp_path,
        prefix="standby-scale",
        partitions=partitions,
        standbys=standbys,
        protocol="consumer",
    )
    started = time.monotonic()
    generator = Generator(bootstrap, topics["input"], total, 500, 25.0, seed=21)
    names = ("a", "b", "c")
    try:
        with (
            Instances(args, tmp_path / "state", logs, log) as instances,
            CommittedReader(bootstrap, topics, LONG_OUTPUTS, partitions) as reader,
        ):
            pace = Pacer(instances, reader)
            runs = {"a": instances.start("a")}
            pace.until_running(["a"], 90)
            generator.start()
            pace.wait(3)
            runs["b"], runs["c"] = instances.start("b"), instances.start("c")
            pace.until_running(list(names), 90)

            def spread() -> bool:
                seen = [_tasks(runs[n].output()) for n in names]
                if any(t is None or not t[0] for t in seen):
                    return False
                actives = [t[0] for t in seen]  # type: ignore[index]
                shadows = [t[1] for t in seen]  # type: ignore[index]
                every = set().union(*actives)
                if len(every) != 2 * partitions or sum(map(len, actives)) != len(every):
                    return False
                placed = [task for s in shadows for task in s]
                return (
                    sorted(placed) == (sorted(every) if standbys else [])  # one standby each
                    and all(not (act & sb) for act, sb in zip(actives, shadows, strict=True))
                )

            deadline = time.monotonic() + 60
            while not spread() and time.monotonic() < deadline:
                pace.wait(0.3)
            assert spread(), [_tasks(runs[n].output()) for n in names]
            log(f"three instances: {[_tasks(runs[n].output()) for n in names]}; stopping c, b")
            assert instances.stop("c") == 0
            pace.wait(2)
            assert instances.stop("b") == 0
            generator.result()
            assert pace.until_complete(total, 120), reader.counts()
            finish_and_verify(
                bootstrap=bootstrap,
                app_id=app_id,
                topics=topics,
                partitions=partitions,
                expected=total,
                instances=instances,
                reader=reader,
                log=log,
                tmp_path=tmp_path,
                started=started,
            )
    finally:
        generator.stop()
    _delete_internal_topics(bootstrap, app_id)
