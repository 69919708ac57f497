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


def test_a_flush_of_changelog_records_reports_to_their_own_callback() -> None:
    collector, default, changelog = _collector()
    collector.send_changelogs("cl", 1, [(b"k1", b"v", 1234), (b"k2", None, 1235)])
    assert collector.producer.flush(10) == 0
    assert changelog == [("cl", b"k1", 1), ("cl", b"k2", 1)]
    assert default == []


class RecordingProducer:
    """Keeps what ``produce`` got; refuses the first ``full`` calls with a full queue."""

    def __init__(self, full: int = 0) -> None:
        self.full = full
        self.polls = 0
        self.produced: list[tuple[Any, ...]] = []

    def produce(self, *args: Any) -> None:
        if self.full:
            self.full -= 1
            raise BufferError("Local: Queue full")
        self.produced.append(args)

    def poll(self, timeout: float = 0) -> int:
        self.polls += 1
        return 0


def test_a_flush_of_changelog_records_is_what_one_send_each_would_produce() -> None:
    records = [(b"a", b"1", 10), (b"b", None, 11), (b"c", b"3", 12)]
    one, batch = (
        KafkaRecordCollector(RecordingProducer()),
        KafkaRecordCollector(RecordingProducer()),
    )
    for collector in (one, batch):
        collector.offsets_from_log = True
    for key, value, ts in records:
        one.send_changelog("cl", key, value, ts, 3)
    batch.send_changelogs("cl", 3, records)
    assert batch.producer.produced == one.producer.produced
    assert [r[:4] + r[6:] for r in batch.producer.produced] == [
        ("cl", b"1", b"a", 3, 10, None),
        ("cl", None, b"b", 3, 11, None),
        ("cl", b"3", b"c", 3, 12, None),
    ]
    # the changelog ends are read for that partition, the records counted towards a checkpoint
    assert batch._changelog_written == one._changelog_written == {("cl", 3)}
    assert batch._changelog_unread == one._changelog_unread == 3


def test_a_flush_of_changelog_records_waits_for_room_in_a_full_queue() -> None:
    collector = KafkaRecordCollector(RecordingProducer(full=2))
    collector.send_changelogs("cl", 0, [(b"a", b"1", 10), (b"b", b"2", 11)])
    assert [r[2] for r in collector.producer.produced] == [b"a", b"b"]
    assert collector.producer.polls == 2


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
        lambda: collector.send_changelogs("cl", 0, [(b"k", b"v", 1)]),
    ):
        with pytest.raises(ProductionError, match=r"fatal producer error.*out of order sequence"):
            send()
