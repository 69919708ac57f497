"""``KTable.join`` / ``left_join`` on a foreign key, recorded as Kafka Streams' ``doJoinOnForeignKey``.

The left table's rows subscribe to the foreign table's rows by the key
``foreign_key_extractor`` finds in them. Nodes, store and topics are named as Java names
them (``TableJoined.as_("j")`` names them ``j-subscription-registration-processor``, ...)::

    left table ──► KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-<n>  (subscriptions by foreign key)
      ──► <app>-KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-<n>-topic ──►
    KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-<a> (KTABLE-FK-JOIN-SUBSCRIPTION-STATE-STORE-<s>)
      ──► KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-<b> (looks the foreign row up) ─┐
    foreign table ──► KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-<c> (its subscribers) ─┤
      ──► <app>-KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-<m>-topic ──►                 ◄┘
    KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-RESOLVER-PROCESSOR-<r> (hash check, joiner)
      ──► KTABLE-FK-JOIN-OUTPUT-<o> (the joined table)
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kstreams.dsl.graph import GraphNode
from kstreams.dsl.materialized import Materialized
from kstreams.dsl.options import Named
from kstreams.dsl.stores import store_builder
from kstreams.dsl.table_joined import TableJoined
from kstreams.dsl.table_values import TableSource
from kstreams.dsl.versioned import OUTPUT_VERSIONED, is_versioned, is_versioned_upstream
from kstreams.processor.fk_join import (
    ForeignTableJoinProcessor,
    ResponseJoinProcessor,
    SubscriptionJoinProcessor,
    SubscriptionReceiveProcessor,
    SubscriptionSendProcessor,
)
from kstreams.processor.table import TableSourceProcessor
from kstreams.serde.fk_join import SubscriptionResponseWrapperSerde, SubscriptionWrapperSerde
from kstreams.topology.topology import Topology

if TYPE_CHECKING:
    from kstreams.dsl.ktable import KTable

FK_JOIN = "KTABLE-FK-JOIN-"
FK_JOIN_STATE_STORE_NAME = FK_JOIN + "SUBSCRIPTION-STATE-STORE-"
SUBSCRIPTION_REGISTRATION = FK_JOIN + "SUBSCRIPTION-REGISTRATION-"
SUBSCRIPTION_RESPONSE = FK_JOIN + "SUBSCRIPTION-RESPONSE-"
SUBSCRIPTION_PROCESSOR = FK_JOIN + "SUBSCRIPTION-PROCESSOR-"
SUBSCRIPTION_RESPONSE_RESOLVER_PROCESSOR = FK_JOIN + "SUBSCRIPTION-RESPONSE-RESOLVER-PROCESSOR-"
FK_JOIN_OUTPUT_NAME = FK_JOIN + "OUTPUT-"
TOPIC_SUFFIX = "-topic"
SINK_NAME = "KTABLE-SINK-"
SOURCE_NAME = "KTABLE-SOURCE-"


def _is_option(arg: Any) -> bool:
    return arg is None or isinstance(arg, Named | Materialized | TableJoined | str)


def is_foreign_key_form(third: Any) -> bool:
    """Whether ``join(other, a, third, ...)`` is the foreign-key form: its third argument is
    the joiner (a function), not a ``Named`` / ``Materialized``."""
    return not _is_option(third) and callable(third) and not isinstance(third, type)


def key_and_value_extractor(extractor: Callable[..., Any]) -> Callable[[Any, Any], Any]:
    """``extractor`` as ``(key, value) -> foreign key``: a one-argument extractor takes the
    value, a two-argument one the key and the value (KIP-1104)."""
    if not callable(extractor):
        raise TypeError(
            f"foreign_key_extractor must be a function value -> foreign key (or (key, value) "
            f"-> foreign key), got {extractor!r}"
        )
    try:
        sig = inspect.signature(extractor)
    except (TypeError, ValueError):
        return lambda key, value: extractor(value)
    try:
        sig.bind(None, None)
    except TypeError:
        try:
            sig.bind(None)
        except TypeError:
            raise TypeError(
                f"foreign_key_extractor takes the value, or the key and the value; "
                f"{extractor!r} has the signature {sig}"
            ) from None
        return lambda key, value: extractor(value)
    positional = [
        p
        for p in sig.parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    ]
    if len(positional) >= 2 or any(p.kind is p.VAR_POSITIONAL for p in sig.parameters.values()):
        return extractor
    return lambda key, value: extractor(value)


def _check_joiner(joiner: Any) -> None:
    if not callable(joiner):
        raise TypeError(
            f"joiner must be a function (value, foreign_value) -> result, got {joiner!r}"
        )
    try:
        sig = inspect.signature(joiner)
    except (TypeError, ValueError):
        return
    try:
        sig.bind(None, None)
    except TypeError:
        raise TypeError(
            f"A foreign-key joiner takes two arguments (value, foreign_value), as Kafka "
            f"Streams' ValueJoiner; {joiner!r} has the signature {sig}"
        ) from None


def _options(options: tuple[Any, ...]) -> tuple[TableJoined, Materialized | None]:
    joined: TableJoined = TableJoined()
    m: Materialized | None = None
    for arg in options:
        if arg is None:
            continue
        if isinstance(arg, TableJoined):
            joined = arg
        elif isinstance(arg, Materialized):
            m = arg
        elif isinstance(arg, Named):
            joined = joined.with_name(arg.name)
        elif isinstance(arg, str):
            joined = joined.with_name(arg)
        else:
            raise TypeError(
                f"a foreign-key join takes a TableJoined (or Named) and a Materialized, got {arg!r}"
            )
    return joined, m


def join_on_foreign_key(
    table: KTable,
    other: KTable,
    foreign_key_extractor: Callable[..., Any],
    joiner: Callable[[Any, Any], Any],
    options: tuple[Any, ...],
    *,
    left_join: bool,
) -> KTable:
    """Record a foreign-key join of ``table`` with ``other``; return the joined table.

    ``options``: a ``TableJoined`` (or ``Named`` / name) and a ``Materialized``, in any order.
    """
    from kstreams.dsl.ktable import KTable

    if not isinstance(other, KTable):
        raise TypeError(f"other must be a KTable, got {other!r}")
    if other._builder is not table._builder:
        raise TypeError("Cannot join tables of different StreamsBuilders")
    extract = key_and_value_extractor(foreign_key_extractor)
    _check_joiner(joiner)
    joined, m = _options(options)
    graph = table._builder.graph

    # old values: the foreign table's to skip unchanged rows, this table's to unsubscribe
    other._enable_sending_old_values(True)
    table._enable_sending_old_values(True)

    name = joined.name

    def named(suffix: str, prefix: str) -> str:
        generated = graph.new_name(prefix)  # the counter advances either way (Java)
        return generated if name is None else name + suffix

    subscription_topic = (
        named("-subscription-registration", SUBSCRIPTION_REGISTRATION) + TOPIC_SUFFIX
    )
    send_name = named("-subscription-registration-processor", SUBSCRIPTION_REGISTRATION)
    subscription_sink = named("-subscription-registration-sink", SINK_NAME)
    subscription_source = named("-subscription-registration-source", SOURCE_NAME)
    store_name = named("-subscription-store", FK_JOIN_STATE_STORE_NAME)
    receive_name = named("-subscription-receive", SUBSCRIPTION_PROCESSOR)
    foreign_value_getter = other._value_getter_supplier()
    join_foreign_name = named("-subscription-join-foreign", SUBSCRIPTION_PROCESSOR)
    foreign_join_name = named("-foreign-join-subscription", SUBSCRIPTION_PROCESSOR)
    response_topic = named("-subscription-response", SUBSCRIPTION_RESPONSE) + TOPIC_SUFFIX
    response_sink = named("-subscription-response-sink", SINK_NAME)
    response_source = named("-subscription-response-source", SOURCE_NAME)
    left_value_getter = table._value_getter_supplier()
    resolver_name = named(
        "-subscription-response-resolver", SUBSCRIPTION_RESPONSE_RESOLVER_PROCESSOR
    )
    result_name = named("-result", FK_JOIN_OUTPUT_NAME)
    if m is not None and m.store_name is not None:
        result_store, queryable = m.store_name, m.store_name
    else:
        result_store, queryable = graph.new_name(f"{FK_JOIN_OUTPUT_NAME}STATE-STORE-"), None

    key_serde = table.key_serde
    value_serde = table.value_serde
    fk_serde = other.key_serde
    subscription_serde = SubscriptionWrapperSerde(key_serde, subscription_topic, store_name)
    response_serde = SubscriptionResponseWrapperSerde(other.value_serde)
    out_key_serde = (m.key_serde if m is not None else None) or key_serde
    out_value_serde = m.value_serde if m is not None else None
    spec = TableSource(result_store, queryable)
    left_stores = tuple(left_value_getter.store_names())
    foreign_stores = tuple(foreign_value_getter.store_names())
    partitioner, other_partitioner = joined.partitioner, joined.other_partitioner

    def subscription_partitioner(topic: str, key: Any, value: Any, n: int) -> int | None:
        assert other_partitioner is not None
        return other_partitioner(topic, key, None, n)

    def response_partitioner(topic: str, key: Any, value: Any, n: int) -> int | None:
        if partitioner is not None:
            return partitioner(topic, key, None, n)
        return value.primary_partition  # type: ignore[no-any-return]

    def write(topology: Topology) -> None:
        from kstreams.dsl.stores import _add_repartition_source

        left_versioned = is_versioned_upstream(graph, table.name)
        foreign_versioned = is_versioned_upstream(graph, other.name)
        topology.add_internal_topic(subscription_topic)
        topology.add_processor(
            send_name,
            lambda: SubscriptionSendProcessor(
                extract, fk_serde, value_serde, subscription_topic, left_join, left_versioned
            ),
            table.name,
        )
        topology.add_sink(
            subscription_sink,
            subscription_topic,
            send_name,
            key_serde=fk_serde,
            value_serde=subscription_serde,
            partitioner=None if other_partitioner is None else subscription_partitioner,
        )
        _add_repartition_source(
            topology, subscription_source, subscription_topic, fk_serde, subscription_serde
        )
        topology.add_processor(
            receive_name,
            lambda: SubscriptionReceiveProcessor(
                store_name, fk_serde, key_serde, subscription_topic
            ),
            subscription_source,
        )
        topology.add_state_store(_subscription_store(store_name, subscription_serde), receive_name)
        topology.add_processor(
            join_foreign_name,
            lambda: SubscriptionJoinProcessor(foreign_value_getter),
            receive_name,
        )
        if foreign_stores:
            topology.connect_processor_and_state_stores(
                join_foreign_name, store_names=foreign_stores
            )
        topology.add_processor(
            foreign_join_name,
            lambda: ForeignTableJoinProcessor(
                store_name, fk_serde, key_serde, subscription_topic, foreign_versioned
            ),
            other.name,
        )
        topology.connect_processor_and_state_stores(foreign_join_name, store_names=(store_name,))
        topology.add_internal_topic(response_topic)
        topology.add_sink(
            response_sink,
            response_topic,
            join_foreign_name,
            foreign_join_name,
            key_serde=key_serde,
            value_serde=response_serde,
            partitioner=response_partitioner,
        )
        _add_repartition_source(
            topology, response_source, response_topic, key_serde, response_serde
        )
        topology.add_processor(
            resolver_name,
            lambda: ResponseJoinProcessor(
                left_value_getter, value_serde, subscription_topic, joiner, left_join
            ),
            response_source,
        )
        if left_stores:
            topology.connect_processor_and_state_stores(resolver_name, store_names=left_stores)
        materialized_store = result_store if spec.materialized else None
        send_old = spec.send_old_values
        topology.add_processor(
            result_name, lambda: TableSourceProcessor(materialized_store, send_old), resolver_name
        )
        if materialized_store is not None:
            builder = store_builder(
                m or Materialized(),
                materialized_store,
                out_key_serde,
                out_value_serde,
                table_source=True,
            )
            topology.add_state_store(builder, result_name)

    graph.add(GraphNode(send_name, [table.name], lambda _t: None))
    graph.add(
        GraphNode(
            result_name,
            [table.name, other.name],
            write,
            tags={OUTPUT_VERSIONED: is_versioned(m)},
        )
    )
    return KTable(table._builder, result_name, out_key_serde, out_value_serde, supplier=spec)


def _subscription_store(name: str, serde: SubscriptionWrapperSerde) -> Any:
    """Java's ``SubscriptionStoreFactory``: a timestamped key-value store of bytes keys, logged,
    not cached."""
    from kstreams.serde.primitives import BytesSerde
    from kstreams.state import Stores

    builder = Stores.timestamped_key_value_store_builder(
        Stores.persistent_timestamped_key_value_store(name), BytesSerde(), serde
    )
    return builder.with_logging_enabled({}).with_caching_disabled()
