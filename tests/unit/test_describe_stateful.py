"""``describe()`` of stateful topologies against Kafka Streams 4.4's TopologyDescription text.

Every expected text was printed by Kafka Streams 4.4 (``Topology.describe()``) for the
same topology built with the Java DSL. Naming rules it follows (KGroupedStreamImpl,
KGroupedTableImpl, KStreamImpl, KTableImpl, InternalStreamsBuilder):

* aggregations draw the store name before the processor name
  (``KSTREAM-AGGREGATE-STATE-STORE-0000000001`` then ``KSTREAM-AGGREGATE-0000000002``);
  ``reduce`` is ``KSTREAM-REDUCE-`` / ``KTABLE-REDUCE-`` (the latter with a
  ``KTABLE-AGGREGATE-STATE-STORE-`` store);
* a stream grouping repartitions through ``<Grouped name or store name>-repartition``; its
  sink, null-key filter and source are generated names when that prefix is a generated
  name, else ``<topic>-sink``, ``<topic>-filter``, ``<topic>-source``;
* a table grouping has no filter; its sink and source are ``<Named>-sink`` / ``<Named>-source``;
* ``Grouped.as_`` names the key selector of ``group_by``;
* ``builder.table`` draws ``<topic>-STATE-STORE-`` first; a named ``Consumed`` names the
  table source and its topic source ``<name>-source``.

* an unnamed source table (``builder.table``, ``to_table``) lists no store unless a
  downstream operator needs one (``group_by``), its store name drawn all the same.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from kstreams import (
    Consumed,
    Grouped,
    Materialized,
    Named,
    Processor,
    Serdes,
    StreamsBuilder,
    Topology,
)
from kstreams.state import Stores

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def load_example(name: str):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


word_count = load_example("word_count")


class Noop(Processor):
    def process(self, record):
        pass


def counts_store(name: str):
    return Stores.key_value_store_builder(
        Stores.persistent_key_value_store(name), Serdes.String(), Serdes.Long()
    )


def test_word_count_example() -> None:
    """examples/word_count.py. The store name "counts" names the repartition topic, and since
    it is not a generated name, the repartition nodes are named after the topic."""
    topology = word_count.build_topology()

    assert str(topology.describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [text-lines])\n"
        "      --> KSTREAM-FLATMAPVALUES-0000000001\n"
        "    Processor: KSTREAM-FLATMAPVALUES-0000000001 (stores: [])\n"
        "      --> KSTREAM-KEY-SELECT-0000000002\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: KSTREAM-KEY-SELECT-0000000002 (stores: [])\n"
        "      --> counts-repartition-filter\n"
        "      <-- KSTREAM-FLATMAPVALUES-0000000001\n"
        "    Processor: counts-repartition-filter (stores: [])\n"
        "      --> counts-repartition-sink\n"
        "      <-- KSTREAM-KEY-SELECT-0000000002\n"
        "    Sink: counts-repartition-sink (topic: counts-repartition)\n"
        "      <-- counts-repartition-filter\n"
        "\n"
        "  Sub-topology: 1\n"
        "    Source: counts-repartition-source (topics: [counts-repartition])\n"
        "      --> KSTREAM-AGGREGATE-0000000003\n"
        "    Processor: KSTREAM-AGGREGATE-0000000003 (stores: [counts])\n"
        "      --> KTABLE-TOSTREAM-0000000007\n"
        "      <-- counts-repartition-source\n"
        "    Processor: KTABLE-TOSTREAM-0000000007 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000008\n"
        "      <-- KSTREAM-AGGREGATE-0000000003\n"
        "    Sink: KSTREAM-SINK-0000000008 (topic: word-counts)\n"
        "      <-- KTABLE-TOSTREAM-0000000007\n"
        "\n"
    )


def test_count_after_group_by_key_has_no_repartition() -> None:
    """The store name is drawn before the processor name (Java's MaterializedInternal)."""
    builder = StreamsBuilder()
    builder.stream("in").group_by_key().count().to_stream().to("out")
    topology = builder.build()

    assert str(topology.describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [in])\n"
        "      --> KSTREAM-AGGREGATE-0000000002\n"
        "    Processor: KSTREAM-AGGREGATE-0000000002 (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000001])\n"
        "      --> KTABLE-TOSTREAM-0000000003\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: KTABLE-TOSTREAM-0000000003 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000004\n"
        "      <-- KSTREAM-AGGREGATE-0000000002\n"
        "    Sink: KSTREAM-SINK-0000000004 (topic: out)\n"
        "      <-- KTABLE-TOSTREAM-0000000003\n"
        "\n"
    )


def test_reduce_is_named_kstream_reduce() -> None:
    builder = StreamsBuilder()
    builder.stream("in").group_by_key().reduce(lambda a, v: a + v).to_stream().to("out")
    topology = builder.build()

    assert str(topology.describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [in])\n"
        "      --> KSTREAM-REDUCE-0000000002\n"
        "    Processor: KSTREAM-REDUCE-0000000002 (stores: [KSTREAM-REDUCE-STATE-STORE-0000000001])\n"
        "      --> KTABLE-TOSTREAM-0000000003\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: KTABLE-TOSTREAM-0000000003 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000004\n"
        "      <-- KSTREAM-REDUCE-0000000002\n"
        "    Sink: KSTREAM-SINK-0000000004 (topic: out)\n"
        "      <-- KTABLE-TOSTREAM-0000000003\n"
        "\n"
    )


def test_aggregate_after_group_by_key() -> None:
    builder = StreamsBuilder()
    (
        builder.stream("in")
        .group_by_key()
        .aggregate(lambda: "", lambda k, v, agg: agg + v)
        .to_stream()
        .to("out")
    )
    topology = builder.build()

    assert str(topology.describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [in])\n"
        "      --> KSTREAM-AGGREGATE-0000000002\n"
        "    Processor: KSTREAM-AGGREGATE-0000000002 (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000001])\n"
        "      --> KTABLE-TOSTREAM-0000000003\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: KTABLE-TOSTREAM-0000000003 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000004\n"
        "      <-- KSTREAM-AGGREGATE-0000000002\n"
        "    Sink: KSTREAM-SINK-0000000004 (topic: out)\n"
        "      <-- KTABLE-TOSTREAM-0000000003\n"
        "\n"
    )


