"""A static member refused with UNRELEASED_INSTANCE_ID joins again (kstreams.runtime.static_rejoin).

librdkafka turns the coordinator's UNRELEASED_INSTANCE_ID (a killed instance's member still
holds the ``group.instance.id`` until its session expires, consumer protocol) into a fatal
consumer error; before, the stream thread logged it as "consumer error (retrying)" and its
dead consumer never joined (the restarted instance stayed REBALANCING for good). The broker
test is tests/integration/test_static_member_restart.py.
"""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest
from confluent_kafka import KafkaError, KafkaException

from kstreams.errors import StreamsError
from kstreams.runtime.static_rejoin import UnreleasedInstanceId, is_unreleased_instance_id
from kstreams.runtime.stream_thread import StreamThread

# what librdkafka 2.x hands the consumer's poll (code _FATAL, .fatal() False)
REFUSED = KafkaError(
    KafkaError._FATAL,
    "Fatal error: Broker: The instance ID is still used by another member in the consumer "
    "group: ConsumerGroupHeartbeat fatal error: Broker: The instance ID is still used by "
    "another member in the consumer group",
)


def test_the_refusal_is_recognised_as_librdkafka_reports_it() -> None:
    assert is_unreleased_instance_id(REFUSED)
    assert is_unreleased_instance_id(KafkaError(KafkaError.UNRELEASED_INSTANCE_ID))
    assert not is_unreleased_instance_id(KafkaError(KafkaError._FATAL, "Fatal error: other"))
    assert not is_unreleased_instance_id(KafkaError(KafkaError.FENCED_INSTANCE_ID))


def test_refusals_back_off_then_fail_naming_the_instance_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    retries = UnreleasedInstanceId("stream-thread [t]", timeout_s=10.0, backoff_s=1.0)
    with caplog.at_level(logging.INFO, logger="kstreams"):
        assert retries.refused(REFUSED, "app-b-1", now=100.0) == 1.0
        assert retries.refused(REFUSED, "app-b-1", now=105.0) == 1.0
    levels = [r.levelno for r in caplog.records]
    assert levels == [logging.WARNING, logging.INFO]  # warned once, then counted
    assert "group.consumer.session.timeout.ms" in caplog.records[0].getMessage()
    with pytest.raises(StreamsError, match=r"'app-b-1'.*3 attempts"):
        retries.refused(REFUSED, "app-b-1", now=110.0)


def test_an_assignment_ends_a_series_of_refusals() -> None:
    retries = UnreleasedInstanceId("t", timeout_s=10.0)
    retries.refused(REFUSED, "i", now=0.0)
    retries.joined()
    assert retries.refused(REFUSED, "i", now=50.0) == 1.0  # a new series: no failure


def _thread(tasks: dict | None = None, assignment: set | None = None) -> SimpleNamespace:
    manager = SimpleNamespace(tasks=tasks or {}, assignment=assignment or set())
    return SimpleNamespace(task_manager=manager, _refused=None, client_id="t")


def test_the_thread_joins_again_when_refused_before_it_owns_anything() -> None:
    thread = _thread()
    StreamThread._consumer_error(thread, REFUSED)  # type: ignore[arg-type]
    assert thread._refused is REFUSED  # the loop replaces the consumer (_join_again)


def test_a_refusal_with_tasks_and_any_other_fatal_error_stop_the_thread() -> None:
    thread = _thread(assignment={("in", 0)})
    with pytest.raises(KafkaException):
        StreamThread._consumer_error(thread, REFUSED)  # type: ignore[arg-type]
    # a message's fatal error has code _FATAL but .fatal() False: it was "retrying" for good
    with pytest.raises(KafkaException):
        StreamThread._consumer_error(_thread(), KafkaError(KafkaError._FATAL, "Fatal error: x"))  # type: ignore[arg-type]
    assert _thread()._refused is None
