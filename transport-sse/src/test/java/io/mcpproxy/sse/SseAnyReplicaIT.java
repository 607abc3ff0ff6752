package io.mcpproxy.sse;

import static io.mcpproxy.sse.SseTestClient.WAIT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.session.redis.RedisServerExtension;
import io.mcpproxy.session.redis.RedisStorage;
import io.mcpproxy.stdio.testing.ExampleServerCommand;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Three legacy HTTP+SSE replicas sharing one Redis and forwarding to each other: the client's stream stays on the
 * replica it opened at, its {@code POST /messages} go to the others in turn, and the replies arrive on the stream.
 */
class SseAnyReplicaIT {

    @RegisterExtension
    static final RedisServerExtension REDIS = new RedisServerExtension();

    private final HttpClient http = HttpClient.newHttpClient();
    private final List<SseProxy> replicas = new ArrayList<>();
    private final List<RedisStorage> storages = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        for (int i = 0; i < 3; i++) {
            int port;
            try (ServerSocket socket = new ServerSocket(0)) {
                port = socket.getLocalPort();
            }
            RedisStorage storage = RedisStorage.builder().uri(REDIS.uri()).build();
            storages.add(storage);
            SseProxy replica = SseProxy.builder().command(ExampleServerCommand.commandLine()).port(port)
                    .withSessionStorage(storage).replicaId("sse-replica-" + i)
                    .advertiseUrl(URI.create("http://127.0.0.1:" + port))
                    .clusterSecret("a cluster secret of this test, long enough")
                    .heartbeatInterval(Duration.ofMillis(200)).build();
            replica.start();
            replicas.add(replica);
        }
    }

    @AfterEach
    void stop() {
        replicas.forEach(SseProxy::close);
        storages.forEach(RedisStorage::close);
    }

    @Test
    void postsToOtherReplicasAreAnsweredOnTheStreamOfTheFirst() throws Exception {
        try (SseTestClient client = SseTestClient.connect(http, replicas.get(0).uri())) {
            ObjectNode initialize = client.request("initialize", JsonRpc.MAPPER.valueToTree(Map.of(
                    "protocolVersion", "2024-11-05", "capabilities", Map.of(),
                    "clientInfo", Map.of("name", "test", "version", "1"))));
            assertEquals(202, postAt(1, client, initialize).statusCode());
            assertEquals(initialize.get("id").asLong(), client.events.nextMessage(WAIT).get("id").asLong());
            assertEquals(202, postAt(2, client, JsonRpc.notification("notifications/initialized", null)).statusCode());
            for (int i = 0; i < 4; i++) {
                ObjectNode call = client.request("tools/call", JsonRpc.MAPPER.valueToTree(Map.of(
                        "name", "echo", "arguments", Map.of("text", "via " + (i % 3)))));
                HttpResponse<String> accepted = postAt(i % 3, client, call);
                assertEquals(202, accepted.statusCode(), accepted.body());
                ObjectNode reply = client.events.nextMessage(WAIT);
                assertEquals(call.get("id").asLong(), reply.get("id").asLong());
                assertTrue(reply.toString().contains("via " + (i % 3)), reply.toString());
            }
            assertEquals(1, replicas.get(0).localSessionCount());
            assertEquals(0, replicas.get(1).localSessionCount() + replicas.get(2).localSessionCount());
        }
    }

    /** POSTs to the endpoint the client was given, but at replica {@code index}. */
    private HttpResponse<String> postAt(int index, SseTestClient client, ObjectNode message)
            throws IOException, InterruptedException {
        URI endpoint = replicas.get(index).uri().resolve(client.endpoint);
        return http.send(HttpRequest.newBuilder(endpoint).timeout(WAIT).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JsonRpc.toJson(message))).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
