"""Versioned key-value stores (KIP-889): every version of a key, each valid from its timestamp.

:class:`VersionedKeyValueStore` is the typed interface (Java: ``VersionedKeyValueStore``),
:class:`VersionedRecord` what its reads return. A put of ``(key, value, timestamp)``
adds a version valid from ``timestamp`` until the next version's timestamp (its
``valid_to``); ``get(key)`` is the latest version, ``get(key, as_of_timestamp)`` the
version valid at that time. The store keeps old versions for ``history_retention``
of observed stream time (the largest timestamp put so far): older puts are refused
(:data:`PUT_RETURN_CODE_NOT_PUT`) and older reads return None, except that the latest
version of a key never expires.

Example::

    store = driver.get_versioned_key_value_store("prices")
    store.put("apple", 3, 1_000)
    store.put("apple", 4, 2_000)
    store.get("apple", 1_500)        # VersionedRecord(value=3, timestamp=1000, valid_to=2000)
    store.get("apple")               # VersionedRecord(value=4, timestamp=2000)
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, overload

from kstreams.errors import StreamsError
from kstreams.state.api import StateStore

V = TypeVar("V")

PUT_RETURN_CODE_VALID_TO_UNDEFINED = -1
"""What ``put`` returns when the version put is the latest one (its validTo is open)."""
PUT_RETURN_CODE_NOT_PUT = -(2**63)
"""What ``put`` returns when the version was not put: older than the history retention."""


class UnsupportedOperationError(StreamsError):
    """A write to a read-only store view (Java: ``UnsupportedOperationException``)."""


@dataclass(frozen=True)
class VersionedRecord(Generic[V]):
    """A version of a key: its value, its timestamp (validFrom) and, if known, its validTo.

    ``valid_to`` is None for the latest version of a key (Java: ``Optional.empty()``).

    Example::

        VersionedRecord("v", 10, valid_to=20)   # valid in [10, 20)
    """

    value: V
    timestamp: int
    valid_to: int | None = None

    def __post_init__(self) -> None:
        if self.value is None:
            raise ValueError("value cannot be null")
        if self.valid_to is not None and self.valid_to < self.timestamp:
            raise ValueError(
                f"validTo ({self.valid_to}) must be greater than or equal to timestamp "
                f"({self.timestamp})"
            )

    def __repr__(self) -> str:
        valid_to = "" if self.valid_to is None else f", valid_to={self.valid_to}"
        return f"VersionedRecord(value={self.value!r}, timestamp={self.timestamp}{valid_to})"


class VersionedKeyValueStore(StateStore, Generic[V]):
    """The typed interface of versioned stores (Java: ``VersionedKeyValueStore``).

    Keys may not be None; a None value (or :meth:`delete`) puts a tombstone version.
    """

    PUT_RETURN_CODE_VALID_TO_UNDEFINED = PUT_RETURN_CODE_VALID_TO_UNDEFINED
    PUT_RETURN_CODE_NOT_PUT = PUT_RETURN_CODE_NOT_PUT

    @property
    @abstractmethod
    def history_retention(self) -> int:
        """How long (ms of stream time) old versions stay readable."""

    @abstractmethod
    def put(self, key: Any, value: V | None, timestamp: int) -> int:
        """Add a version of ``key`` valid from ``timestamp`` (None: a tombstone).

        Returns the validTo of the version put, :data:`PUT_RETURN_CODE_VALID_TO_UNDEFINED`
        when it is the latest, or :data:`PUT_RETURN_CODE_NOT_PUT` when ``timestamp`` is
        older than the history retention allows.
        """

    @abstractmethod
    def delete(self, key: Any, timestamp: int) -> VersionedRecord[V] | None:
        """Put a tombstone at ``timestamp``; return the version valid at that time (or None)."""

    @overload
    def get(self, key: Any) -> VersionedRecord[V] | None: ...

    @overload
    def get(self, key: Any, as_of_timestamp: int) -> VersionedRecord[V] | None: ...

    @abstractmethod
    def get(self, key: Any, as_of_timestamp: int | None = None) -> VersionedRecord[V] | None:
        """The latest version of ``key``, or the one valid at ``as_of_timestamp``; None if none.

        A version older than the history retention is None, unless it is the latest.
        """


class ReadOnlyVersionedKeyValueStore(Generic[V]):
    """A read-only view of a versioned store (interactive queries; Java: ``readOnly()``).

    Example::

        view = streams.store("prices")
        view.get("apple", 1_500)
    """

    def __init__(self, store: VersionedKeyValueStore[V]) -> None:
        self._store = store

    def __repr__(self) -> str:
        return f"ReadOnlyVersionedKeyValueStore({self._store.name!r})"

    @property
    def name(self) -> str:
        """The store's name."""
        return self._store.name

    @property
    def history_retention(self) -> int:
        """How long (ms of stream time) old versions stay readable."""
        return self._store.history_retention

    def get(self, key: Any, as_of_timestamp: int | None = None) -> VersionedRecord[V] | None:
        """The latest version of ``key``, or the one valid at ``as_of_timestamp``."""
        if as_of_timestamp is None:
            return self._store.get(key)
        return self._store.get(key, as_of_timestamp)

    def put(self, key: Any, value: Any, timestamp: int) -> int:
        """Refused: the view is read-only."""
        raise UnsupportedOperationError("A read-only versioned store does not allow put()")

    def delete(self, key: Any, timestamp: int) -> Any:
        """Refused: the view is read-only."""
        raise UnsupportedOperationError("A read-only versioned store does not allow delete()")
