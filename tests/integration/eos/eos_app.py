"""The exactly-once chaos test's app, run as a separate process (modelled on Kafka Streams' EosTestClient).

    python eos_app.py BOOTSTRAP APPLICATION_ID STATE_DIR INPUT ECHO SUM CNT MAX TOTAL
        [--groups N] [--commit-interval-ms N] [--run NAME] [--session-timeout-ms N]
        [--group-protocol classic|consumer] [--static] [--config KEY=VALUE ...]

Under ``processing.guarantee=exactly_once_v2``, with its RocksDB stores under STATE_DIR,
it reads INPUT (String keys of integers, Integer values) and writes, for every record:

* to ECHO the record itself;
* to SUM / CNT the key's running sum / count (``group_by_key().aggregate`` / ``count``,
  Long values);
* to MAX the running max of the group ``int(key) % N`` (``group_by`` -- through the
  repartition topic ``<APPLICATION_ID>-regroup-repartition`` -- then ``aggregate``);
* to TOTAL the key's running sum through a record cache (the latest sum of each changed
  key at each commit). SUM, CNT and MAX have their caches disabled: one output per record.

``--config`` adds (or overrides) StreamsConfig entries, e.g. ``replication.factor=3``.

Every record it writes gets the header ``eos-run: NAME`` (which run of which instance wrote
it, for the verifier's messages). Logs (kstreams at INFO) go to stdout; besides, it prints,
one per line and flushed:

* ``CLIENT_ID <client id>`` at start;
* ``STATE <new> <old>`` on every state change of the client;
* ``THREAD_DIED <thread name> <exception type>: <message>`` when a stream thread dies (its
  uncaught-exception handler then shuts the client down: SHUTDOWN_CLIENT);
* ``CLOSED <True|False> <final state>`` after SIGTERM/SIGINT (or the client's ERROR) made it
  close.

Exit code (``status.EXIT_CODES``): 0 after a clean close, 2 if the client ended in ERROR (a
stream thread died), 3 if it did not close within 30 s (every thread's stack is printed).
SIGTERM / SIGINT stop it, SIGUSR1 prints every thread's stack (``app_signals``).
"""

from __future__ import annotations

import argparse
import faulthandler
import logging
import os
import signal
import sys
import threading
from pathlib import Path

sys.path.insert(1, str(Path(__file__).resolve().parents[1]))  # tests/integration: app_signals

from app_signals import close_and_report, stop_event

# First of all (importing kstreams takes a second): SIGTERM asks for a clean stop even then.
STOP = stop_event()

from status import (  # noqa: E402 -- this script's sibling
    CLOSE_TIMEOUT_S,
    CLOSED,
    EXIT_CLOSE_TIMEOUT,
    EXIT_ERROR,
    EXIT_OK,
    STATE,
    THREAD_DIED,
)

from kstreams import (  # noqa: E402
    FixedKeyProcessor,
    Grouped,
    KafkaStreams,
    Materialized,
    Serdes,
    StreamsBuilder,
    StreamThreadExceptionResponse,
    Topology,
)

LONG_MIN = -(2**63)
RUN_HEADER = "eos-run"


class TagRun(FixedKeyProcessor):
    """Adds the header ``eos-run: <run>`` to every record."""

    def __init__(self, run: str) -> None:
        self.run = run.encode()

    def process(self, record):  # type: ignore[no-untyped-def]
        headers = [*(record.headers or ()), (RUN_HEADER, self.run)]
        self.context.forward(record.with_headers(headers))


def build_topology(args: argparse.Namespace) -> Topology:
    string, integer, long = Serdes.String(), Serdes.Integer(), Serdes.Long()
    groups = args.groups
    builder = StreamsBuilder()
    data = builder.stream(args.input, key_serde=string, value_serde=integer).process_values(
        lambda: TagRun(args.run)
    )
    data.to(args.echo, key_serde=string, value_serde=integer)

    grouped = data.group_by_key(key_serde=string, value_serde=integer)
    (
        grouped.aggregate(
            lambda: 0,
            lambda _key, value, total: total + value,
            Materialized.as_("sum")
            .with_key_serde(string)
            .with_value_serde(long)
            .with_caching_disabled(),
        )
        .to_stream()
        .to(args.sum, key_serde=string, value_serde=long)
    )
    (  # the same sum through a record cache: the latest sum per key at each commit
        grouped.aggregate(
            lambda: 0,
            lambda _key, value, total: total + value,
            Materialized.as_("total").with_key_serde(string).with_value_serde(long),
        )
        .to_stream()
        .to(args.total, key_serde=string, value_serde=long)
    )
    (
        grouped.count(
            Materialized.as_("cnt")
            .with_key_serde(string)
            .with_value_serde(long)
            .with_caching_disabled()
        )
        .to_stream()
        .to(args.cnt, key_serde=string, value_serde=long)
    )
    (
        data.group_by(
            lambda key, _value: str(int(key) % groups),
            Grouped.as_("regroup").with_key_serde(string).with_value_serde(integer),
        )
        .aggregate(
            lambda: LONG_MIN,
            lambda _key, value, current: max(current, value),
            Materialized.as_("max")
            .with_key_serde(string)
            .with_value_serde(long)
            .with_caching_disabled(),
        )
        .to_stream()
        .to(args.max, key_serde=string, value_serde=long)
    )
    return builder.build()


