"""Writing records to a real Kafka topic and reading a topic back to a list, for tests.

:func:`produce` sends ``(key, value[, timestamp])`` pairs (or ``TestRecord`` objects) and waits
until every one is acknowledged; :func:`read_topic` reads a topic from the beginning, without
joining a consumer group, to its current end or until ``n`` records arrived. Both take kstreams
serdes, so a test writes and reads the same wire format its topology does. The pytest plugin
binds them to the session broker as the ``produce`` and ``read_topic`` fixtures.

Example (``bootstrap`` is a broker's ``host:port``, ``topic`` an existing topic)::

    from kstreams import Serdes
    from kstreams.testing import produce, read_topic

    produce(bootstrap, topic, [("alice", 3), ("bob", 5)], value_serde=Serdes.Long())
    assert read_topic(bootstrap, topic, value_serde=Serdes.Long()) == [("alice", 3), ("bob", 5)]
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, overload

from kstreams.serde.base import Serde, as_serde

__all__ = ["ConsumedRecord", "ProducedRecord", "SerdeLike", "produce", "read_topic"]

Header = tuple[str, bytes | None]

SerdeLike = Serde[Any] | type[Serde[Any]] | Callable[[Any], Any] | None
"""A kstreams :class:`~kstreams.serde.base.Serde` (instance or class, e.g. ``Serdes.Long``), a
plain function (``obj -> bytes`` to produce, ``bytes -> obj`` to read), or None: str is sent as
UTF-8 and bytes as they are; records are read back as bytes."""

_SHOWN = 20
"""How many records a timeout message shows."""


@dataclass(frozen=True)
class ProducedRecord:
    """Where :func:`produce` wrote a record: topic, partition, offset, timestamp, the bytes sent."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp: int


@dataclass(frozen=True)
class ConsumedRecord:
    """A record :func:`read_topic` read (``records=True``), key and value deserialized."""

    topic: str
    partition: int
    offset: int
    key: Any
    value: Any
    timestamp: int
    headers: tuple[Header, ...] = ()

    def header(self, name: str) -> bytes | None:
        """The value of the last header called ``name``.

        Raises:
            KeyError: the record has no such header.
        """
        for header_name, value in reversed(self.headers):
            if header_name == name:
                return value
        raise KeyError(f"record {self.topic}-{self.partition}@{self.offset} has no header {name!r}")


# --------------------------------------------------------------------------- serdes


def _serializer(serde: SerdeLike, what: str) -> Callable[[str, Any, Any], bytes | None]:
    """``(topic, obj, headers) -> bytes`` for a serde-like; the default takes str and bytes."""
    resolved = _as_serde(serde, what)
    if resolved is not None:
        return resolved.serialize
    if serde is not None:
        fn = serde
        return lambda _topic, obj, _headers: None if obj is None else fn(obj)
    return _raw_bytes


def _raw_bytes(_topic: str, obj: Any, _headers: Any) -> bytes | None:
    if obj is None or isinstance(obj, bytes):
        return obj
    if isinstance(obj, str):
        return obj.encode("utf-8")
    if isinstance(obj, bytearray | memoryview):
        return bytes(obj)
    raise _NeedsSerde(obj)


class _NeedsSerde(TypeError):
    """A key or value that is neither str nor bytes was given without a serde."""


def _deserializer(serde: SerdeLike, what: str) -> Callable[[str, bytes | None, Any], Any]:
    """``(topic, bytes, headers) -> obj`` for a serde-like; the default returns the bytes."""
    resolved = _as_serde(serde, what)
    if resolved is not None:
        return resolved.deserialize
    if serde is not None:
        fn = serde
        return lambda _topic, data, _headers: None if data is None else fn(data)
    return lambda _topic, data, _headers: data


def _as_serde(serde: SerdeLike, what: str) -> Serde[Any] | None:
    if serde is None:
        return None
    if isinstance(serde, Serde) or (isinstance(serde, type) and issubclass(serde, Serde)):
        return as_serde(serde)
    if not callable(serde):
        raise TypeError(
            f"{what} must be a kstreams Serde (e.g. Serdes.String()), a Serde class or a "
            f"function, not {serde!r}"
        )
    return None


