"""Testing word_count.py's topology: a copy-me example of both kinds of kstreams tests.

1. ``test_counts_words_in_the_test_driver``: the topology's semantics through the
   ``TopologyTestDriver``, no Kafka, in milliseconds.
2. ``test_counts_words_on_a_real_broker``: the same topology run by ``KafkaStreams`` on a real
   broker, with the fixtures of the pytest plugin that comes with kstreams (``new_topic``,
   ``produce``, ``read_topic``, ``streams_app``). The broker is the one named by
   ``KSTREAMS_BOOTSTRAP_SERVERS``, else a testcontainers Kafka where Docker answers, else a
   local Kafka started from its jars (Java 17+ and Maven).

Run it with ``pytest examples/test_word_count.py`` (kstreams' own suite runs it that way, in a
session of its own, from tests/integration/test_examples.py).
"""

from __future__ import annotations

from collections import Counter

from word_count import STORE, build_topology, config, words

from kstreams import Serdes
from kstreams.testing import TopologyTestDriver

LINES = [
    ("l1", "The quick brown fox"),
    ("l2", "jumps over the lazy dog."),
    ("l3", "THE END"),
]
EXPECTED = Counter(word for _key, line in LINES for word in words(line))


def test_counts_words_in_the_test_driver() -> None:
    with TopologyTestDriver(build_topology(), config("unused:9092")) as driver:
        lines = driver.create_input_topic("text-lines", Serdes.String(), Serdes.String())
        counts = driver.create_output_topic("word-counts", Serdes.String(), Serdes.Long())
        lines.pipe_key_value_list(LINES)
        assert counts.read_key_values_to_map() == EXPECTED
        assert driver.get_key_value_store(STORE).get("the") == 3


def test_counts_words_on_a_real_broker(
    kafka_bootstrap, new_topic, produce, read_topic, streams_app
):
    text_lines, word_counts = new_topic(partitions=2), new_topic(partitions=2)
    app_config = config(kafka_bootstrap)
    del app_config["application.id"]  # streams_app makes one of this test's own
    app = streams_app(build_topology(text_lines, word_counts), app_config)
    produce(text_lines, LINES)

    def counted() -> bool:
        latest = dict(read_topic(word_counts, key_serde=Serdes.String(), value_serde=Serdes.Long()))
        assert latest == EXPECTED
        return True

    app.run_until(counted, timeout=60)
    store = app.streams.store(STORE)  # interactive queries work too
    assert store.get("the") == 3
