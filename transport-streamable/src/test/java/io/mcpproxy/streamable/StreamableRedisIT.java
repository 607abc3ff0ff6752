package io.mcpproxy.streamable;

import io.mcpproxy.stdio.testing.ProxyExtension;
import static io.mcpproxy.streamable.McpTestClient.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcpproxy.session.redis.RedisServerExtension;
import io.mcpproxy.session.redis.RedisStorage;
import io.mcpproxy.session.Session;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The proxy on RedisStorage: outages answer 503 (never 404) and two replicas share sessions. */
class StreamableRedisIT {

    @RegisterExtension
    static final RedisServerExtension REDIS = new RedisServerExtension();

    @RegisterExtension
    final ProxyExtension<StreamableHttpProxy.Builder, StreamableHttpProxy> proxies = Proxies.streamable();

    private RedisStorage storageA;
    private RedisStorage storageB;
    private StreamableHttpProxy proxyA;
    private StreamableHttpProxy proxyB;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws Exception {
        storageA = proxies.closeAfterwards(storage());
        storageB = proxies.closeAfterwards(storage());
        proxyA = proxies.startAnother(builder -> builder.withSessionStorage(storageA).replicaId("replica-a"));
        proxyB = proxies.startAnother(builder -> builder.withSessionStorage(storageB).replicaId("replica-b"));
    }

    private static RedisStorage storage() {
        return RedisStorage.builder().uri(REDIS.uri()).socketTimeout(Duration.ofMillis(500))
                .connectTimeout(Duration.ofMillis(500)).poolWait(Duration.ofMillis(500)).build();
    }

    @Test
    void sessionsLiveInRedisWithOwnerAndProtocolVersion() throws Exception {
        McpTestClient client = new McpTestClient(http, proxyA.uri());
        client.initialize();
        Session stored = storageB.load(Session.Type.STREAMABLE, client.sessionId, Duration.ofHours(2)).orElseThrow();
        assertEquals("replica-a", stored.metadata(Session.OWNER).orElseThrow());
        assertEquals("2025-06-18", stored.metadata(Session.PROTOCOL_VERSION).orElseThrow());
    }

    @Test
    void redisDownAnswers503WithRetryAfterAndServesAgainWhenItIsBack() throws Exception {
        McpTestClient client = new McpTestClient(http, proxyA.uri());
        client.initialize();
        REDIS.pause(); // stalled: every storage call times out
        try {
            long start = System.nanoTime();
            McpTestClient.Reply stalled = client.post(client.request("tools/list", null));
            long millis = Duration.ofNanos(System.nanoTime() - start).toMillis();
            assertEquals(503, stalled.status(), stalled.body());
            assertEquals("1", stalled.header("Retry-After"));
            assertEquals("storage_unavailable", stalled.json().path("error").path("data").path("reason").asText());
            assertTrue(millis < 3_000, "answered after " + millis + " ms, not hung");

            McpTestClient fresh = new McpTestClient(http, proxyA.uri());
            McpTestClient.Reply noInit = fresh.post(fresh.request("initialize", McpTestClient.params(
                    "protocolVersion", "2025-06-18", "capabilities", Map.of(),
                    "clientInfo", Map.of("name", "t", "version", "1"))));
            assertEquals(503, noInit.status());
        } finally {
            REDIS.resume();
        }
        assertEquals("back", text(client.callTool("echo", Map.of("text", "back"))), "same session, no restart");

        REDIS.kill();
        try {
            McpTestClient.Reply down = client.post(client.request("tools/list", null));
            assertEquals(503, down.status());
            assertEquals("application/json", down.contentType());
        } finally {
            REDIS.restart();
        }
        // A restarted, empty Redis forgot the session: now it really is gone.
        McpTestClient.Reply forgotten = client.post(client.request("tools/list", null));
        if (forgotten.status() == 503) { // the first command after a restart may meet a stale pooled connection
            forgotten = client.post(client.request("tools/list", null));
        }
        assertEquals(404, forgotten.status(), forgotten.body());
        client.initialize();
        assertEquals("new", text(client.callTool("echo", Map.of("text", "new"))));
    }

    @Test
    void twoReplicasSeeEachOthersSessions() throws Exception {
        McpTestClient viaA = new McpTestClient(http, proxyA.uri());
        viaA.initialize();
        McpTestClient viaB = new McpTestClient(http, proxyB.uri());
        viaB.sessionId = viaA.sessionId;

        McpTestClient.Reply wrongReplica = viaB.post(viaB.request("tools/list", null));
        assertEquals(503, wrongReplica.status(), "B knows the session exists, so it never says 404");
        assertEquals("wrong_replica", wrongReplica.json().path("error").path("data").path("reason").asText());
        assertTrue(wrongReplica.json().path("error").path("message").asText().contains("replica-a"));

        assertEquals(204, viaB.delete().status(), "any replica can end a session");
        assertEquals(404, viaA.post(viaA.request("tools/list", null)).status(), "A sees the deletion");
        assertEquals(404, viaB.post(viaB.request("ping", null)).status());
    }
}
