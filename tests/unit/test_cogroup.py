"""Cogrouped streams: the DSL calls, their validation, names, stores and describe().

The describe() texts are those Kafka Streams' CogroupedKStreamImplTest and its windowed
siblings assert (the unoptimized ones: ``merge.repartition.topics`` is not implemented);
records through the driver are in test_cogroup_semantics.py, and every topology here is also
checked against Java's TopologyTestDriver in tests/differential/scenarios/cogroup.py.
"""

from __future__ import annotations

from typing import Any

import pytest

import kstreams
from kstreams import (
    CogroupedKStream,
    Grouped,
    Materialized,
    Named,
    Serdes,
    SessionWindowedCogroupedKStream,
    SessionWindows,
    SlidingWindows,
    StreamsBuilder,
    TimeWindowedCogroupedKStream,
    TimeWindows,
)
from kstreams.errors import TopologyError
from kstreams.state import Stores


def concat(k: Any, v: Any, agg: str) -> str:
    return agg + v


def empty() -> str:
    return ""


def swap(k: Any, v: Any) -> tuple[Any, Any]:
    return v, k


def two_grouped(b: StreamsBuilder) -> tuple[Any, Any]:
    return b.stream("one").group_by_key(), b.stream("two").group_by_key()


def describe(b: StreamsBuilder) -> str:
    return str(b.build().describe())


# -- the public API -----------------------------------------------------------------------------


def test_the_cogrouped_types_are_exported_from_kstreams() -> None:
    for name in (
        "CogroupedKStream",
        "TimeWindowedCogroupedKStream",
        "SessionWindowedCogroupedKStream",
    ):
        assert name in kstreams.__all__
    from kstreams.dsl import cogrouped

    assert kstreams.CogroupedKStream is cogrouped.CogroupedKStream


def test_cogroup_returns_the_same_cogrouped_stream_and_windowed_by_the_windowed_kinds() -> None:
    b = StreamsBuilder()
    one, two = two_grouped(b)
    cogrouped = one.cogroup(concat)
    assert isinstance(cogrouped, CogroupedKStream)
    assert cogrouped.cogroup(two, concat) is cogrouped
    assert isinstance(
        cogrouped.windowed_by(TimeWindows.of_size_with_no_grace(10)), TimeWindowedCogroupedKStream
    )
    assert isinstance(
        cogrouped.windowed_by(SlidingWindows.of_time_difference_with_no_grace(10)),
        TimeWindowedCogroupedKStream,
    )
    assert isinstance(
        cogrouped.windowed_by(SessionWindows.of_inactivity_gap_with_no_grace(10)),
        SessionWindowedCogroupedKStream,
    )


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda one, two: one.cogroup(None), "aggregator must be callable"),
        (
            lambda one, two: one.cogroup(concat).cogroup(None, concat),
            "cogroup takes a KGroupedStream",
        ),
        (lambda one, two: one.cogroup(concat).cogroup(two, "x"), "aggregator must be callable"),
        (lambda one, two: one.cogroup(concat).aggregate(None), "initializer must be callable"),
        (
            lambda one, two: one.cogroup(concat).aggregate(empty, 42),
            "expected Named or Materialized",
        ),
        (lambda one, two: one.cogroup(concat).windowed_by(None), "takes TimeWindows"),
        (lambda one, two: one.cogroup(concat).windowed_by(10), "takes TimeWindows"),
        (
            lambda one, two: (
                one.cogroup(concat)
                .windowed_by(TimeWindows.of_size_with_no_grace(10))
                .aggregate(None)
            ),
            "initializer must be callable",
        ),
        (
            lambda one, two: (
                one.cogroup(concat)
                .windowed_by(SessionWindows.of_inactivity_gap_with_no_grace(10))
                .aggregate(empty, None)
            ),
            "merger must be callable",
        ),
        (
            lambda one, two: (
                one.cogroup(concat)
                .windowed_by(SessionWindows.of_inactivity_gap_with_no_grace(10))
                .aggregate(None, lambda k, a, b: a)
            ),
            "initializer must be callable",
        ),
    ],
    ids=[
        "no-aggregator",
        "no-grouped",
        "aggregator-not-callable",
        "no-initializer",
        "bad-option",
        "no-windows",
        "not-windows",
        "windowed-no-initializer",
        "session-no-merger",
        "session-no-initializer",
    ],
)
def test_bad_arguments_are_refused_by_name(call: Any, message: str) -> None:
    b = StreamsBuilder()
    one, two = two_grouped(b)
    with pytest.raises(TypeError, match=message):
        call(one, two)


