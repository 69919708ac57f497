package kstreams.differential;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Aggregator;
import org.apache.kafka.streams.kstream.CogroupedKStream;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Initializer;
import org.apache.kafka.streams.kstream.KGroupedStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.KeyValueMapper;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Merger;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.SessionWindows;
import org.apache.kafka.streams.kstream.SlidingWindows;
import org.apache.kafka.streams.kstream.Suppressed;
import org.apache.kafka.streams.kstream.TimeWindowedCogroupedKStream;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.kstream.WindowedSerdes;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.SessionStore;
import org.apache.kafka.streams.state.WindowStore;

/**
 * The Java twins of tests/differential/scenarios/cogroup.py: cogrouped streams, as in Kafka
 * Streams' CogroupedKStreamImplTest and its windowed siblings. Keep the two in step.
 */
public final class CogroupScenarios {
    private CogroupScenarios() {}

    /** CogroupedKStreamImplTest.STRING_AGGREGATOR. */
    private static final Aggregator<String, String, String> CONCAT = (k, v, agg) -> agg + v;
    /** MockAggregator.TOSTRING_ADDER / TOSTRING_REMOVER. */
    private static final Aggregator<Object, Object, String> ADDER = (k, v, agg) -> agg + "+" + v;

    private static final Aggregator<Object, Object, String> REMOVER = (k, v, agg) -> agg + "-" + v;
    /** MockInitializer.STRING_INIT. */
    private static final Initializer<String> STRING_INIT = () -> "0";

    private static final Initializer<String> EMPTY = () -> "";
    private static final Merger<String, String> MERGER = (k, one, two) -> one + "+" + two;
    private static final KeyValueMapper<String, String, KeyValue<String, String>> SWAP =
            (k, v) -> KeyValue.pair(v, k);

    private static Duration ms(final long n) {
        return Duration.ofMillis(n);
    }

    private static Serde<Windowed<String>> tw(final long size) {
        return WindowedSerdes.timeWindowedSerdeFrom(String.class, size);
    }

    private static Produced<Windowed<String>, String> windowed(final long size) {
        return Produced.with(tw(size), Serdes.String());
    }

    private static Produced<Windowed<String>, String> sessions() {
        return Produced.with(WindowedSerdes.sessionWindowedSerdeFrom(String.class), Serdes.String());
    }

    private static Materialized<String, String, KeyValueStore<Bytes, byte[]>> kv(final String name) {
        return Materialized.as(name);
    }

    private static Materialized<String, String, WindowStore<Bytes, byte[]>> win(final String name) {
        return Materialized.as(name);
    }

    private static Materialized<String, String, SessionStore<Bytes, byte[]>> sess(final String name) {
        return Materialized.as(name);
    }

    private static KGroupedStream<String, String> grouped(final StreamsBuilder b, final String topic) {
        return b.<String, String>stream(topic).groupByKey();
    }

    // -- CogroupedKStreamImplTest ---------------------------------------------------------------

    public static void cogroupSingleStream(final StreamsBuilder b) {
        grouped(b, "one").cogroup(CONCAT).aggregate(EMPTY).toStream().to("out");
    }

    public static void cogroupTwoStreamsDistinctKeys(final StreamsBuilder b) {
        final KGroupedStream<String, String> one = grouped(b, "one");
        final KGroupedStream<String, String> two = grouped(b, "two");
        one.cogroup(CONCAT).cogroup(two, CONCAT).aggregate(EMPTY).toStream().to("out");
    }

    public static void cogroupTwoStreamsSharedKeys(final StreamsBuilder b) {
        final KGroupedStream<String, String> one = grouped(b, "one");
        final KGroupedStream<String, String> two = grouped(b, "two");
        one.cogroup(CONCAT)
                .cogroup(two, CONCAT)
                .aggregate(EMPTY, Named.as("test"), kv("store"))
                .toStream()
                .to("out");
    }

    public static void cogroupUncachedMaterializedFirst(final StreamsBuilder b) {
        final KGroupedStream<String, String> one = grouped(b, "one");
        final KGroupedStream<String, String> two = grouped(b, "two");
        one.cogroup(CONCAT)
                .cogroup(two, CONCAT)
                .aggregate(EMPTY, Named.as("n"), kv("store").withCachingDisabled())
                .toStream()
                .to("out");
    }

