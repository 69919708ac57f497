"""The change-logging layer of window and session stores (Java: ``ChangeLoggingWindowBytesStore``,
``ChangeLoggingTimestampedWindowBytesStore``, ``ChangeLoggingSessionBytesStore``).

As for key-value stores (:mod:`kstreams.state.changelogging`): every accepted write
leaves its store key in a set of unsent changes, and :meth:`flush_changelog`, the first
step of a commit, sends the latest value of each to the changelog partition of the task.
Writes the store drops (expired windows) are logged too, as in Java. Changelog record keys are the store keys of :mod:`kstreams.state.window_schema` (record
key + window), exactly as Kafka Streams writes them, so either can restore the other's
changelog. Records carry the timestamp of the record that made the change; a
timestamped window store logs the bare value with its own timestamp.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from kstreams.state.api import ChangelogRecord
from kstreams.state.changelogging_layer import ChangeLoggingLayer
from kstreams.state.context import wall_clock_ms
from kstreams.state.value_and_timestamp import TIMESTAMP_SIZE, pack_timestamp, unpack_timestamp
from kstreams.state.window_buffered import BufferedSegmentedStore

if TYPE_CHECKING:
    from kstreams.state.context import StateStoreContext


class ChangeLoggingSegmentedStore(ChangeLoggingLayer):
    """Logs the changes of the window or session write buffer below.

    Opened with a context without changelog topic, the layer logs nothing.

    Example::

        store = ChangeLoggingSegmentedStore(BufferedSegmentedStore(engine))
        store.init(context)
        store.put(window_key(b"k", 0), b"1")
        store.flush_changelog()          # (window_key(b"k", 0), b"1") to the changelog
    """

    def __init__(
        self, wrapped: BufferedSegmentedStore, log_config: dict[str, str] | None = None
    ) -> None:
        super().__init__(wrapped, log_config)
        self.schema = wrapped.schema
        self.retention_period = wrapped.retention_period
        self._now = wall_clock_ms
        self._unsent: dict[bytes, Any] = {}
        """Store keys changed since the last flush, with the timestamp of the change."""
        self._put_below: Any = wrapped.put

    @property
    def observed_stream_time(self) -> int:
        """The stream time of the store (see :class:`BufferedSegmentedStore`)."""
        return self._wrapped.observed_stream_time  # type: ignore[no-any-return]

    def init(self, context: StateStoreContext) -> None:
        self._init_log(context)
        self._now = context.record_timestamp or wall_clock_ms
        # reads pass straight through: the layer above binds these once (no frame of ours)
        self.get = self._wrapped.get  # type: ignore[method-assign]
        self.fetch = self._wrapped.fetch  # type: ignore[method-assign]
        self.fetch_key = self._wrapped.fetch_key  # type: ignore[method-assign]

    def close(self) -> None:
        for bound in ("get", "fetch", "fetch_key"):
            self.__dict__.pop(bound, None)
        super().close()

    # -- reads pass through -----------------------------------------------------------------
    def get(self, store_key: bytes) -> bytes | None:
        return self._wrapped.get(store_key)  # type: ignore[no-any-return]

    def fetch(
        self,
        key_from: bytes | None,
        key_to: bytes | None,
        time_from: int,
        time_to: int,
        reverse: bool = False,
    ) -> Iterator[tuple[bytes, bytes]]:
        return self._wrapped.fetch(key_from, key_to, time_from, time_to, reverse)  # type: ignore[no-any-return]

    def fetch_key(
        self, kb: bytes, time_from: int, time_to: int, reverse: bool = False
    ) -> list[tuple[bytes, bytes]]:
        return self._wrapped.fetch_key(kb, time_from, time_to, reverse)  # type: ignore[no-any-return]

    def order_key(self) -> Any:
        """The sort key of store keys in the engine's iteration order."""
        return self._wrapped.order_key()

    def by_end_order(self) -> Any:
        """The sort key of session store keys in the engine's find-by-end order."""
        return self._wrapped.by_end_order()

    def fetch_by_end(self, earliest_end: int, latest_end: int) -> list[tuple[bytes, bytes]]:
        return self._wrapped.fetch_by_end(earliest_end, latest_end)  # type: ignore[no-any-return]

    def approximate_num_entries(self) -> int:
        return self._wrapped.approximate_num_entries()  # type: ignore[no-any-return]

    # -- writes -----------------------------------------------------------------------------
    def put(self, store_key: bytes, value: bytes | None) -> bool:
        """Write through and remember ``store_key`` as changed.

        A write the store drops (its window expired) is logged all the same, as Kafka
        Streams logs it (restoration skips it again).
        """
        kept = self._put_below(store_key, value)
        if self._topic is not None:  # _remember, without its frame
            # the store holds a kept write (read back at flush); a dropped one is kept here
            self._unsent[store_key] = self._now() if kept else (self._now(), value)
        return kept  # type: ignore[no-any-return]

    def _remember(self, store_key: bytes, value: bytes | None, kept: bool) -> None:
        # what put remembers (a subclass that remembers otherwise overrides both)
        self._unsent[store_key] = self._now() if kept else (self._now(), value)

    def delete(self, store_key: bytes) -> bool:
        """Delete through and remember ``store_key`` as changed."""
        kept = self._wrapped.delete(store_key)
        if self._topic is not None:
            self._remember(store_key, None, kept)
        return kept  # type: ignore[no-any-return]

    # -- commit protocol --------------------------------------------------------------------
    def _send(self, unsent: dict[bytes, Any]) -> None:
        """Send the latest value (or a tombstone) of every store key changed since the last flush."""
        send = self._collector.send_changelog
        topic = self._topic
        partition = self._partition
        latest = self._wrapped.latest
        for key, change in unsent.items():
            if type(change) is int:
                send(topic, key, latest(key), change, partition)
            else:  # a dropped write: (timestamp, value)
                send(topic, key, change[1], change[0], partition)


class ChangeLoggingTimestampedSegmentedStore(ChangeLoggingSegmentedStore):
    """Logs a timestamped window store: stored values are ``8-byte timestamp + value``; a
    changelog record carries the bare value with that timestamp (a delete: the deleting
    record's), as in Kafka Streams. Restored records get the layout back."""

    def put(self, store_key: bytes, value: bytes | None) -> bool:
        kept = self._put_below(store_key, value)
        if self._topic is not None:  # _remember, without its frame
            self._unsent[store_key] = self._now() if value is None else value
        return kept  # type: ignore[no-any-return]

    def _remember(self, store_key: bytes, value: bytes | None, kept: bool) -> None:
        self._unsent[store_key] = self._now() if value is None else value

    def _send(self, unsent: dict[bytes, Any]) -> None:
        send = self._collector.send_changelog
        topic = self._topic
        partition = self._partition
        for key, change in unsent.items():
            if type(change) is int:
                send(topic, key, None, change, partition)
            else:
                send(topic, key, change[TIMESTAMP_SIZE:], unpack_timestamp(change)[0], partition)

    def restore_batch(self, records: list[ChangelogRecord], last_offset: int) -> None:
        """Changelog records (bare value, record timestamp) in the stored layout, passed down."""
        self._wrapped.restore_batch(
            [(k, None if v is None else pack_timestamp(ts) + v, ts) for k, v, ts in records],
            last_offset,
        )
