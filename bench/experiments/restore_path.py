"""Experiment: the cost of restoration, per record and per restoration.

Two modes:

* ``apply`` (no broker): real ``confluent_kafka.Message`` objects, built once, handed to
  :func:`kstreams.runtime.restore.restore_stores` by a consumer stand-in in runs of one
  partition (as ``consume()`` returns a fetch), restored into the word count's store stack
  (timestamped key-value store, record cache, change-logging, write buffer, RocksDB; or
  ``--store memory`` / ``none``): CPU µs per record of the reader and the stores, without
  librdkafka. ``--callgrind N`` runs it once over N records for
  ``bench/experiments/restore_callgrind.sh``. ``--fresh``: every ``consume`` hands back new
  ``Message`` objects, as the real consumer does (the garbage collector then sees them
  allocated and alive for a round; ``--heap N`` keeps N other objects alive, as an
  application's heap, which a full collection walks).
* ``broker``: ``--records`` changelog records (distinct keys, 8-byte counts, the word
  count's changelog) on ``--partitions`` partitions of a topic on the broker of
  ``$KSTREAMS_BOOTSTRAP_SERVERS``, produced once (``--transactional``: in transactions of
  10,000, so every batch ends with a commit marker); then ``--repeat`` times: a plain read
  of it all with the restore consumer (``consume`` only) and a full restoration into fresh
  stores, with CPU seconds (``time.process_time``: every thread, librdkafka's too) and wall
  time per record, the time to the first record and from the last record to the end.

    .venv/bin/python bench/experiments/restore_path.py apply --records 200000
    KSTREAMS_BOOTSTRAP_SERVERS=... .venv/bin/python bench/experiments/restore_path.py broker
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import statistics
import struct
import sys
import tempfile
import time
import uuid
from typing import Any

from confluent_kafka import Consumer, Message, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from kstreams.config import StreamsConfig
from kstreams.runtime.restore import Restoration, plan_restore, restore_stores
from kstreams.serde import Serdes
from kstreams.state import StateStoreContext, Stores
from kstreams.state.caching import cached_store
from kstreams.state.thread_cache import ThreadCache

TIMESTAMP = 1_700_000_000_000
_COUNT = struct.Struct(">q")


class NullCollector:
    def send_changelog(self, *args: Any) -> None:
        return None


def open_store(kind: str, topic: str, partition: int, state_dir: str) -> Any:
    """The word count's store of one task, opened as the task opens it."""
    if kind == "none":
        return NullStore(topic)
    supplier = (
        Stores.persistent_timestamped_key_value_store("counts")
        if kind == "rocksdb"
        else Stores.in_memory_key_value_store("counts")
    )
    builder = Stores.timestamped_key_value_store_builder(
        supplier, Serdes.String(), Serdes.Long()
    ).with_caching_enabled()
    cache = ThreadCache(10 * 1024 * 1024)
    store = cached_store(builder.build(), cache)
    store.init(
        StateStoreContext(
            f"0_{partition}",
            "restore-path",
            partition,
            os.path.join(state_dir, f"0_{partition}"),
            changelog_topic=topic,
            collector=NullCollector(),
            thread_cache=cache,
        )
    )
    return store


class NullStore:
    """A store that takes restored batches and drops them (the reader's cost alone)."""

    name = "counts"

    def __init__(self, topic: str) -> None:
        self.changelog_topic = topic
        self.offset: int | None = None

    def restore_offset(self) -> int | None:
        return self.offset

    def restore_batch(self, records: list[Any], last_offset: int) -> None:
        self.offset = last_offset

    def wipe(self) -> None:
        self.offset = None

    def close(self) -> None:
        return None


# --------------------------------------------------------------------------- apply
class Position:
    def __init__(self, topic: str, partition: int, offset: int) -> None:
        self.topic, self.partition, self.offset = topic, partition, offset


