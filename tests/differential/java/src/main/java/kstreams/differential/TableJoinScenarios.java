package kstreams.differential;

import static org.apache.kafka.streams.kstream.Suppressed.BufferConfig.unbounded;

import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Suppressed;
import org.apache.kafka.streams.kstream.ValueJoiner;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * The Java twins of tests/differential/scenarios/table_joins.py: KTable-KTable joins. Keep the
 * two in step.
 */
public final class TableJoinScenarios {
    private TableJoinScenarios() {}

    /** MockValueJoiner.TOSTRING_JOINER. */
    private static final ValueJoiner<String, String, String> PLUS = (a, b) -> a + "+" + b;

    private static Materialized<String, String, KeyValueStore<Bytes, byte[]>> as(final String name) {
        return Materialized.as(name);
    }

    private static KTable<String, String> left(final StreamsBuilder b) {
        return b.table("left");
    }

    private static KTable<String, String> right(final StreamsBuilder b) {
        return b.table("right");
    }

    public static void tableInnerJoin(final StreamsBuilder b) {
        left(b).join(right(b), PLUS).toStream().to("out");
    }

    public static void tableLeftJoin(final StreamsBuilder b) {
        left(b).leftJoin(right(b), PLUS).toStream().to("out");
    }

    public static void tableOuterJoin(final StreamsBuilder b) {
        left(b).outerJoin(right(b), PLUS).toStream().to("out");
    }

    public static void tableInnerJoinMaterialized(final StreamsBuilder b) {
        left(b).join(right(b), PLUS, as("joined")).toStream().to("out");
    }

    public static void tableLeftJoinMaterializedUncached(final StreamsBuilder b) {
        left(b).leftJoin(right(b), PLUS, as("joined").withCachingDisabled()).toStream().to("out");
    }

    public static void tableOuterJoinMaterialized(final StreamsBuilder b) {
        left(b).outerJoin(right(b), PLUS, as("joined")).toStream().to("out");
    }

    public static void tableJoinUnnamedMaterialized(final StreamsBuilder b) {
        left(b).join(right(b), PLUS, Materialized.with(Serdes.String(), Serdes.String()))
                .toStream()
                .to("out");
    }

    public static void tableJoinNamed(final StreamsBuilder b) {
        left(b).outerJoin(right(b), PLUS, Named.as("j"), as("joined")).toStream().to("out");
    }

    public static void tableJoinMaterializedSources(final StreamsBuilder b) {
        final KTable<String, String> l = b.table("left", as("left-store"));
        final KTable<String, String> r = b.table("right", as("right-store").withCachingDisabled());
        l.leftJoin(r, PLUS).toStream().to("out");
    }

    public static void tableLeftJoinGroupByCount(final StreamsBuilder b) {
        final KTable<String, String> joined = left(b).leftJoin(right(b), PLUS);
        joined.toStream().to("joined");
        joined.groupBy((k, v) -> KeyValue.pair(v.split("\\+")[1], k),
                        Grouped.with(Serdes.String(), Serdes.String()))
                .count(Materialized.as("per-right"))
                .toStream()
                .to("out", Produced.with(Serdes.String(), Serdes.Long()));
    }

    public static void tableOuterJoinMaterializedGroupByReduce(final StreamsBuilder b) {
        final KTable<String, String> joined =
                left(b).outerJoin(right(b), PLUS, as("joined").withCachingDisabled());
        joined.groupBy((k, v) -> KeyValue.pair(String.valueOf(v.length()), k))
                .reduce(
                        (agg, v) -> agg + "," + v,
                        (agg, v) -> Arrays.stream(agg.split(",", -1))
                                .filter(p -> !p.equals(v))
                                .collect(Collectors.joining(",")),
                        as("lengths"))
                .toStream()
                .to("out");
    }

    public static void tableOuterJoinFilter(final StreamsBuilder b) {
        left(b).outerJoin(right(b), PLUS).filter((k, v) -> v.contains("YY")).toStream().to("out");
    }

