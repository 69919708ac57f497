"""Interactive queries across instances (real broker): every key from every instance.

Two and three word-count instances in this process, each with its own state directory,
``application.server`` and :class:`~kstreams.interactive.InteractiveQueryServer`. Every word
must be answered with its count by every instance over HTTP (forwarded to its owner when not
local) and located by ``query_metadata_for_key``, whose active host must hold the word's
partition; while an instance leaves (a rebalance) a request may get 503 and is retried, never
a wrong count or a 404 for a word that exists.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from helpers import (
    REPO_ROOT,
    AppProcess,
    TopicReader,
    app_topics,
    delete_topics,
    java_partition,
    latest_counts,
    produce,
    streams_config,
    unique_app_id,
    wait_until,
)

from kstreams import HostInfo, KafkaStreams, KeyQueryMetadata, Serdes
from kstreams.interactive import InteractiveQueryServer

sys.path.insert(0, str(REPO_ROOT / "examples"))

import word_count  # examples/word_count.py

pytestmark = [pytest.mark.integration, pytest.mark.slow]

STORE = "counts"
PARTITIONS = 3
REPARTITION = f"-{STORE}-repartition"
"""The store's source topic: word count groups by word."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Instance:
    """One word-count instance with its HTTP server."""

    def __init__(
        self,
        bootstrap: str,
        app_id: str,
        src: str,
        dst: str,
        state_dir: Path,
        guarantee: str = "at_least_once",
    ) -> None:
        self.port = free_port()
        self.host = HostInfo("127.0.0.1", self.port)
        config = streams_config(
            bootstrap,
            app_id,
            **{
                "state.dir": str(state_dir),
                "application.server": self.host.endpoint,
                "consumer.session.timeout.ms": 6000,
                "consumer.heartbeat.interval.ms": 500,
                "processing.guarantee": guarantee,
            },
        )
        self.streams = KafkaStreams(word_count.build_topology(src, dst), config)
        self.server = InteractiveQueryServer(self.streams)

    def start(self) -> Instance:
        self.streams.start()
        self.server.start()
        return self

    def close(self) -> None:
        self.server.close()
        assert self.streams.close(60)

    def get(self, path: str) -> tuple[int, Any]:
        url = f"http://{self.host.endpoint}{path}"
        try:
            with urllib.request.urlopen(url, timeout=10) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())


def answer(instance: Instance, word: str, deadline: float) -> int:
    """The count of ``word`` from ``instance``, retrying while it answers 503."""
    while True:
        status, body = instance.get(f"/stores/{STORE}/{word}")
        if status == 200:
            assert body["key"] == word
            return int(body["value"])
        assert status == 503, (status, body)
        if time.monotonic() > deadline:
            raise AssertionError(f"{instance.host} still 503 for {word!r}: {body}")
        time.sleep(0.2)


def check_every_key(instances: list[Instance], expected: dict[str, int], timeout: float) -> None:
    """Every instance answers every word right (over HTTP) and the metadata agrees."""
    deadline = time.monotonic() + timeout
    # the metadata settles: every partition of the store has exactly one live active host
    while True:
        metas = [i.streams.metadata_for_all_clients() for i in instances]
        hosts = {i.host for i in instances}
        settled = all({m.host_info for m in ms} == hosts for ms in metas) and all(
            sorted(p for m in ms for t, p in m.topic_partitions if t.endswith(REPARTITION))
            == list(range(PARTITIONS))
            for ms in metas
        )
        if settled:
            break
        if time.monotonic() > deadline:
            raise AssertionError(f"metadata did not settle: {metas}")
        time.sleep(0.2)
    repartition = next(
        t for m in metas[0] for t, _ in m.topic_partitions if t.endswith(REPARTITION)
    )
    for word, count in expected.items():
        partition = java_partition(word.encode(), PARTITIONS)
        for inst in instances:
            meta = inst.streams.query_metadata_for_key(STORE, word, Serdes.String())
            assert meta.partition == partition
            owner = next(m for m in metas[0] if (repartition, partition) in m.topic_partitions)
            assert meta.active_host == owner.host_info
            assert meta.standby_hosts == frozenset()
            assert answer(inst, word, deadline) == count, (inst.host, word)


