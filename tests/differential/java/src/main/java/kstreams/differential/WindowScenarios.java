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
import org.apache.kafka.streams.kstream.EmitStrategy;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KGroupedStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.SessionWindows;
import org.apache.kafka.streams.kstream.SlidingWindows;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.kstream.WindowedSerdes;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.SessionStore;
import org.apache.kafka.streams.state.WindowStore;

/**
 * The Java twins of tests/differential/scenarios/windows.py: the method named after the scenario
 * in camelCase builds the same windowed topology with the Kafka Streams DSL.
 */
public final class WindowScenarios {
    private WindowScenarios() {}

    private static Duration ms(final long n) {
        return Duration.ofMillis(n);
    }

    private static Serde<Windowed<String>> tw(final long size) {
        return WindowedSerdes.timeWindowedSerdeFrom(String.class, size);
    }

    private static Serde<Windowed<String>> sw() {
        return WindowedSerdes.sessionWindowedSerdeFrom(String.class);
    }

    private static Produced<Windowed<String>, Long> longs(final long size) {
        return Produced.with(tw(size), Serdes.Long());
    }

    private static Produced<Windowed<String>, String> strings(final long size) {
        return Produced.with(tw(size), Serdes.String());
    }

    private static Materialized<String, Long, WindowStore<Bytes, byte[]>> windowCounts(final String name) {
        return Materialized.as(name);
    }

    // -- time windows: count --------------------------------------------------------------------

    public static void tumblingCount(final StreamsBuilder b) {
        b.<String, String>stream("in")
                .groupByKey()
                .windowedBy(TimeWindows.ofSizeWithNoGrace(ms(10)))
                .count(windowCounts("counts"))
                .toStream()
                .to("out", longs(10));
    }

    public static void tumblingCountUncached(final StreamsBuilder b) {
        b.<String, String>stream("in")
                .groupByKey()
                .windowedBy(TimeWindows.ofSizeWithNoGrace(ms(10)))
                .count(windowCounts("counts").withCachingDisabled())
                .toStream()
                .to("out", longs(10));
    }

    public static void tumblingCountGeneratedNames(final StreamsBuilder b) {
        b.<String, String>stream("in")
                .groupByKey()
                .windowedBy(TimeWindows.ofSizeWithNoGrace(ms(10)))
                .count()
                .toStream()
                .to("out", longs(10));
    }

    public static void tumblingCountUnnamedMaterialized(final StreamsBuilder b) {
        b.<String, String>stream("in")
                .groupByKey()
                .windowedBy(TimeWindows.ofSizeWithNoGrace(ms(10)))
                .count(Materialized.<String, Long, WindowStore<Bytes, byte[]>>with(Serdes.String(), Serdes.Long())
                        .withCachingDisabled())
                .toStream()
                .to("out", longs(10));
    }

    public static void tumblingCountAfterSelectKey(final StreamsBuilder b) {
        b.<String, String>stream("in")
                .selectKey((k, v) -> k == null ? null : k.toLowerCase(java.util.Locale.ROOT))
                .groupByKey(Grouped.with(Serdes.String(), Serdes.String()))
                .windowedBy(TimeWindows.ofSizeAndGrace(ms(10), ms(2)))
                .count(windowCounts("counts").withCachingDisabled())
                .toStream()
                .to("out", longs(10));
    }

    public static void tumblingCountToStreamMap(final StreamsBuilder b) {
        b.<String, String>stream("in")
                .groupByKey()
                .windowedBy(TimeWindows.ofSizeWithNoGrace(ms(10)))
                .count(windowCounts("counts").withCachingDisabled())
                .toStream()
                .map((w, n) -> KeyValue.pair(w.key() + "@" + w.window().start() + "/" + w.window().end(), n))
                .to("out", Produced.with(Serdes.String(), Serdes.Long()));
    }

    public static void tumblingCountFilter(final StreamsBuilder b) {
        b.<String, String>stream("in")
                .groupByKey()
                .windowedBy(TimeWindows.ofSizeWithNoGrace(ms(10)))
                .count(windowCounts("counts").withCachingDisabled())
                .filter((w, n) -> n >= 2)
                .toStream()
                .to("out", longs(10));
    }

    // -- time windows: aggregate / reduce --------------------------------------------------------

