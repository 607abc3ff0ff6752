package io.mcpproxy.core.jsonrpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class JsonRpcTest {

    @Test
    void serverMessagesAreNotHeldToJacksonsDefaultStringLimitClientBodiesAre() {
        byte[] line = ("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"text\":\"" + "x".repeat(20_000_001) + "\"}}")
                .getBytes(StandardCharsets.UTF_8);
        assertEquals(20_000_001, JsonRpc.parseServerMessage(line, 0, line.length).path("result").path("text")
                .asText().length());
        assertThrows(JsonRpcException.class, () -> JsonRpc.parse(line));
    }

    @Test
    void serverMessagesKeepANestingLimit() {
        byte[] deep = ("[".repeat(1_001) + "]".repeat(1_001)).getBytes(StandardCharsets.UTF_8);
        assertThrows(JsonRpcException.class, () -> JsonRpc.parseServerMessage(deep, 0, deep.length));
    }

    @Test
    void aBrokenLineGivesItsIdOnlyWhenItIsRecognizablyAResponse() {
        assertEquals(7L, responseId("{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{\"text\":\"cut").asLong());
        assertEquals("a", responseId("{\"id\":\"a\",\"error\":{\"code\":").asText());
        assertEquals(3L, responseId("{\"result\":{\"a\":[1,2]},\"id\":3,\"jsonrpc\":\"2.0\" junk").asLong());
        assertNull(responseId("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"sampling/createMessage\",\"params\":{"));
        assertNull(responseId("{\"jsonrpc\":\"2.0\",\"id\":7,\"resu"), "no result or error member seen");
        assertNull(responseId("{\"jsonrpc\":\"2.0\",\"result\":{\"text\":\"cut"), "no id seen");
        assertNull(responseId("not json at all"));
    }

    private static com.fasterxml.jackson.databind.JsonNode responseId(String line) {
        byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
        return JsonRpc.responseIdIn(bytes, 0, bytes.length);
    }
}
