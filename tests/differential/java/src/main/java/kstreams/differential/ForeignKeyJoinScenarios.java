package kstreams.differential;

import java.time.Duration;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.TableJoined;
import org.apache.kafka.streams.kstream.ValueJoiner;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * The Java twins of tests/differential/scenarios/fk_joins.py: KTable-KTable foreign-key joins.
 * Keep the two in step.
 */
public final class ForeignKeyJoinScenarios {
    private ForeignKeyJoinScenarios() {}

    private static final ValueJoiner<String, String, String> PLUS = (a, b) -> a + "+" + b;

    private static String fk(final String value) {
        final String key = value.split("\\|")[1];
        return "null".equals(key) ? null : key;
    }

    private static Materialized<String, String, KeyValueStore<Bytes, byte[]>> as(final String name) {
        return Materialized.as(name);
    }

    private static KTable<String, String> lhs(final StreamsBuilder b) {
        return b.table("lhs");
    }

    private static KTable<String, String> rhs(final StreamsBuilder b) {
        return b.table("rhs");
    }

    public static void fkInnerJoin(final StreamsBuilder b) {
        final KTable<String, String> left = lhs(b);
        left.join(rhs(b), ForeignKeyJoinScenarios::fk, PLUS).toStream().to("out");
    }

    public static void fkLeftJoin(final StreamsBuilder b) {
        final KTable<String, String> left = lhs(b);
        left.leftJoin(rhs(b), ForeignKeyJoinScenarios::fk, PLUS).toStream().to("out");
    }

    public static void fkInnerJoinMaterialized(final StreamsBuilder b) {
        final KTable<String, String> left = lhs(b);
        left.join(rhs(b), ForeignKeyJoinScenarios::fk, PLUS, as("joined")).toStream().to("out");
    }

    public static void fkLeftJoinNamedMaterializedUncached(final StreamsBuilder b) {
        final KTable<String, String> left = lhs(b);
        left.leftJoin(rhs(b), ForeignKeyJoinScenarios::fk, PLUS, TableJoined.as("fk"),
                as("joined").withCachingDisabled()).toStream().to("out");
    }

    public static void fkJoinKeyAndValueExtractor(final StreamsBuilder b) {
        final KTable<String, String> left = lhs(b);
        left.join(rhs(b), (String k, String v) -> "lhs2".equals(k) ? null : fk(v), PLUS)
                .toStream().to("out");
    }

    public static void fkJoinUnnamedMaterialized(final StreamsBuilder b) {
        final KTable<String, String> left = lhs(b);
        left.leftJoin(rhs(b), ForeignKeyJoinScenarios::fk, PLUS,
                Materialized.with(Serdes.String(), Serdes.String())).toStream().to("out");
    }

    public static void fkJoinChained(final StreamsBuilder b) {
        final KTable<String, String> orders = b.table("orders");
        final KTable<String, String> products = b.table("products");
        final KTable<String, String> categories = b.table("categories");
        final KTable<String, String> withProducts =
                orders.join(products, ForeignKeyJoinScenarios::fk, (o, p) -> o + "|" + p);
        withProducts.toStream().to("with-products");
        withProducts.leftJoin(categories, (String v) -> v.split("\\|")[3], PLUS,
                TableJoined.as("category")).toStream().to("out");
    }

    public static void fkLeftJoinWireFormat(final StreamsBuilder b) {
        fkLeftJoin(b);
    }

    private static KTable<String, String> versioned(final StreamsBuilder b, final String topic) {
        return b.table(topic, Materialized.<String, String>as(
                Stores.persistentVersionedKeyValueStore(topic + "-v", Duration.ofMillis(100))));
    }

    public static void fkJoinVersionedTables(final StreamsBuilder b) {
        final KTable<String, String> left = versioned(b, "lhs");
        left.leftJoin(versioned(b, "rhs"), ForeignKeyJoinScenarios::fk, PLUS).toStream().to("out");
    }

    public static void fkJoinUnversionedTablesTakeOutOfOrderUpdates(final StreamsBuilder b) {
        fkLeftJoin(b);
    }

    public static void fkJoinFilteredAndMappedSides(final StreamsBuilder b) {
        final KTable<String, String> left = lhs(b).filter((k, v) -> !v.startsWith("lhsValue2"));
        final KTable<String, String> right = rhs(b).mapValues(v -> v.toUpperCase(java.util.Locale.ROOT));
        left.join(right, ForeignKeyJoinScenarios::fk, PLUS).toStream().to("out");
    }

    public static void fkJoinGroupByCount(final StreamsBuilder b) {
        final KTable<String, String> left = lhs(b);
        final KTable<String, String> joined = left.leftJoin(rhs(b), ForeignKeyJoinScenarios::fk, PLUS);
        joined.toStream().to("joined");
        joined.groupBy((k, v) -> KeyValue.pair(v.split("\\|")[1].split("\\+")[0], k))
                .count(Materialized.as("per-foreign"))
                .toStream()
                .to("out", Produced.valueSerde(Serdes.Long()));
    }
}
