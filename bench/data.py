"""The benchmark's input: realistic small records, generated reproducibly, written to Kafka once.

* ``passthrough``: String keys (``user-<n>``), small JSON events (~120 bytes) such as
  ``{"id":17,"user":"user-4821","event":"click","page":"/p/1234","amount":12.34,"ts":...}``;
* ``wordcount``: null keys, short lines of text (1-7 words, ~4 on average) drawn from a
  10,000-word vocabulary with a Zipf-like (1/rank) frequency, as text is;
* ``distinct``: null keys, one distinct word per line (``key0000017``): word count with as
  many keys as records, for the memory and restoration measurements;
* ``windowed-tumbling`` / ``windowed-hopping`` (the same input for both): page views keyed by
  page (``/p/<n>``, 1,000 pages with Zipf-like (1/rank) popularity), small JSON values
  (``{"user":"user-4821","page":"/p/17","ref":"search"}``, ~50 bytes), record timestamps
  ``base + i * WINDOWED_STEP_MS``: 1,000 views a second of event time, so a 1-minute window
  holds 60,000 views and closes 60,000 records later (the default 750k records span 12.5
  minutes: 12 tumbling windows close during a run). ``base`` is on a minute boundary, such
  that the last record is an hour before the prefill: the broker deletes records older than
  its 7-day retention by their timestamps, and refuses those more than an hour ahead. The
  timestamps never go back, in any partition: no record is late, every contender counts every
  record. A replay runs event time faster than wall time (here ~10-80x): the faster event
  time runs, the more often window stores roll their time segments (Kafka Streams opens a
  RocksDB instance per segment), a cost real deployments pay once a minute; 1 ms a record
  keeps that artifact small while windows still close.
* ``stream-table`` (enrichment): a table topic of ``TABLE_KEYS`` (100,000) customers
  (``cust-<n>``, JSON ``{"id":17,"name":"customer-17","tier":"gold","country":"DE",...}``,
  ~80 bytes), all stamped ``base - 1`` (older than every event), and the events: keyed by a
  customer drawn uniformly from the 100,000 (so the whole table is looked up), small JSON
  orders (``{"id":17,"customer":"cust-4821","sku":"sku-123","qty":2,"amount":12.34}``), record
  timestamps ``base + i`` ms. Joined with a left join: one output per event;
* ``stream-stream``: orders (``order-<i>``, one per key, JSON ``{"order":17,"user":...,
  "amount":...}``, timestamps ``base + i`` ms) and, for 90% of them, a payment with the same
  key stamped ``JOIN_DELAY_MS`` (0-75 s, uniform) after its order, written to a second topic
  in order of their orders. A 1-minute ``JoinWindows`` inner join: a payment at most 60 s
  after its order joins it (~80% of the payments), one output each. ``records`` counts both
  topics; 1 ms a record keeps a consumer's fetch (up to ~10,000 records a partition, ~40 s of
  event time) well inside the join stores' retention (2 minutes), so no partner has expired
  when the other side arrives, whatever order a contender reads the two topics in.
"""

from __future__ import annotations

import itertools
import random
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from confluent_kafka import Producer

sys.path.insert(0, str(Path(__file__).resolve().parent / "contenders"))

from common import words

SEED = 20240611
VOCABULARY = 10_000
PAGES = 1000
WINDOWED = ("windowed-tumbling", "windowed-hopping")
WINDOW_SIZE_MS = 60_000
WINDOW_ADVANCE_MS = {"windowed-tumbling": 60_000, "windowed-hopping": 10_000}
"""1-minute tumbling windows; 1-minute windows every 10 seconds (each record in 6 windows)."""
WINDOWED_STEP_MS = 1
JOINS = ("stream-table", "stream-stream")
TABLE_KEYS = 100_000
"""The stream-table workload's table: this many customers."""
JOIN_WINDOW_MS = 60_000
"""The stream-stream workload's ``JoinWindows``: 1 minute either way, no grace."""
JOIN_DELAY_MS = (0, 75_000)
"""A payment comes this long after its order (uniform, ms): ~80% of them within the window."""
PAID_SHARE = 0.9
_TIERS = ("bronze", "silver", "gold", "platinum")
_COUNTRIES = ("DE", "FR", "GB", "US", "NL", "ES", "IT", "PL", "SE", "JP")
_METHODS = ("card", "card", "paypal", "transfer")
_REFERRERS = ("search", "search", "direct", "social", "email", "ad")
_EVENTS = ("view", "view", "view", "click", "click", "cart", "buy")
_SYLLABLES = [
    "ka",
    "ri",
    "to",
    "na",
    "mi",
    "su",
    "le",
    "po",
    "ve",
    "da",
    "ro",
    "ni",
    "sa",
    "te",
    "lo",
    "ma",
    "ke",
    "ru",
    "bi",
    "go",
    "ta",
    "no",
    "ha",
    "ze",
    "li",
    "fo",
    "an",
    "er",
    "in",
    "on",
    "us",
    "al",
    "or",
    "en",
    "ar",
    "is",
    "it",
    "ed",
    "es",
    "ly",
    "ing",
    "tion",
    "ment",
    "ness",
    "able",
]


