"""What every change-logging layer shares: the changelog it writes to and the unsent changes.

The key-value (:mod:`kstreams.state.changelogging`), window and session
(:mod:`kstreams.state.window_changelogging`) and versioned
(:mod:`kstreams.state.versioned_changelogging`) layers each remember their own kind of
change and send it their own way (:meth:`ChangeLoggingLayer._send`); the changelog topic,
the collector, the flush-before-commit check and the reset on abort live here.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kstreams.errors import IllegalStateError, StreamsError
from kstreams.state.wrapped import WrappedStateStore

if TYPE_CHECKING:
    from kstreams.state.context import StateStoreContext


class ChangeLoggingLayer(WrappedStateStore):
    """Base of the change-logging layers: logs nothing when opened without changelog topic.

    A subclass gives ``_new_unsent`` (the empty collection of unsent changes: ``dict``,
    ``list``), fills ``self._unsent`` on each write and sends it in :meth:`_send`; its
    ``init`` calls :meth:`_init_log` first.
    """

    _new_unsent: Callable[[], Any] = dict

    def __init__(self, wrapped: Any, log_config: dict[str, str] | None = None) -> None:
        super().__init__(wrapped)
        self.log_config: dict[str, str] = dict(log_config or {})
        self._topic: str | None = None
        self._opened = False
        self._collector: Any = None
        self._partition = -1
        self._unsent: Any = self._new_unsent()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._wrapped!r}, changelog={self._topic!r})"

    # -- identity ---------------------------------------------------------------------------
    @property
    def logged(self) -> bool:
        return self._topic is not None or not self._opened

    @property
    def changelog_topic(self) -> str | None:
        return self._topic

    # -- lifecycle --------------------------------------------------------------------------
    def _init_log(self, context: StateStoreContext) -> None:
        """Open the store below and take the changelog topic, collector and partition."""
        topic = context.changelog_topic
        if topic is not None and context.collector is None:
            raise StreamsError(f"Store {self.name} is logged to {topic} but has no collector")
        self._wrapped.init(context)
        self._opened = True
        self._topic = topic
        self._collector = context.collector
        self._partition = context.partition
        self._unsent = self._new_unsent()

    def init(self, context: StateStoreContext) -> None:
        self._init_log(context)

    def close(self) -> None:
        self._unsent = self._new_unsent()
        self._wrapped.close()

    # -- commit protocol --------------------------------------------------------------------
    @abstractmethod
    def _send(self, unsent: Any) -> None:
        """Send ``unsent`` (not empty) to the changelog."""

    def _send_records(self, records: list[tuple[bytes, bytes | None, int]]) -> None:
        """Send ``(key, value, timestamp)`` records to the changelog partition: in one call when
        the collector takes a batch (the runtime's ``send_changelogs``), else one
        ``send_changelog`` each."""
        collector = self._collector
        topic, partition = self._topic, self._partition
        send_all = getattr(collector, "send_changelogs", None)
        if send_all is not None:
            send_all(topic, partition, records)
            return
        send = collector.send_changelog
        for key, value, ts in records:
            send(topic, key, value, ts, partition)

    def flush_changelog(self) -> bool:
        """Send the changes since the last flush."""
        sent = self._wrapped.flush_changelog()
        unsent = self._unsent
        if not unsent:
            return sent  # type: ignore[no-any-return]
        self._send(unsent)
        self._unsent = self._new_unsent()
        return True

    def commit(self, changelog_offset: int | None) -> None:
        if self._unsent:
            raise IllegalStateError(
                f"Store {self.name} has {len(self._unsent)} change(s) not sent to its "
                "changelog: call flush_changelog() (and flush the producer) before commit()"
            )
        self._wrapped.commit(changelog_offset)

    def abort(self) -> None:
        self._unsent = self._new_unsent()
        self._wrapped.abort()

    def wipe(self) -> None:
        self._unsent = self._new_unsent()
        self._wrapped.wipe()
