"""A record cache's flush forwarding straight into ``to_stream``'s chain (no ``Change`` built,
``processor/fused.py: flush_listener``): the records, timestamps and tombstones that
forwarding a ``Change`` gave, and a failure named after the node that raised."""

from __future__ import annotations

from typing import Any

from kstreams import Materialized, Named, Serdes, StreamsBuilder
from kstreams.handlers import ProcessingExceptionHandler, ProcessingHandlerResponse
from kstreams.testing import TopologyTestDriver

S, L = Serdes.String(), Serdes.Long()


class Remember(ProcessingExceptionHandler):
    nodes: list[Any] = []

    def handle(self, context, record, exception):  # type: ignore[no-untyped-def]
        Remember.nodes.append(context.processor_node_id)
        return ProcessingHandlerResponse.CONTINUE


def check(n: int) -> int:
    if n == 2:
        raise ValueError("two")
    return n


def test_an_evicting_flush_names_the_node_that_failed() -> None:
    builder = StreamsBuilder()
    (
        builder.stream("in", key_serde=S, value_serde=S)
        .group_by_key()
        .count(Materialized.as_("counts"))
        .to_stream(Named.as_("stream"))
        .map_values(check, Named.as_("check"))
        .to("out", key_serde=S, value_serde=L)
    )
    Remember.nodes = []
    config = {
        "application.id": "app",
        "processing.exception.handler": Remember,
        "statestore.cache.max.bytes": 400,  # a few keys: writes evict
    }
    with TopologyTestDriver(builder.build(), config) as driver:
        inp = driver.create_input_topic("in", S, S)
        for k in "aabcdefgaa":
            inp.pipe_input(k, "v")
        out = driver.create_output_topic("out", S, L).read_key_values_to_list()
    assert [(kv.key, kv.value) for kv in out] == [
        ("a", 1),
        ("b", 1),
        ("c", 1),
        ("d", 1),
        ("e", 1),
        ("f", 1),
        ("g", 1),
        ("a", 3),
        ("a", 4),
    ]
    assert Remember.nodes == ["check"]


def test_table_updates_and_tombstones_reach_the_stream_as_before() -> None:
    builder = StreamsBuilder()
    builder.table("in", Materialized.as_("t"), key_serde=S, value_serde=S).to_stream().to(
        "out", key_serde=S, value_serde=S
    )
    with TopologyTestDriver(builder.build(), {"application.id": "app"}) as driver:
        inp = driver.create_input_topic("in", S, S)
        inp.pipe_input("a", "1", 10)
        inp.pipe_input("b", "2", 20)
        inp.pipe_input("a", None, 30)
        inp.pipe_input("c", None, 40)  # a delete of what the table does not hold: nothing
        out = driver.create_output_topic("out", S, S).read_records_to_list()
    assert [(r.key, r.value, r.timestamp) for r in out] == [
        ("a", "1", 10),
        ("b", "2", 20),
        ("a", None, 30),
    ]


def test_the_listener_forwards_what_forwarding_the_change_did() -> None:
    from kstreams.processor.change import Change
    from kstreams.processor.fused import Step, derived, flush_listener, fuse

    got: list[tuple[Any, ...]] = []

    def tail(key: Any, value: Any, ts: int, headers: Any) -> None:
        got.append((key, value, ts, headers))

    code = "new_value = value.new_value\n$forward"
    to_stream = fuse(Step("ts", code, changes_value=True, unwraps_change=True), tail)
    listener = flush_listener(to_stream)
    assert listener is not None
    assert derived(to_stream) == (listener,)
    headers = [("h", b"1")]
    listener("a", (3, 30), None, 5, None)
    listener("b", None, (1, 2), 40, headers)  # a delete: the deleting record's timestamp
    via_change = got[:]
    got.clear()
    to_stream("a", Change(3, None), 30, None)
    to_stream("b", Change(None, 1), 40, headers)
    assert via_change == got == [("a", 3, 30, None), ("b", None, 40, headers)]
    assert flush_listener(tail) is None
    plain = fuse(Step("m", "new_value = value\n$forward", changes_value=True), tail)
    assert flush_listener(plain) is None
