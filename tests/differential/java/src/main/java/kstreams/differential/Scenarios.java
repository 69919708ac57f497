package kstreams.differential;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KGroupedStream;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * The Java twin of every scenario in tests/differential/scenarios/: the method named after the
 * scenario in camelCase builds the same topology with the Kafka Streams DSL. Keep the two in step;
 * the default serdes are String (the scenario's config).
 */
public final class Scenarios {
    private Scenarios() {}

    private static Produced<String, Long> longValues() {
        return Produced.with(Serdes.String(), Serdes.Long());
    }

    private static String upper(final String s) {
        return s.toUpperCase(Locale.ROOT);
    }

    // -- stateless ------------------------------------------------------------------------------

    public static void statelessChain(final StreamsBuilder b) {
        b.<String, String>stream("in")
                .filter((k, v) -> v != null && !v.contains("x"))
                .mapValues(Scenarios::upper)
                .filterNot((k, v) -> v.startsWith("B"))
                .to("out");
    }

    public static void mapAndFlatMap(final StreamsBuilder b) {
        final KStream<String, String> s = b.stream("in");
        s.map((k, v) -> KeyValue.pair(v, k)).to("swapped");
        s.flatMap((k, v) -> {
                    final List<KeyValue<String, String>> out = new ArrayList<>();
                    final String[] words = v.split(" ", -1);
                    for (int i = 0; i < words.length; i++) {
                        out.add(KeyValue.pair(k + "-" + i, words[i]));
                    }
                    return out;
                })
                .to("words");
        s.flatMapValues(v -> Arrays.asList(v.split(" ", -1))).selectKey((k, v) -> v).to("by-word");
    }

    public static void splitNamedBranches(final StreamsBuilder b) {
        final Map<String, KStream<String, String>> branches = b.<String, String>stream("in")
                .split(Named.as("route-"))
                .branch((k, v) -> v.startsWith("a"), Branched.as("a"))
                .branch((k, v) -> v.startsWith("b"), Branched.as("b"))
                .defaultBranch(Branched.as("other"));
        branches.get("route-a").to("out-a");
        branches.get("route-b").mapValues(Scenarios::upper).to("out-b");
        branches.get("route-other").to("out-other");
    }

    public static void splitGeneratedNames(final StreamsBuilder b) {
        final Map<String, KStream<String, String>> branches = b.<String, String>stream("in")
                .split()
                .branch((k, v) -> v.startsWith("a"))
                .branch(
                        (k, v) -> v.startsWith("b"),
                        Branched.withFunction(ks -> ks.mapValues(Scenarios::upper)))
                .defaultBranch();
        branches.get("KSTREAM-BRANCH-00000000010").to("a");
        branches.get("KSTREAM-BRANCH-00000000011").to("b");
    }

    public static void mergeAndPeek(final StreamsBuilder b) {
        final KStream<String, String> left = b.stream("left");
        final KStream<String, String> right = b.stream("right");
        left.merge(right).peek((k, v) -> { }).mapValues((k, v) -> k + "=" + v).to("out");
    }

    public static void integerKeysToLongValues(final StreamsBuilder b) {
        b.stream("in", Consumed.with(Serdes.Integer(), Serdes.String()))
                .map((k, v) -> KeyValue.pair(v, (long) v.length() * k))
                .to("out", longValues());
    }

    public static void repartitionNamedAfterSelectKey(final StreamsBuilder b) {
        b.<String, String>stream("in")
                .selectKey((k, v) -> v)
                .repartition(Repartitioned.as("rekeyed"))
                .mapValues((k, v) -> k + ":" + v)
                .to("out");
    }

    public static void nullKeysAndValuesPassThrough(final StreamsBuilder b) {
        b.<String, String>stream("in").mapValues((k, v) -> k + "/" + v).to("out");
    }

    public static void repartitionUnnamed(final StreamsBuilder b) {
        b.<String, String>stream("in").repartition().to("out");
    }

    // -- stream aggregations --------------------------------------------------------------------

    public static void countCached(final StreamsBuilder b) {
        b.<String, String>stream("in")
                .groupByKey()
                .count(Materialized.as("counts"))
                .toStream()
                .to("out", longValues());
    }

    public static void countUncached(final StreamsBuilder b) {
        b.<String, String>stream("in")
                .groupByKey()
                .count(Materialized.<String, Long, KeyValueStore<Bytes, byte[]>>as("counts")
                        .withCachingDisabled())
                .toStream()
                .to("out", longValues());
    }

    public static void reduceGeneratedStore(final StreamsBuilder b) {
        b.<String, String>stream("in").groupByKey().reduce((agg, v) -> agg + v).toStream().to("out");
    }

    private static Materialized<String, Long, KeyValueStore<Bytes, byte[]>> lengths() {
        return Materialized.<String, Long, KeyValueStore<Bytes, byte[]>>as("lengths")
                .withValueSerde(Serdes.Long());
    }

    private static void lengthsOf(
            final StreamsBuilder b, final Materialized<String, Long, KeyValueStore<Bytes, byte[]>> m) {
        b.<String, String>stream("in")
                .groupByKey()
                .aggregate(() -> 0L, (k, v, total) -> total + v.length(), m)
                .toStream()
                .to("out", longValues());
    }

    public static void aggregateCached(final StreamsBuilder b) {
        lengthsOf(b, lengths());
    }

    public static void aggregateUncached(final StreamsBuilder b) {
        lengthsOf(b, lengths().withCachingDisabled());
    }

    public static void aggregateJson(final StreamsBuilder b) {
        b.<String, String>stream("in")
                .groupByKey()
                .<JsonNode>aggregate(
                        () -> {
                            final ObjectNode n = JsonSerde.MAPPER.createObjectNode();
                            n.put("count", 0);
                            n.putArray("values");
                            return n;
                        },
                        (k, v, agg) -> {
                            final ObjectNode n = (ObjectNode) agg.deepCopy();
                            n.put("count", agg.get("count").asLong() + 1);
                            ((ArrayNode) n.get("values")).add(v);
                            return n;
                        },
                        Materialized.<String, JsonNode, KeyValueStore<Bytes, byte[]>>as("stats")
                                .withValueSerde(new JsonSerde()))
                .toStream()
                .to("out", Produced.with(Serdes.String(), new JsonSerde()));
    }

    public static void countAfterSelectKey(final StreamsBuilder b) {
        b.<String, String>stream("in")
                .selectKey((k, v) -> v)
                .groupByKey()
                .count()
                .toStream()
                .to("out", longValues());
    }

    public static void wordCount(final StreamsBuilder b) {
        b.<String, String>stream("lines")
                .flatMapValues(line -> Arrays.asList(line.toLowerCase(Locale.ROOT).split(" ", -1)))
                .groupBy((k, word) -> word, Grouped.as("words"))
                .count(Materialized.as("word-counts"))
                .toStream()
                .to("out", longValues());
    }

    public static void groupByIntegerKey(final StreamsBuilder b) {
        b.<String, String>stream("in")
                .groupBy((k, v) -> v.length(), Grouped.with(Serdes.Integer(), Serdes.String()))
                .reduce((agg, v) -> agg + "," + v, Materialized.as("by-length"))
                .toStream()
                .to("out", Produced.with(Serdes.Integer(), Serdes.String()));
    }

    public static void namedGroupingSharedByTwoAggregations(final StreamsBuilder b) {
        final KGroupedStream<String, String> grouped =
                b.<String, String>stream("in").groupBy((k, v) -> v, Grouped.as("g"));
        grouped.count().toStream().to("counts", longValues());
        grouped.reduce((agg, v) -> agg + v).toStream().to("reduced");
    }

    public static void countThenTableFilter(final StreamsBuilder b) {
        b.<String, String>stream("in")
                .groupByKey()
                .count()
                .filter((k, v) -> v % 2 == 0)
                .toStream()
                .to("out", longValues());
    }

    public static void changelogOfUncachedCount(final StreamsBuilder b) {
        b.<String, String>stream("lines")
                .flatMapValues(line -> Arrays.asList(line.split(" ", -1)))
                .groupByKey()
                .count(Materialized.<String, Long, KeyValueStore<Bytes, byte[]>>as("counts")
                        .withCachingDisabled())
                .toStream()
                .to("out", longValues());
    }

    public static void changelogOfCachedCount(final StreamsBuilder b) {
        b.<String, String>stream("lines")
                .flatMapValues(line -> Arrays.asList(line.split(" ", -1)))
                .groupByKey()
                .count(Materialized.as("counts"))
                .toStream()
                .to("out", longValues());
    }

    public static void jsonKeysCount(final StreamsBuilder b) {
        b.<String, String>stream("in")
                .groupBy(
                        (k, v) -> (JsonNode) JsonSerde.MAPPER.createObjectNode().put("word", v),
                        Grouped.with(new JsonSerde(), Serdes.String()))
                .count(Materialized.<JsonNode, Long, KeyValueStore<Bytes, byte[]>>as("by-json")
                        .withKeySerde(new JsonSerde()))
                .toStream()
                .to("out", Produced.with(new JsonSerde(), Serdes.Long()));
    }

    // -- tables ---------------------------------------------------------------------------------

    public static void tableToStream(final StreamsBuilder b) {
        b.<String, String>table("users").toStream().to("out");
    }

    public static void tableNamedFilterMapValues(final StreamsBuilder b) {
        b.table("users", Materialized.<String, String, KeyValueStore<Bytes, byte[]>>as("users-store"))
                .filter((k, v) -> "EU".equals(v))
                .mapValues(v -> v.toLowerCase(Locale.ROOT))
                .toStream()
                .to("out");
    }

    public static void tableUnnamedFilter(final StreamsBuilder b) {
        b.<String, String>table("users").filterNot((k, v) -> "US".equals(v)).toStream().to("out");
    }

    public static void tableGroupByCount(final StreamsBuilder b) {
        b.<String, String>table("users")
                .groupBy((user, region) -> KeyValue.pair(region, user))
                .count()
                .toStream()
                .to("out", longValues());
    }

    public static void tableGroupByReduce(final StreamsBuilder b) {
        b.table("accounts", Consumed.with(Serdes.String(), Serdes.Long()))
                .groupBy(
                        (k, v) -> KeyValue.pair(k.substring(0, 2), v),
                        Grouped.with(Serdes.String(), Serdes.Long()))
                .reduce((agg, v) -> agg + v, (agg, v) -> agg - v, Materialized.as("totals"))
                .toStream()
                .to("out", longValues());
    }

    private static void regions(
            final StreamsBuilder b, final Materialized<String, String, KeyValueStore<Bytes, byte[]>> m) {
        b.<String, String>table("users")
                .groupBy((user, region) -> KeyValue.pair(region, user))
                .aggregate(
                        () -> "",
                        (region, user, agg) -> agg + "+" + user,
                        (region, user, agg) -> agg + "-" + user,
                        m)
                .toStream()
                .to("out");
    }

    public static void tableGroupByAggregateCached(final StreamsBuilder b) {
        regions(b, Materialized.as("regions"));
    }

    public static void tableGroupByAggregateUncached(final StreamsBuilder b) {
        regions(b, Materialized.<String, String, KeyValueStore<Bytes, byte[]>>as("regions")
                .withCachingDisabled());
    }

    /** Python's aggregator mutates its aggregate in place; this one copies. */
    public static void tableAggregateMutatedInPlace(final StreamsBuilder b) {
        final KTable<String, JsonNode> regions = b.<String, String>table("users")
                .groupBy((user, region) -> KeyValue.pair(region, user))
                .<JsonNode>aggregate(
                        () -> {
                            final ObjectNode n = JsonSerde.MAPPER.createObjectNode();
                            n.put("n", 0);
                            n.putArray("users");
                            return n;
                        },
                        (region, user, agg) -> {
                            final ObjectNode n = (ObjectNode) agg.deepCopy();
                            n.put("n", agg.get("n").asLong() + 1);
                            ((ArrayNode) n.get("users")).add(user);
                            return n;
                        },
                        (region, user, agg) -> {
                            final ObjectNode n = (ObjectNode) agg.deepCopy();
                            n.put("n", agg.get("n").asLong() - 1);
                            final ArrayNode users = (ArrayNode) n.get("users");
                            for (int i = 0; i < users.size(); i++) {
                                if (users.get(i).asText().equals(user)) {
                                    users.remove(i);
                                    break;
                                }
                            }
                            return n;
                        },
                        Materialized.<String, JsonNode, KeyValueStore<Bytes, byte[]>>as("regions")
                                .withValueSerde(new JsonSerde()));
        regions.toStream().to("out", Produced.with(Serdes.String(), new JsonSerde()));
        regions.filter((region, agg) -> agg.get("n").asLong() >= 2)
                .toStream()
                .to("crowded", Produced.with(Serdes.String(), new JsonSerde()));
    }

    public static void tableGroupBySelectorReturningNullKey(final StreamsBuilder b) {
        b.<String, String>table("users")
                .groupBy((user, region) -> KeyValue.pair("US".equals(region) ? null : region, user))
                .count(Materialized.as("region-counts"))
                .toStream()
                .to("out", longValues());
    }

    public static void tableFilterThenGroupBy(final StreamsBuilder b) {
        b.table("users", Materialized.<String, String, KeyValueStore<Bytes, byte[]>>as("users-store"))
                .filter((user, region) -> !"APAC".equals(region))
                .groupBy((user, region) -> KeyValue.pair(region, user))
                .count()
                .toStream()
                .to("out", longValues());
    }

    public static void tableMapValuesThenGroupBy(final StreamsBuilder b) {
        b.<String, String>table("users")
                .mapValues(v -> v.toLowerCase(Locale.ROOT))
                .groupBy((user, region) -> KeyValue.pair(region, user))
                .count()
                .toStream()
                .to("out", longValues());
    }

    public static void toTableNamed(final StreamsBuilder b) {
        b.<String, String>stream("in").toTable(Materialized.as("t")).toStream().to("out");
    }

    public static void toTableAfterKeyChange(final StreamsBuilder b) {
        b.<String, String>stream("in").selectKey((k, v) -> v).toTable().toStream().to("out");
    }

    public static void toTableNamedAfterKeyChange(final StreamsBuilder b) {
        b.<String, String>stream("in")
                .selectKey((k, v) -> v)
                .toTable(Named.as("tt"), Materialized.as("t"))
                .toStream()
                .to("out");
    }

    // -- Processor API: punctuation on stream time and wall-clock time ---------------------------

    public static void processorPunctuation(final StreamsBuilder b) {
        b.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore("seen"), Serdes.String(), Serdes.Long()));
        b.<String, String>stream("in").process(CountAndPunctuate::new, "seen").to("out", longValues());
    }

    /** Counts records per key in "seen"; forwards ("stream", total) every 10 ms of stream time
     * and ("wall", total) every second of wall-clock time. */
    static final class CountAndPunctuate implements Processor<String, String, String, Long> {
        private ProcessorContext<String, Long> context;
        private KeyValueStore<String, Long> store;
        private long total;

        @Override
        public void init(final ProcessorContext<String, Long> context) {
            this.context = context;
            this.store = context.getStateStore("seen");
            context.schedule(Duration.ofMillis(10), PunctuationType.STREAM_TIME,
                    ts -> context.forward(new Record<>("stream", total, ts)));
            context.schedule(Duration.ofMillis(1000), PunctuationType.WALL_CLOCK_TIME,
                    ts -> context.forward(new Record<>("wall", total, ts)));
        }

        @Override
        public void process(final Record<String, String> record) {
            final Long n = store.get(record.key());
            final long next = (n == null ? 0 : n) + 1;
            store.put(record.key(), next);
            total++;
            context.forward(record.withValue(next));
        }
    }
}
