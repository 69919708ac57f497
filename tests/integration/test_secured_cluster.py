"""kstreams on a secured cluster (issue 10 §3): SASL_PLAINTEXT (PLAIN, SCRAM-SHA-256), SSL and
StandardAuthorizer ACLs with ``allow.everyone.if.no.acl.found=false``.

One :class:`~kstreams.testing.secure_broker.SecureKafkaBroker` serves the whole module. Word
count runs under both guarantees with exactly the ACLs docs/guide/security.md lists
(:func:`~kstreams.testing.secure_broker.streams_acls`), restarts with its state deleted and
restores; authentication failures, missing ACLs and unauthorized topics give errors that say so.
"""

from __future__ import annotations

import logging
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import RestoreRecorder, wait_until
from secured_helpers import (
    expected,
    latest_counts,
    make_user,
    produce_lines,
    secured_broker,
    secured_topic,
    streams_settings,
    word_count,
)

from kstreams import AuthenticationError, KafkaStreams
from kstreams.errors import MissingSinkTopicError, MissingSourceTopicError, StreamsError
from kstreams.testing.secure_broker import Acl, SecureKafkaBroker, make_ca, streams_acls

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def broker() -> Iterator[SecureKafkaBroker]:
    """One secured broker for the module."""
    yield from secured_broker()


def _run_until(
    config: dict[str, Any],
    topology: Any,
    output: str,
    broker: SecureKafkaBroker,
    want: dict[str, int],
) -> RestoreRecorder:
    restores = RestoreRecorder()
    streams = KafkaStreams(topology, config)
    streams.set_global_state_restore_listener(restores)
    try:
        streams.start()
        wait_until(
            lambda: latest_counts(broker, output) == want, 90, interval=0.5, what=f"counts {want}"
        )
        assert streams.state is KafkaStreams.State.RUNNING, streams.error
    finally:
        assert streams.close(60) is True
    return restores


LINES_1 = ["the quick brown fox", "jumps over the lazy dog", "the end"]
LINES_2 = ["the fox again", "and the dog"]


def _word_count_twice(
    broker: SecureKafkaBroker, client: dict[str, Any], principal: str, tmp_path: Path, *, eos: bool
) -> None:
    """Word count with exactly the documented ACLs; then a restart with the state dir deleted
    must restore the counts from the changelog (restore consumer under the LITERAL group ACL)."""
    source, sink = secured_topic(broker, "lines"), secured_topic(broker, "counts")
    app_id = f"wc-{'eos' if eos else 'alos'}-{uuid.uuid4().hex[:6]}"
    broker.create_acls(
        streams_acls(principal, app_id, sources=[source], sinks=[sink], exactly_once=eos)
    )
    guarantee = "exactly_once_v2" if eos else "at_least_once"
    config = streams_settings(
        dict(client), app_id, tmp_path / "state", **{"processing.guarantee": guarantee}
    )
    topology = word_count.build_topology(source, sink)
    produce_lines(broker, source, LINES_1)
    _run_until(config, topology, sink, broker, expected(LINES_1))
    shutil.rmtree(tmp_path / "state")  # the restart must restore every store from its changelog
    produce_lines(broker, source, LINES_2)
    restores = _run_until(config, topology, sink, broker, expected(LINES_1 + LINES_2))
    restored = sum(event[-1] for event in restores.of("end"))
    assert restores.of("start"), "the restart restored nothing"
    assert restored == len(expected(LINES_1)), restores.events


# -- word count with the documented ACLs ------------------------------------------------------


def test_word_count_scram_at_least_once_restores_under_literal_group_acl(
    broker: SecureKafkaBroker, tmp_path: Path
) -> None:
    user, password = make_user(broker, "alos")
    _word_count_twice(
        broker, broker.sasl_config(user, password), f"User:{user}", tmp_path, eos=False
    )


def test_word_count_ssl_exactly_once_restores_under_literal_group_acl(
    broker: SecureKafkaBroker, tmp_path: Path
) -> None:
    user = f"eos-{uuid.uuid4().hex[:6]}"  # the principal is the client certificate's CN
    _word_count_twice(broker, broker.ssl_client_config(user), f"User:{user}", tmp_path, eos=True)


# -- authentication failures: fast, with librdkafka's reason, logged -------------------------


def _start_fails(
    config: dict[str, Any], error: type[BaseException], caplog: pytest.LogCaptureFixture
) -> tuple[str, float, list[str]]:
    streams = KafkaStreams(word_count.build_topology("any-in", "any-out"), config)
    started = time.monotonic()
    with caplog.at_level(logging.INFO, logger="kstreams.client"), pytest.raises(error) as info:
        streams.start()
    took = time.monotonic() - started
    assert streams.close(30) is True
    lines = [r.getMessage() for r in caplog.records if r.name == "kstreams.client"]
    return str(info.value), took, lines


