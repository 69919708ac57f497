package kstreams.differential;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.JoinWindows;
import org.apache.kafka.streams.kstream.Joined;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.StreamJoined;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The Java twins of tests/differential/scenarios/order_enrichment.py: examples/order_enrichment.py
 * written with the Kafka Streams DSL. Keep the two in step.
 */
public final class OrderEnrichmentScenarios {
    private OrderEnrichmentScenarios() {}

    private static JsonNode withCustomer(final JsonNode order, final JsonNode customer) {
        final ObjectNode out = (ObjectNode) order.deepCopy();
        out.set("customer", customer == null ? NullNode.getInstance() : customer);
        return out;
    }

    private static JsonNode withPayment(final JsonNode order, final JsonNode payment) {
        final ObjectNode out = (ObjectNode) order.deepCopy();
        final ObjectNode paid = JsonSerde.MAPPER.createObjectNode();
        paid.set("amount", payment.get("amount"));
        paid.set("method", payment.get("method"));
        out.set("payment", paid);
        out.put("paid_in_full", payment.get("amount").asDouble() >= order.get("amount").asDouble());
        return out;
    }

    public static void orderEnrichment(final StreamsBuilder b) {
        final JsonSerde json = new JsonSerde();
        final KTable<String, JsonNode> customers = b.table(
                "customers",
                Materialized.<String, JsonNode, KeyValueStore<Bytes, byte[]>>as("customers")
                        .withKeySerde(Serdes.String())
                        .withValueSerde(json));
        final KStream<String, JsonNode> payments =
                b.stream("payments", Consumed.with(Serdes.String(), json));
        final JoinWindows windows = JoinWindows
                .ofTimeDifferenceAndGrace(Duration.ofMinutes(10), Duration.ofMinutes(1))
                .before(Duration.ofMinutes(1));
        b.stream("orders", Consumed.with(Serdes.String(), json))
                .leftJoin(customers, OrderEnrichmentScenarios::withCustomer,
                        Joined.with(Serdes.String(), json, json))
                .selectKey((customer, order) -> order.get("order_id").asText())
                .join(payments, OrderEnrichmentScenarios::withPayment, windows,
                        StreamJoined.with(Serdes.String(), json, json)
                                .withName("order-payments")
                                .withStoreName("order-payments"))
                .to("paid-orders", Produced.with(Serdes.String(), json));
    }
}
