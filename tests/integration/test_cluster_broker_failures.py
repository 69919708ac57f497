"""Exactly-once on a 3-broker cluster while a broker dies: replicated internal topics, SIGKILLs.

A :class:`~kstreams.testing.cluster.LocalKafkaCluster` (three KRaft nodes, broker+controller
each) runs for the module. Two instances of the EOS chaos test's app (``eos/eos_app.py``,
``exactly_once_v2``) process input written over ~20 s; during processing one broker is
SIGKILLed and, after its partitions have moved, restarted:

* the leader of an input partition (the app with ``replication.factor=3``);
* the transaction coordinator of an instance's producer (the app with the default
  ``replication.factor=-1``, which on this cluster means the broker's 3).

Input and output topics have replication factor 3 and ``min.insync.replicas=2``; the app's
internal topics get ``topic.min.insync.replicas=2``, checked on the broker. The EOS verifier
(``eos/verifier.py``) then checks every output record against the input: no loss, no
duplicate, every aggregate exact, and the group's committed offsets at the input's end.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka.admin import ConfigResource
from eos.chaos import CommittedReader, EventLog, Instances
from eos.generator import Generator
from helpers import unique_app_id
from test_eos_chaos import GROUPS, LONG_OUTPUTS, OUTPUTS, Pacer, finish_and_verify

from kstreams.testing.cluster import LocalKafkaCluster
from kstreams.testing.kafka_admin import create_topic

pytestmark = [pytest.mark.integration, pytest.mark.slow]

N = 6_000
PARTITIONS = 4
KEYS = 50
GENERATE_S = 20.0
KILL_AFTER_S = 5.0
"""Into the generation: the instances are processing when the broker dies."""
DOWN_AT_LEAST_S = 4.0
"""How long the broker stays down after its partitions moved (processing goes on)."""
COMPLETE_TIMEOUT_S = 120.0


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalKafkaCluster]:
    """Three nodes for this module; every process it started is gone afterwards. Their data
    and logs stay in pytest's temporary directory (the last few runs are kept)."""
    started = LocalKafkaCluster(3, data_dir=tmp_path_factory.mktemp("cluster"))
    with started:
        yield started
    leftover = [pid for pid in (n.pid for n in started.nodes) if pid is not None]
    assert not leftover, f"cluster processes left running: {leftover}"


def _topics(bootstrap: str, app_id: str) -> dict[str, str]:
    topics = {}
    for name in ("input", *OUTPUTS):
        topics[name] = create_topic(
            bootstrap,
            f"{app_id}-{name}",
            PARTITIONS,
            {"min.insync.replicas": "2"},
            replication_factor=3,
        )
    return topics


def _app_args(bootstrap: str, app_id: str, topics: dict[str, str], *config: str) -> list[str]:
    args = [bootstrap, app_id, topics["input"], *(topics[name] for name in OUTPUTS)]
    args += ["--groups", str(GROUPS), "--commit-interval-ms", "100"]
    for item in config:
        args += ["--config", item]
    return args


def _check_internal_topics(cluster: LocalKafkaCluster, app_id: str) -> list[str]:
    """The app's internal topics: each with 3 replicas and min.insync.replicas=2 (names)."""
    admin = cluster.admin()
    md = cluster.metadata()
    internal = sorted(
        t
        for t in md.topics
        if t.startswith(f"{app_id}-") and t.endswith(("-changelog", "-repartition"))
    )
    assert any(t.endswith("-repartition") for t in internal), internal
    assert sum(t.endswith("-changelog") for t in internal) >= 3, internal
    resources = [ConfigResource(ConfigResource.Type.TOPIC, t) for t in internal]
    for resource, future in admin.describe_configs(resources, request_timeout=30).items():
        configs = future.result(timeout=30)
        assert configs["min.insync.replicas"].value == "2", resource.name
        for p in md.topics[resource.name].partitions.values():
            assert len(p.replicas) == 3, (resource.name, p.id, p.replicas)
    return internal


def _client_id(instances: Instances, name: str) -> str:
    for line in instances.current[name].output().splitlines():
        if line.startswith("CLIENT_ID "):
            return line.split()[1]
    raise AssertionError(f"instance {name} printed no CLIENT_ID")