def test_count_windows_are_not_for_cogroups() -> None:
    b = StreamsBuilder()
    one, _ = two_grouped(b)
    with pytest.raises(TypeError, match="TimeWindows, SlidingWindows or SessionWindows"):
        one.cogroup(concat).windowed_by(kstreams.CountWindows.of(3))


def test_a_grouped_stream_of_another_builder_is_refused() -> None:
    one = StreamsBuilder().stream("one").group_by_key()
    other = StreamsBuilder().stream("two").group_by_key()
    with pytest.raises(TopologyError, match="another StreamsBuilder"):
        one.cogroup(concat).cogroup(other, concat)


def test_two_inputs_that_would_share_a_repartition_topic_are_refused() -> None:
    """Kafka Streams names both after the store and fails in build(); here the DSL call says
    which inputs collide and what to do."""
    b = StreamsBuilder()
    one = b.stream("one").map(swap).group_by_key()
    two = b.stream("two").map(swap).group_by_key()
    cogrouped = one.cogroup(concat).cogroup(two, concat)
    with pytest.raises(TopologyError, match=r"store-repartition.*Grouped\.as_"):
        cogrouped.aggregate(empty, Materialized.as_("store"))


def test_inputs_repartitioned_under_their_own_names_are_fine() -> None:
    b = StreamsBuilder()
    one = b.stream("one").map(swap).group_by_key(Grouped.as_("left"))
    two = b.stream("two").map(swap).group_by_key(Grouped.as_("right"))
    one.cogroup(concat).cogroup(two, concat).aggregate(empty)
    topology = b.build()
    assert sorted(topology.internal_topics) == ["left-repartition", "right-repartition"]


def test_a_too_short_retention_is_refused_naming_the_store() -> None:
    b = StreamsBuilder()
    one, _ = two_grouped(b)
    windowed = one.cogroup(concat).windowed_by(TimeWindows.of_size_and_grace(100, 10))
    with pytest.raises(ValueError, match="window store w must be no smaller"):
        windowed.aggregate(empty, Materialized.as_("w").with_retention(50))


def test_a_versioned_store_is_refused() -> None:
    b = StreamsBuilder()
    one, _ = two_grouped(b)
    versioned = Materialized.as_(Stores.persistent_versioned_key_value_store("v", 1000))
    with pytest.raises(TopologyError, match="versioned"):
        one.cogroup(concat).aggregate(empty, versioned)
        b.build()


def test_the_result_is_a_table_with_the_store_as_its_queryable_store() -> None:
    b = StreamsBuilder()
    one, two = two_grouped(b)
    table = one.cogroup(concat).cogroup(two, concat).aggregate(empty, Materialized.as_("s"))
    assert isinstance(table, kstreams.KTable)
    assert table.queryable_store_name == "s"
    generated = one.cogroup(concat).aggregate(empty)
    assert generated.queryable_store_name == "COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000005"


def test_serdes_come_from_materialized_not_from_the_groupings() -> None:
    """As Java: the store's serdes are Materialized's (else the app's defaults)."""
    b = StreamsBuilder()
    one = b.stream("one").group_by_key(Grouped.with_(Serdes.String(), Serdes.String()))
    plain = one.cogroup(concat).aggregate(empty)
    assert plain.key_serde is None and plain.value_serde is None
    typed = one.cogroup(concat).aggregate(
        empty, Materialized.with_(Serdes.String(), Serdes.Integer())
    )
    assert isinstance(typed.key_serde, type(Serdes.String()))
    assert isinstance(typed.value_serde, type(Serdes.Integer()))
    windowed = (
        one.cogroup(concat)
        .windowed_by(TimeWindows.of_size_with_no_grace(7))
        .aggregate(empty, Materialized.with_(Serdes.String(), None))
    )
    assert windowed.key_serde.window_size == 7
    assert isinstance(windowed.key_serde.inner, type(Serdes.String()))


# -- names and describe(), as CogroupedKStreamImplTest asserts them ---------------------------

