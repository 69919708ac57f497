"""What the in-memory, changelogged buffers share: identity, lifecycle, the commit-protocol checks.

The suppression buffer (:mod:`kstreams.state.time_ordered_buffer`) and the stream-table join
buffer (:mod:`kstreams.state.join_buffer`) both live in memory, start empty when their task
opens them and come back from their whole compacted changelog. This module holds the parts
of the :class:`~kstreams.state.api.StateStore` protocol they do alike, and the base of both
builders; what each buffers, and how it logs it, stays in its own module.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import TYPE_CHECKING, Any, TypeVar

from kstreams.errors import IllegalStateError, StreamsError
from kstreams.state.api import StateStore
from kstreams.state.builders import StoreBuilder

if TYPE_CHECKING:
    from kstreams.state.context import StateStoreContext


class ChangeloggedBuffer(StateStore):
    """Base of the in-memory, changelogged buffers.

    A subclass sets ``_name``, ``key_serde``, ``value_serde`` and ``_logging`` and calls
    :meth:`_reset_connection`; it gives ``_kind`` (``"Join buffer"``), ``_serde_hint`` (where
    the serdes come from, for the error when there are none), :meth:`_bind_serdes` (called by
    :meth:`init` once the topic, collector and partition are known) and :meth:`_clear`.
    """

    _kind = "Buffer"
    _serde_hint = "set default.key.serde / default.value.serde"

    _name: str
    _logging: bool
    key_serde: Any
    value_serde: Any

    def _reset_connection(self) -> None:
        self._topic: str | None = None
        self._collector: Any = None
        self._partition = -1
        self._open = False
        self._offset: int | None = None

    # -- identity --------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self._name

    @property
    def persistent(self) -> bool:
        return False

    @property
    def logged(self) -> bool:
        return self._logging

    @property
    def changelog_topic(self) -> str | None:
        return self._topic

    # -- lifecycle -------------------------------------------------------------------------------
    def init(self, context: StateStoreContext) -> None:
        topic = context.changelog_topic if self._logging else None
        if topic is not None and context.collector is None:
            raise StreamsError(f"Store {self._name} is logged to {topic} but has no collector")
        if self.key_serde is None:
            self.key_serde = context.default_key_serde
        if self.value_serde is None:
            self.value_serde = context.default_value_serde
        if self.key_serde is None or self.value_serde is None:
            raise StreamsError(
                f"{self._kind} {self._name} has no "
                f"{'key' if self.key_serde is None else 'value'} serde: {self._serde_hint}"
            )
        self._topic = topic
        self._collector = context.collector
        self._partition = context.partition
        self._bind_serdes()
        self._clear()
        self._open = True

    @abstractmethod
    def _bind_serdes(self) -> None:
        """Bind the (de)serializers to the serdes and topic, once :meth:`init` knows them."""

    @abstractmethod
    def _clear(self) -> None:
        """Drop all buffered data, the undo log and the changelog offset kept."""

    def is_open(self) -> bool:
        return self._open

    def close(self) -> None:
        self._open = False
        self._clear()

    def _check_open(self) -> None:
        if not self._open:
            from kstreams.state.errors import InvalidStateStoreError

            raise InvalidStateStoreError(f"Store {self._name} is currently closed")

    # -- commit protocol -------------------------------------------------------------------------
    def _check_flushed(self, unsent: int) -> None:
        """Refuse a commit while ``unsent`` changes have not gone to the changelog."""
        if unsent:
            raise IllegalStateError(
                f"Store {self._name} has {unsent} change(s) not sent to its "
                "changelog: call flush_changelog() (and flush the producer) before commit()"
            )

    def _keep_offset(self, changelog_offset: int | None) -> None:
        """Keep ``changelog_offset`` as reached (None, or not past the one kept: unchanged)."""
        reached = self._offset
        if (
            changelog_offset is not None
            and self._topic is not None
            and (reached is None or changelog_offset > reached)
        ):
            self._offset = changelog_offset

    def _check_can_restore(self, uncommitted: bool) -> None:
        """Refuse a restore into a closed buffer or one with ``uncommitted`` writes."""
        self._check_open()
        if uncommitted:
            raise IllegalStateError(
                f"Store {self._name} cannot restore while it has uncommitted writes"
            )

    def restore_offset(self) -> int | None:
        """The changelog offset the buffer holds (None after opening: it starts empty)."""
        return self._offset

    def wipe(self) -> None:
        """Drop everything (the store stays open)."""
        self._clear()


_B = TypeVar("_B", bound="ChangeloggedBufferBuilder")


class ChangeloggedBufferBuilder(StoreBuilder):
    """Base of the buffers' builders: a :class:`~kstreams.state.builders.StoreBuilder` whose
    caching settings have no effect (the buffer is its own cache, as in Kafka Streams).

    Logging is enabled by default.
    """

    caching_enabled = False  # type: ignore[assignment]

    def with_caching_enabled(self: _B) -> _B:
        """No effect (as in Kafka Streams: the buffer is its own cache)."""
        return self

    def with_caching_disabled(self: _B) -> _B:
        """No effect (as in Kafka Streams)."""
        return self
