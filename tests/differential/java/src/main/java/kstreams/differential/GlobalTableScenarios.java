package kstreams.differential;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.GlobalKTable;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.KeyValueMapper;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.ValueJoiner;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The Java twins of tests/differential/scenarios/global_tables.py: GlobalKTables and
 * KStream-GlobalKTable joins. Keep the two in step.
 */
public final class GlobalTableScenarios {
    private GlobalTableScenarios() {}

    /** MockValueJoiner.TOSTRING_JOINER. */
    private static final ValueJoiner<Object, Object, String> JOINER = (v1, v2) -> v1 + "+" + v2;

    /** KStreamGlobalKTableJoinTest's key mapper: the second comma-separated token, or null. */
    private static final KeyValueMapper<Integer, String, String> KEY_MAPPER = (key, value) -> {
        if (value == null) {
            return null;
        }
        final String[] tokens = value.split(",");
        return tokens.length > 1 ? tokens[1] : null;
    };

    private static Consumed<Integer, String> intStrings() {
        return Consumed.with(Serdes.Integer(), Serdes.String());
    }

    private static Consumed<String, String> strings() {
        return Consumed.with(Serdes.String(), Serdes.String());
    }

    public static void globalTableInnerJoin(final StreamsBuilder b) {
        final KStream<Integer, String> stream = b.stream("stream", intStrings());
        final GlobalKTable<String, String> table = b.globalTable("global", strings());
        stream.join(table, KEY_MAPPER, JOINER).to("out");
    }

    public static void globalTableLeftJoin(final StreamsBuilder b) {
        final KStream<Integer, String> stream = b.stream("stream", intStrings());
        final GlobalKTable<String, String> table = b.globalTable("global", strings());
        stream.leftJoin(table, KEY_MAPPER, JOINER).to("out");
    }

    public static void globalTableNamedJoinWithKey(final StreamsBuilder b) {
        final KStream<Integer, String> stream = b.stream("stream", intStrings());
        final GlobalKTable<String, String> table = b.globalTable(
                "global",
                strings().withName("global-source"),
                Materialized.<String, String, KeyValueStore<Bytes, byte[]>>as("global-store"));
        stream.leftJoin(table, KEY_MAPPER, (k, v, g) -> k + ":" + v + "+" + g, Named.as("my-join"))
                .to("out");
    }

    public static void globalTableRekeyedStream(final StreamsBuilder b) {
        final KTable<String, String> table = b.table("table", strings());
        final KStream<Integer, String> stream = b.stream("stream", intStrings());
        final GlobalKTable<String, String> g = b.globalTable(
                "global",
                strings(),
                Materialized.<String, String, KeyValueStore<Bytes, byte[]>>as("global-in-memory")
                        .withStoreType(Materialized.StoreType.IN_MEMORY));
        final KStream<String, String> rekeyed = stream.selectKey((k, v) -> v.split(",")[1]);
        final KStream<String, String> joined = rekeyed.join(g, (k, v) -> k, JOINER);
        joined.leftJoin(table, JOINER).to("out");
        joined.groupByKey().count().toStream().to("counts", Produced.with(Serdes.String(), Serdes.Long()));
    }
}
