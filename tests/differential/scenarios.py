"""The differential scenarios: each topology in Python here, in Java in ``Scenarios.java``.

A scenario's Java twin is the ``Scenarios.java`` method with its name in camelCase
(``word_count`` -> ``wordCount``); keep the two in step. Inputs, output topics and store
queries are data, piped identically into both drivers. Every record has an explicit timestamp;
``AdvanceWallClock`` steps move both mock wall clocks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kstreams import (
    Branched,
    Consumed,
    Grouped,
    Materialized,
    Named,
    Processor,
    Produced,
    PunctuationType,
    Record,
    Repartitioned,
    Serdes,
    StreamsBuilder,
)
from kstreams.state import Stores

from .harness import (
    AdvanceWallClock,
    Deliberate,
    OutputRecord,
    Pipe,
    Scenario,
    StoreQuery,
    pipes,
)

SCENARIOS: list[Scenario] = []

S = ("String", "String")
SL = ("String", "Long")
SJ = ("String", "JSON")


def scenario(**data: Any) -> Callable[[Callable[[StreamsBuilder], None]], Callable[..., None]]:
    """Register the decorated topology function as a scenario named after it."""

    def register(build: Callable[[StreamsBuilder], None]) -> Callable[[StreamsBuilder], None]:
        SCENARIOS.append(Scenario(name=build.__name__, build=build, **data))
        return build

    return register


def js(value: Any) -> str:
    """Java's ``String.valueOf``: what ``"" + value`` gives in the Java twin (null as "null")."""
    return "null" if value is None else str(value)


# -- deliberate differences (README "Where kstreams differs"; DIFFERENCES.md) ---------------------

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


NULL_KEYS_COUNTED = "Null-key records dropped before a grouping repartition are counted"


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


# -- input data -------------------------------------------------------------------------------

# (key, value, timestamp): out of order, a null key, a null value
RECORDS = [
    ("a", "x", 10),
    ("b", "y", 5),
    ("a", "z", 3),
    (None, "v", 20),
    ("a", None, 30),
    ("b", "w", 7),
    ("c", "xyz", 12),
]

LINES = [
    ("l1", "hello kafka streams", 100),
    ("l2", "hello python", 110),
    ("l3", "Kafka and Python", 105),
    ("l4", "streams", 130),
]

# users -> region: u1 moves from EU to US and back, u2 is deleted, u3 is deleted before it
# exists, a null key, a late record, an update to the same region
USERS = [
    ("u1", "EU", 10),
    ("u2", "EU", 20),
    ("u1", "US", 15),
    ("u3", None, 35),
    ("u1", "US", 25),
    ("u2", None, 30),
    (None, "EU", 40),
    ("u4", "APAC", 5),
    ("u1", "EU", 50),
    ("u3", "US", 45),
]

# -- stateless --------------------------------------------------------------------------------


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


REPARTITION_DROPS_NULL_KEYS = (
    "Java's repartition() drops null-key records before the repartition topic (KIP-962: the "
    "repartition filter becomes `key != null` unless a null-key join is downstream); kstreams "
    "writes them through"
)


@scenario(
    inputs={"in": S},
    steps=pipes("in", [("1", "a", 1), ("2", "b", 2), ("3", None, 3), ("4", "a", 4)]),
    outputs={"out": S},
    bugs={"outputs": f"{REPARTITION_DROPS_NULL_KEYS}: kstreams adds (None, 'null:null', 3)"},
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
    bugs={"outputs": f"{REPARTITION_DROPS_NULL_KEYS}: kstreams adds (None, 'b', 2)"},
)
def repartition_unnamed(b: StreamsBuilder) -> None:
    b.stream("in").repartition().to("out")


# -- stream aggregations ----------------------------------------------------------------------

