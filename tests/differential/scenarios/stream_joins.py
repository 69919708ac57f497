"""KStream-KStream joins (inner, left, outer); twins in StreamJoinScenarios.java.

Ported as data from Kafka Streams' KStreamKStreamJoinTest, KStreamKStreamLeftJoinTest,
KStreamKStreamOuterJoinTest and KStreamKStreamSelfJoinTest (Integer keys, String and Long
values, ``MockValueJoiner.TOSTRING_JOINER``), and extended with out-of-order and late
records, null keys and values, grace periods, asymmetric windows, named and repartitioned
joins, in-memory store suppliers, headers, a joiner with the key, a joiner that mutates its
(JSON) arguments, the stores' changelog bytes and describe().
"""

from __future__ import annotations

from typing import Any

from kstreams import JoinWindows, Serdes, StreamJoined, StreamsBuilder
from kstreams.state import Stores

from ..harness import Pipe
from .common import S, js, scenario

JOINS = "StreamJoinScenarios"
IS = ("Integer", "String")
IL = ("Integer", "Long")


def tostring(v1: Any, v2: Any) -> str:
    """Kafka Streams' ``MockValueJoiner.TOSTRING_JOINER``: ``value1 + "+" + value2``."""
    return f"{js(v1)}+{js(v2)}"


def _int_streams(b: StreamsBuilder) -> tuple[Any, Any]:
    return (
        b.stream("left", key_serde=Serdes.Integer(), value_serde=Serdes.String()),
        b.stream("right", key_serde=Serdes.Integer(), value_serde=Serdes.Long()),
    )


def _typed() -> StreamJoined:
    return StreamJoined.with_(Serdes.Integer(), Serdes.String(), Serdes.Long())


def _out(stream: Any) -> None:
    stream.to("out", key_serde=Serdes.Integer(), value_serde=Serdes.String())


def _int_topics() -> dict[str, tuple[str, str]]:
    return {"left": IS, "right": IL}


def left(key: Any, value: Any, ts: int) -> Pipe:
    return Pipe("left", key, value, ts)


def right(key: Any, value: Any, ts: int) -> Pipe:
    return Pipe("right", key, value, ts)


# -- KStreamKStreamJoinTest.testJoin / testOuterJoin / testWindowing (as data) -----------------

# keys 0..3 on both sides, duplicates, every key joining several records; times inside 100 ms
JOIN_STEPS = [
    left(0, "A0", 0),
    left(1, "A1", 0),
    right(0, 0, 0),
    right(1, 1, 0),
    left(0, "X0", 0),
    left(1, "X1", 0),
    left(2, "X2", 0),
    left(3, "X3", 0),
    right(0, 10, 0),
    right(1, 11, 0),
    right(2, 12, 0),
    right(3, 13, 0),
    left(2, "Y2", 0),
    right(4, 14, 0),
    left(4, "Y4", 0),
]

# KStreamKStreamJoinTest.testWindowing: records of the other side at every distance from
# the left records' time (1000): the window bounds are inclusive
WINDOW_STEPS = [
    *(left(k, f"A{k}", 1000) for k in range(4)),
    *(right(k, 100 + k, 899 + k) for k in range(4)),  # 899..902: 0 is 101 ms early
    *(right(k, 200 + k, 1097 + k) for k in range(4)),  # 1097..1100: 3 is exactly 100 after
    *(right(k, 300 + k, 1100 + k) for k in range(4)),  # 1100..1103: only 0 joins
    left(0, "B0", 1200),
    right(1, 401, 1101),
    left(1, "B1", 1201),
]


@scenario(
    inputs=_int_topics(),
    steps=JOIN_STEPS,
    outputs={"out": IS},
    java_class=JOINS,
)
def ss_inner_join(b: StreamsBuilder) -> None:
    s1, s2 = _int_streams(b)
    _out(s1.join(s2, tostring, JoinWindows.of_time_difference_with_no_grace(100), _typed()))


@scenario(
    inputs=_int_topics(),
    steps=WINDOW_STEPS,
    outputs={"out": IS},
    java_class=JOINS,
)
def ss_inner_join_windowing(b: StreamsBuilder) -> None:
    s1, s2 = _int_streams(b)
    _out(s1.join(s2, tostring, JoinWindows.of_time_difference_and_grace(100, 50), _typed()))


@scenario(
    inputs=_int_topics(),
    steps=WINDOW_STEPS,
    outputs={"out": IS},
    java_class=JOINS,
)
def ss_inner_join_after(b: StreamsBuilder) -> None:
    s1, s2 = _int_streams(b)
    windows = JoinWindows.of_time_difference_and_grace(0, 50).after(100)
    _out(s1.join(s2, tostring, windows, _typed()))


