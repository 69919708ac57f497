"""`make demo`: word count end to end on a real Kafka, printing the top words.

Uses the broker named by ``KSTREAMS_BOOTSTRAP_SERVERS``, else starts a local
Apache Kafka (KRaft) for the duration of the demo and stops it afterwards.
Creates the topics, produces a sample text, runs ``examples/word_count.py``'s
topology until the counts on the output topic match the counts computed
directly from the text, prints the top words and exits 0 (1 if they never
settle).
"""

from __future__ import annotations

import collections
import sys
import tempfile
import time
import uuid
from pathlib import Path

from confluent_kafka import Consumer, Producer

sys.path.insert(0, str(Path(__file__).parent))

import word_count

from kstreams import KafkaStreams, Serdes
from kstreams.testing import create_topic, kafka_bootstrap_servers

TEXT = """\
Kafka Streams is a client library for building applications and microservices
where the input and output data are stored in Kafka clusters.
kstreams brings Kafka Streams to Python: the same DSL, the same topologies,
the same changelog topics and the same exactly-once transactions.
A stream is an unbounded sequence of records; a table is the latest value per key.
Word count is the hello world of stream processing: split lines into words,
group the words, count them, and write the running counts to a topic.
Scale out by starting more instances with the same application id:
the consumer group spreads the partitions, and the state follows through the changelog.
"""


def main() -> int:
    """Run word count on the sample text; 0 when the output counts match the text."""
    run = uuid.uuid4().hex[:8]
    lines = [line for line in TEXT.splitlines() if line.strip()]
    expected = collections.Counter(w for line in lines for w in word_count.words(line))
    input_topic, output_topic = f"text-lines-{run}", f"word-counts-{run}"
    counts: dict[str, int] = {}
    with kafka_bootstrap_servers() as bootstrap, tempfile.TemporaryDirectory() as state_dir:
        print(f"Kafka at {bootstrap}")
        create_topic(bootstrap, input_topic, partitions=3)
        create_topic(bootstrap, output_topic, partitions=3)
        producer = Producer({"bootstrap.servers": bootstrap, "partitioner": "murmur2_random"})
        for i, line in enumerate(lines):
            producer.produce(input_topic, key=f"line-{i}", value=line)
        producer.flush()
        del producer
        print(f"Produced {len(lines)} lines ({sum(expected.values())} words) to '{input_topic}'\n")

        topology = word_count.build_topology(input_topic, output_topic)
        print(topology.describe())
        config = word_count.config(bootstrap, application_id=f"word-count-demo-{run}")
        config["state.dir"] = state_dir
        consumer = Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": f"demo-reader-{run}",
                "auto.offset.reset": "earliest",
            }
        )
        consumer.subscribe([output_topic])
        key_serde, value_serde = Serdes.String(), Serdes.Long()
        started = time.monotonic()
        with KafkaStreams(topology, config) as streams:
            streams.start()
            deadline = time.monotonic() + 120
            while counts != expected and time.monotonic() < deadline:
                msg = consumer.poll(0.5)
                if msg is None or msg.error():
                    continue
                word = key_serde.deserialize(output_topic, msg.key())
                counts[word] = value_serde.deserialize(output_topic, msg.value())
        consumer.close()
        took = time.monotonic() - started

    ok = counts == dict(expected)
    print(f"{'word':<14} {'count':>5}")
    for word, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:12]:
        print(f"{word:<14} {n:>5}")
    print(f"\n{len(counts)} distinct words counted in {took:.1f}s")
    print("Counts match the text." if ok else "MISMATCH: the counts did not settle")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
