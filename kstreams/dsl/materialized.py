"""``Materialized`` and ``Grouped``: how state stores and grouping repartitions are made.

Example::

    counts = words.group_by(lambda k, w: w).count(
        Materialized.as_("counts-store").with_value_serde(Serdes.Long())
    )
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from kstreams.errors import TopologyError

STORE_TYPES = ("rocksdb", "in_memory")


@dataclass(frozen=True)
class Materialized:
    """Name, serdes, store type and logging of the store behind a KTable (Java: ``Materialized``).

    ``store_type`` is ``"rocksdb"`` (default) or ``"in_memory"``; a
    ``store_supplier`` (``Stores.persistent_timestamped_key_value_store(...)``)
    may be given instead of a name. Caching is on by default: the store's
    record cache forwards the latest value of each changed key at commit (see
    :mod:`kstreams.state.caching`); ``with_caching_disabled()`` forwards every update.
    """

    store_name: str | None = None
    store_supplier: Any = None
    key_serde: Any = None
    value_serde: Any = None
    store_type: str | None = None
    logging_enabled: bool = True
    log_config: dict[str, str] = field(default_factory=dict)
    caching_enabled: bool = True
    retention_ms: int | None = None
    """How long a window or session store keeps windows (None: window size + grace)."""

    def __post_init__(self) -> None:
        if self.store_type is not None and self.store_type not in STORE_TYPES:
            raise TopologyError(
                f"Unknown store type {self.store_type!r}; use one of {', '.join(STORE_TYPES)}"
            )

    @classmethod
    def as_(cls, name_or_supplier: Any) -> Materialized:
        """A store with this name, or made by this store supplier."""
        if isinstance(name_or_supplier, str):
            if not name_or_supplier:
                raise TopologyError("Store name must not be empty")
            return cls(store_name=name_or_supplier)
        return cls(
            store_name=getattr(name_or_supplier, "name", None), store_supplier=name_or_supplier
        )

    @classmethod
    def with_(cls, key_serde: Any = None, value_serde: Any = None) -> Materialized:
        """An unnamed store with these serdes."""
        return cls(key_serde=key_serde, value_serde=value_serde)

    def with_key_serde(self, serde: Any) -> Materialized:
        """A copy with another key serde."""
        return replace(self, key_serde=serde)

    def with_value_serde(self, serde: Any) -> Materialized:
        """A copy with another value serde."""
        return replace(self, value_serde=serde)

    def with_store_type(self, store_type: str) -> Materialized:
        """A copy using ``"rocksdb"`` or ``"in_memory"``."""
        return replace(self, store_type=store_type)

    def with_logging_enabled(self, config: dict[str, str] | None = None) -> Materialized:
        """A copy whose changelog topic gets these extra topic configs."""
        return replace(self, logging_enabled=True, log_config=dict(config or {}))

    def with_logging_disabled(self) -> Materialized:
        """A copy without a changelog (state is lost with the local disk)."""
        return replace(self, logging_enabled=False)

    def with_caching_enabled(self) -> Materialized:
        """Put a record cache in front of the store (the default)."""
        return replace(self, caching_enabled=True)

    def with_caching_disabled(self) -> Materialized:
        """No record cache: every update is forwarded downstream."""
        return replace(self, caching_enabled=False)

    def with_retention(self, retention: timedelta | int) -> Materialized:
        """A copy whose window or session store keeps windows this long (Java:
        ``Materialized.withRetention``); ignored by key-value stores.

        The default is the window size plus the grace period (sessions: the inactivity gap
        plus the grace period; sliding windows: twice the time difference plus the grace
        period); a shorter retention is an error when the windowed aggregation is defined.

        Example::

            Materialized.as_("clicks-per-minute").with_retention(timedelta(hours=1))
        """
        from kstreams.windows.definitions import duration_ms

        ms = duration_ms(retention, "retention")
        if ms < 0:
            raise ValueError("Retention must not be negative.")
        return replace(self, retention_ms=ms)


@dataclass(frozen=True)
class Grouped:
    """Serdes and repartition-topic name of a grouping (Java: ``Grouped``)."""

    name: str | None = None
    key_serde: Any = None
    value_serde: Any = None

    @classmethod
    def as_(cls, name: str) -> Grouped:
        """Repartition topic ``<application.id>-<name>-repartition``."""
        return cls(name=name)

    @classmethod
    def with_(cls, key_serde: Any = None, value_serde: Any = None) -> Grouped:
        """Grouping with these serdes."""
        return cls(key_serde=key_serde, value_serde=value_serde)

    def with_key_serde(self, serde: Any) -> Grouped:
        """A copy with another key serde."""
        return replace(self, key_serde=serde)

    def with_value_serde(self, serde: Any) -> Grouped:
        """A copy with another value serde."""
        return replace(self, value_serde=serde)

    def with_name(self, name: str) -> Grouped:
        """A copy with a name."""
        return replace(self, name=name)