@scenario(
    inputs=_int_topics(),
    steps=WINDOW_STEPS,
    outputs={"out": IS},
    java_class=JOINS,
)
def ss_inner_join_before(b: StreamsBuilder) -> None:
    s1, s2 = _int_streams(b)
    windows = JoinWindows.of_time_difference_and_grace(0, 50).before(100)
    _out(s1.join(s2, tostring, windows, _typed()))


# -- left and outer joins: emission on window close ---------------------------------------

# KStreamKStreamOuterJoinTest.testOrdering + testGracePeriod + the left/right expiry tests:
# non-joined records wait for their window to close; later records close it from either side
CLOSE_STEPS = [
    left(0, "A0", 0),
    left(1, "A1", 100),
    right(1, 11, 110),  # closes A0's window (0 + 100 < 110): A0+null first, then A1+11
    right(2, 12, 120),
    left(3, "A3", 130),
    right(0, 10, 150),  # 0: A0 already emitted -> an outer result null+10 later
    left(2, "A2", 250),  # 2 is 130 ms after right 2: no join; right 2 waits
    right(3, 13, 229),  # joins A3 (99 ms apart)
    left(4, "A4", 300),
    right(4, 14, 401),  # 101 ms after A4: no join
    left(5, "A5", 600),  # closes everything before 500
    right(5, 15, 700),
    left(9, "Z", 1000),
]

GRACE_STEPS = [
    left(0, "A0", 0),
    right(1, 11, 0),
    left(1, "A1", 101),
    right(0, 10, 101),  # windows ended, not closed (grace 10)
    right(0, 100, 112),  # closes both
    left(2, "late", 5),  # out of order: 5 + 100 < 112, forwarded at once on a left side
    right(2, 22, 6),  # joins "late"
    left(3, "B3", 200),
    right(3, 33, 95),  # too early for B3: outer at once (95 + 100 < 200)
    left(9, "end", 400),
]


def _left(windows: JoinWindows) -> Any:
    def build(b: StreamsBuilder) -> None:
        s1, s2 = _int_streams(b)
        _out(s1.left_join(s2, tostring, windows, _typed()))

    return build


def _outer(windows: JoinWindows) -> Any:
    def build(b: StreamsBuilder) -> None:
        s1, s2 = _int_streams(b)
        _out(s1.outer_join(s2, tostring, windows, _typed()))

    return build


@scenario(inputs=_int_topics(), steps=JOIN_STEPS, outputs={"out": IS}, java_class=JOINS)
def ss_left_join(b: StreamsBuilder) -> None:
    _left(JoinWindows.of_time_difference_with_no_grace(100))(b)


@scenario(inputs=_int_topics(), steps=CLOSE_STEPS, outputs={"out": IS}, java_class=JOINS)
def ss_left_join_ordering(b: StreamsBuilder) -> None:
    _left(JoinWindows.of_time_difference_with_no_grace(100))(b)


@scenario(inputs=_int_topics(), steps=GRACE_STEPS, outputs={"out": IS}, java_class=JOINS)
def ss_left_join_grace(b: StreamsBuilder) -> None:
    _left(JoinWindows.of_time_difference_and_grace(100, 10))(b)


@scenario(inputs=_int_topics(), steps=WINDOW_STEPS, outputs={"out": IS}, java_class=JOINS)
def ss_left_join_windowing(b: StreamsBuilder) -> None:
    _left(JoinWindows.of_time_difference_and_grace(100, 50))(b)


@scenario(inputs=_int_topics(), steps=CLOSE_STEPS, outputs={"out": IS}, java_class=JOINS)
def ss_left_join_after_zero(b: StreamsBuilder) -> None:
    # KStreamKStreamLeftJoinTest.testLeftJoinedRecordsWithZeroAfterAreEmitted
    _left(JoinWindows.of_time_difference_with_no_grace(100).after(0))(b)


@scenario(inputs=_int_topics(), steps=CLOSE_STEPS, outputs={"out": IS}, java_class=JOINS)
def ss_left_join_asymmetric(b: StreamsBuilder) -> None:
    # KStreamKStreamLeftJoinTest.shouldNotEmitLeftJoinResultForAsymmetricWindow
    _left(JoinWindows.of_time_difference_with_no_grace(0).before(100))(b)