NAMED = """\
Topologies:
   Sub-topology: 0
    Source: KSTREAM-SOURCE-0000000000 (topics: [one])
      --> test-cogroup-agg-0
    Source: KSTREAM-SOURCE-0000000001 (topics: [two])
      --> test-cogroup-agg-1
    Processor: test-cogroup-agg-0 (stores: [store])
      --> test-cogroup-merge
      <-- KSTREAM-SOURCE-0000000000
    Processor: test-cogroup-agg-1 (stores: [store])
      --> test-cogroup-merge
      <-- KSTREAM-SOURCE-0000000001
    Processor: test-cogroup-merge (stores: [])
      --> KTABLE-TOSTREAM-0000000005
      <-- test-cogroup-agg-0, test-cogroup-agg-1
    Processor: KTABLE-TOSTREAM-0000000005 (stores: [])
      --> KSTREAM-SINK-0000000006
      <-- test-cogroup-merge
    Sink: KSTREAM-SINK-0000000006 (topic: output)
      <-- KTABLE-TOSTREAM-0000000005

"""


@pytest.mark.parametrize(
    "options",
    [
        (Named.as_("test"), Materialized.as_("store")),
        (Materialized.as_("store"), Named.as_("test")),
        ("test", Materialized.as_("store")),
    ],
    ids=["named-first", "materialized-first", "str-name"],
)
def test_processors_and_store_are_named_after_the_options(options: tuple[Any, Any]) -> None:
    b = StreamsBuilder()
    one = b.stream("one").group_by_key()
    two = b.stream("two").group_by_key()
    one.cogroup(concat).cogroup(two, concat).aggregate(empty, *options).to_stream().to("output")
    assert describe(b) == NAMED


def test_keyword_options() -> None:
    b = StreamsBuilder()
    one, two = two_grouped(b)
    (
        one.cogroup(concat)
        .cogroup(two, concat)
        .aggregate(empty, named=Named.as_("test"), materialized=Materialized.as_("store"))
        .to_stream()
        .to("output")
    )
    assert describe(b) == NAMED


REPARTITION_NAMED = """\
Topologies:
   Sub-topology: 0
    Source: KSTREAM-SOURCE-0000000000 (topics: [one])
      --> KSTREAM-MAP-0000000002
    Processor: KSTREAM-MAP-0000000002 (stores: [])
      --> repartition-test-repartition-filter
      <-- KSTREAM-SOURCE-0000000000
    Processor: repartition-test-repartition-filter (stores: [])
      --> repartition-test-repartition-sink
      <-- KSTREAM-MAP-0000000002
    Sink: repartition-test-repartition-sink (topic: repartition-test-repartition)
      <-- repartition-test-repartition-filter

  Sub-topology: 1
    Source: KSTREAM-SOURCE-0000000001 (topics: [two])
      --> COGROUPKSTREAM-AGGREGATE-0000000008
    Source: repartition-test-repartition-source (topics: [repartition-test-repartition])
      --> COGROUPKSTREAM-AGGREGATE-0000000007
    Processor: COGROUPKSTREAM-AGGREGATE-0000000007 (stores: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003])
      --> COGROUPKSTREAM-MERGE-0000000009
      <-- repartition-test-repartition-source
    Processor: COGROUPKSTREAM-AGGREGATE-0000000008 (stores: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003])
      --> COGROUPKSTREAM-MERGE-0000000009
      <-- KSTREAM-SOURCE-0000000001
    Processor: COGROUPKSTREAM-MERGE-0000000009 (stores: [])
      --> KTABLE-TOSTREAM-0000000010
      <-- COGROUPKSTREAM-AGGREGATE-0000000007, COGROUPKSTREAM-AGGREGATE-0000000008
    Processor: KTABLE-TOSTREAM-0000000010 (stores: [])
      --> KSTREAM-SINK-0000000011
      <-- COGROUPKSTREAM-MERGE-0000000009
    Sink: KSTREAM-SINK-0000000011 (topic: output)
      <-- KTABLE-TOSTREAM-0000000010

"""


def test_the_grouped_name_names_the_repartition_topic() -> None:
    b = StreamsBuilder()
    stream1, stream2 = b.stream("one"), b.stream("two")
    one = stream1.map(swap).group_by_key(Grouped.as_("repartition-test"))
    two = stream2.group_by_key()
    one.cogroup(concat).cogroup(two, concat).aggregate(empty).to_stream().to("output")
    assert describe(b) == REPARTITION_NAMED


