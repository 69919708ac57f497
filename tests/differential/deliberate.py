"""The README's deliberate differences as rules: Java's result -> what kstreams gives by them.

Each helper returns ``Deliberate`` entries for a scenario's ``deliberate=``; the headings they
name are the sections of DIFFERENCES.md.
"""

from __future__ import annotations

from typing import Any

from .harness import Deliberate, OutputRecord

ALWAYS_MATERIALIZED = "Source tables are always materialized"
OLD_VALUES = "KTable operators always carry old values"


def materialized_table(node: str, store: str) -> dict[str, Deliberate]:
    """An unnamed source table (or to_table) that Java leaves unmaterialized: kstreams lists its
    store in ``describe()`` and writes its changelog."""
    return {
        "describe": Deliberate(
            ALWAYS_MATERIALIZED,
            lambda text: text.replace(
                f"Processor: {node} (stores: [])", f"Processor: {node} (stores: [{store}])"
            ),
        ),
        "produced_topics": Deliberate(
            ALWAYS_MATERIALIZED, lambda topics: sorted([*topics, f"app-{store}-changelog"])
        ),
    }


NULL_KEYS_COUNTED = "Null-key records dropped before a repartition topic are counted"


def null_keys_counted(n: int) -> dict[str, Deliberate]:
    """``n`` records whose new key is null: kstreams counts them in dropped-records-total before
    the repartition topic, Java's repartition filter drops them silently."""
    return {"dropped_records": Deliberate(NULL_KEYS_COUNTED, lambda dropped: dropped + n)}


def _without_redundant_tombstones(records: list[OutputRecord]) -> list[OutputRecord]:
    """Java's KTable filter without old values forwards a tombstone for every filtered-out
    update; kstreams only for a key whose last forwarded value was not null."""
    last: dict[Any, Any] = {}
    kept = []
    for rec in records:
        key, value = rec[0], rec[1]
        if value is None and last.get(key) is None:
            continue
        last[key] = value
        kept.append(rec)
    return kept


LATEST_PER_COMMIT = "Changelogs get the latest value per key at each commit"


def latest_per_commit(topic: str) -> Deliberate:
    """Java logs every update of an uncached store; kstreams the latest per key per commit. The
    driver commits after each input record: here runs of one key with the timestamp of one
    input record."""

    def collapse(records: list[OutputRecord]) -> list[OutputRecord]:
        kept: list[OutputRecord] = []
        for rec in records:
            if kept and (kept[-1][0], kept[-1][2]) == (rec[0], rec[2]):
                kept[-1] = rec
            else:
                kept.append(rec)
        return kept

    return Deliberate(
        LATEST_PER_COMMIT, lambda outputs: {**outputs, topic: collapse(outputs[topic])}
    )


def filter_tombstones(topic: str) -> Deliberate:
    return Deliberate(
        OLD_VALUES,
        lambda outputs: {
            **outputs,
            topic: _without_redundant_tombstones(outputs[topic]),
        },
    )
