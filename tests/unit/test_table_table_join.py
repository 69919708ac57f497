"""KTable-KTable joins through the TopologyTestDriver: Kafka Streams' KTableKTableInnerJoinTest,
KTableKTableLeftJoinTest and KTableKTableOuterJoinTest as data.

Each case pipes the same eight phases into ``topic1`` / ``topic2`` and checks, phase by phase,
the ``Change(new, old)`` records and timestamps a processor under the joined table receives
(Java's ``MockApiProcessor.checkAndClearProcessResult``), with the joined table sending old
values or not, and the result unmaterialized, materialized with a record cache, or without.
"""

from __future__ import annotations

from typing import Any

import pytest

from kstreams import Materialized, Serdes, StreamsBuilder
from kstreams.processor.api import Processor
from kstreams.testing import TopologyTestDriver

CONFIG = {
    "application.id": "table-table-join",
    "default.key.serde": Serdes.Integer,
    "default.value.serde": Serdes.String,
}
KEYS = [0, 1, 2, 3]

Phase = list[tuple[str, Any, Any, int]]

PHASES: list[Phase] = [
    # two items to the primary table, the other is empty; a null key (dropped by the source)
    [("topic1", k, f"X{k}", 5 + k) for k in KEYS[:2]] + [("topic1", None, "SomeVal", 42)],
    # two items to the other table; a null key
    [("topic2", k, f"Y{k}", 10 * k) for k in KEYS[:2]] + [("topic2", None, "AnotherVal", 73)],
    [("topic1", k, f"XX{k}", 7) for k in KEYS],
    [("topic2", k, f"YY{k}", 5 * k) for k in KEYS],
    [("topic1", k, f"XXX{k}", 6) for k in KEYS],
    # deletes on the other table
    [("topic2", 0, None, 5), ("topic2", 1, None, 7)],
    [("topic1", k, f"XXXX{k}", 13) for k in KEYS],
    # deletes on the primary table
    [
        ("topic1", 0, None, 0),
        ("topic1", 1, None, 42),
        ("topic1", 2, None, 5),
        ("topic1", 3, None, 20),
    ],
]

# (key, new, old, timestamp) per phase, with old values sent
INNER = [
    [],
    [(0, "X0+Y0", None, 5), (1, "X1+Y1", None, 10)],
    [(0, "XX0+Y0", "X0+Y0", 7), (1, "XX1+Y1", "X1+Y1", 10)],
    [
        (0, "XX0+YY0", "XX0+Y0", 7),
        (1, "XX1+YY1", "XX1+Y1", 7),
        (2, "XX2+YY2", None, 10),
        (3, "XX3+YY3", None, 15),
    ],
    [
        (0, "XXX0+YY0", "XX0+YY0", 6),
        (1, "XXX1+YY1", "XX1+YY1", 6),
        (2, "XXX2+YY2", "XX2+YY2", 10),
        (3, "XXX3+YY3", "XX3+YY3", 15),
    ],
    [(0, None, "XXX0+YY0", 6), (1, None, "XXX1+YY1", 7)],
    [(2, "XXXX2+YY2", "XXX2+YY2", 13), (3, "XXXX3+YY3", "XXX3+YY3", 15)],
    [(2, None, "XXXX2+YY2", 10), (3, None, "XXXX3+YY3", 20)],
]

LEFT = [
    [(0, "X0+null", None, 5), (1, "X1+null", None, 6)],
    [(0, "X0+Y0", "X0+null", 5), (1, "X1+Y1", "X1+null", 10)],
    [
        (0, "XX0+Y0", "X0+Y0", 7),
        (1, "XX1+Y1", "X1+Y1", 10),
        (2, "XX2+null", None, 7),
        (3, "XX3+null", None, 7),
    ],
    [
        (0, "XX0+YY0", "XX0+Y0", 7),
        (1, "XX1+YY1", "XX1+Y1", 7),
        (2, "XX2+YY2", "XX2+null", 10),
        (3, "XX3+YY3", "XX3+null", 15),
    ],
    INNER[4],
    [(0, "XXX0+null", "XXX0+YY0", 6), (1, "XXX1+null", "XXX1+YY1", 7)],
    [
        (0, "XXXX0+null", "XXX0+null", 13),
        (1, "XXXX1+null", "XXX1+null", 13),
        (2, "XXXX2+YY2", "XXX2+YY2", 13),
        (3, "XXXX3+YY3", "XXX3+YY3", 15),
    ],
    [
        (0, None, "XXXX0+null", 0),
        (1, None, "XXXX1+null", 42),
        (2, None, "XXXX2+YY2", 10),
        (3, None, "XXXX3+YY3", 20),
    ],
]

OUTER = [
    *LEFT[:7],
    [
        (0, None, "XXXX0+null", 0),
        (1, None, "XXXX1+null", 42),
        (2, "null+YY2", "XXXX2+YY2", 10),
        (3, "null+YY3", "XXXX3+YY3", 20),
    ],
]

EXPECTED = {"join": INNER, "left_join": LEFT, "outer_join": OUTER}


def plus(a: Any, b: Any) -> str:
    """Java's MockValueJoiner.TOSTRING_JOINER: ``a + "+" + b`` with null as "null"."""
    return f"{'null' if a is None else a}+{'null' if b is None else b}"


