package io.mcpproxy.sse;

import static io.mcpproxy.sse.SseTestClient.text;
import static io.mcpproxy.sse.SseTestClient.toolCall;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.stdio.testing.ProxyExtension;
import io.mcpproxy.session.redis.RedisServerExtension;
import io.mcpproxy.session.redis.RedisStorage;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two SSE replicas on one Redis: a POST that reaches the replica without the stream gets 503, never 404; so do
 * POSTs and new streams while Redis stalls.
 */
class SseRedisIT {

    @RegisterExtension
    static final RedisServerExtension REDIS = new RedisServerExtension();

    @RegisterExtension
    final ProxyExtension<SseProxy.Builder, SseProxy> proxies = Proxies.sse();

    @Test
    void postToTheReplicaWithoutTheStreamIs503AndStorageOutagesToo() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        RedisStorage storageA = proxies.closeAfterwards(storage());
        RedisStorage storageB = proxies.closeAfterwards(storage());
        SseProxy a = proxies.startAnother(builder -> builder.withSessionStorage(storageA).replicaId("replica-a"));
        SseProxy b = proxies.startAnother(builder -> builder.withSessionStorage(storageB).replicaId("replica-b"));
        try (SseTestClient client = SseTestClient.connect(http, a.uri())) {
            client.initialize();
            HttpResponse<String> viaB = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + b.port()
                    + client.endpoint)).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers
                    .ofString(JsonRpc.toJson(client.request("tools/list", null)))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(503, viaB.statusCode(), viaB.body());
            assertTrue(viaB.headers().firstValue("Retry-After").isPresent());
            assertEquals("wrong_replica", JsonRpc.parse(viaB.body().getBytes()).path("error").path("data")
                    .path("reason").asText());

            REDIS.pause();
            try {
                assertStorageUnavailable(client.post(client.request("tools/list", null)));
                // A new stream needs a new session in storage: refused the same way, and nothing is opened.
                assertStorageUnavailable(http.send(HttpRequest.newBuilder(a.uri()).timeout(SseTestClient.WAIT)
                        .header("Accept", "text/event-stream").GET().build(), HttpResponse.BodyHandlers.ofString()));
                assertEquals(1, a.localSessionCount(), "only the first client's stream");
            } finally {
                REDIS.resume();
            }
            assertEquals("ok", text(client.call(client.request("tools/call", toolCall("echo", Map.of("text", "ok"))))));
            try (SseTestClient after = SseTestClient.connect(http, a.uri())) {
                after.initialize();
                assertEquals("back", text(after.call(after.request("tools/call", toolCall("echo",
                        Map.of("text", "back"))))));
            }
        }
    }

    /** 503 with a JSON-RPC error body and Retry-After: the client retries instead of forgetting its session. */
    private static void assertStorageUnavailable(HttpResponse<String> response) {
        assertEquals(503, response.statusCode(), response.body());
        assertEquals("application/json", response.headers().firstValue("Content-Type").orElse(""));
        assertEquals("1", response.headers().firstValue("Retry-After").orElse(""), "Retry-After");
        JsonNode body = JsonRpc.parse(response.body().getBytes(StandardCharsets.UTF_8));
        assertEquals("2.0", body.path("jsonrpc").asText(), response.body());
        assertTrue(body.path("error").path("code").isInt(), response.body());
        assertEquals("storage_unavailable", body.path("error").path("data").path("reason").asText(), response.body());
    }

    private static RedisStorage storage() {
        return RedisStorage.builder().uri(REDIS.uri()).socketTimeout(Duration.ofMillis(500)).build();
    }
}