@scenario(inputs=_int_topics(), steps=JOIN_STEPS, outputs={"out": IS}, java_class=JOINS)
def ss_outer_join(b: StreamsBuilder) -> None:
    _outer(JoinWindows.of_time_difference_with_no_grace(100))(b)


@scenario(inputs=_int_topics(), steps=CLOSE_STEPS, outputs={"out": IS}, java_class=JOINS)
def ss_outer_join_ordering(b: StreamsBuilder) -> None:
    _outer(JoinWindows.of_time_difference_with_no_grace(100))(b)


@scenario(inputs=_int_topics(), steps=GRACE_STEPS, outputs={"out": IS}, java_class=JOINS)
def ss_outer_join_grace(b: StreamsBuilder) -> None:
    _outer(JoinWindows.of_time_difference_and_grace(100, 10))(b)


@scenario(inputs=_int_topics(), steps=WINDOW_STEPS, outputs={"out": IS}, java_class=JOINS)
def ss_outer_join_windowing(b: StreamsBuilder) -> None:
    _outer(JoinWindows.of_time_difference_and_grace(100, 50))(b)


@scenario(inputs=_int_topics(), steps=CLOSE_STEPS, outputs={"out": IS}, java_class=JOINS)
def ss_outer_join_before(b: StreamsBuilder) -> None:
    # KStreamKStreamOuterJoinTest.testShouldNotEmitLeftJoinResultForAsymmetricBeforeWindow
    _outer(JoinWindows.of_time_difference_with_no_grace(0).before(100))(b)


@scenario(inputs=_int_topics(), steps=CLOSE_STEPS, outputs={"out": IS}, java_class=JOINS)
def ss_outer_join_after(b: StreamsBuilder) -> None:
    # KStreamKStreamOuterJoinTest.testShouldNotEmitLeftJoinResultForAsymmetricAfterWindow
    _outer(JoinWindows.of_time_difference_with_no_grace(0).after(100))(b)


@scenario(inputs=_int_topics(), steps=CLOSE_STEPS, outputs={"out": IS}, java_class=JOINS)
def ss_outer_join_asymmetric(b: StreamsBuilder) -> None:
    # KStreamKStreamOuterJoinTest.testEmitAllNonJoinedResultsForAsymmetricWindow
    _outer(JoinWindows.of_time_difference_with_no_grace(5).before(200))(b)


# -- null keys and values, late records -----------------------------------------------------

NULL_STEPS = [
    left(None, "n1", 0),  # left/outer: joiner(null, v, null) at once; inner: dropped
    right(None, 5, 0),  # outer: null+5 at once; inner/left: dropped
    left(1, None, 1),  # null values: dropped everywhere
    right(1, None, 1),
    left(1, "A1", 2),
    right(1, 11, 3),
    left(2, "A2", 10),
    left(None, "n2", 500),
    right(7, 77, 600),
]

# late records: a record whose segment has expired is counted by the window store (and still
# joined with what the other store holds); segments are 60 s, retention 200 ms
LATE_STEPS = [
    left(1, "A1", 0),
    right(1, 10, 50),
    left(2, "A2", 100),
    right(9, 90, 200_000),  # stream time 200000: the first segments expire
    left(1, "late", 10),  # too late for its store: dropped there, counted
    right(1, 11, 20),  # too late as well; joins nothing (the left store is expired)
    left(2, "B2", 200_050),
    right(2, 22, 200_060),
    left(8, "end", 300_000),
]


@scenario(inputs=_int_topics(), steps=NULL_STEPS, outputs={"out": IS}, java_class=JOINS)
def ss_inner_join_nulls(b: StreamsBuilder) -> None:
    s1, s2 = _int_streams(b)
    _out(s1.join(s2, tostring, JoinWindows.of_time_difference_with_no_grace(100), _typed()))


@scenario(inputs=_int_topics(), steps=NULL_STEPS, outputs={"out": IS}, java_class=JOINS)
def ss_left_join_nulls(b: StreamsBuilder) -> None:
    _left(JoinWindows.of_time_difference_with_no_grace(100))(b)


@scenario(inputs=_int_topics(), steps=NULL_STEPS, outputs={"out": IS}, java_class=JOINS)
def ss_outer_join_nulls(b: StreamsBuilder) -> None:
    _outer(JoinWindows.of_time_difference_with_no_grace(100))(b)


@scenario(inputs=_int_topics(), steps=LATE_STEPS, outputs={"out": IS}, java_class=JOINS)
def ss_inner_join_late(b: StreamsBuilder) -> None:
    s1, s2 = _int_streams(b)
    _out(s1.join(s2, tostring, JoinWindows.of_time_difference_with_no_grace(100), _typed()))


