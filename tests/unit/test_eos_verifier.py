"""The EOS chaos test's verifier (``tests/integration/eos/verifier.py``) can fail, and is exact.

A simulated correct run passes; a run that processed an input record twice, or skipped one,
or wrote a wrong aggregate, fails with a message that points at the record. The running-max
check is compared with a brute force over every interleaving on small cases.
"""

from __future__ import annotations

import importlib.util
import itertools
import random
import sys
from collections import defaultdict
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[1] / "integration" / "eos" / "verifier.py"
_spec = importlib.util.spec_from_file_location("eos_verifier", _PATH)
assert _spec is not None and _spec.loader is not None
verifier = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = verifier
_spec.loader.exec_module(verifier)

Rec = verifier.Rec
GROUPS = 3
PARTITIONS = 4


# --------------------------------------------------------------------------- #
# A simulated app
# --------------------------------------------------------------------------- #


def make_inputs(n: int = 400, keys: int = 20, seed: int = 1) -> list[Rec]:
    """``n`` records, random keys, value = sequence number, partition = key % 4."""
    rng = random.Random(seed)
    offsets = [0] * PARTITIONS
    out = []
    for i in range(n):
        key = rng.randrange(keys)
        p = key % PARTITIONS
        out.append(Rec(p, offsets[p], str(key), i, 1000 + i))
        offsets[p] += 1
    return out


class Writer:
    """Assigns offsets per output partition."""

    def __init__(self) -> None:
        self.records: list[Rec] = []
        self.offsets: dict[int, int] = defaultdict(int)

    def write(self, partition: int, key: str, value: int, ts: int) -> None:
        self.records.append(Rec(partition, self.offsets[partition], key, value, ts))
        self.offsets[partition] += 1


def simulate(processed: list[Rec], seed: int = 7) -> dict[str, list[Rec]]:
    """What the app writes when its tasks process ``processed`` (per partition, in this order).

    The ``max`` path merges each group's records from the input partitions in a random
    interleaving (as the repartition topic does).
    """
    rng = random.Random(seed)
    echo, sums, cnts, maxes = Writer(), Writer(), Writer(), Writer()
    s: dict[str, int] = defaultdict(int)
    c: dict[str, int] = defaultdict(int)
    chains: dict[str, dict[int, list[Rec]]] = defaultdict(lambda: defaultdict(list))
    for r in processed:
        echo.write(r.partition, r.key, r.value, r.timestamp)
        s[r.key] += r.value
        sums.write(r.partition, r.key, s[r.key], r.timestamp)
        c[r.key] += 1
        cnts.write(r.partition, r.key, c[r.key], r.timestamp)
        chains[verifier.regroup(r.key, GROUPS)][r.partition].append(r)
    for g, per_partition in sorted(chains.items()):
        queues = {p: list(q) for p, q in per_partition.items()}
        m = verifier.MAX_INITIAL
        while queues:
            p = rng.choice(sorted(queues))
            r = queues[p].pop(0)
            if not queues[p]:
                del queues[p]
            m = max(m, r.value)
            maxes.write(int(g) % PARTITIONS, g, m, r.timestamp)
    return {"echo": echo.records, "sum": sums.records, "cnt": cnts.records, "max": maxes.records}


def _ordered(recs: list[Rec]) -> list[Rec]:
    return sorted(recs, key=lambda r: (r.partition, r.offset))


def _replace(recs: list[Rec], index: int, **changes: object) -> list[Rec]:
    out = list(recs)
    r = out[index]
    out[index] = Rec(
        r.partition,
        r.offset,
        changes.get("key", r.key),  # type: ignore[arg-type]
        changes.get("value", r.value),  # type: ignore[arg-type]
        r.timestamp,
    )
    return out


def _renumber(recs: list[Rec]) -> list[Rec]:
    """Offsets 0.. per partition again, in list order."""
    w = Writer()
    for r in recs:
        w.write(r.partition, r.key, r.value, r.timestamp)
    return w.records


@pytest.fixture
def inputs() -> list[Rec]:
    return make_inputs()


# --------------------------------------------------------------------------- #
# Passes on correct data
# --------------------------------------------------------------------------- #


def test_correct_run_passes(inputs: list[Rec]) -> None:
    outputs = simulate(_ordered(inputs))
    assert verifier.verify_all(inputs, outputs, GROUPS, expected_inputs=len(inputs)) == []


@pytest.mark.parametrize("seed", range(30))
def test_any_repartition_interleaving_passes(seed: int) -> None:
    inputs = make_inputs(300, keys=12, seed=seed)
    outputs = simulate(_ordered(inputs), seed=seed)
    assert verifier.verify_max(inputs, outputs["max"], GROUPS) == []


def test_input_order_across_partitions_does_not_matter(inputs: list[Rec]) -> None:
    # the tasks of different partitions run independently: any global order is fine
    shuffled = sorted(inputs, key=lambda r: (r.offset, -r.partition))
    assert verifier.verify_all(inputs, simulate(shuffled), GROUPS) == []


