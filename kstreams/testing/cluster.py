"""A local Apache Kafka cluster of several brokers (KRaft), for replication and broker failures.

:class:`LocalKafkaCluster` runs ``brokers`` nodes (3 by default), each one ``java`` process that
is both broker and KRaft controller; the nodes' controllers form the metadata quorum (static
voters, ``controller.quorum.voters``), so a 3-node cluster keeps working, quorum and all, with
any one node down. It uses what the single :class:`~kstreams.testing.broker.LocalKafkaBroker`
uses: Apache Kafka's Maven jars, KRaft formatting, free 127.0.0.1 ports, stop by pid.

Its defaults are a production cluster's where replication matters: topics get
``default.replication.factor`` = 3 (so Kafka Streams' ``replication.factor=-1`` means 3), the
consumer offsets and transaction state topics replication factor 3 and (transactions)
``min.insync.replicas`` 2; ``min.insync.replicas`` of other topics stays Kafka's 1 unless a
topic sets it. Leadership moves only when a node fails or stops (no automatic preferred-leader
election), so what :meth:`~LocalKafkaCluster.leader` said stays true until then. ``config``
overrides any of them on every node.

For tests: :meth:`~LocalKafkaCluster.kill` (SIGKILL) or :meth:`~LocalKafkaCluster.stop_node`
one node, :meth:`~LocalKafkaCluster.start_node` it again (same ports and data), and ask which
node leads a partition (:meth:`~LocalKafkaCluster.leader`) or coordinates a transactional id
(:meth:`~LocalKafkaCluster.transaction_coordinator`) or a group::

    with LocalKafkaCluster() as cluster:
        create_topic(cluster.bootstrap_servers, "in", 4, replication_factor=3)
        victim = cluster.leader("in", 0)
        cluster.kill(victim)
        ...
        cluster.start_node(victim)

From a shell: ``python -m kstreams.testing.cluster start|stop|status --state-file F`` runs a
detached cluster and prints its bootstrap servers (:mod:`kstreams.testing.cluster_cli`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from kstreams.testing.broker import LocalKafkaBroker, _PortTaken, _random_cluster_id
from kstreams.testing.broker_env import KAFKA_VERSION, BrokerStartError
from kstreams.testing.kafka_admin import admin_client
from kstreams.testing.processes import _free_ports

__all__ = ["ClusterNode", "LocalKafkaCluster", "java_string_hash", "main"]

_log = logging.getLogger("kstreams.testing.broker")

_NODE_JVM_ARGS = ("-XX:TieredStopAtLevel=1",)
"""The C1 compiler only: a node's start costs half the CPU (5-6 s instead of 10-12 s), which
counts when three JVMs start on two cores; a test cluster's load never needs C2's code."""

TRANSACTION_STATE_TOPIC = "__transaction_state"
CONSUMER_OFFSETS_TOPIC = "__consumer_offsets"


def java_string_hash(text: str) -> int:
    """Java's ``String.hashCode()`` of ``text`` (a signed 32-bit int over its UTF-16 units)."""
    h = 0
    data = text.encode("utf-16-be")
    for i in range(0, len(data), 2):
        h = (31 * h + ((data[i] << 8) | data[i + 1])) & 0xFFFFFFFF
    return h - (1 << 32) if h >= 1 << 31 else h


def coordinator_partition(key: str, partitions: int) -> int:
    """The partition of ``__transaction_state`` / ``__consumer_offsets`` holding ``key`` (a
    transactional id or a group id): Kafka's ``Utils.abs(key.hashCode()) % partitions``."""
    h = java_string_hash(key)
    return (0 if h == -(1 << 31) else abs(h)) % partitions


