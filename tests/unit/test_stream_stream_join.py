"""KStream-KStream joins through the TopologyTestDriver: Kafka Streams' own test cases, ported.

The cases of KStreamKStreamJoinTest, KStreamKStreamLeftJoinTest, KStreamKStreamOuterJoinTest
and KStreamKStreamSelfJoinTest with their expected records (key, value, timestamp), as Java
asserts them; plus emission on window close with the emit interval, late records, null keys,
a joiner with the key, a joiner that mutates its arguments, and a restart from the state
directory. The same topologies run against Java's driver in tests/differential (stream_joins).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from kstreams import JoinWindows, Serdes, StreamJoined, StreamsBuilder
from kstreams.testing import TopologyTestDriver

CONFIG = {
    "application.id": "join-test",
    "default.key.serde": Serdes.String,
    "default.value.serde": Serdes.String,
}


def tostring(v1: Any, v2: Any) -> str:
    """``MockValueJoiner.TOSTRING_JOINER``."""
    return f"{'null' if v1 is None else v1}+{'null' if v2 is None else v2}"


class Join:
    """A join of ``topic1`` (Integer, String) and ``topic2`` (Integer, String or Long) in a driver."""

    def __init__(
        self,
        kind: str,
        windows: JoinWindows,
        right_serde: Any = None,
        config: dict[str, Any] | None = None,
        joiner: Callable[..., Any] = tostring,
    ) -> None:
        right_serde = right_serde or Serdes.String()
        b = StreamsBuilder()
        s1 = b.stream("topic1", key_serde=Serdes.Integer(), value_serde=Serdes.String())
        s2 = b.stream("topic2", key_serde=Serdes.Integer(), value_serde=right_serde)
        joined = getattr(s1, kind)(
            s2,
            joiner,
            windows,
            StreamJoined.with_(Serdes.Integer(), Serdes.String(), right_serde),
        )
        joined.to("out", key_serde=Serdes.Integer(), value_serde=Serdes.String())
        self.topology = b.build()
        self.driver = TopologyTestDriver(self.topology, {**CONFIG, **(config or {})})
        self.t1 = self.driver.create_input_topic("topic1", Serdes.Integer(), Serdes.String())
        self.t2 = self.driver.create_input_topic("topic2", Serdes.Integer(), right_serde)
        self.out = self.driver.create_output_topic("out", Serdes.Integer(), Serdes.String())

    def results(self) -> list[tuple[Any, Any, int]]:
        return [(r.key, r.value, r.timestamp) for r in self.out.read_records_to_list()]


@pytest.fixture
def joins() -> Iterator[Callable[..., Join]]:
    made: list[Join] = []

    def make(*args: Any, **kwargs: Any) -> Join:
        j = Join(*args, **kwargs)
        made.append(j)
        return j

    yield make
    for j in made:
        j.driver.close()


KEYS = [0, 1, 2, 3]


def test_inner_join(joins: Callable[..., Join]) -> None:
    # KStreamKStreamJoinTest.testJoin
    j = joins("join", JoinWindows.of_time_difference_with_no_grace(100))
    for k in KEYS[:2]:
        j.t1.pipe_input(k, f"A{k}", 0)
    assert j.results() == []
    for k in KEYS[:2]:
        j.t2.pipe_input(k, f"a{k}", 0)
    assert j.results() == [(0, "A0+a0", 0), (1, "A1+a1", 0)]
    for k in KEYS:
        j.t1.pipe_input(k, f"B{k}", 0)
    assert j.results() == [(0, "B0+a0", 0), (1, "B1+a1", 0)]
    for k in KEYS:
        j.t2.pipe_input(k, f"b{k}", 0)
    assert j.results() == [
        (0, "A0+b0", 0),
        (0, "B0+b0", 0),
        (1, "A1+b1", 0),
        (1, "B1+b1", 0),
        (2, "B2+b2", 0),
        (3, "B3+b3", 0),
    ]
    for k in KEYS:
        j.t1.pipe_input(k, f"C{k}", 0)
    assert j.results() == [
        (0, "C0+a0", 0),
        (0, "C0+b0", 0),
        (1, "C1+a1", 0),
        (1, "C1+b1", 0),
        (2, "C2+b2", 0),
        (3, "C3+b3", 0),
    ]
    for k in KEYS[:2]:
        j.t2.pipe_input(k, f"c{k}", 0)
    assert j.results() == [
        (0, "A0+c0", 0),
        (0, "B0+c0", 0),
        (0, "C0+c0", 0),
        (1, "A1+c1", 0),
        (1, "B1+c1", 0),
        (1, "C1+c1", 0),
    ]


def test_the_window_bounds_are_inclusive_and_the_timestamp_is_the_larger(
    joins: Callable[..., Join],
) -> None:
    # KStreamKStreamJoinTest.testWindowing (a part): the left records at 1000
    j = joins("join", JoinWindows.of_time_difference_and_grace(100, 1000))
    for k in KEYS:
        j.t1.pipe_input(k, f"A{k}", 1000)
    for k in KEYS:  # 899 .. 902: key 0 is 101 ms before
        j.t2.pipe_input(k, f"a{k}", 899 + k)
    assert j.results() == [(1, "A1+a1", 1000), (2, "A2+a2", 1000), (3, "A3+a3", 1000)]
    for k in KEYS:  # 1097 .. 1100: all within 100 ms after
        j.t2.pipe_input(k, f"b{k}", 1097 + k)
    assert j.results() == [(k, f"A{k}+b{k}", 1097 + k) for k in KEYS]
    for k in KEYS:  # 1100 .. 1103: only key 0 (1100) is in
        j.t2.pipe_input(k, f"c{k}", 1100 + k)
    assert j.results() == [(0, "A0+c0", 1100)]


@pytest.mark.parametrize(
    ("windows", "joined_keys"),
    [
        # KStreamKStreamJoinTest.testAsymmetricWindowingAfter: [t, t + 100]
        (JoinWindows.of_time_difference_and_grace(0, 1000).after(100), [1, 2, 3]),
        # testAsymmetricWindowingBefore: [t - 100, t]
        (JoinWindows.of_time_difference_and_grace(0, 1000).before(100), [0, 1]),
    ],
)
def test_asymmetric_windows(
    joins: Callable[..., Join], windows: JoinWindows, joined_keys: list[int]
) -> None:
    j = joins("join", windows)
    for k in KEYS:
        j.t1.pipe_input(k, f"A{k}", 1000)
    # the right records at 999 + k: key 0 is 1 ms before, key 1 at the same time, 2 and 3 after
    for k in KEYS:
        j.t2.pipe_input(k, f"a{k}", 999 + k)
    assert j.results() == [(k, f"A{k}+a{k}", max(1000, 999 + k)) for k in joined_keys]


def test_outer_join_ordering(joins: Callable[..., Join]) -> None:
    # KStreamKStreamOuterJoinTest.testOrdering
    j = joins("outer_join", JoinWindows.of_time_difference_with_no_grace(100), Serdes.Long())
    j.t1.pipe_input(0, "A0", 0)
    j.t1.pipe_input(1, "A1", 100)
    assert j.results() == []
    j.t2.pipe_input(1, 11, 110)
    assert j.results() == [(0, "A0+null", 0), (1, "A1+11", 110)]


def test_outer_join_grace_period(joins: Callable[..., Join]) -> None:
    # KStreamKStreamOuterJoinTest.testGracePeriod
    j = joins("outer_join", JoinWindows.of_time_difference_and_grace(100, 10), Serdes.Long())
    j.t1.pipe_input(0, "A0", 0)
    j.t2.pipe_input(1, 11, 0)
    assert j.results() == []
    j.t1.pipe_input(1, "A1", 101)
    j.t2.pipe_input(0, 10, 101)
    assert j.results() == []  # the windows ended but have not closed
    j.t2.pipe_input(0, 100, 112)
    # store order: by timestamp, the right side before the left
    assert j.results() == [(1, "null+11", 0), (0, "A0+null", 0)]


def test_left_join_grace_period(joins: Callable[..., Join]) -> None:
    # KStreamKStreamLeftJoinTest.testGracePeriod
    j = joins("left_join", JoinWindows.of_time_difference_and_grace(100, 10))
    j.t1.pipe_input(0, "A0", 0)
    j.t2.pipe_input(1, "a1", 0)
    j.t1.pipe_input(1, "A1", 101)
    j.t2.pipe_input(0, "a0", 101)
    assert j.results() == []
    j.t2.pipe_input(0, "a0-2", 112)
    assert j.results() == [(0, "A0+null", 0)]  # right records are never emitted alone


def test_left_join_emits_only_left_unmatched_records(joins: Callable[..., Join]) -> None:
    # testRightNonJoinedRecordsAreNeverEmittedByTheLeftProcessor / ...ByTheRightProcessor
    j = joins("left_join", JoinWindows.of_time_difference_with_no_grace(100))
    j.t2.pipe_input(0, "a0", 0)
    j.t1.pipe_input(1, "A1", 0)
    j.t1.pipe_input(2, "A2", 201)  # closes the windows: A1 is emitted by the left processor
    assert j.results() == [(1, "A1+null", 0)]
    j.t1.pipe_input(3, "A3", 202)
    j.t2.pipe_input(4, "a4", 500)  # the right processor emits A2 and A3
    assert j.results() == [(2, "A2+null", 201), (3, "A3+null", 202)]


def test_a_matched_record_is_not_emitted_unmatched_later(joins: Callable[..., Join]) -> None:
    j = joins("outer_join", JoinWindows.of_time_difference_with_no_grace(10))
    j.t1.pipe_input(1, "A1", 0)
    j.t2.pipe_input(1, "a1", 5)
    j.t1.pipe_input(2, "A2", 100)
    j.t2.pipe_input(2, "a2", 200)
    assert j.results() == [(1, "A1+a1", 5), (2, "A2+null", 100)]


def test_left_join_with_zero_after_emits_on_close(joins: Callable[..., Join]) -> None:
    # KStreamKStreamLeftJoinTest.testLeftJoinedRecordsWithZeroAfterAreEmitted
    j = joins("left_join", JoinWindows.of_time_difference_with_no_grace(100).after(0))
    for k in KEYS:  # each record closes the window of the one before
        j.t1.pipe_input(k, f"A{k}", 1000 + k)
    assert j.results() == [(0, "A0+null", 1000), (1, "A1+null", 1001), (2, "A2+null", 1002)]
    for k in KEYS:  # 999: in every window [t - 100, t]
        j.t2.pipe_input(k, f"a{k}", 999)
    assert j.results() == [(k, f"A{k}+a{k}", 1000 + k) for k in KEYS]
    for k in KEYS:
        j.t2.pipe_input(k, f"b{k}", 1000)
    assert j.results() == [(k, f"A{k}+b{k}", 1000 + k) for k in KEYS]
    for k in KEYS:
        j.t2.pipe_input(k, f"c{k}", 1001)
    assert j.results() == [(k, f"A{k}+c{k}", 1000 + k) for k in KEYS[1:]]
    for k in KEYS:
        j.t2.pipe_input(k, f"d{k}", 1002)
    assert j.results() == [(k, f"A{k}+d{k}", 1000 + k) for k in KEYS[2:]]
    for k in KEYS:
        j.t2.pipe_input(k, f"e{k}", 1003)
    assert j.results() == [(3, "A3+e3", 1003)]
    for k in KEYS:
        j.t2.pipe_input(k, f"f{k}", 1100)
    assert j.results() == []


def test_unmatched_records_wait_for_the_emit_interval(joins: Callable[..., Join]) -> None:
    j = joins(
        "left_join",
        JoinWindows.of_time_difference_with_no_grace(10),
        config={"__emit.interval.ms.kstreams.outer.join.spurious.results.fix__": 1000},
    )
    j.t1.pipe_input(1, "A1", 0)  # the first record scans the (empty) store, as in Java
    j.t1.pipe_input(2, "A2", 5)
    j.t1.pipe_input(3, "A3", 20)  # A1 and A2 closed, but the next scan is a second away
    assert j.results() == []
    j.driver.advance_wall_clock_time(1000)
    j.t1.pipe_input(4, "A4", 40)
    assert j.results() == [(1, "A1+null", 0), (2, "A2+null", 5), (3, "A3+null", 20)]
    j.t1.pipe_input(5, "A5", 60)  # within the second again
    assert j.results() == []


def test_out_of_order_records_outside_the_window_are_emitted_at_once(
    joins: Callable[..., Join],
) -> None:
    # KStreamKStreamLeftJoinTest.testLowerWindowBound's case: the window has passed already
    j = joins("outer_join", JoinWindows.of_time_difference_with_no_grace(5))
    j.t1.pipe_input(1, "A1", 100)
    j.t2.pipe_input(2, "a2", 10)  # 10 + 5 < 100: no partner can come
    assert j.results() == [(2, "null+a2", 10)]


def test_null_keys_and_values(joins: Callable[..., Join]) -> None:
    inner = joins("join", JoinWindows.of_time_difference_with_no_grace(10))
    outer = joins("outer_join", JoinWindows.of_time_difference_with_no_grace(10))
    left = joins("left_join", JoinWindows.of_time_difference_with_no_grace(10))
    for j in (inner, outer, left):
        j.t1.pipe_input(None, "n1", 0)
        j.t2.pipe_input(None, "n2", 0)
        j.t1.pipe_input(1, None, 0)
        j.t2.pipe_input(1, None, 0)
    metrics = [j.driver.metrics()["dropped-records-total"] for j in (inner, outer, left)]
    # KIP-962: an outer side forwards a null-key record at once; null values are dropped
    assert inner.results() == []
    assert outer.results() == [(None, "n1+null", 0), (None, "null+n2", 0)]
    assert left.results() == [(None, "n1+null", 0)]
    assert metrics == [4, 2, 3]


def test_late_records_are_counted_by_the_window_store(joins: Callable[..., Join]) -> None:
    # each window store expires by the time of its own puts; a record too late for its store
    # (its segment is gone) is counted there, and still joined with what the other store holds
    j = joins("join", JoinWindows.of_time_difference_with_no_grace(100))
    j.t1.pipe_input(1, "A1", 0)
    j.t2.pipe_input(9, "z", 300_000)  # the right store's segments of [0, 60000) expire
    j.t2.pipe_input(1, "late", 20)
    assert j.results() == [(1, "A1+late", 20)]
    assert j.driver.metrics()["dropped-records-total"] == 1
    j.t1.pipe_input(1, "A1-again", 30)  # the late right record was not stored
    assert j.results() == []


def test_joiner_with_key(joins: Callable[..., Join]) -> None:
    j = joins(
        "outer_join",
        JoinWindows.of_time_difference_with_no_grace(10),
        joiner=lambda key, v1, v2: f"{key}:{v1}/{v2}",
    )
    j.t1.pipe_input(1, "A", 0)
    j.t2.pipe_input(1, "a", 3)
    j.t2.pipe_input(2, "b", 4)
    j.t1.pipe_input(3, "C", 100)
    assert j.results() == [(1, "1:A/a", 3), (2, "2:None/b", 4)]


def test_a_joiner_changing_its_arguments_does_not_change_the_stores() -> None:
    b = StreamsBuilder()
    j = Serdes.JSON()
    seen: list[Any] = []

    def joiner(v1: dict[str, Any], v2: dict[str, Any]) -> dict[str, Any]:
        seen.append((dict(v1), dict(v2)))
        v1["changed"] = True
        v2["changed"] = True
        return {"n": v1["n"], "m": v2["m"]}

    b.stream("l", value_serde=j).join(
        b.stream("r", value_serde=j),
        joiner,
        JoinWindows.of_time_difference_with_no_grace(10),
        StreamJoined.with_(Serdes.String(), j, j),
    ).to("out", value_serde=j)
    with TopologyTestDriver(b.build(), CONFIG) as driver:
        left = driver.create_input_topic("l", Serdes.String(), j)
        right = driver.create_input_topic("r", Serdes.String(), j)
        out = driver.create_output_topic("out", Serdes.String(), j)
        left.pipe_input("k", {"n": 1}, 0)
        right.pipe_input("k", {"m": 1}, 1)  # the joiner changes the record it got as input
        left.pipe_input("k", {"n": 2}, 2)  # ... and here reads it back from the store
        right.pipe_input("k", {"m": 2}, 3)
        assert [r.value for r in out.read_records_to_list()] == [
            {"n": 1, "m": 1},
            {"n": 2, "m": 1},
            {"n": 1, "m": 2},
            {"n": 2, "m": 2},
        ]
    # what came from a store is what was written; the record being joined is one object for
    # all its matches (the last call sees the change the one before made), as in Kafka Streams
    assert seen == [
        ({"n": 1}, {"m": 1}),
        ({"n": 2}, {"m": 1}),
        ({"n": 1}, {"m": 2}),
        ({"n": 2}, {"m": 2, "changed": True}),
    ]


def _self_join_driver(kind: str, windows: JoinWindows) -> tuple[TopologyTestDriver, Any, Any]:
    b = StreamsBuilder()
    s = b.stream("in")
    getattr(s, kind)(s, lambda a, c: f"{a}|{c}", windows).to("out")
    driver = TopologyTestDriver(b.build(), CONFIG)
    return (
        driver,
        driver.create_input_topic("in", Serdes.String(), Serdes.String()),
        driver.create_output_topic("out", Serdes.String(), Serdes.String()),
    )


def test_self_join() -> None:
    # KStreamKStreamSelfJoinTest.shouldMatchInnerJoinWithSelfJoinWithSingleStream: a record
    # joins itself and the earlier records, in both orders
    driver, inp, out = _self_join_driver("join", JoinWindows.of_time_difference_with_no_grace(10))
    with driver:
        inp.pipe_input("A", "1", 0)
        assert out.read_key_values_to_list() == [("A", "1|1")]
        inp.pipe_input("A", "2", 5)
        assert [(r.value, r.timestamp) for r in out.read_records_to_list()] == [
            ("2|1", 5),
            ("1|2", 5),
            ("2|2", 5),
        ]
        inp.pipe_input("B", "3", 100)
        assert out.read_key_values_to_list() == [("B", "3|3")]


def test_restart_keeps_the_join_stores() -> None:
    def topology() -> Any:
        b = StreamsBuilder()
        b.stream("l").outer_join(
            b.stream("r"),
            lambda a, c: f"{a}|{c}",
            JoinWindows.of_time_difference_with_no_grace(100),
        ).to("out")
        return b.build()

    with tempfile.TemporaryDirectory() as state:
        config = {**CONFIG, "state.dir": state}
        with TopologyTestDriver(topology(), config) as first:
            first.create_input_topic("l", Serdes.String(), Serdes.String()).pipe_input("k", "L1", 0)
            first.create_input_topic("r", Serdes.String(), Serdes.String()).pipe_input(
                "x", "R1", 10
            )
        with TopologyTestDriver(topology(), config) as second:
            r = second.create_input_topic("r", Serdes.String(), Serdes.String())
            out = second.create_output_topic("out", Serdes.String(), Serdes.String())
            r.pipe_input("k", "R2", 50)  # joins L1 from the window store of the first run
            assert out.read_key_values_to_list() == [("k", "L1|R2")]
            r.pipe_input("z", "R3", 500)  # closes R1's window: from the outer-join store
            assert [(r.key, r.value, r.timestamp) for r in out.read_records_to_list()] == [
                ("x", "None|R1", 10)
            ]