def die_with_parent() -> None:
    """Linux: get SIGKILLed when the test process goes away (no leftover instances)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def main() -> int:
    die_with_parent()
    dump_every = float(os.environ.get("EOS_STACK_DUMP_S") or 0)
    if dump_every > 0:  # diagnosing a stuck instance: every thread's stack, periodically
        faulthandler.dump_traceback_later(dump_every, repeat=True, file=sys.stdout)
    parser = argparse.ArgumentParser()
    parser.add_argument("bootstrap")
    parser.add_argument("application_id")
    parser.add_argument("state_dir")
    for topic in ("input", "echo", "sum", "cnt", "max", "total"):
        parser.add_argument(topic)
    parser.add_argument("--groups", type=int, default=7)
    parser.add_argument("--commit-interval-ms", type=int, default=100)
    parser.add_argument("--session-timeout-ms", type=int, default=6000)
    parser.add_argument("--run", default="eos")
    parser.add_argument("--group-protocol", choices=("classic", "consumer"), default=None)
    parser.add_argument(
        "--static", action="store_true", help="group.instance.id = the run's instance name"
    )
    parser.add_argument(
        "--config", action="append", default=[], metavar="KEY=VALUE", help="more StreamsConfig"
    )
    args = parser.parse_args()

    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stdout,
        format=f"%(asctime)s {args.run} %(threadName)s %(name)s %(levelname)s %(message)s",
    )
    logging.getLogger("kstreams.client").setLevel(logging.WARNING)

    stop = STOP

    config = {
        "application.id": args.application_id,
        "bootstrap.servers": args.bootstrap,
        "processing.guarantee": "exactly_once_v2",
        "commit.interval.ms": args.commit_interval_ms,
        "state.dir": args.state_dir,
        "poll.ms": 50,
    }
    if args.group_protocol is not None:
        config["group.protocol"] = args.group_protocol
    if args.group_protocol != "consumer":  # the consumer protocol's are the broker's
        config["session.timeout.ms"] = args.session_timeout_ms
        config["heartbeat.interval.ms"] = max(500, args.session_timeout_ms // 4)
    if args.static:
        config["group.instance.id"] = f"{args.application_id}-{args.run.split('#')[0]}"
    config.update(item.split("=", 1) for item in args.config)
    streams = KafkaStreams(build_topology(args), config)
    print(f"CLIENT_ID {streams.client_id}", flush=True)

    def on_state(new: KafkaStreams.State, old: KafkaStreams.State) -> None:
        print(f"{STATE} {new.value} {old.value}", flush=True)
        if new in (KafkaStreams.State.ERROR, KafkaStreams.State.PENDING_ERROR):
            stop.set()

    def on_thread_death(exc: BaseException) -> StreamThreadExceptionResponse:
        first_line = (str(exc).splitlines() or [""])[0]
        print(
            f"{THREAD_DIED} {threading.current_thread().name} {type(exc).__name__}: {first_line}",
            flush=True,
        )
        return StreamThreadExceptionResponse.SHUTDOWN_CLIENT

    streams.set_state_listener(on_state)
    streams.set_uncaught_exception_handler(on_thread_death)
    streams.start()
    try:
        while not stop.wait(0.2):
            pass
    finally:
        # CLOSED False comes with every thread's stack: where the shutdown waits
        closed = close_and_report(streams, CLOSE_TIMEOUT_S, CLOSED)
    if not closed:
        return EXIT_CLOSE_TIMEOUT
    return EXIT_OK if streams.state is KafkaStreams.State.NOT_RUNNING else EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