REPARTITION_BY_STORE = """\
Topologies:
   Sub-topology: 0
    Source: KSTREAM-SOURCE-0000000000 (topics: [one])
      --> KSTREAM-MAP-0000000002
    Processor: KSTREAM-MAP-0000000002 (stores: [])
      --> store-repartition-filter
      <-- KSTREAM-SOURCE-0000000000
    Processor: store-repartition-filter (stores: [])
      --> store-repartition-sink
      <-- KSTREAM-MAP-0000000002
    Sink: store-repartition-sink (topic: store-repartition)
      <-- store-repartition-filter

  Sub-topology: 1
    Source: KSTREAM-SOURCE-0000000001 (topics: [two])
      --> test-cogroup-agg-1
    Source: store-repartition-source (topics: [store-repartition])
      --> test-cogroup-agg-0
    Processor: test-cogroup-agg-0 (stores: [store])
      --> test-cogroup-merge
      <-- store-repartition-source
    Processor: test-cogroup-agg-1 (stores: [store])
      --> test-cogroup-merge
      <-- KSTREAM-SOURCE-0000000001
    Processor: test-cogroup-merge (stores: [])
      --> KTABLE-TOSTREAM-0000000009
      <-- test-cogroup-agg-0, test-cogroup-agg-1
    Processor: KTABLE-TOSTREAM-0000000009 (stores: [])
      --> KSTREAM-SINK-0000000010
      <-- test-cogroup-merge
    Sink: KSTREAM-SINK-0000000010 (topic: output)
      <-- KTABLE-TOSTREAM-0000000009

"""


def test_an_unnamed_grouping_is_repartitioned_under_the_store_name() -> None:
    b = StreamsBuilder()
    stream1, stream2 = b.stream("one"), b.stream("two")
    one = stream1.map(swap).group_by_key()
    two = stream2.group_by_key()
    (
        one.cogroup(concat)
        .cogroup(two, concat)
        .aggregate(empty, Named.as_("test"), Materialized.as_("store"))
        .to_stream()
        .to("output")
    )
    assert describe(b) == REPARTITION_BY_STORE


REUSED_IN_SAME_COGROUPS = """\
Topologies:
   Sub-topology: 0
    Source: KSTREAM-SOURCE-0000000000 (topics: [one])
      --> KSTREAM-MAP-0000000002
    Processor: KSTREAM-MAP-0000000002 (stores: [])
      --> COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000010-repartition-filter, COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-filter
      <-- KSTREAM-SOURCE-0000000000
    Processor: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-filter (stores: [])
      --> COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-sink
      <-- KSTREAM-MAP-0000000002
    Processor: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000010-repartition-filter (stores: [])
      --> COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000010-repartition-sink
      <-- KSTREAM-MAP-0000000002
    Sink: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-sink (topic: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition)
      <-- COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-filter
    Sink: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000010-repartition-sink (topic: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000010-repartition)
      <-- COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000010-repartition-filter

  Sub-topology: 1
    Source: KSTREAM-SOURCE-0000000001 (topics: [two])
      --> COGROUPKSTREAM-AGGREGATE-0000000008, COGROUPKSTREAM-AGGREGATE-0000000015
    Source: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-source (topics: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition])
      --> COGROUPKSTREAM-AGGREGATE-0000000007
    Source: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000010-repartition-source (topics: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000010-repartition])
      --> COGROUPKSTREAM-AGGREGATE-0000000014
    Processor: COGROUPKSTREAM-AGGREGATE-0000000007 (stores: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003])
      --> COGROUPKSTREAM-MERGE-0000000009
      <-- COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-source
    Processor: COGROUPKSTREAM-AGGREGATE-0000000008 (stores: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003])
      --> COGROUPKSTREAM-MERGE-0000000009
      <-- KSTREAM-SOURCE-0000000001
    Processor: COGROUPKSTREAM-AGGREGATE-0000000014 (stores: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000010])
      --> COGROUPKSTREAM-MERGE-0000000016
      <-- COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000010-repartition-source
    Processor: COGROUPKSTREAM-AGGREGATE-0000000015 (stores: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000010])
      --> COGROUPKSTREAM-MERGE-0000000016
      <-- KSTREAM-SOURCE-0000000001
    Processor: COGROUPKSTREAM-MERGE-0000000009 (stores: [])
      --> KTABLE-TOSTREAM-0000000019
      <-- COGROUPKSTREAM-AGGREGATE-0000000007, COGROUPKSTREAM-AGGREGATE-0000000008
    Processor: COGROUPKSTREAM-MERGE-0000000016 (stores: [])
      --> KTABLE-TOSTREAM-0000000017
      <-- COGROUPKSTREAM-AGGREGATE-0000000014, COGROUPKSTREAM-AGGREGATE-0000000015
    Processor: KTABLE-TOSTREAM-0000000017 (stores: [])
      --> KSTREAM-SINK-0000000018
      <-- COGROUPKSTREAM-MERGE-0000000016
    Processor: KTABLE-TOSTREAM-0000000019 (stores: [])
      --> KSTREAM-SINK-0000000020
      <-- COGROUPKSTREAM-MERGE-0000000009
    Sink: KSTREAM-SINK-0000000018 (topic: output)
      <-- KTABLE-TOSTREAM-0000000017
    Sink: KSTREAM-SINK-0000000020 (topic: OUTPUT2)
      <-- KTABLE-TOSTREAM-0000000019

"""


