"""KafkaRecordCollector calls ``Producer.produce`` positionally: the callbacks land where meant.

No broker: a producer pointed at a closed port fails every record after ``message.timeout.ms``,
which is enough to see which delivery callback confluent-kafka calls for each record.
"""

from __future__ import annotations

from typing import Any

from confluent_kafka import Producer

from kstreams.runtime.collector import KafkaRecordCollector


def _collector() -> tuple[KafkaRecordCollector, list[Any], list[Any]]:
    default: list[Any] = []
    changelog: list[Any] = []
    producer = Producer(
        {
            "bootstrap.servers": "127.0.0.1:1",
            "message.timeout.ms": 200,
            "on_delivery": lambda err, msg: default.append((msg.topic(), msg.key())),
            "log_level": 0,
        }
    )
    collector = KafkaRecordCollector(producer)
    collector._on_changelog_delivery = (  # type: ignore[method-assign]
        lambda err, msg: changelog.append((msg.topic(), msg.key(), msg.partition()))
    )
    return collector, default, changelog


def test_changelog_records_report_to_their_own_callback() -> None:
    collector, default, changelog = _collector()
    collector.send_changelog("cl", b"k", b"v", 1234, 2)
    assert collector.producer.flush(10) == 0
    assert changelog == [("cl", b"k", 2)]
    assert default == []


def test_sent_records_report_to_the_default_callback() -> None:
    collector, default, changelog = _collector()
    collector.send("out", b"k1", b"v", 1234, None, None)
    collector.send("out", b"k2", b"v", 1235, [("h", b"1")], 0)
    collector.send("out", b"k3", b"v", 1236, [], None)
    produce = collector.produce_fn()
    produce("out", b"v", b"k4", -1, None, None, 1237)
    assert collector.producer.flush(10) == 0
    assert sorted(default) == [("out", b"k1"), ("out", b"k2"), ("out", b"k3"), ("out", b"k4")]
    assert changelog == []


class FailingProducer:
    """``produce`` raises what a fatal idempotent-producer error raises."""

    def produce(self, *args: Any) -> None:
        from confluent_kafka import KafkaError, KafkaException

        raise KafkaException(KafkaError(KafkaError._FATAL, "out of order sequence", fatal=True))


def test_a_producer_error_in_produce_stops_the_thread_not_the_record() -> None:
    import pytest

    from kstreams.errors import ProductionError

    collector = KafkaRecordCollector(FailingProducer())
    for send in (
        lambda: collector.send("out", b"k", b"v", 1, None, None),
        lambda: collector.send_changelog("cl", b"k", b"v", 1, 0),
    ):
        with pytest.raises(ProductionError, match=r"fatal producer error.*out of order sequence"):
            send()