@pytest.mark.parametrize(
    ("n", "guarantee"), [(2, "at_least_once"), (3, "at_least_once"), (2, "exactly_once_v2")]
)
def test_every_key_from_every_instance_while_one_leaves_and_one_joins(
    kafka_bootstrap: str, new_topic, tmp_path: Path, n: int, guarantee: str
) -> None:
    src, dst = new_topic(partitions=PARTITIONS), new_topic(partitions=PARTITIONS)
    app_id = unique_app_id(f"iq-{n}")
    words = [f"w{i:03d}" for i in range(60)]
    expected = {w: 1 + i % 3 for i, w in enumerate(words)}
    lines = [(f"k{i}", " ".join([w] * c)) for i, (w, c) in enumerate(expected.items())]
    instances: list[Instance] = []
    try:
        instances = [
            Instance(kafka_bootstrap, app_id, src, dst, tmp_path / f"i{i}", guarantee).start()
            for i in range(n)
        ]
        for inst in instances:
            inst.streams.wait_until_running(60)
        produce(kafka_bootstrap, src, lines)
        with TopicReader(kafka_bootstrap, dst) as reader:
            reader.wait_for(
                lambda recs: latest_counts(recs) == expected, timeout=120, what="the counts"
            )
        check_every_key(instances, expected, timeout=60)
        owned = set()
        for inst in instances:  # running active stores are caught up (Java: lag 0)
            lags = inst.streams.all_local_store_partition_lags()
            assert set(lags) == {STORE}
            assert all(lag.offset_lag == 0 for lag in lags[STORE].values()), lags
            assert all(lag.end_offset_position > 0 for lag in lags[STORE].values()), lags
            owned |= set(lags[STORE])
        assert owned == set(range(PARTITIONS))

        status, body = instances[0].get(f"/stores/{STORE}")
        assert status == 200
        assert {e["key"]: e["value"] for e in body} == expected
        status, body = instances[-1].get(f"/stores/{STORE}/no-such-word")
        assert status == 404 and body["error"] == "not_found"
        status, body = instances[0].get("/stores/no-such-store/w000")
        assert status == 404 and body["error"] == "unknown_store"

        # an instance leaves while the others are asked: 503 (retried) or the right count
        leaving = instances.pop()
        leaving.server.close()
        leaving.streams.close(0)  # the shutdown goes on in the background
        deadline = time.monotonic() + 120
        for word in words[:20]:
            for inst in instances:
                assert answer(inst, word, deadline) == expected[word]
        assert leaving.streams.close(60)
        check_every_key(instances, expected, timeout=120)
        for inst in instances:
            assert leaving.host not in {
                m.host_info for m in inst.streams.metadata_for_all_clients()
            }

        # an instance joins while the others are asked: again 503 (retried) or the right count
        joining = Instance(kafka_bootstrap, app_id, src, dst, tmp_path / "joiner", guarantee)
        instances.append(joining.start())
        deadline = time.monotonic() + 120
        for word in words[:20]:
            for inst in instances:
                assert answer(inst, word, deadline) == expected[word]
        joining.streams.wait_until_running(60)
        check_every_key(instances, expected, timeout=120)
    finally:
        for inst in instances:
            inst.close()
        delete_topics(kafka_bootstrap, app_topics(kafka_bootstrap, app_id))


def test_metadata_before_start_and_without_application_server(
    kafka_bootstrap: str, new_topic, tmp_path: Path
) -> None:
    src, dst = new_topic(partitions=2), new_topic(partitions=2)
    app_id = unique_app_id("iq-noserver")
    config = streams_config(kafka_bootstrap, app_id, **{"state.dir": str(tmp_path)})
    streams = KafkaStreams(word_count.build_topology(src, dst), config)
    try:
        from kstreams import StreamsNotStartedError

        with pytest.raises(StreamsNotStartedError):
            streams.metadata_for_all_clients()
        streams.start()
        streams.wait_until_running(60)
        assert streams.metadata_for_all_clients() == []
        meta = streams.query_metadata_for_key(STORE, "apple")
        assert meta.active_host == HostInfo.unavailable()
        assert meta != KeyQueryMetadata.NOT_AVAILABLE
        assert meta.partition == java_partition(b"apple", 2)
        assert f"{app_id}-metadata" not in app_topics(kafka_bootstrap, app_id)
    finally:
        assert streams.close(60)
        delete_topics(kafka_bootstrap, app_topics(kafka_bootstrap, app_id))


def test_the_example_service_answers_every_word_from_both_instances(kafka_bootstrap: str) -> None:
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "examples" / "interactive_queries.py"), "--demo"],
        env={**os.environ, "KSTREAMS_BOOTSTRAP_SERVERS": kafka_bootstrap},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Every instance answered every word." in result.stdout
    assert "hosted by 127.0.0.1:" in result.stdout


