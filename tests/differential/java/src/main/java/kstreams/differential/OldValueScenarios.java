package kstreams.differential;

import static org.apache.kafka.streams.kstream.Suppressed.BufferConfig.unbounded;
import static org.apache.kafka.streams.kstream.Suppressed.untilWindowCloses;

import java.time.Duration;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.SessionWindows;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.kstream.WindowedSerdes;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.SessionStore;
import org.apache.kafka.streams.state.WindowStore;

/**
 * The Java twins of tests/differential/scenarios/old_values.py: aggregations that do and do not
 * send old values downstream. Keep the two in step.
 */
public final class OldValueScenarios {
    private OldValueScenarios() {}

    private static Duration ms(final long n) {
        return Duration.ofMillis(n);
    }

    private static Serde<Windowed<String>> tw(final long size) {
        return WindowedSerdes.timeWindowedSerdeFrom(String.class, size);
    }

    private static Produced<Windowed<String>, Long> windowedLongs(final long size) {
        return Produced.with(tw(size), Serdes.Long());
    }

    private static Produced<Windowed<String>, Long> sessionLongs() {
        return Produced.with(WindowedSerdes.sessionWindowedSerdeFrom(String.class), Serdes.Long());
    }

    private static Produced<String, Long> longs() {
        return Produced.with(Serdes.String(), Serdes.Long());
    }

    private static KTable<Windowed<String>, Long> hopping(
            final StreamsBuilder b, final Materialized<String, Long, WindowStore<Bytes, byte[]>> m) {
        return b.<String, String>stream("in")
                .groupByKey(Grouped.with(Serdes.String(), Serdes.String()))
                .windowedBy(TimeWindows.ofSizeWithNoGrace(ms(10)).advanceBy(ms(5)))
                .count(m);
    }

    public static void oldValuesHoppingCount(final StreamsBuilder b) {
        hopping(b, Materialized.as("hop")).toStream().to("out", windowedLongs(10));
    }

    public static void oldValuesHoppingCountUncached(final StreamsBuilder b) {
        hopping(b, Materialized.<String, Long, WindowStore<Bytes, byte[]>>as("hop").withCachingDisabled())
                .toStream()
                .to("out", windowedLongs(10));
    }

    public static void oldValuesHoppingCountSuppressed(final StreamsBuilder b) {
        final KTable<Windowed<String>, Long> counts = hopping(b, Materialized.as("hop"));
        counts.suppress(untilWindowCloses(unbounded())).toStream().to("out", windowedLongs(10));
        counts.toStream().to("raw", windowedLongs(10));
    }

    public static void oldValuesTumblingCountFiltered(final StreamsBuilder b) {
        final KTable<Windowed<String>, Long> counts = b.<String, String>stream("in")
                .groupByKey()
                .windowedBy(TimeWindows.ofSizeWithNoGrace(ms(10)))
                .count(Materialized.as("tumbling"));
        counts.filter((k, v) -> v >= 2).toStream().to("out", windowedLongs(10));
        counts.toStream().to("raw", windowedLongs(10));
    }

    private static void regrouped(final StreamsBuilder b, final boolean cached) {
        Materialized<String, Long, KeyValueStore<Bytes, byte[]>> m = Materialized.as("counts");
        Materialized<String, Long, KeyValueStore<Bytes, byte[]>> m2 = Materialized.as("per-count");
        if (!cached) {
            m = m.withCachingDisabled();
            m2 = m2.withCachingDisabled();
        }
        final KTable<String, Long> counts = b.<String, String>stream("in").groupByKey().count(m);
        counts.groupBy((k, v) -> new KeyValue<>(String.valueOf(v), k), Grouped.with(Serdes.String(), Serdes.String()))
                .count(m2)
                .toStream()
                .to("out", longs());
        counts.toStream().to("raw", longs());
    }

    public static void oldValuesCountRegrouped(final StreamsBuilder b) {
        regrouped(b, true);
    }

    public static void oldValuesCountRegroupedUncached(final StreamsBuilder b) {
        regrouped(b, false);
    }

    public static void oldValuesCountFiltered(final StreamsBuilder b) {
        final KTable<String, Long> counts = b.<String, String>stream("in").groupByKey().count();
        counts.filter((k, v) -> v >= 2).toStream().to("out", longs());
        counts.mapValues(v -> v * 10).filter((k, v) -> v >= 30).toStream().to("scaled", longs());
    }

    public static void oldValuesTableDeletes(final StreamsBuilder b) {
        final KTable<String, String> users = b.table(
                "users", Materialized.<String, String, KeyValueStore<Bytes, byte[]>>as("users-store"));
        users.toStream().to("out");
        users.groupBy((k, v) -> new KeyValue<>(v, k))
                .count(Materialized.as("regions"))
                .toStream()
                .to("regions", longs());
    }

    private static Materialized<String, Long, SessionStore<Bytes, byte[]>> sessions() {
        return Materialized.as("sessions");
    }

    public static void oldValuesSessionCount(final StreamsBuilder b) {
        b.<String, String>stream("in")
                .groupByKey()
                .windowedBy(SessionWindows.ofInactivityGapAndGrace(ms(5), ms(20)))
                .count(sessions())
                .toStream()
                .to("out", sessionLongs());
    }

    public static void oldValuesSessionCountUncached(final StreamsBuilder b) {
        b.<String, String>stream("in")
                .groupByKey()
                .windowedBy(SessionWindows.ofInactivityGapAndGrace(ms(5), ms(20)))
                .count(sessions().withCachingDisabled())
                .toStream()
                .to("out", sessionLongs());
    }

    public static void oldValuesSessionCountFiltered(final StreamsBuilder b) {
        final KTable<Windowed<String>, Long> counts = b.<String, String>stream("in")
                .groupByKey()
                .windowedBy(SessionWindows.ofInactivityGapAndGrace(ms(5), ms(20)))
                .count(sessions().withCachingDisabled());
        counts.filter((k, v) -> v >= 2).toStream().to("out", sessionLongs());
        counts.toStream().to("raw", sessionLongs());
    }
}
