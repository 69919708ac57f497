package kstreams.differential;

import java.util.Map;
import java.util.TreeMap;

import org.apache.kafka.streams.processor.internals.ProcessorMetadata;
import org.apache.kafka.streams.processor.internals.TopicPartitionMetadata;

/**
 * Kafka Streams' offset-commit metadata for kstreams' encoding tests
 * (tests/differential/test_commit_metadata_java.py).
 *
 * <p>Each argument is {@code encode:<partition time>;<key>=<value>,...} (entries put in that
 * order into a new ProcessorMetadata) or {@code decode:<metadata string>}. One line per argument:
 * the encoded string, or the decoded partition time and entries sorted by key
 * ({@code <time>;<key>=<value>,...}).
 */
public final class CommitMetadataVectors {
    private CommitMetadataVectors() {
    }

    public static void main(final String[] args) {
        for (final String arg : args) {
            if (arg.startsWith("encode:")) {
                final String spec = arg.substring("encode:".length());
                final int semi = spec.indexOf(';');
                final long time = Long.parseLong(spec.substring(0, semi));
                final ProcessorMetadata meta = new ProcessorMetadata();
                final String entries = spec.substring(semi + 1);
                if (!entries.isEmpty()) {
                    for (final String entry : entries.split(",")) {
                        final int eq = entry.lastIndexOf('=');
                        meta.put(entry.substring(0, eq), Long.parseLong(entry.substring(eq + 1)));
                    }
                }
                System.out.println(new TopicPartitionMetadata(time, meta).encode());
            } else if (arg.startsWith("decode:")) {
                final TopicPartitionMetadata decoded =
                    TopicPartitionMetadata.decode(arg.substring("decode:".length()));
                final StringBuilder out = new StringBuilder().append(decoded.partitionTime()).append(';');
                final Map<String, Long> sorted = new TreeMap<>();
                final byte[] raw = decoded.processorMetadata().serialize();
                sorted.putAll(readBack(raw));
                String sep = "";
                for (final Map.Entry<String, Long> e : sorted.entrySet()) {
                    out.append(sep).append(e.getKey()).append('=').append(e.getValue());
                    sep = ",";
                }
                System.out.println(out);
            } else {
                throw new IllegalArgumentException("unknown argument " + arg);
            }
        }
    }

    private static Map<String, Long> readBack(final byte[] raw) {
        final Map<String, Long> out = new TreeMap<>();
        if (raw.length == 0) {
            return out;
        }
        final java.nio.ByteBuffer buffer = java.nio.ByteBuffer.wrap(raw);
        final int n = buffer.getInt();
        for (int i = 0; i < n; i++) {
            final byte[] key = new byte[buffer.getInt()];
            buffer.get(key);
            out.put(new String(key, java.nio.charset.StandardCharsets.UTF_8), buffer.getLong());
        }
        return out;
    }
}
