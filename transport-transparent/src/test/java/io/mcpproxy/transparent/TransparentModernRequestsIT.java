package io.mcpproxy.transparent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.session.Await;
import io.mcpproxy.session.Session;
import io.mcpproxy.stdio.testing.ExampleServerCommand;
import io.mcpproxy.streamable.StreamableHttpProxy;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.search.Search;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.jetty.http.HttpFields;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Modern (2026-07-28) requests through the transparent proxy, against real upstreams on ephemeral ports: round
 * robin without sessions, mirrored headers checked before anything reaches a target, legacy sessions beside them.
 */
class TransparentModernRequestsIT {

    private static final String MODERN = "2026-07-28";

    @RegisterExtension
    final Closer closer = new Closer();
    private final HttpClient http = HttpClient.newHttpClient();
    private TestUpstream a;
    private TestUpstream b;

    @BeforeEach
    void upstreams() throws Exception {
        a = closer.upstream("a");
        b = closer.upstream("b");
    }

    private TransparentProxy proxy(TransparentProxy.Builder builder) throws Exception {
        return closer.started(builder);
    }

    /** A modern request's body: {@code _meta} with the version and the client's capabilities. */
    private static ObjectNode modern(int id, String method, ObjectNode params) {
        ObjectNode meta = params.putObject("_meta");
        meta.put("io.modelcontextprotocol/protocolVersion", MODERN);
        meta.putObject("io.modelcontextprotocol/clientInfo").put("name", "modern-test").put("version", "1");
        meta.putObject("io.modelcontextprotocol/clientCapabilities");
        return JsonRpc.request(JsonRpc.MAPPER.getNodeFactory().numberNode(id), method, params);
    }

    private static ObjectNode toolCall(int id, String tool, String text) {
        ObjectNode params = JsonRpc.objectNode().put("name", tool);
        params.putObject("arguments").put("text", text);
        return modern(id, "tools/call", params);
    }

    /** The headers a modern client mirrors from {@code message}. */
    private static HttpFields.Mutable mirrored(ObjectNode message) {
        HttpFields.Mutable headers = HttpFields.build().add("MCP-Protocol-Version", MODERN)
                .add("Mcp-Method", JsonRpc.method(message));
        JsonNode name = message.path("params").get("name");
        if (name != null) {
            headers.add("Mcp-Name", name.asText());
        }
        return headers;
    }

    private HttpResponse<String> post(URI endpoint, HttpFields headers, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(endpoint).timeout(Duration.ofSeconds(20))
                .header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(field -> request.header(field.getName(), field.getValue()));
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(URI endpoint, ObjectNode message) throws Exception {
        return post(endpoint, mirrored(message), JsonRpc.toJson(message));
    }

    @Test
    void modernRequestsAlternateBetweenTheTargetsAndGoWithoutTheirSessionHeader() throws Exception {
        TransparentProxy proxy = proxy(TransparentProxy.builder().targets(List.of(a.uri(), b.uri())));
        URI endpoint = proxy.uri("/mcp");
        String legacySession = new ProxyClient(http, endpoint).initialize();

        List<String> servedBy = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            HttpResponse<String> answer = post(endpoint, mirrored(modern(i, "tools/list", JsonRpc.objectNode()))
                    .add("Mcp-Session-Id", legacySession), JsonRpc.toJson(modern(i, "tools/list",
                    JsonRpc.objectNode())));
            assertEquals(200, answer.statusCode(), answer.body());
            servedBy.add(ProxyClient.servedBy(answer));
        }
        for (int i = 1; i < servedBy.size(); i++) {
            assertNotEquals(servedBy.get(i - 1), servedBy.get(i), "round robin, the session ignored: " + servedBy);
        }
        List<HttpFields> seen = new ArrayList<>(a.headersSeen);
        seen.addAll(b.headersSeen);
        assertEquals(6, seen.stream().filter(headers -> MODERN.equals(headers.get("MCP-Protocol-Version")))
                .filter(headers -> !headers.contains("Mcp-Session-Id")).count(), "no session header went up");
    }

