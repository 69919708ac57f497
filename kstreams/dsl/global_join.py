"""How ``KStream.join`` / ``left_join`` with a ``GlobalKTable`` is recorded (Java's
``KStreamImpl.globalTableJoin``).

No repartition and no co-partitioning: the stream keeps its partitioning, each record
finds its table row through ``key_selector(key, value)`` in the instance's global store.
The join processor is named ``KSTREAM-LEFTJOIN-<n>`` for both the inner and the left join
(as Kafka Streams names them), or ``named``; it is connected to no store (``describe()`` shows ``stores: []``), as in Kafka Streams;
the result stream has the stream's key serde and no value serde.

Example::

    orders.left_join(customers, lambda order_id, order: order["customer"],
                     lambda order, customer: {**order, "customer": customer})
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kstreams.dsl.global_table import GlobalKTable
from kstreams.dsl.graph import GraphNode
from kstreams.dsl.options import Named
from kstreams.dsl.stream_table_join import LEFTJOIN_NAME, joiner_takes_key
from kstreams.errors import TopologyError
from kstreams.processor.global_join import KStreamGlobalKTableJoinProcessor
from kstreams.topology.topology import Topology

if TYPE_CHECKING:
    from kstreams.dsl.kstream import KStream


def _name_of(named: Named | str | None) -> str | None:
    if named is None or isinstance(named, str):
        return named
    if isinstance(named, Named):
        return named.name
    raise TypeError(f"named must be a Named or a str, got {named!r}")


def join_global_table(
    stream: KStream,
    global_table: GlobalKTable,
    key_selector: Callable[[Any, Any], Any],
    joiner: Callable[..., Any],
    *,
    left: bool,
    named: Named | str | None = None,
) -> KStream:
    """Record ``stream.join(global_table, key_selector, joiner)`` (``left``: ``left_join``).

    ``key_selector(key, value) -> table key``; ``joiner(value, table_value)`` or
    ``joiner(key, value, table_value)`` (by its arity).
    """
    from kstreams.dsl.kstream import KStream

    if not isinstance(global_table, GlobalKTable):
        raise TypeError(f"global_table must be a GlobalKTable, got {global_table!r}")
    if not callable(key_selector):
        raise TypeError(
            f"key_selector must be callable (key, value) -> table key, got {key_selector!r}"
        )
    if not callable(joiner):
        raise TypeError(f"joiner must be callable, got {joiner!r}")
    if global_table._builder is not stream._builder:
        raise TopologyError("Cannot join a stream and a global table of different StreamsBuilders")
    graph = stream._builder.graph
    # Kafka Streams names both joins KSTREAM-LEFTJOIN-<n>
    name = graph.name_or_generate(_name_of(named), LEFTJOIN_NAME)
    getters = global_table._value_getter_supplier()
    with_key = joiner_takes_key(joiner)
    parent = stream.name

    def supplier() -> KStreamGlobalKTableJoinProcessor:
        return KStreamGlobalKTableJoinProcessor(getters, key_selector, joiner, with_key, left)

    def write(topology: Topology) -> None:
        topology.add_processor(name, supplier, parent)

    graph.add(GraphNode(name, [parent], write))
    return KStream(stream._builder, name, stream.key_serde, None, stream.repartition_required)