# --------------------------------------------------------------------------- producing


def _timestamp_ms(value: Any, index: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return int(value.timestamp() * 1000)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise TypeError(
        f"produce(): record #{index} has timestamp {value!r}: give epoch milliseconds (int) "
        "or a datetime"
    )


def _unpack(record: Any, index: int) -> tuple[Any, Any, int | None, Sequence[Header] | None]:
    """``(key, value, timestamp, headers)`` of one record given to :func:`produce`."""
    if isinstance(record, tuple | list) and len(record) in (2, 3):
        timestamp = record[2] if len(record) == 3 else None
        return record[0], record[1], _timestamp_ms(timestamp, index), None
    if all(hasattr(record, a) for a in ("key", "value", "timestamp", "headers")):  # TestRecord
        return record.key, record.value, _timestamp_ms(record.timestamp, index), record.headers
    raise TypeError(
        f"produce(): record #{index} is {record!r}: give (key, value), (key, value, timestamp) "
        "or a kstreams.testing.TestRecord"
    )


def produce(
    bootstrap_servers: str,
    topic: str,
    records: Iterable[Any],
    *,
    key_serde: SerdeLike = None,
    value_serde: SerdeLike = None,
    partition: int | None = None,
    headers: Sequence[Header] | None = None,
    timeout: float = 30.0,
) -> list[ProducedRecord]:
    """Write ``records`` to ``topic`` and wait until the broker acknowledged every one.

    Each record is ``(key, value)``, ``(key, value, timestamp)`` (epoch ms or a ``datetime``)
    or a :class:`~kstreams.testing.TestRecord` (its headers too). Without a serde a key or value
    must be str (sent as UTF-8), bytes or None; pass ``key_serde``/``value_serde`` (a kstreams
    Serde, e.g. ``Serdes.Long()``, or a function ``obj -> bytes``) for anything else. Keys go to
    partitions as Java's producer (and kstreams) place them (murmur2), unless ``partition``.
    Every record is serialized before the first is sent, so bad input sends nothing.

    Example::

        produce(bootstrap, "orders", [("o-1", '{"amount": 3}'), ("o-2", '{"amount": 5}', 1_000)])

    Returns:
        Where each record landed, in the order of ``records``.

    Raises:
        TypeError: a record of the wrong shape, or a key/value the serde cannot serialize.
        RuntimeError: the broker refused a record, or did not acknowledge all within ``timeout``.
    """
    serialize_key = _serializer(key_serde, "key_serde")
    serialize_value = _serializer(value_serde, "value_serde")
    prepared: list[tuple[bytes | None, bytes | None, int | None, list[Header] | None]] = []
    for index, record in enumerate(records):
        key, value, timestamp, record_headers = _unpack(record, index)
        all_headers = [*(headers or ()), *(record_headers or ())] or None
        prepared.append(
            (
                _serialize(serialize_key, topic, key, all_headers, "key", index),
                _serialize(serialize_value, topic, value, all_headers, "value", index),
                timestamp,
                all_headers,
            )
        )
    return _send(bootstrap_servers, topic, prepared, partition, timeout)


def _serialize(
    fn: Callable[[str, Any, Any], bytes | None],
    topic: str,
    obj: Any,
    headers: Any,
    what: str,
    index: int,
) -> bytes | None:
    try:
        return fn(topic, obj, headers)
    except _NeedsSerde:
        raise TypeError(
            f"produce(): the {what} of record #{index} is {obj!r} ({type(obj).__name__}), "
            f"neither str nor bytes: pass {what}_serde= (e.g. Serdes.Long(), Serdes.JSON())"
        ) from None
    except Exception as exc:
        raise TypeError(
            f"produce(): the {what} of record #{index} ({obj!r}) could not be serialized for "
            f"topic {topic!r}: {exc}"
        ) from exc


def _send(
    bootstrap_servers: str,
    topic: str,
    prepared: list[tuple[bytes | None, bytes | None, int | None, list[Header] | None]],
    partition: int | None,
    timeout: float,
) -> list[ProducedRecord]:
    from confluent_kafka import Producer

    producer = Producer(
        {
            "bootstrap.servers": bootstrap_servers,
            "partitioner": "murmur2_random",  # Java's default partitioner, as kstreams' sinks
            "acks": "all",
            "enable.idempotence": True,
            "linger.ms": 5,
            "message.timeout.ms": max(1000, int(timeout * 1000)),
        }
    )
    reports: list[Any] = [None] * len(prepared)
    errors: list[str] = []

    def on_delivery(index: int) -> Callable[[Any, Any], None]:
        def callback(err: Any, msg: Any) -> None:
            if err is not None:
                errors.append(f"record #{index}: {err}")
            else:
                reports[index] = msg

        return callback

    for index, (key, value, timestamp, headers) in enumerate(prepared):
        kwargs: dict[str, Any] = {"key": key, "value": value, "on_delivery": on_delivery(index)}
        if timestamp is not None:
            kwargs["timestamp"] = timestamp
        if partition is not None:
            kwargs["partition"] = partition
        if headers:
            kwargs["headers"] = headers
        while True:
            try:
                producer.produce(topic, **kwargs)
                break
            except BufferError:  # the local queue is full: let deliveries drain it
                producer.poll(0.1)
        producer.poll(0)
    left = producer.flush(timeout)
    if errors:
        shown = "; ".join(errors[:5])
        raise RuntimeError(
            f"produce(): {len(errors)} of {len(prepared)} record(s) to topic {topic!r} were "
            f"refused: {shown}"
        )
    if left:
        raise RuntimeError(
            f"produce(): {left} of {len(prepared)} record(s) to topic {topic!r} not acknowledged "
            f"within {timeout}s by {bootstrap_servers}"
        )
    return [
        ProducedRecord(m.topic(), m.partition(), m.offset(), m.key(), m.value(), m.timestamp()[1])
        for m in reports
    ]


# --------------------------------------------------------------------------- reading


@overload
def read_topic(
    bootstrap_servers: str,
    topic: str,
    n: int | None = None,
    *,
    timeout: float = 30.0,
    key_serde: SerdeLike = None,
    value_serde: SerdeLike = None,
    read_committed: bool = True,
    records: Literal[False] = False,
) -> list[tuple[Any, Any]]: ...


@overload
def read_topic(
    bootstrap_servers: str,
    topic: str,
    n: int | None = None,
    *,
    timeout: float = 30.0,
    key_serde: SerdeLike = None,
    value_serde: SerdeLike = None,
    read_committed: bool = True,
    records: Literal[True],
) -> list[ConsumedRecord]: ...


def read_topic(
    bootstrap_servers: str,
    topic: str,
    n: int | None = None,
    *,
    timeout: float = 30.0,
    key_serde: SerdeLike = None,
    value_serde: SerdeLike = None,
    read_committed: bool = True,
    records: bool = False,
) -> list[tuple[Any, Any]] | list[ConsumedRecord]:
    """Read ``topic`` from the beginning: all it holds now, or until ``n`` records arrived.

    With ``n=None`` it reads up to the end offsets the partitions have when it is called (under
    ``read_committed`` the last stable offsets: an open transaction is not waited for); with
    ``n`` it waits until at least ``n`` records arrived and returns every record read by then
    (more than ``n`` if more were there: duplicates show). Records come ordered by partition,
    then offset, as ``(key, value)`` pairs, or as :class:`ConsumedRecord` (partition, offset,
    timestamp, headers) with ``records=True``. Keys and values are bytes unless
    ``key_serde``/``value_serde`` (a kstreams Serde, e.g. ``Serdes.Long()``, or a function
    ``bytes -> obj``) say otherwise. ``read_committed`` (the default, as a downstream
    librdkafka consumer) shows only committed transactions' records; False shows records of
    open and aborted transactions too. No consumer group is joined.

    ``dict(read_topic(...))`` is the latest value of each key (a key stays in one partition).

    Example::

        counts = dict(read_topic(bootstrap, "word-counts", value_serde=Serdes.Long()))

    Raises:
        ValueError: ``topic`` does not exist, or ``n`` is not positive.
        TypeError: a serde that is neither a Serde nor a function.
        AssertionError: the records did not arrive within ``timeout`` seconds; the message
            shows what did.
    """
    if n is not None and n < 1:
        raise ValueError(f"read_topic(): n must be a positive number of records, not {n!r}")
    deserialize_key = _deserializer(key_serde, "key_serde")
    deserialize_value = _deserializer(value_serde, "value_serde")
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap_servers,
            "group.id": f"kstreams-read-topic-{uuid.uuid4().hex[:8]}",  # never joined
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "isolation.level": "read_committed" if read_committed else "read_uncommitted",
            "fetch.wait.max.ms": 50,
        }
    )
    try:
        partitions = _partitions(consumer, topic, bootstrap_servers, timeout)
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        ends = None
        if n is None:
            ends = {
                p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=timeout)[1]
                for p in partitions
            }
        got: list[ConsumedRecord] = []
        deadline = time.monotonic() + timeout
        while not _done(consumer, topic, got, n, ends):
            if time.monotonic() > deadline:
                raise AssertionError(_timeout_message(topic, got, n, ends, timeout, read_committed))
            for msg in consumer.consume(1000, 0.1):
                got.append(_consumed(msg, deserialize_key, deserialize_value))
    finally:
        consumer.close()
    got.sort(key=lambda r: (r.partition, r.offset))
    if records:
        return got
    return [(r.key, r.value) for r in got]


