"""``Joined``: the options of a KStream-KTable join (Java: ``Joined``).

Serdes of the stream's key and value (used when the stream is repartitioned first) and of
the table's value, the join's processor name (also the repartition topic's), and a grace
period, which buffers stream records so that they join a *versioned* table as of their
timestamp once stream time has passed it plus the grace (KIP-923).

Example::

    orders.join(customers, lambda order, customer: {**order, "customer": customer},
                Joined.with_(Serdes.String(), Serdes.JSON(), Serdes.JSON())
                      .with_name("enrich")
                      .with_grace_period(timedelta(seconds=30)))
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from kstreams.windows.definitions import Duration, duration_ms


@dataclass(frozen=True)
class Joined:
    """Options of ``KStream.join`` / ``left_join`` with a ``KTable``.

    ``grace_period_ms`` is None when no grace period is set (records join at once).
    """

    key_serde: Any = None
    value_serde: Any = None
    other_value_serde: Any = None
    name: str | None = None
    grace_period_ms: int | None = None

    def __post_init__(self) -> None:
        if self.name is not None and (not isinstance(self.name, str) or not self.name):
            raise ValueError(f"Joined name must be a non-empty string, got {self.name!r}")
        g = self.grace_period_ms
        if g is not None and (not isinstance(g, int) or isinstance(g, bool) or g < 0):
            raise ValueError(f"Joined grace period must be a duration of at least 0 ms, got {g!r}")

    @classmethod
    def with_(
        cls,
        key_serde: Any = None,
        value_serde: Any = None,
        other_value_serde: Any = None,
        name: str | None = None,
        grace_period: Duration | None = None,
    ) -> Joined:
        """``Joined.with_(key_serde, value_serde, other_value_serde)`` (None: the stream's or
        the table's own, else the app's defaults); optionally a name and a grace period."""
        grace = None if grace_period is None else _grace_ms(grace_period)
        return cls(key_serde, value_serde, other_value_serde, name, grace)

    @classmethod
    def key_serde_of(cls, key_serde: Any) -> Joined:
        """Only the key serde (Java's static ``Joined.keySerde``)."""
        return cls(key_serde=key_serde)

    @classmethod
    def value_serde_of(cls, value_serde: Any) -> Joined:
        """Only the stream's value serde (Java's static ``Joined.valueSerde``)."""
        return cls(value_serde=value_serde)

    @classmethod
    def other_value_serde_of(cls, other_value_serde: Any) -> Joined:
        """Only the table's value serde (Java's static ``Joined.otherValueSerde``)."""
        return cls(other_value_serde=other_value_serde)

    @classmethod
    def as_(cls, name: str) -> Joined:
        """Only a name: the join processor's, and the base of its repartition topic's."""
        return cls(name=name)

    def with_key_serde(self, serde: Any) -> Joined:
        """A copy with another key serde."""
        return replace(self, key_serde=serde)

    def with_value_serde(self, serde: Any) -> Joined:
        """A copy with another stream value serde."""
        return replace(self, value_serde=serde)

    def with_other_value_serde(self, serde: Any) -> Joined:
        """A copy with another table value serde."""
        return replace(self, other_value_serde=serde)

    def with_name(self, name: str) -> Joined:
        """A copy with a name for the join processor (and its repartition topic)."""
        return replace(self, name=name)

    def with_grace_period(self, grace_period: Duration) -> Joined:
        """A copy with a grace period (``timedelta`` or ms): stream records wait that long
        behind stream time, then join the (versioned) table as of their own timestamp."""
        return replace(self, grace_period_ms=_grace_ms(grace_period))

    @property
    def grace_period(self) -> int | None:
        """The grace period in ms, or None (Java's ``gracePeriod()``)."""
        return self.grace_period_ms


def _grace_ms(grace: Duration) -> int:
    ms = duration_ms(grace, "gracePeriod")
    if ms < 0:
        raise ValueError(f"Joined grace period must not be negative, got {ms} ms")
    return ms
