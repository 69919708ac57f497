"""The sink's fast path for time-windowed keys: each key serialized once, its bytes and its
partition from that one serialization, the record handed to the producer straight away.

The full sink (serializers, ``WindowedPartitioner``, the collector's ``send``) stays the
fallback for anything unusual, so records, partitions and errors are the same either way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from confluent_kafka import KafkaException

from kstreams.processor.context import Forward
from kstreams.runtime.record_size import CHECK_MARGIN
from kstreams.runtime.sink_step import produce_refusal
from kstreams.serde.base import Headers
from kstreams.windows.window import Windowed

Place = Callable[[Windowed[Any], int], tuple[bytes, int]]
"""``WindowedPartitioner.fast_placer``: a windowed key's bytes and partition."""


def windowed_fast_sink(
    name: str,
    topic: str,
    place: Place,
    vfast: Callable[[Any], bytes],
    produce: Callable[..., None],
    limit: int | None,
    partitions_for: Callable[[str], int],
    full_sink: Forward,
    deliver: Callable[[str, Any, Any, int, Headers, int | None], None],
    on_send_error: Callable[..., None],
) -> Forward:
    """A sink to the static ``topic`` for windowed keys placed by ``place``.

    ``produce``: the collector's ``produce_fn()`` (positional, partition given); ``limit``:
    the topic's record limit or None; ``partitions_for``: the collector's, asked once, on the
    first record (a collector keeps a topic's partition count for its life, as
    ``KafkaRecordCollector`` does); ``full_sink``: the sink's full path, which takes records
    with headers or a None key, and any record that ``place`` or ``vfast`` refuses;
    ``deliver``: the collector's ``send`` with the size check (when the queue is full).
    """
    cap = None if limit is None else limit - CHECK_MARGIN
    empty = b""
    n = 0  # the topic's partition count, once known

    refused = produce_refusal(name, topic, on_send_error)

    def windowed_sink(key: Any, value: Any, ts: int, headers: Headers) -> None:
        nonlocal n
        if key is None or headers is not None:
            full_sink(key, value, ts, headers)
            return
        if not n:
            n = partitions_for(topic)
        try:
            kb, partition = place(key, n)
            vb = None if value is None else vfast(value)
        except Exception:
            full_sink(key, value, ts, headers)  # the full serializers say why, or succeed
            return
        if cap is not None and len(vb or empty) + len(kb) > cap:
            deliver(topic, kb, vb, ts, None, partition)  # measured exactly there
            return
        try:
            # positional, see KafkaRecordCollector.produce_fn
            produce(topic, vb, kb, partition, None, None, ts)
        except BufferError:
            deliver(topic, kb, vb, ts, None, partition)  # the collector waits for room
        except KafkaException as exc:
            refused(kb, vb, ts, exc)

    return windowed_sink
