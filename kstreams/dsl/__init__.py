"""The KStream/KTable DSL."""

from kstreams.dsl.branched import BranchedKStream
from kstreams.dsl.kstream import KStream
from kstreams.dsl.options import (
    Branched,
    Consumed,
    KeyValue,
    Named,
    Printed,
    Produced,
    Repartitioned,
)

__all__ = [
    "Branched",
    "BranchedKStream",
    "Consumed",
    "KStream",
    "KeyValue",
    "Named",
    "Printed",
    "Produced",
    "Repartitioned",
]
