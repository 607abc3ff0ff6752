package io.mcpproxy.transparent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcpproxy.core.testing.McpRequests;
import io.mcpproxy.session.Session;
import io.mcpproxy.session.redis.RedisServerExtension;
import io.mcpproxy.session.redis.RedisStorage;
import io.mcpproxy.stdio.testing.ExampleServerCommand;
import io.mcpproxy.streamable.StreamableHttpProxy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A transparent proxy in front of two Streamable HTTP replicas, all three given the same Redis and the default key
 * prefix: the transparent proxy learns the sessions the replicas create, under the same ids, and every session
 * works (a record of the replicas' type is never taken for the transparent proxy's own).
 */
class TwoTiersOnOneRedisIT {

    @RegisterExtension
    static final RedisServerExtension REDIS = new RedisServerExtension();

    @Test
    void everySessionWorksThroughTheTransparentProxyInFrontOfTheReplicas() throws Exception {
        List<RedisStorage> storages = new ArrayList<>();
        List<StreamableHttpProxy> replicas = new ArrayList<>();
        TransparentProxy front = null;
        try {
            for (int i = 0; i < 2; i++) {
                RedisStorage storage = RedisStorage.builder().uri(REDIS.uri()).build(); // default key prefix
                storages.add(storage);
                StreamableHttpProxy replica = StreamableHttpProxy.builder()
                        .command(ExampleServerCommand.commandLine()).port(0).replicaId("replica-" + i)
                        .withSessionStorage(storage).build();
                replica.start();
                replicas.add(replica);
            }
            RedisStorage frontStorage = RedisStorage.builder().uri(REDIS.uri()).build();
            storages.add(frontStorage);
            front = TransparentProxy.builder().targets(List.of(replicas.get(0).uri(), replicas.get(1).uri()))
                    .withSessionStorage(frontStorage).port(0).build();
            front.start();

            HttpClient http = HttpClient.newHttpClient();
            URI endpoint = front.uri("/mcp");
            for (int i = 0; i < 4; i++) { // round robin: two sessions on each replica
                HttpResponse<String> init = http.send(McpRequests.post(endpoint, null, "{\"jsonrpc\":\"2.0\",\"id\":1,"
                        + "\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\","
                        + "\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}"),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, init.statusCode(), init.body());
                String session = init.headers().firstValue("Mcp-Session-Id").orElseThrow();
                assertTrue(front.sessions().get(Session.Type.TRANSPARENT, session).isPresent(),
                        "the transparent proxy learned the session");
                for (int j = 0; j < 3; j++) {
                    HttpResponse<String> echo = http.send(McpRequests.post(endpoint, session, "{\"jsonrpc\":\"2.0\",\"id\":"
                            + (2 + j) + ",\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":"
                            + "{\"text\":\"session " + i + "\"}}}"), HttpResponse.BodyHandlers.ofString());
                    assertEquals(200, echo.statusCode(), echo.body());
                    assertTrue(echo.body().contains("session " + i), echo.body());
                }
            }
        } finally {
            if (front != null) {
                front.close();
            }
            replicas.forEach(StreamableHttpProxy::close);
            storages.forEach(RedisStorage::close);
        }
    }
}
