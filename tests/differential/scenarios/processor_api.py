"""Processor API: a store and punctuations on stream time and wall-clock time."""

from __future__ import annotations

from typing import Any

from kstreams import Processor, PunctuationType, Record, Serdes, StreamsBuilder
from kstreams.state import Stores

from ..harness import AdvanceWallClock, Pipe, StoreQuery
from .common import SL, S, scenario


class CountAndPunctuate(Processor):
    """Counts records per key in store ``seen``; every 10 ms of stream time forwards
    ``("stream", total)``, every second of wall-clock time ``("wall", total)``."""

    def init(self, context: Any) -> None:
        self.context = context
        self.store = context.get_state_store("seen")
        self.total = 0
        context.schedule(10, PunctuationType.STREAM_TIME, self._on_stream_time)
        context.schedule(1_000, PunctuationType.WALL_CLOCK_TIME, self._on_wall_clock)

    def process(self, record: Record) -> None:
        n = (self.store.get(record.key) or 0) + 1
        self.store.put(record.key, n)
        self.total += 1
        self.context.forward(record.with_value(n))

    def _on_stream_time(self, timestamp: int) -> None:
        self.context.forward(Record("stream", self.total, timestamp))

    def _on_wall_clock(self, timestamp: int) -> None:
        self.context.forward(Record("wall", self.total, timestamp))


@scenario(
    inputs={"in": S},
    steps=[
        Pipe("in", "a", "1", 3),
        Pipe("in", "b", "2", 12),
        AdvanceWallClock(500),
        Pipe("in", "a", "3", 11),
        AdvanceWallClock(600),
        Pipe("in", "a", "4", 35),
        AdvanceWallClock(2_500),
        Pipe("in", "c", "5", 36),
    ],
    outputs={"out": SL},
    stores=(StoreQuery("seen", "String", "Long", timestamped=False, gets=("a", "z")),),
)
def processor_punctuation(b: StreamsBuilder) -> None:
    b.add_state_store(
        Stores.key_value_store_builder(
            Stores.persistent_key_value_store("seen"), Serdes.String(), Serdes.Long()
        )
    )
    b.stream("in").process(CountAndPunctuate, "seen").to("out", value_serde=Serdes.Long())
