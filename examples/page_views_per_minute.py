"""Page views per minute: tumbling one-minute windows, one final count per page and minute.

Reads page views from ``page-views`` (key: the page, a String; value: anything, e.g. JSON),
counts them per page in one-minute tumbling windows that still accept records up to 10 s
late (the grace period), and writes each window's count **once**, when the window closes:
when stream time (the largest record timestamp seen) passes the window's end plus the
grace. ``suppress(Suppressed.until_window_closes(...))`` holds the updates back until then;
records that arrive for a closed window are dropped (counted in the
``dropped-records-total`` metric). The output, ``page-views-per-minute``, has Kafka Streams'
time-windowed keys (the page's bytes, then the window start as an 8-byte long) and Long
counts: a Java application reads it with ``WindowedSerdes.timeWindowedSerdeFrom(String.class,
60000)`` and ``Serdes.Long()``.

The window counts live in a RocksDB window store (``views-per-minute``), the updates waiting
for their window's end in the suppression buffer; both are changelogged, so a restart (or a
crash, under ``exactly_once_v2``) neither loses nor repeats a final count.

Run it against a broker (topics must exist)::

    python examples/page_views_per_minute.py --bootstrap-servers 127.0.0.1:9092
"""

from __future__ import annotations

import argparse
from datetime import timedelta

from kstreams import (
    BufferConfig,
    KafkaStreams,
    Materialized,
    Serdes,
    StreamsBuilder,
    Suppressed,
    TimeWindows,
    Topology,
    WindowedSerdes,
    wait_for_shutdown_signal,
)

INPUT = "page-views"
OUTPUT = "page-views-per-minute"
STORE = "views-per-minute"
WINDOW = timedelta(minutes=1)
GRACE = timedelta(seconds=10)


def output_key_serde() -> WindowedSerdes.TimeWindowedSerde:
    """The output's key serde: Kafka Streams' time-windowed String keys."""
    return WindowedSerdes.time_windowed_serde_from(Serdes.String(), WINDOW)


def build_topology(input_topic: str = INPUT, output_topic: str = OUTPUT) -> Topology:
    """Page views in, one final count per page and minute out."""
    builder = StreamsBuilder()
    (
        builder.stream(input_topic, key_serde=Serdes.String(), value_serde=Serdes.String())
        .group_by_key()
        .windowed_by(TimeWindows.of_size_and_grace(WINDOW, GRACE))
        .count(Materialized.as_(STORE))
        .suppress(Suppressed.until_window_closes(BufferConfig.unbounded()))
        .to_stream()
        .to(output_topic, key_serde=output_key_serde(), value_serde=Serdes.Long())
    )
    return builder.build()


def config(bootstrap_servers: str, application_id: str = "page-views") -> dict[str, object]:
    """The application's StreamsConfig."""
    return {
        "application.id": application_id,
        "bootstrap.servers": bootstrap_servers,
        "processing.guarantee": "exactly_once_v2",
    }


def main() -> None:
    """Run until Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bootstrap-servers", default="127.0.0.1:9092")
    parser.add_argument("--application-id", default="page-views")
    args = parser.parse_args()
    topology = build_topology()
    print(topology.describe())
    with KafkaStreams(topology, config(args.bootstrap_servers, args.application_id)) as streams:
        streams.start()
        wait_for_shutdown_signal()  # SIGTERM or Ctrl-C; leaving the block closes


if __name__ == "__main__":
    main()