@dataclass
class Dataset:
    """What was written to the input topic."""

    workload: str
    records: int
    expected_outputs: int
    """Output records a contender that forwards every update writes (words for a count)."""
    distinct_keys: int
    bytes: int
    other_records: int = 0
    """Join workloads: the records of the second input (the table, or the payments; the
    stream-table rate counts events only, the table load is part of the start-up)."""


def vocabulary(size: int = VOCABULARY, seed: int = SEED) -> list[str]:
    """``size`` distinct pronounceable pseudo-words, shortest (most frequent) first."""
    rng = random.Random(seed)
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < size:
        n = 1 + min(len(out) // 400, 3) + rng.randrange(2)
        word = "".join(rng.choice(_SYLLABLES) for _ in range(n))
        if word not in seen:
            seen.add(word)
            out.append(word)
    return out


def generate(workload: str, n: int, seed: int = SEED) -> Iterator[tuple[bytes | None, bytes]]:
    """The ``n`` (key, value) records of ``workload``."""
    rng = random.Random(seed)
    if workload == "passthrough":
        base = 1_700_000_000_000
        for i in range(n):
            user = f"user-{rng.randrange(100_000)}"
            event = {
                "id": i,
                "user": user,
                "event": rng.choice(_EVENTS),
                "page": f"/p/{rng.randrange(5000)}",
                "amount": round(rng.random() * 100, 2),
                "ts": base + i,
            }
            yield user.encode(), orjson.dumps(event)
    elif workload == "wordcount":
        vocab = vocabulary(seed=seed)
        weights = list(itertools.accumulate(1.0 / (r + 1) for r in range(len(vocab))))
        chunk = 100_000
        done = 0
        while done < n:
            m = min(chunk, n - done)
            lengths = [rng.randint(1, 7) for _ in range(m)]
            picks = rng.choices(vocab, cum_weights=weights, k=sum(lengths))
            pos = 0
            for k in lengths:
                line = " ".join(picks[pos : pos + k])
                pos += k
                if rng.random() < 0.3:
                    line = line.capitalize() + rng.choice((".", "!", "?", ","))
                yield None, line.encode()
            done += m
    elif workload == "distinct":
        for i in range(n):
            yield None, f"key{i:07d}".encode()
    elif workload in WINDOWED:
        pages = [f"/p/{r}" for r in range(PAGES)]
        weights = list(itertools.accumulate(1.0 / (r + 1) for r in range(PAGES)))
        chunk = 100_000
        done = 0
        while done < n:
            m = min(chunk, n - done)
            for page in rng.choices(pages, cum_weights=weights, k=m):
                view = {
                    "user": f"user-{rng.randrange(100_000)}",
                    "page": page,
                    "ref": rng.choice(_REFERRERS),
                }
                yield page.encode(), orjson.dumps(view)
            done += m
    else:
        raise ValueError(f"unknown workload {workload!r}")


def timestamps(workload: str, n: int) -> Iterator[int | None]:
    """The timestamps of ``workload``'s ``n`` records (None: the producer's clock)."""
    if workload not in WINDOWED:
        yield from itertools.repeat(None, n)
        return
    last = int(time.time() * 1000) - 3_600_000
    base = (last - n * WINDOWED_STEP_MS) // WINDOW_SIZE_MS * WINDOW_SIZE_MS
    for i in range(n):
        yield base + i * WINDOWED_STEP_MS


def windows_per_record(workload: str) -> int:
    """How many windows each record of a windowed workload falls in (1 tumbling, 6 hopping)."""
    return WINDOW_SIZE_MS // WINDOW_ADVANCE_MS[workload]


def _producer(bootstrap: str) -> Producer:
    return Producer(
        {
            "bootstrap.servers": bootstrap,
            "linger.ms": 20,
            "batch.num.messages": 10000,
            "queue.buffering.max.messages": 1_000_000,
            "partitioner": "murmur2_random",
            # in order: without it a batch retried (a new topic's first produce can fail)
            # lands after later ones, and the windowed inputs' timestamps would go back
            "enable.idempotence": True,
        }
    )


def _send(producer: Producer, topic: str, key: bytes | None, value: bytes, ts: int | None) -> None:
    while True:
        try:
            if ts is None:
                producer.produce(topic, value, key)
            else:
                producer.produce(topic, value, key, timestamp=ts)
            return
        except BufferError:
            producer.poll(0.05)


def prefill(bootstrap: str, topic: str, workload: str, n: int) -> Dataset:
    """Write ``n`` records of ``workload`` to ``topic`` (asynchronously, then flush)."""
    producer = _producer(bootstrap)
    expected = 0
    size = 0
    keys: set[Any] = set()
    started = time.monotonic()
    records = zip(generate(workload, n), timestamps(workload, n), strict=True)
    for i, ((key, value), ts) in enumerate(records):
        if workload == "passthrough":
            expected += 1
            keys.add(key)
        elif workload in WINDOWED:
            expected += windows_per_record(workload)  # one update per window it falls in
            keys.add(key)
        else:
            ws = words(value.decode())
            expected += len(ws)
            keys.update(ws)
        size += len(value) + (len(key) if key else 0)
        _send(producer, topic, key, value, ts)
        if i % 10000 == 0:
            producer.poll(0)
    remaining = producer.flush(120)
    if remaining:
        raise RuntimeError(f"prefill of {topic}: {remaining} records not delivered")
    took = time.monotonic() - started
    print(
        f"[bench] prefilled {topic}: {n:,} records, {size / n:.0f} bytes each, "
        f"{expected:,} expected outputs, in {took:.1f}s",
        file=sys.stderr,
        flush=True,
    )
    return Dataset(workload, n, expected, len(keys), size)


def join_base(records: int) -> int:
    """The join workloads' first timestamp: on a minute boundary, the last record an hour ago."""
    last = int(time.time() * 1000) - 3_600_000
    return (last - records - JOIN_DELAY_MS[1]) // 60_000 * 60_000


def generate_join(
    workload: str, n: int, base: int, seed: int = SEED
) -> tuple[list[tuple[bytes, bytes, int]], list[tuple[bytes, bytes, int]], int]:
    """The join workloads' two inputs, ``(stream, other, expected outputs)``.

    ``stream-table``: ``n`` events and the ``TABLE_KEYS`` customers (one output per event:
    a left join). ``stream-stream``: ``n // 2`` orders and their payments (the outputs: the
    payments within the window of their order).
    """
    rng = random.Random(seed)
    dumps = orjson.dumps
    if workload == "stream-table":
        table = [
            (
                f"cust-{c}".encode(),
                dumps(
                    {
                        "id": c,
                        "name": f"customer-{c}",
                        "tier": rng.choice(_TIERS),
                        "country": rng.choice(_COUNTRIES),
                        "since": 2010 + rng.randrange(16),
                    }
                ),
                base - 1,
            )
            for c in range(TABLE_KEYS)
        ]
        events = []
        for i in range(n):
            customer = f"cust-{rng.randrange(TABLE_KEYS)}"
            event = {
                "id": i,
                "customer": customer,
                "sku": f"sku-{rng.randrange(5000)}",
                "qty": 1 + rng.randrange(4),
                "amount": round(rng.random() * 100, 2),
            }
            events.append((customer.encode(), dumps(event), base + i))
        return events, table, n
    if workload == "stream-stream":
        orders, payments = [], []
        expected = 0
        for i in range(n // 2):
            key = f"order-{i}".encode()
            ts = base + i
            amount = round(rng.random() * 100, 2)
            order = {"order": i, "user": f"user-{rng.randrange(100_000)}", "amount": amount}
            orders.append((key, dumps(order), ts))
            if rng.random() < PAID_SHARE:
                delay = rng.randrange(*JOIN_DELAY_MS)
                if delay <= JOIN_WINDOW_MS:
                    expected += 1
                payment = {"order": i, "amount": amount, "method": rng.choice(_METHODS)}
                payments.append((key, dumps(payment), ts + delay))
        return orders, payments, expected
    raise ValueError(f"unknown join workload {workload!r}")


def prefill_join(bootstrap: str, topic: str, other_topic: str, workload: str, n: int) -> Dataset:
    """Write a join workload's inputs: the table (or payments) to ``other_topic`` first,
    then the events (or orders) to ``topic``."""
    started = time.monotonic()
    stream, other, expected = generate_join(workload, n, join_base(n))
    producer = _producer(bootstrap)
    size = 0
    for target, records in ((other_topic, other), (topic, stream)):
        for i, (key, value, ts) in enumerate(records):
            size += len(key) + len(value)
            _send(producer, target, key, value, ts)
            if i % 10000 == 0:
                producer.poll(0)
    remaining = producer.flush(120)
    if remaining:
        raise RuntimeError(f"prefill of {topic}/{other_topic}: {remaining} records not delivered")
    counted = len(stream) if workload == "stream-table" else len(stream) + len(other)
    keys = len({k for k, _, _ in stream})
    print(
        f"[bench] prefilled {topic} ({len(stream):,} records) and {other_topic} "
        f"({len(other):,}): {size / (len(stream) + len(other)):.0f} bytes each, "
        f"{expected:,} expected outputs, in {time.monotonic() - started:.1f}s",
        file=sys.stderr,
        flush=True,
    )
    return Dataset(workload, counted, expected, keys, size, other_records=len(other))
