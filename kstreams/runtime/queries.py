"""Interactive queries: read a store across every task of this instance (Java: ``KafkaStreams.store``)."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator
from typing import Any

from kstreams.state import TimestampedKeyValueStore


class ReadOnlyCompositeStore:
    """A read-only key-value view over the local tasks' instances of one store.

    Each key lives in exactly one partition, so ``get`` asks each task's store
    until one has it; ``all`` and ``range`` merge the tasks' ordered iterators
    by serialized key. Timestamped stores answer with plain values, like
    Java's ``QueryableStoreTypes.keyValueStore()``.
    """

    def __init__(self, name: str, threads: Callable[[], list[Any]]) -> None:
        self.name = name
        self._threads = threads

    def _stores(self) -> list[Any]:
        out = []
        for thread in self._threads():
            for task in list(thread.tasks.values()):
                store = task.stores.stores.get(self.name)
                if store is not None:
                    out.append(store)
        return out

    @staticmethod
    def _plain(store: Any, value: Any) -> Any:
        if value is not None and isinstance(store, TimestampedKeyValueStore):
            return value.value
        return value

    def get(self, key: Any) -> Any:
        """The value of ``key`` on this instance, or None."""
        for store in self._stores():
            value = store._get_concurrent(key)
            if value is not None:
                return self._plain(store, value)
        return None

    def _merged(
        self, iters: list[tuple[Any, Iterator[tuple[Any, Any]]]], reverse: bool
    ) -> Iterator[tuple[Any, Any]]:
        def keyed(store: Any, it: Iterator[tuple[Any, Any]]) -> Iterator[tuple[bytes, Any, Any]]:
            ser = store.key_serde.serialize
            topic = store.changelog_topic or store.name
            for k, v in it:
                yield ser(topic, k), k, self._plain(store, v)

        merged = heapq.merge(
            *(keyed(s, it) for s, it in iters), key=lambda t: t[0], reverse=reverse
        )
        for _, k, v in merged:
            yield k, v

    def range(self, from_key: Any = None, to_key: Any = None) -> Iterator[tuple[Any, Any]]:
        """Entries from ``from_key`` to ``to_key`` (inclusive) in serialized-key order."""
        return self._merged(
            [(s, s._range(from_key, to_key, False, True)) for s in self._stores()], False
        )

    def reverse_range(self, from_key: Any = None, to_key: Any = None) -> Iterator[tuple[Any, Any]]:
        """:meth:`range` backwards."""
        return self._merged(
            [(s, s._range(from_key, to_key, True, True)) for s in self._stores()], True
        )

    def all(self) -> Iterator[tuple[Any, Any]]:
        """Every entry on this instance, in serialized-key order."""
        return self._merged([(s, s._range(None, None, False, True)) for s in self._stores()], False)

    def reverse_all(self) -> Iterator[tuple[Any, Any]]:
        """Every entry, backwards."""
        return self._merged([(s, s._range(None, None, True, True)) for s in self._stores()], True)

    def approximate_num_entries(self) -> int:
        """About how many entries this instance holds."""
        return sum(s.approximate_num_entries() for s in self._stores())
