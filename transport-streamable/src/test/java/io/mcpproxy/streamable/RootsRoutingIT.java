package io.mcpproxy.streamable;

import static io.mcpproxy.streamable.McpTestClient.WAIT;
import static io.mcpproxy.streamable.McpTestClient.text;
import static io.mcpproxy.streamable.McpTestClient.toolCall;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.stdio.testing.ProxyExtension;
import io.mcpproxy.core.testing.SseEvents;
import io.mcpproxy.session.Await;
import java.net.http.HttpClient;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A shared server answers a session's {@code notifications/roots/list_changed} with {@code roots/list} (the example
 * server does, as real servers do): that request is the announcing session's, never another's that happens to be
 * busy.
 */
class RootsRoutingIT {

    @RegisterExtension
    final ProxyExtension<StreamableHttpProxy.Builder, StreamableHttpProxy> proxies = Proxies.streamable();

    private StreamableHttpProxy proxy;
    private final HttpClient http = HttpClient.newHttpClient();
    private McpTestClient a;
    private McpTestClient b;

    @BeforeEach
    void start() throws Exception {
        proxy = proxies.start();
        a = new McpTestClient(http, proxy.uri());
        a.initialize();
        b = new McpTestClient(http, proxy.uri());
        b.initialize();
    }

    /** What the server learned from its last roots/list (asked through {@code client}, any session will do). */
    private static String knownRoots(McpTestClient client) {
        try {
            return text(client.callTool("known_roots", Map.of()));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static ObjectNode rootsChanged() {
        return JsonRpc.notification("notifications/roots/list_changed", null);
    }

    @Test
    void theRootsRequestAfterAnAnnouncementGoesToTheAnnouncingSession() throws Exception {
        // Two open sessions, neither busy: before, the server's roots/list had no unambiguous target
        try (SseEvents aEvents = new SseEvents(a.openGet().body())) {
            assertEquals(202, a.post(rootsChanged()).status());
            ObjectNode rootsList = aEvents.nextMessage(WAIT);
            assertEquals("roots/list", rootsList.path("method").asText(), rootsList.toString());
            ObjectNode roots = JsonRpc.objectNode();
            roots.putArray("roots").addObject().put("uri", "file:///home/a").put("name", "a");
            assertEquals(202, a.post(JsonRpc.result(rootsList.get("id"), roots)).status());
        }
        Await.until(() -> !knownRoots(b).startsWith("none"), WAIT);
        assertEquals("[{\"uri\":\"file:///home/a\",\"name\":\"a\"}]", knownRoots(b));
        assertEquals(0, proxy.stats().undeliverable());
    }

    @Test
    void theRootsRequestAfterAnAnnouncementNeverReachesAnotherBusySession() throws Exception {
        ObjectNode slow = b.request("tools/call", toolCall("slow", Map.of("ms", 1_500)));
        CompletableFuture<McpTestClient.Reply> bCall = CompletableFuture.supplyAsync(() -> {
            try {
                return b.post(slow);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Await.until(() -> proxy.backends().inFlight() == 1, WAIT);
        assertEquals(202, a.post(rootsChanged()).status()); // while B's call is the only request in flight

        McpTestClient.Reply bReply = bCall.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        List<String> bMessages = bReply.contentType().startsWith("text/event-stream")
                ? bReply.events().stream().map(message -> message.path("method").asText("(response)")).toList()
                : List.of("(response)");
        assertEquals(List.of("(response)"), bMessages, "B's POST stream carried only B's answer");
        Await.until(() -> knownRoots(a).startsWith("roots/list failed"), WAIT);
        assertTrue(knownRoots(a).startsWith("roots/list failed"),
                "the proxy answered the ambiguous roots/list with an error instead of guessing");
        assertEquals(1, proxy.stats().undeliverable());
    }
}
