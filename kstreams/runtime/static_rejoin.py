"""A static member refused because its instance id is still held: join again until it is freed.

Under the consumer group protocol (KIP-848) the group coordinator refuses a member whose
``group.instance.id`` another member still holds (``UNRELEASED_INSTANCE_ID``): an instance
killed without leaving keeps its id until its session expires (the broker's
``group.consumer.session.timeout.ms``). librdkafka makes that refusal a *fatal* error of the
consumer (the message error's code is ``_FATAL``, its text the broker's reason), after which
the consumer never joins. A restarted instance gets that refusal on its first heartbeat;
Kafka's way out is to join again once the old session expired. :class:`UnreleasedInstanceId`
decides whether a stream thread does (a new consumer, subscribed again) and how long it
waits between attempts; after ``task.timeout.ms`` of refusals (two live instances configured
with the same id, not a restart) the thread fails naming the id.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from confluent_kafka import KafkaError

from kstreams.errors import StreamsError

__all__ = ["UnreleasedInstanceId", "is_unreleased_instance_id"]

log = logging.getLogger("kstreams")

_REASON = KafkaError(KafkaError.UNRELEASED_INSTANCE_ID).str()
"""librdkafka's text of the error, also inside the ``_FATAL`` error it raises for it."""


def is_unreleased_instance_id(err: Any) -> bool:
    """Whether a consumer error is the coordinator refusing an instance id still held."""
    code = err.code()
    if code == KafkaError.UNRELEASED_INSTANCE_ID:
        return True
    return code == KafkaError._FATAL and _REASON in err.str()


class UnreleasedInstanceId:
    """A stream thread's refusals: how long to wait before joining again, or give up.

    ``timeout_s`` (``task.timeout.ms``) counts from the first refusal of a series;
    :meth:`joined` ends the series.
    """

    def __init__(self, owner: str, timeout_s: float, backoff_s: float = 1.0) -> None:
        self.owner = owner
        self.timeout_s = timeout_s
        self.backoff_s = backoff_s
        self.first: float | None = None
        self.attempts = 0

    def refused(self, err: Any, instance_id: str | None, now: float | None = None) -> float:
        """One more refusal: the seconds to wait before joining again with a new consumer.

        Raises :class:`~kstreams.errors.StreamsError` once refusals lasted ``timeout_s``.
        """
        now = time.monotonic() if now is None else now
        if self.first is None:
            self.first = now
        self.attempts += 1
        waited = now - self.first
        if waited >= self.timeout_s:
            raise StreamsError(
                f"{self.owner}: the group coordinator refused group.instance.id "
                f"{instance_id!r} for {waited:.0f} s ({self.attempts} attempts, task.timeout.ms): "
                f"another member still holds it ({err.str()}). Two running instances must not "
                "share a group.instance.id."
            )
        level = logging.WARNING if self.attempts == 1 else logging.INFO
        log.log(
            level,
            "%s: group.instance.id %r is still held by a member of the group (an instance "
            "killed without leaving keeps it until its session expires: "
            "group.consumer.session.timeout.ms); joining again in %.1f s with a new consumer "
            "(attempt %d, refused for %.1f s)",
            self.owner,
            instance_id,
            self.backoff_s,
            self.attempts,
            waited,
        )
        return self.backoff_s

    def joined(self) -> None:
        """The member got an assignment: a later refusal starts a new series."""
        self.first = None
        self.attempts = 0
