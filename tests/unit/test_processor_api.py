"""The Processor API: hand-built topologies, Processor/ProcessorContext, Record, punctuation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from kstreams import (
    FixedKeyProcessor,
    KeyValue,
    Processor,
    PunctuationType,
    Record,
    Serdes,
    StreamsBuilder,
    StreamsError,
    TaskId,
    Topology,
    TopologyError,
)
from kstreams.processor import Cancellable, RecordMetadata
from kstreams.testing import TestRecord, TopologyTestDriver

STRINGS = {"default.key.serde": Serdes.String, "default.value.serde": Serdes.String}


class Upper(Processor):
    def process(self, record: Record) -> None:
        self.context.forward(record.with_value(record.value.upper()))


def single(processor: type[Processor] | Any, **config: Any) -> TopologyTestDriver:
    """A driver for input -> processor "p" -> output."""
    topology = (
        Topology()
        .add_source("src", "input")
        .add_processor("p", processor, "src")
        .add_sink("sink", "output", "p")
    )
    return TopologyTestDriver(topology, {**STRINGS, **config}, initial_wall_clock_time=0)


# -- building by hand -----------------------------------------------------------------------------


def test_hand_built_topology_with_serdes() -> None:
    topology = (
        Topology()
        .add_source("src", "input", key_serde=Serdes.String(), value_serde=Serdes.String())
        .add_processor("upper", Upper, "src")
        .add_sink("sink", "output", "upper", key_serde=Serdes.String(), value_serde=Serdes.String())
    )
    with TopologyTestDriver(topology) as driver:  # no default serdes needed
        driver.create_input_topic("input", Serdes.String(), Serdes.String()).pipe_input("k", "v")
        out = driver.create_output_topic("output", Serdes.String(), Serdes.String())
        assert out.read_key_value() == KeyValue("k", "V")


def test_source_reading_several_topics_and_processor_with_two_parents() -> None:
    topology = (
        Topology()
        .add_source("s1", "a", "b")
        .add_source("s2", "c")
        .add_processor("upper", Upper, "s1", "s2")
        .add_sink("sink", "output", "upper")
    )
    with TopologyTestDriver(topology, STRINGS) as driver:
        for topic in ("a", "b", "c"):
            driver.create_input_topic(topic).pipe_input(topic, topic)
        assert driver.create_output_topic("output").read_values_to_list() == ["A", "B", "C"]


def test_sink_with_several_parents_and_topic_extractor() -> None:
    topology = (
        Topology()
        .add_source("src", "input")
        .add_processor("p1", Upper, "src")
        .add_processor("p2", Upper, "src")
        .add_sink("sink", lambda k, v, ctx: f"out-{k}", "p1", "p2")
    )
    with TopologyTestDriver(topology, STRINGS) as driver:
        driver.create_input_topic("input").pipe_input("x", "v")
        assert driver.create_output_topic("out-x").read_values_to_list() == ["V", "V"]


# -- forwarding ---------------------------------------------------------------------------------


class Router(Processor):
    """Sends each record to the child named by its key; "all" goes to every child."""

    def process(self, record: Record) -> None:
        if record.key == "all":
            self.context.forward(record)
        else:
            self.context.forward(record, child=record.key)


def router_topology() -> Topology:
    return (
        Topology()
        .add_source("src", "input")
        .add_processor("router", Router, "src")
        .add_sink("left", "left-topic", "router")
        .add_sink("right", "right-topic", "router")
    )


def test_forward_to_all_children_or_to_one_by_name() -> None:
    with TopologyTestDriver(router_topology(), STRINGS) as driver:
        driver.create_input_topic("input").pipe_key_value_list(
            [("left", "1"), ("right", "2"), ("all", "3")]
        )
        assert driver.create_output_topic("left-topic").read_values_to_list() == ["1", "3"]
        assert driver.create_output_topic("right-topic").read_values_to_list() == ["2", "3"]


def test_forward_to_an_unknown_child_is_an_error() -> None:
    with TopologyTestDriver(router_topology(), STRINGS) as driver:
        inp = driver.create_input_topic("input")
        with pytest.raises(StreamsError, match="Unknown downstream node 'nope'"):
            inp.pipe_input("nope", "v")


def test_a_processor_may_forward_several_records_or_none() -> None:
    class Explode(Processor):
        def process(self, record: Record) -> None:
            for i, ch in enumerate(record.value):
                self.context.forward(Record(f"{record.key}{i}", ch, record.timestamp + i))

    with single(Explode) as driver:
        driver.create_input_topic("input").pipe_input("k", "ab", 100)
        driver.create_input_topic("input").pipe_input("k", "", 200)
        assert driver.create_output_topic("output").read_records_to_list() == [
            TestRecord("k0", "a", 100),
            TestRecord("k1", "b", 101),
        ]


def test_forwarded_record_timestamp_and_headers_reach_the_sink() -> None:
    class Restamp(Processor):
        def process(self, record: Record) -> None:
            self.context.forward(
                record.with_timestamp(record.timestamp * 2).with_headers([("new", b"h")])
            )

    with single(Restamp) as driver:
        driver.create_input_topic("input").pipe_input("k", "v", 21, headers=[("old", b"x")])
        assert driver.create_output_topic("output").read_record() == TestRecord(
            "k", "v", 42, [("new", b"h")]
        )


# -- Record ------------------------------------------------------------------------------------


def test_record_with_methods_return_new_records() -> None:
    original = Record("k", "v", 10, [("h", b"1")])

    assert original.with_key("k2") == Record("k2", "v", 10, [("h", b"1")])
    assert original.with_value("v2") == Record("k", "v2", 10, [("h", b"1")])
    assert original.with_timestamp(20) == Record("k", "v", 20, [("h", b"1")])
    assert original.with_headers(None) == Record("k", "v", 10, None)
    assert original.with_key("x") is not original
    # the original is unchanged
    assert (original.key, original.value, original.timestamp, original.headers) == (
        "k",
        "v",
        10,
        [("h", b"1")],
    )


def test_record_is_immutable() -> None:
    record = Record("k", "v", 10)
    with pytest.raises(AttributeError):
        record.value = "other"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        record.timestamp = 1  # type: ignore[misc]
    assert record.value == "v"


def test_record_rejects_negative_or_missing_timestamps() -> None:
    with pytest.raises(ValueError):
        Record("k", "v", -1)
    with pytest.raises(ValueError):
        Record("k", "v", None)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Record("k", "v", 1).with_timestamp(-5)


def test_record_equality_hash_and_repr() -> None:
    a = Record("k", "v", 1)
    assert a == Record("k", "v", 1)
    assert a != Record("k", "v", 2)
    assert hash(a) == hash(Record("k", "v", 1))
    assert "key='k'" in repr(a) and "timestamp=1" in repr(a)


# -- punctuation ------------------------------------------------------------------------------------


class StreamTimeTicker(Processor):
    """Forwards each record and, on each stream-time punctuation, a "tick" record."""

    def __init__(self) -> None:
        self.seen: list[tuple[int, Any, int, int]] = []

    def init(self, context: Any) -> None:
        super().init(context)
        self.handle = context.schedule(
            timedelta(seconds=10), PunctuationType.STREAM_TIME, self.punctuate
        )

    def punctuate(self, timestamp: int) -> None:
        ctx = self.context
        self.seen.append(
            (timestamp, ctx.record_metadata(), ctx.timestamp, ctx.current_stream_time_ms())
        )
        self.context.forward(Record("tick", str(timestamp), timestamp))

    def process(self, record: Record) -> None:
        self.context.forward(record)


def test_stream_time_punctuation_follows_kafka_streams() -> None:
    with single(StreamTimeTicker) as driver:
        inp = driver.create_input_topic("input")
        out = driver.create_output_topic("output")

        # Schedules are aligned to multiples of the interval, so the first one is due at 0:
        # it fires as soon as there is stream time, after the record that made it.
        inp.pipe_input("k", "a", 1000)
        assert out.read_key_values_to_list() == [KeyValue("k", "a"), KeyValue("tick", "1000")]
        inp.pipe_input("k", "b", 9999)
        assert out.read_values_to_list() == ["b"]
        inp.pipe_input("k", "c", 10000)
        assert out.read_values_to_list() == ["c", "10000"]
        # 20000 and 30000 were missed: one punctuation, not three; next due at 40000
        inp.pipe_input("k", "d", 35000)
        assert out.read_values_to_list() == ["d", "35000"]
        inp.pipe_input("k", "e", 39999)
        inp.pipe_input("k", "late", 5000)  # stream time does not go back
        assert out.read_values_to_list() == ["e", "late"]
        inp.pipe_input("k", "f", 40000)
        assert out.read_records_to_list() == [
            TestRecord("k", "f", 40000),
            TestRecord("tick", "40000", 40000),
        ]


def test_punctuation_context_has_no_record_metadata() -> None:
    processors: list[StreamTimeTicker] = []

    def supplier() -> StreamTimeTicker:
        processors.append(StreamTimeTicker())
        return processors[-1]

    with single(supplier) as driver:
        driver.create_input_topic("input").pipe_input("k", "v", 1500)
    assert processors[0].seen == [(1500, None, 1500, 1500)]


def test_stream_time_punctuation_does_not_fire_without_records() -> None:
    with single(StreamTimeTicker) as driver:
        driver.advance_wall_clock_time(timedelta(hours=1))
        assert driver.create_output_topic("output").is_empty()


def test_cancel_stops_a_punctuation() -> None:
    class CancelAfterTwo(Processor):
        def init(self, context: Any) -> None:
            super().init(context)
            self.fired: list[int] = []
            self.handle: Cancellable = context.schedule(
                100, PunctuationType.STREAM_TIME, self.punctuate
            )

        def punctuate(self, timestamp: int) -> None:
            self.fired.append(timestamp)
            self.context.forward(Record("tick", str(timestamp), timestamp))
            if len(self.fired) == 2:
                self.handle.cancel()

        def process(self, record: Record) -> None:
            pass

    with single(CancelAfterTwo) as driver:
        inp = driver.create_input_topic("input")
        for ts in (0, 100, 200, 300):
            inp.pipe_input("k", "v", ts)
        assert driver.create_output_topic("output").read_values_to_list() == ["0", "100"]


def test_cancel_from_outside_the_callback() -> None:
    handles: list[Cancellable] = []

    class Ticker(Processor):
        def init(self, context: Any) -> None:
            super().init(context)
            handles.append(
                context.schedule(
                    timedelta(seconds=1),
                    PunctuationType.WALL_CLOCK_TIME,
                    lambda t: context.forward(Record("tick", str(t), t)),
                )
            )

        def process(self, record: Record) -> None:
            pass

    with single(Ticker) as driver:
        out = driver.create_output_topic("output")
        driver.advance_wall_clock_time(1000)
        assert out.read_values_to_list() == ["1000"]
        handles[0].cancel()
        assert handles[0].cancelled
        driver.advance_wall_clock_time(5000)
        assert out.is_empty()


def test_wall_clock_punctuation_first_fires_one_interval_after_scheduling() -> None:
    times: list[int] = []

    class Wall(Processor):
        def init(self, context: Any) -> None:
            super().init(context)
            context.schedule(timedelta(seconds=2), PunctuationType.WALL_CLOCK_TIME, times.append)

        def process(self, record: Record) -> None:
            pass

    with single(Wall) as driver:
        driver.create_input_topic("input").pipe_input("k", "v", 10**9)  # stream time is no help
        assert times == []
        driver.advance_wall_clock_time(1999)
        assert times == []
        driver.advance_wall_clock_time(1)
        driver.advance_wall_clock_time(2000)
        driver.advance_wall_clock_time(7000)  # 6000 and 8000 missed: one call at 11000
        driver.advance_wall_clock_time(1000)
        assert times == [2000, 4000, 11000, 12000]


def test_schedule_rejects_bad_intervals_and_types() -> None:
    errors: list[Exception] = []

    class Bad(Processor):
        def init(self, context: Any) -> None:
            for interval, kind in (
                (0, PunctuationType.STREAM_TIME),
                (timedelta(0), PunctuationType.WALL_CLOCK_TIME),
                (10, "stream_time"),
            ):
                try:
                    context.schedule(interval, kind, lambda t: None)
                except (ValueError, TypeError) as exc:
                    errors.append(exc)

        def process(self, record: Record) -> None:
            pass

    with single(Bad):
        pass
    assert [type(e) for e in errors] == [ValueError, ValueError, TypeError]


def test_an_exception_in_a_punctuation_is_a_streams_error() -> None:
    class Failing(Processor):
        def init(self, context: Any) -> None:
            super().init(context)
            context.schedule(10, PunctuationType.STREAM_TIME, self.punctuate)

        def punctuate(self, timestamp: int) -> None:
            raise RuntimeError("punctuation bug")

        def process(self, record: Record) -> None:
            pass

    with single(Failing) as driver:
        inp = driver.create_input_topic("input")
        with pytest.raises(StreamsError, match=r"while punctuating.*punctuation bug") as info:
            inp.pipe_input("k", "v", 5)
    assert isinstance(info.value.__cause__, RuntimeError)


# -- context and metadata ------------------------------------------------------------------------


def test_record_metadata_and_context_accessors() -> None:
    seen: list[tuple[Any, ...]] = []

    class Meta(Processor):
        def process(self, record: Record) -> None:
            c = self.context
            seen.append(
                (c.topic, c.partition, c.offset, c.timestamp, c.headers, c.record_metadata())
            )

    topology = Topology().add_source("src", "t1", "t2").add_processor("p", Meta, "src")
    with TopologyTestDriver(topology, STRINGS) as driver:
        driver.create_input_topic("t1").pipe_input("k", "a", 5, headers=[("h", b"1")])
        driver.create_input_topic("t1").pipe_input("k", "b", 6)
        driver.create_input_topic("t2").pipe_input("k", "c", 7)
    assert seen == [
        ("t1", 0, 0, 5, [("h", b"1")], RecordMetadata("t1", 0, 0)),
        ("t1", 0, 1, 6, None, RecordMetadata("t1", 0, 1)),
        ("t2", 0, 0, 7, None, RecordMetadata("t2", 0, 0)),
    ]


def test_context_knows_its_task_application_and_node() -> None:
    seen: dict[str, Any] = {}

    class Info(Processor):
        def init(self, context: Any) -> None:
            super().init(context)
            seen.update(
                task_id=context.task_id,
                application_id=context.application_id,
                node=context.node_name,
                configs=context.app_configs,
                system_time=context.current_system_time_ms(),
                stream_time=context.current_stream_time_ms(),
            )

        def process(self, record: Record) -> None:
            pass

    with single(Info, **{"application.id": "my-app"}):
        pass
    assert seen["task_id"] == TaskId(0, 0)
    assert seen["application_id"] == "my-app"
    assert seen["node"] == "p"
    assert seen["configs"].application_id == "my-app"
    assert seen["system_time"] == 0  # the driver's mock clock
    assert seen["stream_time"] == -1  # no record yet


def test_get_state_store_of_an_unconnected_store_is_a_topology_error() -> None:
    errors: list[Exception] = []

    class WantsStore(Processor):
        def init(self, context: Any) -> None:
            super().init(context)
            try:
                context.get_state_store("counts")
            except TopologyError as exc:
                errors.append(exc)

        def process(self, record: Record) -> None:
            pass

    with single(WantsStore):
        pass
    assert len(errors) == 1
    assert "Processor p has no access to StateStore counts" in str(errors[0])


def test_processor_init_and_close_are_called_once_each() -> None:
    calls: list[str] = []

    class Lifecycle(Processor):
        def init(self, context: Any) -> None:
            super().init(context)
            calls.append("init")

        def process(self, record: Record) -> None:
            calls.append(f"process {record.value}")

        def close(self) -> None:
            calls.append("close")

    with single(Lifecycle) as driver:
        driver.create_input_topic("input").pipe_input("k", "v")
    assert calls == ["init", "process v", "close"]


def test_each_task_gets_its_own_processor_from_the_supplier() -> None:
    made: list[Processor] = []

    def supplier() -> Processor:
        made.append(Upper())
        return made[-1]

    builder = StreamsBuilder()
    builder.stream("input").process(supplier).repartition().process(supplier).to("output")
    with TopologyTestDriver(builder.build(), STRINGS) as driver:
        driver.create_input_topic("input").pipe_input("k", "v")
        assert driver.create_output_topic("output").read_value() == "V"
    assert len(made) == 2 and made[0] is not made[1]


def test_a_supplier_returning_something_else_is_an_error() -> None:
    topology = Topology().add_source("src", "input").add_processor("p", lambda: 42, "src")
    with pytest.raises(StreamsError, match="p: the processor supplier returned 42"):
        TopologyTestDriver(topology, STRINGS)


def test_an_exception_in_process_names_the_task_and_record() -> None:
    class Boom(Processor):
        def process(self, record: Record) -> None:
            raise KeyError("missing")

    with single(Boom) as driver:
        inp = driver.create_input_topic("input")
        with pytest.raises(StreamsError) as info:
            inp.pipe_input("k", "v")
    assert "taskId=0_0, topic=input, partition=0, offset=0: KeyError" in str(info.value)
    assert isinstance(info.value.__cause__, KeyError)


# -- KStream.process / process_values ----------------------------------------------------------------


def test_kstream_process_forwards_what_the_processor_forwards() -> None:
    class KeyByValue(Processor):
        def process(self, record: Record) -> None:
            self.context.forward(record.with_key(record.value).with_value(record.key))

    builder = StreamsBuilder()
    builder.stream("input").process(KeyByValue).map_values(str.upper).to("output")
    with TopologyTestDriver(builder.build(), STRINGS) as driver:
        driver.create_input_topic("input").pipe_input("k", "v")
        assert driver.create_output_topic("output").read_key_value() == KeyValue("v", "K")


def test_kstream_process_values_may_change_values() -> None:
    class Shout(FixedKeyProcessor):
        def process(self, record: Record) -> None:
            self.context.forward(record.with_value(record.value + "!"))

    builder = StreamsBuilder()
    builder.stream("input").process_values(Shout, named="shout").to("output")
    topology = builder.build()
    assert "shout" in topology.nodes
    with TopologyTestDriver(topology, STRINGS) as driver:
        driver.create_input_topic("input").pipe_input("k", "v")
        assert driver.create_output_topic("output").read_key_value() == KeyValue("k", "v!")


def test_fixed_key_processor_changing_the_key_raises() -> None:
    class ChangesKey(FixedKeyProcessor):
        def process(self, record: Record) -> None:
            self.context.forward(record.with_key("other"))

    builder = StreamsBuilder()
    builder.stream("input").process_values(ChangesKey).to("output")
    with TopologyTestDriver(builder.build(), STRINGS) as driver:
        inp = driver.create_input_topic("input")
        with pytest.raises(StreamsError, match="must not change the key"):
            inp.pipe_input("k", "v")
        assert driver.create_output_topic("output").is_empty()


def test_fixed_key_processor_may_forward_kept_records_from_a_punctuation() -> None:
    # As in Java, where a FixedKeyRecord kept from process() can be forwarded later.
    class Buffer(FixedKeyProcessor):
        def init(self, context: Any) -> None:
            super().init(context)
            self.kept: list[Record] = []
            context.schedule(timedelta(seconds=1), PunctuationType.WALL_CLOCK_TIME, self.flush)

        def process(self, record: Record) -> None:
            self.kept.append(record)

        def flush(self, timestamp: int) -> None:
            for record in self.kept:
                self.context.forward(record.with_value(record.value.upper()))
            self.kept.clear()

    builder = StreamsBuilder()
    builder.stream("input").process_values(Buffer).to("output")
    with TopologyTestDriver(builder.build(), STRINGS, initial_wall_clock_time=0) as driver:
        driver.create_input_topic("input").pipe_key_value_list([("a", "x"), ("b", "y")])
        driver.advance_wall_clock_time(1000)
        out = driver.create_output_topic("output").read_key_values_to_list()
    assert out == [KeyValue("a", "X"), KeyValue("b", "Y")]


# -- validation --------------------------------------------------------------------------------------


def test_duplicate_node_names_are_rejected() -> None:
    topology = Topology().add_source("a", "t")
    with pytest.raises(TopologyError, match="Processor a is already added"):
        topology.add_processor("a", Upper, "a")
    with pytest.raises(TopologyError, match="Processor a is already added"):
        topology.add_source("a", "other")
    topology.add_sink("s", "out", "a")
    with pytest.raises(TopologyError, match="Processor s is already added"):
        topology.add_sink("s", "out2", "a")


def test_unknown_parent_is_rejected() -> None:
    topology = Topology().add_source("src", "t")
    with pytest.raises(TopologyError, match="Parent processor nope is not added yet for p"):
        topology.add_processor("p", Upper, "nope")
    with pytest.raises(TopologyError, match="Parent processor nope is not added yet"):
        topology.add_sink("s", "out", "nope")


def test_sink_cannot_be_a_parent() -> None:
    topology = Topology().add_source("src", "t").add_sink("sink", "out", "src")
    with pytest.raises(TopologyError, match="Sink sink cannot be used as a parent of p"):
        topology.add_processor("p", Upper, "sink")


def test_a_node_cannot_be_its_own_parent() -> None:
    topology = Topology().add_source("src", "t")
    with pytest.raises(TopologyError):
        topology.add_processor("p", Upper, "p")


def test_a_topic_can_be_registered_by_one_source_only() -> None:
    topology = Topology().add_source("s1", "t")
    with pytest.raises(TopologyError, match="Topic t has already been registered"):
        topology.add_source("s2", "t")
    builder = StreamsBuilder()
    builder.stream("t")
    with pytest.raises(TopologyError, match="Topic t has already been registered"):
        builder.stream(["u", "t"])


def test_other_invalid_nodes() -> None:
    topology = Topology()
    with pytest.raises(TopologyError):
        topology.add_source("s")  # no topic
    with pytest.raises(TopologyError):
        topology.add_source("s", "t", offset_reset="sometimes")
    with pytest.raises(TopologyError):
        topology.add_source("", "t")
    topology.add_source("s", "t", offset_reset="earliest")
    with pytest.raises(TopologyError):
        topology.add_processor("p", Upper)  # no parent
    with pytest.raises(TopologyError):
        topology.add_processor("p", Upper(), "s")  # an instance, not a supplier
    with pytest.raises(TopologyError):
        topology.add_sink("k", "out")  # no parent
    with pytest.raises(TopologyError):
        topology.add_sink("k", 42, "s")  # type: ignore[arg-type]
    with pytest.raises(TopologyError):
        StreamsBuilder().stream([])
