"""Stateless scenarios: filter, map, flat_map, select_key, split, merge, peek, to, repartition."""

from __future__ import annotations

from kstreams import Branched, Consumed, Named, Produced, Repartitioned, Serdes, StreamsBuilder

from ..deliberate import null_keys_counted
from ..harness import Pipe, pipes
from .common import SL, S, js, scenario


@scenario(
    inputs={"in": S},
    steps=[
        Pipe("in", "a", "apple", 10, (("trace", b"t1"),)),
        Pipe("in", "b", "box", 11),
        Pipe("in", "c", None, 12),
        Pipe("in", None, "banana", 13, (("trace", b"t2"), ("empty", None))),
        Pipe("in", "d", "cherry", 9),
        Pipe("in", "e", "Berry", 14),
    ],
    outputs={"out": S},
)
def stateless_chain(b: StreamsBuilder) -> None:
    (
        b.stream("in")
        .filter(lambda k, v: v is not None and "x" not in v)
        .map_values(str.upper)
        .filter_not(lambda k, v: v.startswith("B"))
        .to("out")
    )


@scenario(
    inputs={"in": S},
    steps=pipes("in", [("k1", "a b", 10), ("k2", "c", 20), ("k3", "d e f", 5)]),
    outputs={"swapped": S, "words": S, "by-word": S},
)
def map_and_flat_map(b: StreamsBuilder) -> None:
    s = b.stream("in")
    s.map(lambda k, v: (v, k)).to("swapped")
    s.flat_map(lambda k, v: [(f"{k}-{i}", w) for i, w in enumerate(v.split(" "))]).to("words")
    s.flat_map_values(lambda v: v.split(" ")).select_key(lambda k, v: v).to("by-word")


@scenario(
    inputs={"in": S},
    steps=pipes(
        "in", [("1", "apple", 1), ("2", "banana", 2), ("3", "cherry", 3), ("4", "avocado", 4)]
    ),
    outputs={"out-a": S, "out-b": S, "out-other": S},
)
def split_named_branches(b: StreamsBuilder) -> None:
    branches = (
        b.stream("in")
        .split(Named.as_("route-"))
        .branch(lambda k, v: v.startswith("a"), Branched.as_("a"))
        .branch(lambda k, v: v.startswith("b"), Branched.as_("b"))
        .default_branch(Branched.as_("other"))
    )
    branches["route-a"].to("out-a")
    branches["route-b"].map_values(str.upper).to("out-b")
    branches["route-other"].to("out-other")


@scenario(
    inputs={"in": S},
    steps=pipes("in", [("1", "a1", 1), ("2", "b1", 2), ("3", "c1", 3), ("4", "a2", 4)]),
    outputs={"a": S, "b": S},
)
def split_generated_names(b: StreamsBuilder) -> None:
    branches = (
        b.stream("in")
        .split()
        .branch(lambda k, v: v.startswith("a"))
        .branch(
            lambda k, v: v.startswith("b"),
            Branched.with_function(lambda ks: ks.map_values(str.upper)),
        )
        .default_branch()
    )
    branches["KSTREAM-BRANCH-00000000010"].to("a")
    branches["KSTREAM-BRANCH-00000000011"].to("b")  # the default branch goes nowhere


@scenario(
    inputs={"left": S, "right": S},
    steps=[
        Pipe("left", "l1", "x", 10),
        Pipe("right", "r1", "y", 5),
        Pipe("left", "l2", "z", 20),
        Pipe("right", "r2", None, 15),
    ],
    outputs={"out": S},
)
def merge_and_peek(b: StreamsBuilder) -> None:
    left = b.stream("left")
    right = b.stream("right")
    left.merge(right).peek(lambda k, v: None).map_values(lambda k, v: f"{js(k)}={js(v)}").to("out")


@scenario(
    inputs={"in": ("Integer", "String")},
    steps=pipes("in", [(1, "one", 10), (-2, "two", 20), (300, "three", 30), (7, "", 40)]),
    outputs={"out": SL},
)
def integer_keys_to_long_values(b: StreamsBuilder) -> None:
    (
        b.stream("in", Consumed.with_(Serdes.Integer(), Serdes.String()))
        .map(lambda k, v: (v, len(v) * k))
        .to("out", Produced.with_(Serdes.String(), Serdes.Long()))
    )


@scenario(
    inputs={"in": S},
    steps=pipes("in", [("1", "a", 1), ("2", "b", 2), ("3", None, 3), ("4", "a", 4)]),
    outputs={"out": S},
    deliberate=null_keys_counted(1),
)
def repartition_named_after_select_key(b: StreamsBuilder) -> None:
    (
        b.stream("in")
        .select_key(lambda k, v: v)
        .repartition(Repartitioned.as_("rekeyed"))
        .map_values(lambda k, v: f"{js(k)}:{js(v)}")
        .to("out")
    )


@scenario(
    inputs={"in": S},
    steps=pipes("in", [("1", "a", 1), (None, "b", 2), ("3", None, 3)]),
    outputs={"out": S},
    deliberate=null_keys_counted(1),
)
def repartition_unnamed(b: StreamsBuilder) -> None:
    b.stream("in").repartition().to("out")


@scenario(
    inputs={"in": S},
    steps=pipes("in", [("1", "a", 1), (None, "b", 2), ("3", None, 3), (None, None, 4)]),
    outputs={"out": S},
)
def null_keys_and_values_pass_through(b: StreamsBuilder) -> None:
    b.stream("in").map_values(lambda k, v: f"{js(k)}/{js(v)}").to("out")
