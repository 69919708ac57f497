"""Interactive queries of a session store on a running application (real broker).

A session-windowed count (inactivity gap 10 s, records with explicit timestamps) runs on two
input partitions; ``streams.store(name)`` answers ``fetch``, ``find_sessions``,
``fetch_session`` and ``fetch_range`` from the tasks of this instance, with Kafka Streams'
session bounds (a merged session spans its first and last record).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import produce, running_streams, streams_config, unique_app_id, wait_until

from kstreams import Materialized, Serdes, SessionWindows, StreamsBuilder

pytestmark = pytest.mark.integration

GAP_MS = 10_000
BASE = 1_700_000_000_000


def test_session_store_queries_on_a_running_app(
    kafka_bootstrap: str, new_topic, tmp_path: Path
) -> None:
    src = new_topic(partitions=2)
    builder = StreamsBuilder()
    (
        builder.stream(src, key_serde=Serdes.String(), value_serde=Serdes.String())
        .group_by_key()
        .windowed_by(SessionWindows.of_inactivity_gap_with_no_grace(GAP_MS))
        .count(Materialized.as_("sessions"))
    )
    config = streams_config(kafka_bootstrap, unique_app_id("iq-sessions"), state_dir=str(tmp_path))
    with running_streams(builder.build(), config) as streams:
        produce(
            kafka_bootstrap,
            src,
            [
                ("a", "x", BASE),
                ("a", "x", BASE + 4_000),  # merges into a's first session
                ("b", "x", BASE + 1_000),
                ("a", "x", BASE + 30_000),  # a's second session
                ("zz", "x", BASE + 60_000),  # moves stream time on both partitions' tasks
                ("zz", "x", BASE + 60_000),
            ],
        )
        view = streams.store("sessions")

        def a_sessions() -> list[tuple[int, int, int]]:
            return [(w.window.start, w.window.end, n) for w, n in view.fetch("a")]

        wait_until(lambda: len(a_sessions()) == 2, 60, what="a's two sessions")
        assert a_sessions() == [(BASE, BASE + 4_000, 2), (BASE + 30_000, BASE + 30_000, 1)]
        assert view.fetch_session("a", BASE, BASE + 4_000) == 2
        assert view.fetch_session("a", BASE, BASE + 3_000) is None
        found = [
            (w.window.start, n) for w, n in view.find_sessions("a", BASE + 5_000, BASE + 40_000)
        ]
        assert found == [(BASE + 30_000, 1)]
        keys = sorted((w.key, w.window.start, n) for w, n in view.fetch_range("a", "b"))
        assert keys == [("a", BASE, 2), ("a", BASE + 30_000, 1), ("b", BASE + 1_000, 1)]
        assert [(w.key, n) for w, n in view.fetch("b")] == [("b", 1)]
        assert list(view.fetch("nobody")) == []