@scenario(inputs=_int_topics(), steps=LATE_STEPS, outputs={"out": IS}, java_class=JOINS)
def ss_outer_join_late(b: StreamsBuilder) -> None:
    _outer(JoinWindows.of_time_difference_and_grace(100, 100))(b)


# -- names, stores, repartitioning, describe() ----------------------------------------------

S_STEPS = [
    Pipe("left", "a", "1", 0),
    Pipe("right", "a", "x", 5),
    Pipe("left", "b", "2", 10),
    Pipe("right", "B", "y", 20),
    Pipe("left", "a", "3", 30),
    Pipe("right", "c", "z", 300),
    Pipe("left", "c", "4", 310),
]


def _pair(a: Any, b: Any) -> str:
    return f"{js(a)}|{js(b)}"


@scenario(
    inputs={"left": S, "right": S},
    steps=S_STEPS,
    outputs={
        "out": S,
        "app-KSTREAM-OUTERTHIS-0000000004-store-changelog": ("ByteArray", "ByteArray"),
        "app-KSTREAM-OUTERSHARED-0000000004-store-changelog": ("ByteArray", "ByteArray"),
    },
    java_class=JOINS,
)
def ss_outer_join_changelogs(b: StreamsBuilder) -> None:
    """Generated names; the outer-join store's changelog bytes are Java's."""
    b.stream("left").outer_join(
        b.stream("right"), _pair, JoinWindows.of_time_difference_with_no_grace(50)
    ).to("out")


@scenario(
    inputs={"left": S, "right": S},
    steps=S_STEPS,
    outputs={
        "out": S,
        "app-orders-left-shared-join-store-changelog": ("ByteArray", "ByteArray"),
        "app-orders-outer-other-join-store-changelog": ("ByteArray", "ByteArray"),
    },
    java_class=JOINS,
)
def ss_left_join_named(b: StreamsBuilder) -> None:
    b.stream("left").left_join(
        b.stream("right"),
        _pair,
        JoinWindows.of_time_difference_and_grace(50, 20),
        StreamJoined.with_(Serdes.String(), Serdes.String(), Serdes.String())
        .with_name("enrich")
        .with_store_name("orders"),
    ).to("out")


@scenario(
    inputs={"left": S, "right": S},
    steps=S_STEPS,
    outputs={"out": S},
    java_class=JOINS,
)
def ss_join_named_only(b: StreamsBuilder) -> None:
    b.stream("left").join(
        b.stream("right"),
        _pair,
        JoinWindows.of_time_difference_with_no_grace(50),
        StreamJoined.with_(Serdes.String(), Serdes.String(), Serdes.String()).with_name("j"),
    ).to("out")


@scenario(
    inputs={"left": S, "right": S},
    steps=S_STEPS,
    outputs={"out": S},
    java_class=JOINS,
)
def ss_join_repartition_generated(b: StreamsBuilder) -> None:
    s1 = b.stream("left").select_key(lambda k, v: k.upper())
    s2 = b.stream("right").map(lambda k, v: (k.upper(), v))
    s1.join(s2, _pair, JoinWindows.of_time_difference_with_no_grace(50)).to("out")


@scenario(
    inputs={"left": S, "right": S},
    steps=S_STEPS,
    outputs={"out": S},
    java_class=JOINS,
)
def ss_left_join_repartition_named(b: StreamsBuilder) -> None:
    s1 = b.stream("left").select_key(lambda k, v: None if k == "b" else k.upper())
    s2 = b.stream("right")
    s1.left_join(
        s2.select_key(lambda k, v: k.upper()),
        _pair,
        JoinWindows.of_time_difference_with_no_grace(50),
        StreamJoined.with_(Serdes.String(), Serdes.String(), Serdes.String()).with_name("rk"),
    ).to("out")


@scenario(
    inputs={"left": S, "right": S},
    steps=S_STEPS,
    outputs={"out": S},
    java_class=JOINS,
)
def ss_left_join_in_memory(b: StreamsBuilder) -> None:
    # KStreamKStreamLeftJoinTest.testLeftJoinWithInMemoryCustomSuppliers
    b.stream("left").left_join(
        b.stream("right"),
        _pair,
        JoinWindows.of_time_difference_with_no_grace(50),
        StreamJoined.with_store_suppliers(
            Stores.in_memory_window_store("in-memory-join-store", 50 * 2, 50 * 2, True),
            Stores.in_memory_window_store("in-memory-join-store-other", 50 * 2, 50 * 2, True),
        ),
    ).to("out")