    private static void aggBasic(
            final StreamsBuilder b, final Materialized<String, String, WindowStore<Bytes, byte[]>> m) {
        b.<String, String>stream("topic1")
                .groupByKey(Grouped.with(Serdes.String(), Serdes.String()))
                .windowedBy(TimeWindows.ofSizeAndGrace(ms(10), ms(100)).advanceBy(ms(5)))
                .aggregate(() -> "0", (k, v, agg) -> agg + "+" + v, m)
                .toStream()
                .to("out", strings(10));
    }

    public static void hoppingAggregate(final StreamsBuilder b) {
        aggBasic(b, Materialized.<String, String, WindowStore<Bytes, byte[]>>as("topic1-Canonicalized")
                .withValueSerde(Serdes.String()));
    }

    public static void hoppingAggregateUncached(final StreamsBuilder b) {
        aggBasic(b, Materialized.<String, String, WindowStore<Bytes, byte[]>>as("topic1-Canonicalized")
                .withValueSerde(Serdes.String())
                .withCachingDisabled());
    }

    public static void tumblingReduceWithGrace(final StreamsBuilder b) {
        b.<String, String>stream("in")
                .groupByKey()
                .windowedBy(TimeWindows.ofSizeAndGrace(ms(10), ms(5)))
                .reduce((agg, v) -> agg + v,
                        Materialized.<String, String, WindowStore<Bytes, byte[]>>as("reduced").withCachingDisabled())
                .toStream()
                .to("out", strings(10));
    }

    public static void tumblingAggregateMutatedInPlace(final StreamsBuilder b) {
        b.<String, String>stream("in")
                .groupByKey()
                .windowedBy(TimeWindows.ofSizeWithNoGrace(ms(10)).advanceBy(ms(5)))
                .<JsonNode>aggregate(
                        () -> {
                            final ObjectNode n = JsonSerde.MAPPER.createObjectNode();
                            n.putArray("values");
                            return n;
                        },
                        (k, v, agg) -> {
                            final ObjectNode n = (ObjectNode) agg.deepCopy();
                            ((ArrayNode) n.get("values")).add(v);
                            return n;
                        },
                        Materialized.<String, JsonNode, WindowStore<Bytes, byte[]>>as("lists")
                                .withValueSerde(new JsonSerde())
                                .withCachingDisabled())
                .toStream()
                .to("out", Produced.with(tw(10), new JsonSerde()));
    }

    public static void timeWindowedCountMaterialized(final StreamsBuilder b) {
        b.<String, String>stream("in")
                .groupByKey(Grouped.with(Serdes.String(), Serdes.String()))
                .windowedBy(TimeWindows.ofSizeAndGrace(ms(500), ms(600)))
                .count(windowCounts("count-store").withCachingDisabled())
                .toStream()
                .to("out", longs(500));
    }

    // -- late records, grace, retention -----------------------------------------------------------

    public static void lateRecordsPastGrace(final StreamsBuilder b) {
        b.<String, String>stream("in")
                .groupByKey(Grouped.with(Serdes.String(), Serdes.String()))
                .windowedBy(TimeWindows.ofSizeAndGrace(ms(10), ms(90)).advanceBy(ms(5)))
                .aggregate(
                        () -> "",
                        (k, v, agg) -> agg + "+" + v,
                        Materialized.<String, String, WindowStore<Bytes, byte[]>>as("late")
                                .withValueSerde(Serdes.String())
                                .withCachingDisabled()
                                .withRetention(ms(100)))
                .toStream()
                .to("out", strings(10));
    }

    // -- emit on window close (KIP-825) ---------------------------------------------------------

    public static void tumblingCountOnWindowClose(final StreamsBuilder b) {
        b.<String, String>stream("in")
                .groupByKey()
                .windowedBy(TimeWindows.ofSizeWithNoGrace(ms(10)))
                .emitStrategy(EmitStrategy.onWindowClose())
                .count(windowCounts("counts"))
                .toStream()
                .to("out", longs(10));
    }

    public static void hoppingAggregateOnWindowClose(final StreamsBuilder b) {
        b.<String, String>stream("topic1")
                .groupByKey(Grouped.with(Serdes.String(), Serdes.String()))
                .windowedBy(TimeWindows.ofSizeAndGrace(ms(10), ms(5)).advanceBy(ms(5)))
                .emitStrategy(EmitStrategy.onWindowClose())
                .aggregate(
                        () -> "0",
                        (k, v, agg) -> agg + "+" + v,
                        Materialized.<String, String, WindowStore<Bytes, byte[]>>as("agg")
                                .withValueSerde(Serdes.String())
                                .withCachingDisabled())
                .toStream()
                .to("out", strings(10));
    }

