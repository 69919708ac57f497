"""How a stream thread closes: the final commit, its tasks, its transaction, its clients.

:class:`ThreadClosing` is mixed into :class:`~kstreams.runtime.stream_thread.StreamThread`:
:meth:`~ThreadClosing._close_all` runs every step whatever the previous ones did and never
raises; its errors are logged once each (the first as the error, later ones as secondary).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from kstreams.runtime.clients import close_consumer, close_producer, same_kafka_error

log = logging.getLogger("kstreams")

CLOSE_FLUSH_TIMEOUT_S = 30.0
"""How long closing a thread waits for its producer to deliver what it holds."""


class ThreadClosing:
    """The close path of a stream thread (mixed into ``StreamThread``)."""

    client_id: str
    tasks: Any
    task_manager: Any
    committer: Any
    collector: Any
    consumer: Any
    restore_consumer: Any
    end_consumer: Any
    producer: Any
    admin: Any
    close_step: str
    _dirty: bool
    _committed_offsets: Any

    commit: Callable[..., int]
    """The thread's commit (``ThreadCommitting.commit``)."""

    def _close_all(self, clean: bool, failure: BaseException | None = None) -> None:
        """Commit (``clean``), close the tasks and every client. Never raises.

        Each step runs whatever the previous ones did. After a ``failure`` (reported already)
        errors met here are secondary: a warning each, none for the same Kafka error again (a
        fatal producer raises its error from every call). Otherwise the first one is logged
        as the error (with its traceback), later ones as secondary.
        """
        errors: list[tuple[str, BaseException]] = []
        committed = False
        if clean and self.tasks:
            self.close_step = "the final commit"
            try:
                self.commit()
                committed = True
            except Exception as exc:
                errors.append(("the final commit", exc))
        self._dirty = True  # nothing may commit from here on (close() revokes)
        for what, step in (
            ("closing the tasks", lambda: self.task_manager.close_all(clean=committed)),
            ("closing the standby tasks", self.task_manager.close_standbys),
            ("aborting the open transaction", self.committer.close),
        ):
            self.close_step = what
            try:
                step()
            except Exception as exc:
                errors.append((what, exc))
        errors.extend(self._close_clients())
        self.close_step = "done"
        for i, (what, exc) in enumerate(errors):
            if failure is not None and same_kafka_error(exc, failure):
                log.debug("stream-thread [%s] %s: %s", self.client_id, what, exc)
            elif i == 0 and failure is None:
                log.error(
                    "stream-thread [%s] %s failed while shutting down: %s",
                    self.client_id,
                    what,
                    exc,
                    exc_info=exc,
                )
            else:
                log.warning(
                    "stream-thread [%s] %s failed too (after the error above): %s",
                    self.client_id,
                    what,
                    exc,
                )

    def _close_clients(self) -> list[tuple[str, BaseException]]:
        """Close the consumers and the producer (each whatever the others did); their errors."""
        errors: list[tuple[str, BaseException]] = []
        if self.consumer is None:
            return errors
        for what, consumer in (
            ("closing the consumer", self.consumer),
            ("closing the restore consumer", self.restore_consumer),
            ("closing the restore end-offset consumer", self.end_consumer),
            ("closing the standby consumer", getattr(self.task_manager.standbys, "consumer", None)),
        ):
            if consumer is None:
                continue
            self.close_step = what
            err = close_consumer(consumer)
            if err is not None:
                errors.append((what, err))
        self.close_step = (
            f"closing the producer (delivering for up to {CLOSE_FLUSH_TIMEOUT_S:.0f} s)"
        )
        err = close_producer(
            self.producer, CLOSE_FLUSH_TIMEOUT_S, log, f"stream-thread [{self.client_id}]"
        )
        if err is not None:
            errors.append(("closing the producer", err))
        self.collector.producer = None
        self.committer.producer = self.committer.consumer = None
        self.producer = None  # type: ignore[assignment]
        self.consumer = None  # type: ignore[assignment]
        self.restore_consumer = None  # type: ignore[assignment]
        self.end_consumer = None  # type: ignore[assignment]
        self.admin = None
        self._committed_offsets = None  # type: ignore[assignment]  # it holds the admin client
        return errors