class Replay:
    """The restore consumer's part restoration uses, over messages built in advance: each
    ``consume`` returns up to ``n`` of them in runs of ``run`` per partition."""

    def __init__(
        self, topic: str, partitions: int, per_partition: int, run: int, fresh: bool = False
    ) -> None:
        self.topic = topic
        self.fresh = fresh
        self.ends = {p: per_partition for p in range(partitions)}
        value = _COUNT.pack(7)
        self.logs = {
            p: [
                Message(
                    topic=topic,
                    partition=p,
                    offset=o,
                    key=b"word-%08d" % (o * partitions + p),
                    value=value,
                    timestamp=(1, TIMESTAMP + o),
                    error=None,
                )
                for o in range(per_partition)
            ]
            for p in range(partitions)
        }
        self.run = run
        self.pos: dict[int, int] = {}
        self.paused: set[int] = set()

    def get_watermark_offsets(self, tp: Any, timeout: float, cached: bool) -> tuple[int, int]:
        return 0, self.ends[tp.partition]

    def list_topics(self, topic: str, timeout: float) -> None:
        return None

    def assign(self, tps: list[Any]) -> None:
        self.pos = {tp.partition: tp.offset for tp in tps}

    def unassign(self) -> None:
        self.pos = {}

    def pause(self, tps: list[Any]) -> None:
        self.paused |= {tp.partition for tp in tps}

    def resume(self, tps: list[Any]) -> None:
        self.paused -= {tp.partition for tp in tps}

    def consume(self, n: int, timeout: float) -> list[Any]:
        out: list[Any] = []
        while len(out) < n:
            took = False
            for p, start in self.pos.items():
                if p in self.paused or start >= self.ends[p]:
                    continue
                stop = min(start + self.run, self.ends[p], start + n - len(out))
                out.extend(self.logs[p][start:stop])
                self.pos[p] = stop
                took = True
                if len(out) >= n:
                    break
            if not took:
                break
        if self.fresh:  # new objects, as confluent-kafka builds them for each consume()
            return [
                Message(
                    topic=m.topic(),
                    partition=m.partition(),
                    offset=m.offset(),
                    key=m.key(),
                    value=m.value(),
                    timestamp=m.timestamp(),
                    error=None,
                )
                for m in out
            ]
        return out

    def position(self, tps: list[Any]) -> list[Position]:
        return [Position(tp.topic, tp.partition, self.pos[tp.partition]) for tp in tps]


def apply_once(replay: Replay, kind: str, partitions: int) -> tuple[float, float, int]:
    """One restoration of every partition of ``replay`` into fresh stores: (CPU s, wall s, records)."""
    with tempfile.TemporaryDirectory(prefix="restore-path-") as state_dir:
        stores = [open_store(kind, replay.topic, p, state_dir) for p in range(partitions)]
        jobs = [plan_restore(replay, s, p) for p, s in enumerate(stores)]
        gc.collect()
        c0, w0 = time.process_time(), time.perf_counter()
        n = restore_stores(replay, [j for j in jobs if j is not None])
        cpu, wall = time.process_time() - c0, time.perf_counter() - w0
        for store in stores:
            store.close()
    return cpu, wall, n


