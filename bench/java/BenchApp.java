// Apache Kafka Streams (Java), the benchmark's workloads; compiled and run by bench/run.py.
//
//   java -cp '<classes>:<libs>/*' BenchApp --bootstrap H:P
//        --workload passthrough|wordcount|windowed-tumbling|windowed-hopping|stream-table|stream-stream
//        --guarantee at_least_once|exactly_once_v2 --input T --output T --app-id ID
//        --state-dir DIR --commit-interval-ms N [--other-input T]
//
// passthrough: stream(String, byte[]).mapValues(parse JSON, put "ok": true, write JSON).to(...)
// wordcount:   WordCountDemo: flatMapValues(split on \W+).groupBy(word).count().toStream().to(...)
// windowed-tumbling / windowed-hopping: groupByKey().windowedBy(TimeWindows.ofSizeWithNoGrace(
//              1 min)[.advanceBy(10 s)]).count().toStream().to(...) with the time-windowed
//              String serde (key bytes + 8-byte window start) and Long values
// stream-table: stream(events).leftJoin(table(other-input), put the customer's JSON in the
//              event's as "customer").to(...): the table is materialized by the join
// stream-stream: stream(orders).join(stream(other-input: payments), put the payment in the
//              order as "payment", JoinWindows.ofTimeDifferenceWithNoGrace(1 min),
//              StreamJoined.with(String, byte[], byte[])).to(...)
// One stream thread; everything else Kafka Streams' defaults (statestore.cache.max.bytes
// included: the record cache deduplicates count updates between commits). Runs until SIGTERM.

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Pattern;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.JoinWindows;
import org.apache.kafka.streams.kstream.Joined;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.StreamJoined;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.kstream.WindowedSerdes;

public final class BenchApp {
    private static final Pattern WORD = Pattern.compile("\\W+");
    private static final ObjectMapper JSON = new ObjectMapper();

    static List<String> words(String line) {
        List<String> out = new ArrayList<>();
        for (String w : WORD.split(line.toLowerCase(Locale.ROOT))) {
            if (!w.isEmpty()) {
                out.add(w);
            }
        }
        return out;
    }

    static byte[] passthrough(byte[] value) {
        try {
            ObjectNode node = (ObjectNode) JSON.readTree(value);
            node.put("ok", true);
            return JSON.writeValueAsBytes(node);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] withField(byte[] value, String field, byte[] other) {
        try {
            ObjectNode node = (ObjectNode) JSON.readTree(value);
            node.set(field, other == null ? NullNode.getInstance() : JSON.readTree(other));
            return JSON.writeValueAsBytes(node);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static void main(String[] argv) throws InterruptedException {
        Map<String, String> args = new HashMap<>();
        for (int i = 0; i + 1 < argv.length; i += 2) {
            args.put(argv[i].replaceFirst("^--", ""), argv[i + 1]);
        }
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, args.get("app-id"));
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, args.get("bootstrap"));
        props.put(StreamsConfig.STATE_DIR_CONFIG, args.get("state-dir"));
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, args.get("guarantee"));
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, args.get("commit-interval-ms"));
        props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);

        String input = args.get("input");
        String output = args.get("output");
        StreamsBuilder builder = new StreamsBuilder();
        String other = args.get("other-input");
        if ("stream-table".equals(args.get("workload"))) {
            KTable<String, byte[]> customers =
                builder.table(other, Consumed.with(Serdes.String(), Serdes.ByteArray()));
            builder.stream(input, Consumed.with(Serdes.String(), Serdes.ByteArray()))
                .leftJoin(customers, (event, customer) -> withField(event, "customer", customer),
                    Joined.with(Serdes.String(), Serdes.ByteArray(), Serdes.ByteArray()))
                .to(output, Produced.with(Serdes.String(), Serdes.ByteArray()));
        } else if ("stream-stream".equals(args.get("workload"))) {
            builder.stream(input, Consumed.with(Serdes.String(), Serdes.ByteArray()))
                .join(
                    builder.stream(other, Consumed.with(Serdes.String(), Serdes.ByteArray())),
                    (order, payment) -> withField(order, "payment", payment),
                    JoinWindows.ofTimeDifferenceWithNoGrace(Duration.ofMinutes(1)),
                    StreamJoined.with(Serdes.String(), Serdes.ByteArray(), Serdes.ByteArray()))
                .to(output, Produced.with(Serdes.String(), Serdes.ByteArray()));
        } else if ("passthrough".equals(args.get("workload"))) {
            builder.stream(input, Consumed.with(Serdes.String(), Serdes.ByteArray()))
                .mapValues(BenchApp::passthrough)
                .to(output, Produced.with(Serdes.String(), Serdes.ByteArray()));
        } else if (args.get("workload").startsWith("windowed-")) {
            Duration size = Duration.ofMinutes(1);
            TimeWindows windows = TimeWindows.ofSizeWithNoGrace(size);
            if ("windowed-hopping".equals(args.get("workload"))) {
                windows = windows.advanceBy(Duration.ofSeconds(10));
            }
            builder.stream(input, Consumed.with(Serdes.String(), Serdes.String()))
                .groupByKey(Grouped.with(Serdes.String(), Serdes.String()))
                .windowedBy(windows)
                .count(Materialized.as("views"))
                .toStream()
                .to(output, Produced.with(
                    WindowedSerdes.timeWindowedSerdeFrom(String.class, size.toMillis()),
                    Serdes.Long()));
        } else {
            builder.stream(input, Consumed.with(Serdes.String(), Serdes.String()))
                .flatMapValues(BenchApp::words)
                .groupBy((key, word) -> word, Grouped.with(Serdes.String(), Serdes.String()))
                .count(Materialized.as("counts"))
                .toStream()
                .to(output, Produced.with(Serdes.String(), Serdes.Long()));
        }
        KafkaStreams streams = new KafkaStreams(builder.build(), props);
        CountDownLatch done = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            streams.close(Duration.ofSeconds(30));
            done.countDown();
        }));
        streams.setStateListener((now, before) -> {
            if (now == KafkaStreams.State.ERROR) {
                System.err.println("BENCH ERROR");
            }
        });
        streams.start();
        done.await();
    }
}
