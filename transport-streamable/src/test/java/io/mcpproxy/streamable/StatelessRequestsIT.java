package io.mcpproxy.streamable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.core.testing.SseEvents;
import io.mcpproxy.session.Await;
import io.mcpproxy.stdio.backend.BackendMode;
import io.mcpproxy.stdio.testing.ProxyExtension;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Modern (2026-07-28) requests through real sockets to the example server over stdio, beside legacy sessions. */
class StatelessRequestsIT {

    private static final String MODERN = "2026-07-28";

    @RegisterExtension
    final ProxyExtension<StreamableHttpProxy.Builder, StreamableHttpProxy> proxies = Proxies.streamable();

    private final HttpClient http = HttpClient.newHttpClient();
    private McpTestClient client;

    private StreamableHttpProxy start() throws Exception {
        StreamableHttpProxy proxy = proxies.start();
        client = new McpTestClient(http, URI.create("http://127.0.0.1:" + proxy.port() + "/mcp"));
        client.protocolVersion = MODERN;
        return proxy;
    }

    /** A modern request: {@code _meta} with version and client, headers mirrored from the body. */
    private ObjectNode modern(String method, ObjectNode params) {
        ObjectNode meta = params.putObject("_meta");
        meta.put("io.modelcontextprotocol/protocolVersion", MODERN);
        meta.putObject("io.modelcontextprotocol/clientInfo").put("name", "modern-test").put("version", "1");
        meta.putObject("io.modelcontextprotocol/clientCapabilities");
        return client.request(method, params);
    }

    private HttpRequest.Builder mirrored(ObjectNode message) {
        HttpRequest.Builder builder = client.newPost(JsonRpc.toJson(message))
                .header("Mcp-Method", JsonRpc.method(message));
        JsonNode params = message.path("params");
        JsonNode name = params.has("uri") ? params.get("uri") : params.get("name");
        if (name != null) {
            builder.header("Mcp-Name", name.asText());
        }
        return builder;
    }

    private McpTestClient.Reply send(ObjectNode message) throws Exception {
        return client.send(mirrored(message).build());
    }

    @Test
    void discoverIsAnsweredFromTheServersInitializeWithoutASession() throws Exception {
        StreamableHttpProxy proxy = start();
        McpTestClient.Reply reply = send(modern("server/discover", JsonRpc.objectNode()));

        assertEquals(200, reply.status(), reply.body());
        JsonNode result = reply.response().get("result");
        assertEquals(List.of(MODERN), JsonRpc.MAPPER.convertValue(result.get("supportedVersions"), List.class));
        assertTrue(result.path("capabilities").has("tools"), result.toString());
        assertEquals("example-server",
                result.path("_meta").path("io.modelcontextprotocol/serverInfo").path("name").asText());
        assertNull(reply.header("Mcp-Session-Id"));
        assertEquals(0, proxy.handler().localSessionCount());
    }

    @Test
    void toolsListAndCallWorkStatelesslyAndIgnoreASessionHeader() throws Exception {
        StreamableHttpProxy proxy = start();
        client.sessionId = "no-such-session";
        McpTestClient.Reply listed = send(modern("tools/list", JsonRpc.objectNode()));
        assertEquals(200, listed.status(), listed.body());
        assertTrue(listed.response().path("result").path("tools").size() > 3, listed.body());
        assertEquals(0, listed.response().path("result").path("ttlMs").asInt(-1), "caching hints");
        assertEquals("private", listed.response().path("result").path("cacheScope").asText());

        McpTestClient.Reply called = send(modern("tools/call", McpTestClient.toolCall("echo",
                Map.of("text", "modern"))));
        assertEquals(200, called.status(), called.body());
        assertEquals("application/json", called.contentType().split(";")[0]);
        assertEquals("modern", McpTestClient.text(called.response()));
        assertEquals("complete", called.response().path("result").path("resultType").asText());
        assertNull(called.header("Mcp-Session-Id"));
        assertEquals(0, proxy.handler().localSessionCount());
    }

    @Test
    void progressAndRequestedLogMessagesComeOnTheRequestsOwnStream() throws Exception {
        start();
        ObjectNode call = modern("tools/call", McpTestClient.toolCall("progress", Map.of("steps", 3, "delayMs", 5)));
        ObjectNode meta = (ObjectNode) call.path("params").get("_meta");
        meta.put("progressToken", "modern-token").put("io.modelcontextprotocol/logLevel", "info");
        McpTestClient.Reply reply = send(call);

        assertEquals(200, reply.status());
        assertTrue(reply.contentType().startsWith("text/event-stream"), reply.contentType());
        assertEquals("no", reply.header("X-Accel-Buffering"));
        List<String> methods = reply.events().stream().map(JsonRpc::method).toList();
        assertEquals(3, methods.stream().filter("notifications/progress"::equals).count(), methods.toString());
        assertEquals(3, methods.stream().filter("notifications/message"::equals).count(), methods.toString());
        assertEquals("modern-token", reply.events().get(0).path("params").path("progressToken").asText());
        assertEquals("done 3 steps", McpTestClient.text(reply.response()));
    }