def test_wrong_password_fails_fast_with_librdkafkas_reason(
    broker: SecureKafkaBroker, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    user, _ = make_user(broker, "wrongpw")
    client = broker.sasl_config(user, "not-the-password")
    message, took, lines = _start_fails(
        streams_settings(client, "wrong-pw", tmp_path), AuthenticationError, caplog
    )
    assert took < 10, took  # not the 15 s connect timeout
    assert "SASL authentication error" in message
    assert "invalid credentials with SASL mechanism SCRAM-SHA-256" in message
    assert "not-the-password" not in message
    assert "sasl.mechanism" in message  # what to check
    assert any("SASL authentication error" in line for line in lines), lines


def test_plain_vs_scram_mismatch_fails_fast_naming_the_refusal(
    broker: SecureKafkaBroker, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    user, password = make_user(broker, "mech")  # a SCRAM user logging in with PLAIN
    client = broker.sasl_config(user, password, mechanism="PLAIN")
    message, took, lines = _start_fails(
        streams_settings(client, "mech", tmp_path), AuthenticationError, caplog
    )
    assert took < 10, took
    assert "Authentication failed: Invalid username or password" in message
    assert any("Invalid username or password" in line for line in lines), lines


def test_untrusted_ca_fails_fast_with_the_handshake_error(
    broker: SecureKafkaBroker, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    client = broker.ssl_client_config("untrusting")
    client["ssl.ca.location"] = str(make_ca(tmp_path / "other", "other-ca").cert)
    message, took, lines = _start_fails(
        streams_settings(client, "ca", tmp_path), AuthenticationError, caplog
    )
    assert took < 10, took
    assert "SSL handshake failed" in message and "certificate verify failed" in message
    assert "ssl.ca.location" in message  # what to check
    assert any("SSL handshake failed" in line for line in lines), lines


# -- each documented ACL is needed; a missing one is named ------------------------------------


def _without(acls: list[Acl], resource_type: str) -> list[Acl]:
    return [a for a in acls if a.resource_type != resource_type]


def test_unauthorized_source_topic_is_not_called_missing(
    broker: SecureKafkaBroker, tmp_path: Path
) -> None:
    user, password = make_user(broker, "nosrc")
    hidden, sink = secured_topic(broker, "hidden"), secured_topic(broker, "out")
    absent = f"absent-{uuid.uuid4().hex[:8]}"  # may be described (ACL) but does not exist
    app_id = f"nosrc-{uuid.uuid4().hex[:6]}"
    acls = streams_acls(f"User:{user}", app_id, sources=[absent], sinks=[sink])
    broker.create_acls(acls)  # no ACL at all on `hidden`
    builder_topology = word_count.build_topology(hidden, sink)
    streams = KafkaStreams(
        builder_topology, streams_settings(broker.sasl_config(user, password), app_id, tmp_path)
    )
    with pytest.raises(MissingSourceTopicError) as info:
        streams.start()
    assert streams.close(30) is True
    message = str(info.value)
    assert repr(hidden) in message
    assert "may be missing or not authorized" in message
    assert "TOPIC_AUTHORIZATION_FAILED" in message
    assert f"sasl.username={user!r}" in message and "READ" in message

    topology = word_count.build_topology(absent, sink)
    streams = KafkaStreams(
        topology, streams_settings(broker.sasl_config(user, password), app_id, tmp_path)
    )
    with pytest.raises(MissingSourceTopicError) as info:
        streams.start()
    assert streams.close(30) is True
    assert f"[{absent!r}]" in str(info.value) and "do not exist" in str(info.value)
    assert "not authorized" not in str(info.value)


def test_sink_without_write_acl_is_named(broker: SecureKafkaBroker, tmp_path: Path) -> None:
    user, password = make_user(broker, "nosink")
    source, sink = secured_topic(broker, "in"), secured_topic(broker, "out")
    app_id = f"nosink-{uuid.uuid4().hex[:6]}"
    broker.create_acls(streams_acls(f"User:{user}", app_id, sources=[source]))
    streams = KafkaStreams(
        word_count.build_topology(source, sink),
        streams_settings(broker.sasl_config(user, password), app_id, tmp_path),
    )
    with pytest.raises(MissingSinkTopicError) as info:
        streams.start()
    assert streams.close(30) is True
    assert repr(sink) in str(info.value) and "WRITE" in str(info.value)
    assert "TOPIC_AUTHORIZATION_FAILED" in str(info.value)


def test_internal_topics_need_the_prefixed_acl(broker: SecureKafkaBroker, tmp_path: Path) -> None:
    user, password = make_user(broker, "nointernal")
    source, sink = secured_topic(broker, "in"), secured_topic(broker, "out")
    app_id = f"nointernal-{uuid.uuid4().hex[:6]}"
    acls = streams_acls(f"User:{user}", app_id, sources=[source], sinks=[sink])
    broker.create_acls([a for a in acls if a.pattern != "PREFIXED"])
    streams = KafkaStreams(
        word_count.build_topology(source, sink),
        streams_settings(broker.sasl_config(user, password), app_id, tmp_path),
    )
    with pytest.raises(StreamsError) as info:
        streams.start()
    assert streams.close(30) is True
    assert f"{app_id}-" in str(info.value)  # the internal topic it could not create
    assert "TOPIC_AUTHORIZATION_FAILED" in str(info.value) or "authoriz" in str(info.value)


def test_group_acl_is_needed_and_its_absence_names_the_group(
    broker: SecureKafkaBroker, tmp_path: Path
) -> None:
    user, password = make_user(broker, "nogroup")
    source, sink = secured_topic(broker, "in"), secured_topic(broker, "out")
    app_id = f"nogroup-{uuid.uuid4().hex[:6]}"
    acls = streams_acls(f"User:{user}", app_id, sources=[source], sinks=[sink])
    broker.create_acls(_without(acls, "GROUP"))
    streams = KafkaStreams(
        word_count.build_topology(source, sink),
        streams_settings(broker.sasl_config(user, password), app_id, tmp_path),
    )
    with pytest.raises(StreamsError) as info:
        streams.start()
    assert streams.close(30) is True
    message = str(info.value)
    assert repr(app_id) in message and "GROUP_AUTHORIZATION_FAILED" in message
    assert "READ" in message