def test_select_key_then_group_by_key_repartitions_through_the_store_named_topic() -> None:
    """The repartition topic is named after the generated store name; so are its nodes generated."""
    builder = StreamsBuilder()
    builder.stream("in").select_key(lambda k, v: v).group_by_key().count().to_stream().to("out")
    topology = builder.build()

    assert str(topology.describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [in])\n"
        "      --> KSTREAM-KEY-SELECT-0000000001\n"
        "    Processor: KSTREAM-KEY-SELECT-0000000001 (stores: [])\n"
        "      --> KSTREAM-FILTER-0000000005\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: KSTREAM-FILTER-0000000005 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000004\n"
        "      <-- KSTREAM-KEY-SELECT-0000000001\n"
        "    Sink: KSTREAM-SINK-0000000004 (topic: KSTREAM-AGGREGATE-STATE-STORE-0000000002-repartition)\n"
        "      <-- KSTREAM-FILTER-0000000005\n"
        "\n"
        "  Sub-topology: 1\n"
        "    Source: KSTREAM-SOURCE-0000000006 (topics: [KSTREAM-AGGREGATE-STATE-STORE-0000000002-repartition])\n"
        "      --> KSTREAM-AGGREGATE-0000000003\n"
        "    Processor: KSTREAM-AGGREGATE-0000000003 (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000002])\n"
        "      --> KTABLE-TOSTREAM-0000000007\n"
        "      <-- KSTREAM-SOURCE-0000000006\n"
        "    Processor: KTABLE-TOSTREAM-0000000007 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000008\n"
        "      <-- KSTREAM-AGGREGATE-0000000003\n"
        "    Sink: KSTREAM-SINK-0000000008 (topic: out)\n"
        "      <-- KTABLE-TOSTREAM-0000000007\n"
        "\n"
    )


def test_group_by_then_reduce() -> None:
    builder = StreamsBuilder()
    builder.stream("in").group_by(lambda k, v: v).reduce(lambda a, v: a + v).to_stream().to("out")
    topology = builder.build()

    assert str(topology.describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [in])\n"
        "      --> KSTREAM-KEY-SELECT-0000000001\n"
        "    Processor: KSTREAM-KEY-SELECT-0000000001 (stores: [])\n"
        "      --> KSTREAM-FILTER-0000000005\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: KSTREAM-FILTER-0000000005 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000004\n"
        "      <-- KSTREAM-KEY-SELECT-0000000001\n"
        "    Sink: KSTREAM-SINK-0000000004 (topic: KSTREAM-REDUCE-STATE-STORE-0000000002-repartition)\n"
        "      <-- KSTREAM-FILTER-0000000005\n"
        "\n"
        "  Sub-topology: 1\n"
        "    Source: KSTREAM-SOURCE-0000000006 (topics: [KSTREAM-REDUCE-STATE-STORE-0000000002-repartition])\n"
        "      --> KSTREAM-REDUCE-0000000003\n"
        "    Processor: KSTREAM-REDUCE-0000000003 (stores: [KSTREAM-REDUCE-STATE-STORE-0000000002])\n"
        "      --> KTABLE-TOSTREAM-0000000007\n"
        "      <-- KSTREAM-SOURCE-0000000006\n"
        "    Processor: KTABLE-TOSTREAM-0000000007 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000008\n"
        "      <-- KSTREAM-REDUCE-0000000003\n"
        "    Sink: KSTREAM-SINK-0000000008 (topic: out)\n"
        "      <-- KTABLE-TOSTREAM-0000000007\n"
        "\n"
    )


def test_grouped_name_names_the_key_selector_and_the_repartition_nodes() -> None:
    builder = StreamsBuilder()
    (
        builder.stream("in")
        .group_by(lambda k, v: v, Grouped.as_("by-value"))
        .count(Materialized.as_("cnt"))
        .to_stream()
        .to("out")
    )
    topology = builder.build()

    assert str(topology.describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [in])\n"
        "      --> by-value\n"
        "    Processor: by-value (stores: [])\n"
        "      --> by-value-repartition-filter\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: by-value-repartition-filter (stores: [])\n"
        "      --> by-value-repartition-sink\n"
        "      <-- by-value\n"
        "    Sink: by-value-repartition-sink (topic: by-value-repartition)\n"
        "      <-- by-value-repartition-filter\n"
        "\n"
        "  Sub-topology: 1\n"
        "    Source: by-value-repartition-source (topics: [by-value-repartition])\n"
        "      --> KSTREAM-AGGREGATE-0000000002\n"
        "    Processor: KSTREAM-AGGREGATE-0000000002 (stores: [cnt])\n"
        "      --> KTABLE-TOSTREAM-0000000006\n"
        "      <-- by-value-repartition-source\n"
        "    Processor: KTABLE-TOSTREAM-0000000006 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000007\n"
        "      <-- KSTREAM-AGGREGATE-0000000002\n"
        "    Sink: KSTREAM-SINK-0000000007 (topic: out)\n"
        "      <-- KTABLE-TOSTREAM-0000000006\n"
        "\n"
    )


def test_count_named() -> None:
    builder = StreamsBuilder()
    builder.stream("in").group_by_key().count(Named.as_("counter")).to_stream().to("out")
    topology = builder.build()

    assert str(topology.describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [in])\n"
        "      --> counter\n"
        "    Processor: counter (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000001])\n"
        "      --> KTABLE-TOSTREAM-0000000003\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: KTABLE-TOSTREAM-0000000003 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000004\n"
        "      <-- counter\n"
        "    Sink: KSTREAM-SINK-0000000004 (topic: out)\n"
        "      <-- KTABLE-TOSTREAM-0000000003\n"
        "\n"
    )


