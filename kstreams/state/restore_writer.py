"""Bulk restoration: changelog records put one by one straight into a store engine's batch,
then written with their changelog offset in one atomic write, as ``restore_batch`` writes them.

``restore_batch(records, last_offset)`` hands a store a list of ``(key, value, timestamp)``
records that each layer copies into its own layout (measured: 0.8 µs a record through the
word count's stack, most of it those copies). A stack whose layers only pass restored records
down, or only prefix the value with the record timestamp (a timestamped store), offers a
:class:`RestoreWriter` instead (``store.restore_writer()``; None: use ``restore_batch``): the
restoring reader puts every record into the engine's pending batch itself (for RocksDB the
``WriteBatch``'s own ``put``, no Python frame in between) and :meth:`RestoreWriter.write`
applies the batch with the offset. A layer with a ``restore_batch`` of its own offers no
writer unless it overrides ``restore_writer`` too (:class:`~kstreams.state.wrapped.WrappedStateStore`).

Example (what the changelog reader does with one fetch of one partition)::

    writer = store.restore_writer()
    for key, value, timestamp in changelog_records:
        if value is None:
            writer.delete(key)
        elif writer.stamp is not None:
            writer.put(key, writer.stamp(timestamp) + value)
        else:
            writer.put(key, value)
    writer.write(last_offset)  # data and offset in one write
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

__all__ = ["EngineBatch", "RestoreWriter"]


class EngineBatch:
    """An engine's pending batch of restored records (``bulk_batch()`` of RocksDB and memory).

    Attributes:
        put: ``put(key, stored_value)``: adds a put.
        delete: ``delete(key)``: adds a delete.
        apply: ``apply(meta)``: writes the records and the metadata entries ``meta``
            atomically, once (the batch is used up).
    """

    __slots__ = ("apply", "delete", "put")

    def __init__(
        self,
        put: Callable[[bytes, bytes], None],
        delete: Callable[[bytes], None],
        apply: Callable[[Mapping[bytes, bytes]], None],
    ) -> None:
        self.put = put
        self.delete = delete
        self.apply = apply


class RestoreWriter:
    """A store's batch of restored records, written with their offset (module notes): one
    batch, written once; the next batch is a new writer from the store.

    Attributes:
        put: ``put(key, stored_value)``: adds a record to the batch.
        delete: ``delete(key)``: adds a delete (a changelog tombstone).
        stamp: None: the stored value is the changelog value; otherwise
            ``stamp(record_timestamp) + value`` is (a timestamped store's layout).
    """

    __slots__ = ("_batch", "_meta", "delete", "put", "stamp")

    def __init__(
        self,
        batch: EngineBatch,
        meta: Callable[[int], Mapping[bytes, bytes]],
        stamp: Callable[[int], bytes] | None = None,
    ) -> None:
        self._batch = batch
        self._meta = meta
        self.put = batch.put
        self.delete = batch.delete
        self.stamp = stamp

    def stamped(self, stamp: Callable[[int], bytes]) -> RestoreWriter:
        """This writer for a layer above that stores ``stamp(record timestamp) + value``."""
        return RestoreWriter(self._batch, self._meta, stamp)

    def write(self, last_offset: int) -> None:
        """Apply the records put, with changelog offset ``last_offset``, in one atomic write
        (what ``restore_batch`` would have written); the writer is used up."""
        self._batch.apply(self._meta(last_offset))
