package kstreams.differential;

import java.time.Duration;
import java.util.function.Supplier;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.VersionedBytesStoreSupplier;
import org.apache.kafka.streams.state.VersionedKeyValueStore;
import org.apache.kafka.streams.state.VersionedRecord;

/**
 * The Java twins of tests/differential/scenarios/versioned_tables.py: versioned table sources
 * and a versioned store through the Processor API, every call's answer forwarded as text.
 */
public final class VersionedScenarios {
    private VersionedScenarios() {}

    private static final Duration RETENTION = Duration.ofMillis(10_000L);

    private static VersionedBytesStoreSupplier versioned(final String name) {
        return Stores.persistentVersionedKeyValueStore(name, RETENTION);
    }

    private static Materialized<String, String, KeyValueStore<Bytes, byte[]>> versionedAs(final String name) {
        return Materialized.<String, String>as(versioned(name));
    }

    public static void versionedTableToStream(final StreamsBuilder b) {
        b.table("prices", versionedAs("prices-store")).toStream().to("out");
    }

    public static void versionedTableGroupByCount(final StreamsBuilder b) {
        b.table("prices", versionedAs("prices-store"))
                .groupBy((fruit, price) -> KeyValue.pair(price, fruit))
                .count()
                .toStream()
                .to("out", Produced.with(Serdes.String(), Serdes.Long()));
    }

    public static void versionedTableMapValuesGroupBy(final StreamsBuilder b) {
        b.table("prices", versionedAs("prices-store"))
                .mapValues(price -> "p" + price)
                .groupBy((fruit, price) -> KeyValue.pair(price, fruit))
                .count()
                .toStream()
                .to("out", Produced.with(Serdes.String(), Serdes.Long()));
    }

    public static void versionedTableMaterializedFilterGroupBy(final StreamsBuilder b) {
        b.table("prices", versionedAs("prices-store"))
                .filter((fruit, price) -> !"9".equals(price),
                        Materialized.<String, String, KeyValueStore<Bytes, byte[]>>as("plain"))
                .groupBy((fruit, price) -> KeyValue.pair(price, fruit))
                .count()
                .toStream()
                .to("out", Produced.with(Serdes.String(), Serdes.Long()));
    }

    public static void versionedToTable(final StreamsBuilder b) {
        b.<String, String>stream("prices")
                .toTable(versionedAs("latest").withCachingDisabled())
                .toStream()
                .to("out");
    }

    /** Puts each record into versioned store "v" (value "DEL": deletes at its timestamp), then
     * forwards what the call returned and what get answers (latest; as of several times). */
    static final class VersionedQueries implements Processor<String, String, String, String> {
        private ProcessorContext<String, String> context;
        private VersionedKeyValueStore<String, String> v;

        @Override
        public void init(final ProcessorContext<String, String> context) {
            this.context = context;
            this.v = context.getStateStore("v");
        }

        private static String rec(final VersionedRecord<String> r) {
            if (r == null) {
                return "null";
            }
            return r.value() + "@" + r.timestamp() + "/" + (r.validTo().isPresent() ? String.valueOf(r.validTo().get()) : "-");
        }

        private void answer(final Record<String, String> record, final String name, final String value) {
            context.forward(new Record<>(record.key() + ":" + name, value, record.timestamp()));
        }

        @Override
        public void process(final Record<String, String> record) {
            final String key = record.key();
            final long ts = record.timestamp();
            final String result;
            if ("DEL".equals(record.value())) {
                result = rec(v.delete(key, ts));
            } else {
                result = String.valueOf(v.put(key, record.value(), ts));
            }
            answer(record, "result", result);
            answer(record, "latest", rec(v.get(key)));
            for (final long at : new long[] {ts - 1, ts, ts + 1, 1_000L, 2_500L, 3_500L, 12_000L}) {
                answer(record, "asof" + at, rec(v.get(key, at)));
            }
        }
    }

    public static void versionedStoreQueries(final StreamsBuilder b) {
        b.addStateStore(Stores.versionedKeyValueStoreBuilder(
                Stores.persistentVersionedKeyValueStore("v", RETENTION, Duration.ofMillis(1_000L)),
                Serdes.String(),
                Serdes.String()));
        final Supplier<Processor<String, String, String, String>> make = VersionedQueries::new;
        b.<String, String>stream("in").process(make::get, "v").to("out");
    }

    public static void versionedStoreZeroRetentionUnlogged(final StreamsBuilder b) {
        b.addStateStore(Stores.versionedKeyValueStoreBuilder(
                Stores.persistentVersionedKeyValueStore("v", Duration.ZERO),
                Serdes.String(),
                Serdes.String()).withLoggingDisabled());
        final Supplier<Processor<String, String, String, String>> make = VersionedQueries::new;
        b.<String, String>stream("in").process(make::get, "v").to("out");
    }
}