def test_count_named_after_a_key_change() -> None:
    builder = StreamsBuilder()
    (
        builder.stream("in")
        .select_key(lambda k, v: v)
        .group_by_key()
        .count(Named.as_("counter"))
        .to_stream()
        .to("out")
    )
    topology = builder.build()

    assert str(topology.describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [in])\n"
        "      --> KSTREAM-KEY-SELECT-0000000001\n"
        "    Processor: KSTREAM-KEY-SELECT-0000000001 (stores: [])\n"
        "      --> KSTREAM-FILTER-0000000005\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: KSTREAM-FILTER-0000000005 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000004\n"
        "      <-- KSTREAM-KEY-SELECT-0000000001\n"
        "    Sink: KSTREAM-SINK-0000000004 (topic: KSTREAM-AGGREGATE-STATE-STORE-0000000002-repartition)\n"
        "      <-- KSTREAM-FILTER-0000000005\n"
        "\n"
        "  Sub-topology: 1\n"
        "    Source: KSTREAM-SOURCE-0000000006 (topics: [KSTREAM-AGGREGATE-STATE-STORE-0000000002-repartition])\n"
        "      --> counter\n"
        "    Processor: counter (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000002])\n"
        "      --> KTABLE-TOSTREAM-0000000007\n"
        "      <-- KSTREAM-SOURCE-0000000006\n"
        "    Processor: KTABLE-TOSTREAM-0000000007 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000008\n"
        "      <-- counter\n"
        "    Sink: KSTREAM-SINK-0000000008 (topic: out)\n"
        "      <-- KTABLE-TOSTREAM-0000000007\n"
        "\n"
    )


def test_map_then_group_by_key_with_a_grouped_name() -> None:
    builder = StreamsBuilder()
    (
        builder.stream("in")
        .map(lambda k, v: (v, k))
        .group_by_key(Grouped.as_("rekey"))
        .count()
        .to_stream()
        .to("out")
    )
    topology = builder.build()

    assert str(topology.describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [in])\n"
        "      --> KSTREAM-MAP-0000000001\n"
        "    Processor: KSTREAM-MAP-0000000001 (stores: [])\n"
        "      --> rekey-repartition-filter\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: rekey-repartition-filter (stores: [])\n"
        "      --> rekey-repartition-sink\n"
        "      <-- KSTREAM-MAP-0000000001\n"
        "    Sink: rekey-repartition-sink (topic: rekey-repartition)\n"
        "      <-- rekey-repartition-filter\n"
        "\n"
        "  Sub-topology: 1\n"
        "    Source: rekey-repartition-source (topics: [rekey-repartition])\n"
        "      --> KSTREAM-AGGREGATE-0000000003\n"
        "    Processor: KSTREAM-AGGREGATE-0000000003 (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000002])\n"
        "      --> KTABLE-TOSTREAM-0000000007\n"
        "      <-- rekey-repartition-source\n"
        "    Processor: KTABLE-TOSTREAM-0000000007 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000008\n"
        "      <-- KSTREAM-AGGREGATE-0000000003\n"
        "    Sink: KSTREAM-SINK-0000000008 (topic: out)\n"
        "      <-- KTABLE-TOSTREAM-0000000007\n"
        "\n"
    )


def test_group_by_aggregate_with_every_name_given() -> None:
    builder = StreamsBuilder()
    (
        builder.stream("in")
        .group_by(lambda k, v: v, Grouped.as_("g"))
        .aggregate(
            lambda: "",
            lambda k, v, agg: agg + v,
            Named.as_("agg"),
            Materialized.as_("agg-store"),
        )
        .to_stream()
        .to("out")
    )
    topology = builder.build()

    assert str(topology.describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [in])\n"
        "      --> g\n"
        "    Processor: g (stores: [])\n"
        "      --> g-repartition-filter\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: g-repartition-filter (stores: [])\n"
        "      --> g-repartition-sink\n"
        "      <-- g\n"
        "    Sink: g-repartition-sink (topic: g-repartition)\n"
        "      <-- g-repartition-filter\n"
        "\n"
        "  Sub-topology: 1\n"
        "    Source: g-repartition-source (topics: [g-repartition])\n"
        "      --> agg\n"
        "    Processor: agg (stores: [agg-store])\n"
        "      --> KTABLE-TOSTREAM-0000000006\n"
        "      <-- g-repartition-source\n"
        "    Processor: KTABLE-TOSTREAM-0000000006 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000007\n"
        "      <-- agg\n"
        "    Sink: KSTREAM-SINK-0000000007 (topic: out)\n"
        "      <-- KTABLE-TOSTREAM-0000000006\n"
        "\n"
    )


def test_reduce_with_named_and_materialized() -> None:
    builder = StreamsBuilder()
    (
        builder.stream("in")
        .group_by_key()
        .reduce(lambda a, v: a + v, Named.as_("r"), Materialized.as_("rs"))
        .to_stream()
        .to("out")
    )
    topology = builder.build()

    assert str(topology.describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [in])\n"
        "      --> r\n"
        "    Processor: r (stores: [rs])\n"
        "      --> KTABLE-TOSTREAM-0000000002\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: KTABLE-TOSTREAM-0000000002 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000003\n"
        "      <-- r\n"
        "    Sink: KSTREAM-SINK-0000000003 (topic: out)\n"
        "      <-- KTABLE-TOSTREAM-0000000002\n"
        "\n"
    )


def test_filter_on_an_aggregation_result() -> None:
    builder = StreamsBuilder()
    builder.stream("in").group_by_key().count().filter(lambda k, v: v > 1).to_stream().to("out")
    topology = builder.build()

    assert str(topology.describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [in])\n"
        "      --> KSTREAM-AGGREGATE-0000000002\n"
        "    Processor: KSTREAM-AGGREGATE-0000000002 (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000001])\n"
        "      --> KTABLE-FILTER-0000000003\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: KTABLE-FILTER-0000000003 (stores: [])\n"
        "      --> KTABLE-TOSTREAM-0000000004\n"
        "      <-- KSTREAM-AGGREGATE-0000000002\n"
        "    Processor: KTABLE-TOSTREAM-0000000004 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000005\n"
        "      <-- KTABLE-FILTER-0000000003\n"
        "    Sink: KSTREAM-SINK-0000000005 (topic: out)\n"
        "      <-- KTABLE-TOSTREAM-0000000004\n"
        "\n"
    )


