"""``standby_eos_app.py`` (same arguments, same reports) over windowed stores in memory.

Instead of the EOS chaos app's topology it counts INPUT's records per key in two in-memory
(logged) stores, caches off (one output per update), both in one sub-topology:

* ``wcount``: tumbling windows of :data:`WINDOW_MS` (``Stores.in_memory_window_store`` through
  ``Materialized.with_store_type("in_memory")``), written to ECHO keyed
  ``<key>@<window start>``;
* ``scount``: session windows with a gap of :data:`GAP_MS`
  (``Stores.in_memory_session_store``), written to SUM keyed ``<key>@<start>-<end>``, with a
  tombstone for every session a merge replaced.

Both grace periods are an hour: no record is late. Values are Longs; CNT, MAX and TOTAL are
not written. With ``num.standby.replicas`` the standbys shadow both stores in memory.
"""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta

from standby_eos_app import eos_app  # with the reporting client (TASKS, RESTORED, RECYCLED)

from kstreams import (
    Materialized,
    Serdes,
    SessionWindows,
    StreamsBuilder,
    TimeWindows,
    Topology,
)

WINDOW_MS = 1_000
GAP_MS = 2_000
GRACE = timedelta(hours=1)


def build_topology(args: argparse.Namespace) -> Topology:
    string, integer, long = Serdes.String(), Serdes.Integer(), Serdes.Long()
    builder = StreamsBuilder()
    grouped = builder.stream(args.input, key_serde=string, value_serde=integer).group_by_key(
        key_serde=string, value_serde=integer
    )
    (
        grouped.windowed_by(TimeWindows.of_size_and_grace(timedelta(milliseconds=WINDOW_MS), GRACE))
        .count(Materialized.as_("wcount").with_store_type("in_memory").with_caching_disabled())
        .to_stream()
        .map(lambda wk, n: (f"{wk.key}@{wk.window.start}", n))
        .to(args.echo, key_serde=string, value_serde=long)
    )
    (
        grouped.windowed_by(
            SessionWindows.of_inactivity_gap_and_grace(timedelta(milliseconds=GAP_MS), GRACE)
        )
        .count(Materialized.as_("scount").with_store_type("in_memory").with_caching_disabled())
        .to_stream()
        .map(lambda wk, n: (f"{wk.key}@{wk.window.start}-{wk.window.end}", n))
        .to(args.sum, key_serde=string, value_serde=long)
    )
    return builder.build()


eos_app.build_topology = build_topology

if __name__ == "__main__":
    sys.exit(eos_app.main())