class ClusterNode(LocalKafkaBroker):
    """One node of a :class:`LocalKafkaCluster`: broker and controller, ``node.id`` = ``node_id``.

    A :class:`~kstreams.testing.broker.LocalKafkaBroker` whose storage is formatted with its
    cluster's id and whose controller is one voter of the cluster's static quorum.
    """

    def __init__(
        self,
        node_id: int,
        *,
        cluster_id: str,
        voters: str,
        cluster_defaults: Mapping[str, str],
        **broker_kwargs: Any,
    ) -> None:
        super().__init__(**broker_kwargs)
        self.node_id = node_id
        self.cluster_id = cluster_id
        self.voters = voters
        self.cluster_defaults = dict(cluster_defaults)

    def _default_properties(self) -> dict[str, str]:
        props = super()._default_properties()
        del props["controller.quorum.bootstrap.servers"]  # static voters instead
        props["node.id"] = str(self.node_id)
        props["controller.quorum.voters"] = self.voters
        props.update(self.cluster_defaults)
        return props

    template: Path | None = None
    """A formatted node's ``kraft/`` directory of the same cluster to copy instead of running
    the storage tool (a JVM start, 3-10 s on a busy machine) again: see :meth:`_format_storage`."""

    def _storage_format_args(self) -> list[str]:
        # static voters (controller.quorum.voters): no --standalone / --initial-controllers
        return ["--cluster-id", self.cluster_id]

    def _format_storage(self, base: list[str], props: Path) -> None:
        """Format this node's log directory: with the storage tool, or, given a
        :attr:`template`, as the tool would: the same bootstrap metadata (the feature levels
        of the same configuration; a static quorum writes no voter records) and a
        ``meta.properties`` of this node's own (``node.id``, a new ``directory.id``)."""
        template = self.template
        if template is None or not (template / "meta.properties").exists():
            super()._format_storage(base, props)
            return
        kraft = self.data_dir / "kraft"
        shutil.rmtree(kraft, ignore_errors=True)
        shutil.copytree(template, kraft)
        meta = {}
        for line in (template / "meta.properties").read_text().splitlines():
            key, sep, value = line.partition("=")
            if sep and not line.startswith("#"):
                meta[key.strip()] = value.strip()
        if meta.get("cluster.id") != self.cluster_id:
            raise BrokerStartError(
                f"the template {template} is formatted for cluster {meta.get('cluster.id')!r}, "
                f"not {self.cluster_id!r}"
            )
        meta["node.id"] = str(self.node_id)
        meta["directory.id"] = _random_cluster_id()  # a Uuid, as the cluster id is
        (kraft / "meta.properties").write_text(
            "#\n" + "".join(f"{k}={v}\n" for k, v in meta.items())
        )

    def __repr__(self) -> str:
        where = self.bootstrap_servers if self._port is not None else "not started"
        state = "running" if self.is_running else "stopped"
        return f"<ClusterNode {self.node_id} {where} {state}>"


