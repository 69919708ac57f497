"""The deserialization error's hint says what really works: every way it names is run here."""

from __future__ import annotations

from typing import Any

import pytest

from kstreams import Serdes, StreamsBuilder, StreamsError
from kstreams.handlers import (
    HEADER_ERRORS_EXCEPTION_NAME,
    DeserializationExceptionHandler,
    DeserializationHandlerResponse,
)
from kstreams.runtime.task_errors import DESERIALIZATION_HINT
from kstreams.testing import TopologyTestDriver

B = Serdes.Bytes()
POISON = b"{not json"


class SkipBadRecords(DeserializationExceptionHandler):
    def handle(self, context, key, value, exception):  # type: ignore[no-untyped-def]
        return DeserializationHandlerResponse.CONTINUE


def run(**config: Any) -> tuple[list[Any], list[Any]]:
    """Pipes a good record, the poison pill and another good one; returns (outputs, DLQ)."""
    builder = StreamsBuilder()
    builder.stream("in", value_serde=Serdes.JSON()).to("out", value_serde=Serdes.JSON())
    settings = {"application.id": "hint", "default.key.serde": Serdes.Bytes, **config}
    with TopologyTestDriver(builder.build(), settings) as driver:
        inp = driver.create_input_topic("in", B, B)
        try:
            for value in (b'{"n": 1}', POISON, b'{"n": 2}'):
                inp.pipe_input(b"k", value)
        finally:
            out = driver.create_output_topic("out", B, Serdes.JSON()).read_values_to_list()
            dlq = driver.create_output_topic("dlq", B, B).read_records_to_list()
    return out, dlq


def test_the_default_fails_and_the_error_carries_the_hint() -> None:
    with pytest.raises(StreamsError) as raised:
        run()
    assert DESERIALIZATION_HINT in str(raised.value)
    for named in (
        "deserialization.exception.handler",
        "log_and_continue",
        "LogAndContinueExceptionHandler",
        "DeserializationExceptionHandler",
        "DeserializationHandlerResponse.CONTINUE",
        "errors.dead.letter.queue.topic.name",
    ):
        assert named in DESERIALIZATION_HINT


@pytest.mark.parametrize(
    "handler",
    [
        "log_and_continue",
        "LogAndContinueExceptionHandler",
        "kstreams.handlers.LogAndContinueExceptionHandler",
        SkipBadRecords,
    ],
)
def test_each_way_the_hint_names_skips_the_record(handler: Any) -> None:
    out, dlq = run(**{"deserialization.exception.handler": handler})
    assert out == [{"n": 1}, {"n": 2}] and dlq == []


def test_log_and_continue_with_a_dead_letter_topic_keeps_a_copy() -> None:
    out, dlq = run(
        **{
            "deserialization.exception.handler": "log_and_continue",
            "errors.dead.letter.queue.topic.name": "dlq",
        }
    )
    assert out == [{"n": 1}, {"n": 2}]
    [dead] = dlq
    assert dead.value == POISON and dict(dead.headers)[HEADER_ERRORS_EXCEPTION_NAME]


def test_log_and_fail_with_a_dead_letter_topic_writes_the_copy_and_still_stops() -> None:
    with pytest.raises(StreamsError, match="fail upon a deserialization error"):
        run(
            **{
                "deserialization.exception.handler": "log_and_fail",
                "errors.dead.letter.queue.topic.name": "dlq",
            }
        )
