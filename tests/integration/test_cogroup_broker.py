"""A cogroup of two topics under exactly_once_v2 across restarts (real broker).

Deposits and withdrawals (two topics, two partitions each) are cogrouped into one balance per
account (``apps/cogroup_app.py``): one store for both inputs, its changelog written in the
same transactions as the output. Read ``read_committed``, the output must be exact: per
account, one update per input record, each moving exactly one of the two counters by one from
the update before, the last one the totals.

* A clean restart on an empty state directory: the second instance restores the store from
  its changelog (interactive queries answer the totals before any new record) and goes on.
* A SIGKILL while input keeps arriving, restarted on the same state directory: what the
  aborted transaction wrote to the store and the output is gone, nothing is counted twice.
"""

from __future__ import annotations

import os
import random
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest
from apps.cogroup_app import topology
from helpers import AppProcess, TopicReader, app_topics, delete_topics, unique_app_id

from kstreams import Serdes
from kstreams.serde import JsonSerde

pytestmark = pytest.mark.integration

J = JsonSerde()
ACCOUNTS = [f"acct-{i}" for i in range(6)]
CONFIG: dict[str, Any] = {
    "processing.guarantee": "exactly_once_v2",
    "default.key.serde": Serdes.String,
    "default.value.serde": Serdes.String,
    "poll.ms": 50,
}


def rows(start: int, n: int) -> list[tuple[str, str]]:
    return [(ACCOUNTS[i % len(ACCOUNTS)], str(i + 1)) for i in range(start, start + n)]


def expected_totals(
    deposits: list[tuple[str, str]], withdrawals: list[tuple[str, str]]
) -> dict[str, dict[str, int]]:
    totals: dict[str, dict[str, int]] = defaultdict(
        lambda: {"deposits": 0, "withdrawals": 0, "total": 0}
    )
    for account, amount in deposits:
        totals[account]["deposits"] += 1
        totals[account]["total"] += int(amount)
    for account, amount in withdrawals:
        totals[account]["withdrawals"] += 1
        totals[account]["total"] -= int(amount)
    return dict(totals)


def check_exact(updates: list[tuple[str, dict[str, int]]], expected: dict[str, Any]) -> None:
    """Each account's updates step one counter by one from the previous; the last is the totals."""
    per_account: dict[str, list[dict[str, int]]] = defaultdict(list)
    for account, balance in updates:
        per_account[account].append(balance)
    assert set(per_account) == set(expected)
    for account, balances in per_account.items():
        previous = {"deposits": 0, "withdrawals": 0}
        for balance in balances:
            steps = (
                balance["deposits"] - previous["deposits"],
                balance["withdrawals"] - previous["withdrawals"],
            )
            assert steps in ((1, 0), (0, 1)), (account, previous, balance)
            previous = balance
        assert balances[-1] == expected[account], account
        count = expected[account]["deposits"] + expected[account]["withdrawals"]
        assert len(balances) == count, f"{account}: {len(balances)} updates for {count} records"


def test_a_cogroup_restores_its_store_and_stays_exact_under_eos(
    new_topic, produce, read_topic, streams_app
) -> None:
    deposits, withdrawals, out = (new_topic(partitions=2) for _ in range(3))
    first_d, first_w = rows(0, 30), rows(100, 24)
    second_d, second_w = rows(30, 30), rows(124, 24)

    def updates() -> list[tuple[str, dict[str, int]]]:
        return read_topic(out, key_serde=Serdes.String(), value_serde=J)

    app = streams_app(topology(deposits, withdrawals, out), CONFIG)
    produce(deposits, first_d)
    produce(withdrawals, first_w)
    n_first = len(first_d) + len(first_w)
    app.run_until(lambda: len(updates()) >= n_first, what=lambda: f"{n_first} updates")
    totals = expected_totals(first_d, first_w)
    store = app.streams.store("balances")
    assert {a: store.get(a) for a in ACCOUNTS} == totals
    app.close()
    check_exact(updates(), totals)

    restarted = streams_app(
        topology(deposits, withdrawals, out), {**CONFIG, "application.id": app.application_id}
    )
    assert restarted.config["state.dir"] != app.config["state.dir"]
    restored = restarted.streams.store("balances")
    assert {a: restored.get(a) for a in ACCOUNTS} == totals  # from the changelog
    produce(deposits, second_d)
    produce(withdrawals, second_w)
    n_all = n_first + len(second_d) + len(second_w)
    restarted.run_until(lambda: len(updates()) >= n_all, what=lambda: f"{n_all} updates")
    totals = expected_totals(first_d + second_d, first_w + second_w)
    assert {a: restored.get(a) for a in ACCOUNTS} == totals
    restarted.close()
    final = updates()
    assert len(final) == n_all, Counter(a for a, _ in final)
    check_exact(final, totals)


@pytest.mark.slow
def test_a_cogroup_stays_exact_across_a_sigkill_under_eos(
    kafka_bootstrap: str, new_topic, produce, tmp_path: Path
) -> None:
    seed = int(os.environ.get("KSTREAMS_TEST_SEED", time.time_ns() % 1_000_000))
    rng = random.Random(seed)
    deposits, withdrawals, out = (new_topic(partitions=2) for _ in range(3))
    app_id = unique_app_id("cogroup-eos")
    chunks = [(rows(i * 40, 40), rows(10_000 + i * 30, 30)) for i in range(12)]
    kill_after = rng.randrange(2, 7)
    state = tmp_path / "state"

    def app(log: str) -> AppProcess:
        return AppProcess(
            "cogroup_app.py",
            kafka_bootstrap,
            app_id,
            deposits,
            withdrawals,
            out,
            str(state),
            log_path=tmp_path / log,
        )

    def send(chunk: tuple[list[tuple[str, str]], list[tuple[str, str]]]) -> None:
        produce(deposits, chunk[0])
        produce(withdrawals, chunk[1])

    all_d = [r for d, _ in chunks for r in d]
    all_w = [r for _, w in chunks for r in w]
    try:
        with TopicReader(kafka_bootstrap, out) as reader:  # read_committed
            first = app("1.log")
            with first:
                first.wait_for_line("STATE RUNNING")
                for chunk in chunks[: kill_after + 1]:
                    send(chunk)
                    time.sleep(0.1)
                reader.wait_for(1, timeout=60, what="some balances before the kill")
                time.sleep(rng.uniform(0.0, 0.3))
                first.kill()
                assert first.returncode == -9, first.output[-3000:]
            before = len(reader.records)
            second = app("2.log")
            with second:
                second.wait_for_line("STATE RUNNING", timeout=90)
                for chunk in chunks[kill_after + 1 :]:
                    send(chunk)
                    time.sleep(0.02)
                n = len(all_d) + len(all_w)
                reader.wait_for(
                    n, timeout=120, what=f"{n} balances (seed {seed}, {before} before the kill)"
                )
                reader.settle_committed(app_id, [deposits, withdrawals])
                assert second.stop() == 0, second.output[-3000:]
        updates = [(r.key_str, J.deserialize(out, r.value)) for r in reader.records]
        assert len(updates) == n, f"seed {seed}: {len(updates)} updates for {n} records"
        check_exact(updates, expected_totals(all_d, all_w))
    finally:
        delete_topics(kafka_bootstrap, app_topics(kafka_bootstrap, app_id))