def run_apply(args: argparse.Namespace) -> None:
    per_partition = args.records // args.partitions
    replay = Replay("restore-path-changelog", args.partitions, per_partition, args.run, args.fresh)
    heap = [[i] for i in range(args.heap)]  # noqa: F841 (alive: what a full collection walks)
    if args.callgrind:
        # the messages of --records are built whatever is restored: the difference of two
        # runs' instruction counts is the restoration's alone
        replay.ends = dict.fromkeys(replay.ends, args.callgrind // args.partitions)
        apply_once(replay, args.store, args.partitions)
        return
    apply_once(replay, args.store, args.partitions)  # warm-up
    results = [apply_once(replay, args.store, args.partitions) for _ in range(args.repeat)]
    cpu = sorted(r[0] / r[2] * 1e6 for r in results)
    print(
        f"apply ({args.store}, {per_partition * args.partitions:,} records, "
        f"{args.partitions} partitions, runs of {args.run}): CPU µs/record best "
        f"{cpu[0]:.3f}, median {statistics.median(cpu):.3f} over {len(cpu)} runs"
    )


# --------------------------------------------------------------------------- broker
def produce(bootstrap: str, topic: str, records: int, partitions: int, txn: bool) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics(
        [NewTopic(topic, partitions, 1, config={"cleanup.policy": "compact"})]
    )
    futures[topic].result(30)
    conf: dict[str, Any] = {
        "bootstrap.servers": bootstrap,
        "linger.ms": 20,
        "batch.num.messages": 10000,
        "queue.buffering.max.messages": 200000,
    }
    if txn:
        conf["transactional.id"] = f"restore-path-{uuid.uuid4().hex[:6]}"
    producer = Producer(conf)
    if txn:
        producer.init_transactions(30)
    value = _COUNT.pack(7)
    for start in range(0, records, 10000):
        if txn:
            producer.begin_transaction()
        for i in range(start, min(start + 10000, records)):
            while True:
                try:
                    producer.produce(
                        topic, value, b"word-%08d" % i, i % partitions, timestamp=TIMESTAMP + i
                    )
                    break
                except BufferError:
                    producer.poll(0.05)
        if txn:
            producer.commit_transaction(30)
        else:
            producer.poll(0)
    producer.flush(60)


def restore_consumer(bootstrap: str, exactly_once: bool, overrides: dict[str, Any]) -> Consumer:
    props = {
        "application.id": f"restore-path-{uuid.uuid4().hex[:6]}",
        "bootstrap.servers": bootstrap,
        "processing.guarantee": "exactly_once_v2" if exactly_once else "at_least_once",
    }
    props.update({f"restore.consumer.{k}": v for k, v in overrides.items()})
    conf = StreamsConfig(props).restore_consumer_config(client_id="restore-path")
    return Consumer(conf)


def end_offsets(consumer: Consumer, topic: str, partitions: int) -> dict[int, int]:
    return {
        p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10, cached=False)[1]
        for p in range(partitions)
    }


def read_all(consumer: Consumer, topic: str, partitions: int) -> dict[str, float]:
    """The restore consumer's part alone: every record read with ``consume``, nothing done."""
    ends = end_offsets(consumer, topic, partitions)
    consumer.list_topics(topic, timeout=10)
    c0, w0 = time.process_time(), time.perf_counter()
    tps = [TopicPartition(topic, p, 0) for p in range(partitions)]
    consumer.assign(tps)
    consumer.resume(tps)  # librdkafka keeps a pause (restoration pauses finished partitions)
    n = 0
    first = last = None
    done: set[int] = set()
    while len(done) < partitions:
        msgs = consumer.consume(10000, 0.01)
        if msgs:
            now = time.perf_counter()
            first = first or now
            last = now
            n += len(msgs)
        for tp in consumer.position([TopicPartition(topic, p) for p in range(partitions)]):
            if tp.offset >= ends[tp.partition]:
                done.add(tp.partition)
    cpu, end = time.process_time() - c0, time.perf_counter()
    consumer.unassign()
    return {
        "records": n,
        "cpu_us": cpu / n * 1e6,
        "wall_s": end - w0,
        "first_s": (first or end) - w0,
        "tail_s": end - (last or end),
    }


class TimedConsumer:
    """The restore consumer, with the wall time spent in ``consume`` (waiting included) summed."""

    def __init__(self, consumer: Consumer) -> None:
        self._consumer = consumer
        self.in_consume = 0.0
        self.empty = 0

    def consume(self, n: int, timeout: float) -> list[Any]:
        t0 = time.perf_counter()
        msgs = self._consumer.consume(n, timeout)
        self.in_consume += time.perf_counter() - t0
        self.empty += not msgs
        return msgs

    def __getattr__(self, name: str) -> Any:
        return getattr(self._consumer, name)


