"""``Topology.describe()`` against Kafka Streams' TopologyDescription text.

The expected strings follow Java's rules (InternalTopologyBuilder.TopologyDescription,
Subtopology and AbstractNode ``toString``, NodeComparator: sub-tree size descending,
then name; ``none`` when a node has no successors; sub-topologies numbered in the
order their first node was added) and KStreamImpl's generated names, where the
counter advances even for named operations. Each one was checked against the output
of Kafka Streams 4.4 for the same topology.
"""

from __future__ import annotations

import pytest

from kstreams import (
    Branched,
    Consumed,
    FixedKeyProcessor,
    Named,
    Printed,
    Processor,
    Produced,
    Repartitioned,
    StreamsBuilder,
    Topology,
)


class Forward(Processor):
    def process(self, record):
        self.context.forward(record)


class KeepValue(FixedKeyProcessor):
    def process(self, record):
        self.context.forward(record)


def test_filter_to() -> None:
    builder = StreamsBuilder()
    builder.stream("input").filter(lambda k, v: v is not None).to("output")

    assert str(builder.build().describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [input])\n"
        "      --> KSTREAM-FILTER-0000000001\n"
        "    Processor: KSTREAM-FILTER-0000000001 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000002\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Sink: KSTREAM-SINK-0000000002 (topic: output)\n"
        "      <-- KSTREAM-FILTER-0000000001\n"
        "\n"
    )


def test_chain_of_stateless_operations() -> None:
    builder = StreamsBuilder()
    (
        builder.stream("input")
        .map_values(str.upper)
        .filter(lambda k, v: True)
        .map_values(str.lower)
        .to("output")
    )

    assert str(builder.build().describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [input])\n"
        "      --> KSTREAM-MAPVALUES-0000000001\n"
        "    Processor: KSTREAM-MAPVALUES-0000000001 (stores: [])\n"
        "      --> KSTREAM-FILTER-0000000002\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: KSTREAM-FILTER-0000000002 (stores: [])\n"
        "      --> KSTREAM-MAPVALUES-0000000003\n"
        "      <-- KSTREAM-MAPVALUES-0000000001\n"
        "    Processor: KSTREAM-MAPVALUES-0000000003 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000004\n"
        "      <-- KSTREAM-FILTER-0000000002\n"
        "    Sink: KSTREAM-SINK-0000000004 (topic: output)\n"
        "      <-- KSTREAM-MAPVALUES-0000000003\n"
        "\n"
    )


def test_split_with_generated_names_and_default_branch() -> None:
    builder = StreamsBuilder()
    branches = (
        builder.stream("input")
        .split()
        .branch(lambda k, v: v == "a")
        .branch(lambda k, v: v == "b")
        .default_branch()
    )
    assert sorted(branches) == [
        "KSTREAM-BRANCH-00000000010",
        "KSTREAM-BRANCH-00000000011",
        "KSTREAM-BRANCH-00000000012",
    ]
    branches["KSTREAM-BRANCH-00000000011"].to("a")
    branches["KSTREAM-BRANCH-00000000012"].to("b")

    # Branch children have sub-trees of 2 (child + sink) and the default one of 1,
    # so the default branch comes last among the splitter's successors.
    assert str(builder.build().describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [input])\n"
        "      --> KSTREAM-BRANCH-0000000001\n"
        "    Processor: KSTREAM-BRANCH-0000000001 (stores: [])\n"
        "      --> KSTREAM-BRANCH-00000000011, KSTREAM-BRANCH-00000000012, "
        "KSTREAM-BRANCH-00000000010\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: KSTREAM-BRANCH-00000000011 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000005\n"
        "      <-- KSTREAM-BRANCH-0000000001\n"
        "    Processor: KSTREAM-BRANCH-00000000012 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000006\n"
        "      <-- KSTREAM-BRANCH-0000000001\n"
        "    Processor: KSTREAM-BRANCH-00000000010 (stores: [])\n"
        "      --> none\n"
        "      <-- KSTREAM-BRANCH-0000000001\n"
        "    Sink: KSTREAM-SINK-0000000005 (topic: a)\n"
        "      <-- KSTREAM-BRANCH-00000000011\n"
        "    Sink: KSTREAM-SINK-0000000006 (topic: b)\n"
        "      <-- KSTREAM-BRANCH-00000000012\n"
        "\n"
    )


