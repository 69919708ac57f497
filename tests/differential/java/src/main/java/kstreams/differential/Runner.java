package kstreams.differential;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.SessionStore;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;
import org.apache.kafka.streams.test.TestRecord;

/**
 * Runs scenarios through Kafka Streams' TopologyTestDriver, all in one JVM.
 *
 * <p>{@code Runner <request.json> <results.json>}: the request lists each scenario's name, the
 * {@link Scenarios} method that builds its topology, its config, its steps (records as Base64
 * bytes, already serialized by the Python side, and wall-clock advances), the output topics to
 * read and the stores to query. The results hold, per scenario, {@code describe()}, the records
 * of each output topic as bytes, the store contents serialized with the named serdes, the
 * produced topic names, the sum of the dropped-records-total metrics, or the error that stopped
 * the scenario.
 */
public final class Runner {
    private static final Base64.Encoder B64 = Base64.getEncoder();
    private static final Base64.Decoder B64D = Base64.getDecoder();

    private Runner() {}

    public static void main(final String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: Runner <request.json> <results.json>");
            System.exit(2);
        }
        final JsonNode request = JsonSerde.MAPPER.readTree(new File(args[0]));
        final ObjectNode results = JsonSerde.MAPPER.createObjectNode();
        final Path stateRoot = Files.createTempDirectory("kstreams-differential-");
        try {
            for (final JsonNode scenario : request.get("scenarios")) {
                final String name = scenario.get("name").asText();
                final ObjectNode result = results.putObject(name);
                try {
                    run(scenario, result, stateRoot.resolve(name));
                } catch (final Throwable e) {
                    result.put("error", stackTrace(e));
                }
            }
        } finally {
            deleteRecursively(stateRoot);
        }
        JsonSerde.MAPPER.writeValue(new File(args[1]), results);
    }

    private static void run(final JsonNode scenario, final ObjectNode result, final Path stateDir)
            throws Exception {
        final StreamsBuilder builder = new StreamsBuilder();
        final Class<?> owner =
                Class.forName("kstreams.differential." + scenario.get("java_class").asText());
        final Method method =
                owner.getMethod(scenario.get("java_method").asText(), StreamsBuilder.class);
        try {
            method.invoke(null, builder);
        } catch (final InvocationTargetException e) {
            throw e.getCause() instanceof Exception ? (Exception) e.getCause() : e;
        }
        final Properties props = new Properties();
        final Iterator<Map.Entry<String, JsonNode>> config = scenario.get("config").fields();
        while (config.hasNext()) {
            final Map.Entry<String, JsonNode> e = config.next();
            final String value = e.getValue().asText();
            props.put(e.getKey(), e.getKey().endsWith(".serde") ? serdeClass(value) : value);
        }
        // built with the scenario's config only when it asks for topology optimizations
        final Topology topology =
                props.containsKey("topology.optimization") ? builder.build(props) : builder.build();
        result.put("describe", topology.describe().toString());
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        final Instant wallClock = Instant.ofEpochMilli(scenario.get("initial_wall_clock_ms").asLong());

        try (TopologyTestDriver driver = new TopologyTestDriver(topology, props, wallClock)) {
            final Map<String, TestInputTopic<byte[], byte[]>> inputs = new HashMap<>();
            final Iterator<Map.Entry<String, JsonNode>> it = scenario.get("inputs").fields();
            while (it.hasNext()) {
                final Map.Entry<String, JsonNode> e = it.next();
                inputs.put(
                        e.getKey(),
                        driver.createInputTopic(
                                e.getKey(),
                                new ByteArraySerializer(),
                                new ByteArraySerializer(),
                                Instant.ofEpochMilli(e.getValue().get("start_ms").asLong()),
                                Duration.ofMillis(e.getValue().get("advance_ms").asLong())));
            }
            for (final JsonNode step : scenario.get("steps")) {
                if (step.has("advance_wall_clock_ms")) {
                    driver.advanceWallClockTime(Duration.ofMillis(step.get("advance_wall_clock_ms").asLong()));
                    continue;
                }
                final Headers headers = new RecordHeaders();
                for (final JsonNode h : step.get("headers")) {
                    headers.add(h.get(0).asText(), bytes(h.get(1)));
                }
                final JsonNode ts = step.get("ts");
                inputs.get(step.get("topic").asText())
                        .pipeInput(new TestRecord<>(
                                bytes(step.get("key")),
                                bytes(step.get("value")),
                                headers,
                                ts.isNull() ? null : ts.asLong()));
            }

            final ObjectNode outputs = result.putObject("outputs");
            for (final JsonNode topicNode : scenario.get("outputs")) {
                final String topic = topicNode.asText();
                final ArrayNode records = outputs.putArray(topic);
                for (final TestRecord<byte[], byte[]> r : driver
                        .createOutputTopic(topic, new ByteArrayDeserializer(), new ByteArrayDeserializer())
                        .readRecordsToList()) {
                    final ObjectNode rec = records.addObject();
                    rec.put("key", b64(r.key()));
                    rec.put("value", b64(r.value()));
                    rec.put("ts", r.timestamp());
                    final ArrayNode hs = rec.putArray("headers");
                    for (final Header h : r.headers()) {
                        hs.addArray().add(h.key()).add(b64(h.value()));
                    }
                }
            }

            final ObjectNode stores = result.putObject("stores");
            for (final JsonNode query : scenario.get("stores")) {
                stores.set(query.get("name").asText(), readStore(driver, query));
            }

            double dropped = 0;
            for (final Map.Entry<MetricName, ? extends Metric> m : driver.metrics().entrySet()) {
                if (m.getKey().name().equals("dropped-records-total")) {
                    dropped += ((Number) m.getValue().metricValue()).doubleValue();
                }
            }
            result.put("dropped_records", (long) dropped);

            final List<String> produced = new ArrayList<>(driver.producedTopicNames());
            produced.sort(Comparator.naturalOrder());
            final ArrayNode topics = result.putArray("produced_topics");
            produced.forEach(topics::add);
        }
    }

    @SuppressWarnings("unchecked")
    private static ObjectNode readStore(final TopologyTestDriver driver, final JsonNode query) {
        final String kind = query.has("kind") ? query.get("kind").asText() : "kv";
        if (!kind.equals("kv")) {
            return readWindowedStore(driver, query, kind);
        }
        final String name = query.get("name").asText();
        final Serde<Object> keySerde = (Serde<Object>) serde(query.get("key_serde").asText());
        final Serde<Object> valueSerde = (Serde<Object>) serde(query.get("value_serde").asText());
        final boolean timestamped = query.get("timestamped").asBoolean();
        final KeyValueStore<Object, Object> store = timestamped
                ? (KeyValueStore<Object, Object>) (KeyValueStore<?, ?>) driver.getTimestampedKeyValueStore(name)
                : driver.getKeyValueStore(name);
        if (store == null) {
            throw new IllegalArgumentException("no key-value store named " + name);
        }
        final ObjectNode out = JsonSerde.MAPPER.createObjectNode();
        final ArrayNode all = out.putArray("all");
        try (KeyValueIterator<Object, Object> entries = store.all()) {
            while (entries.hasNext()) {
                final KeyValue<Object, Object> kv = entries.next();
                final ObjectNode entry = all.addObject();
                entry.put("key", b64(keySerde.serializer().serialize(name, kv.key)));
                putValue(entry, kv.value, valueSerde, timestamped, name);
            }
        }
        final ArrayNode gets = out.putArray("gets");
        for (final JsonNode key : query.get("gets")) {
            final Object value = store.get(keySerde.deserializer().deserialize(name, bytes(key)));
            if (value == null) {
                gets.addNull();
            } else {
                putValue(gets.addObject(), value, valueSerde, timestamped, name);
            }
        }
        return out;
    }

    /**
     * A window store's {@code all()} and {@code fetch(key, key, 0, Long.MAX_VALUE)} of the gets,
     * or a session store's {@code fetch(key)} of the gets: entries with the key and value bytes,
     * the window's start and end and (window stores) the timestamp.
     */
    @SuppressWarnings("unchecked")
    private static ObjectNode readWindowedStore(
            final TopologyTestDriver driver, final JsonNode query, final String kind) {
        final String name = query.get("name").asText();
        final Serde<Object> keySerde = (Serde<Object>) serde(query.get("key_serde").asText());
        final Serde<Object> valueSerde = (Serde<Object>) serde(query.get("value_serde").asText());
        final ObjectNode out = JsonSerde.MAPPER.createObjectNode();
        final ArrayNode all = out.putArray("all");
        final ArrayNode gets = out.putArray("gets");
        if (kind.equals("window")) {
            final WindowStore<Object, ValueAndTimestamp<Object>> store =
                    (WindowStore<Object, ValueAndTimestamp<Object>>) (WindowStore<?, ?>) driver.getTimestampedWindowStore(name);
            if (store == null) {
                throw new IllegalArgumentException("no timestamped window store named " + name);
            }
            try (KeyValueIterator<Windowed<Object>, ValueAndTimestamp<Object>> it = store.all()) {
                putWindowed(all, it, keySerde, valueSerde, true, name);
            }
            for (final JsonNode key : query.get("gets")) {
                final Object k = keySerde.deserializer().deserialize(name, bytes(key));
                try (KeyValueIterator<Windowed<Object>, ValueAndTimestamp<Object>> it =
                        store.fetch(k, k, 0L, Long.MAX_VALUE)) {
                    putWindowed(gets.addArray(), it, keySerde, valueSerde, true, name);
                }
            }
        } else if (kind.equals("session")) {
            final SessionStore<Object, Object> store = (SessionStore<Object, Object>) driver.getSessionStore(name);
            if (store == null) {
                throw new IllegalArgumentException("no session store named " + name);
            }
            for (final JsonNode key : query.get("gets")) {
                final Object k = keySerde.deserializer().deserialize(name, bytes(key));
                try (KeyValueIterator<Windowed<Object>, Object> it = store.fetch(k)) {
                    putWindowed(gets.addArray(), it, keySerde, valueSerde, false, name);
                }
            }
        } else {
            throw new IllegalArgumentException("unknown store query kind " + kind);
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static void putWindowed(
            final ArrayNode into,
            final KeyValueIterator<? extends Windowed<Object>, ?> entries,
            final Serde<Object> keySerde,
            final Serde<Object> valueSerde,
            final boolean timestamped,
            final String store) {
        while (entries.hasNext()) {
            final KeyValue<? extends Windowed<Object>, ?> kv = entries.next();
            final ObjectNode entry = into.addObject();
            entry.put("key", b64(keySerde.serializer().serialize(store, kv.key.key())));
            entry.put("start", kv.key.window().start());
            entry.put("end", kv.key.window().end());
            putValue(entry, kv.value, valueSerde, timestamped, store);
        }
    }

    private static void putValue(
            final ObjectNode entry,
            final Object value,
            final Serde<Object> serde,
            final boolean timestamped,
            final String store) {
        if (timestamped) {
            final ValueAndTimestamp<?> vat = (ValueAndTimestamp<?>) value;
            entry.put("value", b64(serde.serializer().serialize(store, vat.value())));
            entry.put("ts", vat.timestamp());
        } else {
            entry.put("value", b64(serde.serializer().serialize(store, value)));
            entry.putNull("ts");
        }
    }

    /** The serde a scenario names: the names the Python side uses for kstreams' serdes. */
    static Serde<?> serde(final String name) {
        switch (name) {
            case "String":
                return Serdes.String();
            case "Long":
                return Serdes.Long();
            case "Integer":
                return Serdes.Integer();
            case "Double":
                return Serdes.Double();
            case "ByteArray":
                return Serdes.ByteArray();
            case "JSON":
                return new JsonSerde();
            default:
                throw new IllegalArgumentException("unknown serde name " + name);
        }
    }

    private static Class<?> serdeClass(final String name) {
        return serde(name).getClass();
    }

    private static byte[] bytes(final JsonNode b64) {
        return b64 == null || b64.isNull() ? null : B64D.decode(b64.asText());
    }

    private static String b64(final byte[] bytes) {
        return bytes == null ? null : B64.encodeToString(bytes);
    }

    private static String stackTrace(final Throwable e) {
        final StringWriter out = new StringWriter();
        e.printStackTrace(new PrintWriter(out));
        return out.toString();
    }

    private static void deleteRecursively(final Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