    public static void tableJoinFilteredAndMappedSides(final StreamsBuilder b) {
        left(b).filter((k, v) -> !v.startsWith("XXX"))
                .join(right(b).mapValues(v -> v.toLowerCase(Locale.ROOT)), PLUS)
                .toStream()
                .to("out");
    }

    public static void tableSelfJoin(final StreamsBuilder b) {
        final KTable<String, String> l = left(b);
        l.join(l, PLUS).toStream().to("out");
    }

    public static void tableJoinChain(final StreamsBuilder b) {
        final KTable<String, String> third = b.table("third");
        left(b).leftJoin(right(b), PLUS)
                .outerJoin(third, PLUS)
                .join(third.mapValues(v -> v.toLowerCase(Locale.ROOT)), PLUS)
                .toStream()
                .to("out");
    }

    public static void tableJoinChainInMemory(final StreamsBuilder b) {
        final KTable<String, String> agg = b.<String, String>table(
                        "left", Materialized.as(Stores.inMemoryKeyValueStore("left-base")))
                .groupBy(KeyValue::pair)
                .reduce((a, v) -> a + v, (a, v) -> a,
                        Materialized.as(Stores.inMemoryKeyValueStore("agg-store")));
        final KTable<String, String> r = b.table(
                "right", Materialized.as(Stores.inMemoryKeyValueStore("right-base")));
        final KTable<String, String> third = b.table(
                "third", Materialized.as(Stores.inMemoryKeyValueStore("third-base")));
        final KTable<String, String> eight =
                third.leftJoin(r.mapValues(v -> v.toUpperCase(Locale.ROOT)), PLUS);
        agg.leftJoin(r, PLUS, as("first"))
                .leftJoin(eight, PLUS)
                .mapValues(v -> v.toUpperCase(Locale.ROOT))
                .toStream()
                .to("out");
    }

    public static void tableJoinCountWithTable(final StreamsBuilder b) {
        final KTable<String, Long> counts = right(b)
                .groupBy((k, v) -> KeyValue.pair(v.substring(v.length() - 1), v))
                .count();
        left(b).mapValues(v -> v.substring(v.length() - 1))
                .join(counts, (v, n) -> n)
                .toStream()
                .to("out", Produced.with(Serdes.String(), Serdes.Long()));
    }

    private static KTable<String, String> versioned(final StreamsBuilder b, final String topic) {
        return b.table(topic, Materialized.<String, String>as(
                Stores.persistentVersionedKeyValueStore(topic + "-v", Duration.ofMillis(100))));
    }

    public static void tableJoinVersionedSides(final StreamsBuilder b) {
        final KTable<String, String> l = versioned(b, "left");
        l.toStream().to("left-updates");
        l.outerJoin(versioned(b, "right"), PLUS).toStream().to("out");
    }

    public static void tableLeftJoinOneVersionedSide(final StreamsBuilder b) {
        left(b).leftJoin(versioned(b, "right"), PLUS).toStream().to("out");
    }

    public static void tableJoinVersionedResult(final StreamsBuilder b) {
        final KTable<String, String> joined = left(b).join(right(b), PLUS,
                Materialized.<String, String>as(
                        Stores.persistentVersionedKeyValueStore("joined-v", Duration.ofMillis(1000))));
        joined.toStream().to("joined");
        joined.join(b.<String, String>table("third"), PLUS).toStream().to("out");
    }

    public static void streamJoinedWithJoinedTables(final StreamsBuilder b) {
        final KTable<String, String> l = left(b);
        final KTable<String, String> r = right(b);
        final KTable<String, String> computed = l.outerJoin(r, PLUS);
        final KTable<String, String> stored = l.join(r, PLUS, as("joined"));
        final KStream<String, String> events = b.stream("events");
        events.join(computed, (v, t) -> v + "/" + t).to("out");
        events.leftJoin(stored, (v, t) -> v + "/" + t).to("left-out");
    }

    public static void tableJoinSuppressed(final StreamsBuilder b) {
        left(b).leftJoin(right(b), PLUS)
                .suppress(Suppressed.untilTimeLimit(Duration.ofMillis(10), unbounded()))
                .toStream()
                .to("out");
    }
}
