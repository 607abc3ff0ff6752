package io.mcpproxy.streamable;

import static io.mcpproxy.streamable.McpTestClient.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.stdio.backend.BackendMode;
import io.mcpproxy.stdio.testing.ProxyExtension;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The shared server is initialized as the most capable client, whoever comes first: the Inspector (no
 * sampling, no elicitation) then a TypeScript client (both), emulated with raw HTTP against the example server, which
 * reports the initialize it got.
 */
class SharedInitializeIT {

    private static final String LATEST = "2025-11-25";
    private static final Map<String, ?> CAPABLE = Map.of("sampling", Map.of(), "elicitation", Map.of("form", Map.of()),
            "roots", Map.of("listChanged", true));

    @RegisterExtension
    final ProxyExtension<StreamableHttpProxy.Builder, StreamableHttpProxy> proxies = Proxies.streamable();

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void aFirstClientWithoutSamplingDoesNotHideItFromALaterCapableClient() throws Exception {
        StreamableHttpProxy proxy = proxies.start();
        McpTestClient inspector = client(proxy);
        inspector.protocolVersion = LATEST;
        inspector.initialize(LATEST, Map.of(), "inspector");
        McpTestClient capable = client(proxy);
        capable.protocolVersion = LATEST;
        capable.initialize(LATEST, CAPABLE, "typescript-client");

        JsonNode seen = JsonRpc.parse(text(capable.callTool("client", Map.of())).getBytes(StandardCharsets.UTF_8));
        assertEquals("mcp-transport-proxy", seen.at("/clientInfo/name").asText(), seen.toString());
        assertTrue(seen.at("/clientInfo/version").asText().matches("\\d+\\.\\d+.*"), seen.toString());
        assertTrue(seen.at("/capabilities/sampling").isObject(), seen.toString());
        assertTrue(seen.at("/capabilities/elicitation/form").isObject(), seen.toString());
        assertTrue(seen.at("/capabilities/elicitation/url").isObject(), seen.toString());
        assertTrue(seen.at("/capabilities/roots/listChanged").asBoolean(), seen.toString());
        assertEquals("inspector", seen.path("_meta").path("io.mcpproxy/firstClient").path("name").asText(),
                "the first client's own clientInfo");

        ObjectNode refused = inspector.callTool("sample", Map.of("prompt", "hi"));
        assertTrue(refused.at("/result/isError").asBoolean(), refused.toString());
        assertEquals("Client does not support sampling (sampling/createMessage)", text(refused),
                "the proxy answered for the client that did not declare sampling, as that client would");
        ObjectNode noElicitation = inspector.callTool("elicit", Map.of("message", "name?"));
        assertEquals("Client does not support elicitation (elicitation/create)", text(noElicitation));

        assertEquals("sampled: hello from the capable client", capable.sampleAnswering("hello from the capable client"));
        assertEquals(0, proxy.stats().undeliverable(), "nothing was left unattributed");
    }

    @Test
    void perSessionModeForwardsTheClientsOwnInitialize() throws Exception {
        StreamableHttpProxy proxy = proxies.start(builder -> builder.backendMode(BackendMode.PER_SESSION));
        McpTestClient own = client(proxy);
        own.initialize("2025-06-18", Map.of("roots", Map.of()), "own-client");
        JsonNode seen = JsonRpc.parse(text(own.callTool("client", Map.of())).getBytes(StandardCharsets.UTF_8));
        assertEquals("own-client", seen.at("/clientInfo/name").asText(), seen.toString());
        assertEquals(JsonRpc.MAPPER.valueToTree(Map.of("roots", Map.of())), seen.get("capabilities"));
    }

    private McpTestClient client(StreamableHttpProxy proxy) {
        return new McpTestClient(http, proxy.uri());
    }
}