def test_table_materialized_by_name() -> None:
    builder = StreamsBuilder()
    builder.table("users", materialized=Materialized.as_("users-store")).to_stream().to("out")
    topology = builder.build()

    assert str(topology.describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [users])\n"
        "      --> KTABLE-SOURCE-0000000001\n"
        "    Processor: KTABLE-SOURCE-0000000001 (stores: [users-store])\n"
        "      --> KTABLE-TOSTREAM-0000000002\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: KTABLE-TOSTREAM-0000000002 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000003\n"
        "      <-- KTABLE-SOURCE-0000000001\n"
        "    Sink: KSTREAM-SINK-0000000003 (topic: out)\n"
        "      <-- KTABLE-TOSTREAM-0000000002\n"
        "\n"
    )


def test_table_without_a_store_name_is_not_materialized() -> None:
    """Kafka Streams 4.4.0: a source table is materialized only when it is named or an operator
    downstream needs it; the store name ``users-STATE-STORE-0000000000`` is drawn anyway."""
    builder = StreamsBuilder()
    builder.table("users").to_stream().to("out")
    topology = builder.build()

    assert str(topology.describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000001 (topics: [users])\n"
        "      --> KTABLE-SOURCE-0000000002\n"
        "    Processor: KTABLE-SOURCE-0000000002 (stores: [])\n"
        "      --> KTABLE-TOSTREAM-0000000003\n"
        "      <-- KSTREAM-SOURCE-0000000001\n"
        "    Processor: KTABLE-TOSTREAM-0000000003 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000004\n"
        "      <-- KTABLE-SOURCE-0000000002\n"
        "    Sink: KSTREAM-SINK-0000000004 (topic: out)\n"
        "      <-- KTABLE-TOSTREAM-0000000003\n"
        "\n"
    )


def test_table_with_consumed_name_and_named_operations() -> None:
    """A named ``Consumed`` names the table source; its topic source is ``<name>-source``."""
    builder = StreamsBuilder()
    (
        builder.table("users", Consumed.as_("users-src"), Materialized.as_("users-store"))
        .filter(lambda k, v: True, Named.as_("f"))
        .to_stream(Named.as_("ts"))
        .to("out")
    )
    topology = builder.build()

    assert str(topology.describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: users-src-source (topics: [users])\n"
        "      --> users-src\n"
        "    Processor: users-src (stores: [users-store])\n"
        "      --> f\n"
        "      <-- users-src-source\n"
        "    Processor: f (stores: [])\n"
        "      --> ts\n"
        "      <-- users-src\n"
        "    Processor: ts (stores: [])\n"
        "      --> KSTREAM-SINK-0000000004\n"
        "      <-- f\n"
        "    Sink: KSTREAM-SINK-0000000004 (topic: out)\n"
        "      <-- ts\n"
        "\n"
    )


def test_table_filter_and_map_values() -> None:
    """Kafka Streams 4.4.0: neither filter nor map_values needs the source table's store."""
    builder = StreamsBuilder()
    (
        builder.table("users")
        .filter(lambda k, v: v is not None)
        .map_values(lambda v: v)
        .to_stream()
        .to("out")
    )
    topology = builder.build()

    assert str(topology.describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000001 (topics: [users])\n"
        "      --> KTABLE-SOURCE-0000000002\n"
        "    Processor: KTABLE-SOURCE-0000000002 (stores: [])\n"
        "      --> KTABLE-FILTER-0000000003\n"
        "      <-- KSTREAM-SOURCE-0000000001\n"
        "    Processor: KTABLE-FILTER-0000000003 (stores: [])\n"
        "      --> KTABLE-MAPVALUES-0000000004\n"
        "      <-- KTABLE-SOURCE-0000000002\n"
        "    Processor: KTABLE-MAPVALUES-0000000004 (stores: [])\n"
        "      --> KTABLE-TOSTREAM-0000000005\n"
        "      <-- KTABLE-FILTER-0000000003\n"
        "    Processor: KTABLE-TOSTREAM-0000000005 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000006\n"
        "      <-- KTABLE-MAPVALUES-0000000004\n"
        "    Sink: KSTREAM-SINK-0000000006 (topic: out)\n"
        "      <-- KTABLE-TOSTREAM-0000000005\n"
        "\n"
    )


def test_table_group_by_count() -> None:
    """The source table is materialized (in Java too: group_by needs the old values)."""
    builder = StreamsBuilder()
    builder.table("users").group_by(lambda k, v: (v, k)).count().to_stream().to("out")
    topology = builder.build()

    assert str(topology.describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000001 (topics: [users])\n"
        "      --> KTABLE-SOURCE-0000000002\n"
        "    Processor: KTABLE-SOURCE-0000000002 (stores: [users-STATE-STORE-0000000000])\n"
        "      --> KTABLE-SELECT-0000000003\n"
        "      <-- KSTREAM-SOURCE-0000000001\n"
        "    Processor: KTABLE-SELECT-0000000003 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000005\n"
        "      <-- KTABLE-SOURCE-0000000002\n"
        "    Sink: KSTREAM-SINK-0000000005 (topic: KTABLE-AGGREGATE-STATE-STORE-0000000004-repartition)\n"
        "      <-- KTABLE-SELECT-0000000003\n"
        "\n"
        "  Sub-topology: 1\n"
        "    Source: KSTREAM-SOURCE-0000000006 (topics: [KTABLE-AGGREGATE-STATE-STORE-0000000004-repartition])\n"
        "      --> KTABLE-AGGREGATE-0000000007\n"
        "    Processor: KTABLE-AGGREGATE-0000000007 (stores: [KTABLE-AGGREGATE-STATE-STORE-0000000004])\n"
        "      --> KTABLE-TOSTREAM-0000000008\n"
        "      <-- KSTREAM-SOURCE-0000000006\n"
        "    Processor: KTABLE-TOSTREAM-0000000008 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000009\n"
        "      <-- KTABLE-AGGREGATE-0000000007\n"
        "    Sink: KSTREAM-SINK-0000000009 (topic: out)\n"
        "      <-- KTABLE-TOSTREAM-0000000008\n"
        "\n"
    )


