"""The local cluster's pure parts: Java's hash for coordinators, node configs, formatting.

Starting the cluster itself is tested on real JVMs in
``tests/integration/test_cluster_broker_failures.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kstreams.testing.broker_env import BrokerStartError
from kstreams.testing.cluster import (
    ClusterNode,
    LocalKafkaCluster,
    coordinator_partition,
    java_string_hash,
)


def test_java_string_hash_is_javas() -> None:
    assert java_string_hash("") == 0
    assert java_string_hash("hello") == 99162322
    assert java_string_hash("app-1") == 93027205  # all from Java 17's String.hashCode()
    assert java_string_hash("polygenelubricants") == -(1 << 31)  # Integer.MIN_VALUE
    assert java_string_hash("\U0001f600") == 1772899  # two UTF-16 units
    assert java_string_hash("é") == 233


def test_coordinator_partition_is_kafkas_utils_abs_modulo() -> None:
    assert coordinator_partition("polygenelubricants", 50) == 0  # Utils.abs(MIN_VALUE) = 0
    assert coordinator_partition("hello", 50) == 99162322 % 50
    h = java_string_hash("my-app-0")
    assert coordinator_partition("my-app-0", 6) == abs(h) % 6


def test_bad_sizes_are_refused() -> None:
    with pytest.raises(ValueError, match="brokers must be a positive int"):
        LocalKafkaCluster(0)
    with pytest.raises(ValueError, match=r"replication_factor must be 1..2"):
        LocalKafkaCluster(2, replication_factor=3)
    cluster = LocalKafkaCluster()
    assert cluster.replication_factor == 3
    assert LocalKafkaCluster(1).replication_factor == 1
    with pytest.raises(RuntimeError, match="not been started"):
        _ = cluster.bootstrap_servers
    with pytest.raises(KeyError, match=r"no node 4 .*node ids: \[1, 2, 3\]; not started yet"):
        cluster.node(4)


def node(tmp_path: Path, node_id: int = 2, **config: str) -> ClusterNode:
    return ClusterNode(
        node_id,
        cluster_id="AAAAAAAAAAAAAAAAAAAAAA",
        voters="1@127.0.0.1:9001,2@127.0.0.1:9002,3@127.0.0.1:9003",
        cluster_defaults={"default.replication.factor": "3"},
        port=8002,
        controller_port=9002,
        data_dir=tmp_path / f"node-{node_id}",
        config=config,
    )


def test_a_node_is_one_voter_of_a_static_quorum(tmp_path: Path) -> None:
    props = node(tmp_path, **{"num.io.threads": "2"}).server_properties()
    assert props["node.id"] == "2"
    assert props["process.roles"] == "broker,controller"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:9001,2@127.0.0.1:9002,3@127.0.0.1:9003"
    assert "controller.quorum.bootstrap.servers" not in props
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:8002,CONTROLLER://127.0.0.1:9002"
    assert props["default.replication.factor"] == "3"
    assert props["num.io.threads"] == "2"  # config wins over the defaults


def test_a_node_is_formatted_as_a_copy_of_its_template(tmp_path: Path) -> None:
    template = tmp_path / "node-1" / "kraft"
    (template / "__cluster_metadata-0").mkdir(parents=True)
    (template / "__cluster_metadata-0" / "00000000000000000000-0000000000.checkpoint").write_bytes(
        b"bootstrap"
    )
    (template / "meta.properties").write_text(
        "#\n#Tue Dec 01 23:26:20 UTC 2026\nnode.id=1\ndirectory.id=AqErP64qW3xIyAvVurgApg\n"
        "version=1\ncluster.id=AAAAAAAAAAAAAAAAAAAAAA\n"
    )
    second = node(tmp_path)
    second.template = template
    second.data_dir.mkdir()
    second._format_storage([], second.data_dir / "server.properties")
    kraft = second.data_dir / "kraft"
    checkpoint = kraft / "__cluster_metadata-0" / "00000000000000000000-0000000000.checkpoint"
    assert checkpoint.read_bytes() == b"bootstrap"
    meta = dict(
        line.split("=", 1)
        for line in (kraft / "meta.properties").read_text().splitlines()
        if "=" in line
    )
    assert meta["node.id"] == "2"
    assert meta["cluster.id"] == "AAAAAAAAAAAAAAAAAAAAAA"
    assert meta["version"] == "1"
    assert len(meta["directory.id"]) == 22
    assert meta["directory.id"] != "AqErP64qW3xIyAvVurgApg"

    other = ClusterNode(
        3,
        cluster_id="BBBBBBBBBBBBBBBBBBBBBB",
        voters="",
        cluster_defaults={},
        port=8003,
        controller_port=9003,
        data_dir=tmp_path / "node-3",
    )
    other.template = template
    other.data_dir.mkdir()
    with pytest.raises(BrokerStartError, match="formatted for cluster 'AAAA"):
        other._format_storage([], other.data_dir / "server.properties")


class _StoppedNode:
    is_running = False


def test_a_node_that_exits_while_starting_is_started_once_more(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cluster = LocalKafkaCluster(3, data_dir=tmp_path)
    cluster._nodes = {1: _StoppedNode()}  # type: ignore[dict-item]
    starts: list[int] = []

    def start(nodes: list) -> None:
        starts.append(len(nodes))
        if len(starts) == 1:
            raise BrokerStartError("the broker exited with code 1 (127.0.0.1:1).\nBroker log: x")

    monkeypatch.setattr(cluster, "_start_nodes", start)
    monkeypatch.setattr(cluster, "wait_for_brokers", lambda timeout=None: None)
    cluster.start_node(1)
    assert starts == [1, 1]
    # a node that does not answer in time is not retried: that is another failure
    starts.clear()

    def hang(nodes: list) -> None:
        starts.append(len(nodes))
        raise BrokerStartError("the broker did not answer within 120s")

    monkeypatch.setattr(cluster, "_start_nodes", hang)
    with pytest.raises(BrokerStartError, match="did not answer"):
        cluster.start_node(1)
    assert starts == [1]