def test_a_grouping_in_two_cogroups_gets_a_repartition_topic_in_each() -> None:
    b = StreamsBuilder()
    stream1, stream2 = b.stream("one"), b.stream("two")
    one = stream1.map(swap).group_by_key()
    two = stream2.group_by_key()
    second = one.cogroup(concat).cogroup(two, concat).aggregate(empty)
    first = one.cogroup(concat).cogroup(two, concat).aggregate(empty)
    first.to_stream().to("output")
    second.to_stream().to("OUTPUT2")
    assert describe(b) == REUSED_IN_SAME_COGROUPS


REUSED_WITH_PLAIN_AGGREGATE = """\
Topologies:
   Sub-topology: 0
    Source: KSTREAM-SOURCE-0000000000 (topics: [one])
      --> KSTREAM-MAP-0000000002
    Processor: KSTREAM-MAP-0000000002 (stores: [])
      --> COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-filter, KSTREAM-FILTER-0000000013
      <-- KSTREAM-SOURCE-0000000000
    Processor: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-filter (stores: [])
      --> COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-sink
      <-- KSTREAM-MAP-0000000002
    Processor: KSTREAM-FILTER-0000000013 (stores: [])
      --> KSTREAM-SINK-0000000012
      <-- KSTREAM-MAP-0000000002
    Sink: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-sink (topic: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition)
      <-- COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-filter
    Sink: KSTREAM-SINK-0000000012 (topic: KSTREAM-AGGREGATE-STATE-STORE-0000000010-repartition)
      <-- KSTREAM-FILTER-0000000013

  Sub-topology: 1
    Source: COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-source (topics: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition])
      --> COGROUPKSTREAM-AGGREGATE-0000000007
    Source: KSTREAM-SOURCE-0000000001 (topics: [two])
      --> COGROUPKSTREAM-AGGREGATE-0000000008
    Processor: COGROUPKSTREAM-AGGREGATE-0000000007 (stores: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003])
      --> COGROUPKSTREAM-MERGE-0000000009
      <-- COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition-source
    Processor: COGROUPKSTREAM-AGGREGATE-0000000008 (stores: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003])
      --> COGROUPKSTREAM-MERGE-0000000009
      <-- KSTREAM-SOURCE-0000000001
    Processor: COGROUPKSTREAM-MERGE-0000000009 (stores: [])
      --> none
      <-- COGROUPKSTREAM-AGGREGATE-0000000007, COGROUPKSTREAM-AGGREGATE-0000000008

  Sub-topology: 2
    Source: KSTREAM-SOURCE-0000000014 (topics: [KSTREAM-AGGREGATE-STATE-STORE-0000000010-repartition])
      --> KSTREAM-AGGREGATE-0000000011
    Processor: KSTREAM-AGGREGATE-0000000011 (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000010])
      --> none
      <-- KSTREAM-SOURCE-0000000014

"""


def test_a_cogrouped_grouping_aggregated_alone_too_gets_its_own_repartition_topic() -> None:
    b = StreamsBuilder()
    stream1, stream2 = b.stream("one"), b.stream("two")
    one = stream1.map(swap).group_by_key()
    two = stream2.group_by_key()
    one.cogroup(concat).cogroup(two, concat).aggregate(empty)
    one.aggregate(empty, concat)
    assert describe(b) == REUSED_WITH_PLAIN_AGGREGATE


