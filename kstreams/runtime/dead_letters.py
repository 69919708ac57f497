"""Dead letter records cut to fit their topic, so that writing one never fails the thread.

A dead letter record carries the failed record's bytes; the record may have failed *because*
it is large (an oversized input that could not be deserialized), and the dead letter topic
may accept less than the source topic. :func:`fit_dead_letter` cuts the value, then the stack
trace header, then the key, then every header but Kafka Streams' error headers, until the
record fits, and says what it cut in the ``__streams.errors.truncated`` header.
"""

from __future__ import annotations

from kstreams.handlers.context import ProducerRecord
from kstreams.handlers.dead_letter import (
    HEADER_ERRORS_STACKTRACE_NAME,
    HEADER_ERRORS_TRUNCATED_NAME,
)
from kstreams.runtime.record_size import batch_size

_ERROR_HEADER_PREFIX = "__streams.errors."
_TRUNCATED_VALUE_ROOM = 96
"""Bytes kept free for the truncated header's value while the record is being cut."""


def fit_dead_letter(
    record: ProducerRecord[bytes, bytes], limit: int
) -> ProducerRecord[bytes, bytes]:
    """``record`` itself if it fits in ``limit`` bytes, else a copy cut to fit.

    The cut copy has the ``__streams.errors.truncated`` header (see
    :data:`~kstreams.handlers.HEADER_ERRORS_TRUNCATED_NAME`), naming each part that was cut
    with its original and kept sizes (``value 20000->1850; key 12->0``). If the record still
    does not fit, only Kafka Streams' ``__streams.errors.*`` headers stay, the longest
    halved until it fits.
    """
    key, value = record.key, record.value
    headers = list(record.headers)
    if batch_size(key, value, headers) <= limit:
        return record
    cuts: list[str] = []
    placeholder = (HEADER_ERRORS_TRUNCATED_NAME, b"x" * _TRUNCATED_VALUE_ROOM)

    # 1. the value
    if value:
        fixed = batch_size(key, b"", [*headers, placeholder])
        keep = max(0, limit - fixed - 4)  # the value's length varint grows with it
        if keep < len(value):
            cuts.append(f"value {len(value)}->{keep}")
            value = value[:keep]
    # 2. the stack trace header, 3. the key, 4. other headers
    if batch_size(key, value, [*headers, placeholder]) > limit:
        for i, (name, hv) in enumerate(headers):
            if name == HEADER_ERRORS_STACKTRACE_NAME and hv:
                over = batch_size(key, value, [*headers, placeholder]) - limit
                keep = max(0, len(hv) - over - 4)
                cuts.append(f"header {name} {len(hv)}->{keep}")
                headers[i] = (name, hv[:keep])
    if key and batch_size(key, value, [*headers, placeholder]) > limit:
        over = batch_size(key, value, [*headers, placeholder]) - limit
        keep = max(0, len(key) - over - 4)
        cuts.append(f"key {len(key)}->{keep}")
        key = key[:keep]
    if batch_size(key, value, [*headers, placeholder]) > limit:
        dropped = [n for n, _ in headers if not n.startswith(_ERROR_HEADER_PREFIX)]
        if dropped:
            cuts.append(f"headers {','.join(dropped)} dropped")
        headers = [(n, v) for n, v in headers if n.startswith(_ERROR_HEADER_PREFIX)]
    original = {n: len(v or b"") for n, v in headers}
    halved: set[str] = set()
    while batch_size(key, value, [*headers, placeholder]) > limit and any(v for _, v in headers):
        # the error headers themselves: halve the longest until the record fits
        i = max(range(len(headers)), key=lambda j: len(headers[j][1] or b""))
        name, hv = headers[i]
        headers[i] = (name, (hv or b"")[: len(hv or b"") // 2])
        halved.add(name)
    cuts.extend(f"header {n} {original[n]}->{len(v or b'')}" for n, v in headers if n in halved)
    note = "; ".join(cuts).encode("utf-8")[:_TRUNCATED_VALUE_ROOM]
    headers.append((HEADER_ERRORS_TRUNCATED_NAME, note))
    return ProducerRecord(
        topic=record.topic,
        key=key,
        value=value,
        headers=tuple(headers),
        timestamp=record.timestamp,
        partition=record.partition,
    )
