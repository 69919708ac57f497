"""pytest fixtures for tests against a real Kafka broker.

Registered through the ``pytest11`` entry point ``kstreams`` (see pyproject.toml), so installing
kstreams enables them in any project (``-p no:kstreams`` turns them off). Fixtures:

- ``kafka_bootstrap`` (session): ``"host:port"`` of a real broker, started lazily on first use
  and stopped at the end of the session (see :func:`kstreams.testing.broker.open_kafka` for
  where it comes from: ``$KSTREAMS_BOOTSTRAP_SERVERS``, Docker, or a local KRaft broker). When
  none can be had, every test using it fails with one sentence saying what to install or set;
- ``new_topic``: a factory ``new_topic(partitions=1, config=None, name=None) -> str`` that
  creates a uniquely named topic and waits until it is usable; the topics are deleted afterwards;
- ``produce``: ``produce(topic, records, key_serde=..., value_serde=...)`` writes records and
  waits for the broker's acknowledgements (:func:`kstreams.testing.topics.produce`);
- ``read_topic``: ``read_topic(topic, n=None, timeout=30, key_serde=..., value_serde=...,
  read_committed=True, records=False)`` reads a topic to a list of ``(key, value)``
  (:func:`kstreams.testing.topics.read_topic`);
- ``streams_app``: a factory ``streams_app(topology, config=None, start=True) -> StreamsApp``
  running a ``KafkaStreams`` with a unique ``application.id``, a state directory under the
  test's ``tmp_path`` and the session broker, RUNNING when it returns;
  ``app.run_until(condition)`` waits for a condition. Every app is closed after the test,
  passed or failed, and the internal topics of the generated ``application.id`` are deleted;
- ``kafka_broker``: the :class:`~kstreams.testing.broker.LocalKafkaBroker` behind
  ``kafka_bootstrap``, for tests that stop/restart the broker (skipped when another source is
  used). The broker is running again after each such test.

A test (``build_topology`` is the application's)::

    def test_uppercases(new_topic, produce, read_topic, streams_app):
        source, sink = new_topic(), new_topic()
        produce(source, [("k", "hello")])
        app = streams_app(build_topology(source, sink), {"default.value.serde": Serdes.String})
        app.run_until(lambda: read_topic(sink) == [(b"k", b"HELLO")])
"""

from __future__ import annotations

import contextlib
import itertools
import re
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pytest

from kstreams.testing.broker import (
    BrokerStartError,
    KafkaHandle,
    LocalKafkaBroker,
    admin_client,
    create_topic,
    open_kafka,
)
from kstreams.testing.broker_requirements import missing_broker_requirement
from kstreams.testing.streams_app import StreamsApp
from kstreams.testing.topics import (
    ConsumedRecord,
    ProducedRecord,
    SerdeLike,
)
from kstreams.testing.topics import produce as produce_records
from kstreams.testing.topics import read_topic as read_records

if TYPE_CHECKING:
    from kstreams.topology.topology import Topology

__all__ = [
    "NewTopic",
    "Produce",
    "ReadTopic",
    "StreamsAppFactory",
    "kafka_bootstrap",
    "kafka_broker",
    "kstreams_kafka",
    "new_topic",
    "produce",
    "read_topic",
    "streams_app",
]

RESTART_SKIP_REASON = (
    "broker restart needs the local KRaft broker; KSTREAMS_BOOTSTRAP_SERVERS/Docker in use"
)


class NewTopic(Protocol):
    """The type of the ``new_topic`` fixture."""

    def __call__(
        self,
        partitions: int = 1,
        config: Mapping[str, str] | None = None,
        name: str | None = None,
    ) -> str:
        """Create a topic (a unique name unless ``name``) and return its name."""
        ...


class Produce(Protocol):
    """The type of the ``produce`` fixture (:func:`kstreams.testing.topics.produce`, bound)."""

    def __call__(
        self,
        topic: str,
        records: Any,
        *,
        key_serde: SerdeLike = None,
        value_serde: SerdeLike = None,
        partition: int | None = None,
        headers: Any = None,
        timeout: float = 30.0,
    ) -> list[ProducedRecord]:
        """Write records to ``topic`` on the session broker; wait for every acknowledgement."""
        ...


