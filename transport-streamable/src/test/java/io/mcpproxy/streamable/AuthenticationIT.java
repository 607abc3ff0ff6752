package io.mcpproxy.streamable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.auth.AuthSettings;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.core.testing.OAuthServer;
import io.mcpproxy.stdio.testing.ExampleServerCommand;
import io.mcpproxy.stdio.testing.ProxyExtension;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.Implementation;
import io.modelcontextprotocol.spec.McpSchema.TextContent;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** A Streamable HTTP proxy as an OAuth resource server, with a real OAuth server running in the test. */
class AuthenticationIT {

    private static final String AUDIENCE = "https://mcp.example.test/mcp";
    private static final String METADATA_URL = "https://mcp.example.test/.well-known/oauth-protected-resource/mcp";

    @RegisterExtension
    final ProxyExtension<StreamableHttpProxy.Builder, StreamableHttpProxy> proxies = Proxies.streamable();

    private final OAuthServer oauth = new OAuthServer();
    private final HttpClient http = HttpClient.newHttpClient();

    @AfterEach
    void stopOAuth() {
        oauth.close();
    }

    private StreamableHttpProxy startOAuth(AuthSettings settings) throws Exception {
        return proxies.start(builder -> builder.auth(settings));
    }

    private StreamableHttpProxy startOAuth() throws Exception {
        return startOAuth(AuthSettings.oauth(oauth.issuer(), URI.create(AUDIENCE)));
    }

    private McpTestClient client(StreamableHttpProxy proxy, String token) {
        McpTestClient client = new McpTestClient(http, proxy.uri());
        client.authorization = token == null ? null : "Bearer " + token;
        return client;
    }

    private static void assertJsonRpcError(McpTestClient.Reply reply) {
        assertTrue(reply.contentType().startsWith("application/json"), reply.contentType());
        ObjectNode body = reply.json();
        assertEquals("2.0", body.path("jsonrpc").asText());
        assertTrue(body.path("error").path("code").isInt(), body::toString);
    }

    /** How many requests the stdio server has received, this one included. */
    private static long requestsSeen(McpTestClient client) throws Exception {
        return JsonRpc.parse(McpTestClient.text(client.callTool("requests", Map.of())).getBytes()).size();
    }

    private static ObjectNode initializedCall(McpTestClient client, String tool, Map<String, ?> arguments)
            throws Exception {
        client.initialize();
        return client.callTool(tool, arguments);
    }

    @Test
    void theOfficialSdkClientWithAValidTokenCallsTools() throws Exception {
        StreamableHttpProxy proxy = startOAuth();
        HttpClientStreamableHttpTransport transport = HttpClientStreamableHttpTransport
                .builder("http://127.0.0.1:" + proxy.port()).endpoint("/mcp")
                .requestBuilder(HttpRequest.newBuilder().header("Authorization",
                        "Bearer " + oauth.token("alice", AUDIENCE)))
                .build();
        try (McpSyncClient client = McpClient.sync(transport)
                .clientInfo(Implementation.builder("sdk-with-token", "1.0.0").build())
                .requestTimeout(Duration.ofSeconds(20)).build()) {
            client.initialize();

            TextContent echoed = (TextContent) client.callTool(CallToolRequest.builder("echo")
                    .arguments(Map.of("text", "authorized")).build()).content().get(0);

            assertEquals("authorized", echoed.text());
        }
    }

    @Test
    void aRequestWithoutTokenGets401NamingTheResourceMetadata() throws Exception {
        StreamableHttpProxy proxy = startOAuth();

        McpTestClient.Reply reply = client(proxy, null).post(JsonRpc.request(null, "initialize", null));

        assertEquals(401, reply.status());
        assertEquals("Bearer resource_metadata=\"" + METADATA_URL + "\"", reply.header("WWW-Authenticate"));
        assertJsonRpcError(reply);
    }

    @Test
    void badTokensGet401InvalidTokenAndNeverReachTheServer() throws Exception {
        StreamableHttpProxy proxy = startOAuth();
        McpTestClient owner = client(proxy, oauth.token("alice", AUDIENCE));
        owner.initialize();
        long before = requestsSeen(owner);
        List<String> bad = List.of(oauth.token("alice", "https://other.example.test/mcp"),
                oauth.token("elsewhere", "alice", AUDIENCE, Map.of(), 3600),
                oauth.tokenSignedElsewhere("unknown-kid", "alice", AUDIENCE), "not-a-jwt");

        for (String token : bad) {
            McpTestClient intruder = client(proxy, token);
            intruder.sessionId = owner.sessionId;
            McpTestClient.Reply reply = intruder.post(intruder.request("tools/call",
                    McpTestClient.toolCall("echo", Map.of("text", "x"))));

            assertEquals(401, reply.status(), token);
            assertEquals("Bearer error=\"invalid_token\", resource_metadata=\"" + METADATA_URL + "\"",
                    reply.header("WWW-Authenticate"));
            assertJsonRpcError(reply);
        }
        McpTestClient malformed = client(proxy, null);
        malformed.authorization = "Bearer";
        assertEquals(401, malformed.post(malformed.request("ping", null)).status());

        assertEquals(before + 1, requestsSeen(owner));
    }