COUNT_STEPS: list[Any] = [
    *pipes("in", RECORDS[:3]),
    AdvanceWallClock(1_000),
    *pipes("in", RECORDS[3:]),
    AdvanceWallClock(30_000),
    Pipe("in", "a", "again", 31, (("source", b"late"),)),
]
COUNTS_STORE = StoreQuery("counts", "String", "Long", gets=("a", "missing"))


@scenario(inputs={"in": S}, steps=COUNT_STEPS, outputs={"out": SL}, stores=(COUNTS_STORE,))
def count_cached(b: StreamsBuilder) -> None:
    b.stream("in").group_by_key().count(Materialized.as_("counts")).to_stream().to(
        "out", value_serde=Serdes.Long()
    )


@scenario(inputs={"in": S}, steps=COUNT_STEPS, outputs={"out": SL}, stores=(COUNTS_STORE,))
def count_uncached(b: StreamsBuilder) -> None:
    b.stream("in").group_by_key().count(
        Materialized.as_("counts").with_caching_disabled()
    ).to_stream().to("out", value_serde=Serdes.Long())


@scenario(
    inputs={"in": S},
    steps=pipes("in", RECORDS),
    outputs={"out": S},
    stores=(StoreQuery("KSTREAM-REDUCE-STATE-STORE-0000000001", gets=("a", "b", "zz")),),
)
def reduce_generated_store(b: StreamsBuilder) -> None:
    b.stream("in").group_by_key().reduce(lambda agg, v: agg + v).to_stream().to("out")


LENGTHS_STORE = StoreQuery("lengths", "String", "Long")


@scenario(inputs={"in": S}, steps=COUNT_STEPS, outputs={"out": SL}, stores=(LENGTHS_STORE,))
def aggregate_cached(b: StreamsBuilder) -> None:
    (
        b.stream("in")
        .group_by_key()
        .aggregate(
            lambda: 0,
            lambda k, v, total: total + len(v),
            Materialized.as_("lengths").with_value_serde(Serdes.Long()),
        )
        .to_stream()
        .to("out", value_serde=Serdes.Long())
    )


@scenario(inputs={"in": S}, steps=COUNT_STEPS, outputs={"out": SL}, stores=(LENGTHS_STORE,))
def aggregate_uncached(b: StreamsBuilder) -> None:
    (
        b.stream("in")
        .group_by_key()
        .aggregate(
            lambda: 0,
            lambda k, v, total: total + len(v),
            Materialized.as_("lengths").with_value_serde(Serdes.Long()).with_caching_disabled(),
        )
        .to_stream()
        .to("out", value_serde=Serdes.Long())
    )


@scenario(
    inputs={"in": S},
    steps=pipes("in", RECORDS),
    outputs={"out": SJ},
    stores=(StoreQuery("stats", "String", "JSON"),),
)
def aggregate_json(b: StreamsBuilder) -> None:
    (
        b.stream("in")
        .group_by_key()
        .aggregate(
            lambda: {"count": 0, "values": []},
            lambda k, v, agg: {"count": agg["count"] + 1, "values": [*agg["values"], v]},
            Materialized.as_("stats").with_value_serde(Serdes.JSON()),
        )
        .to_stream()
        .to("out", value_serde=Serdes.JSON())
    )


@scenario(
    inputs={"in": S},
    steps=pipes("in", RECORDS),
    outputs={"out": SL},
    stores=(StoreQuery("KSTREAM-AGGREGATE-STATE-STORE-0000000002", "String", "Long"),),
    deliberate=null_keys_counted(1),
)
def count_after_select_key(b: StreamsBuilder) -> None:
    b.stream("in").select_key(lambda k, v: v).group_by_key().count().to_stream().to(
        "out", value_serde=Serdes.Long()
    )


@scenario(
    inputs={"lines": S},
    steps=pipes("lines", LINES),
    outputs={"out": SL},
    stores=(StoreQuery("word-counts", "String", "Long", gets=("kafka", "nope")),),
)
def word_count(b: StreamsBuilder) -> None:
    (
        b.stream("lines")
        .flat_map_values(lambda line: line.lower().split(" "))
        .group_by(lambda k, word: word, Grouped.as_("words"))
        .count(Materialized.as_("word-counts"))
        .to_stream()
        .to("out", value_serde=Serdes.Long())
    )