def test_a_killed_instance_is_dropped_and_its_keys_answered_by_the_survivor(
    kafka_bootstrap: str, new_topic, tmp_path: Path
) -> None:
    """SIGKILL leaves the dead instance's record in <app>-metadata: the survivor drops it
    once the group has expelled its member (session timeout 6 s), takes its partitions and
    answers every key; meanwhile requests for its keys get 503 (owner unreachable), never a
    wrong count."""
    src, dst = new_topic(partitions=PARTITIONS), new_topic(partitions=PARTITIONS)
    app_id = unique_app_id("iq-kill")
    words = [f"k{i:03d}" for i in range(40)]
    expected = {w: 1 + i % 2 for i, w in enumerate(words)}
    lines = [(f"k{i}", " ".join([w] * c)) for i, (w, c) in enumerate(expected.items())]
    survivor = Instance(kafka_bootstrap, app_id, src, dst, tmp_path / "a")
    port = free_port()
    other = AppProcess(
        "iq_word_count_app.py",
        kafka_bootstrap,
        app_id,
        str(tmp_path / "b"),
        src,
        dst,
        str(port),
        log_path=tmp_path / "b.log",
    )
    try:
        survivor.start()
        other.start()
        other.wait_for_line("RUNNING", timeout=90)
        produce(kafka_bootstrap, src, lines)
        with TopicReader(kafka_bootstrap, dst) as reader:
            reader.wait_for(
                lambda recs: latest_counts(recs) == expected, timeout=120, what="the counts"
            )
        dead = HostInfo("127.0.0.1", port)
        wait_until(
            lambda: (
                {m.host_info for m in survivor.streams.metadata_for_all_clients()}
                == {survivor.host, dead}
            ),
            60,
            what="both instances in the metadata",
        )
        deadline = time.monotonic() + 60
        for word in words:
            assert answer(survivor, word, deadline) == expected[word]
        other.kill()
        deadline = time.monotonic() + 120
        for word in words:
            assert answer(survivor, word, deadline) == expected[word]
        wait_until(
            lambda: (
                {m.host_info for m in survivor.streams.metadata_for_all_clients()}
                == {survivor.host}
            ),
            60,
            what="the killed instance dropped from the metadata",
        )
        check_every_key([survivor], expected, timeout=60)
    finally:
        other.stop()
        survivor.close()
        delete_topics(kafka_bootstrap, app_topics(kafka_bootstrap, app_id))


class HoldingListener:
    """Holds the restoring thread in its first restored batch until :attr:`release` is set."""

    def __init__(self) -> None:
        self.restoring = threading.Event()
        self.release = threading.Event()

    def on_restore_start(self, tp, store_name, start, end) -> None:
        pass

    def on_batch_restored(self, tp, store_name, offset, n) -> None:
        if not self.restoring.is_set():
            self.restoring.set()
            self.release.wait(60)

    def on_restore_end(self, tp, store_name, total) -> None:
        pass


def test_store_partition_lags_while_restoring_and_once_running(
    kafka_bootstrap: str, new_topic, tmp_path: Path
) -> None:
    src, dst = new_topic(partitions=2), new_topic(partitions=2)
    app_id = unique_app_id("iq-lags")
    config = streams_config(
        kafka_bootstrap,
        app_id,
        **{"state.dir": str(tmp_path), "application.server": f"127.0.0.1:{free_port()}"},
    )
    words = [f"w{i:04d}" for i in range(3000)]
    try:
        streams = KafkaStreams(word_count.build_topology(src, dst), config)
        streams.start()
        streams.wait_until_running(60)
        produce(kafka_bootstrap, src, [(w, w) for w in words])
        with TopicReader(kafka_bootstrap, dst) as reader:
            reader.wait_for(lambda recs: len(latest_counts(recs)) == len(words), timeout=120)
        assert streams.close(60)
        KafkaStreams(word_count.build_topology(src, dst), config).cleanup()

        listener = HoldingListener()
        streams = KafkaStreams(word_count.build_topology(src, dst), config)
        streams.set_global_state_restore_listener(listener)
        try:
            streams.start()
            assert listener.restoring.wait(60), "restoration did not start"
            try:
                lags = streams.all_local_store_partition_lags()[STORE]
                assert lags, "no restoring store listed"
                assert any(lag.offset_lag > 0 for lag in lags.values()), lags
                for lag in lags.values():
                    assert 0 <= lag.current_offset_position <= lag.end_offset_position
            finally:
                listener.release.set()
            streams.wait_until_running(60)
            lags = streams.all_local_store_partition_lags()[STORE]
            assert sorted(lags) == [0, 1]
            assert all(lag.offset_lag == 0 for lag in lags.values()), lags
        finally:
            listener.release.set()
            assert streams.close(60)
    finally:
        delete_topics(kafka_bootstrap, app_topics(kafka_bootstrap, app_id))