def test_split_with_named_branches() -> None:
    builder = StreamsBuilder()
    branches = (
        builder.stream("input")
        .split(Named.as_("split-"))
        .branch(lambda k, v: v == "a", Branched.as_("a"))
        .branch(lambda k, v: v == "b", Branched.as_("b"))
        .no_default_branch()
    )
    assert sorted(branches) == ["split-a", "split-b"]
    branches["split-a"].to("a")
    branches["split-b"].to("b")

    # The named splitter still draws index 1, the children 2 and 3: sinks are 4 and 5.
    assert str(builder.build().describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [input])\n"
        "      --> split-\n"
        "    Processor: split- (stores: [])\n"
        "      --> split-a, split-b\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: split-a (stores: [])\n"
        "      --> KSTREAM-SINK-0000000004\n"
        "      <-- split-\n"
        "    Processor: split-b (stores: [])\n"
        "      --> KSTREAM-SINK-0000000005\n"
        "      <-- split-\n"
        "    Sink: KSTREAM-SINK-0000000004 (topic: a)\n"
        "      <-- split-a\n"
        "    Sink: KSTREAM-SINK-0000000005 (topic: b)\n"
        "      <-- split-b\n"
        "\n"
    )


def test_repartition_makes_two_subtopologies() -> None:
    builder = StreamsBuilder()
    builder.stream("input").repartition().to("output")

    assert str(builder.build().describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [input])\n"
        "      --> KSTREAM-FILTER-0000000003\n"
        "    Processor: KSTREAM-FILTER-0000000003 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000002\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Sink: KSTREAM-SINK-0000000002 (topic: KSTREAM-REPARTITION-0000000001-repartition)\n"
        "      <-- KSTREAM-FILTER-0000000003\n"
        "\n"
        "  Sub-topology: 1\n"
        "    Source: KSTREAM-SOURCE-0000000004 (topics: [KSTREAM-REPARTITION-0000000001-repartition])\n"
        "      --> KSTREAM-SINK-0000000005\n"
        "    Sink: KSTREAM-SINK-0000000005 (topic: output)\n"
        "      <-- KSTREAM-SOURCE-0000000004\n"
        "\n"
    )


def test_named_repartition_after_select_key() -> None:
    builder = StreamsBuilder()
    (
        builder.stream("input")
        .select_key(lambda k, v: v)
        .repartition(Repartitioned.as_("rekeyed"))
        .map_values(str.upper)
        .to("output")
    )
    topology = builder.build()

    assert str(topology.describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [input])\n"
        "      --> KSTREAM-KEY-SELECT-0000000001\n"
        "    Processor: KSTREAM-KEY-SELECT-0000000001 (stores: [])\n"
        "      --> rekeyed-repartition-filter\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: rekeyed-repartition-filter (stores: [])\n"
        "      --> rekeyed-repartition-sink\n"
        "      <-- KSTREAM-KEY-SELECT-0000000001\n"
        "    Sink: rekeyed-repartition-sink (topic: rekeyed-repartition)\n"
        "      <-- rekeyed-repartition-filter\n"
        "\n"
        "  Sub-topology: 1\n"
        "    Source: rekeyed-repartition-source (topics: [rekeyed-repartition])\n"
        "      --> KSTREAM-MAPVALUES-0000000005\n"
        "    Processor: KSTREAM-MAPVALUES-0000000005 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000006\n"
        "      <-- rekeyed-repartition-source\n"
        "    Sink: KSTREAM-SINK-0000000006 (topic: output)\n"
        "      <-- KSTREAM-MAPVALUES-0000000005\n"
        "\n"
    )
    subs = topology.subtopologies()
    assert [s.id for s in subs] == [0, 1]
    assert subs[0].source_topics == ["input"]
    assert subs[0].sink_topics == ["rekeyed-repartition"]
    assert subs[1].source_topics == ["rekeyed-repartition"]
    assert "rekeyed-repartition" in topology.internal_topics


