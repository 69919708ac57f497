"""``production.exception.handler`` decides about records a sink cannot serialize (KIP-1033/1065)."""

from __future__ import annotations

from typing import Any

import pytest

from kstreams import Serdes, StreamsBuilder, StreamsError
from kstreams.handlers import (
    ProductionExceptionHandler,
    ProductionHandlerResponse,
    SerializationExceptionOrigin,
)
from kstreams.serde import JsonSerde
from kstreams.testing import TopologyTestDriver

S = Serdes.String()


class Continue(ProductionExceptionHandler):
    seen: list[Any] = []

    def handle_serialization_exception(self, context, record, exception, origin):  # type: ignore[no-untyped-def]
        Continue.seen.append((context.processor_node_id, record.topic, record.value, origin))
        return ProductionHandlerResponse.CONTINUE


def topology() -> Any:
    builder = StreamsBuilder()
    # JSON cannot serialize a set: the sink fails for that record only
    builder.stream("in", value_serde=S).map_values(
        lambda v: {"bad"} if v == "bad" else {"v": v}
    ).to("out", value_serde=JsonSerde())
    return builder.build()


def config(**extra: Any) -> dict[str, Any]:
    return {"application.id": "app", "default.key.serde": Serdes.String, **extra}


def test_the_default_handler_fails_naming_the_sink_and_the_value() -> None:
    with TopologyTestDriver(topology(), config()) as driver:
        inp = driver.create_input_topic("in", S, S)
        with pytest.raises(StreamsError, match=r"could not serialize the record's value.*out"):
            inp.pipe_input("k", "bad")


def test_a_handler_that_continues_drops_the_record_and_counts_it() -> None:
    Continue.seen = []
    with TopologyTestDriver(
        topology(), config(**{"production.exception.handler": Continue})
    ) as driver:
        inp = driver.create_input_topic("in", S, S)
        for v in ("a", "bad", "b"):
            inp.pipe_input("k", v)
        out = driver.create_output_topic("out", S, JsonSerde())
        assert out.read_values_to_list() == [{"v": "a"}, {"v": "b"}]
        assert driver.metrics()["dropped-records-total"] == 1
    ((node, topic, value, origin),) = Continue.seen
    assert node.startswith("KSTREAM-SINK-") and topic == "out" and value == {"bad"}
    assert origin is SerializationExceptionOrigin.VALUE


def test_the_default_handler_sends_a_dead_letter_record_then_fails() -> None:
    with TopologyTestDriver(
        topology(), config(**{"errors.dead.letter.queue.topic.name": "dlq"})
    ) as driver:
        inp = driver.create_input_topic("in", S, S)
        with pytest.raises(StreamsError):
            inp.pipe_input("k", "bad")
        assert driver.produced_topic_names() >= {"dlq"}
