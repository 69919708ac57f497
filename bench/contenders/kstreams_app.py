"""kstreams, as a user would write the benchmark's workloads (default tuning).

* passthrough: ``stream(String, JSON).map_values(passthrough).to(String, JSON)``;
* wordcount: ``examples/word_count.py``'s topology: ``flat_map_values(words)
  .group_by(word).count(Materialized.as_("counts")).to_stream().to(String, Long)``;
* windowed-tumbling / windowed-hopping: ``stream(String, String).group_by_key()
  .windowed_by(TimeWindows.of_size_with_no_grace(1 min)[.advance_by(10 s)])
  .count(Materialized.as_("views")).to_stream().to(windowed String, Long)``: emit on update
  through the record cache (Kafka Streams' default), keys in Java's time-windowed layout;
* stream-table: ``stream(events, String, JSON).left_join(table(customers, String, JSON),
  enrich).to(String, JSON)`` (the table unmaterialized: the join materializes it, as Java);
* stream-stream: ``stream(orders).join(stream(payments), paid,
  JoinWindows.of_time_difference_with_no_grace(1 min), StreamJoined.with_(String, JSON,
  JSON)).to(String, JSON)``.

Only ``processing.guarantee``, ``commit.interval.ms`` (the same for every contender) and
``state.dir`` are set; everything else is kstreams' default. kstreams' own INFO log goes to
stderr (the harness reads the restoration lines from it).

For experiments (how the suggestions in docs/benchmarks.md were measured):
``BENCH_KSTREAMS_PATCH=<file.py>`` runs that file first (``bench/experiments/``: monkeypatches
of kstreams internals), ``BENCH_KSTREAMS_CONFIG='{"key": value}'`` adds settings.
"""

from __future__ import annotations

import json
import logging
import os
import runpy
import sys
import threading
import time
from datetime import timedelta

from common import (
    JOIN_WINDOW_MS,
    WINDOW_ADVANCE_MS,
    WINDOW_SIZE_MS,
    enrich,
    paid,
    parse_args,
    passthrough,
    stop_event,
    words,
)

from kstreams import (
    Joined,
    JoinWindows,
    KafkaStreams,
    Materialized,
    Serdes,
    StreamJoined,
    StreamsBuilder,
    TimeWindows,
    Topology,
    WindowedSerdes,
)


def topology(
    workload: str, input_topic: str, output_topic: str, other_topic: str | None = None
) -> Topology:
    builder = StreamsBuilder()
    string, json = Serdes.String(), Serdes.JSON()
    if workload == "stream-table":
        assert other_topic, "stream-table needs --other-input (the table)"
        customers = builder.table(other_topic, key_serde=string, value_serde=json)
        (
            builder.stream(input_topic, key_serde=string, value_serde=json)
            .left_join(customers, enrich, Joined.with_(string, json, json))
            .to(output_topic, key_serde=string, value_serde=json)
        )
    elif workload == "stream-stream":
        assert other_topic, "stream-stream needs --other-input (the payments)"
        payments = builder.stream(other_topic, key_serde=string, value_serde=json)
        (
            builder.stream(input_topic, key_serde=string, value_serde=json)
            .join(
                payments,
                paid,
                JoinWindows.of_time_difference_with_no_grace(
                    timedelta(milliseconds=JOIN_WINDOW_MS)
                ),
                StreamJoined.with_(string, json, json),
            )
            .to(output_topic, key_serde=string, value_serde=json)
        )
    elif workload == "passthrough":
        (
            builder.stream(input_topic, key_serde=Serdes.String(), value_serde=Serdes.JSON())
            .map_values(passthrough)
            .to(output_topic, key_serde=Serdes.String(), value_serde=Serdes.JSON())
        )
    elif workload in WINDOW_ADVANCE_MS:
        size = timedelta(milliseconds=WINDOW_SIZE_MS)
        windows = TimeWindows.of_size_with_no_grace(size)
        if WINDOW_ADVANCE_MS[workload] != WINDOW_SIZE_MS:
            windows = windows.advance_by(timedelta(milliseconds=WINDOW_ADVANCE_MS[workload]))
        (
            builder.stream(input_topic, key_serde=Serdes.String(), value_serde=Serdes.String())
            .group_by_key()
            .windowed_by(windows)
            .count(Materialized.as_("views"))
            .to_stream()
            .to(
                output_topic,
                key_serde=WindowedSerdes.time_windowed_serde_from(Serdes.String(), size),
                value_serde=Serdes.Long(),
            )
        )
    else:
        (
            builder.stream(input_topic, key_serde=Serdes.String(), value_serde=Serdes.String())
            .flat_map_values(words)
            .group_by(
                lambda _key, word: word, key_serde=Serdes.String(), value_serde=Serdes.String()
            )
            .count(Materialized.as_("counts"))
            .to_stream()
            .to(output_topic, key_serde=Serdes.String(), value_serde=Serdes.Long())
        )
    return builder.build()


def main() -> int:
    args = parse_args(__doc__ or "")
    patch = os.environ.get("BENCH_KSTREAMS_PATCH")
    if patch:
        for path in patch.split(os.pathsep):
            runpy.run_path(path)
    logging.basicConfig(
        level=logging.WARNING, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s"
    )
    logging.getLogger("kstreams").setLevel(logging.INFO)
    logging.getLogger("kstreams.client").setLevel(logging.WARNING)
    stop = stop_event()
    config = {
        "application.id": args.app_id,
        "bootstrap.servers": args.bootstrap,
        "processing.guarantee": args.guarantee,
        "commit.interval.ms": args.commit_interval_ms,
        "state.dir": args.state_dir,
    }
    config.update(json.loads(os.environ.get("BENCH_KSTREAMS_CONFIG") or "{}"))
    streams = KafkaStreams(
        topology(args.workload, args.input, args.output, args.other_input), config
    )
    running = threading.Event()

    def on_state(new: object, _old: object) -> None:
        if new is KafkaStreams.State.RUNNING:
            running.set()
            print(f"BENCH RUNNING {time.monotonic() - started:.3f}", flush=True)
        elif new is KafkaStreams.State.ERROR:
            stop.set()

    streams.set_state_listener(on_state)
    started = time.monotonic()  # start() to RUNNING: the restart figures
    streams.start()
    if args.exit_when_running:
        while not (running.is_set() or stop.is_set()):
            running.wait(0.05)
    else:
        stop.wait()
    streams.close()
    return 1 if streams.state is KafkaStreams.State.ERROR else 0


if __name__ == "__main__":
    sys.exit(main())
