"""The README's deliberate differences as rules: Java's result -> what kstreams gives by them.

Each helper returns ``Deliberate`` entries for a scenario's ``deliberate=``; the headings they
name are the sections of DIFFERENCES.md.
"""

from __future__ import annotations

from .harness import Deliberate, OutputRecord

NULL_KEYS_COUNTED = "Null-key records dropped before a repartition topic are counted"


def null_keys_counted(n: int) -> dict[str, Deliberate]:
    """``n`` records whose new key is null: kstreams counts them in dropped-records-total before
    the repartition topic, Java's repartition filter drops them silently."""
    return {"dropped_records": Deliberate(NULL_KEYS_COUNTED, lambda dropped: dropped + n)}


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