def test_repartition_name_ending_in_repartition_is_the_topic_name() -> None:
    builder = StreamsBuilder()
    builder.stream("input").repartition(Repartitioned.as_("x-repartition")).to("out")
    text = str(builder.build().describe())

    assert "    Sink: x-repartition-sink (topic: x-repartition)\n" in text
    assert "    Source: x-repartition-source (topics: [x-repartition])\n" in text


def test_merge_of_two_sources() -> None:
    builder = StreamsBuilder()
    a = builder.stream("a")
    b = builder.stream("b")
    a.merge(b).to("out")

    assert str(builder.build().describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [a])\n"
        "      --> KSTREAM-MERGE-0000000002\n"
        "    Source: KSTREAM-SOURCE-0000000001 (topics: [b])\n"
        "      --> KSTREAM-MERGE-0000000002\n"
        "    Processor: KSTREAM-MERGE-0000000002 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000003\n"
        "      <-- KSTREAM-SOURCE-0000000000, KSTREAM-SOURCE-0000000001\n"
        "    Sink: KSTREAM-SINK-0000000003 (topic: out)\n"
        "      <-- KSTREAM-MERGE-0000000002\n"
        "\n"
    )


def test_named_operations_still_advance_the_name_counter() -> None:
    builder = StreamsBuilder()
    (
        builder.stream("input", Consumed.as_("src"))
        .filter(lambda k, v: True, Named.as_("f"))
        .map_values(str.upper)
        .process(Forward, named=Named.as_("p"))  # process() draws no index when named
        .map_values(str.lower)
        .process_values(KeepValue)
        .to("output", Produced.as_("out"))
    )

    assert str(builder.build().describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: src (topics: [input])\n"
        "      --> f\n"
        "    Processor: f (stores: [])\n"
        "      --> KSTREAM-MAPVALUES-0000000002\n"
        "      <-- src\n"
        "    Processor: KSTREAM-MAPVALUES-0000000002 (stores: [])\n"
        "      --> p\n"
        "      <-- f\n"
        "    Processor: p (stores: [])\n"
        "      --> KSTREAM-MAPVALUES-0000000003\n"
        "      <-- KSTREAM-MAPVALUES-0000000002\n"
        "    Processor: KSTREAM-MAPVALUES-0000000003 (stores: [])\n"
        "      --> KSTREAM-PROCESSVALUES-0000000004\n"
        "      <-- p\n"
        "    Processor: KSTREAM-PROCESSVALUES-0000000004 (stores: [])\n"
        "      --> out\n"
        "      <-- KSTREAM-MAPVALUES-0000000003\n"
        "    Sink: out (topic: output)\n"
        "      <-- KSTREAM-PROCESSVALUES-0000000004\n"
        "\n"
    )


def test_fan_out_orders_successors_by_subtree_size_then_name() -> None:
    builder = StreamsBuilder()
    s = builder.stream("input")
    s.peek(lambda k, v: None).foreach(lambda k, v: None)
    s.flat_map(lambda k, v: []).print(Printed.to_sys_out())
    s.to("x")

    assert str(builder.build().describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [input])\n"
        "      --> KSTREAM-FLATMAP-0000000003, KSTREAM-PEEK-0000000001, KSTREAM-SINK-0000000005\n"
        "    Processor: KSTREAM-FLATMAP-0000000003 (stores: [])\n"
        "      --> KSTREAM-PRINTER-0000000004\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: KSTREAM-PEEK-0000000001 (stores: [])\n"
        "      --> KSTREAM-FOREACH-0000000002\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: KSTREAM-FOREACH-0000000002 (stores: [])\n"
        "      --> none\n"
        "      <-- KSTREAM-PEEK-0000000001\n"
        "    Processor: KSTREAM-PRINTER-0000000004 (stores: [])\n"
        "      --> none\n"
        "      <-- KSTREAM-FLATMAP-0000000003\n"
        "    Sink: KSTREAM-SINK-0000000005 (topic: x)\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "\n"
    )


def test_sink_with_topic_extractor_shows_the_extractor() -> None:
    def route(key, value, context):
        return "x"

    builder = StreamsBuilder()
    builder.stream("input").to(route)
    text = str(builder.build().describe())

    assert "    Sink: KSTREAM-SINK-0000000001 (extractor class: " in text
    assert "route" in text
    assert text.endswith(")\n      <-- KSTREAM-SOURCE-0000000000\n\n")