def test_table_group_by_reduce_keeps_the_aggregate_store_prefix() -> None:
    """Java names the processor ``KTABLE-REDUCE-`` but its store ``KTABLE-AGGREGATE-STATE-STORE-``."""
    builder = StreamsBuilder()
    (
        builder.table("users")
        .group_by(lambda k, v: (v, k))
        .reduce(lambda agg, v: agg + v, lambda agg, v: agg)
        .to_stream()
        .to("out")
    )
    topology = builder.build()

    assert str(topology.describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000001 (topics: [users])\n"
        "      --> KTABLE-SOURCE-0000000002\n"
        "    Processor: KTABLE-SOURCE-0000000002 (stores: [users-STATE-STORE-0000000000])\n"
        "      --> KTABLE-SELECT-0000000003\n"
        "      <-- KSTREAM-SOURCE-0000000001\n"
        "    Processor: KTABLE-SELECT-0000000003 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000005\n"
        "      <-- KTABLE-SOURCE-0000000002\n"
        "    Sink: KSTREAM-SINK-0000000005 (topic: KTABLE-AGGREGATE-STATE-STORE-0000000004-repartition)\n"
        "      <-- KTABLE-SELECT-0000000003\n"
        "\n"
        "  Sub-topology: 1\n"
        "    Source: KSTREAM-SOURCE-0000000006 (topics: [KTABLE-AGGREGATE-STATE-STORE-0000000004-repartition])\n"
        "      --> KTABLE-REDUCE-0000000007\n"
        "    Processor: KTABLE-REDUCE-0000000007 (stores: [KTABLE-AGGREGATE-STATE-STORE-0000000004])\n"
        "      --> KTABLE-TOSTREAM-0000000008\n"
        "      <-- KSTREAM-SOURCE-0000000006\n"
        "    Processor: KTABLE-TOSTREAM-0000000008 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000009\n"
        "      <-- KTABLE-REDUCE-0000000007\n"
        "    Sink: KSTREAM-SINK-0000000009 (topic: out)\n"
        "      <-- KTABLE-TOSTREAM-0000000008\n"
        "\n"
    )


def test_table_group_by_aggregate() -> None:
    builder = StreamsBuilder()
    (
        builder.table("users")
        .group_by(lambda k, v: (v, k))
        .aggregate(lambda: "", lambda k, v, agg: agg + v, lambda k, v, agg: agg)
        .to_stream()
        .to("out")
    )
    topology = builder.build()

    assert str(topology.describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000001 (topics: [users])\n"
        "      --> KTABLE-SOURCE-0000000002\n"
        "    Processor: KTABLE-SOURCE-0000000002 (stores: [users-STATE-STORE-0000000000])\n"
        "      --> KTABLE-SELECT-0000000003\n"
        "      <-- KSTREAM-SOURCE-0000000001\n"
        "    Processor: KTABLE-SELECT-0000000003 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000005\n"
        "      <-- KTABLE-SOURCE-0000000002\n"
        "    Sink: KSTREAM-SINK-0000000005 (topic: KTABLE-AGGREGATE-STATE-STORE-0000000004-repartition)\n"
        "      <-- KTABLE-SELECT-0000000003\n"
        "\n"
        "  Sub-topology: 1\n"
        "    Source: KSTREAM-SOURCE-0000000006 (topics: [KTABLE-AGGREGATE-STATE-STORE-0000000004-repartition])\n"
        "      --> KTABLE-AGGREGATE-0000000007\n"
        "    Processor: KTABLE-AGGREGATE-0000000007 (stores: [KTABLE-AGGREGATE-STATE-STORE-0000000004])\n"
        "      --> KTABLE-TOSTREAM-0000000008\n"
        "      <-- KSTREAM-SOURCE-0000000006\n"
        "    Processor: KTABLE-TOSTREAM-0000000008 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000009\n"
        "      <-- KTABLE-AGGREGATE-0000000007\n"
        "    Sink: KSTREAM-SINK-0000000009 (topic: out)\n"
        "      <-- KTABLE-TOSTREAM-0000000008\n"
        "\n"
    )


def test_table_group_by_with_grouped_named_and_materialized() -> None:
    """The selector takes the Grouped name, the repartition topic too; sink and source take the
    aggregation's name (``<name>-sink``, ``<name>-source``)."""
    builder = StreamsBuilder()
    (
        builder.table("users")
        .group_by(lambda k, v: (v, k), Grouped.as_("by-country"))
        .count(Named.as_("country-count"), Materialized.as_("country-store"))
        .to_stream()
        .to("out")
    )
    topology = builder.build()

    assert str(topology.describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000001 (topics: [users])\n"
        "      --> KTABLE-SOURCE-0000000002\n"
        "    Processor: KTABLE-SOURCE-0000000002 (stores: [users-STATE-STORE-0000000000])\n"
        "      --> by-country\n"
        "      <-- KSTREAM-SOURCE-0000000001\n"
        "    Processor: by-country (stores: [])\n"
        "      --> country-count-sink\n"
        "      <-- KTABLE-SOURCE-0000000002\n"
        "    Sink: country-count-sink (topic: by-country-repartition)\n"
        "      <-- by-country\n"
        "\n"
        "  Sub-topology: 1\n"
        "    Source: country-count-source (topics: [by-country-repartition])\n"
        "      --> country-count\n"
        "    Processor: country-count (stores: [country-store])\n"
        "      --> KTABLE-TOSTREAM-0000000007\n"
        "      <-- country-count-source\n"
        "    Processor: KTABLE-TOSTREAM-0000000007 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000008\n"
        "      <-- country-count\n"
        "    Sink: KSTREAM-SINK-0000000008 (topic: out)\n"
        "      <-- KTABLE-TOSTREAM-0000000007\n"
        "\n"
    )


