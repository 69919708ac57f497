"""A user's pytest session with the plugin: what the fixtures leave behind when a test fails.

The user's tests run in a subprocess, in a project of their own (the plugin comes from the
``pytest11`` entry point, the broker from ``KSTREAMS_BOOTSTRAP_SERVERS``). A test that fails
while its ``streams_app`` runs still gets the app closed (the client reached NOT_RUNNING and
left its group), and its topics, internal ones included, are deleted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import partition_count

from kstreams.testing.broker import ENV_BOOTSTRAP_SERVERS, admin_client

pytestmark = pytest.mark.integration

USER_TESTS = """
import json
import os

from kstreams import Serdes, StreamsBuilder

OUT = os.environ["PLUGIN_TEST_OUT"]


def test_fails_while_its_app_runs(new_topic, produce, read_topic, streams_app):
    source, sink = new_topic(partitions=2), new_topic()
    builder = StreamsBuilder()
    (
        builder.stream(source, key_serde=Serdes.String(), value_serde=Serdes.String())
        .group_by_key()
        .count()
        .to_stream()
        .to(sink, value_serde=Serdes.Long())
    )
    app = streams_app(builder.build(), start=False)
    app.streams.set_state_listener(
        lambda new, old: open(OUT + ".states", "a").write(new.value + "\\n")
    )
    app.start()
    produce(source, [("a", "x"), ("a", "y")])
    app.run_until(lambda: dict(read_topic(sink, value_serde=Serdes.Long())) == {b"a": 2})
    with open(OUT, "w") as fh:
        json.dump({"topics": [source, sink], "application_id": app.application_id}, fh)
    assert False, "this test fails while its app runs"
"""


def test_a_failing_test_still_closes_its_app_and_deletes_its_topics(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    (tmp_path / "test_user_app.py").write_text(USER_TESTS)
    out = tmp_path / "seen.json"
    env = dict(os.environ, **{ENV_BOOTSTRAP_SERVERS: kafka_bootstrap}, PLUGIN_TEST_OUT=str(out))
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_user_app.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1 and "1 failed" in output, output
    assert "this test fails while its app runs" in output, output
    seen = json.loads(out.read_text())
    states = (tmp_path / "seen.json.states").read_text().split()
    assert states[-2:] == ["PENDING_SHUTDOWN", "NOT_RUNNING"], states

    app_id = seen["application_id"]
    left = [
        t
        for t in admin_client(kafka_bootstrap).list_topics(timeout=10).topics
        if t.startswith(f"{app_id}-")
    ]
    assert left == [], f"internal topics of {app_id} left behind"
    for topic in seen["topics"]:
        assert partition_count(kafka_bootstrap, topic) == 0, f"{topic} left behind"
    admin = admin_client(kafka_bootstrap)
    group = admin.describe_consumer_groups([app_id], request_timeout=10)[app_id].result(timeout=15)
    assert not group.members, f"{app_id} still has members: {group.members}"
