"""Pending writes laid over a store's sorted entries: what ranges see above a buffer or a cache.

The write buffer (:mod:`kstreams.state.buffered`) and the record cache
(:mod:`kstreams.state.caching`) both hold entries the layer below does not have yet;
their ranges merge those (sorted, None for a delete) into the range of the layer below.
"""

from __future__ import annotations

from collections.abc import Iterator


def merge(
    pending: list[tuple[bytes, bytes | None]], stored: Iterator[tuple[bytes, bytes]]
) -> Iterator[tuple[bytes, bytes]]:
    """Ascending ``stored`` entries with ``pending`` ones (ascending) put over them (None: deleted)."""
    # Both ascending; a buffered entry replaces (or, None, hides) the stored one.
    it = iter(pending)
    nxt = next(it, None)
    for kv in stored:
        key = kv[0]
        while nxt is not None and nxt[0] < key:
            if nxt[1] is not None:
                yield nxt  # type: ignore[misc]
            nxt = next(it, None)
        if nxt is not None and nxt[0] == key:
            if nxt[1] is not None:
                yield nxt  # type: ignore[misc]
            nxt = next(it, None)
        else:
            yield kv
    while nxt is not None:
        if nxt[1] is not None:
            yield nxt  # type: ignore[misc]
        nxt = next(it, None)


def merge_reverse(
    pending: list[tuple[bytes, bytes | None]], stored: Iterator[tuple[bytes, bytes]]
) -> Iterator[tuple[bytes, bytes]]:
    """:func:`merge` for descending entries."""
    # Both descending.
    it = iter(pending)
    nxt = next(it, None)
    for kv in stored:
        key = kv[0]
        while nxt is not None and nxt[0] > key:
            if nxt[1] is not None:
                yield nxt  # type: ignore[misc]
            nxt = next(it, None)
        if nxt is not None and nxt[0] == key:
            if nxt[1] is not None:
                yield nxt  # type: ignore[misc]
            nxt = next(it, None)
        else:
            yield kv
    while nxt is not None:
        if nxt[1] is not None:
            yield nxt  # type: ignore[misc]
        nxt = next(it, None)
