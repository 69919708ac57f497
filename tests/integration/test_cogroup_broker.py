"""A cogroup of two topics under exactly_once_v2, restarted on an empty state directory (real broker).

Deposits and withdrawals (two topics, two partitions each) are cogrouped into one balance per
account: one store for both inputs, its changelog written in the same transactions as the
output. The first instance processes half the input and closes; a second instance of the same
application, on an empty state directory, restores the store from its changelog and processes
the rest. Read ``read_committed``, the output must be exact: per account, one update per input
record, each moving exactly one of the two counters by one from the update before, and the
last one the totals; interactive queries of the restored store answer the same.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import pytest

from kstreams import Materialized, Serdes, StreamsBuilder, Topology
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


def topology(deposits: str, withdrawals: str, out: str) -> Topology:
    def deposit(account: str, amount: str, balance: dict[str, int]) -> dict[str, int]:
        balance["deposits"] += 1  # mutated in place, as Python code does
        balance["total"] += int(amount)
        return balance

    def withdraw(account: str, amount: str, balance: dict[str, int]) -> dict[str, int]:
        balance["withdrawals"] += 1
        balance["total"] -= int(amount)
        return balance

    b = StreamsBuilder()
    (
        b.stream(deposits)
        .group_by_key()
        .cogroup(deposit)
        .cogroup(b.stream(withdrawals).group_by_key(), withdraw)
        .aggregate(
            lambda: {"deposits": 0, "withdrawals": 0, "total": 0},
            Materialized.as_("balances").with_value_serde(J).with_caching_disabled(),
        )
        .to_stream()
        .to(out, value_serde=J)
    )
    return b.build()


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