class ReadTopic(Protocol):
    """The type of the ``read_topic`` fixture (:func:`kstreams.testing.topics.read_topic`)."""

    def __call__(
        self,
        topic: str,
        n: int | None = None,
        *,
        timeout: float = 30.0,
        key_serde: SerdeLike = None,
        value_serde: SerdeLike = None,
        read_committed: bool = True,
        records: bool = False,
    ) -> list[tuple[Any, Any]] | list[ConsumedRecord]:
        """Read ``topic`` on the session broker from the beginning (to its end, or ``n``)."""
        ...


class StreamsAppFactory(Protocol):
    """The type of the ``streams_app`` fixture."""

    def __call__(
        self,
        topology: Topology,
        config: Mapping[str, Any] | None = None,
        *,
        start: bool = True,
        timeout: float = 60.0,
    ) -> StreamsApp:
        """A :class:`StreamsApp` on the session broker, started and RUNNING unless ``start=False``."""
        ...


@pytest.fixture(scope="session")
def kstreams_kafka() -> Iterator[KafkaHandle]:
    """The session's Kafka cluster: address, source (env/docker/local) and local broker if any.

    Fails (no traceback) with one sentence when the machine has no way to a broker (no
    ``$KSTREAMS_BOOTSTRAP_SERVERS``, no Docker engine, no Java), or with the broker's own
    account when starting it failed.
    """
    missing = missing_broker_requirement()
    if missing is not None:
        pytest.fail(missing, pytrace=False)
    with contextlib.ExitStack() as stack:
        try:
            handle = stack.enter_context(open_kafka())
        except BrokerStartError as exc:
            pytest.fail(f"Kafka for the tests did not start: {exc}", pytrace=False)
        yield handle


@pytest.fixture(scope="session")
def kafka_bootstrap(kstreams_kafka: KafkaHandle) -> str:
    """``"host:port"`` of a real Kafka broker shared by the whole test session."""
    return kstreams_kafka.bootstrap_servers


@pytest.fixture
def kafka_broker(kstreams_kafka: KafkaHandle) -> Iterator[LocalKafkaBroker]:
    """The session's :class:`LocalKafkaBroker`, for stop/restart tests.

    Skipped unless the session runs the local broker. Use ``restart(hard=...)``, ``kill()`` or
    ``stop()`` then ``start()``: all keep the port and the data (never ``close()``, which deletes
    the data). Whatever the test did, the broker is running again afterwards for later tests.
    """
    broker = kstreams_kafka.broker
    if broker is None:
        pytest.skip(RESTART_SKIP_REASON)
    yield broker
    if not broker.is_running:
        broker.start()


def _topic_prefix(node_name: str) -> str:
    cleaned = re.sub(r"[^a-zA-Z0-9._-]+", "-", node_name).strip("-.")
    return (cleaned or "topic")[:120]


@pytest.fixture
def new_topic(kafka_bootstrap: str, request: pytest.FixtureRequest) -> Iterator[NewTopic]:
    """A factory creating topics on ``kafka_bootstrap``; they are deleted after the test.

    ``new_topic(partitions=1, config=None, name=None) -> str``: without ``name`` the topic is
    named after the test plus a random suffix. Returns once every partition has a leader.
    """
    created: list[str] = []
    prefix = _topic_prefix(request.node.name)

    def factory(
        partitions: int = 1,
        config: Mapping[str, str] | None = None,
        name: str | None = None,
    ) -> str:
        if isinstance(partitions, bool) or not isinstance(partitions, int) or partitions < 1:
            raise ValueError(f"new_topic(): partitions must be a positive int, not {partitions!r}")
        topic = name or f"{prefix}-{uuid.uuid4().hex[:8]}"
        try:
            create_topic(kafka_bootstrap, topic, partitions, config)
        except Exception as exc:
            hint = " (pick another name, or leave name out)" if "already exists" in str(exc) else ""
            raise RuntimeError(
                f"new_topic(): the broker refused topic {topic!r} ({partitions} partition(s), "
                f"config {dict(config or {})}): {exc}{hint}"
            ) from exc
        created.append(topic)
        return topic

    yield factory
    if created:
        _delete_topics(kafka_bootstrap, created)


