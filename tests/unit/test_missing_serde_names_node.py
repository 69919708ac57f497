"""A node without a serde and no configured default: the error names the node and its topic."""

from __future__ import annotations

import pytest

from kstreams import ConfigError, Serdes, StreamsBuilder
from kstreams.testing import TopologyTestDriver


def test_a_sink_without_a_key_serde_is_named() -> None:
    builder = StreamsBuilder()
    source = builder.stream("in", key_serde=Serdes.String(), value_serde=Serdes.String())
    source.map(lambda k, v: (v, k)).to("out")  # map forgets the serdes
    with pytest.raises(
        ConfigError, match=r"Sink node KSTREAM-SINK-\d+ \(topic out\) has no key serde"
    ):
        TopologyTestDriver(builder.build())


def test_a_source_without_a_value_serde_is_named() -> None:
    builder = StreamsBuilder()
    builder.stream("in", key_serde=Serdes.String()).to(
        "out", key_serde=Serdes.String(), value_serde=Serdes.String()
    )
    with pytest.raises(
        ConfigError, match=r"Source node KSTREAM-SOURCE-\d+ \(topics in\) has no value serde"
    ):
        TopologyTestDriver(builder.build())
