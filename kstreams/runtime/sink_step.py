"""The sink's common case as a fused step: serialize with the serdes' fast paths, produce.

A sink whose topic is static, without a partitioner, whose serdes both have fast serializers
and whose collector has a ``produce_fn`` is this :class:`~kstreams.processor.fused.Step`:
the last step of its parent's fused chain (``flat_map_values → select_key → drop null keys
→ repartition sink`` is one Python call per line), or a function of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from confluent_kafka import KafkaException

from kstreams.errors import RecordTooLargeError
from kstreams.processor.fused import Step
from kstreams.runtime.collector import UNASSIGNED, produce_failed


def produce_refusal(
    name: str, topic: str, on_send_error: Callable[..., None]
) -> Callable[[Any, Any, int, KafkaException], None]:
    """What a fast sink does when ``produce()`` raises: a record too large goes to
    ``on_send_error`` (production.exception.handler decides), any other refusal is raised."""

    def refused(kb: Any, vb: Any, ts: int, exc: KafkaException) -> None:
        error = produce_failed(topic, exc)
        if not isinstance(error, RecordTooLargeError):
            raise error from exc
        on_send_error(name, topic, kb, vb, ts, None, error)

    return refused


_CODE = """\
try:
    kb = None if key is None else kfast(key)
    $value
    sending = True
except Exception:
    # the full serializers, and if they fail too, production.exception.handler decides
    pair = serialize(topic, key, value, ts, headers)
    sending = pair is not None
    if sending:
        kb, vb = pair
if sending and headers is None$fits:
    try:
        # positional, see KafkaRecordCollector.produce_fn
        produce(topic, vb, kb, unassigned, None, None, ts)
        sending = False
    except BufferError:
        pass  # the collector waits for room
    except KafkaException as exc:
        refused(kb, vb, ts, exc)
        sending = False
if sending:
    deliver(topic, kb, vb, ts, headers, None)
"""

_VALUE = "vb = None if value is None else vfast(value)"
# one serializer for both (String keys and values, say): a value that is the key object (a
# word count's ``group_by(lambda k, word: word)``) has the key's bytes, serialized once
_VALUE_IS_KEY = "vb = None if value is None else kb if value is key else vfast(value)"

# records whose key and value stay under ``cap`` fit; the collector measures bigger ones
# exactly (record_size.batch_size). ``x or empty``: None or empty, no bytes (the cheapest test)
_FITS = " and len(vb or empty) + len(kb or empty) <= cap"


def fast_sink_step(
    node: str,
    topic: str,
    kfast: Callable[[Any], Any],
    vfast: Callable[[Any], Any],
    produce: Callable[..., None],
    serialize: Callable[..., tuple[Any, Any] | None],
    refused: Callable[[Any, Any, int, KafkaException], None],
    deliver: Callable[..., None],
    cap: int | None,
) -> Step:
    """The step of sink ``node`` writing to ``topic``; ``cap``: the size under which a record
    surely fits the topic's limit (None: no limit to check). ``serialize`` is the slow path
    (``(kb, vb)`` or None: dropped), ``refused`` takes a producer error, ``deliver`` sends
    through the collector (headers, a full queue, a record to measure)."""
    bindings: dict[str, Any] = {
        "kfast": kfast,
        "vfast": vfast,
        "produce": produce,
        "serialize": serialize,
        "refused": refused,
        "deliver": deliver,
        "topic": topic,
        "unassigned": UNASSIGNED,
        "KafkaException": KafkaException,
    }
    fits = ""
    if cap is not None:
        bindings["cap"], bindings["empty"] = cap, b""
        fits = _FITS
    value = _VALUE_IS_KEY if kfast is vfast else _VALUE
    code = _CODE.replace("$fits", fits).replace("$value", value)
    return Step(node, code, bindings, temps=("kb", "vb", "pair", "sending", "exc"))
