"""Exactly-once verification of the EOS chaos app's outputs (pure functions, no Kafka).

The app (``eos_app.py``) reads ``input`` (String keys, Integer values, every value unique)
and writes, for every input record, exactly one record to each of:

* ``echo`` -- the input record itself;
* ``sum`` / ``cnt`` -- the key's running sum / count (Long), from ``group_by_key``;
* ``max`` -- the running max (Long) of the record's *group* ``regroup(key)``, computed after a
  repartition (``group_by``).

What is checked (every check lists its problems; an empty list means exact):

* ``echo``: per partition, record for record, the input partition (key, value, timestamp).
* ``sum`` / ``cnt``: per key, the sequence of outputs equals the running aggregate recomputed
  from the key's input records in input offset order (a key lives in one input partition,
  whose task aggregates it in offset order) -- one output per input record.
* ``max``: per group, the outputs are the running maxima of *some* interleaving of the
  group's per-input-partition record sequences. The repartition topic merges the
  sequences coming from the input partitions in an order nobody fixes, but each input
  partition's own order survives. So: one output per input record, each output equals
  the max over a set of input records that grows by exactly one record each time (the
  next record of one of the input partitions), and the last one is the true max.
  :func:`running_max_problem` decides whether such an interleaving exists, exactly (see
  there): no over-constraint on the interleaving, no missing or duplicated record accepted.

Messages name the topic, partition / key / group, the position of the first difference,
what was expected and what came, and (if the app tagged its records with the
``eos-run`` header) which app run wrote the offending record.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

MAX_INITIAL = -(2**63)
"""The max aggregation's initial value (Java's ``Long.MIN_VALUE``)."""

MAX_MESSAGES = 8
"""Problems reported per check at most (the first ones; the count of the rest is given)."""


@dataclass(frozen=True)
class Rec:
    """A decoded record: String key, integer value."""

    partition: int
    offset: int
    key: str
    value: int
    timestamp: int = 0
    origin: str = ""
    """Which app run wrote it (the ``eos-run`` header), when known."""

    def where(self) -> str:
        """``partition p offset o [run]``."""
        run = f" [{self.origin}]" if self.origin else ""
        return f"partition {self.partition} offset {self.offset}{run}"


def regroup(key: str, groups: int) -> str:
    """The app's re-keying for the ``max`` path: ``int(key) % groups`` as a String."""
    return str(int(key) % groups)


def by_partition(records: Iterable[Rec]) -> dict[int, list[Rec]]:
    """Records per partition, in offset order."""
    out: dict[int, list[Rec]] = defaultdict(list)
    for r in records:
        out[r.partition].append(r)
    for recs in out.values():
        recs.sort(key=lambda r: r.offset)
    return dict(out)


def _ordered(records: Iterable[Rec]) -> list[Rec]:
    return sorted(records, key=lambda r: (r.partition, r.offset))


def _cap(problems: list[str], what: str) -> list[str]:
    if len(problems) <= MAX_MESSAGES:
        return problems
    rest = len(problems) - MAX_MESSAGES
    return [*problems[:MAX_MESSAGES], f"{what}: ... and {rest} more problem(s)"]


# --------------------------------------------------------------------------- #
# The input
# --------------------------------------------------------------------------- #


def check_input(inputs: Sequence[Rec], expected: int | None = None) -> list[str]:
    """Preconditions on the input: ``expected`` records (if given), every value unique."""
    problems = []
    if expected is not None and len(inputs) != expected:
        problems.append(f"input: {len(inputs)} records, the generator wrote {expected}")
    dup = [v for v, n in Counter(r.value for r in inputs).items() if n > 1]
    if dup:
        problems.append(f"input: values are not unique (e.g. {sorted(dup)[:5]})")
    return problems


# --------------------------------------------------------------------------- #
# echo: record for record, per partition
# --------------------------------------------------------------------------- #


def _describe_extra_missing(topic: str, expected: Sequence[Rec], got: Sequence[Rec]) -> list[str]:
    """Duplicated / missing / unknown values of ``got`` against ``expected`` (unique values)."""
    want = Counter(r.value for r in expected)
    have = Counter(r.value for r in got)
    lines = []
    dups = [v for v, n in have.items() if n > want.get(v, 0) and v in want]
    if dups:
        first = sorted(dups, key=lambda v: min(r.offset for r in got if r.value == v))[:5]
        detail = "; ".join(
            f"value {v} x{have[v]} at " + ", ".join(r.where() for r in got if r.value == v)
            for v in first
        )
        lines.append(f"{topic}: {len(dups)} input record(s) written more than once: {detail}")
    missing = [r for r in expected if have.get(r.value, 0) == 0]
    if missing:
        detail = ", ".join(
            f"(key {r.key!r}, value {r.value}, input offset {r.offset})" for r in missing[:5]
        )
        lines.append(f"{topic}: {len(missing)} input record(s) never written: {detail}")
    unknown = [r for r in got if r.value not in want]
    if unknown:
        detail = ", ".join(f"(key {r.key!r}, value {r.value}, {r.where()})" for r in unknown[:5])
        lines.append(f"{topic}: {len(unknown)} record(s) that are no input record: {detail}")
    return lines


