package kstreams.differential;

import static org.apache.kafka.streams.kstream.Suppressed.BufferConfig.maxBytes;
import static org.apache.kafka.streams.kstream.Suppressed.BufferConfig.maxRecords;
import static org.apache.kafka.streams.kstream.Suppressed.BufferConfig.unbounded;
import static org.apache.kafka.streams.kstream.Suppressed.untilTimeLimit;
import static org.apache.kafka.streams.kstream.Suppressed.untilWindowCloses;

import java.time.Duration;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KGroupedStream;
import org.apache.kafka.streams.kstream.KGroupedTable;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.SessionWindows;
import org.apache.kafka.streams.kstream.SlidingWindows;
import org.apache.kafka.streams.kstream.Suppressed;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.SessionStore;
import org.apache.kafka.streams.state.WindowStore;

/**
 * The Java twins of tests/differential/scenarios/suppress.py: Kafka Streams' SuppressScenarioTest
 * cases. Keep the two in step.
 */
public final class SuppressScenarios {
    private SuppressScenarios() {}

    private static KGroupedTable<String, String> valuesGrouped(final StreamsBuilder b) {
        return b.table(
                        "input",
                        Consumed.with(Serdes.String(), Serdes.String()),
                        Materialized.<String, String, KeyValueStore<Bytes, byte[]>>with(
                                        Serdes.String(), Serdes.String())
                                .withCachingDisabled()
                                .withLoggingDisabled())
                .groupBy((k, v) -> new KeyValue<>(v, k), Grouped.with(Serdes.String(), Serdes.String()));
    }

    private static void rawAndSuppressed(final KTable<String, Long> counts, final Suppressed<? super String> s) {
        counts.suppress(s).toStream().to("output-suppressed", Produced.with(Serdes.String(), Serdes.Long()));
        counts.toStream().to("output-raw", Produced.with(Serdes.String(), Serdes.Long()));
    }

    public static void suppressZeroTimeLimit(final StreamsBuilder b) {
        rawAndSuppressed(valuesGrouped(b).count(), untilTimeLimit(Duration.ZERO, unbounded()));
    }

    public static void suppressTimeLimit(final StreamsBuilder b) {
        rawAndSuppressed(valuesGrouped(b).count(), untilTimeLimit(Duration.ofMillis(2L), unbounded()));
    }

    public static void suppressRecordLimit(final StreamsBuilder b) {
        rawAndSuppressed(
                valuesGrouped(b).count(Materialized.with(Serdes.String(), Serdes.Long())),
                untilTimeLimit(Duration.ofMillis(Long.MAX_VALUE), maxRecords(1L).emitEarlyWhenFull()));
    }

    public static void suppressBytesLimit(final StreamsBuilder b) {
        rawAndSuppressed(
                valuesGrouped(b).count(),
                untilTimeLimit(Duration.ofMillis(Long.MAX_VALUE), maxBytes(200L).emitEarlyWhenFull()));
    }

    public static void suppressBeforeGroupBy(final StreamsBuilder b) {
        b.table("topic", Consumed.with(Serdes.String(), Serdes.String()))
                .suppress(untilTimeLimit(Duration.ofMillis(10), unbounded()))
                .groupBy(KeyValue::pair, Grouped.with(Serdes.String(), Serdes.String()))
                .count()
                .toStream()
                .to("output", Produced.with(Serdes.String(), Serdes.Long()));
    }

    public static void suppressNamedTableHeaders(final StreamsBuilder b) {
        b.<String, String>table("topic", Materialized.as("source"))
                .suppress(untilTimeLimit(Duration.ofMillis(7), maxRecords(10).shutDownWhenFull())
                        .withName("limiter"))
                .toStream()
                .to("out");
    }

    // -- final results of windowed counts -------------------------------------------------------

    private static void finalAndRaw(final KTable<Windowed<String>, Long> counts) {
        counts.suppress(untilWindowCloses(unbounded()))
                .toStream()
                .map((final Windowed<String> k, final Long v) -> new KeyValue<>(k.toString(), v))
                .to("output-suppressed", Produced.with(Serdes.String(), Serdes.Long()));
        counts.toStream()
                .map((final Windowed<String> k, final Long v) -> new KeyValue<>(k.toString(), v))
                .to("output-raw", Produced.with(Serdes.String(), Serdes.Long()));
    }

    private static KGroupedStream<String, String> grouped(final StreamsBuilder b) {
        return b.stream("input", Consumed.with(Serdes.String(), Serdes.String()))
                .groupBy((String k, String v) -> k, Grouped.with(Serdes.String(), Serdes.String()));
    }

    public static void suppressFinalTimeWindows(final StreamsBuilder b) {
        finalAndRaw(grouped(b)
                .windowedBy(TimeWindows.ofSizeAndGrace(Duration.ofMillis(2L), Duration.ofMillis(1L)))
                .count(Materialized.<String, Long, WindowStore<Bytes, byte[]>>as("counts").withCachingDisabled()));
    }

    public static void suppressFinalTimeWindowsLargeJump(final StreamsBuilder b) {
        finalAndRaw(grouped(b)
                .windowedBy(TimeWindows.ofSizeAndGrace(Duration.ofMillis(2L), Duration.ofMillis(2L)))
                .count(Materialized.<String, Long, WindowStore<Bytes, byte[]>>as("counts")
                        .withCachingDisabled()
                        .withKeySerde(Serdes.String())));
    }

    public static void suppressFinalSlidingWindows(final StreamsBuilder b) {
        finalAndRaw(grouped(b)
                .windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(Duration.ofMillis(5L), Duration.ofMillis(15L)))
                .count(Materialized.<String, Long, WindowStore<Bytes, byte[]>>as("counts")
                        .withCachingDisabled()
                        .withKeySerde(Serdes.String())));
    }

    public static void suppressFinalSessionWindows(final StreamsBuilder b) {
        finalAndRaw(grouped(b)
                .windowedBy(SessionWindows.ofInactivityGapWithNoGrace(Duration.ofMillis(5L)))
                .count(Materialized.<String, Long, SessionStore<Bytes, byte[]>>as("counts").withCachingDisabled()));
    }

    public static void suppressFinalCachedReduceNamed(final StreamsBuilder b) {
        b.<String, String>stream("input")
                .groupByKey()
                .windowedBy(TimeWindows.ofSizeAndGrace(Duration.ofMinutes(1), Duration.ofSeconds(10))
                        .advanceBy(Duration.ofSeconds(30)))
                // the Python twin gives no serdes: its windowed key serde's inner serde is the
                // default one; Java needs them spelled out (else a ClassCastException in the buffer)
                .reduce((a, v) -> a + "+" + v, Materialized.with(Serdes.String(), Serdes.String()))
                .suppress(untilWindowCloses(maxRecords(100).shutDownWhenFull()).withName("final"))
                .toStream()
                .map((final Windowed<String> w, final String v) ->
                        new KeyValue<>(w.key() + "@" + w.window().start() + "/" + w.window().end(), v))
                .to("out");
    }
}
