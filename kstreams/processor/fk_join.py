"""The processors of a KTable-KTable foreign-key join (Java: ``internals/foreignkeyjoin``).

The left table's updates become subscriptions keyed by the foreign key
(:class:`SubscriptionSendProcessor`), written to the subscription-registration topic. On the
foreign table's partitions :class:`SubscriptionReceiveProcessor` keeps them in the
subscription store (keys ``{fk}{pk}``) and :class:`SubscriptionJoinProcessor` answers each with
the foreign row; :class:`ForeignTableJoinProcessor` answers every subscriber of a foreign key
when its row changes (a prefix scan). The answers go through the subscription-response topic
back to the left table's partition, where :class:`ResponseJoinProcessor` joins them with the
left row -- unless the left row changed meanwhile: each subscription carries the Murmur3
hash of the left value it was made for, and a response whose hash is not the current
value's is stale and dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from kstreams.processor.change import Change
from kstreams.processor.compiled import CompiledProcessor
from kstreams.processor.context import Forward, ProcessorContext
from kstreams.serde.base import Headers, as_serde
from kstreams.serde.fk_join import (
    SUBSCRIPTION_VERSION,
    CombinedKeySchema,
    Instruction,
    SubscriptionResponseWrapper,
    SubscriptionWrapper,
)
from kstreams.serde.murmur3 import hash128
from kstreams.state.value_and_timestamp import ValueAndTimestamp

log = logging.getLogger(__name__)

ForeignKeyExtractor = Callable[[Any, Any], Any]
"""``extractor(key, value) -> foreign key`` (a value-only extractor is wrapped into one)."""

_DELETE_NO_PROPAGATE = Instruction.DELETE_KEY_NO_PROPAGATE
_DELETE_AND_PROPAGATE = Instruction.DELETE_KEY_AND_PROPAGATE
_PROPAGATE_NULL = Instruction.PROPAGATE_NULL_IF_NO_FK_VAL_AVAILABLE
_PROPAGATE_ONLY = Instruction.PROPAGATE_ONLY_IF_FK_VAL_AVAILABLE


def resolve_serde(serde: Any, context: ProcessorContext, is_key: bool) -> Any:
    """``serde``, or the configured default key / value serde."""
    serde = as_serde(serde)
    if serde is not None:
        return serde
    config = context.app_configs
    return config.default_key_serde() if is_key else config.default_value_serde()  # type: ignore[attr-defined]


def _where(context: ProcessorContext) -> str:
    meta = context.record_metadata()
    if meta is None:
        return "Topic, partition, and offset not known."
    return f"topic=[{meta.topic}] partition=[{meta.partition}] offset=[{meta.offset}]"


class SubscriptionSendProcessor(CompiledProcessor):
    """The left table's updates as subscriptions to foreign keys (Java's
    ``SubscriptionSendProcessorSupplier``), keyed by the foreign key.

    A changed foreign key unsubscribes the old one; a deleted row unsubscribes (and, for an
    inner join, asks for a tombstone); a null foreign key is skipped (inner join) or
    subscribes with a null key (left join: the response is ``joiner(value, None)``).
    """

    def __init__(
        self,
        extractor: ForeignKeyExtractor,
        foreign_key_serde: Any,
        value_serde: Any,
        pseudo_topic: str,
        left_join: bool,
        versioned: bool = False,
    ) -> None:
        self.extractor = extractor
        self.foreign_key_serde = foreign_key_serde
        self.value_serde = value_serde
        self.pseudo_topic = pseudo_topic
        self.left_join = left_join
        self.versioned = versioned

    def compile(self, context: ProcessorContext) -> Forward:
        prefix = f"{context.application_id}-{self.pseudo_topic}"
        fk_topic, vh_topic = f"{prefix}-fk", f"{prefix}-vh"
        fk_ser = resolve_serde(self.foreign_key_serde, context, True).serialize
        value_ser = resolve_serde(self.value_serde, context, False).serialize
        extract, left_join, versioned = self.extractor, self.left_join, self.versioned
        forward = context.forward_fn
        metrics = context.task_metrics
        node = context.node_name

        def changed(new_fk: Any, old_fk: Any, headers: Headers) -> bool:
            return fk_ser(fk_topic, new_fk, headers) != fk_ser(fk_topic, old_fk, headers)

        def skip_null_fk() -> None:
            log.warning("%s: Skipping record due to null foreign key. %s", node, _where(context))
            metrics.dropped_records += 1

        def subscription_send(key: Any, change: Change, ts: int, headers: Headers) -> None:
            if versioned and not change.is_latest:
                log.info(
                    "%s: Skipping out-of-order record from versioned table while performing "
                    "table-table join.",
                    node,
                )
                metrics.dropped_records += 1
                return
            new, old = change.new_value, change.old_value
            # the hash of the new value, computed once per update and only if needed
            hashed: list[Any] = []

            def send(fk: Any, instruction: Instruction) -> None:
                if not hashed:
                    raw = None if new is None else value_ser(vh_topic, new, headers)
                    hashed.append(None if raw is None else hash128(raw))
                wrapper = SubscriptionWrapper(
                    hashed[0], instruction, key, context.partition, SUBSCRIPTION_VERSION
                )
                forward(fk, wrapper, ts, headers)

            if left_join:
                if old is None and new is None:
                    return
                old_fk = None if old is None else extract(key, old)
                new_fk = None if new is None else extract(key, new)
                if old_fk is not None and changed(new_fk, old_fk, headers):
                    send(old_fk, _DELETE_NO_PROPAGATE)
                send(new_fk, _PROPAGATE_NULL)
                return
            old_fk = None if old is None else extract(key, old)
            if new is not None:
                new_fk = extract(key, new)
                if new_fk is None:
                    skip_null_fk()
                    if old_fk is not None:
                        send(old_fk, _DELETE_AND_PROPAGATE)
                elif old_fk is not None and changed(new_fk, old_fk, headers):
                    send(old_fk, _DELETE_NO_PROPAGATE)
                    send(new_fk, _PROPAGATE_NULL)
                else:
                    send(new_fk, _PROPAGATE_ONLY)
            elif old_fk is not None:
                send(old_fk, _DELETE_AND_PROPAGATE)

        return subscription_send


def _check_version(wrapper: SubscriptionWrapper) -> None:
    if wrapper.version > SUBSCRIPTION_VERSION:
        from kstreams.errors import StreamsError

        raise StreamsError(
            f"SubscriptionWrapper is of an incompatible version ({wrapper.version}; this "
            f"kstreams reads up to {SUBSCRIPTION_VERSION})."
        )


def combined_key_schema(
    context: ProcessorContext, fk_serde: Any, pk_serde: Any, pseudo_topic: str
) -> CombinedKeySchema:
    """The subscription store's key layout with the serdes resolved for ``context``."""
    prefix = f"{context.application_id}-{pseudo_topic}"
    return CombinedKeySchema(
        resolve_serde(fk_serde, context, True),
        f"{prefix}-fk",
        resolve_serde(pk_serde, context, True),
        f"{prefix}-pk",
    )


