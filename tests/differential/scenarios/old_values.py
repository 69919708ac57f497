"""Old values: an aggregation forwards them only when a downstream operator asks (Java's
``enableSendingOldValues``); twins in OldValueScenarios.java.

Where nothing downstream needs them (``to_stream``, ``map_values``) every update is
``Change(new, None)``; ``KTable.group_by`` (the subtractor), ``suppress`` and ``filter``
(which drops a filtered-out update that was not in the result) ask for them, and their
outputs show whether they came. The record caches read the store's old value at a flush
only then, or for a delete, and do not write the delete of what the store does not hold:
the changelogs show that.
"""

from __future__ import annotations

from typing import Any

from kstreams import (
    Grouped,
    Materialized,
    Serdes,
    SessionWindows,
    StreamsBuilder,
    TimeWindows,
)
from kstreams.dsl.suppressed import BufferConfig, Suppressed

from ..deliberate import NULL_KEYS_COUNTED
from ..harness import Deliberate, OutputRecord, pipes
from .common import SL, USERS, S
from .common import scenario as _scenario

SW = "SessionWindowed:String"


def scenario(**data: Any) -> Any:
    """A scenario whose Java twin is in ``OldValueScenarios.java``."""
    return _scenario(java_class="OldValueScenarios", **data)


def tw(size: int) -> str:
    return f"TimeWindowed:String:{size}"


# page views: keys revisited, out of order, a late record, a null key
VIEWS = [
    ("a", "p1", 0),
    ("b", "p2", 3),
    ("a", "p3", 4),
    ("a", "p1", 6),
    ("c", "p1", 11),
    ("a", "p2", 12),
    ("b", "p3", 14),
    ("b", "p1", 9),
    (None, "p9", 15),
    ("a", "p4", 25),
    ("b", "p5", 26),
    ("a", "p5", 2),  # late for every window (stream time 26, no grace)
    ("c", "p6", 27),
    ("a", "p6", 28),
]

WOUT = {"out": (tw(10), "Long")}


def _hopping(b: StreamsBuilder, materialized: Materialized) -> Any:
    return (
        b.stream("in")
        .group_by_key(Grouped.with_(Serdes.String(), Serdes.String()))
        .windowed_by(TimeWindows.of_size_with_no_grace(10).advance_by(5))
        .count(materialized)
    )


@scenario(inputs={"in": S}, steps=pipes("in", VIEWS), outputs=WOUT)
def old_values_hopping_count(b: StreamsBuilder) -> None:
    """The benchmark's shape: nothing downstream needs old values."""
    _hopping(b, Materialized.as_("hop")).to_stream().to("out", value_serde=Serdes.Long())


@scenario(inputs={"in": S}, steps=pipes("in", VIEWS), outputs=WOUT)
def old_values_hopping_count_uncached(b: StreamsBuilder) -> None:
    _hopping(b, Materialized.as_("hop").with_caching_disabled()).to_stream().to(
        "out", value_serde=Serdes.Long()
    )


@scenario(
    inputs={"in": S},
    steps=pipes("in", VIEWS),
    outputs={"out": (tw(10), "Long"), "raw": (tw(10), "Long")},
)
def old_values_hopping_count_suppressed(b: StreamsBuilder) -> None:
    """``suppress`` asks for old values (its buffer keeps each key's prior value)."""
    counts = _hopping(b, Materialized.as_("hop"))
    counts.suppress(Suppressed.until_window_closes(BufferConfig.unbounded())).to_stream().to(
        "out", value_serde=Serdes.Long()
    )
    counts.to_stream().to("raw", value_serde=Serdes.Long())


@scenario(
    inputs={"in": S},
    steps=pipes("in", VIEWS),
    outputs={"out": (tw(10), "Long"), "raw": (tw(10), "Long")},
)
def old_values_tumbling_count_filtered(b: StreamsBuilder) -> None:
    """``filter`` takes old values from an aggregation: a count of 1 that was never in the
    result is not forwarded as a tombstone."""
    counts = (
        b.stream("in")
        .group_by_key()
        .windowed_by(TimeWindows.of_size_with_no_grace(10))
        .count(Materialized.as_("tumbling"))
    )
    counts.filter(lambda k, v: v >= 2).to_stream().to("out", value_serde=Serdes.Long())
    counts.to_stream().to("raw", value_serde=Serdes.Long())


def _regrouped(b: StreamsBuilder, cached: bool) -> None:
    m = Materialized.as_("counts")
    m2 = Materialized.as_("per-count")
    if not cached:
        m, m2 = m.with_caching_disabled(), m2.with_caching_disabled()
    counts = b.stream("in").group_by_key().count(m)
    # how many keys have each count: the subtractor takes a key out of its old count
    counts.group_by(
        lambda k, v: (str(v), k), Grouped.with_(Serdes.String(), Serdes.String())
    ).count(m2).to_stream().to("out", value_serde=Serdes.Long())
    counts.to_stream().to("raw", value_serde=Serdes.Long())