# --------------------------------------------------------------------------- #
# Fails on duplicates, missing records and wrong aggregates
# --------------------------------------------------------------------------- #


def test_duplicated_processing_fails_everywhere(inputs: list[Rec]) -> None:
    ordered = _ordered(inputs)
    dup_at = 150
    processed = [*ordered[: dup_at + 1], ordered[dup_at], *ordered[dup_at + 1 :]]
    outputs = simulate(processed)
    victim = ordered[dup_at]
    problems = verifier.verify_all(inputs, outputs, GROUPS)
    text = "\n".join(problems)
    for topic in ("echo", "sum", "cnt", "max"):
        assert any(p.startswith(topic) for p in problems), (topic, text)
    assert f"echo partition {victim.partition}" in text
    assert "duplicate" in text
    assert f"value {victim.value} x2" in text
    assert f"sum key {victim.key!r}" in text
    assert f"cnt key {victim.key!r}" in text
    assert f"max group {verifier.regroup(victim.key, GROUPS)!r}" in text


def test_missing_processing_fails_everywhere(inputs: list[Rec]) -> None:
    ordered = _ordered(inputs)
    gone = ordered[222]
    outputs = simulate([r for r in ordered if r is not gone])
    problems = verifier.verify_all(inputs, outputs, GROUPS)
    text = "\n".join(problems)
    for topic in ("echo", "sum", "cnt", "max"):
        assert any(p.startswith(topic) for p in problems), (topic, text)
    assert "never written" in text
    assert f"value {gone.value}, input offset {gone.offset}" in text
    assert f"sum key {gone.key!r}" in text
    assert "never reflected" in text or "not reflected" in text


@pytest.mark.parametrize("topic", ["echo", "sum", "cnt", "max"])
def test_duplicated_output_record_fails(inputs: list[Rec], topic: str) -> None:
    outputs = simulate(_ordered(inputs))
    recs = _ordered(outputs[topic])
    i = len(recs) // 2
    outputs[topic] = _renumber([*recs[: i + 1], recs[i], *recs[i + 1 :]])
    problems = verifier.verify_all(inputs, outputs, GROUPS)
    assert problems and all(p.startswith(topic) for p in problems), problems


