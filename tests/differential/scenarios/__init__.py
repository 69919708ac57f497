"""The differential scenarios: each topology in Python here, in Java in ``Scenarios.java``.

A scenario's Java twin is the method with its name in camelCase
(``word_count`` -> ``wordCount``) of the Java class its ``java_class`` names (default
``Scenarios.java``); keep the two in step. Inputs, output topics and store
queries are data, piped identically into both drivers. Every record has an explicit timestamp;
``AdvanceWallClock`` steps move both mock wall clocks. Importing the modules registers them.
"""

from __future__ import annotations

from . import (
    aggregations,
    cogroup,
    fk_joins,
    global_tables,
    old_values,
    order_enrichment,
    processor_api,
    session_windows,
    sliding_windows,
    stateless,
    stream_joins,
    stream_table_joins,
    suppress,
    table_joins,
    tables,
    versioned_tables,
    window_stores,
    windows,
)
from .common import SCENARIOS

__all__ = [
    "SCENARIOS",
    "aggregations",
    "cogroup",
    "fk_joins",
    "global_tables",
    "old_values",
    "order_enrichment",
    "processor_api",
    "session_windows",
    "sliding_windows",
    "stateless",
    "stream_joins",
    "stream_table_joins",
    "suppress",
    "table_joins",
    "tables",
    "versioned_tables",
    "window_stores",
    "windows",
]
