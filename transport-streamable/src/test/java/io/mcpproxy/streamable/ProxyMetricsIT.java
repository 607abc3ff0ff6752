package io.mcpproxy.streamable;

import static io.mcpproxy.streamable.McpTestClient.WAIT;
import static io.mcpproxy.streamable.McpTestClient.toolCall;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mcpproxy.core.jsonrpc.JsonRpc;
import io.mcpproxy.core.testing.SseEvents;
import io.mcpproxy.core.observe.Health;
import io.mcpproxy.session.Await;
import io.mcpproxy.stdio.testing.ProxyExtension;
import io.micrometer.core.instrument.search.Search;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** What a proxy with a meter registry counts after a known load, and what its health says on the way. */
class ProxyMetricsIT {

    @RegisterExtension
    final ProxyExtension<StreamableHttpProxy.Builder, StreamableHttpProxy> proxies = Proxies.streamable();

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void countersAndGaugesEqualTheCallsSessionsAndCrashThatHappened() throws Exception {
        StreamableHttpProxy proxy = proxies.start(builder -> builder.meterRegistry(registry)
                .restartBackoff(Duration.ofSeconds(2), Duration.ofSeconds(2)));
        int sessions = 3;
        int callsEach = 4;
        List<McpTestClient> clients = new ArrayList<>();
        for (int i = 0; i < sessions; i++) {
            McpTestClient client = new McpTestClient(http, proxy.uri());
            client.initialize();
            for (int call = 0; call < callsEach; call++) {
                client.callTool("echo", Map.of("text", "call " + call));
            }
            clients.add(client);
        }
        assertEquals(204, clients.get(0).delete().status());

        // An exchange is timed when it completes, which may come a moment after its client read the answer.
        assertTrue(Await.until(() -> timerCount("none", "204") == 1, WAIT), "the DELETE");
        assertTrue(Await.until(() -> timerCount("tools/call", "200") == sessions * callsEach, WAIT),
                "tools/call: " + timerCount("tools/call", "200"));
        assertEquals(sessions, timerCount("initialize", "200"));
        assertEquals(sessions, timerCount("notifications/initialized", "202"));
        assertEquals(sessions, counter("mcp.proxy.sessions.opened"));
        assertEquals(1, counter("mcp.proxy.sessions.ended", "reason", "deleted"));
        assertEquals(sessions - 1, gauge("mcp.proxy.sessions.active"));
        assertEquals(1, counter("mcp.proxy.backend.starts"));
        assertTrue(registry.get("mcp.proxy.storage.operations").tags("storage", "local", "op", "load").timer()
                .count() >= sessions * callsEach, "every request looked its session up");
        assertTrue(proxy.health().ready(), proxy.health().toString());

        McpTestClient killer = clients.get(1);
        HttpResponse<String> crashed = http.sendAsync(killer.newPost(JsonRpc.toJson(killer.request("tools/call",
                toolCall("crash", Map.of())))).build(), HttpResponse.BodyHandlers.ofString()).get(5, TimeUnit.SECONDS);
        assertEquals(200, crashed.statusCode(), crashed.body());
        assertTrue(Await.until(() -> counter("mcp.proxy.backend.exits") == 1, WAIT));

        Health waiting = proxy.health();
        assertFalse(waiting.ready(), "not ready while the crashed server waits for its restart: " + waiting);
        assertTrue(waiting.checks().stream().anyMatch(check -> check.name().equals("mcp_server") && !check.up()));
        assertTrue(Await.until(() -> counter("mcp.proxy.sessions.ended", "reason", "server_exited")
                == sessions - 1, WAIT), "the sessions on the dead server ended");
        assertEquals(0, gauge("mcp.proxy.sessions.active"));

        assertTrue(Await.until(() -> proxy.health().ready(), WAIT), "ready again once the server restarted");
        assertEquals(2, counter("mcp.proxy.backend.starts"));
        assertEquals(1, counter("mcp.proxy.backend.restarts"));
        assertEquals(1, gauge("mcp.proxy.backend.running"));
        assertTrue(gauge("mcp.proxy.backend.since.last.start") < 5);
        assertEquals(0, gauge("mcp.proxy.backend.requests.in.flight"));
    }

    @Test
    void eventStreamsAreCountedWhileOpenAndTheirEventsAndResumesAsTheyHappen() throws Exception {
        StreamableHttpProxy proxy = proxies.start(builder -> builder.meterRegistry(registry));
        McpTestClient client = new McpTestClient(http, proxy.uri());
        client.protocolVersion = "2025-11-25"; // primed streams, so a stream can be resumed
        client.initialize();
        HttpResponse<InputStream> get = client.openGet();
        assertEquals(200, get.statusCode());
        try (SseEvents listening = new SseEvents(get.body())) {
            assertTrue(Await.until(() -> streamGauge() == 1, WAIT), "the GET stream is open");
            client.callTool("notify_list_changed", Map.of("kind", "tools"));
            listening.nextMessage(WAIT);
            assertEquals(1, streamCounter("mcp.proxy.sse.events"), "the notification on the GET stream");

            ObjectNode call = client.request("tools/call", toolCall("progress", Map.of("steps", 3, "delayMs", 300)));
            ((ObjectNode) call.get("params")).set("_meta", JsonRpc.objectNode().put("progressToken", "t"));
            String lastSeen;
            try (SseEvents answer = new SseEvents(client.open(client.newPost(JsonRpc.toJson(call)).build()).body())) {
                assertTrue(answer.next(WAIT).isPriming());
                lastSeen = answer.next(WAIT).id(); // the first progress event; then the connection drops
            }
            HttpResponse<InputStream> resumed = http.send(HttpRequest.newBuilder(proxy.uri())
                    .header("Accept", "text/event-stream").header("Mcp-Session-Id", client.sessionId)
                    .header("MCP-Protocol-Version", "2025-11-25").header("Last-Event-ID", lastSeen).GET().build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            assertEquals(200, resumed.statusCode());
            try (SseEvents rest = new SseEvents(resumed.body())) {
                rest.remaining(WAIT);
            }
            assertEquals(1, streamCounter("mcp.proxy.sse.resumes"));
            // at least the notification, 3 progress notifications and the answer (events a dropped connection took
            // before the proxy noticed count again when they are replayed)
            assertTrue(streamCounter("mcp.proxy.sse.events") >= 5, "events: " + streamCounter("mcp.proxy.sse.events"));
            assertEquals(0, streamCounter("mcp.proxy.sse.slow.consumers"));
        }
        assertEquals(204, client.delete().status());
        assertTrue(Await.until(() -> streamGauge() == 0, WAIT), "every stream ended: " + streamGauge());
    }

    private double streamGauge() {
        return registry.get("mcp.proxy.sse.streams.open").tags("transport", "streamable").gauge().value();
    }

    private double streamCounter(String name) {
        return registry.get(name).tags("transport", "streamable").counter().count();
    }

    private long timerCount(String mcpMethod, String status) {
        return Search.in(registry).name("mcp.proxy.http.requests")
                .tags("transport", "streamable", "mcp_method", mcpMethod, "status", status).timers().stream()
                .mapToLong(timer -> timer.count()).sum();
    }

    private double counter(String name, String... tags) {
        return Search.in(registry).name(name).tags(tags).counters().stream().mapToDouble(c -> c.count()).sum()
                + Search.in(registry).name(name).tags(tags).functionCounters().stream()
                .mapToDouble(c -> c.count()).sum();
    }

    private double gauge(String name) {
        return registry.get(name).gauge().value();
    }
}