    public static void tumblingCountOnWindowClosePaced(final StreamsBuilder b) {
        b.<String, String>stream("in")
                .groupByKey()
                .windowedBy(TimeWindows.ofSizeWithNoGrace(ms(10)))
                .emitStrategy(EmitStrategy.onWindowClose())
                .count(windowCounts("counts").withCachingDisabled())
                .toStream()
                .to("out", longs(10));
    }

    // -- sliding windows ------------------------------------------------------------------------

    private static void slidingAgg(
            final StreamsBuilder b,
            final Materialized<String, String, WindowStore<Bytes, byte[]>> m,
            final SlidingWindows windows) {
        b.<String, String>stream("topic")
                .groupByKey(Grouped.with(Serdes.String(), Serdes.String()))
                .windowedBy(windows)
                .aggregate(() -> "0", (k, v, agg) -> agg + "+" + v, m)
                .toStream()
                .to("out", strings(10));
    }

    public static void slidingAggregateSmallInput(final StreamsBuilder b) {
        slidingAgg(b,
                Materialized.<String, String, WindowStore<Bytes, byte[]>>as("sliding")
                        .withValueSerde(Serdes.String())
                        .withCachingDisabled(),
                SlidingWindows.ofTimeDifferenceAndGrace(ms(10), ms(50)));
    }

    public static void slidingAggregateSmallInputCached(final StreamsBuilder b) {
        slidingAgg(b,
                Materialized.<String, String, WindowStore<Bytes, byte[]>>as("sliding")
                        .withValueSerde(Serdes.String()),
                SlidingWindows.ofTimeDifferenceAndGrace(ms(10), ms(50)));
    }

    public static void slidingAggregateOutOfOrder(final StreamsBuilder b) {
        slidingAgg(b,
                Materialized.<String, String, WindowStore<Bytes, byte[]>>as("sliding")
                        .withValueSerde(Serdes.String())
                        .withCachingDisabled(),
                SlidingWindows.ofTimeDifferenceAndGrace(ms(10), ms(10)));
    }

