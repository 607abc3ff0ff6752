package io.mcpproxy.streamable;

import static io.mcpproxy.streamable.McpTestClient.text;
import static io.mcpproxy.streamable.McpTestClient.toolCall;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.mcpproxy.core.auth.AuthSettings;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.session.redis.RedisServerExtension;
import io.mcpproxy.session.redis.RedisStorage;
import io.mcpproxy.stdio.testing.ExampleServerCommand;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;

/**
 * Two authenticating replicas sharing one Redis and forwarding to each other: a session is bound to its principal
 * wherever a request lands, and the owner accepts its principal's requests forwarded by the other replica.
 */
class AuthenticatedReplicasIT {

    @RegisterExtension
    static final RedisServerExtension REDIS = new RedisServerExtension();

    private final HttpClient http = HttpClient.newHttpClient();
    private final List<StreamableHttpProxy> replicas = new ArrayList<>();
    private final List<RedisStorage> storages = new ArrayList<>();

    @TempDir
    Path dir;

    @AfterEach
    void stop() {
        replicas.forEach(StreamableHttpProxy::close);
        storages.forEach(RedisStorage::close);
    }

    private static String line(String name, String token) throws Exception {
        return name + " sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(token.getBytes(StandardCharsets.UTF_8))) + "\n";
    }

    private StreamableHttpProxy startReplica(String id, Path tokens) throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        RedisStorage storage = RedisStorage.builder().uri(REDIS.uri()).build();
        storages.add(storage);
        StreamableHttpProxy replica = StreamableHttpProxy.builder().command(ExampleServerCommand.commandLine())
                .port(port).withSessionStorage(storage).replicaId(id)
                .advertiseUrl(URI.create("http://127.0.0.1:" + port))
                .clusterSecret("a cluster secret of this test, long enough")
                .heartbeatInterval(Duration.ofMillis(200)).auth(AuthSettings.bearer(tokens)).build();
        replica.start();
        replicas.add(replica);
        return replica;
    }

    private McpTestClient client(StreamableHttpProxy replica, String token, String sessionId) {
        McpTestClient client = new McpTestClient(http, replica.uri());
        client.authorization = "Bearer " + token;
        client.sessionId = sessionId;
        return client;
    }

    @Test
    void aSessionServedThroughAnotherReplicaStaysItsPrincipals() throws Exception {
        try (Jedis redis = new Jedis(URI.create(REDIS.uri()))) {
            redis.flushAll();
        }
        Path tokens = Files.writeString(dir.resolve("tokens"), line("alice", "alice-token") + line("bob", "bob-token"));
        StreamableHttpProxy owner = startReplica("replica-0", tokens);
        StreamableHttpProxy other = startReplica("replica-1", tokens);
        McpTestClient alice = client(owner, "alice-token", null);
        alice.initialize();

        McpTestClient.Reply forwarded = client(other, "alice-token", alice.sessionId)
                .post(alice.request("tools/call", toolCall("echo", Map.of("text", "via the other replica"))));
        McpTestClient.Reply bobThere = client(other, "bob-token", alice.sessionId)
                .post(alice.request("tools/call", toolCall("echo", Map.of("text", "x"))));
        McpTestClient.Reply bobHere = client(owner, "bob-token", alice.sessionId)
                .post(alice.request("tools/call", toolCall("echo", Map.of("text", "x"))));

        assertEquals(200, forwarded.status(), forwarded.body());
        assertEquals("via the other replica", text(forwarded.json()));
        assertEquals(404, bobThere.status(), bobThere.body());
        assertEquals(JsonRpc.SESSION_NOT_FOUND, bobThere.json().path("error").path("code").asInt());
        assertEquals(404, bobHere.status(), bobHere.body());
        assertEquals(204, client(other, "alice-token", alice.sessionId).delete().status());
    }
}
