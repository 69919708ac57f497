"""Fixtures that put one test module on the local KRaft broker, whatever the session uses.

For modules whose tests stop, kill or restart the broker (``kafka_broker``): only the local
broker can do that, so where the session runs on Docker (CI) such a module gets a local broker
of its own, started for the module and stopped after it. In the module::

    from local_broker_session import local_broker_fixtures

    _local_kafka, _local_bootstrap = local_broker_fixtures()

(the module then has ``kstreams_kafka`` and ``kafka_bootstrap`` fixtures of module scope, which
``new_topic`` and ``kafka_broker`` use). ``$KSTREAMS_BOOTSTRAP_SERVERS`` still wins (then
``kafka_broker`` skips, as before).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from kstreams.testing.broker import KafkaHandle, open_kafka


def local_broker_fixtures() -> tuple[Callable[..., Any], Callable[..., Any]]:
    """Module-scoped ``kstreams_kafka`` (a local broker) and ``kafka_bootstrap`` fixtures."""

    @pytest.fixture(scope="module", name="kstreams_kafka")
    def local_kafka() -> Iterator[KafkaHandle]:
        """This module's Kafka: a :class:`~kstreams.testing.broker.LocalKafkaBroker` of its own."""
        with open_kafka(backend="local") as handle:
            yield handle

    @pytest.fixture(scope="module", name="kafka_bootstrap")
    def local_bootstrap(kstreams_kafka: KafkaHandle) -> str:
        """``"host:port"`` of this module's broker."""
        return kstreams_kafka.bootstrap_servers

    return local_kafka, local_bootstrap
