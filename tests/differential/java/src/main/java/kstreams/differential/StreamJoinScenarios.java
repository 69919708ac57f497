package kstreams.differential;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.JoinWindows;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.StreamJoined;
import org.apache.kafka.streams.kstream.ValueJoiner;
import org.apache.kafka.streams.state.Stores;

/**
 * The Java twins of tests/differential/scenarios/stream_joins.py: the method named after the
 * scenario in camelCase builds the same stream-stream join with the Kafka Streams DSL.
 */
public final class StreamJoinScenarios {
    private StreamJoinScenarios() {}

    private static Duration ms(final long n) {
        return Duration.ofMillis(n);
    }

    /** MockValueJoiner.TOSTRING_JOINER. */
    private static final ValueJoiner<Object, Object, String> TOSTRING = (v1, v2) -> v1 + "+" + v2;

    private static final ValueJoiner<String, String, String> PAIR = (v1, v2) -> v1 + "|" + v2;

    private static KStream<Integer, String> left(final StreamsBuilder b) {
        return b.stream("left", Consumed.with(Serdes.Integer(), Serdes.String()));
    }

    private static KStream<Integer, Long> right(final StreamsBuilder b) {
        return b.stream("right", Consumed.with(Serdes.Integer(), Serdes.Long()));
    }

    private static StreamJoined<Integer, String, Long> typed() {
        return StreamJoined.with(Serdes.Integer(), Serdes.String(), Serdes.Long());
    }

    private static void out(final KStream<Integer, String> s) {
        s.to("out", Produced.with(Serdes.Integer(), Serdes.String()));
    }

    private static void inner(final StreamsBuilder b, final JoinWindows w) {
        out(left(b).join(right(b), TOSTRING::apply, w, typed()));
    }

    private static void leftJoin(final StreamsBuilder b, final JoinWindows w) {
        out(left(b).leftJoin(right(b), TOSTRING::apply, w, typed()));
    }

    private static void outerJoin(final StreamsBuilder b, final JoinWindows w) {
        out(left(b).outerJoin(right(b), TOSTRING::apply, w, typed()));
    }

    private static StreamJoined<String, String, String> strings() {
        return StreamJoined.with(Serdes.String(), Serdes.String(), Serdes.String());
    }

    public static void ssInnerJoin(final StreamsBuilder b) {
        inner(b, JoinWindows.ofTimeDifferenceWithNoGrace(ms(100)));
    }

    public static void ssInnerJoinWindowing(final StreamsBuilder b) {
        inner(b, JoinWindows.ofTimeDifferenceAndGrace(ms(100), ms(50)));
    }

    public static void ssInnerJoinAfter(final StreamsBuilder b) {
        inner(b, JoinWindows.ofTimeDifferenceAndGrace(ms(0), ms(50)).after(ms(100)));
    }

    public static void ssInnerJoinBefore(final StreamsBuilder b) {
        inner(b, JoinWindows.ofTimeDifferenceAndGrace(ms(0), ms(50)).before(ms(100)));
    }

    public static void ssLeftJoin(final StreamsBuilder b) {
        leftJoin(b, JoinWindows.ofTimeDifferenceWithNoGrace(ms(100)));
    }

    public static void ssLeftJoinOrdering(final StreamsBuilder b) {
        leftJoin(b, JoinWindows.ofTimeDifferenceWithNoGrace(ms(100)));
    }

    public static void ssLeftJoinGrace(final StreamsBuilder b) {
        leftJoin(b, JoinWindows.ofTimeDifferenceAndGrace(ms(100), ms(10)));
    }

    public static void ssLeftJoinWindowing(final StreamsBuilder b) {
        leftJoin(b, JoinWindows.ofTimeDifferenceAndGrace(ms(100), ms(50)));
    }

    public static void ssLeftJoinAfterZero(final StreamsBuilder b) {
        leftJoin(b, JoinWindows.ofTimeDifferenceWithNoGrace(ms(100)).after(ms(0)));
    }

