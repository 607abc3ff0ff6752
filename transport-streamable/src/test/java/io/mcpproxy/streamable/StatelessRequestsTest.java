package io.mcpproxy.streamable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** What a modern request looks like once it is bridged to a legacy server. */
class StatelessRequestsTest {

    private static ObjectNode parse(String json) {
        return (ObjectNode) JsonRpc.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void theModernMetaKeysAreRemovedAndEveryOtherKeyIsKept() {
        ObjectNode message = parse("""
                {"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"},
                 "_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28",
                          "io.modelcontextprotocol/clientCapabilities":{},"progressToken":3,"vendor/x":true}}}""");
        ObjectNode forwarded = StatelessRequests.withoutModernMeta(message);
        assertEquals(parse("""
                {"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"},
                 "_meta":{"progressToken":3,"vendor/x":true}}}"""), forwarded);
    }

    @Test
    void aMetaOfOnlyModernKeysIsDroppedAndTheOriginalStaysAsItWas() {
        ObjectNode message = parse("""
                {"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"},
                 "_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"},"requestState":"s"}}""");
        ObjectNode before = message.deepCopy();
        ObjectNode forwarded = StatelessRequests.withoutModernMeta(message);
        ((ObjectNode) forwarded.get("params")).remove("requestState"); // as the bridge does before sending
        assertFalse(forwarded.get("params").has("_meta"), forwarded.toString());
        assertEquals(before, message, "a waiting call compares its retries with the original");
        assertSame(message.at("/params/arguments"), forwarded.at("/params/arguments"), "the arguments are shared");
    }

    @Test
    void aProgressTokenRewrittenOnTheCopyLeavesTheOriginalAsItWas() {
        ObjectNode message = parse("""
                {"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{},
                 "_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","progressToken":"client-token"}}}""");
        ObjectNode forwarded = StatelessRequests.withoutModernMeta(message);
        ((ObjectNode) forwarded.at("/params/_meta")).put("progressToken", 41); // as the backend registers its own
        assertEquals("client-token", message.at("/params/_meta/progressToken").asText());
        assertEquals(41, forwarded.at("/params/_meta/progressToken").asInt());
    }

    @Test
    void aMessageWithoutParamsIsCopiedAsItIs() {
        ObjectNode message = parse("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}");
        assertEquals(message, StatelessRequests.withoutModernMeta(message));
    }
}