@scenario(
    inputs={"in": S},
    steps=pipes("in", [("1", "ab", 1), ("2", "cd", 2), ("3", "efg", 3), ("4", "h", 4)]),
    outputs={"out": ("Integer", "String")},
    stores=(StoreQuery("by-length", "Integer", "String", gets=(2, 5)),),
)
def group_by_integer_key(b: StreamsBuilder) -> None:
    (
        b.stream("in")
        .group_by(lambda k, v: len(v), Grouped.with_(Serdes.Integer(), Serdes.String()))
        .reduce(lambda agg, v: f"{agg},{v}", Materialized.as_("by-length"))
        .to_stream()
        .to("out", Produced.with_(Serdes.Integer(), Serdes.String()))
    )


@scenario(
    inputs={"in": S},
    steps=pipes("in", [("1", "a", 1), ("2", "b", 2), ("3", "a", 3), ("4", None, 4)]),
    outputs={"counts": SL, "reduced": S},
    deliberate=null_keys_counted(1),
)
def named_grouping_shared_by_two_aggregations(b: StreamsBuilder) -> None:
    grouped = b.stream("in").group_by(lambda k, v: v, Grouped.as_("g"))
    grouped.count().to_stream().to("counts", value_serde=Serdes.Long())
    grouped.reduce(lambda agg, v: agg + v).to_stream().to("reduced")


@scenario(
    inputs={"in": S},
    steps=pipes("in", [("a", "1", 1), ("a", "2", 2), ("b", "3", 3), ("a", "4", 4), ("b", "5", 5)]),
    outputs={"out": SL},
)
def count_then_table_filter(b: StreamsBuilder) -> None:
    b.stream("in").group_by_key().count().filter(lambda k, v: v % 2 == 0).to_stream().to(
        "out", value_serde=Serdes.Long()
    )


# -- tables -----------------------------------------------------------------------------------


@scenario(
    inputs={"users": S},
    steps=pipes("users", USERS),
    outputs={"out": S},
    deliberate=materialized_table("KTABLE-SOURCE-0000000002", "users-STATE-STORE-0000000000"),
)
def table_to_stream(b: StreamsBuilder) -> None:
    b.table("users").to_stream().to("out")


@scenario(
    inputs={"users": S},
    steps=pipes("users", USERS),
    outputs={"out": S},
    stores=(StoreQuery("users-store", gets=("u1", "u2")),),
)
def table_named_filter_map_values(b: StreamsBuilder) -> None:
    (
        b.table("users", Materialized.as_("users-store"))
        .filter(lambda k, v: v == "EU")
        .map_values(str.lower)
        .to_stream()
        .to("out")
    )


@scenario(
    inputs={"users": S},
    steps=pipes("users", USERS),
    outputs={"out": S},
    deliberate={
        **materialized_table("KTABLE-SOURCE-0000000002", "users-STATE-STORE-0000000000"),
        "outputs": filter_tombstones("out"),
    },
)
def table_unnamed_filter(b: StreamsBuilder) -> None:
    b.table("users").filter_not(lambda k, v: v == "US").to_stream().to("out")


@scenario(
    inputs={"users": S},
    steps=pipes("users", USERS),
    outputs={"out": SL},
    stores=(StoreQuery("KTABLE-AGGREGATE-STATE-STORE-0000000004", "String", "Long"),),
)
def table_group_by_count(b: StreamsBuilder) -> None:
    b.table("users").group_by(lambda user, region: (region, user)).count().to_stream().to(
        "out", value_serde=Serdes.Long()
    )