def _delete_topics(bootstrap: str, topics: list[str]) -> None:
    with contextlib.suppress(Exception):  # best effort: the broker may be down after a chaos test
        admin = admin_client(bootstrap)
        futures = admin.delete_topics(topics, operation_timeout=10, request_timeout=10)
        for future in futures.values():
            with contextlib.suppress(Exception):
                future.result(timeout=15)


@pytest.fixture
def produce(kafka_bootstrap: str) -> Produce:
    """``produce(topic, records, *, key_serde=None, value_serde=None, partition=None, headers=None)``.

    Writes ``(key, value)``, ``(key, value, timestamp)`` or ``TestRecord`` records to ``topic``
    on the session broker and waits until each is acknowledged (see
    :func:`kstreams.testing.topics.produce`). Example::

        produce(topic, [("alice", 3), ("bob", 5)], value_serde=Serdes.Long())
    """

    def bound(topic: str, records: Any, **kwargs: Any) -> list[ProducedRecord]:
        return produce_records(kafka_bootstrap, topic, records, **kwargs)

    return bound


@pytest.fixture
def read_topic(kafka_bootstrap: str) -> ReadTopic:
    """``read_topic(topic, n=None, *, timeout=30, key_serde=None, value_serde=None, ...)``.

    Reads ``topic`` on the session broker from the beginning, to its current end or until ``n``
    records arrived, as ``(key, value)`` pairs (``records=True``: records with partition, offset,
    timestamp and headers); see :func:`kstreams.testing.topics.read_topic`. Example::

        assert dict(read_topic(counts, value_serde=Serdes.Long())) == {"a": 2, "b": 1}
    """

    def bound(topic: str, n: int | None = None, **kwargs: Any) -> Any:
        return read_records(kafka_bootstrap, topic, n, **kwargs)

    return bound


@pytest.fixture
def streams_app(
    kafka_bootstrap: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[StreamsAppFactory]:
    """A factory of :class:`~kstreams.testing.streams_app.StreamsApp`; all are closed after the test.

    ``streams_app(topology, config=None, *, start=True, timeout=60) -> StreamsApp``: the config
    gets what it leaves out: a unique ``application.id`` (named after the test), the session
    broker, a state directory under ``tmp_path`` (one per app) and ``commit.interval.ms=100``.
    Started and RUNNING when it returns (``start=False``: call ``app.start()`` after setting a
    listener or handler on ``app.streams``). After the test, passed or failed, every app is
    closed, and the internal topics of generated application ids are deleted. Example::

        app = streams_app(topology, {"default.value.serde": Serdes.String})
        app.run_until(lambda: len(read_topic(sink)) == 10)
    """
    apps: list[StreamsApp] = []
    numbers = itertools.count()
    name = _topic_prefix(request.node.name)[:60]

    def factory(
        topology: Topology,
        config: Mapping[str, Any] | None = None,
        *,
        start: bool = True,
        timeout: float = 60.0,
    ) -> StreamsApp:
        state_dir = tmp_path / f"kstreams-state-{next(numbers)}"
        app = StreamsApp(
            topology, config, bootstrap_servers=kafka_bootstrap, state_dir=state_dir, name=name
        )
        apps.append(app)
        if start:
            app.start(timeout=timeout)
        return app

    yield factory
    failures = []
    for app in reversed(apps):
        try:
            app.close()
        except AssertionError as exc:
            failures.append(str(exc))
    internal = _internal_topics(
        kafka_bootstrap, [a.application_id for a in apps if a.generated_application_id]
    )
    if internal:
        _delete_topics(kafka_bootstrap, internal)
    if failures:
        pytest.fail("; ".join(failures), pytrace=False)


def _internal_topics(bootstrap: str, application_ids: list[str]) -> list[str]:
    """The topics named ``<application.id>-...`` (what these apps created)."""
    if not application_ids:
        return []
    try:
        topics = admin_client(bootstrap).list_topics(timeout=10).topics
    except Exception:  # best effort, as deleting: the broker may be down after a chaos test
        return []
    prefixes = tuple(f"{app_id}-" for app_id in application_ids)
    return sorted(t for t in topics if t.startswith(prefixes))
