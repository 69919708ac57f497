"""``TableJoined``: the options of a foreign-key join (Java: ``TableJoined``).

A name for the join's processors and topics, and the partitioners of the two tables when
they are not written with the default partitioner (so that a subscription reaches the
partition of its foreign key, and a response the partition of its primary key).

Example::

    orders.join(products, lambda order: order["product"], joiner,
                TableJoined.as_("order-products"))
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from kstreams.topology.nodes import StreamPartitioner


@dataclass(frozen=True)
class TableJoined:
    """Name and partitioners of a foreign-key join.

    ``partitioner(topic, key, value, num_partitions) -> partition`` partitions the left
    (primary-key) table's topic, ``other_partitioner`` the foreign table's; the value they
    get is always None, as Kafka Streams passes no value. None: the default partitioner.
    """

    partitioner: StreamPartitioner | None = None
    other_partitioner: StreamPartitioner | None = None
    name: str | None = None

    @staticmethod
    def with_(
        partitioner: StreamPartitioner | None, other_partitioner: StreamPartitioner | None
    ) -> TableJoined:
        """Both tables' partitioners (None: the default partitioner)."""
        _check(partitioner, "partitioner")
        _check(other_partitioner, "other_partitioner")
        return TableJoined(partitioner, other_partitioner)

    @staticmethod
    def as_(name: str) -> TableJoined:
        """A base name for the join's processors, store and internal topics."""
        _check_name(name)
        return TableJoined(name=name)

    def with_name(self, name: str) -> TableJoined:
        """These options with a base name."""
        _check_name(name)
        return replace(self, name=name)

    def with_partitioner(self, partitioner: StreamPartitioner | None) -> TableJoined:
        """These options with the left table's partitioner."""
        _check(partitioner, "partitioner")
        return replace(self, partitioner=partitioner)

    def with_other_partitioner(self, other_partitioner: StreamPartitioner | None) -> TableJoined:
        """These options with the foreign table's partitioner."""
        _check(other_partitioner, "other_partitioner")
        return replace(self, other_partitioner=other_partitioner)


def _check(fn: Any, what: str) -> None:
    if fn is not None and not callable(fn):
        raise TypeError(
            f"TableJoined {what} must be a function (topic, key, value, num_partitions) -> "
            f"partition, got {fn!r}"
        )


def _check_name(name: Any) -> None:
    if not isinstance(name, str) or not name:
        raise TypeError(f"TableJoined name must be a non-empty string, got {name!r}")