    public static void cogroupDifferentOutputType(final StreamsBuilder b) {
        final KGroupedStream<String, String> one = grouped(b, "one");
        final KGroupedStream<String, String> two = grouped(b, "two");
        final Aggregator<String, String, Integer> add = (k, v, agg) -> agg + Integer.parseInt(v);
        one.cogroup(add)
                .cogroup(two, add)
                .aggregate(
                        () -> 0,
                        Materialized.<String, Integer, KeyValueStore<Bytes, byte[]>>as("store1")
                                .withValueSerde(Serdes.Integer()))
                .toStream()
                .to("out", Produced.with(Serdes.String(), Serdes.Integer()));
    }

    public static void cogroupDifferentInputTypes(final StreamsBuilder b) {
        final KGroupedStream<String, String> one = grouped(b, "one");
        final KGroupedStream<String, Integer> two =
                b.stream("two", Consumed.with(Serdes.String(), Serdes.Integer())).groupByKey();
        final Aggregator<String, String, Integer> parse = (k, v, agg) -> agg + Integer.parseInt(v);
        final Aggregator<String, Integer, Integer> sum = (k, v, agg) -> agg + v;
        one.cogroup(parse)
                .cogroup(two, sum)
                .aggregate(
                        () -> 0,
                        Materialized.<String, Integer, KeyValueStore<Bytes, byte[]>>as("store1")
                                .withValueSerde(Serdes.Integer()))
                .toStream()
                .to("out", Produced.with(Serdes.String(), Serdes.Integer()));
    }

    public static void cogroupMixedAggregators(final StreamsBuilder b) {
        final KGroupedStream<String, String> one = grouped(b, "one");
        final KGroupedStream<String, String> two = grouped(b, "two");
        one.cogroup(REMOVER)
                .cogroup(two, ADDER)
                .aggregate(STRING_INIT, kv("store1").withValueSerde(Serdes.String()))
                .toStream()
                .to("out");
    }

    public static void cogroupThreeStreams(final StreamsBuilder b) {
        final KGroupedStream<String, String> one = grouped(b, "one");
        final KGroupedStream<String, String> two = grouped(b, "two");
        final KGroupedStream<String, String> three = grouped(b, "three");
        one.cogroup(CONCAT)
                .cogroup(two, CONCAT)
                .cogroup(three, CONCAT)
                .aggregate(EMPTY)
                .toStream()
                .to("out");
    }

    public static void cogroupTableJoin(final StreamsBuilder b) {
        final KGroupedStream<String, String> one = grouped(b, "one");
        final KGroupedStream<String, String> two = grouped(b, "two");
        final KTable<String, String> table1 = one.cogroup(CONCAT)
                .cogroup(two, CONCAT)
                .aggregate(EMPTY, Named.as("name"), kv("store"));
        final KTable<String, String> table2 = b.table("three");
        table1.join(table2, (a, c) -> a + "+" + c, Materialized.with(Serdes.String(), Serdes.String()))
                .toStream()
                .to("out");
    }

    // -- repartitioning -------------------------------------------------------------------------

    public static void cogroupRepartitionNamedByGrouped(final StreamsBuilder b) {
        final KGroupedStream<String, String> one =
                b.<String, String>stream("one").map(SWAP).groupByKey(Grouped.as("repartition-test"));
        final KGroupedStream<String, String> two = grouped(b, "two");
        one.cogroup(CONCAT).cogroup(two, CONCAT).aggregate(EMPTY).toStream().to("out");
    }

    public static void cogroupRepartitionNamedByStore(final StreamsBuilder b) {
        final KGroupedStream<String, String> one = b.<String, String>stream("one").map(SWAP).groupByKey();
        final KGroupedStream<String, String> two = grouped(b, "two");
        one.cogroup(CONCAT)
                .cogroup(two, CONCAT)
                .aggregate(EMPTY, Named.as("test"), kv("store"))
                .toStream()
                .to("out");
    }

    public static void cogroupGroupedReusedInSameCogroups(final StreamsBuilder b) {
        final KGroupedStream<String, String> one = b.<String, String>stream("one").map(SWAP).groupByKey();
        final KGroupedStream<String, String> two = grouped(b, "two");
        final KTable<String, String> second = one.cogroup(CONCAT).cogroup(two, CONCAT).aggregate(EMPTY);
        final KTable<String, String> first = one.cogroup(CONCAT).cogroup(two, CONCAT).aggregate(EMPTY);
        first.toStream().to("out");
        second.toStream().to("OUTPUT2");
    }

    public static void cogroupGroupedReusedInDifferentCogroups(final StreamsBuilder b) {
        final KGroupedStream<String, String> one = b.<String, String>stream("one").map(SWAP).groupByKey();
        final KGroupedStream<String, String> two = grouped(b, "two");
        final KGroupedStream<String, String> three = grouped(b, "three");
        one.cogroup(CONCAT).cogroup(three, CONCAT).aggregate(EMPTY);
        one.cogroup(CONCAT).cogroup(two, CONCAT).aggregate(EMPTY);
    }

