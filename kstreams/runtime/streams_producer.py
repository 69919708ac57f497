"""``StreamsProducer``: a stream thread's producer, replaceable under exactly-once.

Kafka Streams' ``StreamsProducer`` resets the thread's transactional producer after it was
fenced. kstreams also replaces it when a transactional call keeps timing out although the
brokers are back: after a broker restart librdkafka can keep a request queued for a
transaction coordinator connection that never comes back (confluentinc/librdkafka#5511:
a decommissioned coordinator stays cached), so ``send_offsets_to_transaction`` and
``abort_transaction`` time out for as long as the process lives. A new producer with the
same ``transactional.id`` finds the coordinator afresh, and its ``init_transactions``
fences the old one: the broker aborts the old producer's open transaction.

The old producer is closed on a background thread (closing a stuck librdkafka client can
block), and its late delivery reports are dropped: they belong to the aborted transaction,
whose records are produced again from the committed offsets.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from confluent_kafka import Producer

from kstreams.runtime.clients import close_producer

log = logging.getLogger("kstreams")


class StreamsProducer:
    """Creates the thread's producer from ``config`` and replaces it on demand.

    ``on_delivery(err, msg)`` gets the delivery reports of the current producer only.
    """

    def __init__(
        self, config: dict[str, Any], on_delivery: Callable[[Any, Any], None], name: str
    ) -> None:
        self._config = dict(config)
        self._config.pop("on_delivery", None)
        self._on_delivery = on_delivery
        self._name = name
        self._generation = 0
        self.replaced = 0
        """How many times the producer was replaced."""
        self.producer: Any = self._create()

    def _create(self) -> Any:
        # a report of a replaced producer is not the current transaction's: dropped. With
        # the default delivery.report.only.error, reports come for failures only, so this
        # gate is off the per-record path.
        generation, deliver = self._generation, self._on_delivery

        def on_delivery(err: Any, msg: Any) -> None:
            if generation == self._generation:
                deliver(err, msg)

        return Producer(dict(self._config, on_delivery=on_delivery))

    def replace(self, close_old: bool = True) -> Any:
        """Retire the current producer (its reports dropped; closed in the background, or by
        the caller: ``close_old=False`` when a call may still be inside it) and return a new
        one with the same settings."""
        old = self.producer
        self._generation += 1
        self.producer = self._create()
        self.replaced += 1
        if not close_old:
            return self.producer
        threading.Thread(
            target=close_producer,
            args=(old, 0.0, log, f"{self._name} (replaced producer)"),
            name=f"{self._name}-retired-producer",
            daemon=True,
        ).start()
        return self.producer
