package kstreams.differential;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.TableJoined;
import org.apache.kafka.streams.kstream.ValueJoiner;
import org.apache.kafka.streams.state.KeyValueStore;

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
}
