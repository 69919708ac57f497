"""Dead letter records cut to fit their topic, and the record size they are measured by."""

from __future__ import annotations

import pytest

from kstreams.handlers import (
    HEADER_ERRORS_STACKTRACE_NAME,
    HEADER_ERRORS_TRUNCATED_NAME,
    ErrorHandlerContext,
    build_dead_letter_record,
)
from kstreams.runtime.dead_letters import fit_dead_letter
from kstreams.runtime.record_size import CHECK_MARGIN, batch_size


def dead_letter(key: bytes | None, value: bytes | None, stack: int = 0) -> object:
    context = ErrorHandlerContext(
        topic="in", partition=0, offset=7, headers=[("trace", b"t-1")], timestamp=5
    )
    try:
        raise ValueError("bad record" + "!" * stack)
    except ValueError as exc:
        return build_dead_letter_record("dlq", key, value, context, exc)


def test_a_record_that_fits_is_sent_as_it_is() -> None:
    record = dead_letter(b"k", b"v" * 100)
    assert fit_dead_letter(record, 1_000_000) is record  # type: ignore[arg-type]


@pytest.mark.parametrize("limit", [1500, 2000, 5000])
def test_the_value_is_cut_and_the_header_says_so(limit: int) -> None:
    record = dead_letter(b"k5", b"x" * 20_000)
    fitted = fit_dead_letter(record, limit)  # type: ignore[arg-type]
    assert batch_size(fitted.key, fitted.value, fitted.headers) <= limit
    assert fitted.key == b"k5" and fitted.value is not None
    assert fitted.value != b"x" * 20_000 and (b"x" * 20_000).startswith(fitted.value)
    headers = dict(fitted.headers)
    note = headers[HEADER_ERRORS_TRUNCATED_NAME]
    assert note == f"value 20000->{len(fitted.value)}".encode()
    assert headers["trace"] == b"t-1"  # the source record's headers stay
    assert fitted.timestamp == 5 and fitted.topic == "dlq"
    # nothing more than needed was cut: the record is close to the limit
    assert batch_size(fitted.key, fitted.value, fitted.headers) > limit - 120


def test_a_huge_key_and_stack_trace_are_cut_too() -> None:
    record = dead_letter(b"K" * 5000, b"x" * 5000, stack=5000)
    fitted = fit_dead_letter(record, 1000)  # type: ignore[arg-type]
    assert batch_size(fitted.key, fitted.value, fitted.headers) <= 1000
    note = dict(fitted.headers)[HEADER_ERRORS_TRUNCATED_NAME].decode()
    assert "value 5000->0" in note and f"header {HEADER_ERRORS_STACKTRACE_NAME}" in note
    assert "key 5000->" in note


def test_batch_size_counts_every_field() -> None:
    # 61 bytes of batch header; the record: length 1, attributes 1, deltas 2, key -1 (1),
    # value 3 bytes (1 + 3), no headers (1) = 9 bytes
    assert batch_size(None, b"abc", None) == 61 + 1 + 9
    with_headers = batch_size(b"k", b"abc", [("h", b"v"), ("n", None)])
    # key 1+1, headers: count 1, "h" 1+1 + "v" 1+1, "n" 1+1 + null 1
    assert with_headers == 61 + 1 + (1 + 2 + 2 + 4 + 1 + 2 + 2 + 2 + 1)
    big = b"v" * 20_000
    assert batch_size(b"k", big, None) - len(big) - 1 <= CHECK_MARGIN
