package io.mcpproxy.sse;

import static io.mcpproxy.sse.SseTestClient.text;
import static io.mcpproxy.sse.SseTestClient.toolCall;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.mcpproxy.core.auth.AuthSettings;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.core.testing.OAuthServer;
import io.mcpproxy.stdio.testing.ProxyExtension;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientSseClientTransport;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.Implementation;
import io.modelcontextprotocol.spec.McpSchema.TextContent;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The legacy HTTP+SSE proxy as an OAuth resource server, with a real OAuth server running in the test. */
class SseAuthenticationIT {

    private static final String AUDIENCE = "https://mcp.example.test/sse";

    @RegisterExtension
    final ProxyExtension<SseProxy.Builder, SseProxy> proxies = Proxies.sse();

    private final OAuthServer oauth = new OAuthServer();
    private final HttpClient http = HttpClient.newHttpClient();
    private SseProxy proxy;

    @BeforeEach
    void start() throws Exception {
        proxy = proxies.start(builder -> builder.auth(AuthSettings.oauth(oauth.issuer(), URI.create(AUDIENCE))));
    }

    @AfterEach
    void stopOAuth() {
        oauth.close();
    }

    private String bearer(String subject) {
        return "Bearer " + oauth.token(subject, AUDIENCE);
    }

    @Test
    void aValidTokenOpensTheStreamAndPostsMessages() throws Exception {
        try (SseTestClient client = SseTestClient.connect(http, proxy.uri(), bearer("alice"))) {
            client.initialize();

            assertEquals("hello", text(client.call(client.request("tools/call",
                    toolCall("echo", Map.of("text", "hello"))))));
        }
    }

    @Test
    void theOfficialSdkClientWithAValidTokenCallsTools() throws Exception {
        HttpClientSseClientTransport transport = HttpClientSseClientTransport
                .builder("http://127.0.0.1:" + proxy.port())
                .requestBuilder(HttpRequest.newBuilder().header("Authorization", bearer("alice"))).build();
        try (McpSyncClient client = McpClient.sync(transport)
                .clientInfo(Implementation.builder("sdk-sse-with-token", "1.0.0").build())
                .requestTimeout(Duration.ofSeconds(20)).build()) {
            client.initialize();

            TextContent echoed = (TextContent) client.callTool(CallToolRequest.builder("echo")
                    .arguments(Map.of("text", "authorized")).build()).content().get(0);

            assertEquals("authorized", echoed.text());
        }
    }

    @Test
    void theStreamWithoutTokenGets401WithAChallenge() throws Exception {
        HttpResponse<String> refused = http.send(HttpRequest.newBuilder(proxy.uri())
                .header("Accept", "text/event-stream").GET().build(), HttpResponse.BodyHandlers.ofString());

        assertEquals(401, refused.statusCode());
        assertEquals("Bearer resource_metadata=\"https://mcp.example.test/.well-known/oauth-protected-resource/sse\"",
                refused.headers().firstValue("WWW-Authenticate").orElseThrow());
        JsonNode body = JsonRpc.parse(refused.body().getBytes(StandardCharsets.UTF_8));
        assertTrue(body.path("error").path("code").isInt(), refused.body());
    }

    @Test
    void anotherPrincipalPostingToALiveSessionIsAnsweredAsForAnUnknownSession() throws Exception {
        try (SseTestClient alice = SseTestClient.connect(http, proxy.uri(), bearer("alice"))) {
            alice.initialize();
            String unknownSession = alice.endpoint.replace(alice.sessionId(), "A".repeat(32));
            HttpResponse<String> unknown = postAs(unknownSession, bearer("alice"));

            HttpResponse<String> bob = postAs(alice.endpoint, bearer("bob"));

            assertEquals(unknown.statusCode(), bob.statusCode());
            assertEquals(unknown.body(), bob.body());
            assertEquals("still mine", text(alice.call(alice.request("tools/call",
                    toolCall("echo", Map.of("text", "still mine"))))));
        }
    }

    private HttpResponse<String> postAs(String endpoint, String authorization) throws Exception {
        return http.send(HttpRequest.newBuilder(proxy.uri().resolve(endpoint))
                .header("Content-Type", "application/json").header("Authorization", authorization)
                .POST(HttpRequest.BodyPublishers.ofString(JsonRpc.toJson(JsonRpc.request(
                        JsonRpc.MAPPER.getNodeFactory().numberNode(7), "tools/list", null)))).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