class Capture(Processor):
    """Java's MockApiProcessor: records (key, new, old, timestamp) of each Change it gets."""

    seen: list[tuple[Any, Any, Any, int]]

    def __init__(self, sink: list[tuple[Any, Any, Any, int]]) -> None:
        self.seen = sink

    def process(self, record: Any) -> None:
        change = record.value
        self.seen.append((record.key, change.new_value, change.old_value, record.timestamp))


MATERIALIZATIONS = {
    "unmaterialized": None,
    "cached": Materialized.with_(Serdes.Integer(), Serdes.String()),
    "uncached": Materialized.as_("joined").with_caching_disabled(),
}


def _joined(how: str, materialized: Materialized | None) -> tuple[StreamsBuilder, Any]:
    b = StreamsBuilder()
    t1 = b.table("topic1")
    t2 = b.table("topic2")
    args = () if materialized is None else (materialized,)
    return b, getattr(t1, how)(t2, plus, *args)


def _run_phases(b: StreamsBuilder, joined: Any) -> list[list[tuple[Any, Any, Any, int]]]:
    seen: list[tuple[Any, Any, Any, int]] = []
    topology = b.build()
    topology.add_processor("proc", lambda: Capture(seen), joined.name)
    got = []
    with TopologyTestDriver(topology, CONFIG) as driver:
        topics = {
            t: driver.create_input_topic(t, Serdes.Integer(), Serdes.String())
            for t in ("topic1", "topic2")
        }
        for phase in PHASES:
            for topic, key, value, ts in phase:
                topics[topic].pipe_input(key, value, ts)
            got.append(list(seen))
            seen.clear()
    return got


@pytest.mark.parametrize("materialized", list(MATERIALIZATIONS))
@pytest.mark.parametrize("how", list(EXPECTED))
def test_sending_old_values(how: str, materialized: str) -> None:
    b, joined = _joined(how, MATERIALIZATIONS[materialized])
    assert joined._enable_sending_old_values(True)
    assert _run_phases(b, joined) == EXPECTED[how]


@pytest.mark.parametrize("materialized", list(MATERIALIZATIONS))
@pytest.mark.parametrize("how", list(EXPECTED))
def test_not_sending_old_values(how: str, materialized: str) -> None:
    b, joined = _joined(how, MATERIALIZATIONS[materialized])
    expected = [[(k, new, None, ts) for k, new, _, ts in phase] for phase in EXPECTED[how]]
    if how == "join":
        # without old values an inner join cannot tell a delete of a result from a delete
        # of nothing: with the other row present, both are forwarded as Change(None, None)
        assert expected[5] == [(0, None, None, 6), (1, None, None, 7)]
    assert _run_phases(b, joined) == expected


@pytest.mark.parametrize("how", list(EXPECTED))
def test_to_stream_output_and_copartitioning(how: str) -> None:
    """The joined table as a stream: a delete becomes a tombstone; one sub-topology reads
    both topics (co-partitioned, checked at start-up)."""
    b, joined = _joined(how, None)
    joined.to_stream().to("output")
    topology = b.build()
    (sub,) = topology.subtopologies()
    assert set(sub.source_topics) == {"topic1", "topic2"}
    with TopologyTestDriver(topology, CONFIG) as driver:
        topics = {
            t: driver.create_input_topic(t, Serdes.Integer(), Serdes.String())
            for t in ("topic1", "topic2")
        }
        out = driver.create_output_topic("output", Serdes.Integer(), Serdes.String())
        for phase in PHASES:
            for topic, key, value, ts in phase:
                topics[topic].pipe_input(key, value, ts)
        got = [(r.key, r.value, r.timestamp) for r in out.read_records_to_list()]
    assert got == [(k, new, ts) for phase in EXPECTED[how] for k, new, _, ts in phase]


def test_queryable_result_store() -> None:
    b, joined = _joined("outer_join", Materialized.as_("joined"))
    assert joined.queryable_store_name == "joined"
    with TopologyTestDriver(b.build(), CONFIG) as driver:
        topics = {
            t: driver.create_input_topic(t, Serdes.Integer(), Serdes.String())
            for t in ("topic1", "topic2")
        }
        for phase in PHASES:
            for topic, key, value, ts in phase:
                topics[topic].pipe_input(key, value, ts)
        store = driver.get_timestamped_key_value_store("joined")
        rows = {k: (v.value, v.timestamp) for k, v in store.all()}
    assert rows == {2: ("null+YY2", 10), 3: ("null+YY3", 20)}


def test_join_names_and_stores_in_describe() -> None:
    b = StreamsBuilder()
    t1 = b.table("topic1")
    t2 = b.table("topic2")
    from kstreams import Named

    t1.left_join(t2, plus, Named.as_("enrich"), Materialized.as_("enriched"))
    text = str(b.build().describe())
    assert "Processor: enrich-join-this (stores: [topic2-STATE-STORE-0000000003])" in text
    assert "Processor: enrich-join-other (stores: [topic1-STATE-STORE-0000000000])" in text
    assert "Processor: enrich (stores: [enriched])" in text
    assert "<-- enrich-join-this, enrich-join-other" in text
