package io.mcpproxy.streamable;

import static io.mcpproxy.streamable.ModernCalls.onlyKey;
import static io.mcpproxy.streamable.ModernCalls.sampled;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.session.redis.RedisServerExtension;
import io.mcpproxy.session.redis.RedisStorage;
import io.mcpproxy.stdio.testing.ExampleServerCommand;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;

/**
 * Two Streamable HTTP replicas on one real Redis, forwarding to each other: a modern call's retry that a load
 * balancer sends to the other replica reaches the replica whose call waits for it, through the forwarding between
 * replicas; once that replica is gone, the retry gets a clear JSON-RPC error.
 */
class InputRequiredReplicasIT {

    @RegisterExtension
    static final RedisServerExtension REDIS = new RedisServerExtension();

    private static final String SECRET = "a cluster secret of this test, long enough";
    private static final Duration HEARTBEAT = Duration.ofMillis(200);
    private static final Map<String, ?> SAMPLING = Map.of("sampling", Map.of());

    private final HttpClient http = HttpClient.newHttpClient();
    private final List<StreamableHttpProxy> replicas = new ArrayList<>();
    private final List<RedisStorage> storages = new ArrayList<>();
    private final List<ModernCalls> clients = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        try (Jedis redis = new Jedis(URI.create(REDIS.uri()))) {
            redis.flushAll();
        }
        for (int i = 0; i < 2; i++) {
            int port = freePort();
            RedisStorage storage = RedisStorage.builder().uri(REDIS.uri()).build();
            storages.add(storage);
            StreamableHttpProxy replica = StreamableHttpProxy.builder().command(ExampleServerCommand.commandLine())
                    .port(port).withSessionStorage(storage).replicaId("replica-" + i)
                    .advertiseUrl(URI.create("http://127.0.0.1:" + port)).clusterSecret(SECRET)
                    .heartbeatInterval(HEARTBEAT).build();
            replica.start();
            replicas.add(replica);
            clients.add(new ModernCalls(http, URI.create("http://127.0.0.1:" + port + "/mcp"), SAMPLING));
        }
    }

    @AfterEach
    void stop() {
        replicas.forEach(StreamableHttpProxy::close);
        storages.forEach(RedisStorage::close);
    }

    @Test
    void aRetryThatReachesTheOtherReplicaIsServedByTheOneWhoseCallWaits() throws Exception {
        ObjectNode call = clients.get(0).toolCall("sample", Map.of("prompt", "across replicas"));
        JsonNode first = clients.get(0).send(call).response().path("result");
        assertEquals("input_required", first.path("resultType").asText(), first.toString());

        ObjectNode retry = clients.get(1).retry(call, Map.of(onlyKey(first), sampled("answered via replica 1")),
                first.get("requestState").asText());
        McpTestClient.Reply done = clients.get(1).send(retry);

        assertEquals(200, done.status(), done.body());
        assertEquals(retry.get("id").asLong(), done.response().get("id").asLong());
        assertEquals("sampled: answered via replica 1", McpTestClient.text(done.response()));
    }

    @Test
    void aRetryWhoseReplicaIsGoneGetsAClearErrorAtOnce() throws Exception {
        ObjectNode call = clients.get(0).toolCall("sample", Map.of("prompt", "lost with its replica"));
        JsonNode first = clients.get(0).send(call).response().path("result");
        assertEquals("input_required", first.path("resultType").asText(), first.toString());
        replicas.get(0).close(); // a graceful stop removes its liveness record last
        Thread.sleep(HEARTBEAT.multipliedBy(3).toMillis()); // replica 1's own record has lived a lifetime

        ObjectNode retry = clients.get(1).retry(call, Map.of(onlyKey(first), sampled("too late")),
                first.get("requestState").asText());
        McpTestClient.Reply lost = clients.get(1).send(retry);

        InputRequiredIT.assertRefused(lost, "request_state_unknown");
        assertEquals(retry.get("id").asLong(), lost.json().path("id").asLong(), "the retry's id");
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