def test_processor_api_topology() -> None:
    topology = (
        Topology()
        .add_source("Source", "input")
        .add_processor("Process", Forward, "Source")
        .add_sink("Sink", "output", "Process")
    )

    assert str(topology.describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: Source (topics: [input])\n"
        "      --> Process\n"
        "    Processor: Process (stores: [])\n"
        "      --> Sink\n"
        "      <-- Source\n"
        "    Sink: Sink (topic: output)\n"
        "      <-- Process\n"
        "\n"
    )


def test_subtopologies_are_numbered_in_the_order_nodes_were_added() -> None:
    # Java numbers node groups as it meets them, not by source name.
    topology = (
        Topology()
        .add_source("B-source", "b")
        .add_source("A-source", "a")
        .add_sink("B-sink", "out-b", "B-source")
        .add_sink("A-sink", "out-a", "A-source")
    )

    assert str(topology.describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: B-source (topics: [b])\n"
        "      --> B-sink\n"
        "    Sink: B-sink (topic: out-b)\n"
        "      <-- B-source\n"
        "\n"
        "  Sub-topology: 1\n"
        "    Source: A-source (topics: [a])\n"
        "      --> A-sink\n"
        "    Sink: A-sink (topic: out-a)\n"
        "      <-- A-source\n"
        "\n"
    )
    assert [s.source_topics for s in topology.subtopologies()] == [["b"], ["a"]]


def test_describe_is_stable_across_builds() -> None:
    builder = StreamsBuilder()
    builder.stream("input").filter(lambda k, v: True).to("output")

    assert str(builder.build().describe()) == str(builder.build().describe())
    assert repr(builder.build().describe()) == str(builder.build().describe())


@pytest.mark.parametrize("prefix", ["KSTREAM-SOURCE-", "KSTREAM-FILTER-", "KSTREAM-SINK-"])
def test_generated_names_use_java_prefixes_and_ten_digits(prefix: str) -> None:
    builder = StreamsBuilder()
    builder.stream("input").filter(lambda k, v: True).to("output")
    names = list(builder.build().nodes)

    assert any(n.startswith(prefix) and len(n) == len(prefix) + 10 for n in names)


# -- merge: predecessors in Java's order ---------------------------------------------------------
# Java connects a sub-topology's nodes in HashMap order of their names and keeps each node's
# predecessors and successors in a TreeSet ordered by the sub-tree sizes known at insertion time
# (InternalTopologyBuilder.describeSubtopology, NodeComparator), so the ``<--`` order of a merge
# is not a sort by the final sizes. Every expected text below is Kafka Streams 4.4.0's
# ``describe()`` output for the same topology built with the Java DSL.


def _merge_text(*lines: str) -> str:
    return "Topologies:\n   Sub-topology: 0\n" + "".join(f"    {line}\n" for line in lines) + "\n"


def test_merge_of_three_streams_chained() -> None:
    """Java: ``a.merge(b).merge(c).to("out")`` -- checked against Kafka Streams 4.4.0."""
    builder = StreamsBuilder()
    builder.stream("a").merge(builder.stream("b")).merge(builder.stream("c")).to("out")

    assert str(builder.build().describe()) == _merge_text(
        "Source: KSTREAM-SOURCE-0000000000 (topics: [a])",
        "  --> KSTREAM-MERGE-0000000002",
        "Source: KSTREAM-SOURCE-0000000001 (topics: [b])",
        "  --> KSTREAM-MERGE-0000000002",
        "Processor: KSTREAM-MERGE-0000000002 (stores: [])",
        "  --> KSTREAM-MERGE-0000000004",
        "  <-- KSTREAM-SOURCE-0000000000, KSTREAM-SOURCE-0000000001",
        "Source: KSTREAM-SOURCE-0000000003 (topics: [c])",
        "  --> KSTREAM-MERGE-0000000004",
        "Processor: KSTREAM-MERGE-0000000004 (stores: [])",
        "  --> KSTREAM-SINK-0000000005",
        "  <-- KSTREAM-MERGE-0000000002, KSTREAM-SOURCE-0000000003",
        "Sink: KSTREAM-SINK-0000000005 (topic: out)",
        "  <-- KSTREAM-MERGE-0000000004",
    )