    @Test
    void aTokenWithoutTheRequiredScopeGets403InsufficientScope() throws Exception {
        StreamableHttpProxy proxy = startOAuth(AuthSettings.oauth(oauth.issuer(), URI.create(AUDIENCE))
                .withRequiredScopes(List.of("mcp:tools")));

        McpTestClient.Reply reply = client(proxy, oauth.token("alice", AUDIENCE))
                .post(JsonRpc.request(null, "initialize", null));

        assertEquals(403, reply.status());
        assertEquals("Bearer error=\"insufficient_scope\", scope=\"mcp:tools\", resource_metadata=\""
                + METADATA_URL + "\"", reply.header("WWW-Authenticate"));
        assertJsonRpcError(reply);
        McpTestClient scoped = client(proxy, oauth.token(OAuthServer.ISSUER_ID, "alice", AUDIENCE,
                Map.of("scope", "mcp:tools"), 3600));
        assertEquals("ok", McpTestClient.text(initializedCall(scoped, "echo", Map.of("text", "ok"))));
    }

    @Test
    void theProtectedResourceMetadataIsServedWithoutToken() throws Exception {
        StreamableHttpProxy proxy = startOAuth(AuthSettings.oauth(oauth.issuer(), URI.create(AUDIENCE))
                .withRequiredScopes(List.of("mcp:tools")));

        for (String path : List.of("/.well-known/oauth-protected-resource",
                "/.well-known/oauth-protected-resource/mcp")) {
            HttpResponse<String> metadata = http.send(HttpRequest.newBuilder(proxy.uri().resolve(path)).build(),
                    HttpResponse.BodyHandlers.ofString());

            assertEquals(200, metadata.statusCode(), path);
            assertEquals(JsonRpc.parse(("{\"resource\":\"" + AUDIENCE + "\",\"authorization_servers\":[\""
                    + oauth.issuer() + "\"],\"scopes_supported\":[\"mcp:tools\"],"
                    + "\"bearer_methods_supported\":[\"header\"]}").getBytes(StandardCharsets.UTF_8)),
                    JsonRpc.parse(metadata.body().getBytes(StandardCharsets.UTF_8)));
        }
    }

    @Test
    void anotherPrincipalsTokenWithALiveSessionIdIsAnsweredAsAnUnknownSession() throws Exception {
        StreamableHttpProxy proxy = startOAuth();
        McpTestClient alice = client(proxy, oauth.token("alice", AUDIENCE));
        alice.initialize();
        McpTestClient bob = client(proxy, oauth.token("bob", AUDIENCE));
        bob.sessionId = alice.sessionId;

        McpTestClient.Reply post = bob.post(bob.request("tools/call",
                McpTestClient.toolCall("echo", Map.of("text", "mine now"))));
        HttpResponse<InputStream> get = bob.openGet();
        McpTestClient.Reply delete = bob.delete();

        assertEquals(404, post.status());
        assertEquals(JsonRpc.SESSION_NOT_FOUND, post.json().path("error").path("code").asInt());
        assertEquals(404, get.statusCode());
        get.body().close();
        assertEquals(404, delete.status());
        assertEquals(JsonRpc.SESSION_NOT_FOUND, delete.json().path("error").path("code").asInt());
        assertEquals("still mine", McpTestClient.text(alice.callTool("echo", Map.of("text", "still mine"))));
        assertEquals(204, alice.delete().status());
    }

    @Test
    void anUnreachableIssuerWithoutCachedKeysGets503NotA401() throws Exception {
        String token = oauth.token("alice", AUDIENCE);
        URI issuer = oauth.issuer();
        oauth.close();
        StreamableHttpProxy proxy = startOAuth(AuthSettings.oauth(issuer, URI.create(AUDIENCE))
                .withFetchTimeout(Duration.ofMillis(500)));

        McpTestClient.Reply reply = client(proxy, token).post(JsonRpc.request(null, "initialize", null));

        assertEquals(503, reply.status());
        assertEquals("1", reply.header("Retry-After"));
        assertJsonRpcError(reply);
    }

    @Test
    void staticBearerTokensFromAFileLetTheirHoldersIn(@TempDir Path dir) throws Exception {
        Path tokens = dir.resolve("tokens");
        Files.writeString(tokens, "# who may call\nci-bot sha256:" + HexFormat.of().formatHex(
                MessageDigest.getInstance("SHA-256").digest("s3cret".getBytes(StandardCharsets.UTF_8))) + "\n");
        StreamableHttpProxy proxy = proxies.start(builder -> builder.auth(AuthSettings.bearer(tokens)));

        McpTestClient holder = client(proxy, "s3cret");
        McpTestClient.Reply wrong = client(proxy, "guess").post(JsonRpc.request(null, "initialize", null));

        assertEquals("in", McpTestClient.text(initializedCall(holder, "echo", Map.of("text", "in"))));
        assertEquals(401, wrong.status());
        assertEquals("Bearer error=\"invalid_token\"", wrong.header("WWW-Authenticate"));
        assertEquals(404, http.send(HttpRequest.newBuilder(proxy.uri().resolve(
                "/.well-known/oauth-protected-resource")).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
    }

    @Test
    void aProxyOnANonLoopbackAddressRefusesToStartUnlessAuthIsDecided() {
        IllegalStateException refused = assertThrows(IllegalStateException.class,
                () -> StreamableHttpProxy.builder().command(ExampleServerCommand.commandLine()).host("0.0.0.0")
                        .build());

        assertTrue(refused.getMessage().contains("--auth none"), refused.getMessage());
        StreamableHttpProxy.builder().command(ExampleServerCommand.commandLine()).host("0.0.0.0")
                .auth(AuthSettings.none()).build().close();
    }
}
