"""The sink's fast path for time-windowed keys (``kstreams.runtime.windowed_sink``) sends the
same records to the same partitions as the full sink (serializers, ``WindowedPartitioner``,
the collector's ``send``), whose path the ``TopologyTestDriver`` takes."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from typing import Any

import pytest

from kstreams import Serdes, StreamsBuilder
from kstreams.config import StreamsConfig
from kstreams.errors import SerializationError
from kstreams.processor.task_id import TaskId
from kstreams.runtime.task import StreamTask
from kstreams.serde.base import Serde
from kstreams.serde.primitives import StringSerde
from kstreams.serde.windowed import TimeWindowedSerde, WindowedSerdes, murmur2
from kstreams.windows import TimeWindows
from kstreams.windows.window import TimeWindow, Windowed

IN, OUT = "in", "out"
PARTITIONS = 5


class SendOnly:
    """A collector without a direct ``produce``: every record goes through ``send``."""

    def __init__(self) -> None:
        self.records: list[tuple[Any, ...]] = []
        self.changelog_offsets: dict[tuple[str, int], int] = {}

    def send(self, topic: str, key: Any, value: Any, ts: int, headers: Any, partition: Any) -> None:
        self.records.append((topic, key, value, ts, headers, partition))

    def send_changelog(self, *args: Any) -> None:
        pass

    def partitions_for(self, topic: str) -> int:
        return PARTITIONS


class Producing(SendOnly):
    """A collector with a direct ``produce`` (as KafkaRecordCollector's), full now and then."""

    def __init__(self, full_every: int = 0) -> None:
        super().__init__()
        self.produced = 0
        self._calls = 0
        self._full_every = full_every

    def produce_fn(self) -> Any:
        def produce(
            topic: str, value: Any, key: Any, partition: int, cb: Any, dr: Any, ts: int
        ) -> None:
            self._calls += 1
            if self._full_every and self._calls % self._full_every == 0:
                raise BufferError("queue full")
            self.produced += 1
            self.records.append((topic, key, value, ts, None, None if partition < 0 else partition))

        return produce


class Shouting(StringSerde):
    """An inner serde of its own (no fast path): the full path places its keys."""

    def serialize(self, topic: str, data: Any, headers: Any = None) -> bytes | None:
        return None if data is None else str(data).upper().encode()


def run(
    inner: Any, collector: Any, keys: list[Any], key_serde: Any = None, partitioner: Any = None
) -> list[tuple[Any, ...]]:
    b = StreamsBuilder()
    size = timedelta(seconds=60)
    if key_serde is None:
        key_serde = WindowedSerdes.time_windowed_serde_from(inner, size)
    (
        b.stream(IN, key_serde=inner, value_serde=Serdes.String())
        .group_by_key()
        .windowed_by(TimeWindows.of_size_with_no_grace(size).advance_by(timedelta(seconds=10)))
        .count()
        .to_stream()
        .to(OUT, key_serde=key_serde, partitioner=partitioner)
    )
    topology = b.build()
    cfg = StreamsConfig(
        {
            "application.id": "wsink",
            "bootstrap.servers": "dummy:0",
            "state.dir": tempfile.mkdtemp(prefix="kstreams-wsink-"),
            "statestore.cache.max.bytes": 0,
            "default.value.serde": Serdes.Long(),
        }
    )
    sub = topology.subtopologies()[0]
    task = StreamTask(TaskId(sub.id, 0), topology, sub, cfg, collector, lambda: 0, [(IN, 0)])
    kser = inner.serialize
    for i, k in enumerate(keys):
        task.process(IN, 0, i, kser(IN, k), b"v", 1_000 + 7_000 * i, None)
    task.close()
    return collector.records


KEYS = [f"user-{i % 13}" for i in range(60)]


@pytest.mark.parametrize("full_every", [0, 4])
def test_fast_path_sends_what_the_full_path_sends(full_every: int) -> None:
    fast = Producing(full_every)
    got = run(Serdes.String(), fast, KEYS)
    want = run(Serdes.String(), SendOnly(), KEYS)
    assert fast.produced > 0  # the fast path ran
    assert got == want
    assert {r[5] for r in want} == set(range(PARTITIONS))  # several partitions were used


def test_inner_serdes_without_a_fast_path_take_the_full_path() -> None:
    fast = Producing()
    got = run(Shouting(), fast, KEYS)
    assert fast.produced == 0
    assert got == run(Shouting(), SendOnly(), KEYS)
    assert got[0][1].startswith(b"USER-")


def test_placer_matches_serializer_and_partitioner() -> None:
    for inner, keys in ((Serdes.String(), ["a", "bb", "user-7"]), (Serdes.Integer(), [1, -5])):
        serde = TimeWindowedSerde(inner, 60_000)
        partitioner = serde.partitioner()
        place = partitioner.fast_placer()
        assert place is not None
        for key in keys:
            for start in (0, 60_000, 1 << 40):
                windowed = Windowed(key, TimeWindow(start, start + 60_000))
                for n in (1, 3, 12):
                    kb, p = place(windowed, n)
                    assert kb == serde.serialize("t", windowed)
                    assert p == partitioner("t", windowed, None, n)
                    raw = inner.serialize("t", key)
                    assert n == 1 or p == (murmur2(raw) & 0x7FFFFFFF) % n
    place = TimeWindowedSerde(Serdes.String(), 10).partitioner().fast_placer()
    assert place is not None
    with pytest.raises(SerializationError):
        place(Windowed(None, TimeWindow(0, 10)), 3)
    assert TimeWindowedSerde(Shouting(), 10).partitioner().fast_placer() is None
    session = WindowedSerdes.session_windowed_serde_from(Serdes.String())
    assert session.partitioner().fast_placer() is None


class AtSign(Serde[Any]):
    """A windowed key serde of the user's own (``key@start``), not a WindowedSerde."""

    def serialize(self, topic: str, data: Any, headers: Any = None) -> bytes | None:
        return None if data is None else f"{data.key}@{data.window.start}".encode()

    def deserialize(self, topic: str, data: bytes | None, headers: Any = None) -> Any:
        raise NotImplementedError


def test_a_windowed_partitioner_over_another_key_serde_takes_the_full_path() -> None:
    # the partitioner's serde is not the sink's: the key's bytes are the sink's serde's
    partitioner = TimeWindowedSerde(Serdes.String(), 60_000).partitioner()
    fast = Producing()
    got = run(Serdes.String(), fast, KEYS, AtSign(), partitioner)
    assert fast.produced == 0
    assert got == run(Serdes.String(), SendOnly(), KEYS, AtSign(), partitioner)
    assert got[0][1] == b"user-0@0"
