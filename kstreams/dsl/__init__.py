"""The KStream/KTable DSL."""

from kstreams.dsl.branched import BranchedKStream
from kstreams.dsl.global_table import GlobalKTable
from kstreams.dsl.kgrouped import KGroupedStream, KGroupedTable
from kstreams.dsl.kstream import KStream
from kstreams.dsl.ktable import KTable
from kstreams.dsl.materialized import Grouped, Materialized
from kstreams.dsl.options import (
    Branched,
    Consumed,
    KeyValue,
    Named,
    Printed,
    Produced,
    Repartitioned,
)
from kstreams.dsl.suppressed import BufferConfig, Suppressed
from kstreams.dsl.windowed import SessionWindowedKStream, TimeWindowedKStream

__all__ = [
    "Branched",
    "BranchedKStream",
    "BufferConfig",
    "Consumed",
    "GlobalKTable",
    "Grouped",
    "KGroupedStream",
    "KGroupedTable",
    "KStream",
    "KTable",
    "KeyValue",
    "Materialized",
    "Named",
    "Printed",
    "Produced",
    "Repartitioned",
    "SessionWindowedKStream",
    "Suppressed",
    "TimeWindowedKStream",
]
