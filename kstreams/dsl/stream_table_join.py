"""How ``KStream.join`` / ``left_join`` with a ``KTable`` is recorded (Java's ``KStreamImpl.doStreamTableJoin``).

Names as Kafka Streams draws them: after a key-changing operation the stream first goes
through a repartition topic ``<Joined name, else the stream's node name>-repartition``
(filter, sink and source named after it, or generated when the base is a generated name), then
the join processor ``KSTREAM-JOIN-<n>`` / ``KSTREAM-LEFTJOIN-<n>`` (or the ``Joined`` name).
The processor is connected to the stores the table's value getter reads (an unnamed source
table is materialized for it), so the stream and the table are in one sub-topology and the
app checks at start-up that their topics are co-partitioned (a repartition topic takes the
table's partition count). With ``Joined.with_grace_period`` the processor gets a buffer store
``<name>-Buffer`` (changelog ``<app>-<name>-Buffer-changelog``), and every store the table is
read from must be versioned, with a history retention of at least the grace period.
"""

from __future__ import annotations

import inspect
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kstreams.dsl.graph import GraphNode
from kstreams.dsl.joined import Joined
from kstreams.dsl.options import Named
from kstreams.dsl.stores import repartition_names, write_repartition
from kstreams.errors import TopologyError
from kstreams.processor import stateless as ops
from kstreams.processor.stream_table_join import NOT_VERSIONED, KStreamKTableJoinProcessor
from kstreams.processor.value_getters import history_retention_of, is_versioned_store_builder
from kstreams.state.join_buffer import TimeOrderedKeyValueJoinBufferBuilder
from kstreams.topology.topology import Topology

if TYPE_CHECKING:
    from kstreams.dsl.kstream import KStream
    from kstreams.dsl.ktable import KTable

JOIN_NAME = "KSTREAM-JOIN-"
LEFTJOIN_NAME = "KSTREAM-LEFTJOIN-"


def joiner_takes_key(joiner: Callable[..., Any]) -> bool:
    """Whether ``joiner`` is a joiner with key (``(key, value, other)``): three positional
    parameters; two (``(value, other)``) make a plain ``ValueJoiner``."""
    try:
        params = inspect.signature(joiner).parameters.values()
    except (TypeError, ValueError):
        return False
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return False
    positional = [
        p
        for p in params
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    ]
    return len(positional) >= 3


def _name_of(named: Named | str | None) -> str | None:
    if named is None or isinstance(named, str):
        return named
    if isinstance(named, Named):
        return named.name
    raise TypeError(f"named must be a Named or a str, got {named!r}")


