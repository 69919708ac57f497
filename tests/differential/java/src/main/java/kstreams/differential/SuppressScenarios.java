package kstreams.differential;

import static org.apache.kafka.streams.kstream.Suppressed.BufferConfig.maxBytes;
import static org.apache.kafka.streams.kstream.Suppressed.BufferConfig.maxRecords;
import static org.apache.kafka.streams.kstream.Suppressed.BufferConfig.unbounded;
import static org.apache.kafka.streams.kstream.Suppressed.untilTimeLimit;

import java.time.Duration;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KGroupedTable;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Suppressed;
import org.apache.kafka.streams.state.KeyValueStore;

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
}
