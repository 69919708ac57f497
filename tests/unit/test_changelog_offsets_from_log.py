"""Under at-least-once the producer reports failed deliveries only; changelog offsets are read
from the log ends after a flush (one request for all partitions written since the last one)."""

from __future__ import annotations

from typing import Any

import pytest
from confluent_kafka import TopicPartition

from kstreams.errors import StreamsError
from kstreams.runtime.collector import KafkaRecordCollector, configure_delivery_reports


class Producer:
    def __init__(self) -> None:
        self.sent: list[tuple[Any, ...]] = []

    def produce(self, *args: Any) -> None:
        self.sent.append(args)


class Ends:
    """A consumer answering ``offsets_for_times`` with the log ends it is given."""

    def __init__(self, ends: dict[tuple[str, int], int]) -> None:
        self.ends = ends
        self.asked: list[list[tuple[str, int]]] = []

    def offsets_for_times(self, tps: list[Any], timeout: float) -> list[Any]:
        self.asked.append([(tp.topic, tp.partition) for tp in tps])
        return [
            TopicPartition(tp.topic, tp.partition, self.ends[(tp.topic, tp.partition)])
            for tp in tps
        ]


def test_changelog_records_get_no_callback_and_their_offsets_come_from_the_log_end() -> None:
    producer = Producer()
    collector = KafkaRecordCollector(producer)
    collector.offsets_from_log = True
    collector.send_changelog("c", b"k", b"v", 1, 0)
    collector.send_changelog("c", b"k2", b"v", 1, 0)
    collector.send_changelog("c", b"k", b"v", 1, 2)
    assert [args[4] for args in producer.sent] == [None, None, None]  # no Python call per record
    ends = Ends({("c", 0): 12, ("c", 2): 5})
    collector.read_changelog_offsets(ends)
    assert collector.changelog_offsets == {("c", 0): 11, ("c", 2): 4}
    assert ends.asked == [[("c", 0), ("c", 2)]]  # one request
    collector.read_changelog_offsets(ends)  # nothing written since: nothing asked
    assert len(ends.asked) == 1


def test_without_offsets_from_log_the_delivery_reports_tell() -> None:
    producer = Producer()
    collector = KafkaRecordCollector(producer)
    collector.send_changelog("c", b"k", b"v", 1, 0)
    assert producer.sent[0][4] is not None
    collector.read_changelog_offsets(Ends({}))  # nothing to read
    assert collector.changelog_offsets == {}


def test_an_unreadable_log_end_fails_the_commit() -> None:
    collector = KafkaRecordCollector(Producer())
    collector.offsets_from_log = True
    collector.send_changelog("c", b"k", b"v", 1, 0)
    with pytest.raises(StreamsError, match="end offset of changelog c-0"):
        collector.read_changelog_offsets(Ends({("c", 0): -1}))


@pytest.mark.parametrize(("logged", "from_log"), [(False, False), (True, True)])
def test_failures_only_and_changelog_offsets_from_the_log_ends(
    logged: bool, from_log: bool
) -> None:
    # both guarantees: exactly-once reads the ends inside the transaction, before it commits
    conf: dict[str, Any] = {}
    assert configure_delivery_reports(conf, logged) is from_log
    assert conf["delivery.report.only.error"] is True


def test_a_user_who_wants_every_report_gets_them() -> None:
    conf: dict[str, Any] = {"delivery.report.only.error": False}
    assert configure_delivery_reports(conf, True) is False  # offsets from them