def verify_echo(inputs: Sequence[Rec], echo: Sequence[Rec], topic: str = "echo") -> list[str]:
    """``echo`` equals the input, record for record (key, value, timestamp), per partition."""
    problems: list[str] = []
    ins, outs = by_partition(inputs), by_partition(echo)
    for p in sorted(set(ins) | set(outs)):
        exp, got = ins.get(p, []), outs.get(p, [])
        for i in range(max(len(exp), len(got))):
            e = exp[i] if i < len(exp) else None
            g = got[i] if i < len(got) else None
            if e is not None and g is not None and (e.key, e.value) == (g.key, g.value):
                if e.timestamp != g.timestamp:
                    problems.append(
                        f"{topic} partition {p} position {i} ({g.where()}): key {g.key!r} value "
                        f"{g.value} has timestamp {g.timestamp}, the input record's is "
                        f"{e.timestamp}"
                    )
                    break
                continue
            hint = ""
            if g is not None and i > 0 and (g.key, g.value) == (exp[i - 1].key, exp[i - 1].value):
                hint = " (a duplicate of the previous record)"
            elif g is not None and e is not None and i + 1 < len(exp):
                nxt = exp[i + 1]
                if (g.key, g.value) == (nxt.key, nxt.value):
                    hint = f" (input record at offset {e.offset} is missing)"
            problems.append(
                f"{topic} partition {p}: {len(got)} record(s), expected {len(exp)}; first "
                f"difference at position {i}: expected "
                + (
                    "<end>"
                    if e is None
                    else f"key {e.key!r} value {e.value} (input offset {e.offset})"
                )
                + ", got "
                + ("<end>" if g is None else f"key {g.key!r} value {g.value} ({g.where()})")
                + hint
            )
            problems.extend(_describe_extra_missing(f"{topic} partition {p}", exp, got))
            break
    return _cap(problems, topic)


# --------------------------------------------------------------------------- #
# sum / cnt: running aggregates per key
# --------------------------------------------------------------------------- #


def _per_key(
    topic: str,
    inputs: Sequence[Rec],
    outputs: Sequence[Rec],
    initial: int,
    step: Callable[[int, int], int],
    problems: list[str],
) -> Iterable[tuple[str, list[tuple[int, Rec]], list[Rec]]]:
    """Per key: ``(key, [(running aggregate, input record)...], outputs)`` in input order.

    Keys whose outputs are in several partitions are reported in ``problems`` and skipped.
    """
    expected: dict[str, list[tuple[int, Rec]]] = defaultdict(list)
    agg: dict[str, int] = {}
    for r in _ordered(inputs):
        a = step(agg.get(r.key, initial), r.value)
        agg[r.key] = a
        expected[r.key].append((a, r))
    for key, out in _outputs_per_key(topic, "key", expected, outputs, problems):
        yield key, expected.get(key, []), out


def _outputs_per_key(
    topic: str, what: str, keys: Iterable[str], outputs: Sequence[Rec], problems: list[str]
) -> Iterable[tuple[str, list[Rec]]]:
    """Per key (of ``keys`` or the outputs), its outputs in order, if all in one partition.

    Keys whose outputs are in several partitions are reported in ``problems`` and skipped.
    """
    got: dict[str, list[Rec]] = defaultdict(list)
    for r in _ordered(outputs):
        got[r.key].append(r)
    for key in sorted(set(keys) | set(got), key=_key_order):
        out = got.get(key, [])
        parts = {r.partition for r in out}
        if len(parts) > 1:
            problems.append(
                f"{topic} {what} {key!r}: outputs in several partitions {sorted(parts)}"
            )
            continue
        yield key, out


