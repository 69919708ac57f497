"""The stateless KStream operations, run through the TopologyTestDriver."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kstreams import (
    Branched,
    Consumed,
    KeyValue,
    Named,
    Printed,
    Produced,
    Repartitioned,
    Serdes,
    StreamsBuilder,
    StreamsError,
)
from kstreams.testing import TestRecord, TopologyTestDriver

APP_ID = "dummy-topology-test-driver-app-id"  # the driver's default application.id, as Java's
STRINGS = {"default.key.serde": Serdes.String, "default.value.serde": Serdes.String}


def run(
    build: Callable[[StreamsBuilder], None],
    records: list[tuple[Any, Any]],
    *,
    output: str = "output",
    config: dict[str, Any] | None = None,
) -> list[KeyValue]:
    """Build with ``build(builder)``, pipe ``records`` into "input", read ``output``."""
    builder = StreamsBuilder()
    build(builder)
    with TopologyTestDriver(builder.build(), {**STRINGS, **(config or {})}) as driver:
        driver.create_input_topic("input").pipe_key_value_list(records)
        return driver.create_output_topic(output).read_key_values_to_list()


# -- filter / filter_not ----------------------------------------------------------------------


def test_filter_keeps_records_matching_the_predicate() -> None:
    out = run(
        lambda b: b.stream("input").filter(lambda k, v: v.startswith("a")).to("output"),
        [("1", "apple"), ("2", "banana"), ("3", "avocado")],
    )
    assert out == [KeyValue("1", "apple"), KeyValue("3", "avocado")]


def test_filter_predicate_sees_the_key() -> None:
    out = run(
        lambda b: b.stream("input").filter(lambda k, v: k == "2").to("output"),
        [("1", "x"), ("2", "y")],
    )
    assert out == [KeyValue("2", "y")]


def test_filter_not_drops_records_matching_the_predicate() -> None:
    out = run(
        lambda b: b.stream("input").filter_not(lambda k, v: v.startswith("a")).to("output"),
        [("1", "apple"), ("2", "banana"), ("3", "avocado")],
    )
    assert out == [KeyValue("2", "banana")]


# -- map ----------------------------------------------------------------------------------------


def test_map_returning_key_value() -> None:
    out = run(
        lambda b: b.stream("input").map(lambda k, v: KeyValue(v, k)).to("output"),
        [("k1", "v1"), ("k2", "v2")],
    )
    assert out == [KeyValue("v1", "k1"), KeyValue("v2", "k2")]


def test_map_returning_plain_tuple() -> None:
    out = run(
        lambda b: b.stream("input").map(lambda k, v: (k.upper(), v * 2)).to("output"),
        [("a", "x")],
    )
    assert out == [KeyValue("A", "xx")]


def test_map_returning_key_value_pair_factory() -> None:
    out = run(
        lambda b: b.stream("input").map(lambda k, v: KeyValue.pair(k + k, v)).to("output"),
        [("a", "x")],
    )
    assert out == [KeyValue("aa", "x")]


@pytest.mark.parametrize("bad", [None, 42, ("only-one",), ("a", "b", "c")])
def test_map_with_a_bad_return_value_raises_a_clear_error(bad: Any) -> None:
    builder = StreamsBuilder()
    builder.stream("input").map(lambda k, v: bad).to("output")
    with TopologyTestDriver(builder.build(), STRINGS) as driver:
        inp = driver.create_input_topic("input")
        with pytest.raises(StreamsError) as info:
            inp.pipe_input("k", "v")
    message = str(info.value)
    assert "KSTREAM-MAP-0000000001" in message
    assert "(key, value) pair" in message
    assert repr(bad) in message


# -- map_values ---------------------------------------------------------------------------------


def test_map_values_with_a_value_only_mapper() -> None:
    out = run(
        lambda b: b.stream("input").map_values(str.upper).to("output"),
        [("k", "hello"), ("k2", "world")],
    )
    assert out == [KeyValue("k", "HELLO"), KeyValue("k2", "WORLD")]


def test_map_values_with_a_key_aware_two_argument_lambda() -> None:
    out = run(
        lambda b: b.stream("input").map_values(lambda k, v: f"{k}={v}").to("output"),
        [("a", "1"), ("b", "2")],
    )
    assert out == [KeyValue("a", "a=1"), KeyValue("b", "b=2")]


def test_map_values_with_key_forced() -> None:
    def joined(*parts: str) -> str:  # the signature can't tell which form it is
        return "|".join(parts)

    with_key = run(
        lambda b: b.stream("input").map_values(joined, with_key=True).to("output"),
        [("k", "v")],
    )
    value_only = run(
        lambda b: b.stream("input").map_values(joined, with_key=False).to("output"),
        [("k", "v")],
    )
    assert with_key == [KeyValue("k", "k|v")]
    assert value_only == [KeyValue("k", "v")]


def test_map_values_with_a_callable_object() -> None:
    class Suffix:
        def __call__(self, key: str, value: str) -> str:
            return value + key

    out = run(lambda b: b.stream("input").map_values(Suffix()).to("output"), [("!", "hi")])
    assert out == [KeyValue("!", "hi!")]


def test_map_values_mapper_with_default_argument_is_value_only() -> None:
    def shout(value: str, suffix: str = "!") -> str:
        return value.upper() + suffix

    out = run(lambda b: b.stream("input").map_values(shout).to("output"), [("k", "hi")])
    assert out == [KeyValue("k", "HI!")]


# -- flat_map / flat_map_values -------------------------------------------------------------------


def test_flat_map_emits_each_pair() -> None:
    out = run(
        lambda b: (
            b.stream("input")
            .flat_map(lambda k, v: [(w, k) for w in v.split()] + [KeyValue("n", str(len(v)))])
            .to("output")
        ),
        [("k", "a b"), ("x", "")],
    )
    assert out == [KeyValue("a", "k"), KeyValue("b", "k"), KeyValue("n", "3"), KeyValue("n", "0")]


def test_flat_map_empty_result_drops_the_record() -> None:
    out = run(lambda b: b.stream("input").flat_map(lambda k, v: []).to("output"), [("k", "v")])
    assert out == []


def test_flat_map_accepts_a_generator() -> None:
    def explode(key: str, value: str):
        for i, ch in enumerate(value):
            yield f"{key}{i}", ch

    out = run(lambda b: b.stream("input").flat_map(explode).to("output"), [("k", "ab")])
    assert out == [KeyValue("k0", "a"), KeyValue("k1", "b")]


def test_flat_map_with_a_bad_element_raises_a_clear_error() -> None:
    builder = StreamsBuilder()
    builder.stream("input").flat_map(lambda k, v: ["not-a-pair"]).to("output")
    with TopologyTestDriver(builder.build(), STRINGS) as driver:
        inp = driver.create_input_topic("input")
        with pytest.raises(StreamsError, match=r"KSTREAM-FLATMAP-0000000001.*\(key, value\) pair"):
            inp.pipe_input("k", "v")


def test_flat_map_values_with_a_value_only_mapper() -> None:
    out = run(
        lambda b: b.stream("input").flat_map_values(str.split).to("output"),
        [("k", "a b c")],
    )
    assert out == [KeyValue("k", "a"), KeyValue("k", "b"), KeyValue("k", "c")]


def test_flat_map_values_with_a_key_aware_mapper() -> None:
    out = run(
        lambda b: (
            b.stream("input")
            .flat_map_values(lambda k, v: [f"{k}:{w}" for w in v.split()])
            .to("output")
        ),
        [("k", "a b")],
    )
    assert out == [KeyValue("k", "k:a"), KeyValue("k", "k:b")]


def test_flat_map_values_with_key_forced() -> None:
    def both(*parts: str) -> list[str]:
        return list(parts)

    out = run(
        lambda b: b.stream("input").flat_map_values(both, with_key=True).to("output"),
        [("k", "v")],
    )
    assert out == [KeyValue("k", "k"), KeyValue("k", "v")]


# -- select_key / peek / foreach --------------------------------------------------------------


def test_select_key_sets_the_key_and_keeps_the_value() -> None:
    out = run(
        lambda b: b.stream("input").select_key(lambda k, v: v[0]).to("output"),
        [("1", "apple"), ("2", "banana")],
    )
    assert out == [KeyValue("a", "apple"), KeyValue("b", "banana")]


def test_peek_sees_each_record_and_passes_it_on() -> None:
    seen: list[tuple[str, str]] = []
    out = run(
        lambda b: (
            b.stream("input")
            .peek(lambda k, v: seen.append((k, v)))
            .map_values(str.upper)
            .to("output")
        ),
        [("a", "x"), ("b", "y")],
    )
    assert seen == [("a", "x"), ("b", "y")]
    assert out == [KeyValue("a", "X"), KeyValue("b", "Y")]


def test_foreach_calls_the_action_and_ends_the_stream() -> None:
    seen: list[tuple[str, str]] = []
    builder = StreamsBuilder()
    result = builder.stream("input").foreach(lambda k, v: seen.append((k, v)))
    assert result is None
    with TopologyTestDriver(builder.build(), STRINGS) as driver:
        driver.create_input_topic("input").pipe_key_value_list([("a", "1"), ("b", "2")])
        assert driver.produced_topic_names() == set()
    assert seen == [("a", "1"), ("b", "2")]


# -- print ------------------------------------------------------------------------------------


def test_print_to_stdout_in_java_format(capsys: pytest.CaptureFixture[str]) -> None:
    builder = StreamsBuilder()
    builder.stream("input").print(Printed.to_sys_out().with_label("orders"))
    with TopologyTestDriver(builder.build(), STRINGS) as driver:
        driver.create_input_topic("input").pipe_key_value_list([("k1", "v1"), ("k2", "v2")])
    assert capsys.readouterr().out == "[orders]: k1, v1\n[orders]: k2, v2\n"


def test_print_label_defaults_to_the_upstream_node_name(
    capsys: pytest.CaptureFixture[str],
) -> None:
    builder = StreamsBuilder()
    builder.stream("input").map_values(str.upper).print()
    with TopologyTestDriver(builder.build(), STRINGS) as driver:
        driver.create_input_topic("input").pipe_input("k", "v")
    assert capsys.readouterr().out == "[KSTREAM-MAPVALUES-0000000001]: k, V\n"


def test_print_with_key_value_mapper_and_keyword_arguments(
    capsys: pytest.CaptureFixture[str],
) -> None:
    builder = StreamsBuilder()
    s = builder.stream("input")
    s.print(Printed.to_sys_out().with_key_value_mapper(lambda k, v: f"{k}->{v}"))
    s.print(label="kw", mapper=lambda k, v: v)
    with TopologyTestDriver(builder.build(), STRINGS) as driver:
        driver.create_input_topic("input").pipe_input("k", "v")
    assert capsys.readouterr().out == "[KSTREAM-SOURCE-0000000000]: k->v\n[kw]: v\n"


def test_print_to_file(tmp_path: Any) -> None:
    path = tmp_path / "printed.txt"
    builder = StreamsBuilder()
    builder.stream("input").print(Printed.to_file(str(path)).with_label("file"))
    with TopologyTestDriver(builder.build(), STRINGS) as driver:
        driver.create_input_topic("input").pipe_key_value_list([("a", "1"), ("b", "2")])
        # each line is flushed as it is written
        assert path.read_text(encoding="utf-8") == "[file]: a, 1\n[file]: b, 2\n"
    assert path.read_text(encoding="utf-8") == "[file]: a, 1\n[file]: b, 2\n"


def test_print_to_file_with_keyword_argument(tmp_path: Any) -> None:
    path = tmp_path / "kw.txt"
    builder = StreamsBuilder()
    builder.stream("input").print(file_path=str(path), label="L")
    with TopologyTestDriver(builder.build(), STRINGS) as driver:
        driver.create_input_topic("input").pipe_input("a", "1")
    assert path.read_text(encoding="utf-8") == "[L]: a, 1\n"


# -- split / branch ---------------------------------------------------------------------------


def test_split_sends_each_record_to_the_first_matching_branch() -> None:
    builder = StreamsBuilder()
    branches = (
        builder.stream("input")
        .split(Named.as_("s-"))
        .branch(lambda k, v: int(v) > 10, Branched.as_("big"))
        .branch(lambda k, v: int(v) > 5, Branched.as_("medium"))  # not for values > 10
        .default_branch(Branched.as_("small"))
    )
    assert set(branches) == {"s-big", "s-medium", "s-small"}
    for name, stream in branches.items():
        stream.to(name)
    with TopologyTestDriver(builder.build(), STRINGS) as driver:
        driver.create_input_topic("input").pipe_key_value_list(
            [("a", "20"), ("b", "7"), ("c", "1"), ("d", "11")]
        )
        big = driver.create_output_topic("s-big").read_values_to_list()
        medium = driver.create_output_topic("s-medium").read_values_to_list()
        small = driver.create_output_topic("s-small").read_values_to_list()
    assert big == ["20", "11"]
    assert medium == ["7"]
    assert small == ["1"]


def test_split_with_default_names() -> None:
    builder = StreamsBuilder()
    branches = (
        builder.stream("input")
        .split()
        .branch(lambda k, v: v == "a")
        .branch(lambda k, v: v == "b")
        .default_branch()
    )
    # Java: <split name><index>, index counted from 1, "0" for the default branch
    assert sorted(branches) == [
        "KSTREAM-BRANCH-00000000010",
        "KSTREAM-BRANCH-00000000011",
        "KSTREAM-BRANCH-00000000012",
    ]
    branches["KSTREAM-BRANCH-00000000011"].to("a")
    branches["KSTREAM-BRANCH-00000000012"].to("b")
    branches["KSTREAM-BRANCH-00000000010"].to("rest")
    with TopologyTestDriver(builder.build(), STRINGS) as driver:
        driver.create_input_topic("input").pipe_value_list(["a", "b", "c", "a"])
        assert driver.create_output_topic("a").read_values_to_list() == ["a", "a"]
        assert driver.create_output_topic("b").read_values_to_list() == ["b"]
        assert driver.create_output_topic("rest").read_values_to_list() == ["c"]


def test_split_mixes_named_and_numbered_branches() -> None:
    builder = StreamsBuilder()
    branches = (
        builder.stream("input")
        .split(Named.as_("x-"))
        .branch(lambda k, v: True, Branched.as_("first"))
        .branch(lambda k, v: True)
        .default_branch()
    )
    assert sorted(branches) == ["x-0", "x-2", "x-first"]


def test_split_with_string_name_and_branch_name_keyword() -> None:
    builder = StreamsBuilder()
    branches = (
        builder.stream("input")
        .split("p-")
        .branch(lambda k, v: True, name="all")
        .no_default_branch()
    )
    assert list(branches) == ["p-all"]


def test_no_default_branch_drops_unmatched_records() -> None:
    builder = StreamsBuilder()
    branches = (
        builder.stream("input")
        .split(Named.as_("s-"))
        .branch(lambda k, v: v == "keep", Branched.as_("keep"))
        .no_default_branch()
    )
    assert list(branches) == ["s-keep"]
    branches["s-keep"].to("output")
    with TopologyTestDriver(builder.build(), STRINGS) as driver:
        driver.create_input_topic("input").pipe_value_list(["keep", "drop", "keep"])
        assert driver.create_output_topic("output").read_values_to_list() == ["keep", "keep"]
        assert driver.produced_topic_names() == {"output"}


def test_branched_with_function_puts_its_result_in_the_map() -> None:
    builder = StreamsBuilder()
    branches = (
        builder.stream("input")
        .split(Named.as_("s-"))
        .branch(
            lambda k, v: v.startswith("a"),
            Branched.with_function(lambda s: s.map_values(str.upper), "upper"),
        )
        .branch(lambda k, v: True, Branched.with_function(lambda s: None, "none"))
        .no_default_branch()
    )
    assert list(branches) == ["s-upper"]  # a function returning None leaves no entry
    branches["s-upper"].to("output")
    with TopologyTestDriver(builder.build(), STRINGS) as driver:
        driver.create_input_topic("input").pipe_value_list(["abc", "xyz"])
        assert driver.create_output_topic("output").read_values_to_list() == ["ABC"]


def test_branched_with_consumer_handles_the_stream_and_leaves_no_entry() -> None:
    builder = StreamsBuilder()
    branches = (
        builder.stream("input")
        .split(Named.as_("s-"))
        .branch(
            lambda k, v: v.startswith("a"),
            Branched.with_consumer(lambda s: s.to("a-topic"), "a"),
        )
        .default_branch(Branched.with_consumer(lambda s: s.to("other")))
    )
    assert branches == {}
    with TopologyTestDriver(builder.build(), STRINGS) as driver:
        driver.create_input_topic("input").pipe_value_list(["abc", "xyz"])
        assert driver.create_output_topic("a-topic").read_values_to_list() == ["abc"]
        assert driver.create_output_topic("other").read_values_to_list() == ["xyz"]


def test_no_branch_can_follow_the_default_branch() -> None:
    builder = StreamsBuilder()
    split = builder.stream("input").split()
    split.default_branch()
    with pytest.raises(StreamsError):
        split.branch(lambda k, v: True)


# -- merge --------------------------------------------------------------------------------------


def test_merge_carries_the_records_of_both_streams_in_processing_order() -> None:
    builder = StreamsBuilder()
    left = builder.stream("left")
    right = builder.stream("right").map_values(str.upper)
    left.merge(right).to("output")
    with TopologyTestDriver(builder.build(), STRINGS) as driver:
        lt = driver.create_input_topic("left")
        rt = driver.create_input_topic("right")
        lt.pipe_input("l", "1")
        rt.pipe_input("r", "x")
        lt.pipe_input("l", "2")
        out = driver.create_output_topic("output").read_key_values_to_list()
    assert out == [KeyValue("l", "1"), KeyValue("r", "X"), KeyValue("l", "2")]


def test_merge_with_a_stream_of_another_builder_is_an_error() -> None:
    a = StreamsBuilder().stream("a")
    b = StreamsBuilder().stream("b")
    with pytest.raises(StreamsError):
        a.merge(b)


# -- to -----------------------------------------------------------------------------------------


def test_to_with_a_topic_extractor_routes_each_record() -> None:
    contexts: list[Any] = []

    def route(key: str, value: str, context: Any) -> str:
        contexts.append(context.topic)
        return f"out-{value}"

    builder = StreamsBuilder()
    builder.stream("input").to(route)
    with TopologyTestDriver(builder.build(), STRINGS) as driver:
        driver.create_input_topic("input").pipe_key_value_list([("a", "x"), ("b", "y")])
        assert driver.produced_topic_names() == {"out-x", "out-y"}
        assert driver.create_output_topic("out-x").read_key_value() == KeyValue("a", "x")
        assert driver.create_output_topic("out-y").read_key_value() == KeyValue("b", "y")
    assert contexts == ["input", "input"]  # the extractor sees the record context


def test_to_with_produced_serdes() -> None:
    builder = StreamsBuilder()
    builder.stream("input").map_values(int).to(
        "output", Produced.with_(Serdes.String(), Serdes.Long())
    )
    with TopologyTestDriver(builder.build(), STRINGS) as driver:
        driver.create_input_topic("input").pipe_input("k", "42")
        raw = driver.create_output_topic("output", Serdes.String(), Serdes.ByteArray())
        assert raw.read_value() == (42).to_bytes(8, "big")


def test_to_keyword_serdes_are_the_same_as_produced() -> None:
    def build(produced: bool) -> Callable[[StreamsBuilder], None]:
        def b(builder: StreamsBuilder) -> None:
            s = builder.stream("input").map_values(int)
            if produced:
                s.to("output", Produced().with_value_serde(Serdes.Long()))
            else:
                s.to("output", value_serde=Serdes.Long())

        return b

    results = []
    for produced in (True, False):
        builder = StreamsBuilder()
        build(produced)(builder)
        with TopologyTestDriver(builder.build(), STRINGS) as driver:
            driver.create_input_topic("input").pipe_input("k", "7")
            results.append(
                driver.create_output_topic("output", Serdes.String(), Serdes.Long()).read_value()
            )
    assert results == [7, 7]


def test_to_with_a_partitioner() -> None:
    calls: list[tuple[str, Any, Any, int]] = []

    def partitioner(topic: str, key: Any, value: Any, num_partitions: int) -> int:
        calls.append((topic, key, value, num_partitions))
        return 0

    out = run(
        lambda b: b.stream("input").to(
            "output", Produced().with_stream_partitioner(partitioner).with_name("sink")
        ),
        [("k", "v")],
    )
    assert out == [KeyValue("k", "v")]
    assert calls == [("output", "k", "v", 1)]  # the driver's topics have one partition


def test_to_with_partitioner_keyword() -> None:
    calls: list[Any] = []
    out = run(
        lambda b: b.stream("input").to(
            "output", partitioner=lambda t, k, v, n: calls.append(k), name="sink"
        ),
        [("k", "v")],
    )
    assert out == [KeyValue("k", "v")]
    assert calls == ["k"]


def test_to_uses_the_stream_serdes_before_the_defaults() -> None:
    builder = StreamsBuilder()
    builder.stream("input", Consumed.with_(Serdes.String(), Serdes.Long())).to("output")
    with TopologyTestDriver(builder.build(), STRINGS) as driver:
        driver.create_input_topic("input", Serdes.String(), Serdes.Long()).pipe_input("k", 5)
        assert (
            driver.create_output_topic("output", Serdes.String(), Serdes.Long()).read_value() == 5
        )


# -- repartition --------------------------------------------------------------------------------


def test_repartition_goes_through_the_internal_topic() -> None:
    builder = StreamsBuilder()
    (
        builder.stream("input")
        .select_key(lambda k, v: v)
        .repartition(Repartitioned.as_("by-value"))
        .map_values(str.upper)
        .to("output")
    )
    topic = f"{APP_ID}-by-value-repartition"
    with TopologyTestDriver(builder.build(), STRINGS) as driver:
        driver.create_input_topic("input").pipe_key_value_list([("1", "a"), ("2", "b")])
        assert driver.produced_topic_names() == {topic, "output"}
        through = driver.create_output_topic(topic).read_key_values_to_list()
        out = driver.create_output_topic("output").read_key_values_to_list()
    assert through == [KeyValue("a", "a"), KeyValue("b", "b")]
    assert out == [KeyValue("a", "A"), KeyValue("b", "B")]


def test_repartition_with_generated_name_and_application_id() -> None:
    builder = StreamsBuilder()
    builder.stream("input").repartition().to("output")
    config = {**STRINGS, "application.id": "my-app"}
    with TopologyTestDriver(builder.build(), config) as driver:
        driver.create_input_topic("input").pipe_input("k", "v")
        assert driver.produced_topic_names() == {
            "my-app-KSTREAM-REPARTITION-0000000001-repartition",
            "output",
        }
        assert driver.create_output_topic("output").read_key_value() == KeyValue("k", "v")


def test_repartition_with_serdes_and_keyword_arguments_is_the_same() -> None:
    outputs = []
    for use_object in (True, False):
        builder = StreamsBuilder()
        s = builder.stream("input").map_values(int)
        if use_object:
            r = s.repartition(
                Repartitioned.with_(Serdes.String(), Serdes.Long())
                .with_name("r")
                .with_number_of_partitions(3)
            )
        else:
            r = s.repartition(
                key_serde=Serdes.String(), value_serde=Serdes.Long(), name="r", num_partitions=3
            )
        r.map_values(lambda v: v + 1).to("output", value_serde=Serdes.Long())
        topology = builder.build()
        assert topology.internal_topics["r-repartition"].num_partitions == 3
        with TopologyTestDriver(topology, STRINGS) as driver:
            driver.create_input_topic("input").pipe_input("k", "41")
            raw = driver.create_output_topic(
                f"{APP_ID}-r-repartition", Serdes.String(), Serdes.Long()
            )
            assert raw.read_value() == 41
            outputs.append(
                driver.create_output_topic("output", Serdes.String(), Serdes.Long()).read_value()
            )
    assert outputs == [42, 42]


def test_repartition_keeps_the_extracted_timestamps() -> None:
    # The configured extractor reads the input's value; once the value has changed,
    # the repartition topic's source must use the record timestamp (as Java's
    # FailOnInvalidTimestamp there), not the extractor again.
    def from_value(record: Any, partition_time: int) -> int:
        return int(record.value)

    builder = StreamsBuilder()
    builder.stream("input").map_values(lambda v: "not-a-number").repartition().to("output")
    config = {**STRINGS, "default.timestamp.extractor": from_value}
    with TopologyTestDriver(builder.build(), config) as driver:
        driver.create_input_topic("input").pipe_input("k", "1234", timestamp=1)
        record = driver.create_output_topic("output").read_record()
    assert (record.value, record.timestamp) == ("not-a-number", 1234)


def test_repartitioned_number_of_partitions_factory() -> None:
    assert Repartitioned.number_of_partitions(4).num_partitions == 4
    r = Repartitioned.as_("n").with_number_of_partitions(2)
    assert (r.name, r.num_partitions) == ("n", 2)


# -- option objects ---------------------------------------------------------------------------


def test_consumed_is_the_same_as_keyword_serdes() -> None:
    results = []
    for use_object in (True, False):
        builder = StreamsBuilder()
        if use_object:
            s = builder.stream("input", Consumed.with_(Serdes.String(), Serdes.Long()))
        else:
            s = builder.stream("input", key_serde=Serdes.String(), value_serde=Serdes.Long())
        s.filter(lambda k, v: v > 0).to("output")  # filter keeps the stream's serdes
        with TopologyTestDriver(builder.build(), STRINGS) as driver:
            driver.create_input_topic("input", Serdes.String(), Serdes.Long()).pipe_input("k", 42)
            results.append(
                driver.create_output_topic("output", Serdes.String(), Serdes.Long()).read_value()
            )
    assert results == [42, 42]


def test_consumed_name_and_named_strings_name_the_nodes() -> None:
    builder = StreamsBuilder()
    (
        builder.stream("input", Consumed.as_("src").with_value_serde(Serdes.String()))
        .filter(lambda k, v: True, Named.as_("f1"))
        .filter(lambda k, v: True, "f2")
        .to("output", name="sink")
    )
    topology = builder.build()
    assert {"src", "f1", "f2", "sink"} <= set(topology.nodes)
    with TopologyTestDriver(topology, STRINGS) as driver:
        driver.create_input_topic("input").pipe_input("k", "v")
        assert driver.create_output_topic("output").read_value() == "v"


def test_named_rejects_an_empty_name() -> None:
    with pytest.raises(ValueError):
        Named.as_("")


def test_option_objects_are_immutable_copies() -> None:
    base = Produced.as_("sink")
    with_serde = base.with_key_serde(Serdes.String())
    assert base.key_serde is None
    assert with_serde.name == "sink"
    printed = Printed.to_sys_out().with_label("a")
    assert printed.with_label("b").label == "b"
    assert printed.label == "a"


def test_consumed_timestamp_extractor() -> None:
    builder = StreamsBuilder()
    builder.stream(
        "input", Consumed().with_timestamp_extractor(lambda record, pt: 5000 + int(record.value))
    ).to("output")
    with TopologyTestDriver(builder.build(), STRINGS) as driver:
        driver.create_input_topic("input").pipe_input("k", "7", timestamp=1)
        assert driver.create_output_topic("output").read_record().timestamp == 5007


# -- timestamps and headers ---------------------------------------------------------------------


def test_outputs_carry_the_input_timestamp_and_headers() -> None:
    headers = [("trace", b"abc"), ("n", None)]
    builder = StreamsBuilder()
    (
        builder.stream("input")
        .filter(lambda k, v: True)
        .map(lambda k, v: (v, k))
        .map_values(str.upper)
        .flat_map_values(lambda v: [v, v])
        .select_key(lambda k, v: k + "!")
        .peek(lambda k, v: None)
        .repartition()
        .to("output")
    )
    with TopologyTestDriver(builder.build(), STRINGS) as driver:
        driver.create_input_topic("input").pipe_input(
            TestRecord("k", "v", 1_700_000_000_123, headers)
        )
        records = driver.create_output_topic("output").read_records_to_list()
    assert records == [
        TestRecord("v!", "K", 1_700_000_000_123, headers),
        TestRecord("v!", "K", 1_700_000_000_123, headers),
    ]


def test_split_and_merge_keep_timestamps() -> None:
    builder = StreamsBuilder()
    branches = (
        builder.stream("input")
        .split(Named.as_("s-"))
        .branch(lambda k, v: v == "a", Branched.as_("a"))
        .default_branch(Branched.as_("rest"))
    )
    branches["s-a"].merge(branches["s-rest"]).to("output")
    with TopologyTestDriver(builder.build(), STRINGS) as driver:
        inp = driver.create_input_topic("input")
        inp.pipe_input("k", "a", timestamp=10)
        inp.pipe_input("k", "b", timestamp=20)
        out = driver.create_output_topic("output").read_records_to_list()
    assert [(r.value, r.timestamp) for r in out] == [("a", 10), ("b", 20)]


def test_null_keys_and_values_pass_through_stateless_operations() -> None:
    out = run(
        lambda b: b.stream("input").filter(lambda k, v: True).map_values(lambda v: v).to("output"),
        [(None, None), (None, "v")],
    )
    assert out == [KeyValue(None, None), KeyValue(None, "v")]


def test_missing_default_serde_is_a_clear_error() -> None:
    builder = StreamsBuilder()
    builder.stream("input").to("output")
    with pytest.raises(StreamsError, match=r"default\.key\.serde"):
        TopologyTestDriver(builder.build())
