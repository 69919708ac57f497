package kstreams.differential;

import java.time.Duration;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Joined;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Suppressed;
import org.apache.kafka.streams.kstream.ValueJoiner;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * The Java twins of tests/differential/scenarios/stream_table_joins.py: KStream-KTable joins.
 * Keep the two in step.
 */
public final class StreamTableJoinScenarios {
    private StreamTableJoinScenarios() {}

    /** MockValueJoiner.TOSTRING_JOINER. */
    private static final ValueJoiner<Object, Object, String> JOINER = (v1, v2) -> v1 + "+" + v2;

    private static Consumed<Integer, String> intStrings() {
        return Consumed.with(Serdes.Integer(), Serdes.String());
    }

    private static Consumed<String, String> strings() {
        return Consumed.with(Serdes.String(), Serdes.String());
    }

    public static void streamTableInnerJoin(final StreamsBuilder b) {
        final KStream<Integer, String> stream = b.stream("stream", intStrings());
        final KTable<Integer, String> table = b.table("table", intStrings());
        stream.join(table, JOINER).to("out");
    }

    public static void streamTableLeftJoin(final StreamsBuilder b) {
        final KStream<Integer, String> stream = b.stream("stream", intStrings());
        final KTable<Integer, String> table = b.table("table", intStrings());
        stream.leftJoin(table, JOINER).to("out");
    }

    public static void streamTableJoinFilteredAndMappedTables(final StreamsBuilder b) {
        final KStream<Integer, String> stream = b.stream("stream", intStrings());
        final KTable<Integer, String> table = b.table("table", intStrings());
        final KTable<Integer, String> derived = table
                .filter((k, v) -> !v.startsWith("YY") || k % 2 == 0)
                .mapValues(v -> v.toLowerCase());
        stream.leftJoin(derived, JOINER).to("out");
        final KTable<Integer, String> mapped = table.mapValues(
                (k, v) -> k + ":" + v,
                Materialized.<Integer, String, KeyValueStore<Bytes, byte[]>>as("mapped")
                        .withKeySerde(Serdes.Integer())
                        .withValueSerde(Serdes.String()));
        stream.join(mapped, JOINER).to("out2");
    }

    private static void rekeyedTwoJoins(final StreamsBuilder b, final String first, final String second) {
        final KStream<String, String> stream = b.stream("topic", strings());
        final KTable<String, String> tableB = b.table("topic2", strings());
        final KTable<String, String> tableC = b.table("topic3", strings());
        final KStream<String, String> rekeyed = stream.map((k, v) -> new KeyValue<>(v, k));
        if (first == null) {
            rekeyed.join(tableB, (v1, v2) -> v1 + v2).to("out-one");
            rekeyed.join(tableC, (v1, v2) -> v1 + v2).to("out-two");
        } else {
            rekeyed.join(tableB, (v1, v2) -> v1 + v2,
                    Joined.with(Serdes.String(), Serdes.String(), Serdes.String(), first)).to("out-one");
            rekeyed.join(tableC, (v1, v2) -> v1 + v2,
                    Joined.with(Serdes.String(), Serdes.String(), Serdes.String(), second)).to("out-two");
        }
    }

    public static void streamTableJoinAfterMapGeneratedNames(final StreamsBuilder b) {
        rekeyedTwoJoins(b, null, null);
    }

    public static void streamTableJoinAfterMapNamed(final StreamsBuilder b) {
        rekeyedTwoJoins(b, "first-join", "second-join");
    }

    public static void streamTableLeftJoinAfterSelectKey(final StreamsBuilder b) {
        final KStream<String, String> clicks = b.stream("clicks", strings());
        final KTable<String, String> users = b.table("users", strings());
        clicks.selectKey((k, v) -> v)
                .leftJoin(users, (k, v, region) -> k + "/" + v + "/" + region,
                        Joined.<String, String, String>as("clicks-by-user"))
                .to("out");
    }

    public static void streamTableJoinAggregatedTable(final StreamsBuilder b) {
        final KTable<String, Long> counts = b.<String, String>stream("events")
                .groupByKey()
                .count(Materialized.as("event-counts"));
        final KStream<String, String> orders = b.stream("orders");
        orders.leftJoin(counts, (o, n) -> o + "#" + n).to("out");
    }

    public static void streamTableJoinSuppressedTable(final StreamsBuilder b) {
        final KTable<String, Long> counts = b.<String, String>stream("events")
                .groupByKey()
                .count(Materialized.as("event-counts"));
        final KTable<String, Long> suppressed = counts.suppress(
                Suppressed.untilTimeLimit(Duration.ofMillis(10), Suppressed.BufferConfig.unbounded()));
        final KStream<String, String> orders = b.stream("orders");
        orders.leftJoin(suppressed, (o, n) -> o + "#" + n).to("out");
    }

    private static void graceJoin(final StreamsBuilder b, final long graceMs, final boolean left, final boolean derived) {
        final KStream<Integer, String> stream = b.stream("stream", intStrings());
        KTable<Integer, String> table = b.table("table", intStrings(),
                Materialized.<Integer, String>as(
                        Stores.persistentVersionedKeyValueStore("V-grace", Duration.ofMinutes(5))));
        if (derived) {
            table = table.filter((k, v) -> !v.endsWith("2")).mapValues(v -> v.toLowerCase());
        }
        final Joined<Integer, String, String> joined = Joined.with(
                Serdes.Integer(), Serdes.String(), Serdes.String(), "Grace", Duration.ofMillis(graceMs));
        if (left) {
            stream.leftJoin(table, JOINER, joined).to("out");
        } else {
            stream.join(table, JOINER, joined).to("out");
        }
    }

    public static void streamTableJoinGraceVersioned(final StreamsBuilder b) {
        graceJoin(b, 2, false, false);
    }

    public static void streamTableLeftJoinGraceVersioned(final StreamsBuilder b) {
        graceJoin(b, 2, true, false);
    }

    public static void streamTableJoinGraceInheritedVersioned(final StreamsBuilder b) {
        graceJoin(b, 5, false, true);
    }

    public static void streamTableLeftJoinVersionedNoGrace(final StreamsBuilder b) {
        final KStream<Integer, String> stream = b.stream("stream", intStrings());
        final KTable<Integer, String> table = b.table("table", intStrings(),
                Materialized.<Integer, String>as(
                        Stores.persistentVersionedKeyValueStore("V", Duration.ofMinutes(5))));
        stream.leftJoin(table, JOINER).to("out");
    }
}
