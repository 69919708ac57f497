"""The EOS chaos test's data generator (modelled on Kafka Streams' EosTestDriver.generate).

Writes ``n`` records to the input topic, spread over ``duration_s`` seconds so that the
app instances are killed while they process: String keys ``"0".."keys-1"`` (random, seeded),
Integer values ``first..first+n-1`` (the record's sequence number, so every value is unique
and a record can be recognised in any output). The producer uses Java's partitioner
(``partitioner=murmur2_random``) and is idempotent, so each partition holds its records
exactly once, in the order they were sent.
"""

from __future__ import annotations

import collections
import logging
import random
import struct
import threading
import time
from typing import Any

from confluent_kafka import Producer

_INT = struct.Struct(">i")


class Generator(threading.Thread):
    """Produces in a background thread; :meth:`result` joins it and raises if delivery failed."""

    def __init__(
        self,
        bootstrap: str,
        topic: str,
        n: int = 20_000,
        keys: int = 50,
        duration_s: float = 30.0,
        seed: int = 0,
        first: int = 0,
    ) -> None:
        super().__init__(name="eos-generator", daemon=True)
        self.bootstrap = bootstrap
        self.topic = topic
        self.n = n
        self.keys = keys
        self.duration_s = duration_s
        self.seed = seed
        self.first = first
        self.sent = 0
        self.delivered = 0
        self.errors: list[str] = []
        # librdkafka's error events and warnings, the last 20: what a stalled flush leaves to
        # look at (a broker restart once left the producer delivering nothing for 120 s)
        self.client_events: collections.deque[str] = collections.deque(maxlen=20)
        self.exception: BaseException | None = None
        self._stop_event = threading.Event()

    def stop(self) -> None:
        """Stop sending early (the test is being torn down)."""
        self._stop_event.set()

    def _on_delivery(self, err: Any, _msg: Any) -> None:
        if err is not None:
            self.errors.append(str(err))
        else:
            self.delivered += 1

    def _on_error(self, err: Any) -> None:
        self.client_events.append(f"{time.strftime('%H:%M:%S')} error: {err}")

    def run(self) -> None:
        try:
            self._produce()
        except BaseException as exc:
            self.exception = exc

    def _produce(self) -> None:
        producer = Producer(
            {
                "bootstrap.servers": self.bootstrap,
                "partitioner": "murmur2_random",
                "enable.idempotence": True,
                "acks": "all",
                "linger.ms": 5,
                "client.id": "eos-generator",
                "error_cb": self._on_error,
                "logger": _EventLog(self.client_events),
            }
        )
        rng = random.Random(self.seed)
        started = time.monotonic()
        per_record = self.duration_s / self.n
        for i in range(self.n):
            if self._stop_event.is_set():
                break
            key = str(rng.randrange(self.keys)).encode()
            producer.produce(
                self.topic, key=key, value=_INT.pack(self.first + i), on_delivery=self._on_delivery
            )
            self.sent += 1
            producer.poll(0)
            ahead = started + (i + 1) * per_record - time.monotonic()
            if ahead > 0.005:
                time.sleep(ahead)
        remaining = producer.flush(120)
        if remaining:
            self.errors.append(
                f"{remaining} record(s) not delivered after 120 s; the producer's last events: "
                f"{list(self.client_events) or 'none'}"
            )

    def result(self, timeout: float = 180.0) -> int:
        """Wait for the end; the number of records written (AssertionError if any failed)."""
        self.join(timeout)
        assert not self.is_alive(), f"the generator did not finish in {timeout}s"
        if self.exception is not None:
            raise AssertionError(f"the generator failed: {self.exception!r}")
        assert not self.errors, f"the generator's deliveries failed: {self.errors[:5]}"
        assert self.delivered == self.sent, (self.delivered, self.sent)
        return self.delivered


class _EventLog(logging.Logger):
    """A logger for librdkafka's log lines (warnings and worse) that keeps them in a deque."""

    def __init__(self, events: collections.deque[str]) -> None:
        super().__init__("eos-generator.librdkafka", logging.WARNING)
        self._events = events

    def handle(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.WARNING:
            self._events.append(f"{time.strftime('%H:%M:%S')} {record.getMessage()}")