@pytest.mark.parametrize("topic", ["echo", "sum", "cnt", "max"])
@pytest.mark.parametrize("where", ["first", "middle", "last"])
def test_missing_output_record_fails(inputs: list[Rec], topic: str, where: str) -> None:
    outputs = simulate(_ordered(inputs))
    recs = _ordered(outputs[topic])
    i = {"first": 0, "middle": len(recs) // 2, "last": len(recs) - 1}[where]
    outputs[topic] = _renumber(recs[:i] + recs[i + 1 :])
    problems = verifier.verify_all(inputs, outputs, GROUPS)
    assert problems and all(p.startswith(topic) for p in problems), problems


@pytest.mark.parametrize("topic", ["sum", "cnt"])
def test_wrong_aggregate_fails(inputs: list[Rec], topic: str) -> None:
    outputs = simulate(_ordered(inputs))
    recs = _ordered(outputs[topic])
    outputs[topic] = _replace(recs, 77, value=recs[77].value + 1)
    problems = verifier.verify_all(inputs, outputs, GROUPS)
    assert len(problems) == 1 and problems[0].startswith(f"{topic} key {recs[77].key!r}")
    assert f"got {recs[77].value + 1}" in problems[0]


def test_wrong_max_fails(inputs: list[Rec]) -> None:
    outputs = simulate(_ordered(inputs))
    recs = _ordered(outputs["max"])
    # a value no input of the group has
    bad = _replace(recs, 50, value=recs[50].value + 10_000)
    problems = verifier.verify_max(inputs, bad, GROUPS)
    assert problems and "max group" in problems[0]
    # the max going down
    low = _replace(recs, len(recs) - 1, value=-5)
    assert verifier.verify_max(inputs, low, GROUPS)
    # the last rise of a group's max flattened: its max ends short of the true max
    g = recs[-1].key
    of_g = [i for i, r in enumerate(recs) if r.key == g]
    last_rise = max(b for a, b in itertools.pairwise(of_g) if recs[b].value > recs[a].value)
    prev = max(i for i in of_g if i < last_rise)
    short = recs
    for i in of_g:
        if i >= last_rise:
            short = _replace(short, i, value=recs[prev].value)
    problems = verifier.verify_max(inputs, short, GROUPS)
    assert problems and f"max group {g!r}" in problems[0], problems


def test_wrong_key_fails(inputs: list[Rec]) -> None:
    outputs = simulate(_ordered(inputs))
    recs = _ordered(outputs["echo"])
    outputs["echo"] = _replace(recs, 5, key="999")
    assert verifier.verify_echo(inputs, outputs["echo"])


def test_echo_out_of_order_fails(inputs: list[Rec]) -> None:
    outputs = simulate(_ordered(inputs))
    recs = _ordered(outputs["echo"])
    i = next(i for i in range(len(recs) - 1) if recs[i].partition == recs[i + 1].partition)
    swapped = [*recs[:i], recs[i + 1], recs[i], *recs[i + 2 :]]
    problems = verifier.verify_echo(inputs, _renumber(swapped))
    assert problems and f"position {recs[i].offset}" in problems[0]


def test_echo_timestamp_checked(inputs: list[Rec]) -> None:
    outputs = simulate(_ordered(inputs))
    recs = _ordered(outputs["echo"])
    r = recs[3]
    recs[3] = Rec(r.partition, r.offset, r.key, r.value, r.timestamp + 1)
    problems = verifier.verify_echo(inputs, recs)
    assert problems and "timestamp" in problems[0]


def test_input_values_must_be_unique() -> None:
    recs = [Rec(0, 0, "1", 5), Rec(0, 1, "1", 5)]
    assert verifier.check_input(recs)
    assert verifier.check_input(recs[:1], expected=2)
    with pytest.raises(ValueError):
        verifier.running_max_problem({0: [5], 1: [5]}, [5, 5])


# --------------------------------------------------------------------------- #
# running_max_problem is exact: brute force on small cases
# --------------------------------------------------------------------------- #


def _all_running_maxes(chains: dict[int, list[int]]) -> set[tuple[int, ...]]:
    labels = [p for p, c in chains.items() for _ in c]
    seen = set()
    for order in set(itertools.permutations(labels)):
        pos = dict.fromkeys(chains, 0)
        m = verifier.MAX_INITIAL
        out = []
        for p in order:
            m = max(m, chains[p][pos[p]])
            pos[p] += 1
            out.append(m)
        seen.add(tuple(out))
    return seen


@pytest.mark.parametrize("seed", range(12))
def test_running_max_check_matches_brute_force(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(40):
        k = rng.randint(1, 3)
        sizes = [rng.randint(0, 3) for _ in range(k)]
        values = rng.sample(range(1, 20), sum(sizes))
        chains: dict[int, list[int]] = {}
        at = 0
        for p, size in enumerate(sizes):
            chains[p] = values[at : at + size]
            at += size
        valid = _all_running_maxes(chains)
        candidates = set(valid)
        pool = [*values, 0, 25]
        n = len(values)
        for _ in range(60):
            length = max(0, n + rng.choice([-1, 0, 0, 0, 1]))
            candidates.add(tuple(sorted(rng.choice(pool) for _ in range(length))))
        for good in list(valid)[:10]:
            for i in range(len(good)):
                for v in pool:
                    candidates.add((*good[:i], v, *good[i + 1 :]))
        for outs in candidates:
            found = verifier.running_max_problem(chains, list(outs))
            assert (found is None) == (outs in valid), (chains, outs, found)


# --------------------------------------------------------------------------- #
# total: running sums through a record cache (some of them, ending with the last)
# --------------------------------------------------------------------------- #


def cached(sums: list[Rec], keep_every: int, seed: int = 3) -> list[Rec]:
    """What a record cache forwards of ``sums``: a random subset per key, always the last."""
    rng = random.Random(seed)
    last = {r.key: r for r in _ordered(sums)}
    kept = [r for r in _ordered(sums) if last[r.key] is r or rng.randrange(keep_every) == 0]
    return _renumber(kept)


@pytest.mark.parametrize("keep_every", [1, 3, 1000])
def test_cached_sums_pass(inputs: list[Rec], keep_every: int) -> None:
    outputs = simulate(_ordered(inputs))
    outputs["total"] = cached(outputs["sum"], keep_every)
    assert verifier.verify_all(inputs, outputs, GROUPS) == []


def test_cached_sums_fail_on_duplicated_or_missing_processing(inputs: list[Rec]) -> None:
    ordered = _ordered(inputs)
    victim = ordered[150]
    for processed in (
        [*ordered[:151], victim, *ordered[151:]],
        [r for r in ordered if r is not victim],
    ):
        total = cached(simulate(processed)["sum"], 3)
        problems = verifier.verify_cached_sum(inputs, total)
        assert problems and problems[0].startswith(f"total key {victim.key!r}"), problems


def test_cached_sums_fail_without_the_final_sum(inputs: list[Rec]) -> None:
    sums = simulate(_ordered(inputs))["sum"]
    recs = _ordered(cached(sums, 2))
    last = max(i for i, r in enumerate(recs) if r.key == recs[0].key)
    problems = verifier.verify_cached_sum(inputs, _renumber(recs[:last] + recs[last + 1 :]))
    assert problems and "expected the final sum" in problems[0], problems


def test_cached_sums_fail_out_of_order(inputs: list[Rec]) -> None:
    recs = _ordered(simulate(_ordered(inputs))["sum"])
    key = recs[0].key
    mine = [i for i, r in enumerate(recs) if r.key == key]
    a, b = mine[0], mine[1]
    recs[a], recs[b] = recs[b], recs[a]
    problems = verifier.verify_cached_sum(inputs, _renumber(recs))
    assert problems and "is no running sum" in problems[0], problems