class SubscriptionReceiveProcessor(CompiledProcessor):
    """Records (or removes) a subscription in the subscription store (Java's
    ``SubscriptionReceiveProcessorSupplier``) and forwards
    ``((fk, pk), Change(new subscription, old subscription))``."""

    def __init__(self, store_name: str, fk_serde: Any, pk_serde: Any, pseudo_topic: str) -> None:
        self.store_name = store_name
        self.fk_serde = fk_serde
        self.pk_serde = pk_serde
        self.pseudo_topic = pseudo_topic

    def compile(self, context: ProcessorContext) -> Forward:
        store = context.get_state_store(self.store_name)
        schema = combined_key_schema(context, self.fk_serde, self.pk_serde, self.pseudo_topic)
        forward = context.forward_fn
        metrics = context.task_metrics
        node = context.node_name

        def subscription_receive(
            fk: Any, wrapper: SubscriptionWrapper, ts: int, headers: Headers
        ) -> None:
            if wrapper is None:
                log.warning("%s: Skipping record due to null value. %s", node, _where(context))
                metrics.dropped_records += 1
                return
            if fk is None and wrapper.instruction != _PROPAGATE_NULL:
                log.warning(
                    "%s: Skipping record due to null foreign key. %s", node, _where(context)
                )
                metrics.dropped_records += 1
                return
            _check_version(wrapper)
            new = ValueAndTimestamp(wrapper, ts)
            if fk is None:
                forward((fk, wrapper.primary_key), Change(new, None), ts, headers)
                return
            key = schema.to_bytes(fk, wrapper.primary_key)
            old = store.get(key)
            if wrapper.instruction in (_DELETE_AND_PROPAGATE, _DELETE_NO_PROPAGATE):
                store.delete(key)
            else:
                store.put(key, new)
            forward((fk, wrapper.primary_key), Change(new, old), ts, headers)

        return subscription_receive