    public static void ssLeftJoinAsymmetric(final StreamsBuilder b) {
        leftJoin(b, JoinWindows.ofTimeDifferenceWithNoGrace(ms(0)).before(ms(100)));
    }

    public static void ssOuterJoin(final StreamsBuilder b) {
        outerJoin(b, JoinWindows.ofTimeDifferenceWithNoGrace(ms(100)));
    }

    public static void ssOuterJoinOrdering(final StreamsBuilder b) {
        outerJoin(b, JoinWindows.ofTimeDifferenceWithNoGrace(ms(100)));
    }

    public static void ssOuterJoinGrace(final StreamsBuilder b) {
        outerJoin(b, JoinWindows.ofTimeDifferenceAndGrace(ms(100), ms(10)));
    }

    public static void ssOuterJoinWindowing(final StreamsBuilder b) {
        outerJoin(b, JoinWindows.ofTimeDifferenceAndGrace(ms(100), ms(50)));
    }

    public static void ssOuterJoinBefore(final StreamsBuilder b) {
        outerJoin(b, JoinWindows.ofTimeDifferenceWithNoGrace(ms(0)).before(ms(100)));
    }

    public static void ssOuterJoinAfter(final StreamsBuilder b) {
        outerJoin(b, JoinWindows.ofTimeDifferenceWithNoGrace(ms(0)).after(ms(100)));
    }

    public static void ssOuterJoinAsymmetric(final StreamsBuilder b) {
        outerJoin(b, JoinWindows.ofTimeDifferenceWithNoGrace(ms(5)).before(ms(200)));
    }

    public static void ssInnerJoinNulls(final StreamsBuilder b) {
        inner(b, JoinWindows.ofTimeDifferenceWithNoGrace(ms(100)));
    }

    public static void ssLeftJoinNulls(final StreamsBuilder b) {
        leftJoin(b, JoinWindows.ofTimeDifferenceWithNoGrace(ms(100)));
    }

    public static void ssOuterJoinNulls(final StreamsBuilder b) {
        outerJoin(b, JoinWindows.ofTimeDifferenceWithNoGrace(ms(100)));
    }

    public static void ssInnerJoinLate(final StreamsBuilder b) {
        inner(b, JoinWindows.ofTimeDifferenceWithNoGrace(ms(100)));
    }

    public static void ssOuterJoinLate(final StreamsBuilder b) {
        outerJoin(b, JoinWindows.ofTimeDifferenceAndGrace(ms(100), ms(100)));
    }

    public static void ssOuterJoinChangelogs(final StreamsBuilder b) {
        b.<String, String>stream("left")
                .outerJoin(b.<String, String>stream("right"), PAIR, JoinWindows.ofTimeDifferenceWithNoGrace(ms(50)))
                .to("out");
    }

    public static void ssLeftJoinNamed(final StreamsBuilder b) {
        b.<String, String>stream("left")
                .leftJoin(
                        b.<String, String>stream("right"),
                        PAIR,
                        JoinWindows.ofTimeDifferenceAndGrace(ms(50), ms(20)),
                        strings().withName("enrich").withStoreName("orders"))
                .to("out");
    }

    public static void ssJoinNamedOnly(final StreamsBuilder b) {
        b.<String, String>stream("left")
                .join(
                        b.<String, String>stream("right"),
                        PAIR,
                        JoinWindows.ofTimeDifferenceWithNoGrace(ms(50)),
                        strings().withName("j"))
                .to("out");
    }

    public static void ssJoinRepartitionGenerated(final StreamsBuilder b) {
        final KStream<String, String> s1 =
                b.<String, String>stream("left").selectKey((k, v) -> k.toUpperCase(java.util.Locale.ROOT));
        final KStream<String, String> s2 = b.<String, String>stream("right")
                .map((k, v) -> KeyValue.pair(k.toUpperCase(java.util.Locale.ROOT), v));
        s1.join(s2, PAIR, JoinWindows.ofTimeDifferenceWithNoGrace(ms(50))).to("out");
    }