@scenario(
    inputs={"left": S, "right": S},
    steps=S_STEPS,
    outputs={"out": S},
    java_class=JOINS,
)
def ss_join_logging_disabled(b: StreamsBuilder) -> None:
    b.stream("left").outer_join(
        b.stream("right"),
        _pair,
        JoinWindows.of_time_difference_with_no_grace(50),
        StreamJoined.with_(
            Serdes.String(), Serdes.String(), Serdes.String()
        ).with_logging_disabled(),
    ).to("out")


@scenario(
    inputs={"left": S, "right": S},
    steps=S_STEPS,
    outputs={"out": S},
    java_class=JOINS,
)
def ss_join_with_key(b: StreamsBuilder) -> None:
    b.stream("left").outer_join(
        b.stream("right"),
        lambda k, v1, v2: f"{js(k)}:{js(v1)}|{js(v2)}",
        JoinWindows.of_time_difference_with_no_grace(50),
    ).to("out")


# KStreamKStreamSelfJoinTest: a stream joined with itself (two stores without
# topology.optimization)
SELF_STEPS = [
    Pipe("in", "a", "1", 0),
    Pipe("in", "a", "2", 10),
    Pipe("in", "b", "3", 20),
    Pipe("in", "a", "4", 5),
    Pipe("in", "a", "5", 200),
    Pipe("in", "b", "6", 25),
]


@scenario(inputs={"in": S}, steps=SELF_STEPS, outputs={"out": S}, java_class=JOINS)
def ss_self_join(b: StreamsBuilder) -> None:
    s = b.stream("in")
    s.join(s, _pair, JoinWindows.of_time_difference_with_no_grace(50)).to("out")


@scenario(inputs={"in": S}, steps=SELF_STEPS, outputs={"out": S}, java_class=JOINS)
def ss_self_join_asymmetric(b: StreamsBuilder) -> None:
    s = b.stream("in")
    windows = JoinWindows.of_time_difference_with_no_grace(0).after(10).before(50)
    s.join(s, _pair, windows).to("out")


@scenario(inputs={"in": S}, steps=SELF_STEPS, outputs={"out": S}, java_class=JOINS)
def ss_self_left_join(b: StreamsBuilder) -> None:
    s = b.stream("in")
    s.left_join(s, _pair, JoinWindows.of_time_difference_with_no_grace(5)).to("out")


# headers: a join result carries the headers of the record that produced it
# (KStreamKStreamOuterJoinTest.testShouldForwardCurrentHeaders)
HEADER_STEPS = [
    Pipe("left", "a", "1", 0, (("h", b"left-a"),)),
    Pipe("right", "a", "x", 5, (("h", b"right-a"),)),
    Pipe("left", "b", "2", 10, (("h", b"left-b"),)),
    Pipe("right", "c", "z", 300, (("h", b"right-c"),)),
]


@scenario(inputs={"left": S, "right": S}, steps=HEADER_STEPS, outputs={"out": S}, java_class=JOINS)
def ss_outer_join_headers(b: StreamsBuilder) -> None:
    b.stream("left").outer_join(
        b.stream("right"), _pair, JoinWindows.of_time_difference_with_no_grace(50)
    ).to("out")


# a joiner that changes its (JSON) arguments in place: the stores keep what was written (a
# later join of the changed record shows "p2": None); each record joins one record at most
JSON_STEPS = [
    Pipe("left", "a", {"n": 1}, 0),
    Pipe("right", "a", {"m": 10}, 5),
    Pipe("left", "a", {"n": 2}, 7),
    Pipe("left", "b", {"n": 3}, 100),
    Pipe("right", "b", {"m": 40}, 120),
    Pipe("left", "b", {"n": 4}, 130),
]


def _merge_in_place(v1: Any, v2: Any) -> Any:
    result = {"n": v1["n"], "m": v2["m"], "p1": v1.get("prev"), "p2": v2.get("prev")}
    v1["prev"] = v2["m"]
    v2["prev"] = v1["n"]
    return result


@scenario(
    inputs={"left": ("String", "JSON"), "right": ("String", "JSON")},
    steps=JSON_STEPS,
    outputs={"out": ("String", "JSON")},
    java_class=JOINS,
)
def ss_join_mutating_joiner(b: StreamsBuilder) -> None:
    j = Serdes.JSON()
    b.stream("left", value_serde=j).join(
        b.stream("right", value_serde=j),
        _merge_in_place,
        JoinWindows.of_time_difference_with_no_grace(50),
        StreamJoined.with_(Serdes.String(), j, j),
    ).to("out", value_serde=j)
