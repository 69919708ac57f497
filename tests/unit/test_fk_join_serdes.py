"""The foreign-key join's wire formats and hash against vectors computed with Kafka Streams
4.4's own classes (``Murmur3.hash128``, ``SubscriptionWrapperSerde``,
``SubscriptionResponseWrapperSerde``), as SubscriptionWrapperSerdeTest and
SubscriptionResponseWrapperSerdeTest check them."""

from __future__ import annotations

import pytest

from kstreams import Serdes
from kstreams.errors import SerializationError
from kstreams.serde.fk_join import (
    CombinedKeySchema,
    Instruction,
    SubscriptionResponseWrapper,
    SubscriptionResponseWrapperSerde,
    SubscriptionWrapper,
    SubscriptionWrapperSerde,
)
from kstreams.serde.murmur3 import hash128

MURMUR3 = [
    (b"", (-7122613646888064702, -8341524471658347240)),
    (b"a", (3702349557448790408, -1601067453332442517)),
    (b"abc", (-8302830256874342818, -1638537471643095488)),
    (b"hello world", (-4798133121895066616, 9029944334911407145)),
    (b"0123456789abcdef", (1904622552327088487, -2893518741649893711)),
    (b"0123456789abcdefg", (-6253751916947851771, -5841899321478313166)),
    (
        b"The quick brown fox jumps over the lazy dog",
        (-1779949751512360504, -5190294356955732186),
    ),
    ("éè中".encode(), (-2291997527700678002, 7489117223188935605)),
    (bytes((i * 37 + 200) & 0xFF for i in range(40)), (-3101013225840406737, -413126683659923256)),
]


@pytest.mark.parametrize("data, expected", MURMUR3)
def test_murmur3_hash128_matches_kafka_streams(data: bytes, expected: tuple[int, int]) -> None:
    assert hash128(data) == expected


V1 = hash128(b"v1")
SUBSCRIPTIONS = [
    (
        SubscriptionWrapper(V1, Instruction.PROPAGATE_ONLY_IF_FK_VAL_AVAILABLE, "pk1", 3),
        "01038d773876e277e53eb9cb237a096f3bea706b3100000003",
    ),
    (
        SubscriptionWrapper(None, Instruction.DELETE_KEY_AND_PROPAGATE, "pk1", 0),
        "8101706b3100000000",
    ),
    (
        SubscriptionWrapper(V1, Instruction.DELETE_KEY_NO_PROPAGATE, "k", None, 0),
        "00008d773876e277e53eb9cb237a096f3bea6b",
    ),
]


@pytest.mark.parametrize("wrapper, hex_bytes", SUBSCRIPTIONS)
def test_subscription_wrapper_bytes_match_java(
    wrapper: SubscriptionWrapper, hex_bytes: str
) -> None:
    serde = SubscriptionWrapperSerde(Serdes.String())
    assert serde.serialize("t", wrapper).hex() == hex_bytes
    assert serde.deserialize("t", bytes.fromhex(hex_bytes)) == wrapper


RESPONSES = [
    (SubscriptionResponseWrapper(V1, "fv"), "008d773876e277e53eb9cb237a096f3bea6676"),
    (SubscriptionResponseWrapper(None, None), "80"),
    (SubscriptionResponseWrapper(V1, None), "008d773876e277e53eb9cb237a096f3bea"),
]


@pytest.mark.parametrize("wrapper, hex_bytes", RESPONSES)
def test_response_wrapper_bytes_match_java(
    wrapper: SubscriptionResponseWrapper, hex_bytes: str
) -> None:
    serde = SubscriptionResponseWrapperSerde(Serdes.String())
    # the primary partition only routes the record: it is not written
    assert serde.serialize("t", wrapper._replace(primary_partition=7)).hex() == hex_bytes
    assert serde.deserialize("t", bytes.fromhex(hex_bytes)) == wrapper


def test_combined_key_is_a_prefix_range_per_foreign_key() -> None:
    schema = CombinedKeySchema(Serdes.String(), "fk", Serdes.String(), "pk")
    key = schema.to_bytes("fk1", "pk1")
    assert key == b"\x00\x00\x00\x03fk1pk1"
    assert key.startswith(schema.prefix_bytes("fk1"))
    assert not schema.to_bytes("fk10", "pk1").startswith(schema.prefix_bytes("fk1"))
    assert schema.from_bytes(key) == ("fk1", "pk1")


def test_bad_bytes_raise_serialization_errors() -> None:
    serde = SubscriptionWrapperSerde(Serdes.String())
    with pytest.raises(SerializationError, match="Unknown instruction"):
        serde.deserialize("t", b"\x81\x09pk\x00\x00\x00\x00")
    with pytest.raises(SerializationError, match="too short"):
        serde.deserialize("t", b"\x01")
    with pytest.raises(SerializationError, match="primary partition"):
        serde.serialize(
            "t", SubscriptionWrapper(None, Instruction.DELETE_KEY_AND_PROPAGATE, "k", None)
        )
    with pytest.raises(SerializationError, match="primary key serde"):
        SubscriptionWrapperSerde(None).serialize(
            "t", SubscriptionWrapper(None, Instruction.DELETE_KEY_AND_PROPAGATE, "k", 0)
        )


class TopicRecordingSerde(Serdes.String):  # type: ignore[misc,valid-type]
    """A String serde that records the topics it is called with."""

    def __init__(self) -> None:
        super().__init__()
        self.topics: list[str] = []

    def serialize(self, topic, data, headers=None):  # type: ignore[no-untyped-def]
        self.topics.append(topic)
        return super().serialize(topic, data, headers)


def test_primary_keys_use_kafka_streams_pseudo_topic_in_topic_and_changelog() -> None:
    pk_serde = TopicRecordingSerde()
    serde = SubscriptionWrapperSerde(pk_serde, "SUB-topic", "SUB-STORE")
    wrapper = SubscriptionWrapper(None, Instruction.DELETE_KEY_AND_PROPAGATE, "k", 0)
    serde.serialize("app-SUB-topic", wrapper)
    serde.serialize("app-SUB-STORE-changelog", wrapper)
    assert pk_serde.topics == ["app-SUB-topic-pk", "app-SUB-topic-pk"]