    public static void cogroupGroupedReusedByPlainAggregate(final StreamsBuilder b) {
        final KGroupedStream<String, String> one = b.<String, String>stream("one").map(SWAP).groupByKey();
        final KGroupedStream<String, String> two = grouped(b, "two");
        one.cogroup(CONCAT).cogroup(two, CONCAT).aggregate(EMPTY).toStream().to("out");
        one.aggregate(EMPTY, CONCAT).toStream().to("plain");
    }

    public static void cogroupAggregatedTwice(final StreamsBuilder b) {
        final KGroupedStream<String, String> one =
                b.<String, String>stream("one").map(SWAP).groupByKey(Grouped.as("foo"));
        final CogroupedKStream<String, String> cogrouped = one.cogroup(CONCAT);
        cogrouped.aggregate(EMPTY).toStream().to("a");
        cogrouped.aggregate(() -> "-").toStream().to("b");
    }

    public static void cogroupRepartitionDropsNullKeys(final StreamsBuilder b) {
        final KGroupedStream<String, String> one =
                b.<String, String>stream("one").map(SWAP).groupByKey(Grouped.as("swapped"));
        final KGroupedStream<String, String> two = grouped(b, "two");
        one.cogroup(CONCAT).cogroup(two, CONCAT).aggregate(EMPTY).toStream().to("out");
    }

    // -- downstream operators that ask for old values -------------------------------------------

    public static void cogroupRegroupedCount(final StreamsBuilder b) {
        final KGroupedStream<String, String> one = grouped(b, "one");
        final KGroupedStream<String, String> two = grouped(b, "two");
        one.cogroup(CONCAT)
                .cogroup(two, CONCAT)
                .aggregate(EMPTY, kv("agg").withCachingDisabled())
                .groupBy((k, v) -> KeyValue.pair(String.valueOf(v.length()), k))
                .count(Materialized.<String, Long, KeyValueStore<Bytes, byte[]>>as("by-length"))
                .toStream()
                .to("out", Produced.with(Serdes.String(), Serdes.Long()));
    }

    public static void cogroupFiltered(final StreamsBuilder b) {
        final KGroupedStream<String, String> one = grouped(b, "one");
        final KGroupedStream<String, String> two = grouped(b, "two");
        one.cogroup(CONCAT)
                .cogroup(two, CONCAT)
                .aggregate(EMPTY)
                .filter((k, v) -> v.length() < 4)
                .toStream()
                .to("out");
    }

    public static void cogroupJsonMutatedInPlace(final StreamsBuilder b) {
        final KGroupedStream<String, String> one = grouped(b, "one");
        final KGroupedStream<String, String> two = grouped(b, "two");
        final Aggregator<String, String, JsonNode> addA = (k, v, agg) -> {
            final ObjectNode n = (ObjectNode) agg.deepCopy();
            n.put("a", n.get("a").asLong() + 1);
            return n;
        };
        final Aggregator<String, String, JsonNode> addB = (k, v, agg) -> {
            final ObjectNode n = (ObjectNode) agg.deepCopy();
            ((ArrayNode) n.get("b")).add(v);
            return n;
        };
        final KTable<String, JsonNode> table = one.cogroup(addA)
                .cogroup(two, addB)
                .aggregate(
                        () -> {
                            final ObjectNode n = JsonSerde.MAPPER.createObjectNode();
                            n.put("a", 0);
                            n.putArray("b");
                            return n;
                        },
                        Materialized.<String, JsonNode, KeyValueStore<Bytes, byte[]>>as("json")
                                .withValueSerde(new JsonSerde())
                                .withCachingDisabled());
        table.toStream().to("out", Produced.with(Serdes.String(), new JsonSerde()));
        table.groupBy(
                        (k, v) -> KeyValue.pair(
                                String.valueOf(v.get("a").asLong()), String.valueOf(v.get("b").size())),
                        Grouped.with(Serdes.String(), Serdes.String()))
                .reduce((x, y) -> x + "|" + y, (x, y) -> x + "/" + y)
                .toStream()
                .to("regrouped");
    }

    // -- time windows ---------------------------------------------------------------------------

    private static CogroupedKStream<String, String> mixedWindowed(final StreamsBuilder b) {
        final KGroupedStream<String, String> one =
                b.<String, String>stream("one").groupByKey(Grouped.with(Serdes.String(), Serdes.String()));
        final KGroupedStream<String, String> two =
                b.<String, String>stream("two").groupByKey(Grouped.with(Serdes.String(), Serdes.String()));
        return one.cogroup(ADDER).cogroup(two, REMOVER);
    }

