package io.mcpproxy.streamable;

import static io.mcpproxy.streamable.McpTestClient.WAIT;
import static io.mcpproxy.streamable.McpTestClient.params;
import static io.mcpproxy.streamable.McpTestClient.text;
import static io.mcpproxy.streamable.McpTestClient.toolCall;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.session.Await;
import io.mcpproxy.stdio.testing.ProxyExtension;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The sequence against the shared example server: client A starts a slow call, cancels it and deletes its
 * session; client B's sampling is refused only while A's cancelled call may still be talking (the cancel grace),
 * then works, long before the request timeout.
 */
class CancelGraceIT {

    private static final Duration GRACE = Duration.ofSeconds(3);
    private static final Duration MARGIN = Duration.ofMillis(500);

    @RegisterExtension
    final ProxyExtension<StreamableHttpProxy.Builder, StreamableHttpProxy> proxies = Proxies.streamable()
            .options(builder -> builder.cancelGrace(GRACE));

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void anotherClientsCancelAndDeleteBlockSamplingForTheCancelGraceOnly() throws Exception {
        StreamableHttpProxy proxy = proxies.start();
        McpTestClient a = initialized(proxy);
        McpTestClient b = initialized(proxy);
        ObjectNode slow = a.request("tools/call", toolCall("slow", Map.of("ms", 60_000)));
        CompletableFuture<HttpResponse<String>> aCall = http.sendAsync(a.newPost(JsonRpc.toJson(slow)).build(),
                HttpResponse.BodyHandlers.ofString());
        Await.until(() -> proxy.backends().inFlight() == 1, WAIT);
        assertEquals(202, a.post(JsonRpc.notification("notifications/cancelled",
                params("requestId", slow.get("id"), "reason", "user pressed stop"))).status());
        long cancelledAt = System.nanoTime();
        ObjectNode cancelled = (ObjectNode) JsonRpc.parse(aCall.get(WAIT.toSeconds(), TimeUnit.SECONDS).body()
                .getBytes());
        assertEquals(JsonRpc.REQUEST_CANCELLED, cancelled.path("error").path("code").asInt(), cancelled.toString());
        assertEquals(204, a.delete().status());

        ObjectNode early = b.callTool("sample", Map.of("prompt", "too soon"));
        assertTrue(Duration.ofNanos(System.nanoTime() - cancelledAt).compareTo(GRACE) < 0,
                "the test's first sampling must happen within the grace");
        assertEquals("The proxy cannot tell which client this request is for", text(early),
                "A's cancelled call may still be talking: B's sampling request is refused, not guessed at");
        assertEquals(1, proxy.stats().unattributable());

        Thread.sleep(Math.max(0, GRACE.plus(MARGIN).toMillis()
                - Duration.ofNanos(System.nanoTime() - cancelledAt).toMillis()));
        assertEquals("sampled: hello B", b.sampleAnswering("hello B"), "after the grace B's sampling works");
        assertEquals(1, proxy.stats().unattributable(), "nothing more refused");
        assertEquals(0, proxy.stats().timeouts(), "long before the request timeout");
    }

    private McpTestClient initialized(StreamableHttpProxy proxy) throws Exception {
        McpTestClient client = new McpTestClient(http, proxy.uri());
        client.initialize();
        return client;
    }
}
