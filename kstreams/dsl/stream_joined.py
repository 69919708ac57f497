"""``StreamJoined``: serdes, names, store suppliers and changelog settings of a stream-stream join.

Java's ``StreamJoined``: every setter returns a new instance. The serdes are those of the
join's window stores (and of repartition topics a key-changed side goes through); when one
is not given, kstreams takes the joined streams' own serdes, then the ``default.*.serde``
configs. ``with_name`` names the join's processors (``<name>-this-windowed``,
``<name>-this-join``, ...) and repartition topics (``<name>-left-repartition``);
``with_store_name`` names its stores (``<store>-this-join-store``, ...), else they are named
after the generated processor names, as in Kafka Streams.

Example::

    joined = orders.join(
        payments,
        lambda order, payment: {**order, "paid": payment["amount"]},
        JoinWindows.of_time_difference_with_no_grace(timedelta(minutes=5)),
        StreamJoined.with_(Serdes.String(), JsonSerde(), JsonSerde()).with_store_name("order-pay"),
    )
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from kstreams.state.window_builders import WindowBytesStoreSupplier


def _check_supplier(supplier: Any, what: str) -> WindowBytesStoreSupplier:
    if not isinstance(supplier, WindowBytesStoreSupplier):
        raise TypeError(
            f"{what} must be a window store supplier (Stores.persistent_window_store(..., "
            f"retain_duplicates=True) or Stores.in_memory_window_store(...)), got {supplier!r}"
        )
    return supplier


@dataclass(frozen=True)
class StreamJoined:
    """Options of ``KStream.join / left_join / outer_join`` with another ``KStream``."""

    key_serde: Any = None
    value_serde: Any = None
    other_value_serde: Any = None
    this_store_supplier: WindowBytesStoreSupplier | None = None
    other_store_supplier: WindowBytesStoreSupplier | None = None
    name: str | None = None
    store_name: str | None = None
    logging_enabled: bool = True
    log_config: dict[str, str] = field(default_factory=dict)

    # -- factories ---------------------------------------------------------------------------
    @classmethod
    def with_(
        cls, key_serde: Any = None, value_serde: Any = None, other_value_serde: Any = None
    ) -> StreamJoined:
        """The serdes of the key, this stream's values and the other stream's values."""
        return cls(key_serde, value_serde, other_value_serde)

    @classmethod
    def with_store_suppliers(
        cls,
        this_store_supplier: WindowBytesStoreSupplier,
        other_store_supplier: WindowBytesStoreSupplier,
    ) -> StreamJoined:
        """The two window stores' suppliers (Java: ``StreamJoined.with(supplier, otherSupplier)``)."""
        return cls(
            this_store_supplier=_check_supplier(this_store_supplier, "this_store_supplier"),
            other_store_supplier=_check_supplier(other_store_supplier, "other_store_supplier"),
        )

    @classmethod
    def as_(cls, store_name: str) -> StreamJoined:
        """Stores named after ``store_name`` (Java: ``StreamJoined.as(storeName)``)."""
        return cls().with_store_name(store_name)

    # -- setters (each returns a new StreamJoined) --------------------------------------------
    def with_name(self, name: str) -> StreamJoined:
        """The base of the join's processor names and repartition topic names."""
        if not name:
            raise ValueError("Name must not be empty")
        return replace(self, name=name)

    def with_store_name(self, store_name: str) -> StreamJoined:
        """The base of the join's store names (and so of their changelog topics)."""
        if not store_name:
            raise ValueError("Store name must not be empty")
        return replace(self, store_name=store_name)

    def with_key_serde(self, key_serde: Any) -> StreamJoined:
        """The serde of the keys."""
        return replace(self, key_serde=key_serde)

    def with_value_serde(self, value_serde: Any) -> StreamJoined:
        """The serde of this stream's values."""
        return replace(self, value_serde=value_serde)

    def with_other_value_serde(self, other_value_serde: Any) -> StreamJoined:
        """The serde of the other stream's values."""
        return replace(self, other_value_serde=other_value_serde)

    def with_this_store_supplier(self, supplier: WindowBytesStoreSupplier) -> StreamJoined:
        """The supplier of this stream's window store (it must retain duplicates, and have the
        join's window size and retention: size + grace)."""
        return replace(self, this_store_supplier=_check_supplier(supplier, "this_store_supplier"))

    def with_other_store_supplier(self, supplier: WindowBytesStoreSupplier) -> StreamJoined:
        """The supplier of the other stream's window store (as :meth:`with_this_store_supplier`)."""
        return replace(self, other_store_supplier=_check_supplier(supplier, "other_store_supplier"))

    def with_logging_enabled(self, config: dict[str, str] | None = None) -> StreamJoined:
        """Changelog the join's stores, their topics created with ``config`` (the window
        stores' topics always with ``cleanup.policy=delete``: they retain duplicates)."""
        return replace(self, logging_enabled=True, log_config=dict(config or {}))

    def with_logging_disabled(self) -> StreamJoined:
        """Do not changelog the join's stores (they start empty after a restart elsewhere)."""
        return replace(self, logging_enabled=False, log_config={})
