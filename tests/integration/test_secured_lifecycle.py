"""Client lifecycle on a secured cluster (issue 10 §3): a fatal producer error at start (no
transactional-id ACL under exactly-once) reaches the uncaught-exception handler and ERROR, and
``close()`` after a ``start()`` that failed authentication closes every client (none keeps
reconnecting). The fixes live in kstreams/runtime/kafka_streams.py and stream_thread.py."""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import wait_until
from secured_helpers import (
    make_user,
    secured_broker,
    secured_topic,
    streams_settings,
    word_count,
)

from kstreams import AuthenticationError, KafkaStreams
from kstreams.handlers import StreamThreadExceptionResponse
from kstreams.testing.kafka_admin import admin_client
from kstreams.testing.secure_broker import SecureKafkaBroker, streams_acls

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def broker() -> Iterator[SecureKafkaBroker]:
    """One secured broker for the module."""
    yield from secured_broker()


def test_missing_transactional_id_acl_reaches_the_handler_and_error(
    broker: SecureKafkaBroker, tmp_path: Path
) -> None:
    user, password = make_user(broker, "notxn")
    source, sink = secured_topic(broker, "in"), secured_topic(broker, "out")
    app_id = f"notxn-{uuid.uuid4().hex[:6]}"
    acls = streams_acls(f"User:{user}", app_id, sources=[source], sinks=[sink], exactly_once=True)
    broker.create_acls([a for a in acls if a.resource_type != "TRANSACTIONAL_ID"])
    config = streams_settings(
        broker.sasl_config(user, password),
        app_id,
        tmp_path,
        **{"processing.guarantee": "exactly_once_v2"},
    )
    handled: list[BaseException] = []
    done = threading.Event()

    def handler(exc: BaseException) -> StreamThreadExceptionResponse:
        handled.append(exc)
        done.set()
        return StreamThreadExceptionResponse.SHUTDOWN_CLIENT

    streams = KafkaStreams(word_count.build_topology(source, sink), config)
    streams.set_uncaught_exception_handler(handler)
    try:
        streams.start()  # init_transactions is refused in the stream thread, not here
        wait_until(lambda: streams.state is KafkaStreams.State.ERROR, 60, what="ERROR state")
    finally:
        streams.close(30)
    assert done.is_set() and handled, "the uncaught-exception handler was not called"
    error = str(streams.error)
    assert "TRANSACTIONAL_ID_AUTHORIZATION_FAILED" in error or f"{app_id}-" in error, error


def _failed_authentications(broker: SecureKafkaBroker, mechanism: str) -> int:
    """The broker's log lines of failed authentications with ``mechanism``: SCRAM's name the
    mechanism, PLAIN's say "Invalid username or password"."""
    text = broker.log_path.read_text(errors="replace")
    lines = [line for line in text.splitlines() if "Failed authentication with" in line]
    if mechanism == "PLAIN":
        return sum("Invalid username or password" in line for line in lines)
    return sum(f"SASL mechanism {mechanism}" in line for line in lines)


def test_close_after_an_authentication_failure_closes_every_client(
    broker: SecureKafkaBroker, tmp_path: Path
) -> None:
    user, _ = make_user(broker, "closeauth")
    config = streams_settings(
        broker.sasl_config(user, "wrong-password"),
        f"closeauth-{uuid.uuid4().hex[:6]}",
        tmp_path,
        # a client left open would retry many times a second: every retry is a failed
        # authentication in the broker's log
        **{"reconnect.backoff.ms": 50, "reconnect.backoff.max.ms": 100},
    )
    streams = KafkaStreams(word_count.build_topology("any-in", "any-out"), config)
    with pytest.raises(AuthenticationError):
        streams.start()
    assert streams.close(30) is True
    # the broker logs a failed authentication as it happens: whatever connected before close()
    # returned is in the log once a probe written after it has been logged too
    before = _settled_count(broker)
    assert before > 0, "the application's refused logins are not in the broker's log"
    time.sleep(3.0)  # 30+ reconnect attempts of any client left open
    after = _settled_count(broker)
    assert after == before, f"{after - before} failed authentications after close() returned"


def _settled_count(broker: SecureKafkaBroker) -> int:
    """The application's failed (SCRAM) authentications in the broker's log, once a probe
    made now shows: the probe logs in with PLAIN, so its own line is not counted."""
    start = _failed_authentications(broker, "PLAIN")
    conf = broker.sasl_config("no-such-user", "probe", mechanism="PLAIN")
    # one attempt only: its backoff outlasts the request, and it is destroyed right after
    bootstrap = conf.pop("bootstrap.servers")
    probe = admin_client(  # quiet: its refusal is expected
        bootstrap, **conf, **{"reconnect.backoff.ms": 10000, "reconnect.backoff.max.ms": 10000}
    )
    with contextlib.suppress(Exception):  # refused, as it should be
        probe.list_topics(timeout=0.5)
    del probe
    wait_until(
        lambda: _failed_authentications(broker, "PLAIN") > start, 10, what="the probe's line"
    )
    return _failed_authentications(broker, "SCRAM-SHA-256")