def _partitions(consumer: Any, topic: str, bootstrap_servers: str, timeout: float) -> list[int]:
    metadata = consumer.list_topics(topic, timeout=timeout).topics.get(topic)
    if metadata is None or metadata.error is not None or not metadata.partitions:
        raise ValueError(
            f"read_topic(): topic {topic!r} does not exist on {bootstrap_servers} "
            f"({getattr(metadata, 'error', None) or 'no partitions'}): create it first "
            "(the new_topic fixture, or kstreams.testing.create_topic)"
        )
    return sorted(metadata.partitions)


def _done(
    consumer: Any, topic: str, got: list[ConsumedRecord], n: int | None, ends: dict[int, int] | None
) -> bool:
    if n is not None:
        return len(got) >= n
    assert ends is not None
    from confluent_kafka import TopicPartition

    pending = [p for p, end in ends.items() if end > 0]
    if not pending:
        return True
    # the position passes transaction markers too, which no record shows
    positions = consumer.position([TopicPartition(topic, p) for p in pending])
    return all(tp.offset >= ends[tp.partition] for tp in positions)


def _consumed(
    msg: Any,
    deserialize_key: Callable[[str, bytes | None, Any], Any],
    deserialize_value: Callable[[str, bytes | None, Any], Any],
) -> ConsumedRecord:
    err = msg.error()
    if err is not None:
        raise RuntimeError(f"read_topic(): the consumer failed reading {msg.topic()}: {err}")
    topic, headers = msg.topic(), tuple(msg.headers() or ())
    where = f"{topic}-{msg.partition()}@{msg.offset()}"
    values = []
    for what, fn, data in (
        ("key", deserialize_key, msg.key()),
        ("value", deserialize_value, msg.value()),
    ):
        try:
            values.append(fn(topic, data, headers))
        except Exception as exc:
            raise TypeError(
                f"read_topic(): the {what} of record {where} ({data!r}) could not be "
                f"deserialized: {exc}; pass the {what}_serde= the topic is written with"
            ) from exc
    return ConsumedRecord(
        topic, msg.partition(), msg.offset(), values[0], values[1], msg.timestamp()[1], headers
    )


def _timeout_message(
    topic: str,
    got: list[ConsumedRecord],
    n: int | None,
    ends: dict[int, int] | None,
    timeout: float,
    read_committed: bool,
) -> str:
    isolation = "read_committed" if read_committed else "read_uncommitted"
    if n is not None:
        what = f"{len(got)} of {n} record(s) arrived"
    else:
        what = f"the end offsets {ends} not reached, {len(got)} record(s) read"
    shown = [(r.key, r.value) for r in sorted(got, key=lambda r: (r.partition, r.offset))]
    more = f"the first {_SHOWN} of " if len(shown) > _SHOWN else ""
    return (
        f"read_topic({topic!r}, {isolation}): {what} within {timeout}s; "
        f"{more}what was read: {shown[:_SHOWN]}"
    )
