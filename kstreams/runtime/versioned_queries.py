"""Interactive queries of versioned stores: the latest or an as-of version over the local tasks.

Kafka Streams answers these through IQv2 (``VersionedKeyQuery``); here
``KafkaStreams.store(name)`` of a versioned store gives a
:class:`ReadOnlyCompositeVersionedStore` with the store's own ``get(key)`` and
``get(key, as_of_timestamp)``, with the checks of every interactive query
(:class:`~kstreams.runtime.queries.LocalStores`).
"""

from __future__ import annotations

from typing import Any

from kstreams.runtime.queries import LocalStores
from kstreams.state.versioned import VersionedRecord


class ReadOnlyCompositeVersionedStore(LocalStores):
    """A read-only view of a versioned store over the local tasks' instances.

    Example::

        prices = streams.store("prices")
        prices.get("apple")                  # VersionedRecord(value=4, timestamp=2000)
        prices.get("apple", 1_500)           # VersionedRecord(value=3, timestamp=1000, valid_to=2000)
    """

    def get(self, key: Any, as_of_timestamp: int | None = None) -> VersionedRecord[Any] | None:
        """The latest version of ``key`` (or the one valid at ``as_of_timestamp``); None if none here.

        None only when the same running set of tasks was there before and after the read.
        """
        if key is None:
            raise ValueError(f"key cannot be null (store {self.name})")
        if as_of_timestamp is None:
            return self._first(lambda store: store.get(key))  # type: ignore[no-any-return]
        return self._first(lambda store: store.get(key, as_of_timestamp))  # type: ignore[no-any-return]
