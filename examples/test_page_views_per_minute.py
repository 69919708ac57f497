"""Testing page_views_per_minute.py's topology: windows, grace, final results, late records.

1. ``test_final_counts_once_per_window_in_the_test_driver``: through the
   ``TopologyTestDriver`` (no Kafka): nothing is written while a window is open, each closed
   window's count is written exactly once, a record within the grace period still counts, a
   record for a closed window is dropped (and counted as dropped).
2. ``test_final_counts_on_a_real_broker``: the same topology run by ``KafkaStreams`` on a real
   broker with the pytest plugin's fixtures (see examples/test_word_count.py).

Record timestamps are what move stream time: the tests give every record its own.
"""

from __future__ import annotations

from page_views_per_minute import STORE, build_topology, config, output_key_serde

from kstreams import Serdes
from kstreams.testing import TopologyTestDriver

MINUTE = 60_000

VIEWS = [
    ("/home", "{}", 1_000),
    ("/cart", "{}", 30_000),
    ("/home", "{}", 20_000),  # out of order, but its window is open: counts
    ("/home", "{}", 59_999),
    ("/home", "{}", 65_000),  # next minute; stream time 65 s: [0, 60 s) open until 70 s
    ("/cart", "{}", 45_000),  # 20 s late, within the 10 s grace after the window's end
    ("/about", "{}", 70_000),  # stream time 70 s: the first minute closes
    ("/home", "{}", 10_000),  # for a closed window: dropped
    ("/home", "{}", 130_000),  # stream time 130 s: the second minute closes
]
FIRST_MINUTE = {("/home", 0): 3, ("/cart", 0): 2}
SECOND_MINUTE = {("/home", MINUTE): 1, ("/about", MINUTE): 1}


def windows(records: list) -> dict[tuple[str, int], int]:
    """``{(page, window start): count}`` of windowed output records, each window once."""
    out: dict[tuple[str, int], int] = {}
    for windowed, count in records:
        key = (windowed.key, windowed.window.start)
        assert key not in out, f"window {key} written twice"
        out[key] = count
    return out


def test_final_counts_once_per_window_in_the_test_driver() -> None:
    with TopologyTestDriver(build_topology(), config("unused:9092")) as driver:
        views = driver.create_input_topic("page-views", Serdes.String(), Serdes.String())
        counts = driver.create_output_topic(
            "page-views-per-minute", output_key_serde(), Serdes.Long()
        )
        for page, view, ts in VIEWS[:6]:
            views.pipe_input(page, view, ts)
        assert counts.is_empty()  # every window is still open
        store = driver.get_window_store(STORE)  # the open windows' counts, queryable
        assert list(store.fetch_range("/home", 0, MINUTE)) == [(0, 3), (MINUTE, 1)]
        assert store.fetch("/cart", 0) == 2

        views.pipe_input(*VIEWS[6])
        assert windows(counts.read_key_values_to_list()) == FIRST_MINUTE

        views.pipe_input(*VIEWS[7])  # late
        assert counts.is_empty()
        assert driver.metrics()["dropped-records-total"] == 1

        views.pipe_input(*VIEWS[8])
        assert windows(counts.read_key_values_to_list()) == SECOND_MINUTE


def test_final_counts_on_a_real_broker(
    kafka_bootstrap, new_topic, produce, read_topic, streams_app
):
    # One partition: stream time is kept per partition (per task), so a window closes only
    # when records of its own partition move stream time past its end plus the grace.
    page_views, per_minute = new_topic(partitions=1), new_topic(partitions=1)
    app_config = config(kafka_bootstrap)
    del app_config["application.id"]  # streams_app makes one of this test's own
    app = streams_app(build_topology(page_views, per_minute), app_config)
    produce(page_views, VIEWS)
    expected = FIRST_MINUTE | SECOND_MINUTE

    def all_final() -> bool:
        records = read_topic(per_minute, key_serde=output_key_serde(), value_serde=Serdes.Long())
        assert windows(records) == expected
        return True

    app.run_until(all_final, timeout=60)