def run_with_a_broker_killed(
    cluster: LocalKafkaCluster, tmp_path: Path, victim_of: str, *config: str
) -> None:
    """Two EOS instances process; the broker ``victim_of`` names ("input leader" or
    "transaction coordinator") is SIGKILLed, then restarted; the outputs must stay exact."""
    bootstrap = cluster.bootstrap_servers
    app_id = unique_app_id("cluster-eos")
    topics = _topics(bootstrap, app_id)
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    log = EventLog()
    log(f"application.id {app_id}, cluster {bootstrap}, logs in {log_dir}")
    started = time.monotonic()
    generator = Generator(bootstrap, topics["input"], N, KEYS, GENERATE_S, 7)
    victim = None
    args = _app_args(bootstrap, app_id, topics, "topic.min.insync.replicas=2", *config)
    try:
        with (
            Instances(args, tmp_path / "state", log_dir, log) as instances,
            CommittedReader(bootstrap, topics, LONG_OUTPUTS, PARTITIONS) as reader,
        ):
            pace = Pacer(instances, reader)
            for name in ("a", "b"):
                instances.start(name)
            pace.until_running(["a", "b"], 90)
            internal = _check_internal_topics(cluster, app_id)
            log(f"both RUNNING; internal topics replicated 3x, min.insync.replicas=2: {internal}")
            generator.start()
            pace.wait(KILL_AFTER_S)
            if victim_of == "input leader":
                watched, partition = topics["input"], 0
                victim = cluster.leader(watched, partition)
            else:
                transactional_id = f"{_client_id(instances, 'a')}-1"
                victim = cluster.transaction_coordinator(transactional_id)
                watched, partition = "__transaction_state", None
                log_text = cluster.node(victim).log_path.read_text(errors="replace")
                # the coordinator says so in its log: "Initialized transactionalId <id> ..."
                assert re.search(rf"transactionalId {re.escape(transactional_id)}\b", log_text), (
                    f"node {victim}'s log does not mention {transactional_id}"
                )
            log(f"SIGKILL node {victim} ({victim_of}); committed {reader.counts()}")
            cluster.kill(victim)
            moved = time.monotonic()
            _await_moved(cluster, pace, watched, partition, victim, 60)
            log(f"its partitions moved in {time.monotonic() - moved:.1f}s; {reader.counts()}")
            pace.wait(DOWN_AT_LEAST_S)
            cluster.start_node(victim)
            log(f"node {victim} restarted; committed {reader.counts()}")
            written = generator.result()
            log(f"generator wrote {written} records")
            # not asserted: finish_and_verify names what is missing, and stops the instances
            # with SIGTERM (a stuck one prints its threads' stacks when its close times out)
            complete = pace.until_complete(N, COMPLETE_TIMEOUT_S)
            log(f"outputs committed{'' if complete else ' (INCOMPLETE)'}: {reader.counts()}")
            finish_and_verify(
                bootstrap=bootstrap,
                app_id=app_id,
                topics=topics,
                partitions=PARTITIONS,
                expected=N,
                instances=instances,
                reader=reader,
                log=log,
                tmp_path=tmp_path,
                started=started,
            )
    finally:
        generator.stop()
        if victim is not None:
            with contextlib.suppress(Exception):
                cluster.start_node(victim)  # for the next test, whatever happened here


def _await_moved(
    cluster: LocalKafkaCluster,
    pace: Pacer,
    topic: str,
    partition: int | None,
    victim: int,
    timeout: float,
) -> None:
    """Until no partition of ``topic`` (or just ``partition``) is led by ``victim``."""
    deadline = time.monotonic() + timeout
    while True:
        md = cluster.metadata(topic)
        parts = md.topics[topic].partitions
        leaders = {p: parts[p].leader for p in parts if partition is None or p == partition}
        if victim not in leaders.values() and all(v >= 0 for v in leaders.values()):
            return
        assert time.monotonic() < deadline, f"{topic}: leaders {leaders} after {timeout}s"
        pace.wait(0.5)


def test_exactly_once_when_the_leader_of_an_input_partition_is_killed(
    cluster: LocalKafkaCluster, tmp_path: Path
) -> None:
    run_with_a_broker_killed(cluster, tmp_path, "input leader", "replication.factor=3")


def test_exactly_once_when_the_transaction_coordinator_is_killed(
    cluster: LocalKafkaCluster, tmp_path: Path
) -> None:
    run_with_a_broker_killed(cluster, tmp_path, "transaction coordinator")
