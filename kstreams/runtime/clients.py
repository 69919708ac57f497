"""Closing librdkafka clients for good: each one's threads and connections end when it is closed.

A client is only gone when librdkafka destroys it: ``Consumer.close()``, ``Producer.close()``,
and for an ``AdminClient`` (which has no ``close``) the last reference dropped. The admin
client is therefore handed out wrapped in :class:`ClosableAdmin`, whose :meth:`~ClosableAdmin.close`
drops the one reference, whoever else (a traceback's frames, a lookup closure) still holds
the wrapper.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

from confluent_kafka import KafkaException

__all__ = ["ClosableAdmin", "close_consumer", "close_producer", "same_kafka_error"]


class ClosableAdmin:
    """An ``AdminClient`` that can be closed: calls go to the client until :meth:`close`."""

    __slots__ = ("_admin", "client_id")

    def __init__(self, admin: Any, client_id: str) -> None:
        self._admin = admin
        self.client_id = client_id

    def __getattr__(self, name: str) -> Any:
        admin = self._admin
        if admin is None:
            raise RuntimeError(f"admin client {self.client_id} was closed (the client stopped)")
        return getattr(admin, name)

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._admin is None

    def close(self) -> None:
        """Destroy the admin client (its threads and connections end now); idempotent."""
        self._admin = None


def close_consumer(consumer: Any) -> BaseException | None:
    """Close ``consumer`` (leaving its group); the error it raised, if any, instead of raising."""
    try:
        consumer.close()
    except RuntimeError:
        return None  # already closed
    except Exception as exc:
        return exc
    return None


def close_producer(producer: Any, flush_timeout: float, log: logging.Logger, name: str) -> Any:
    """Deliver what ``producer`` still holds (up to ``flush_timeout`` s), drop the rest, close it.

    Never raises: returns the first error met (a fatal producer raises it again from
    ``flush``), or None. ``Producer.close()`` alone would wait for every queued record up
    to ``message.timeout.ms``, so what the flush did not deliver is purged first (and
    logged: its offsets are not committed, so it is produced again after a restart).
    """
    error: BaseException | None = None
    remaining = 0
    try:
        remaining = producer.flush(flush_timeout)
    except RuntimeError:
        return None  # already closed
    except Exception as exc:
        error = exc
        remaining = len(producer)
    if remaining:
        log.warning(
            "%s: %d record(s) not delivered at close; dropped (their input offsets are not "
            "committed, so they are produced again)",
            name,
            remaining,
        )
    for step in (producer.purge, producer.close):
        try:
            # close() warns (RuntimeWarning) when it cannot abort a fatal producer's
            # transaction: that error was reported already, so it goes to the debug log
            with warnings.catch_warnings(record=True) as said:
                warnings.simplefilter("always")
                step()
            for warning in said:
                log.debug("%s: %s", name, warning.message)
        except Exception as exc:
            error = error or exc
    return error


def same_kafka_error(exc: BaseException, failure: BaseException) -> bool:
    """Whether ``exc`` is the Kafka error (same code) that ``failure`` or one of its causes is."""
    if not isinstance(exc, KafkaException) or not exc.args:
        return False
    code = exc.args[0].code()
    cause: BaseException | None = failure
    while cause is not None:
        if isinstance(cause, KafkaException) and cause.args and cause.args[0].code() == code:
            return True
        cause = cause.__cause__
    return False