def test_table_group_by_count_named_only() -> None:
    builder = StreamsBuilder()
    (
        builder.table("users")
        .group_by(lambda k, v: (v, k))
        .count(Named.as_("country-count"))
        .to_stream()
        .to("out")
    )
    topology = builder.build()

    assert str(topology.describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000001 (topics: [users])\n"
        "      --> KTABLE-SOURCE-0000000002\n"
        "    Processor: KTABLE-SOURCE-0000000002 (stores: [users-STATE-STORE-0000000000])\n"
        "      --> KTABLE-SELECT-0000000003\n"
        "      <-- KSTREAM-SOURCE-0000000001\n"
        "    Processor: KTABLE-SELECT-0000000003 (stores: [])\n"
        "      --> country-count-sink\n"
        "      <-- KTABLE-SOURCE-0000000002\n"
        "    Sink: country-count-sink (topic: KTABLE-AGGREGATE-STATE-STORE-0000000004-repartition)\n"
        "      <-- KTABLE-SELECT-0000000003\n"
        "\n"
        "  Sub-topology: 1\n"
        "    Source: country-count-source (topics: [KTABLE-AGGREGATE-STATE-STORE-0000000004-repartition])\n"
        "      --> country-count\n"
        "    Processor: country-count (stores: [KTABLE-AGGREGATE-STATE-STORE-0000000004])\n"
        "      --> KTABLE-TOSTREAM-0000000008\n"
        "      <-- country-count-source\n"
        "    Processor: KTABLE-TOSTREAM-0000000008 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000009\n"
        "      <-- country-count\n"
        "    Sink: KSTREAM-SINK-0000000009 (topic: out)\n"
        "      <-- KTABLE-TOSTREAM-0000000008\n"
        "\n"
    )


def test_table_group_by_with_a_grouped_name_only() -> None:
    builder = StreamsBuilder()
    (
        builder.table("users")
        .group_by(lambda k, v: (v, k), Grouped.as_("by-country"))
        .count()
        .to_stream()
        .to("out")
    )
    topology = builder.build()

    assert str(topology.describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000001 (topics: [users])\n"
        "      --> KTABLE-SOURCE-0000000002\n"
        "    Processor: KTABLE-SOURCE-0000000002 (stores: [users-STATE-STORE-0000000000])\n"
        "      --> by-country\n"
        "      <-- KSTREAM-SOURCE-0000000001\n"
        "    Processor: by-country (stores: [])\n"
        "      --> KSTREAM-SINK-0000000005\n"
        "      <-- KTABLE-SOURCE-0000000002\n"
        "    Sink: KSTREAM-SINK-0000000005 (topic: by-country-repartition)\n"
        "      <-- by-country\n"
        "\n"
        "  Sub-topology: 1\n"
        "    Source: KSTREAM-SOURCE-0000000006 (topics: [by-country-repartition])\n"
        "      --> KTABLE-AGGREGATE-0000000007\n"
        "    Processor: KTABLE-AGGREGATE-0000000007 (stores: [KTABLE-AGGREGATE-STATE-STORE-0000000004])\n"
        "      --> KTABLE-TOSTREAM-0000000008\n"
        "      <-- KSTREAM-SOURCE-0000000006\n"
        "    Processor: KTABLE-TOSTREAM-0000000008 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000009\n"
        "      <-- KTABLE-AGGREGATE-0000000007\n"
        "    Sink: KSTREAM-SINK-0000000009 (topic: out)\n"
        "      <-- KTABLE-TOSTREAM-0000000008\n"
        "\n"
    )


def test_table_group_by_reduce_named() -> None:
    builder = StreamsBuilder()
    (
        builder.table("users")
        .group_by(lambda k, v: (v, k))
        .reduce(lambda agg, v: agg + v, lambda agg, v: agg, Named.as_("rr"))
        .to_stream()
        .to("out")
    )
    topology = builder.build()

    assert str(topology.describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000001 (topics: [users])\n"
        "      --> KTABLE-SOURCE-0000000002\n"
        "    Processor: KTABLE-SOURCE-0000000002 (stores: [users-STATE-STORE-0000000000])\n"
        "      --> KTABLE-SELECT-0000000003\n"
        "      <-- KSTREAM-SOURCE-0000000001\n"
        "    Processor: KTABLE-SELECT-0000000003 (stores: [])\n"
        "      --> rr-sink\n"
        "      <-- KTABLE-SOURCE-0000000002\n"
        "    Sink: rr-sink (topic: KTABLE-AGGREGATE-STATE-STORE-0000000004-repartition)\n"
        "      <-- KTABLE-SELECT-0000000003\n"
        "\n"
        "  Sub-topology: 1\n"
        "    Source: rr-source (topics: [KTABLE-AGGREGATE-STATE-STORE-0000000004-repartition])\n"
        "      --> rr\n"
        "    Processor: rr (stores: [KTABLE-AGGREGATE-STATE-STORE-0000000004])\n"
        "      --> KTABLE-TOSTREAM-0000000008\n"
        "      <-- rr-source\n"
        "    Processor: KTABLE-TOSTREAM-0000000008 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000009\n"
        "      <-- rr\n"
        "    Sink: KSTREAM-SINK-0000000009 (topic: out)\n"
        "      <-- KTABLE-TOSTREAM-0000000008\n"
        "\n"
    )


def test_to_table_materialized() -> None:
    builder = StreamsBuilder()
    builder.stream("in").to_table(Materialized.as_("t")).to_stream().to("out")
    topology = builder.build()

    assert str(topology.describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [in])\n"
        "      --> KSTREAM-TOTABLE-0000000001\n"
        "    Processor: KSTREAM-TOTABLE-0000000001 (stores: [t])\n"
        "      --> KTABLE-TOSTREAM-0000000002\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: KTABLE-TOSTREAM-0000000002 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000003\n"
        "      <-- KSTREAM-TOTABLE-0000000001\n"
        "    Sink: KSTREAM-SINK-0000000003 (topic: out)\n"
        "      <-- KTABLE-TOSTREAM-0000000002\n"
        "\n"
    )


def test_to_table_unnamed_is_not_materialized() -> None:
    """Kafka Streams 4.4.0: ``stores: []`` (see the unnamed source table above)."""
    builder = StreamsBuilder()
    builder.stream("in").to_table().to_stream().to("out")
    topology = builder.build()

    assert str(topology.describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [in])\n"
        "      --> KSTREAM-TOTABLE-0000000001\n"
        "    Processor: KSTREAM-TOTABLE-0000000001 (stores: [])\n"
        "      --> KTABLE-TOSTREAM-0000000003\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: KTABLE-TOSTREAM-0000000003 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000004\n"
        "      <-- KSTREAM-TOTABLE-0000000001\n"
        "    Sink: KSTREAM-SINK-0000000004 (topic: out)\n"
        "      <-- KTABLE-TOSTREAM-0000000003\n"
        "\n"
    )


