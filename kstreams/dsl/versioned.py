"""Versioned tables in the DSL: which KTables are versioned, their store builders, Java's refusals.

A KTable is versioned when it is materialized with a versioned store supplier
(``Materialized.as_(Stores.persistent_versioned_key_value_store(...))``), or when it
is not materialized and its parent is versioned (Java's ``isOutputVersioned`` and
``isVersionedUpstream``). A graph node records its own answer in the tag
:data:`OUTPUT_VERSIONED` (table sources: True or False; other materialized tables:
False); :func:`is_versioned_upstream` walks up to the nearest answer. Operators with
versioned semantics (table-table joins, ``group_by``) ignore out-of-order updates of a
versioned parent: changes with ``is_latest`` False.

Kafka Streams' restrictions: no record cache on versioned stores (caching is skipped
with an info log), ``suppress()`` refuses versioned tables (and so will global tables). Here a
versioned store can materialize table sources (``builder.table``, ``KStream.to_table``)
only; other operators refuse a versioned supplier with a :class:`TopologyError`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from kstreams.errors import TopologyError

if TYPE_CHECKING:
    from kstreams.dsl.graph import StreamsGraph
    from kstreams.dsl.materialized import Materialized

log = logging.getLogger(__name__)

OUTPUT_VERSIONED = "output_versioned"
"""Graph-node tag: whether the node's output table is versioned (absent: as its parents)."""


def is_versioned(m: Materialized | None) -> bool:
    """Whether ``m`` asks for a versioned store."""
    from kstreams.state.versioned_builders import VersionedBytesStoreSupplier

    return m is not None and isinstance(m.store_supplier, VersionedBytesStoreSupplier)


def is_versioned_upstream(graph: StreamsGraph, name: str) -> bool:
    """Whether the table output by graph node ``name`` is versioned (Java: ``isVersionedOrVersionedUpstream``).

    A node without the tag is versioned when it has parents and all of them are.
    """
    nodes = {n.name: n for n in graph.nodes}
    seen: dict[str, bool] = {}

    def versioned(node_name: str) -> bool:
        if node_name in seen:
            return seen[node_name]
        seen[node_name] = False  # no cycles in a DSL graph; guard anyway
        node = nodes.get(node_name)
        if node is None:
            return False
        tag = node.tags.get(OUTPUT_VERSIONED)
        if tag is not None:
            answer = bool(tag)
        else:
            answer = bool(node.parents) and all(versioned(p) for p in node.parents)
        seen[node_name] = answer
        return answer

    return versioned(name)


def check_suppress(graph: StreamsGraph, parent: str) -> None:
    """Refuse ``suppress()`` on a versioned table (Java's message)."""
    if is_versioned_upstream(graph, parent):
        raise TopologyError(
            "suppress() is only supported for non-versioned KTables "
            "(note that version semantics might be inherited from upstream)"
        )


def refuse_versioned(m: Materialized, operation: str) -> None:
    """Refuse a versioned supplier for an operator that cannot use one."""
    if is_versioned(m):
        raise TopologyError(
            f"Store {m.store_supplier.name}: a versioned store can materialize a table source "
            f"(StreamsBuilder.table, KStream.to_table) only, not {operation}; use "
            "Stores.persistent_timestamped_key_value_store or a store name"
        )


def versioned_store_builder(m: Materialized, key_serde: Any, value_serde: Any) -> Any:
    """The ``VersionedKeyValueStoreBuilder`` of a versioned ``m`` (caching skipped, as in Java)."""
    from kstreams.state import Stores

    supplier = m.store_supplier
    builder = Stores.versioned_key_value_store_builder(supplier, key_serde, value_serde)
    if m.logging_enabled:
        builder.with_logging_enabled(m.log_config)
    else:
        builder.with_logging_disabled()
    if m.caching_enabled:
        log.info(
            "Not enabling caching for store '%s' as versioned stores do not support caching.",
            supplier.name,
        )
    return builder
