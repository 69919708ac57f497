"""The memory one stream thread's stores may hold: record caches and write buffers together.

Kafka Streams bounds a thread's record caches by ``statestore.cache.max.bytes`` (divided by
the number of stream threads); its write path has no other buffer. kstreams stores also keep
the writes of a commit interval in a write buffer (:mod:`kstreams.state.buffered`), so the
same budget bounds both: caches evict their least recently used entries while caches and
buffers together exceed it, and a write buffer asks for an early commit when the buffers
exceed it. With a budget of 0 (no caching) the buffers get :data:`MIN_BUFFER_BYTES`.
"""

from __future__ import annotations

MIN_BUFFER_BYTES = 1024 * 1024
"""What the write buffers of a thread may hold before a commit even with a budget of 0."""


class ThreadCache:
    """The budget shared by the record caches and write buffers of one stream thread.

    ``max_bytes`` is ``statestore.cache.max.bytes`` divided by the number of stream
    threads, as in Kafka Streams (Java: ``ThreadCache``).

    Example::

        budget = ThreadCache(10 * 1024 * 1024)
        budget.size, budget.buffered      # bytes in caches, bytes in write buffers
    """

    __slots__ = ("buffer_limit", "buffered", "max_bytes", "size")

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max(0, int(max_bytes))
        self.size = 0
        """Estimated bytes held by all the record caches of the thread."""
        self.buffered = 0
        """Estimated bytes held by all the write buffers of the thread."""
        self.buffer_limit = self.max_bytes or MIN_BUFFER_BYTES
        """When the write buffers hold more, they ask for a commit."""

    def __repr__(self) -> str:
        return (
            f"ThreadCache(size={self.size}, buffered={self.buffered}, max_bytes={self.max_bytes})"
        )