def test_to_table_after_a_key_change_repartitions_by_processor_name() -> None:
    """The repartition topic is named after the to_table processor, not its store (Kafka
    Streams 4.4.0)."""
    builder = StreamsBuilder()
    builder.stream("in").select_key(lambda k, v: v).to_table().to_stream().to("out")
    topology = builder.build()

    assert str(topology.describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [in])\n"
        "      --> KSTREAM-KEY-SELECT-0000000001\n"
        "    Processor: KSTREAM-KEY-SELECT-0000000001 (stores: [])\n"
        "      --> KSTREAM-FILTER-0000000005\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: KSTREAM-FILTER-0000000005 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000004\n"
        "      <-- KSTREAM-KEY-SELECT-0000000001\n"
        "    Sink: KSTREAM-SINK-0000000004 (topic: KSTREAM-TOTABLE-0000000002-repartition)\n"
        "      <-- KSTREAM-FILTER-0000000005\n"
        "\n"
        "  Sub-topology: 1\n"
        "    Source: KSTREAM-SOURCE-0000000006 (topics: [KSTREAM-TOTABLE-0000000002-repartition])\n"
        "      --> KSTREAM-TOTABLE-0000000002\n"
        "    Processor: KSTREAM-TOTABLE-0000000002 (stores: [])\n"
        "      --> KTABLE-TOSTREAM-0000000007\n"
        "      <-- KSTREAM-SOURCE-0000000006\n"
        "    Processor: KTABLE-TOSTREAM-0000000007 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000008\n"
        "      <-- KSTREAM-TOTABLE-0000000002\n"
        "    Sink: KSTREAM-SINK-0000000008 (topic: out)\n"
        "      <-- KTABLE-TOSTREAM-0000000007\n"
        "\n"
    )


def test_named_to_table_after_a_key_change() -> None:
    builder = StreamsBuilder()
    (
        builder.stream("in")
        .select_key(lambda k, v: v)
        .to_table(Named.as_("tt"), Materialized.as_("t"))
        .to_stream()
        .to("out")
    )
    topology = builder.build()

    assert str(topology.describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [in])\n"
        "      --> KSTREAM-KEY-SELECT-0000000001\n"
        "    Processor: KSTREAM-KEY-SELECT-0000000001 (stores: [])\n"
        "      --> tt-repartition-filter\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: tt-repartition-filter (stores: [])\n"
        "      --> tt-repartition-sink\n"
        "      <-- KSTREAM-KEY-SELECT-0000000001\n"
        "    Sink: tt-repartition-sink (topic: tt-repartition)\n"
        "      <-- tt-repartition-filter\n"
        "\n"
        "  Sub-topology: 1\n"
        "    Source: tt-repartition-source (topics: [tt-repartition])\n"
        "      --> tt\n"
        "    Processor: tt (stores: [t])\n"
        "      --> KTABLE-TOSTREAM-0000000006\n"
        "      <-- tt-repartition-source\n"
        "    Processor: KTABLE-TOSTREAM-0000000006 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000007\n"
        "      <-- tt\n"
        "    Sink: KSTREAM-SINK-0000000007 (topic: out)\n"
        "      <-- KTABLE-TOSTREAM-0000000006\n"
        "\n"
    )


def test_streams_builder_store_and_process() -> None:
    builder = StreamsBuilder()
    builder.add_state_store(counts_store("s"))
    builder.stream("in").process(Noop, "s").to("out")
    topology = builder.build()

    assert str(topology.describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [in])\n"
        "      --> KSTREAM-PROCESSOR-0000000001\n"
        "    Processor: KSTREAM-PROCESSOR-0000000001 (stores: [s])\n"
        "      --> KSTREAM-SINK-0000000002\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Sink: KSTREAM-SINK-0000000002 (topic: out)\n"
        "      <-- KSTREAM-PROCESSOR-0000000001\n"
        "\n"
    )


def test_processor_api_store() -> None:
    topology = (
        Topology()
        .add_source("src", "in")
        .add_processor("proc", Noop, "src")
        .add_state_store(counts_store("s"), "proc")
        .add_sink("sink", "out", "proc")
    )

    assert str(topology.describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: src (topics: [in])\n"
        "      --> proc\n"
        "    Processor: proc (stores: [s])\n"
        "      --> sink\n"
        "      <-- src\n"
        "    Sink: sink (topic: out)\n"
        "      <-- proc\n"
        "\n"
    )


def test_aggregations_of_a_named_grouping_share_its_repartition_topic() -> None:
    """As Java's GroupedStreamAggregateBuilder: names are drawn for each aggregation, the
    repartition of a grouping with a Grouped name is made once."""
    builder = StreamsBuilder()
    grouped = builder.stream("in").group_by(lambda k, v: v, Grouped.as_("g"))
    grouped.count().to_stream().to("counts")
    grouped.reduce(lambda agg, v: agg + v).to_stream().to("reduced")
    topology = builder.build()

    assert str(topology.describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [in])\n"
        "      --> g\n"
        "    Processor: g (stores: [])\n"
        "      --> g-repartition-filter\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: g-repartition-filter (stores: [])\n"
        "      --> g-repartition-sink\n"
        "      <-- g\n"
        "    Sink: g-repartition-sink (topic: g-repartition)\n"
        "      <-- g-repartition-filter\n"
        "\n"
        "  Sub-topology: 1\n"
        "    Source: g-repartition-source (topics: [g-repartition])\n"
        "      --> KSTREAM-AGGREGATE-0000000003, KSTREAM-REDUCE-0000000010\n"
        "    Processor: KSTREAM-AGGREGATE-0000000003 (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000002])\n"
        "      --> KTABLE-TOSTREAM-0000000007\n"
        "      <-- g-repartition-source\n"
        "    Processor: KSTREAM-REDUCE-0000000010 (stores: [KSTREAM-REDUCE-STATE-STORE-0000000009])\n"
        "      --> KTABLE-TOSTREAM-0000000014\n"
        "      <-- g-repartition-source\n"
        "    Processor: KTABLE-TOSTREAM-0000000007 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000008\n"
        "      <-- KSTREAM-AGGREGATE-0000000003\n"
        "    Processor: KTABLE-TOSTREAM-0000000014 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000015\n"
        "      <-- KSTREAM-REDUCE-0000000010\n"
        "    Sink: KSTREAM-SINK-0000000008 (topic: counts)\n"
        "      <-- KTABLE-TOSTREAM-0000000007\n"
        "    Sink: KSTREAM-SINK-0000000015 (topic: reduced)\n"
        "      <-- KTABLE-TOSTREAM-0000000014\n"
        "\n"
    )