def verify_running(
    topic: str,
    inputs: Sequence[Rec],
    outputs: Sequence[Rec],
    initial: int,
    step: Callable[[int, int], int],
) -> list[str]:
    """Per key: the outputs are ``agg = step(agg, value)`` over the key's inputs, in input order."""
    problems: list[str] = []
    for key, exp, out in _per_key(topic, inputs, outputs, initial, step, problems):
        for i in range(max(len(exp), len(out))):
            e = exp[i] if i < len(exp) else None
            g = out[i] if i < len(out) else None
            if e is not None and g is not None and e[0] == g.value:
                continue
            hint = ""
            if g is not None and i > 0 and g.value == exp[i - 1][0]:
                hint = " (the previous result again: a duplicated input record)"
            elif g is not None and i + 1 < len(exp) and g.value == exp[i + 1][0]:
                hint = " (the next result: an input record was skipped)"
            problems.append(
                f"{topic} key {key!r}: {len(out)} output(s), expected {len(exp)} (one per input "
                f"record); first difference at output #{i}: expected "
                + (
                    "<end>"
                    if e is None
                    else f"{e[0]} (after input value {e[1].value} at input {e[1].where()})"
                )
                + ", got "
                + ("<end>" if g is None else f"{g.value} ({g.where()})")
                + hint
            )
            break
    return _cap(problems, topic)


def _key_order(key: str) -> tuple[int, str]:
    return (int(key), key) if key.lstrip("-").isdigit() else (0, key)


def verify_sum(inputs: Sequence[Rec], outputs: Sequence[Rec], topic: str = "sum") -> list[str]:
    """Running sums per key."""
    return verify_running(topic, inputs, outputs, 0, lambda a, v: a + v)


def verify_cnt(inputs: Sequence[Rec], outputs: Sequence[Rec], topic: str = "cnt") -> list[str]:
    """Running counts per key."""
    return verify_running(topic, inputs, outputs, 0, lambda a, _v: a + 1)


def verify_cached_sum(
    inputs: Sequence[Rec], outputs: Sequence[Rec], topic: str = "total"
) -> list[str]:
    """Running sums per key through a record cache: some of them, in order, ending with the last.

    A cache forwards the latest sum of a key at each commit, so the outputs are a
    subsequence of the running sums (in input order) whose last element is the final sum.
    A record processed twice or never shifts every later sum (input values are unique)
    and fails the check.
    """
    problems: list[str] = []
    for key, running, out in _per_key(topic, inputs, outputs, 0, lambda a, v: a + v, problems):
        exp = [a for a, _ in running]
        i = 0
        for n, g in enumerate(out):
            while i < len(exp) and exp[i] != g.value:
                i += 1
            if i == len(exp):
                problems.append(
                    f"{topic} key {key!r}: output #{n} {g.value} ({g.where()}) is no running sum "
                    f"of the key after its previous output (running sums: {_preview(exp)})"
                )
                break
            i += 1
        else:
            if not out or out[-1].value != exp[-1]:
                last = "<none>" if not out else f"{out[-1].value} ({out[-1].where()})"
                problems.append(
                    f"{topic} key {key!r}: last output {last}, expected the final sum {exp[-1]}"
                )
    return _cap(problems, topic)


# --------------------------------------------------------------------------- #
# max: running max after a repartition
# --------------------------------------------------------------------------- #


def running_max_problem(
    chains: Mapping[int, Sequence[int]], outs: Sequence[int]
) -> tuple[int, str] | None:
    """Is ``outs`` the running max of some interleaving of ``chains``? None if so.

    ``chains`` maps an input partition to the values of its records (of one group), in
    offset order; values must be unique across all chains. ``outs`` is the group's output
    sequence. Otherwise returns ``(position in outs, why)`` for the first position no
    interleaving can explain (``len(outs)`` if records were never reflected).

    Why this is exact: put the records on the positions 0..n-1 of ``outs``. Where ``outs``
    rises (position 0 included) the record placed must have exactly that value -- values
    are unique, so it is one known record, pinned to that position. Elsewhere the record
    placed must not exceed the current max: a record becomes placeable once ``outs``
    reached the max of its partition prefix (a release time) and stays so. That is unit
    jobs in chains with release times, some pinned to fixed slots, which must fill every
    slot; a pinned record gives every record before it in its chain a deadline (one slot
    before the next one's). Earliest-deadline-first over the chains' heads is optimal for
    unit jobs with release times and deadlines, so if it gets stuck, no interleaving exists.
    """
    where: dict[int, tuple[int, int]] = {}
    for p, chain in chains.items():
        for idx, v in enumerate(chain):
            if v in where:
                raise ValueError(f"input value {v} is not unique (partitions {where[v][0]}, {p})")
            where[v] = (p, idx)
    n = len(where)
    pinned: dict[int, int] = {}  # position -> value
    prev: int | None = None
    for i, o in enumerate(outs):
        if prev is None or o > prev:
            pinned[i] = o
            prev = o
        elif o < prev:
            return i, f"the max went down from {prev} to {o}"
    pinned_at = {v: i for i, v in pinned.items()}
    infinity = len(outs) + n + 1
    deadline: dict[int, list[int]] = {}
    for p, chain in chains.items():
        d = infinity + 1
        dl = [0] * len(chain)
        for idx in range(len(chain) - 1, -1, -1):
            d = min(pinned_at.get(chain[idx], infinity), d - 1)
            dl[idx] = d
        deadline[p] = dl
    heads = dict.fromkeys(chains, 0)
    for i, o in enumerate(outs):
        if i in pinned:
            loc = where.get(o)
            if loc is None:
                return i, f"{o} is the value of no input record of this group"
            p, idx = loc
            h = heads[p]
            if h != idx:
                before = list(chains[p][h:idx])
                return i, (
                    f"{o} comes from input partition {p} (its record #{idx} of this group), but "
                    f"{len(before)} earlier record(s) of that partition "
                    f"{_preview(before)} are not reflected yet, and cannot all have been: "
                    f"input record(s) missing or out of order before it"
                )
            heads[p] = h + 1
        else:
            best = None
            for p, chain in chains.items():
                h = heads[p]
                if (
                    h < len(chain)
                    and chain[h] <= o
                    and (best is None or deadline[p][h] < deadline[best][heads[best]])
                ):
                    best = p
            if best is None:
                if i >= n:
                    return i, (
                        f"all {n} input records of this group are already reflected by the "
                        f"outputs before: output #{i} ({o}) is one too many (a duplicate)"
                    )
                waiting = {p: c[heads[p]] for p, c in chains.items() if heads[p] < len(c)}
                return i, (
                    f"output {o} repeats the max, but no unreflected input record of this group "
                    f"is <= {o} (next per input partition: {waiting}): a duplicated output"
                )
            heads[best] += 1
    left = {p: list(c[heads[p] :]) for p, c in chains.items() if heads[p] < len(c)}
    if left:
        count = sum(len(v) for v in left.values())
        detail = ", ".join(f"partition {p}: {_preview(v)}" for p, v in sorted(left.items()))
        return len(outs), f"{count} input record(s) of this group never reflected ({detail})"
    return None