def test_merge_of_three_streams_nested() -> None:
    """Java: ``a.merge(b.merge(c))`` -- checked against Kafka Streams 4.4.0. The outer merge lists
    the source before the inner merge although both have sub-trees of 3 and MERGE < SOURCE."""
    builder = StreamsBuilder()
    a, b, c = builder.stream("a"), builder.stream("b"), builder.stream("c")
    a.merge(b.merge(c)).to("out")

    assert str(builder.build().describe()) == _merge_text(
        "Source: KSTREAM-SOURCE-0000000001 (topics: [b])",
        "  --> KSTREAM-MERGE-0000000003",
        "Source: KSTREAM-SOURCE-0000000002 (topics: [c])",
        "  --> KSTREAM-MERGE-0000000003",
        "Processor: KSTREAM-MERGE-0000000003 (stores: [])",
        "  --> KSTREAM-MERGE-0000000004",
        "  <-- KSTREAM-SOURCE-0000000001, KSTREAM-SOURCE-0000000002",
        "Source: KSTREAM-SOURCE-0000000000 (topics: [a])",
        "  --> KSTREAM-MERGE-0000000004",
        "Processor: KSTREAM-MERGE-0000000004 (stores: [])",
        "  --> KSTREAM-SINK-0000000005",
        "  <-- KSTREAM-SOURCE-0000000000, KSTREAM-MERGE-0000000003",
        "Sink: KSTREAM-SINK-0000000005 (topic: out)",
        "  <-- KSTREAM-MERGE-0000000004",
    )


def test_merge_after_operations() -> None:
    """Java: ``a.filter(..).merge(b.mapValues(..))`` -- checked against Kafka Streams 4.4.0."""
    builder = StreamsBuilder()
    a, b = builder.stream("a"), builder.stream("b")
    a.filter(lambda k, v: True).merge(b.map_values(lambda v: v)).to("out")

    assert str(builder.build().describe()) == _merge_text(
        "Source: KSTREAM-SOURCE-0000000000 (topics: [a])",
        "  --> KSTREAM-FILTER-0000000002",
        "Source: KSTREAM-SOURCE-0000000001 (topics: [b])",
        "  --> KSTREAM-MAPVALUES-0000000003",
        "Processor: KSTREAM-FILTER-0000000002 (stores: [])",
        "  --> KSTREAM-MERGE-0000000004",
        "  <-- KSTREAM-SOURCE-0000000000",
        "Processor: KSTREAM-MAPVALUES-0000000003 (stores: [])",
        "  --> KSTREAM-MERGE-0000000004",
        "  <-- KSTREAM-SOURCE-0000000001",
        "Processor: KSTREAM-MERGE-0000000004 (stores: [])",
        "  --> KSTREAM-SINK-0000000005",
        "  <-- KSTREAM-FILTER-0000000002, KSTREAM-MAPVALUES-0000000003",
        "Sink: KSTREAM-SINK-0000000005 (topic: out)",
        "  <-- KSTREAM-MERGE-0000000004",
    )


@pytest.mark.parametrize("longer_first", [True, False])
def test_merge_with_a_longer_branch(longer_first: bool) -> None:
    """Java: ``a.filter(..).mapValues(..).merge(b)`` and ``b.merge(a.filter(..).mapValues(..))``
    -- checked against Kafka Streams 4.4.0: the merge's predecessors have sub-trees of 3 either
    way, and their order follows the order of the merge's parents."""
    builder = StreamsBuilder()
    a, b = builder.stream("a"), builder.stream("b")
    if longer_first:
        a.filter(lambda k, v: True).map_values(lambda v: v).merge(b).to("out")
    else:
        b.merge(a.filter(lambda k, v: True).map_values(lambda v: v)).to("out")
    parents = ["KSTREAM-MAPVALUES-0000000003", "KSTREAM-SOURCE-0000000001"]
    if not longer_first:
        parents.reverse()

    assert str(builder.build().describe()) == _merge_text(
        "Source: KSTREAM-SOURCE-0000000000 (topics: [a])",
        "  --> KSTREAM-FILTER-0000000002",
        "Processor: KSTREAM-FILTER-0000000002 (stores: [])",
        "  --> KSTREAM-MAPVALUES-0000000003",
        "  <-- KSTREAM-SOURCE-0000000000",
        "Processor: KSTREAM-MAPVALUES-0000000003 (stores: [])",
        "  --> KSTREAM-MERGE-0000000004",
        "  <-- KSTREAM-FILTER-0000000002",
        "Source: KSTREAM-SOURCE-0000000001 (topics: [b])",
        "  --> KSTREAM-MERGE-0000000004",
        "Processor: KSTREAM-MERGE-0000000004 (stores: [])",
        "  --> KSTREAM-SINK-0000000005",
        f"  <-- {', '.join(parents)}",
        "Sink: KSTREAM-SINK-0000000005 (topic: out)",
        "  <-- KSTREAM-MERGE-0000000004",
    )