class SubscriptionJoinProcessor(CompiledProcessor):
    """Answers a subscription with the foreign row (Java's ``SubscriptionJoinProcessorSupplier``):
    a response keyed by the primary key, at the later of the two rows' timestamps."""

    def __init__(self, foreign: Any) -> None:
        self.foreign = foreign

    def compile(self, context: ProcessorContext) -> Forward:
        getter = self.foreign.get()
        getter.init(context)
        get = getter.get
        forward = context.forward_fn

        def subscription_join(
            combined: tuple[Any, Any], change: Change, ts: int, headers: Headers
        ) -> None:
            fk, pk = combined
            subscription = change.new_value
            wrapper: SubscriptionWrapper = subscription.value
            _check_version(wrapper)
            foreign = None if fk is None else get(fk)
            result_ts = (
                subscription.timestamp
                if foreign is None
                else max(subscription.timestamp, foreign.timestamp)
            )
            instruction = wrapper.instruction
            if instruction == _DELETE_AND_PROPAGATE:
                response = SubscriptionResponseWrapper(
                    wrapper.hash, None, wrapper.primary_partition
                )
            elif instruction == _PROPAGATE_NULL:
                value = None if foreign is None else foreign.value
                response = SubscriptionResponseWrapper(
                    wrapper.hash, value, wrapper.primary_partition
                )
            elif instruction == _PROPAGATE_ONLY:
                if foreign is None:
                    return
                response = SubscriptionResponseWrapper(
                    wrapper.hash, foreign.value, wrapper.primary_partition
                )
            else:
                return
            forward(pk, response, result_ts, headers)

        return subscription_join


class ForeignTableJoinProcessor(CompiledProcessor):
    """A foreign row's update sent to every subscriber of its key (Java's
    ``ForeignTableJoinProcessorSupplier``): a prefix scan of the subscription store."""

    def __init__(
        self, store_name: str, fk_serde: Any, pk_serde: Any, pseudo_topic: str, versioned: bool
    ) -> None:
        self.store_name = store_name
        self.fk_serde = fk_serde
        self.pk_serde = pk_serde
        self.pseudo_topic = pseudo_topic
        self.versioned = versioned

    def compile(self, context: ProcessorContext) -> Forward:
        from kstreams.serde.primitives import BytesSerde

        store = context.get_state_store(self.store_name)
        schema = combined_key_schema(context, self.fk_serde, self.pk_serde, self.pseudo_topic)
        raw = BytesSerde()
        forward = context.forward_fn
        metrics = context.task_metrics
        node = context.node_name
        versioned = self.versioned

        def foreign_table_join(fk: Any, change: Change, ts: int, headers: Headers) -> None:
            if fk is None:
                log.warning("%s: Skipping record due to null key. %s", node, _where(context))
                metrics.dropped_records += 1
                return
            if versioned and not change.is_latest:
                log.info(
                    "%s: Skipping out-of-order record from versioned table while performing "
                    "table-table join.",
                    node,
                )
                metrics.dropped_records += 1
                return
            prefix = schema.prefix_bytes(fk)
            # materialize the scan: forwarding may write to the store in the same task
            for key, subscription in list(store.prefix_scan(prefix, raw)):
                _, pk = schema.from_bytes(key)
                wrapper: SubscriptionWrapper = subscription.value
                response = SubscriptionResponseWrapper(
                    wrapper.hash, change.new_value, wrapper.primary_partition
                )
                forward(pk, response, ts, headers)

        return foreign_table_join


class ResponseJoinProcessor(CompiledProcessor):
    """Joins a response with the current left row, if it is the row the subscription was
    made for (Java's ``ResponseJoinProcessorSupplier``); stale responses are dropped."""

    def __init__(
        self,
        left: Any,
        value_serde: Any,
        pseudo_topic: str,
        joiner: Callable[[Any, Any], Any],
        left_join: bool,
    ) -> None:
        self.left = left
        self.value_serde = value_serde
        self.pseudo_topic = pseudo_topic
        self.joiner = joiner
        self.left_join = left_join

    def compile(self, context: ProcessorContext) -> Forward:
        getter = self.left.get()
        getter.init(context)
        get = getter.get
        vh_topic = f"{context.application_id}-{self.pseudo_topic}-vh"
        value_ser = resolve_serde(self.value_serde, context, False).serialize
        joiner, left_join = self.joiner, self.left_join
        forward = context.forward_fn
        metrics = context.task_metrics
        node = context.node_name

        def response_join(
            key: Any, response: SubscriptionResponseWrapper, ts: int, headers: Headers
        ) -> None:
            if response.version != 0:
                from kstreams.errors import StreamsError

                raise StreamsError(
                    f"SubscriptionResponseWrapper is of an incompatible version ({response.version})."
                )
            current = get(key)
            current_hash = None
            if current is not None:
                raw = value_ser(vh_topic, current.value, headers)
                current_hash = None if raw is None else hash128(raw)
            if response.original_value_hash != current_hash:
                log.debug(
                    "%s: Dropping FK-join response due to hash mismatch. Expected %s. Actual %s",
                    node,
                    response.original_value_hash,
                    current_hash,
                )
                metrics.dropped_records += 1
                return
            foreign = response.foreign_value
            if foreign is None and (not left_join or current is None):
                result = None
            else:
                result = joiner(None if current is None else current.value, foreign)
            forward(key, result, ts, headers)

        return response_join