    @Test
    void logMessagesAreLeftOutWhenTheRequestAskedForNone() throws Exception {
        start();
        McpTestClient.Reply reply = send(modern("tools/call",
                McpTestClient.toolCall("progress", Map.of("steps", 2, "delayMs", 1))));

        assertEquals(200, reply.status());
        assertEquals("application/json", reply.contentType().split(";")[0]);
        assertEquals("done 2 steps", McpTestClient.text(reply.response()));
    }

    @Test
    void aRequestWithoutTheModernMetaIs400InvalidParams() throws Exception {
        start();
        ObjectNode bare = client.request("tools/list", JsonRpc.objectNode());
        ObjectNode noCapabilities = modern("tools/list", JsonRpc.objectNode());
        ((ObjectNode) noCapabilities.path("params").get("_meta")).remove("io.modelcontextprotocol/clientCapabilities");
        for (ObjectNode invalid : List.of(bare, noCapabilities)) {
            McpTestClient.Reply reply = send(invalid);
            assertEquals(400, reply.status(), reply.body());
            assertEquals(-32602, reply.json().path("error").path("code").asInt(), reply.body());
        }
    }

    @Test
    void methodsTheRevisionRemovedAre404MethodNotFound() throws Exception {
        start();
        for (String removed : List.of("initialize", "ping", "logging/setLevel")) {
            McpTestClient.Reply reply = send(modern(removed, JsonRpc.objectNode()));
            assertEquals(404, reply.status(), reply.body());
            assertEquals(-32601, reply.json().path("error").path("code").asInt(), reply.body());
        }
    }

    @Test
    void aMethodTheServerDoesNotImplementIs404MethodNotFound() throws Exception {
        start();
        McpTestClient.Reply reply = send(modern("no/such/method", JsonRpc.objectNode()));

        assertEquals(404, reply.status(), reply.body());
        assertEquals(-32601, reply.json().path("error").path("code").asInt(), reply.body());
    }

    @Test
    void closingTheStreamCancelsTheRequestAtTheServer() throws Exception {
        start();
        ObjectNode call = modern("tools/call", McpTestClient.toolCall("progress", Map.of("steps", 1000,
                "delayMs", 20)));
        ((ObjectNode) call.path("params").get("_meta")).put("progressToken", "cancel-me");
        HttpResponse<InputStream> open = client.open(mirrored(call).build());
        try (SseEvents events = new SseEvents(open.body())) {
            assertEquals("notifications/progress", JsonRpc.method(events.nextMessage(McpTestClient.WAIT)));
        }
        assertTrue(Await.until(() -> !"[]".equals(cancelledAtServer()), Duration.ofSeconds(10)),
                "the server was told");
    }

