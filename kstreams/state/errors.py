"""Errors of the state layer."""

from __future__ import annotations

from kstreams.errors import IllegalStateError


class InvalidStateStoreError(IllegalStateError):
    """The store is closed, not yet initialized or otherwise unusable (Java: ``InvalidStateStoreException``)."""
