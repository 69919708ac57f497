"""The change-logging layer: which keys changed, and their latest values sent to the changelog.

Every write passes through to the store below and leaves its key (with the timestamp of
the record being processed) in a set of unsent changes. At
:meth:`ChangeLoggingKeyValueBytesStore.flush_changelog`, the first step of a commit, the
latest value of each changed key (read back from the store below, which holds it; a
timestamped store remembers it) goes to the changelog partition of the task: one record
per key and commit, where Kafka Streams without a record cache logs every write. The task then flushes the producer and calls
``commit``; a write between the two steps would reach the local store without its
changelog record, so ``commit`` refuses it.

Restoration passes changelog records down to the store below, which applies them with
their offset (the write buffer, :mod:`kstreams.state.buffered`). Keys and values are the
bytes of the store below: the same layer logs a window or session store, whose keys hold
the window, as Kafka Streams' changelogs of those stores do.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from kstreams.state.api import ChangelogRecord, KeyValueBytesStore
from kstreams.state.changelogging_layer import ChangeLoggingLayer
from kstreams.state.context import wall_clock_ms
from kstreams.state.value_and_timestamp import TIMESTAMP_SIZE, pack_timestamp, unpack_timestamp

if TYPE_CHECKING:
    from kstreams.state.context import StateStoreContext


class ChangeLoggingKeyValueBytesStore(ChangeLoggingLayer, KeyValueBytesStore):
    """Logs the changes of the bytes store below (Java: ``ChangeLoggingKeyValueBytesStore``).

    Changelog records carry the timestamp of the record that made the change (the
    context's ``record_timestamp``, else wall-clock time). Opened with a context without
    changelog topic, the layer passes everything through and logs nothing.

    Args:
        wrapped: The bytes store below (the write buffer).
        log_config: Topic configs of the changelog topic.

    Example::

        store = ChangeLoggingKeyValueBytesStore(BufferedBytesStore(RocksDBStore("counts")))
        store.init(context)              # context.changelog_topic, context.collector
        store.put(b"k", b"1")
        store.flush_changelog()          # (b"k", b"1") to the changelog
    """

    def __init__(
        self, wrapped: KeyValueBytesStore, log_config: dict[str, str] | None = None
    ) -> None:
        super().__init__(wrapped, log_config)
        self._now = wall_clock_ms
        self._unsent: dict[bytes, Any] = {}
        """Keys changed since the last flush, with the timestamp of the change."""
        self._put_below: Any = wrapped.put
        self._delete_below: Any = wrapped.delete

    # -- lifecycle --------------------------------------------------------------------------
    def init(self, context: StateStoreContext) -> None:
        self._init_log(context)
        topic, wrapped = self._topic, self._wrapped
        self._now = context.record_timestamp or wall_clock_ms
        self._put_below = wrapped.put
        self._delete_below = wrapped.delete
        # Reads pass straight through: the layer above binds these once (no frame of ours).
        self.get = wrapped.get  # type: ignore[method-assign]
        self.range = wrapped.range  # type: ignore[method-assign]
        if topic is None:  # nothing to log: writes pass straight through as well
            self.put = wrapped.put  # type: ignore[method-assign]
            self.delete = wrapped.delete  # type: ignore[method-assign]
        else:
            self.__dict__.pop("put", None)
            self.__dict__.pop("delete", None)

    # -- reads (replaced by the wrapped store's own methods while open) ---------------------
    def get(self, key: bytes) -> bytes | None:
        return self._wrapped.get(key)  # type: ignore[no-any-return]

    def range(
        self, lo: bytes | None, hi: bytes | None, reverse: bool = False, concurrent: bool = False
    ) -> Iterator[tuple[bytes, bytes]]:
        return self._wrapped.range(lo, hi, reverse, concurrent)  # type: ignore[no-any-return]

    def approximate_num_entries(self) -> int:
        return self._wrapped.approximate_num_entries()  # type: ignore[no-any-return]

    # -- writes -----------------------------------------------------------------------------
    def put(self, key: bytes, value: bytes | None) -> None:
        """Write through and remember ``key`` as changed (None: a delete)."""
        self._unsent[key] = self._now()
        self._put_below(key, value)

    def delete(self, key: bytes) -> None:
        """Delete through and remember ``key`` as changed."""
        self._unsent[key] = self._now()
        self._delete_below(key)

    # -- commit protocol --------------------------------------------------------------------
    def _send(self, unsent: dict[bytes, Any]) -> None:
        """Send the latest value (or a tombstone) of every key changed since the last flush."""
        get = self._wrapped.get
        self._send_records([(key, get(key), ts) for key, ts in unsent.items()])


class ChangeLoggingTimestampedKeyValueBytesStore(ChangeLoggingKeyValueBytesStore):
    """Logs a timestamped store (Java: ``ChangeLoggingTimestampedKeyValueBytesStore``).

    Stored values are ``8-byte timestamp + value``; a changelog record carries the bare
    value with that timestamp as its record timestamp (a delete: the deleting record's),
    as in Kafka Streams. Restored records get the layout back.

    A put remembers the value written (it holds its timestamp), a delete the deleting
    record's timestamp: the flush reads nothing back.
    """

    def put(self, key: bytes, value: bytes | None) -> None:
        """Write through and remember ``key``'s new value for the changelog."""
        if value is None:
            self.delete(key)
            return
        self._unsent[key] = value
        self._put_below(key, value)

    def _send(self, unsent: dict[bytes, Any]) -> None:
        # a delete (an int) goes at the deleting record's timestamp
        self._send_records(
            [
                (key, None, change)
                if type(change) is int
                else (key, change[TIMESTAMP_SIZE:], unpack_timestamp(change)[0])
                for key, change in unsent.items()
            ]
        )

    def restore_batch(self, records: list[ChangelogRecord], last_offset: int) -> None:
        """Changelog records (bare value, record timestamp) in the stored layout, passed down."""
        self._wrapped.restore_batch(
            [(k, None if v is None else pack_timestamp(ts) + v, ts) for k, v, ts in records],
            last_offset,
        )

    def restore_writer(self) -> Any:
        """The store below's bulk restoration writer, storing ``timestamp + value``; or None."""
        below = getattr(self._wrapped, "restore_writer", None)
        writer = below() if below is not None else None
        return None if writer is None else writer.stamped(pack_timestamp)