    private String cancelledAtServer() {
        try {
            return McpTestClient.text(send(modern("tools/call", McpTestClient.toolCall("cancelled", Map.of())))
                    .response());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aServerRequestDuringAModernRequestIsRefusedToTheServer() throws Exception {
        start();
        McpTestClient.Reply reply = send(modern("tools/call", McpTestClient.toolCall("sample",
                Map.of("prompt", "hi"))));

        assertEquals(200, reply.status(), reply.body());
        JsonNode response = reply.response();
        assertTrue(response.has("error") || response.path("result").path("isError").asBoolean(), response.toString());
    }

    @Test
    void mismatchedOrMissingHeadersAre400HeaderMismatch() throws Exception {
        start();
        ObjectNode call = modern("tools/call", McpTestClient.toolCall("echo", Map.of("text", "x")));
        List<HttpRequest> bad = List.of(
                client.newPost(JsonRpc.toJson(call)).header("Mcp-Name", "echo").build(), // no Mcp-Method
                client.newPost(JsonRpc.toJson(call)).header("Mcp-Method", "tools/list").header("Mcp-Name", "echo")
                        .build(),
                client.newPost(JsonRpc.toJson(call)).header("Mcp-Method", "tools/call").build(), // no Mcp-Name
                client.newPost(JsonRpc.toJson(call)).header("Mcp-Method", "tools/call").header("Mcp-Name", "slow")
                        .build());
        for (HttpRequest request : bad) {
            McpTestClient.Reply reply = client.send(request);
            assertEquals(400, reply.status(), reply.body());
            assertEquals(-32020, reply.json().path("error").path("code").asInt(), reply.body());
            assertEquals(call.get("id").asLong(), reply.json().path("id").asLong());
        }
        ObjectNode otherVersion = call.deepCopy();
        ((ObjectNode) otherVersion.path("params").get("_meta")).put("io.modelcontextprotocol/protocolVersion",
                "2025-11-25");
        McpTestClient.Reply versions = send(otherVersion);
        assertEquals(400, versions.status());
        assertEquals(-32020, versions.json().path("error").path("code").asInt(), versions.body());

        client.protocolVersion = null; // a modern body without its MCP-Protocol-Version header
        McpTestClient.Reply unversioned = send(call);
        assertEquals(400, unversioned.status());
        assertEquals(-32020, unversioned.json().path("error").path("code").asInt(), unversioned.body());
    }

    @Test
    void aBase64SentinelNameIsDecodedBeforeTheComparison() throws Exception {
        start();
        ObjectNode call = modern("tools/call", McpTestClient.toolCall("echo", Map.of("text", "encoded")));
        String encoded = "=?base64?" + Base64.getEncoder().encodeToString("echo".getBytes(StandardCharsets.UTF_8))
                + "?=";
        McpTestClient.Reply reply = client.send(client.newPost(JsonRpc.toJson(call))
                .header("Mcp-Method", "tools/call").header("Mcp-Name", encoded).build());

        assertEquals(200, reply.status(), reply.body());
        assertEquals("encoded", McpTestClient.text(reply.response()));
    }

    @Test
    void mirroredToolParametersAreCheckedOnceTheToolIsListed() throws Exception {
        start();
        ObjectNode call = modern("tools/call", McpTestClient.toolCall("route", Map.of("region", "Hello, 世界",
                "limit", 42)));
        String region = "=?base64?" + Base64.getEncoder().encodeToString("Hello, 世界".getBytes(StandardCharsets.UTF_8))
                + "?=";
        assertEquals(200, client.send(mirrored(call).build()).status(), "not listed yet: not recognized");

        assertEquals(200, send(modern("tools/list", JsonRpc.objectNode())).status());
        McpTestClient.Reply matching = client.send(mirrored(call).header("Mcp-Param-Region", region)
                .header("Mcp-Param-Limit", "42.0").build());
        assertEquals(200, matching.status(), matching.body());
        assertEquals("Hello, 世界 42", McpTestClient.text(matching.response()));

        for (HttpRequest bad : List.of(mirrored(call).header("Mcp-Param-Limit", "42").build(), // Region missing
                mirrored(call).header("Mcp-Param-Region", region).header("Mcp-Param-Limit", "41").build(),
                mirrored(call).header("Mcp-Param-Region", "Hello").header("Mcp-Param-Limit", "42").build())) {
            McpTestClient.Reply reply = client.send(bad);
            assertEquals(400, reply.status(), reply.body());
            assertEquals(-32020, reply.json().path("error").path("code").asInt(), reply.body());
        }
    }

    @Test
    void anUnsupportedVersionIsTheModernErrorWithTheSupportedList() throws Exception {
        start();
        client.protocolVersion = "2099-01-01";
        McpTestClient.Reply reply = client.post(client.request("tools/list", JsonRpc.objectNode()));

        assertEquals(400, reply.status());
        JsonNode error = reply.json().get("error");
        assertEquals(-32022, error.path("code").asInt(), reply.body());
        assertEquals(1, reply.json().path("id").asInt(), "the request's id");
        assertEquals("2099-01-01", error.path("data").path("requested").asText());
        assertEquals(List.of(MODERN), JsonRpc.MAPPER.convertValue(error.path("data").get("supported"), List.class),
                "what server/discover lists");
        assertTrue(error.path("message").asText().contains("2025-11-25"), "sessions are named too");
    }

    @Test
    void getAndDeleteInTheModernRevisionAre405() throws Exception {
        start();
        HttpResponse<InputStream> get = client.openGet();
        assertEquals(405, get.statusCode());
        get.body().close();
        McpTestClient.Reply delete = client.send(HttpRequest.newBuilder(client.newPost("").build().uri())
                .header("MCP-Protocol-Version", MODERN).DELETE().build());
        assertEquals(405, delete.status());
        assertEquals(-32600, delete.json().path("error").path("code").asInt(), delete.body());
    }

    @Test
    void aLegacySessionWorksBesideModernRequests() throws Exception {
        StreamableHttpProxy proxy = start();
        McpTestClient legacy = new McpTestClient(http, URI.create("http://127.0.0.1:" + proxy.port() + "/mcp"));
        legacy.initialize();
        assertEquals("modern", McpTestClient.text(send(modern("tools/call", McpTestClient.toolCall("echo",
                Map.of("text", "modern")))).response()));
        assertEquals("legacy", McpTestClient.text(legacy.callTool("echo", Map.of("text", "legacy"))));
        assertEquals(1, proxy.handler().localSessionCount());
        assertFalse(legacy.sessionId.isEmpty());
    }

    @Test
    void perSessionModeRefusesModernRequestsSoClientsFallBackToASession() throws Exception {
        StreamableHttpProxy proxy = proxies.start(builder -> builder.backendMode(BackendMode.PER_SESSION));
        client = new McpTestClient(http, URI.create("http://127.0.0.1:" + proxy.port() + "/mcp"));
        client.protocolVersion = MODERN;
        McpTestClient.Reply reply = send(modern("server/discover", JsonRpc.objectNode()));

        assertEquals(400, reply.status());
        JsonNode error = reply.json().get("error");
        assertEquals(-32022, error.path("code").asInt(), reply.body());
        assertFalse(error.path("data").path("supported").toString().contains(MODERN), reply.body());
        assertEquals(0, proxy.backends().perSessionCount(), "no process was started for it");
    }
}