    @Test
    void aSessionATargetIssuesOnAModernRequestIsNotLearned() throws Exception {
        TransparentProxy proxy = proxy(TransparentProxy.builder().targets(List.of(a.uri(), b.uri())));
        URI endpoint = proxy.uri("/mcp");
        HttpResponse<String> answer = post(endpoint, modern(1, "initialize", JsonRpc.objectNode()));
        assertEquals(200, answer.statusCode(), answer.body());
        String issued = answer.headers().firstValue("Mcp-Session-Id").orElseThrow(); // the test upstream issues one

        assertTrue(proxy.sessions().get(Session.Type.TRANSPARENT, issued).isEmpty(), "not learned");
        HttpResponse<String> legacy = new ProxyClient(http, endpoint).post(issued, "tools/list");
        assertEquals(404, legacy.statusCode(), "an id the proxy never learned routes nowhere: " + legacy.body());
    }

    @Test
    void aMismatchedOrMissingHeaderIs400HeaderMismatchAndReachesNoTarget() throws Exception {
        TransparentProxy proxy = proxy(TransparentProxy.builder().targets(List.of(a.uri(), b.uri())));
        URI endpoint = proxy.uri("/mcp");
        ObjectNode call = toolCall(7, "echo", "hi");
        ObjectNode otherVersion = toolCall(7, "echo", "hi");
        ((ObjectNode) otherVersion.path("params").get("_meta")).put("io.modelcontextprotocol/protocolVersion",
                "2025-11-25");
        List<HttpResponse<String>> refused = List.of(
                post(endpoint, mirrored(call).put("Mcp-Method", "tools/list"), JsonRpc.toJson(call)),
                post(endpoint, mirrored(call).put("Mcp-Method", "TOOLS/CALL"), JsonRpc.toJson(call)),
                post(endpoint, HttpFields.build(mirrored(call)).remove("Mcp-Method"), JsonRpc.toJson(call)),
                post(endpoint, mirrored(call).put("Mcp-Name", "drop_tables"), JsonRpc.toJson(call)),
                post(endpoint, mirrored(call).add("Mcp-Name", "drop_tables"), JsonRpc.toJson(call)), // sent twice
                post(endpoint, HttpFields.build(mirrored(call)).remove("Mcp-Name"), JsonRpc.toJson(call)),
                post(endpoint, mirrored(call).put("Mcp-Name", "=?base64?ZWNobw?="), JsonRpc.toJson(call)), // no padding
                post(endpoint, mirrored(otherVersion), JsonRpc.toJson(otherVersion)));
        for (HttpResponse<String> answer : refused) {
            assertEquals(400, answer.statusCode(), answer.body());
            JsonNode error = JsonRpc.parse(answer.body().getBytes());
            assertEquals(-32020, error.path("error").path("code").asInt(), answer.body());
            assertEquals(7, error.path("id").asInt(), answer.body());
            assertTrue(error.path("error").path("message").asText().startsWith("Header mismatch: "), answer.body());
        }
        assertEquals(0, a.requests.get() + b.requests.get(), "no target saw any of them");

        HttpResponse<String> encoded = post(endpoint, mirrored(call).put("Mcp-Name", "=?base64?ZWNobw==?="),
                JsonRpc.toJson(call));
        assertEquals(200, encoded.statusCode(), "a Base64 sentinel name is decoded first: " + encoded.body());
    }

    @Test
    void whatTheProxyDoesNotActOnIsLeftToTheTarget() throws Exception {
        TransparentProxy proxy = proxy(TransparentProxy.builder().target(a.uri()));
        URI endpoint = proxy.uri("/mcp");
        ObjectNode withoutMeta = JsonRpc.request(JsonRpc.MAPPER.getNodeFactory().numberNode(3), "tools/list",
                JsonRpc.objectNode()); // a request without _meta: invalid params, which the server reports
        assertEquals(200, post(endpoint, mirrored(withoutMeta), JsonRpc.toJson(withoutMeta)).statusCode());
        ObjectNode call = toolCall(4, "echo", "hi");
        assertEquals(200, post(endpoint, mirrored(call).add("Mcp-Param-Region", "anything"), JsonRpc.toJson(call))
                .statusCode(), "an Mcp-Param-* header the proxy does not recognize goes on unchecked");
        assertEquals(200, post(endpoint, HttpFields.build().add("MCP-Protocol-Version", MODERN), "[1, 2]")
                .statusCode(), "a body that is no JSON-RPC request: the target answers it");
        assertEquals(3, a.requests.get());
        assertEquals("anything", a.headersSeen.get(1).get("Mcp-Param-Region"));
    }

