"""``KTable``: a changelog stream seen as a table -- the latest value per key (Java: ``KTable``).

Example::

    users = builder.table("users", key_serde=Serdes.String(), value_serde=Serdes.JSON())
    by_country = users.group_by(lambda uid, user: (user["country"], uid)).count()
    by_country.to_stream().to("users-per-country", value_serde=Serdes.Long())
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kstreams.dsl.graph import GraphNode
from kstreams.dsl.kgrouped import KGroupedTable
from kstreams.dsl.kstream import KStream, takes_key
from kstreams.dsl.materialized import Grouped
from kstreams.dsl.options import Named
from kstreams.processor.table import (
    TableFilterProcessor,
    TableMapValuesProcessor,
    TableRepartitionMapProcessor,
    TableToStreamProcessor,
)
from kstreams.topology.topology import Topology

if TYPE_CHECKING:
    from kstreams.builder import StreamsBuilder


def _named(named: Named | str | None) -> str | None:
    if named is None or isinstance(named, str):
        return named
    return named.name


class KTable:
    """A table of the latest value per key; every operation returns a new KTable or a stream.

    ``queryable_store_name`` names the store that holds it (for
    ``KafkaStreams.store`` and the test driver), when it is materialized.
    """

    def __init__(
        self,
        builder: StreamsBuilder,
        name: str,
        key_serde: Any,
        value_serde: Any,
        store_name: str | None = None,
    ) -> None:
        self._builder = builder
        self.name = name
        self.key_serde = key_serde
        self.value_serde = value_serde
        self.queryable_store_name = store_name

    def _add(self, prefix: str, supplier: Callable[[], Any], named: Named | str | None) -> str:
        graph = self._builder.graph
        name = graph.name_or_generate(_named(named), prefix)
        parent = self.name

        def write(topology: Topology) -> None:
            topology.add_processor(name, supplier, parent)

        graph.add(GraphNode(name, [parent], write))
        return name

    def filter(
        self, predicate: Callable[[Any, Any], bool], named: Named | str | None = None
    ) -> KTable:
        """Keep rows for which ``predicate(key, value)`` holds; others read as deleted."""
        name = self._add("KTABLE-FILTER-", lambda: TableFilterProcessor(predicate), named)
        return KTable(self._builder, name, self.key_serde, self.value_serde)

    def filter_not(
        self, predicate: Callable[[Any, Any], bool], named: Named | str | None = None
    ) -> KTable:
        """Drop rows for which ``predicate(key, value)`` holds."""
        name = self._add("KTABLE-FILTER-", lambda: TableFilterProcessor(predicate, True), named)
        return KTable(self._builder, name, self.key_serde, self.value_serde)

    def map_values(
        self,
        mapper: Callable[..., Any],
        named: Named | str | None = None,
        *,
        with_key: bool | None = None,
    ) -> KTable:
        """Each row's value becomes ``mapper(value)`` (or ``mapper(key, value)``)."""
        wk = takes_key(mapper) if with_key is None else with_key
        name = self._add("KTABLE-MAPVALUES-", lambda: TableMapValuesProcessor(mapper, wk), named)
        return KTable(self._builder, name, self.key_serde, None)

    def to_stream(self, named: Named | str | None = None) -> KStream:
        """The table's updates as a stream (a deleted row becomes a record with a None value)."""
        name = self._add("KTABLE-TOSTREAM-", TableToStreamProcessor, named)
        return KStream(self._builder, name, self.key_serde, self.value_serde)

    def group_by(
        self,
        selector: Callable[[Any, Any], Any],
        grouped: Grouped | None = None,
        *,
        key_serde: Any = None,
        value_serde: Any = None,
    ) -> KGroupedTable:
        """Re-group rows by ``selector(key, value) -> (new_key, new_value)`` for an aggregation."""
        g = grouped or Grouped()
        name = self._add("KTABLE-SELECT-", lambda: TableRepartitionMapProcessor(selector), g.name)
        return KGroupedTable(
            self._builder, name, key_serde or g.key_serde, value_serde or g.value_serde, g
        )