def test_merge_of_a_stream_with_its_own_filter() -> None:
    """Java: ``a.merge(a.filter(..))`` -- checked against Kafka Streams 4.4.0."""
    builder = StreamsBuilder()
    a = builder.stream("a")
    a.merge(a.filter(lambda k, v: True)).to("out")

    assert str(builder.build().describe()) == _merge_text(
        "Source: KSTREAM-SOURCE-0000000000 (topics: [a])",
        "  --> KSTREAM-FILTER-0000000001, KSTREAM-MERGE-0000000002",
        "Processor: KSTREAM-FILTER-0000000001 (stores: [])",
        "  --> KSTREAM-MERGE-0000000002",
        "  <-- KSTREAM-SOURCE-0000000000",
        "Processor: KSTREAM-MERGE-0000000002 (stores: [])",
        "  --> KSTREAM-SINK-0000000003",
        "  <-- KSTREAM-SOURCE-0000000000, KSTREAM-FILTER-0000000001",
        "Sink: KSTREAM-SINK-0000000003 (topic: out)",
        "  <-- KSTREAM-MERGE-0000000002",
    )


def test_merges_of_three_filters_of_one_stream() -> None:
    """Java: ``f1.merge(f2).merge(f3)`` of three filters of one stream -- checked against Kafka
    Streams 4.4.0."""
    builder = StreamsBuilder()
    a = builder.stream("a")
    a.filter(lambda k, v: True).merge(a.filter(lambda k, v: True)).merge(
        a.filter(lambda k, v: True)
    ).to("out")

    assert str(builder.build().describe()) == _merge_text(
        "Source: KSTREAM-SOURCE-0000000000 (topics: [a])",
        "  --> KSTREAM-FILTER-0000000001, KSTREAM-FILTER-0000000002, KSTREAM-FILTER-0000000004",
        "Processor: KSTREAM-FILTER-0000000001 (stores: [])",
        "  --> KSTREAM-MERGE-0000000003",
        "  <-- KSTREAM-SOURCE-0000000000",
        "Processor: KSTREAM-FILTER-0000000002 (stores: [])",
        "  --> KSTREAM-MERGE-0000000003",
        "  <-- KSTREAM-SOURCE-0000000000",
        "Processor: KSTREAM-FILTER-0000000004 (stores: [])",
        "  --> KSTREAM-MERGE-0000000005",
        "  <-- KSTREAM-SOURCE-0000000000",
        "Processor: KSTREAM-MERGE-0000000003 (stores: [])",
        "  --> KSTREAM-MERGE-0000000005",
        "  <-- KSTREAM-FILTER-0000000001, KSTREAM-FILTER-0000000002",
        "Processor: KSTREAM-MERGE-0000000005 (stores: [])",
        "  --> KSTREAM-SINK-0000000006",
        "  <-- KSTREAM-MERGE-0000000003, KSTREAM-FILTER-0000000004",
        "Sink: KSTREAM-SINK-0000000006 (topic: out)",
        "  <-- KSTREAM-MERGE-0000000005",
    )


def test_source_topics_print_in_java_hash_set_order() -> None:
    """Java prints a source's topics as a HashSet: ``[t10, t9]`` for ``addSource("s", "t9", "t10")``
    -- checked against Kafka Streams 4.4.0."""
    topology = Topology()
    topology.add_source("s", "t9", "t10")

    assert str(topology.describe()) == _merge_text(
        "Source: s (topics: [t10, t9])",
        "  --> none",
    )