def test_aggregations_of_a_named_table_grouping_share_its_repartition_topic() -> None:
    builder = StreamsBuilder()
    grouped = builder.table("users").group_by(lambda k, v: (v, k), Grouped.as_("g"))
    grouped.count().to_stream().to("counts")
    grouped.reduce(lambda agg, v: agg + v, lambda agg, v: agg).to_stream().to("reduced")
    topology = builder.build()

    assert str(topology.describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000001 (topics: [users])\n"
        "      --> KTABLE-SOURCE-0000000002\n"
        "    Processor: KTABLE-SOURCE-0000000002 (stores: [users-STATE-STORE-0000000000])\n"
        "      --> g\n"
        "      <-- KSTREAM-SOURCE-0000000001\n"
        "    Processor: g (stores: [])\n"
        "      --> KSTREAM-SINK-0000000005\n"
        "      <-- KTABLE-SOURCE-0000000002\n"
        "    Sink: KSTREAM-SINK-0000000005 (topic: g-repartition)\n"
        "      <-- g\n"
        "\n"
        "  Sub-topology: 1\n"
        "    Source: KSTREAM-SOURCE-0000000006 (topics: [g-repartition])\n"
        "      --> KTABLE-AGGREGATE-0000000007, KTABLE-REDUCE-0000000013\n"
        "    Processor: KTABLE-AGGREGATE-0000000007 (stores: [KTABLE-AGGREGATE-STATE-STORE-0000000004])\n"
        "      --> KTABLE-TOSTREAM-0000000008\n"
        "      <-- KSTREAM-SOURCE-0000000006\n"
        "    Processor: KTABLE-REDUCE-0000000013 (stores: [KTABLE-AGGREGATE-STATE-STORE-0000000010])\n"
        "      --> KTABLE-TOSTREAM-0000000014\n"
        "      <-- KSTREAM-SOURCE-0000000006\n"
        "    Processor: KTABLE-TOSTREAM-0000000008 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000009\n"
        "      <-- KTABLE-AGGREGATE-0000000007\n"
        "    Processor: KTABLE-TOSTREAM-0000000014 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000015\n"
        "      <-- KTABLE-REDUCE-0000000013\n"
        "    Sink: KSTREAM-SINK-0000000009 (topic: counts)\n"
        "      <-- KTABLE-TOSTREAM-0000000008\n"
        "    Sink: KSTREAM-SINK-0000000015 (topic: reduced)\n"
        "      <-- KTABLE-TOSTREAM-0000000014\n"
        "\n"
    )


def test_aggregations_of_an_unnamed_grouping_repartition_each() -> None:
    builder = StreamsBuilder()
    grouped = builder.stream("in").group_by(lambda k, v: v)
    grouped.count().to_stream().to("counts")
    grouped.reduce(lambda agg, v: agg + v).to_stream().to("reduced")
    topology = builder.build()

    assert str(topology.describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [in])\n"
        "      --> KSTREAM-KEY-SELECT-0000000001\n"
        "    Processor: KSTREAM-KEY-SELECT-0000000001 (stores: [])\n"
        "      --> KSTREAM-FILTER-0000000005, KSTREAM-FILTER-0000000012\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: KSTREAM-FILTER-0000000005 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000004\n"
        "      <-- KSTREAM-KEY-SELECT-0000000001\n"
        "    Processor: KSTREAM-FILTER-0000000012 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000011\n"
        "      <-- KSTREAM-KEY-SELECT-0000000001\n"
        "    Sink: KSTREAM-SINK-0000000004 (topic: KSTREAM-AGGREGATE-STATE-STORE-0000000002-repartition)\n"
        "      <-- KSTREAM-FILTER-0000000005\n"
        "    Sink: KSTREAM-SINK-0000000011 (topic: KSTREAM-REDUCE-STATE-STORE-0000000009-repartition)\n"
        "      <-- KSTREAM-FILTER-0000000012\n"
        "\n"
        "  Sub-topology: 1\n"
        "    Source: KSTREAM-SOURCE-0000000006 (topics: [KSTREAM-AGGREGATE-STATE-STORE-0000000002-repartition])\n"
        "      --> KSTREAM-AGGREGATE-0000000003\n"
        "    Processor: KSTREAM-AGGREGATE-0000000003 (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000002])\n"
        "      --> KTABLE-TOSTREAM-0000000007\n"
        "      <-- KSTREAM-SOURCE-0000000006\n"
        "    Processor: KTABLE-TOSTREAM-0000000007 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000008\n"
        "      <-- KSTREAM-AGGREGATE-0000000003\n"
        "    Sink: KSTREAM-SINK-0000000008 (topic: counts)\n"
        "      <-- KTABLE-TOSTREAM-0000000007\n"
        "\n"
        "  Sub-topology: 2\n"
        "    Source: KSTREAM-SOURCE-0000000013 (topics: [KSTREAM-REDUCE-STATE-STORE-0000000009-repartition])\n"
        "      --> KSTREAM-REDUCE-0000000010\n"
        "    Processor: KSTREAM-REDUCE-0000000010 (stores: [KSTREAM-REDUCE-STATE-STORE-0000000009])\n"
        "      --> KTABLE-TOSTREAM-0000000014\n"
        "      <-- KSTREAM-SOURCE-0000000013\n"
        "    Processor: KTABLE-TOSTREAM-0000000014 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000015\n"
        "      <-- KSTREAM-REDUCE-0000000010\n"
        "    Sink: KSTREAM-SINK-0000000015 (topic: reduced)\n"
        "      <-- KTABLE-TOSTREAM-0000000014\n"
        "\n"
    )
