package io.mcpproxy.sse;

import static io.mcpproxy.sse.SseTestClient.WAIT;
import static io.mcpproxy.sse.SseTestClient.text;
import static io.mcpproxy.sse.SseTestClient.toolCall;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.stdio.testing.ProxyExtension;
import io.mcpproxy.stdio.testing.StubbornServer;
import io.mcpproxy.session.Await;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A legacy SSE client leaves while the shared server still works on its request; the server's later messages for
 * that request never reach the next client.
 */
class SseOrphanedRequestIT {

    @RegisterExtension
    final ProxyExtension<SseProxy.Builder, SseProxy> proxies = Proxies.sse();

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void aClosedStreamsLateMessagesDoNotReachTheNextClient() throws Exception {
        // A closed connection shows when the next write fails: keep-alives bound that.
        SseProxy proxy = proxies.start(builder -> builder.command(StubbornServer.commandLine())
                .cancelGrace(Duration.ofMinutes(1))
                .keepAliveInterval(Duration.ofMillis(100)));
        SseTestClient b = SseTestClient.connect(http, proxy.uri());
        b.initialize();
        assertEquals(202, b.post(b.request("tools/call", toolCall("stubborn", Map.of("tag", "B")))).statusCode());
        Await.until(() -> proxy.backends().inFlight() == 1, WAIT);
        assertEquals("1", text(b.call(b.request("tools/call", toolCall("started", Map.of())))),
                "the server has B's call");
        b.close();
        Await.until(() -> proxy.localSessionCount() == 0, WAIT);
        assertEquals(0, proxy.localSessionCount(), "B's session ended with its stream");

        try (SseTestClient c = SseTestClient.connect(http, proxy.uri())) { // now the only open session, idle
            c.initialize();
            assertEquals(202, c.post(JsonRpc.notification("notifications/roots/list_changed", null)).statusCode());
            Await.until(() -> proxy.stats().undeliverable() >= 2, WAIT);
            assertTrue(c.events.quietFor(Duration.ofMillis(300)), "C's stream carried none of B's messages");
            assertEquals(2, proxy.stats().undeliverable(), "B's log and sampling request, dropped and counted");
            assertEquals("[\"s-1 error -32603\"]", text(c.call(c.request("tools/call", toolCall("answers",
                    Map.of())))), "the proxy answered B's sampling request with an error");
            Await.until(() -> proxy.stats().lateResponses() == 1, WAIT);
            assertEquals(1, proxy.stats().lateResponses(), "the server's late answer to B was dropped");
            assertEquals(2, proxy.stats().undeliverable(), "and not taken for an unattributable message");
        }
    }
}