ACCOUNTS = [
    ("eu-1", 100, 1),
    ("eu-2", 50, 2),
    ("us-1", 10, 3),
    ("eu-1", 70, 4),
    ("eu-2", None, 5),
    ("us-1", 20, 6),
    ("eu-1", None, 7),
]


@scenario(
    inputs={"accounts": SL},
    steps=pipes("accounts", ACCOUNTS),
    outputs={"out": SL},
    stores=(StoreQuery("totals", "String", "Long"),),
)
def table_group_by_reduce(b: StreamsBuilder) -> None:
    (
        b.table("accounts", Consumed.with_(Serdes.String(), Serdes.Long()))
        .group_by(lambda k, v: (k[:2], v), Grouped.with_(Serdes.String(), Serdes.Long()))
        .reduce(lambda agg, v: agg + v, lambda agg, v: agg - v, Materialized.as_("totals"))
        .to_stream()
        .to("out", value_serde=Serdes.Long())
    )


def _regions(b: StreamsBuilder, materialized: Materialized) -> None:
    (
        b.table("users")
        .group_by(lambda user, region: (region, user))
        .aggregate(
            lambda: "",
            lambda region, user, agg: f"{agg}+{user}",
            lambda region, user, agg: f"{agg}-{user}",
            materialized,
        )
        .to_stream()
        .to("out")
    )


REGIONS_STORE = StoreQuery("regions", gets=("EU", "US", "MARS"))


@scenario(
    inputs={"users": S}, steps=pipes("users", USERS), outputs={"out": S}, stores=(REGIONS_STORE,)
)
def table_group_by_aggregate_cached(b: StreamsBuilder) -> None:
    _regions(b, Materialized.as_("regions"))


@scenario(
    inputs={"users": S}, steps=pipes("users", USERS), outputs={"out": S}, stores=(REGIONS_STORE,)
)
def table_group_by_aggregate_uncached(b: StreamsBuilder) -> None:
    _regions(b, Materialized.as_("regions").with_caching_disabled())


@scenario(
    inputs={"users": S},
    steps=pipes("users", USERS),
    outputs={"out": SJ, "crowded": SJ},
    stores=(StoreQuery("regions", "String", "JSON"),),
    bugs={
        "outputs": (
            "the old value the aggregation forwards is the very object the adder/subtractor "
            "mutated, so the KTable filter downstream sees old == new: when EU drops from 2 "
            "users to 1 Java's 'crowded' gets the tombstone EU=null@20, kstreams' gets nothing"
        ),
    },
)
def table_aggregate_mutated_in_place(b: StreamsBuilder) -> None:
    """Adder and subtractor change the aggregate they are given and return it; Java's twin
    copies (JSON trees). Both must give the same users per region."""

    def add(region: str, user: str, agg: dict[str, Any]) -> dict[str, Any]:
        agg["n"] += 1
        agg["users"].append(user)
        return agg

    def subtract(region: str, user: str, agg: dict[str, Any]) -> dict[str, Any]:
        agg["n"] -= 1
        if user in agg["users"]:
            agg["users"].remove(user)
        return agg

    regions = (
        b.table("users")
        .group_by(lambda user, region: (region, user))
        .aggregate(
            lambda: {"n": 0, "users": []},
            add,
            subtract,
            Materialized.as_("regions").with_value_serde(Serdes.JSON()),
        )
    )
    regions.to_stream().to("out", value_serde=Serdes.JSON())
    # downstream of the aggregate, old values count: a region stops being crowded
    regions.filter(lambda region, agg: agg["n"] >= 2).to_stream().to(
        "crowded", value_serde=Serdes.JSON()
    )


@scenario(
    inputs={"in": S},
    steps=pipes("in", USERS),
    outputs={"out": S},
    stores=(StoreQuery("t", gets=("u1", "u2", "u3")),),
)
def to_table_named(b: StreamsBuilder) -> None:
    b.stream("in").to_table(Materialized.as_("t")).to_stream().to("out")


