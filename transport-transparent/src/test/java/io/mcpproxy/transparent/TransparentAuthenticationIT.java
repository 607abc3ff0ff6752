package io.mcpproxy.transparent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.mcpproxy.core.auth.AuthSettings;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.core.testing.OAuthServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The transparent proxy checking tokens itself, or passing them on, with a real OAuth server in the test. */
class TransparentAuthenticationIT {

    private static final String AUDIENCE = "https://mcp.example.test/mcp";

    private final OAuthServer oauth = new OAuthServer();
    private final HttpClient http = HttpClient.newHttpClient();
    private TestUpstream upstream;
    private TransparentProxy proxy;

    @BeforeEach
    void startUpstream() throws Exception {
        upstream = new TestUpstream("a").start(0, 30_000);
    }

    @AfterEach
    void close() throws Exception {
        if (proxy != null) {
            proxy.close();
        }
        upstream.close();
        oauth.close();
    }

    private ProxyClient start(TransparentProxy.Builder builder, String subject) throws Exception {
        proxy = builder.target(upstream.uri()).port(0).build();
        proxy.start();
        ProxyClient client = new ProxyClient(http, proxy.uri("/mcp"));
        client.authorization = subject == null ? null : "Bearer " + oauth.token(subject, AUDIENCE);
        return client;
    }

    private TransparentProxy.Builder oauthProxy() {
        return TransparentProxy.builder().auth(AuthSettings.oauth(oauth.issuer(), URI.create(AUDIENCE)));
    }

    private String lastAuthorizationUpstreamSaw() {
        return upstream.headersSeen.get(upstream.headersSeen.size() - 1).get("Authorization");
    }

    @Test
    void withAnAuthModeAValidTokenIsCheckedAndKeptFromTheUpstream() throws Exception {
        ProxyClient client = start(oauthProxy(), "alice");

        String session = client.initialize();

        assertEquals(200, client.post(session, "tools/list").statusCode());
        assertNull(lastAuthorizationUpstreamSaw());
    }

    @Test
    void passthroughForwardsTheCheckedTokenWhenAsked() throws Exception {
        ProxyClient client = start(oauthProxy().authorizationPassthrough(true), "alice");

        client.initialize();

        assertEquals(client.authorization, lastAuthorizationUpstreamSaw());
    }

    @Test
    void withoutAnAuthModeTheClientsAuthorizationReachesTheUpstreamUntouched() throws Exception {
        ProxyClient client = start(TransparentProxy.builder(), null);
        client.authorization = "Bearer opaque-upstream-token";

        client.initialize();

        assertEquals("Bearer opaque-upstream-token", lastAuthorizationUpstreamSaw());
    }

    @Test
    void aRequestWithoutTokenGets401AndNeverReachesTheUpstream() throws Exception {
        ProxyClient client = start(oauthProxy(), null);

        HttpResponse<String> refused = client.post(null, "initialize");

        assertEquals(401, refused.statusCode());
        assertEquals("Bearer resource_metadata=\"https://mcp.example.test/.well-known/oauth-protected-resource/mcp\"",
                refused.headers().firstValue("WWW-Authenticate").orElseThrow());
        assertEquals(-32600, JsonRpc.parse(refused.body().getBytes(StandardCharsets.UTF_8))
                .path("error").path("code").asInt());
        assertEquals(0, upstream.requests.get());
    }

    @Test
    void anotherPrincipalsTokenWithALiveSessionIdIsAnsweredAsAnUnknownSession() throws Exception {
        ProxyClient alice = start(oauthProxy(), "alice");
        String session = alice.initialize();
        int seen = upstream.requests.get();
        ProxyClient bob = new ProxyClient(http, proxy.uri("/mcp"));
        bob.authorization = "Bearer " + oauth.token("bob", AUDIENCE);

        HttpResponse<String> refused = bob.post(session, "tools/list");

        assertEquals(404, refused.statusCode());
        assertEquals(JsonRpc.SESSION_NOT_FOUND, JsonRpc.parse(refused.body().getBytes(StandardCharsets.UTF_8))
                .path("error").path("code").asInt());
        assertEquals(seen, upstream.requests.get());
        assertEquals(200, alice.post(session, "tools/list").statusCode());
    }

    @Test
    void theProtectedResourceMetadataIsServedWithoutToken() throws Exception {
        start(oauthProxy(), null);

        for (String path : List.of("/.well-known/oauth-protected-resource",
                "/.well-known/oauth-protected-resource/mcp")) {
            HttpResponse<String> metadata = http.send(HttpRequest.newBuilder(proxy.uri(path)).build(),
                    HttpResponse.BodyHandlers.ofString());

            assertEquals(200, metadata.statusCode(), path);
            assertEquals(AUDIENCE, JsonRpc.parse(metadata.body().getBytes(StandardCharsets.UTF_8))
                    .path("resource").asText());
        }
        assertEquals(0, upstream.requests.get());
    }
}