REGROUP_OUT = {"out": SL, "raw": SL, "app-per-count-changelog": SL}


def _no_initializer_as_old_value(outputs: dict[str, list[OutputRecord]]) -> Any:
    """Java's uncached count forwards the initializer (0) as the old value of a new key, so
    its regrouping subtracts each new key from group "0" (which never had it): a tombstone
    of "0" per new key, in the output and the changelog. kstreams forwards no old value
    for a new key (the README's rule)."""

    def drop(records: list[OutputRecord]) -> list[OutputRecord]:
        return [r for r in records if not (r[0] == "0" and r[1] is None)]

    topics = ("out", "app-per-count-changelog")
    return {t: drop(recs) if t in topics else recs for t, recs in outputs.items()}


@scenario(inputs={"in": S}, steps=pipes("in", VIEWS), outputs=REGROUP_OUT)
def old_values_count_regrouped(b: StreamsBuilder) -> None:
    _regrouped(b, cached=True)


@scenario(
    inputs={"in": S},
    steps=pipes("in", VIEWS),
    outputs=REGROUP_OUT,
    deliberate={"outputs": Deliberate(NULL_KEYS_COUNTED, _no_initializer_as_old_value)},
)
def old_values_count_regrouped_uncached(b: StreamsBuilder) -> None:
    _regrouped(b, cached=False)


@scenario(inputs={"in": S}, steps=pipes("in", VIEWS), outputs={"out": SL, "scaled": SL})
def old_values_count_filtered(b: StreamsBuilder) -> None:
    """A filter straight after the count, and one after an unmaterialized ``map_values``
    (which passes the request for old values up to the count)."""
    counts = b.stream("in").group_by_key().count()
    counts.filter(lambda k, v: v >= 2).to_stream().to("out", value_serde=Serdes.Long())
    counts.map_values(lambda v: v * 10).filter(lambda k, v: v >= 30).to_stream().to(
        "scaled", value_serde=Serdes.Long()
    )


@scenario(
    inputs={"users": S},
    steps=pipes("users", USERS),
    outputs={
        "out": S,
        "regions": SL,
        "app-users-store-changelog": S,
        "app-regions-changelog": SL,
    },
)
def old_values_table_deletes(b: StreamsBuilder) -> None:
    """A delete of a key neither cached nor stored (u3 before it exists): not written to
    the changelog, not forwarded."""
    users = b.table("users", Materialized.as_("users-store"))
    users.to_stream().to("out")
    users.group_by(lambda k, v: (v, k)).count(Materialized.as_("regions")).to_stream().to(
        "regions", value_serde=Serdes.Long()
    )


# sessions of gap 5: "a" at 5 bridges its sessions at 0 and 10, "b" at 6 extends b's
SESSIONS = [
    ("a", "1", 0),
    ("a", "2", 10),
    ("b", "3", 3),
    ("a", "4", 5),
    ("b", "5", 6),
    ("a", "6", 30),
    ("a", "7", 22),
    ("a", "8", 26),
]


@scenario(inputs={"in": S}, steps=pipes("in", SESSIONS), outputs={"out": (SW, "Long")})
def old_values_session_count(b: StreamsBuilder) -> None:
    b.stream("in").group_by_key().windowed_by(
        SessionWindows.of_inactivity_gap_and_grace(5, 20)
    ).count(Materialized.as_("sessions")).to_stream().to("out", value_serde=Serdes.Long())


@scenario(inputs={"in": S}, steps=pipes("in", SESSIONS), outputs={"out": (SW, "Long")})
def old_values_session_count_uncached(b: StreamsBuilder) -> None:
    b.stream("in").group_by_key().windowed_by(
        SessionWindows.of_inactivity_gap_and_grace(5, 20)
    ).count(Materialized.as_("sessions").with_caching_disabled()).to_stream().to(
        "out", value_serde=Serdes.Long()
    )


@scenario(
    inputs={"in": S},
    steps=pipes("in", SESSIONS),
    outputs={"out": (SW, "Long"), "raw": (SW, "Long")},
)
def old_values_session_count_filtered(b: StreamsBuilder) -> None:
    counts = (
        b.stream("in")
        .group_by_key()
        .windowed_by(SessionWindows.of_inactivity_gap_and_grace(5, 20))
        .count(Materialized.as_("sessions").with_caching_disabled())
    )
    counts.filter(lambda k, v: v >= 2).to_stream().to("out", value_serde=Serdes.Long())
    counts.to_stream().to("raw", value_serde=Serdes.Long())