    @Test
    void legacySessionsStillStickToTheirUpstreamBesideModernRequests() throws Exception {
        TransparentProxy proxy = proxy(TransparentProxy.builder().targets(List.of(a.uri(), b.uri())));
        URI endpoint = proxy.uri("/mcp");
        ProxyClient legacy = new ProxyClient(http, endpoint);
        String first = legacy.initialize();
        String second = legacy.initialize();
        for (int i = 0; i < 5; i++) {
            assertEquals(200, post(endpoint, modern(i, "tools/list", JsonRpc.objectNode())).statusCode());
            assertEquals(first.substring(0, 1), ProxyClient.servedBy(legacy.post(first, "tools/list")));
            assertEquals(second.substring(0, 1), ProxyClient.servedBy(legacy.post(second, "tools/list")));
        }
        assertTrue(proxy.sessions().get(Session.Type.TRANSPARENT, first).isPresent());
    }

    @Test
    void theMetricsTagAModernRequestWithItsValidatedMethod() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        TransparentProxy proxy = proxy(TransparentProxy.builder().target(a.uri()).meterRegistry(registry));
        URI endpoint = proxy.uri("/mcp");
        assertEquals(200, post(endpoint, toolCall(1, "echo", "hi")).statusCode());
        assertEquals(200, post(endpoint, modern(2, "server/discover", JsonRpc.objectNode())).statusCode());
        ObjectNode call = toolCall(3, "echo", "hi");
        assertEquals(400, post(endpoint, mirrored(call).put("Mcp-Method", "tools/list"), JsonRpc.toJson(call))
                .statusCode());

        // each exchange is recorded as it completes, which may be just after its client read the answer
        assertTrue(Await.until(() -> exchanges(registry, "tools/call", "200") == 1, Duration.ofSeconds(5)));
        assertTrue(Await.until(() -> exchanges(registry, "server/discover", "200") == 1, Duration.ofSeconds(5)));
        assertTrue(Await.until(() -> exchanges(registry, "none", "400") == 1, Duration.ofSeconds(5)),
                "a mismatch names no method");
    }

    private static long exchanges(SimpleMeterRegistry registry, String mcpMethod, String status) {
        Timer timer = Search.in(registry).name("mcp.proxy.http.requests")
                .tags("transport", "transparent", "mcp_method", mcpMethod, "status", status).timer();
        return timer == null ? 0 : timer.count();
    }

    @Test
    void aModernToolCallReachesAStdioServerThroughTheStreamableProxyBehind() throws Exception {
        StreamableHttpProxy streamable = closer.track(StreamableHttpProxy.builder()
                .command(ExampleServerCommand.commandLine()).port(0).build());
        streamable.start();
        TransparentProxy proxy = proxy(TransparentProxy.builder().target(streamable.uri()));
        URI endpoint = proxy.uri("/mcp");

        HttpResponse<String> answer = post(endpoint, toolCall(1, "echo", "through both"));
        assertEquals(200, answer.statusCode(), answer.body());
        assertTrue(answer.body().contains("through both"), answer.body());
        assertFalse(answer.headers().firstValue("Mcp-Session-Id").isPresent(), "no session behind either");

        ObjectNode withoutVersion = toolCall(2, "echo", "x");
        ((ObjectNode) withoutVersion.path("params").get("_meta")).remove("io.modelcontextprotocol/protocolVersion");
        HttpResponse<String> invalid = post(endpoint, mirrored(withoutVersion), JsonRpc.toJson(withoutVersion));
        assertEquals(400, invalid.statusCode(), invalid.body());
        assertEquals(JsonRpc.INVALID_PARAMS, JsonRpc.parse(invalid.body().getBytes()).path("error").path("code")
                .asInt(), "the server's answer, as a direct client gets it: " + invalid.body());
    }
}
