"""How ``KStream.join / left_join / outer_join`` with another ``KStream`` is built (Java: ``KStreamImplJoin``).

The graph, named as Kafka Streams names it::

    this  --> KSTREAM-WINDOWED-n   --> KSTREAM-JOINTHIS-n+2  --\\
                (this window store)                           KSTREAM-MERGE-n+4
    other --> KSTREAM-WINDOWED-n+1 --> KSTREAM-JOINOTHER-n+3 --/

A left join's other-side processor is ``KSTREAM-OUTEROTHER-``, an outer join's sides
``KSTREAM-OUTERTHIS-`` / ``KSTREAM-OUTEROTHER-``. Each windowed processor writes its
side's window store (``<join-this name>-store`` / ``<join-other name>-store``, or
``<store name>-this-join-store`` / ``-other-join-store`` with ``StreamJoined.with_store_name``,
or ``-outer-this-join`` / ``-outer-other-join`` on an outer side), which the *other* side's
join processor reads. Left and outer joins add the shared outer-join store
``KSTREAM-OUTERSHARED-<n+2>-store`` (``<store name>-left-shared-join-store`` /
``-outer-shared-join-store``). With ``StreamJoined.with_name(name)`` the processors are
``<name>-this-windowed``, ``<name>-this-join`` (``-outer-this-join``), ``<name>-merge``, ...

A stream joined with itself (``s.join(s, ...)``) is built so too, with two stores; under
``topology.optimization`` ``single.store.self.join`` (or ``all``) it has one windowed
processor, one store and a self-join processor named as the merge node, as in Kafka Streams
(which then also treats a left or outer self-join as an inner one).

A side whose key was changed upstream first goes through a repartition topic
(``<this stream's processor>-repartition``, or ``<name>-left-repartition`` /
``<name>-right-repartition``), created with the partition count of the other side (see
:mod:`kstreams.runtime.copartition`); both sides then read in one sub-topology, whose
topics must be co-partitioned.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kstreams.dsl.graph import GraphNode
from kstreams.dsl.stores import repartition_names, write_repartition
from kstreams.dsl.stream_joined import StreamJoined
from kstreams.errors import StreamsError, TopologyError
from kstreams.processor.aggregate import DropNullKeysProcessor
from kstreams.processor.stateless import PassThroughProcessor
from kstreams.processor.stream_stream_join import (
    JoinWindowProcessor,
    SelfJoinProcessor,
    StreamStreamJoinProcessor,
    TimeTrackerSupplier,
)
from kstreams.serde.primitives import ByteArraySerde
from kstreams.state.window_builders import InMemoryWindowBytesStoreSupplier
from kstreams.topology.topology import Topology
from kstreams.windows.join_windows import JoinWindows

if TYPE_CHECKING:
    from kstreams.dsl.kstream import KStream

WINDOWED = "KSTREAM-WINDOWED-"
JOINTHIS = "KSTREAM-JOINTHIS-"
JOINOTHER = "KSTREAM-JOINOTHER-"
OUTERTHIS = "KSTREAM-OUTERTHIS-"
OUTEROTHER = "KSTREAM-OUTEROTHER-"
MERGE = "KSTREAM-MERGE-"
OUTERSHARED = "KSTREAM-OUTERSHARED-"
SINGLE_STORE_SELF_JOIN = "single.store.self.join"
"""The ``topology.optimization`` rule under which a stream joined with itself has one store."""


def value_joiner_with_key(joiner: Callable[..., Any]) -> Callable[[Any, Any, Any], Any]:
    """``joiner`` as ``f(key, left, right)``: a joiner of three positional parameters gets the
    key (Java's ``ValueJoinerWithKey``), one of two does not (``ValueJoiner``)."""
    if not callable(joiner):
        raise TypeError(f"joiner must be callable, got {joiner!r}")
    try:
        params = list(inspect.signature(joiner).parameters.values())
    except (TypeError, ValueError):
        return lambda key, left, right: joiner(left, right)
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return lambda key, left, right: joiner(left, right)
    required = [
        p
        for p in params
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    ]
    if len(required) >= 3:
        return joiner
    if len(required) == 2 or (len(required) < 2 and len(params) >= 2):
        return lambda key, left, right: joiner(left, right)
    raise TypeError(
        "joiner must take (left_value, right_value) or (key, left_value, right_value), "
        f"got {joiner!r} with parameters {[p.name for p in params]}"
    )


def _check_supplier(supplier: Any, windows: JoinWindows) -> None:
    """Java's ``assertWindowSettings``."""
    if not supplier.retain_duplicates:
        raise StreamsError(
            "The StoreSupplier must set retainDuplicates=true, found retainDuplicates=false"
        )
    retention = windows.size() + windows.grace_ms()
    if supplier.retention_period != retention or supplier.window_size != windows.size():
        raise StreamsError(
            f"Window settings mismatch. WindowBytesStoreSupplier settings {supplier!r} must "
            f"match JoinWindows settings {windows!r} for the window size and retention "
            f"period (window size {windows.size()}, retention {retention}: size + grace)"
        )


def _window_store_builder(
    supplier: Any,
    name: str,
    windows: JoinWindows,
    key_serde: Any,
    value_serde: Any,
    sj: StreamJoined,
) -> Any:
    from kstreams.state import Stores

    if supplier is None:
        supplier = Stores.persistent_window_store(
            name, windows.size() + windows.grace_ms(), windows.size(), True
        )
    builder = Stores.window_store_builder(supplier, key_serde, value_serde)
    if not sj.logging_enabled:
        return builder.with_logging_disabled()
    # the stores retain duplicates: their changelogs must not be compacted (Java overrides
    # the user's cleanup.policy the same way)
    return builder.with_logging_enabled({**sj.log_config, "cleanup.policy": "delete"})


def _outer_store_builder(name: str, sj: StreamJoined) -> Any:
    from kstreams.state import Stores

    if isinstance(sj.this_store_supplier, InMemoryWindowBytesStoreSupplier):
        supplier = Stores.in_memory_key_value_store(name)
    else:
        supplier = Stores.persistent_key_value_store(name)
    # keys and values are Kafka Streams' bytes (kstreams.processor.join_side), made by the
    # join processors
    builder = Stores.key_value_store_builder(
        supplier, ByteArraySerde(), ByteArraySerde()
    ).with_caching_disabled()
    if sj.logging_enabled:
        return builder.with_logging_enabled(dict(sj.log_config))
    return builder.with_logging_disabled()


def _outer_store_name(sj: StreamJoined, join_this_generated: str, right_outer: bool) -> str:
    """Java's ``OuterStreamJoinStoreFactory.buildOuterJoinWindowStoreName`` + ``-store``."""
    suffix = "-outer-shared-join" if right_outer else "-left-shared-join"
    if sj.this_store_supplier is not None and sj.this_store_supplier.name:
        base = sj.this_store_supplier.name + suffix
    elif sj.store_name is not None:
        base = sj.store_name + suffix
    else:
        prefix = OUTERTHIS if right_outer else JOINTHIS
        base = OUTERSHARED + join_this_generated[len(prefix) :]
    return base + "-store"


class _JoinRepartition:
    """A repartition a stream went through for a join, kept on the stream (Java keeps
    ``KStreamImpl.repartitionNode``): joining the same stream again through a repartition of
    the same name reuses it."""

    __slots__ = ("keep_null_keys", "name", "source")

    def __init__(self, name: str, source: str, keep_null_keys: bool) -> None:
        self.name = name
        self.source = source
        self.keep_null_keys = keep_null_keys


_REPARTITION_ATTR = "_join_repartition"


def _repartition_for_join(
    stream: KStream, topic_base: str, key_serde: Any, value_serde: Any, keep_null_keys: bool
) -> tuple[str, Any, Any]:
    """Java's ``repartitionForJoin``: the source name and serdes of the repartitioned side."""
    graph = stream._builder.graph
    ks = key_serde if key_serde is not None else stream.key_serde
    vs = value_serde if value_serde is not None else stream.value_serde
    names = repartition_names(graph, topic_base)  # drawn even when reused
    _topic, sink, filt, source = names
    done: _JoinRepartition | None = getattr(stream, _REPARTITION_ATTR, None)
    if done is not None and done.name == topic_base:
        # KIP-962: the one repartition keeps null keys if any join it feeds takes them
        done.keep_null_keys = done.keep_null_keys or keep_null_keys
        return done.source, ks, vs
    repartition = _JoinRepartition(topic_base, source, keep_null_keys)
    setattr(stream, _REPARTITION_ATTR, repartition)
    parent = stream.name

    def write(topology: Topology) -> None:
        # a left/outer join takes null-key records, so its repartition keeps them (KIP-962)
        keep = repartition.keep_null_keys
        filter_processor = PassThroughProcessor if keep else DropNullKeysProcessor
        write_repartition(topology, parent, names, filter_processor, ks, vs)

    graph.add(GraphNode(filt, [parent], write))
    graph.add(GraphNode(sink, [filt], lambda _t: None))
    graph.add(GraphNode(source, [], lambda _t: None))
    return source, ks, vs


def _join_input(
    stream: KStream,
    topic_base: str | None,
    key_serde: Any,
    value_serde: Any,
    keep_null_keys: bool,
) -> tuple[str, Any, Any]:
    """The node one side of the join reads and its serdes (the ``StreamJoined`` ones, else
    the stream's): the stream itself, or its repartition when it was re-keyed (the topic
    ``<topic_base>-repartition``, or named after the stream when the join has no name)."""
    if stream.repartition_required:
        return _repartition_for_join(
            stream, topic_base or stream.name, key_serde, value_serde, keep_null_keys
        )
    return (
        stream.name,
        key_serde if key_serde is not None else stream.key_serde,
        value_serde if value_serde is not None else stream.value_serde,
    )


def stream_stream_join(
    this: KStream,
    other: KStream,
    joiner: Callable[..., Any],
    windows: JoinWindows,
    stream_joined: StreamJoined | None,
    *,
    left_outer: bool,
    right_outer: bool,
    name: str | None = None,
) -> KStream:
    """Record the join of ``this`` and ``other`` (``left_outer``: left or outer join;
    ``right_outer``: outer join); the stream of its results."""
    from kstreams.dsl.kstream import KStream

    if not isinstance(windows, JoinWindows):
        raise TypeError(
            "a KStream-KStream join needs JoinWindows (e.g. "
            f"JoinWindows.of_time_difference_with_no_grace(timedelta(minutes=5))), got {windows!r}"
        )
    if stream_joined is None:
        stream_joined = StreamJoined()
    elif not isinstance(stream_joined, StreamJoined):
        raise TypeError(f"stream_joined must be a StreamJoined, got {stream_joined!r}")
    if other._builder is not this._builder:
        raise TopologyError("Cannot join streams of different StreamsBuilders")
    sj = stream_joined if name is None else stream_joined.with_name(name)
    join3 = value_joiner_with_key(joiner)
    graph = this._builder.graph
    given = sj.name
    this_sup, other_sup = sj.this_store_supplier, sj.other_store_supplier
    if this_sup is not None and other_sup is not None and this_sup.name == other_sup.name:
        raise StreamsError(
            "Both StoreSuppliers have the same name.  StoreSuppliers must provide unique names"
        )
    keep_null_keys = left_outer or right_outer

    this_parent, this_ks, this_vs = _join_input(
        this, given and f"{given}-left", sj.key_serde, sj.value_serde, keep_null_keys
    )
    other_parent, other_ks, other_vs = _join_input(
        other, given and f"{given}-right", sj.key_serde, sj.other_value_serde, keep_null_keys
    )
    key_serde = this_ks if this_ks is not None else other_ks

    this_suffix = "-outer-this-join" if right_outer else "-this-join"
    other_suffix = "-outer-other-join" if left_outer else "-other-join"
    this_windowed = graph.name_or_generate(given and f"{given}-this-windowed", WINDOWED)
    other_windowed = graph.name_or_generate(given and f"{given}-other-windowed", WINDOWED)
    this_generated = graph.new_name(OUTERTHIS if right_outer else JOINTHIS)
    other_generated = graph.new_name(OUTEROTHER if left_outer else JOINOTHER)
    this_join = f"{given}{this_suffix}" if given else this_generated
    other_join = f"{given}{other_suffix}" if given else other_generated
    merge = graph.name_or_generate(given and f"{given}-merge", MERGE)

    base = sj.store_name
    if this_sup is None:
        this_store = f"{base + this_suffix if base else this_generated}-store"
    else:
        _check_supplier(this_sup, windows)
        this_store = this_sup.name
    if other_sup is None:
        other_store = f"{base + other_suffix if base else other_generated}-store"
    else:
        _check_supplier(other_sup, windows)
        other_store = other_sup.name
    outer_store = _outer_store_name(sj, this_generated, right_outer) if left_outer else None
    trackers = TimeTrackerSupplier()  # keyed by each task's outer-join store

    def this_join_supplier() -> StreamStreamJoinProcessor:
        return StreamStreamJoinProcessor(
            other_store, windows, join3, True, left_outer, outer_store, trackers,
            key_serde, this_vs, other_vs,
        )  # fmt: skip

    def other_join_supplier() -> StreamStreamJoinProcessor:
        return StreamStreamJoinProcessor(
            this_store, windows, join3, False, right_outer, outer_store, trackers,
            key_serde, this_vs, other_vs,
        )  # fmt: skip

    def write_self_join(topology: Topology) -> None:
        # Java's rewriteSingleStoreSelfJoin: one windowed processor and one store; the join
        # processor takes the merge node's name
        topology.add_processor(this_windowed, lambda: JoinWindowProcessor(this_store), this_parent)
        topology.add_processor(
            merge, lambda: SelfJoinProcessor(this_store, windows, join3), this_windowed
        )
        topology.add_state_store(
            _window_store_builder(this_sup, this_store, windows, this_ks, this_vs, sj),
            this_windowed,
            merge,
        )

    def write(topology: Topology) -> None:
        if this_parent == other_parent and SINGLE_STORE_SELF_JOIN in graph.optimizations:
            write_self_join(topology)
            return
        topology.add_processor(this_windowed, lambda: JoinWindowProcessor(this_store), this_parent)
        topology.add_processor(
            other_windowed, lambda: JoinWindowProcessor(other_store), other_parent
        )
        topology.add_processor(this_join, this_join_supplier, this_windowed)
        topology.add_processor(other_join, other_join_supplier, other_windowed)
        topology.add_processor(merge, PassThroughProcessor, this_join, other_join)
        topology.add_state_store(
            _window_store_builder(this_sup, this_store, windows, this_ks, this_vs, sj),
            this_windowed,
            other_join,
        )
        topology.add_state_store(
            _window_store_builder(other_sup, other_store, windows, other_ks, other_vs, sj),
            other_windowed,
            this_join,
        )
        if outer_store is not None:
            topology.add_state_store(_outer_store_builder(outer_store, sj), this_join, other_join)

    graph.add(GraphNode(this_windowed, [this_parent], lambda _t: None))
    graph.add(GraphNode(other_windowed, [other_parent], lambda _t: None))
    graph.add(GraphNode(merge, [this_windowed, other_windowed], write))
    return KStream(this._builder, merge, key_serde, None, False)
