"""How ``KTable.suppress`` is recorded: names, the window grace search, the processor and its buffer.

Kafka Streams' ``KTableImpl.suppress`` and ``GraphGraceSearchUtil``: the processor is
``KTABLE-SUPPRESS-<n>`` (or the name given), its buffer store ``KTABLE-SUPPRESS-STATE-STORE-<n>``
(or ``<name>-store``); ``until_window_closes`` takes its suppression time from the grace
period of the windowed aggregation upstream (the largest, if several), found by walking the
recorded graph up from the suppressed table (:mod:`kstreams.dsl.grace`).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from kstreams.dsl.grace import find_and_verify_window_grace
from kstreams.dsl.graph import GraphNode
from kstreams.dsl.suppressed import BufferConfig, BufferFullStrategy, Suppressed
from kstreams.errors import TopologyError
from kstreams.processor.suppress import KTableSuppressProcessor
from kstreams.serde.windowed import CountWindowedSerde, SessionWindowedSerde
from kstreams.state.time_ordered_buffer import TimeOrderedKeyValueBufferBuilder
from kstreams.topology.topology import Topology

if TYPE_CHECKING:
    from kstreams.dsl.ktable import KTable

log = logging.getLogger("kstreams")

SUPPRESS_NAME = "KTABLE-SUPPRESS-"
SUPPRESS_BUFFER_TAG = "suppress_buffer_store"
"""The graph tag naming a suppression's buffer store (read by the suppressed table's value getter)."""


def _derives_from_count_windows(graph: Any, name: str) -> bool:
    from kstreams.dsl.count_windowed import COUNT_WINDOWS_TAG

    nodes = {n.name: n for n in graph.nodes}
    todo, seen = [name], set()
    while todo:
        node = nodes.get(todo.pop())
        if node is None or node.name in seen:
            continue
        seen.add(node.name)
        if node.tags.get(COUNT_WINDOWS_TAG):
            return True
        todo.extend(node.parents)
    return False


def add_suppress(table: KTable, suppressed: Suppressed) -> tuple[str, Any]:
    """Record the suppression of ``table``; returns the processor name and the new table's
    supplier (old values come from the parent, which is made to send them)."""
    from kstreams.dsl.table_values import TableOperator

    if not isinstance(suppressed, Suppressed):
        raise TypeError(
            "KTable.suppress takes a Suppressed (Suppressed.until_window_closes(...) or "
            f"Suppressed.until_time_limit(...)), got {suppressed!r}"
        )
    graph = table._builder.graph
    name = suppressed.name or graph.new_name(SUPPRESS_NAME)
    config: BufferConfig = suppressed.buffer_config
    if suppressed.final_results:
        try:
            suppress_ms = find_and_verify_window_grace(graph, table.name)
        except TopologyError:
            if _derives_from_count_windows(graph, table.name):
                raise TopologyError(
                    f"Suppressed.until_window_closes does not apply to count windows "
                    f"(upstream of {table.name}): their aggregations forward each window once, "
                    "when it is complete, already. Use Suppressed.until_time_limit to hold "
                    "results back by time."
                ) from None
            raise
        log.info(
            "Using grace period of [%d ms] as the suppress duration for node [%s].",
            suppress_ms,
            name,
        )
    else:
        assert suppressed.time_limit_ms is not None
        suppress_ms = suppressed.time_limit_ms
    store = (
        f"{suppressed.name}-store"
        if suppressed.name
        else graph.new_name(f"{SUPPRESS_NAME}STATE-STORE-")
    )
    # the buffer keeps the prior value of each key: the parent must send old values
    table._enable_sending_old_values(True)
    key_serde, value_serde = table.key_serde, table.value_serde
    if isinstance(key_serde, SessionWindowedSerde) and _derives_from_count_windows(
        graph, table.name
    ):
        # the buffer keeps count windows whole (record numbers too); what it emits then
        # is the CountWindow the aggregation forwarded
        key_serde = CountWindowedSerde(key_serde.inner)
    parent = table.name
    final = suppressed.final_results

    def supplier() -> KTableSuppressProcessor:
        return KTableSuppressProcessor(
            store,
            suppress_ms,
            window_end_time=final,
            max_records=config.record_limit,
            max_bytes=config.byte_limit,
            shut_down_when_full=config.buffer_full_strategy is BufferFullStrategy.SHUT_DOWN,
            safe_to_drop_tombstones=final,
        )

    def write(topology: Topology) -> None:
        builder = TimeOrderedKeyValueBufferBuilder(store, key_serde, value_serde)
        if config.logging_enabled:
            builder.with_logging_enabled(config.log_config)
        else:
            builder.with_logging_disabled()
        topology.add_processor(name, supplier, parent)
        topology.add_state_store(builder, name)

    graph.add(GraphNode(name, [parent], write, tags={SUPPRESS_BUFFER_TAG: store}))
    return name, TableOperator(table, None)