def join_table(
    stream: KStream,
    table: KTable,
    joiner: Callable[..., Any],
    joined: Joined | None,
    *,
    left: bool,
    named: Named | str | None = None,
) -> KStream:
    """Record ``stream.join(table, joiner, joined)`` (``left``: ``left_join``); the joined stream.

    ``joiner(value, table_value)`` or ``joiner(key, value, table_value)`` (by its arity);
    ``named`` (if given) overrides ``joined``'s name.
    """
    from kstreams.dsl.kstream import KStream
    from kstreams.dsl.ktable import KTable

    if not isinstance(table, KTable):
        raise TypeError(f"table must be a KTable, got {table!r}")
    if not callable(joiner):
        raise TypeError(f"joiner must be callable, got {joiner!r}")
    if joined is None:
        joined = Joined()
    elif not isinstance(joined, Joined):
        raise TypeError(f"joined must be a Joined (Joined.with_(...)), got {joined!r}")
    if table._builder is not stream._builder:
        raise TopologyError("Cannot join a stream and a table of different StreamsBuilders")
    graph = stream._builder.graph
    name_given = _name_of(named) or joined.name
    key_serde = joined.key_serde or stream.key_serde
    value_serde = joined.value_serde or stream.value_serde
    parent = stream.name
    if stream.repartition_required:
        parent = join_repartition(stream, name_given or stream.name, key_serde, value_serde)
    name = graph.name_or_generate(name_given, LEFTJOIN_NAME if left else JOIN_NAME)
    grace = joined.grace_period_ms
    if grace is not None and _known_unversioned(graph, table.name):
        raise ValueError(NOT_VERSIONED)  # Java: the table's own node says it is not versioned
    getters = table._value_getter_supplier()
    buffer: TimeOrderedKeyValueJoinBufferBuilder | None = None
    if grace is not None:
        buffer = TimeOrderedKeyValueJoinBufferBuilder(
            f"{name}-Buffer", grace, key_serde, value_serde
        )
    with_key = joiner_takes_key(joiner)
    buffer_name = None if buffer is None else buffer.name

    def supplier() -> KStreamKTableJoinProcessor:
        return KStreamKTableJoinProcessor(getters, joiner, with_key, left, buffer_name)

    def write(topology: Topology) -> None:
        topology.add_processor(name, supplier, parent)
        if buffer is not None:
            topology.add_state_store(buffer, name)
        store_names = getters.store_names()
        topology.connect_processor_and_state_stores(name, store_names=store_names)
        if grace is not None:
            for store in store_names:
                builder = topology.state_stores.get(store)
                if not is_versioned_store_builder(builder):
                    raise TopologyError(
                        f"{NOT_VERSIONED} (join {name}: the table is read from store {store}, "
                        "which is not versioned; materialize the table with "
                        "Stores.persistent_versioned_key_value_store)"
                    )
                retention = history_retention_of(builder)
                if retention is not None and grace > retention:
                    raise TopologyError(
                        f"History retention must be at least grace period. (join {name}: "
                        f"grace {grace} ms, store {store} keeps {retention} ms of history)"
                    )

    graph.add(GraphNode(name, [parent], write))
    return KStream(stream._builder, name, key_serde, None, False)


def _known_unversioned(graph: Any, name: str) -> bool:
    """Whether graph node ``name`` says its table is not versioned (Java's
    ``graphNode.isOutputVersioned()`` present and false): an unversioned table source or
    materialized table, a suppression. Tables that inherit are checked when built."""
    from kstreams.dsl.suppress_node import SUPPRESS_BUFFER_TAG
    from kstreams.dsl.versioned import OUTPUT_VERSIONED

    node = next((n for n in graph.nodes if n.name == name), None)
    if node is None:
        return False
    return node.tags.get(OUTPUT_VERSIONED) is False or SUPPRESS_BUFFER_TAG in node.tags


_REPARTITIONS: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()
"""A re-keyed stream's join repartition source, for the next join of that stream with a
generated name (Java's ``KStreamImpl.repartitionNode``)."""


def join_repartition(stream: KStream, topic_base: str, key_serde: Any, value_serde: Any) -> str:
    """The source of the repartition a join of the re-keyed ``stream`` reads (Java's
    ``KStreamImpl.repartitionForJoin``): ``filter -> sink -> <topic_base>-repartition -> source``.

    The names are always drawn; a stream joined again with no name given (``topic_base`` is
    the stream's own name) reuses its first repartition, as Kafka Streams does. Unlike a
    grouping's, the filter lets records with a None key through (Java 4.4's
    ``(k, v) -> true``): a left join still joins them.
    """
    graph = stream._builder.graph
    names = repartition_names(graph, topic_base)
    _topic, sink, _filt, source = names
    previous = _REPARTITIONS.get(stream)
    if previous is not None and topic_base == stream.name:
        return previous
    parent = stream.name

    def write(topology: Topology) -> None:
        write_repartition(topology, parent, names, ops.PassThroughProcessor, key_serde, value_serde)

    graph.add(GraphNode(sink, [parent], write))
    graph.add(GraphNode(source, [], lambda _t: None))
    _REPARTITIONS[stream] = source
    return source
