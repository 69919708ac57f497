"""Processing errors name the processor node that raised (not ``processor node: None``)."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from kstreams import Named, Processor, Serdes, StreamsBuilder
from kstreams.handlers import ProcessingExceptionHandler, ProcessingHandlerResponse
from kstreams.testing import TopologyTestDriver

S = Serdes.String()


class Remember(ProcessingExceptionHandler):
    nodes: list[Any] = []

    def handle(self, context, record, exception):  # type: ignore[no-untyped-def]
        Remember.nodes.append(context.processor_node_id)
        return ProcessingHandlerResponse.CONTINUE


class Explode(Processor):
    def process(self, record: Any) -> None:
        if record.value == "BOOM":
            raise ValueError("boom")
        self.context.forward(record)


def test_the_handler_is_told_which_of_two_nodes_of_one_kind_failed() -> None:
    builder = StreamsBuilder()
    (
        builder.stream("in", key_serde=S, value_serde=S)
        .map_values(str.upper, Named.as_("first"))
        .map_values(lambda v: v if v != "BAD" else 1 / 0, Named.as_("second"))
        .process(Explode, named=Named.as_("explode"))
        .to("out", key_serde=S, value_serde=S)
    )
    Remember.nodes = []
    config = {
        "application.id": "app",
        "default.key.serde": Serdes.String,
        "default.value.serde": Serdes.String,
        "processing.exception.handler": Remember,
    }
    with TopologyTestDriver(builder.build(), config) as driver:
        inp = driver.create_input_topic("in", S, S)
        for v in ("ok", "bad", "boom"):
            inp.pipe_input("k", v)
        assert driver.create_output_topic("out", S, S).read_values_to_list() == ["OK"]
    assert Remember.nodes == ["second", "explode"]


def test_the_default_log_line_names_the_node(caplog: pytest.LogCaptureFixture) -> None:
    builder = StreamsBuilder()
    builder.stream("in", key_serde=S, value_serde=S).map_values(
        lambda v: 1 / 0, Named.as_("divide")
    ).to("out")
    config = {
        "application.id": "app",
        "default.key.serde": Serdes.String,
        "default.value.serde": Serdes.String,
        "processing.exception.handler": "log_and_continue",
    }
    with caplog.at_level(logging.WARNING), TopologyTestDriver(builder.build(), config) as driver:
        driver.create_input_topic("in", S, S).pipe_input("k", "v")
    assert "processor node: divide" in caplog.text