    public static void cogroupTimeWindowsMixed(final StreamsBuilder b) {
        mixedWindowed(b)
                .windowedBy(TimeWindows.ofSizeWithNoGrace(ms(500)))
                .aggregate(STRING_INIT, Materialized.with(Serdes.String(), Serdes.String()))
                .toStream()
                .to("out", windowed(500));
    }

    public static void cogroupHoppingWindows(final StreamsBuilder b) {
        final KGroupedStream<String, String> one =
                b.<String, String>stream("one").groupByKey(Grouped.with(Serdes.String(), Serdes.String()));
        one.cogroup(ADDER)
                .windowedBy(TimeWindows.ofSizeWithNoGrace(ms(500)).advanceBy(ms(200)))
                .aggregate(STRING_INIT, Materialized.with(Serdes.String(), Serdes.String()))
                .toStream()
                .to("out", windowed(500));
    }

    public static void cogroupTimeWindowsPerInputStreamTime(final StreamsBuilder b) {
        mixedWindowed(b)
                .windowedBy(TimeWindows.ofSizeAndGrace(ms(10), ms(2)))
                .aggregate(STRING_INIT, win("late").withCachingDisabled())
                .toStream()
                .to("out", windowed(10));
    }

    public static void cogroupTimeWindowsNamed(final StreamsBuilder b) {
        final KGroupedStream<String, String> one =
                b.<String, String>stream("one").groupByKey(Grouped.with(Serdes.String(), Serdes.String()));
        one.cogroup(ADDER)
                .windowedBy(TimeWindows.ofSizeWithNoGrace(ms(500)))
                .aggregate(STRING_INIT, Named.as("foo"));
    }

    public static void cogroupTimeWindowsSuppressed(final StreamsBuilder b) {
        mixedWindowed(b)
                .windowedBy(TimeWindows.ofSizeAndGrace(ms(10), ms(2)))
                .aggregate(STRING_INIT, Materialized.with(Serdes.String(), Serdes.String()))
                .suppress(Suppressed.untilWindowCloses(Suppressed.BufferConfig.unbounded()))
                .toStream()
                .to("out", windowed(10));
    }

    public static void cogroupTimeWindowsChangedAfterWindowedBy(final StreamsBuilder b) {
        final KGroupedStream<String, String> one = grouped(b, "one");
        final KGroupedStream<String, String> two = grouped(b, "two");
        final CogroupedKStream<String, String> cogrouped = one.cogroup(ADDER);
        final TimeWindowedCogroupedKStream<String, String> windowedStream =
                cogrouped.windowedBy(TimeWindows.ofSizeWithNoGrace(ms(500)));
        cogrouped.cogroup(two, REMOVER);
        windowedStream
                .aggregate(
                        STRING_INIT,
                        win("mem").withStoreType(Materialized.StoreType.IN_MEMORY).withRetention(ms(5000)))
                .toStream()
                .to("out", windowed(500));
    }

    public static void cogroupPlainAndWindowedShareRepartition(final StreamsBuilder b) {
        final KGroupedStream<String, String> one = b.<String, String>stream("one").map(SWAP).groupByKey();
        final KGroupedStream<String, String> two = grouped(b, "two");
        final Aggregator<String, String, String> concatOrNull = (k, v, agg) -> agg + v;
        final CogroupedKStream<String, String> cogrouped = one.cogroup(CONCAT).cogroup(two, concatOrNull);
        cogrouped.aggregate(EMPTY).toStream().to("out");
        cogrouped
                .windowedBy(TimeWindows.ofSizeWithNoGrace(ms(3)))
                .aggregate(EMPTY)
                .toStream()
                .to("windowed", windowed(3));
    }

    // -- sliding windows ------------------------------------------------------------------------