def restore_all(
    consumer: Any, topic: str, partitions: int, kind: str, listener: Any
) -> dict[str, float]:
    consumer = TimedConsumer(consumer)
    with tempfile.TemporaryDirectory(prefix="restore-path-") as state_dir:
        stores = [open_store(kind, topic, p, state_dir) for p in range(partitions)]
        jobs = [plan_restore(consumer, s, p) for p, s in enumerate(stores)]
        gc.collect()
        c0, w0 = time.process_time(), time.perf_counter()
        restoration = Restoration(consumer, listener)
        restoration.add([j for j in jobs if j is not None])
        added = time.perf_counter()
        first = last = None
        try:
            while restoration.active:
                before = restoration.restored
                restoration.round()
                if restoration.restored != before:
                    now = time.perf_counter()
                    first = first or now
                    last = now
        finally:
            consumer.unassign()
        cpu, end = time.process_time() - c0, time.perf_counter()
        n = restoration.restored
        for store in stores:
            store.close()
    return {
        "records": n,
        "cpu_us": cpu / n * 1e6,
        "wall_s": end - w0,
        "add_s": added - w0,
        "in_consume_s": consumer.in_consume,
        "empty_rounds": consumer.empty,
        "first_s": (first or end) - w0,
        "tail_s": end - (last or end),
    }


def run_broker(args: argparse.Namespace) -> None:
    bootstrap = os.environ["KSTREAMS_BOOTSTRAP_SERVERS"]
    topic = args.topic or f"restore-path-{uuid.uuid4().hex[:6]}-changelog"
    if not args.topic:
        t0 = time.perf_counter()
        produce(bootstrap, topic, args.records, args.partitions, args.transactional)
        print(f"produced {args.records:,} records to {topic} in {time.perf_counter() - t0:.1f}s")
    overrides = dict(kv.split("=", 1) for kv in args.set)
    consumer = restore_consumer(bootstrap, args.transactional, overrides)
    try:
        for i in range(args.repeat):
            r = read_all(consumer, topic, args.partitions)
            print(
                f"[{i}] consume only: {r['records']:,} records, CPU {r['cpu_us']:.3f} µs/record, "
                f"wall {r['wall_s']:.3f}s ({r['records'] / r['wall_s']:,.0f}/s), first record "
                f"after {r['first_s'] * 1000:.1f} ms, end {r['tail_s'] * 1000:.1f} ms after "
                "the last"
            )
            if args.consume_only:
                continue
            r = restore_all(consumer, topic, args.partitions, args.store, None)
            print(
                f"[{i}] restore ({args.store}): {r['records']:,} records, CPU "
                f"{r['cpu_us']:.3f} µs/record, wall {r['wall_s']:.3f}s "
                f"({r['records'] / r['wall_s']:,.0f}/s), add {r['add_s'] * 1000:.1f} ms, "
                f"first batch after {r['first_s'] * 1000:.1f} ms, done "
                f"{r['tail_s'] * 1000:.1f} ms after the last batch; in consume() "
                f"{r['in_consume_s']:.3f}s, {r['empty_rounds']} empty rounds"
            )
    finally:
        consumer.close()
        if not args.topic and not args.keep:
            AdminClient({"bootstrap.servers": bootstrap}).delete_topics([topic])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=("apply", "broker"))
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--store", choices=("rocksdb", "memory", "none"), default="rocksdb")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--run", type=int, default=2500, help="apply: records per partition run")
    parser.add_argument("--callgrind", type=int, default=0)
    parser.add_argument("--fresh", action="store_true", help="apply: new messages per consume")
    parser.add_argument("--heap", type=int, default=0, help="apply: other live objects")
    parser.add_argument("--transactional", action="store_true")
    parser.add_argument("--topic", help="broker: an existing changelog topic (not produced)")
    parser.add_argument("--keep", action="store_true", help="broker: keep the topic")
    parser.add_argument("--consume-only", action="store_true", help="broker: no restoration")
    parser.add_argument(
        "--set", action="append", default=[], help="broker: restore consumer setting k=v"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    (run_apply if args.mode == "apply" else run_broker)(args)


if __name__ == "__main__":
    main()
