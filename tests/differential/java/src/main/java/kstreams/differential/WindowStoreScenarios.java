package kstreams.differential;

import java.util.function.Supplier;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.kstream.internals.SessionWindow;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.SessionBytesStoreSupplier;
import org.apache.kafka.streams.state.SessionStore;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowBytesStoreSupplier;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

/**
 * The Java twins of tests/differential/scenarios/window_stores.py: window and session stores
 * through the Processor API, every query's answer forwarded as text.
 */
public final class WindowStoreScenarios {
    private WindowStoreScenarios() {}

    private static final long MAX = Long.MAX_VALUE;
    private static final long RETENTION = 300_000L;

    private static String windows(final KeyValueIterator<Windowed<String>, ?> it) {
        final StringBuilder out = new StringBuilder();
        try (it) {
            while (it.hasNext()) {
                final KeyValue<Windowed<String>, ?> kv = it.next();
                if (out.length() > 0) {
                    out.append(',');
                }
                out.append(kv.key.key()).append('@').append(kv.key.window().start()).append('/')
                        .append(kv.key.window().end()).append('=').append(kv.value);
            }
        }
        return out.toString();
    }

    private static String times(final WindowStoreIterator<String> it) {
        final StringBuilder out = new StringBuilder();
        try (it) {
            while (it.hasNext()) {
                final KeyValue<Long, String> kv = it.next();
                if (out.length() > 0) {
                    out.append(',');
                }
                out.append(kv.key).append('=').append(kv.value);
            }
        }
        return out.toString();
    }

    // -- window stores ------------------------------------------------------------------------

    /** Puts the value at the record's 10 ms window in "w" (and twice in "dups"), then forwards
     * the answers of every window-store query. */
    static final class WindowQueries implements Processor<String, String, String, String> {
        private ProcessorContext<String, String> context;
        private WindowStore<String, String> w;
        private WindowStore<String, String> dups;

        @Override
        public void init(final ProcessorContext<String, String> context) {
            this.context = context;
            this.w = context.getStateStore("w");
            this.dups = context.getStateStore("dups");
        }

        private void answer(final Record<String, String> record, final String name, final String value) {
            context.forward(new Record<>(record.key() + ":" + name, value, record.timestamp()));
        }

        @Override
        public void process(final Record<String, String> record) {
            final String key = record.key();
            final long ts = record.timestamp();
            final long start = ts - ts % 10;
            w.put(key, record.value(), start);
            dups.put(key, record.value(), start);
            dups.put(key, record.value() + "'", start);
            answer(record, "get", String.valueOf(w.fetch(key, start)));
            answer(record, "range", times(w.fetch(key, 0L, MAX)));
            answer(record, "back_range", times(w.backwardFetch(key, 0L, MAX)));
            answer(record, "keys", windows(w.fetch("a", "b", 0L, MAX)));
            answer(record, "back_keys", windows(w.backwardFetch("a", "b", 0L, MAX)));
            answer(record, "all", windows(w.all()));
            answer(record, "back_all", windows(w.backwardAll()));
            answer(record, "fetch_all", windows(w.fetchAll(20L, 151_000L)));
            answer(record, "back_fetch_all", windows(w.backwardFetchAll(20L, 151_000L)));
            answer(record, "dups", times(dups.fetch(key, start, start)));
            answer(record, "dups_all", windows(dups.all()));
        }
    }

    private static void windowTopology(final StreamsBuilder b, final boolean inMemory) {
        for (final String name : new String[] {"w", "dups"}) {
            final boolean retain = name.equals("dups");
            final WindowBytesStoreSupplier supplier = inMemory
                    ? Stores.inMemoryWindowStore(name, java.time.Duration.ofMillis(RETENTION),
                            java.time.Duration.ofMillis(10), retain)
                    : Stores.persistentWindowStore(name, java.time.Duration.ofMillis(RETENTION),
                            java.time.Duration.ofMillis(10), retain);
            b.addStateStore(Stores.windowStoreBuilder(supplier, Serdes.String(), Serdes.String()));
        }
        final Supplier<Processor<String, String, String, String>> make = WindowQueries::new;
        b.<String, String>stream("in").process(make::get, "w", "dups").to("out");
    }

    public static void rocksdbWindowStoreQueries(final StreamsBuilder b) {
        windowTopology(b, false);
    }

    public static void inMemoryWindowStoreQueries(final StreamsBuilder b) {
        windowTopology(b, true);
    }

    // -- session stores -----------------------------------------------------------------------

    /** Puts the session [ts, ts + 10 * value] (value 0: removes [ts, ts + 20]) in "s", then
     * forwards the answers of every session-store query. */
    static final class SessionQueries implements Processor<String, String, String, String> {
        private ProcessorContext<String, String> context;
        private SessionStore<String, Long> s;

        @Override
        public void init(final ProcessorContext<String, String> context) {
            this.context = context;
            this.s = context.getStateStore("s");
        }

        private void answer(final Record<String, String> record, final String name, final String value) {
            context.forward(new Record<>(record.key() + ":" + name, value, record.timestamp()));
        }

        @Override
        public void process(final Record<String, String> record) {
            final String key = record.key();
            final long ts = record.timestamp();
            final long n = Long.parseLong(record.value());
            if (n == 0) {
                s.remove(new Windowed<>(key, new SessionWindow(ts, ts + 20)));
            } else {
                s.put(new Windowed<>(key, new SessionWindow(ts, ts + 10 * n)), n);
            }
            answer(record, "get", String.valueOf(s.fetchSession(key, ts, ts + 10 * n)));
            answer(record, "find", windows(s.findSessions(key, 20L, 150_010L)));
            answer(record, "back_find", windows(s.backwardFindSessions(key, 20L, 150_010L)));
            answer(record, "find_keys", windows(s.findSessions("a", "b", 0L, MAX)));
            answer(record, "back_find_keys", windows(s.backwardFindSessions("a", "b", 0L, MAX)));
            answer(record, "fetch", windows(s.fetch(key)));
            answer(record, "back_fetch", windows(s.backwardFetch(key)));
            answer(record, "fetch_keys", windows(s.fetch("a", "c")));
            answer(record, "back_fetch_keys", windows(s.backwardFetch("a", "c")));
        }
    }

    private static void sessionTopology(final StreamsBuilder b, final boolean inMemory) {
        final SessionBytesStoreSupplier supplier = inMemory
                ? Stores.inMemorySessionStore("s", java.time.Duration.ofMillis(RETENTION))
                : Stores.persistentSessionStore("s", java.time.Duration.ofMillis(RETENTION));
        b.addStateStore(Stores.sessionStoreBuilder(supplier, Serdes.String(), Serdes.Long()));
        final Supplier<Processor<String, String, String, String>> make = SessionQueries::new;
        b.<String, String>stream("in").process(make::get, "s").to("out");
    }

    public static void rocksdbSessionStoreQueries(final StreamsBuilder b) {
        sessionTopology(b, false);
    }

    public static void inMemorySessionStoreQueries(final StreamsBuilder b) {
        sessionTopology(b, true);
    }
}
