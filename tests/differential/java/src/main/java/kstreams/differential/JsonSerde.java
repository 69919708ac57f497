package kstreams.differential;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * JSON values as Jackson trees, the counterpart of kstreams' {@code Serdes.JSON()}. The bytes may
 * differ from kstreams' (spacing, key order): the harness compares decoded values.
 */
public final class JsonSerde implements Serde<JsonNode> {
    static final ObjectMapper MAPPER = new ObjectMapper();

    @Override
    public Serializer<JsonNode> serializer() {
        return (topic, data) -> {
            if (data == null) {
                return null;
            }
            try {
                return MAPPER.writeValueAsBytes(data);
            } catch (IOException e) {
                throw new SerializationException("JSON serialization failed for topic " + topic, e);
            }
        };
    }

    @Override
    public Deserializer<JsonNode> deserializer() {
        return (topic, data) -> {
            if (data == null) {
                return null;
            }
            try {
                return MAPPER.readTree(data);
            } catch (IOException e) {
                throw new SerializationException("JSON deserialization failed for topic " + topic, e);
            }
        };
    }
}