    public static void ssLeftJoinRepartitionNamed(final StreamsBuilder b) {
        final KStream<String, String> s1 = b.<String, String>stream("left")
                .selectKey((k, v) -> "b".equals(k) ? null : k.toUpperCase(java.util.Locale.ROOT));
        final KStream<String, String> s2 = b.stream("right");
        s1.leftJoin(
                        s2.selectKey((k, v) -> k.toUpperCase(java.util.Locale.ROOT)),
                        PAIR,
                        JoinWindows.ofTimeDifferenceWithNoGrace(ms(50)),
                        strings().withName("rk"))
                .to("out");
    }

    public static void ssLeftJoinInMemory(final StreamsBuilder b) {
        b.<String, String>stream("left")
                .leftJoin(
                        b.<String, String>stream("right"),
                        PAIR,
                        JoinWindows.ofTimeDifferenceWithNoGrace(ms(50)),
                        StreamJoined.with(
                                Stores.inMemoryWindowStore("in-memory-join-store", ms(100), ms(100), true),
                                Stores.inMemoryWindowStore("in-memory-join-store-other", ms(100), ms(100), true)))
                .to("out");
    }

    public static void ssJoinLoggingDisabled(final StreamsBuilder b) {
        b.<String, String>stream("left")
                .outerJoin(
                        b.<String, String>stream("right"),
                        PAIR,
                        JoinWindows.ofTimeDifferenceWithNoGrace(ms(50)),
                        strings().withLoggingDisabled())
                .to("out");
    }

    public static void ssJoinWithKey(final StreamsBuilder b) {
        b.<String, String>stream("left")
                .outerJoin(
                        b.<String, String>stream("right"),
                        (k, v1, v2) -> k + ":" + v1 + "|" + v2,
                        JoinWindows.ofTimeDifferenceWithNoGrace(ms(50)))
                .to("out");
    }

    public static void ssSelfJoin(final StreamsBuilder b) {
        final KStream<String, String> s = b.stream("in");
        s.join(s, PAIR, JoinWindows.ofTimeDifferenceWithNoGrace(ms(50))).to("out");
    }

    public static void ssSelfJoinAsymmetric(final StreamsBuilder b) {
        final KStream<String, String> s = b.stream("in");
        s.join(s, PAIR, JoinWindows.ofTimeDifferenceWithNoGrace(ms(0)).after(ms(10)).before(ms(50)))
                .to("out");
    }

    public static void ssSelfLeftJoin(final StreamsBuilder b) {
        final KStream<String, String> s = b.stream("in");
        s.leftJoin(s, PAIR, JoinWindows.ofTimeDifferenceWithNoGrace(ms(5))).to("out");
    }

    public static void ssOuterJoinHeaders(final StreamsBuilder b) {
        b.<String, String>stream("left")
                .outerJoin(b.<String, String>stream("right"), PAIR, JoinWindows.ofTimeDifferenceWithNoGrace(ms(50)))
                .to("out");
    }

    public static void ssJoinMutatingJoiner(final StreamsBuilder b) {
        final Serde<JsonNode> j = new JsonSerde();
        b.stream("left", Consumed.with(Serdes.String(), j))
                .join(
                        b.stream("right", Consumed.with(Serdes.String(), j)),
                        (v1, v2) -> {
                            final ObjectNode n = JsonSerde.MAPPER.createObjectNode();
                            n.set("n", v1.get("n"));
                            n.set("m", v2.get("m"));
                            n.set("p1", v1.has("prev") ? v1.get("prev") : null);
                            n.set("p2", v2.has("prev") ? v2.get("prev") : null);
                            if (!v1.has("prev")) {
                                n.putNull("p1");
                            }
                            if (!v2.has("prev")) {
                                n.putNull("p2");
                            }
                            return (JsonNode) n;
                        },
                        JoinWindows.ofTimeDifferenceWithNoGrace(ms(50)),
                        StreamJoined.with(Serdes.String(), j, j))
                .to("out", Produced.with(Serdes.String(), j));
    }
}
