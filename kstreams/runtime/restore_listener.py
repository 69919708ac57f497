"""The state restore listener: told about each store's restoration (Java's
``StateRestoreListener``), and how restoration calls it (a failing listener is logged, never fatal).
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

log = logging.getLogger("kstreams")

__all__ = ["StateRestoreListener"]


class StateRestoreListener(Protocol):
    """Told about restoration progress (Java: ``StateRestoreListener``); every method is optional."""

    def on_restore_start(
        self, topic_partition: tuple[str, int], store_name: str, start_offset: int, end_offset: int
    ) -> None:
        """Restoration of ``store_name`` from ``topic_partition`` begins."""

    def on_batch_restored(
        self,
        topic_partition: tuple[str, int],
        store_name: str,
        batch_end_offset: int,
        num_restored: int,
    ) -> None:
        """A batch was written."""

    def on_restore_end(
        self, topic_partition: tuple[str, int], store_name: str, total_restored: int
    ) -> None:
        """The store is up to date."""

    def on_restore_suspended(
        self, topic_partition: tuple[str, int], store_name: str, total_restored: int
    ) -> None:
        """The store's task was taken away (revoked, closed) before it caught up; what it
        restored stays in the store, with its offset (Java 3.5+: ``onRestoreSuspended``)."""


def _call(listener: Any, method: str, *args: Any) -> None:
    fn = getattr(listener, method, None) if listener is not None else None
    if fn is not None:
        try:
            fn(*args)
        except Exception:
            log.exception("state restore listener %s failed", method)