USED_TWICE = """\
Topologies:
   Sub-topology: 0
    Source: KSTREAM-SOURCE-0000000000 (topics: [one])
      --> KSTREAM-MAP-0000000001
    Processor: KSTREAM-MAP-0000000001 (stores: [])
      --> foo-repartition-filter
      <-- KSTREAM-SOURCE-0000000000
    Processor: foo-repartition-filter (stores: [])
      --> foo-repartition-sink
      <-- KSTREAM-MAP-0000000001
    Sink: foo-repartition-sink (topic: foo-repartition)
      <-- foo-repartition-filter

  Sub-topology: 1
    Source: foo-repartition-source (topics: [foo-repartition])
      --> COGROUPKSTREAM-AGGREGATE-0000000006, COGROUPKSTREAM-AGGREGATE-0000000012
    Processor: COGROUPKSTREAM-AGGREGATE-0000000006 (stores: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000002])
      --> COGROUPKSTREAM-MERGE-0000000007
      <-- foo-repartition-source
    Processor: COGROUPKSTREAM-AGGREGATE-0000000012 (stores: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000008])
      --> COGROUPKSTREAM-MERGE-0000000013
      <-- foo-repartition-source
    Processor: COGROUPKSTREAM-MERGE-0000000007 (stores: [])
      --> none
      <-- COGROUPKSTREAM-AGGREGATE-0000000006
    Processor: COGROUPKSTREAM-MERGE-0000000013 (stores: [])
      --> none
      <-- COGROUPKSTREAM-AGGREGATE-0000000012

"""


def test_a_cogroup_aggregated_twice_shares_its_repartition_topic() -> None:
    b = StreamsBuilder()
    one = b.stream("one").map(swap).group_by_key(Grouped.as_("foo"))
    cogrouped = one.cogroup(concat)
    cogrouped.aggregate(empty)
    cogrouped.aggregate(empty)
    assert describe(b) == USED_TWICE


WINDOWED_NAMED = """\
Topologies:
   Sub-topology: 0
    Source: KSTREAM-SOURCE-0000000000 (topics: [topic])
      --> foo-cogroup-agg-0
    Processor: foo-cogroup-agg-0 (stores: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000001])
      --> foo-cogroup-merge
      <-- KSTREAM-SOURCE-0000000000
    Processor: foo-cogroup-merge (stores: [])
      --> none
      <-- foo-cogroup-agg-0

"""


@pytest.mark.parametrize(
    "aggregate",
    [
        lambda c: c.windowed_by(TimeWindows.of_size_with_no_grace(500)).aggregate(
            empty, Named.as_("foo")
        ),
        lambda c: c.windowed_by(SlidingWindows.of_time_difference_and_grace(500, 2000)).aggregate(
            empty, Named.as_("foo")
        ),
        lambda c: c.windowed_by(SessionWindows.of_inactivity_gap_with_no_grace(1)).aggregate(
            empty, lambda k, a, b: a + b, Named.as_("foo")
        ),
    ],
    ids=["time", "sliding", "session"],
)
def test_named_windowed_cogroups(aggregate: Any) -> None:
    """namedParamShouldSetName of the three windowed test classes."""
    b = StreamsBuilder()
    grouped = b.stream("topic").group_by_key(Grouped.with_(Serdes.String(), Serdes.String()))
    aggregate(grouped.cogroup(concat))
    assert describe(b) == WINDOWED_NAMED


def test_one_store_for_all_inputs_with_one_changelog() -> None:
    b = StreamsBuilder()
    one, two = two_grouped(b)
    three = b.stream("three").group_by_key()
    one.cogroup(concat).cogroup(two, concat).cogroup(three, concat).aggregate(
        empty, Materialized.as_("all")
    )
    topology = b.build()
    assert list(topology.state_stores) == ["all"]
    assert topology.changelog_topic("all", "app") == "app-all-changelog"
    (sub,) = topology.subtopologies()
    assert sorted(sub.source_topics) == ["one", "three", "two"]


def test_recogrouping_a_grouped_stream_replaces_its_aggregator() -> None:
    b = StreamsBuilder()
    one, two = two_grouped(b)
    cogrouped = one.cogroup(concat).cogroup(two, concat).cogroup(one, concat)
    cogrouped.aggregate(empty, Named.as_("n"))
    text = describe(b)
    assert "n-cogroup-agg-0" in text and "n-cogroup-agg-1" in text
    assert "n-cogroup-agg-2" not in text