@scenario(
    inputs={"in": S},
    steps=pipes("in", USERS),
    outputs={"out": S},
    deliberate={
        **materialized_table(
            "KSTREAM-TOTABLE-0000000002", "KSTREAM-TOTABLE-STATE-STORE-0000000003"
        ),
        **null_keys_counted(2),
    },
)
def to_table_after_key_change(b: StreamsBuilder) -> None:
    b.stream("in").select_key(lambda k, v: v).to_table().to_stream().to("out")


@scenario(
    inputs={"in": S},
    steps=pipes("in", USERS),
    outputs={"out": S},
    stores=(StoreQuery("t", gets=("EU", "US")),),
    deliberate=null_keys_counted(2),
)
def to_table_named_after_key_change(b: StreamsBuilder) -> None:
    (
        b.stream("in")
        .select_key(lambda k, v: v)
        .to_table(Named.as_("tt"), Materialized.as_("t"))
        .to_stream()
        .to("out")
    )


# -- Processor API: punctuation on stream time and wall-clock time ----------------------------


class CountAndPunctuate(Processor):
    """Counts records per key in store ``seen``; every 10 ms of stream time forwards
    ``("stream", total)``, every second of wall-clock time ``("wall", total)``."""

    def init(self, context: Any) -> None:
        self.context = context
        self.store = context.get_state_store("seen")
        self.total = 0
        context.schedule(10, PunctuationType.STREAM_TIME, self._on_stream_time)
        context.schedule(1_000, PunctuationType.WALL_CLOCK_TIME, self._on_wall_clock)

    def process(self, record: Record) -> None:
        n = (self.store.get(record.key) or 0) + 1
        self.store.put(record.key, n)
        self.total += 1
        self.context.forward(record.with_value(n))

    def _on_stream_time(self, timestamp: int) -> None:
        self.context.forward(Record("stream", self.total, timestamp))

    def _on_wall_clock(self, timestamp: int) -> None:
        self.context.forward(Record("wall", self.total, timestamp))


@scenario(
    inputs={"in": S},
    steps=[
        Pipe("in", "a", "1", 3),
        Pipe("in", "b", "2", 12),
        AdvanceWallClock(500),
        Pipe("in", "a", "3", 11),
        AdvanceWallClock(600),
        Pipe("in", "a", "4", 35),
        AdvanceWallClock(2_500),
        Pipe("in", "c", "5", 36),
    ],
    outputs={"out": SL},
    stores=(StoreQuery("seen", "String", "Long", timestamped=False, gets=("a", "z")),),
)
def processor_punctuation(b: StreamsBuilder) -> None:
    b.add_state_store(
        Stores.key_value_store_builder(
            Stores.persistent_key_value_store("seen"), Serdes.String(), Serdes.Long()
        )
    )
    b.stream("in").process(CountAndPunctuate, "seen").to("out", value_serde=Serdes.Long())


@scenario(
    inputs={"in": S},
    steps=pipes("in", [("1", "a", 1), (None, "b", 2), ("3", None, 3), (None, None, 4)]),
    outputs={"out": S},
)
def null_keys_and_values_pass_through(b: StreamsBuilder) -> None:
    b.stream("in").map_values(lambda k, v: f"{js(k)}/{js(v)}").to("out")


@scenario(
    inputs={"lines": S},
    steps=pipes("lines", [("l1", "a b c", 1), ("l2", "d", 2), ("l1", "e f", 3)]),
    outputs={"out": SL, "app-counts-changelog": SL},
    deliberate={"outputs": latest_per_commit("app-counts-changelog")},
)
def changelog_of_uncached_count(b: StreamsBuilder) -> None:
    (
        b.stream("lines")
        .flat_map_values(lambda line: line.split(" "))
        .group_by_key()
        .count(Materialized.as_("counts").with_caching_disabled())
        .to_stream()
        .to("out", value_serde=Serdes.Long())
    )
