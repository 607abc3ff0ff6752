package io.mcpproxy.sse;

import static io.mcpproxy.sse.SseTestClient.text;
import static io.mcpproxy.sse.SseTestClient.toolCall;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.core.testing.ExampleServerCommand;
import io.mcpproxy.session.RedisServerExtension;
import io.mcpproxy.session.RedisStorage;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Two SSE replicas on one Redis: a POST that reaches the replica without the stream gets 503, never 404. */
class SseRedisIT {

    @RegisterExtension
    static final RedisServerExtension REDIS = new RedisServerExtension();

    @Test
    void postToTheReplicaWithoutTheStreamIs503AndStorageOutagesToo() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        try (RedisStorage storageA = storage(); RedisStorage storageB = storage();
             SseProxy a = proxy(storageA, "replica-a"); SseProxy b = proxy(storageB, "replica-b");
             SseTestClient client = SseTestClient.connect(http, a.uri())) {
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
                HttpResponse<String> down = client.post(client.request("tools/list", null));
                assertEquals(503, down.statusCode());
                assertEquals("storage_unavailable", JsonRpc.parse(down.body().getBytes()).path("error")
                        .path("data").path("reason").asText());
            } finally {
                REDIS.resume();
            }
            assertEquals("ok", text(client.call(client.request("tools/call", toolCall("echo", Map.of("text", "ok"))))));
        }
    }

    private static RedisStorage storage() {
        return RedisStorage.builder().uri(REDIS.uri()).socketTimeout(Duration.ofMillis(500)).build();
    }

    private static SseProxy proxy(RedisStorage storage, String replica) throws Exception {
        SseProxy proxy = SseProxy.builder().command(ExampleServerCommand.commandLine()).port(0)
                .withSessionStorage(storage).replicaId(replica).build();
        proxy.start();
        return proxy;
    }
}