class LocalKafkaCluster:
    """A local KRaft cluster of ``brokers`` nodes (broker+controller each, one process each).

    Use it as a context manager, or call :meth:`start` and :meth:`close`. Node ids are
    ``1..brokers``. :meth:`kill` / :meth:`stop_node` / :meth:`start_node` act on one node;
    :meth:`stop` / :meth:`start` on all of them, keeping ports and data.

    Args:
        brokers: the number of nodes (3: a quorum that survives one node down).
        data_dir: the cluster's directory (``node-<id>/`` per node); a fresh temporary one by
            default, which :meth:`close` removes (a given one is never removed).
        heap: each JVM's ``-Xmx``.
        startup_timeout: seconds to wait for each node to answer.
        replication_factor: ``default.replication.factor`` and the offsets / transaction state
            topics' replication (default: ``min(3, brokers)``).
        config: ``server.properties`` entries overriding the defaults on every node.
        jvm_args: extra JVM arguments of every node (after ``-XX:TieredStopAtLevel=1``: the
            nodes run with the C1 compiler only, which halves their start-up CPU).
        detach: leave the nodes running when this Python process exits (the CLI's mode).
        version: Apache Kafka version whose jars are used.
    """

    def __init__(
        self,
        brokers: int = 3,
        *,
        data_dir: str | os.PathLike[str] | None = None,
        heap: str = "384m",
        startup_timeout: float = 120.0,
        replication_factor: int | None = None,
        config: Mapping[str, str] | None = None,
        jvm_args: Sequence[str] = (),
        detach: bool = False,
        version: str = KAFKA_VERSION,
    ) -> None:
        if isinstance(brokers, bool) or not isinstance(brokers, int) or brokers < 1:
            raise ValueError(f"brokers must be a positive int, not {brokers!r}")
        rf = min(3, brokers) if replication_factor is None else replication_factor
        if not 1 <= rf <= brokers:
            raise ValueError(f"replication_factor must be 1..{brokers} (brokers), not {rf!r}")
        self.brokers = brokers
        self.replication_factor = rf
        self._given_data_dir = Path(data_dir) if data_dir is not None else None
        self._data_dir: Path | None = self._given_data_dir
        self.heap = heap
        self.startup_timeout = startup_timeout
        self.extra_config = dict(config or {})
        self.jvm_args = list(jvm_args)
        self.detach = detach
        self.version = version
        self._nodes: dict[int, ClusterNode] = {}
        self._lock = threading.RLock()
        self._admin: Any = None
        self._finalizer: weakref.finalize | None = None

    # ---- what it is

    @property
    def nodes(self) -> tuple[ClusterNode, ...]:
        """The nodes, by node id (empty before the first :meth:`start`)."""
        return tuple(self._nodes[i] for i in sorted(self._nodes))

    @property
    def node_ids(self) -> list[int]:
        """``[1, ..., brokers]``."""
        return list(range(1, self.brokers + 1))

    def node(self, node_id: int) -> ClusterNode:
        """The node ``node_id`` (KeyError naming the ids if there is none)."""
        try:
            return self._nodes[node_id]
        except KeyError:
            raise KeyError(
                f"no node {node_id!r} in this cluster (node ids: {self.node_ids}"
                + ("" if self._nodes else "; not started yet")
                + ")"
            ) from None

    @property
    def bootstrap_servers(self) -> str:
        """Every node's ``127.0.0.1:<port>``, comma-separated, for ``bootstrap.servers``."""
        if not self._nodes:
            raise RuntimeError("the cluster has not been started yet")
        return ",".join(n.bootstrap_servers for n in self.nodes)

    @property
    def data_dir(self) -> Path:
        """The cluster's directory: ``node-<id>/`` holds each node's data, config and logs."""
        if self._data_dir is None:
            raise RuntimeError("the cluster has not been started yet")
        return self._data_dir

    @property
    def running(self) -> list[int]:
        """The ids of the nodes whose process is alive."""
        return [n.node_id for n in self.nodes if n.is_running]

    @property
    def pids(self) -> dict[int, int]:
        """``{node id: pid}`` of the running nodes."""
        return {n.node_id: n.pid for n in self.nodes if n.pid is not None}

    # ---- lifecycle

    def __enter__(self) -> LocalKafkaCluster:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> LocalKafkaCluster:
        """Start every node not running (all at once: a quorum needs a majority), wait until
        each answers and the cluster's metadata lists them all; return ``self``.

        Raises:
            BrokerStartError: a node did not answer within ``startup_timeout`` (the message
                names its log); the nodes this call started are stopped again.
        """
        with self._lock:
            for attempt in (1, 2, 3):
                fresh = not self._nodes
                if fresh:
                    self._create_nodes()
                try:
                    self._start_nodes([n for n in self.nodes if not n.is_running])
                    break
                except _PortTaken:
                    if not fresh or attempt == 3:
                        raise
                    _log.info("a Kafka port was taken meanwhile; retrying on other ports")
                    self._discard_nodes()
            self.wait_for_brokers()
            return self

    def _create_nodes(self) -> None:
        if self._data_dir is None:
            self._data_dir = Path(tempfile.mkdtemp(prefix="kstreams-kafka-cluster-"))
            if not self.detach:
                self._finalizer = weakref.finalize(
                    self, shutil.rmtree, str(self._data_dir), ignore_errors=True
                )
        ports = _free_ports(2 * self.brokers)
        voters = ",".join(
            f"{i}@127.0.0.1:{ports[2 * (i - 1) + 1]}" for i in range(1, self.brokers + 1)
        )
        rf = str(self.replication_factor)
        defaults = {
            "default.replication.factor": rf,
            "offsets.topic.replication.factor": rf,
            "offsets.topic.num.partitions": "6",
            "transaction.state.log.replication.factor": rf,
            "transaction.state.log.min.isr": str(min(2, self.replication_factor)),
            "transaction.state.log.num.partitions": "6",
            "share.coordinator.state.topic.replication.factor": rf,
            "share.coordinator.state.topic.min.isr": str(min(2, self.replication_factor)),
            # leaders move only when a node fails or stops, never behind a test's back (which
            # node leads a partition, or coordinates a transaction, stays what it was asked)
            "auto.leader.rebalance.enable": "false",
            # a SIGKILLed node recovers every log before it rejoins: one at a time that took
            # 70 s for ~60 small logs on a busy machine (fsyncs), in parallel a fraction
            "num.recovery.threads.per.data.dir": "4",
            **self.extra_config,
        }
        cluster_id = _random_cluster_id()
        for i in range(1, self.brokers + 1):
            self._nodes[i] = ClusterNode(
                i,
                cluster_id=cluster_id,
                voters=voters,
                cluster_defaults=defaults,
                port=ports[2 * (i - 1)],
                controller_port=ports[2 * (i - 1) + 1],
                data_dir=self.data_dir / f"node-{i}",
                heap=self.heap,
                startup_timeout=self.startup_timeout,
                jvm_args=[*_NODE_JVM_ARGS, *self.jvm_args],
                detach=self.detach,
                version=self.version,
            )
            if i > 1:  # formatted as node 1 is, without a storage tool run of its own
                self._nodes[i].template = self._nodes[1].data_dir / "kraft"

    def _discard_nodes(self) -> None:
        for node in self.nodes:
            node.kill()
            shutil.rmtree(node.data_dir, ignore_errors=True)
        self._nodes.clear()

    def _start_nodes(self, nodes: list[ClusterNode]) -> None:
        # Launched one after the other from this thread (a node's parent-death signal follows
        # the thread that started it), then awaited: none answers before a quorum runs.
        launched = []
        try:
            for node in nodes:
                launched.append((node, node._launch()))
            for node, handle in launched:
                node._await_launch(handle)
        except BaseException:
            for node, _ in launched:
                node.kill()
            raise

    def stop(self, *, timeout: float = 30.0) -> None:
        """Stop every node (SIGTERM to all at once, SIGKILL after ``timeout``), keeping data."""
        with self._lock:
            self._close_admin()
            running = [n for n in self.nodes if n.pid is not None]
            for node in running:
                with contextlib.suppress(ProcessLookupError, TypeError):
                    os.kill(node.pid, signal.SIGTERM)  # type: ignore[arg-type]
            for node in running:
                node.stop(timeout=timeout)

    def close(self, *, timeout: float = 30.0) -> None:
        """Stop every node and remove the directory this object created (not a given one)."""
        with self._lock:
            self.stop(timeout=timeout)
            if self._finalizer is not None:
                self._finalizer.detach()
                self._finalizer = None
            if self._given_data_dir is None and self._data_dir is not None:
                shutil.rmtree(self._data_dir, ignore_errors=True)
                self._data_dir = None
                self._nodes.clear()

    def kill(self, node_id: int) -> None:
        """Crash node ``node_id`` with SIGKILL, keeping its data (:meth:`start_node` recovers it).

        Its partitions get new leaders once the controller fences it: when its broker session
        expires (``broker.session.timeout.ms``, 9 s), or at once if it was the active controller
        (the quorum elects another within ~2 s, which fences it then).
        """
        with self._lock:
            self.node(node_id).kill()

    def stop_node(self, node_id: int, *, timeout: float = 30.0) -> None:
        """Stop node ``node_id`` cleanly (SIGTERM: a controlled shutdown moves its leaders)."""
        with self._lock:
            self.node(node_id).stop(timeout=timeout)

    def start_node(self, node_id: int, *, timeout: float | None = None) -> None:
        """Start node ``node_id`` again (same ports, same data) and wait until the cluster's
        metadata lists it; a node that runs is left alone.

        A node that exits while it starts is started once more: on a loaded machine a
        restarted node can give up registering with the quorum (Kafka's
        ``initial.broker.registration.timeout.ms``, 60 s) while a stalled controller keeps
        the quorum busy, and the next start registers at once.
        """
        with self._lock:
            node = self.node(node_id)
            if not node.is_running:
                try:
                    self._start_nodes([node])
                except BrokerStartError as exc:
                    if "exited with code" not in str(exc):
                        raise
                    _log.warning(
                        "node %d exited while starting (%s); starting it once more",
                        node_id,
                        str(exc).splitlines()[0],
                    )
                    self._start_nodes([node])
            self.wait_for_brokers(timeout=timeout)

    def restart(self, node_id: int, *, hard: bool = False, timeout: float = 30.0) -> None:
        """Stop node ``node_id`` (SIGTERM, or SIGKILL if ``hard``) and start it again."""
        with self._lock:
            if hard:
                self.kill(node_id)
            else:
                self.stop_node(node_id, timeout=timeout)
            self.start_node(node_id)

    # ---- what the cluster says

    def admin(self) -> Any:
        """A (cached) confluent_kafka ``AdminClient`` on every node."""
        if self._admin is None:
            self._admin = admin_client(self.bootstrap_servers)
        return self._admin

    def _close_admin(self) -> None:
        self._admin = None  # librdkafka closes it when collected

    def metadata(self, topic: str | None = None, *, timeout: float = 30.0) -> Any:
        """The cluster's metadata (of ``topic``, else of every topic), retrying while the
        request times out: right after a node died, a request sent to it goes unanswered."""
        from confluent_kafka import KafkaException

        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.admin().list_topics(
                    topic=topic, timeout=max(0.5, min(5.0, deadline - time.monotonic()))
                )
            except KafkaException:
                if time.monotonic() >= deadline:
                    raise

    def _partition(self, topic: str, partition: int, timeout: float) -> Any:
        md = self.metadata(topic, timeout=timeout)
        tmd = md.topics.get(topic)
        if tmd is None or tmd.error is not None:
            why = tmd.error if tmd is not None else "not in the metadata"
            raise KeyError(f"topic {topic!r}: {why}")
        if partition not in tmd.partitions:
            raise KeyError(f"topic {topic!r} has no partition {partition} ({len(tmd.partitions)})")
        return tmd.partitions[partition]

    def leader(self, topic: str, partition: int, *, timeout: float = 30.0) -> int:
        """The node id leading ``topic``-``partition``, waiting up to ``timeout`` s while it has
        none (TimeoutError then)."""
        deadline = time.monotonic() + timeout
        while True:
            p = self._partition(topic, partition, timeout)
            if p.leader >= 0 and p.error is None:
                return int(p.leader)
            if time.monotonic() > deadline:
                raise TimeoutError(f"{topic}-{partition} has no leader ({p.error})")
            time.sleep(0.1)

    def replicas(self, topic: str, partition: int) -> tuple[list[int], list[int]]:
        """``(replicas, in-sync replicas)`` of ``topic``-``partition``, as node ids."""
        p = self._partition(topic, partition, 30.0)
        return list(p.replicas), list(p.isrs)

    def transaction_coordinator(self, transactional_id: str, *, timeout: float = 30.0) -> int:
        """The node that coordinates ``transactional_id``'s transactions: the leader of its
        ``__transaction_state`` partition (KeyError before any transactional producer made
        that topic)."""
        return self._coordinator(TRANSACTION_STATE_TOPIC, transactional_id, timeout)

    def group_coordinator(self, group_id: str, *, timeout: float = 30.0) -> int:
        """The node that coordinates consumer group ``group_id`` (its ``__consumer_offsets``
        partition's leader)."""
        return self._coordinator(CONSUMER_OFFSETS_TOPIC, group_id, timeout)

    def _coordinator(self, topic: str, key: str, timeout: float) -> int:
        md = self.metadata(topic, timeout=timeout)
        tmd = md.topics.get(topic)
        if tmd is None or tmd.error is not None or not tmd.partitions:
            raise KeyError(f"{topic} does not exist yet: no client has used it")
        return self.leader(topic, coordinator_partition(key, len(tmd.partitions)), timeout=timeout)

    def wait_for_brokers(self, timeout: float | None = None) -> None:
        """Wait until the metadata lists every running node as a broker, and only those that
        run after the controller fenced the others (TimeoutError naming them if not)."""
        limit = self.startup_timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        want = set(self.running)
        seen: set[int] = set()
        while True:
            with contextlib.suppress(Exception):
                seen = set(self.admin().list_topics(timeout=5).brokers)
                if want <= seen:
                    return
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"the cluster's metadata lists brokers {sorted(seen)}, not every running "
                    f"node {sorted(want)}, after {limit:.0f}s (logs: "
                    + ", ".join(str(self.node(i).log_path) for i in sorted(want - seen))
                    + ")"
                )
            time.sleep(0.2)

    def wait_until_in_sync(
        self, topics: Iterable[str] | None = None, timeout: float = 60.0
    ) -> None:
        """Wait until every partition of ``topics`` (default: every topic) has all of its
        replicas in sync, e.g. after :meth:`start_node` (TimeoutError naming the laggards)."""
        names = None if topics is None else set(topics)
        deadline = time.monotonic() + timeout
        while True:
            md = self.metadata(timeout=timeout)
            behind = {
                f"{t}-{pid}": (sorted(p.replicas), sorted(p.isrs))
                for t, tmd in md.topics.items()
                if names is None or t in names
                for pid, p in tmd.partitions.items()
                if set(p.isrs) != set(p.replicas)
            }
            missing = sorted((names or set()) - set(md.topics))
            if not behind and not missing:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"partitions not in sync after {timeout:.0f}s (replicas, isr): {behind}"
                    + (f"; topics missing: {missing}" if missing else "")
                )
            time.sleep(0.2)

    def __repr__(self) -> str:
        if not self._nodes:
            return f"<LocalKafkaCluster {self.version} {self.brokers} nodes, not started>"
        return f"<LocalKafkaCluster {self.version} {self.bootstrap_servers} running {self.running}>"


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m kstreams.testing.cluster start|stop|status`` (see :mod:`.cluster_cli`)."""
    from kstreams.testing.cluster_cli import main as cli_main

    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
