"""The README's code examples work as written (quick start topology + the test-driver snippet)."""

from __future__ import annotations

from pathlib import Path

from kstreams import KafkaStreams, Materialized, Serdes, StreamsBuilder
from kstreams.errors import ConfigError
from kstreams.testing import TopologyTestDriver

README = Path(__file__).resolve().parents[2] / "README.md"


def quick_start_topology():
    builder = StreamsBuilder()
    (
        builder.stream("text-lines", key_serde=Serdes.String(), value_serde=Serdes.String())
        .flat_map_values(lambda line: line.lower().split())
        .group_by(lambda _key, word: word, key_serde=Serdes.String())
        .count(Materialized.as_("counts"))
        .to_stream()
        .to("word-counts", value_serde=Serdes.Long())
    )
    return builder.build()


def test_readme_contains_the_examples_tested_here() -> None:
    text = README.read_text()
    assert text.startswith("# kstreams")
    assert "make demo" in text.split("\n\n")[1] and "make test" in text.split("\n\n")[1]
    assert '.count(Materialized.as_("counts"))' in text
    assert 'lines.pipe_input("k", "hello kafka hello")' in text


def test_quick_start_topology_and_driver_snippet() -> None:
    topology = quick_start_topology()
    assert "KSTREAM-AGGREGATE-0000000003 (stores: [counts])" in str(topology.describe())
    with TopologyTestDriver(topology, {"default.value.serde": Serdes.String}) as driver:
        lines = driver.create_input_topic("text-lines", Serdes.String(), Serdes.String())
        counts = driver.create_output_topic("word-counts", Serdes.String(), Serdes.Long())
        lines.pipe_input("k", "hello kafka hello")
        assert counts.read_key_values_to_map() == {"hello": 2, "kafka": 1}
        assert driver.get_key_value_store("counts").get("hello") == 2


def test_quick_start_config_is_valid_and_unknown_keys_are_named() -> None:
    config = {
        "application.id": "word-count",
        "bootstrap.servers": "localhost:9092",
        "default.value.serde": Serdes.String,
        "processing.guarantee": "exactly_once_v2",
    }
    KafkaStreams(quick_start_topology(), config)  # constructs without contacting the broker
    try:
        KafkaStreams(quick_start_topology(), {**config, "comit.interval.ms": 5})
    except ConfigError as exc:
        assert "comit.interval.ms" in str(exc)
    else:  # pragma: no cover - the assertion below reports it
        raise AssertionError("an unknown key must raise ConfigError")
