package io.mcpproxy.stdio.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** What a shared server is told about its client, and how a session's own declaration is held against it. */
class ClientCapabilitiesTest {

    private static ObjectNode json(String text) {
        return (ObjectNode) JsonRpc.parse(text.getBytes(StandardCharsets.UTF_8));
    }

    private static ObjectNode serverRequest(String method, String paramsJson) {
        return JsonRpc.request(JsonRpc.MAPPER.valueToTree("srv-1"), method, json(paramsJson));
    }

    private static int refusalCode(String declared, String method, String paramsJson) {
        ObjectNode refusal = ClientCapabilities.refusal(declared == null ? null : json(declared),
                serverRequest(method, paramsJson));
        return refusal == null ? 0 : refusal.path("error").path("code").asInt();
    }

    @Test
    void theSharedServerMeetsTheProxyWithEveryCapabilityAndTheFirstClientInMeta() {
        ObjectNode first = json("{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},\"clientInfo\":"
                + "{\"name\":\"inspector\",\"version\":\"0.17\"},\"_meta\":{\"other\":1}}");
        ObjectNode params = ClientCapabilities.sharedInitializeParams(first);
        assertEquals("2025-11-25", params.path("protocolVersion").asText());
        assertEquals("mcp-transport-proxy", params.at("/clientInfo/name").asText());
        assertEquals(ClientCapabilities.PROXY_VERSION, params.at("/clientInfo/version").asText());
        assertTrue(ClientCapabilities.PROXY_VERSION.matches("\\d+\\.\\d+.*"), "from the build, filtered in");
        assertEquals(json("{\"sampling\":{},\"elicitation\":{\"form\":{},\"url\":{}},\"roots\":{\"listChanged\":true}}"),
                params.get("capabilities"));
        assertEquals("inspector", params.at("/_meta/io.mcpproxy~1firstClient/name").asText());
        assertEquals(1, params.at("/_meta/other").asInt(), "the client's own _meta stays");
        assertEquals("inspector", first.at("/clientInfo/name").asText(), "the client's params are not changed");
    }

    @Test
    void beforeElicitationModesExistedTheCapabilityIsDeclaredWithoutThem() {
        JsonNode params = ClientCapabilities.sharedInitializeParams(json("{\"protocolVersion\":\"2025-06-18\"}"));
        assertEquals(json("{}"), params.at("/capabilities/elicitation"));
        assertFalse(params.has("_meta"), "no clientInfo to keep");
    }

    @Test
    void aServerRequestForAnUndeclaredCapabilityGetsTheErrorItsClientWouldGive() {
        assertEquals(JsonRpc.METHOD_NOT_FOUND, refusalCode("{}", "sampling/createMessage", "{}"));
        assertEquals(JsonRpc.METHOD_NOT_FOUND, refusalCode(null, "roots/list", "{}"), "no initialize: nothing");
        assertEquals(JsonRpc.METHOD_NOT_FOUND, refusalCode("{\"sampling\":{}}", "elicitation/create", "{}"));
        assertEquals(0, refusalCode("{\"sampling\":{}}", "sampling/createMessage", "{}"));
        assertEquals(0, refusalCode("{\"roots\":{\"listChanged\":true}}", "roots/list", "{}"));
        assertEquals(0, refusalCode("{}", "custom/thing", "{}"), "not a capability the proxy knows");
    }

    @Test
    void anElicitationModeTheClientDidNotDeclareIsInvalidParams() {
        assertEquals(0, refusalCode("{\"elicitation\":{}}", "elicitation/create", "{}"), "empty: form mode");
        assertEquals(0, refusalCode("{\"elicitation\":{}}", "elicitation/create", "{\"mode\":\"form\"}"));
        assertEquals(JsonRpc.INVALID_PARAMS, refusalCode("{\"elicitation\":{}}", "elicitation/create",
                "{\"mode\":\"url\"}"));
        assertEquals(JsonRpc.INVALID_PARAMS, refusalCode("{\"elicitation\":{\"url\":{}}}", "elicitation/create",
                "{}"), "url only: no form");
        assertEquals(0, refusalCode("{\"elicitation\":{\"form\":{},\"url\":{}}}", "elicitation/create",
                "{\"mode\":\"url\"}"));
        assertNull(ClientCapabilities.refusal(json("{\"elicitation\":{\"form\":{}}}"),
                serverRequest("elicitation/create", "{\"mode\":\"form\"}")));
    }
}