def _preview(values: Sequence[int], n: int = 6) -> str:
    if len(values) <= n:
        return str(list(values))
    return str(list(values[:n]))[:-1] + ", ...]"


def verify_max(
    inputs: Sequence[Rec], outputs: Sequence[Rec], groups: int, topic: str = "max"
) -> list[str]:
    """Per group: one output per input record, the running max of an interleaving (see module)."""
    problems: list[str] = []
    chains: dict[str, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    value_rec: dict[int, Rec] = {}
    for r in _ordered(inputs):
        chains[regroup(r.key, groups)][r.partition].append(r.value)
        value_rec[r.value] = r
    for g, out in _outputs_per_key(topic, "group", chains, outputs, problems):
        group_chains = chains.get(g, {})
        expected_n = sum(len(c) for c in group_chains.values())
        try:
            found = running_max_problem(group_chains, [r.value for r in out])
        except ValueError as exc:  # input values not unique: the check does not apply
            problems.append(f"{topic} group {g!r}: not checked: {exc}")
            continue
        if found is None:
            continue
        pos, why = found
        at = f"output #{pos} ({out[pos].where()})" if pos < len(out) else "the end"
        true_max = max((v for c in group_chains.values() for v in c), default=None)
        last = out[-1].value if out else None
        problems.append(
            f"{topic} group {g!r}: {len(out)} output(s), expected {expected_n} (one per input "
            f"record); last {last}, true max {true_max}; first problem at {at}: {why}"
        )
    return _cap(problems, topic)


# --------------------------------------------------------------------------- #
# Everything
# --------------------------------------------------------------------------- #


def verify_all(
    inputs: Sequence[Rec],
    outputs: Mapping[str, Sequence[Rec]],
    groups: int,
    expected_inputs: int | None = None,
) -> list[str]:
    """Every check; ``outputs`` maps ``echo``/``sum``/``cnt``/``max`` to their records."""
    problems = check_input(inputs, expected_inputs)
    problems += verify_echo(inputs, outputs.get("echo", ()))
    problems += verify_sum(inputs, outputs.get("sum", ()))
    problems += verify_cnt(inputs, outputs.get("cnt", ()))
    problems += verify_max(inputs, outputs.get("max", ()), groups)
    if "total" in outputs:
        problems += verify_cached_sum(inputs, outputs["total"])
    return problems


def summary(inputs: Sequence[Rec], outputs: Mapping[str, Sequence[Rec]]) -> str:
    """Record counts per topic and partition, for reports."""
    lines = []
    for name, recs in [("input", inputs), *outputs.items()]:
        counts = Counter(r.partition for r in recs)
        per = ", ".join(f"p{p}={counts[p]}" for p in sorted(counts))
        lines.append(f"{name}: {len(recs)} ({per})")
    return "; ".join(lines)
