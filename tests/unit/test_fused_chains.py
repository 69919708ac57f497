"""Single-child stateless chains run as one fused function: same records, same errors, same
node named to the processing exception handler as when each node runs alone."""

from __future__ import annotations

import traceback
from typing import Any

import pytest

from kstreams import KeyValue, Named, Serdes, StreamsBuilder
from kstreams.handlers import ProcessingExceptionHandler, ProcessingHandlerResponse
from kstreams.processor import fused
from kstreams.processor.fused import Step, fuse, render
from kstreams.testing import TopologyTestDriver

S = Serdes.String()


class Remember(ProcessingExceptionHandler):
    nodes: list[Any] = []

    def handle(self, context, record, exception):  # type: ignore[no-untyped-def]
        Remember.nodes.append(context.processor_node_id)
        return ProcessingHandlerResponse.CONTINUE


CONFIG = {
    "application.id": "app",
    "default.key.serde": Serdes.String,
    "default.value.serde": Serdes.String,
    "processing.exception.handler": Remember,
}


def _chain(builder: StreamsBuilder) -> None:
    # every fusible kind, each with a way to fail on one input
    (
        builder.stream("in", key_serde=S, value_serde=S)
        .filter(lambda k, v: v != "drop", Named.as_("keep"))
        .filter_not(lambda k, v: 1 / 0 if v == "f2" else v == "skip", Named.as_("not-skip"))
        .peek(lambda k, v: 1 / 0 if v == "peek" else None, Named.as_("look"))
        .flat_map_values(lambda v: 1 / 0 if v == "fmv" else v.split(), Named.as_("words"))
        .map_values(lambda k, v: 1 / 0 if v == "mv" else f"{k}:{v}", Named.as_("tag"))
        .flat_map(
            lambda k, v: 1 / 0 if v.endswith("fm") else [KeyValue(v, k), (v + "!", k)],
            Named.as_("twice"),
        )
        .map(lambda k, v: 1 / 0 if k.endswith("m!") else (k.upper(), v), Named.as_("up"))
        .select_key(lambda k, v: 1 / 0 if k.startswith("K:SK") else k + "#", Named.as_("rekey"))
        .group_by_key()
        .count()
        .to_stream()
        .to("out", key_serde=S, value_serde=Serdes.Long())
    )


INPUTS = [
    ("k", "a b"),
    ("k", "drop"),
    ("k", "skip"),
    ("k", "f2"),
    ("k", "peek"),
    ("k", "fmv"),
    ("k", "mv"),
    ("k", "c fm"),
    ("k", "m"),
    ("k", "sk"),
    ("j", "a"),
]


def _run() -> tuple[list[Any], list[Any]]:
    builder = StreamsBuilder()
    _chain(builder)
    Remember.nodes = []
    with TopologyTestDriver(builder.build(), {**CONFIG, "statestore.cache.max.bytes": 0}) as d:
        inp = d.create_input_topic("in", S, S)
        for k, v in INPUTS:
            inp.pipe_input(k, v)
        out = d.create_output_topic("out", S, Serdes.Long()).read_key_values_to_list()
    return out, list(Remember.nodes)


def test_a_chain_gives_the_records_and_failing_nodes_of_its_nodes_run_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fused_out, fused_nodes = _run()
    monkeypatch.setattr(fused, "MAX_CHAIN", 0)  # every node its own function
    alone_out, alone_nodes = _run()
    assert fused_out == alone_out
    assert fused_nodes == alone_nodes
    assert fused_nodes == ["not-skip", "look", "words", "tag", "twice", "up", "rekey"]
    assert [kv.key for kv in fused_out][:4] == ["K:A#", "K:A!#", "K:B#", "K:B!#"]


def test_the_chain_is_one_function() -> None:
    builder = StreamsBuilder()
    _chain(builder)
    with TopologyTestDriver(builder.build(), CONFIG) as d:
        fns = dict(fn for t in d._tasks for fn in t._node_fns)  # type: ignore[attr-defined]
    # nine nodes (the eight and the grouping's null-key filter): the last eight are one
    # function, whose only call of another node is the repartition sink's
    text = fused.source(fns["not-skip"])
    assert text is not None
    assert text.count("forward(") == 1
    assert len(fns["not-skip"]._kstreams_chain[0]) == fused.MAX_CHAIN == 8
    # the first one calls it
    assert fns["keep"]._kstreams_chain[1] is fns["not-skip"]


def test_a_flat_map_values_keeps_its_key_for_every_value_whatever_follows() -> None:
    seen: list[Any] = []
    steps = (
        Step(
            "fmv",
            "for new_value in mapper(value):\n    $forward",
            {"mapper": str.split},
            False,
            True,
        ),
        Step("sk", "new_key = sel(key, value)\n$forward", {"sel": lambda k, v: k + v}, True),
    )
    fn = fuse(steps[0], fuse(steps[1], lambda k, v, ts, h: seen.append((k, v))))
    fn("k", "a b", 0, None)
    assert seen == [("ka", "a"), ("kb", "b")]
    _text, spans = render(steps)
    assert [n for _, _, n in spans] == ["sk", "fmv"]


def test_a_traceback_shows_the_generated_line() -> None:
    def boom(value: Any) -> Any:
        raise ValueError(value)

    fn = fuse(
        Step("n", "new_value = mapper(value)\n$forward", {"mapper": boom}, False, True), print
    )
    with pytest.raises(ValueError) as info:
        fn("k", "v", 0, None)
    text = "".join(traceback.format_tb(info.value.__traceback__))
    assert "v0 = mapper_0(value)" in text
    assert fused.node_at(fn, info.value.__traceback__.tb_next.tb_lineno) == "n"  # type: ignore[union-attr]