    public static void cogroupSlidingWindows(final StreamsBuilder b) {
        mixedWindowed(b)
                .windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(ms(500), ms(2000)))
                .aggregate(STRING_INIT, win("sliding").withCachingDisabled())
                .toStream()
                .to("out", windowed(500));
    }

    public static void cogroupSlidingWindowsOverlapping(final StreamsBuilder b) {
        final KGroupedStream<String, String> one =
                b.<String, String>stream("one").groupByKey(Grouped.with(Serdes.String(), Serdes.String()));
        one.cogroup(ADDER)
                .windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(ms(500), ms(2000)))
                .aggregate(STRING_INIT, Materialized.with(Serdes.String(), Serdes.String()))
                .toStream()
                .to("out", windowed(500));
    }

    public static void cogroupSlidingWindowsLate(final StreamsBuilder b) {
        mixedWindowed(b)
                .windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(ms(50), ms(10)))
                .aggregate(STRING_INIT, Named.as("slide"))
                .toStream()
                .to("out", windowed(50));
    }

    // -- session windows ------------------------------------------------------------------------

    public static void cogroupSessionWindowsMixed(final StreamsBuilder b) {
        mixedWindowed(b)
                .windowedBy(SessionWindows.ofInactivityGapAndGrace(ms(100), Duration.ofDays(1)))
                .aggregate(STRING_INIT, MERGER, Materialized.with(Serdes.String(), Serdes.String()))
                .toStream()
                .to("out", sessions());
    }

    public static void cogroupSessionWindowsMerging(final StreamsBuilder b) {
        mixedWindowed(b)
                .windowedBy(SessionWindows.ofInactivityGapAndGrace(ms(100), ms(50)))
                .aggregate(STRING_INIT, MERGER, Named.as("sess"), sess("sessions").withCachingDisabled())
                .toStream()
                .to("out", sessions());
    }

    public static void cogroupSessionWindowsSingle(final StreamsBuilder b) {
        final KGroupedStream<String, String> one =
                b.<String, String>stream("one").groupByKey(Grouped.with(Serdes.String(), Serdes.String()));
        one.cogroup(ADDER)
                .windowedBy(SessionWindows.ofInactivityGapWithNoGrace(ms(500)))
                .aggregate(STRING_INIT, MERGER, Materialized.with(Serdes.String(), Serdes.String()))
                .toStream()
                .to("out", sessions());
    }

    // -- windowed aggregates mutated in place, with a downstream filter ---------------------------

    private static Aggregator<String, String, JsonNode> bump(final String field) {
        return (k, v, agg) -> {
            final ObjectNode n = (ObjectNode) agg.deepCopy();
            n.put(field, n.get(field).asLong() + 1);
            ((ArrayNode) n.get("seen")).add(String.valueOf(v));
            return n;
        };
    }

    private static CogroupedKStream<String, JsonNode> jsonCogroup(final StreamsBuilder b) {
        return grouped(b, "one").cogroup(bump("a")).cogroup(grouped(b, "two"), bump("b"));
    }

    private static JsonNode initial() {
        final ObjectNode n = JsonSerde.MAPPER.createObjectNode();
        n.put("a", 0);
        n.put("b", 0);
        n.putArray("seen");
        return n;
    }

    private static boolean odd(final JsonNode v) {
        return (v.get("a").asLong() + v.get("b").asLong()) % 2 == 1;
    }

    public static void cogroupTimeWindowsMutatedInPlace(final StreamsBuilder b) {
        final KTable<Windowed<String>, JsonNode> table = jsonCogroup(b)
                .windowedBy(TimeWindows.ofSizeWithNoGrace(ms(10)))
                .aggregate(
                        CogroupScenarios::initial,
                        Materialized.<String, JsonNode, WindowStore<Bytes, byte[]>>as("jw")
                                .withValueSerde(new JsonSerde())
                                .withCachingDisabled());
        table.toStream().to("out", Produced.with(tw(10), new JsonSerde()));
        table.filter((w, v) -> odd(v)).toStream().to("odd", Produced.with(tw(10), new JsonSerde()));
    }

    public static void cogroupSessionWindowsMutatedInPlace(final StreamsBuilder b) {
        final Merger<String, JsonNode> merge = (k, one, two) -> {
            final ObjectNode n = (ObjectNode) one.deepCopy();
            n.put("a", n.get("a").asLong() + two.get("a").asLong());
            n.put("b", n.get("b").asLong() + two.get("b").asLong());
            ((ArrayNode) n.get("seen")).addAll((ArrayNode) two.get("seen"));
            return n;
        };
        final Serde<Windowed<String>> sw = WindowedSerdes.sessionWindowedSerdeFrom(String.class);
        final KTable<Windowed<String>, JsonNode> table = jsonCogroup(b)
                .windowedBy(SessionWindows.ofInactivityGapAndGrace(ms(5), ms(100)))
                .aggregate(
                        CogroupScenarios::initial,
                        merge,
                        Materialized.<String, JsonNode, SessionStore<Bytes, byte[]>>as("js")
                                .withValueSerde(new JsonSerde())
                                .withCachingDisabled());
        table.toStream().to("out", Produced.with(sw, new JsonSerde()));
        table.filter((w, v) -> odd(v)).toStream().to("odd", Produced.with(sw, new JsonSerde()));
    }
}
