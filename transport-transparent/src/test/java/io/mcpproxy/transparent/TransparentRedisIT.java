package io.mcpproxy.transparent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.session.redis.RedisServerExtension;
import io.mcpproxy.session.redis.RedisStorage;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.eclipse.jetty.util.thread.Invocable.InvocationType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Two transparent proxies sharing a real Redis, two real upstreams: sessions stick from either proxy. */
class TransparentRedisIT {

    @RegisterExtension
    static final RedisServerExtension REDIS = new RedisServerExtension();

    @Test
    void aSessionInitializedThroughOneProxyContinuesThroughTheOtherToTheSameUpstream() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        try (TestUpstream a = new TestUpstream("a").start(0, 30_000);
             TestUpstream b = new TestUpstream("b").start(0, 30_000);
             RedisStorage storageOne = storage(); RedisStorage storageTwo = storage()) {
            TransparentProxy one = TransparentProxy.builder().targets(List.of(a.uri(), b.uri()))
                    .withSessionStorage(storageOne).port(0).build();
            // the second proxy lists the upstreams the other way round: only backend_url can route correctly
            TransparentProxy two = TransparentProxy.builder().targets(List.of(b.uri(), a.uri()))
                    .withSessionStorage(storageTwo).port(0).build();
            one.start();
            two.start();
            // Redis round trips block: requests and upstream responses must stay off the selector threads
            assertEquals(InvocationType.BLOCKING, one.invocationType());
            try {
                ProxyClient viaOne = new ProxyClient(http, one.uri("/mcp"));
                ProxyClient viaTwo = new ProxyClient(http, two.uri("/mcp"));
                for (int i = 0; i < 6; i++) {
                    String session = viaOne.initialize();
                    String owner = session.substring(0, 1);
                    for (int j = 0; j < 3; j++) {
                        assertEquals(owner, ProxyClient.servedBy(viaTwo.post(session, "tools/list")));
                        assertEquals(owner, ProxyClient.servedBy(viaOne.post(session, "tools/list")));
                    }
                }
                REDIS.pause();
                try {
                    HttpResponse<String> down = viaTwo.post("a-session-1", "tools/list");
                    assertEquals(503, down.statusCode());
                    assertEquals("storage_unavailable", JsonRpc.parse(down.body().getBytes()).path("error")
                            .path("data").path("reason").asText());
                } finally {
                    REDIS.resume();
                }
            } finally {
                one.close();
                two.close();
            }
        }
    }

    private static RedisStorage storage() {
        return RedisStorage.builder().uri(REDIS.uri()).socketTimeout(Duration.ofMillis(500)).build();
    }
}
