"""Wire formats of a foreign-key join, byte-identical to Kafka Streams 4.4.

``SubscriptionWrapper`` (the subscription-registration topic and the subscription store),
``SubscriptionResponseWrapper`` (the subscription-response topic) and ``CombinedKeySchema``
(the subscription store's keys: ``{int32 length of fk}{fk bytes}{pk bytes}``, so that all
subscriptions of one foreign key are a prefix range). A Java and a Python application
reading each other's FK-join topics need exactly these layouts::

    subscription: {1 bit hash-is-null}{7 bits version}{instruction}{16-byte hash?}{pk}{int32 partition}
    response:     {1 bit hash-is-null}{7 bits version}{16-byte hash?}{foreign value?}

An inner serde left None (no serde given to the tables) is the configured default, resolved
by the task with :meth:`with_default_serdes`.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from enum import IntEnum
from typing import Any, NamedTuple

from kstreams.errors import SerializationError
from kstreams.serde.base import Headers, Serde, as_serde

Hash = tuple[int, int]

SUBSCRIPTION_VERSION = 1
"""``SubscriptionWrapper.CURRENT_VERSION`` (v1 adds the primary partition)."""

RESPONSE_VERSION = 0
"""``SubscriptionResponseWrapper.CURRENT_VERSION``."""

_HASH = struct.Struct(">qq")
_INT = struct.Struct(">i")


class Instruction(IntEnum):
    """What the foreign side does with a subscription (Java's ``SubscriptionWrapper.Instruction``)."""

    DELETE_KEY_NO_PROPAGATE = 0
    """Unsubscribe; send nothing back."""
    DELETE_KEY_AND_PROPAGATE = 1
    """Unsubscribe and send back a null foreign value (the left row was deleted)."""
    PROPAGATE_NULL_IF_NO_FK_VAL_AVAILABLE = 2
    """Subscribe; send back the foreign value, or null if there is none."""
    PROPAGATE_ONLY_IF_FK_VAL_AVAILABLE = 3
    """Subscribe; send back the foreign value only if there is one."""


class SubscriptionWrapper(NamedTuple):
    """A left row's subscription to a foreign key: the hash of its value, the instruction,
    its primary key and the partition it came from (None in version 0)."""

    hash: Hash | None
    instruction: Instruction
    primary_key: Any
    primary_partition: int | None
    version: int = SUBSCRIPTION_VERSION


class SubscriptionResponseWrapper(NamedTuple):
    """A foreign value sent back to a subscriber, with the hash its subscription carried.

    ``primary_partition`` is not serialized: it routes the response to the subscriber's partition.
    """

    original_value_hash: Hash | None
    foreign_value: Any
    primary_partition: int | None = None
    version: int = RESPONSE_VERSION


def _resolved(serde: Any, default: Callable[[], Any]) -> Any:
    serde = as_serde(serde)
    return default() if serde is None else serde


class SubscriptionWrapperSerde(Serde[SubscriptionWrapper]):
    """``SubscriptionWrapperSerde``: the primary key is written with ``primary_key_serde``
    and Kafka Streams' pseudo topic ``<application.id>-<subscription topic>-pk``.

    Called with the subscription topic ``<application.id>-<subscription topic>`` that is
    ``<topic>-pk``; called with the subscription store's changelog
    (``<application.id>-<store_name>-changelog``), the same pseudo topic, when the DSL gave
    ``subscription_topic`` and ``store_name``.
    """

    def __init__(
        self,
        primary_key_serde: Any,
        subscription_topic: str | None = None,
        store_name: str | None = None,
    ) -> None:
        self.primary_key_serde = as_serde(primary_key_serde)
        self.subscription_topic = subscription_topic
        self.store_name = store_name

    def with_default_serdes(
        self, default_key_serde: Callable[[], Any], default_value_serde: Callable[[], Any]
    ) -> SubscriptionWrapperSerde:
        """This serde with the configured default key serde where none was given."""
        return SubscriptionWrapperSerde(
            _resolved(self.primary_key_serde, default_key_serde),
            self.subscription_topic,
            self.store_name,
        )

    def _pk_topic(self, topic: str) -> str:
        if self.store_name is not None and self.subscription_topic is not None:
            changelog = f"-{self.store_name}-changelog"
            if topic.endswith(changelog):
                return f"{topic[: -len(changelog)]}-{self.subscription_topic}-pk"
        return f"{topic}-pk"

    def serialize(
        self, topic: str, data: SubscriptionWrapper | None, headers: Headers = None
    ) -> bytes | None:
        if data is None:
            return None
        version = data.version
        if not 0 <= version <= 0x7F:
            raise SerializationError(f"SubscriptionWrapper version {version} is not supported")
        pk = self._pk_serde().serialize(self._pk_topic(topic), data.primary_key, headers)
        if pk is None:
            raise SerializationError(
                f"the primary key {data.primary_key!r} of a subscription serialized to null"
            )
        parts = []
        if data.hash is None:
            parts.append(bytes((version | 0x80, int(data.instruction))))
        else:
            parts.append(bytes((version, int(data.instruction))))
            parts.append(_HASH.pack(*data.hash))
        parts.append(pk)
        if version >= 1:
            if data.primary_partition is None:
                raise SerializationError(
                    "a version-1 SubscriptionWrapper needs a primary partition"
                )
            parts.append(_INT.pack(data.primary_partition))
        return b"".join(parts)

    def deserialize(
        self, topic: str, data: bytes | None, headers: Headers = None
    ) -> SubscriptionWrapper | None:
        if data is None:
            return None
        if len(data) < 2:
            raise SerializationError(
                f"SubscriptionWrapper on {topic} is too short ({len(data)} bytes)"
            )
        first = data[0]
        version = first & 0x7F
        try:
            instruction = Instruction(data[1])
        except ValueError:
            raise SerializationError(f"Unknown instruction byte value = {data[1]}") from None
        pos = 2
        hash_: Hash | None = None
        if not first & 0x80:
            hash_ = _HASH.unpack_from(data, pos)
            pos += _HASH.size
        end = len(data) - (_INT.size if version > 0 else 0)
        if end < pos:
            raise SerializationError(f"SubscriptionWrapper on {topic} is truncated")
        pk = self._pk_serde().deserialize(self._pk_topic(topic), data[pos:end], headers)
        partition = _INT.unpack_from(data, end)[0] if version > 0 else None
        return SubscriptionWrapper(hash_, instruction, pk, partition, version)

    def _pk_serde(self) -> Serde[Any]:
        serde = self.primary_key_serde
        if serde is None:
            raise SerializationError(
                "the foreign-key join's primary key serde is not set: give the left table a "
                "key serde or configure default.key.serde"
            )
        return serde


class SubscriptionResponseWrapperSerde(Serde[SubscriptionResponseWrapper]):
    """``SubscriptionResponseWrapperSerde``: the foreign value written with ``foreign_value_serde``."""

    def __init__(self, foreign_value_serde: Any) -> None:
        self.foreign_value_serde = as_serde(foreign_value_serde)

    def with_default_serdes(
        self, default_key_serde: Callable[[], Any], default_value_serde: Callable[[], Any]
    ) -> SubscriptionResponseWrapperSerde:
        """This serde with the configured default value serde where none was given."""
        return SubscriptionResponseWrapperSerde(
            _resolved(self.foreign_value_serde, default_value_serde)
        )

    def serialize(
        self, topic: str, data: SubscriptionResponseWrapper | None, headers: Headers = None
    ) -> bytes | None:
        if data is None:
            return None
        if data.version < 0:
            raise SerializationError("SubscriptionResponseWrapper version cannot be negative")
        value = b""
        if data.foreign_value is not None:
            value = self._serde().serialize(topic, data.foreign_value, headers) or b""
        if data.original_value_hash is None:
            return bytes((data.version | 0x80,)) + value
        return bytes((data.version,)) + _HASH.pack(*data.original_value_hash) + value

    def deserialize(
        self, topic: str, data: bytes | None, headers: Headers = None
    ) -> SubscriptionResponseWrapper | None:
        if data is None:
            return None
        if not data:
            raise SerializationError(f"SubscriptionResponseWrapper on {topic} is empty")
        first = data[0]
        pos = 1
        hash_: Hash | None = None
        if not first & 0x80:
            if len(data) < 1 + _HASH.size:
                raise SerializationError(f"SubscriptionResponseWrapper on {topic} is truncated")
            hash_ = _HASH.unpack_from(data, pos)
            pos += _HASH.size
        value = self._serde().deserialize(topic, data[pos:], headers) if len(data) > pos else None
        return SubscriptionResponseWrapper(hash_, value, None, first & 0x7F)

    def _serde(self) -> Serde[Any]:
        serde = self.foreign_value_serde
        if serde is None:
            raise SerializationError(
                "the foreign-key join's foreign value serde is not set: give the foreign table "
                "a value serde or configure default.value.serde"
            )
        return serde


class CombinedKeySchema:
    """The subscription store's key: ``{int32 len(fk)}{fk}{pk}`` (Java's ``CombinedKeySchema``).

    ``fk_topic`` / ``pk_topic`` are the pseudo topics the key serdes are called with.
    """

    def __init__(
        self, fk_serde: Serde[Any], fk_topic: str, pk_serde: Serde[Any], pk_topic: str
    ) -> None:
        self.fk_serde = fk_serde
        self.pk_serde = pk_serde
        self.fk_topic = fk_topic
        self.pk_topic = pk_topic

    def to_bytes(self, foreign_key: Any, primary_key: Any) -> bytes:
        fk = self.fk_serde.serialize(self.fk_topic, foreign_key) or b""
        pk = self.pk_serde.serialize(self.pk_topic, primary_key) or b""
        return _INT.pack(len(fk)) + fk + pk

    def prefix_bytes(self, foreign_key: Any) -> bytes:
        fk = self.fk_serde.serialize(self.fk_topic, foreign_key) or b""
        return _INT.pack(len(fk)) + fk

    def from_bytes(self, data: bytes) -> tuple[Any, Any]:
        """``(foreign_key, primary_key)``."""
        n = _INT.unpack_from(data)[0]
        fk = self.fk_serde.deserialize(self.fk_topic, data[4 : 4 + n])
        pk = self.pk_serde.deserialize(self.pk_topic, data[4 + n :])
        return fk, pk
