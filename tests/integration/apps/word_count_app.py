"""The word-count example (``examples/word_count.py``) run as a separate process by the state tests.

    python word_count_app.py BOOTSTRAP APPLICATION_ID INPUT OUTPUT STATE_DIR
        [--commit-interval-ms N] [--session-timeout-ms N]

Counts the words of INPUT's lines into the store ``counts`` (changelog
``<APPLICATION_ID>-counts-changelog``) and writes the running counts to OUTPUT
(String keys, Long values), keeping its RocksDB stores under STATE_DIR. Prints,
one per line and flushed:

* ``CLIENT_ID <client id>`` at start;
* ``STATE <new> <old>`` on every state change of the client (``STATE RUNNING ...`` once
  it processes);
* ``RESTORE_START <topic> <partition> <store> <start offset> <end offset>``,
  ``RESTORE_BATCH <topic> <partition> <store> <batch end offset> <records>`` and
  ``RESTORE_END <topic> <partition> <store> <total records>`` from the restore listener;
* ``CLOSED <True|False> <final state>`` after SIGTERM/SIGINT made it close.

Exit code 0 after a clean close, 1 if the client ended in ERROR or did not close in time.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/integration: app_signals

from app_signals import close_and_report, stop_event

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "examples"))

import word_count  # the example's topology, from examples/

from kstreams import KafkaStreams


class PrintingRestoreListener:
    """Prints every restoration callback (the tests parse these lines)."""

    def on_restore_start(
        self, topic_partition: tuple[str, int], store_name: str, start_offset: int, end_offset: int
    ) -> None:
        topic, partition = topic_partition
        print(
            f"RESTORE_START {topic} {partition} {store_name} {start_offset} {end_offset}",
            flush=True,
        )

    def on_batch_restored(
        self,
        topic_partition: tuple[str, int],
        store_name: str,
        batch_end_offset: int,
        num_restored: int,
    ) -> None:
        topic, partition = topic_partition
        print(
            f"RESTORE_BATCH {topic} {partition} {store_name} {batch_end_offset} {num_restored}",
            flush=True,
        )

    def on_restore_end(
        self, topic_partition: tuple[str, int], store_name: str, total_restored: int
    ) -> None:
        topic, partition = topic_partition
        print(f"RESTORE_END {topic} {partition} {store_name} {total_restored}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("bootstrap")
    parser.add_argument("application_id")
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("state_dir")
    parser.add_argument("--commit-interval-ms", type=int, default=200)
    parser.add_argument("--session-timeout-ms", type=int, default=None)
    args = parser.parse_args()

    logging.basicConfig(
        level=logging.INFO, stream=sys.stdout, format="%(asctime)s %(name)s %(message)s"
    )
    logging.getLogger("kstreams.client").setLevel(logging.WARNING)

    stop = stop_event()  # SIGTERM / SIGINT set it; SIGUSR1 prints every thread's stack

    config = word_count.config(args.bootstrap, args.application_id)
    config.update(
        {
            "state.dir": args.state_dir,
            "commit.interval.ms": args.commit_interval_ms,
            "poll.ms": 50,
            "repartition.purge.interval.ms": 200,
        }
    )
    if args.session_timeout_ms is not None:
        config["session.timeout.ms"] = args.session_timeout_ms
        config["heartbeat.interval.ms"] = max(100, args.session_timeout_ms // 6)
    streams = KafkaStreams(word_count.build_topology(args.input, args.output), config)
    print(f"CLIENT_ID {streams.client_id}", flush=True)

    def on_state(new: KafkaStreams.State, old: KafkaStreams.State) -> None:
        print(f"STATE {new.value} {old.value}", flush=True)
        if new in (KafkaStreams.State.ERROR, KafkaStreams.State.PENDING_ERROR):
            stop.set()

    streams.set_state_listener(on_state)
    streams.set_global_state_restore_listener(PrintingRestoreListener())
    streams.start()
    try:
        while not stop.wait(0.2):
            pass
    finally:
        closed = close_and_report(streams)
    ok = closed and streams.state is KafkaStreams.State.NOT_RUNNING
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
