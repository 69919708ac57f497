"""Word count: the classic Kafka Streams example, in kstreams.

Reads lines of text from ``text-lines`` (String values), splits them into
words, groups by word, counts, and writes the running counts to
``word-counts`` (String keys, Long values) -- byte for byte what Java's
``WordCountDemo`` writes. The counts live in a RocksDB store backed by the
changelog topic ``<application.id>-counts-changelog``.

Run it against a broker (topics must exist)::

    python examples/word_count.py --bootstrap-servers 127.0.0.1:9092
"""

from __future__ import annotations

import argparse
import re

from kstreams import (
    KafkaStreams,
    Materialized,
    Serdes,
    StreamsBuilder,
    Topology,
    wait_for_shutdown_signal,
)

INPUT = "text-lines"
OUTPUT = "word-counts"
STORE = "counts"
WORD = re.compile(r"\W+")


def words(line: str) -> list[str]:
    """The lower-cased words of ``line``."""
    return [w for w in WORD.split(line.lower()) if w]


def build_topology(input_topic: str = INPUT, output_topic: str = OUTPUT) -> Topology:
    """Lines in, running word counts out."""
    builder = StreamsBuilder()
    (
        builder.stream(input_topic, key_serde=Serdes.String(), value_serde=Serdes.String())
        .flat_map_values(words)
        .group_by(lambda _key, word: word, key_serde=Serdes.String())
        .count(Materialized.as_(STORE))
        .to_stream()
        .to(output_topic, key_serde=Serdes.String(), value_serde=Serdes.Long())
    )
    return builder.build()


def config(bootstrap_servers: str, application_id: str = "word-count") -> dict[str, object]:
    """The application's StreamsConfig."""
    return {
        "application.id": application_id,
        "bootstrap.servers": bootstrap_servers,
        "default.key.serde": Serdes.String,
        "default.value.serde": Serdes.String,
        "commit.interval.ms": 1000,
    }


def main() -> None:
    """Run until Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bootstrap-servers", default="127.0.0.1:9092")
    parser.add_argument("--application-id", default="word-count")
    args = parser.parse_args()
    topology = build_topology()
    print(topology.describe())
    with KafkaStreams(topology, config(args.bootstrap_servers, args.application_id)) as streams:
        streams.start()
        wait_for_shutdown_signal()  # SIGTERM or Ctrl-C; leaving the block closes


if __name__ == "__main__":
    main()