    public static void slidingReduce(final StreamsBuilder b) {
        b.<String, String>stream("topic")
                .groupByKey()
                .windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(ms(10), ms(10)))
                .reduce((agg, v) -> agg + "+" + v,
                        Materialized.<String, String, WindowStore<Bytes, byte[]>>as("r").withCachingDisabled())
                .toStream()
                .to("out", strings(10));
    }

    public static void slidingCountOnWindowClose(final StreamsBuilder b) {
        b.<String, String>stream("topic")
                .groupByKey()
                .windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(ms(10), ms(5)))
                .emitStrategy(EmitStrategy.onWindowClose())
                .count()
                .toStream()
                .to("out", longs(10));
    }

    // -- session windows --------------------------------------------------------------------------

    private static Materialized<String, Long, SessionStore<Bytes, byte[]>> sessionCounts(final String name) {
        return Materialized.as(name);
    }

    public static void sessionCount(final StreamsBuilder b) {
        b.<String, String>stream("in")
                .groupByKey()
                .windowedBy(SessionWindows.ofInactivityGapWithNoGrace(ms(5)))
                .count(sessionCounts("sessions").withCachingDisabled())
                .toStream()
                .to("out", Produced.with(sw(), Serdes.Long()));
    }

    public static void sessionCountCached(final StreamsBuilder b) {
        b.<String, String>stream("in")
                .groupByKey()
                .windowedBy(SessionWindows.ofInactivityGapWithNoGrace(ms(5)))
                .count(sessionCounts("sessions"))
                .toStream()
                .to("out", Produced.with(sw(), Serdes.Long()));
    }

    public static void sessionAggregateWithMerger(final StreamsBuilder b) {
        b.<String, String>stream("in")
                .groupByKey(Grouped.with(Serdes.String(), Serdes.String()))
                .windowedBy(SessionWindows.ofInactivityGapAndGrace(ms(5), ms(10)))
                .aggregate(
                        () -> "0",
                        (k, v, agg) -> agg + "+" + v,
                        (k, one, two) -> one + "+" + two,
                        Materialized.<String, String, SessionStore<Bytes, byte[]>>as("agg")
                                .withValueSerde(Serdes.String())
                                .withCachingDisabled())
                .toStream()
                .to("out", Produced.with(sw(), Serdes.String()));
    }

    public static void sessionReduce(final StreamsBuilder b) {
        b.<String, String>stream("in")
                .groupByKey()
                .windowedBy(SessionWindows.ofInactivityGapAndGrace(ms(5), ms(10)))
                .reduce((agg, v) -> agg + ":" + v,
                        Materialized.<String, String, SessionStore<Bytes, byte[]>>as("r").withCachingDisabled())
                .toStream()
                .to("out", Produced.with(sw(), Serdes.String()));
    }

    public static void sessionCountOnWindowClose(final StreamsBuilder b) {
        b.<String, String>stream("in")
                .groupByKey()
                .windowedBy(SessionWindows.ofInactivityGapAndGrace(ms(5), ms(2)))
                .emitStrategy(EmitStrategy.onWindowClose())
                .count()
                .toStream()
                .to("out", Produced.with(sw(), Serdes.Long()));
    }

    public static void sessionCountAfterGroupBy(final StreamsBuilder b) {
        b.<String, String>stream("in")
                .groupBy((k, v) -> k, Grouped.<String, String>as("by-key").withKeySerde(Serdes.String()))
                .windowedBy(SessionWindows.ofInactivityGapWithNoGrace(ms(5)))
                .count(sessionCounts("sessions").withCachingDisabled())
                .toStream()
                .to("out", Produced.with(sw(), Serdes.Long()));
    }

    // -- larger inputs ----------------------------------------------------------------------------

    public static void hoppingCountLargeInput(final StreamsBuilder b) {
        b.<String, String>stream("in")
                .groupByKey()
                .windowedBy(TimeWindows.ofSizeAndGrace(ms(50), ms(20)).advanceBy(ms(10)))
                .count(windowCounts("hop").withCachingDisabled().withRetention(ms(200)))
                .toStream()
                .to("out", longs(50));
    }

    public static void hoppingCountLargeInputCached(final StreamsBuilder b) {
        b.<String, String>stream("in")
                .groupByKey()
                .windowedBy(TimeWindows.ofSizeAndGrace(ms(50), ms(20)).advanceBy(ms(10)))
                .count(windowCounts("hop").withRetention(ms(200)))
                .toStream()
                .to("out", longs(50));
    }

    public static void slidingAggregateLargeInputMutatedInPlace(final StreamsBuilder b) {
        b.<String, String>stream("in")
                .groupByKey()
                .windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(ms(15), ms(30)))
                .<JsonNode>aggregate(
                        () -> {
                            final ObjectNode n = JsonSerde.MAPPER.createObjectNode();
                            n.put("sum", 0);
                            n.put("n", 0);
                            return n;
                        },
                        (k, v, agg) -> {
                            final ObjectNode n = (ObjectNode) agg.deepCopy();
                            n.put("sum", agg.get("sum").asLong() + Long.parseLong(v));
                            n.put("n", agg.get("n").asLong() + 1);
                            return n;
                        },
                        Materialized.<String, JsonNode, WindowStore<Bytes, byte[]>>as("slide")
                                .withValueSerde(new JsonSerde())
                                .withCachingDisabled())
                .toStream()
                .to("out", Produced.with(tw(15), new JsonSerde()));
    }

    public static void sessionAggregateLargeInputMutatedInPlace(final StreamsBuilder b) {
        b.<String, String>stream("in")
                .groupByKey()
                .windowedBy(SessionWindows.ofInactivityGapAndGrace(ms(4), ms(30)))
                .<JsonNode>aggregate(
                        () -> {
                            final ObjectNode n = JsonSerde.MAPPER.createObjectNode();
                            n.putArray("values");
                            return n;
                        },
                        (k, v, agg) -> {
                            final ObjectNode n = (ObjectNode) agg.deepCopy();
                            ((ArrayNode) n.get("values")).add(Long.parseLong(v));
                            return n;
                        },
                        (k, one, two) -> {
                            final ObjectNode n = (ObjectNode) one.deepCopy();
                            ((ArrayNode) n.get("values")).addAll((ArrayNode) two.get("values"));
                            return n;
                        },
                        Materialized.<String, JsonNode, SessionStore<Bytes, byte[]>>as("sess")
                                .withValueSerde(new JsonSerde())
                                .withCachingDisabled()
                                .withRetention(ms(500)))
                .toStream()
                .to("out", Produced.with(sw(), new JsonSerde()));
    }

    public static void slidingEarlyRecords(final StreamsBuilder b) {
        b.<String, String>stream("topic")
                .groupByKey(Grouped.with(Serdes.String(), Serdes.String()))
                .windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(ms(20), ms(50)))
                .aggregate(
                        () -> "0",
                        (k, v, agg) -> agg + "+" + v,
                        Materialized.<String, String, WindowStore<Bytes, byte[]>>as("early")
                                .withValueSerde(Serdes.String())
                                .withCachingDisabled())
                .toStream()
                .to("out", strings(20));
    }

    // -- names ------------------------------------------------------------------------------------

    public static void windowedAggregationsShareANamedRepartition(final StreamsBuilder b) {
        final KGroupedStream<String, String> grouped = b.<String, String>stream("in")
                .groupBy((k, v) -> k, Grouped.<String, String>as("regroup").withKeySerde(Serdes.String()));
        grouped.windowedBy(TimeWindows.ofSizeWithNoGrace(ms(10)))
                .count(Named.as("tumbling-count"))
                .toStream()
                .to("counts", longs(10));
        grouped.windowedBy(SessionWindows.ofInactivityGapWithNoGrace(ms(5)))
                .reduce((agg, v) -> agg + v, Named.as("session-reduce"))
                .toStream()
                .to("sessions", Produced.with(sw(), Serdes.String()));
        grouped.windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(ms(5), ms(100)))
                .count(Materialized.<String, Long, WindowStore<Bytes, byte[]>>with(Serdes.String(), Serdes.Long())
                        .withCachingDisabled())
                .toStream()
                .to("sliding", longs(5));
    }

    public static void windowedReduceAfterSelectKeyGeneratedNames(final StreamsBuilder b) {
        b.<String, String>stream("in")
                .selectKey((k, v) -> k)
                .groupByKey()
                .windowedBy(TimeWindows.ofSizeAndGrace(ms(10), ms(100)).advanceBy(ms(5)))
                .reduce((agg, v) -> agg + "|" + v)
                .toStream()
                .to("out", strings(10));
    }

    public static void countUnnamedMaterialized(final StreamsBuilder b) {
        b.<String, String>stream("in")
                .groupByKey()
                .count(Materialized.<String, Long, KeyValueStore<Bytes, byte[]>>with(Serdes.String(), Serdes.Long()))
                .toStream()
                .to("out", Produced.with(Serdes.String(), Serdes.Long()));
    }

    public static void tumblingCountOnWindowCloseInMemory(final StreamsBuilder b) {
        b.<String, String>stream("in")
                .groupByKey()
                .windowedBy(TimeWindows.ofSizeWithNoGrace(ms(10)))
                .emitStrategy(EmitStrategy.onWindowClose())
                .count(windowCounts("counts")
                        .withStoreType(Materialized.StoreType.IN_MEMORY)
                        .withCachingDisabled()
                        .withRetention(ms(15)))
                .toStream()
                .to("out", longs(10));
    }

    public static void sessionMultipleSessionsAndMerging(final StreamsBuilder b) {
        b.<String, String>stream("in")
                .groupByKey()
                .windowedBy(SessionWindows.ofInactivityGapWithNoGrace(ms(5 * 60 * 1000L)))
                .count(sessionCounts("s").withCachingDisabled())
                .toStream()
                .to("out", Produced.with(sw(), Serdes.Long()));
    }

    public static void sessionLateRecordsWithGrace(final StreamsBuilder b) {
        b.<String, String>stream("in")
                .groupByKey()
                .windowedBy(SessionWindows.ofInactivityGapAndGrace(ms(10), ms(10)))
                .count(sessionCounts("late").withCachingDisabled())
                .toStream()
                .to("out", Produced.with(sw(), Serdes.Long()));
    }

    public static void tumblingCountMaterializedFilter(final StreamsBuilder b) {
        b.<String, String>stream("in")
                .groupByKey(Grouped.with(Serdes.String(), Serdes.String()))
                .windowedBy(TimeWindows.ofSizeWithNoGrace(ms(10)))
                .count(windowCounts("counts").withCachingDisabled())
                .filter((w, n) -> n > 1,
                        Materialized.<Windowed<String>, Long, KeyValueStore<Bytes, byte[]>>as("filtered")
                                .withKeySerde(tw(10))
                                .withValueSerde(Serdes.Long())
                                .withCachingDisabled())
                .toStream()
                .to("out", longs(10));
    }
}
