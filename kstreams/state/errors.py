"""Errors of the state layer and of interactive queries (Java: ``InvalidStateStoreException`` and kin).

Every one is an :class:`InvalidStateStoreError`: a query that catches that one catches all.
"""

from __future__ import annotations

from kstreams.errors import IllegalStateError


class InvalidStateStoreError(IllegalStateError):
    """The store is closed, not yet initialized or otherwise unusable (Java: ``InvalidStateStoreException``)."""


class UnknownStateStoreError(InvalidStateStoreError):
    """The topology has no store of that name: retrying will not help (Java: ``UnknownStateStoreException``)."""


class StreamsNotStartedError(InvalidStateStoreError):
    """The client is CREATED: retry after ``start()`` (Java: ``StreamsNotStartedException``)."""


class StreamsRebalancingError(InvalidStateStoreError):
    """A rebalance is under way, or the store's tasks here are being created, restored or
    suspended: retry once the client is RUNNING again, or query stale stores
    (Java: ``StreamsRebalancingException``)."""


class StateStoreMigratedError(InvalidStateStoreError):
    """No task of this instance hosts the store (any more): it may have moved to another
    instance; find where it lives now before retrying (Java: ``StateStoreMigratedException``)."""


class StreamsStoppedError(InvalidStateStoreError):
    """The client is shutting down or stopped (PENDING_SHUTDOWN, NOT_RUNNING, PENDING_ERROR,
    ERROR): query another instance (Java: ``StreamsStoppedException``)."""


class InvalidStateStorePartitionError(InvalidStateStoreError):
    """The partition asked for is not hosted by this instance
    (Java: ``InvalidStateStorePartitionException``)."""
